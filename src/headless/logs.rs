//! `kfops logs --pr N [--follow]`: tails the PR's build pods (of the project's repository)
//! like stern, one coloured prefix per pod (no colour in a pipe or with `--no-color`);
//! reconnects are reported on stderr. The builds and followers are the effects layer's
//! (`effects::logs`), as in the console.

use std::io::Write;

use tokio::sync::mpsc;

use super::{PREFIX_COLORS, RESET};
use crate::backends::cluster::Cluster;
use crate::backends::BackendError;
use crate::logs::{LogEvent, StreamStatus};

/// What `kfops logs` was asked for.
#[derive(Debug, Clone, Copy)]
pub struct LogsRequest {
    pub pr: u64,
    pub follow: bool,
    /// Every build of the PR, not only the newest.
    pub all_builds: bool,
    pub color: bool,
    /// JSON lines: `{"event": "line", "pod", "image", "time", "text"}` per log line and
    /// `{"event": "status", "pod", "image", "status"}` per stream status change.
    pub json: bool,
}

/// Prints the logs of PR `req.pr` of `repository` (`owner/name`: another repository's pods
/// for a PR of the same number are left out); `Ok(false)` when the PR has no build pods.
pub async fn run(
    cluster: &Cluster,
    repository: &str,
    req: LogsRequest,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> Result<bool, BackendError> {
    let builds = crate::effects::logs::list_builds(Some(cluster), req.pr, Some(repository)).await?;
    let chosen: Vec<_> = if req.all_builds {
        builds.iter().rev().collect() // oldest first, like reading a history
    } else {
        builds.first().into_iter().collect()
    };
    if chosen.is_empty() {
        let _ = writeln!(err, "kfops logs: PR {repository}#{} has no build pods in namespace {} (press b on it in the console, or run `kfops build --pr {}`)", req.pr, cluster.namespace(), req.pr);
        return Ok(false);
    }
    let streams: Vec<_> = chosen.iter().flat_map(|b| b.pods.iter()).collect();
    let width = streams
        .iter()
        .map(|p| p.image.chars().count())
        .max()
        .unwrap_or(0);
    let (tx, mut rx) = mpsc::unbounded_channel::<LogEvent>();
    let mut prefixes = std::collections::HashMap::new();
    for (i, stream) in streams.iter().enumerate() {
        let prefix = format!("{:<width$} │ ", stream.image);
        let prefix = if req.color && !req.json {
            format!("{}{prefix}{RESET}", PREFIX_COLORS[i % PREFIX_COLORS.len()])
        } else {
            prefix
        };
        prefixes.insert(stream.pod.clone(), (prefix, stream.image.clone()));
        let tx = tx.clone();
        // A finished pod is read once even with --follow.
        let follow = req.follow && !stream.is_terminal();
        tokio::spawn(crate::effects::logs::stream(
            Some(cluster.clone()),
            stream.pod.clone(),
            follow,
            move |ev| {
                let _ = tx.send(ev);
            },
        ));
    }
    drop(tx);
    let mut pending = vec![];
    while let Some(ev) = rx.recv().await {
        pending.push(ev);
        while let Some(ev) = pending.pop() {
            match ev {
                LogEvent::Batch(events) => pending.extend(events.into_iter().rev()),
                LogEvent::Lines { pod, lines } => {
                    if req.json {
                        let image = prefixes.get(&pod).map_or(&pod.name, |(_, i)| i);
                        for line in lines {
                            let v = serde_json::json!({
                                "event": "line",
                                "pod": pod.name,
                                "image": image,
                                "time": line.time.map(|t| t.to_rfc3339()),
                                "text": line.text,
                            });
                            if writeln!(out, "{v}").is_err() {
                                return Ok(true);
                            }
                        }
                        let _ = out.flush();
                        continue;
                    }
                    let prefix = prefixes.get(&pod).map(|(p, _)| p.as_str()).unwrap_or("");
                    for line in lines {
                        if writeln!(out, "{prefix}{}", line.text).is_err() {
                            return Ok(true); // the reader went away (`| head`)
                        }
                    }
                    let _ = out.flush();
                }
                LogEvent::Status { pod, status } => {
                    let image = prefixes
                        .get(&pod)
                        .map(|(_, i)| i.as_str())
                        .unwrap_or(&pod.name);
                    if req.json {
                        let v = serde_json::json!({
                            "event": "status",
                            "pod": pod.name,
                            "image": image,
                            "status": status.label(),
                        });
                        let _ = writeln!(out, "{v}");
                        let _ = out.flush();
                        continue;
                    }
                    match status {
                        StreamStatus::Reconnecting { .. }
                        | StreamStatus::Restarted { .. }
                        | StreamStatus::Failed(_) => {
                            let _ = writeln!(err, "# {image}: {}", status.label());
                        }
                        _ => {}
                    }
                }
                LogEvent::Phase { .. } => {}
            }
        }
    }
    Ok(true)
}
