#!/usr/bin/env python3
"""Ground truth for Thread's agreement tests, from each language's own tooling.

    ground_truth.py python CACHE_DIR     grimp over real PyPI sdists
    ground_truth.py ecmascript CACHE_DIR madge (with TypeScript) over rxjs's sources from npm
    ground_truth.py go CACHE_DIR         go list + go/parser over golang.org/x/text from Debian
    ground_truth.py rust CACHE_DIR       rust-analyzer over macro-heavy crates from crates.io

Each fetches its corpus into CACHE_DIR (kept out of the repository) and prints one JSON
object: {"corpora": [{"name", "root", "edges": [[from, to], ...], "importers": [...]}]}.
Paths are relative to the corpus root. "importers" lists the files the tool read imports
from; edges of other files (a build-constrained Go file, say) are outside its view.
An optional "targets" lists the files the tool knows as edge targets; Thread's edges to
other files (a module under a cfg rust-analyzer did not enable) are outside its view too.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_SDISTS = [("httpx", "0.27.0"), ("rich", "13.7.1")]
NPM_PACKAGE = ("rxjs", "7.8.2")
GO_MODULE = "/usr/share/gocode/src/golang.org/x/text"
# Crates whose modules hide in pass-through macros (`cfg_rt! { mod x; }`) and behind
# `#[cfg_attr(…, path = "…")]`, each with the builds rust-analyzer analyses. Thread sees
# every cfg at once; the truth is the union over builds that together cover most of them:
# default and all features on Linux, plus what each crate needs besides (Windows code, the
# `tokio_unstable` cfg, rustix's linux_raw backend, which the `use-libc` feature turns off).
DEFAULT = {"label": "default"}
ALL_FEATURES = {"label": "all-features", "features": "all"}
RUST_CRATES = [
    ("tokio", "1.41.1", [DEFAULT, ALL_FEATURES,
                         {"label": "all-features-windows", "features": "all", "target": "x86_64-pc-windows-msvc"},
                         {"label": "all-features-unstable", "features": "all", "rustflags": "--cfg tokio_unstable"}]),
    ("rustix", "0.38.40", [DEFAULT, ALL_FEATURES,
                           {"label": "all-features-but-use-libc", "features": "all", "leave_out": ["use-libc"]}]),
    ("mio", "1.0.2", [DEFAULT, ALL_FEATURES]),
]
# rust-analyzer is built from crates.io (ra_ap_rust-analyzer) by .ci/install-test-tools,
# into a cache outside the repository; THREAD_RUST_ANALYZER names another binary.
RUST_ANALYZER = os.environ.get("THREAD_RUST_ANALYZER") or os.path.expanduser(
    "~/.cache/thread/rust-analyzer/bin/rust-analyzer")
# Features no ordinary build can enable: they make the crate part of the standard library.
UNBUILDABLE_FEATURES = {"rustc-dep-of-std"}


def run(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout


def extract(archive, into):
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def fetch_sdist(cache, name, version):
    """The unpacked source distribution of a PyPI package, fetched once into CACHE."""
    root = os.path.join(cache, f"{name}-{version}")
    if not os.path.isdir(root):
        run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
             "--disable-pip-version-check", f"{name}=={version}", "-d", cache])
        extract(os.path.join(cache, f"{name}-{version}.tar.gz"), cache)
    return root


def python_truth(cache):
    import grimp

    corpora = []
    for name, version in PYTHON_SDISTS:
        root = fetch_sdist(cache, name, version)

        def path_of(module):
            base = os.path.join(*module.split("."))
            for candidate in (base + ".py", os.path.join(base, "__init__.py")):
                if os.path.exists(os.path.join(root, candidate)):
                    return candidate.replace(os.sep, "/")
            return None

        sys.path.insert(0, root)
        graph = grimp.build_graph(name, include_external_packages=False, cache_dir=None)
        sys.path.remove(root)
        edges = set()
        for importer in graph.modules:
            for imported in graph.find_modules_directly_imported_by(importer):
                pair = (path_of(importer), path_of(imported))
                if None not in pair:
                    edges.add(pair)
        importers = sorted(filter(None, (path_of(module) for module in graph.modules)))
        corpora.append({"name": f"{name} {version}", "root": root, "edges": sorted(edges), "importers": importers})
    return corpora


def fetch_npm(cache, name, version):
    """The unpacked tarball of an npm package, fetched once into CACHE."""
    root = os.path.join(cache, f"{name}-{version}")
    if not os.path.isdir(root):
        os.makedirs(cache, exist_ok=True)
        archive = run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=cache).strip().splitlines()[-1]
        extract(os.path.join(cache, archive), cache)
        os.rename(os.path.join(cache, "package"), root)
    return root


def ecmascript_truth(cache):
    name, version = NPM_PACKAGE
    root = fetch_npm(cache, name, version)
    madge = os.path.join(HERE, "node_modules", ".bin", "madge")
    output = run([madge, "--json", "--ts-config", "tsconfig.json", "--extensions", "ts", "src"], cwd=root)
    graph = json.loads(output)
    edges = sorted({("src/" + importer, "src/" + imported) for importer, deps in graph.items() for imported in deps})
    importers = sorted("src/" + importer for importer in graph)
    return [{"name": f"{name} {version} (src/)", "root": root, "edges": edges, "importers": importers}]


def go_truth(cache):
    root = os.path.join(cache, "golang.org-x-text")
    if not os.path.isdir(root):
        shutil.copytree(GO_MODULE, root, symlinks=True)
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", GOWORK="off")
    listing = run(["go", "list", "-e", "-json", "./..."], cwd=root, env=env)
    decoder, packages, index = json.JSONDecoder(), [], 0
    while index < len(listing):
        if listing[index].isspace():
            index += 1
            continue
        package, index = decoder.raw_decode(listing, index)
        packages.append(package)

    parser = os.path.join(cache, "goimports")
    if not os.path.exists(parser):
        run(["go", "build", "-o", parser, "."], cwd=os.path.join(HERE, "goimports"), env=dict(env, GOFLAGS=""))

    def rel(directory, file_name):
        return os.path.relpath(os.path.join(directory, file_name), root).replace(os.sep, "/")

    by_import_path = {package["ImportPath"]: package for package in packages}
    # Files whose imports Go reads on this platform, with whether each is a test file of
    # an external test package.
    read_files = {}
    for package in packages:
        for field in ("GoFiles", "CgoFiles", "TestGoFiles"):
            for file_name in package.get(field, []):
                read_files[os.path.join(package["Dir"], file_name)] = (package, False)
        for file_name in package.get("XTestGoFiles", []):
            read_files[os.path.join(package["Dir"], file_name)] = (package, True)
    ignored = [os.path.join(package["Dir"], name) for package in packages for name in package.get("IgnoredGoFiles", [])]
    parsed = json.loads(run([parser], input="\n".join(list(read_files) + ignored), env=env))

    edges = set()
    for absolute, (package, external_test) in read_files.items():
        importer = os.path.relpath(absolute, root).replace(os.sep, "/")
        for import_path in parsed.get(absolute, {}).get("imports", []):
            target = by_import_path.get(import_path)
            if target is None or target.get("Standard") or target.get("Module", {}).get("Path") != "golang.org/x/text":
                continue
            # Build constraints are ignored in Thread's model: every non-test file counts.
            names = target.get("GoFiles", []) + target.get("CgoFiles", [])
            names += [n for n in target.get("IgnoredGoFiles", []) if not n.endswith("_test.go")]
            if external_test and import_path == package["ImportPath"]:
                names += target.get("TestGoFiles", [])
                names += [n for n in target.get("IgnoredGoFiles", []) if n.endswith("_test.go")
                          and not parsed.get(os.path.join(target["Dir"], n), {}).get("package", "").endswith("_test")]
            edges.update((importer, rel(target["Dir"], name)) for name in names)
    importers = sorted(os.path.relpath(path, root).replace(os.sep, "/") for path in read_files)
    return [{"name": "golang.org/x/text (Debian)", "root": root, "edges": sorted(edges), "importers": importers}]


def fetch_crate(cache, name, version):
    archive = os.path.join(cache, f"{name}-{version}.crate")
    if not os.path.exists(archive):
        run(["curl", "-sSfL", "-o", archive, f"https://static.crates.io/crates/{name}/{name}-{version}.crate"])
    return archive


def with_every_feature(manifest, leave_out=()):
    """The manifest text with every feature (but `leave_out`) on by default: rust-analyzer
    then sees that build."""
    import tomllib
    features = [name for name in tomllib.loads(manifest).get("features", {})
                if name != "default" and name not in UNBUILDABLE_FEATURES and name not in leave_out]
    if not features:
        return None
    out, in_features, skipping = [], False, False
    for line in manifest.split("\n"):
        if skipping:
            skipping = "]" not in line
            continue
        if line.startswith("["):
            in_features = line.strip() == "[features]"
            out.append(line)
            if in_features:
                out.append("default = " + json.dumps(features))
            continue
        if in_features and line.split("=")[0].strip() == "default":
            skipping = "]" not in line
            continue
        out.append(line)
    return "\n".join(out)


def prepare_build(cache, archive, name, version, build):
    """The crate's sources set up for one build; returns their root."""
    base = os.path.join(cache, "rust", build["label"])
    root = os.path.join(base, f"{name}-{version}")
    if os.path.isdir(root):
        return root
    extract(archive, base)
    manifest_path = os.path.join(root, "Cargo.toml")
    with open(manifest_path) as manifest:
        text = manifest.read()
    if build.get("features") == "all":
        text = with_every_feature(text, build.get("leave_out", ())) or text
    with open(manifest_path, "w") as manifest:
        # Its own workspace, wherever the cache lies.
        manifest.write(text + "\n[workspace]\n")
    if build.get("target"):
        os.makedirs(os.path.join(root, ".cargo"), exist_ok=True)
        with open(os.path.join(root, ".cargo", "config.toml"), "w") as config:
            config.write(f'[build]\ntarget = "{build["target"]}"\n')
    return root


