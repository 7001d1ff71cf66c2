//! Check 1: the config file is found and parses, and a file holding the token is private;
//! and which projects the other checks look at.

use std::path::Path;

use super::Check;
use crate::config::{self, Config, ProjectChoice};

const ID: &str = "config";
const TITLE: &str = "config file";

/// A project `kfops check` looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Its `owner/name` when the config lists `[[projects]]` (its lines name it); `None` for
    /// the single-repository layout, whose report names no project.
    pub name: Option<String>,
    /// Its full config: its own tables over the shared ones.
    pub cfg: Config,
    /// The path of its per-project keys: `projects[1].` (empty for the single-repository
    /// layout), for the fixes that name a key.
    pub key_prefix: String,
    /// Whether it sets its own Kubeflow namespace (`projects[i].kfp.namespace`).
    pub own_kfp_namespace: bool,
}

impl Target {
    /// Where the key `key` of a per-project table (`deployment.staging.namespace`) is.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.key_prefix)
    }
}

/// The projects to check: the one called `project`, else every one (the single-repository
/// layout's one repository as one unnamed project).
pub fn targets(
    cfg: &Config,
    project: Option<&str>,
) -> Result<Vec<Target>, config::ProjectNameError> {
    let chosen = project.map(|name| cfg.project_index(name)).transpose()?;
    if cfg.projects.is_empty() {
        return Ok(vec![Target {
            name: None,
            cfg: cfg.select_project(None)?,
            key_prefix: String::new(),
            own_kfp_namespace: false,
        }]);
    }
    Ok(cfg
        .projects
        .iter()
        .enumerate()
        .filter(|(i, _)| chosen.is_none_or(|c| c == *i))
        .map(|(i, project)| Target {
            name: Some(project.repository.full_name()),
            cfg: cfg.with_project(project),
            key_prefix: format!("projects[{i}]."),
            own_kfp_namespace: project.kfp.namespace.is_some(),
        })
        .collect())
}

/// The config as loaded (`context`: `--context`, over `[cluster] context`), the projects to check (the one `project` names, else every one)
/// and the config line, or the failed check (with `file:line:col: key`, or for an unknown
/// name the config's projects and where the name came from: `--project` or `$KFOPS_PROJECT`).
pub fn check(
    flag: Option<&Path>,
    project: Option<ProjectChoice<'_>>,
    context: Option<&str>,
) -> Result<(Config, Vec<Target>, Check), Box<Check>> {
    let path = config::locate(flag).map_err(|e| failed(&e))?;
    let mut cfg = config::load(&path).map_err(|e| failed(&e))?;
    cfg.override_context(context);
    let targets = targets(&cfg, project.map(|p| p.name)).map_err(|e| {
        let (source, fix) = match project {
            Some(p) if p.from_env => (
                p.source(),
                "set $KFOPS_PROJECT to one of the config's projects, or unset it",
            ),
            _ => ("--project", "pass --project one of the config's projects"),
        };
        Box::new(Check::fail(ID, TITLE, format!("{source}: {e}"), fix))
    })?;
    let line = match config::token_file_warning(&path, &cfg) {
        Some(warning) => {
            // The helper words it "…; fix: chmod 600 PATH".
            let (what, fix) = warning
                .split_once("; fix: ")
                .unwrap_or((warning.as_str(), "chmod 600 the file"));
            Check::warn(ID, TITLE, what, fix)
        }
        None => Check::pass(ID, TITLE, path.display().to_string()),
    };
    Ok((cfg, targets, line))
}

fn failed(e: &config::ConfigError) -> Box<Check> {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    Box::new(Check::fail(ID, TITLE, first, e.hint.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Config {
        config::parse(text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn every_project_is_a_target_unless_one_is_named() {
        let cfg = parse(
            "[[projects]]\nrepository = { owner = 'acme', name = 'a' }\n\
             [[projects]]\nrepository = { owner = 'acme', name = 'b' }\nkfp = { namespace = 'team-b' }\n\
             deployment = { staging = { namespace = 'b-staging' } }\n",
        );
        let all = targets(&cfg, None).unwrap();
        let names: Vec<_> = all.iter().map(|t| t.name.as_deref()).collect();
        assert_eq!(names, [Some("acme/a"), Some("acme/b")]);
        assert_eq!(all[1].cfg.kfp.namespace, "team-b");
        assert_eq!(all[1].cfg.deployment.staging.namespace, "b-staging");
        assert!(!all[0].own_kfp_namespace && all[1].own_kfp_namespace);
        assert_eq!(
            all[1].key("deployment.staging.namespace"),
            "projects[1].deployment.staging.namespace"
        );
        let one = targets(&cfg, Some("b")).unwrap();
        assert_eq!(one, all[1..]);
        assert!(targets(&cfg, Some("c")).is_err());
    }

    #[test]
    fn the_single_repository_layout_is_one_unnamed_target() {
        let cfg = parse("[repository]\nowner = 'acme'\nname = 'a'\n");
        let only = targets(&cfg, Some("acme/a")).unwrap();
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].name, None);
        assert_eq!(
            only[0].key("deployment.staging.namespace"),
            "deployment.staging.namespace"
        );
        assert!(targets(&cfg, Some("acme/b")).is_err());
    }
}
