//! Rate limiters of the live API (docs/monday-api.md §2), each unit-testable on its own.
//!
//! All of them work on simulated time (`Duration` since the simulator started) and keep memory
//! bounded by their limit. A limiter that refuses a request says how long to wait.

pub mod board_lock;
mod budget;
mod concurrency;
mod daily;
mod guards;
mod ip;
mod throttle;
mod window;

pub use board_lock::BoardLock;
pub use budget::{BudgetCheck, Budgets, ComplexityBudget, WindowMode};
pub use concurrency::InFlight;
pub use daily::DailyLimit;
pub use guards::{query_depth, GuardError};
pub use ip::IpLimits;
pub use throttle::Throttle;
pub use window::WindowCounter;
