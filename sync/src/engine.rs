//! The sync engine: board check -> state load + reconcile -> stream, transform, classify -> batch ->
//! paced, concurrent sends -> state -> reports.
//!
//! One coordinator task reads, transforms and classifies records, keeps the state store, and hands
//! full batches to sender tasks (at most `concurrency` in flight). Every state write happens on the
//! coordinator, so phases never overlap (see [`crate::report`]). All timing uses
//! [`tokio::time::Instant`], so on a paused-clock runtime a run replays in virtual time.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use crate::batching::{balanced_batch_sizes, batch_size, window_size, write_lanes};
use crate::board::{check_mapping, problems_to_error, read_board, BoardInfo};
use crate::capacity::{Capacity, BOARD_ITEM_CAP};
use crate::client::ApiClient;
use crate::config::{ColumnKind, SyncConfig};
use crate::error::SyncError;
use crate::groups::create_groups;
pub use crate::input::InputSource;
use crate::observer::Observers;
pub use crate::observer::{
    ActivityEvent, RecordEvent, RecordOutcome, RequestEvent, RequestKind, SyncObserver, WaitReason,
};
use crate::pacing::Pacer;
use crate::payload::Op;
use crate::progress::{PaceModel, Progress, BUDGET_WINDOW};
use crate::reconcile::{confirmed_item, find_items_by_key, resolve_pending};
use crate::report::{write_detail_reports, write_summary, CustomerStats, Phase, PhaseTimer};
pub use crate::report::{Phases, RunSummary};
use crate::request_log::RequestLog;
use crate::sender::{execute, BatchItem, BatchJob, BatchResult, ItemResult, SendContext};
pub use crate::state::StateSpec;
use crate::state::StateStore;
use crate::transform::{FailureCause, PreparedRecord, RecordFailure, Transformer};
use crate::transport::Transport;

/// Log one INFO progress line every this many batches.
pub const INFO_EVERY_BATCHES: u64 = 20;

/// Everything a run needs (docs/interfaces.md).
pub struct RunParams {
    pub config: SyncConfig,
    pub input: InputSource,
    pub transport: Arc<dyn Transport>,
    /// The API token. Never logged.
    pub token: String,
    pub state: StateSpec,
    pub report_dir: Option<PathBuf>,
    /// Transform and plan batches without sending anything or writing state.
    pub dry_run: bool,
    /// Show a progress bar (only if stderr is a terminal).
    pub progress: bool,
    pub observer: Option<Arc<dyn SyncObserver>>,
    /// Write one NDJSON line per request attempt here (see [`crate::request_log`]).
    pub request_log: Option<PathBuf>,
}

impl std::fmt::Debug for RunParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunParams")
            .field("input", &self.input)
            .field("state", &self.state)
            .field("dry_run", &self.dry_run)
            .finish_non_exhaustive()
    }
}

/// Run a sync.
pub async fn run(params: RunParams) -> Result<RunSummary, SyncError> {
    let span = tracing::info_span!(
        "run",
        board = %params.config.board.id,
        mode = ?params.config.sync.mode,
        dry_run = params.dry_run
    );
    run_inner(params).instrument(span).await
}

/// Wait on `fut` from the coordinator: counted as `send`, except the limit-only time, counted as `wait`.
async fn blocked<T>(
    phases: &mut PhaseTimer,
    pacer: &Pacer,
    fut: impl std::future::Future<Output = T>,
) -> T {
    let prev = phases.switch(Phase::Send);
    let before = pacer.activity(|a| a.limit_only(Instant::now()));
    let out = fut.await;
    let after = pacer.activity(|a| a.limit_only(Instant::now()));
    phases.switch(prev);
    phases.reattribute(Phase::Send, Phase::Wait, after.saturating_sub(before));
    out
}

