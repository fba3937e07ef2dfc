//! Model and rule text made safe for each output format: one function per target, so that
//! every writer escapes the same way and every target is tested against the same hostile
//! strings ([`threatforge_model::escape::HOSTILE`]).
//!
//! Every target starts from the same rule for characters: the ones
//! [`threatforge_model::escape::is_hidden`] flags (terminal controls, C1 controls, bidi and
//! other invisible characters) are shown escaped (`\u{1b}`), never passed on, so raw escape
//! sequences reach no file and no terminal that later shows it. Then each target escapes what
//! its syntax would interpret. The terminal's targets live in the model crate
//! ([`threatforge_model::escape::line`] and `block`), where diagnostics use them; the CLI puts
//! every write through [`threatforge_model::escape::ci_log`] last, so that no line reads as a
//! CI runner's command.

use serde::Serialize;
use threatforge_model::escape::{block, command_marks, is_hidden, push_escaped};

/// Text on one line: line breaks and tabs become spaces, other hidden characters are shown
/// escaped.
fn one_line(text: &str, out: &mut String, mut push: impl FnMut(&mut String, char)) {
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => push(out, ' '),
            c if is_hidden(c) => {
                let mut shown = String::new();
                push_escaped(&mut shown, c);
                for s in shown.chars() {
                    push(out, s);
                }
            }
            c => push(out, c),
        }
    }
}

/// Inline Markdown text (a paragraph, a list item, a table cell: GitHub's cmark-gfm) that
/// renders as the text it is: no link, image, raw HTML, heading, list, quote, emphasis,
/// strikethrough, math or code from input. Line breaks become spaces, and the text is trimmed
/// (leading spaces would make an indented code block). `|` is left to [`markdown_row`], the
/// only place it matters.
///
/// Only what Markdown would interpret is escaped, so ordinary text stays readable in the
/// source: `snake_case` keeps its underscore (GFM never emphasizes inside a word), and `.` or
/// `:` are escaped only where an autolink would start.
///
/// Bare URLs: cmark-gfm's autolink extension recognizes a URL when its inline parser meets a
/// `:` followed by `//` (then looks back for `http`, `https` or `ftp`), and a `www.` domain
/// when it meets a `w` and the input there reads `www.` (`extensions/autolink.c`, `url_match`
/// and `www_match`). Both look at the raw input: a backslash before the `:` makes the parser
/// consume `\:` as an escaped character, so `url_match` is never called for it, and `www\.`
/// no longer reads `www.`; both render as the plain `:` and `.`. E-mail addresses are still
/// linked as `mailto:`: that pass runs over the rendered text after merging text nodes, where
/// no escape survives; so are GitHub's mentions (`@user`, which notify) and issue references
/// (`#12`, `owner/repo#12`), found in the rendered text too. For those a zero-width space
/// (`&#8203;`, the entity, so the Markdown source shows it) goes after the `@` or `#`: the
/// e-mail pass needs a letter or digit right after the `@`, as do GitHub's mention and
/// reference patterns.
pub(crate) fn markdown(text: &str) -> String {
    let mut flat = String::with_capacity(text.len());
    one_line(text, &mut flat, |out, c| out.push(c));
    let chars: Vec<char> = flat.trim().chars().collect();
    let mut out = String::with_capacity(chars.len() + 8);
    let digits_before = |i: usize| i > 0 && chars[..i].iter().all(char::is_ascii_digit);
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1);
        let escape = match c {
            '&' => {
                out.push_str("&amp;");
                continue;
            }
            '<' => {
                out.push_str("&lt;");
                continue;
            }
            '>' => {
                out.push_str("&gt;");
                continue;
            }
            '\\' | '`' | '*' | '[' | ']' | '~' | '$' => true,
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            ':' => i == 0 || chars[i + 1..].starts_with(&['/', '/']),
            '.' => (i >= 3 && chars[i - 3..i] == ['w', 'w', 'w']) || digits_before(i),
            ')' => digits_before(i),
            '#' | '+' | '-' | '=' => i == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        let linked = match c {
            '@' => next.is_some_and(char::is_ascii_alphanumeric),
            '#' => next.is_some_and(char::is_ascii_digit),
            _ => false,
        };
        if linked {
            out.push_str(ZERO_WIDTH_SPACE);
        }
    }
    out
}

