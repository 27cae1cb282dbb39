//! The bulk import jobs a run started, durable beside the records (table `jobs` of the same
//! SQLite file; created on open, so older state files gain it): a job's id and the keys it
//! carries are written BEFORE its CSV is uploaded, its stage after. A rerun first polls the jobs
//! left open here, so nothing is sent for a record a job may still write
//! (docs/monday-bulk-import.md §1.3, §4.1).
//!
//! The ledger has its own connection (the job tasks write it while the coordinator owns the
//! records' connection); SQLite in WAL mode with a busy timeout serializes the two.

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
    updated_at INTEGER NOT NULL
)";

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

fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute(JOBS_SCHEMA, [])?;
    Ok(conn)
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
                    "INSERT OR REPLACE INTO jobs (job_id, board_id, group_id, keys, stage, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        job.job_id,
                        job.board_id,
                        job.group_id,
                        serde_json::to_string(&job.keys).unwrap_or_default(),
                        job.stage.as_str(),
                        now_secs()
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
                    .prepare("SELECT job_id, board_id, group_id, keys, stage FROM jobs WHERE board_id = ?1 AND stage IN ('started', 'uploaded') ORDER BY rowid")
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
}