struct Coordinator {
    cfg: SyncConfig,
    client: Arc<ApiClient>,
    ctx: Arc<SendContext>,
    phases: PhaseTimer,
    state: StateStore,
    summary: RunSummary,
    observer: Option<Arc<dyn SyncObserver>>,
    progress: Progress,
    tasks: JoinSet<BatchResult>,
    groups: HashMap<String, String>,
    creates: Vec<BatchItem>,
    updates: Vec<BatchItem>,
    batch_size: usize,
    batch_seq: u64,
    group_requests: u64,
    ambiguous: Vec<(BatchItem, String)>,
    fatal: Option<SyncError>,
    dry_run: bool,
    planned_groups: Vec<String>,
    started: Instant,
    capacity: Capacity,
}

impl Coordinator {
    fn customer_of(&mut self, name: &str) -> &mut CustomerStats {
        self.summary
            .per_customer
            .entry(name.to_string())
            .or_default()
    }

    fn record_event(
        &self,
        ready_at: Instant,
        finished_at: Instant,
        outcome: RecordOutcome,
        line: u64,
    ) {
        if let Some(o) = &self.observer {
            o.record_finished(&RecordEvent {
                ready_at,
                finished_at,
                outcome,
                line,
            });
        }
    }

    fn fail(&mut self, f: RecordFailure, customer: &str, ready_at: Instant) {
        tracing::debug!(line = f.line, field = %f.field, reason = %f.reason, "record failed");
        self.summary.failed += 1;
        if f.cause == FailureCause::BoardFull {
            self.summary.board_full += 1;
        }
        let c = self.customer_of(customer);
        c.failed += 1;
        if f.cause == FailureCause::MissingLabel {
            c.label_errors += 1;
        }
        self.record_event(ready_at, Instant::now(), RecordOutcome::Failed, f.line);
        self.summary.failures.push(f);
    }

    /// Classify a transformed record against the state store and queue it.
    async fn accept(&mut self, rec: PreparedRecord, ready_at: Instant) -> Result<(), SyncError> {
        self.phases.switch(Phase::State);
        let row = self.state.get(&rec.key)?;
        let op = match row {
            Some(r)
                if r.item_id.is_some()
                    && r.content_hash
                        .as_deref()
                        .is_some_and(|h| rec.same_content(h)) =>
            {
                self.summary.unchanged += 1;
                self.customer_of(&rec.customer.clone()).unchanged += 1;
                self.record_event(ready_at, Instant::now(), RecordOutcome::Unchanged, rec.line);
                return Ok(());
            }
            Some(r) if r.item_id.is_some() => Op::Update {
                item_id: r.item_id.unwrap_or_default(),
            },
            _ => Op::Create { group_id: None },
        };
        let is_update = matches!(op, Op::Update { .. });
        let item = BatchItem {
            record: rec,
            op,
            ready_at,
        };
        if is_update {
            self.updates.push(item);
            if self.updates.len() >= self.batch_size {
                let items = std::mem::take(&mut self.updates);
                self.dispatch(RequestKind::Update, items).await?;
            }
        } else {
            self.creates.push(item);
            if self.creates.len() >= window_size(self.batch_size, write_lanes(&self.cfg.sync)) {
                self.flush_creates().await?;
            }
        }
        Ok(())
    }

    /// Send the window of collected creates: its missing groups first (one round), then the
    /// records cut by [`crate::batching::balanced_batch_sizes`].
    async fn flush_creates(&mut self) -> Result<(), SyncError> {
        let mut window = std::mem::take(&mut self.creates);
        if window.is_empty() {
            return Ok(());
        }
        self.resolve_groups(&mut window).await?;
        let sizes = balanced_batch_sizes(window.len(), self.batch_size);
        let mut rest = window.into_iter();
        for size in sizes {
            let batch: Vec<BatchItem> = rest.by_ref().take(size).collect();
            self.dispatch(RequestKind::Create, batch).await?;
        }
        Ok(())
    }

