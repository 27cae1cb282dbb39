//! The coordinator: it only sequences. Each record goes read -> transform -> [`classify`] ->
//! [`Queues`] (a window of creates, a batch of updates) -> groups ([`GroupIds`]) -> verify
//! ([`split_found`], when the state store was lost) -> capacity ([`Capacity::admit_items`]) ->
//! batches ([`balanced_batch_sizes`]) -> a [`WritePath`] job -> [`settle`]. Every state write
//! happens here, on one task, so phases never overlap (see [`crate::report`]).

mod bulk;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::task::JoinSet;
use tokio::time::Instant;

use super::queues::{classify, Queues, Ready};
use super::settle::{confirm, leave_pending, settle, Learned, Unknown};
use super::tally::Tally;
use crate::api::client::ApiClient;
use crate::api::pacing::Pacer;
use crate::error::SyncError;
use crate::mapping::config::SyncConfig;
use crate::mapping::transform::{FailureCause, PreparedRecord, RecordFailure};
use crate::observer::RequestKind;
use crate::planning::batching::{balanced_batch_sizes, write_lanes};
use crate::planning::capacity::Capacity;
use crate::planning::groups::{create_groups, GroupIds};
use crate::planning::verify::split_found;
use crate::planning::PlannedRecord;
use crate::report::{Phase, PhaseTimer};
use crate::state::reconcile::{find_items_by_key, resolve_pending};
use crate::state::StateStore;
use crate::write::{RecordResult, WriteJob, WritePath, WriteReport};
pub(crate) use bulk::Bulk;

