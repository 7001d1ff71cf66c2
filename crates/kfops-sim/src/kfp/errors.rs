//! The error bodies the KFP API server sends.
//!
//! Most endpoints go through grpc-gateway, whose default error handler answers with a
//! `googleRpcStatus` body (`{"code": <grpc code>, "message": "..."}`, empty `details` omitted)
//! and maps the gRPC code to an HTTP status. The two multipart upload endpoints are plain HTTP
//! handlers that answer with KFP's v1beta1 `Error` JSON (`{"error_message", "error_details"}`).
//! The Kubernetes service proxy in front of KFP answers with Kubernetes `Status` objects.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// gRPC status codes the simulator uses, with grpc-gateway's HTTP mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    FailedPrecondition,
    Unauthenticated,
    Internal,
}

impl Code {
    /// The numeric gRPC code.
    pub fn number(self) -> i32 {
        match self {
            Code::InvalidArgument => 3,
            Code::NotFound => 5,
            Code::AlreadyExists => 6,
            Code::PermissionDenied => 7,
            Code::FailedPrecondition => 9,
            Code::Internal => 13,
            Code::Unauthenticated => 16,
        }
    }

    /// grpc-gateway v2's `HTTPStatusFromCode`.
    pub fn http_status(self) -> StatusCode {
        match self {
            // grpc-gateway maps FailedPrecondition to 400, not 412.
            Code::InvalidArgument | Code::FailedPrecondition => StatusCode::BAD_REQUEST,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists => StatusCode::CONFLICT,
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A `googleRpcStatus` error of the grpc-gateway endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub code: Code,
    pub message: String,
}

impl RpcError {
    pub fn new(code: Code, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// `InvalidArgument` with KFP's `Invalid input error: ` prefix.
    pub fn invalid(message: impl std::fmt::Display) -> RpcError {
        RpcError::new(
            Code::InvalidArgument,
            format!("Invalid input error: {message}"),
        )
    }

    pub fn not_found(message: impl Into<String>) -> RpcError {
        RpcError::new(Code::NotFound, message)
    }

    /// The JSON body (proto names, empty fields omitted).
    pub fn body(&self) -> Value {
        json!({"code": self.code.number(), "message": self.message})
    }
}

impl IntoResponse for RpcError {
    fn into_response(self) -> Response {
        json_response(self.code.http_status(), &self.body())
    }
}

/// An error of the upload endpoints: KFP's `{"error_message", "error_details"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadError {
    pub status: StatusCode,
    pub message: String,
}

impl UploadError {
    /// 400: missing form field, bad file, missing `pipelineid`, bad `tags`.
    pub fn bad_request(message: impl Into<String>) -> UploadError {
        UploadError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 409: the name is taken.
    pub fn conflict(message: impl Into<String>) -> UploadError {
        UploadError {
            status: StatusCode::CONFLICT,
            message: message.into(),
        }
    }

    /// 404: the pipeline of `upload_version` does not exist.
    pub fn not_found(message: impl Into<String>) -> UploadError {
        UploadError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// The JSON body. KFP puts the error with its stack (`%+v`) in `error_details`; the
    /// simulator has no stack, so the details repeat the message.
    pub fn body(&self) -> Value {
        json!({"error_message": self.message, "error_details": self.message})
    }
}

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body())
    }
}

/// A Kubernetes `Status` failure, as the API server's service proxy sends it.
pub fn kube_status(
    status: StatusCode,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Response {
    let mut body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": status.as_u16(),
    });
    if let (Some(details), Some(object)) = (details, body.as_object_mut()) {
        object.insert("details".to_owned(), details);
    }
    json_response(status, &body)
}

/// A JSON response with the API server's content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
