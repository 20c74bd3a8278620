//! `multipart/form-data` bodies, read for their text fields as PHP reads them.
//!
//! Only what a v2 handler can see matters: text parts become `name=value` pairs (the names
//! are taken as they are, without percent-decoding, and then go through the same bracket
//! rules as a form body); parts with a `filename` parameter are uploads, which PHP keeps out
//! of the parameters (`$_FILES`), so only their description is kept.
//!
//! The `multer` crate splits the body and parses part headers. PHP is more lenient than
//! RFC 7578 (and so than multer): preamble, epilogue, LF-only line ends, padding or junk
//! after a boundary, folded header lines, a body that stops right after a boundary line.
//! [`rfc_framing`] rewrites only that framing, never part contents, before multer reads it;
//! it stays strict where the body cannot be trusted (no boundary, a part whose headers or
//! content never end). The `Content-Disposition` parameters are read by [`header_params`],
//! which follows PHP's quoting rules rather than multer's.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::{future, stream};

use super::{DecodeError, FilePart};

/// Longest boundary accepted. RFC 2046 allows 70 characters; this leaves room for sloppy
/// clients while keeping the delimiter search cheap.
const MAX_BOUNDARY_LEN: usize = 256;

/// A text part: raw name and value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextField {
    pub(crate) name: Vec<u8>,
    pub(crate) value: Vec<u8>,
}

/// The parts of a body that matter to the bridge, in body order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Parts {
    pub(crate) fields: Vec<TextField>,
    pub(crate) files: Vec<FilePart>,
}

fn invalid(message: &str) -> DecodeError {
    DecodeError::InvalidMultipart(message.to_owned())
}

/// The `boundary` parameter of a `multipart/form-data` content type (quoted or not; the
/// parameter name is case-insensitive).
pub(crate) fn boundary(content_type: &str) -> Result<Vec<u8>, DecodeError> {
    let boundary = header_params(content_type.as_bytes())
        .into_iter()
        .find(|(name, _)| name == "boundary")
        .map(|(_, value)| value)
        .ok_or_else(|| invalid("content type has no boundary parameter"))?;
    if boundary.is_empty() {
        return Err(invalid("boundary parameter is empty"));
    }
    if boundary.len() > MAX_BOUNDARY_LEN {
        return Err(invalid("boundary parameter is too long"));
    }
    if boundary.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Err(invalid("boundary parameter contains a line break"));
    }
    Ok(boundary)
}

/// Splits `body` into parts. `max_parts` bounds the number of parts (text and file alike);
/// going over it is [`DecodeError::TooManyVariables`].
pub(crate) fn parse(body: &[u8], boundary: &[u8], max_parts: usize) -> Result<Parts, DecodeError> {
    let boundary = std::str::from_utf8(boundary)
        .map_err(|_| invalid("boundary parameter is not UTF-8"))?
        .to_owned();
    let framed = Bytes::from(rfc_framing(body, boundary.as_bytes(), max_parts)?);
    let body = stream::once(future::ready(Ok::<_, Infallible>(framed)));
    let mut multipart = multer::Multipart::new(body, boundary);
    let read = async move {
        let mut parts = Parts::default();
        while let Some(field) = multipart.next_field().await.map_err(from_multer)? {
            let headers = field.headers();
            let Some(params) = headers
                .get(http::header::CONTENT_DISPOSITION)
                .map(|value| header_params(value.as_bytes()))
            else {
                continue;
            };
            let content_type = headers
                .get(http::header::CONTENT_TYPE)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
            let content = field.bytes().await.map_err(from_multer)?;
            take_part(&mut parts, &params, content_type, &content);
        }
        Ok(parts)
    };
    // The whole body is already in memory, so no poll ever has to wait.
    ready(read).unwrap_or_else(|| Err(invalid("multipart reader stalled")))
}

