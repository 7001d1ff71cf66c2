//! What a deploy changes on GitHub: the `Deployed-to-*` labels, the merge of a production
//! deploy's PR (guarded by its head SHA) and the close; plus the fresh behind-count the
//! production check needs.

use octocrab::params;

use super::GitHub;
use crate::backends::error::{BackendError, Service};
use crate::backends::retry;

/// GitHub's message when a label is not on the issue (or not defined).
const LABEL_MISSING: &str = "Label does not exist";
/// Operator hints for the merge refusals GitHub answers with.
const HINT_NOT_MERGEABLE: &str =
    "the PR is not mergeable (conflicts or checks); resolve it on GitHub";
const HINT_HEAD_MOVED: &str = "the PR head moved since it was checked; refresh and retry";

/// The GitHub error body of an octocrab error, if GitHub answered.
fn github_error(err: &octocrab::Error) -> Option<&octocrab::GitHubError> {
    match err {
        octocrab::Error::GitHub { source, .. } => Some(source),
        _ => None,
    }
}

impl GitHub {
    /// Defines a repository label; a label of that name already existing (GitHub's 422
    /// `already_exists`) is success, whatever its colour.
    pub async fn ensure_label(
        &self,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<(), BackendError> {
        let what = format!("create label {name}");
        retry::write(|| async {
            match self
                .client()
                .await?
                .issues(&self.owner, &self.repo)
                .create_label(name, color, description)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if github_error(&e).is_some_and(already_exists) => Ok(()),
                Err(e) => Err(self.failed(&what, e)),
            }
        })
        .await
    }

    /// Puts a label on a PR (GitHub defines it if the repository lacks it).
    pub async fn add_label(&self, pr: u64, name: &str) -> Result<(), BackendError> {
        let what = format!("label #{pr} {name}");
        retry::write(|| async {
            self.client()
                .await?
                .issues(&self.owner, &self.repo)
                .add_labels(pr, &[name.to_owned()])
                .await
                .map(drop)
                .map_err(|e| self.failed(&what, e))
        })
        .await
    }

    /// Takes a label off a PR; a PR without it (GitHub's 404 `Label does not exist`) is
    /// success. Any other 404 (wrong repository, no such PR) is an error.
    pub async fn remove_label(&self, pr: u64, name: &str) -> Result<(), BackendError> {
        let what = format!("remove label {name} from #{pr}");
        retry::write(|| async {
            match self
                .client()
                .await?
                .issues(&self.owner, &self.repo)
                .remove_label(pr, name)
                .await
            {
                Ok(_) => Ok(()),
                Err(e)
                    if github_error(&e).is_some_and(|g| {
                        g.status_code.as_u16() == 404 && g.message == LABEL_MISSING
                    }) =>
                {
                    Ok(())
                }
                Err(e) => Err(self.failed(&what, e)),
            }
        })
        .await
    }

    /// Numbers of every issue and PR, open or closed, that carries a label (all pages),
    /// ascending.
    pub async fn numbers_with_label(&self, name: &str) -> Result<Vec<u64>, BackendError> {
        let what = format!("list issues labelled {name}");
        let labels = [name.to_owned()];
        let all = retry::read(|| async {
            let first = self
                .client()
                .await?
                .issues(&self.owner, &self.repo)
                .list()
                .labels(&labels)
                .state(params::State::All)
                .per_page(100)
                .send()
                .await
                .map_err(|e| self.failed(&what, e))?;
            self.client()
                .await?
                .all_pages(first)
                .await
                .map_err(|e| self.failed(&what, e))
        })
        .await?;
        let mut numbers: Vec<u64> = all.into_iter().map(|issue| issue.number).collect();
        numbers.sort_unstable();
        numbers.dedup();
        Ok(numbers)
    }

    /// Merges a PR only if its head is still `head_sha`, with `title` as the commit title;
    /// returns the merge commit's SHA. GitHub's 405 (not mergeable) and 409 (head moved) come
    /// back with what to do about them.
    pub async fn merge(
        &self,
        pr: u64,
        head_sha: &str,
        title: &str,
    ) -> Result<String, BackendError> {
        let what = format!("merge #{pr}");
        let merged = retry::write(|| async {
            self.client()
                .await?
                .pulls(&self.owner, &self.repo)
                .merge(pr)
                .sha(head_sha)
                .title(title)
                .send()
                .await
                .map_err(|e| {
                    let status = github_error(&e).map(|g| g.status_code.as_u16());
                    let err = self.failed(&what, e);
                    match status {
                        Some(405) => err.with_hint(HINT_NOT_MERGEABLE),
                        Some(409) => err.with_hint(HINT_HEAD_MOVED),
                        _ => err,
                    }
                })
        })
        .await?;
        let message = merged.message.unwrap_or_default();
        match merged.sha {
            Some(sha) if merged.merged => Ok(sha),
            _ => Err(BackendError::new(
                Service::GitHub,
                &what,
                format!("GitHub did not merge the PR: {message}"),
            )
            .with_hint(HINT_NOT_MERGEABLE)),
        }
    }

    /// Closes a PR (closing a closed one changes nothing).
    pub async fn close(&self, pr: u64) -> Result<(), BackendError> {
        let what = format!("close #{pr}");
        retry::write(|| async {
            self.client()
                .await?
                .pulls(&self.owner, &self.repo)
                .update(pr)
                .state(params::pulls::State::Closed)
                .send()
                .await
                .map(drop)
                .map_err(|e| self.failed(&what, e))
        })
        .await
    }

    /// What a production deploy checks before it changes anything, read fresh: the head SHA,
    /// how far behind its base the PR is, and GitHub's `mergeable` / `mergeable_state`.
    pub async fn deploy_check(&self, pr: u64) -> Result<PullCheck, BackendError> {
        let pull = self.get_pull(pr).await?;
        let head_sha = pull.head.sha.clone();
        let (behind, _ahead) = self.compare(&pull.base.ref_field, &head_sha).await?;
        Ok(PullCheck {
            behind,
            head_sha,
            mergeable: pull.mergeable,
            mergeable_state: super::mergeable_state_name(&pull),
        })
    }
}

/// A PR as a production deploy checks it ([`GitHub::deploy_check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullCheck {
    pub behind: u64,
    pub head_sha: String,
    /// `None` while GitHub is still computing it (it starts when the PR is read).
    pub mergeable: Option<bool>,
    /// `clean`, `behind`, `dirty`, `blocked`, `unstable`, `draft`, `unknown`, ...
    pub mergeable_state: Option<String>,
}

/// Whether a 422 says the resource already exists.
fn already_exists(err: &octocrab::GitHubError) -> bool {
    err.status_code.as_u16() == 422
        && err
            .errors
            .iter()
            .flatten()
            .any(|e| e.get("code").and_then(serde_json::Value::as_str) == Some("already_exists"))
}
