//! The bulk import jobs a run started, durable beside the records (table `jobs` of the same
//! SQLite file; created on open, so older state files gain it): a job's id and the keys it
//! carries are written BEFORE its CSV is uploaded, its stage after. A rerun first polls the jobs
//! left open here, so nothing is sent for a record a job may still write
//! (docs/monday-bulk-import.md §1.3, §4.1).
//!
//! The ledger has its own connection (the job tasks write it while the coordinator owns the
//! records' connection); SQLite in WAL mode with a busy timeout serializes the two.
//!
//! It is also the run's memory of the account's hourly bulk-import budgets (19,000 items and
//! 100 successful job starts per account per hour,
//! https://developer.monday.com/api-reference/reference/ingest-items-api-reference): each job
//! keeps when it started and the rows it may have spent (the rows of its file until it ends,
//! then the rows it created or updated; none when it was rejected or never got its file), so a
//! run started within the hour of an earlier one plans with what is left ([`JobLedger::hour_use`]).
//! Times are the wall clock when the process first asked plus tokio's clock since, so runs in
//! virtual time (one process, tokio's paused clock) move through their hour together. The window is taken as rolling (the docs do not say): a spend leaves it
//! an hour after its job started.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection};

use crate::error::SyncError;
use crate::state::StateSpec;

pub(crate) const JOBS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    board_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    keys TEXT NOT NULL,
    stage TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at_ms INTEGER NOT NULL DEFAULT 0,
    rows INTEGER NOT NULL DEFAULT 0
)";

/// Columns added after the table first shipped (a ledger from before gains them on open; its
/// old jobs count as started long ago, outside any hour).
const ADDED_COLUMNS: [(&str, &str); 2] = [
    ("started_at_ms", "INTEGER NOT NULL DEFAULT 0"),
    ("rows", "INTEGER NOT NULL DEFAULT 0"),
];

/// The rolling window of the hourly budgets, in milliseconds.
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// Where a job is, as far as the ledger knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Started; its upload may or may not have arrived.
    Started,
    /// The upload answered 2xx.
    Uploaded,
    /// The job reached a final state and its rows were settled.
    Settled,
    /// The job never got its file (upload failed or the URL expired): it writes nothing.
    Abandoned,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Started => "started",
            Stage::Uploaded => "uploaded",
            Stage::Settled => "settled",
            Stage::Abandoned => "abandoned",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "uploaded" => Stage::Uploaded,
            "settled" => Stage::Settled,
            "abandoned" => Stage::Abandoned,
            _ => Stage::Started,
        }
    }
}

/// One job of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LedgerJob {
    pub job_id: String,
    pub board_id: String,
    pub group_id: String,
    pub keys: Vec<String>,
    pub stage: Stage,
    /// When the job started ([`JobLedger::now_ms`]).
    pub started_at_ms: i64,
    /// Items of the hourly budget the job may have spent: its file's rows until it ends.
    pub rows: u64,
}

/// What this ledger's jobs spent of the hourly budgets in the hour before a moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HourUse {
    /// Items (rows created or updated, or a file's rows while its job's end is unknown).
    pub items: u64,
    /// Successful job starts.
    pub starts: u32,
    /// (started at, items) of each job in the window, oldest first: when each spend leaves it.
    pub spends: Vec<(i64, u64)>,
}

impl HourUse {
    /// When the oldest spend in the window leaves it (None: nothing in the window).
    pub(crate) fn next_free_at(&self) -> Option<i64> {
        self.spends.first().map(|(t, _)| t + HOUR_MS)
    }
}

enum Backend {
    Sqlite(Connection),
    Memory(Vec<LedgerJob>),
}

/// The jobs ledger (shared by the job tasks of a run).
pub(crate) struct JobLedger {
    inner: Mutex<Backend>,
    path: String,
}

/// The wall clock (ms since the epoch) and tokio's clock when the process first read the
/// ledger's time.
static CLOCK_BASE: std::sync::OnceLock<(i64, tokio::time::Instant)> = std::sync::OnceLock::new();

impl std::fmt::Debug for JobLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JobLedger({})", self.path)
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute(JOBS_SCHEMA, [])?;
    add_missing_columns(&conn)?;
    Ok(conn)
}

/// A ledger written before [`ADDED_COLUMNS`] gains them.
fn add_missing_columns(conn: &Connection) -> rusqlite::Result<()> {
    let mut st = conn.prepare("SELECT name FROM pragma_table_info('jobs')")?;
    let have: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for (name, decl) in ADDED_COLUMNS {
        if !have.iter().any(|h| h == name) {
            conn.execute(&format!("ALTER TABLE jobs ADD COLUMN {name} {decl}"), [])?;
        }
    }
    Ok(())
}

