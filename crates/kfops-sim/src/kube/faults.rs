//! Faults the simulated API server injects into pod log responses: `log_cuts` responses
//! (followed or not) are cut after a random number of body bytes, drawn between
//! `log_cut_min_bytes` and `log_cut_max_bytes` from a generator seeded with `fault_seed`.
//!
//! A cut response sends its first bytes, then its body fails: hyper aborts the chunked
//! response and closes the connection, so the client sees a broken body, exactly like a
//! dropped connection (never a clean end, which on a followed log means "the container
//! ended"). A response shorter than its cut point is not cut and does not use up a cut.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::Response;
use futures::stream::{self, BoxStream, StreamExt};

use super::scenario::KubeScenario;
use super::KubeHandle;

/// How long a cut body waits between its last bytes and the error, so hyper flushes the
/// bytes first (it drops unflushed output when a body fails).
const FLUSH_PAUSE: Duration = Duration::from_millis(2);

/// The log-cut knob and what it did.
#[derive(Debug)]
pub(super) struct LogFaults {
    left: u32,
    min_bytes: usize,
    max_bytes: usize,
    rng: fastrand::Rng,
    made: u64,
}

impl LogFaults {
    pub(super) fn new(scenario: &KubeScenario) -> LogFaults {
        LogFaults {
            left: scenario.log_cuts,
            min_bytes: scenario.log_cut_min_bytes,
            max_bytes: scenario.log_cut_max_bytes.max(scenario.log_cut_min_bytes),
            rng: fastrand::Rng::with_seed(scenario.fault_seed),
            made: 0,
        }
    }

    /// Where to cut a new response, while cuts are left.
    fn draw(&mut self) -> Option<usize> {
        (self.left > 0).then(|| self.rng.usize(self.min_bytes..=self.max_bytes))
    }

    /// Takes one cut for a response that reached its cut point (`false`: others took the
    /// last ones meanwhile).
    fn claim(&mut self) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        self.made += 1;
        true
    }
}

impl KubeHandle {
    fn faults(&self) -> std::sync::MutexGuard<'_, LogFaults> {
        self.inner.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cuts the next `cuts` log responses after between `min_bytes` and `max_bytes` body
    /// bytes (replacing what was left of the scenario's `log_cuts`; 0 stops cutting).
    pub fn set_log_cuts(&self, cuts: u32, min_bytes: usize, max_bytes: usize) {
        let mut faults = self.faults();
        faults.left = cuts;
        faults.min_bytes = min_bytes.min(max_bytes);
        faults.max_bytes = max_bytes.max(min_bytes);
    }

    /// Restarts the fault generator from `seed`.
    pub fn set_fault_seed(&self, seed: u64) {
        self.faults().rng = fastrand::Rng::with_seed(seed);
    }

    /// How many log responses were cut so far.
    pub fn log_cuts_made(&self) -> u64 {
        self.faults().made
    }

    /// How many more log responses will be cut.
    pub fn log_cuts_left(&self) -> u32 {
        self.faults().left
    }
}

/// A log response, cut at a random point while cuts are left (unchanged otherwise).
pub(super) fn cut_log_response(kube: &KubeHandle, response: Response) -> Response {
    let Some(at) = kube.faults().draw() else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    // The body's length is no longer known in advance.
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = cut_body(body.into_data_stream().boxed(), at, kube.clone());
    Response::from_parts(parts, Body::from_stream(body))
}

/// Where a cut body is.
enum Cut {
    /// Passing chunks on; `sent` bytes so far, cut at `at` (`None`: no more cut).
    Passing {
        inner: BoxStream<'static, Result<Bytes, axum::Error>>,
        sent: usize,
        at: Option<usize>,
    },
    /// The bytes before the cut point are out: fail next.
    Breaking,
    Done,
}

type Chunk = Result<Bytes, io::Error>;

fn cut_body(
    inner: BoxStream<'static, Result<Bytes, axum::Error>>,
    at: usize,
    kube: KubeHandle,
) -> BoxStream<'static, Chunk> {
    let start = Cut::Passing {
        inner,
        sent: 0,
        at: Some(at),
    };
    stream::unfold(start, move |state| {
        let kube = kube.clone();
        async move { step(state, &kube).await }
    })
    .boxed()
}

