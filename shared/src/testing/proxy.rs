//! A TCP proxy a test can cut and restore, to make a server unreachable for one app only
//! (stopping the shared PostgreSQL would break every other test running at the same time).

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Clone)]
pub struct TcpProxy {
    pub port: u16,
    open: Arc<watch::Sender<bool>>,
}

impl TcpProxy {
    /// Forwards 127.0.0.1:`port` to `target` until the test's runtime ends.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (open, _) = watch::channel(true);
        let open = Arc::new(open);
        let state = open.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut watcher = state.subscribe();
                if !*watcher.borrow() {
                    drop(client); // cut: refuse by closing at once
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        // Cutting closes every live connection too.
                        _ = watcher.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Ok(Self { port, open })
    }

    /// Closes every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.send_replace(true);
    }
}
