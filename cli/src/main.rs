//! Wiring only: arguments, the operator's SDK configuration, and the exit code. The audit
//! itself is the library of this crate, where the tests can call it.

use clap::Parser;
use glue_encryption_audit::Args;
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    // Silent unless RUST_LOG asks (e.g. RUST_LOG=aws_config=debug), and then on stderr only, so
    // the report on stdout stays clean.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("off")),
        )
        .with_writer(std::io::stderr)
        .try_init();

    let args = Args::parse();
    let sdk = glue_encryption_audit::load_sdk_config(&args).await;
    let show_progress = args.progress || std::io::stderr().is_terminal();
    let code = glue_encryption_audit::run(
        &args,
        &sdk,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
        show_progress,
    )
    .await;
    ExitCode::from(code)
}
