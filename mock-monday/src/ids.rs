//! Ids drawn from a seeded stream: request ids (`x-request-id`) and bulk-import job ids.

use rand::RngCore;
use rand_chacha::ChaCha8Rng;

/// A UUID-v4-shaped id (version nibble 4, variant bits 10) from `rng`.
pub(crate) fn uuid_v4(rng: &mut ChaCha8Rng) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ids_are_uuid_v4_shaped_and_follow_the_seed() {
        let id = uuid_v4(&mut ChaCha8Rng::seed_from_u64(7));
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(
            id.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(id, uuid_v4(&mut ChaCha8Rng::seed_from_u64(7)));
        assert_ne!(id, uuid_v4(&mut ChaCha8Rng::seed_from_u64(8)));
    }
}