impl JobLedger {
    /// The ledger of `spec` (open the state store first: it creates or repairs the file).
    pub(crate) fn open(spec: &StateSpec) -> Result<Self, SyncError> {
        match spec {
            StateSpec::InMemory => Ok(JobLedger {
                inner: Mutex::new(Backend::Memory(vec![])),
                path: "memory".into(),
            }),
            StateSpec::Path(p) => {
                let shown = p.display().to_string();
                let conn = open_conn(p).map_err(|e| SyncError::state(shown.clone(), e))?;
                Ok(JobLedger {
                    inner: Mutex::new(Backend::Sqlite(conn)),
                    path: shown,
                })
            }
        }
    }

    fn err(&self, e: rusqlite::Error) -> SyncError {
        SyncError::state(self.path.clone(), e)
    }

    /// Now, as the ledger keeps time: the wall clock at the process's first reading plus
    /// tokio's clock since.
    pub(crate) fn now_ms(&self) -> i64 {
        let (wall, at) = *CLOCK_BASE.get_or_init(|| (now_ms(), tokio::time::Instant::now()));
        wall + at.elapsed().as_millis() as i64
    }

    /// Record a started job and its keys (before its upload).
    pub(crate) fn started(&self, job: &LedgerJob) -> Result<(), SyncError> {
        let mut b = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *b {
            Backend::Memory(v) => {
                v.push(job.clone());
                Ok(())
            }
            Backend::Sqlite(c) => c
                .execute(
                    "INSERT OR REPLACE INTO jobs (job_id, board_id, group_id, keys, stage, updated_at, started_at_ms, rows) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        job.job_id,
                        job.board_id,
                        job.group_id,
                        serde_json::to_string(&job.keys).unwrap_or_default(),
                        job.stage.as_str(),
                        now_secs(),
                        job.started_at_ms,
                        job.rows as i64
                    ],
                )
                .map(drop)
                .map_err(|e| self.err(e)),
        }
    }

    /// Move `job_id` to `stage`.
    pub(crate) fn set_stage(&self, job_id: &str, stage: Stage) -> Result<(), SyncError> {
        let mut b = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *b {
            Backend::Memory(v) => {
                v.iter_mut()
                    .filter(|j| j.job_id == job_id)
                    .for_each(|j| j.stage = stage);
                Ok(())
            }
            Backend::Sqlite(c) => c
                .execute(
                    "UPDATE jobs SET stage = ?2, updated_at = ?3 WHERE job_id = ?1",
                    params![job_id, stage.as_str(), now_secs()],
                )
                .map(drop)
                .map_err(|e| self.err(e)),
        }
    }

    /// The items `job_id` spent of the hourly budget, once its end is known (rows created or
    /// updated; 0 for a job that was rejected or never got its file).
    pub(crate) fn set_rows(&self, job_id: &str, rows: u64) -> Result<(), SyncError> {
        let mut b = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *b {
            Backend::Memory(v) => {
                v.iter_mut()
                    .filter(|j| j.job_id == job_id)
                    .for_each(|j| j.rows = rows);
                Ok(())
            }
            Backend::Sqlite(c) => c
                .execute(
                    "UPDATE jobs SET rows = ?2 WHERE job_id = ?1",
                    params![job_id, rows as i64],
                )
                .map(drop)
                .map_err(|e| self.err(e)),
        }
    }

    /// What the ledger's jobs (every board: the budgets are the account's) spent in the hour
    /// before `now_ms`.
    pub(crate) fn hour_use(&self, now_ms: i64) -> Result<HourUse, SyncError> {
        let since = now_ms - HOUR_MS;
        let b = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut spends: Vec<(i64, u64)> = match &*b {
            Backend::Memory(v) => v
                .iter()
                .filter(|j| j.started_at_ms > since)
                .map(|j| (j.started_at_ms, j.rows))
                .collect(),
            Backend::Sqlite(c) => {
                let mut st = c
                    .prepare("SELECT started_at_ms, rows FROM jobs WHERE started_at_ms > ?1")
                    .map_err(|e| self.err(e))?;
                let rows = st
                    .query_map(params![since], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
                    })
                    .map_err(|e| self.err(e))?;
                rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
            }
        };
        spends.sort_by_key(|(t, _)| *t);
        Ok(HourUse {
            items: spends.iter().map(|(_, n)| n).sum(),
            starts: spends.len().min(u32::MAX as usize) as u32,
            spends,
        })
    }

    /// Jobs of `board_id` not yet settled or abandoned (what a rerun polls first).
    pub(crate) fn open_jobs(&self, board_id: &str) -> Result<Vec<LedgerJob>, SyncError> {
        let b = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let open = |s: Stage| matches!(s, Stage::Started | Stage::Uploaded);
        match &*b {
            Backend::Memory(v) => Ok(v
                .iter()
                .filter(|j| j.board_id == board_id && open(j.stage))
                .cloned()
                .collect()),
            Backend::Sqlite(c) => {
                let mut st = c
                    .prepare("SELECT job_id, board_id, group_id, keys, stage, started_at_ms, rows FROM jobs WHERE board_id = ?1 AND stage IN ('started', 'uploaded') ORDER BY rowid")
                    .map_err(|e| self.err(e))?;
                let rows = st
                    .query_map(params![board_id], |r| {
                        let keys: String = r.get(3)?;
                        let stage: String = r.get(4)?;
                        Ok(LedgerJob {
                            job_id: r.get(0)?,
                            board_id: r.get(1)?,
                            group_id: r.get(2)?,
                            keys: serde_json::from_str(&keys).unwrap_or_default(),
                            stage: Stage::parse(&stage),
                            started_at_ms: r.get(5)?,
                            rows: r.get::<_, i64>(6)?.max(0) as u64,
                        })
                    })
                    .map_err(|e| self.err(e))?;
                rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str) -> LedgerJob {
        LedgerJob {
            job_id: id.into(),
            board_id: "1".into(),
            group_id: "topics".into(),
            keys: vec!["A".into(), "B".into()],
            stage: Stage::Started,
            started_at_ms: 0,
            rows: 2,
        }
    }

    #[test]
    fn open_jobs_survive_a_reopen_until_settled() {
        let dir = tempfile::tempdir().unwrap();
        let spec = StateSpec::Path(dir.path().join("s.db"));
        let l = JobLedger::open(&spec).unwrap();
        l.started(&job("j1")).unwrap();
        l.started(&job("j2")).unwrap();
        l.set_stage("j1", Stage::Uploaded).unwrap();
        l.set_stage("j2", Stage::Settled).unwrap();
        drop(l);
        let again = JobLedger::open(&spec).unwrap();
        let open = again.open_jobs("1").unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].job_id, "j1");
        assert_eq!(open[0].stage, Stage::Uploaded);
        assert_eq!(open[0].keys, ["A", "B"]);
        assert!(again.open_jobs("2").unwrap().is_empty());
    }

    fn spent(id: &str, at: i64, rows: u64) -> LedgerJob {
        LedgerJob {
            started_at_ms: at,
            rows,
            ..job(id)
        }
    }

    #[test]
    fn the_hour_counts_what_jobs_spent_in_it_across_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let spec = StateSpec::Path(dir.path().join("s.db"));
        let now = 10 * HOUR_MS;
        let l = JobLedger::open(&spec).unwrap();
        // An hour and more ago: out of the window.
        l.started(&spent("old", now - HOUR_MS, 9_000)).unwrap();
        l.started(&spent("j1", now - 40 * 60_000, 5_000)).unwrap();
        l.started(&spent("j2", now - 10 * 60_000, 3_000)).unwrap();
        // j2 ended: 2,500 rows created or updated (the rest failed: given back).
        l.set_rows("j2", 2_500).unwrap();
        // A rejected job: a successful start, no items.
        l.started(&spent("j3", now - 60_000, 1_000)).unwrap();
        l.set_rows("j3", 0).unwrap();
        drop(l);
        let again = JobLedger::open(&spec).unwrap();
        let used = again.hour_use(now).unwrap();
        assert_eq!((used.items, used.starts), (7_500, 3));
        assert_eq!(
            used.spends,
            [
                (now - 40 * 60_000, 5_000),
                (now - 10 * 60_000, 2_500),
                (now - 60_000, 0)
            ]
        );
        // j1's 5,000 leave the window 20 minutes from now.
        assert_eq!(used.next_free_at(), Some(now + 20 * 60_000));
        let later = again.hour_use(now + 20 * 60_000).unwrap();
        assert_eq!((later.items, later.starts), (2_500, 2));
        assert_eq!(again.hour_use(now + HOUR_MS).unwrap(), HourUse::default());
    }

    #[test]
    fn the_memory_ledger_counts_the_same_way() {
        let l = JobLedger::open(&StateSpec::InMemory).unwrap();
        l.started(&spent("a", 0, 100)).unwrap();
        l.set_rows("a", 40).unwrap();
        let used = l.hour_use(HOUR_MS - 1).unwrap();
        assert_eq!((used.items, used.starts), (40, 1));
        assert_eq!(l.hour_use(HOUR_MS).unwrap().starts, 0);
    }

    #[test]
    fn a_ledger_from_before_the_budget_columns_gains_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.db");
        let c = Connection::open(&p).unwrap();
        c.execute(
            "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, board_id TEXT NOT NULL, group_id TEXT NOT NULL, keys TEXT NOT NULL, stage TEXT NOT NULL, updated_at INTEGER NOT NULL)",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO jobs VALUES ('old', '1', 'topics', '[\"A\"]', 'uploaded', 0)",
            [],
        )
        .unwrap();
        drop(c);
        let l = JobLedger::open(&StateSpec::Path(p)).unwrap();
        let open = l.open_jobs("1").unwrap();
        assert_eq!((open.len(), open[0].started_at_ms, open[0].rows), (1, 0, 0));
        l.started(&spent("new", l.now_ms(), 10)).unwrap();
        assert_eq!(l.hour_use(l.now_ms()).unwrap().items, 10);
    }
}
