//! Errors a request can end in, each knowing its v2 code and HTTP status.
//!
//! A v2 client only understands `{"error": CODE, "error_description": TEXT}` with the
//! status the old server would use, so every failure inside the bridge becomes exactly
//! that (the body is made in `crate::answers`). Descriptions never contain a request
//! target, a webhook code or a token.

use http::StatusCode;

use crate::decode::DecodeError;

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("b24bridge serves only /rest/ paths, /healthz and /readyz")]
    OutsideRest,
    #[error("Method not found: {0}")]
    MalformedPath(&'static str),
    #[error("request body is larger than limits.max_body_bytes = {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("{0}")]
    Decode(#[from] DecodeError),
    #[error("the request body could not be read: {0}")]
    ClientBody(String),
    #[error("b24bridge is configured to refuse {0} (methods.\"{0}\".mode = \"deny\")")]
    Denied(String),
    #[error("b24bridge cannot serve this call from REST 3.0 and its rule says fallback = \"error\": {0}")]
    Unexpressible(String),
    #[error("the portal could not be reached: {0}")]
    UpstreamConnect(String),
    #[error("the portal did not answer within client.response_timeout = {0}")]
    UpstreamTimeout(String),
    /// More calls than the bridge lets wait ({0}): refused at once rather than queued.
    #[error("b24bridge is busy: {0}; retry shortly")]
    Overloaded(&'static str),
    #[error("the portal's answer could not be read: {0}")]
    UpstreamProtocol(String),
}

impl BridgeError {
    /// The v2 `error` code.
    pub fn v2_code(&self) -> &'static str {
        match self {
            BridgeError::OutsideRest => "NOT_FOUND",
            BridgeError::MalformedPath(_) => "ERROR_METHOD_NOT_FOUND",
            BridgeError::BodyTooLarge { .. } => "REQUEST_ENTITY_TOO_LARGE",
            BridgeError::Decode(DecodeError::BodyTooLarge { .. }) => "REQUEST_ENTITY_TOO_LARGE",
            BridgeError::Decode(_) | BridgeError::ClientBody(_) => "INVALID_REQUEST",
            BridgeError::Denied(_) => "ACCESS_DENIED",
            BridgeError::Unexpressible(_) => "INVALID_ARG_VALUE",
            BridgeError::UpstreamConnect(_) => "ERROR_UPSTREAM_UNAVAILABLE",
            BridgeError::UpstreamTimeout(_) => "ERROR_UPSTREAM_TIMEOUT",
            // The code v2 clients already back off and retry on.
            BridgeError::Overloaded(_) => "QUERY_LIMIT_EXCEEDED",
            BridgeError::UpstreamProtocol(_) => "ERROR_UNEXPECTED_ANSWER",
        }
    }

    /// The HTTP status the v2 client sees.
    pub fn status(&self) -> StatusCode {
        match self {
            BridgeError::OutsideRest | BridgeError::MalformedPath(_) => StatusCode::NOT_FOUND,
            BridgeError::BodyTooLarge { .. }
            | BridgeError::Decode(DecodeError::BodyTooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            BridgeError::Decode(_) | BridgeError::ClientBody(_) | BridgeError::Unexpressible(_) => {
                StatusCode::BAD_REQUEST
            }
            BridgeError::Denied(_) => StatusCode::FORBIDDEN,
            BridgeError::UpstreamConnect(_) | BridgeError::UpstreamProtocol(_) => {
                StatusCode::BAD_GATEWAY
            }
            BridgeError::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            BridgeError::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}
