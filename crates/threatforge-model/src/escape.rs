//! Text from input, made safe to show on a terminal and in a CI log.
//!
//! A model, an include and a team's rules come from a pull request, and their text reaches
//! places that interpret characters: a terminal runs escape sequences (`ESC]8;;url BEL` makes a
//! hyperlink, `ESC[2K` erases the line), and a CI runner reads some lines as commands (GitHub
//! Actions: a line starting with `::`, after leading whitespace, and `##[` anywhere in a line).
//! This module is the bottom of one escaping layer: the characters that must never be shown raw
//! ([`is_hidden`]) and how they are shown instead ([`push_escaped`]), the terminal's two targets
//! ([`line`], [`block`]), the miette snippet's ([`masked`]), and the last filter before a CI log
//! ([`ci_log`]). The report crate's `escape` module holds the other targets (Markdown, CSV,
//! Mermaid, DOT, XML, JSON), built on the same two functions, and every target is tested against
//! [`HOSTILE`].

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that are never shown as they are: C0 controls (tab and line feed included, so
/// each target decides what they become), DEL, C1 controls, and the invisible formatting
/// characters that reorder or hide text: bidi embeddings, overrides and isolates (the "Trojan
/// source" characters), zero-width space, word joiner and invisible operators, byte-order mark,
/// soft hyphen, the line and paragraph separators some viewers break lines at, interlinear
/// annotations and tag characters.
///
/// Zero-width joiners and variation selectors are not hidden: emoji and several scripts need
/// them. They are still skipped when looking for CI commands (see [`ci_log`]).
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f'
        | '\x7f'..='\u{9f}'
        | '\u{ad}'
        | '\u{61c}'
        | '\u{180e}'
        | '\u{200b}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}'
    )
}

/// Characters a comparison may skip: the hidden ones and the rest of Unicode's default
/// ignorable code points. The GitHub runner is a .NET program that finds commands with
/// `StartsWith("::")` and `IndexOf("##[")`, which compare by the current culture; under ICU
/// those comparisons skip ignorable characters, so `:\u{200d}:` may start a command as `::` does.
fn is_ignorable(c: char) -> bool {
    (is_hidden(c) && !matches!(c, '\n' | '\r'))
        || matches!(c,
            '\u{34f}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200c}'
            | '\u{200d}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0080}'..='\u{e0fff}'
        )
}

/// Appends how a hidden character is shown: `\n`, `\r` and `\t` as in Rust and most
/// languages, any other as `\u{1b}`, so a reader sees which character was there.
pub fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `text` with every character that `keep` does not keep and [`is_hidden`] flags shown escaped.
fn escaped(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let hidden = |c: char| is_hidden(c) && !keep(c);
    let Some(first) = text.find(hidden) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if hidden(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A single-line field (a name, a title, a message) for a terminal: every hidden character
/// shown escaped, line breaks and tabs included, so the text stays on its line.
pub fn line(text: &str) -> Cow<'_, str> {
    escaped(text, |_| false)
}

/// Multi-line text (a description, a rule's condition) for a terminal: line breaks and tabs
/// kept, every other hidden character shown escaped.
pub fn block(text: &str) -> Cow<'_, str> {
    escaped(text, |c| matches!(c, '\n' | '\t'))
}

