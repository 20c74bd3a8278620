//! Request paths of a portal:
//!
//! * `/rest/{user}/{code}/{method}[.json|.xml][/]` — v2 with an incoming webhook;
//! * `/rest/{method}[.json|.xml][/]` — v2 with the OAuth token in `auth`;
//! * `/rest/api/{user}/{code}/{method}[/]` — REST 3.0 with a webhook;
//! * `/rest/api/{method}[/]` — REST 3.0 with a token (JSON `auth`, `Authorization: Bearer`,
//!   or `?auth=`).
//!
//! Segments are percent-decoded; method names are matched without regard to case and a
//! `.json` suffix is ignored on both versions.

/// How a request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Webhook user and code from the path; a user segment that is not a number is kept
    /// as `None` (the request then fails authentication).
    Webhook { user: Option<u64>, code: String },
    /// An OAuth access token carried by the request.
    Token,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    V2 {
        auth: Auth,
        method: String,
        xml: bool,
    },
    V3 {
        auth: Auth,
        method: String,
    },
    Health,
    Unknown,
}

fn percent_decode(s: &str) -> String {
    String::from_utf8_lossy(&crate::php::url_decode(s.replace('+', "%2B").as_bytes())).into_owned()
}

fn method(raw: &str) -> (String, bool) {
    let m = raw.trim().to_ascii_lowercase();
    if let Some(s) = m.strip_suffix(".xml") {
        return (s.to_string(), true);
    }
    (m.strip_suffix(".json").unwrap_or(&m).to_string(), false)
}

pub fn route(path: &str) -> Route {
    if path == "/healthz" {
        return Route::Health;
    }
    let Some(rest) = path.strip_prefix("/rest/") else {
        return Route::Unknown;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<String> = rest.split('/').map(percent_decode).collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Route::Unknown;
    }
    let webhook = |user: &str, code: &str| Auth::Webhook {
        user: user.parse::<u64>().ok(),
        code: code.to_string(),
    };
    match segments.as_slice() {
        [api, user, code, m] if api == "api" => Route::V3 {
            auth: webhook(user, code),
            method: method(m).0,
        },
        [api, m] if api == "api" => Route::V3 {
            auth: Auth::Token,
            method: method(m).0,
        },
        [user, code, m] => {
            let (method, xml) = method(m);
            Route::V2 {
                auth: webhook(user, code),
                method,
                xml,
            }
        }
        [m] => {
            let (method, xml) = method(m);
            Route::V2 {
                auth: Auth::Token,
                method,
                xml,
            }
        }
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(user: Option<u64>, code: &str, m: &str) -> Route {
        Route::V2 {
            auth: Auth::Webhook {
                user,
                code: code.into(),
            },
            method: m.into(),
            xml: false,
        }
    }

    #[test]
    fn table() {
        assert_eq!(
            route("/rest/1/hook1/tasks.task.get"),
            v2(Some(1), "hook1", "tasks.task.get")
        );
        assert_eq!(
            route("/rest/1/hook1/Tasks.Task.Get.json/"),
            v2(Some(1), "hook1", "tasks.task.get")
        );
        assert_eq!(route("/rest/x/hook1/batch"), v2(None, "hook1", "batch"));
        assert_eq!(
            route("/rest/batch.xml"),
            Route::V2 {
                auth: Auth::Token,
                method: "batch".into(),
                xml: true
            }
        );
        assert_eq!(
            route("/rest/user.current"),
            Route::V2 {
                auth: Auth::Token,
                method: "user.current".into(),
                xml: false
            }
        );
        assert_eq!(
            route("/rest/api/7/hook7/tasks.task.list/"),
            Route::V3 {
                auth: Auth::Webhook {
                    user: Some(7),
                    code: "hook7".into()
                },
                method: "tasks.task.list".into()
            }
        );
        assert_eq!(
            route("/rest/api/batch"),
            Route::V3 {
                auth: Auth::Token,
                method: "batch".into()
            }
        );
        assert_eq!(
            route("/rest/tasks%2Etask%2Eget"),
            Route::V2 {
                auth: Auth::Token,
                method: "tasks.task.get".into(),
                xml: false
            }
        );
        assert_eq!(route("/healthz"), Route::Health);
        for bad in [
            "/",
            "/rest/",
            "/rest//x",
            "/rest/1/2/3/4",
            "/other/1/hook1/x",
            "/rest/api/1/x/y/z",
        ] {
            assert_eq!(route(bad), Route::Unknown, "{bad}");
        }
    }
}
