//! A generator of multi-language workspaces whose true dependency edges are known.
//!
//! Tests compare the extracted graph with [`SyntheticWorkspace::edges`] exactly, and
//! benchmarks use the same workspaces at scale. Generation is deterministic for a seed.
//!
//! Each language gets its own project: a Cargo crate with a two-level `mod` tree, a Python
//! package with subpackages, a TypeScript project with `tsconfig` paths and barrels, and a
//! Go module with one package per group. Every file imports a few others through the
//! language's different import forms, plus one external module.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use thread_extractors::ImportKind;

/// A generated workspace: its files and the edges a correct resolver must find.
#[derive(Clone, Debug, Default)]
pub struct SyntheticWorkspace {
    /// Every file: (workspace-relative path, text).
    pub files: Vec<(String, String)>,
    /// The true edges: (from, to, kind).
    pub edges: BTreeSet<(String, String, ImportKind)>,
}

/// How big a workspace to make.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticOptions {
    /// Source files per language (at least a few; rounded to whole groups).
    pub files_per_language: usize,
    /// Files per group (Rust module directory, Python subpackage, TS folder, Go package).
    pub files_per_group: usize,
    /// Imports of other workspace files per file.
    pub imports_per_file: usize,
    /// Seed for the deterministic choice of imports.
    pub seed: u64,
}

impl Default for SyntheticOptions {
    fn default() -> SyntheticOptions {
        SyntheticOptions { files_per_language: 40, files_per_group: 8, imports_per_file: 3, seed: 7 }
    }
}

/// A small deterministic generator (xorshift64*): no dependency, same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound.max(1)
    }
}

impl SyntheticWorkspace {
    /// Generates a workspace.
    pub fn generate(options: SyntheticOptions) -> SyntheticWorkspace {
        let mut workspace = SyntheticWorkspace::default();
        let groups = options.files_per_language.div_ceil(options.files_per_group).max(1);
        let layout = Layout { groups, per_group: options.files_per_group.max(1), imports: options.imports_per_file };
        let mut rng = Rng(options.seed.max(1));
        generate_rust(&mut workspace, &layout, &mut rng);
        generate_python(&mut workspace, &layout, &mut rng);
        generate_typescript(&mut workspace, &layout, &mut rng);
        generate_go(&mut workspace, &layout, &mut rng);
        workspace.files.sort();
        workspace
    }

    /// Writes the files under `root`.
    pub fn write_to(&self, root: &Path) -> io::Result<()> {
        for (path, text) in &self.files {
            let target = root.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(target, text)?;
        }
        Ok(())
    }

    fn add(&mut self, path: String, text: String) {
        self.files.push((path, text));
    }

    fn edge(&mut self, from: &str, to: &str, kind: ImportKind) {
        if from != to {
            self.edges.insert((from.to_owned(), to.to_owned(), kind));
        }
    }
}

struct Layout {
    groups: usize,
    per_group: usize,
    imports: usize,
}

impl Layout {
    /// Distinct (group, member) pairs other than `own`, chosen at random.
    fn picks(&self, rng: &mut Rng, own: (usize, usize)) -> Vec<(usize, usize)> {
        let mut picks = Vec::new();
        let total = self.groups * self.per_group;
        for _ in 0..self.imports.min(total.saturating_sub(1)) * 3 {
            if picks.len() == self.imports {
                break;
            }
            let pick = (rng.below(self.groups), rng.below(self.per_group));
            if pick != own && !picks.contains(&pick) {
                picks.push(pick);
            }
        }
        picks
    }
}

