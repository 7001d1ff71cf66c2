//! What the console needs where: the namespaces of the checked projects (each once, with
//! every role it plays, the config keys naming it and the projects using it) and the
//! permissions it needs there, for `cluster.rs` to ask about.

use super::config_check::Target;

/// A namespace the console works in, the roles it plays, the config keys naming it and the
/// projects (indices of the targets) using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Place {
    pub namespace: String,
    pub roles: Vec<&'static str>,
    pub keys: Vec<String>,
    pub users: Vec<usize>,
}

/// One permission the console needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Need {
    pub group: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
    pub verb: &'static str,
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
    // The targets pane reads which run each predictor revision serves.
    KNATIVE_REVISION,
];

/// What the build namespace needs: the pods, and `get secrets` when a git Secret is named
/// (read by `engine::kaniko_context::check_secret` before a build).
fn build_needs(cfg: &crate::config::Config) -> Vec<Need> {
    let ib = &cfg.image_builder;
    let mut needs = BUILD_NEEDS.to_vec();
    needs.extend(
        (ib.git_secret.is_some() && !ib.images.is_empty()).then_some(Need {
            group: "",
            resource: "secrets",
            subresource: "",
            verb: "get",
        }),
    );
    needs
}

/// The canary's sample request through the API server's service proxy (a POST: `create`).
const SAMPLE_PROXY: Need = Need {
    group: "",
    resource: "services",
    subresource: "proxy",
    verb: "create",
};

/// What a deploy target needs: the InferenceService, and the service proxy when the sample
/// test goes through it (a sample input configured, no `deployment.ingress_url`).
fn deploy_needs(cfg: &crate::config::Config) -> Vec<Need> {
    let mut needs = DEPLOY_NEEDS.to_vec();
    if !cfg.deployment.sample_input_path.is_empty() && cfg.deployment.ingress_url.is_none() {
        needs.push(SAMPLE_PROXY);
    }
    needs
}

const KNATIVE_REVISION: Need = Need {
    group: "serving.knative.dev",
    resource: "revisions",
    subresource: "",
    verb: "get",
};

impl Need {
    pub fn describe(&self) -> String {
        if self.subresource.is_empty() {
            format!("{} {}", self.verb, self.resource)
        } else {
            format!("{} {}/{}", self.verb, self.resource, self.subresource)
        }
    }
}

/// The namespaces in the order checked (each project's build, KFP profile, staging,
/// production, project after project), each once with every role, key, project and need.
pub(super) fn places(targets: &[Target]) -> Vec<(Place, Vec<Need>)> {
    let mut out: Vec<(Place, Vec<Need>)> = Vec::new();
    for (user, target) in targets.iter().enumerate() {
        let cfg = &target.cfg;
        let kfp_key = kfp_key(target);
        let deploy = deploy_needs(cfg);
        let build = build_needs(cfg);
        let named: [(&str, &'static str, String, &[Need]); 4] = [
            (
                &cfg.cluster.namespace,
                "build",
                "cluster.namespace".to_owned(),
                &build,
            ),
            (&cfg.kfp.namespace, "KFP profile", kfp_key, KFP_NEEDS),
            (
                &cfg.deployment.staging.namespace,
                "staging",
                target.key("deployment.staging.namespace"),
                &deploy,
            ),
            (
                &cfg.deployment.production.namespace,
                "production",
                target.key("deployment.production.namespace"),
                &deploy,
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

/// Where a project's Kubeflow profile namespace is set: its own `projects[i].kfp.namespace`,
/// or the shared `kfp.namespace`.
fn kfp_key(target: &Target) -> String {
    if target.own_kfp_namespace {
        target.key("kfp.namespace")
    } else {
        "kfp.namespace".to_owned()
    }
}

/// The Kubeflow profile namespaces of the checked projects, each once (in project order),
/// with the keys naming it and the projects whose runs live there: what `kfp.rs` proves
/// access to.
pub(super) fn kfp_profiles(targets: &[Target]) -> Vec<Place> {
    let mut out: Vec<Place> = Vec::new();
    for (user, target) in targets.iter().enumerate() {
        let namespace = &target.cfg.kfp.namespace;
        let key = kfp_key(target);
        match out.iter_mut().find(|p| &p.namespace == namespace) {
            Some(place) => {
                add_new(&mut place.keys, [key]);
                add_new(&mut place.users, [user]);
            }
            None => out.push(Place {
                namespace: namespace.clone(),
                roles: vec!["KFP profile"],
                keys: vec![key],
                users: vec![user],
            }),
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
    pub fn label(&self) -> String {
        if self.roles == [self.namespace.as_str()] {
            return self.namespace.clone();
        }
        format!("{} ({})", self.namespace, self.roles.join(", "))
    }

    /// The names of the projects using it (none in the single-repository layout).
    pub fn projects(&self, targets: &[Target]) -> Vec<String> {
        self.users
            .iter()
            .filter_map(|&i| targets.get(i).and_then(|t| t.name.clone()))
            .collect()
    }
}

/// `pods: create, get; pods/log: get`: the verbs by resource, in the order asked.
pub(super) fn grouped(needs: &[Need]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

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
        let profiles: Vec<(String, Vec<String>, Vec<String>)> = kfp_profiles(&targets)
            .iter()
            .map(|p| (p.namespace.clone(), p.keys.clone(), p.projects(&targets)))
            .collect();
        assert_eq!(
            profiles,
            [
                (
                    "kubeflow".to_owned(),
                    vec!["kfp.namespace".to_owned()],
                    vec!["acme/a".to_owned()]
                ),
                (
                    "team-b".to_owned(),
                    vec!["projects[1].kfp.namespace".to_owned()],
                    vec!["acme/b".to_owned()]
                ),
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
