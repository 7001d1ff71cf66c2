//! The cluster manifests in `deploy/` (kustomize base and the example overlay): they render
//! offline with kubectl, the core objects validate against Kubernetes' OpenAPI description in
//! shared/specs, the Roles grant exactly the verbs `kfops check` verifies (read from the
//! doctor's table in src/doctor/places.rs, so a new need fails here until deploy/ follows), the
//! Deployment runs non-root, read-only, without capabilities, and no Secret carries a value.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use crate::support::schema::{Dialect, Document};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Kubernetes v1.36's core/v1 description (the only group shared/specs holds).
const CORE_V1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/specs/kubernetes/v1.36/api__v1_openapi.json"
);

/// Kinds outside core/v1: shared/specs has no description of their groups, so they are
/// checked field by field below instead of against a schema.
const NOT_CORE: &[&str] = &["Deployment", "Role", "RoleBinding", "Ingress"];

/// `kubectl kustomize <dir>`, each rendered object as JSON.
fn render(dir: &str) -> Vec<Value> {
    let path = Path::new(ROOT).join(dir);
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("kubectl is needed to render deploy/ (CI installs it); running it failed: {e}")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "kubectl kustomize {dir} failed: {stderr}"
    );
    let text = String::from_utf8(out.stdout).expect("kubectl writes UTF-8");
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("kubectl kustomize writes YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

fn kind(obj: &Value) -> &str {
    obj["kind"].as_str().unwrap_or("")
}

fn name(obj: &Value) -> String {
    format!(
        "{}/{}",
        kind(obj),
        obj["metadata"]["name"].as_str().unwrap_or("?")
    )
}

#[test]
fn base_and_overlay_render_and_core_objects_match_the_kubernetes_schema() {
    let core = Document::load(CORE_V1, Dialect::OpenApi3);
    for dir in ["deploy/base", "deploy/overlays/example"] {
        let objects = render(dir);
        let kinds: BTreeSet<&str> = objects.iter().map(kind).collect();
        for want in [
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Deployment",
            "Service",
        ] {
            assert!(kinds.contains(want), "{dir} renders no {want}: {kinds:?}");
        }
        for obj in &objects {
            if NOT_CORE.contains(&kind(obj)) {
                continue;
            }
            assert_eq!(
                obj["apiVersion"],
                "v1",
                "{dir}: {} is not core/v1",
                name(obj)
            );
            let schema = core.schema(&format!("io.k8s.api.core.v1.{}", kind(obj)));
            let errors = core.validate(schema, obj);
            assert!(errors.is_empty(), "{dir}: {}: {errors:?}", name(obj));
        }
    }
    let overlay = render("deploy/overlays/example");
    assert!(
        overlay.iter().any(|o| kind(o) == "Ingress"),
        "the example overlay adds the optional Ingress"
    );
}

/// A (group, resource[/subresource], verb) triple.
type Grant = (String, String, String);

/// The string literal after `key: "` on a line of a `Need { .. }` literal.
fn field(line: &str, key: &str) -> Option<String> {
    let rest = line.trim().strip_prefix(key)?.strip_prefix(": \"")?;
    Some(rest.split('"').next()?.to_owned())
}

/// Every permission the doctor's table in src/doctor/places.rs names: the `pods("..")` and
/// `isvc("..")` helpers and the `Need { .. }` literals.
fn doctor_needs() -> BTreeSet<Grant> {
    let path = Path::new(ROOT).join("src/doctor/places.rs");
    let src = std::fs::read_to_string(&path).expect("src/doctor/places.rs is readable");
    let mut helpers = BTreeSet::new();
    let mut needs = BTreeSet::new();
    let mut literal: Option<[String; 4]> = None;
    for line in src.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("const fn ") {
            helpers.insert(rest.split('(').next().unwrap_or("").to_owned());
        }
        for (helper, group, resource) in [
            ("pods(\"", "", "pods"),
            ("isvc(\"", "serving.kserve.io", "inferenceservices"),
        ] {
            if let Some(rest) = t.strip_prefix(helper) {
                let verb = rest.split('"').next().unwrap_or("").to_owned();
                needs.insert((group.to_owned(), resource.to_owned(), verb));
            }
        }
        if t.ends_with("Need {") {
            literal = Some(Default::default());
        }
        if let Some(parts) = literal.as_mut() {
            for (i, key) in ["group", "resource", "subresource", "verb"]
                .iter()
                .enumerate()
            {
                if let Some(v) = field(t, key) {
                    parts[i] = v;
                }
            }
            if t.starts_with('}') {
                let [group, resource, sub, verb] = std::mem::take(parts);
                literal = None;
                if verb.is_empty() {
                    continue; // a helper's body: its verb is a parameter
                }
                let resource = if sub.is_empty() {
                    resource
                } else {
                    format!("{resource}/{sub}")
                };
                needs.insert((group, resource, verb));
            }
        }
    }
    let known: BTreeSet<String> = ["pods", "isvc"].map(str::to_owned).into();
    assert_eq!(
        helpers, known,
        "src/doctor/places.rs has a new Need helper: teach this test (and deploy/) about it"
    );
    needs
}

