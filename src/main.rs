//! `zoom-participants`: a webinar's participants as NDJSON or CSV, from Zoom or a demo.

mod cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::run().await
}
