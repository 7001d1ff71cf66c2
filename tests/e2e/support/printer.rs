//! A pod program for log tests: a container whose image is `printer` prints `lines` numbered
//! lines of seeded random lengths in bursts, so the texts a pod prints are known in advance
//! ([`Printer::texts`]) and unique.

use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kfops_sim::kube::{PodProgram, ProgramEnv, Step};
use serde_json::json;

/// The container every printer pod has.
pub const CONTAINER: &str = "main";

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub lines: usize,
    /// Lines printed back to back before a pause.
    pub burst: usize,
    pub pause: Duration,
}

impl Printer {
    /// What a pod of this name prints, in order.
    pub fn texts(&self, pod: &str) -> Vec<String> {
        let seed = pod
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31) + u64::from(b));
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..self.lines)
            .map(|i| {
                let filler: String = (0..rng.usize(8..72)).map(|_| rng.alphanumeric()).collect();
                format!("{pod} line {i:05} {filler}")
            })
            .collect()
    }
}

impl PodProgram for Printer {
    fn name(&self) -> &str {
        "printer"
    }

    fn accepts(&self, pod: &Pod) -> bool {
        pod.spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .any(|c| c.image.as_deref() == Some("printer"))
    }

    fn run(&self, pod: &Pod, _env: &ProgramEnv) -> BoxStream<'static, Step> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let mut steps = Vec::new();
        for (i, text) in self.texts(&name).into_iter().enumerate() {
            if i > 0 && i % self.burst == 0 {
                steps.push(Step::Sleep(self.pause));
            }
            steps.push(Step::line(CONTAINER, text));
        }
        stream::iter(steps).boxed()
    }
}

/// A printer pod with this restart policy.
pub fn printer_pod(name: &str, restart_policy: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "printer"}},
        "spec": {
            "restartPolicy": restart_policy,
            "containers": [{"name": CONTAINER, "image": "printer"}],
        },
    }))
    .unwrap()
}
