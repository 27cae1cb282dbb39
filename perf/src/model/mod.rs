//! The yardstick: the ceiling model of every write path and which ceiling a run is measured
//! against.

pub mod ceiling;
pub mod yardstick;
