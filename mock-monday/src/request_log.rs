//! The server-side request log: one entry per request the core answered (`GET /__admin/requests`).
//!
//! Field names match monday-sync's client-side `--request-log` where they mean the same thing
//! (`t_ms`, `kind`, `aliases`, `request_bytes`, `status`, `latency_ms`, `complexity`,
//! `throttled`), so the same tools (`monday-perf calibrate`, `monday-perf run --client-cmd`) read
//! both. Server-only fields: `seq`, `root_fields`, `boards`, `locked`, `idempotency_key`,
//! `replay`, `items_created`, `body_hash`, `write_identity`. There is no `attempt`: the server cannot know it (retries show up as
//! the same `idempotency_key` or the same `body_hash` again). `write_identity` says which
//! mutations carry the same values without trusting the key or the exact bytes (see
//! [`write_identity`]): two attempts of one write have the same identity even when a client
//! rebuilt the body with another key, other alias names or another order.
//!
//! Memory is bounded: a ring of at most `capacity` entries (oldest dropped first, counted in
//! [`RequestLog::dropped`]); capacity 0 turns the log off. `seq` numbers entries from 0 since the
//! start (or the last reset) and keeps counting past dropped entries, so `?since=N` works as a
//! tail: it returns the entries with `seq >= N` still held.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a request did, derived from its root fields (the same kinds as monday-sync's log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// `boards`, `items` reads.
    BoardRead,
    /// `create_group` mutations.
    CreateGroups,
    /// `create_item` / `create_subitem` mutations.
    Create,
    /// `change_multiple_column_values`, `change_column_value`, `change_simple_column_value`.
    Update,
    /// `items_page_by_column_values` / `next_items_page` look-ups.
    Reconcile,
    /// `update_status_column` / `update_dropdown_column`: labels added to a column (a client
    /// does this before a bulk import, which never creates labels).
    Labels,
    /// `ingest_items` / `backfill_items`: a bulk-import job start.
    IngestStart,
    /// `fetch_job_status`: a bulk-import poll.
    JobPoll,
    /// A CSV `PUT` to a job's `upload_url`.
    Upload,
    /// A `GET` of a job's `report_url`.
    ReportDownload,
    /// Anything else: `complexity`-only queries, other fields, requests refused before their
    /// body was read (rate limits, auth), the schema endpoint.
    Other,
}

impl RequestKind {
    /// Classifies a request by its root field names (not aliases). Writes win over reads.
    pub fn of_root_fields<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut kind = Self::Other;
        for name in names {
            let k = match name {
                "create_item" | "create_subitem" => Self::Create,
                "change_multiple_column_values"
                | "change_column_value"
                | "change_simple_column_value" => Self::Update,
                "create_group" => Self::CreateGroups,
                "update_status_column" | "update_dropdown_column" => Self::Labels,
                "items_page_by_column_values" | "next_items_page" => Self::Reconcile,
                "boards" | "items" => Self::BoardRead,
                "ingest_items" | "backfill_items" => Self::IngestStart,
                "fetch_job_status" => Self::JobPoll,
                _ => Self::Other,
            };
            if k.rank() > kind.rank() {
                kind = k;
            }
        }
        kind
    }

    fn rank(self) -> u8 {
        match self {
            Self::Other | Self::Upload | Self::ReportDownload => 0,
            Self::JobPoll => 1,
            Self::BoardRead => 2,
            Self::Reconcile => 3,
            Self::CreateGroups => 4,
            Self::Labels => 5,
            Self::Update => 6,
            Self::Create => 7,
            Self::IngestStart => 8,
        }
    }

    /// The name written in the log.
    pub fn name(self) -> &'static str {
        match self {
            Self::BoardRead => "board_read",
            Self::CreateGroups => "create_groups",
            Self::Create => "create",
            Self::Update => "update",
            Self::Reconcile => "reconcile",
            Self::Labels => "labels",
            Self::IngestStart => "ingest_start",
            Self::JobPoll => "job_poll",
            Self::Upload => "upload",
            Self::ReportDownload => "report_download",
            Self::Other => "other",
        }
    }
}

