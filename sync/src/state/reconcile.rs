//! Reconciliation: finding items by source key with `boards { items_page(query_params: { rules:
//! [{ column_id, compare_value: [keys], operator: any_of }] }) }` (paginated with
//! `next_items_page`; [`KEYS_PER_QUERY`] gives its cost), and what the findings mean. Used after
//! a bulk-import job to learn the ids of the items it created, at start-up for records left
//! `pending` by a crash ([`resolve_pending`]), at the end of a run for ambiguous outcomes
//! ([`confirmed_item`]), and before creates when the state store was lost
//! ([`crate::planning::verify`]).

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use crate::api::client::ApiClient;
use crate::api::payload::{query_body, Op};
use crate::error::SyncError;
use crate::observer::RequestKind;
use crate::state::PendingRow;

/// Creates left pending by an earlier run, against what the board holds: `(done, cleared)`:
/// `(key, item id, content hash)` rows for the records found (the oldest item when several carry
/// the key), and the keys of those not found (their pending mark goes; the run sends them).
#[allow(clippy::type_complexity)]
pub(crate) fn resolve_pending(
    creates: &[PendingRow],
    found: &HashMap<String, Vec<String>>,
) -> (Vec<(String, String, String)>, Vec<String>) {
    let mut done = vec![];
    let mut cleared = vec![];
    for p in creates {
        match found.get(&p.key).and_then(|ids| ids.first()) {
            Some(id) => {
                if found[&p.key].len() > 1 {
                    tracing::warn!(key = %p.key, items = found[&p.key].len(), "several items carry this key; keeping the oldest");
                }
                done.push((
                    p.key.clone(),
                    id.clone(),
                    p.pending_hash.clone().unwrap_or_default(),
                ));
            }
            None => cleared.push(p.key.clone()),
        }
    }
    (done, cleared)
}

/// The item a create with an unknown outcome made, if the board shows one for `key`. An update
/// with an unknown outcome is never confirmed this way (the item existed before).
pub(crate) fn confirmed_item(
    found: &HashMap<String, Vec<String>>,
    key: &str,
    op: &Op,
) -> Option<String> {
    match op {
        Op::Create { .. } => found.get(key).and_then(|ids| ids.first()).cloned(),
        Op::Update { .. } => None,
    }
}

/// Keys per lookup query (and the most items its first page asks for).
///
/// Cost model (the simulator's rules, after the published weights
/// <https://community.monday.com/t/complexity-field-weights/17444>: object 10, scalar 1, times
/// the sizes of the lists above; `boards(ids: [b])` is a list of one, `items` is sized by the
/// page's `limit`, `column_values(ids: [key])` by its one id). A query of `k` keys asks for a page
/// of `limit = k` and costs `21 + 22·k`: `boards` 10 + `items_page` 10 + `cursor` 1, plus per
/// item `items` 10 + `id` 1 + `column_values` 10 + `text` 1. A further page
/// (`next_items_page`, only when keys match more items than were asked for: duplicates, or
/// items whose key differs only in case) costs `11 + 22·limit`. So 100 keys cost 2,221, where
/// `items_page_by_column_values` (a fixed 100,000 plus a 500-item page) cost 111,501.
/// [`lookup_complexity`] sums it for the planner, which also counts one lookup request per
/// `KEYS_PER_QUERY` keys (`planning::paths`). The fixed part is so small that more keys per query
/// (up to the 500 a page holds) would save requests, not complexity.
pub(crate) const KEYS_PER_QUERY: usize = 100;
/// Most pages followed for one look-up (more than any board holds).
pub(crate) const MAX_PAGES: u64 = 10_000;
/// Largest page the API serves (`items_page` / `next_items_page` `limit`, at most 500).
pub(crate) const PAGE_LIMIT: u64 = 500;

/// Complexity of the first page's fixed part (`boards` and `items_page` objects, `cursor`). See
/// [`KEYS_PER_QUERY`].
const FIRST_PAGE_FIXED: u64 = 21;
/// Complexity per item a page asks for (its `limit`). See [`KEYS_PER_QUERY`].
const PER_ITEM: u64 = 22;

