//! Every `[sync]` setting a user leaves out must run at its code default in at least one gate
//! scenario, so that a changed default (how many writes go to a board at once, retry limits,
//! timeouts, poll intervals) shows up in the gate.
//!
//! The keys come from the engine's own settings type, not from a list kept here:
//! [`sync_setting_keys`] (module `sync_keys`) asks serde which fields `monday_sync::config::SyncSettings` has (the
//! names its derived `Deserialize` knows, optional ones included), so a key the engine adds later
//! is covered without editing the gate. [`pinned_everywhere`] lists the keys that no
//! monday-sync scenario of a baseline leaves to the code; the gate fails on any
//! (`code_defaults_uncovered`), and so does a unit test on the checked-in baseline. Each key a
//! scenario does pin needs its reason written beside it (`GateScenario::pinned`, checked when the
//! baseline is loaded).

use std::collections::BTreeSet;

use crate::error::{PerfError, Result};
use crate::workload::scenario::Scenario;

pub use crate::workload::sync_keys::sync_setting_keys;

/// The `[sync]` keys a scenario's effective config sets (None for a foreign client, which
/// does not run monday-sync).
pub fn pinned_keys(s: &Scenario) -> Result<Option<BTreeSet<String>>> {
    if s.client_cmd.is_some() {
        return Ok(None);
    }
    let (text, origin) = s.config_toml()?;
    let doc: toml::Table =
        toml::from_str(&text).map_err(|e| PerfError::Usage(format!("config {origin}: {e}")))?;
    let keys = doc
        .get("sync")
        .and_then(toml::Value::as_table)
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    Ok(Some(keys))
}

/// The engine's `[sync]` keys that every monday-sync scenario of `scenarios` pins: a change
/// of their code default would pass the gate unseen. Empty when every key runs at its default
/// somewhere (or when no scenario runs monday-sync).
pub fn pinned_everywhere<'a>(
    scenarios: impl IntoIterator<Item = &'a Scenario>,
) -> Result<Vec<&'static str>> {
    let mut uncovered: Option<BTreeSet<&'static str>> = None;
    for s in scenarios {
        let Some(pinned) = pinned_keys(s)? else {
            continue;
        };
        let here: BTreeSet<&'static str> = sync_setting_keys()
            .iter()
            .copied()
            .filter(|k| pinned.contains(*k))
            .collect();
        uncovered = Some(match uncovered {
            None => here,
            Some(acc) => acc.intersection(&here).copied().collect(),
        });
    }
    let uncovered = uncovered.unwrap_or_default();
    Ok(sync_setting_keys()
        .iter()
        .copied()
        .filter(|k| uncovered.contains(k))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::scenario::SyncOverrides;
    use monday_sync::config::Mode;

    #[test]
    fn the_keys_come_from_the_engine_s_type_optional_ones_included() {
        let keys = sync_setting_keys();
        for key in [
            "mode",
            "batch_size",
            "concurrency",
            "write_concurrency",
            "max_retries",
            "request_timeout_ms",
            "run_id",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        // Every key the harness can override is one of the engine's.
        let overrides = crate::workload::sync_keys::struct_fields::<SyncOverrides>();
        assert!(!overrides.is_empty());
        for key in overrides {
            assert!(
                keys.contains(key),
                "override {key} is not an engine setting"
            );
        }
    }

    #[test]
    fn a_key_pinned_in_every_scenario_is_reported() {
        let pinned = |mode: Option<Mode>, writes: Option<u32>| Scenario {
            sync: SyncOverrides {
                mode,
                write_concurrency: writes,
                ..SyncOverrides::default()
            },
            ..Scenario::default()
        };
        let both = [pinned(Some(Mode::Single), Some(2)), pinned(None, Some(4))];
        assert_eq!(pinned_everywhere(&both).unwrap(), ["write_concurrency"]);
        let covered = [pinned(Some(Mode::Single), Some(2)), pinned(None, None)];
        assert!(pinned_everywhere(&covered).unwrap().is_empty());
        // A scenario with its own config file pins what the file sets.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            crate::workload::scenario::DEFAULT_CONFIG_TOML
                .replace("max_retries = 8", "max_retries = 3"),
        )
        .unwrap();
        let own = Scenario {
            config: Some(path),
            ..Scenario::default()
        };
        let keys = pinned_everywhere([&own]).unwrap();
        assert!(keys.contains(&"max_retries"), "{keys:?}");
    }
}
