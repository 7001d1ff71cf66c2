//! Kubernetes through kube-rs: the build pods of the workflow namespace, their watch and their
//! logs (a restarted container's previous instance too). Every error becomes a [`BackendError`] with a hint.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{AsyncBufReadExt, Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, LogParams, PostParams};
use kube::runtime::watcher;
use kube::{Api, Client};

use super::error::{hint_for_status, BackendError, Service, Throttle};
use super::retry;
use crate::config::ClusterConfig;

/// A Kubernetes client bound to the workflow namespace.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    namespace: String,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// One change seen by a pod watch.
#[derive(Debug, Clone)]
pub enum PodEvent {
    /// The pod exists with this state (added or modified, or listed on a (re)start).
    Applied(Box<Pod>),
    Deleted(Box<Pod>),
    /// The watch (re)listed everything: what follows until `Synced` is the full set.
    Resync,
    Synced,
}

/// A log line with the container runtime's timestamp (when the server sent one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time: Option<DateTime<Utc>>,
    pub text: String,
}

impl LogLine {
    /// Splits `2026-11-25T10:00:00.123456789Z text` (kubelet's `timestamps=true` format).
    pub fn parse(raw: &str) -> LogLine {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((ts, rest)) = raw.split_once(' ') {
            if let Ok(time) = DateTime::parse_from_rfc3339(ts) {
                return LogLine {
                    time: Some(time.with_timezone(&Utc)),
                    text: rest.to_string(),
                };
            }
        }
        LogLine {
            time: None,
            text: raw.to_string(),
        }
    }
}

impl Cluster {
    /// Connects with `[cluster] server` (a URL, no credentials: the simulator), else the
    /// kubeconfig (with `[cluster] context` when set), else the in-cluster service account
    /// (`backends::kubeconfig`).
    pub async fn connect(cfg: &ClusterConfig) -> Result<Cluster, BackendError> {
        let mut config = super::kubeconfig::client_config(cfg).await?;
        // Our policy (backends::retry) retries reads only; kube's default layer retries
        // 429/503/504 of every method (creates too) up to 15 times.
        config.default_retry = false;
        let client = Client::try_from(config)
            .map_err(|e| BackendError::new(Service::Kubernetes, "create client", e.to_string()))?;
        Ok(Cluster {
            client,
            namespace: cfg.namespace.clone(),
        })
    }

    /// A cluster handle from an existing client (tests).
    pub fn from_client(client: Client, namespace: impl Into<String>) -> Cluster {
        Cluster {
            client,
            namespace: namespace.into(),
        }
    }

