//! The coordinator in `auto` and `ingest` mode: it collects the run's creates and updates per
//! group, asks the planner ([`plan`]) which path each group takes, and sends the batch groups
//! through the batch path while the job groups run as bulk import jobs
//! ([`crate::write::ingest`]), both at once. Whatever the jobs hand back goes as batches. It only
//! sequences: the decisions are the planner's, the jobs' and the batch path's.

use std::sync::Arc;

use super::{blocked, Coordinator};
use crate::api::payload::Op;
use crate::engine::queues::Ready;
use crate::error::SyncError;
use crate::observer::RequestKind;
use crate::planning::paths::{plan, GroupLoad, PathChoice, PathPlan, PlanInputs};
use crate::planning::PlannedRecord;
use crate::report::{GroupPath, IngestSummary, Phase};
use crate::write::ingest::{GroupWork, IngestOutcome, IngestPath, JobNews};
use crate::write::WriteReport;

/// The bulk side of a run.
#[derive(Debug)]
pub(crate) struct Bulk {
    pub(crate) ingest: Arc<IngestPath>,
    pub(crate) inputs: PlanInputs,
    /// Where new items go when no group is configured (the board's first group).
    pub(crate) default_group: Option<String>,
    /// `auto`/`ingest` with the bulk path available: records are collected, then planned.
    pub(crate) collecting: bool,
    pub(crate) collected: Vec<PlannedRecord>,
    pub(crate) stats: IngestSummary,
}

/// One group's records, as collected.
struct Bucket {
    title: String,
    group_id: Option<String>,
    records: Vec<PlannedRecord>,
}

impl Coordinator {
    /// Keep `item` for the plan (returns `None`) while the run collects: every record, also one
    /// a CSV row cannot carry (it goes as a batch whatever the plan says, and the planner counts
    /// it as its group's batch load). Queuing those at once, as `batch` mode does, held the
    /// whole collection behind them: the batch queue is bounded, so reading stopped whenever it
    /// was full, and the queued batches spent each budget window before the plan could start a
    /// job (auto at 5,000 records created its first job at 372 s of the run).
    pub(crate) fn collect(&mut self, item: PlannedRecord) -> Option<PlannedRecord> {
        match &mut self.bulk {
            Some(b) if b.collecting => {
                if let Err(e) = b.ingest.layout().row(&item.record) {
                    tracing::trace!(line = item.record.line, column = %e.column_id, why = e.why, "a batch record: the CSV cannot carry it");
                }
                b.collected.push(item);
                None
            }
            _ => Some(item),
        }
    }

    /// Before anything is sent: poll the jobs an earlier run left open until they end.
    pub(crate) async fn finish_open_jobs(&mut self) -> Result<(), SyncError> {
        let Some(b) = &mut self.bulk else {
            return Ok(());
        };
        let ingest = b.ingest.clone();
        let mut stats = std::mem::take(&mut b.stats);
        let pacer = self.client.pacer.clone();
        let n = blocked(
            &mut self.phases,
            &pacer,
            ingest.finish_open_jobs(&mut stats),
        )
        .await?;
        if n > 0 {
            tracing::info!(
                jobs = n,
                "jobs of an earlier run resolved before this run sends"
            );
        }
        if let Some(b) = &mut self.bulk {
            b.stats = stats;
        }
        Ok(())
    }

