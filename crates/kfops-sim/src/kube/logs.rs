//! `GET /api/v1/namespaces/{ns}/pods/{name}/log`: `text/plain`, what the API server and the
//! kubelet answer.
//!
//! - `container` is required for pods with several containers (400 naming the choices) and
//!   must exist (400). `previous` serves the log of a restarted container's previous
//!   instance, whole; 400 when the container never restarted.
//! - A pod not yet bound to a node has an empty log (200); a container still being created
//!   is 400 `container "x" in pod "y" is waiting to start: ContainerCreating`.
//! - `timestamps` prefixes each line with its production time, RFC 3339 with nine fraction
//!   digits and a space, as the kubelet does.
//! - `sinceTime` keeps lines stamped at or after it. Like the real API server, which forwards
//!   it to the kubelet formatted as RFC 3339 *seconds*, the fraction is dropped first.
//!   `sinceSeconds` keeps lines of the last N seconds; only one of the two is allowed.
//! - `tailLines` keeps the last N lines (before the since filter, as the kubelet reads the
//!   file); `limitBytes` cuts the output (timestamps included) after N bytes, mid-line.
//! - `follow` streams lines as they are produced and ends when the container terminated (a
//!   restarted container's old instance: when it crashed, with its last lines).
//! - Any answer may be cut mid-body by the fault injector (`faults.rs`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;

use super::faults;
use super::restarts::restart_count;
use super::status::{streaming, KubeError, Params};
use super::store::LogLine;
use super::KubeHandle;

const CONTENT_TYPE: &str = "text/plain";

/// The parsed options of one log request.
#[derive(Debug, Clone)]
struct Options {
    container: String,
    follow: bool,
    timestamps: bool,
    since: Option<DateTime<Utc>>,
    tail: Option<usize>,
    limit: Option<usize>,
    /// `stream=Stderr`: nothing (everything simulated goes to stdout).
    stderr_only: bool,
}

/// `GET .../pods/{name}/log`; the answer may be cut (see `faults.rs`).
pub async fn logs(
    State(kube): State<KubeHandle>,
    Path((namespace, name)): Path<(String, String)>,
    params: Params,
) -> Result<Response, KubeError> {
    let response = serve(&kube, namespace, name, &params)?;
    Ok(faults::cut_log_response(&kube, response))
}

fn serve(
    kube: &KubeHandle,
    namespace: String,
    name: String,
    params: &Params,
) -> Result<Response, KubeError> {
    let pod = kube
        .pod(&namespace, &name)
        .ok_or_else(|| KubeError::not_found("pods", &name))?;
    let opts = options(&pod, &name, params)?;
    if pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_ref())
        .is_none()
    {
        // Not bound to a node: the API server has nowhere to ask, the log is empty.
        return Ok(text(Vec::new()));
    }
    if params.flag("previous")? {
        return previous(kube, &namespace, &name, &opts);
    }
    if let Some(reason) = waiting_reason(&pod, &opts.container) {
        return Err(KubeError::bad_request(format!(
            "container \"{}\" in pod \"{name}\" is waiting to start: {reason}",
            opts.container
        )));
    }
    // The pod and the log read together: the lines belong to the instance the pod shows.
    let (pod, lines) = kube
        .read(|s| {
            let pod = s.pod(&namespace, &name)?.clone();
            let lines = s.log(&namespace, &name, &opts.container)?.to_vec();
            Some((pod, lines))
        })
        .ok_or_else(|| KubeError::not_found("pods", &name))?;
    let mut budget = opts.limit;
    let first = render_tail(&lines, &opts, &mut budget);
    if !opts.follow || budget == Some(0) || terminated(&pod, &opts.container) {
        return Ok(text(first));
    }
    let (tx, response) = streaming(CONTENT_TYPE);
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let instance = restart_count(&pod, &opts.container);
    let seen = lines.len();
    let kube = kube.clone();
    tokio::spawn(async move {
        let mut changes = kube.subscribe();
        if !first.is_empty() && tx.send(Bytes::from(first)).await.is_err() {
            return;
        }
        let mut seen = seen;
        loop {
            changes.borrow_and_update();
            let now = kube.read(|s| {
                let pod = s
                    .pod(&namespace, &name)
                    .filter(|p| p.metadata.uid.as_deref() == Some(uid.as_str()))?;
                let restarts = restart_count(pod, &opts.container);
                if restarts != instance {
                    // The followed instance ended and was replaced: the rest of its lines
                    // are in the previous log (unless it restarted again meanwhile).
                    let rest = match s.previous_log(&namespace, &name, &opts.container) {
                        Some(lines) if restarts == instance + 1 => {
                            lines.get(seen..).unwrap_or_default().to_vec()
                        }
                        _ => Vec::new(),
                    };
                    return Some((rest, true));
                }
                let lines = s.log(&namespace, &name, &opts.container)?;
                Some((
                    lines.get(seen..).unwrap_or_default().to_vec(),
                    terminated(pod, &opts.container),
                ))
            });
            let Some((new, done)) = now else { return };
            seen += new.len();
            let chunk = render(&new, &opts, &mut budget);
            if !chunk.is_empty() && tx.send(Bytes::from(chunk)).await.is_err() {
                return;
            }
            if done || budget == Some(0) {
                return;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                () = tx.closed() => return,
            }
        }
    });
    Ok(response)
}

