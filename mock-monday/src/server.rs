//! The standalone face (`mock-monday serve`): the same [`Simulator`] core served with hyper.
//!
//! hyper rather than wiremock because the standalone server must (1) truly drop a connection
//! for the `reset` fault (the service returns an error and hyper closes the socket without a
//! response), (2) know the peer address for the IP limit, (3) cap body size while reading
//! (one byte past the core's limit, so the core's 413 never needs a huge body buffered), and (4) hold thousands of idle connections
//! cheaply (one small task each). The adapter only converts and sleeps the scaled delay.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::core::{CoreRequest, CoreResponse, Delivery, Simulator};

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A non-loopback address without `allow_remote`.
    #[error("refusing to listen on non-loopback address {0}: the simulator accepts any token by default; pass --allow-remote to expose it")]
    NotLoopback(SocketAddr),
    /// Binding failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Accepting failed.
    #[error("accept failed: {0}")]
    Accept(std::io::Error),
}

/// The connection is dropped without a response (the `reset` fault).
#[derive(Debug, thiserror::Error)]
#[error("connection reset by mock-monday (fault)")]
struct ResetConnection;

/// A bound, not yet serving, standalone server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    sim: Arc<Simulator>,
}

impl Server {
    /// Binds `addr` (port 0 = any free port). Non-loopback addresses need `allow_remote`.
    pub async fn bind(
        sim: Arc<Simulator>,
        addr: SocketAddr,
        allow_remote: bool,
    ) -> Result<Self, ServeError> {
        if !addr.ip().is_loopback() && !allow_remote {
            return Err(ServeError::NotLoopback(addr));
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        if let Ok(bound) = listener.local_addr() {
            // The base of the bulk import's upload and report URLs.
            sim.set_base_url(format!("http://{bound}"));
        }
        Ok(Self { listener, sim })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(ServeError::Accept)
    }

    /// `http://HOST:PORT/v2`.
    pub fn url(&self) -> Result<String, ServeError> {
        Ok(format!("http://{}/v2", self.local_addr()?))
    }

    /// Serves until `shutdown` completes.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                _ = &mut shutdown => return Ok(()),
                a = self.listener.accept() => a,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: keep serving the others.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let sim = self.sim.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| serve_one(sim.clone(), peer, req));
                if let Err(e) = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(error = %e, %peer, "connection ended");
                }
            });
        }
    }

    /// Serves forever.
    pub async fn run(self) -> Result<(), ServeError> {
        self.run_until(std::future::pending()).await
    }
}

fn to_hyper(resp: CoreResponse) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder.body(Full::new(resp.body)).unwrap_or_else(|_| {
        let mut r = Response::new(Full::new(Bytes::from_static(
            b"{\"errors\":[{\"message\":\"bad response\"}]}",
        )));
        *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Reads at most `limit + 1` bytes of `body`: enough for the core to see that a body is over
/// its limit ([`Simulator::body_limit`]), without buffering the rest. `None` when the
/// connection failed while reading.
async fn read_capped(mut body: Incoming, limit: usize) -> Option<Bytes> {
    let cap = limit.saturating_add(1);
    let mut read = BytesMut::new();
    while read.len() < cap {
        let Some(frame) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame.ok()?.into_data() {
            let room = cap - read.len();
            read.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Some(read.freeze())
}

async fn serve_one(
    sim: Arc<Simulator>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ResetConnection> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or_else(
        || parts.uri.path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    let method = parts.method.as_str().to_string();
    let authorization = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(resp) = crate::admin::handle(&sim, &method, &path, authorization) {
        return Ok(to_hyper(resp));
    }
    // The core decides what is too large (413, or an upload's FILE_TOO_LARGE); the read stops
    // one byte past its limit so that a huge body is never buffered.
    let Some(body) = read_capped(body, sim.body_limit(&path)).await else {
        return Err(ResetConnection);
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let resp = sim.handle(CoreRequest {
        method,
        path,
        headers,
        body,
        client_ip: Some(peer.ip().to_string()),
    });
    tokio::time::sleep(sim.clock().to_wall(resp.delay)).await;
    match resp.delivery {
        Delivery::Respond => Ok(to_hyper(resp)),
        Delivery::Reset => Err(ResetConnection),
    }
}
