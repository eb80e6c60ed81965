//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use thread_engine::LoadOptions;

/// Thread: a live cross-file dependency graph for Rust, Python, TypeScript/JavaScript and Go.
#[derive(Debug, Parser)]
#[command(name = "thread-lsp", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// Serve LSP on stdin and stdout (the same as `serve`), as editors launch servers.
    #[arg(long)]
    pub(crate) stdio: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the file-level dependency graph of a directory as JSON or Graphviz DOT.
    Graph(GraphArgs),
    /// Index a directory and print a summary of what was found.
    Index(IndexArgs),
    /// Check the architecture rules of `thread.toml`: exit 0 when nothing new breaks
    /// them, 1 when something does, 2 when the rules or arguments cannot be used.
    Check(CheckArgs),
    /// List the files a change affects: the changed files (git's working tree against
    /// `--base`, or `--files`) and everything that depends on them.
    Affected(AffectedArgs),
    /// Serve the Language Server Protocol on stdin and stdout.
    Serve {
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
}

/// Which files to walk; shared by every command that reads a workspace.
#[derive(Debug, Args)]
pub(crate) struct WalkArgs {
    /// The workspace directory.
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
    /// Skip source files larger than this many bytes.
    #[arg(long, default_value_t = thread_engine::loader::DEFAULT_MAX_FILE_SIZE)]
    pub(crate) max_file_size: u64,
    /// Also skip directories with this name (repeatable). `target`, `node_modules`,
    /// `.venv`, `venv`, `vendor`, `__pycache__` and `.git` are always skipped.
    #[arg(long = "exclude", value_name = "DIR_NAME")]
    pub(crate) excluded_dirs: Vec<String>,
    /// Do not honour `.gitignore` and `.ignore` files.
    #[arg(long)]
    pub(crate) no_ignore: bool,
}

impl WalkArgs {
    pub(crate) fn load_options(&self) -> LoadOptions {
        let mut options = LoadOptions {
            max_file_size: self.max_file_size,
            respect_gitignore: !self.no_ignore,
            ..LoadOptions::default()
        };
        options.excluded_dirs.extend(self.excluded_dirs.iter().cloned());
        options
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// `{"files": [...], "edges": [...], "unresolved": [...]}`
    Json,
    /// Graphviz DOT: a cluster per directory, one node per external package.
    Dot,
    /// A Mermaid flowchart, for Markdown that renders it (GitHub, GitLab).
    Mermaid,
    /// One self-contained HTML page with an interactive graph: search, a file's
    /// neighbourhood, directories collapsed, cycles in red. Needs no network.
    Html,
}

/// How external packages appear in a drawn graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExternalNodes {
    /// One node per external package (`numpy`, `@scope/name`, `serde`).
    Package,
    /// None.
    None,
}

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Json)]
    pub(crate) format: GraphFormat,
    /// Only this file (workspace-relative) and the files within `--depth` imports of it,
    /// either way.
    #[arg(long, value_name = "FILE")]
    pub(crate) focus: Option<String>,
    /// How many imports away from `--focus` to go.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "focus")]
    pub(crate) depth: usize,
    /// External packages in DOT and Mermaid: one node each, or none.
    #[arg(long, value_enum, default_value_t = ExternalNodes::Package)]
    pub(crate) external: ExternalNodes,
}

/// Where the index is kept between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StoreKind {
    /// An embedded SQLite database per workspace, in the user's cache directory.
    Sqlite,
    /// Nothing kept: every run starts cold.
    Memory,
    /// A PostgreSQL database shared by a team or CI (`--database-url`).
    Postgres,
    /// A Cloudflare D1 database over its REST API (`--d1-account-id`, `--d1-database-id`,
    /// `CF_API_TOKEN`).
    D1,
}

/// Which store to use and where; shared by every command that keeps an index.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// Where the index is kept between runs.
    #[arg(long, value_enum, default_value_t = StoreKind::Sqlite)]
    pub(crate) store: StoreKind,
    /// The SQLite database file. Default: one per workspace under the cache directory.
    #[arg(long, value_name = "FILE")]
    pub(crate) database: Option<PathBuf>,
    /// The cache directory for per-workspace databases. Default: the user's cache
    /// directory (`$XDG_CACHE_HOME/thread` or `~/.cache/thread` on Linux).
    #[arg(long, env = "THREAD_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// The PostgreSQL database for `--store postgres`: `postgres://user:password@host:port/db`.
    /// Never printed: help does not show the variable's value, and messages name the
    /// server without the password.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// The name this workspace's rows have in a shared database. Default: the workspace's
    /// absolute path. Give every clone of a project the same name to share one index.
    #[arg(long, value_name = "NAME")]
    pub(crate) workspace_name: Option<String>,
    /// The Cloudflare account holding the D1 database, for `--store d1`.
    #[arg(long, env = "CLOUDFLARE_ACCOUNT_ID", value_name = "ID")]
    pub(crate) d1_account_id: Option<String>,
    /// The D1 database's id (a UUID), for `--store d1`. One database per workspace.
    #[arg(long, env = "THREAD_D1_DATABASE_ID", value_name = "ID")]
    pub(crate) d1_database_id: Option<String>,
    /// The API base for `--store d1`; point it at `thread-d1-emulator` to try D1 locally.
    #[arg(long, env = "THREAD_D1_API_URL", value_name = "URL", default_value = thread_storage::D1Config::CLOUDFLARE_API)]
    pub(crate) d1_api_url: String,
    /// The Cloudflare API token for `--store d1`, read from `CF_API_TOKEN` only, so it
    /// never appears in a process listing or shell history. Never printed.
    #[arg(skip = std::env::var("CF_API_TOKEN").ok())]
    pub(crate) d1_token: Option<String>,
    /// When the store cannot be used, index in memory instead of failing.
    #[arg(long)]
    pub(crate) fallback_memory: bool,
}

#[derive(Debug, Args)]
pub(crate) struct IndexArgs {
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Also list skipped files, warnings, unresolved workspace imports and cycles.
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CheckFormat {
    /// One line per violation, `path:line:column: message`, and a summary.
    Text,
    /// `{"violations": [...], "baselined": [...], "fixed": [...], "unmatched_ignores": [...]}`
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands: an annotation per violation.
    Github,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub(crate) format: CheckFormat,
    /// The rules file. Default: `thread.toml` in the workspace directory.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Record every current violation in the baseline file as known, and exit 0.
    #[arg(long)]
    pub(crate) update_baseline: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum AffectedFormat {
    /// One affected path per line on stdout; the counts on stderr.
    Text,
    /// `{"changed": [...], "affected": [...]}`
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct AffectedArgs {
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// The revision to compare the working tree with. Default: `HEAD`.
    #[arg(long, value_name = "REV")]
    pub(crate) base: Option<String>,
    /// The changed files, relative to the workspace directory, instead of asking git.
    /// A file that does not exist counts as deleted.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub(crate) files: Vec<PathBuf>,
    /// Keep only test files, by each language's conventions.
    #[arg(long)]
    pub(crate) tests: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
    pub(crate) format: AffectedFormat,
}
