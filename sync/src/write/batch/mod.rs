//! The batch write path: each planned set of records goes as aliased `create_item` /
//! `change_multiple_column_values` mutations, many per request. A thin loop around
//! [`ApiClient::call`] builds each body (the whole batch, then only the aliases that failed
//! transiently, or the halves of a split; each a new body with a new `Idempotency-Key`) and maps
//! every alias back to its record.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::time::Instant;
use tracing::Instrument;

use crate::api::client::{ApiClient, Call, CallEnd, CallState, Last, Transient};
use crate::api::payload::{alias, build_mutation, AliasOutcome, Entry, ResponseClass};
use crate::api::retry::Applied;
use crate::error::SyncError;
use crate::mapping::config::{ColumnKind, SyncConfig};
use crate::mapping::transform::FailureCause;
use crate::observer::RequestKind;
use crate::planning::batching::{next_chunk, split};
use crate::transport::TransportError;
use crate::write::{RecordResult, WriteJob, WritePath, WriteReport};

/// The batch write path of one board.
#[derive(Debug)]
pub(crate) struct BatchPath {
    client: Arc<ApiClient>,
    board_id: String,
    mutation_complexity: u64,
    /// Ids of the mapped status/dropdown columns (a `ColumnValueException` on one of them is a
    /// missing label).
    label_columns: HashSet<String>,
    /// Set when the API refused a create with `ItemsLimitationException`: creates not yet sent
    /// (by any job of this path) then fail as "board full" without being sent.
    board_full: AtomicBool,
}

