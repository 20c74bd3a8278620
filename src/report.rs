//! `b24bridge report`: what the shadow diff log and the access log say about each v2
//! method, and whether it is ready for `mode = "v3"`.
//!
//! Pure: [`Summary`] takes log lines one by one (malformed lines are counted, never
//! fatal) and [`render`] turns it into the text the command prints. Reading the files is
//! the command's job (`commands::report`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Exit status when a log file cannot be read.
pub const EXIT_UNREADABLE: u8 = 2;

/// Comparisons a method needs, without a mismatch, before it is called ready.
pub const DEFAULT_MIN_COMPARISONS: u64 = 100;

/// How many mismatching paths are listed per method.
const TOP_PATHS: usize = 5;

/// Longest example value shown, in characters.
const EXAMPLE_CHARS: usize = 60;

/// How the lines of one log file were used.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LineCounts {
    /// Records counted.
    pub records: u64,
    /// Valid JSON lines that are not records (other access log lines).
    pub ignored: u64,
    /// Lines that are not JSON or lack a record's fields; skipped.
    pub malformed: u64,
}

/// One generalised path that differed, with an example pair of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFigures {
    /// Comparisons in which the path differed.
    pub comparisons: u64,
    pub example_v2: String,
    pub example_v3: String,
}

/// A method's shadow comparisons and skips, from the diff log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShadowFigures {
    pub matches: u64,
    pub mismatches: u64,
    /// Skipped comparisons by reason.
    pub skips: BTreeMap<String, u64>,
    /// REST 3.0 requests the comparisons made, summed.
    pub v3_requests: u64,
    /// Differing paths with array indexes generalised to `[*]`.
    pub paths: BTreeMap<String, PathFigures>,
}

impl ShadowFigures {
    pub fn comparisons(&self) -> u64 {
        self.matches + self.mismatches
    }

    pub fn skipped(&self) -> u64 {
        self.skips.values().sum()
    }

    /// The most frequent paths first (ties by name), at most `TOP_PATHS`.
    pub fn top_paths(&self) -> Vec<(&str, &PathFigures)> {
        let mut paths: Vec<(&str, &PathFigures)> =
            self.paths.iter().map(|(p, f)| (p.as_str(), f)).collect();
        paths.sort_by(|a, b| b.1.comparisons.cmp(&a.1.comparisons).then(a.0.cmp(b.0)));
        paths.truncate(TOP_PATHS);
        paths
    }
}

/// A method's requests through the bridge, from the access log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AccessFigures {
    pub calls: u64,
    /// Calls by route (`v3`, `v2`, `v2-fallback`, `v2-shadow`, ...).
    pub routes: BTreeMap<String, u64>,
    /// Calls that fell back to v2, by reason.
    pub fallbacks: BTreeMap<String, u64>,
    /// Portal requests of the calls routed `v3`, summed.
    pub v3_requests: u64,
}

impl AccessFigures {
    pub fn served_by_v3(&self) -> u64 {
        self.routes.get("v3").copied().unwrap_or(0)
    }
}

/// Everything known about one v2 method.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MethodSummary {
    pub shadow: Option<ShadowFigures>,
    pub access: Option<AccessFigures>,
}

/// What the command recommends for a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recommendation {
    Ready {
        comparisons: u64,
    },
    Mismatches {
        mismatches: u64,
        comparisons: u64,
        top_path: Option<String>,
    },
    TooFew {
        comparisons: u64,
        needed: u64,
    },
    /// No shadow data: what the access log shows.
    AccessOnly {
        calls: u64,
        served_by_v3: u64,
    },
}

/// Both logs, summarised per method.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub methods: BTreeMap<String, MethodSummary>,
    pub diff_log: LineCounts,
    /// `None` when no access log was given.
    pub access_log: Option<LineCounts>,
    /// Access log requests that name no v2 method (probes, REST 3.0 pass-through, refused).
    pub requests_without_method: u64,
    /// Earliest and latest `ts` of the diff log's records.
    pub diff_period: Option<(String, String)>,
}