/// Breaks a mention, an issue reference or an e-mail address without showing anything.
const ZERO_WIDTH_SPACE: &str = "&#8203;";

/// An inline code span showing `text` exactly: the fence is one backtick longer than the
/// longest run of backticks inside, and a space pads text that starts or ends with a backtick
/// or a space (CommonMark strips one from each side). Line breaks become spaces, hidden
/// characters are shown escaped. In a table, write the row with [`markdown_row`], which
/// escapes the `|` that would end the cell.
pub fn markdown_code(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    one_line(text, &mut shown, |out, c| out.push(c));
    if shown.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in shown.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if shown.starts_with(['`', ' ']) || shown.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

/// Text whose `backtick spans` name ids (factor reasons, explanations): each span becomes a
/// code span and the rest is escaped as [`markdown`], keeping the spaces between them. A
/// backtick with no partner is shown as it is.
pub(crate) fn markdown_with_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut parts = text.split('`').peekable();
    let mut inside = false;
    while let Some(part) = parts.next() {
        if inside && parts.peek().is_none() {
            // The last backtick opened nothing: it and what follows are plain text.
            out.push_str(&markdown(&format!("`{part}")));
        } else if inside {
            out.push_str(&markdown_code(part));
        } else {
            let escaped = markdown(part);
            if !escaped.is_empty() {
                if out.is_empty() || part.starts_with(char::is_whitespace) {
                    out.push_str(if out.is_empty() { "" } else { " " });
                }
                out.push_str(&escaped);
                if part.ends_with(char::is_whitespace) && parts.peek().is_some() {
                    out.push(' ');
                }
            } else if !part.is_empty() && !out.is_empty() && parts.peek().is_some() {
                out.push(' ');
            }
        }
        inside = !inside;
    }
    out
}

/// A Markdown table row of cells already escaped with [`markdown`] or [`markdown_code`]:
/// GitHub splits a row at every `|` that no backslash escapes, code spans included, so each is
/// escaped here.
pub(crate) fn markdown_row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = String::from("|");
    for cell in cells {
        let cell = cell.as_ref();
        if !cell.is_empty() {
            out.push(' ');
            out.push_str(&cell.replace('|', "\\|"));
        }
        out.push_str(" |");
    }
    out
}

/// One CSV cell: RFC 4180 quoting, and a cell that a spreadsheet would run as a formula (`=`,
/// `+`, `-`, `@`, tab, carriage return first) prefixed with `'`. Line breaks and tabs are kept
/// (a quoted cell may hold them), other hidden characters are shown escaped.
pub(crate) fn csv(text: &str) -> String {
    let shown = block(text);
    let defused = if shown.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{shown}")
    } else {
        shown.into_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Text safe inside a quoted Mermaid label: quotes, angle brackets, ampersands and `#` become
/// Mermaid's entity codes, so model text can neither break out of the label nor inject markup,
/// and so does a leading backtick, which would make the label a Markdown string (`"` then a
/// backtick opens one; a backtick inside a label is plain text).
pub(crate) fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    one_line(text, &mut out, |out, c| match c {
        '"' => out.push_str("#quot;"),
        '<' => out.push_str("#lt;"),
        '>' => out.push_str("#gt;"),
        '&' => out.push_str("#amp;"),
        '#' => out.push_str("#35;"),
        '`' if out.is_empty() => out.push_str("#96;"),
        c => out.push(c),
    });
    out
}

