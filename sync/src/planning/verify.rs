//! Verify: when the state store was lost, creates whose key the board already shows become
//! updates of the item found (the coordinator looks the keys up with
//! [`crate::state::reconcile::find_items_by_key`]).

use std::collections::HashMap;

use crate::api::payload::Op;
use crate::planning::PlannedRecord;

/// Of the creates `items`, those whose key the board shows (`found`: key -> item ids) become
/// updates of the first item found. Returns `(creates, updates)`, each in the order of `items`.
pub(crate) fn split_found(
    items: Vec<PlannedRecord>,
    found: &HashMap<String, Vec<String>>,
) -> (Vec<PlannedRecord>, Vec<PlannedRecord>) {
    let mut creates = vec![];
    let mut updates = vec![];
    for mut it in items {
        match found.get(&it.record.key).and_then(|ids| ids.first()) {
            Some(id) => {
                it.op = Op::Update {
                    item_id: id.clone(),
                };
                updates.push(it);
            }
            None => creates.push(it),
        }
    }
    (creates, updates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::transform::PreparedRecord;

    fn create(key: &str) -> PlannedRecord {
        PlannedRecord {
            record: PreparedRecord {
                key: key.into(),
                ..Default::default()
            },
            op: Op::Create {
                group_id: Some("g".into()),
            },
            ready_at: tokio::time::Instant::now(),
            created_here: false,
        }
    }

    #[test]
    fn creates_found_on_the_board_become_updates_of_the_first_item() {
        let items = vec![create("A"), create("B"), create("C"), create("D")];
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let on_board = HashMap::from([
            ("B".to_string(), ids(&["7", "9"])),
            ("D".to_string(), ids(&["4"])),
            ("Z".to_string(), ids(&["1"])),
        ]);
        let (creates, updates) = split_found(items, &on_board);
        let keys: Vec<&str> = creates.iter().map(|i| i.record.key.as_str()).collect();
        assert_eq!(keys, ["A", "C"]);
        let kept = Op::Create {
            group_id: Some("g".into()),
        };
        assert!(creates.iter().all(|i| i.op == kept));
        let ups: Vec<(&str, &Op)> = updates
            .iter()
            .map(|i| (i.record.key.as_str(), &i.op))
            .collect();
        let update = |id: &str| Op::Update { item_id: id.into() };
        assert_eq!(ups, [("B", &update("7")), ("D", &update("4"))]);
    }
}
