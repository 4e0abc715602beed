//! The `chatix-server` binary: parse flags, log, run until Ctrl-C or SIGTERM.

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = chatix_server::Config::parse();
    let filter = EnvFilter::try_from_env("CHATIX_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // The socket library logs every frame's payload at `trace` (an `auth` frame's token,
    // every message's text): never, whatever CHATIX_LOG asks for. Tokens, secrets and
    // message contents are not logged by the server itself either (the HTTP span has the
    // path only).
    let filter = filter.add_directive(
        "tungstenite=debug"
            .parse()
            .map_err(|e| anyhow::anyhow!("log filter: {e}"))?,
    );
    if config.log_json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let running = chatix_server::start(config.clone()).await?;
    let url = format!("http://{}", running.addr);
    println!("Chatix is running at {url}");
    println!("  demo page        {url}/");
    println!("  consultant       {url}/console/");
    println!("  storage          {}", running.state.store.backend());
    if let Some(d) = &running.demo {
        println!("  demo website id  {}", d.website_id);
        println!("  demo secret key  {}   (backends only)", d.secret_key);
        println!(
            "  demo consultant  {} / {}",
            d.consultant_username, d.consultant_password
        );
    }
    let trigger = running.trigger();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: closing sockets, finishing in-flight requests");
        trigger.cancel();
    });
    running.wait().await?;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
