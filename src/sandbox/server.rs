//! The sandbox's own accept loop. It serves each connection with hyper and can drop one on a
//! handler's request, which `axum::serve` cannot: account 23 needs a connection that closes
//! without an answer after the payout executed.

use std::sync::Arc;

use axum::{Extension, Router};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

/// Put in every request's extensions: lets the handler close the connection it came on.
#[derive(Clone)]
pub(crate) struct DropConnection(Arc<Notify>);

impl DropConnection {
    /// Closes the connection at once, whatever its requests are doing.
    pub fn now(&self) {
        self.0.notify_one();
    }
}

/// Accepts until `stop` says so (or its sender is gone), one task per connection.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Router,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    tokio::spawn(serve(stream, app.clone(), stop.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(target: "payout_console::sandbox", error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
    }
    tracing::info!(target: "payout_console::sandbox", "sandbox stopped");
}

async fn serve(stream: TcpStream, app: Router, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let notify = Arc::new(Notify::new());
    let app = app.layer(Extension(DropConnection(notify.clone())));
    let builder = Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(target: "payout_console::sandbox", error = %e, "connection ended with an error");
            }
        }
        () = notify.notified() => {
            tracing::debug!(target: "payout_console::sandbox", "connection dropped on purpose");
        }
        _ = wait_for_stop(&mut stop) => {}
    }
}

async fn wait_for_stop(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}
