//! The keys of the engine's `[sync]` table, read from its settings type
//! (`monday_sync::config::SyncSettings`) rather than listed: serde hands a derived
//! `Deserialize` its field names, which a deserializer can record. Used by the scenario (which
//! keys to leave out of the example config) and by the gate's code-default coverage
//! (`code_defaults`).

use serde::de::{self, Deserializer, Visitor};

/// The keys of the engine's `[sync]` table, in declaration order (every field of
/// `SyncSettings`, whether or not its default is written out when serialised).
pub fn sync_setting_keys() -> &'static [&'static str] {
    struct_fields::<monday_sync::config::SyncSettings>()
}

/// The field names a derived `Deserialize` of a struct accepts: serde hands them to
/// `deserialize_struct`, which this deserializer records and then refuses.
pub(crate) fn struct_fields<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

struct FieldNames<'a>(&'a mut &'static [&'static str]);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> std::result::Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
