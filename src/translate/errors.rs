//! REST 3.0 errors (`{"error": {"code", "message", "validation"}}`) as v2 errors
//! (`{"error", "error_description"}`), by the method's rules, then the global ones.

use serde_json::Value;

use crate::rules::{ErrorAction, ErrorRule};

/// What a v2 client gets for a failed v3 call.
#[derive(Debug, Clone, PartialEq)]
pub enum V2Outcome {
    /// `200 {"result": []}`: how v2 answers some "not found" cases.
    EmptyResult,
    Error {
        status: u16,
        code: String,
        description: String,
    },
    /// The upstream answered in the v2 shape already (system errors): keep it.
    AsIs { status: u16, body: Value },
}

/// Maps a v3 error answer.
pub fn map(
    status: u16,
    body: &Value,
    method_rules: &[ErrorRule],
    global_rules: &[ErrorRule],
) -> V2Outcome {
    let Some(error) = body.get("error") else {
        return V2Outcome::Error {
            status: 502,
            code: "ERROR_UNEXPECTED_ANSWER".into(),
            description: "the portal answered an error without an error code".into(),
        };
    };
    if error.is_string() || error.is_number() {
        return V2Outcome::AsIs {
            status,
            body: body.clone(),
        };
    }
    let code = error
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let validation: Vec<(&str, &str)> = error
        .get("validation")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|v| {
                    (
                        v.get("field").and_then(Value::as_str).unwrap_or(""),
                        v.get("message").and_then(Value::as_str).unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut description = message.clone();
    for (_, m) in &validation {
        if !m.is_empty() {
            if !description.is_empty() {
                description.push(' ');
            }
            description.push_str(m);
        }
    }
    let texts: Vec<String> = std::iter::once(message.as_str())
        .chain(validation.iter().map(|(_, m)| *m))
        .map(str::to_lowercase)
        .collect();
    let matches = |rule: &&ErrorRule| {
        rule.v3.as_deref().is_none_or(|v3| v3 == code)
            && rule
                .field
                .as_deref()
                .is_none_or(|f| validation.iter().any(|(vf, _)| *vf == f))
            && rule
                .message
                .as_deref()
                .is_none_or(|m| texts.iter().any(|t| t.contains(m)))
            && rule.v3_status.is_none_or(|s| s == status)
    };
    match method_rules
        .iter()
        .find(matches)
        .or_else(|| global_rules.iter().find(matches))
    {
        Some(rule) => match &rule.action {
            ErrorAction::EmptyResult => V2Outcome::EmptyResult,
            ErrorAction::PassV3 => V2Outcome::Error {
                status,
                code,
                description,
            },
            ErrorAction::V2 {
                code,
                description: fixed,
                status,
            } => V2Outcome::Error {
                status: *status,
                code: code.clone(),
                description: fixed.clone().unwrap_or(description),
            },
        },
        // A v2-era code that merely arrived nested (a system error such as
        // QUERY_LIMIT_EXCEEDED on /rest/api/) is flattened as it is.
        None if !code.is_empty() && !code.starts_with(V3_CODE_PREFIX) => V2Outcome::Error {
            status,
            code,
            description,
        },
        // A REST 3.0 code no rule translates never reaches a v2 client.
        None if status >= 500 => V2Outcome::Error {
            status: 500,
            code: "INTERNAL_SERVER_ERROR".into(),
            description: "Internal server error".into(),
        },
        None => V2Outcome::Error {
            status: 400,
            code: "ERROR_CORE".into(),
            description,
        },
    }
}

/// The prefix of every REST 3.0 error code.
pub const V3_CODE_PREFIX: &str = "BITRIX_REST_V3_";
