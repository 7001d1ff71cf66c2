//! A pod that prints as fast as it can: what load tests and the log benchmarks follow.
//!
//! A pod with the annotation `sim.kfops.io/flood-lines: "N"` prints N numbered lines on each
//! of its containers without pausing (yielding to other tasks every few hundred lines), then
//! exits 0. `sim.kfops.io/flood-line-bytes` sets the length of a line (default 100, at least
//! enough for its number). Line `i` of container `c` of pod `p` is [`flood_line`]`(p, c, i, len)`,
//! so a test can tell what was produced without asking.

use futures::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;

use super::lifecycle::{PodProgram, ProgramEnv, Step};

/// The annotation asking for a flood, with the number of lines.
pub const FLOOD_LINES: &str = "sim.kfops.io/flood-lines";
/// The annotation setting a flood line's length in bytes.
pub const FLOOD_LINE_BYTES: &str = "sim.kfops.io/flood-line-bytes";
const DEFAULT_LINE_BYTES: usize = 100;
/// Lines printed between two yields to the scheduler.
const YIELD_EVERY: u64 = 256;

/// Line `i` of a flood: the pod, container and number, padded to `len` bytes.
pub fn flood_line(pod: &str, container: &str, i: u64, len: usize) -> String {
    let mut line = format!("{pod}/{container} line {i:09} ");
    const FILL: &str = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ";
    while line.len() < len {
        let take = (len - line.len()).min(FILL.len());
        line.push_str(&FILL[..take]);
    }
    line
}

/// A pod named `name` whose one container `main` floods `lines` lines of `line_bytes` bytes.
pub fn flood_pod(name: &str, lines: u64, line_bytes: usize) -> Pod {
    Pod {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(name.to_owned()),
            annotations: Some(
                [
                    (FLOOD_LINES.to_owned(), lines.to_string()),
                    (FLOOD_LINE_BYTES.to_owned(), line_bytes.to_string()),
                ]
                .into(),
            ),
            ..Default::default()
        },
        spec: Some(k8s_openapi::api::core::v1::PodSpec {
            restart_policy: Some("Never".to_owned()),
            containers: vec![k8s_openapi::api::core::v1::Container {
                name: "main".to_owned(),
                image: Some("busybox".to_owned()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The flood program (built in; runs pods carrying [`FLOOD_LINES`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct FloodProgram;

fn annotation(pod: &Pod, key: &str) -> Option<u64> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(key)?
        .trim()
        .parse()
        .ok()
}

impl PodProgram for FloodProgram {
    fn name(&self) -> &str {
        "flood"
    }

    fn accepts(&self, pod: &Pod) -> bool {
        annotation(pod, FLOOD_LINES).is_some()
    }

    fn run(&self, pod: &Pod, _env: &ProgramEnv) -> BoxStream<'static, Step> {
        let lines = annotation(pod, FLOOD_LINES).unwrap_or(0);
        let len = annotation(pod, FLOOD_LINE_BYTES)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_LINE_BYTES);
        let name = pod.metadata.name.clone().unwrap_or_default();
        let containers: Vec<String> = pod
            .spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .map(|c| c.name.clone())
            .collect();
        stream::iter(containers)
            .flat_map(move |c| {
                let name = name.clone();
                let exit = Step::Exit {
                    container: c.clone(),
                    code: 0,
                };
                stream::unfold(0u64, move |i| {
                    let (name, c) = (name.clone(), c.clone());
                    async move {
                        if i >= lines {
                            return None;
                        }
                        if i > 0 && i % YIELD_EVERY == 0 {
                            tokio::task::yield_now().await;
                        }
                        Some((Step::line(&c, flood_line(&name, &c, i, len)), i + 1))
                    }
                })
                .chain(stream::once(async move { exit }))
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_lines_are_numbered_and_padded() {
        let line = flood_line("p", "main", 7, 60);
        assert!(line.starts_with("p/main line 000000007 lorem"), "{line}");
        assert_eq!(line.len(), 60);
        // Too short a length keeps the number whole.
        assert_eq!(flood_line("p", "c", 1, 5), "p/c line 000000001 ");
    }
}
