//! What a follower already delivered, so a resumed log stream neither loses nor repeats a
//! line.

use chrono::{DateTime, SubsecRound, Utc};

use crate::backends::cluster::LogLine;

/// Remembers what was delivered so a resumed stream neither loses nor repeats a line.
///
/// A resume asks for the log since the last line's timestamp, floored to the second (the
/// API's `sinceTime` has second precision and kube-rs rounds it to the *nearest* second,
/// which could skip lines). The server then repeats lines from that second on: lines older
/// than the last delivered timestamp are skipped, and lines with exactly that timestamp are
/// skipped while they match, in order, the lines delivered with it. The first line that is
/// newer (or differs) ends the skipping. Without timestamps a resume starts from the top and
/// skips as many lines as were delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dedupe {
    last_time: Option<DateTime<Utc>>,
    /// Texts of the delivered lines stamped `last_time`, in order.
    at_last: Vec<String>,
    delivered: u64,
    skipping: bool,
    matched: usize,
    replayed: u64,
}

impl Dedupe {
    /// What to ask the server for on the next connection (`None`: from the start).
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.last_time.map(|t| t.trunc_subsecs(0))
    }

    /// A new connection starts: lines it repeats will be skipped.
    pub fn reconnect(&mut self) {
        self.skipping = self.delivered > 0;
        self.matched = 0;
        self.replayed = 0;
    }

    /// Whether a line from the current connection is new; new lines are remembered.
    pub fn accept(&mut self, line: &LogLine) -> bool {
        if self.skipping {
            match (self.last_time, line.time) {
                (Some(last), Some(t)) if t < last => return false,
                (Some(last), Some(t)) if t == last => {
                    if self.at_last.get(self.matched) == Some(&line.text) {
                        self.matched += 1;
                        return false;
                    }
                    self.skipping = false;
                }
                (None, _) => {
                    if self.replayed < self.delivered {
                        self.replayed += 1;
                        return false;
                    }
                    self.skipping = false;
                }
                _ => self.skipping = false,
            }
        }
        self.delivered += 1;
        if let Some(t) = line.time {
            if Some(t) == self.last_time {
                self.at_last.push(line.text.clone());
            } else {
                self.last_time = Some(t);
                self.at_last.clear();
                self.at_last.push(line.text.clone());
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(ms: i64, text: &str) -> LogLine {
        LogLine {
            time: Some(
                Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
                    + chrono::Duration::milliseconds(ms),
            ),
            text: text.to_string(),
        }
    }

    /// Feeds one connection's lines; returns the texts accepted.
    fn connection(d: &mut Dedupe, lines: &[LogLine]) -> Vec<String> {
        d.reconnect();
        lines
            .iter()
            .filter(|l| d.accept(l))
            .map(|l| l.text.clone())
            .collect()
    }

    #[test]
    fn a_resumed_stream_repeats_nothing_and_loses_nothing() {
        let full = [
            at(100, "a"),
            at(700, "b"),
            at(1_200, "c"),
            at(1_200, "d"),
            at(1_200, "e"),
            at(1_900, "f"),
            at(2_000, "g"),
        ];
        let mut d = Dedupe::default();
        assert_eq!(d.since(), None);
        // The first connection breaks after "d" (two of the three lines at 1.200 s).
        let first = connection(&mut d, &full[..4]);
        assert_eq!(first, ["a", "b", "c", "d"]);
        // Resume from the start of that second, floored (1.2 s → 1 s).
        assert_eq!(
            d.since(),
            Some(Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 1).unwrap())
        );
        // The server repeats everything from 1 s on.
        let second = connection(&mut d, &full[2..]);
        assert_eq!(second, ["e", "f", "g"]);
        // A resume that repeats nothing at all (server sent only newer lines).
        let third = connection(&mut d, &[at(2_500, "h")]);
        assert_eq!(third, ["h"]);
    }

    #[test]
    fn same_timestamp_with_new_text_is_new() {
        let mut d = Dedupe::default();
        connection(&mut d, &[at(0, "x"), at(500, "y")]);
        let again = connection(
            &mut d,
            &[at(0, "x"), at(500, "y"), at(500, "z"), at(600, "w")],
        );
        assert_eq!(again, ["z", "w"]);
    }

    #[test]
    fn without_timestamps_a_resume_skips_what_was_delivered() {
        let plain = |t: &str| LogLine {
            time: None,
            text: t.into(),
        };
        let mut d = Dedupe::default();
        connection(&mut d, &[plain("1"), plain("2")]);
        assert_eq!(d.since(), None);
        let again = connection(&mut d, &[plain("1"), plain("2"), plain("3")]);
        assert_eq!(again, ["3"]);
    }
}
