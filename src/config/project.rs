//! Naming a project on the command line (`--project NAME`): as the console's `P` switcher
//! names it, `owner/name`, or the bare repository `name` when no other project has it.

use super::Config;

/// The environment variable giving `--project` when the option is not on the command line.
pub const PROJECT_ENV_VAR: &str = "KFOPS_PROJECT";

/// A project named for a command, and whether `--project` or [`PROJECT_ENV_VAR`] named it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectChoice<'a> {
    /// The name as given (`owner/name` or `name`).
    pub name: &'a str,
    /// Named by `$KFOPS_PROJECT` rather than `--project`.
    pub from_env: bool,
}

impl ProjectChoice<'_> {
    /// Where the name came from, for messages: `--project` or `$KFOPS_PROJECT`.
    pub fn source(&self) -> &'static str {
        if self.from_env {
            "$KFOPS_PROJECT"
        } else {
            "--project"
        }
    }
}

/// A `--project` name that names no project of the config, or more than one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectNameError {
    /// No project has that name.
    #[error(
        "no project `{name}` in the config; its projects: {}; give one of them as owner/name (or its name alone when no other project has it)",
        known.join(", ")
    )]
    Unknown {
        name: String,
        /// Every project's `owner/name`, in config order.
        known: Vec<String>,
    },
    /// A bare repository name that several projects (of different owners) have.
    #[error(
        "`{name}` names several projects: {}; give owner/name",
        candidates.join(", ")
    )]
    Ambiguous {
        name: String,
        /// The `owner/name` of each project with that name, in config order.
        candidates: Vec<String>,
    },
}

impl Config {
    /// Every project's `owner/name`, in config order (the single-repository layout's own
    /// repository alone): the names the console's project switcher shows.
    pub fn project_names(&self) -> Vec<String> {
        if self.projects.is_empty() {
            return vec![self.repository.full_name()];
        }
        self.projects
            .iter()
            .map(|p| p.repository.full_name())
            .collect()
    }

    /// The index (in [`Config::project_configs`]) of the project called `name`: its
    /// `owner/name`, or its repository name alone when no other project has it. GitHub
    /// names are case-insensitive, and so is the match.
    pub fn project_index(&self, name: &str) -> Result<usize, ProjectNameError> {
        let known = self.project_names();
        let position = |wanted: &str| known.iter().position(|k| k.eq_ignore_ascii_case(wanted));
        if name.contains('/') {
            return position(name).ok_or_else(|| ProjectNameError::Unknown {
                name: name.to_owned(),
                known: known.clone(),
            });
        }
        let matching: Vec<usize> = known
            .iter()
            .enumerate()
            .filter(|(_, full)| {
                full.split_once('/')
                    .is_some_and(|(_, repo)| repo.eq_ignore_ascii_case(name))
            })
            .map(|(i, _)| i)
            .collect();
        match matching.as_slice() {
            [one] => Ok(*one),
            [] => Err(ProjectNameError::Unknown {
                name: name.to_owned(),
                known,
            }),
            several => Err(ProjectNameError::Ambiguous {
                name: name.to_owned(),
                candidates: several
                    .iter()
                    .filter_map(|&i| known.get(i).cloned())
                    .collect(),
            }),
        }
    }

