//! Choosing settings from measurements: the batch-size x concurrency sweep and latency profiles
//! fitted to request logs (with the bulk import's job rate).

pub mod calibrate;
pub mod job_rate;
pub mod sweep;
