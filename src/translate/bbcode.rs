//! v2 renders a task result's BBCode `text` as HTML in `formattedText`; REST 3.0 gives the
//! BBCode only. The text is escaped as HTML first (`htmlspecialchars`), then the simple
//! inline tags become their HTML elements. Other tags stay as written (a known deviation:
//! the portal's parser knows more of them).

/// The inline tags turned into HTML, by BBCode name.
const INLINE_TAGS: [&str; 4] = ["b", "i", "u", "s"];

/// BBCode text as the HTML v2 shows in `formattedText`.
pub fn to_html(text: &str) -> String {
    let escaped = escape_html(text);
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        match inline_tag(tail) {
            Some((html, consumed)) => {
                out.push_str(&html);
                rest = &tail[consumed..];
            }
            None => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `[b]`, `[/B]`, … at the start of `text`: the HTML tag and the bytes consumed.
fn inline_tag(text: &str) -> Option<(String, usize)> {
    let close = text.find(']')?;
    let inner = &text[1..close];
    let (slash, name) = match inner.strip_prefix('/') {
        Some(name) => ("/", name),
        None => ("", inner),
    };
    let name = name.to_ascii_lowercase();
    INLINE_TAGS
        .contains(&name.as_str())
        .then(|| (format!("<{slash}{name}>"), close + 1))
}

/// PHP's `htmlspecialchars` with its default flags: `&`, `<`, `>`, `"` and `'`.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_tags_become_html_after_escaping() {
        assert_eq!(
            to_html("respond on [B]Monday[/B]."),
            "respond on <b>Monday</b>."
        );
        assert_eq!(
            to_html("[i]a[/I] & [u]b[/u] [s]c[/s]"),
            "<i>a</i> &amp; <u>b</u> <s>c</s>"
        );
        assert_eq!(to_html("<script>"), "&lt;script&gt;");
        assert_eq!(to_html("[url=x]y[/url] [b"), "[url=x]y[/url] [b");
        assert_eq!(to_html("a [] b"), "a [] b");
    }
}
