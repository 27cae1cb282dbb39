//! How many of a workload's records a bulk-import CSV row cannot carry exactly: the records every
//! plan must send as `create_item` (the ceiling's `CeilingInputs::batch_only_records`, in
//! `model::ceiling`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::scenario::{DEFAULT_CONFIG_ORIGIN, DEFAULT_CONFIG_TOML};

    /// Only records the run would sync count: a duplicate key and a record without a key fail
    /// in the run (and in the transformer here), so they are not batch-only records.
    #[test]
    fn counts_the_synced_records_a_row_cannot_carry() {
        let config = SyncConfig::from_toml_str(DEFAULT_CONFIG_TOML, DEFAULT_CONFIG_ORIGIN).unwrap();
        let lines = [
            r#"{"order_id":"A","customer":"C","contact_phone":"+4930555012","contact_country":"DE"}"#,
            r#"{"order_id":"B","customer":"C","contact_phone":"+4930555012","contact_country":"AT"}"#,
            r#"{"order_id":"B","customer":"C","contact_phone":"+4930555012","contact_country":"AT"}"#,
            r#"{"customer":"C","contact_phone":"+4930555012","contact_country":"AT"}"#,
            r#"{"order_id":"D","customer":"C","sizes":"S,XXL","colour":"Teal"}"#,
            r#"{"order_id":"E","customer":"C","order_date":"2026-09-24 10:30:00"}"#,
        ];
        let input = InputSource::Ndjson(bytes::Bytes::from(lines.join("\n")));
        // B (a German number for an Austrian buyer) and E (a date with a time); D's labels
        // the board lacks are added before a job, so D is a row.
        assert_eq!(batch_only_records(&input, &config).unwrap(), 2);
    }
}