    /// End of input: plan the collected records and send them, jobs and batches at once.
    pub(crate) async fn send_collected(&mut self) -> Result<(), SyncError> {
        let Some(b) = self.bulk.as_mut().filter(|b| b.collecting) else {
            return Ok(());
        };
        let items = std::mem::take(&mut b.collected);
        if items.is_empty() {
            return Ok(());
        }
        let (mut creates, updates): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|i| matches!(i.op, Op::Create { .. }));
        self.resolve_groups(&mut creates).await?;
        let buckets = self.buckets(creates, updates);
        let (ingest, inputs) = match &self.bulk {
            // What is left of the hour now: jobs an earlier run left open ended since the start.
            Some(b) => (b.ingest.clone(), b.ingest.with_hour_left(b.inputs.clone())),
            None => return Ok(()),
        };
        // The budget as it stands now (reading the board, creating groups and jobs an earlier
        // run left open may have spent some) and any batch already queued.
        let pacer = self.client.pacer.clone();
        let inputs = inputs.with_budget(
            &pacer.snapshot(),
            tokio::time::Instant::now(),
            self.queues.pending(),
        );
        let loads: Vec<GroupLoad> = buckets.iter().map(|b| load(&ingest, b)).collect();
        let planned = plan(&loads, &inputs);
        self.note_plan(&planned);
        let (works, mut batch) = split_by_plan(&ingest, buckets, &planned);
        let works = self.add_job_labels(&ingest, works, &mut batch).await;
        let works = self.prepare_jobs(works).await?;
        // The jobs' first starts go before any batch: a batch waiting for the budget's reset
        // holds the board's write turn, and a start behind it would wait a whole window.
        ingest.batches_sent(batch.len() + self.queues.pending());
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (news_tx, mut news_rx) = tokio::sync::mpsc::unbounded_channel();
        let jobs = tokio::spawn(ingest.run_groups(works, inputs, Some(started_tx), Some(news_tx)));
        let _ = blocked(&mut self.phases, &pacer, started_rx).await;
        self.queue_for_batches(batch).await?;
        self.flush_window().await?;
        self.flush_updates().await?;
        let out = self.while_jobs_run(jobs, &mut news_rx).await?;
        while let Ok(news) = news_rx.try_recv() {
            self.take_news(news).await?;
        }
        for r in out.reports {
            self.apply(r)?;
        }
        for p in &out.replans {
            self.note_plan(p);
        }
        self.send_as_batches(out.to_batch).await?;
        self.drain().await?;
        if let Some(b) = &mut self.bulk {
            let mut stats = out.stats;
            stats.replans = out.replans.len() as u64;
            stats.polls += b.stats.polls;
            stats.sent_as_batches += b.stats.sent_as_batches;
            stats.labels_added = std::mem::take(&mut b.stats.labels_added);
            b.stats = stats;
        }
        Ok(())
    }

    /// While the jobs run: batches answer, and the jobs hand over what they settled and what goes
    /// as batches instead (sent at once, beside a wait for the hour). Returns when the jobs end.
    async fn while_jobs_run(
        &mut self,
        mut jobs: tokio::task::JoinHandle<IngestOutcome>,
        news_rx: &mut tokio::sync::mpsc::UnboundedReceiver<JobNews>,
    ) -> Result<IngestOutcome, SyncError> {
        /// What woke the coordinator.
        enum Woke {
            News(Option<JobNews>),
            Batch(Option<Result<WriteReport, tokio::task::JoinError>>),
            Ended(Result<IngestOutcome, tokio::task::JoinError>),
        }
        let pacer = self.client.pacer.clone();
        let mut news_open = true;
        loop {
            // The wait is sending (and waiting on limits), as `blocked` counts it.
            let prev = self.phases.switch(Phase::Send);
            let before = pacer.activity(|a| a.limit_only(tokio::time::Instant::now()));
            let woke = tokio::select! {
                news = news_rx.recv(), if news_open => Woke::News(news),
                done = self.jobs.join_next(), if !self.jobs.is_empty() => Woke::Batch(done),
                ended = &mut jobs => Woke::Ended(ended),
            };
            let after = pacer.activity(|a| a.limit_only(tokio::time::Instant::now()));
            self.phases.switch(prev);
            self.phases
                .reattribute(Phase::Send, Phase::Wait, after.saturating_sub(before));
            match woke {
                Woke::News(Some(news)) => self.take_news(news).await?,
                Woke::News(None) => news_open = false,
                Woke::Batch(Some(Ok(r))) => self.apply_batch(r)?,
                Woke::Batch(Some(Err(source))) => return Err(SyncError::Task { source }),
                Woke::Batch(None) => {}
                Woke::Ended(ended) => return ended.map_err(|source| SyncError::Task { source }),
            }
        }
    }

    /// One piece of news from the jobs: settled records are applied, records for batches sent.
    async fn take_news(&mut self, news: JobNews) -> Result<(), SyncError> {
        match news {
            JobNews::ToBatch(records) => self.send_as_batches(records).await,
            JobNews::Done(reports) => {
                for r in reports {
                    self.apply(r)?;
                }
                Ok(())
            }
        }
    }

    /// The labels the jobs' rows need, added before any job starts (one request per column);
    /// rows whose labels could not be added join `batch`.
    async fn add_job_labels(
        &mut self,
        ingest: &IngestPath,
        works: Vec<GroupWork>,
        batch: &mut Vec<PlannedRecord>,
    ) -> Vec<GroupWork> {
        let Some(b) = &mut self.bulk else {
            return works;
        };
        let mut stats = std::mem::take(&mut b.stats);
        let pacer = self.client.pacer.clone();
        let (works, back) = blocked(
            &mut self.phases,
            &pacer,
            ingest.add_labels(works, &mut stats),
        )
        .await;
        if let Some(b) = &mut self.bulk {
            b.stats = stats;
        }
        batch.extend(back);
        works
    }

    /// The collected records by group (first-seen order), each with the group id a job uses.
    fn buckets(&self, creates: Vec<PlannedRecord>, updates: Vec<PlannedRecord>) -> Vec<Bucket> {
        let default = self.bulk.as_ref().and_then(|b| b.default_group.clone());
        let mut out: Vec<Bucket> = vec![];
        for it in creates.into_iter().chain(updates) {
            let title = it.record.group.clone().unwrap_or_default();
            let id = match &it.op {
                Op::Create { group_id } => group_id.clone(),
                Op::Update { .. } => self.groups.id_for(it.record.group.as_deref()),
            }
            .or_else(|| default.clone());
            match out.iter_mut().find(|b| b.title == title) {
                Some(b) => {
                    b.group_id = b.group_id.take().or(id);
                    b.records.push(it);
                }
                None => out.push(Bucket {
                    title,
                    group_id: id,
                    records: vec![it],
                }),
            }
        }
        out
    }

    /// The plan goes into the summary (latest decision per group) and the per-customer report.
    fn note_plan(&mut self, p: &PathPlan) {
        let s = &mut self.tally.summary;
        for g in &p.groups {
            let path = match g.path {
                PathChoice::Batch => "batch",
                PathChoice::Ingest => "ingest",
            };
            let entry = GroupPath {
                group: g.group.clone(),
                path: path.into(),
                records: g.records as u64,
                est_batch_s: g.est_batch_s,
                est_ingest_s: g.est_ingest_s,
                why: g.why.clone(),
            };
            match s.plan.iter_mut().find(|x| x.group == g.group) {
                Some(x) => *x = entry,
                None => s.plan.push(entry),
            }
            if let Some(c) = s.per_customer.get_mut(&g.group) {
                c.path = path.into();
            }
        }
    }

    /// Job records: creates admitted to the board's room (the rest fail as "board full"), then
    /// every record marked pending before its job starts.
    async fn prepare_jobs(&mut self, works: Vec<GroupWork>) -> Result<Vec<GroupWork>, SyncError> {
        let mut out = Vec::with_capacity(works.len());
        for mut w in works {
            let (mut creates, updates): (Vec<_>, Vec<_>) = w
                .records
                .into_iter()
                .partition(|i| matches!(i.op, Op::Create { .. }));
            self.admit_creates(&mut creates).await?;
            w.records = creates.into_iter().chain(updates).collect();
            if w.records.is_empty() {
                continue;
            }
            self.phases.switch(Phase::State);
            let rows: Vec<(&str, &str)> = w
                .records
                .iter()
                .map(|i| (i.record.key.as_str(), i.record.content_hash.as_str()))
                .collect();
            self.state
                .mark_pending(&rows, &format!("job-{}", w.group_id))?;
            out.push(w);
        }
        Ok(out)
    }

    /// Batch-planned records join the queues of the records that streamed (one window, the same
    /// cuts as in `batch` mode).
    async fn queue_for_batches(&mut self, items: Vec<PlannedRecord>) -> Result<(), SyncError> {
        for item in items {
            match self.queues.push(item) {
                Ready::Updates => {
                    let updates = self.queues.take_updates();
                    self.dispatch(RequestKind::Update, updates).await?;
                }
                Ready::Window => self.flush_window().await?,
                Ready::None => {}
            }
        }
        Ok(())
    }

    /// Send what the jobs handed back as batches (their creates already hold room on the board).
    async fn send_as_batches(&mut self, items: Vec<PlannedRecord>) -> Result<(), SyncError> {
        let (creates, updates): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|i| matches!(i.op, Op::Create { .. }));
        let size = self.queues.batch_size().max(1);
        let mut creates = creates.into_iter().peekable();
        while creates.peek().is_some() {
            let chunk: Vec<PlannedRecord> = creates.by_ref().take(size).collect();
            self.dispatch(RequestKind::Create, chunk).await?;
        }
        let mut updates = updates.into_iter().peekable();
        while updates.peek().is_some() {
            let chunk: Vec<PlannedRecord> = updates.by_ref().take(size).collect();
            self.dispatch(RequestKind::Update, chunk).await?;
        }
        self.drain().await
    }

    /// The bulk path's figures for the summary.
    pub(crate) fn ingest_summary(&self) -> Option<IngestSummary> {
        self.bulk
            .as_ref()
            .map(|b| b.stats.clone())
            .filter(|s| !s.jobs_by_state.is_empty() || s.polls > 0)
    }
}

