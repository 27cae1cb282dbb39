//! Mapping: the TOML config ([`config`]) says how a source record becomes an item, and
//! [`transform`] does it (item name, group, `column_values`, content hash), failing a record
//! with a typed [`transform::RecordFailure`] before anything is sent.

pub(crate) mod config;
pub(crate) mod transform;
