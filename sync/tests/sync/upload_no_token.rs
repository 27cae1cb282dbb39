//! The bulk import's upload goes to the pre-signed URL with no token: a server that refuses any
//! `Authorization` header takes `HttpTransport`'s upload (`PUT`, `Content-Type: text/csv`, the
//! raw bytes) and its report download.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use monday_sync::http::HttpTransport;
use monday_sync::transport::{Transport, UrlMethod, UrlRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server saw of one request: method line, headers (lower-cased), body.
#[derive(Debug, Clone, Default)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Serves one request per connection: 400 when an `Authorization` header came, else 200 + ETag.
async fn strict_upload_host() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(vec![]));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![];
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
            let mut lines = head.split("\r\n");
            let request_line = lines.next().unwrap_or_default().to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < head_end + len {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let leaked = headers.iter().any(|(k, _)| k == "authorization");
            let resp: &[u8] = if leaked {
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\nconnection: close\r\n\r\ntoken leaked"
            } else {
                b"HTTP/1.1 200 OK\r\netag: \"abc\"\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            };
            log.lock().unwrap().push(Seen {
                request_line,
                headers,
                body: buf[head_end..].to_vec(),
            });
            let _ = sock.write_all(resp).await;
            let _ = sock.shutdown().await;
        }
    });
    (base, seen)
}

#[tokio::test]
async fn the_upload_and_the_report_download_carry_no_token() {
    let (base, seen) = strict_upload_host().await;
    let t = HttpTransport::new(&format!("{base}/v2")).unwrap();
    let csv = b"name,text_order_key\nPO 1,ORD-1\n".to_vec();
    let put = t
        .send_url(UrlRequest {
            method: UrlMethod::Put,
            url: format!("{base}/__upload/j1.csv?X-Amz-Signature=s"),
            body: bytes::Bytes::from(csv.clone()),
            timeout: Duration::from_secs(10),
        })
        .await
        .unwrap();
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    assert_eq!(put.header("etag"), Some("\"abc\""));
    let get = t
        .send_url(UrlRequest {
            method: UrlMethod::Get,
            url: format!("{base}/__report/j1.csv?X-Amz-Signature=s"),
            body: bytes::Bytes::new(),
            timeout: Duration::from_secs(10),
        })
        .await
        .unwrap();
    assert_eq!(get.status, 200);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].request_line,
        "PUT /__upload/j1.csv?X-Amz-Signature=s HTTP/1.1"
    );
    let header = |s: &Seen, k: &str| {
        s.headers
            .iter()
            .find(|(h, _)| h == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header(&seen[0], "content-type").as_deref(),
        Some("text/csv")
    );
    assert_eq!(seen[0].body, csv);
    assert!(seen[1].request_line.starts_with("GET /__report/j1.csv"));
    assert!(seen.iter().all(|s| header(s, "authorization").is_none()));
}
