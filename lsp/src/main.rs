//! `thread-lsp`: Thread's language server and command-line interface.
//!
//! This is the binary edge: it parses arguments, sets up logging on stderr (stdout is
//! reserved for output and, in server mode, for the LSP stream) and turns errors into
//! messages and exit codes.

mod affected;
mod baseline;
mod check;
mod cli;
mod git_changes;
mod graph_output;
mod indexing;
mod server;
mod store_choice;
mod summary;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    init_logging();
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            // A closed pipe (`thread-lsp graph . | head`) is not an error worth reporting.
            if error.chain().any(|cause| {
                cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // Printed once, here; not logged as well.
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            // 1 is reserved for findings (`check`): an error is a usage or setup problem.
            ExitCode::from(2)
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(cli::Command::Graph(arguments)) => graph_output::run(&arguments),
        Some(cli::Command::Index(arguments)) => summary::run(&arguments),
        Some(cli::Command::Check(arguments)) => check::run(&arguments),
        Some(cli::Command::Affected(arguments)) => affected::run(&arguments),
        Some(cli::Command::Serve { .. }) => server::run(),
        None if cli.stdio => server::run(),
        None => {
            use clap::CommandFactory;
            cli::Cli::command().print_help()?;
            Ok(ExitCode::from(2))
        }
    }
}

/// Logs go to stderr, filtered by `THREAD_LOG` (e.g. `THREAD_LOG=debug`), warnings by default.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("THREAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
}
