//! Sending one batch: a thin loop around [`ApiClient::call`] that builds each body (the whole
//! batch, then only the aliases that failed transiently, or the halves of a split; each a new
//! body with a new `Idempotency-Key`) and maps every alias back to its record.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;
use tracing::Instrument;

use crate::batching::{next_chunk, split};
use crate::client::{ApiClient, Call, CallEnd, CallState, Last};
use crate::error::SyncError;
use crate::observer::RequestKind;
use crate::payload::{alias, build_mutation, AliasOutcome, Entry, Op, ResponseClass};
use crate::retry::{decide, Applied, Decision, Signal};
use crate::transform::{FailureCause, PreparedRecord};
use crate::transport::TransportError;

/// What the sender needs besides the batch.
#[derive(Debug)]
pub struct SendContext {
    pub client: Arc<ApiClient>,
    pub board_id: String,
    pub mutation_complexity: u64,
    /// Ids of the mapped status/dropdown columns (a `ColumnValueException` on one of them is a
    /// missing label).
    pub label_columns: HashSet<String>,
    /// Set when the API refused a create with `ItemsLimitationException`: creates not yet sent
    /// (by any sender) then fail as "board full" without being sent.
    pub board_full: AtomicBool,
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
        cause: FailureCause,
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

/// Send a batch until every record has an outcome.
pub async fn execute(ctx: Arc<SendContext>, job: BatchJob) -> BatchResult {
    let span =
        tracing::debug_span!("batch", seq = job.seq, kind = ?job.kind, records = job.items.len());
    execute_inner(ctx, job).instrument(span).await
}

/// The reason of creates not sent because another batch found the board full.
const BOARD_FULL_NOT_SENT: &str =
    "not sent: the board is full (ItemsLimitationException on an earlier create)";

/// Why an alias the API refused failed, from its code (and the column it names).
fn permanent_cause(
    ctx: &SendContext,
    code: &str,
    column: Option<&str>,
    column_type: Option<&str>,
) -> FailureCause {
    match code {
        "ItemsLimitationException" => FailureCause::BoardFull,
        "ColumnValueException"
            if column.is_some_and(|c| ctx.label_columns.contains(c))
                || column_type.is_some_and(is_label_column_type) =>
        {
            FailureCause::MissingLabel
        }
        _ => FailureCause::Rejected,
    }
}

/// Column types (as an error's `error_data.column_type` reports them) whose values are labels.
fn is_label_column_type(t: &str) -> bool {
    matches!(
        t,
        "color" | "status" | "dropdown" | "StatusColumn" | "DropdownColumn"
    )
}

/// The reason given to the records of a body the retry policy gave up on.
fn give_up_reason(applied: Applied, last: &Last, attempts: u32, waits: u32) -> String {
    match last {
        Last::Response(ResponseClass::Rejected { code, message }) => {
            format!("request rejected: {code}: {message}")
        }
        Last::Response(ResponseClass::TooComplex) => {
            "a single mutation exceeds the per-request complexity cap".into()
        }
        Last::Transport(e @ TransportError::Other(_)) => format!("transport error: {e}"),
        Last::Response(
            ResponseClass::Throttled { .. }
            | ResponseClass::Locked { .. }
            | ResponseClass::Conflict { .. },
        ) => {
            format!("still throttled or locked after {waits} waits")
        }
        last => match applied {
            Applied::Unknown => format!(
                "outcome unknown after {attempts} attempts ({})",
                last.problem()
            ),
            Applied::No => format!("not sent after {attempts} attempts: {}", last.problem()),
        },
    }
}

async fn execute_inner(ctx: Arc<SendContext>, job: BatchJob) -> BatchResult {
    let client = &ctx.client;
    let n = job.items.len();
    let mut results: Vec<Option<ItemResult>> = vec![None; n];
    let mut todo: Vec<usize> = (0..n).collect();
    let mut st = CallState::new(client.seed, job.seq);
    let mut chunk_cap = n;
    let mut fatal = None;
    let per = ctx.mutation_complexity.max(1);
    // Each new body built for this batch (first send, transient-only resend, split) is a new
    // logical request with its own key; retries of one body reuse its key.
    let mut round = 0u64;

    while !todo.is_empty() {
        // Take the turn to write first: the body is cut to the budget the writes before it left.
        let turn = client.write_turn().await;
        if job.kind == RequestKind::Create && ctx.board_full.load(Ordering::Relaxed) {
            for &i in &todo {
                results[i] = Some(ItemResult::Failed {
                    field: String::new(),
                    reason: BOARD_FULL_NOT_SENT.into(),
                    cause: FailureCause::BoardFull,
                });
            }
            break;
        }
        let (cap, take) = next_chunk(
            todo.len(),
            chunk_cap,
            per,
            client.pacer.limit(),
            client.pacer.affordable_units(per),
        );
        chunk_cap = cap;
        let chunk: Vec<usize> = todo.iter().take(take).copied().collect();
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
        let call = Call {
            kind: job.kind,
            body,
            key: Some(key),
            aliases: &aliases,
            cost: chunk.len() as u64 * per,
            records: chunk.len(),
        };
        match client.call_in_turn(&call, &mut st, turn).await {
            CallEnd::Settled { class, .. } => {
                let ResponseClass::Aliases(outs) = class else {
                    continue;
                };
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
                            column_type,
                        } => {
                            let cause = permanent_cause(
                                &ctx,
                                &code,
                                column.as_deref(),
                                column_type.as_deref(),
                            );
                            if cause == FailureCause::BoardFull {
                                ctx.board_full.store(true, Ordering::Relaxed);
                            }
                            tracing::debug!(line = job.items[i].record.line, %code, "record rejected by the API");
                            results[i] = Some(ItemResult::Failed {
                                field: column.unwrap_or_else(|| "column_values".into()),
                                reason: format!("{code}: {message}"),
                                cause,
                            });
                        }
                        AliasOutcome::Transient { code, retry_in } => {
                            transient.push((i, code));
                            wait = wait.max(retry_in);
                        }
                    }
                }
                if !transient.is_empty() {
                    let signal = Signal::TransientAliases { retry_in: wait };
                    let (decision, next) = decide(signal, st.retry, client.policy, false);
                    st.retry = next;
                    match decision {
                        Decision::Resend(w) => client.pause(w, &mut st.backoff).await,
                        _ => {
                            for (i, code) in transient {
                                results[i] = Some(ItemResult::Failed {
                                    field: String::new(),
                                    reason: format!(
                                        "transient error persisted after {} attempts: {code}",
                                        st.attempt
                                    ),
                                    cause: FailureCause::NotConfirmed,
                                });
                            }
                        }
                    }
                }
            }
            CallEnd::Split => {
                chunk_cap = split(chunk.len());
                tracing::debug!(chunk_cap, "request too complex; splitting");
            }
            CallEnd::GiveUp { applied, last } => {
                let reason = give_up_reason(applied, &last, st.attempt, st.retry.waits);
                for &i in &chunk {
                    results[i] = Some(match applied {
                        Applied::Unknown => ItemResult::Ambiguous {
                            reason: reason.clone(),
                        },
                        Applied::No => ItemResult::Failed {
                            field: String::new(),
                            reason: reason.clone(),
                            cause: match last {
                                Last::Response(
                                    ResponseClass::Rejected { .. } | ResponseClass::TooComplex,
                                ) => FailureCause::Rejected,
                                _ => FailureCause::NotConfirmed,
                            },
                        },
                    });
                }
            }
            CallEnd::Fatal(last) => {
                fatal = Some(last.into_error(job.kind, &ctx.board_id, st.attempt));
                break;
            }
        }
        todo.retain(|i| results[*i].is_none());
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
                cause: FailureCause::NotConfirmed,
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