/// The complexity the simulator charges for looking up `keys` keys with [`find_items_by_key`],
/// all queries summed, when each key matches at most one item (no further pages): one query per
/// [`KEYS_PER_QUERY`] keys, each `21 + 22·k` for its `k` keys, i.e.
/// `22·keys + 21·⌈keys / KEYS_PER_QUERY⌉`.
pub(crate) fn lookup_complexity(keys: usize) -> u64 {
    let queries = keys.div_ceil(KEYS_PER_QUERY) as u64;
    PER_ITEM * keys as u64 + FIRST_PAGE_FIXED * queries
}

/// The items whose key column is any of `$values` (`any_of` on a text column compares the whole
/// text: https://developer.monday.com/api-reference/docs/text). The sync's key column is always a
/// text column (`check_mapping` refuses another type before any lookup), so one query serves
/// every board. The server may match case-insensitively (the simulator does); the caller keeps
/// exact matches only.
const FIRST: &str = "query ($b: [ID!], $key: ID!, $values: CompareValue!, $l: Int!, $ids: [String!]) { boards(ids: $b) { items_page(limit: $l, query_params: { rules: [{ column_id: $key, compare_value: $values, operator: any_of }] }) { cursor items { id column_values(ids: $ids) { text } } } } }";
const NEXT: &str = "query ($c: String!, $l: Int!, $ids: [String!]) { next_items_page(cursor: $c, limit: $l) { cursor items { id column_values(ids: $ids) { text } } } }";

/// The first page of a lookup: `boards[0].items_page`; a board the answer does not show is an
/// error (the old root field answered `InvalidBoardIdException`; finding nothing would clear
/// pending marks and re-create items).
fn first_page(data: &Value, board_id: &str) -> Result<Value, SyncError> {
    data.get("boards")
        .and_then(Value::as_array)
        .and_then(|boards| boards.first())
        .filter(|b| !b.is_null())
        .map(|b| b.get("items_page").cloned().unwrap_or(Value::Null))
        .ok_or_else(|| SyncError::BoardNotFound {
            board_id: board_id.to_string(),
        })
}

/// Adds the items of one page whose key column's text is exactly one of `wanted` to `found`
/// (the server's `any_of` may also answer items whose key differs in case or spacing).
fn collect_matches(page: &Value, wanted: &HashSet<&str>, found: &mut HashMap<String, Vec<String>>) {
    for item in page
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = match item.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        // The query asks for the key column only (`ids: [key]`), so its one value is the key's
        // (selecting the value's `id` too would cost a point per item, 3,400 a 5,000-record run).
        let text = item
            .get("column_values")
            .and_then(Value::as_array)
            .filter(|cvs| cvs.len() == 1)
            .and_then(|cvs| cvs.first())
            .and_then(|cv| cv.get("text"))
            .and_then(Value::as_str);
        if let Some(t) = text.filter(|t| wanted.contains(t)) {
            found.entry(t.to_string()).or_default().push(id);
        }
    }
}