/// Root fields that are not work (they never count as aliases).
const META_FIELDS: &[&str] = &["complexity", "version", "versions", "__typename"];

/// Facts the pipeline learns about a request while answering it.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// Root field names (not aliases), in document order; empty when refused before parsing.
    pub root_fields: Vec<String>,
    /// Boards the request writes.
    pub boards: Vec<String>,
    /// Complexity charged to the budget.
    pub complexity: u64,
    /// Items (and subitems) the request created.
    pub items_created: u64,
    /// The throttling code (429 answers).
    pub throttled: Option<&'static str>,
    /// Refused by a board write lock (423).
    pub locked: bool,
    /// Answered from the idempotency cache.
    pub replay: bool,
    /// The kind when the path decides it (uploads, report downloads); None: from the root
    /// fields.
    pub kind: Option<RequestKind>,
    /// Which endpoint answered (`graphql`, `upload`, `report_download`, `schema`, `other`);
    /// None: `graphql`.
    pub endpoint: Option<&'static str>,
    /// Uploads only: whether an `Authorization` header came with the request (a client must
    /// never send its API token to the upload host).
    pub authorization_present: Option<bool>,
}

/// What the NDJSON log adds to a [`RequestLogEntry`] (kept apart so the entry's fields stay
/// as they were).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryExtra {
    /// `graphql`, `upload`, `report_download`, `schema` or `other` (404s and bad methods).
    pub endpoint: &'static str,
    /// Uploads only: whether an `Authorization` header came with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_present: Option<bool>,
}

/// One NDJSON line: the entry and its extra fields.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    entry: &'a RequestLogEntry,
    #[serde(flatten)]
    extra: &'a EntryExtra,
}

/// One answered request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLogEntry {
    /// Position in the log since the start (or the last reset).
    pub seq: u64,
    /// Arrival, simulated milliseconds since the simulator started.
    pub t_ms: f64,
    pub kind: RequestKind,
    /// Root fields other than `complexity`/`version(s)` (aliased mutations in a batch).
    pub aliases: u32,
    pub request_bytes: u64,
    /// HTTP status; null when the connection was dropped (the `reset` fault).
    pub status: Option<u16>,
    /// Simulated time from arrival to the response.
    pub latency_ms: f64,
    /// Complexity charged (0 for refused requests and replays).
    pub complexity: u64,
    /// Items (and subitems) this request created (0 for refused requests and replays).
    pub items_created: u64,
    /// Throttling code of a 429 (`COMPLEXITY_BUDGET_EXHAUSTED`, `RATE_LIMIT_EXCEEDED`, ...).
    pub throttled: Option<String>,
    /// Refused with 423 by a board write lock.
    pub locked: bool,
    pub root_fields: Vec<String>,
    pub boards: Vec<String>,
    pub idempotency_key: Option<String>,
    /// Answered from the idempotency cache.
    pub replay: bool,
    /// A hash of the request body (hex): the same body sent again has the same hash.
    pub body_hash: String,
    /// Mutations only: a hash of the values the mutation carries ([`write_identity`]); the
    /// same write sent again has the same identity whatever its key, alias names or order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_identity: Option<String>,
}

/// The identity of a mutation request (None for anything else): a hash of the sorted scalar
/// values of its `variables` (item names, groups, column values, board ids), or, for a
/// mutation without variables, of its query text with whitespace removed. Alias names, key and
/// order do not enter it, so a retry rebuilt with a fresh `Idempotency-Key`, renamed aliases or
/// records in another order is still recognised as the same write; a batch split in halves or
/// a record added is another write.
pub fn write_identity(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let query = v.get("query")?.as_str()?;
    if !query.trim_start().starts_with("mutation") {
        return None;
    }
    let mut leaves = Vec::new();
    if let Some(vars) = v.get("variables") {
        scalar_leaves(vars, &mut leaves);
    }
    if leaves.is_empty() {
        leaves.push(query.split_whitespace().collect::<String>());
    }
    leaves.sort_unstable();
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    leaves.hash(&mut h);
    Some(format!("{:016x}", h.finish()))
}