/// Summarises a diff log and, when given, an access log, each as whole text.
pub fn summarize(diff_log: &str, access_log: Option<&str>) -> Summary {
    let mut summary = Summary::default();
    for line in diff_log.lines() {
        summary.add_diff_line(line.as_bytes());
    }
    if let Some(access_log) = access_log {
        summary.start_access_log();
        for line in access_log.lines() {
            summary.add_access_line(line.as_bytes());
        }
    }
    summary
}

/// A JSON object from one line; `None` for a blank line, `Some(None)` for anything else
/// that is not an object.
fn parse_line(line: &[u8]) -> Option<Option<serde_json::Map<String, Value>>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    })
}

fn text<'a>(record: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    record.get(key).and_then(Value::as_str)
}

fn count(record: &serde_json::Map<String, Value>, key: &str) -> u64 {
    record.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// `tasks.task.list.json` and `TASKS.TASK.LIST` are the same method.
fn method_name(raw: &str) -> String {
    let name = raw.trim().to_ascii_lowercase();
    match name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".xml"))
    {
        Some(bare) => bare.to_owned(),
        None => name,
    }
}

/// `$.result.tasks[7].title` → `$.result.tasks[*].title`.
pub fn generalise_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(']') {
            out.push('*');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// A value as shown in an example: JSON, cut to `EXAMPLE_CHARS` characters.
fn example(value: Option<&Value>) -> String {
    let shown = match value {
        Some(value) => serde_json::to_string(value).unwrap_or_default(),
        None => "(absent)".to_owned(),
    };
    if shown.chars().count() <= EXAMPLE_CHARS {
        return shown;
    }
    let mut cut: String = shown.chars().take(EXAMPLE_CHARS).collect();
    cut.push('…');
    cut
}

impl Summary {
    /// Counts one line of the shadow diff log.
    pub fn add_diff_line(&mut self, line: &[u8]) {
        let Some(record) = parse_line(line) else {
            return;
        };
        let Some(record) = record else {
            self.diff_log.malformed += 1;
            return;
        };
        let (Some(method), Some(outcome)) = (text(&record, "method"), text(&record, "outcome"))
        else {
            self.diff_log.malformed += 1;
            return;
        };
        let method = method_name(method);
        if method.is_empty() || !matches!(outcome, "match" | "mismatch" | "skip") {
            self.diff_log.malformed += 1;
            return;
        }
        self.diff_log.records += 1;
        if let Some(ts) = text(&record, "ts") {
            let period = self
                .diff_period
                .get_or_insert_with(|| (ts.to_owned(), ts.to_owned()));
            if ts < period.0.as_str() {
                period.0 = ts.to_owned();
            }
            if ts > period.1.as_str() {
                period.1 = ts.to_owned();
            }
        }
        let shadow = self
            .methods
            .entry(method)
            .or_default()
            .shadow
            .get_or_insert_with(ShadowFigures::default);
        match outcome {
            "match" => {
                shadow.matches += 1;
                shadow.v3_requests += count(&record, "v3_requests");
            }
            "mismatch" => {
                shadow.mismatches += 1;
                shadow.v3_requests += count(&record, "v3_requests");
                let mut seen = BTreeSet::new();
                let differences = record.get("mismatches").and_then(Value::as_array);
                for difference in differences.into_iter().flatten() {
                    let Some(path) = difference.get("path").and_then(Value::as_str) else {
                        continue;
                    };
                    let path = generalise_path(path);
                    if !seen.insert(path.clone()) {
                        continue;
                    }
                    let figures = shadow.paths.entry(path).or_insert_with(|| PathFigures {
                        comparisons: 0,
                        example_v2: example(difference.get("v2")),
                        example_v3: example(difference.get("v3")),
                    });
                    figures.comparisons += 1;
                }
            }
            _ => {
                let reason = text(&record, "reason").unwrap_or("").trim();
                let reason = if reason.is_empty() { "unknown" } else { reason };
                *shadow.skips.entry(reason.to_owned()).or_insert(0) += 1;
            }
        }
    }

    /// Marks that an access log is read, even if it turns out empty.
    pub fn start_access_log(&mut self) {
        self.access_log.get_or_insert_with(LineCounts::default);
    }

    /// Counts one line of the bridge's JSON access log.
    pub fn add_access_line(&mut self, line: &[u8]) {
        let Some(record) = parse_line(line) else {
            return;
        };
        let counts = self.access_log.get_or_insert_with(LineCounts::default);
        let Some(record) = record else {
            counts.malformed += 1;
            return;
        };
        if text(&record, "message") != Some("request") {
            counts.ignored += 1;
            return;
        }
        let Some(route) = text(&record, "route").filter(|r| !r.is_empty()) else {
            counts.malformed += 1;
            return;
        };
        counts.records += 1;
        let method = method_name(text(&record, "method").unwrap_or(""));
        if method.is_empty() {
            self.requests_without_method += 1;
            return;
        }
        let access = self
            .methods
            .entry(method)
            .or_default()
            .access
            .get_or_insert_with(AccessFigures::default);
        access.calls += 1;
        *access.routes.entry(route.to_owned()).or_insert(0) += 1;
        match route {
            "v3" => access.v3_requests += count(&record, "v3_requests"),
            "v2-fallback" => {
                let reason = text(&record, "fallback_reason").unwrap_or("").trim();
                let reason = if reason.is_empty() {
                    "(no reason logged)"
                } else {
                    reason
                };
                *access.fallbacks.entry(reason.to_owned()).or_insert(0) += 1;
            }
            _ => {}
        }
    }

    /// The recommendation for one method, `None` when nothing is known of it.
    pub fn recommendation(method: &MethodSummary, min_comparisons: u64) -> Option<Recommendation> {
        if let Some(shadow) = &method.shadow {
            let comparisons = shadow.comparisons();
            return Some(if shadow.mismatches > 0 {
                Recommendation::Mismatches {
                    mismatches: shadow.mismatches,
                    comparisons,
                    top_path: shadow.top_paths().first().map(|(p, _)| (*p).to_owned()),
                }
            } else if comparisons < min_comparisons {
                Recommendation::TooFew {
                    comparisons,
                    needed: min_comparisons,
                }
            } else {
                Recommendation::Ready { comparisons }
            });
        }
        method.access.as_ref().map(|a| Recommendation::AccessOnly {
            calls: a.calls,
            served_by_v3: a.served_by_v3(),
        })
    }
}

/// `part` of `whole` in percent with one decimal, never rounded to 100.0 or 0.0 unless
/// it is exactly that.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    let tenths = (part as f64 * 1000.0 / whole as f64).round() as u64;
    let tenths = if part < whole {
        tenths.min(999)
    } else {
        tenths
    };
    let tenths = if part > 0 { tenths.max(1) } else { tenths };
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn ratio(sum: u64, n: u64) -> String {
    format!("{:.2}", sum as f64 / n as f64)
}

/// Known routes in the order they are listed; others follow by name.
const ROUTE_ORDER: [&str; 7] = [
    "v3",
    "v2-shadow",
    "v2-fallback",
    "v2",
    "v3-direct",
    "local",
    "rejected",
];

fn route_list(routes: &BTreeMap<String, u64>) -> String {
    let known = ROUTE_ORDER
        .iter()
        .filter_map(|r| routes.get(*r).map(|n| (*r, *n)));
    let others = routes
        .iter()
        .filter(|(r, _)| !ROUTE_ORDER.contains(&r.as_str()))
        .map(|(r, n)| (r.as_str(), *n));
    known
        .chain(others)
        .map(|(r, n)| format!("{r} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for Recommendation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recommendation::Ready { comparisons } => write!(
                f,
                "ready for mode = \"v3\" ({}, 0 mismatches)",
                plural(*comparisons, "comparison", "comparisons")
            ),
            Recommendation::Mismatches {
                mismatches,
                comparisons,
                top_path,
            } => {
                write!(
                    f,
                    "keep mode = \"shadow\": {} in {}",
                    plural(*mismatches, "mismatch", "mismatches"),
                    plural(*comparisons, "comparison", "comparisons")
                )?;
                match top_path {
                    Some(path) => write!(f, " (top path {path})"),
                    None => Ok(()),
                }
            }
            Recommendation::TooFew {
                comparisons,
                needed,
            } => write!(
                f,
                "keep mode = \"shadow\": only {}, {needed} needed",
                plural(*comparisons, "comparison", "comparisons")
            ),
            Recommendation::AccessOnly {
                calls,
                served_by_v3,
            } => write!(
                f,
                "no shadow data; served by REST 3.0 in {} of {}",
                percent(*served_by_v3, *calls),
                plural(*calls, "call", "calls")
            ),
        }
    }
}

