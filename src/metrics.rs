//! What the bridge did, for Prometheus (`/metrics` on the admin listener), with
//! `prometheus-client`.
//!
//! Labels only ever carry names the bridge knows the shape of: v2/v3 method names (checked
//! to be method-like and capped in number, so a client cannot grow the series without
//! bound), routes, outcomes and fallback reasons (also capped). Never a path, a query, a
//! webhook code or a token: the method of a portal request is the last segment of its
//! path, which for webhook paths comes after the code.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Distinct method names (and fallback reasons) kept as labels; later ones count as "other".
const MAX_NAMES: usize = 256;

/// A method name kept as a label, interned: every `Name` of one text is the same
/// allocation (see [`Metrics::name`]), so the per-call series lookup hashes and compares a
/// pointer, not the text. The allocation also holds the counters of the series the name
/// was counted in, so that a call finds its counter by a short scan instead of two hashed
/// lookups in the families.
#[derive(Clone)]
pub struct Name(Arc<NameCell>);

struct NameCell {
    text: Box<str>,
    calls: Mutex<Vec<((&'static str, u16), Counter)>>,
    portal: Mutex<Vec<((&'static str, &'static str), Counter)>>,
}

/// Series a name keeps its counters of, per family; beyond, calls look them up.
const CACHED_SERIES: usize = 16;

impl Name {
    fn new(text: &str) -> Name {
        Name(Arc::new(NameCell {
            text: text.into(),
            calls: Mutex::new(Vec::new()),
            portal: Mutex::new(Vec::new()),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0.text
    }
}

/// Increments the counter of `key` among `cached`, found by `look_up` the first time.
fn inc_cached<K: Copy + PartialEq>(
    cached: &Mutex<Vec<(K, Counter)>>,
    key: K,
    look_up: impl FnOnce() -> Counter,
) {
    let mut cached = cached.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, counter)) = cached.iter().find(|(k, _)| *k == key) {
        counter.inc();
        return;
    }
    // The family's own counter: both count into one value.
    let counter = look_up();
    counter.inc();
    if cached.len() < CACHED_SERIES {
        cached.push((key, counter));
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0), state);
    }
}

impl EncodeLabelValue for Name {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// Interned names, found by their text.
#[derive(Clone)]
struct Interned(Name);

impl PartialEq for Interned {
    fn eq(&self, other: &Interned) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Interned {}

impl std::hash::Hash for Interned {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.as_str().hash(state);
    }
}

impl std::borrow::Borrow<str> for Interned {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

/// A multiply-rotate hash of the interned texts, eight bytes a step: every call hashes its
/// method's name, and SipHash cost more than the rest of the lookup. Not keyed: the set is
/// capped at [`MAX_NAMES`], so colliding names cost at most that many comparisons.
#[derive(Clone, Copy, Default)]
struct TextHash;

struct TextHasher(u64);

impl std::hash::BuildHasher for TextHash {
    type Hasher = TextHasher;
    fn build_hasher(&self) -> TextHasher {
        TextHasher(0)
    }
}

impl TextHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for TextHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let tail = chunks.remainder();
        if !tail.is_empty() {
            let mut word = [0u8; 8];
            word[..tail.len()].copy_from_slice(tail);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub method: Name,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FallbackLabels {
    pub method: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PortalLabels {
    pub api: &'static str,
    pub method: Name,
    pub outcome: &'static str,
}

/// The API and method of a portal request, worked out before it is sent.
pub struct PortalSeries {
    api: &'static str,
    method: Name,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ShadowLabels {
    pub method: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PathLabels {
    pub method: String,
    pub path: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

/// Every series the bridge keeps.
pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    fallbacks: Family<FallbackLabels, Counter>,
    portal_requests: Family<PortalLabels, Counter>,
    portal_seconds: Histogram,
    added_seconds: Histogram,
    rate_limit_waits: Counter,
    rate_limit_wait_seconds: Counter<f64>,
    memory_hits: Family<KindLabels, Counter>,
    in_flight: Gauge,
    reloads: Family<OutcomeLabels, Counter>,
    shadow_comparisons: Family<ShadowLabels, Counter>,
    shadow_mismatches: Family<PathLabels, Counter>,
    shadow_skips: Family<FallbackLabels, Counter>,
    names: RwLock<HashSet<Interned, TextHash>>,
    /// The label of names unlike a method or beyond the cap.
    other: Name,
    /// The label of calls without a v2 method.
    none: Name,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    // 100 µs to about 52 s.
    prometheus_client::metrics::histogram::exponential_buckets(0.0001, 2.0, 20)
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("b24bridge");
        let calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "calls",
            "Calls answered, by v2 method, route (v3, v2, fallback, deny, local, v3-direct, rejected) and HTTP status",
            calls.clone(),
        );
        let fallbacks = Family::<FallbackLabels, Counter>::default();
        registry.register(
            "fallbacks",
            "Calls of methods with a v3 rule sent to v2, by method and reason",
            fallbacks.clone(),
        );
        let portal_requests = Family::<PortalLabels, Counter>::default();
        registry.register(
            "portal_requests",
            "HTTP requests sent to the portal, by API (v2, v3), method and outcome",
            portal_requests.clone(),
        );
        let portal_seconds = Histogram::new(latency_buckets());
        registry.register(
            "portal_latency_seconds",
            "Time from sending a request to the portal to its answer's head",
            portal_seconds.clone(),
        );
        let added_seconds = Histogram::new(latency_buckets());
        registry.register(
            "added_latency_seconds",
            "Time a call spent in the bridge, the portal's time taken out",
            added_seconds.clone(),
        );
        let rate_limit_waits = Counter::default();
        registry.register(
            "rate_limit_waits",
            "Times the bridge waited out the portal's rate limit on a request of its own",
            rate_limit_waits.clone(),
        );
        let rate_limit_wait_seconds = Counter::<f64>::default();
        registry.register(
            "rate_limit_wait_seconds",
            "Time spent waiting out the portal's rate limit",
            rate_limit_wait_seconds.clone(),
        );
        let memory_hits = Family::<KindLabels, Counter>::default();
        registry.register(
            "memory_hits",
            "Answers taken from memory: a remembered total (total) or rows read ahead (rows)",
            memory_hits.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "in_flight_calls",
            "Calls being served now",
            in_flight.clone(),
        );
        let reloads = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "config_reloads",
            "Configuration reloads (SIGHUP), by outcome (applied, refused)",
            reloads.clone(),
        );
        let shadow_comparisons = Family::<ShadowLabels, Counter>::default();
        registry.register(
            "shadow_comparisons",
            "Shadowed reads compared with v2's answer, by method and outcome (match, mismatch)",
            shadow_comparisons.clone(),
        );
        let shadow_mismatches = Family::<PathLabels, Counter>::default();
        registry.register(
            "shadow_mismatches",
            "Differences found by shadow comparisons, by method and JSON path (indexes as [*])",
            shadow_mismatches.clone(),
        );
        let shadow_skips = Family::<FallbackLabels, Counter>::default();
        registry.register(
            "shadow_skips",
            "Reads of shadowed methods not compared, by method and reason (budget, write, not_translatable, error)",
            shadow_skips.clone(),
        );
        Metrics {
            registry,
            shadow_comparisons,
            shadow_mismatches,
            shadow_skips,
            calls,
            fallbacks,
            portal_requests,
            portal_seconds,
            added_seconds,
            rate_limit_waits,
            rate_limit_wait_seconds,
            memory_hits,
            in_flight,
            reloads,
            names: RwLock::new(HashSet::default()),
            other: Name::new("other"),
            none: Name::new("-"),
        }
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// `name` as a label: itself when it looks like a method or reason and the cap allows,
    /// else "other".
    fn label(&self, name: &str) -> String {
        self.name(name).as_str().to_owned()
    }

    /// `name` interned as a label: itself when it looks like a method or reason and the
    /// cap allows, else "other".
    fn name(&self, name: &str) -> Name {
        let plain = !name.is_empty()
            && name.len() <= 120
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" ._-:,()=<>!%@*[]$".contains(&b));
        if !plain {
            return self.other.clone();
        }
        // Every call passes here: a known name costs a shared read lock only.
        if let Some(known) = self
            .names
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return known.0.clone();
        }
        let mut names = self.names.write().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = names.get(name) {
            known.0.clone()
        } else if names.len() < MAX_NAMES {
            let interned = if name == "other" {
                self.other.clone()
            } else if name == "-" {
                self.none.clone()
            } else {
                Name::new(name)
            };
            names.insert(Interned(interned.clone()));
            interned
        } else {
            self.other.clone()
        }
    }

    /// A v2 method as the label its calls count under ("-" for none).
    pub fn method_label(&self, method: &str) -> Name {
        if method.is_empty() {
            self.none.clone()
        } else {
            self.name(method)
        }
    }

    pub fn call(&self, method: &str, route: &'static str, status: u16) {
        self.call_as(self.method_label(method), route, status);
    }

    /// One call answered, its method already a label.
    pub fn call_as(&self, method: Name, route: &'static str, status: u16) {
        inc_cached(&method.0.calls, (route, status), || {
            self.calls
                .get_or_create(&CallLabels {
                    method: method.clone(),
                    route,
                    status,
                })
                .clone()
        });
    }

    pub fn fallback(&self, method: &str, reason: &str) {
        self.fallbacks
            .get_or_create(&FallbackLabels {
                method: self.label(method),
                reason: self.label(reason),
            })
            .inc();
    }

    /// One request to the portal at `path`, answered as `outcome` after `head_time`.
    pub fn portal_request(&self, path: &str, outcome: &'static str, head_time: Duration) {
        let series = self.portal_series(path);
        self.portal_request_in(series, outcome, head_time);
    }

    /// The series a request to the portal at `path` counts in; never the path itself.
    pub fn portal_series(&self, path: &str) -> PortalSeries {
        let api = if path.starts_with("/rest/api/") {
            "v3"
        } else {
            "v2"
        };
        PortalSeries {
            api,
            method: self.name(method_of_path(path)),
        }
    }

    /// One request to the portal, answered as `outcome` after `head_time`.
    pub fn portal_request_in(
        &self,
        series: PortalSeries,
        outcome: &'static str,
        head_time: Duration,
    ) {
        let method = &series.method;
        inc_cached(&method.0.portal, (series.api, outcome), || {
            self.portal_requests
                .get_or_create(&PortalLabels {
                    api: series.api,
                    method: method.clone(),
                    outcome,
                })
                .clone()
        });
        self.portal_seconds.observe(head_time.as_secs_f64());
        PORTAL_TIME.try_with(|t| t.set(t.get() + head_time)).ok();
    }

    pub fn rate_limit_wait(&self, pause: Duration) {
        self.rate_limit_waits.inc();
        self.rate_limit_wait_seconds.inc_by(pause.as_secs_f64());
    }

    pub fn memory_hit(&self, kind: &str) {
        self.memory_hits
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .inc();
    }

    pub fn shadow_compared(&self, method: &str, general_paths: &[String]) {
        let method = self.label(method);
        let outcome = if general_paths.is_empty() {
            "match"
        } else {
            "mismatch"
        };
        self.shadow_comparisons
            .get_or_create(&ShadowLabels {
                method: method.clone(),
                outcome: outcome.to_owned(),
            })
            .inc();
        for path in general_paths {
            self.shadow_mismatches
                .get_or_create(&PathLabels {
                    method: method.clone(),
                    path: self.label(path),
                })
                .inc();
        }
    }

    pub fn shadow_skipped(&self, method: &str, reason: &str) {
        self.shadow_skips
            .get_or_create(&FallbackLabels {
                method: self.label(method),
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn reload(&self, applied: bool) {
        let outcome = if applied { "applied" } else { "refused" };
        self.reloads
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts a call in flight until the guard drops.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    pub fn added_latency(&self, added: Duration) {
        self.added_seconds.observe(added.as_secs_f64());
    }
}

/// The method of a portal path: the segment after `/rest/` (`/rest/api/`), or after the
/// user id and code of a webhook path; "" for anything else. Never the code itself.
fn method_of_path(path: &str) -> &str {
    let rest = path
        .strip_prefix("/rest/api/")
        .or_else(|| path.strip_prefix("/rest/"))
        .unwrap_or("");
    let mut segments = crate::route::segments(rest);
    let first = segments.next().unwrap_or("");
    let method = match (segments.next(), segments.next(), segments.next()) {
        (Some(_code), Some(method), None) if first.bytes().all(|b| b.is_ascii_digit()) => method,
        (None, _, _) if !first.bytes().all(|b| b.is_ascii_digit()) => first,
        _ => "",
    };
    method
        .strip_suffix(".json")
        .or_else(|| method.strip_suffix(".xml"))
        .unwrap_or(method)
}

pub struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

tokio::task_local! {
    /// The portal's share of the call being served in this task, for the added latency.
    pub static PORTAL_TIME: Cell<Duration>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_path_gives_only_its_method() {
        let m = Metrics::new();
        m.portal_request(
            "/rest/api/1/s3cr3tcode/tasks.task.get",
            "ok",
            Duration::ZERO,
        );
        m.portal_request("/rest/1/s3cr3tcode/user.current.json", "ok", Duration::ZERO);
        // A webhook path without a method: the code is the last segment.
        m.portal_request("/rest/1/s3cr3tcode", "4xx", Duration::ZERO);
        m.portal_request("/rest/1/s3cr3tcode/", "4xx", Duration::ZERO);
        let text = m.render();
        assert!(!text.contains("s3cr3tcode"), "{text}");
        assert!(
            text.contains(r#"api="v3",method="tasks.task.get",outcome="ok""#),
            "{text}"
        );
        assert!(
            text.contains(r#"api="v2",method="user.current",outcome="ok""#),
            "{text}"
        );
    }

    #[test]
    fn names_beyond_the_cap_or_unlike_methods_count_as_other() {
        let m = Metrics::new();
        for i in 0..MAX_NAMES + 10 {
            m.call(&format!("m{i}"), "v2", 200);
        }
        m.call("a\nb", "v2", 200);
        let text = m.render();
        assert!(text.contains(r#"method="other""#));
        assert!(!text.contains(&format!("m{}", MAX_NAMES + 5)));
    }

    #[test]
    fn cached_series_count_into_the_families() {
        let m = Metrics::new();
        for status in 100..100 + CACHED_SERIES as u16 + 4 {
            for _ in 0..3 {
                m.call("user.current", "v2", status);
            }
        }
        for _ in 0..2 {
            m.portal_request("/rest/1/c0de/user.current", "2xx", Duration::ZERO);
        }
        let text = m.render();
        for status in [100, 100 + CACHED_SERIES as u16 + 3] {
            let line = format!(r#"method="user.current",route="v2",status="{status}"}} 3"#);
            assert!(text.contains(&line), "{line} in {text}");
        }
        assert!(
            text.contains(r#"api="v2",method="user.current",outcome="2xx"} 2"#),
            "{text}"
        );
    }
}