/// What the planner sees of a bucket: a record a CSV row cannot carry (or a group without an
/// id for the job) counts as not ingestable.
fn load(ingest: &IngestPath, b: &Bucket) -> GroupLoad {
    let ingestable = match b.group_id {
        Some(_) => b
            .records
            .iter()
            .filter(|r| ingest.layout().row(&r.record).is_ok())
            .count(),
        None => 0,
    };
    GroupLoad {
        group: b.title.clone(),
        records: b.records.len(),
        ingestable,
    }
}

/// Job groups (their CSV-carriable records) and everything else for batches.
fn split_by_plan(
    ingest: &IngestPath,
    buckets: Vec<Bucket>,
    planned: &PathPlan,
) -> (Vec<GroupWork>, Vec<PlannedRecord>) {
    let mut works = vec![];
    let mut batch = vec![];
    for (b, p) in buckets.into_iter().zip(planned.groups.iter()) {
        match (p.path, b.group_id) {
            (PathChoice::Ingest, Some(group_id)) => {
                let (rows, rest): (Vec<_>, Vec<_>) = b.records.into_iter().partition(|r| {
                    ingest
                        .layout()
                        .row(&r.record)
                        .map_err(|e| tracing::debug!(line = r.record.line, column = %e.column_id, why = e.why, "record goes as a batch: the CSV cannot carry it"))
                        .is_ok()
                });
                batch.extend(rest);
                if !rows.is_empty() {
                    works.push(GroupWork {
                        title: b.title,
                        group_id,
                        records: rows,
                    });
                }
            }
            (_, _) => batch.extend(b.records),
        }
    }
    (works, batch)
}
