//! What a run is: the scenario (workload, simulator, clock, overrides) and the records it feeds the
//! sync.

pub mod exact_rows;
pub mod generate;
pub mod scenario;
pub mod sync_keys;
