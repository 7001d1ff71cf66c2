//! Small text formatters shared by the panes.

use chrono::{DateTime, Utc};

pub use crate::text::ellipsize;

/// `42s`, `5m`, `3h`, `2d`, `7w`: the age of `then` at `now` (`-` when in the future/unknown).
pub fn age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds();
    if secs < 0 || then == DateTime::<Utc>::UNIX_EPOCH {
        return "-".to_string();
    }
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3_600),
        s if s < 86_400 * 14 => format!("{}d", s / 86_400),
        s => format!("{}w", s / (86_400 * 7)),
    }
}

/// `12s`, `1m12s`, `1h02m`: how long something has been running (`0s` when `then` is later).
pub fn elapsed(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3_600, (s % 3_600) / 60),
    }
}

/// Frames of the spinner shown next to things in progress.
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// How long a spinner frame shows (the runner's animation tick).
pub const SPINNER_FRAME_MS: i64 = 125;

/// The spinner frame at `now` (views stay pure: the frame is a function of the time the
/// console has heard of, which the runner's animation ticks move on).
pub fn spinner(now: DateTime<Utc>) -> &'static str {
    let frame = now.timestamp_millis().div_euclid(SPINNER_FRAME_MS);
    let n = i64::try_from(SPINNER.len()).unwrap_or(1);
    SPINNER[usize::try_from(frame.rem_euclid(n)).unwrap_or(0)]
}

/// The first 8 characters of a UUID-like ID: enough to tell runs apart on screen.
pub fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ages() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(age(now - chrono::Duration::seconds(5), now), "5s");
        assert_eq!(age(now - chrono::Duration::minutes(5), now), "5m");
        assert_eq!(age(now - chrono::Duration::hours(3), now), "3h");
        assert_eq!(age(now - chrono::Duration::days(2), now), "2d");
        assert_eq!(age(now - chrono::Duration::days(30), now), "4w");
        assert_eq!(age(now + chrono::Duration::days(1), now), "-");
    }

    #[test]
    fn elapsed_times() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(elapsed(now - chrono::Duration::seconds(5), now), "5s");
        assert_eq!(elapsed(now - chrono::Duration::seconds(72), now), "1m12s");
        assert_eq!(
            elapsed(now - chrono::Duration::seconds(3_725), now),
            "1h02m"
        );
        assert_eq!(elapsed(now + chrono::Duration::seconds(5), now), "0s");
        let ms = |n: i64| now + chrono::Duration::milliseconds(n);
        assert_ne!(spinner(ms(0)), spinner(ms(SPINNER_FRAME_MS)));
        assert_eq!(spinner(ms(0)), spinner(ms(10 * SPINNER_FRAME_MS)));
    }
}
