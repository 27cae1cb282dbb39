//! Sending one batch: pacing, retries with the same `Idempotency-Key` for the same body, retrying
//! only the aliases that failed transiently (new body, new key), splitting when a request would be
//! too complex, and mapping every alias back to its record.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Map;
use tokio::time::Instant;
use tracing::Instrument;

use crate::client::ApiClient;
use crate::error::SyncError;
use crate::observer::{RequestKind, WaitReason};
use crate::payload::{
    alias, build_mutation, classify, query_body, AliasOutcome, Entry, Op, ResponseClass,
};
use crate::retry::{Backoff, MAX_WAITS};
use crate::transform::PreparedRecord;
use crate::transport::TransportError;

/// What the sender needs besides the batch.
#[derive(Debug)]
pub struct SendContext {
    pub client: Arc<ApiClient>,
    pub board_id: String,
    pub mutation_complexity: u64,
    pub extra_round_trips: u32,
}

/// One record in a batch.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub record: PreparedRecord,
    pub op: Op,
    pub ready_at: Instant,
}

/// A batch to send.
#[derive(Debug)]
pub struct BatchJob {
    pub seq: u64,
    pub kind: RequestKind,
    pub items: Vec<BatchItem>,
}

/// Final result for one record of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResult {
    Done {
        item_id: String,
    },
    /// Definitely not applied.
    Failed {
        field: String,
        reason: String,
        label_error: bool,
    },
    /// May or may not have been applied (timeouts/resets/5xx until retries ran out).
    Ambiguous {
        reason: String,
    },
}

/// What came back from a batch.
#[derive(Debug)]
pub struct BatchResult {
    pub seq: u64,
    pub kind: RequestKind,
    pub items: Vec<(BatchItem, ItemResult)>,
    pub finished_at: Instant,
    pub fatal: Option<SyncError>,
}

/// Batches are split to fit the budget left only when fewer than this many fit in one window.
const SPLIT_BELOW_BATCHES_PER_WINDOW: u64 = 10;

const COMPLEXITY_QUERY: &str = "query { complexity { before after query reset_in_x_seconds } }";

/// Send a batch until every record has an outcome.
pub async fn execute(ctx: Arc<SendContext>, job: BatchJob) -> BatchResult {
    let span =
        tracing::debug_span!("batch", seq = job.seq, kind = ?job.kind, records = job.items.len());
    execute_inner(ctx, job).instrument(span).await
}

