//! `monday-perf`
