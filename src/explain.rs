//! `b24bridge translate`: how one v2 call would be served, in words and requests.

use serde_json::Value;

use crate::decode::{self, DecodeLimits};
use crate::route::{split_suffix, Format};
use crate::rules::{MethodRoute, RuleSet};
use crate::translate::{self, Context};

/// Explains a call. `params` is a JSON object or a query string.
pub fn explain(
    rules: &RuleSet,
    method: &str,
    params: Option<&str>,
    user_id: u64,
) -> Result<String, String> {
    let (name, format) = split_suffix(method.trim());
    let name = name.to_ascii_lowercase();
    let limits = DecodeLimits::default();
    let params_text = params.unwrap_or("").trim();
    let is_json = params_text.starts_with('{') || params_text.starts_with('[');
    let decoded = if is_json {
        decode::decode_request(
            None,
            Some("application/json"),
            params_text.as_bytes(),
            &limits,
        )
    } else {
        decode::decode_request(Some(params_text), None, b"", &limits)
    }
    .map_err(|e| format!("the parameters cannot be read: {e}"))?;

    let mut out = format!("method:     {name}\n");
    out.push_str(&format!(
        "parameters: {}\n",
        serde_json::to_string(&Value::Object(decoded.params.clone())).unwrap_or_default()
    ));
    if !is_json {
        for name in unclosed_brackets(params_text) {
            out.push_str(&format!(
                "note:       the name {name:?} has a '[' without its ']': an '=' inside brackets \
                 ends the name, as in PHP; send it as %3D (filter%5B%3E%3DID%5D=10) or pass JSON\n"
            ));
        }
    }
    let rule = match rules.route(&name) {
        None => {
            out.push_str("route:      v2, passed through untouched (no rule for this method)\n");
            return Ok(out);
        }
        Some(MethodRoute::V2) => {
            out.push_str(
                "route:      v2, passed through untouched (its rule says mode = \"v2\")\n",
            );
            return Ok(out);
        }
        Some(MethodRoute::Deny) => {
            out.push_str(
                "route:      denied: answered 403 ACCESS_DENIED (its rule says mode = \"deny\")\n",
            );
            return Ok(out);
        }
        Some(MethodRoute::V3(rule)) => rule,
        Some(MethodRoute::Shadow(rule)) => {
            out.push_str("route:      v2, answered untouched; a read is also translated as below and compared (mode = \"shadow\")\n");
            rule
        }
    };
    if format == Format::Xml {
        out.push_str(
            "route:      v2, passed through untouched (XML output is rendered by v2 only)\n",
        );
        return Ok(out);
    }
    let ctx = Context::for_rules(rules, Some(user_id));
    match translate::plan(rule, &decoded.params, ctx) {
        Err(why) => {
            let action = match rule.fallback {
                crate::rules::Fallback::V2 => {
                    "the call is passed through to v2 unchanged (fallback = \"v2\")"
                }
                crate::rules::Fallback::Error => {
                    "the call is refused with 400 INVALID_ARG_VALUE (fallback = \"error\")"
                }
            };
            out.push_str(&format!("route:      fallback: REST 3.0 cannot express this call: {}\n            {action}\n", why.0));
        }
        Ok(translate::Plan::Refuse(error)) => {
            out.push_str(&format!(
                "route:      answered by the bridge without a request, as v2 answers this call:\n            {} {{\"error\":{:?},\"error_description\":{:?}}}\n",
                error.status, error.code, error.description
            ));
        }
        Ok(plan) => {
            out.push_str(&format!(
                "route:      v3, served by REST 3.0 (rule kind {:?}, entity {})\n",
                rule.kind, rule.entity.name
            ));
            let write = plan.is_write();
            let calls = translate::answer::first_round(rules, rule, plan, Some(user_id));
            let requests = translate::answer::requests_for(&calls, rules.v3_batch_size);
            let how = if write {
                "each alone, the write with an Idempotency-Key"
            } else if calls.len() > 1 {
                "packed into REST 3.0 batches"
            } else {
                "one request"
            };
            out.push_str(&format!(
                "round 1:    {} call(s), {how}: {requests} request(s) to the portal\n",
                calls.len()
            ));
            for (i, call) in calls.iter().enumerate() {
                let mut query = call.query.clone();
                translate::answer::resolve_round_refs(&mut query, &mut |k, path| {
                    Some(Value::String(format!(
                        "<{path} answered by call {}>",
                        k + 1
                    )))
                });
                out.push_str(&format!(
                    "  {:>2}. POST /rest/api/{{user_id}}/{{code}}/{} {}\n",
                    i + 1,
                    call.method,
                    Value::Object(query)
                ));
            }
            out.push_str("later:      further rounds only to count beyond what round 1 reaches, or to read every row of a method that answers all of them\n");
            out.push_str("memory:     a counted total and rows read ahead answer the next pages of the same query for a while (total_ttl, read_ahead_ttl); this assumes none is known yet\n");
        }
    }
    Ok(out)
}

/// Names in a query string whose last `[` is never closed: usually an `=` typed inside
/// brackets (`filter[>=ID]=10` reads as the name `filter[>`), which PHP, and so the v2
/// server, turns into a different parameter.
fn unclosed_brackets(query: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|pair| {
            let raw = pair.split('=').next().unwrap_or_default();
            let name = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
            let open = name.rfind('[')?;
            (!name[open..].contains(']')).then(|| name.into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_equals_sign_inside_brackets_is_pointed_out() {
        assert_eq!(
            unclosed_brackets("filter[>=ID]=10&select[]=TITLE"),
            ["filter[>"]
        );
        assert!(unclosed_brackets("filter%5B%3E%3DID%5D=10&select[]=TITLE").is_empty());
        assert!(unclosed_brackets("taskId=5").is_empty());
    }
}
