//! The sync engine: board check -> state load + reconcile -> stream, transform, classify -> batch ->
//! paced, concurrent sends -> state -> reports.
//!
//! One coordinator task reads, transforms and classifies records, keeps the state store, and hands
//! full batches to sender tasks (at most `concurrency` in flight). Every state write happens on the
//! coordinator, so phases never overlap (see [`crate::report`]). All timing uses
//! [`tokio::time::Instant`], so on a paused-clock runtime a run replays in virtual time.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use crate::board::{check_mapping, problems_to_error, read_board, BoardInfo};
use crate::client::ApiClient;
use crate::config::{Mode, SyncConfig};
use crate::error::SyncError;
pub use crate::input::InputSource;
use crate::observer::Observers;
pub use crate::observer::{
    ActivityEvent, RecordEvent, RecordOutcome, RequestEvent, RequestKind, SyncObserver, WaitReason,
};
use crate::pacing::Pacer;
use crate::payload::{build_create_groups, classify, Op, ResponseClass};
use crate::progress::{PaceModel, Progress, BUDGET_WINDOW};
use crate::reconcile::find_items_by_key;
use crate::report::{write_detail_reports, write_summary_json, CustomerStats, Phase, PhaseTimer};
pub use crate::report::{Phases, RunSummary};
use crate::sender::{execute, BatchItem, BatchJob, BatchResult, ItemResult, SendContext};
pub use crate::state::StateSpec;
use crate::state::StateStore;
use crate::transform::{is_label_failure, PreparedRecord, RecordFailure, Transformer};
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

    fn fail(&mut self, f: RecordFailure, customer: &str, label_error: bool, ready_at: Instant) {
        tracing::debug!(line = f.line, field = %f.field, reason = %f.reason, "record failed");
        self.summary.failed += 1;
        let c = self.customer_of(customer);
        c.failed += 1;
        if label_error {
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
            if self.creates.len() >= self.batch_size * self.cfg.sync.concurrency.max(1) {
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
        let sizes = crate::batching::balanced_batch_sizes(window.len(), self.batch_size);
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
            };
            self.fail(f, &it.record.customer, false, it.ready_at);
        }
        Ok(())
    }

    async fn create_groups(&mut self, titles: &[String]) -> Result<(), SyncError> {
        // Few titles go in one aliased request; many are spread over up to `concurrency`
        // requests so that creating a window's groups costs about one round trip.
        let sizes = crate::batching::group_chunk_sizes(
            titles.len(),
            GROUPS_PER_REQUEST,
            self.cfg.sync.concurrency,
        );
        let mut requests = Vec::with_capacity(sizes.len());
        let mut start = 0;
        for size in sizes {
            let chunk = &titles[start..start + size];
            start += size;
            let body = build_create_groups(&self.cfg.board.id, chunk);
            // Group creation goes through the read path (retries, pacing) but must not be
            // replayed blindly: an idempotency key makes retries safe.
            self.group_requests += 1;
            let key = self
                .client
                .request_key("groups", self.group_requests, 0, &body);
            let cost = chunk.len() as u64 * self.cfg.sync.mutation_complexity;
            let aliases: Vec<String> = (0..chunk.len()).map(|i| format!("g{i}")).collect();
            requests.push((
                chunk,
                send_group_request(
                    self.client.clone(),
                    bytes::Bytes::from(body),
                    key,
                    aliases,
                    cost,
                ),
            ));
        }
        let (chunks, futures): (Vec<_>, Vec<_>) = requests.into_iter().unzip();
        let pacer = self.client.pacer.clone();
        let results = blocked(&mut self.phases, &pacer, futures::future::join_all(futures)).await;
        for (chunk, result) in chunks.into_iter().zip(results) {
            let result = result?;
            for (i, t) in chunk.iter().enumerate() {
                match data_id(&result, &format!("g{i}")) {
                    Some(id) => {
                        tracing::debug!(group = %t, %id, "group created");
                        self.groups.insert(t.clone(), id);
                    }
                    None => tracing::warn!(group = %t, "create_group returned no id"),
                }
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
        while self.tasks.len() >= self.cfg.sync.concurrency {
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
            Some(Err(e)) => Err(SyncError::Api(format!("sender task failed: {e}"))),
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
                    label_error,
                } => {
                    cleared.push(rec.key.clone());
                    let f = RecordFailure {
                        line: rec.line,
                        key: Some(rec.key.clone()),
                        field,
                        reason,
                    };
                    let customer = rec.customer.clone();
                    self.fail(f, &customer, label_error, item.ready_at);
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
        let mut done = vec![];
        let mut cleared: Vec<String> = updates.iter().map(|p| p.key.clone()).collect();
        for p in &creates {
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
                    };
                    let c = item.record.customer.clone();
                    self.fail(f, &c, false, item.ready_at);
                }
                return Ok(());
            }
        };
        let now = Instant::now();
        let mut done = vec![];
        let mut cleared = vec![];
        for (item, reason) in items {
            let rec = item.record.clone();
            match (found.get(&rec.key).and_then(|ids| ids.first()), &item.op) {
                (Some(id), Op::Create { .. }) => {
                    done.push((rec.key.clone(), id.clone(), rec.content_hash.clone()));
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
                    };
                    self.fail(f, &rec.customer, false, item.ready_at);
                }
            }
        }
        self.record_outcomes(&done, &cleared)
    }
}

