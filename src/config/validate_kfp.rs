//! The `[kfp]` checks: how the KFP API is reached and with which identity (a child module
//! of `validate.rs`, sharing its `Checker`).

use super::{Check, Checker, KeyPath};
use crate::config::rules::{is_dns1123_label, is_dns1123_subdomain, is_env_name};
use crate::config::KfpConfig;

pub(super) fn kfp(c: &Checker, kfp: &KfpConfig) -> Check {
    if let Some(ui_url) = &kfp.ui_url {
        c.http_url(&KeyPath::dotted("kfp.ui_url"), ui_url)?;
    }
    if let Some(endpoint) = &kfp.endpoint {
        c.http_url(&KeyPath::dotted("kfp.endpoint"), endpoint)?;
    }
    c.namespace(
        &KeyPath::dotted("kfp.proxy_namespace"),
        &kfp.proxy_namespace,
    )?;
    let key = KeyPath::dotted("kfp.proxy_service");
    c.non_empty(&key, &kfp.proxy_service)?;
    if kfp.proxy_service.contains(['/', ' ']) {
        return c.fail(
            &key,
            format!("`{}` is not a service reference", kfp.proxy_service),
            "write `service:port`, e.g. `ml-pipeline:8888`",
        );
    }
    for (name, key, example) in [
        (&kfp.token_env, "kfp.token_env", "KFP_TOKEN"),
        (&kfp.cookie_env, "kfp.cookie_env", "KFP_SESSION_COOKIE"),
    ] {
        if let Some(name) = name {
            if !is_env_name(name) {
                return c.fail(
                    &KeyPath::dotted(key),
                    format!("`{name}` is not an environment variable name"),
                    format!("use a name like {example} (letters, digits, `_`)"),
                );
            }
        }
    }
    if let Some(service) = &kfp.port_forward {
        let key = KeyPath::dotted("kfp.port_forward");
        if !is_dns1123_label(service) {
            return c.fail(
                &key,
                format!("`{service}` is not a Kubernetes Service name"),
                "name the KFP UI service, e.g. `port_forward = \"ml-pipeline-ui\"` (its namespace is proxy_namespace)",
            );
        }
        if kfp.endpoint.is_some() {
            return c.fail(
                &key,
                "`port_forward` and `endpoint` both say where KFP is",
                "keep one: `endpoint` for a URL (ingress, gateway), `port_forward` to reach the UI service through the Kubernetes API",
            );
        }
    }
    if let Some(account) = &kfp.service_account {
        service_account(c, account)?;
    }
    c.namespace(&KeyPath::dotted("kfp.namespace"), &kfp.namespace)
}

/// `namespace/name` of a ServiceAccount: the namespace a DNS-1123 label, the name a DNS-1123
/// subdomain (what the API server accepts for a ServiceAccount's name).
fn service_account(c: &Checker, account: &str) -> Check {
    let key = KeyPath::dotted("kfp.service_account");
    let valid = account
        .split_once('/')
        .is_some_and(|(ns, name)| is_dns1123_label(ns) && is_dns1123_subdomain(name));
    if !valid {
        return c.fail(
            &key,
            format!("`{account}` is not `namespace/name` of a ServiceAccount"),
            "write the profile namespace and the ServiceAccount, e.g. `kubeflow-user-example-com/default-editor` (lowercase letters, digits, `-`)",
        );
    }
    Ok(())
}
