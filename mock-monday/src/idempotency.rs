//! `Idempotency-Key` support (docs/monday-api.md §1.2): the first request's response is kept for 30
//! simulated minutes and replayed with `Idempotency-Replayed: true`; a duplicate that arrives
//! while the first is still in flight gets 409 `IDEMPOTENCY_CONFLICT`.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;

/// A response kept for replay.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

#[derive(Debug, Clone)]
struct Entry {
    completes_at: Duration,
    expires_at: Duration,
    response: StoredResponse,
}

/// The cache key of a request: its `Idempotency-Key` (trimmed; None when absent or blank) under
/// its `Authorization` value, so that one key sent with two tokens names two requests.
pub fn cache_key(idempotency_key: Option<&str>, authorization: Option<&str>) -> Option<String> {
    idempotency_key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| format!("{}\u{0}{k}", authorization.unwrap_or("")))
}

/// The headers a replay repeats from the kept response: its `x-` headers other than
/// `x-request-id`, followed by `Idempotency-Replayed: true`. `content-type`, `x-request-id` and
/// the rate-limit headers are the replay's own (the answer passes through `finish` once, which
/// sets one of each), so a strict HTTP client never sees a header twice.
pub fn replay_headers(kept: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = kept
        .into_iter()
        .filter(|(k, _)| k.starts_with("x-") && k != "x-request-id")
        .collect();
    headers.push(("idempotency-replayed".into(), "true".into()));
    headers
}

/// What the cache says about a key.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// Unknown or expired: execute.
    Miss,
    /// The first request is still in flight until this simulated instant.
    InFlight(Duration),
    /// Replay this response.
    Replay(StoredResponse),
}

/// Responses by key, expiring after `ttl` of simulated time.
#[derive(Debug, Clone)]
pub struct IdempotencyCache {
    ttl: Duration,
    entries: HashMap<String, Entry>,
    /// Prune expired entries when the map grows past this.
    prune_at: usize,
}

impl IdempotencyCache {
    /// A cache keeping responses for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: HashMap::new(),
            prune_at: 1024,
        }
    }

    /// Looks `key` up at `now`.
    pub fn lookup(&mut self, now: Duration, key: &str) -> Lookup {
        match self.entries.get(key) {
            Some(e) if e.expires_at <= now => {
                self.entries.remove(key);
                Lookup::Miss
            }
            Some(e) if e.completes_at > now => Lookup::InFlight(e.completes_at),
            Some(e) => Lookup::Replay(e.response.clone()),
            None => Lookup::Miss,
        }
    }

    /// Keeps `response` for `key`: in flight until `completes_at`, replayable until
    /// `now + ttl`.
    pub fn put(
        &mut self,
        now: Duration,
        key: String,
        completes_at: Duration,
        response: StoredResponse,
    ) {
        if self.entries.len() >= self.prune_at {
            self.entries.retain(|_, e| e.expires_at > now);
            self.prune_at = (self.entries.len() * 2).max(1024);
        }
        self.entries.insert(
            key,
            Entry {
                completes_at,
                expires_at: now + self.ttl,
                response,
            },
        );
    }

    /// Keys currently held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp() -> StoredResponse {
        StoredResponse {
            status: 200,
            headers: vec![],
            body: Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn conflict_while_in_flight_then_replay_then_expiry() {
        let s = Duration::from_secs;
        let mut c = IdempotencyCache::new(s(1800));
        assert!(matches!(c.lookup(s(0), "k"), Lookup::Miss));
        c.put(s(0), "k".into(), s(2), resp());
        assert!(matches!(c.lookup(s(1), "k"), Lookup::InFlight(t) if t == s(2)));
        assert!(matches!(c.lookup(s(2), "k"), Lookup::Replay(_)));
        assert!(matches!(c.lookup(s(1799), "k"), Lookup::Replay(_)));
        assert!(matches!(c.lookup(s(1800), "k"), Lookup::Miss));
        assert!(c.is_empty());
    }

    #[test]
    fn keys_are_per_token_and_blank_keys_are_none() {
        assert_eq!(cache_key(None, Some("t")), None);
        assert_eq!(cache_key(Some("  "), Some("t")), None);
        assert_eq!(cache_key(Some(" k "), Some("t")).unwrap(), "t\u{0}k");
        assert_eq!(cache_key(Some("k"), None).unwrap(), "\u{0}k");
        assert_ne!(
            cache_key(Some("k"), Some("a")),
            cache_key(Some("k"), Some("b"))
        );
    }

    #[test]
    fn a_replay_repeats_only_the_x_headers_finish_does_not_set() {
        let kept = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("ratelimit".to_string(), "r=1".to_string()),
            ("x-request-id".to_string(), "abc".to_string()),
            ("x-trace".to_string(), "t".to_string()),
        ];
        let names: Vec<String> = replay_headers(kept).into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["x-trace", "idempotency-replayed"]);
    }
}