/// `previous=true`: the log of the instance before the current one, whole (as `kubectl logs
/// --previous` gets it, also with `follow`); 400 when the container never restarted.
fn previous(
    kube: &KubeHandle,
    namespace: &str,
    name: &str,
    opts: &Options,
) -> Result<Response, KubeError> {
    let lines = kube.read(|s| {
        let restarted = s
            .pod(namespace, name)
            .is_some_and(|p| restart_count(p, &opts.container) > 0);
        let lines = s.previous_log(namespace, name, &opts.container);
        lines.filter(|_| restarted).map(<[_]>::to_vec)
    });
    match lines {
        Some(lines) => Ok(text(render_tail(&lines, opts, &mut opts.limit.clone()))),
        None => Err(KubeError::bad_request(format!(
            "previous terminated container \"{}\" in pod \"{name}\" not found",
            opts.container
        ))),
    }
}

/// The lines a request gets at first: the last `tailLines` of them, rendered.
fn render_tail(lines: &[LogLine], opts: &Options, budget: &mut Option<usize>) -> Vec<u8> {
    let start = opts.tail.map_or(0, |tail| lines.len().saturating_sub(tail));
    render(&lines[start..], opts, budget)
}

fn text(body: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(CONTENT_TYPE),
    );
    response
}

fn options(pod: &Pod, name: &str, params: &Params) -> Result<Options, KubeError> {
    let containers: Vec<&str> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(|c| c.name.as_str())
        .collect();
    let container = match params.get("container").filter(|c| !c.is_empty()) {
        Some(c) if containers.contains(&c) => c.to_owned(),
        Some(c) => {
            return Err(KubeError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )))
        }
        None => match containers.as_slice() {
            [only] => (*only).to_owned(),
            many => {
                return Err(KubeError::bad_request(format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    many.join(" ")
                )))
            }
        },
    };
    let positive = |field: &str| -> Result<Option<usize>, KubeError> {
        match params.int(field)? {
            None => Ok(None),
            Some(n) if n < 0 || (n == 0 && field != "tailLines") => Err(KubeError::bad_request(
                format!("{field}: Invalid value: {n}: must be greater than 0"),
            )),
            Some(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        }
    };
    let tail = positive("tailLines")?;
    let limit = positive("limitBytes")?;
    let since_seconds = positive("sinceSeconds")?;
    let since_time = match params.get("sinceTime").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => {
            let parsed = DateTime::parse_from_rfc3339(t).map_err(|e| {
                KubeError::bad_request(format!(
                    "parsing time \"{t}\" as \"2006-01-02T15:04:05Z07:00\": {e}"
                ))
            })?;
            // The API server forwards sinceTime to the kubelet in whole seconds.
            DateTime::from_timestamp(parsed.timestamp(), 0)
        }
    };
    let since = match (since_seconds, since_time) {
        (Some(_), Some(_)) => {
            return Err(KubeError::bad_request(
                "at most one of `sinceTime` or `sinceSeconds` may be specified",
            ))
        }
        (Some(secs), None) => {
            let secs = i64::try_from(secs).unwrap_or(i64::MAX);
            Some(Utc::now() - chrono::Duration::try_seconds(secs).unwrap_or(chrono::Duration::MAX))
        }
        (None, t) => t,
    };
    let stream = params.get("stream").unwrap_or_default();
    if !matches!(stream, "" | "All" | "Stdout" | "Stderr") {
        return Err(KubeError::bad_request(format!(
            "stream: Unsupported value: \"{stream}\": supported values: \"All\", \"Stderr\", \"Stdout\""
        )));
    }
    if !matches!(stream, "" | "All") && tail.is_some() {
        return Err(KubeError::bad_request(
            "`tailLines` and specific `stream` are mutually exclusive for now",
        ));
    }
    Ok(Options {
        container,
        follow: params.flag("follow")?,
        timestamps: params.flag("timestamps")?,
        since,
        tail,
        limit,
        stderr_only: stream == "Stderr",
    })
}

/// Formats lines as the kubelet sends them, spending the `limitBytes` budget.
fn render(lines: &[LogLine], opts: &Options, budget: &mut Option<usize>) -> Vec<u8> {
    let mut out = Vec::new();
    if opts.stderr_only {
        return out;
    }
    for (at, line) in lines {
        if opts.since.is_some_and(|since| *at < since) {
            continue;
        }
        let mut piece = String::new();
        if opts.timestamps {
            piece.push_str(&format!("{} ", at.format("%Y-%m-%dT%H:%M:%S%.9fZ")));
        }
        piece.push_str(line);
        piece.push('\n');
        let bytes = piece.into_bytes();
        match budget {
            Some(left) if *left <= bytes.len() => {
                out.extend_from_slice(&bytes[..*left]);
                *left = 0;
                break;
            }
            Some(left) => {
                *left -= bytes.len();
                out.extend_from_slice(&bytes);
            }
            None => out.extend_from_slice(&bytes),
        }
    }
    out
}

fn container_state(
    pod: &Pod,
    container: &str,
) -> Option<k8s_openapi::api::core::v1::ContainerState> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == container)?
        .state
        .clone()
}

/// Why a container is not running yet, if it is waiting (no status yet: being created).
fn waiting_reason(pod: &Pod, container: &str) -> Option<String> {
    match container_state(pod, container) {
        None => Some("ContainerCreating".to_owned()),
        Some(state) => state
            .waiting
            .map(|w| w.reason.unwrap_or_else(|| "ContainerCreating".to_owned())),
    }
}

fn terminated(pod: &Pod, container: &str) -> bool {
    container_state(pod, container).is_some_and(|s| s.terminated.is_some())
}