fn render_lines(out: &mut String, label: &str, counts: &LineCounts, what: (&str, &str)) {
    out.push_str(&format!(
        "{label}: {}",
        plural(counts.records, what.0, what.1)
    ));
    if counts.ignored > 0 {
        out.push_str(&format!(
            ", {} ignored",
            plural(counts.ignored, "other line", "other lines")
        ));
    }
    if counts.malformed > 0 {
        out.push_str(&format!(
            ", {} skipped",
            plural(counts.malformed, "malformed line", "malformed lines")
        ));
    }
}

fn render_method(out: &mut String, name: &str, method: &MethodSummary, min_comparisons: u64) {
    out.push_str(&format!("\n{name}\n"));
    if let Some(access) = &method.access {
        let v3 = access.served_by_v3();
        out.push_str(&format!(
            "  calls: {}, served by REST 3.0: {v3} ({})\n",
            access.calls,
            percent(v3, access.calls)
        ));
        out.push_str(&format!("  routes: {}\n", route_list(&access.routes)));
        if !access.fallbacks.is_empty() {
            out.push_str("  fallbacks to v2:\n");
            let mut reasons: Vec<(&String, &u64)> = access.fallbacks.iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (reason, n) in reasons {
                out.push_str(&format!("    {n:>6}  {reason}\n"));
            }
        }
        if v3 > 0 {
            out.push_str(&format!(
                "  portal requests per call: {} through REST 3.0 (v2: 1)\n",
                ratio(access.v3_requests, v3)
            ));
        }
    }
    if let Some(shadow) = &method.shadow {
        let comparisons = shadow.comparisons();
        out.push_str(&format!(
            "  shadow: {}, {}, {}, match rate {}\n",
            plural(comparisons, "comparison", "comparisons"),
            plural(shadow.matches, "match", "matches"),
            plural(shadow.mismatches, "mismatch", "mismatches"),
            percent(shadow.matches, comparisons)
        ));
        if comparisons > 0 && shadow.v3_requests > 0 {
            out.push_str(&format!(
                "  shadow REST 3.0 requests per comparison: {}\n",
                ratio(shadow.v3_requests, comparisons)
            ));
        }
        if !shadow.skips.is_empty() {
            let reasons: Vec<String> = shadow
                .skips
                .iter()
                .map(|(reason, n)| format!("{reason} {n}"))
                .collect();
            out.push_str(&format!(
                "  skipped: {} ({})\n",
                shadow.skipped(),
                reasons.join(", ")
            ));
        }
        let top = shadow.top_paths();
        if !top.is_empty() {
            out.push_str("  top mismatching paths (comparisons):\n");
            for (path, figures) in top {
                out.push_str(&format!(
                    "    {:>6}  {path}  e.g. v2 {} / v3 {}\n",
                    figures.comparisons, figures.example_v2, figures.example_v3
                ));
            }
        }
    }
    if let Some(recommendation) = Summary::recommendation(method, min_comparisons) {
        out.push_str(&format!("  recommendation: {recommendation}\n"));
    }
}

