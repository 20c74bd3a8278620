//! PHP's `parse_str` of query strings and form (or JSON) bodies into v2 parameters.
#![no_main]

use b24bridge::fuzzing::{decode_request, parse_php_query, DecodeLimits};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/x-www-form-urlencoded"),
    Some("application/json"),
    Some("text/plain"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    // Tight limits make the limit errors reachable too.
    let limits = if selector & 0x80 == 0 {
        DecodeLimits::default()
    } else {
        DecodeLimits {
            max_body_bytes: 512,
            max_vars: 8,
            max_depth: 3,
        }
    };
    let query = String::from_utf8_lossy(input);
    let first = parse_php_query(&query, &limits);
    assert_eq!(
        first,
        parse_php_query(&query, &limits),
        "decoding is deterministic"
    );
    if let Ok(params) = first {
        for name in params.keys() {
            // PHP turns ' ' and '.' into '_' and ends a name at an unclosed '['.
            assert!(
                !name.is_empty() && !name.contains([' ', '.', '[']),
                "top-level name {name:?}"
            );
        }
    }

    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    let with_query = selector & 0x40 != 0;
    let decoded = decode_request(with_query.then_some(&*query), content_type, input, &limits);
    if let Ok(request) = decoded {
        for reserved in ["auth", "bx24_request_id", "bx24_sdk_ver", "bx24_sdk_type"] {
            assert!(
                !request.params.contains_key(reserved),
                "{reserved} left in params"
            );
        }
        assert!(request.files.is_empty(), "files outside multipart");
    }
});
