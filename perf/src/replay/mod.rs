//! Running a workload: the sync engine (or a foreign client, or the reference job client) against
//! the simulator, over several seeds, and the results it assembles.

pub mod bulk_client;
pub mod client_cmd;
pub mod repeats;
pub mod results;
pub mod run;
pub mod seams;
pub mod transport;
pub mod vs_batch;
