//! Which group each create goes to ([`GroupIds`]), and creating the groups a window of records
//! needs: one round of aliased `create_group` requests (in parallel when there are many titles),
//! each sent through the one send loop ([`ApiClient::call`]) with its own `Idempotency-Key`.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::api::client::{response_data, ApiClient, Call, CallEnd, CallState, Last};
use crate::api::payload::{build_create_groups, Op, ResponseClass};
use crate::error::SyncError;
use crate::mapping::config::{BoardSettings, MAX_REQUEST_COMPLEXITY};
use crate::observer::RequestKind;
use crate::planning::batching::group_chunk_sizes;
use crate::planning::PlannedRecord;

/// The group of every create: the configured `group_id`, or the board's group titled by the
/// record's `group_by` field (created on demand), or none (the board's first group).
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupIds {
    /// `board.group_id`: every create goes there.
    fixed: Option<String>,
    /// `board.group_by` is set: each record names its group.
    by_field: bool,
    /// Group title -> id, as far as this run knows.
    ids: HashMap<String, String>,
    /// Titles a dry run would create.
    planned: Vec<String>,
}

impl GroupIds {
    /// The groups of `board`'s settings, with the groups the board already has (title -> id).
    pub(crate) fn new(board: &BoardSettings, known: HashMap<String, String>) -> Self {
        GroupIds {
            fixed: board.group_id.clone(),
            by_field: board.group_by.is_some(),
            ids: known,
            planned: vec![],
        }
    }

    /// The titles `items` need that the board does not have yet, in first-seen order.
    pub(crate) fn missing(&self, items: &[PlannedRecord]) -> Vec<String> {
        let mut missing: Vec<String> = vec![];
        if self.fixed.is_some() || !self.by_field {
            return missing;
        }
        for g in items.iter().filter_map(|it| it.record.group.as_ref()) {
            if !self.ids.contains_key(g) && !missing.contains(g) {
                missing.push(g.clone());
            }
        }
        missing
    }

    /// The group id a record of group `title` goes to, when known: the fixed group, or the
    /// board's group of that title.
    pub(crate) fn id_for(&self, title: Option<&str>) -> Option<String> {
        if let Some(g) = &self.fixed {
            return Some(g.clone());
        }
        title.and_then(|t| self.ids.get(t)).cloned()
    }

    /// Groups the API created (title -> id).
    pub(crate) fn add(&mut self, created: HashMap<String, String>) {
        self.ids.extend(created);
    }

    /// A dry run: `titles` would be created; they get placeholder ids.
    pub(crate) fn plan(&mut self, titles: &[String]) {
        for t in titles {
            self.ids.insert(t.clone(), format!("(new:{t})"));
            self.planned.push(t.clone());
        }
    }

    /// The titles a dry run would create, in order.
    pub(crate) fn planned(&self) -> &[String] {
        &self.planned
    }

    /// Set the group id of each create in `items`; the records whose group is unknown (it could
    /// not be created) leave `items` and are returned, last first.
    pub(crate) fn assign(&self, items: &mut Vec<PlannedRecord>) -> Vec<PlannedRecord> {
        if let Some(g) = &self.fixed {
            for it in items.iter_mut() {
                it.op = Op::Create {
                    group_id: Some(g.clone()),
                };
            }
            return vec![];
        }
        if !self.by_field {
            return vec![];
        }
        let mut unplaced = vec![];
        for (i, it) in items.iter_mut().enumerate() {
            if let Some(g) = &it.record.group {
                match self.ids.get(g) {
                    Some(id) => {
                        it.op = Op::Create {
                            group_id: Some(id.clone()),
                        }
                    }
                    None => unplaced.push(i),
                }
            }
        }
        unplaced
            .into_iter()
            .rev()
            .map(|i| items.remove(i))
            .collect()
    }
}

/// Most `create_group` aliases in one request before the work is spread over more requests.
pub(crate) const GROUPS_PER_REQUEST: usize = 5;

/// Backoff stream of group requests (distinct from batches and reads).
const GROUP_STREAM: u64 = u64::MAX - 1;

/// Create `titles` on `board_id`; returns title -> new group id for every group the API created.
/// Few titles go in one aliased request; many are spread over up to `write_lanes` requests (the
/// writes that may be in flight on the board) so that creating a window's groups costs about one
/// round trip. `seq` numbers the requests (for
/// their keys) and is advanced.
pub(crate) async fn create_groups(
    client: &Arc<ApiClient>,
    board_id: &str,
    titles: &[String],
    write_lanes: usize,
    mutation_complexity: u64,
    seq: &mut u64,
) -> Result<HashMap<String, String>, SyncError> {
    let max = (MAX_REQUEST_COMPLEXITY / mutation_complexity.max(1)).max(1) as usize;
    let sizes = group_chunk_sizes(titles.len(), GROUPS_PER_REQUEST, write_lanes, max);
    let mut chunks = Vec::with_capacity(sizes.len());
    let mut requests = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for size in sizes {
        let chunk = &titles[start..start + size];
        start += size;
        let body = build_create_groups(board_id, chunk);
        *seq += 1;
        let key = client.request_key("groups", *seq, 0, &body);
        let cost = chunk.len() as u64 * mutation_complexity;
        requests.push(send_group_request(
            client,
            Bytes::from(body),
            key,
            chunk.len(),
            cost,
        ));
        chunks.push(chunk);
    }
    let results = futures::future::join_all(requests).await;
    let mut created = HashMap::new();
    for (chunk, data) in chunks.into_iter().zip(results) {
        let data = data?;
        for (i, title) in chunk.iter().enumerate() {
            match data_id(&data, &format!("g{i}")) {
                Some(id) => {
                    tracing::debug!(group = %title, %id, "group created");
                    created.insert(title.clone(), id);
                }
                None => tracing::warn!(group = %title, "create_group returned no id"),
            }
        }
    }
    Ok(created)
}