/// Item ids on the board for each of `keys` (exact match on the key column's text). Keys not on the
/// board are absent from the map; a key with several items lists them all (lowest id first).
/// One `boards { items_page(query_params: any_of) }` query per [`KEYS_PER_QUERY`] keys, each
/// page as large as its keys, further pages with `next_items_page`.
pub(crate) async fn find_items_by_key(
    client: &ApiClient,
    board_id: &str,
    key_column: &str,
    keys: &[String],
) -> Result<HashMap<String, Vec<String>>, SyncError> {
    tracing::debug!(
        keys = keys.len(),
        estimated_complexity = lookup_complexity(keys.len()),
        "looking items up by key"
    );
    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    for (n, chunk) in keys.chunks(KEYS_PER_QUERY).enumerate() {
        let wanted: HashSet<&str> = chunk.iter().map(String::as_str).collect();
        let limit = (chunk.len() as u64).min(PAGE_LIMIT);
        let mut vars = Map::new();
        vars.insert("b".into(), json!([board_id]));
        vars.insert("key".into(), json!(key_column));
        vars.insert("values".into(), json!(chunk));
        vars.insert("l".into(), json!(limit));
        vars.insert("ids".into(), json!([key_column]));
        let data = client
            .read(
                query_body(FIRST, vars),
                RequestKind::Reconcile,
                1 << 40 | n as u64,
            )
            .await?;
        let mut page = first_page(&data, board_id)?;
        let mut pages = 0u64;
        loop {
            collect_matches(&page, &wanted, &mut found);
            let cursor = page
                .get("cursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty());
            let Some(cursor) = cursor else { break };
            pages += 1;
            if pages > MAX_PAGES {
                return Err(SyncError::TooManyPages { pages: MAX_PAGES });
            }
            let mut vars = Map::new();
            vars.insert("c".into(), json!(cursor));
            vars.insert("l".into(), json!(limit));
            vars.insert("ids".into(), json!([key_column]));
            let data = client
                .read(
                    query_body(NEXT, vars),
                    RequestKind::Reconcile,
                    2 << 40 | pages,
                )
                .await?;
            page = data.get("next_items_page").cloned().unwrap_or(Value::Null);
        }
    }
    for ids in found.values_mut() {
        ids.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, ids)| (k.to_string(), ids.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn only_creates_are_confirmed_by_a_look_up() {
        let on_board = found(&[("A", &["5", "6"])]);
        let c = Op::Create { group_id: None };
        let u = Op::Update {
            item_id: "5".into(),
        };
        assert_eq!(confirmed_item(&on_board, "A", &c), Some("5".into()));
        assert_eq!(confirmed_item(&on_board, "B", &c), None);
        assert_eq!(confirmed_item(&on_board, "A", &u), None);
    }

    /// [`find_items_by_key`] against the in-process simulator, with what it charged.
    mod on_the_simulator {
        use std::sync::Arc;
        use std::time::Duration;

        use mock_monday::{CoreRequest, LatencyProfile, SimConfig, Simulator};

        use super::*;
        use crate::transport::{ApiRequest, ApiResponse, Transport, TransportError};

        const BOARD: &str = "1234567890";
        const KEY: &str = "text_order_key";

        /// Hands each request to the simulator's core (no delays: instant profile).
        struct Core(Arc<Simulator>);

        #[async_trait::async_trait]
        impl Transport for Core {
            async fn send(&self, r: ApiRequest) -> Result<ApiResponse, TransportError> {
                let resp = self.0.handle(CoreRequest {
                    method: "POST".into(),
                    path: "/v2".into(),
                    headers: vec![
                        ("authorization".into(), r.token),
                        ("api-version".into(), r.api_version),
                        ("content-type".into(), "application/json".into()),
                    ],
                    body: r.body,
                    client_ip: None,
                });
                Ok(ApiResponse {
                    status: resp.status,
                    headers: resp.headers,
                    body: resp.body,
                })
            }
        }

        struct Board {
            sim: Arc<Simulator>,
            client: ApiClient,
        }

        impl Board {
            /// The example board holding one item per key in `texts` (in that order), on a
            /// budget that never runs short (the seeding creates cost 30,000 each).
            async fn with(texts: &[String]) -> Board {
                let mut cfg = SimConfig {
                    profile: LatencyProfile::Instant,
                    request_log_capacity: 100_000,
                    ..SimConfig::default()
                };
                cfg.limits.personal_budget = u64::MAX / 4;
                let sim = Arc::new(Simulator::new(cfg).expect("simulator"));
                let client = ApiClient::new(
                    Arc::new(Core(sim.clone())),
                    "t".into(),
                    "2026-10".into(),
                    Duration::from_secs(5),
                    0,
                    1,
                    None,
                )
                .with_board(BOARD);
                for (n, chunk) in texts.chunks(100).enumerate() {
                    let mut q = String::from("mutation ($b: ID!");
                    for i in 0..chunk.len() {
                        q.push_str(&format!(", $v{i}: JSON"));
                    }
                    q.push_str(") {");
                    let mut vars = Map::new();
                    vars.insert("b".into(), json!(BOARD));
                    for (i, text) in chunk.iter().enumerate() {
                        q.push_str(&format!(
                            " c{i}: create_item(board_id: $b, item_name: \"x\", column_values: $v{i}) {{ id }}"
                        ));
                        vars.insert(format!("v{i}"), json!(json!({ KEY: text }).to_string()));
                    }
                    q.push_str(" }");
                    let data = client
                        .read(query_body(&q, vars), RequestKind::Create, n as u64)
                        .await
                        .expect("seed");
                    assert!(data[format!("c{}", chunk.len() - 1)]["id"].is_string());
                }
                Board { sim, client }
            }

            /// The lookup's result and the complexity charged for each of its requests.
            async fn lookup(&self, keys: &[String]) -> (HashMap<String, Vec<String>>, Vec<u64>) {
                let since = self.sim.request_log(0).last().map_or(0, |e| e.seq + 1);
                let found = find_items_by_key(&self.client, BOARD, KEY, keys)
                    .await
                    .expect("lookup");
                let log = self.sim.request_log(since);
                assert!(log.iter().all(|e| e.status == Some(200)), "{log:?}");
                (found, log.iter().map(|e| e.complexity).collect())
            }
        }

        fn keys(range: std::ops::Range<usize>) -> Vec<String> {
            range.map(|i| format!("ORD-{i:04}")).collect()
        }

        #[tokio::test]
        async fn a_lookup_is_charged_per_key_as_lookup_complexity_says() {
            let q = KEYS_PER_QUERY;
            let board = Board::with(&keys(0..2 * q + 76)).await;
            // (keys, complexity charged per query): 21 + 22 per key asked for, a query per
            // KEYS_PER_QUERY keys. `items_page_by_column_values` charged 111,501 a query.
            let full = 21 + 22 * q as u64;
            let cases: [(usize, Vec<u64>); 4] = [
                (1, vec![43]),
                (76, vec![1_693]),
                (100, vec![2_221]),
                (2 * q + 76, vec![full, full, 1_693]),
            ];
            for (n, per_query) in cases {
                let asked = keys(0..n);
                let (found, charged) = board.lookup(&asked).await;
                assert_eq!(charged, per_query, "{n} keys");
                assert_eq!(
                    charged.iter().sum::<u64>(),
                    lookup_complexity(n),
                    "{n} keys"
                );
                let got: HashSet<&String> = found.keys().collect();
                assert_eq!(got, asked.iter().collect(), "{n} keys");
                assert!(found.values().all(|ids| ids.len() == 1));
            }
            assert_eq!(lookup_complexity(0), 0);
            // A job of 3,400 rows (items_page_by_column_values: 34 x 111,501 = 3.79M).
            assert!(lookup_complexity(3_400) < 80_000);
        }

        #[tokio::test]
        async fn keys_with_several_items_follow_further_pages_and_list_every_item() {
            // 30 keys, each on two items: 60 matches for a page of 30.
            let texts: Vec<String> = keys(0..30).into_iter().chain(keys(0..30)).collect();
            let board = Board::with(&texts).await;
            let (found, charged) = board.lookup(&keys(0..30)).await;
            assert_eq!(found.len(), 30);
            for (key, ids) in &found {
                assert_eq!(ids.len(), 2, "{key}");
                let (a, b) = (
                    ids[0].parse::<u64>().unwrap(),
                    ids[1].parse::<u64>().unwrap(),
                );
                assert!(a < b, "{key}: lowest id first: {ids:?}");
            }
            // The first page (30 of the 60), then one more of `limit` 30: 11 + 22 * 30.
            assert_eq!(charged, [lookup_complexity(30), 671]);
        }

        #[tokio::test]
        async fn an_item_whose_key_differs_only_in_case_is_not_a_match() {
            let texts = vec![
                "ord-0007".to_string(),
                "ORD-0008".to_string(),
                " ORD-0009 ".to_string(),
            ];
            let board = Board::with(&texts).await;
            let (found, charged) = board.lookup(&keys(7..10)).await;
            // The server matches `ord-0007` and ` ORD-0009 ` to the keys asked for (it compares
            // lower-cased, trimmed text); only the exact key is a match.
            let got: Vec<&String> = found.keys().collect();
            assert_eq!(got, ["ORD-0008"]);
            assert_eq!(found["ORD-0008"].len(), 1);
            assert_eq!(charged, [lookup_complexity(3)]);
        }

        #[tokio::test]
        async fn a_board_the_answer_does_not_show_is_an_error() {
            let board = Board::with(&[]).await;
            let err = find_items_by_key(&board.client, "42", KEY, &keys(0..2))
                .await
                .expect_err("no board 42");
            assert!(
                matches!(&err, SyncError::BoardNotFound { board_id } if board_id == "42"),
                "{err:?}"
            );
        }
    }
}
