//! Secrets never leave the process in logs, metrics or error bodies.
//!
//! Two secrets travel in v2 URLs: the incoming-webhook code (a path segment) and OAuth
//! tokens (the `auth` parameter, sometimes `access_token`/`refresh_token`). Everything that
//! prints a target goes through [`target_for_log`].

/// What a secret is replaced with.
pub const MARKER: &str = "***";

const SECRET_PARAMS: [&str; 3] = ["auth", "access_token", "refresh_token"];

/// The request target (path and query) with the webhook code and token parameters masked.
pub fn target_for_log(path: &str, query: Option<&str>) -> String {
    let mut out = redact_path(path);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    out
}

/// Masks the webhook code: the segment after the first all-digit segment (the user id).
/// This covers `/rest/{uid}/{code}/...`, `/rest/api/{uid}/{code}/...`, and the same under a
/// wrong prefix (`/bitrix/rest/1/{code}/...`), which a misconfigured client may send.
pub fn redact_path(path: &str) -> String {
    let mut masked = false;
    let mut after_user_id = false;
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if after_user_id && !masked && !segment.is_empty() {
                masked = true;
                return MARKER;
            }
            after_user_id = !masked && is_digits(segment);
            segment
        })
        .collect();
    segments.join("/")
}

/// Masks the values of secret parameters in a raw query string, leaving the rest as sent.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
            if is_secret_param(&decoded) {
                format!("{name}={MARKER}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// True for parameter names that carry a token (`auth`, `AUTH`, `auth[...]`).
pub fn is_secret_param(name: &str) -> bool {
    let base = name.split('[').next().unwrap_or(name).trim();
    SECRET_PARAMS.iter().any(|s| base.eq_ignore_ascii_case(s))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_code_is_masked_in_v2_and_v3_paths() {
        assert_eq!(
            redact_path("/rest/1/s3cr3t/tasks.task.get"),
            "/rest/1/***/tasks.task.get"
        );
        assert_eq!(
            redact_path("/rest/api/7/s3cr3t/tasks.task.get"),
            "/rest/api/7/***/tasks.task.get"
        );
        assert_eq!(redact_path("/rest/tasks.task.get"), "/rest/tasks.task.get");
        assert_eq!(redact_path("/rest/1/s3cr3t"), "/rest/1/***");
        assert_eq!(
            redact_path("/bitrix/rest/1/s3cr3t/x"),
            "/bitrix/rest/1/***/x"
        );
    }

    #[test]
    fn token_parameters_are_masked_in_queries() {
        assert_eq!(
            redact_query("a=1&auth=tok&AUTH=tok2&access_token=x&b=2"),
            "a=1&auth=***&AUTH=***&access_token=***&b=2"
        );
        assert_eq!(redact_query("%61uth=tok"), "%61uth=***");
    }
}