fn scalar_leaves(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => m.values().for_each(|x| scalar_leaves(x, out)),
        serde_json::Value::Array(a) => a.iter().for_each(|x| scalar_leaves(x, out)),
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push(s.clone()),
        other => out.push(other.to_string()),
    }
}

/// A hash of a request body, stable across runs (SipHash with fixed keys).
pub fn body_hash(body: &[u8]) -> String {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    body.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1_000.0
}

/// What the core passes in for one answered request.
#[derive(Debug)]
pub struct Answered<'a> {
    pub arrival: Duration,
    pub latency: Duration,
    pub status: Option<u16>,
    pub body: &'a [u8],
    pub idempotency_key: Option<&'a str>,
    pub facts: RequestFacts,
}

/// The bounded log.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    capacity: usize,
    entries: VecDeque<(RequestLogEntry, EntryExtra)>,
    next_seq: u64,
    dropped: u64,
}

impl RequestLog {
    /// A log keeping at most `capacity` entries (0: off).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: VecDeque::with_capacity(capacity.min(4_096)),
            next_seq: 0,
            dropped: 0,
        }
    }

    /// Whether entries are kept.
    pub fn is_on(&self) -> bool {
        self.capacity > 0
    }

    /// Appends one answered request (nothing when off).
    pub fn push(&mut self, a: Answered<'_>) {
        if !self.is_on() {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        let facts = a.facts;
        let aliases = facts
            .root_fields
            .iter()
            .filter(|n| !META_FIELDS.contains(&n.as_str()))
            .count() as u32;
        let extra = EntryExtra {
            endpoint: facts.endpoint.unwrap_or("graphql"),
            authorization_present: facts.authorization_present,
        };
        let kind = facts.kind.unwrap_or_else(|| {
            RequestKind::of_root_fields(facts.root_fields.iter().map(String::as_str))
        });
        let entry = RequestLogEntry {
            seq: self.next_seq,
            t_ms: millis(a.arrival),
            kind,
            aliases,
            request_bytes: a.body.len() as u64,
            status: a.status,
            latency_ms: millis(a.latency),
            complexity: facts.complexity,
            items_created: facts.items_created,
            throttled: facts.throttled.map(str::to_string),
            locked: facts.locked,
            root_fields: facts.root_fields,
            boards: facts.boards,
            idempotency_key: a.idempotency_key.map(str::to_string),
            replay: facts.replay,
            body_hash: body_hash(a.body),
            write_identity: write_identity(a.body),
        };
        self.next_seq += 1;
        self.entries.push_back((entry, extra));
    }

    /// Entries with `seq >= since` still held, oldest first.
    pub fn since(&self, since: u64) -> impl Iterator<Item = &RequestLogEntry> {
        self.since_with_extra(since).map(|(e, _)| e)
    }

    /// Entries with `seq >= since` and what the NDJSON log adds to each.
    pub fn since_with_extra(
        &self,
        since: u64,
    ) -> impl Iterator<Item = &(RequestLogEntry, EntryExtra)> {
        let first = self.entries.front().map_or(0, |(e, _)| e.seq);
        let skip = since.saturating_sub(first) as usize;
        self.entries.iter().skip(skip)
    }

    /// Entries dropped because the ring was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The entries as NDJSON (one JSON object per line) from `since` on.
    pub fn ndjson(&self, since: u64) -> Vec<u8> {
        let mut out = Vec::new();
        for (entry, extra) in self.since_with_extra(since) {
            if serde_json::to_writer(&mut out, &Line { entry, extra }).is_ok() {
                out.push(b'\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(fields: &[&str], body: &'static [u8]) -> Answered<'static> {
        Answered {
            arrival: Duration::from_millis(1500),
            latency: Duration::from_micros(250_500),
            status: Some(200),
            body,
            idempotency_key: Some("k1"),
            facts: RequestFacts {
                root_fields: fields.iter().map(|s| s.to_string()).collect(),
                ..RequestFacts::default()
            },
        }
    }

    #[test]
    fn kinds_follow_the_root_fields() {
        let k = |f: &[&str]| RequestKind::of_root_fields(f.iter().copied());
        assert_eq!(
            k(&["create_item", "create_item", "complexity"]),
            RequestKind::Create
        );
        assert_eq!(k(&["boards"]), RequestKind::BoardRead);
        assert_eq!(k(&["create_group"]), RequestKind::CreateGroups);
        assert_eq!(k(&["change_multiple_column_values"]), RequestKind::Update);
        assert_eq!(k(&["next_items_page"]), RequestKind::Reconcile);
        assert_eq!(k(&["update_dropdown_column"]), RequestKind::Labels);
        assert_eq!(k(&["update_status_column", "boards"]), RequestKind::Labels);
        assert_eq!(RequestKind::Labels.name(), "labels");
        assert_eq!(k(&["complexity"]), RequestKind::Other);
        assert_eq!(k(&[]), RequestKind::Other);
    }

    #[test]
    fn ring_drops_the_oldest_and_since_tails() {
        let mut log = RequestLog::new(3);
        for _ in 0..5 {
            log.push(answered(
                &["create_item", "create_item", "complexity"],
                b"{}",
            ));
        }
        assert_eq!(log.dropped(), 2);
        let seqs: Vec<u64> = log.since(0).map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 3, 4]);
        let seqs: Vec<u64> = log.since(4).map(|e| e.seq).collect();
        assert_eq!(seqs, [4]);
        assert_eq!(log.since(9).count(), 0);
        let e = log.since(0).next().unwrap();
        assert_eq!(
            (e.aliases, e.kind, e.t_ms, e.latency_ms),
            (2, RequestKind::Create, 1500.0, 250.5)
        );
        let text = String::from_utf8(log.ndjson(3)).unwrap();
        assert_eq!(text.lines().count(), 2);
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v["kind"], "create");
        assert_eq!(v["idempotency_key"], "k1");
        assert!(v["throttled"].is_null());
    }

    #[test]
    fn off_keeps_nothing_and_same_body_same_hash() {
        let mut log = RequestLog::new(0);
        log.push(answered(&["boards"], b"{}"));
        assert_eq!(log.since(0).count(), 0);
        assert_eq!(body_hash(b"abc"), body_hash(b"abc"));
        // A write rebuilt with other aliases, in another order, is the same write; a query is
        // no write; another value is another write.
        let a = br#"{"query":"mutation ($n0: String!, $n1: String!) { c0: create_item(item_name: $n0) { id } c1: create_item(item_name: $n1) { id } }","variables":{"n0":"A","n1":"B","b":"1"}}"#;
        let b = br#"{"query":"mutation ($x: String!, $y: String!) { y: create_item(item_name: $y) { id } x: create_item(item_name: $x) { id } }","variables":{"b":"1","x":"B","y":"A"}}"#;
        let c = br#"{"query":"mutation ($n0: String!) { c0: create_item(item_name: $n0) { id } }","variables":{"n0":"A","b":"1"}}"#;
        assert!(write_identity(a).is_some());
        assert_eq!(write_identity(a), write_identity(b));
        assert_ne!(write_identity(a), write_identity(c));
        assert_eq!(
            write_identity(br#"{"query":"query { boards { id } }"}"#),
            None
        );
        assert_eq!(write_identity(b"not json"), None);
        assert_ne!(body_hash(b"abc"), body_hash(b"abd"));
    }
}
