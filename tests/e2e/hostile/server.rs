//! A tiny hostile HTTP server on 127.0.0.1:0 (axum): one closure decides the answer to every
//! request, whatever the path.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;

/// How the server answers a request (method + path and query).
pub type Answer = Arc<dyn Fn(&str, &str) -> Response<Body> + Send + Sync>;

/// A running hostile server, shut down on drop.
pub struct Hostile {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hostile {
    /// Serves `answer` for every request.
    pub async fn start(answer: Answer) -> Hostile {
        let app = Router::new().fallback(move |req: Request<Body>| {
            let answer = answer.clone();
            async move {
                let target = req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default();
                answer(req.method().as_str(), &target)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Hostile {
            url: format!("http://{addr}"),
            task,
        }
    }

    /// Serves the same payload for every request.
    pub async fn always(payload: Payload) -> Hostile {
        Hostile::start(Arc::new(move |_, _| payload.response())).await
    }
}

/// One kind of garbage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// `application/json` that does not parse.
    InvalidJson,
    /// Valid JSON, but every field a client looks for has the wrong type.
    WrongTypes,
    /// Valid JSON objects/arrays without the fields the clients require.
    MissingFields,
    /// A JSON body cut off mid-way: the connection is reset before the end.
    Truncated,
    /// `text/plain` saying OK.
    WrongContentType,
    /// A proxy's HTML error page, with status 200.
    HtmlPage,
    /// 4 MB of JSON-looking text that never closes.
    Enormous,
}

impl Payload {
    pub const ALL: [Payload; 7] = [
        Payload::InvalidJson,
        Payload::WrongTypes,
        Payload::MissingFields,
        Payload::Truncated,
        Payload::WrongContentType,
        Payload::HtmlPage,
        Payload::Enormous,
    ];

    pub fn response(self) -> Response<Body> {
        match self {
            Payload::InvalidJson => json(r#"{"items": [{"name": "a", }, "#.into()),
            Payload::WrongTypes => json(
                r#"{"kind": 5, "apiVersion": ["v1"], "metadata": "none", "items": "not a list",
                    "number": "seven", "title": 3, "state": 9, "pipelines": "nope",
                    "pipeline_versions": 7, "runs": {"a": 1}, "experiments": 4, "run_id": [],
                    "pipeline_id": {}, "next_page_token": 12, "total_size": "many",
                    "spec": 1, "status": "ok", "id": "x", "sha": 1, "body": 2,
                    "ahead_by": "one", "behind_by": "two", "content": 5, "type": 7}"#
                    .into(),
            ),
            Payload::MissingFields => json(r#"{"unrelated": true, "data": [{"x": 1}]}"#.into()),
            Payload::Truncated => cut_after(
                b"{\"items\": [{\"metadata\": {\"name\": \"p",
                "application/json",
            ),
            Payload::WrongContentType => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("OK"))
                .unwrap(),
            Payload::HtmlPage => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "text/html")
                .body(Body::from(HTML))
                .unwrap(),
            Payload::Enormous => {
                let mut body = String::with_capacity(4 << 20);
                body.push_str("[{\"name\": \"");
                while body.len() < 4 << 20 {
                    body.push_str("abcdefghij0123456789");
                }
                json(body)
            }
        }
    }
}

pub const HTML: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1><p>The proxy could not reach the upstream server.</p></body></html>\n";

pub fn json(body: String) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// A plain-text answer (log streams) of raw bytes.
pub fn bytes(body: Vec<u8>) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(body))
        .unwrap()
}

/// A 200 answer that sends `start`, waits for it to reach the client, then resets the
/// connection (the body is cut mid-way).
pub fn cut_after(start: &'static [u8], content_type: &str) -> Response<Body> {
    use futures::StreamExt;
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(start)),
        Err(std::io::Error::other("cut")),
    ];
    let stream = futures::stream::iter(chunks)
        .enumerate()
        .then(|(i, chunk)| async move {
            if i > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            }
            chunk
        });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from_stream(stream))
        .unwrap()
}