async fn execute_inner(ctx: Arc<SendContext>, job: BatchJob) -> BatchResult {
    let client = &ctx.client;
    let n = job.items.len();
    let mut results: Vec<Option<ItemResult>> = vec![None; n];
    let mut todo: Vec<usize> = (0..n).collect();
    let mut backoff = Backoff::new(client.seed, job.seq);
    let (mut retries, mut waits, mut attempt) = (0u32, 0u32, 0u32);
    let mut chunk_cap = n;
    let mut fatal = None;
    let per = ctx.mutation_complexity.max(1);
    // Each new body built for this batch (first send, transient-only resend, split) is a new
    // logical request with its own key; retries of one body reuse its key.
    let mut round = 0u64;

    for i in 0..ctx.extra_round_trips {
        let _ = client
            .read(
                query_body(COMPLEXITY_QUERY, Map::new()),
                RequestKind::Extra,
                job.seq << 8 | i as u64,
            )
            .await;
    }

    'outer: while !todo.is_empty() {
        if let Some(limit) = client.pacer.limit() {
            chunk_cap = chunk_cap.min((limit / per).max(1) as usize);
        }
        // When one batch is a large share of the budget (over a tenth: e.g. 25 creates = 750k of
        // a 1M trial budget), holding it for the reset would leave most of each window unused, so
        // send the part the budget affords now. With a large budget the unused tail of a window is
        // small and batches stay whole: a run costs exactly ceil(N / batch_size) create requests.
        let batch_cost = chunk_cap as u64 * per;
        let small_budget = client
            .pacer
            .limit()
            .is_some_and(|limit| limit < batch_cost.saturating_mul(SPLIT_BELOW_BATCHES_PER_WINDOW));
        let take = match client.pacer.affordable_units(per) {
            Some(fit) if fit >= 1 && small_budget => chunk_cap.min(fit as usize),
            _ => chunk_cap,
        };
        let chunk: Vec<usize> = todo.iter().take(take.max(1)).copied().collect();
        let entries: Vec<Entry<'_>> = chunk
            .iter()
            .map(|&i| Entry {
                record: &job.items[i].record,
                op: &job.items[i].op,
            })
            .collect();
        let aliases: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(pos, &i)| alias(&job.items[i].op, pos))
            .collect();
        let body = Bytes::from(build_mutation(&ctx.board_id, &entries, true));
        let key = client.request_key("batch", job.seq, round, &body);
        round += 1;
        let cost = chunk.len() as u64 * per;
        let mut ambiguous: Option<String> = None;
        let settle = |results: &mut Vec<Option<ItemResult>>,
                      todo: &mut Vec<usize>,
                      r: &dyn Fn() -> ItemResult| {
            for &i in &chunk {
                results[i] = Some(r());
            }
            todo.retain(|i| results[*i].is_none());
        };
        loop {
            let (ticket, _) = client.pacer.acquire(cost).await;
            let res = client
                .send_once(
                    body.clone(),
                    Some(key.clone()),
                    job.kind,
                    chunk.len(),
                    attempt,
                )
                .await;
            attempt += 1;
            let resp = match res {
                Ok(r) => r,
                Err(TransportError::Other(m)) => {
                    client.pacer.on_response(ticket, &Default::default(), false);
                    let reason = format!("transport error: {m}");
                    settle(&mut results, &mut todo, &|| ItemResult::Failed {
                        field: String::new(),
                        reason: reason.clone(),
                        label_error: false,
                    });
                    continue 'outer;
                }
                Err(e) => {
                    let maybe_sent = !matches!(e, TransportError::Connect(_));
                    client
                        .pacer
                        .on_response(ticket, &Default::default(), maybe_sent);
                    if maybe_sent {
                        ambiguous = Some(e.to_string());
                    }
                    retries += 1;
                    if retries > client.max_retries {
                        let last = e.to_string();
                        match &ambiguous {
                            Some(a) => {
                                let reason = format!(
                                    "outcome unknown after {attempt} attempts ({a}; last: {last})"
                                );
                                settle(&mut results, &mut todo, &|| ItemResult::Ambiguous {
                                    reason: reason.clone(),
                                });
                            }
                            None => {
                                let reason = format!("not sent after {attempt} attempts: {last}");
                                settle(&mut results, &mut todo, &|| ItemResult::Failed {
                                    field: String::new(),
                                    reason: reason.clone(),
                                    label_error: false,
                                });
                            }
                        }
                        continue 'outer;
                    }
                    client.backoff_sleep(backoff.delay(retries - 1)).await;
                    continue;
                }
            };
            let (class, budget) = classify(&resp, &aliases);
            match class {
                ResponseClass::Aliases(outs) => {
                    client.pacer.on_response(ticket, &budget, true);
                    let mut transient = vec![];
                    let mut wait = None;
                    for (pos, o) in outs.into_iter().enumerate() {
                        let i = chunk[pos];
                        match o {
                            AliasOutcome::Ok { item_id } => {
                                results[i] = Some(ItemResult::Done { item_id })
                            }
                            AliasOutcome::Permanent {
                                code,
                                message,
                                column,
                            } => {
                                let label_error = message.contains("label");
                                tracing::debug!(line = job.items[i].record.line, %code, "record rejected by the API");
                                results[i] = Some(ItemResult::Failed {
                                    field: column.unwrap_or_else(|| "column_values".into()),
                                    reason: format!("{code}: {message}"),
                                    label_error,
                                });
                            }
                            AliasOutcome::Transient { code, retry_in } => {
                                transient.push((i, code));
                                wait = wait.max(retry_in);
                            }
                        }
                    }
                    todo.retain(|i| results[*i].is_none());
                    if !transient.is_empty() {
                        retries += 1;
                        if retries > client.max_retries {
                            for (i, code) in transient {
                                results[i] = Some(ItemResult::Failed {
                                    field: String::new(),
                                    reason: format!("transient error persisted after {attempt} attempts: {code}"),
                                    label_error: false,
                                });
                            }
                            todo.retain(|i| results[*i].is_none());
                        } else {
                            match wait {
                                Some(w) => {
                                    let d = client.throttle_wait(Some(w));
                                    client.limit_wait_as(WaitReason::RateLimited, d).await
                                }
                                None => client.backoff_sleep(backoff.delay(retries - 1)).await,
                            }
                        }
                    }
                    continue 'outer;
                }
                ResponseClass::Throttled { code, retry_in } => {
                    client.counters.throttled.fetch_add(1, Ordering::Relaxed);
                    client.pacer.on_response(ticket, &budget, false);
                    waits += 1;
                    let d = client.throttle_wait(retry_in);
                    tracing::debug!(%code, wait_ms = d.as_millis() as u64, "throttled");
                    client.pacer.block_for(d);
                }
                ResponseClass::Busy { status, retry_in } => {
                    client.pacer.on_response(ticket, &budget, false);
                    waits += 1;
                    let d = retry_in.unwrap_or_else(|| backoff.delay(waits.min(6)));
                    tracing::debug!(status, wait_ms = d.as_millis() as u64, "board busy");
                    client.limit_wait(d).await;
                }
                ResponseClass::ServerError { status } => {
                    client.pacer.on_response(ticket, &budget, true);
                    ambiguous = Some(format!("HTTP {status}"));
                    retries += 1;
                    if retries > client.max_retries {
                        let reason =
                            format!("outcome unknown after {attempt} attempts (HTTP {status})");
                        settle(&mut results, &mut todo, &|| ItemResult::Ambiguous {
                            reason: reason.clone(),
                        });
                        continue 'outer;
                    }
                    client.backoff_sleep(backoff.delay(retries - 1)).await;
                }
                ResponseClass::TooComplex => {
                    client.pacer.on_response(ticket, &budget, false);
                    if chunk.len() > 1 {
                        chunk_cap = chunk.len() / 2;
                        tracing::debug!(chunk_cap, "request too complex; splitting");
                    } else {
                        settle(&mut results, &mut todo, &|| ItemResult::Failed {
                            field: String::new(),
                            reason: "a single mutation exceeds the per-request complexity cap"
                                .into(),
                            label_error: false,
                        });
                    }
                    continue 'outer;
                }
                ResponseClass::Auth { status, message } => {
                    fatal = Some(SyncError::Auth { status, message });
                    break 'outer;
                }
                ResponseClass::BoardNotFound { .. } => {
                    fatal = Some(SyncError::BoardNotFound(ctx.board_id.clone()));
                    break 'outer;
                }
                ResponseClass::Fatal { message } => {
                    fatal = Some(SyncError::Api(message));
                    break 'outer;
                }
                ResponseClass::Rejected { code, message } => {
                    client.pacer.on_response(ticket, &budget, false);
                    let reason = format!("request rejected: {code}: {message}");
                    settle(&mut results, &mut todo, &|| ItemResult::Failed {
                        field: String::new(),
                        reason: reason.clone(),
                        label_error: false,
                    });
                    continue 'outer;
                }
            }
            if waits > MAX_WAITS {
                let reason = format!("still throttled or locked after {waits} waits");
                match &ambiguous {
                    Some(_) => settle(&mut results, &mut todo, &|| ItemResult::Ambiguous {
                        reason: reason.clone(),
                    }),
                    None => settle(&mut results, &mut todo, &|| ItemResult::Failed {
                        field: String::new(),
                        reason: reason.clone(),
                        label_error: false,
                    }),
                }
                continue 'outer;
            }
        }
    }
    let finished_at = Instant::now();
    let items = job
        .items
        .into_iter()
        .zip(results)
        .map(|(item, r)| {
            let r = r.unwrap_or_else(|| ItemResult::Failed {
                field: String::new(),
                reason: "not sent: the run stopped on a fatal API condition".into(),
                label_error: false,
            });
            (item, r)
        })
        .collect();
    BatchResult {
        seq: job.seq,
        kind: job.kind,
        items,
        finished_at,
        fatal,
    }
}
