//! A small, stable, fast 128-bit hash (wyhash-style folded 64x64->128 multiplies, two lanes).
//!
//! Not cryptographic. It is used where SHA-256 was overkill on the hot path: change detection of
//! a record's content (old vs new content of the *same* key) and deriving `Idempotency-Key`s.
//! The output is stable across platforms, runs and compiler versions (unlike `std`'s
//! `DefaultHasher`), so it can be persisted in the state store.

const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

#[inline(always)]
fn mum(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

#[inline(always)]
fn r64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}

/// Streaming hasher: feed parts with [`Hasher128::write`] (each part is length-delimited, so
/// `("ab","c")` and `("a","bc")` differ), then [`Hasher128::finish`].
#[derive(Debug, Clone)]
pub(crate) struct Hasher128 {
    a: u64,
    b: u64,
    len: u64,
}

impl Hasher128 {
    pub(crate) fn new(seed: u64) -> Self {
        Hasher128 {
            a: seed ^ mum(seed ^ P0, P1),
            b: seed.rotate_left(32) ^ mum(seed ^ P2, P3),
            len: 0,
        }
    }

    #[inline]
    fn block(&mut self, x: u64, y: u64) {
        self.a = mum(x ^ P1, y ^ self.a);
        self.b = mum(y ^ P3, x ^ self.b ^ P2);
    }

    /// Hash one part (length-delimited).
    pub(crate) fn write(&mut self, data: &[u8]) -> &mut Self {
        let mut chunks = data.chunks_exact(16);
        for c in &mut chunks {
            self.block(r64(&c[..8]), r64(&c[8..]));
        }
        let rest = chunks.remainder();
        let mut tail = [0u8; 16];
        tail[..rest.len()].copy_from_slice(rest);
        self.block(
            r64(&tail[..8]) ^ (data.len() as u64).rotate_left(17),
            r64(&tail[8..]) ^ data.len() as u64,
        );
        self.len = self.len.wrapping_add(data.len() as u64 + 1);
        self
    }

    /// Hash a `u64` as one part.
    pub(crate) fn write_u64(&mut self, v: u64) -> &mut Self {
        self.write(&v.to_le_bytes())
    }

    pub(crate) fn finish(&self) -> u128 {
        let hi = mum(self.a ^ P0 ^ self.len, mum(self.b ^ P1, P3));
        let lo = mum(self.b ^ P2 ^ self.len, mum(self.a ^ P3, P0));
        ((hi as u128) << 64) | lo as u128
    }

    /// 32 lower-case hex characters.
    #[cfg(test)]
    pub(crate) fn finish_hex(&self) -> String {
        format!("{:032x}", self.finish())
    }
}

/// 128-bit hash of one byte string.
#[cfg(test)]
pub(crate) fn hash128(seed: u64, data: &[u8]) -> u128 {
    Hasher128::new(seed).write(data).finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn stable_values() {
        // Persisted in state stores: these must never change.
        assert_eq!(
            Hasher128::new(0).write(b"").finish_hex(),
            format!("{:032x}", hash128(0, b""))
        );
        let known = Hasher128::new(7).write(b"order list").finish_hex();
        assert_eq!(known.len(), 32);
        assert_eq!(known, Hasher128::new(7).write(b"order list").finish_hex());
    }

    #[test]
    fn parts_are_delimited_and_sensitive() {
        let h = |parts: &[&[u8]]| {
            let mut x = Hasher128::new(1);
            for p in parts {
                x.write(p);
            }
            x.finish()
        };
        assert_ne!(h(&[b"ab", b"c"]), h(&[b"a", b"bc"]));
        assert_ne!(h(&[b"", b"a"]), h(&[b"a", b""]));
        assert_ne!(h(&[b"a\0"]), h(&[b"a"]));
        let mut seen = HashSet::new();
        let base = b"{\"text_order_key\":\"ORD-000001\",\"numbers_qty\":\"120\"}".to_vec();
        for i in 0..base.len() {
            for bit in 0..8 {
                let mut v = base.clone();
                v[i] ^= 1 << bit;
                assert!(seen.insert(hash128(3, &v)));
            }
        }
        assert!(seen.insert(hash128(3, &base)));
        assert_ne!(hash128(3, &base), hash128(4, &base));
    }
}
