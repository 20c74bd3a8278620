//! A v2 request's parameters, read the way the old PHP server read them.
//!
//! A v2 method handler never saw bytes: it saw one parameter array built from the query
//! string and the body (form, multipart or JSON), merged with the query winning. Whatever the
//! bridge later translates must start from that same array, or old clients that relied on PHP
//! quirks (bracket names, last-value-wins, list-vs-map) would get different answers.
//!
//! [`decode_request`] does the whole job: it reads the body by content type, reads the query
//! string, merges them, and takes out the parameters that are not method arguments (`auth`
//! and the SDK telemetry `bx24_*`). [`parse_php_query`] is the PHP `parse_str` step alone,
//! also used for the `method?query` strings inside `batch` commands.
//!
//! Everything here is pure and synchronous, bounded by [`DecodeLimits`], and never panics.

mod multipart;
mod php;
pub mod value;

use std::fmt;

use serde_json::{Map, Value};

/// Default for [`DecodeLimits::max_body_bytes`]: 32 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Default for [`DecodeLimits::max_vars`].
pub const DEFAULT_MAX_VARS: usize = 10_000;
/// Default for [`DecodeLimits::max_depth`] (PHP's default `max_input_nesting_level`).
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Bounds on what one request may make the decoder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest body accepted, in bytes (config `limits.max_body_bytes`).
    pub max_body_bytes: usize,
    /// Most `name=value` pairs (or multipart parts) in the query string, and separately in
    /// the body, like PHP's `max_input_vars` (config `limits.max_vars`).
    pub max_vars: usize,
    /// Deepest nesting: bracket segments of a name (`a[b][c]` is 2), or containers below the
    /// top-level JSON value (`{"a":{"b":1}}` is 1), like PHP's `max_input_nesting_level`
    /// (config `limits.max_depth`). Also bounds the decoder's recursion, so keep it in the
    /// hundreds at most; JSON nested past 128 containers is refused by serde_json itself, as
    /// [`DecodeError::InvalidJson`].
    pub max_depth: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_vars: DEFAULT_MAX_VARS,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// How the body was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body bytes.
    Empty,
    /// `application/x-www-form-urlencoded`, or a body without a content type.
    Form,
    /// `multipart/form-data`.
    Multipart,
    /// `application/json`, `text/json` or any `+json` type.
    Json,
    /// A content type PHP does not parse (e.g. `text/plain`): the body was dropped.
    Ignored,
}

/// An uploaded file of a multipart body. PHP kept these out of the parameters (`$_FILES`);
/// only their description is kept, not their content.
#[derive(Debug, Clone, PartialEq)]
pub struct FilePart {
    /// The part's `name` parameter, as sent.
    pub field: String,
    /// The `filename` parameter without any client-side directory, as PHP reports it.
    pub file_name: String,
    /// The part's own `Content-Type` header.
    pub content_type: Option<String>,
    /// Content length in bytes.
    pub size: usize,
}

/// A decoded v2 request.
#[derive(Clone, PartialEq)]
pub struct V2Request {
    /// The parameters the method handler sees, in PHP's order.
    pub params: Map<String, Value>,
    /// The `auth` parameter (the query's wins over the body's), taken out of `params`.
    pub auth: Option<String>,
    /// `bx24_request_id`, `bx24_sdk_ver`, `bx24_sdk_type`, taken out of `params`, in the
    /// order they appeared.
    pub telemetry: Vec<(String, String)>,
    /// Multipart parts that carried a filename.
    pub files: Vec<FilePart>,
    /// How the body was read.
    pub body_kind: BodyKind,
}

impl V2Request {
    /// The client's `bx24_request_id`, if it sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.telemetry
            .iter()
            .find(|(name, _)| name == REQUEST_ID)
            .map(|(_, value)| value.as_str())
    }
}

impl fmt::Debug for V2Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V2Request")
            .field("params", &self.params)
            .field("auth", &self.auth.as_ref().map(|_| crate::redact::MARKER))
            .field("telemetry", &self.telemetry)
            .field("files", &self.files)
            .field("body_kind", &self.body_kind)
            .finish()
    }
}

