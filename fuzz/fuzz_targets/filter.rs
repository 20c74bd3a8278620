//! v2 filters (`filter[>=ID]=10`, JSON objects, OR groups) into REST 3.0 filters.
#![no_main]

use std::sync::{Arc, LazyLock};

use b24bridge::config::{Config, RawConfig};
use b24bridge::fuzzing::{parse_php_query, translate_filter, DecodeLimits, FilterOptions};
use b24bridge::rules::{MethodRoute, MethodRule};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The built-in `tasks.task.list` rule, loaded as the server loads it.
static RULE: LazyLock<Arc<MethodRule>> = LazyLock::new(|| {
    let mut raw = RawConfig::builtin().expect("built-in rules");
    raw.upstream = Some("http://127.0.0.1:1".into());
    let config = Config::validate(&raw).expect("built-in config");
    match config.rules.route("tasks.task.list") {
        Some(MethodRoute::V3(rule)) => rule.clone(),
        _ => panic!("tasks.task.list has no v3 rule"),
    }
});

fuzz_target!(|data: &[u8]| {
    // JSON as the JS SDK sends it, else a query string as the PHP and Python SDKs do.
    let filter = match serde_json::from_slice::<Value>(data) {
        Ok(value) => value,
        Err(_) => {
            let query = String::from_utf8_lossy(data);
            let Ok(mut params) = parse_php_query(&query, &DecodeLimits::default()) else {
                return;
            };
            params.shift_remove("filter").unwrap_or(Value::Null)
        }
    };
    for and_groups in [false, true] {
        let options = FilterOptions { and_groups };
        let first = translate_filter(&filter, &RULE.entity, options);
        let again = translate_filter(&filter, &RULE.entity, options);
        assert_eq!(
            format!("{first:?}"),
            format!("{again:?}"),
            "translation is deterministic"
        );
    }
});