fn generate_rust(workspace: &mut SyntheticWorkspace, layout: &Layout, rng: &mut Rng) {
    workspace.add(
        "rs/Cargo.toml".into(),
        "[package]\nname = \"gen-rs\"\nedition = \"2021\"\n\n[dependencies]\nserde = \"1\"\n".into(),
    );
    let mut lib = String::from("//! Generated crate.\n");
    for group in 0..layout.groups {
        let _ = writeln!(lib, "pub mod g{group};");
        workspace.edge("rs/src/lib.rs", &format!("rs/src/g{group}/mod.rs"), ImportKind::Mod);
        let mut group_mod = String::new();
        for member in 0..layout.per_group {
            let _ = writeln!(group_mod, "pub mod m{member};");
            workspace.edge(
                &format!("rs/src/g{group}/mod.rs"),
                &format!("rs/src/g{group}/m{member}.rs"),
                ImportKind::Mod,
            );
        }
        workspace.add(format!("rs/src/g{group}/mod.rs"), group_mod);
    }
    workspace.add("rs/src/lib.rs".into(), lib);
    for group in 0..layout.groups {
        for member in 0..layout.per_group {
            let path = format!("rs/src/g{group}/m{member}.rs");
            let mut text = String::from("use std::fmt;\n");
            let mut calls = String::new();
            for (index, (other_group, other)) in layout.picks(rng, (group, member)).into_iter().enumerate() {
                let target = format!("rs/src/g{other_group}/m{other}.rs");
                match (index % 3, other_group == group) {
                    (0, true) => {
                        let _ = writeln!(text, "use super::m{other}::*;");
                    }
                    (1, _) => {
                        let _ = writeln!(
                            text,
                            "use crate::g{other_group}::{{m{other}::{{self, Item{other_group}_{other}}}}};"
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            text,
                            "use crate::g{other_group}::m{other}::item_{other_group}_{other} as f{index};"
                        );
                    }
                }
                workspace.edge(&path, &target, ImportKind::Import);
                let _ = writeln!(calls, "    crate::g{other_group}::m{other}::item_{other_group}_{other}();");
            }
            let _ = write!(
                text,
                "\npub struct Item{group}_{member} {{ pub value: u32 }}\n\npub fn item_{group}_{member}() -> u32 {{\n{calls}    {member}\n}}\n\nimpl fmt::Display for Item{group}_{member} {{\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{ write!(f, \"{{}}\", self.value) }}\n}}\n"
            );
            workspace.add(path, text);
        }
    }
}

fn generate_python(workspace: &mut SyntheticWorkspace, layout: &Layout, rng: &mut Rng) {
    workspace.add(
        "py/pyproject.toml".into(),
        "[project]\nname = \"genpy\"\n\n[tool.setuptools.packages.find]\nwhere = [\"src\"]\n".into(),
    );
    workspace.add("py/src/genpy/__init__.py".into(), "\"\"\"Generated package.\"\"\"\n".into());
    for group in 0..layout.groups {
        workspace.add(format!("py/src/genpy/g{group}/__init__.py"), String::new());
    }
    for group in 0..layout.groups {
        for member in 0..layout.per_group {
            let path = format!("py/src/genpy/g{group}/m{member}.py");
            let mut text = String::from("import os\n");
            let mut body = String::new();
            for (index, (other_group, other)) in layout.picks(rng, (group, member)).into_iter().enumerate() {
                let target = format!("py/src/genpy/g{other_group}/m{other}.py");
                match (index % 4, other_group == group) {
                    (0, true) => {
                        let _ = writeln!(text, "from .m{other} import func_{other_group}_{other}");
                    }
                    (0, false) | (1, _) => {
                        let _ = writeln!(text, "from genpy.g{other_group} import m{other}");
                    }
                    (2, _) => {
                        let _ = writeln!(text, "import genpy.g{other_group}.m{other}");
                    }
                    _ => {
                        let _ = writeln!(
                            text,
                            "from ..g{other_group}.m{other} import func_{other_group}_{other} as f{index}"
                        );
                    }
                }
                workspace.edge(&path, &target, ImportKind::Import);
                let _ = writeln!(body, "    genpy.g{other_group}.m{other}.func_{other_group}_{other}()");
            }
            let _ = write!(
                text,
                "\n\ndef func_{group}_{member}():\n{body}    return os.getcwd()\n\n\nclass Model{group}_{member}:\n    def run(self):\n        return func_{group}_{member}()\n"
            );
            workspace.add(path, text);
        }
    }
}

/// The path of a TypeScript member file. The last member of each group is TSX, so that
/// JSX and the TSX grammar are exercised wherever TypeScript is.
fn typescript_member(layout: &Layout, group: usize, member: usize) -> String {
    let extension = if member + 1 == layout.per_group && layout.per_group > 1 { "tsx" } else { "ts" };
    format!("ts/src/g{group}/m{member}.{extension}")
}