    /// Create the missing groups for these items (one round of requests) and set their group ids.
    async fn resolve_groups(&mut self, items: &mut Vec<BatchItem>) -> Result<(), SyncError> {
        if let Some(g) = &self.cfg.board.group_id {
            for it in items.iter_mut() {
                it.op = Op::Create {
                    group_id: Some(g.clone()),
                };
            }
            return Ok(());
        }
        if self.cfg.board.group_by.is_none() {
            return Ok(());
        }
        let mut missing: Vec<String> = vec![];
        for it in items.iter() {
            if let Some(g) = &it.record.group {
                if !self.groups.contains_key(g) && !missing.contains(g) {
                    missing.push(g.clone());
                }
            }
        }
        if !missing.is_empty() {
            if self.dry_run {
                for m in &missing {
                    self.groups.insert(m.clone(), format!("(new:{m})"));
                    self.planned_groups.push(m.clone());
                }
            } else {
                self.create_groups(&missing).await?;
            }
        }
        let mut failed = vec![];
        for (i, it) in items.iter_mut().enumerate() {
            if let Some(g) = &it.record.group {
                match self.groups.get(g) {
                    Some(id) => {
                        it.op = Op::Create {
                            group_id: Some(id.clone()),
                        }
                    }
                    None => failed.push(i),
                }
            }
        }
        for i in failed.into_iter().rev() {
            let it = items.remove(i);
            let reason = format!(
                "group `{}` could not be created",
                it.record.group.clone().unwrap_or_default()
            );
            let f = RecordFailure {
                line: it.record.line,
                key: Some(it.record.key.clone()),
                field: self.cfg.board.group_by.clone().unwrap_or_default(),
                reason,
                cause: FailureCause::Rejected,
            };
            self.fail(f, &it.record.customer, it.ready_at);
        }
        Ok(())
    }

    async fn create_groups(&mut self, titles: &[String]) -> Result<(), SyncError> {
        let client = self.client.clone();
        let pacer = client.pacer.clone();
        let mut seq = self.group_requests;
        let created = blocked(
            &mut self.phases,
            &pacer,
            create_groups(
                &client,
                &self.cfg.board.id,
                titles,
                self.cfg
                    .sync
                    .write_concurrency
                    .min(self.cfg.sync.concurrency),
                self.cfg.sync.mutation_complexity,
                &mut seq,
            ),
        )
        .await?;
        self.group_requests = seq;
        self.groups.extend(created);
        Ok(())
    }

    /// Creates that do not fit on the board fail as "board full" here, before anything is sent;
    /// returns the items admitted. Waits for creates in flight first when their answers decide.
    async fn admit_creates(&mut self, items: &mut Vec<BatchItem>) -> Result<(), SyncError> {
        if !self.capacity.fits(items.len()) && !self.tasks.is_empty() {
            while !self.tasks.is_empty() {
                self.join_one().await?;
            }
        }
        let n = self.capacity.admit(items.len());
        if n < items.len() {
            let reason = self.capacity.reason();
            for it in items.split_off(n) {
                let f = RecordFailure {
                    line: it.record.line,
                    key: Some(it.record.key.clone()),
                    field: String::new(),
                    reason: reason.clone(),
                    cause: FailureCause::BoardFull,
                };
                self.fail(f, &it.record.customer, it.ready_at);
            }
        }
        Ok(())
    }