def rust_truth(cache):
    import rust_modules
    corpora = []
    for name, version, builds in RUST_CRATES:
        archive = fetch_crate(cache, name, version)
        edges, known = set(), set()
        for build in builds:
            root = prepare_build(cache, archive, name, version, build)
            # The dump takes rust-analyzer a minute or two; it is kept beside the sources.
            dump_path = root + ".lsif"
            if not os.path.exists(dump_path):
                env = dict(os.environ)
                if build.get("rustflags"):
                    env["RUSTFLAGS"] = build["rustflags"]
                lsif = subprocess.run([RUST_ANALYZER, "lsif", "."], cwd=root, check=True, capture_output=True,
                                      text=True, env=env).stdout
                with open(dump_path + ".partial", "w") as out:
                    out.write(lsif)
                os.replace(dump_path + ".partial", dump_path)
            with open(dump_path) as lines:
                dump = rust_modules.Dump(lines, root)
            for path in dump.inside():
                with open(os.path.join(root, path), encoding="utf-8", errors="replace") as source:
                    text = source.read()
                known.add(path)
                edges.update((path, target) for target in rust_modules.file_edges(dump, path, text))
        root = os.path.join(cache, "rust", "default", f"{name}-{version}")
        corpora.append({"name": f"{name} {version} (crates.io)", "root": root, "edges": sorted(edges),
                        "importers": sorted(known), "targets": sorted(known)})
    return corpora


def main():
    language, cache = sys.argv[1], os.path.abspath(sys.argv[2])
    os.makedirs(cache, exist_ok=True)
    truth = {"python": python_truth, "ecmascript": ecmascript_truth, "go": go_truth, "rust": rust_truth}[language](
        cache)
    json.dump({"corpora": truth}, sys.stdout)


if __name__ == "__main__":
    main()
