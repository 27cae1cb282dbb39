//! The durable state store: source key -> item id + content hash + status.
//!
//! SQLite (bundled) in WAL mode. A batch's records are marked `pending` in one transaction *before*
//! the request is sent and `done` with their item ids after the response, so a process killed at
//! any point leaves either `done` rows (nothing to do) or `pending` rows, which the next run
//! reconciles against the board before re-creating anything. `StateSpec::InMemory` keeps the same
//! semantics in a `HashMap` (perf runs). A state file that SQLite cannot open or that fails its
//! integrity check is moved aside and the run switches to verify-before-create mode
//! ([`StateStore::needs_full_verify`]).
//!
//! What durability costs is counted ([`StateStore::durability`]): every transaction SQLite
//! commits (its commit hook, so autocommitted statements count too) and the file syncs those
//! commits imply under the store's journal mode and `synchronous` setting ([`syncs_per_commit`]).

pub(crate) mod jobs;
pub(crate) mod reconcile;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::SyncError;

/// Where the state lives (docs/interfaces.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateSpec {
    Path(PathBuf),
    InMemory,
}

/// One record's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateRow {
    pub item_id: Option<String>,
    /// Hash of the content last confirmed on the board.
    pub content_hash: Option<String>,
    /// Hash of the content of an unconfirmed request (status pending).
    pub pending_hash: Option<String>,
    pub pending: bool,
}

/// A pending row found at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    pub key: String,
    pub item_id: Option<String>,
    pub pending_hash: Option<String>,
}

enum Backend {
    Sqlite {
        conn: Connection,
        path: String,
        /// Transactions committed (SQLite's commit hook).
        commits: Arc<AtomicU64>,
    },
    Memory(HashMap<String, StateRow>),
}

/// The state store.
pub struct StateStore {
    backend: Backend,
    full_verify: bool,
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            Backend::Sqlite { path, .. } => write!(f, "StateStore(sqlite {path})"),
            Backend::Memory(m) => write!(f, "StateStore(memory, {} rows)", m.len()),
        }
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS records (
    source_key TEXT PRIMARY KEY,
    item_id TEXT,
    content_hash TEXT,
    pending_hash TEXT,
    status TEXT NOT NULL,
    idempotency_key TEXT,
    updated_at INTEGER NOT NULL
)";

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn open_sqlite(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL in WAL mode survives a killed process (not a power cut) and is much faster than FULL.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let ok: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(ok),
        ));
    }
    conn.execute(SCHEMA, [])?;
    // State files from before the bulk path gain the jobs table here.
    conn.execute(jobs::JOBS_SCHEMA, [])?;
    Ok(conn)
}

/// The commits and syncs a SQLite store has cost so far (`monday-sync`'s run summary, `state`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Durability {
    /// Transactions SQLite committed since the store was opened (its commit hook: explicit
    /// transactions and autocommitted statements alike).
    pub commits: u64,
    /// File syncs those commits imply: `commits` x [`syncs_per_commit`] (WAL checkpoints not
    /// counted).
    pub syncs: u64,
    /// `PRAGMA journal_mode` (lower case, e.g. `wal`).
    pub journal_mode: String,
    /// `PRAGMA synchronous` (0 off, 1 normal, 2 full, 3 extra).
    pub synchronous: i64,
}

/// fsync calls one commit makes, from SQLite's documentation of `PRAGMA synchronous`
/// (https://www.sqlite.org/pragma.html#pragma_synchronous) and of atomic commit
/// (https://www.sqlite.org/atomiccommit.html): in WAL mode a commit syncs the WAL only at FULL
/// or EXTRA (NORMAL syncs at checkpoints); a rollback journal syncs the journal and the database
/// at NORMAL, the journal header too at FULL, and the directory too at EXTRA; OFF never syncs.
pub fn syncs_per_commit(journal_mode: &str, synchronous: i64) -> u64 {
    match (journal_mode, synchronous) {
        (_, s) if s <= 0 => 0,
        ("memory" | "off", _) => 0,
        ("wal", 1) => 0,
        ("wal", _) => 1,
        (_, 1) => 2,
        (_, 2) => 3,
        _ => 4,
    }
}

