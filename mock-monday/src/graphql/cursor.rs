//! Opaque, deterministic page cursors: base64url of a small JSON record (board, group, filter,
//! offset, when the first page was asked for). Stateless, so the store keeps no cursor table; the
//! same request gives the same cursor. A cursor is valid for [`CURSOR_TTL`] after the initial
//! request (developer.monday.com items_page docs), then refused as expired.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::query::Filter;
use crate::store::ApiError;

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CursorState {
    /// Board id.
    pub b: String,
    /// Group id (for `Group.items_page`).
    pub g: Option<String>,
    pub f: Filter,
    /// Offset of the next item.
    pub o: usize,
    /// Simulated second of the initial request (the first page).
    pub t: u64,
}

/// How long cursors stay valid after the initial request.
pub(crate) const CURSOR_TTL: Duration = Duration::from_secs(60 * 60);

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let vals: Vec<u32> = text
        .bytes()
        .map(|c| ALPHABET.iter().position(|a| *a == c).map(|p| p as u32))
        .collect::<Option<_>>()?;
    for chunk in vals.chunks(4) {
        if chunk.len() < 2 {
            return None;
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, v)| acc | (v << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push(((n >> (16 - 8 * i)) & 255) as u8);
        }
    }
    Some(out)
}

impl CursorState {
    /// The opaque cursor string.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("MM{}", b64_encode(&json))
    }

    /// Parses a cursor made by [`CursorState::encode`]; refuses it once [`CURSOR_TTL`] has
    /// passed since its initial request (`now` is simulated time).
    pub fn decode(cursor: &str, now: Duration) -> Result<Self, ApiError> {
        let bad = || ApiError::Cursor(format!("Invalid cursor: {cursor}"));
        let body = cursor.trim().strip_prefix("MM").ok_or_else(bad)?;
        let bytes = b64_decode(body).ok_or_else(bad)?;
        let state: Self = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if now.saturating_sub(Duration::from_secs(state.t)) >= CURSOR_TTL {
            return Err(ApiError::CursorExpired);
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_rejects_garbage() {
        for o in [0usize, 1, 25, 499, 10_000] {
            let c = CursorState {
                b: "1234567890".into(),
                g: Some("topics".into()),
                f: Filter::Params(
                    json!({"rules": [{"column_id": "status", "compare_value": [1]}]}),
                ),
                o,
                t: 100,
            };
            assert_eq!(
                CursorState::decode(&c.encode(), Duration::from_secs(100)).unwrap(),
                c
            );
        }
        let now = Duration::ZERO;
        assert!(CursorState::decode("nope", now).is_err());
        assert!(CursorState::decode("MM!!", now).is_err());
        assert!(CursorState::decode("MMQQ", now).is_err());
    }

    #[test]
    fn cursors_expire_an_hour_after_the_initial_request() {
        let c = CursorState {
            b: "1".into(),
            g: None,
            f: Filter::All,
            o: 25,
            t: 10,
        }
        .encode();
        assert!(CursorState::decode(&c, Duration::from_secs(10 + 3599)).is_ok());
        assert_eq!(
            CursorState::decode(&c, Duration::from_secs(10 + 3600)),
            Err(ApiError::CursorExpired)
        );
    }
}
