//! Writing JSON text by hand, byte-identical to `serde_json`: string literals ([`push_json_str`],
//! a word at a time) and the one- and two-key objects the column formats use.

/// 0x80 in every byte of `x` that needs escaping in a JSON string (`"`, `\`, or < 0x20), else 0.
/// Exact per byte (no false positives), so matches can be located with `trailing_zeros`.
#[inline(always)]
fn escape_mask(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    #[inline(always)]
    fn zero_bytes(v: u64) -> u64 {
        !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7)
    }
    zero_bytes(x ^ (ONES * b'"' as u64))
        | zero_bytes(x ^ (ONES * b'\\' as u64))
        | zero_bytes(x & (ONES * 0xe0))
}

#[inline(always)]
fn push_escape(v: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let esc = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0c => b'f',
        _ => b'u',
    };
    if esc == b'u' {
        v.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(b >> 4) as usize],
            HEX[(b & 0xf) as usize],
        ]);
    } else {
        v.extend_from_slice(&[b'\\', esc]);
    }
}

/// Append `s` as a JSON string literal, byte-identical to `serde_json`'s output (escapes `"`, `\`
/// and control characters below U+0020 only). Works a word (8 bytes) at a time and copies clean
/// runs in one go.
pub fn push_json_str(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    // SAFETY: every byte of `s` (valid UTF-8) is copied in order, and only ASCII bytes (quotes,
    // backslashes, escape letters, hex digits) are inserted, always before an ASCII byte of `s`
    // or at the ends, never inside a multi-byte sequence: `out` stays valid UTF-8.
    let v = unsafe { out.as_mut_vec() };
    v.reserve(bytes.len() + bytes.len() / 4 + 2);
    v.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[i..i + 8]);
        let mut m = escape_mask(u64::from_le_bytes(w));
        while m != 0 {
            let k = i + (m.trailing_zeros() / 8) as usize;
            v.extend_from_slice(&bytes[start..k]);
            push_escape(v, bytes[k]);
            start = k + 1;
            m &= m - 1;
        }
        i += 8;
    }
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' || b == b'\\' || b < 0x20 {
            v.extend_from_slice(&bytes[start..i]);
            push_escape(v, b);
            start = i + 1;
        }
        i += 1;
    }
    v.extend_from_slice(&bytes[start..]);
    v.push(b'"');
}

pub(super) fn obj1(out: &mut String, k: &str, v: &str) {
    out.push_str("{\"");
    out.push_str(k);
    out.push_str("\":");
    push_json_str(out, v);
    out.push('}');
}

pub(super) fn obj2(out: &mut String, k1: &str, v1: &str, k2: &str, v2: &str) {
    out.push_str("{\"");
    out.push_str(k1);
    out.push_str("\":");
    push_json_str(out, v1);
    out.push_str(",\"");
    out.push_str(k2);
    out.push_str("\":");
    push_json_str(out, v2);
    out.push('}');
}
