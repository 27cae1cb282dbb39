//! Board write locks (HTTP 423 "Resource is currently locked, please try again later").
//!
//! monday.com's error docs list HTTP 423 for a board that another process is updating, and its
//! development best practices say to run mutations on one board one after another. The simulator
//! models that: a mutation request that writes to a board while another *executed* mutation
//! request on that board is still in flight (its arrival .. arrival + delay on the simulated
//! clock) is refused with 423, a `Retry-After` header (seconds until the holder completes, at
//! least 1) and nothing executed. Refused requests never hold a lock themselves.
//!
//! [`BoardLock`] chooses how strictly: `off`, `strict` (every overlap; the default) or a
//! probability per overlap. With the `instant` latency profile requests take no simulated time,
//! so no two requests ever overlap and no 423 is ever answered whatever the setting: a client
//! tested only against `instant` has never seen a 423, which is why the realistic profile is the
//! one to gate on.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::InFlight;

/// The message monday.com's error docs give for HTTP 423.
pub const LOCKED_MESSAGE: &str = "Resource is currently locked, please try again later";
/// `extensions.code` of the simulator's 423 body (the docs name no code; a simulator choice).
pub const LOCKED_CODE: &str = "RESOURCE_LOCKED";

/// How the simulator treats overlapping writes to one board.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum BoardLock {
    /// Overlapping writes all execute (the simulator before board locks).
    Off,
    /// Every overlapping write is refused with 423 (the default).
    #[default]
    Strict,
    /// Each overlapping write is refused with this probability (seeded).
    Probability(f64),
}

/// A `--board-lock` value that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("board lock {0:?} is not off, strict or a probability between 0 and 1")]
pub struct BoardLockParseError(pub String);

impl FromStr for BoardLock {
    type Err = BoardLockParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(Self::Off),
            "strict" => Ok(Self::Strict),
            other => match other.parse::<f64>() {
                Ok(p) if p.is_finite() && (0.0..=1.0).contains(&p) => Ok(Self::Probability(p)),
                _ => Err(BoardLockParseError(s.to_string())),
            },
        }
    }
}

impl fmt::Display for BoardLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::Strict => f.write_str("strict"),
            Self::Probability(p) => write!(f, "{p}"),
        }
    }
}

impl Serialize for BoardLock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for BoardLock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
            Raw::Number(p) => p.to_string().parse().map_err(serde::de::Error::custom),
        }
    }
}

impl BoardLock {
    /// Whether a write that overlaps an in-flight write is refused. Draws from `rng` only for
    /// the probability setting, so `off` and `strict` leave every random stream untouched.
    pub fn refuses(&self, rng: &mut ChaCha8Rng) -> bool {
        match *self {
            Self::Off => false,
            Self::Strict => true,
            Self::Probability(p) => p > 0.0 && rng.gen_bool(p.min(1.0)),
        }
    }

    /// Whether the setting can refuse anything (skips the overlap check when off).
    pub fn is_on(&self) -> bool {
        !matches!(*self, Self::Off | Self::Probability(0.0))
    }

    /// Whether a request writing `boards` at `now` is refused because an executed write to one
    /// of them is still `in_flight`: the `Retry-After` seconds when it is. Draws from `rng` only
    /// for an overlapping write under the probability setting.
    pub fn refuses_write(
        &self,
        now: Duration,
        boards: &[String],
        in_flight: &mut InFlight,
        rng: &mut ChaCha8Rng,
    ) -> Option<u64> {
        if boards.is_empty() || !self.is_on() {
            return None;
        }
        let held_until = in_flight.write_held_until(now, boards)?;
        if !self.refuses(rng) {
            return None;
        }
        Some(retry_after_secs(now, held_until))
    }
}

/// `Retry-After` seconds for a request refused at `now` while the lock is held until
/// `held_until`: whole seconds, rounded up, at least 1.
pub fn retry_after_secs(now: Duration, held_until: Duration) -> u64 {
    let left = held_until.saturating_sub(now);
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parses_the_cli_forms() {
        assert_eq!("off".parse::<BoardLock>().unwrap(), BoardLock::Off);
        assert_eq!("Strict".parse::<BoardLock>().unwrap(), BoardLock::Strict);
        assert_eq!(
            "0.25".parse::<BoardLock>().unwrap(),
            BoardLock::Probability(0.25)
        );
        assert!("1.5".parse::<BoardLock>().is_err());
        assert!("sometimes".parse::<BoardLock>().is_err());
        assert_eq!(BoardLock::default(), BoardLock::Strict);
    }

    #[test]
    fn serde_round_trips_as_text_or_number() {
        #[derive(Serialize, Deserialize)]
        struct T {
            l: BoardLock,
        }
        let t: T = toml::from_str("l = 0.5").unwrap();
        assert_eq!(t.l, BoardLock::Probability(0.5));
        let t: T = toml::from_str("l = \"off\"").unwrap();
        assert_eq!(t.l, BoardLock::Off);
        assert_eq!(
            toml::to_string(&T {
                l: BoardLock::Strict
            })
            .unwrap()
            .trim(),
            "l = \"strict\""
        );
    }

    #[test]
    fn probability_refuses_about_that_share() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let lock = BoardLock::Probability(0.3);
        let refused = (0..10_000).filter(|_| lock.refuses(&mut rng)).count();
        assert!((2_700..3_300).contains(&refused), "{refused}");
        assert!(BoardLock::Strict.refuses(&mut rng));
        assert!(!BoardLock::Off.refuses(&mut rng));
    }

    #[test]
    fn refuses_writes_overlapping_an_in_flight_write() {
        let ms = Duration::from_millis;
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut in_flight = InFlight::default();
        in_flight.add(ms(0), ms(1_500), vec!["1".into()]);
        let board = |b: &str| vec![b.to_string()];
        let strict = BoardLock::Strict;
        assert_eq!(
            strict.refuses_write(ms(100), &board("1"), &mut in_flight, &mut rng),
            Some(2)
        );
        assert_eq!(
            strict.refuses_write(ms(100), &board("2"), &mut in_flight, &mut rng),
            None
        );
        assert_eq!(
            strict.refuses_write(ms(100), &[], &mut in_flight, &mut rng),
            None
        );
        assert_eq!(
            strict.refuses_write(ms(1_500), &board("1"), &mut in_flight, &mut rng),
            None
        );
        in_flight.add(ms(1_500), ms(2_000), vec!["1".into()]);
        assert_eq!(
            BoardLock::Off.refuses_write(ms(1_600), &board("1"), &mut in_flight, &mut rng),
            None
        );
    }

    #[test]
    fn retry_after_rounds_up() {
        let ms = Duration::from_millis;
        assert_eq!(retry_after_secs(ms(0), ms(250)), 1);
        assert_eq!(retry_after_secs(ms(0), ms(1_001)), 2);
        assert_eq!(retry_after_secs(ms(500), ms(100)), 1);
    }
}
