//! `kfops bench logs`: the log load harness. A simulator process floods N pods with M lines
//! each; then the console's ingestion path (the log follower through kube-rs into the
//! [`LogStore`]) and N `kubectl logs -f --timestamps` processes read the same logs. Reported
//! per side: lines/s, CPU seconds, peak memory; and their ratios.
//!
//! The simulator runs in its own process so neither side is charged for serving. The
//! console side runs in this process (its CPU is `getrusage(RUSAGE_SELF)` over the phase);
//! kubectl's CPU is `getrusage(RUSAGE_CHILDREN)` over its phase, its memory the sum of each
//! process's peak RSS (`VmHWM`, sampled until it exits).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use color_eyre::eyre::{bail, eyre, WrapErr};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, PostParams};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use super::usage;
use crate::backends::cluster::Cluster;
use crate::domain::PodRef;
use crate::logs::follow::{self, FollowOptions};
use crate::logs::{LogEvent, LogStore};
use kfops_sim::kube::flood::flood_pod;

const NAMESPACE: &str = "kfops";

/// What to measure.
#[derive(Debug, Clone)]
pub struct LogsBench {
    pub streams: usize,
    pub lines: u64,
    pub line_bytes: usize,
    /// The kubectl to compare with (`None`: the console side only).
    pub kubectl: Option<PathBuf>,
}

/// One side's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub lines: u64,
    pub seconds: f64,
    pub lines_per_second: f64,
    pub cpu_seconds: f64,
    /// Peak resident memory of the side (growth of this process for the console).
    pub peak_memory_bytes: u64,
}

/// The harness's result.
#[derive(Debug, Clone, Serialize)]
pub struct LogsReport {
    pub streams: usize,
    pub lines_per_stream: u64,
    /// Bytes of log text read (each line and its newline, without timestamps).
    pub log_bytes: u64,
    pub console: Side,
    /// Heap the store holds for the lines, per byte of log kept.
    pub store_bytes_per_log_byte: f64,
    /// Peak memory growth of the console side, per byte of log kept.
    pub memory_bytes_per_log_byte: f64,
    pub kubectl: Option<Side>,
    /// console ÷ kubectl.
    pub throughput_ratio: Option<f64>,
    pub cpu_ratio: Option<f64>,
    pub memory_ratio: Option<f64>,
}

/// Runs the harness (needs `kfops` = this executable, to start the simulator process).
pub async fn run(bench: &LogsBench) -> color_eyre::Result<LogsReport> {
    if bench.streams == 0 || bench.lines == 0 {
        bail!("--streams and --lines must be at least 1");
    }
    let (mut sim, url) = start_simulator().await?;
    let cluster = flood(&url, bench).await?;
    let (console, store_bytes, log_bytes) = console_side(&cluster, bench).await?;
    let kubectl = match &bench.kubectl {
        Some(bin) => Some(kubectl_side(bin, &url, bench).await?),
        None => None,
    };
    let _ = sim.kill().await;
    let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
    let log = log_bytes.max(1) as f64;
    Ok(LogsReport {
        streams: bench.streams,
        lines_per_stream: bench.lines,
        log_bytes,
        store_bytes_per_log_byte: store_bytes as f64 / log,
        memory_bytes_per_log_byte: console.peak_memory_bytes as f64 / log,
        throughput_ratio: kubectl
            .as_ref()
            .and_then(|k| ratio(console.lines_per_second, k.lines_per_second)),
        cpu_ratio: kubectl
            .as_ref()
            .and_then(|k| ratio(console.cpu_seconds, k.cpu_seconds)),
        memory_ratio: kubectl
            .as_ref()
            .and_then(|k| ratio(console.peak_memory_bytes as f64, k.peak_memory_bytes as f64)),
        console,
        kubectl,
    })
}

/// `kfops sim --listen 127.0.0.1:0` in its own process; returns it and its Kubernetes URL.
async fn start_simulator() -> color_eyre::Result<(tokio::process::Child, String)> {
    let exe = std::env::current_exe().wrap_err("finding the kfops executable")?;
    let mut child = tokio::process::Command::new(exe)
        .args(["sim", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .wrap_err("starting the simulator process")?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| eyre!("no simulator output"))?;
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(url) = line.trim().strip_prefix("Kubernetes API server:") {
            let url = url.trim().to_string();
            // Keep reading (and dropping) its output so it never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok((child, url));
        }
    }
    bail!("the simulator exited before printing its URL")
}

