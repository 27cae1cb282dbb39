//! A request replayed by its `Idempotency-Key`, read off the wire of `mock-monday serve`'s HTTP
//! face: strict HTTP clients reject a response that repeats a single-valued header, so the replay
//! must carry one `content-type`, one `x-request-id` and one of each rate-limit header, exactly
//! like the first answer, plus `idempotency-replayed: true`.

use std::sync::Arc;

use mock_monday::server::Server;
use mock_monday::{LatencyProfile, SimConfig, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One raw HTTP/1.1 POST; answers the response head's header lines, lower-cased names.
async fn raw_post(addr: std::net::SocketAddr, body: &str, key: &str) -> Vec<(String, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "POST /v2 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: t\r\nContent-Type: application/json\r\n\
         Idempotency-Key: {key}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

fn count(headers: &[(String, String)], name: &str) -> usize {
    headers.iter().filter(|(k, _)| k == name).count()
}

#[tokio::test]
async fn a_replayed_answer_has_one_of_each_header() {
    let config = SimConfig {
        profile: LatencyProfile::Instant,
        ..SimConfig::default()
    };
    let sim = Arc::new(Simulator::new(config).expect("simulator"));
    let server = Server::bind(sim.clone(), ([127, 0, 0, 1], 0).into(), false)
        .await
        .expect("bind");
    let addr = server.local_addr().expect("address");
    let serving = tokio::spawn(server.run_until(std::future::pending::<()>()));

    let body = r#"{"query":"mutation { a: create_item(board_id: 1234567890, item_name: \"Once\") { id } }"}"#;
    let first = raw_post(addr, body, "replay-1").await;
    let replay = raw_post(addr, body, "replay-1").await;
    serving.abort();

    assert_eq!(count(&replay, "idempotency-replayed"), 1, "{replay:?}");
    assert_eq!(sim.stats().idempotent_replays_total, 1);
    assert_eq!(sim.stats().items_created_total, 1);
    for name in [
        "content-type",
        "x-request-id",
        "api-version",
        "ratelimit",
        "ratelimit-policy",
    ] {
        assert_eq!(count(&first, name), 1, "first answer, {name}: {first:?}");
        assert_eq!(count(&replay, name), 1, "replay, {name}: {replay:?}");
    }
    let ct = |h: &[(String, String)]| {
        h.iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(ct(&replay), ct(&first), "a replay keeps the content type");
}
