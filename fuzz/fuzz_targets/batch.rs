//! v2 `batch` bodies: `cmd` strings (`method?query`) and their `$result[...]` references.
#![no_main]

use b24bridge::fuzzing::{
    batch_references, batch_resolve, batch_substitute, decode_request, parse_batch, DecodeLimits,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn check_references(text: &str) {
    for reference in batch_references(text) {
        assert!(reference.start < reference.end && reference.end <= text.len());
        assert!(text[reference.start..reference.end].starts_with("$result["));
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits::default();
    check_references(&String::from_utf8_lossy(data));
    // A batch arrives as a form body (fast_bitrix24, b24pysdk) or as JSON (the JS SDK).
    let content_type = data
        .first()
        .is_some_and(|&b| b == b'{')
        .then_some("application/json");
    let Ok(request) = decode_request(None, content_type, data, &limits) else {
        return;
    };
    let Some(batch) = parse_batch(&request.params, &limits) else {
        return;
    };
    assert_eq!(Some(&batch), parse_batch(&request.params, &limits).as_ref());
    let earlier = json!({"ID": 5, "task": {"id": 7, "tags": ["a", "b"]}, "items": [1, 2]});
    for command in batch.commands {
        assert!(!command.method.is_empty() && command.method != "batch");
        assert_eq!(command.method, command.method.to_ascii_lowercase());
        check_references(&command.raw);
        for reference in batch_references(&command.raw) {
            let _ = batch_resolve(&earlier, &reference.path);
        }
        let mut params = command.params;
        let lookup = |key: &str| (key != "missing").then(|| earlier.clone());
        batch_substitute(&mut params, &lookup);
        let none = |_: &str| -> Option<Value> { None };
        assert!(!batch_substitute(&mut params.clone(), &none));
    }
});
