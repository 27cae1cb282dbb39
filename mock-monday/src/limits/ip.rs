//! The IP limit: a sliding window per caller address.

use std::collections::HashMap;
use std::time::Duration;

use super::WindowCounter;

/// Addresses tracked before idle ones are forgotten (a new address past this prunes the map).
const MAX_TRACKED: usize = 10_000;

/// `limit` requests per `window` for each caller address.
#[derive(Debug, Clone)]
pub struct IpLimits {
    limit: u32,
    window: Duration,
    by_ip: HashMap<String, WindowCounter>,
}

impl IpLimits {
    /// Allows `limit` requests per `window` per address.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            by_ip: HashMap::new(),
        }
    }

    /// Records a request from `ip` at `now` if allowed; otherwise returns the simulated instant
    /// when a slot frees up. A new address beyond 10,000 tracked ones first forgets every address
    /// with nothing counted in its window.
    pub fn try_acquire(&mut self, now: Duration, ip: &str) -> Result<(), Duration> {
        if !self.by_ip.contains_key(ip) && self.by_ip.len() >= MAX_TRACKED {
            self.by_ip.retain(|_, w| w.remaining(now) < w.limit());
        }
        let (limit, window) = (self.limit, self.window);
        self.by_ip
            .entry(ip.to_string())
            .or_insert_with(|| WindowCounter::new(limit, window))
            .try_acquire(now)
    }

    /// Addresses currently tracked.
    pub fn tracked(&self) -> usize {
        self.by_ip.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_window() {
        let s = Duration::from_secs;
        let mut ip = IpLimits::new(1, s(10));
        assert!(ip.try_acquire(s(0), "a").is_ok());
        assert!(ip.try_acquire(s(1), "b").is_ok());
        assert_eq!(ip.try_acquire(s(2), "a"), Err(s(10)));
        assert!(ip.try_acquire(s(10), "a").is_ok());
        assert_eq!(ip.tracked(), 2);
    }

    #[test]
    fn forgets_idle_addresses_when_full() {
        let s = Duration::from_secs;
        let mut ip = IpLimits::new(5, s(10));
        for i in 0..MAX_TRACKED {
            ip.try_acquire(s(0), &i.to_string()).unwrap();
        }
        assert!(ip.try_acquire(s(5), "busy").is_ok());
        assert_eq!(
            ip.tracked(),
            MAX_TRACKED + 1,
            "all still inside their window"
        );
        assert!(ip.try_acquire(s(12), "late").is_ok());
        assert_eq!(
            ip.tracked(),
            2,
            "idle addresses forgotten, `busy` kept until it empties"
        );
    }
}