/// Most `create_group` aliases in one request before the work is spread over more requests.
const GROUPS_PER_REQUEST: usize = 5;

/// One aliased `create_group` request, retried (same key) until it answers; returns its `data`.
async fn send_group_request(
    client: Arc<ApiClient>,
    bytes: bytes::Bytes,
    key: String,
    aliases: Vec<String>,
    cost: u64,
) -> Result<Value, SyncError> {
    let mut backoff = crate::retry::Backoff::new(client.seed, u64::MAX - 1);
    let mut retries = 0;
    let mut attempt = 0;
    loop {
        let (ticket, _) = client.pacer.acquire(cost).await;
        let res = client
            .send_once(
                bytes.clone(),
                Some(key.clone()),
                RequestKind::CreateGroups,
                0,
                attempt,
            )
            .await;
        attempt += 1;
        match res {
            Ok(resp) => {
                let (class, budget) = classify(&resp, &aliases);
                client.pacer.on_response(
                    ticket,
                    &budget,
                    matches!(class, ResponseClass::Aliases(_)),
                );
                match class {
                    ResponseClass::Aliases(_) => {
                        let v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
                        return Ok(v.get("data").cloned().unwrap_or(Value::Null));
                    }
                    ResponseClass::Throttled { retry_in, .. } => {
                        client.counters.throttled.fetch_add(1, Ordering::Relaxed);
                        client.pacer.block_for(client.throttle_wait(retry_in));
                        continue;
                    }
                    ResponseClass::Busy { retry_in, .. } => {
                        client
                            .limit_wait(retry_in.unwrap_or(Duration::from_secs(1)))
                            .await;
                        continue;
                    }
                    ResponseClass::Auth { status, message } => {
                        return Err(SyncError::Auth { status, message })
                    }
                    ResponseClass::BoardNotFound { message } => {
                        return Err(SyncError::Api(message))
                    }
                    ResponseClass::ServerError { .. } => {}
                    other => return Err(SyncError::Api(format!("create_group failed: {other:?}"))),
                }
            }
            Err(crate::transport::TransportError::Other(m)) => return Err(SyncError::Api(m)),
            Err(_) => client.pacer.on_response(ticket, &Default::default(), true),
        }
        retries += 1;
        if retries > client.max_retries {
            return Err(SyncError::Api(format!(
                "create_group failed after {attempt} attempts"
            )));
        }
        client.backoff_sleep(backoff.delay(retries - 1)).await;
    }
}

fn data_id(data: &Value, alias: &str) -> Option<String> {
    match data.get(alias)?.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
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
    let batch_size = cfg.sync.effective_batch_size();
    // A missing, unreadable or wrongly formatted input is reported before any request.
    phases.switch(Phase::Read);
    params.input.precheck()?;
    let size = if params.progress {
        params.input.size()
    } else {
        crate::input::InputSize::Unknown
    };
    phases.switch(Phase::Send);
    let mut progress = Progress::new(
        params.progress,
        size,
        PaceModel {
            cost_per_record: cfg.sync.mutation_complexity,
            batch_size,
            concurrency: cfg.sync.concurrency,
            window: BUDGET_WINDOW,
        },
    );
    let observer: Option<Arc<dyn SyncObserver>> = match (params.observer, progress.observer()) {
        (Some(a), Some(b)) => Some(Arc::new(Observers(vec![a, b]))),
        (a, b) => a.or(b),
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
            cfg.sync.respect_retry_after,
            observer.clone(),
        )
        .with_run_id(run_id.clone()),
    );
    progress.start(client.pacer.clone());
    tracing::info!(board = %cfg.board.id, %run_id, mode = ?cfg.sync.mode, batch_size, concurrency = cfg.sync.concurrency, "sync starting");

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
        extra_round_trips: cfg.sync.extra_round_trips_per_batch,
    });
    let mut summary = RunSummary {
        dry_run: params.dry_run,
        seed: cfg.sync.seed,
        run_id: run_id.clone(),
        config: serde_json::to_value(&cfg).unwrap_or(Value::Null),
        ..Default::default()
    };
    if cfg.sync.mode == Mode::Single {
        summary.config["sync"]["effective_batch_size"] = json!(1);
    }
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
                };
                co.fail(failure, "", false, ready_at);
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
                        let label_error = is_label_failure(&f);
                        co.fail(f, &customer, label_error, ready_at);
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
                Err(e) => return Err(SyncError::Api(format!("sender task failed: {e}"))),
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

    co.phases.switch(Phase::Report);
    co.summary.complexity_budget = co.client.pacer.limit();
    let c = &co.client.counters;
    co.summary.requests = c.requests.load(Ordering::Relaxed);
    co.summary.retries = c.retries.load(Ordering::Relaxed);
    co.summary.throttled = c.throttled.load(Ordering::Relaxed);
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
        write_summary_json(dir, &co.summary)?;
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

/// Count of records per customer, for callers that want it without the full summary.
pub fn customers(summary: &RunSummary) -> BTreeMap<String, u64> {
    summary
        .per_customer
        .iter()
        .map(|(k, v)| (k.clone(), v.records))
        .collect()
}
