//! Checks 3, 5 and 6: the Kubernetes API server (`/version`), RBAC for what the console does
//! (one `SelfSubjectAccessReview` per verb, one line per namespace), the namespaces, and the
//! InferenceService CRD (discovery of `serving.kserve.io/v1beta1`). The namespaces are every
//! checked project's; one several projects use is asked about once, with all their needs.

use futures::future::join_all;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::PostParams;
use kube::{Api, Client};

use super::config_check::Target;
use super::places::{grouped, places, Need, Place};
use super::runner::timed;
use super::Check;
use crate::backends::cluster::{map_err, Cluster};
use crate::backends::retry;
use crate::config::Config;

/// The KServe group and version the console uses.
const KSERVE_GROUP_VERSION: &str = "serving.kserve.io/v1beta1";

/// The cluster's check lines, in the groups the report prints apart.
#[derive(Debug)]
pub struct ClusterChecks {
    /// The API server.
    pub server: Check,
    /// RBAC, one line per namespace (naming the projects that use it).
    pub rbac: Vec<Check>,
    /// One line per namespace (naming the projects that use it).
    pub namespaces: Vec<Check>,
    pub crd: Check,
}

/// Every cluster check, for the namespaces of every project in `targets`.
pub async fn checks(cfg: &Config, targets: &[Target]) -> ClusterChecks {
    let (id, title) = ("kube.server", "Kubernetes API server");
    let places = places(targets);
    let skip_all = |server: Check, why: &str| ClusterChecks {
        server,
        rbac: places
            .iter()
            .map(|(p, _)| Check::skip(rbac_id(p), rbac_title(p), why).about(p.projects(targets)))
            .collect(),
        namespaces: places
            .iter()
            .map(|(p, _)| namespace_skip(p, why).about(p.projects(targets)))
            .collect(),
        crd: Check::skip("kserve.crd", "InferenceService CRD", why),
    };
    let cluster = match Cluster::connect(&cfg.cluster).await {
        Ok(c) => c,
        Err(e) => {
            let server = Check::from_error(id, title, &e, "check [cluster] server/context");
            return skip_all(server, "no Kubernetes client");
        }
    };
    let client = cluster.client();
    let where_ = match (&cfg.cluster.server, &cfg.cluster.context) {
        (Some(server), _) => server.clone(),
        (None, Some(context)) => format!("context {context}"),
        (None, None) => "the current kubeconfig context".to_owned(),
    };
    let version = timed(id, title, async {
        retry::read(|| async {
            client
                .apiserver_version()
                .await
                .map_err(|e| map_err("GET /version", e))
        })
        .await
    })
    .await;
    let server = match version {
        Ok(Ok(info)) => Check::pass(id, title, format!("{} at {where_}", info.git_version)),
        Ok(Err(e)) => {
            let server = Check::from_error(
                id,
                title,
                &e,
                "check [cluster] server/context and that the API server is reachable",
            );
            return skip_all(server, "the API server is not reachable");
        }
        Err(timeout) => return skip_all(timeout, "the API server is not reachable"),
    };
    let rbac = join_all(
        places
            .iter()
            .map(|(p, needs)| async { rbac(&client, p, needs).await.about(p.projects(targets)) }),
    );
    let namespaces = join_all(
        places
            .iter()
            .map(|(p, _)| async { namespace(&client, p).await.about(p.projects(targets)) }),
    );
    let (rbac, namespaces, crd) = tokio::join!(rbac, namespaces, crd(&client));
    ClusterChecks {
        server,
        rbac,
        namespaces,
        crd,
    }
}

fn rbac_id(place: &Place) -> String {
    format!("rbac.{}", place.namespace)
}

fn rbac_title(place: &Place) -> String {
    format!("RBAC in {}", place.label())
}

