//! `multipart/form-data` bodies: the first input line is the boundary, the rest the body.
#![no_main]

use b24bridge::fuzzing::{decode_request, DecodeLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (boundary, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b"b"[..], data),
    };
    let content_type = format!(
        "multipart/form-data; boundary={}",
        String::from_utf8_lossy(boundary)
    );
    let limits = DecodeLimits {
        max_vars: 16,
        ..DecodeLimits::default()
    };
    let first = decode_request(None, Some(&content_type), body, &limits);
    let again = decode_request(None, Some(&content_type), body, &limits);
    assert_eq!(first, again, "decoding is deterministic");
    if let Ok(request) = first {
        let uploaded: usize = request.files.iter().map(|file| file.size).sum();
        assert!(uploaded <= body.len(), "files larger than the body");
        assert!(request.files.len() <= limits.max_vars);
        for file in &request.files {
            assert!(
                !file.file_name.contains(['/', '\\']),
                "client path kept: {:?}",
                file.file_name
            );
        }
    }
});