    /// The same client bound to another namespace (empty: unchanged).
    pub fn in_namespace(&self, namespace: &str) -> Cluster {
        if namespace.is_empty() {
            return self.clone();
        }
        Cluster {
            client: self.client.clone(),
            namespace: namespace.to_string(),
        }
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// The workflow namespace (where build pods run).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    pub async fn create_pod(&self, pod: &Pod) -> Result<Pod, BackendError> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        retry::write(|| async {
            self.pods()
                .create(&PostParams::default(), pod)
                .await
                .map_err(|e| map_err(&format!("create pod {name}"), e))
        })
        .await
    }

    /// The keys of a Secret of the workflow namespace (`None`: there is no such Secret). The
    /// values are dropped here: nothing above this call ever holds them.
    pub async fn secret_keys(&self, name: &str) -> Result<Option<Vec<String>>, BackendError> {
        let what = format!("get secret {name}");
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        let secret =
            retry::read(|| async { api.get_opt(name).await.map_err(|e| map_err(&what, e)) })
                .await?;
        Ok(secret.map(|s| {
            let mut keys: Vec<String> = s.data.unwrap_or_default().into_keys().collect();
            keys.extend(s.string_data.unwrap_or_default().into_keys());
            keys
        }))
    }

    pub async fn get_pod(&self, name: &str) -> Result<Pod, BackendError> {
        let what = format!("get pod {name}");
        let pod =
            retry::read(|| async { self.pods().get(name).await.map_err(|e| map_err(&what, e)) })
                .await?;
        require_name(&what, "Pod", &pod.metadata)?;
        Ok(pod)
    }

    /// Pods of the workflow namespace matching a label selector.
    pub async fn list_pods(&self, selector: &str) -> Result<Vec<Pod>, BackendError> {
        let list = retry::read(|| async {
            self.pods()
                .list(&ListParams::default().labels(selector))
                .await
                .map_err(|e| map_err(&format!("list pods {selector}"), e))
        })
        .await?;
        Ok(list.items)
    }

    /// Watches pods matching a selector: relists after `410 Gone` and retries with backoff
    /// (kube-runtime's watcher); errors are reported and the watch goes on.
    pub fn watch_pods(
        &self,
        selector: &str,
    ) -> impl Stream<Item = Result<PodEvent, BackendError>> + Send + 'static {
        let config = watcher::Config::default().labels(selector);
        let what = format!("watch pods {selector}");
        relisting_watcher(self.pods(), config).map(move |ev| match ev {
            Ok(watcher::Event::Apply(p)) | Ok(watcher::Event::InitApply(p)) => {
                Ok(PodEvent::Applied(Box::new(p)))
            }
            Ok(watcher::Event::Delete(p)) => Ok(PodEvent::Deleted(Box::new(p))),
            Ok(watcher::Event::Init) => Ok(PodEvent::Resync),
            Ok(watcher::Event::InitDone) => Ok(PodEvent::Synced),
            Err(e) => Err(BackendError::new(Service::Kubernetes, &what, e.to_string())),
        })
    }

    /// The log of a pod's container as lines, with timestamps; `follow` keeps the stream open
    /// until the container ends; `since` resumes after a dropped connection.
    pub async fn log_lines(
        &self,
        pod: &str,
        container: Option<&str>,
        follow: bool,
        since: Option<DateTime<Utc>>,
    ) -> Result<impl Stream<Item = Result<LogLine, BackendError>> + Send + 'static, BackendError>
    {
        let params = LogParams {
            container: container.map(str::to_string),
            follow,
            timestamps: true,
            since_time: since.and_then(to_jiff),
            ..LogParams::default()
        };
        self.log_stream(pod, &params, format!("logs of pod {pod}"))
            .await
    }

    /// The log of the previous instance of a restarted container (`previous=true`), whole or
    /// `since` a time; a 400 error when the container never restarted.
    pub async fn previous_log_lines(
        &self,
        pod: &str,
        container: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<impl Stream<Item = Result<LogLine, BackendError>> + Send + 'static, BackendError>
    {
        let params = LogParams {
            container: container.map(str::to_string),
            previous: true,
            timestamps: true,
            since_time: since.and_then(to_jiff),
            ..LogParams::default()
        };
        self.log_stream(pod, &params, format!("previous logs of pod {pod}"))
            .await
    }

    async fn log_stream(
        &self,
        pod: &str,
        params: &LogParams,
        what: String,
    ) -> Result<impl Stream<Item = Result<LogLine, BackendError>> + Send + 'static, BackendError>
    {
        let reader = retry::read(|| async {
            self.pods()
                .log_stream(pod, params)
                .await
                .map_err(|e| map_err(&what, e))
        })
        .await?;
        Ok(lossy_lines(reader)
            .map_ok(|l| LogLine::parse(&l))
            .map_err(move |e| {
                BackendError::new(Service::Kubernetes, &what, e.to_string())
                    .with_hint("the log stream broke; it is resumed from the last line")
            }))
    }

    /// How long to wait for the API server on a single call.
    pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
}