    /// Send (or, in a dry run, plan) one batch.
    async fn dispatch(
        &mut self,
        kind: RequestKind,
        mut items: Vec<BatchItem>,
    ) -> Result<(), SyncError> {
        if items.is_empty() {
            return Ok(());
        }
        if kind == RequestKind::Create {
            self.resolve_groups(&mut items).await?;
            if self.state.needs_full_verify() && !self.dry_run {
                self.verify_creates(&mut items).await?;
            }
            if !self.dry_run {
                self.admit_creates(&mut items).await?;
            }
            if items.is_empty() {
                return Ok(());
            }
        }
        self.batch_seq += 1;
        self.summary.batches += 1;
        if self.dry_run {
            self.phases.switch(Phase::Transform);
            tracing::debug!(
                seq = self.batch_seq,
                ?kind,
                records = items.len(),
                "planned batch"
            );
            return Ok(());
        }
        self.phases.switch(Phase::State);
        let tag = format!("batch-{}", self.batch_seq);
        let rows: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.record.key.as_str(), i.record.content_hash.as_str()))
            .collect();
        self.state.mark_pending(&rows, &tag)?;
        while self.tasks.len() >= write_lanes(&self.cfg.sync) {
            self.join_one().await?;
        }
        if self.batch_seq.checked_rem(INFO_EVERY_BATCHES) == Some(0) {
            tracing::info!(
                batches = self.batch_seq,
                created = self.summary.created,
                updated = self.summary.updated,
                unchanged = self.summary.unchanged,
                failed = self.summary.failed,
                requests = self.client.counters.requests.load(Ordering::Relaxed),
                elapsed_ms = (Instant::now() - self.started).as_millis() as u64,
                "progress"
            );
        }
        let job = BatchJob {
            seq: self.batch_seq,
            kind,
            items,
        };
        self.tasks.spawn(execute(self.ctx.clone(), job));
        Ok(())
    }

    /// Items on the board whose key column holds one of `keys` (key -> item ids), looked up with
    /// `items_page_by_column_values`; the time spent waiting on limits counts as waiting.
    async fn find_on_board(
        &mut self,
        keys: &[String],
    ) -> Result<HashMap<String, Vec<String>>, SyncError> {
        let client = self.client.clone();
        let pacer = client.pacer.clone();
        let lookup = find_items_by_key(
            &client,
            &self.cfg.board.id,
            &self.cfg.board.key_column,
            keys,
        );
        blocked(&mut self.phases, &pacer, lookup).await
    }

    /// State was lost: records already on the board become updates instead of creates.
    async fn verify_creates(&mut self, items: &mut Vec<BatchItem>) -> Result<(), SyncError> {
        let keys: Vec<String> = items.iter().map(|i| i.record.key.clone()).collect();
        let found = self.find_on_board(&keys).await?;
        let mut keep = vec![];
        for mut it in items.drain(..) {
            match found.get(&it.record.key).and_then(|ids| ids.first()) {
                Some(id) => {
                    it.op = Op::Update {
                        item_id: id.clone(),
                    };
                    self.updates.push(it);
                }
                None => keep.push(it),
            }
        }
        *items = keep;
        Ok(())
    }

    async fn join_one(&mut self) -> Result<(), SyncError> {
        let pacer = self.client.pacer.clone();
        let res = blocked(&mut self.phases, &pacer, self.tasks.join_next()).await;
        match res {
            Some(Ok(r)) => self.apply(r),
            Some(Err(source)) => Err(SyncError::Task { source }),
            None => Ok(()),
        }
    }

    fn apply(&mut self, r: BatchResult) -> Result<(), SyncError> {
        self.phases.switch(Phase::State);
        if let Some(f) = r.fatal {
            tracing::error!(error = %f, "fatal API condition; stopping");
            if self.fatal.is_none() {
                self.fatal = Some(f);
            }
        }
        let mut done: Vec<(String, String, String)> = vec![];
        let mut cleared: Vec<String> = vec![];
        if r.kind == RequestKind::Create {
            let created = r
                .items
                .iter()
                .filter(|(_, res)| matches!(res, ItemResult::Done { .. }))
                .count();
            self.capacity.settle(r.items.len(), created);
            let refused = r.items.iter().any(|(_, res)| {
                matches!(
                    res,
                    ItemResult::Failed {
                        cause: FailureCause::BoardFull,
                        ..
                    }
                )
            });
            if refused && !self.capacity.is_full() {
                tracing::error!(board = %self.cfg.board.id, "the board is full (ItemsLimitationException); no more creates are sent");
                self.capacity.mark_full();
            }
        }
        for (item, result) in r.items {
            let rec = &item.record;
            match result {
                ItemResult::Done { item_id } => {
                    done.push((rec.key.clone(), item_id, rec.content_hash.clone()));
                    let outcome = if matches!(item.op, Op::Update { .. }) {
                        self.summary.updated += 1;
                        self.customer_of(&rec.customer.clone()).updated += 1;
                        RecordOutcome::Updated
                    } else {
                        self.summary.created += 1;
                        self.customer_of(&rec.customer.clone()).created += 1;
                        RecordOutcome::Created
                    };
                    self.record_event(item.ready_at, r.finished_at, outcome, rec.line);
                }
                ItemResult::Failed {
                    field,
                    reason,
                    cause,
                } => {
                    cleared.push(rec.key.clone());
                    let f = RecordFailure {
                        line: rec.line,
                        key: Some(rec.key.clone()),
                        field,
                        reason,
                        cause,
                    };
                    let customer = rec.customer.clone();
                    self.fail(f, &customer, item.ready_at);
                }
                ItemResult::Ambiguous { reason } => self.ambiguous.push((item, reason)),
            }
        }
        self.record_outcomes(&done, &cleared)
    }

    /// Store what is now known: `done` (key, item id, content hash) rows become done, `cleared`
    /// keys lose their pending mark (nothing was created for them).
    fn record_outcomes(
        &mut self,
        done: &[(String, String, String)],
        cleared: &[String],
    ) -> Result<(), SyncError> {
        let rows: Vec<(&str, &str, &str)> = done
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        self.state.mark_done(&rows)?;
        let keys: Vec<&str> = cleared.iter().map(String::as_str).collect();
        self.state.clear_pending(&keys)?;
        Ok(())
    }

    /// Resolve pending rows left by an earlier run before anything is created.
    async fn reconcile_pending(&mut self) -> Result<(), SyncError> {
        self.phases.switch(Phase::State);
        let pending = self.state.pending()?;
        if pending.is_empty() {
            return Ok(());
        }
        let (creates, updates): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|p| p.item_id.is_none());
        tracing::info!(
            creates = creates.len(),
            updates = updates.len(),
            "reconciling records left pending by an earlier run"
        );
        let keys: Vec<String> = creates.iter().map(|p| p.key.clone()).collect();
        let found = self.find_on_board(&keys).await?;
        self.phases.switch(Phase::State);
        let (done, mut cleared) = resolve_pending(&creates, &found);
        cleared.extend(updates.iter().map(|p| p.key.clone()));
        tracing::info!(
            found = done.len(),
            not_found = cleared.len(),
            "reconciliation done"
        );
        self.record_outcomes(&done, &cleared)
    }

    /// Records whose requests stayed ambiguous: look them up on the board.
    async fn reconcile_ambiguous(&mut self) -> Result<(), SyncError> {
        if self.ambiguous.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(&mut self.ambiguous);
        tracing::info!(
            records = items.len(),
            "reconciling records with unknown outcome"
        );
        let keys: Vec<String> = items.iter().map(|(i, _)| i.record.key.clone()).collect();
        let found = self.find_on_board(&keys).await;
        self.phases.switch(Phase::State);
        let found = match found {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "could not reconcile; records stay pending for the next run");
                for (item, reason) in items {
                    self.summary.unresolved += 1;
                    let f = RecordFailure {
                        line: item.record.line,
                        key: Some(item.record.key.clone()),
                        field: String::new(),
                        reason: format!("{reason}; still pending, the next run reconciles it"),
                        cause: FailureCause::NotConfirmed,
                    };
                    let c = item.record.customer.clone();
                    self.fail(f, &c, item.ready_at);
                }
                return Ok(());
            }
        };
        let now = Instant::now();
        let mut done = vec![];
        let mut cleared = vec![];
        for (item, reason) in items {
            let rec = item.record.clone();
            match confirmed_item(&found, &rec.key, &item.op) {
                Some(id) => {
                    done.push((rec.key.clone(), id, rec.content_hash.clone()));
                    self.summary.created += 1;
                    self.customer_of(&rec.customer).created += 1;
                    self.record_event(item.ready_at, now, RecordOutcome::Created, rec.line);
                }
                _ => {
                    self.summary.unresolved += 1;
                    cleared.push(rec.key.clone());
                    let f = RecordFailure {
                        line: rec.line,
                        key: Some(rec.key.clone()),
                        field: String::new(),
                        reason: format!(
                            "{reason}; not confirmed on the board, the next run retries it"
                        ),
                        cause: FailureCause::NotConfirmed,
                    };
                    self.fail(f, &rec.customer, item.ready_at);
                }
            }
        }
        self.record_outcomes(&done, &cleared)
    }
}

