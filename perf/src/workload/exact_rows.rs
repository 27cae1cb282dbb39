//! How many of a workload's records a bulk-import CSV row cannot carry exactly: the records every
//! plan must send as `create_item` (the ceiling's
//! [`crate::model::ceiling::CeilingInputs::batch_only_records`]).
//!
//! Each record is read by the sync's own reader, mapped by the run's config with the sync's own
//! transformer (a record it refuses fails in the run and is not counted: it is not synced), and
//! judged by the sync's own CSV encoder ([`CsvRowCheck`]), as the sync's coordinator judges it
//! before a job. Only values the documented format cannot express count; a status or dropdown
//! label the board lacks does not (the sync adds labels before its jobs).

use monday_sync::config::SyncConfig;
use monday_sync::ingest::CsvRowCheck;
use monday_sync::input::InputSource;
use monday_sync::transform::Transformer;

use crate::error::Result;

/// The records of `input`, mapped with `config`, that a CSV row cannot carry.
pub fn batch_only_records(input: &InputSource, config: &SyncConfig) -> Result<u64> {
    let check = CsvRowCheck::new(config);
    let mut transformer = Transformer::new(config);
    let mut count = 0u64;
    for item in input.open()? {
        let Ok(source) = item else { continue };
        if let Ok(rec) = transformer.transform(&source) {
            count += u64::from(!check.carries(&rec));
        }
    }
    Ok(count)
}
