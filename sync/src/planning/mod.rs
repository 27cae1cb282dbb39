//! Planning: what happens to each record before it is written.
//!
//! The coordinator ([`crate::engine`]) runs these steps in order: a window of creates (the
//! engine's queues) -> the groups it needs ([`groups`]) -> when the state store was lost, a look
//! on the board ([`verify`]) -> the board's room ([`capacity`]) -> batches ([`batching`]). What
//! the board already holds, and whether the mapping fits it, is read up front ([`board`]).
//! A record that passed planning is a [`PlannedRecord`]; write paths ([`crate::write`]) take
//! sets of them.

pub(crate) mod batching;
pub(crate) mod board;
pub(crate) mod capacity;
pub(crate) mod groups;
pub(crate) mod paths;
pub(crate) mod verify;

use tokio::time::Instant;

use crate::api::payload::Op;
use crate::mapping::transform::PreparedRecord;

/// One record, planned: what will be done with it ([`Op`]) and when it was read.
#[derive(Debug, Clone)]
pub(crate) struct PlannedRecord {
    pub record: PreparedRecord,
    pub op: Op,
    /// When the record was read (its latency runs from here).
    pub ready_at: Instant,
    /// This run created the item `op` updates: a job of this run committed the record's row
    /// before it failed, and the batch that finishes the record updates that item. The record
    /// counts as created, as it would have had the job completed.
    pub created_here: bool,
}