fn group_field_of(cfg: &SyncConfig, fields: &Map<String, Value>) -> String {
    let f = cfg.board.group_by.as_deref().unwrap_or("customer");
    match fields.get(f) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

async fn run_inner(params: RunParams) -> Result<RunSummary, SyncError> {
    let cfg = params.config;
    let mut phases = PhaseTimer::new(Phase::Send);
    let started = Instant::now();
    // A missing, unreadable or wrongly formatted input is reported before any request.
    phases.switch(Phase::Read);
    params.input.precheck()?;
    // One pre-scan: the record count sizes the batches and the progress display.
    let size = params.input.size();
    phases.switch(Phase::Send);
    let batch_size = batch_size(&cfg.sync, size.records());
    let mut progress = Progress::new(
        params.progress,
        size,
        PaceModel {
            cost_per_record: cfg.sync.mutation_complexity,
            batch_size,
            // Writes go at most `write_concurrency` at a time, whatever the senders.
            concurrency: cfg.sync.concurrency.min(cfg.sync.write_concurrency),
            window: BUDGET_WINDOW,
        },
    );
    let observer: Option<Arc<dyn SyncObserver>> = match (params.observer, progress.observer()) {
        (Some(a), Some(b)) => Some(Arc::new(Observers(vec![a, b]))),
        (a, b) => a.or(b),
    };
    let request_log = match &params.request_log {
        Some(path) if !params.dry_run => Some(Arc::new(RequestLog::create(path, started)?)),
        _ => None,
    };
    let run_id = cfg
        .sync
        .run_id
        .clone()
        .unwrap_or_else(|| crate::client::fresh_run_id(cfg.sync.seed));
    let client = Arc::new(
        ApiClient::new(
            params.transport,
            params.token,
            cfg.api.version.clone(),
            Duration::from_millis(cfg.sync.request_timeout_ms),
            cfg.sync.max_retries,
            cfg.sync.seed,
            observer.clone(),
        )
        .with_run_id(run_id.clone())
        .with_board(cfg.board.id.clone())
        .with_write_concurrency(cfg.sync.write_concurrency)
        .with_request_log(request_log.clone()),
    );
    progress.start(client.pacer.clone());
    tracing::info!(board = %cfg.board.id, %run_id, mode = ?cfg.sync.mode, batch_size, concurrency = cfg.sync.concurrency, write_concurrency = cfg.sync.write_concurrency, "sync starting");

    let board = if params.dry_run {
        BoardInfo::default()
    } else {
        let pacer = client.pacer.clone();
        let b = blocked(&mut phases, &pacer, read_board(&client, &cfg.board.id)).await?;
        if let Some(e) = problems_to_error(&cfg.origin, &check_mapping(&cfg, &b)) {
            return Err(e.into());
        }
        b
    };

    phases.switch(Phase::State);
    let state_spec = if params.dry_run {
        match &params.state {
            StateSpec::Path(p) if p.exists() => params.state.clone(),
            _ => StateSpec::InMemory,
        }
    } else {
        params.state.clone()
    };
    let state = StateStore::open(&state_spec)?;
    let ctx = Arc::new(SendContext {
        client: client.clone(),
        board_id: cfg.board.id.clone(),
        mutation_complexity: cfg.sync.mutation_complexity,
        label_columns: cfg
            .columns
            .iter()
            .filter(|c| matches!(c.kind, ColumnKind::Status | ColumnKind::Dropdown))
            .map(|c| c.column_id.clone())
            .collect(),
        board_full: Default::default(),
    });
    let capacity = Capacity::new(
        cfg.board.max_items.unwrap_or(BOARD_ITEM_CAP),
        board.items_count,
    );
    let mut summary = RunSummary {
        dry_run: params.dry_run,
        seed: cfg.sync.seed,
        run_id: run_id.clone(),
        config: serde_json::to_value(&cfg).unwrap_or(Value::Null),
        ..Default::default()
    };
    summary.config["sync"]["effective_batch_size"] = json!(batch_size);
    let mut co = Coordinator {
        groups: board.groups_by_title.clone(),
        cfg,
        client,
        ctx,
        phases,
        state,
        summary,
        observer,
        progress,
        tasks: JoinSet::new(),
        creates: vec![],
        updates: vec![],
        batch_size,
        batch_seq: 0,
        group_requests: 0,
        ambiguous: vec![],
        fatal: None,
        dry_run: params.dry_run,
        planned_groups: vec![],
        started,
        capacity,
    };
    if !co.dry_run {
        co.reconcile_pending().await?;
    }

    co.phases.switch(Phase::Read);
    let mut stream = params.input.open_counting(co.progress.bytes_read())?;
    // Per-column `create_labels_if_missing`: with the board's labels known, a label missing from a
    // column that may not create labels fails that record here, before anything is sent.
    let mut transformer = Transformer::new(&co.cfg).with_board_labels(&board.labels_by_column());
    loop {
        co.phases.switch(Phase::Read);
        let Some(item) = stream.next() else { break };
        co.summary.records += 1;
        let ready_at = Instant::now();
        match item {
            Err(f) => {
                co.phases.switch(Phase::Transform);
                let failure = RecordFailure {
                    line: f.line,
                    key: None,
                    field: String::new(),
                    reason: f.reason,
                    cause: FailureCause::Invalid,
                };
                co.fail(failure, "", ready_at);
            }
            Ok(rec) => {
                co.phases.switch(Phase::Transform);
                match transformer.transform(&rec) {
                    Ok(p) => {
                        co.customer_of(&p.customer.clone()).records += 1;
                        co.accept(p, ready_at).await?;
                    }
                    Err(f) => {
                        let customer = group_field_of(&co.cfg, &rec.fields);
                        co.customer_of(&customer).records += 1;
                        co.fail(f, &customer, ready_at);
                    }
                }
            }
        }
        if co.fatal.is_some() {
            break;
        }
        // Apply finished batches without blocking.
        while let Some(done) = co.tasks.try_join_next() {
            match done {
                Ok(r) => co.apply(r)?,
                Err(source) => return Err(SyncError::Task { source }),
            }
        }
    }
    if co.fatal.is_none() {
        co.flush_creates().await?;
        let updates = std::mem::take(&mut co.updates);
        co.dispatch(RequestKind::Update, updates).await?;
    }
    while !co.tasks.is_empty() {
        co.join_one().await?;
    }
    if co.fatal.is_none() {
        // verify_creates may have queued updates during the final flush.
        let updates = std::mem::take(&mut co.updates);
        co.dispatch(RequestKind::Update, updates).await?;
        while !co.tasks.is_empty() {
            co.join_one().await?;
        }
        co.reconcile_ambiguous().await?;
    }
    co.progress.finish();
    if let Some(log) = &request_log {
        log.flush()?;
    }

    co.phases.switch(Phase::Report);
    co.summary.complexity_budget = co.client.pacer.limit();
    let c = &co.client.counters;
    co.summary.requests = c.requests.load(Ordering::Relaxed);
    co.summary.retries = c.retries.load(Ordering::Relaxed);
    co.summary.throttled = c.throttled.load(Ordering::Relaxed);
    co.summary.locked = c.locked.load(Ordering::Relaxed);
    if co.dry_run {
        co.summary.config["plan"] = json!({
            "batches": co.summary.batches,
            "groups_to_create": co.planned_groups,
        });
    }
    co.summary.failures.sort_by_key(|f| f.line);
    if let Some(dir) = &params.report_dir {
        write_detail_reports(dir, &co.summary)?;
    }
    let (phases, wall) = co.phases.finish();
    co.summary.phases = phases;
    co.summary.wall_ms = wall.as_secs_f64() * 1000.0;
    co.summary.wait_share = co.summary.wait_share_of_wall();
    co.summary.per_record_ms = if co.summary.records > 0 {
        co.summary.wall_ms / co.summary.records as f64
    } else {
        0.0
    };
    if let Some(dir) = &params.report_dir {
        write_summary(dir, &co.summary)?;
    }
    tracing::info!(
        records = co.summary.records,
        created = co.summary.created,
        updated = co.summary.updated,
        unchanged = co.summary.unchanged,
        failed = co.summary.failed,
        requests = co.summary.requests,
        throttled = co.summary.throttled,
        wall_ms = co.summary.wall_ms as u64,
        "sync finished"
    );
    if let Some(f) = co.fatal {
        return Err(f);
    }
    Ok(co.summary)
}
