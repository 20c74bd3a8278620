//! The answers the bridge makes itself, all in one place: its own errors in the v2 shape
//! `{"error": CODE, "error_description": TEXT}` (top level or as a batch command's
//! `result_error` entry) and the probes' small status documents.
//!
//! Answers translated from the portal's are built by `translate::render`; answers passed
//! through are the portal's own bytes.

use http::{header, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use crate::body::{self, Body};
use crate::error::BridgeError;
use crate::php_json;
use crate::rules::JsonStyle;

/// A v2 error object.
pub fn v2_error(code: &str, description: &str) -> Value {
    json!({ "error": code, "error_description": description })
}

/// The v2 error object of a failure inside the bridge. Descriptions never contain a
/// request target, a webhook code or a token (see [`BridgeError`]).
pub fn error_of(error: &BridgeError) -> Value {
    v2_error(error.v2_code(), &error.to_string())
}

/// The `result_error` entry for a command whose answer was an error: the answer's own
/// `error` and `error_description`, as v2 lists them per command.
pub fn command_error(answer_body: &Value) -> Value {
    json!({
        "error": answer_body
            .get("error")
            .cloned()
            .unwrap_or_else(|| Value::String("ERROR_UNEXPECTED_ANSWER".into())),
        "error_description": answer_body
            .get("error_description")
            .cloned()
            .unwrap_or_else(|| Value::String(String::new())),
    })
}

/// A v2 JSON answer, written as v2 writes JSON.
pub fn json(status: StatusCode, body: &Value, style: JsonStyle) -> Response<Body> {
    body::json_response(status, php_json::to_vec(body, style))
}

/// The v2 error answer for a failed request. A body-limit failure also closes the
/// connection, since the unread rest of the body would otherwise be taken for the next
/// request.
pub fn error_response(error: &BridgeError, style: JsonStyle) -> Response<Body> {
    let mut response = json(error.status(), &error_of(error), style);
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// `{"status": TEXT}`, the body of the bridge's own probes.
pub fn status(status: StatusCode, text: &str) -> Response<Body> {
    json(status, &json!({ "status": text }), JsonStyle::default())
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
            let body = error_of(&err);
            assert_eq!(body["error"], code);
            assert!(body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()));
        }
    }

    #[test]
    fn a_command_error_keeps_the_answers_code() {
        let entry = command_error(&v2_error("0", "wrong task id"));
        assert_eq!(entry, v2_error("0", "wrong task id"));
        let entry = command_error(&json!({"result": true}));
        assert_eq!(entry["error"], "ERROR_UNEXPECTED_ANSWER");
    }
}