/// Text safe inside a double-quoted DOT string: backslashes and double quotes are escaped (so
/// model text can neither end the string nor start an escape sequence such as `\N`), `&`, `<`
/// and `>` become the entities Graphviz decodes in labels, line breaks become spaces.
pub(crate) fn dot(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    one_line(text, &mut out, |out, c| match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    });
    out
}

/// Text safe in XML and HTML content and attribute values (SVG, JUnit, HTML inside Markdown):
/// the five special characters become entities (and `=` too, so that no attribute-like text
/// such as `src=` appears in the markup, even as text cut across lines), line breaks and tabs
/// become spaces.
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    one_line(text, &mut out, |out, c| match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        '=' => out.push_str("&#61;"),
        c => out.push(c),
    });
    out
}

/// `value` as pretty-printed JSON, ending with a newline. serde_json escapes only `"`, `\` and
/// C0 controls; here every hidden character is written as a `\u` escape too (DEL, C1 controls
/// and bidi characters would otherwise reach a terminal that shows the file raw), and so is
/// the character that would make a CI runner read a line as a command. The value is the same.
pub(crate) fn json(value: &impl Serialize) -> String {
    json_text(|out| json_to(value, out))
}

/// What a writer of JSON writes, as text; a failure to serialize is said in JSON instead.
pub(crate) fn json_text(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> String {
    let mut bytes = Vec::with_capacity(4096);
    match write(&mut bytes) {
        Ok(()) => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(e) => format!("{{\"error\": \"cannot serialize the output: {e}\"}}\n"),
    }
}

/// [`json`], written to `out` as it is serialized: a report of 50,000 components is hundreds of
/// megabytes, which need not exist in memory at once.
pub(crate) fn json_to(value: &impl Serialize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    json_layout_to(value, usize::MAX, out)
}

/// [`json_lines_to`] as a string.
#[cfg(test)]
pub(crate) fn json_lines(value: &impl Serialize) -> String {
    json_text(|out| json_lines_to(value, out))
}

/// `value` as JSON escaped as [`json`] says, pretty-printed at its two outer levels and with
/// everything deeper on one line: a list of records (the report's threats, a table's entries)
/// reads one record a line, which a person can scan and grep, and has none of the indentation
/// that was a third of a large report. Written to `out` as it is serialized.
pub(crate) fn json_lines_to(
    value: &impl Serialize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    json_layout_to(value, 2, out)
}

fn json_layout_to(
    value: &impl Serialize,
    pretty_levels: usize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let formatter = SafeJson {
        pretty: Default::default(),
        depth: 0,
        pretty_levels,
    };
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// serde_json's pretty printer down to `pretty_levels` nested arrays and objects, compact below,
/// with strings escaped as [`json`] says.
struct SafeJson<'a> {
    pretty: serde_json::ser::PrettyFormatter<'a>,
    /// Arrays and objects open around the next thing written.
    depth: usize,
    pretty_levels: usize,
}

impl SafeJson<'_> {
    fn write_u16_escapes<W: ?Sized + std::io::Write>(
        writer: &mut W,
        c: char,
    ) -> std::io::Result<()> {
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            write!(writer, "\\u{unit:04x}")?;
        }
        Ok(())
    }
}

type Pretty<'a> = serde_json::ser::PrettyFormatter<'a>;

impl<'a> SafeJson<'a> {
    /// Whether the innermost open array or object is laid out on one line.
    fn flat(&self) -> bool {
        self.depth > self.pretty_levels
    }

    /// Opens an array or object: its bracket on this line below the pretty levels, else as the
    /// pretty printer does.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        bracket: &[u8],
        pretty: fn(&mut Pretty<'a>, &mut W) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.depth += 1;
        if self.flat() {
            writer.write_all(bracket)
        } else {
            pretty(&mut self.pretty, writer)
        }
    }

    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        bracket: &[u8],
        pretty: fn(&mut Pretty<'a>, &mut W) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let flat = self.flat();
        self.depth = self.depth.saturating_sub(1);
        if flat {
            writer.write_all(bracket)
        } else {
            pretty(&mut self.pretty, writer)
        }
    }