/// A source file as the diagnostic snippet shows it: each hidden character replaced by a
/// placeholder of the same UTF-8 length, so the byte spans of labels stay valid on the masked
/// text, and of one character where one exists (`?`, `¿`, `�`), so columns count the same.
/// Line breaks (`\n` and `\r\n`) and tabs are kept, since they are the snippet's own layout.
pub(crate) fn masked(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let hidden = |i: usize, c: char| {
        is_hidden(c) && c != '\n' && c != '\t' && !(c == '\r' && bytes.get(i + 1) == Some(&b'\n'))
    };
    if !text.char_indices().any(|(i, c)| hidden(i, c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if hidden(i, c) {
            match c.len_utf8() {
                2 => out.push('¿'),
                3 => out.push('\u{fffd}'),
                n => out.extend(std::iter::repeat_n('?', n)),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The character at byte `at` of `text`, after skipping ignorable characters (never a line
/// break), with the byte offset it starts at.
fn next_significant(text: &str, at: usize) -> Option<(usize, char)> {
    let rest = text.get(at..)?;
    // Printable ASCII is never ignorable: answered without decoding, since the filter looks at
    // every line of a report hundreds of megabytes long (`decoded_next_significant` is the
    // reference a property test holds this to).
    if let Some(&b) = rest.as_bytes().first()
        && (0x20..0x7f).contains(&b)
    {
        return Some((at, char::from(b)));
    }
    rest.char_indices()
        .map(|(i, c)| (at + i, c))
        .find(|&(_, c)| !is_ignorable(c))
}

/// Where a line's first significant character is: after whitespace (which the runner trims),
/// ignorable characters, and terminal control sequences (`ESC[...m`: threatforge's own colors,
/// when they are on), so a colored line is judged by its text.
fn line_content(text: &str, mut at: usize) -> Option<(usize, char)> {
    loop {
        // A pretty-printed report indents every line: skip the spaces a byte at a time.
        at += text
            .as_bytes()
            .get(at..)?
            .iter()
            .take_while(|&&b| b == b' ')
            .count();
        let (i, c) = next_significant(text, at)?;
        if c == '\n' || c == '\r' {
            return None;
        }
        if c.is_whitespace() {
            at = i + c.len_utf8();
            continue;
        }
        if c == '[' && text[..i].ends_with('\x1b') {
            // A CSI sequence: parameters and intermediates, then one final byte.
            let tail = &text.as_bytes()[i + 1..];
            let end = tail
                .iter()
                .position(|b| (0x40..=0x7e).contains(b))
                .map_or(tail.len(), |p| p + 1);
            at = i + 1 + end;
            continue;
        }
        return Some((i, c));
    }
}

/// Byte offsets of the characters that make `text` read as a CI command: the first `:` of a
/// line that starts with `::`, and the second `#` of each `##[`, ignorable characters between
/// them counted as absent. Escaping the character at each offset defuses the command.
pub fn command_marks(text: &str) -> Vec<usize> {
    let mut marks = Vec::new();
    let starts = std::iter::once(0)
        .chain(memchr::memchr2_iter(b'\n', b'\r', text.as_bytes()).map(|i| i + 1));
    for start in starts {
        if let Some((i, ':')) = line_content(text, start)
            && matches!(next_significant(text, i + 1), Some((_, ':')))
        {
            marks.push(i);
        }
    }
    for i in memchr::memchr_iter(b'#', text.as_bytes()) {
        if let Some((j, '#')) = next_significant(text, i + 1)
            && matches!(next_significant(text, j + 1), Some((_, '[')))
        {
            marks.push(j);
        }
    }
    marks.sort_unstable();
    marks.dedup();
    marks
}

/// The last filter before text reaches a terminal or a CI log: no line reads as a runner's
/// command. A line that starts with `::` shows its first colon as `\u{3a}`, and `##[` anywhere
/// shows its second `#` as `\u{23}`; nothing else changes. threatforge's own output never has
/// either, so only text from input is touched.
pub fn ci_log(text: &str) -> Cow<'_, str> {
    let marks = command_marks(text);
    if marks.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8 * marks.len());
    let mut from = 0;
    for at in marks {
        out.push_str(&text[from..at]);
        let c = text[at..].chars().next().unwrap_or(':');
        push_escaped(&mut out, c);
        from = at + c.len_utf8();
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

/// Hostile text every escaper is tested against, whatever its target: terminal escape
/// sequences, C1 controls, CI workflow commands, invisible and bidi characters, Markdown and
/// HTML that would render as links, images or markup, table breaks, CSV formulas, and the
/// quotes and backslashes that end a string in Mermaid or DOT.
pub const HOSTILE: &[&str] = &[
    "\x1b]8;;https://evil.example\x07click here\x1b]8;;\x07",
    "\x1b[2K\rFAKE: all good",
    "\x1b[31mred\x1b[0m and \x1bc reset",
    "\u{9b}2K C1 CSI and \u{9d}8;;https://evil.example\u{9c} C1 OSC",
    "before\u{85}after NEL",
    "T\n::error title=Injected::x\n::notice::x",
    "::add-mask::secret",
    "  ::stop-commands::token",
    "\t::warning::tabbed",
    "line\r::error::carriage return",
    "x ##[error]legacy command mid-line",
    "#\u{200d}#[error]legacy command with a joiner",
    ":\u{200b}:error::zero-width space",
    "\u{feff}::error::byte-order mark",
    "\u{2028}::error::line separator",
    "\u{a0}::error::no-break space",
    "abc\u{202e}txt.exe",
    "\u{2066}isolate\u{2069} and \u{200f}mark",
    "\u{e0041}\u{e0042}tag characters",
    "nul \0 bell \x07 delete \x7f",
    "[Approve this PR](https://evil.example/approve)",
    "![x](https://evil.example/pixel.png)",
    "[ref]: https://evil.example/ref",
    "<https://evil.example/autolink> and <evil@evil.example>",
    "ping @admin, mail evil@evil.example, fixes #1 and evil/repo#2",
    "https://evil.example/bare, HTTP://EVIL.EXAMPLE, ftp://evil.example and www.evil.example",
    "(www.evil.example) *www.evil.example* _https://evil.example_",
    "<img src=x onerror=alert(1)><script>alert(1)</script><!-- comment -->",
    "<details open><summary>x</summary>",
    "a | b | c",
    "`code` and ``two`` and ``` fence",
    "*em* _em_ **strong** __strong__ ~~strike~~ ~x~ $x^2$ $$y$$",
    "# heading",
    "## heading",
    "- item",
    "+ item",
    "* item",
    "1. item",
    "2) item",
    "> quote",
    "---",
    "===",
    "    indented code",
    "- [ ] task",
    "[^1] footnote",
    "&amp; &lt;b&gt; &#x3c; entity",
    "back\\slash \\[ \\* \\",
    "=HYPERLINK(\"https://evil.example\",\"x\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=tab formula",
    "\r=carriage return formula",
    "\"] --> x[\"b",
    "a\" label=\"x\" \\N \\G",
    "%% comment\nclick c0 call alert()",
    "quote \" apostrophe ' equals = amp &",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A check that does not share the implementation's matching: every character a comparison
    /// could skip is removed, then the line must neither start with `::` nor hold `##[`.
    fn assert_no_command(text: &str) {
        for line in text.split(['\n', '\r']) {
            let squeezed: String = line.chars().filter(|c| !is_ignorable(*c)).collect();
            let squeezed = squeezed.trim_start();
            assert!(!squeezed.starts_with("::"), "command line in {text:?}");
            assert!(!squeezed.contains("##["), "legacy command in {text:?}");
        }
    }

    #[test]
    fn hidden_characters_are_shown_escaped() {
        assert_eq!(line("a\x1b[2Kb"), "a\\u{1b}[2Kb");
        assert_eq!(line("T\n::error::x\r\t"), "T\\n::error::x\\r\\t");
        assert_eq!(line("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(line("abc\u{202e}txt"), "abc\\u{202e}txt");
        assert_eq!(block("one\n\ttwo\x1b"), "one\n\ttwo\\u{1b}");
        assert!(matches!(line("plain text, ünïcödé 👍🏽"), Cow::Borrowed(_)));
        // Joiners and variation selectors belong to emoji and scripts.
        assert_eq!(line("👩\u{200d}💻 ❤\u{fe0f}"), "👩\u{200d}💻 ❤\u{fe0f}");
    }

    #[test]
    fn line_and_block_leave_no_hidden_character() {
        for text in HOSTILE {
            assert!(!line(text).chars().any(is_hidden), "{text:?}");
            assert!(
                !block(text)
                    .chars()
                    .any(|c| is_hidden(c) && c != '\n' && c != '\t'),
                "{text:?}"
            );
        }
    }

    #[test]
    fn masking_keeps_every_byte_offset() {
        let text = "a: \"\x1b[2K\"\r\nb: \u{9b}x\u{202e}y\te\u{e0041}\rz\n";
        let shown = masked(text);
        assert_eq!(shown.len(), text.len());
        assert_eq!(shown, "a: \"?[2K\"\r\nb: ¿x\u{fffd}y\te?????z\n");
        for (i, _) in text.char_indices() {
            assert!(shown.is_char_boundary(i), "{i}");
        }
        for text in HOSTILE {
            let shown = masked(text);
            assert_eq!(shown.len(), text.len(), "{text:?}");
            assert!(
                !shown
                    .chars()
                    .any(|c| is_hidden(c) && !matches!(c, '\n' | '\t' | '\r')),
                "{text:?}"
            );
        }
    }

    #[test]
    fn ci_log_defuses_commands_and_nothing_else() {
        assert_eq!(ci_log("::error::x"), "\\u{3a}:error::x");
        assert_eq!(ci_log("ok\n  ::notice::x\n"), "ok\n  \\u{3a}:notice::x\n");
        assert_eq!(ci_log("a ##[error]b"), "a #\\u{23}[error]b");
        assert_eq!(ci_log("###[x]"), "##\\u{23}[x]");
        assert_eq!(ci_log("\x1b[1m::error::x"), "\x1b[1m\\u{3a}:error::x");
        let ours = "## Top risks\n| a | b |\nerror[x]: y::z\n  at a.yaml:1:2\n  c0 --> c1\n";
        assert!(matches!(ci_log(ours), Cow::Borrowed(_)));
        for text in HOSTILE {
            for shown in [line(text), block(text)] {
                let safe = ci_log(&shown);
                assert_no_command(&safe);
                assert_eq!(ci_log(&safe), safe, "idempotent on {text:?}");
            }
        }
    }

    /// The text decoded character by character, as `next_significant` did before its ASCII
    /// shortcut.
    fn decoded_next_significant(text: &str, at: usize) -> Option<(usize, char)> {
        text.get(at..)?
            .char_indices()
            .map(|(i, c)| (at + i, c))
            .find(|&(_, c)| !is_ignorable(c))
    }

    proptest::proptest! {
        /// The shortcuts for ASCII find what decoding every character finds, and so do the marks
        /// built on them, on text made of what commands, indentation and ignorables are made of.
        #[test]
        fn ascii_shortcuts_agree_with_decoding(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                ":", "#", "[", " ", "  ", "\t", "\n", "\r", "\x1b", "\x1b[1m", "\u{200d}",
                "\u{ad}", "a", "é", "\u{e0041}", "\x7f",
            ]), 0..40),
        ) {
            let text: String = pieces.concat();
            for at in 0..=text.len() + 1 {
                proptest::prop_assert_eq!(
                    next_significant(&text, at),
                    decoded_next_significant(&text, at),
                    "at {} in {:?}", at, text
                );
            }
            let safe = ci_log(&text);
            assert_no_command(&safe);
        }
    }

    #[test]
    fn the_hostile_table_is_hostile() {
        // A table an escaper could pass by doing nothing would test nothing.
        for text in HOSTILE {
            let raw_commands = !command_marks(text).is_empty();
            let markup = text.contains(['[', '<', '`', '*', '_', '|', '#', '"', '\\', '='])
                || text.starts_with(['-', '+', '>', '1', '2', '@', ' '])
                || text.contains("://")
                || text.contains("www.");
            assert!(
                text.chars().any(is_hidden) || raw_commands || markup,
                "{text:?} is not hostile"
            );
        }
    }
}
