//! What a run measures on its clock: request and record latency, the timeline, client CPU, log
//! events, retried writes, the bulk path in the simulator's word, and request-log lines.

pub mod bulk;
pub mod client_cpu;
pub mod client_pace;
pub mod http_cpu;
pub mod latency;
pub mod log_counts;
pub mod observer;
pub mod request_line;
pub mod retry_keys;
pub mod timeline;
