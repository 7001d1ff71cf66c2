//! The open PRs, read again on every refresh with as few requests *sent* as GitHub allows
//! while a change still shows on the next refresh:
//!
//! - The list (one conditional request: a 304 when nothing changed) carries what the PR row
//!   shows but for `mergeable` and the comparison with the base.
//! - Per PR, the comparison `base...head` is read conditionally every time: it is what tells
//!   that the base branch moved. The list's `base.sha` does not: GitHub sets it when the PR is
//!   opened or its head is pushed, not when its base branch moves (github/docs#431,
//!   <https://github.com/github/docs/issues/431>).
//! - `GET pulls/{n}` (for `mergeable`, which GitHub computes in the background) is skipped
//!   while the list's `updated_at`, head SHA and base SHA are those of the last refresh, the
//!   comparison answered 304 and `mergeable` is known.
//! - Comments: one conditional read per PR every refresh (a 304 while nothing is new), because
//!   GitHub does not document that a new comment bumps the PR's `updated_at` (third-party
//!   clients say it does; we do not rely on it). Once a PR's comments outgrow one page (whose
//!   further pages would be counted every time), they are read incrementally: `since` the
//!   newest one seen (GitHub: "Only comments updated at or after this time are returned",
//!   <https://docs.github.com/en/rest/issues/comments#list-issue-comments>), merged by ID.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use octocrab::models::issues::Comment;
use octocrab::models::pulls::PullRequest as ListedPr;

use super::{mergeable_state_name, GitHub, CONCURRENT_PR_FETCHES};
use crate::backends::error::BackendError;
use crate::backends::retry;
use crate::chatops::{read_var, VAR_RUN_ID, VAR_VERSION_ID};
use crate::domain::PullRequest;

/// What a list entry says that, unchanged, lets the PR's details be skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListKey {
    updated_at: Option<DateTime<Utc>>,
    head_sha: String,
    base_sha: String,
}

impl ListKey {
    fn of(pr: &ListedPr) -> ListKey {
        ListKey {
            updated_at: pr.updated_at,
            head_sha: pr.head.sha.clone(),
            base_sha: pr.base.sha.clone(),
        }
    }
}

/// A comment as kept between refreshes.
#[derive(Debug, Clone)]
struct KeptComment {
    id: u64,
    updated_at: DateTime<Utc>,
    body: String,
}

/// What the last refresh learnt of one PR.
#[derive(Debug, Clone, Default)]
struct KnownPr {
    key: Option<ListKey>,
    mergeable: Option<bool>,
    mergeable_state: Option<String>,
    /// Oldest (lowest ID) first, as GitHub lists them.
    comments: Vec<KeptComment>,
    /// The comments route last read (its answer kept for a conditional request).
    comments_route: Option<String>,
}

/// The open PRs as the last refresh saw them, shared by the clones of one client.
#[derive(Debug, Clone, Default)]
pub struct Known {
    prs: Arc<Mutex<HashMap<u64, KnownPr>>>,
}

impl Known {
    fn get(&self, number: u64) -> KnownPr {
        self.lock().get(&number).cloned().unwrap_or_default()
    }

    fn put(&self, number: u64, known: KnownPr) {
        self.lock().insert(number, known);
    }

