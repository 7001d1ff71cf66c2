//! Conditional GETs: GitHub answers `304 Not Modified` to a `GET` whose `If-None-Match`
//! names the `ETag` of the current answer, and "making a conditional request does not count
//! against your primary rate limit if a 304 response is returned and the request was made
//! while correctly authorized" (GitHub, "Best practices for using the REST API":
//! <https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate>).
//!
//! [`Conditional`] keeps, per route (path and query), the last 200's `ETag`, headers (the
//! `Link` of a paged list among them) and body; it sends the `ETag` back and, on a 304,
//! parses the kept answer as if it had just arrived. Callers parse as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::{ETAG, IF_NONE_MATCH};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Full};
use octocrab::{FromResponse, Octocrab};

use super::budget::Budgets;

/// The answer kept for one route.
#[derive(Debug, Clone)]
struct Kept {
    etag: HeaderValue,
    headers: HeaderMap,
    body: Bytes,
}

/// The kept answers, shared by the clones of one GitHub client. Bounded by the routes the
/// console reads (the open PRs' details, comparisons and comments).
#[derive(Debug, Clone, Default)]
pub struct Conditional {
    kept: Arc<Mutex<HashMap<String, Kept>>>,
    not_modified: Arc<std::sync::atomic::AtomicU64>,
    /// The rate-limit budget every answer states (a 304 and a refusal too).
    pub budgets: Budgets,
}

impl Conditional {
    /// `GET route` (relative to the API URL, with its query), conditional on the last answer.
    pub async fn get<R: FromResponse>(
        &self,
        client: &Octocrab,
        route: &str,
    ) -> octocrab::Result<R> {
        Ok(self.get_tracked(client, route).await?.0)
    }

    /// [`get`](Self::get), saying whether the answer was a 304 (the kept answer, unchanged).
    pub async fn get_tracked<R: FromResponse>(
        &self,
        client: &Octocrab,
        route: &str,
    ) -> octocrab::Result<(R, bool)> {
        let kept = self.lock().get(route).cloned();
        let mut headers = HeaderMap::new();
        if let Some(k) = &kept {
            headers.insert(IF_NONE_MATCH, k.etag.clone());
        }
        let response = client._get_with_headers(route, Some(headers)).await?;
        self.budgets.note(response.headers());
        if response.status() == StatusCode::NOT_MODIFIED {
            if let Some(k) = kept {
                self.not_modified
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return Ok((R::from_response(answer(k.headers, k.body)).await?, true));
            }
        }
        let response = octocrab::map_github_error(response).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        if let Some(etag) = parts.headers.get(ETAG) {
            let k = Kept {
                etag: etag.clone(),
                headers: parts.headers.clone(),
                body: body.clone(),
            };
            self.lock().insert(route.to_owned(), k);
        }
        Ok((R::from_response(answer(parts.headers, body)).await?, false))
    }

    /// Drops the answer kept for `route` (a route that will not be asked again).
    pub fn forget(&self, route: &str) {
        self.lock().remove(route);
    }

    /// How many answers were 304s served from what was kept.
    pub fn not_modified(&self) -> u64 {
        self.not_modified.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Kept>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A 200 answer with `headers` and `body`, in the shape octocrab parses.
fn answer(
    headers: HeaderMap,
    body: Bytes,
) -> http::Response<http_body_util::combinators::BoxBody<Bytes, octocrab::Error>> {
    let body = Full::new(body).map_err(|never| match never {}).boxed();
    let mut response = http::Response::new(body);
    *response.headers_mut() = headers;
    response
}
