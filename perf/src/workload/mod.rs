//! What a run is: the scenario (workload, simulator, clock, overrides), the records it feeds the
//! sync, and how many of them a bulk-import CSV row cannot carry (`exact_rows`).

pub mod exact_rows;
pub mod generate;
pub mod scenario;
pub mod sync_keys;
