//! Messages into the reducer and the effects it asks for.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::backends::BackendError;
use crate::domain::PullRequest;

/// Everything that can happen to the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The periodic refresh timer fired.
    RefreshDue {
        now: DateTime<Utc>,
    },
    /// An answer to [`Command::LoadPrs`]; stale generations are dropped.
    PrsLoaded {
        generation: u64,
        at: DateTime<Utc>,
        result: Result<Vec<PullRequest>, BackendError>,
    },
}

/// Effects the runner carries out; their results come back as [`Msg`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch the open PRs; answer with [`Msg::PrsLoaded`] carrying the same generation.
    LoadPrs { generation: u64 },
}
