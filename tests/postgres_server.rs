//! A real PostgreSQL server for the tests: `THREAD_TEST_DATABASE_URL` when set, or else a
//! throwaway cluster started with `initdb`/`pg_ctl` on a free loopback port, shared by
//! every test of this binary (each test uses its own workspace in it).
//!
//! A watchdog stops the cluster and deletes its directory once this test process exits.
//! Without PostgreSQL installed the tests skip loudly; under `THREAD_CI=1` they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The connection URL of the test server, or `None` (with a loud message) when there is
/// none and this is not CI.
pub(crate) fn database_url() -> Option<String> {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    let url = URL.get_or_init(|| match std::env::var("THREAD_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => ThrowawayCluster::start().map(|cluster| cluster.url),
    });
    match url {
        Ok(url) => Some(url.clone()),
        Err(message) => {
            crate::skip_or_fail(&format!(
                "a PostgreSQL test needs a server: {message}. Install PostgreSQL (Debian: apt-get install \
                 postgresql; or run .ci/install-test-tools) or set THREAD_TEST_DATABASE_URL"
            ));
            None
        }
    }
}

/// A workspace name no other test of this run uses.
pub(crate) fn unique_workspace(test: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{test}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A running cluster; lives as long as the test process.
pub(crate) struct ThrowawayCluster {
    pub(crate) url: String,
    pub(crate) data_dir: PathBuf,
    pub(crate) bin_dir: PathBuf,
    /// The server options (`-o`), kept for restarts on the same port.
    options: String,
}

impl ThrowawayCluster {
    /// Initialises and starts a cluster, or says why it cannot.
    pub(crate) fn start() -> Result<ThrowawayCluster, String> {
        let bin_dir = postgres_bin_dir().ok_or("initdb and pg_ctl were not found")?;
        let root = tempfile::Builder::new()
            .prefix("thread-postgres-")
            .tempdir()
            .map_err(|error| format!("cannot make a directory for the cluster: {error}"))?
            .keep();
        let data_dir = root.join("data");
        let as_root = is_root();
        if as_root {
            // PostgreSQL refuses to run as root: the cluster belongs to `postgres`.
            run(Command::new("chown").args(["postgres:postgres"]).arg(&root))?;
        }
        let port = free_port()?;
        let initdb = bin_dir.join("initdb");
        run(as_postgres(as_root, &initdb).arg("-D").arg(&data_dir).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]))?;
        let options = format!(
            // No `synchronous_commit=off`: an immediate stop would lose acknowledged commits.
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            root.display()
        );
        run(as_postgres(as_root, &bin_dir.join("pg_ctl"))
            .arg("-D")
            .arg(&data_dir)
            .args(["-w", "-l"])
            .arg(root.join("server.log"))
            .args(["start", "-o", &options]))?;
        start_watchdog(&bin_dir, &data_dir, &root, as_root);
        Ok(ThrowawayCluster {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            data_dir,
            bin_dir,
            options,
        })
    }

    /// Stops the server (fast shutdown), as a crash or an operator would.
    pub(crate) fn stop(&self) -> Result<(), String> {
        run(as_postgres(is_root(), &self.bin_dir.join("pg_ctl")).arg("-D").arg(&self.data_dir).args([
            "-w",
            "-m",
            "immediate",
            "stop",
        ]))
    }

    /// Starts the stopped server again on the same port.
    pub(crate) fn restart(&self) -> Result<(), String> {
        run(as_postgres(is_root(), &self.bin_dir.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-w", "-l"])
            .arg(self.data_dir.with_file_name("server.log"))
            .args(["start", "-o", &self.options]))
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.starts_with(b"0\n"))
}

fn as_postgres(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|error| format!("cannot run {command:?}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr)))
    }
}

/// Where `initdb` and `pg_ctl` are: on `PATH`, or in Debian's versioned directory.
fn postgres_bin_dir() -> Option<PathBuf> {
    let on_path =
        std::env::var_os("PATH").into_iter().flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>());
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin"));
    on_path.chain(debian).find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|error| format!("no free port: {error}"))?;
    listener.local_addr().map(|address| address.port()).map_err(|error| error.to_string())
}

/// A detached shell that waits for this process to exit, then stops the cluster and
/// removes its files, so no test run leaves a server behind.
fn start_watchdog(bin_dir: &Path, data_dir: &Path, root: &Path, as_root: bool) {
    let pg_ctl = bin_dir.join("pg_ctl");
    let stop = if as_root {
        format!("runuser -u postgres -- '{}' -D '{}' -m immediate stop", pg_ctl.display(), data_dir.display())
    } else {
        format!("'{}' -D '{}' -m immediate stop", pg_ctl.display(), data_dir.display())
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{root}'",
        pid = std::process::id(),
        root = root.display()
    );
    let _ = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