/// Wait on `fut` from the coordinator: counted as `send`, except the limit-only time, counted as `wait`.
pub(crate) async fn blocked<T>(
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

/// Log one INFO progress line every this many batches.
pub(crate) const INFO_EVERY_BATCHES: u64 = 20;

/// Request sequence numbers of this run (they seed backoff and name idempotency keys).
#[derive(Debug, Default)]
struct Seqs {
    batches: u64,
    group_requests: u64,
}

/// Sequences one run; owns everything the run changes.
pub(crate) struct Coordinator {
    pub(crate) cfg: SyncConfig,
    pub(crate) client: Arc<ApiClient>,
    path: Arc<dyn WritePath>,
    pub(crate) phases: PhaseTimer,
    state: StateStore,
    pub(crate) tally: Tally,
    queues: Queues,
    groups: GroupIds,
    capacity: Capacity,
    /// Write jobs in flight (at most `write_lanes`).
    jobs: JoinSet<WriteReport>,
    seqs: Seqs,
    /// Records whose outcome is unknown: looked up on the board at the end.
    unknown: Vec<Unknown>,
    /// The condition that stops the run, once met.
    pub(crate) fatal: Option<SyncError>,
    pub(crate) dry_run: bool,
    started: Instant,
    /// The bulk import side (`auto`/`ingest` modes; also resolves an earlier run's open jobs).
    bulk: Option<Bulk>,
}

/// What the coordinator starts from.
pub(crate) struct Start {
    pub(crate) cfg: SyncConfig,
    pub(crate) client: Arc<ApiClient>,
    pub(crate) path: Arc<dyn WritePath>,
    pub(crate) phases: PhaseTimer,
    pub(crate) state: StateStore,
    pub(crate) tally: Tally,
    pub(crate) batch_size: usize,
    /// The board's groups (title -> id).
    pub(crate) known_groups: HashMap<String, String>,
    pub(crate) capacity: Capacity,
    pub(crate) dry_run: bool,
    pub(crate) started: Instant,
    pub(crate) bulk: Option<Bulk>,
}

impl Coordinator {
    pub(crate) fn new(s: Start) -> Self {
        let window = crate::planning::batching::window_size(s.batch_size, write_lanes(&s.cfg.sync));
        Coordinator {
            queues: Queues::new(s.batch_size, window),
            groups: GroupIds::new(&s.cfg.board, s.known_groups),
            cfg: s.cfg,
            client: s.client,
            path: s.path,
            phases: s.phases,
            state: s.state,
            tally: s.tally,
            capacity: s.capacity,
            jobs: JoinSet::new(),
            seqs: Seqs::default(),
            unknown: vec![],
            fatal: None,
            dry_run: s.dry_run,
            started: s.started,
            bulk: s.bulk,
        }
    }

    /// What the state store's durability cost so far (None in memory).
    pub(crate) fn state_durability(&self) -> Option<crate::state::Durability> {
        self.state.durability()
    }

    /// Titles a dry run would create.
    pub(crate) fn planned_groups(&self) -> &[String] {
        self.groups.planned()
    }

    /// A record that failed before planning (invalid input or transform).
    pub(crate) fn fail(&mut self, f: RecordFailure, customer: &str, ready_at: Instant) {
        self.tally.fail(f, customer, ready_at);
    }

    /// Classify a transformed record against the state store and queue it.
    pub(crate) async fn accept(
        &mut self,
        rec: PreparedRecord,
        ready_at: Instant,
    ) -> Result<(), SyncError> {
        self.phases.switch(Phase::State);
        let row = self.state.get(&rec.key)?;
        let Some(op) = classify(row.as_ref(), &rec).op() else {
            self.tally.unchanged(&rec, ready_at);
            return Ok(());
        };
        let item = PlannedRecord {
            record: rec,
            op,
            ready_at,
            created_here: false,
        };
        let Some(item) = self.collect(item) else {
            return Ok(());
        };
        match self.queues.push(item) {
            Ready::Updates => {
                let updates = self.queues.take_updates();
                self.dispatch(RequestKind::Update, updates).await
            }
            Ready::Window => self.flush_window().await,
            Ready::None => Ok(()),
        }
    }

    /// Send the window of collected creates: its missing groups first (one round), then the
    /// records cut by [`balanced_batch_sizes`].
    pub(crate) async fn flush_window(&mut self) -> Result<(), SyncError> {
        let mut window = self.queues.take_window();
        if window.is_empty() {
            return Ok(());
        }
        self.resolve_groups(&mut window).await?;
        let sizes = balanced_batch_sizes(window.len(), self.queues.batch_size());
        let mut rest = window.into_iter();
        for size in sizes {
            let batch: Vec<PlannedRecord> = rest.by_ref().take(size).collect();
            self.send_creates(batch).await?;
        }
        Ok(())
    }

    /// Send the queued updates (end of input).
    pub(crate) async fn flush_updates(&mut self) -> Result<(), SyncError> {
        let updates = self.queues.take_updates();
        self.dispatch(RequestKind::Update, updates).await
    }

    /// Create the groups `items` miss (one round of requests) and set their group ids; records
    /// whose group could not be created fail.
    async fn resolve_groups(&mut self, items: &mut Vec<PlannedRecord>) -> Result<(), SyncError> {
        let missing = self.groups.missing(items);
        if !missing.is_empty() {
            if self.dry_run {
                self.groups.plan(&missing);
            } else {
                self.create_groups(&missing).await?;
            }
        }
        let field = self.cfg.board.group_by.clone().unwrap_or_default();
        for it in self.groups.assign(items) {
            let rec = &it.record;
            let group = rec.group.clone().unwrap_or_default();
            let reason = format!("group `{group}` could not be created");
            let f = RecordFailure::new(
                rec.line,
                Some(&rec.key),
                &field,
                FailureCause::Rejected,
                reason,
            );
            self.tally.fail(f, &rec.customer, it.ready_at);
        }
        Ok(())
    }

    async fn create_groups(&mut self, titles: &[String]) -> Result<(), SyncError> {
        let client = self.client.clone();
        let lanes = self
            .cfg
            .sync
            .write_concurrency
            .min(self.cfg.sync.concurrency);
        let create = create_groups(
            &client,
            &self.cfg.board.id,
            titles,
            lanes,
            self.cfg.sync.mutation_complexity,
            &mut self.seqs.group_requests,
        );
        let created = blocked(&mut self.phases, &client.pacer, create).await?;
        self.groups.add(created);
        Ok(())
    }

    /// One batch of creates: verified against the board when the state store was lost, admitted
    /// to the board's capacity, then sent.
    async fn send_creates(&mut self, mut items: Vec<PlannedRecord>) -> Result<(), SyncError> {
        if items.is_empty() {
            return Ok(());
        }
        if !self.dry_run {
            if self.state.needs_full_verify() {
                items = self.verify_creates(items).await?;
            }
            self.admit_creates(&mut items).await?;
            if items.is_empty() {
                return Ok(());
            }
        }
        self.dispatch(RequestKind::Create, items).await
    }

    /// State was lost: creates already on the board go with the next update batch instead.
    async fn verify_creates(
        &mut self,
        items: Vec<PlannedRecord>,
    ) -> Result<Vec<PlannedRecord>, SyncError> {
        let keys: Vec<String> = items.iter().map(|i| i.record.key.clone()).collect();
        let found = self.find_on_board(&keys).await?;
        let (creates, updates) = split_found(items, &found);
        self.queues.requeue_updates(updates);
        Ok(creates)
    }

    /// Creates that do not fit on the board fail as "board full" here, before anything is sent.
    /// Waits for the creates in flight first when their answers decide.
    async fn admit_creates(&mut self, items: &mut Vec<PlannedRecord>) -> Result<(), SyncError> {
        if !self.capacity.fits(items.len()) {
            self.drain().await?;
        }
        let refused = self.capacity.admit_items(items);
        if !refused.is_empty() {
            let reason = self.capacity.reason();
            for it in refused {
                let rec = &it.record;
                let f = RecordFailure::new(
                    rec.line,
                    Some(&rec.key),
                    "",
                    FailureCause::BoardFull,
                    reason.clone(),
                );
                self.tally.fail(f, &rec.customer, it.ready_at);
            }
        }
        Ok(())
    }

    /// Send (or, in a dry run, plan) one batch of planned records.
    async fn dispatch(
        &mut self,
        kind: RequestKind,
        items: Vec<PlannedRecord>,
    ) -> Result<(), SyncError> {
        if items.is_empty() {
            return Ok(());
        }
        self.seqs.batches += 1;
        let seq = self.seqs.batches;
        self.tally.summary.batches += 1;
        if self.dry_run {
            self.phases.switch(Phase::Transform);
            tracing::debug!(seq, ?kind, records = items.len(), "planned batch");
            return Ok(());
        }
        self.phases.switch(Phase::State);
        let rows: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.record.key.as_str(), i.record.content_hash.as_str()))
            .collect();
        self.state.mark_pending(&rows, &format!("batch-{seq}"))?;
        while self.jobs.len() >= write_lanes(&self.cfg.sync) {
            self.join_one().await?;
        }
        if seq.checked_rem(INFO_EVERY_BATCHES) == Some(0) {
            self.log_progress(seq);
        }
        let path = self.path.clone();
        let job = WriteJob {
            seq,
            kind,
            records: items,
        };
        self.jobs.spawn(async move { path.write(job).await });
        Ok(())
    }

    fn log_progress(&self, batches: u64) {
        let s = &self.tally.summary;
        tracing::info!(
            batches,
            created = s.created,
            updated = s.updated,
            unchanged = s.unchanged,
            failed = s.failed,
            requests = self.client.counters.requests.load(Ordering::Relaxed),
            elapsed_ms = (Instant::now() - self.started).as_millis() as u64,
            "progress"
        );
    }

    /// Items on the board whose key column holds one of `keys` (key -> item ids), looked up with
    /// an `items_page` `any_of` query (`crate::state::reconcile`); the time spent waiting on
    /// limits counts as waiting.
    async fn find_on_board(
        &mut self,
        keys: &[String],
    ) -> Result<HashMap<String, Vec<String>>, SyncError> {
        let client = self.client.clone();
        let board = &self.cfg.board;
        let lookup = find_items_by_key(&client, &board.id, &board.key_column, keys);
        blocked(&mut self.phases, &client.pacer, lookup).await
    }

    /// Apply the jobs that finished, without waiting.
    pub(crate) fn apply_finished(&mut self) -> Result<(), SyncError> {
        while let Some(done) = self.jobs.try_join_next() {
            match done {
                Ok(r) => self.apply_batch(r)?,
                Err(source) => return Err(SyncError::Task { source }),
            }
        }
        Ok(())
    }

    /// Wait for every job in flight and apply it.
    pub(crate) async fn drain(&mut self) -> Result<(), SyncError> {
        while !self.jobs.is_empty() {
            self.join_one().await?;
        }
        Ok(())
    }

    async fn join_one(&mut self) -> Result<(), SyncError> {
        let pacer = self.client.pacer.clone();
        let res = blocked(&mut self.phases, &pacer, self.jobs.join_next()).await;
        match res {
            Some(Ok(r)) => self.apply_batch(r),
            Some(Err(source)) => Err(SyncError::Task { source }),
            None => Ok(()),
        }
    }

    /// A batch's answers: the bulk path's re-plans count them off the batches still queued.
    pub(crate) fn apply_batch(&mut self, r: WriteReport) -> Result<(), SyncError> {
        if let Some(b) = &self.bulk {
            b.ingest.batches_answered(r.outcomes.len());
        }
        self.apply(r)
    }

    pub(crate) fn apply(&mut self, r: WriteReport) -> Result<(), SyncError> {
        self.phases.switch(Phase::State);
        if let Some(f) = r.fatal {
            tracing::error!(error = %f, "fatal API condition; stopping");
            if self.fatal.is_none() {
                self.fatal = Some(f);
            }
        }
        if r.kind == RequestKind::Create {
            let created = r
                .outcomes
                .iter()
                .filter(|(_, res)| matches!(res, RecordResult::Done { .. }))
                .count();
            if self
                .capacity
                .answered(r.outcomes.len(), created, r.board_full)
            {
                tracing::error!(board = %self.cfg.board.id, "the board is full (ItemsLimitationException); no more creates are sent");
            }
        }
        let (learned, unknown) = settle(r.outcomes, r.finished_at, &mut self.tally);
        self.unknown.extend(unknown);
        self.store(&learned)
    }

    /// Store what is now known: done rows become done, cleared keys lose their pending mark.
    fn store(&mut self, learned: &Learned) -> Result<(), SyncError> {
        let rows: Vec<(&str, &str, &str)> = learned
            .done
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        self.state.mark_done(&rows)?;
        let keys: Vec<&str> = learned.cleared.iter().map(String::as_str).collect();
        self.state.clear_pending(&keys)?;
        Ok(())
    }

    /// Resolve pending rows left by an earlier run before anything is created.
    pub(crate) async fn reconcile_pending(&mut self) -> Result<(), SyncError> {
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
        self.store(&Learned { done, cleared })
    }

    /// Records whose requests stayed ambiguous: look them up on the board.
    pub(crate) async fn reconcile_unknown(&mut self) -> Result<(), SyncError> {
        if self.unknown.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(&mut self.unknown);
        tracing::info!(
            records = items.len(),
            "reconciling records with unknown outcome"
        );
        let keys: Vec<String> = items.iter().map(|(i, _)| i.record.key.clone()).collect();
        let found = self.find_on_board(&keys).await;
        self.phases.switch(Phase::State);
        match found {
            Ok(found) => {
                let learned = confirm(items, &found, &mut self.tally);
                self.store(&learned)
            }
            Err(e) => {
                tracing::error!(error = %e, "could not reconcile; records stay pending for the next run");
                leave_pending(items, &mut self.tally);
                Ok(())
            }
        }
    }
}
