//! Where an incoming request goes, decided from its path alone.
//!
//! v2 calls come in two URL forms: the incoming-webhook form
//! `/rest/{user_id}/{code}/{method}` and the OAuth form `/rest/{method}` (token in the
//! `auth` parameter). Either may carry a `.json` or `.xml` suffix and a trailing slash.
//! `/rest/api/...` is already REST 3.0 and is forwarded untouched. Nothing outside
//! `/rest/` is ever forwarded: the bridge talks to one configured portal and is not an
//! open proxy.

use std::fmt;

/// Response format selected by the method-name suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// How a v2 call authenticates, as far as the path tells.
#[derive(Clone, PartialEq, Eq)]
pub enum V2Auth {
    /// `/rest/{user_id}/{code}/...`: the code is a secret and is never printed.
    Webhook { user_id: u64, code: String },
    /// `/rest/{method}`: the OAuth token travels in the `auth` parameter.
    OAuth,
}

impl fmt::Debug for V2Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V2Auth::Webhook { user_id, .. } => f
                .debug_struct("Webhook")
                .field("user_id", user_id)
                .field("code", &crate::redact::MARKER)
                .finish(),
            V2Auth::OAuth => f.write_str("OAuth"),
        }
    }
}

/// An incoming webhook: the user it acts as and its secret code.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub user_id: u64,
    pub code: String,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("user_id", &self.user_id)
            .field("code", &crate::redact::MARKER)
            .finish()
    }
}

/// A webhook written as `USER_ID/CODE` (the part of its URL after `/rest/`), as operators
/// give one in configuration and on the command line; `None` when it is not of that form.
pub fn parse_webhook(text: &str) -> Option<Webhook> {
    let (user, code) = text.trim().trim_matches('/').split_once('/')?;
    let user_id = user.parse::<u64>().ok()?;
    (!code.is_empty() && is_webhook_code(code)).then(|| Webhook {
        user_id,
        code: code.to_owned(),
    })
}

/// A v2 call: who calls which method in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Call {
    pub auth: V2Auth,
    /// Method name lower-cased, suffix removed: v2 method names are case-insensitive.
    pub method: String,
    pub format: Format,
}

/// The outcome of routing a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /healthz`: liveness of the bridge itself.
    Health,
    /// `GET /readyz`: readiness (upstream configured and reachable, not draining).
    Ready,
    /// A v2 REST call.
    V2(V2Call),
    /// `/rest/api/...`: a REST 3.0 call, forwarded as it is.
    V3,
    /// Anything else; answered locally with a v2-shaped 404.
    Outside,
    /// Under `/rest/` but not a well-formed call (no method, bad segment).
    Malformed(&'static str),
}

/// Routes a request path (without the query string).
pub fn route(path: &str) -> Route {
    match path {
        "/healthz" => return Route::Health,
        "/readyz" => return Route::Ready,
        _ => {}
    }
    let Some(rest) = path.strip_prefix("/rest/") else {
        return Route::Outside;
    };
    // One trailing slash is tolerated (b24phpsdk always sends it).
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    // The first three segments and how many there are, without collecting them.
    let mut first = [""; 3];
    let mut count = 0;
    for segment in segments(rest) {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Route::Malformed("the path has an empty or dot segment");
        }
        if let Some(slot) = first.get_mut(count) {
            *slot = segment;
        }
        count += 1;
    }
    if first[0].eq_ignore_ascii_case("api") {
        return Route::V3;
    }
    match (count, first) {
        (1, [method, _, _]) => v2_call(V2Auth::OAuth, method),
        (3, [user, code, method]) => match user.parse::<u64>() {
            Ok(user_id) if is_webhook_code(code) => v2_call(
                V2Auth::Webhook {
                    user_id,
                    code: (*code).to_owned(),
                },
                method,
            ),
            Ok(_) => Route::Malformed("the webhook code has characters a webhook code cannot have"),
            Err(_) => Route::Malformed("the webhook user id is not a number"),
        },
        (2, _) => Route::Malformed("a webhook path needs /rest/{user_id}/{code}/{method}"),
        _ => Route::Malformed("too many path segments"),
    }
}

fn v2_call(auth: V2Auth, raw_method: &str) -> Route {
    let (name, format) = split_suffix(raw_method);
    let starts_well = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric());
    if !starts_well || !name.bytes().all(is_method_byte) {
        return Route::Malformed("the method name has characters a method name cannot have");
    }
    Route::V2(V2Call {
        auth,
        method: name.to_ascii_lowercase(),
        format,
    })
}

/// The `/`-separated segments of a path, as `str::split('/')` gives them, found by a plain
/// byte scan: paths are short, and the char searcher's set-up cost more than the scan.
pub fn segments(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.bytes().position(|b| b == b'/') {
            // `/` is one byte of ASCII: both sides are whole UTF-8.
            Some(at) => {
                rest = Some(&text[at + 1..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// Splits a `.json`/`.xml` suffix (any case) off a method name.
pub fn split_suffix(raw: &str) -> (&str, Format) {
    let lower_ends = |suffix: &str| {
        raw.len() > suffix.len()
            && raw.is_char_boundary(raw.len() - suffix.len())
            && raw[raw.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    if lower_ends(".json") {
        (&raw[..raw.len() - 5], Format::Json)
    } else if lower_ends(".xml") {
        (&raw[..raw.len() - 4], Format::Xml)
    } else {
        (raw, Format::Json)
    }
}

fn is_method_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-'
}

fn is_webhook_code(code: &str) -> bool {
    code.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn segments_split_like_str_split() {
        for path in [
            "",
            "/",
            "a",
            "a/b",
            "/a/",
            "1/c0de/user.current",
            "a//b",
            "é/ü/",
            "//",
        ] {
            let ours: Vec<&str> = segments(path).collect();
            let std: Vec<&str> = path.split('/').collect();
            assert_eq!(ours, std, "{path:?}");
        }
    }
}
