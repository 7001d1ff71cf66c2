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

/// A namespace the console works in, the roles it plays, the config keys naming it and the
/// projects (indices of the targets) using it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    namespace: String,
    roles: Vec<&'static str>,
    keys: Vec<String>,
    users: Vec<usize>,
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

/// The namespaces in the order checked (each project's build, KFP profile, staging,
/// production, project after project), each once with every role, key, project and need.
fn places(targets: &[Target]) -> Vec<(Place, Vec<Need>)> {
    let mut out: Vec<(Place, Vec<Need>)> = Vec::new();
    for (user, target) in targets.iter().enumerate() {
        let cfg = &target.cfg;
        let kfp_key = if target.own_kfp_namespace {
            target.key("kfp.namespace")
        } else {
            "kfp.namespace".to_owned()
        };
        let named: [(&str, &'static str, String, &[Need]); 4] = [
            (
                &cfg.cluster.namespace,
                "build",
                "cluster.namespace".to_owned(),
                BUILD_NEEDS,
            ),
            (&cfg.kfp.namespace, "KFP profile", kfp_key, KFP_NEEDS),
            (
                &cfg.deployment.staging.namespace,
                "staging",
                target.key("deployment.staging.namespace"),
                DEPLOY_NEEDS,
            ),
            (
                &cfg.deployment.production.namespace,
                "production",
                target.key("deployment.production.namespace"),
                DEPLOY_NEEDS,
            ),
        ];
        for (namespace, role, key, needs) in named {
            let Some((place, all)) = out.iter_mut().find(|(p, _)| p.namespace == namespace) else {
                out.push((
                    Place {
                        namespace: namespace.to_owned(),
                        roles: vec![role],
                        keys: vec![key],
                        users: vec![user],
                    },
                    needs.to_vec(),
                ));
                continue;
            };
            add_new(&mut place.roles, [role]);
            add_new(&mut place.keys, [key]);
            add_new(&mut place.users, [user]);
            add_new(all, needs.iter().copied());
        }
    }
    out
}

/// Appends the items `list` does not hold yet, in order.
fn add_new<T: PartialEq>(list: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

impl Place {
    fn label(&self) -> String {
        if self.roles == [self.namespace.as_str()] {
            return self.namespace.clone();
        }
        format!("{} ({})", self.namespace, self.roles.join(", "))
    }

    /// The names of the projects using it (none in the single-repository layout).
    fn projects(&self, targets: &[Target]) -> Vec<String> {
        self.users
            .iter()
            .filter_map(|&i| targets.get(i).and_then(|t| t.name.clone()))
            .collect()
    }
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

    fn single(cfg: Config) -> Vec<Target> {
        vec![Target {
            name: None,
            cfg,
            key_prefix: String::new(),
            own_kfp_namespace: false,
        }]
    }

    #[test]
    fn a_namespace_playing_two_roles_is_checked_once_with_both_needs() {
        let mut cfg = Config::for_repository("a", "b");
        cfg.kfp.namespace = cfg.cluster.namespace.clone();
        let targets = single(cfg);
        let places = places(&targets);
        assert_eq!(places.len(), 3);
        let (build, needs) = &places[0];
        assert_eq!(build.roles, ["build", "KFP profile"]);
        assert_eq!(build.keys, ["cluster.namespace", "kfp.namespace"]);
        assert!(build.projects(&targets).is_empty(), "no [[projects]]");
        assert_eq!(needs.len(), BUILD_NEEDS.len(), "pods/log get asked once");
        assert_eq!(places[1].0.label(), "staging");
        assert_eq!(
            grouped(needs),
            "pods: create, get, list, watch, delete; pods/log: get"
        );
    }

    #[test]
    fn namespaces_two_projects_share_are_asked_once_naming_both() {
        let cfg = crate::config::parse(
            "[[projects]]\nrepository = { owner = 'acme', name = 'a' }\n\
             [[projects]]\nrepository = { owner = 'acme', name = 'b' }\n\
             kfp = { namespace = 'team-b' }\n\
             deployment = { staging = { namespace = 'b-staging' }, inference_service_name = 'b' }\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let targets = crate::doctor::config_check::targets(&cfg, None).unwrap();
        let places = places(&targets);
        let seen: Vec<(String, Vec<String>)> = places
            .iter()
            .map(|(p, _)| (p.label(), p.projects(&targets)))
            .collect();
        let both = vec!["acme/a".to_owned(), "acme/b".to_owned()];
        assert_eq!(
            seen,
            [
                ("kfops (build)".to_owned(), both.clone()),
                (
                    "kubeflow (KFP profile)".to_owned(),
                    vec!["acme/a".to_owned()]
                ),
                ("staging".to_owned(), vec!["acme/a".to_owned()]),
                ("production".to_owned(), both),
                ("team-b (KFP profile)".to_owned(), vec!["acme/b".to_owned()]),
                ("b-staging (staging)".to_owned(), vec!["acme/b".to_owned()]),
            ]
        );
        // A fix names the key of the project that set it.
        assert_eq!(places[4].0.keys, ["projects[1].kfp.namespace"]);
        assert_eq!(
            places[3].0.keys,
            [
                "projects[0].deployment.production.namespace",
                "projects[1].deployment.production.namespace"
            ]
        );
    }
}
