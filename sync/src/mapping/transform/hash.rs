//! The content hash that tells a changed record from an unchanged one (both formats a state
//! store may hold).

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::PreparedRecord;
use crate::fasthash::Hasher128;

/// Prefix of the current content-hash format (see [`content_hash`]).
pub(crate) const CONTENT_HASH_PREFIX: &str = "f1-";

/// Change-detection hash over the canonical item content: `f1-` + 32 hex characters of a fast,
/// stable 128-bit hash ([`crate::fasthash`]). It only ever compares the old and new content of
/// the same key, so a cryptographic hash bought nothing but cost (SHA-256 was a third of the
/// client's CPU per record on machines without SHA instructions).
pub(crate) fn content_hash(name: &str, group: Option<&str>, column_values: &str) -> String {
    let mut h = Hasher128::new(0x6d6f_6e64_6179);
    h.write(name.as_bytes())
        .write(group.unwrap_or("").as_bytes())
        .write(column_values.as_bytes());
    let mut out = String::with_capacity(35);
    out.push_str(CONTENT_HASH_PREFIX);
    let _ = write!(out, "{:032x}", h.finish());
    out
}

/// The content hash state stores written before `f1-` held: hex SHA-256 (first 16 bytes).
pub(crate) fn legacy_content_hash(name: &str, group: Option<&str>, column_values: &str) -> String {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0]);
    h.update(group.unwrap_or("").as_bytes());
    h.update([0]);
    h.update(column_values.as_bytes());
    hex::encode(&h.finalize()[..16])
}

impl PreparedRecord {
    /// Whether `stored` (a state row's content hash, either format) is this record's content.
    pub fn same_content(&self, stored: &str) -> bool {
        if stored == self.content_hash {
            return true;
        }
        // A row written by an older version: compare in its format (no spurious mass update).
        !stored.starts_with(CONTENT_HASH_PREFIX)
            && stored == legacy_content_hash(&self.name, self.group.as_deref(), &self.column_values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_format_is_pinned_and_legacy_rows_still_match() {
        // Persisted in state stores: changing it makes every record look changed.
        assert_eq!(
            content_hash("PO-1 · Tee", Some("Acme"), r#"{"text_order_key":"K1"}"#),
            "f1-ee000aa6cb2b4d6bb6802592c4fcb956"
        );
        let rec = PreparedRecord {
            line: 1,
            key: "K1".into(),
            name: "PO-1 · Tee".into(),
            group: Some("Acme".into()),
            customer: "Acme".into(),
            column_values: r#"{"text_order_key":"K1"}"#.into(),
            create_labels: false,
            content_hash: content_hash("PO-1 · Tee", Some("Acme"), r#"{"text_order_key":"K1"}"#),
        };
        assert!(rec.same_content(&rec.content_hash.clone()));
        let legacy = legacy_content_hash(&rec.name, rec.group.as_deref(), &rec.column_values);
        assert_eq!(legacy.len(), 32);
        assert!(
            rec.same_content(&legacy),
            "a row written by the SHA-256 version"
        );
        assert!(!rec.same_content("f1-00000000000000000000000000000000"));
        assert!(!rec.same_content(&legacy_content_hash("other", None, "{}")));
    }
}