/// The lines of a log stream, without their `\n`. A container may print any bytes: those that
/// are not UTF-8 become U+FFFD instead of breaking the stream (`lines()` would fail on them,
/// and every resume would fail again on the same line). The stream ends after an error.
fn lossy_lines<R>(reader: R) -> impl Stream<Item = std::io::Result<String>> + Send + 'static
where
    R: futures::AsyncBufRead + Send + 'static,
{
    let state = Some((Box::pin(reader), Vec::new()));
    futures::stream::unfold(state, |state| async move {
        let (mut reader, mut buf) = state?;
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => None,
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                let line = String::from_utf8_lossy(&buf).into_owned();
                Some((Ok(line), Some((reader, buf))))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// kube-runtime's watcher (with its default backoff) that starts over from a fresh list when
/// the server refuses a watch's `resourceVersion` with 410 Gone: kube relists by itself after
/// a 410 `ERROR` event, but re-sends a refused watch request with the same expired version.
pub fn relisting_watcher<K>(
    api: Api<K>,
    config: watcher::Config,
) -> impl Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    use futures::stream::BoxStream;
    use kube::runtime::WatchStreamExt;
    let start = move || -> BoxStream<'static, _> {
        watcher(api.clone(), config.clone())
            .default_backoff()
            .boxed()
    };
    let first = start();
    futures::stream::unfold((first, start), |(mut stream, start)| async move {
        let item = stream.next().await?;
        if matches!(&item, Err(watcher::Error::WatchStartFailed(kube::Error::Api(s))) if s.code == 410)
        {
            tracing::debug!("watch refused with 410 Gone; relisting");
            stream = start();
        }
        Some((item, (stream, start)))
    })
}

/// chrono → jiff. The program keeps its times in chrono; k8s-openapi 0.29 (`meta::v1::Time`)
/// and kube 5 (`LogParams::since_time`) hold theirs as jiff timestamps, so they are converted
/// here, at that boundary only, through k8s-openapi's re-export (no jiff dependency of ours).
pub fn to_jiff(t: DateTime<Utc>) -> Option<Timestamp> {
    Timestamp::from_nanosecond(i128::from(t.timestamp_nanos_opt()?)).ok()
}

/// jiff → chrono (see [`to_jiff`]).
pub fn from_jiff(t: Timestamp) -> Option<DateTime<Utc>> {
    let nanos = i64::try_from(t.as_nanosecond()).ok()?;
    Some(DateTime::from_timestamp_nanos(nanos))
}

/// An object the API server returned always has a name: one without it (a proxy's `{}`,
/// another API's JSON) is not the Kubernetes API's answer.
pub fn require_name(
    what: &str,
    kind: &str,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Result<(), BackendError> {
    if meta.name.as_deref().is_some_and(|n| !n.is_empty()) {
        return Ok(());
    }
    Err(BackendError::new(
        Service::Kubernetes,
        what,
        format!("the answer is not a {kind} (it has no metadata.name)"),
    )
    .with_hint("check [cluster] server/context: it must be a Kubernetes API server"))
}

/// Turns a kube error into an operator-facing one.
pub fn map_err(what: &str, err: kube::Error) -> BackendError {
    match err {
        kube::Error::Api(status) => {
            let code = status.code;
            // kube keeps no headers; the API server repeats Retry-After in the Status.
            let retry_after = status
                .details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(u64::from(s)));
            let mut e = BackendError::new(
                Service::Kubernetes,
                what,
                format!("{code} {}", status.message),
            )
            .with_status(code)
            .with_throttle(Throttle {
                retry_after,
                reset_at: None,
            });
            e.hint = hint_for_status(Service::Kubernetes, code);
            e
        }
        other @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
            BackendError::new(Service::Kubernetes, what, other.to_string())
                .with_hint("check [cluster] server/context and that the API server is reachable")
                .transport()
        }
        other => BackendError::new(Service::Kubernetes, what, other.to_string())
            .with_hint("check [cluster] server/context and that the API server is reachable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubelet_timestamps() {
        let l = LogLine::parse("2026-11-25T10:00:00.123456789Z INFO[0000] hello world");
        assert_eq!(l.text, "INFO[0000] hello world");
        assert_eq!(
            l.time.map(|t| t.timestamp_subsec_nanos()),
            Some(123_456_789)
        );
        let l = LogLine::parse("no timestamp here");
        assert_eq!(l.time, None);
        assert_eq!(l.text, "no timestamp here");
    }

    #[test]
    fn jiff_round_trip() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T10:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(from_jiff(to_jiff(t).unwrap()), Some(t));
    }
}
