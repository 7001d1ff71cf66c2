//! Who may do what without a token, as GitHub answers it.
//!
//! - A wrong token is refused on every request: 401 `Bad credentials`.
//! - No token at all is an anonymous request. Anything about a private repository is 404
//!   `Not Found`: "since we don't want to provide any information about private repositories,
//!   the API returns a 404 error instead" (GitHub REST docs, Troubleshooting, "404 error for an
//!   existing repository": https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api).
//! - An anonymous write (POST/PUT/PATCH/DELETE) to a public repository is 401
//!   `{"message":"Requires authentication","documentation_url":…}` ("Authenticating to the
//!   REST API": https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api;
//!   the answer as clients report it, e.g. jbosstm/narayana#1757 for create-an-issue-comment).
//!   GitHub names the operation's page in `documentation_url`; the simulator names the REST
//!   reference, since this check runs before the route is known.
//! - Anonymous reads of a public repository (and `GET /user`'s own 401) go through.

use axum::http::{Method, StatusCode};

use super::http::{ApiError, DOCS};

/// What an anonymous or token-bearing request gets before any handler runs: `None` lets it
/// through. `expected` is the scenario's token (any token is accepted when unset),
/// `presented` the request's, `private` whether the routed repository is private and `path`
/// the request path inside the GitHub API.
pub fn refusal(
    expected: Option<&str>,
    presented: Option<&str>,
    private: bool,
    method: &Method,
    path: &str,
) -> Option<ApiError> {
    if let Some(token) = presented {
        return expected
            .is_some_and(|e| e != token)
            .then(ApiError::bad_credentials);
    }
    if private && path.starts_with("/repos/") {
        return Some(ApiError::not_found(DOCS));
    }
    let writes = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
    writes
        .contains(method)
        .then(|| ApiError::message(StatusCode::UNAUTHORIZED, "Requires authentication", DOCS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(
        expected: Option<&str>,
        presented: Option<&str>,
        private: bool,
        method: Method,
    ) -> Option<u16> {
        refusal(expected, presented, private, &method, "/repos/o/r/pulls")
            .map(|e| e.status.as_u16())
    }

    #[test]
    fn anonymous_reads_of_a_public_repository_pass_and_writes_need_authentication() {
        assert_eq!(status(None, None, false, Method::GET), None);
        for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let e = refusal(None, None, false, &m, "/repos/o/r/issues/1/comments").unwrap();
            assert_eq!(e.status, StatusCode::UNAUTHORIZED);
            assert_eq!(e.body["message"], "Requires authentication");
        }
    }

    #[test]
    fn a_private_repository_is_not_found_without_a_token() {
        assert_eq!(status(None, None, true, Method::GET), Some(404));
        assert_eq!(status(None, None, true, Method::POST), Some(404));
        assert_eq!(status(Some("t"), None, true, Method::GET), Some(404));
        // `GET /user` answers its own 401.
        assert!(refusal(None, None, true, &Method::GET, "/user").is_none());
    }

    #[test]
    fn a_token_passes_unless_the_scenario_wants_another() {
        assert_eq!(status(None, Some("any"), true, Method::POST), None);
        assert_eq!(status(Some("t"), Some("t"), true, Method::POST), None);
        assert_eq!(status(Some("t"), Some("x"), false, Method::GET), Some(401));
    }
}