/// Why a request could not be decoded. Messages never quote the request itself.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DecodeError {
    #[error("request body is larger than {limit} bytes (limits.max_body_bytes)")]
    BodyTooLarge { limit: usize },
    #[error("request has more than {limit} input variables (limits.max_vars)")]
    TooManyVariables { limit: usize },
    #[error("request parameters are nested deeper than {limit} levels (limits.max_depth)")]
    TooDeep { limit: usize },
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("request body is not valid multipart/form-data: {0}")]
    InvalidMultipart(String),
}

const AUTH: &str = "auth";
const REQUEST_ID: &str = "bx24_request_id";
const TELEMETRY: [&str; 3] = [REQUEST_ID, "bx24_sdk_ver", "bx24_sdk_type"];

/// Decodes a v2 request from its query string (without `?`), `Content-Type` header value and
/// body.
///
/// The body is read by content type (see [`BodyKind`]); the query string's top-level keys
/// then replace the body's (in the body's position) or are appended; finally `auth` and the
/// telemetry parameters are taken out. An oversized body is refused before anything is read.
pub fn decode_request(
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<V2Request, DecodeError> {
    if body.len() > limits.max_body_bytes {
        return Err(DecodeError::BodyTooLarge {
            limit: limits.max_body_bytes,
        });
    }
    let body_kind = body_kind(content_type, body);
    let mut files = Vec::new();
    let mut params = match body_kind {
        BodyKind::Empty | BodyKind::Ignored => Map::new(),
        BodyKind::Form => php::parse_urlencoded(body, limits)?,
        BodyKind::Json => json_params(body, limits)?,
        BodyKind::Multipart => {
            let boundary = multipart::boundary(content_type.unwrap_or_default())?;
            let parts = multipart::parse(body, &boundary, limits.max_vars)?;
            files = parts.files;
            let mut registry = php::Registry::new(limits.max_depth);
            for field in parts.fields {
                registry.register(
                    &field.name,
                    String::from_utf8_lossy(&field.value).into_owned(),
                )?;
            }
            registry.into_map()
        }
    };

    if let Some(query) = query {
        // Top-level replacement: a query key keeps the body key's position, a new one goes last.
        for (name, value) in parse_php_query(query, limits)? {
            params.insert(name, value);
        }
    }

    let auth = params
        .shift_remove(AUTH)
        .and_then(|value| scalar_text(&value));
    let mut telemetry = Vec::new();
    let present: Vec<String> = params
        .keys()
        .filter(|name| TELEMETRY.contains(&name.as_str()))
        .cloned()
        .collect();
    for name in present {
        if let Some(text) = params
            .shift_remove(&name)
            .and_then(|value| scalar_text(&value))
        {
            telemetry.push((name, text));
        }
    }

    Ok(V2Request {
        params,
        auth,
        telemetry,
        files,
        body_kind,
    })
}

/// PHP's `parse_str` of one query string into an ordered object. Used for query strings,
/// form bodies and the `method?query` strings of batch commands.
pub fn parse_php_query(
    input: &str,
    limits: &DecodeLimits,
) -> Result<Map<String, Value>, DecodeError> {
    php::parse_urlencoded(input.as_bytes(), limits)
}

/// Picks the body reader. Only the media type counts: it is compared case-insensitively and
/// ends at `;`, `,` or whitespace, as in PHP.
fn body_kind(content_type: Option<&str>, body: &[u8]) -> BodyKind {
    if body.is_empty() {
        return BodyKind::Empty;
    }
    let Some(content_type) = content_type.map(str::trim).filter(|ct| !ct.is_empty()) else {
        // No content type: curl's default and what the server parsed as a form.
        return BodyKind::Form;
    };
    let media_type = content_type
        .split([';', ',', ' ', '\t'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/x-www-form-urlencoded" => BodyKind::Form,
        "multipart/form-data" => BodyKind::Multipart,
        "application/json" | "text/json" => BodyKind::Json,
        other if other.ends_with("+json") => BodyKind::Json,
        _ => BodyKind::Ignored,
    }
}

/// A JSON body as parameters: an object as it is, an array as positional parameters
/// (`"0"`, `"1"`, … as the old `task.*` methods expect), anything else as none.
fn json_params(body: &[u8], limits: &DecodeLimits) -> Result<Map<String, Value>, DecodeError> {
    check_json_depth(body, limits.max_depth)?;
    let value: Value =
        serde_json::from_slice(body).map_err(|err| DecodeError::InvalidJson(err.to_string()))?;
    Ok(match value {
        Value::Object(map) => map,
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| (i.to_string(), item))
            .collect(),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => Map::new(),
    })
}

/// Refuses JSON with containers nested more than `max_depth` below the top-level value,
/// before the parser recurses into them. Brackets inside strings do not count. On malformed
/// input the count may be off, but then the parser rejects the body anyway.
fn check_json_depth(body: &[u8], max_depth: usize) -> Result<(), DecodeError> {
    let allowed = max_depth.saturating_add(1);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > allowed {
                    return Err(DecodeError::TooDeep { limit: max_depth });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A parameter's text as PHP's `strval` reads it; a `null` parameter is no value at all.
fn scalar_text(value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    value::strval(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_token() {
        let request = decode_request(
            Some("auth=secret-token&ID=1"),
            None,
            b"",
            &DecodeLimits::default(),
        )
        .unwrap();
        let printed = format!("{request:?}");
        assert!(!printed.contains("secret-token"), "{printed}");
        assert!(printed.contains(r#"auth: Some("***")"#), "{printed}");
    }

    #[test]
    fn media_type_selection() {
        let kind = |ct: Option<&str>| body_kind(ct, b"x");
        assert_eq!(kind(None), BodyKind::Form);
        assert_eq!(kind(Some("  ")), BodyKind::Form);
        assert_eq!(
            kind(Some("application/x-www-form-urlencoded")),
            BodyKind::Form
        );
        assert_eq!(kind(Some("APPLICATION/JSON;charset=UTF-8")), BodyKind::Json);
        assert_eq!(kind(Some("application/json, text/plain")), BodyKind::Json);
        assert_eq!(kind(Some("text/json")), BodyKind::Json);
        assert_eq!(kind(Some("application/merge-patch+json")), BodyKind::Json);
        assert_eq!(
            kind(Some("Multipart/Form-Data; boundary=x")),
            BodyKind::Multipart
        );
        assert_eq!(kind(Some("text/plain")), BodyKind::Ignored);
        assert_eq!(kind(Some("application/jsonx")), BodyKind::Ignored);
        assert_eq!(body_kind(Some("application/json"), b""), BodyKind::Empty);
    }

    #[test]
    fn json_depth_counts_containers_below_the_top() {
        assert!(check_json_depth(br#"{"a":{"b":1}}"#, 1).is_ok());
        assert_eq!(
            check_json_depth(br#"{"a":{"b":[1]}}"#, 1),
            Err(DecodeError::TooDeep { limit: 1 })
        );
        assert!(check_json_depth(br#"{"a":"[[[[{{{{\"[[["}"#, 0).is_ok());
        assert!(check_json_depth(br#"[1,[2],[3],{"x":4}]"#, 1).is_ok());
        assert!(check_json_depth(br#"{"a":"\\"}"#, 0).is_ok());
    }

    #[test]
    fn a_null_or_array_parameter_has_no_text() {
        assert_eq!(scalar_text(&serde_json::json!(true)), Some("1".into()));
        assert_eq!(scalar_text(&serde_json::json!(null)), None);
        assert_eq!(scalar_text(&serde_json::json!(["t"])), None);
    }

    #[test]
    fn errors_name_their_config_keys() {
        let text = |e: DecodeError| e.to_string();
        assert!(text(DecodeError::BodyTooLarge { limit: 1 }).contains("limits.max_body_bytes"));
        assert!(text(DecodeError::TooManyVariables { limit: 1 }).contains("limits.max_vars"));
        assert!(text(DecodeError::TooDeep { limit: 1 }).contains("limits.max_depth"));
    }
}