    /// Before an element or a key: a comma after the first on one line, else the pretty
    /// printer's line and indent.
    fn separate<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
        pretty: fn(&mut Pretty<'a>, &mut W, bool) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        if !self.flat() {
            pretty(&mut self.pretty, writer, first)
        } else if first {
            Ok(())
        } else {
            writer.write_all(b",")
        }
    }

    /// After a value or between a key and its value: `flat` on one line, else the pretty
    /// printer's.
    fn between<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        flat: &[u8],
        pretty: fn(&mut Pretty<'a>, &mut W) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        if self.flat() {
            writer.write_all(flat)
        } else {
            pretty(&mut self.pretty, writer)
        }
    }
}

impl serde_json::ser::Formatter for SafeJson<'_> {
    // The pretty printer sees only the levels it lays out: a one-line value inside one of them
    // is, to it, a value like a number.
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"[", Pretty::begin_array)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"]", Pretty::end_array)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.separate(writer, first, Pretty::begin_array_value)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        self.between(writer, b"", Pretty::end_array_value)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"{", Pretty::begin_object)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"}", Pretty::end_object)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.separate(writer, first, Pretty::begin_object_key)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        self.between(writer, b":", Pretty::begin_object_value)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        self.between(writer, b"", Pretty::end_object_value)
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let marks = command_marks(fragment);
        // ASCII that makes no command (most text, a URI, `a: b`) needs no escape: below 0x7f
        // only control characters are hidden, and the serializer escaped those.
        if marks.is_empty() && fragment.bytes().all(|b| b < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        Self::write_escaped(writer, fragment, &marks)
    }
}