/// Every (group, resource, verb) the rendered Roles grant, and the namespaces they live in.
fn granted(objects: &[Value]) -> (BTreeSet<Grant>, BTreeSet<String>) {
    let mut grants = BTreeSet::new();
    let mut namespaces = BTreeSet::new();
    for role in objects.iter().filter(|o| kind(o) == "Role") {
        namespaces.insert(
            role["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
        for rule in role["rules"].as_array().into_iter().flatten() {
            let list = |key: &str| -> Vec<String> {
                let items = rule[key].as_array().into_iter().flatten();
                items
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            };
            assert!(list("resourceNames").is_empty() && rule.get("nonResourceURLs").is_none());
            for group in list("apiGroups") {
                for resource in list("resources") {
                    for verb in list("verbs") {
                        assert!(
                            !["*"].contains(&verb.as_str()),
                            "{}: wildcard verb",
                            name(role)
                        );
                        grants.insert((group.clone(), resource.clone(), verb));
                    }
                }
            }
        }
    }
    (grants, namespaces)
}

#[test]
fn roles_grant_exactly_what_kfops_check_verifies_per_namespace_and_nothing_cluster_wide() {
    let objects = render("deploy/base");
    for obj in &objects {
        assert!(
            !["ClusterRole", "ClusterRoleBinding"].contains(&kind(obj)),
            "least privilege is per namespace: {}",
            name(obj)
        );
    }
    let (grants, namespaces) = granted(&objects);
    assert_eq!(
        grants,
        doctor_needs(),
        "deploy/base/rbac.yaml vs src/doctor/places.rs"
    );
    let want: BTreeSet<String> = ["kfops", "kubeflow", "staging", "production"]
        .map(str::to_owned)
        .into();
    assert_eq!(
        namespaces, want,
        "one Role in each namespace of the example config"
    );
    for binding in objects.iter().filter(|o| kind(o) == "RoleBinding") {
        assert_eq!(binding["roleRef"]["kind"], "Role", "{}", name(binding));
        assert_eq!(binding["subjects"][0]["name"], "kfops", "{}", name(binding));
        assert_eq!(
            binding["subjects"][0]["namespace"],
            "kfops",
            "{}",
            name(binding)
        );
    }
}

#[test]
fn the_deployment_runs_non_root_read_only_without_capabilities_and_probes_the_service() {
    for dir in ["deploy/base", "deploy/overlays/example"] {
        let objects = render(dir);
        let dep = objects
            .iter()
            .find(|o| kind(o) == "Deployment")
            .expect("a Deployment");
        let spec = &dep["spec"]["template"]["spec"];
        assert!(
            dep["spec"]["replicas"].as_u64().unwrap_or(0) >= 2,
            "{dir}: replicas"
        );
        assert_eq!(spec["securityContext"]["runAsNonRoot"], true, "{dir}");
        assert_eq!(
            spec["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        assert!(
            spec["securityContext"]["runAsUser"].as_u64().unwrap_or(0) > 0,
            "{dir}"
        );
        assert!(
            spec["terminationGracePeriodSeconds"].as_u64().unwrap_or(0) > 30,
            "{dir}"
        );
        assert_eq!(spec["serviceAccountName"], "kfops");
        for c in spec["containers"].as_array().expect("containers") {
            let sc = &c["securityContext"];
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{dir}");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{dir}");
            assert_eq!(
                sc["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{dir}"
            );
            assert!(sc["capabilities"].get("add").is_none(), "{dir}");
            assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
            assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
            assert_eq!(c["ports"][0]["containerPort"], 8080);
            assert!(c["resources"]["requests"].is_object() && c["resources"]["limits"].is_object());
            let image = c["image"].as_str().unwrap_or("");
            assert!(
                !image.ends_with(":latest") && image.contains(':'),
                "{dir}: {image}"
            );
        }
    }
}

#[test]
fn secrets_are_templates_with_placeholders_only() {
    let objects = render("deploy/overlays/example");
    let secrets: Vec<&Value> = objects.iter().filter(|o| kind(o) == "Secret").collect();
    assert_eq!(
        secrets.len(),
        2,
        "the GitHub credential and the webhook secret"
    );
    for secret in secrets {
        assert!(
            secret.get("data").is_none(),
            "{}: base64 data hides values",
            name(secret)
        );
        let values = secret["stringData"].as_object().expect("stringData");
        for (key, value) in values {
            assert_eq!(
                value,
                "REPLACE_ME",
                "{}: {key} must be a placeholder",
                name(secret)
            );
        }
    }
}

#[test]
fn the_configmap_holds_a_valid_config_naming_the_namespaces_the_roles_grant() {
    let objects = render("deploy/base");
    let cm = objects
        .iter()
        .find(|o| kind(o) == "ConfigMap" && o["metadata"]["name"] == "kfops-config")
        .expect("the kfops-config ConfigMap");
    let text = cm["data"]["config.toml"]
        .as_str()
        .expect("data.config.toml");
    let mounted = Path::new("/etc/kfops/config.toml");
    let cfg = kfops_console::config::parse(text, mounted)
        .unwrap_or_else(|e| panic!("the ConfigMap's config.toml is not a valid config: {e}"));
    let from_config: BTreeSet<String> = [
        &cfg.cluster.namespace,
        &cfg.kfp.namespace,
        &cfg.deployment.staging.namespace,
        &cfg.deployment.production.namespace,
    ]
    .into_iter()
    .cloned()
    .collect();
    let (_, role_namespaces) = granted(&objects);
    assert_eq!(
        role_namespaces, from_config,
        "a Role in each namespace the config names"
    );
}