    /// Keeps only the PRs still open.
    fn retain(&self, open: &[u64]) {
        self.lock().retain(|n, _| open.contains(n));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, KnownPr>> {
        self.prs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl GitHub {
    /// Every open PR, newest update first, with mergeability, behind/ahead of its base and the
    /// last Kfops version and run IDs from its comments (see the module's doc for what each
    /// refresh sends).
    pub async fn open_pull_requests(&self) -> Result<Vec<PullRequest>, BackendError> {
        let what = "list pull requests";
        let listed = retry::read(|| async {
            let route = format!(
                "/repos/{}/{}/pulls?state=open&sort=updated&direction=desc&per_page=100",
                self.owner, self.repo
            );
            self.all_pages::<ListedPr>(&self.client().await?, &route)
                .await
                .map_err(|e| self.failed(what, e))
        })
        .await?;
        let open: Vec<u64> = listed.iter().map(|p| p.number).collect();
        let refreshes = listed
            .into_iter()
            .map(|pr| async move { self.refresh_one(&pr).await });
        let prs = stream::iter(refreshes)
            .buffered(CONCURRENT_PR_FETCHES)
            .try_collect()
            .await?;
        self.known.retain(&open);
        Ok(prs)
    }

    /// One listed PR: its comparison and new comments, its details only when they may have
    /// changed.
    async fn refresh_one(&self, listed: &ListedPr) -> Result<PullRequest, BackendError> {
        let number = listed.number;
        let mut known = self.known.get(number);
        let key = ListKey::of(listed);
        let (compared, comments) = futures::try_join!(
            self.compare_tracked(&listed.base.ref_field, &listed.head.sha),
            self.new_comments(number, &known)
        )?;
        let ((behind_by, ahead_by), base_unchanged) = compared;
        let unchanged =
            known.key.as_ref() == Some(&key) && base_unchanged && known.mergeable.is_some();
        if !unchanged {
            let details = self.get_pull(number).await?;
            known.mergeable = details.mergeable;
            known.mergeable_state = mergeable_state_name(&details);
        }
        known.key = Some(key);
        if comments.complete {
            known.comments = comments.comments;
        } else {
            merge_comments(&mut known.comments, comments.comments);
        }
        if known.comments_route.as_ref() != Some(&comments.next) {
            if let Some(old) = known.comments_route.replace(comments.next) {
                self.conditional.forget(&old);
            }
        }
        let bodies = || known.comments.iter().map(|c| c.body.as_str());
        let pr = PullRequest {
            project: 0,
            number,
            title: listed.title.clone().unwrap_or_default(),
            author: listed
                .user
                .as_ref()
                .map(|u| u.login.clone())
                .unwrap_or_default(),
            head_ref: listed.head.ref_field.clone(),
            head_sha: listed.head.sha.clone(),
            base_ref: listed.base.ref_field.clone(),
            behind_by: Some(behind_by),
            ahead_by: Some(ahead_by),
            mergeable: known.mergeable,
            mergeable_state: known.mergeable_state.clone(),
            labels: listed
                .labels
                .as_ref()
                .map(|ls| ls.iter().map(|l| l.name.clone()).collect())
                .unwrap_or_default(),
            updated_at: listed.updated_at.unwrap_or_default(),
            last_version_id: read_var(bodies(), VAR_VERSION_ID),
            last_run_id: read_var(bodies(), VAR_RUN_ID),
        };
        self.known.put(number, known);
        Ok(pr)
    }

    /// `(behind_by, ahead_by)` of `head` against `base`, and whether GitHub answered 304
    /// (nothing moved since the last refresh).
    pub(super) async fn compare_tracked(
        &self,
        base: &str,
        head: &str,
    ) -> Result<((u64, u64), bool), BackendError> {
        let what = format!("compare {base}...{head}");
        let (cmp, not_modified): (octocrab::models::commits::CommitComparison, bool) =
            retry::read(|| async {
                let route = format!(
                    "/repos/{}/{}/compare/{base}...{head}",
                    self.owner, self.repo
                );
                self.conditional
                    .get_tracked(&self.client().await?, &route)
                    .await
                    .map_err(|e| self.failed(&what, e))
            })
            .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(((count(cmp.behind_by), count(cmp.ahead_by)), not_modified))
    }

    /// The comments the route of the last refresh lists (all of them, or those `since` the
    /// newest seen when the list outgrew a page), whether that route lists them all, and the
    /// route to read next time.
    async fn new_comments(
        &self,
        number: u64,
        known: &KnownPr,
    ) -> Result<ReadComments, BackendError> {
        let what = format!("list comments of #{number}");
        let all = format!(
            "/repos/{}/{}/issues/{number}/comments?per_page={COMMENTS_PAGE}",
            self.owner, self.repo
        );
        let route = known.comments_route.clone().unwrap_or_else(|| all.clone());
        let read: Vec<Comment> = retry::read(|| async {
            self.all_pages::<Comment>(&self.client().await?, &route)
                .await
                .map_err(|e| self.failed(&what, e))
        })
        .await?;
        let comments: Vec<KeptComment> = read
            .into_iter()
            .map(|c| KeptComment {
                id: c.id.into_inner(),
                updated_at: c.updated_at.unwrap_or(c.created_at),
                body: c.body.unwrap_or_default(),
            })
            .collect();
        // Past one page the further pages are plain (counted) requests: from now on only
        // what is new. Within one page the route stays, so an unchanged page is a free 304.
        let next = match comments.iter().map(|c| c.updated_at).max() {
            Some(newest) if comments.len() > COMMENTS_PAGE => {
                let since = newest.to_rfc3339_opts(SecondsFormat::Secs, true);
                format!("{all}&since={since}")
            }
            _ => route.clone(),
        };
        Ok(ReadComments {
            complete: route == all,
            comments,
            next,
        })
    }
}

/// Comments per page asked for (GitHub's maximum).
const COMMENTS_PAGE: usize = 100;

/// What one comments read gave.
struct ReadComments {
    comments: Vec<KeptComment>,
    /// The route listed every comment (not only those `since`): they replace the kept ones,
    /// so a deleted comment goes too.
    complete: bool,
    /// The route to read on the next refresh.
    next: String,
}

/// `new` merged into `kept` by ID (an edited comment replaces its old text), lowest ID first.
fn merge_comments(kept: &mut Vec<KeptComment>, new: Vec<KeptComment>) {
    for comment in new {
        match kept.iter_mut().find(|c| c.id == comment.id) {
            Some(old) => *old = comment,
            None => kept.push(comment),
        }
    }
    kept.sort_by_key(|c| c.id);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: u64, secs: i64, body: &str) -> KeptComment {
        KeptComment {
            id,
            updated_at: DateTime::from_timestamp(secs, 0).unwrap_or_default(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn new_and_edited_comments_merge_by_id_oldest_first() {
        let mut kept = vec![comment(1, 10, "a"), comment(2, 20, "b")];
        merge_comments(
            &mut kept,
            vec![comment(2, 30, "b edited"), comment(3, 30, "c")],
        );
        let bodies: Vec<_> = kept.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(bodies, ["a", "b edited", "c"]);
    }
}