/// One line for a namespace: every needed verb asked at once, the denied ones listed.
async fn rbac(client: &Client, place: &Place, needs: &[Need]) -> Check {
    let (id, title) = (rbac_id(place), rbac_title(place));
    let answers = timed(&id, &title, async {
        join_all(
            needs
                .iter()
                .map(|need| allowed(client, &place.namespace, need)),
        )
        .await
    })
    .await;
    let answers = match answers {
        Ok(a) => a,
        Err(timeout) => return timeout,
    };
    let mut denied = Vec::new();
    for (need, answer) in needs.iter().zip(answers) {
        match answer {
            Ok(true) => {}
            Ok(false) => denied.push(need.describe()),
            Err(e) => {
                return Check::from_error(
                    id,
                    title,
                    &e,
                    "the kube context must be allowed to create selfsubjectaccessreviews",
                )
            }
        }
    }
    if denied.is_empty() {
        Check::pass(id, title, format!("allowed: {}", grouped(needs)))
    } else {
        Check::fail(
            id,
            title,
            format!("denied: {}", denied.join(", ")),
            format!(
                "grant them to the kube context's user in {} (a Role and RoleBinding)",
                place.namespace
            ),
        )
    }
}

/// Whether the kube context's user may do `need` in `namespace`.
async fn allowed(
    client: &Client,
    namespace: &str,
    need: &Need,
) -> Result<bool, crate::backends::BackendError> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(namespace.to_owned()),
                group: Some(need.group.to_owned()),
                resource: Some(need.resource.to_owned()),
                subresource: (!need.subresource.is_empty()).then(|| need.subresource.to_owned()),
                verb: Some(need.verb.to_owned()),
                ..Default::default()
            }),
            non_resource_attributes: None,
        },
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let what = format!("can-i {} in {namespace}", need.describe());
    // Asking changes nothing: retried like a read.
    let answer = retry::read(|| async {
        api.create(&PostParams::default(), &review)
            .await
            .map_err(|e| map_err(&what, e))
    })
    .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

fn namespace_skip(place: &Place, why: &str) -> Check {
    Check::skip(
        format!("namespace.{}", place.namespace),
        format!("namespace {}", place.label()),
        why,
    )
}

/// Whether the namespace exists.
async fn namespace(client: &Client, place: &Place) -> Check {
    let id = format!("namespace.{}", place.namespace);
    let title = format!("namespace {}", place.label());
    let api: Api<Namespace> = Api::all(client.clone());
    let what = format!("get namespace {}", place.namespace);
    let found = timed(&id, &title, async {
        retry::read(|| async {
            api.get_opt(&place.namespace)
                .await
                .map_err(|e| map_err(&what, e))
        })
        .await
    })
    .await;
    match found {
        Ok(Ok(Some(_))) => Check::pass(id, title, "exists"),
        Ok(Ok(None)) => Check::fail(
            id,
            title,
            "does not exist",
            format!(
                "create it (kubectl create namespace {}) or fix {} in the config",
                place.namespace,
                place.keys.join(" / ")
            ),
        ),
        Ok(Err(e)) if e.status == Some(403) => Check::warn(
            id,
            title,
            "cannot tell: reading namespaces is forbidden",
            "ask for `get namespaces`, or check the name by other means",
        ),
        Ok(Err(e)) => Check::from_error(id, title, &e, "check [cluster] server/context"),
        Err(timeout) => timeout,
    }
}

/// Whether `serving.kserve.io/v1beta1` serves `inferenceservices`.
async fn crd(client: &Client) -> Check {
    let (id, title) = ("kserve.crd", "InferenceService CRD");
    let fix = "install KServe (its InferenceService CRD, serving.kserve.io/v1beta1) in the cluster";
    let what = format!("discover {KSERVE_GROUP_VERSION}");
    let listed = timed(id, title, async {
        retry::read(|| async {
            client
                .list_api_group_resources(KSERVE_GROUP_VERSION)
                .await
                .map_err(|e| map_err(&what, e))
        })
        .await
    })
    .await;
    match listed {
        Ok(Ok(list)) if list.resources.iter().any(|r| r.name == "inferenceservices") => {
            Check::pass(
                id,
                title,
                format!("{KSERVE_GROUP_VERSION} serves inferenceservices"),
            )
        }
        Ok(Ok(_)) => Check::fail(
            id,
            title,
            format!("{KSERVE_GROUP_VERSION} does not serve inferenceservices"),
            fix,
        ),
        Ok(Err(e)) if e.status == Some(404) => Check::fail(
            id,
            title,
            format!("{KSERVE_GROUP_VERSION} is not served: KServe is not installed"),
            fix,
        ),
        Ok(Err(e)) => Check::from_error(id, title, &e, fix),
        Err(timeout) => timeout,
    }
}
