//! BBCode to HTML, as far as the portal's texts need it: the text is HTML-escaped first,
//! then `[b] [i] [u] [s]` (any case) become tags, `[url]…[/url]` and `[url=…]…[/url]`
//! links, and line breaks `<br />`. The result.list page shows `[B]Monday[/B]` becoming
//! `<b>Monday</b>`.

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Case-insensitive find of an ASCII needle.
fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || from > h.len() || h.len() < n.len() {
        return None;
    }
    (from..=h.len().saturating_sub(n.len())).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn links(text: &str) -> String {
    let mut out = String::new();
    let mut pos = 0;
    while let Some(open) = find_ci(text, "[url", pos) {
        let Some(close_bracket) = text[open..].find(']').map(|i| open + i) else {
            break;
        };
        let Some(end) = find_ci(text, "[/url]", close_bracket) else {
            break;
        };
        let head = &text[open + 4..close_bracket];
        let inner = &text[close_bracket + 1..end];
        let href = head.strip_prefix('=').unwrap_or(inner);
        if !head.is_empty() && !head.starts_with('=') {
            // `[urlx]` is not a link tag
            out.push_str(&text[pos..close_bracket + 1]);
            pos = close_bracket + 1;
            continue;
        }
        out.push_str(&text[pos..open]);
        out.push_str(&format!("<a href=\"{href}\">{inner}</a>"));
        pos = end + "[/url]".len();
    }
    out.push_str(&text[pos..]);
    out
}

/// The HTML of a BBCode text.
pub fn to_html(text: &str) -> String {
    let mut s = escape(text);
    for tag in ["b", "i", "u", "s"] {
        for (from, to) in [
            (format!("[{tag}]"), format!("<{tag}>")),
            (format!("[/{tag}]"), format!("</{tag}>")),
        ] {
            s = replace_ci(&s, &from, &to);
        }
    }
    let s = links(&s);
    s.replace("\r\n", "<br />").replace('\n', "<br />")
}

fn replace_ci(hay: &str, needle: &str, with: &str) -> String {
    let mut out = String::with_capacity(hay.len());
    let mut pos = 0;
    while let Some(i) = find_ci(hay, needle, pos) {
        out.push_str(&hay[pos..i]);
        out.push_str(with);
        pos = i + needle.len();
    }
    out.push_str(&hay[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example() {
        assert_eq!(
            to_html(
                "Sent documents to the client. The client promises to respond on [B]Monday[/B]."
            ),
            "Sent documents to the client. The client promises to respond on <b>Monday</b>."
        );
        assert_eq!(
            to_html("Client signed the documents"),
            "Client signed the documents"
        );
    }

    #[test]
    fn escapes_first_then_converts() {
        assert_eq!(to_html("a & <b> [i]x[/I]"), "a &amp; &lt;b&gt; <i>x</i>");
        assert_eq!(
            to_html("[url=https://x.test/?a=1]site[/url] [URL]https://y.test[/URL]"),
            "<a href=\"https://x.test/?a=1\">site</a> <a href=\"https://y.test\">https://y.test</a>"
        );
        assert_eq!(to_html("one\ntwo"), "one<br />two");
        assert_eq!(to_html("[url"), "[url");
        assert_eq!(to_html("[urlx]y[/url]"), "[urlx]y[/url]");
        assert_eq!(to_html("Отчёт [b]готов[/b]"), "Отчёт <b>готов</b>");
    }
}
