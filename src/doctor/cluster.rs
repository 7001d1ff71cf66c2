//! Checks 3, 5 and 6: the Kubernetes API server (`/version`), RBAC for what the console does
//! (one `SelfSubjectAccessReview` per verb, one line per namespace), the namespaces, and the
//! InferenceService CRD (discovery of `serving.kserve.io/v1beta1`).

use futures::future::join_all;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::PostParams;
use kube::{Api, Client};

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
    /// The API server, then RBAC (one line per namespace).
    pub access: Vec<Check>,
    /// One line per namespace.
    pub namespaces: Vec<Check>,
    pub crd: Check,
}

/// A namespace the console works in, the roles it plays and the config key naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    namespace: String,
    roles: Vec<&'static str>,
    keys: Vec<&'static str>,
}

/// One permission the console needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Need {
    group: &'static str,
    resource: &'static str,
    subresource: &'static str,
    verb: &'static str,
}

const fn pods(verb: &'static str) -> Need {
    Need {
        group: "",
        resource: "pods",
        subresource: "",
        verb,
    }
}

const POD_LOG: Need = Need {
    group: "",
    resource: "pods",
    subresource: "log",
    verb: "get",
};

const fn isvc(verb: &'static str) -> Need {
    Need {
        group: "serving.kserve.io",
        resource: "inferenceservices",
        subresource: "",
        verb,
    }
}

const BUILD_NEEDS: &[Need] = &[
    pods("create"),
    pods("get"),
    pods("list"),
    pods("watch"),
    pods("delete"),
    POD_LOG,
];
const KFP_NEEDS: &[Need] = &[POD_LOG];
const DEPLOY_NEEDS: &[Need] = &[
    isvc("get"),
    isvc("list"),
    isvc("watch"),
    isvc("create"),
    isvc("patch"),
    isvc("update"),
];

impl Need {
    fn describe(&self) -> String {
        if self.subresource.is_empty() {
            format!("{} {}", self.verb, self.resource)
        } else {
            format!("{} {}/{}", self.verb, self.resource, self.subresource)
        }
    }
}

/// The namespaces in the order checked (build, KFP profile, staging, production), each once.
fn places(cfg: &Config) -> Vec<(Place, Vec<Need>)> {
    let named: [(&str, &'static str, &'static str, &[Need]); 4] = [
        (
            &cfg.cluster.namespace,
            "build",
            "cluster.namespace",
            BUILD_NEEDS,
        ),
        (
            &cfg.kfp.namespace,
            "KFP profile",
            "kfp.namespace",
            KFP_NEEDS,
        ),
        (
            &cfg.deployment.staging.namespace,
            "staging",
            "deployment.staging.namespace",
            DEPLOY_NEEDS,
        ),
        (
            &cfg.deployment.production.namespace,
            "production",
            "deployment.production.namespace",
            DEPLOY_NEEDS,
        ),
    ];
    let mut out: Vec<(Place, Vec<Need>)> = Vec::new();
    for (namespace, role, key, needs) in named {
        match out.iter_mut().find(|(p, _)| p.namespace == namespace) {
            Some((place, all)) => {
                place.roles.push(role);
                place.keys.push(key);
                for need in needs {
                    if !all.contains(need) {
                        all.push(*need);
                    }
                }
            }
            None => out.push((
                Place {
                    namespace: namespace.to_owned(),
                    roles: vec![role],
                    keys: vec![key],
                },
                needs.to_vec(),
            )),
        }
    }
    out
}

impl Place {
    fn label(&self) -> String {
        if self.roles == [self.namespace.as_str()] {
            return self.namespace.clone();
        }
        format!("{} ({})", self.namespace, self.roles.join(", "))
    }
}

/// Every cluster check.
pub async fn checks(cfg: &Config) -> ClusterChecks {
    let (id, title) = ("kube.server", "Kubernetes API server");
    let places = places(cfg);
    let skip_all = |server: Check, why: &str| ClusterChecks {
        namespaces: places.iter().map(|(p, _)| namespace_skip(p, why)).collect(),
        access: std::iter::once(server)
            .chain(
                places
                    .iter()
                    .map(|(p, _)| Check::skip(rbac_id(p), rbac_title(p), why)),
            )
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
    let rbac = join_all(places.iter().map(|(p, needs)| rbac(&client, p, needs)));
    let namespaces = join_all(places.iter().map(|(p, _)| namespace(&client, p)));
    let (rbac, namespaces, crd) = tokio::join!(rbac, namespaces, crd(&client));
    ClusterChecks {
        access: std::iter::once(server).chain(rbac).collect(),
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

/// `pods: create, get; pods/log: get`: the verbs by resource, in the order asked.
fn grouped(needs: &[Need]) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for need in needs {
        let resource = if need.subresource.is_empty() {
            need.resource.to_owned()
        } else {
            format!("{}/{}", need.resource, need.subresource)
        };
        match groups.iter_mut().find(|(r, _)| *r == resource) {
            Some((_, verbs)) => verbs.push(need.verb),
            None => groups.push((resource, vec![need.verb])),
        }
    }
    groups
        .iter()
        .map(|(r, verbs)| format!("{r}: {}", verbs.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_playing_two_roles_is_checked_once_with_both_needs() {
        let mut cfg = Config::for_repository("a", "b");
        cfg.kfp.namespace = cfg.cluster.namespace.clone();
        let places = places(&cfg);
        assert_eq!(places.len(), 3);
        let (build, needs) = &places[0];
        assert_eq!(build.roles, ["build", "KFP profile"]);
        assert_eq!(needs.len(), BUILD_NEEDS.len(), "pods/log get asked once");
        assert_eq!(places[1].0.label(), "staging");
        assert_eq!(
            grouped(needs),
            "pods: create, get, list, watch, delete; pods/log: get"
        );
    }
}