/// Counts every commit of `conn` into the returned counter.
fn count_commits(conn: &Connection) -> Arc<AtomicU64> {
    let commits = Arc::new(AtomicU64::new(0));
    let counter = commits.clone();
    conn.commit_hook(Some(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        false // false: let the commit go ahead
    }));
    commits
}

impl StateStore {
    /// Open (or create) the store. A corrupt file is moved aside (`<file>.corrupt`) with a WARN.
    pub fn open(spec: &StateSpec) -> Result<StateStore, SyncError> {
        match spec {
            StateSpec::InMemory => Ok(StateStore {
                backend: Backend::Memory(HashMap::new()),
                full_verify: false,
            }),
            StateSpec::Path(path) => {
                let shown = path.display().to_string();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| SyncError::state(shown.clone(), e))?;
                }
                match open_sqlite(path) {
                    Ok(conn) => Ok(StateStore {
                        backend: Backend::Sqlite {
                            commits: count_commits(&conn),
                            conn,
                            path: shown,
                        },
                        full_verify: false,
                    }),
                    Err(e) => {
                        tracing::warn!(path = %shown, error = %e, "state store unreadable; moving it aside and verifying every create against the board");
                        let aside = PathBuf::from(format!("{shown}.corrupt"));
                        for suffix in ["", "-wal", "-shm"] {
                            let from = PathBuf::from(format!("{shown}{suffix}"));
                            if from.exists() {
                                let _ =
                                    std::fs::rename(&from, format!("{}{suffix}", aside.display()));
                            }
                        }
                        let conn =
                            open_sqlite(path).map_err(|e| SyncError::state(shown.clone(), e))?;
                        Ok(StateStore {
                            backend: Backend::Sqlite {
                                commits: count_commits(&conn),
                                conn,
                                path: shown,
                            },
                            full_verify: true,
                        })
                    }
                }
            }
        }
    }

    /// The previous state was lost: check the board for every key before creating it.
    pub fn needs_full_verify(&self) -> bool {
        self.full_verify
    }

    /// What durability has cost since the store was opened (None in memory).
    pub fn durability(&self) -> Option<Durability> {
        let Backend::Sqlite { conn, commits, .. } = &self.backend else {
            return None;
        };
        // Read once per run, after the last commit; a pragma that cannot be read counts as the
        // most expensive setting rather than as free.
        let journal_mode = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .map(|m| m.to_ascii_lowercase())
            .unwrap_or_else(|_| "delete".into());
        let synchronous = conn
            .query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))
            .unwrap_or(3);
        let commits = commits.load(Ordering::Relaxed);
        Some(Durability {
            commits,
            syncs: commits.saturating_mul(syncs_per_commit(&journal_mode, synchronous)),
            journal_mode,
            synchronous,
        })
    }

    fn err(&self, e: rusqlite::Error) -> SyncError {
        let path = match &self.backend {
            Backend::Sqlite { path, .. } => path.clone(),
            Backend::Memory(_) => "<memory>".into(),
        };
        SyncError::state(path, e)
    }

    /// The row for `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<StateRow>, SyncError> {
        match &self.backend {
            Backend::Memory(m) => Ok(m.get(key).cloned()),
            Backend::Sqlite { conn, .. } => {
                let mut st = conn
                    .prepare_cached("SELECT item_id, content_hash, pending_hash, status FROM records WHERE source_key = ?1")
                    .map_err(|e| self.err(e))?;
                st.query_row([key], |r| {
                    Ok(StateRow {
                        item_id: r.get(0)?,
                        content_hash: r.get(1)?,
                        pending_hash: r.get(2)?,
                        pending: r.get::<_, String>(3)? == "pending",
                    })
                })
                .optional()
                .map_err(|e| self.err(e))
            }
        }
    }

    /// Mark records pending (key, hash of the content being sent) in one transaction, before sending.
    pub fn mark_pending(
        &mut self,
        rows: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<(), SyncError> {
        match &mut self.backend {
            Backend::Memory(m) => {
                for (k, h) in rows {
                    let e = m.entry(k.to_string()).or_default();
                    e.pending = true;
                    e.pending_hash = Some(h.to_string());
                }
                Ok(())
            }
            Backend::Sqlite { conn, path, .. } => {
                let res = (|| {
                    let tx = conn.transaction()?;
                    {
                        let mut st = tx.prepare_cached(
                            "INSERT INTO records (source_key, pending_hash, status, idempotency_key, updated_at)
                             VALUES (?1, ?2, 'pending', ?3, ?4)
                             ON CONFLICT(source_key) DO UPDATE SET pending_hash = ?2, status = 'pending',
                               idempotency_key = ?3, updated_at = ?4",
                        )?;
                        let t = now_secs();
                        for (k, h) in rows {
                            st.execute(params![k, h, idempotency_key, t])?;
                        }
                    }
                    tx.commit()
                })();
                res.map_err(|e| SyncError::state(path.clone(), e))
            }
        }
    }

    /// Mark records done: (key, item id, content hash now on the board).
    pub fn mark_done(&mut self, rows: &[(&str, &str, &str)]) -> Result<(), SyncError> {
        match &mut self.backend {
            Backend::Memory(m) => {
                for (k, id, h) in rows {
                    m.insert(
                        k.to_string(),
                        StateRow {
                            item_id: Some(id.to_string()),
                            content_hash: Some(h.to_string()),
                            pending_hash: None,
                            pending: false,
                        },
                    );
                }
                Ok(())
            }
            Backend::Sqlite { conn, path, .. } => {
                let res = (|| {
                    let tx = conn.transaction()?;
                    {
                        let mut st = tx.prepare_cached(
                            "INSERT INTO records (source_key, item_id, content_hash, pending_hash, status, updated_at)
                             VALUES (?1, ?2, ?3, NULL, 'done', ?4)
                             ON CONFLICT(source_key) DO UPDATE SET item_id = ?2, content_hash = ?3,
                               pending_hash = NULL, status = 'done', idempotency_key = NULL, updated_at = ?4",
                        )?;
                        let t = now_secs();
                        for (k, id, h) in rows {
                            st.execute(params![k, id, h, t])?;
                        }
                    }
                    tx.commit()
                })();
                res.map_err(|e| SyncError::state(path.clone(), e))
            }
        }
    }

    /// The request definitely did not apply (permanent failure): drop the pending mark. Rows without
    /// an item id are deleted; rows with one go back to `done` with their previous hash.
    pub fn clear_pending(&mut self, keys: &[&str]) -> Result<(), SyncError> {
        match &mut self.backend {
            Backend::Memory(m) => {
                for k in keys {
                    let remove = match m.get_mut(*k) {
                        Some(r) if r.item_id.is_none() => true,
                        Some(r) => {
                            r.pending = false;
                            r.pending_hash = None;
                            false
                        }
                        None => false,
                    };
                    if remove {
                        m.remove(*k);
                    }
                }
                Ok(())
            }
            Backend::Sqlite { conn, path, .. } => {
                let res = (|| {
                    let tx = conn.transaction()?;
                    {
                        let mut del = tx.prepare_cached(
                            "DELETE FROM records WHERE source_key = ?1 AND item_id IS NULL",
                        )?;
                        let mut upd = tx.prepare_cached(
                            "UPDATE records SET status = 'done', pending_hash = NULL, idempotency_key = NULL WHERE source_key = ?1",
                        )?;
                        for k in keys {
                            if del.execute([k])? == 0 {
                                upd.execute([k])?;
                            }
                        }
                    }
                    tx.commit()
                })();
                res.map_err(|e| SyncError::state(path.clone(), e))
            }
        }
    }

    /// Every pending row (left by a crash or an ambiguous failure).
    pub fn pending(&self) -> Result<Vec<PendingRow>, SyncError> {
        match &self.backend {
            Backend::Memory(m) => {
                let mut v: Vec<PendingRow> = m
                    .iter()
                    .filter(|(_, r)| r.pending)
                    .map(|(k, r)| PendingRow {
                        key: k.clone(),
                        item_id: r.item_id.clone(),
                        pending_hash: r.pending_hash.clone(),
                    })
                    .collect();
                v.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(v)
            }
            Backend::Sqlite { conn, .. } => {
                let mut st = conn
                    .prepare("SELECT source_key, item_id, pending_hash FROM records WHERE status = 'pending' ORDER BY source_key")
                    .map_err(|e| self.err(e))?;
                let rows = st
                    .query_map([], |r| {
                        Ok(PendingRow {
                            key: r.get(0)?,
                            item_id: r.get(1)?,
                            pending_hash: r.get(2)?,
                        })
                    })
                    .map_err(|e| self.err(e))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| self.err(e));
                rows
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifecycle(mut s: StateStore) {
        assert_eq!(s.get("a").unwrap(), None);
        s.mark_pending(&[("a", "h1"), ("b", "h2")], "key1").unwrap();
        assert!(s.get("a").unwrap().unwrap().pending);
        assert_eq!(s.pending().unwrap().len(), 2);
        s.mark_done(&[("a", "100", "h1")]).unwrap();
        s.clear_pending(&["b"]).unwrap();
        assert_eq!(s.get("b").unwrap(), None);
        let a = s.get("a").unwrap().unwrap();
        assert_eq!(
            (a.item_id.as_deref(), a.content_hash.as_deref(), a.pending),
            (Some("100"), Some("h1"), false)
        );
        // An update that fails permanently keeps the old item and hash.
        s.mark_pending(&[("a", "h9")], "key2").unwrap();
        s.clear_pending(&["a"]).unwrap();
        let a = s.get("a").unwrap().unwrap();
        assert_eq!(
            (a.item_id.as_deref(), a.content_hash.as_deref(), a.pending),
            (Some("100"), Some("h1"), false)
        );
        assert!(s.pending().unwrap().is_empty());
    }

    #[test]
    fn memory_lifecycle() {
        lifecycle(StateStore::open(&StateSpec::InMemory).unwrap());
    }

    #[test]
    fn sqlite_lifecycle_and_persistence() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s/state.db");
        lifecycle(StateStore::open(&StateSpec::Path(p.clone())).unwrap());
        let s = StateStore::open(&StateSpec::Path(p)).unwrap();
        assert_eq!(s.get("a").unwrap().unwrap().item_id.as_deref(), Some("100"));
        assert!(!s.needs_full_verify());
    }

    #[test]
    fn commits_are_counted_by_sqlite_itself() {
        assert_eq!(
            StateStore::open(&StateSpec::InMemory).unwrap().durability(),
            None
        );
        let dir = tempfile::tempdir().unwrap();
        let mut s = StateStore::open(&StateSpec::Path(dir.path().join("state.db"))).unwrap();
        let before = s.durability().unwrap();
        assert_eq!(
            (
                before.commits,
                before.journal_mode.as_str(),
                before.synchronous
            ),
            (0, "wal", 1)
        );
        // One transaction per call, however many rows it holds.
        s.mark_pending(&[("a", "h1"), ("b", "h2"), ("c", "h3")], "k")
            .unwrap();
        s.mark_done(&[("a", "1", "h1"), ("b", "2", "h2"), ("c", "3", "h3")])
            .unwrap();
        let d = s.durability().unwrap();
        assert_eq!(
            (d.commits, d.syncs),
            (2, 0),
            "WAL + NORMAL: no sync per commit"
        );
        // A statement outside a transaction commits on its own, and is counted too.
        if let Backend::Sqlite { conn, .. } = &s.backend {
            conn.execute("PRAGMA synchronous = FULL", []).unwrap();
            conn.execute("DELETE FROM records WHERE source_key = 'a'", [])
                .unwrap();
        }
        let d = s.durability().unwrap();
        assert_eq!((d.commits, d.syncs, d.synchronous), (3, 3, 2));
    }

    #[test]
    fn syncs_per_commit_follow_the_journal_and_synchronous_settings() {
        assert_eq!(syncs_per_commit("wal", 1), 0);
        assert_eq!(syncs_per_commit("wal", 2), 1);
        assert_eq!(syncs_per_commit("delete", 1), 2);
        assert_eq!(syncs_per_commit("delete", 2), 3);
        assert_eq!(syncs_per_commit("truncate", 3), 4);
        assert_eq!(syncs_per_commit("delete", 0), 0);
    }

    #[test]
    fn corrupt_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        std::fs::write(&p, b"this is not a database, just garbage bytes ........").unwrap();
        let s = StateStore::open(&StateSpec::Path(p.clone())).unwrap();
        assert!(s.needs_full_verify());
        assert!(dir.path().join("state.db.corrupt").exists());
    }
}