/// The report as printed: inputs, one block per method (sorted by name), totals.
pub fn render(summary: &Summary, min_comparisons: u64) -> String {
    let mut out = String::new();
    render_lines(
        &mut out,
        "diff log",
        &summary.diff_log,
        ("record", "records"),
    );
    if let Some((first, last)) = &summary.diff_period {
        out.push_str(&format!(", {first} to {last}"));
    }
    out.push('\n');
    if let Some(access_log) = &summary.access_log {
        render_lines(&mut out, "access log", access_log, ("request", "requests"));
        if summary.requests_without_method > 0 {
            out.push_str(&format!(
                " ({} without a v2 method)",
                summary.requests_without_method
            ));
        }
        out.push('\n');
    }
    for (name, method) in &summary.methods {
        render_method(&mut out, name, method, min_comparisons);
    }

    let shadowed: Vec<&ShadowFigures> = summary
        .methods
        .values()
        .filter_map(|m| m.shadow.as_ref())
        .collect();
    let comparisons: u64 = shadowed.iter().map(|s| s.comparisons()).sum();
    let matches: u64 = shadowed.iter().map(|s| s.matches).sum();
    let mismatches: u64 = shadowed.iter().map(|s| s.mismatches).sum();
    let ready = summary
        .methods
        .values()
        .filter(|m| {
            matches!(
                Summary::recommendation(m, min_comparisons),
                Some(Recommendation::Ready { .. })
            )
        })
        .count() as u64;
    out.push_str(&format!(
        "\ntotals: {}; shadow: {}, {}, match rate {}; ready for mode = \"v3\": {} of {} shadowed",
        plural(summary.methods.len() as u64, "method", "methods"),
        plural(comparisons, "comparison", "comparisons"),
        plural(mismatches, "mismatch", "mismatches"),
        percent(matches, comparisons),
        ready,
        shadowed.len()
    ));
    if summary.access_log.is_some() {
        let accessed = summary.methods.values().filter_map(|m| m.access.as_ref());
        let (calls, v3) = accessed.fold((0, 0), |(c, v), a| (c + a.calls, v + a.served_by_v3()));
        out.push_str(&format!(
            "; {}, served by REST 3.0 {}",
            plural(calls, "call", "calls"),
            percent(v3, calls)
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indexes_are_generalised() {
        assert_eq!(
            generalise_path("$.result.tasks[0].title"),
            "$.result.tasks[*].title"
        );
        assert_eq!(generalise_path("$.a[12][3].b"), "$.a[*][*].b");
        assert_eq!(generalise_path("$.total"), "$.total");
        assert_eq!(generalise_path("$.a[x].b[1"), "$.a[x].b[1");
        assert_eq!(generalise_path("$.a[]"), "$.a[]");
    }

    #[test]
    fn percentages_do_not_round_to_the_ends() {
        assert_eq!(percent(9999, 10000), "99.9%");
        assert_eq!(percent(1, 10000), "0.1%");
        assert_eq!(percent(7, 10), "70.0%");
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(5, 5), "100.0%");
        assert_eq!(percent(0, 5), "0.0%");
        assert_eq!(percent(0, 0), "-");
    }

    const DIFF: &str = r#"{"ts":"2026-12-02T08:00:00Z","method":"tasks.task.list","params_hash":"a","outcome":"mismatch","v3_requests":2,"mismatches":[{"path":"$.result.tasks[0].title","v2":"Report","v3":"report"},{"path":"$.result.tasks[3].title","v2":"A","v3":"a"},{"path":"$.total","v2":"140","v3":"139"}]}
{"ts":"2026-12-02T08:00:01Z","method":"tasks.task.list","outcome":"mismatch","v3_requests":1,"mismatches":[{"path":"$.result.tasks[7].title","v2":"X","v3":"x"}]}
{"ts":"2026-12-02T07:59:00Z","method":"tasks.task.list","outcome":"match","v3_requests":1}
{"ts":"2026-12-02T08:00:02Z","method":"tasks.task.list","outcome":"skip","reason":"budget"}
{"method":"tasks.task.add","outcome":"skip","reason":"write","extra":[1,2]}
{"method":"tasks.task.add","outcome":"skip"}

{"method":"tasks.task.get","outcome":"match"}
{"method":"tasks.task.get","outcome":"oops"}
{"method":"tasks.task.get"
not json at all
[1,2,3]
"#;

    #[test]
    fn the_diff_log_is_counted_per_method_and_generalised_path() {
        let summary = summarize(DIFF, None);
        assert_eq!(
            summary.diff_log,
            LineCounts {
                records: 7,
                ignored: 0,
                malformed: 4
            }
        );
        assert_eq!(
            summary.diff_period,
            Some((
                "2026-12-02T07:59:00Z".to_owned(),
                "2026-12-02T08:00:02Z".to_owned()
            ))
        );
        let list = summary.methods["tasks.task.list"].shadow.as_ref().unwrap();
        assert_eq!(
            (list.matches, list.mismatches, list.comparisons()),
            (1, 2, 3)
        );
        assert_eq!(list.v3_requests, 4);
        assert_eq!(list.skips["budget"], 1);
        let top = list.top_paths();
        assert_eq!(top[0].0, "$.result.tasks[*].title");
        // Two indexes of one comparison count once.
        assert_eq!(top[0].1.comparisons, 2);
        assert_eq!(top[0].1.example_v2, "\"Report\"");
        assert_eq!(top[1].0, "$.total");
        let add = summary.methods["tasks.task.add"].shadow.as_ref().unwrap();
        assert_eq!(add.comparisons(), 0);
        assert_eq!(add.skips["write"], 1);
        assert_eq!(add.skips["unknown"], 1);
    }

    #[test]
    fn recommendations() {
        let summary = summarize(DIFF, None);
        let rec = |m: &str, min| Summary::recommendation(&summary.methods[m], min).unwrap();
        assert_eq!(
            rec("tasks.task.list", 100).to_string(),
            "keep mode = \"shadow\": 2 mismatches in 3 comparisons (top path $.result.tasks[*].title)"
        );
        assert_eq!(
            rec("tasks.task.get", 100).to_string(),
            "keep mode = \"shadow\": only 1 comparison, 100 needed"
        );
        assert_eq!(
            rec("tasks.task.get", 1).to_string(),
            "ready for mode = \"v3\" (1 comparison, 0 mismatches)"
        );
        assert_eq!(
            rec("tasks.task.add", 1).to_string(),
            "keep mode = \"shadow\": only 0 comparisons, 1 needed"
        );
    }

    const ACCESS: &str = r#"{"timestamp":"t","level":"INFO","message":"request","http_method":"POST","path":"/rest/1/***/tasks.task.list.json","method":"tasks.task.list","route":"v3","fallback_reason":"","v3_requests":1,"status":200,"latency_us":62162,"target":"b24bridge::access"}
{"message":"request","method":"tasks.task.list","route":"v3","v3_requests":2}
{"message":"request","method":"tasks.task.list","route":"v2-fallback","fallback_reason":"REST 3.0 cannot filter on TITLE","v3_requests":0}
{"message":"request","method":"tasks.task.list","route":"v2-fallback","fallback_reason":"REST 3.0 cannot filter on TITLE"}
{"message":"request","method":"crm.deal.list","route":"v2"}
{"message":"request","method":"","route":"local","path":"/healthz"}
{"message":"request","method":"crm.deal.list"}
{"message":"b24bridge is serving","listen":"127.0.0.1:8080"}
2026-12-02T07:00:00.000000Z  INFO b24bridge: SIGHUP: reloading the configuration
"#;

    #[test]
    fn the_access_log_counts_only_request_records() {
        let summary = summarize("", Some(ACCESS));
        assert_eq!(
            summary.access_log,
            Some(LineCounts {
                records: 6,
                ignored: 1,
                malformed: 2
            })
        );
        assert_eq!(summary.requests_without_method, 1);
        let list = summary.methods["tasks.task.list"].access.as_ref().unwrap();
        assert_eq!(
            (list.calls, list.served_by_v3(), list.v3_requests),
            (4, 2, 3)
        );
        assert_eq!(list.fallbacks["REST 3.0 cannot filter on TITLE"], 2);
        let text = render(&summary, 100);
        assert!(
            text.contains("  portal requests per call: 1.50 through REST 3.0 (v2: 1)\n"),
            "{text}"
        );
        assert!(
            text.contains("     2  REST 3.0 cannot filter on TITLE\n"),
            "{text}"
        );
        assert!(
            text.contains("recommendation: no shadow data; served by REST 3.0 in 0.0% of 1 call\n"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_report_still_has_totals() {
        let text = render(&summarize("", Some("")), 100);
        assert_eq!(
            text,
            "diff log: 0 records\naccess log: 0 requests\n\ntotals: 0 methods; shadow: 0 comparisons, 0 mismatches, match rate -; ready for mode = \"v3\": 0 of 0 shadowed; 0 calls, served by REST 3.0 -\n"
        );
    }
}