impl SafeJson<'_> {
    /// The fragment with every hidden character and command mark written as a `\u` escape: what
    /// the shortcut above must agree with (a property test holds it to it).
    fn write_escaped<W: ?Sized + std::io::Write>(
        writer: &mut W,
        fragment: &str,
        marks: &[usize],
    ) -> std::io::Result<()> {
        let mut from = 0;
        for (i, c) in fragment.char_indices() {
            if is_hidden(c) || marks.binary_search(&i).is_ok() {
                writer.write_all(&fragment.as_bytes()[from..i])?;
                Self::write_u16_escapes(writer, c)?;
                from = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[from..])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backtick_spans_become_code_spans_and_the_rest_is_escaped() {
        use super::markdown_with_code as m;
        assert_eq!(
            m("flow `a->b` crosses *the* internet"),
            "flow `a->b` crosses \\*the\\* internet"
        );
        assert_eq!(m("`db` is reachable"), "`db` is reachable");
        assert_eq!(m("reaches `db`."), "reaches `db`.");
        assert_eq!(m("a ` alone"), "a \\` alone");
        assert_eq!(m("<b>`x`</b>"), "&lt;b&gt;`x`&lt;/b&gt;");
    }

    use super::*;
    use threatforge_model::escape::HOSTILE;

    proptest::proptest! {
        /// The shortcut for plain text writes what escaping character by character writes.
        #[test]
        fn json_fragment_shortcuts_agree_with_escaping_each_character(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                ":", "::", "#", "##[", "[", " ", "a", "file:///x", "\u{7f}", "\u{9b}",
                "é", "\u{200d}", "\u{202e}",
            ]), 0..24),
        ) {
            let fragment: String = pieces.concat();
            let mut fast = Vec::new();
            serde_json::ser::Formatter::write_string_fragment(
                &mut SafeJson { pretty: Default::default(), depth: 0, pretty_levels: 0 },
                &mut fast,
                &fragment,
            )
                .expect("written");
            let mut reference = Vec::new();
            SafeJson::write_escaped(&mut reference, &fragment, &command_marks(&fragment))
                .expect("written");
            proptest::prop_assert_eq!(fast, reference, "{:?}", fragment);
        }
    }

    fn no_hidden(text: &str, keep: &[char]) -> bool {
        !text.chars().any(|c| is_hidden(c) && !keep.contains(&c))
    }

    #[test]
    fn markdown_keeps_ordinary_text_readable() {
        assert_eq!(
            markdown("Orders API (v2.1) stores card_data for ns_orders, e.g. 3.5 MB."),
            "Orders API (v2.1) stores card_data for ns_orders, e.g. 3.5 MB."
        );
        assert_eq!(markdown("  two\nlines  "), "two lines");
        assert_eq!(markdown("see https://x.example"), "see https\\://x.example");
        assert_eq!(markdown("www.x.example"), "www\\.x.example");
        assert_eq!(markdown("[a](b) ![c](d)"), "\\[a\\](b) !\\[c\\](d)");
        assert_eq!(markdown("<b>&"), "&lt;b&gt;&amp;");
        assert_eq!(markdown("1. x"), "1\\. x");
        assert_eq!(markdown("_x_ a_b"), "\\_x\\_ a_b");
        assert_eq!(markdown("\x1b[2K"), "\\\\u{1b}\\[2K");
        assert_eq!(
            markdown("mail a@b.example, ping @team, see #12"),
            "mail a@&#8203;b.example, ping @&#8203;team, see #&#8203;12"
        );
    }

    #[test]
    fn code_spans_show_their_text() {
        assert_eq!(markdown_code("a-b"), "`a-b`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x``"), "``` `x`` ```");
        assert_eq!(markdown_code("a\nb"), "`a b`");
        assert_eq!(
            markdown_row(&[markdown_code("a|b"), markdown("c|d")]),
            "| `a\\|b` | c\\|d |"
        );
    }

    #[test]
    fn csv_quoting_and_formula_injection() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv("+1"), "'+1");
        assert_eq!(csv("-1"), "'-1");
        assert_eq!(csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv("\x1b[2K"), "\\u{1b}[2K");
    }

    #[test]
    fn labels_cannot_break_out() {
        assert_eq!(mermaid(r#"a"] --> x["b"#), "a#quot;] --#gt; x[#quot;b");
        assert_eq!(
            mermaid("<img src=x onerror=alert(1)>"),
            "#lt;img src=x onerror=alert(1)#gt;"
        );
        assert_eq!(dot(r#"a"] \N <b>"#), r#"a\"] \\N &lt;b&gt;"#);
        assert_eq!(dot("\x1b"), r"\\u{1b}");
        assert_eq!(
            xml("<img src=x onerror=alert(1)> & \"q\" 'a'\u{1}\n"),
            "&lt;img src&#61;x onerror&#61;alert(1)&gt; &amp; &quot;q&quot; &#39;a&#39;\\u{1} "
        );
    }

    #[test]
    fn json_lines_are_pretty_at_two_levels_and_compact_below() {
        let value = serde_json::json!({
            "a": [{ "b": [1, 2], "c": {} }, []],
            "d": { "e": { "f": "g" } },
            "h": []
        });
        assert_eq!(
            json_lines(&value),
            "{\n  \"a\": [\n    {\"b\":[1,2],\"c\":{}},\n    []\n  ],\n  \"d\": {\n    \"e\": {\"f\":\"g\"}\n  },\n  \"h\": []\n}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&json_lines(&value)).expect("JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn json_escapes_what_a_terminal_or_a_runner_would_read() {
        let text = json(&serde_json::json!({ "t": "a\u{7f}\u{9b}\u{202e}##[x] ::y 👍" }));
        assert_eq!(
            text,
            "{\n  \"t\": \"a\\u007f\\u009b\\u202e#\\u0023[x] ::y 👍\"\n}\n"
        );
        let tag = json(&"\u{e0041}");
        assert_eq!(tag, "\"\\udb40\\udc41\"\n");
    }

    /// Markdown parsed as GitHub does (comrak ports cmark-gfm, autolinks and tables included):
    /// the escaped text must come back as one paragraph of text, or one table row of the cells
    /// written, with the same text.
    fn gfm() -> comrak::Options<'static> {
        let mut options = comrak::Options::default();
        options.extension.autolink = true;
        options.extension.table = true;
        options.extension.strikethrough = true;
        options.extension.tasklist = true;
        options.extension.footnotes = true;
        options.extension.math_dollars = true;
        options.extension.math_code = true;
        options
    }

    /// The text of a rendered paragraph, failing on any node that is not plain text.
    fn plain_text<'a>(node: &'a comrak::nodes::AstNode<'a>, out: &mut String) {
        use comrak::nodes::NodeValue;
        for child in node.children() {
            match &child.data.borrow().value {
                NodeValue::Text(t) => out.push_str(t),
                NodeValue::SoftBreak => out.push(' '),
                other => panic!("{other:?} in {out:?}"),
            }
        }
    }

    fn rendered_paragraph(markdown: &str) -> String {
        use comrak::nodes::NodeValue;
        let arena = comrak::Arena::new();
        let root = comrak::parse_document(&arena, markdown, &gfm());
        let blocks: Vec<_> = root.children().collect();
        assert_eq!(blocks.len(), 1, "one block for {markdown:?}");
        assert!(
            matches!(blocks[0].data.borrow().value, NodeValue::Paragraph),
            "a paragraph for {markdown:?}: {:?}",
            blocks[0].data.borrow().value
        );
        let mut text = String::new();
        plain_text(blocks[0], &mut text);
        text
    }

    /// What the reader should see: the text on one line, hidden characters shown escaped, and
    /// a zero-width space where a mention, an issue reference or an e-mail address would link.
    fn expected(text: &str) -> String {
        let mut flat = String::new();
        one_line(text, &mut flat, |out, c| out.push(c));
        let mut out = String::new();
        let mut chars = flat.trim().chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            let next = chars.peek();
            if (c == '@' && next.is_some_and(char::is_ascii_alphanumeric))
                || (c == '#' && next.is_some_and(char::is_ascii_digit))
            {
                out.push('\u{200b}');
            }
        }
        out
    }

    /// A code span shows its text untrimmed, and needs no zero-width space.
    fn expected_code(text: &str) -> String {
        let mut out = String::new();
        one_line(text, &mut out, |out, c| out.push(c));
        out
    }

    #[test]
    fn the_parser_sees_markup_where_github_would() {
        // Without escaping, these are not plain text to the parser the tests rely on.
        for raw in [
            "[Approve this PR](https://evil.example/approve)",
            "![x](https://evil.example/pixel.png)",
            "see https://evil.example/bare",
            "see www.evil.example",
            "mail evil@evil.example",
            "*em* <b>x</b>",
            "$x^2$",
        ] {
            let arena = comrak::Arena::new();
            let root = comrak::parse_document(&arena, raw, &gfm());
            let paragraph = root.first_child().expect("a paragraph");
            assert!(
                paragraph
                    .children()
                    .any(|n| !matches!(n.data.borrow().value, comrak::nodes::NodeValue::Text(_))),
                "{raw}"
            );
        }
    }

    #[test]
    fn markdown_renders_hostile_text_as_text() {
        for text in HOSTILE {
            let escaped = markdown(text);
            assert!(no_hidden(&escaped, &[]), "{text:?}");
            assert_eq!(
                rendered_paragraph(&escaped),
                expected(text),
                "{text:?} as {escaped:?}"
            );
            // Any other place in a line: after a word, in a list item.
            assert_eq!(
                rendered_paragraph(&format!("word {escaped} word")),
                format!("word {} word", expected(text)),
                "{text:?}"
            );
        }
    }

    /// Hostile names inside and outside the backtick spans of a factor's reason: the spans come
    /// back as code, everything else as text, and nothing links or renders.
    #[test]
    fn text_with_code_spans_renders_hostile_names_as_text_or_code() {
        use comrak::nodes::NodeValue;
        for text in HOSTILE {
            for reason in [
                format!("`{text}` is reachable"),
                format!("{text} reaches `db`"),
                format!("flow `a->b` of {text} and `{text}`"),
            ] {
                let escaped = markdown_with_code(&reason);
                assert!(no_hidden(&escaped, &[]), "{reason:?}");
                let arena = comrak::Arena::new();
                let root = comrak::parse_document(&arena, &escaped, &gfm());
                let blocks: Vec<_> = root.children().collect();
                assert_eq!(blocks.len(), 1, "{reason:?} as {escaped:?}");
                for node in blocks[0].children() {
                    assert!(
                        matches!(
                            node.data.borrow().value,
                            NodeValue::Text(_) | NodeValue::Code(_) | NodeValue::SoftBreak
                        ),
                        "{reason:?} as {escaped:?}: {:?}",
                        node.data.borrow().value
                    );
                }
            }
        }
    }

    #[test]
    fn table_cells_stay_cells() {
        use comrak::nodes::NodeValue;
        for text in HOSTILE {
            let row = markdown_row(&[markdown(text), markdown_code(text), "end".to_owned()]);
            let table = format!("| a | b | c |\n|---|---|---|\n{row}\n");
            let arena = comrak::Arena::new();
            let root = comrak::parse_document(&arena, &table, &gfm());
            let table = root.first_child().expect("a table");
            assert!(
                matches!(table.data.borrow().value, NodeValue::Table(_)),
                "{text:?}"
            );
            let rows: Vec<_> = table.children().collect();
            assert_eq!(rows.len(), 2, "{text:?}");
            let cells: Vec<_> = rows[1].children().collect();
            assert_eq!(cells.len(), 3, "{text:?}: {row}");
            let mut first = String::new();
            plain_text(cells[0], &mut first);
            assert_eq!(first, expected(text), "{text:?}");
            let code = cells[1].first_child().expect("a code span");
            match &code.data.borrow().value {
                NodeValue::Code(c) => assert_eq!(c.literal, expected_code(text), "{text:?}"),
                other => panic!("{other:?} for {text:?}"),
            }
        }
    }

    #[test]
    fn every_other_target_neutralizes_the_hostile_table() {
        for text in HOSTILE {
            let csv = csv(text);
            assert!(no_hidden(&csv, &['\n', '\t']), "{text:?}");
            assert!(
                !csv.trim_start_matches('"')
                    .starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{text:?}: {csv}"
            );
            let mermaid = mermaid(text);
            assert!(no_hidden(&mermaid, &[]), "{text:?}");
            assert!(
                !mermaid.contains(['"', '<', '>', '\n']),
                "{text:?}: {mermaid}"
            );
            assert!(!mermaid.starts_with('`'), "{text:?}: {mermaid}");
            let dot = dot(text);
            assert!(no_hidden(&dot, &[]), "{text:?}");
            // Every quote is escaped, by a backslash that is not itself escaped.
            let unescaped_quote = dot
                .split("\\\\")
                .any(|part| part.replace("\\\"", "").contains('"'));
            assert!(!unescaped_quote, "{text:?}: {dot}");
            let xml = xml(text);
            assert!(no_hidden(&xml, &[]), "{text:?}");
            assert!(!xml.contains(['<', '>', '"', '\'', '=']), "{text:?}: {xml}");
            let json = json(text);
            assert!(no_hidden(&json, &['\n']), "{text:?}");
            assert!(command_marks(&json).is_empty(), "{text:?}: {json}");
            let back: String = serde_json::from_str(&json).expect("valid JSON");
            assert_eq!(&back, text);
        }
    }
}