/// Polls `future` once; `None` if it was not ready.
fn ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// multer's messages may quote field names; ours never quote the request.
fn from_multer(err: multer::Error) -> DecodeError {
    match err {
        multer::Error::ReadHeaderFailed(_)
        | multer::Error::DecodeHeaderName { .. }
        | multer::Error::DecodeHeaderValue { .. }
        | multer::Error::IncompleteHeaders => invalid("part headers are malformed"),
        _ => invalid("body framing is malformed"),
    }
}

/// The body with PHP's lenient framing rewritten as RFC 7578 framing: no preamble or
/// epilogue, CRLF after every delimiter and header line, header lines unfolded, trimmed,
/// and without the colon-less lines PHP ignores, and a closing delimiter. Part contents are
/// copied unchanged. Counts parts against `max_parts` on the way.
fn rfc_framing(body: &[u8], boundary: &[u8], max_parts: usize) -> Result<Vec<u8>, DecodeError> {
    let mut delimiter = Vec::with_capacity(boundary.len() + 2);
    delimiter.extend_from_slice(b"--");
    delimiter.extend_from_slice(boundary);

    let mut pos = if body.starts_with(&delimiter) {
        0
    } else {
        find_delimiter_line(body, 0, &delimiter)
            .ok_or_else(|| invalid("body does not contain the boundary"))?
            + 1
    };

    let mut out = Vec::with_capacity(body.len() + 64);
    let mut count = 0usize;
    loop {
        let part_start = out.len();
        out.extend_from_slice(&delimiter);
        pos += delimiter.len();
        let rest = body.get(pos..).unwrap_or_default();
        if rest.starts_with(b"--") {
            // Closing delimiter; whatever follows is epilogue.
            out.extend_from_slice(b"--");
            return Ok(out);
        }
        let Some(line_end) = rest.iter().position(|&b| b == b'\n') else {
            if rest.iter().all(u8::is_ascii_whitespace) {
                // The body stops after a boundary line: nothing more to read.
                out.extend_from_slice(b"--");
                return Ok(out);
            }
            return Err(invalid("part headers are not terminated"));
        };
        count += 1;
        if count > max_parts {
            return Err(DecodeError::TooManyVariables { limit: max_parts });
        }
        out.extend_from_slice(b"\r\n");
        let (content_start, any_header) = copy_headers(body, pos + line_end + 1, &mut out)?;
        let line_break = find_delimiter_line(body, content_start.saturating_sub(1), &delimiter)
            .ok_or_else(|| invalid("part is not terminated by a boundary"))?;
        let mut content_end = line_break.max(content_start);
        if content_end > content_start && body.get(content_end - 1) == Some(&b'\r') {
            content_end -= 1;
        }
        if any_header {
            out.extend_from_slice(body.get(content_start..content_end).unwrap_or_default());
            out.extend_from_slice(b"\r\n");
        } else {
            // multer cannot frame a part without headers; PHP drops it anyway (no name).
            out.truncate(part_start);
        }
        pos = line_break + 1;
    }
}

/// Index of the first `\n` at or after `from` that is directly followed by `delimiter`.
fn find_delimiter_line(body: &[u8], from: usize, delimiter: &[u8]) -> Option<usize> {
    let mut at = from;
    loop {
        let offset = body.get(at..)?.iter().position(|&b| b == b'\n')?;
        let line_break = at + offset;
        if body
            .get(line_break + 1..)
            .is_some_and(|rest| rest.starts_with(delimiter))
        {
            return Some(line_break);
        }
        at = line_break + 1;
    }
}

/// Copies the header lines from `start` up to the empty line into `out` as `name: value`
/// CRLF lines (folded lines joined with a space), then the empty line. Returns where the
/// content starts and whether any header was copied.
fn copy_headers(
    body: &[u8],
    start: usize,
    out: &mut Vec<u8>,
) -> Result<(usize, bool), DecodeError> {
    let mut at = start;
    let mut open = false;
    let mut any = false;
    loop {
        let rest = body.get(at..).unwrap_or_default();
        let offset = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| invalid("part headers are not terminated"))?;
        let line = rest.get(..offset).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        at += offset + 1;
        if matches!(line.first(), Some(b' ' | b'\t')) {
            if open {
                out.push(b' ');
                out.extend_from_slice(line.trim_ascii());
            }
            continue;
        }
        if open {
            out.extend_from_slice(b"\r\n");
            open = false;
        }
        if line.is_empty() {
            out.extend_from_slice(b"\r\n");
            return Ok((at, any));
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            out.extend_from_slice(line.get(..colon).unwrap_or_default().trim_ascii());
            out.extend_from_slice(b": ");
            out.extend_from_slice(line.get(colon + 1..).unwrap_or_default().trim_ascii());
            open = true;
            any = true;
        }
    }
}

