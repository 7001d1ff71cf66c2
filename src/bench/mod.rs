//! Load harnesses behind `kfops bench` (measurements for docs/PERFORMANCE.md, not tests).

pub mod logs;
pub mod usage;
