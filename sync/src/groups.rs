//! Creating the groups a window of records needs: one round of aliased `create_group` requests
//! (in parallel when there are many titles), each sent through the one send loop
//! ([`ApiClient::call`]) with its own `Idempotency-Key`.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::batching::group_chunk_sizes;
use crate::client::{response_data, ApiClient, Call, CallEnd, CallState, Last};
use crate::config::MAX_REQUEST_COMPLEXITY;
use crate::error::SyncError;
use crate::observer::RequestKind;
use crate::payload::{build_create_groups, ResponseClass};

/// Most `create_group` aliases in one request before the work is spread over more requests.
pub const GROUPS_PER_REQUEST: usize = 5;

/// Backoff stream of group requests (distinct from batches and reads).
const GROUP_STREAM: u64 = u64::MAX - 1;

/// Create `titles` on `board_id`; returns title -> new group id for every group the API created.
/// Few titles go in one aliased request; many are spread over up to `write_lanes` requests (the
/// writes that may be in flight on the board) so that creating a window's groups costs about one
/// round trip. `seq` numbers the requests (for
/// their keys) and is advanced.
pub async fn create_groups(
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
