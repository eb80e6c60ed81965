//! `thread-d1-emulator`: serves D1's REST API locally, for trying `--store d1` without a
//! Cloudflare account and for the tests' reproductions by hand.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use thread_d1_emulator::{EmulatorOptions, RateLimit};

/// A local stand-in for Cloudflare D1's REST API.
#[derive(Debug, Parser)]
#[command(version)]
struct Arguments {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// The bearer token clients must send; any is accepted when absent.
    #[arg(long, env = "CF_API_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Keep each database in a file here instead of in memory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Milliseconds added to every request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Enforce Cloudflare's API rate limit (1,200 requests per 5 minutes).
    #[arg(long)]
    rate_limit: bool,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let arguments = Arguments::parse();
    let options = EmulatorOptions {
        token: arguments.token,
        data_dir: arguments.data_dir,
        latency: Duration::from_millis(arguments.latency_ms),
        rate_limit: arguments.rate_limit.then_some(RateLimit::CLOUDFLARE),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let emulator = match thread_d1_emulator::start(options, arguments.listen).await {
            Ok(emulator) => emulator,
            Err(error) => {
                tracing::error!("{error}");
                return std::process::ExitCode::FAILURE;
            }
        };
        tracing::info!(api_base = %emulator.api_base(), "serving D1's REST API; Ctrl-C stops");
        let _ = tokio::signal::ctrl_c().await;
        std::process::ExitCode::SUCCESS
    })
}
