//! Pass or fail: the gate's baseline and metrics, the gate, code-default coverage and the verdict
//! on what set the pace.

pub mod baseline;
pub mod code_defaults;
pub mod gate;
pub mod verdict;
