//! The first planning step: what each record needs ([`classify`] against the state store) and
//! where it waits until it goes ([`Queues`]: creates gather in a window, updates in a batch).

use crate::api::payload::Op;
use crate::mapping::transform::PreparedRecord;
use crate::planning::PlannedRecord;
use crate::state::StateRow;

/// What a record needs, from what the state store knows of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    /// The board holds this content already.
    Nothing,
    /// A new item (the group is set when the window is sent).
    Create,
    /// New content for the item the state store names.
    Update { item_id: String },
}

/// What `rec` needs given its row in the state store.
pub(crate) fn classify(row: Option<&StateRow>, rec: &PreparedRecord) -> Need {
    match row {
        Some(r) if r.item_id.is_some() => {
            let same = r
                .content_hash
                .as_deref()
                .is_some_and(|h| rec.same_content(h));
            if same {
                Need::Nothing
            } else {
                Need::Update {
                    item_id: r.item_id.clone().unwrap_or_default(),
                }
            }
        }
        _ => Need::Create,
    }
}

impl Need {
    /// The operation for a record that needs something (None for [`Need::Nothing`]).
    pub(crate) fn op(self) -> Option<Op> {
        match self {
            Need::Nothing => None,
            Need::Create => Some(Op::Create { group_id: None }),
            Need::Update { item_id } => Some(Op::Update { item_id }),
        }
    }
}

/// Which queue is ready to go after a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ready {
    None,
    /// The update batch is full.
    Updates,
    /// The window of creates is full.
    Window,
}

/// Records planned and not yet sent.
#[derive(Debug)]
pub(crate) struct Queues {
    creates: Vec<PlannedRecord>,
    updates: Vec<PlannedRecord>,
    /// Updates per batch.
    batch_size: usize,
    /// Creates per window ([`crate::planning::batching::window_size`]).
    window: usize,
}

impl Queues {
    pub(crate) fn new(batch_size: usize, window: usize) -> Self {
        Queues {
            creates: vec![],
            updates: vec![],
            batch_size,
            window,
        }
    }

    /// Records per batch.
    pub(crate) fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Records queued and not yet sent.
    pub(crate) fn pending(&self) -> usize {
        self.creates.len() + self.updates.len()
    }

    /// Queue a planned record; says which queue is now full.
    pub(crate) fn push(&mut self, item: PlannedRecord) -> Ready {
        match item.op {
            Op::Update { .. } => {
                self.updates.push(item);
                if self.updates.len() >= self.batch_size {
                    return Ready::Updates;
                }
            }
            Op::Create { .. } => {
                self.creates.push(item);
                if self.creates.len() >= self.window {
                    return Ready::Window;
                }
            }
        }
        Ready::None
    }

    /// Creates that turned out to be updates (the board had them): they go with the next
    /// update batch.
    pub(crate) fn requeue_updates(&mut self, items: Vec<PlannedRecord>) {
        self.updates.extend(items);
    }

    /// The window of creates, emptied.
    pub(crate) fn take_window(&mut self) -> Vec<PlannedRecord> {
        std::mem::take(&mut self.creates)
    }

    /// The queued updates, emptied.
    pub(crate) fn take_updates(&mut self) -> Vec<PlannedRecord> {
        std::mem::take(&mut self.updates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: u64) -> PreparedRecord {
        PreparedRecord {
            line,
            key: format!("K{line}"),
            content_hash: format!("f1-{line}"),
            ..Default::default()
        }
    }

    fn row(item: Option<&str>, hash: Option<&str>) -> StateRow {
        StateRow {
            item_id: item.map(str::to_string),
            content_hash: hash.map(str::to_string),
            pending_hash: None,
            pending: false,
        }
    }

    fn planned(line: u64, op: Op) -> PlannedRecord {
        PlannedRecord {
            record: rec(line),
            op,
            ready_at: tokio::time::Instant::now(),
            created_here: false,
        }
    }

    #[test]
    fn classify_by_what_the_state_store_knows() {
        let r = rec(1);
        assert_eq!(classify(None, &r), Need::Create);
        // Pending create with no item yet: still a create.
        assert_eq!(classify(Some(&row(None, Some("f1-1"))), &r), Need::Create);
        assert_eq!(
            classify(Some(&row(Some("9"), Some("f1-1"))), &r),
            Need::Nothing
        );
        let changed = Need::Update {
            item_id: "9".into(),
        };
        assert_eq!(classify(Some(&row(Some("9"), Some("f1-0"))), &r), changed);
        assert_eq!(classify(Some(&row(Some("9"), None)), &r), changed);
        assert_eq!(
            changed.op(),
            Some(Op::Update {
                item_id: "9".into()
            })
        );
        assert_eq!(Need::Nothing.op(), None);
    }

    #[test]
    fn creates_fill_a_window_and_updates_a_batch() {
        let mut q = Queues::new(2, 3);
        let create = || Op::Create { group_id: None };
        let update = || Op::Update {
            item_id: "1".into(),
        };
        assert_eq!(q.push(planned(1, create())), Ready::None);
        assert_eq!(q.push(planned(2, update())), Ready::None);
        assert_eq!(q.push(planned(3, create())), Ready::None);
        assert_eq!(q.push(planned(4, update())), Ready::Updates);
        let ups: Vec<u64> = q.take_updates().iter().map(|i| i.record.line).collect();
        assert_eq!(ups, [2, 4]);
        assert_eq!(q.push(planned(5, create())), Ready::Window);
        let window: Vec<u64> = q.take_window().iter().map(|i| i.record.line).collect();
        assert_eq!(window, [1, 3, 5]);
        assert!(q.take_window().is_empty());
        // Requeued updates do not send by themselves; the next push sees them.
        q.requeue_updates(vec![planned(6, update()), planned(7, update())]);
        assert_eq!(q.push(planned(8, update())), Ready::Updates);
        assert_eq!(q.take_updates().len(), 3);
    }
}