    /// The full config of the project a command acts on: the one called `name`
    /// ([`Config::project_index`]), or without a name the first one. Its per-project tables
    /// are that project's, over the shared ones, and `projects` is empty.
    pub fn select_project(&self, name: Option<&str>) -> Result<Config, ProjectNameError> {
        let index = match name {
            Some(name) => self.project_index(name)?,
            None => 0,
        };
        Ok(match self.projects.get(index) {
            Some(project) => self.with_project(project),
            None => {
                let mut single = self.clone();
                single.projects = Vec::new();
                single
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn config(text: &str) -> Config {
        super::super::parse(text, Path::new("t.toml")).unwrap()
    }

    /// `acme/churn`, `acme/fraud`, `beta/churn`, `beta/ranker` (service names kept apart).
    fn four() -> Config {
        let mut text = String::new();
        for (owner, name) in [
            ("acme", "churn"),
            ("acme", "fraud"),
            ("beta", "churn"),
            ("beta", "ranker"),
        ] {
            text.push_str(&format!(
                "[[projects]]\nrepository = {{ owner = '{owner}', name = '{name}' }}\ndeployment = {{ inference_service_name = '{owner}-{name}' }}\n"
            ));
        }
        config(&text)
    }

    #[test]
    fn owner_slash_name_picks_the_project_whatever_the_case() {
        let c = four();
        assert_eq!(c.project_index("acme/churn"), Ok(0));
        assert_eq!(c.project_index("beta/churn"), Ok(2));
        assert_eq!(c.project_index("BETA/Ranker"), Ok(3));
        let picked = c.select_project(Some("beta/churn")).unwrap();
        assert_eq!(picked.repository.full_name(), "beta/churn");
        assert_eq!(picked.deployment.inference_service_name, "beta-churn");
        assert!(picked.projects.is_empty());
    }

    #[test]
    fn a_bare_name_picks_the_only_project_with_it() {
        let c = four();
        assert_eq!(c.project_index("fraud"), Ok(1));
        assert_eq!(c.project_index("Ranker"), Ok(3));
    }

    #[test]
    fn an_ambiguous_bare_name_lists_the_candidates() {
        let e = four().project_index("churn").unwrap_err();
        assert_eq!(
            e,
            ProjectNameError::Ambiguous {
                name: "churn".into(),
                candidates: vec!["acme/churn".into(), "beta/churn".into()],
            }
        );
        let text = e.to_string();
        assert!(text.contains("acme/churn, beta/churn"), "{text}");
        assert!(text.contains("give owner/name"), "{text}");
    }

    #[test]
    fn an_unknown_name_lists_every_project() {
        let c = four();
        for name in ["nope", "acme/ranker", "acme", "", "acme/churn/x"] {
            let e = c.project_index(name).unwrap_err();
            let ProjectNameError::Unknown { known, .. } = &e else {
                panic!("{name}: {e:?}");
            };
            assert_eq!(known.len(), 4);
            let text = e.to_string();
            assert!(
                text.contains("acme/churn, acme/fraud, beta/churn, beta/ranker"),
                "{text}"
            );
        }
    }

    #[test]
    fn without_a_name_the_first_project_with_its_own_settings() {
        let mut c = config(
            "[kfp]\nnamespace = 'shared'\n[[projects]]\nrepository = { owner = 'acme', name = 'a' }\nkfp = { namespace = 'team-a' }\n[[projects]]\nrepository = { owner = 'acme', name = 'b' }\n",
        );
        let first = c.select_project(None).unwrap();
        assert_eq!(first.repository.full_name(), "acme/a");
        // The project's own namespace (the top level keeps the shared one).
        assert_eq!(first.kfp.namespace, "team-a");
        assert_eq!(c.kfp.namespace, "shared");
        assert_eq!(c.select_project(Some("b")).unwrap().kfp.namespace, "shared");
        c.projects.clear();
        assert_eq!(c.select_project(None).unwrap(), c);
    }

    #[test]
    fn a_choice_says_which_of_the_option_or_the_variable_named_it() {
        let option = ProjectChoice {
            name: "a",
            from_env: false,
        };
        assert_eq!(option.source(), "--project");
        let variable = ProjectChoice {
            from_env: true,
            ..option
        };
        assert_eq!(variable.source(), format!("${PROJECT_ENV_VAR}"));
    }

    #[test]
    fn the_single_repository_layout_answers_to_its_own_name_only() {
        let c = config("[repository]\nowner = 'acme'\nname = 'churn'\n");
        assert_eq!(c.project_names(), ["acme/churn"]);
        assert_eq!(c.select_project(Some("acme/churn")).unwrap(), c);
        assert_eq!(c.select_project(Some("churn")).unwrap(), c);
        let e = c.select_project(Some("acme/fraud")).unwrap_err();
        assert_eq!(
            e,
            ProjectNameError::Unknown {
                name: "acme/fraud".into(),
                known: vec!["acme/churn".into()],
            }
        );
    }
}
