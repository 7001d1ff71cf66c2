//! The list parameters GitHub's pull, issue and comment lists read alike: `state`,
//! `direction`, `since`, and the order they sort pull requests in.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::http::{ApiError, Req};
use super::state::Pull;
use crate::scenario::PullStatus;

/// `state`: `open` (the default), `closed`, or `all` (`None`); `invalid("state")` otherwise.
pub fn state(
    req: &Req,
    invalid: impl Fn(&str) -> ApiError,
) -> Result<Option<PullStatus>, ApiError> {
    match req.param("state").unwrap_or("open") {
        "open" => Ok(Some(PullStatus::Open)),
        "closed" => Ok(Some(PullStatus::Closed)),
        "all" => Ok(None),
        _ => Err(invalid("state")),
    }
}

/// Whether `direction` asks for descending order (`desc`; `asc` not); absent: `default`.
pub fn descending(
    req: &Req,
    default: bool,
    invalid: impl Fn(&str) -> ApiError,
) -> Result<bool, ApiError> {
    match req.param("direction") {
        None => Ok(default),
        Some("desc") => Ok(true),
        Some("asc") => Ok(false),
        Some(_) => Err(invalid("direction")),
    }
}

/// `since`, a time; GitHub ignores one it cannot read rather than failing the request.
pub fn since(req: &Req) -> Option<DateTime<Utc>> {
    req.param("since")
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Sorts pull requests by `order`, then by number, all reversed when `descending`.
pub fn sort_pulls(pulls: &mut [&Pull], descending: bool, order: impl Fn(&Pull, &Pull) -> Ordering) {
    pulls.sort_by(|a, b| {
        let order = order(a, b).then(a.number.cmp(&b.number));
        if descending {
            order.reverse()
        } else {
            order
        }
    });
}