fn generate_typescript(workspace: &mut SyntheticWorkspace, layout: &Layout, rng: &mut Rng) {
    workspace.add("ts/tsconfig.json".into(), "{\n  // Generated.\n  \"compilerOptions\": { \"baseUrl\": \".\", \"jsx\": \"preserve\", \"allowJs\": true, \"paths\": { \"@gen/*\": [\"src/*\"] } },\n}\n".into());
    for group in 0..layout.groups {
        // A barrel re-exporting the group.
        let barrel = format!("ts/src/g{group}/index.ts");
        let mut text = String::new();
        for member in 0..layout.per_group {
            let _ = writeln!(text, "export * from './m{member}';");
            workspace.edge(&barrel, &typescript_member(layout, group, member), ImportKind::Reexport);
        }
        workspace.add(barrel, text);
        // A JSX view using the group's first member and its stylesheet, an asset.
        let view = format!("ts/src/g{group}/view.jsx");
        let stylesheet = format!("ts/src/g{group}/view.css");
        workspace.edge(&view, &typescript_member(layout, group, 0), ImportKind::Import);
        workspace.edge(&view, &stylesheet, ImportKind::Asset);
        workspace.add(
            view,
            format!(
                "import {{ f{group}_0 }} from './m0';\nimport './view.css';\n\nexport const View{group} = () => <p className=\"view\">{{f{group}_0()}}</p>;\n\nexport function viewCount{group}() {{\n  return 1;\n}}\n"
            ),
        );
        workspace.add(stylesheet, format!(".view {{\n  color: #{group:03};\n}}\n"));
        // A Vue component whose script block imports the group's first member.
        let panel = format!("ts/src/g{group}/Panel.vue");
        workspace.edge(&panel, &typescript_member(layout, group, 0), ImportKind::Import);
        workspace.add(
            panel,
            format!(
                "<template>\n  <p>{{{{ total }}}}</p>\n</template>\n\n<script setup lang=\"ts\">\nimport {{ f{group}_0 }} from './m0';\n\nconst total = f{group}_0();\n</script>\n"
            ),
        );
    }
    for group in 0..layout.groups {
        for member in 0..layout.per_group {
            let path = typescript_member(layout, group, member);
            let mut text = String::from("import { readFile } from 'node:fs';\n");
            for (index, (other_group, other)) in layout.picks(rng, (group, member)).into_iter().enumerate() {
                let (line, kind) = match index % 4 {
                    0 => (
                        format!("import {{ f{other_group}_{other} }} from '../g{other_group}/m{other}';"),
                        ImportKind::Import,
                    ),
                    1 => (
                        format!("import type {{ T{other_group}_{other} }} from '@gen/g{other_group}/m{other}';"),
                        ImportKind::Type,
                    ),
                    2 => (
                        format!("const lazy{index} = () => import('../g{other_group}/m{other}.js');"),
                        ImportKind::Dynamic,
                    ),
                    _ => (
                        format!(
                            "export {{ f{other_group}_{other} as re{index} }} from '@gen/g{other_group}/m{other}';"
                        ),
                        ImportKind::Reexport,
                    ),
                };
                let _ = writeln!(text, "{line}");
                workspace.edge(&path, &typescript_member(layout, other_group, other), kind);
            }
            if path.ends_with(".tsx") {
                // Definitions after JSX: parsed with the TypeScript grammar, they were lost.
                let _ = write!(
                    text,
                    "\nexport function Badge{group}_{member}(props: {{ label: string }}) {{\n  return <span title={{props.label}}>{{props.label}}</span>;\n}}\n"
                );
            }
            let _ = write!(
                text,
                "\nexport type T{group}_{member} = {{ id: number }};\n\nexport function f{group}_{member}(): number {{\n  return {member};\n}}\n\nexport class C{group}_{member} {{\n  run(): number {{ return f{group}_{member}(); }}\n}}\n"
            );
            workspace.add(path, text);
        }
    }
}

fn generate_go(workspace: &mut SyntheticWorkspace, layout: &Layout, rng: &mut Rng) {
    workspace.add("go/go.mod".into(), "module example.com/gen\n\ngo 1.21\n".into());
    for group in 0..layout.groups {
        for member in 0..layout.per_group {
            let path = format!("go/g{group}/m{member}.go");
            let mut imported: BTreeSet<usize> = BTreeSet::new();
            for (other_group, _) in layout.picks(rng, (group, member)) {
                if other_group != group {
                    imported.insert(other_group);
                }
            }
            let mut text = format!("package g{group}\n\nimport (\n\t\"fmt\"\n");
            let mut body = String::new();
            for other_group in &imported {
                let _ = writeln!(text, "\t\"example.com/gen/g{other_group}\"");
                let _ = writeln!(body, "\tg{other_group}.F{other_group}_0()");
                for other in 0..layout.per_group {
                    workspace.edge(&path, &format!("go/g{other_group}/m{other}.go"), ImportKind::Import);
                }
            }
            let _ =
                write!(text, ")\n\nfunc F{group}_{member}() int {{\n{body}\tfmt.Println()\n\treturn {member}\n}}\n");
            workspace.add(path, text);
        }
    }
}