async fn step(state: Cut, kube: &KubeHandle) -> Option<(Chunk, Cut)> {
    match state {
        Cut::Done => None,
        Cut::Breaking => {
            tokio::time::sleep(FLUSH_PAUSE).await;
            let err = io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the simulator cut the log stream",
            );
            Some((Err(err), Cut::Done))
        }
        Cut::Passing {
            mut inner,
            sent,
            at,
        } => {
            let chunk = match inner.next().await? {
                Ok(chunk) => chunk,
                Err(e) => return Some((Err(io::Error::other(e)), Cut::Done)),
            };
            let end = sent + chunk.len();
            match at {
                Some(at) if end > at && kube.faults().claim() => {
                    let head = chunk.slice(..at.saturating_sub(sent));
                    Some((Ok(head), Cut::Breaking))
                }
                // The cut point passed while another response took the last cut.
                Some(at) if end > at => Some((Ok(chunk), passing(inner, end, None))),
                _ => Some((Ok(chunk), passing(inner, end, at))),
            }
        }
    }
}

fn passing(
    inner: BoxStream<'static, Result<Bytes, axum::Error>>,
    sent: usize,
    at: Option<usize>,
) -> Cut {
    Cut::Passing { inner, sent, at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::GithubHandle;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    fn kube(cuts: u32, min: usize, max: usize) -> KubeHandle {
        let scenario = KubeScenario {
            log_cuts: cuts,
            log_cut_min_bytes: min,
            log_cut_max_bytes: max,
            fault_seed: 7,
            ..KubeScenario::default()
        };
        let github = GithubHandle::new(&crate::Scenario::demo().github);
        KubeHandle::new(&scenario, github)
    }

    /// The body's chunks until its end or its first error.
    async fn read(response: Response) -> (Vec<u8>, Option<String>) {
        let mut body = response.into_body().into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(c) => bytes.extend_from_slice(&c),
                Err(e) => return (bytes, Some(e.to_string())),
            }
        }
        (bytes, None)
    }

    fn response(len: usize) -> Response {
        (StatusCode::OK, vec![b'x'; len]).into_response()
    }

    #[tokio::test]
    async fn a_cut_response_errors_mid_body_after_its_cut_point() {
        let kube = kube(2, 100, 100);
        let (bytes, err) = read(cut_log_response(&kube, response(1_000))).await;
        assert_eq!(bytes.len(), 100, "the bytes before the cut point arrive");
        assert!(
            err.is_some_and(|e| e.contains("cut")),
            "then the body fails"
        );
        assert_eq!(kube.log_cuts_made(), 1);
        assert_eq!(kube.log_cuts_left(), 1);
    }

    #[tokio::test]
    async fn a_response_shorter_than_its_cut_point_is_whole_and_keeps_the_cut() {
        let kube = kube(1, 500, 600);
        let (bytes, err) = read(cut_log_response(&kube, response(400))).await;
        assert_eq!((bytes.len(), err), (400, None));
        assert_eq!((kube.log_cuts_made(), kube.log_cuts_left()), (0, 1));
    }

    #[tokio::test]
    async fn with_no_cuts_left_nothing_changes() {
        let kube = kube(0, 1, 10);
        let (bytes, err) = read(cut_log_response(&kube, response(5_000))).await;
        assert_eq!((bytes.len(), err), (5_000, None));
        assert_eq!(kube.log_cuts_made(), 0);

        // Set at run time; the cut points stay in the range and the counter counts.
        kube.set_log_cuts(3, 10, 20);
        for _ in 0..3 {
            let (bytes, err) = read(cut_log_response(&kube, response(5_000))).await;
            assert!((10..=20).contains(&bytes.len()), "{}", bytes.len());
            assert!(err.is_some());
        }
        assert_eq!((kube.log_cuts_made(), kube.log_cuts_left()), (3, 0));
        let (bytes, err) = read(cut_log_response(&kube, response(5_000))).await;
        assert_eq!((bytes.len(), err), (5_000, None));
    }

    #[test]
    fn the_same_seed_draws_the_same_cut_points() {
        let scenario = KubeScenario {
            log_cuts: 50,
            log_cut_min_bytes: 1,
            log_cut_max_bytes: 10_000,
            fault_seed: 42,
            ..KubeScenario::default()
        };
        let draws = |mut f: LogFaults| (0..50).map(|_| f.draw()).collect::<Vec<_>>();
        assert_eq!(
            draws(LogFaults::new(&scenario)),
            draws(LogFaults::new(&scenario))
        );
    }
}