fn pod_name(n: usize) -> String {
    format!("flood-{n}")
}

/// Creates the flooding pods and waits until they have printed everything.
async fn flood(url: &str, bench: &LogsBench) -> color_eyre::Result<Cluster> {
    let config = kube::Config::new(url.parse().wrap_err("the simulator URL")?);
    let client = kube::Client::try_from(config)?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    for n in 0..bench.streams {
        let pod = flood_pod(&pod_name(n), bench.lines, bench.line_bytes);
        pods.create(&PostParams::default(), &pod).await?;
    }
    loop {
        let list = pods.list(&ListParams::default()).await?;
        let done = list
            .items
            .iter()
            .filter(|p| {
                p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded")
                    && p.metadata
                        .name
                        .as_deref()
                        .is_some_and(|n| n.starts_with("flood-"))
            })
            .count();
        if done == bench.streams {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Cluster::from_client(client, NAMESPACE))
}

/// The console's path: one follower per pod (kube-rs, timestamps, batches) into one store.
/// Returns the side, the store's heap bytes and the bytes of log kept.
async fn console_side(
    cluster: &Cluster,
    bench: &LogsBench,
) -> color_eyre::Result<(Side, usize, u64)> {
    let rss_before = usage::status_bytes(None, "VmRSS").unwrap_or(0);
    let cpu_before = usage::cpu(false);
    let started = Instant::now();
    let total = bench.lines * bench.streams as u64;
    let mut store = LogStore::new(usize::try_from(total).unwrap_or(usize::MAX).max(1));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut ids = HashMap::new();
    for n in 0..bench.streams {
        let pod = PodRef {
            namespace: NAMESPACE.into(),
            name: pod_name(n),
            container: None,
        };
        ids.insert(pod.name.clone(), store.add_stream());
        let tx = tx.clone();
        let cluster = cluster.clone();
        tokio::spawn(async move {
            follow::follow_with(cluster, pod, FollowOptions::default(), move |ev| {
                let _ = tx.send(ev);
            })
            .await
        });
    }
    drop(tx);
    let mut log_bytes = 0u64;
    while let Some(ev) = rx.recv().await {
        if let LogEvent::Lines { pod, lines } = ev {
            log_bytes += lines.iter().map(|l| l.text.len() as u64 + 1).sum::<u64>();
            if let Some(&id) = ids.get(&pod.name) {
                store.extend(id, lines);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = usage::cpu(false).saturating_sub(cpu_before);
    let peak = usage::status_bytes(None, "VmHWM").unwrap_or(0);
    let got = store.total_lines() as u64;
    if got != total {
        bail!("the console stored {got} lines of {total}");
    }
    let side = Side {
        lines: got,
        seconds,
        lines_per_second: got as f64 / seconds.max(1e-9),
        cpu_seconds: cpu.as_secs_f64(),
        peak_memory_bytes: peak.saturating_sub(rss_before),
    };
    Ok((side, store.memory_bytes(), log_bytes))
}

/// N `kubectl logs -f --timestamps` processes; their output is counted (lines) as it comes.
async fn kubectl_side(
    bin: &std::path::Path,
    url: &str,
    bench: &LogsBench,
) -> color_eyre::Result<Side> {
    let home = tempfile_dir()?;
    let kubeconfig = home.join("kubeconfig");
    std::fs::write(&kubeconfig, "")?;
    let cpu_before = usage::cpu(true);
    let started = Instant::now();
    let mut children = Vec::new();
    for n in 0..bench.streams {
        let mut child = tokio::process::Command::new(bin)
            .arg(format!("--server={url}"))
            .arg(format!("--cache-dir={}", home.join("cache").display()))
            .args(["logs", "-f", "--timestamps", "-n", NAMESPACE, &pod_name(n)])
            .env("KUBECONFIG", &kubeconfig)
            .env("HOME", &home)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .wrap_err_with(|| format!("starting {}", bin.display()))?;
        let pid = child.id();
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| eyre!("no kubectl output"))?;
        let counter = tokio::spawn(async move {
            let mut buf = vec![0u8; 256 * 1024];
            let mut lines = 0u64;
            while let Ok(n) = stdout.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            }
            lines
        });
        children.push((child, pid, counter));
    }
    // Sample each process's peak RSS until it exits.
    let mut peaks = vec![0u64; children.len()];
    let mut lines = 0u64;
    let mut running: Vec<bool> = vec![true; children.len()];
    while running.iter().any(|r| *r) {
        for (i, (child, pid, _)) in children.iter_mut().enumerate() {
            if !running[i] {
                continue;
            }
            if let Some(hwm) = usage::status_bytes(*pid, "VmHWM") {
                peaks[i] = peaks[i].max(hwm);
            }
            if let Some(status) = child.try_wait()? {
                if !status.success() {
                    bail!("kubectl logs exited with {status}");
                }
                running[i] = false;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    for (_, _, counter) in children {
        lines += counter.await?;
    }
    let cpu = usage::cpu(true).saturating_sub(cpu_before);
    let _ = std::fs::remove_dir_all(&home);
    let total = bench.lines * bench.streams as u64;
    if lines != total {
        bail!("kubectl printed {lines} lines of {total}");
    }
    Ok(Side {
        lines,
        seconds,
        lines_per_second: lines as f64 / seconds.max(1e-9),
        cpu_seconds: cpu.as_secs_f64(),
        peak_memory_bytes: peaks.iter().sum(),
    })
}

/// A fresh directory for kubectl's HOME, cache and (empty) kubeconfig.
fn tempfile_dir() -> color_eyre::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("kfops-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The report as a table.
pub fn format(report: &LogsReport) -> String {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mut out = format!(
        "{} streams × {} lines = {} lines, {:.1} MiB of log\n\n",
        report.streams,
        report.lines_per_stream,
        report.console.lines,
        mib(report.log_bytes)
    );
    out.push_str("side      lines/s      wall s   CPU s    peak MiB\n");
    let row = |name: &str, s: &Side| {
        format!(
            "{name:<9} {:>11.0} {:>8.2} {:>7.2} {:>10.1}\n",
            s.lines_per_second,
            s.seconds,
            s.cpu_seconds,
            mib(s.peak_memory_bytes)
        )
    };
    out.push_str(&row("console", &report.console));
    if let Some(k) = &report.kubectl {
        out.push_str(&row("kubectl", k));
    }
    out.push('\n');
    let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}×"));
    out.push_str(&format!(
        "throughput console/kubectl {}   CPU console/kubectl {}   memory console/kubectl {}\n",
        show(report.throughput_ratio),
        show(report.cpu_ratio),
        show(report.memory_ratio)
    ));
    out.push_str(&format!(
        "store: {:.2} bytes per byte of log kept; console peak memory growth: {:.2} bytes per byte\n",
        report.store_bytes_per_log_byte, report.memory_bytes_per_log_byte
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_each_side_and_the_ratios() {
        let side = |lps: f64, cpu: f64| Side {
            lines: 1_000,
            seconds: 1.0,
            lines_per_second: lps,
            cpu_seconds: cpu,
            peak_memory_bytes: 4 * 1024 * 1024,
        };
        let report = LogsReport {
            streams: 2,
            lines_per_stream: 500,
            log_bytes: 1024 * 1024,
            console: side(2_000.0, 0.5),
            store_bytes_per_log_byte: 1.1,
            memory_bytes_per_log_byte: 1.4,
            kubectl: Some(side(1_000.0, 2.0)),
            throughput_ratio: Some(2.0),
            cpu_ratio: Some(0.25),
            memory_ratio: Some(1.0),
        };
        let table = format(&report);
        assert!(table.contains("2 streams × 500 lines"), "{table}");
        assert!(table.contains("console          2000"), "{table}");
        assert!(
            table.contains("throughput console/kubectl 2.00×"),
            "{table}"
        );
        assert!(table.contains("CPU console/kubectl 0.25×"), "{table}");
    }
}