/// Files one part under text fields or files; parts without a name are dropped like PHP
/// drops them.
fn take_part(
    parts: &mut Parts,
    params: &[(String, Vec<u8>)],
    content_type: Option<String>,
    content: &[u8],
) {
    let param = |wanted: &str| {
        params
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.as_slice())
    };
    let Some(name) = param("name").filter(|name| !name.is_empty()) else {
        return;
    };
    match param("filename") {
        Some(file_name) => parts.files.push(FilePart {
            field: String::from_utf8_lossy(name).into_owned(),
            file_name: String::from_utf8_lossy(basename(file_name)).into_owned(),
            content_type,
            size: content.len(),
        }),
        None => parts.fields.push(TextField {
            name: name.to_vec(),
            value: content.to_vec(),
        }),
    }
}

/// The last component of a client-side path (`C:\dir\a.png` → `a.png`), as PHP stores it in
/// `$_FILES[...]['name']`.
fn basename(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/' || b == b'\\') {
        Some(sep) => path.get(sep + 1..).unwrap_or_default(),
        None => path,
    }
}

/// The `key=value` parameters after the first `;` of a header value. Keys are lower-cased;
/// values may be bare (trimmed, up to the next `;`) or quoted with `"` or `'`, where a
/// backslash escapes the quote or itself. A key without `=` gets an empty value.
pub(crate) fn header_params(value: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut params = Vec::new();
    let Some(first) = value.iter().position(|&b| b == b';') else {
        return params;
    };
    let mut i = first + 1;
    loop {
        while matches!(value.get(i), Some(b' ' | b'\t' | b';')) {
            i += 1;
        }
        if i >= value.len() {
            return params;
        }
        let key_start = i;
        while value.get(i).is_some_and(|&b| b != b'=' && b != b';') {
            i += 1;
        }
        let key = value.get(key_start..i).unwrap_or_default().trim_ascii();
        let key = String::from_utf8_lossy(key).to_ascii_lowercase();
        if value.get(i) != Some(&b'=') {
            params.push((key, Vec::new()));
            continue;
        }
        i += 1;
        while matches!(value.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let param_value = match value.get(i).copied() {
            Some(quote @ (b'"' | b'\'')) => {
                i += 1;
                let mut text = Vec::new();
                loop {
                    match value.get(i).copied() {
                        None => break,
                        Some(b'\\')
                            if value
                                .get(i + 1)
                                .is_some_and(|&next| next == quote || next == b'\\') =>
                        {
                            text.extend(value.get(i + 1).copied());
                            i += 2;
                        }
                        Some(b) if b == quote => {
                            i += 1;
                            break;
                        }
                        Some(b) => {
                            text.push(b);
                            i += 1;
                        }
                    }
                }
                while value.get(i).is_some_and(|&b| b != b';') {
                    i += 1;
                }
                text
            }
            _ => {
                let start = i;
                while value.get(i).is_some_and(|&b| b != b';') {
                    i += 1;
                }
                value
                    .get(start..i)
                    .unwrap_or_default()
                    .trim_ascii()
                    .to_vec()
            }
        };
        params.push((key, param_value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(value: &str) -> Vec<(String, String)> {
        header_params(value.as_bytes())
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn header_parameters_quoted_and_bare() {
        assert_eq!(
            params(r#"form-data; name="fields[TITLE]"; filename="a;b.txt""#),
            vec![pair("name", "fields[TITLE]"), pair("filename", "a;b.txt")]
        );
        assert_eq!(
            params("form-data;NAME=plain ; Filename = x.png"),
            vec![pair("name", "plain"), pair("filename", "x.png")]
        );
        assert_eq!(
            params(r#"form-data; name="say \"hi\" \\ now""#),
            vec![pair("name", r#"say "hi" \ now"#)]
        );
        assert_eq!(
            params("form-data; name='single'"),
            vec![pair("name", "single")]
        );
        assert_eq!(
            params("form-data; flag; name="),
            vec![pair("flag", ""), pair("name", "")]
        );
        assert_eq!(
            params(r#"form-data; name="unterminated"#),
            vec![pair("name", "unterminated")]
        );
        assert_eq!(params("form-data"), vec![]);
    }

    #[test]
    fn boundary_parameter() {
        assert_eq!(
            boundary("multipart/form-data; boundary=abc").unwrap(),
            b"abc"
        );
        assert_eq!(
            boundary(r#"multipart/form-data; BOUNDARY="a b;c"; charset=utf-8"#).unwrap(),
            b"a b;c"
        );
        assert!(matches!(
            boundary("multipart/form-data"),
            Err(DecodeError::InvalidMultipart(_))
        ));
        assert!(matches!(
            boundary("multipart/form-data; boundary="),
            Err(DecodeError::InvalidMultipart(_))
        ));
        let long = format!("multipart/form-data; boundary={}", "x".repeat(300));
        assert!(matches!(
            boundary(&long),
            Err(DecodeError::InvalidMultipart(_))
        ));
    }

    #[test]
    fn file_names_lose_client_paths() {
        assert_eq!(basename(br"C:\Users\me\photo.png"), b"photo.png");
        assert_eq!(basename(b"/tmp/a.txt"), b"a.txt");
        assert_eq!(basename(b"plain.txt"), b"plain.txt");
        assert_eq!(basename(b"dir/"), b"");
    }

    #[test]
    fn empty_part_content_and_lf_line_ends() {
        let body = b"--b\nContent-Disposition: form-data; name=a\n\n--b\nContent-Disposition: form-data; name=c\n\nx\n--b--";
        let parts = parse(body, b"b", 10).unwrap();
        assert_eq!(
            parts.fields,
            vec![
                TextField {
                    name: b"a".to_vec(),
                    value: Vec::new()
                },
                TextField {
                    name: b"c".to_vec(),
                    value: b"x".to_vec()
                },
            ]
        );
    }

    #[test]
    fn folded_header_lines_are_joined() {
        let body =
            b"--b\r\nContent-Disposition: form-data;\r\n\tname=\"folded\"\r\n\r\nv\r\n--b--\r\n";
        let parts = parse(body, b"b", 10).unwrap();
        assert_eq!(parts.fields.len(), 1);
        assert_eq!(
            parts.fields.first().map(|f| f.name.as_slice()),
            Some(&b"folded"[..])
        );
    }

    #[test]
    fn headerless_parts_are_dropped_and_the_body_may_stop_after_a_boundary_line() {
        let body =
            b"--b\r\n\r\nlost\r\n--b  \r\nContent-Disposition: form-data; name=k\r\n\r\nv\r\n--b ";
        let parts = parse(body, b"b", 10).unwrap();
        assert_eq!(
            parts.fields,
            vec![TextField {
                name: b"k".to_vec(),
                value: b"v".to_vec()
            }]
        );
    }

    #[test]
    fn malformed_part_headers_are_refused() {
        let body = b"--b\r\nBad Name: x\r\n\r\nv\r\n--b--";
        assert_eq!(
            parse(body, b"b", 10),
            Err(invalid("part headers are malformed"))
        );
    }

    #[test]
    fn content_keeps_inner_line_breaks_and_boundary_lookalikes() {
        let body = b"--xyz\r\nContent-Disposition: form-data; name=t\r\n\r\nline1\r\nline2 --xyz\r\n--xyz--";
        let parts = parse(body, b"xyz", 10).unwrap();
        assert_eq!(
            parts.fields.first().map(|f| f.value.as_slice()),
            Some(&b"line1\r\nline2 --xyz"[..])
        );
    }
}
