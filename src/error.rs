//! Errors a request can end in, each knowing its v2 code and HTTP status.
//!
//! A v2 client only understands `{"error": CODE, "error_description": TEXT}` with the
//! status the old server would use, so every failure inside the bridge becomes exactly
//! that, in one place: [`BridgeError::to_v2_body`]. Descriptions never contain a request
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
        }
    }

    /// The v2 error body.
    pub fn to_v2_body(&self) -> Vec<u8> {
        v2_error_body(self.v2_code(), &self.to_string())
    }
}

/// Serialises a v2 error body.
pub fn v2_error_body(code: &str, description: &str) -> Vec<u8> {
    let body = serde_json::json!({ "error": code, "error_description": description });
    // Serialising a map of two strings cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_v2_shape_and_status() {
        let cases = [
            (BridgeError::OutsideRest, 404, "NOT_FOUND"),
            (
                BridgeError::MalformedPath("x"),
                404,
                "ERROR_METHOD_NOT_FOUND",
            ),
            (
                BridgeError::BodyTooLarge { limit: 10 },
                413,
                "REQUEST_ENTITY_TOO_LARGE",
            ),
            (
                BridgeError::UpstreamConnect("connection refused".into()),
                502,
                "ERROR_UPSTREAM_UNAVAILABLE",
            ),
            (
                BridgeError::UpstreamTimeout("70s".into()),
                504,
                "ERROR_UPSTREAM_TIMEOUT",
            ),
            (
                BridgeError::UpstreamProtocol("eof".into()),
                502,
                "ERROR_UNEXPECTED_ANSWER",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status().as_u16(), status);
            let body: serde_json::Value = serde_json::from_slice(&err.to_v2_body()).unwrap();
            assert_eq!(body["error"], code);
            assert!(body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()));
        }
    }
}