/// One aliased `create_group` request, sent until the retry policy settles it; returns its `data`.
async fn send_group_request(
    client: &ApiClient,
    body: Bytes,
    key: String,
    groups: usize,
    cost: u64,
) -> Result<Value, SyncError> {
    let aliases: Vec<String> = (0..groups).map(|i| format!("g{i}")).collect();
    let call = Call {
        kind: RequestKind::CreateGroups,
        body,
        key: Some(key),
        aliases: &aliases,
        cost,
        records: 0,
    };
    let mut st = CallState::new(client.seed, GROUP_STREAM);
    match client.call(&call, &mut st).await {
        CallEnd::Settled { response, .. } => Ok(response_data(&response)),
        CallEnd::GiveUp { last, .. } | CallEnd::Fatal(last) => {
            Err(last.into_error(call.kind, &client.board_id, st.attempt))
        }
        CallEnd::Split => Err(Last::Response(ResponseClass::TooComplex).into_error(
            call.kind,
            &client.board_id,
            st.attempt,
        )),
    }
}

fn data_id(data: &Value, alias: &str) -> Option<String> {
    match data.get(alias)?.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::transform::PreparedRecord;

    fn item(line: u64, group: Option<&str>) -> PlannedRecord {
        PlannedRecord {
            record: PreparedRecord {
                line,
                key: format!("K{line}"),
                group: group.map(str::to_string),
                ..Default::default()
            },
            op: Op::Create { group_id: None },
            ready_at: tokio::time::Instant::now(),
            created_here: false,
        }
    }

    fn board(group_id: Option<&str>, group_by: Option<&str>) -> BoardSettings {
        BoardSettings {
            id: "1".into(),
            key_source: "order_id".into(),
            key_column: "text_order_key".into(),
            group_id: group_id.map(str::to_string),
            group_by: group_by.map(str::to_string),
            item_name: None,
            max_items: None,
        }
    }

    fn group_of(it: &PlannedRecord) -> Option<&str> {
        match &it.op {
            Op::Create { group_id } => group_id.as_deref(),
            Op::Update { .. } => panic!("a create became an update"),
        }
    }

    #[test]
    fn missing_titles_are_new_and_in_first_seen_order() {
        let known = HashMap::from([("Acme".to_string(), "g1".to_string())]);
        let g = GroupIds::new(&board(None, Some("customer")), known);
        let items = [
            item(1, Some("Zed")),
            item(2, Some("Acme")),
            item(3, None),
            item(4, Some("Bo")),
            item(5, Some("Zed")),
        ];
        assert_eq!(g.missing(&items), ["Zed", "Bo"]);
    }

    #[test]
    fn assign_sets_ids_and_returns_the_unplaced_last_first() {
        let known = HashMap::from([("Acme".to_string(), "g1".to_string())]);
        let mut g = GroupIds::new(&board(None, Some("customer")), known);
        g.add(HashMap::from([("Bo".to_string(), "g2".to_string())]));
        let mut items = vec![
            item(1, Some("Lost")),
            item(2, Some("Acme")),
            item(3, None),
            item(4, Some("Bo")),
            item(5, Some("Gone")),
        ];
        let unplaced = g.assign(&mut items);
        let lines: Vec<u64> = unplaced.iter().map(|i| i.record.line).collect();
        assert_eq!(lines, [5, 1]);
        let placed: Vec<(u64, Option<&str>)> =
            items.iter().map(|i| (i.record.line, group_of(i))).collect();
        assert_eq!(placed, [(2, Some("g1")), (3, None), (4, Some("g2"))]);
    }

    #[test]
    fn a_fixed_group_takes_every_create_and_needs_no_titles() {
        let g = GroupIds::new(&board(Some("topics"), Some("customer")), HashMap::new());
        let mut items = vec![item(1, Some("Acme")), item(2, None)];
        assert!(g.missing(&items).is_empty());
        assert!(g.assign(&mut items).is_empty());
        assert!(items.iter().all(|i| group_of(i) == Some("topics")));
    }

    #[test]
    fn without_group_by_nothing_is_created_or_set() {
        let g = GroupIds::new(&board(None, None), HashMap::new());
        let mut items = vec![item(1, Some("Acme"))];
        assert!(g.missing(&items).is_empty());
        assert!(g.assign(&mut items).is_empty());
        assert_eq!(group_of(&items[0]), None);
    }

    #[test]
    fn a_dry_run_plans_placeholders() {
        let mut g = GroupIds::new(&board(None, Some("customer")), HashMap::new());
        let mut items = vec![item(1, Some("Acme"))];
        g.plan(&g.missing(&items));
        assert_eq!(g.planned(), ["Acme"]);
        assert!(g.assign(&mut items).is_empty());
        assert_eq!(group_of(&items[0]), Some("(new:Acme)"));
    }
}
