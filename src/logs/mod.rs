//! Build logs, independent of the terminal: the [`store`] (line buffers under one cap), the
//! [`merge`]d order of several streams, the [`follow`]er that streams a pod's log and resumes
//! it without loss or repeats ([`dedupe`]) and across container [`restarts`], the [`search`]
//! over stored lines, and a PR's [`builds`] found in the cluster.

pub mod ansi;
pub mod builds;
mod chunks;
pub mod dedupe;
pub mod follow;
pub mod merge;
pub mod restarts;
mod scan;
pub mod search;
mod sgr;
pub mod store;

pub use builds::{BuildInfo, BuildPod};
pub use follow::{follow, LogEvent, StreamStatus};
pub use merge::MergedPos;
pub use search::Search;
pub use store::{LogStore, StoredLine, StreamId};