impl BatchPath {
    /// The batch path for `cfg`'s board, sending through `client`.
    pub(crate) fn new(client: Arc<ApiClient>, cfg: &SyncConfig) -> Self {
        BatchPath {
            client,
            board_id: cfg.board.id.clone(),
            mutation_complexity: cfg.sync.mutation_complexity,
            label_columns: cfg
                .columns
                .iter()
                .filter(|c| matches!(c.kind, ColumnKind::Status | ColumnKind::Dropdown))
                .map(|c| c.column_id.clone())
                .collect(),
            board_full: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl WritePath for BatchPath {
    /// Send a batch until every record has an outcome.
    async fn write(&self, job: WriteJob) -> WriteReport {
        let span = tracing::debug_span!("batch", seq = job.seq, kind = ?job.kind, records = job.records.len());
        let sent = Sending::new(self, &job).run().instrument(span).await;
        let (results, fatal, board_full) = (sent.results, sent.fatal, sent.board_full);
        report(job, results, fatal, board_full)
    }
}

/// The reason of creates not sent because another batch found the board full.
const BOARD_FULL_NOT_SENT: &str =
    "not sent: the board is full (ItemsLimitationException on an earlier create)";

/// Why an alias the API refused failed, from its code (and the column it names).
fn permanent_cause(
    label_columns: &HashSet<String>,
    code: &str,
    column: Option<&str>,
    column_type: Option<&str>,
) -> FailureCause {
    match code {
        "ItemsLimitationException" => FailureCause::BoardFull,
        "ColumnValueException"
            if column.is_some_and(|c| label_columns.contains(c))
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

/// A batch being sent: each record's result so far, and the retry bookkeeping its bodies share.
struct Sending<'a> {
    path: &'a BatchPath,
    job: &'a WriteJob,
    results: Vec<Option<RecordResult>>,
    st: CallState,
    /// Most records one body may carry (shrinks on splits and small budgets).
    chunk_cap: usize,
    /// Each new body built for this batch (first send, transient-only resend, split) is a new
    /// logical request with its own key; retries of one body reuse its key.
    round: u64,
    fatal: Option<SyncError>,
    board_full: bool,
}

impl<'a> Sending<'a> {
    fn new(path: &'a BatchPath, job: &'a WriteJob) -> Self {
        let n = job.records.len();
        Sending {
            path,
            job,
            results: vec![None; n],
            st: CallState::new(path.client.seed, job.seq),
            chunk_cap: n,
            round: 0,
            fatal: None,
            board_full: false,
        }
    }

    fn per(&self) -> u64 {
        self.path.mutation_complexity.max(1)
    }

    fn set(&mut self, i: usize, r: RecordResult) {
        if let RecordResult::Failed {
            cause: FailureCause::BoardFull,
            ..
        } = &r
        {
            self.board_full = true;
        }
        self.results[i] = Some(r);
    }

    fn fail(&mut self, i: usize, field: String, reason: String, cause: FailureCause) {
        self.set(
            i,
            RecordResult::Failed {
                field,
                reason,
                cause,
            },
        );
    }

    async fn run(mut self) -> Self {
        let client = self.path.client.clone();
        let mut todo: Vec<usize> = (0..self.job.records.len()).collect();
        while !todo.is_empty() {
            // Take the turn to write first: the body is cut to the budget the writes before it left.
            let turn = client.write_turn().await;
            if self.job.kind == RequestKind::Create && self.path.board_full.load(Ordering::Relaxed)
            {
                for &i in &todo {
                    self.fail(
                        i,
                        String::new(),
                        BOARD_FULL_NOT_SENT.into(),
                        FailureCause::BoardFull,
                    );
                }
                break;
            }
            let chunk = self.cut(&todo);
            let aliases: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(pos, &i)| alias(&self.job.records[i].op, pos))
                .collect();
            let call = self.body(&chunk, &aliases);
            let end = client.call_in_turn(&call, &mut self.st, turn).await;
            match end {
                CallEnd::Settled {
                    class, transient, ..
                } => {
                    if let ResponseClass::Aliases(outs) = class {
                        self.answered(&chunk, outs, transient).await;
                    }
                }
                CallEnd::Split => {
                    self.chunk_cap = split(chunk.len());
                    tracing::debug!(chunk_cap = self.chunk_cap, "request too complex; splitting");
                }
                CallEnd::GiveUp { applied, last } => self.give_up(&chunk, applied, &last),
                CallEnd::Fatal(last) => {
                    let e = last.into_error(self.job.kind, &self.path.board_id, self.st.attempt);
                    self.fatal = Some(e);
                    break;
                }
            }
            todo.retain(|i| self.results[*i].is_none());
        }
        self
    }

    /// The records of the next body: as many as the per-body cap and the budget allow.
    fn cut(&mut self, todo: &[usize]) -> Vec<usize> {
        let pacer = &self.path.client.pacer;
        let per = self.per();
        let (cap, take) = next_chunk(
            todo.len(),
            self.chunk_cap,
            per,
            pacer.limit(),
            pacer.affordable_units(per),
        );
        self.chunk_cap = cap;
        todo.iter().take(take).copied().collect()
    }

    /// The logical request carrying `chunk`: a new body with a new key.
    fn body<'c>(&mut self, chunk: &[usize], aliases: &'c [String]) -> Call<'c> {
        let records = &self.job.records;
        let entries: Vec<Entry<'_>> = chunk
            .iter()
            .map(|&i| Entry {
                record: &records[i].record,
                op: &records[i].op,
            })
            .collect();
        let body = Bytes::from(build_mutation(&self.path.board_id, &entries, true));
        let key = self
            .path
            .client
            .request_key("batch", self.job.seq, self.round, &body);
        self.round += 1;
        Call {
            kind: self.job.kind,
            body,
            key: Some(key),
            aliases,
            cost: chunk.len() as u64 * self.per(),
            records: chunk.len(),
        }
    }

    /// A settled response: each alias's outcome becomes its record's result; aliases that failed
    /// transiently stay to do (after the wait the retry policy ordered) unless retries ran out.
    async fn answered(&mut self, chunk: &[usize], outs: Vec<AliasOutcome>, retry: Transient) {
        let mut transient = vec![];
        for (pos, o) in outs.into_iter().enumerate() {
            let i = chunk[pos];
            match o {
                AliasOutcome::Ok { item_id } => self.set(i, RecordResult::Done { item_id }),
                AliasOutcome::Permanent {
                    code,
                    message,
                    column,
                    column_type,
                } => {
                    let cause = permanent_cause(
                        &self.path.label_columns,
                        &code,
                        column.as_deref(),
                        column_type.as_deref(),
                    );
                    if cause == FailureCause::BoardFull {
                        self.path.board_full.store(true, Ordering::Relaxed);
                    }
                    tracing::debug!(line = self.job.records[i].record.line, %code, "record rejected by the API");
                    let field = column.unwrap_or_else(|| "column_values".into());
                    self.fail(i, field, format!("{code}: {message}"), cause);
                }
                AliasOutcome::Transient { code, .. } => transient.push((i, code)),
            }
        }
        if transient.is_empty() {
            return;
        }
        match retry {
            Transient::Resend(w) => self.path.client.pause(w, &mut self.st.backoff).await,
            Transient::None | Transient::GiveUp => {
                for (i, code) in transient {
                    let reason = format!(
                        "transient error persisted after {} attempts: {code}",
                        self.st.attempt
                    );
                    self.fail(i, String::new(), reason, FailureCause::NotConfirmed);
                }
            }
        }
    }

    /// The retry policy gave up on the body carrying `chunk`.
    fn give_up(&mut self, chunk: &[usize], applied: Applied, last: &Last) {
        let reason = give_up_reason(applied, last, self.st.attempt, self.st.retry.waits);
        for &i in chunk {
            match applied {
                Applied::Unknown => self.set(
                    i,
                    RecordResult::Ambiguous {
                        reason: reason.clone(),
                    },
                ),
                Applied::No => {
                    let cause = match last {
                        Last::Response(
                            ResponseClass::Rejected { .. } | ResponseClass::TooComplex,
                        ) => FailureCause::Rejected,
                        _ => FailureCause::NotConfirmed,
                    };
                    self.fail(i, String::new(), reason.clone(), cause);
                }
            }
        }
    }
}

/// The report of a sent job: records left without a result were not sent (the run stopped).
fn report(
    job: WriteJob,
    results: Vec<Option<RecordResult>>,
    fatal: Option<SyncError>,
    board_full: bool,
) -> WriteReport {
    let finished_at = Instant::now();
    let outcomes = job
        .records
        .into_iter()
        .zip(results)
        .map(|(item, r)| {
            let r = r.unwrap_or_else(|| RecordResult::Failed {
                field: String::new(),
                reason: "not sent: the run stopped on a fatal API condition".into(),
                cause: FailureCause::NotConfirmed,
            });
            (item, r)
        })
        .collect();
    WriteReport {
        kind: job.kind,
        outcomes,
        finished_at,
        fatal,
        board_full,
    }
}
