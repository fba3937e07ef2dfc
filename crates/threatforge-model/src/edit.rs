//! Adding decisions to a model file's text without writing the rest of it again: comments, key
//! order, quoting and blank lines are the team's, so the text is only ever inserted into, at the
//! end of the `decisions` list or, without one, at the end of the file.

use std::fmt::Write as _;

use crate::limits::Limits;
use crate::model::DecisionStatus;
use crate::yaml::fast::parse_slow;
use crate::yaml::node::{Node, Value};

/// A decision to write.
#[derive(Clone, Debug)]
pub struct NewDecision {
    pub threat: String,
    pub status: DecisionStatus,
    pub owner: Option<String>,
    pub justification: Option<String>,
    /// YYYY-MM-DD, already checked.
    pub date: Option<String>,
    /// YYYY-MM-DD, already checked.
    pub expires: Option<String>,
}

/// Text to insert into a file's text at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insertion {
    pub at: usize,
    pub text: String,
}

impl Insertion {
    pub fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + self.text.len());
        out.push_str(&text[..self.at]);
        out.push_str(&self.text);
        out.push_str(&text[self.at..]);
        out
    }
}

/// Where and what to insert into `text` to add `decisions` at the end of its top-level
/// `decisions` list (or a new one at the end of the file), after a comment line (`comment`,
/// without its `#`); the rest of the text stays byte for byte. Refused, with the reason, where
/// the list is not a block list the text can be inserted into; the result is parsed again and
/// must hold the old list plus the new decisions.
pub fn insert_decisions(
    text: &str,
    comment: &str,
    decisions: &[NewDecision],
    limits: &Limits,
) -> Result<Insertion, String> {
    let unreadable = |e: serde_saphyr::Error| format!("the file is not valid YAML ({e})");
    let root = parse_slow(text, limits).map_err(unreadable)?;
    let Value::Map(entries) = &root.value else {
        return Err("the file is not a mapping of sections".to_owned());
    };
    if text[root.span.start as usize..].starts_with('{') {
        return Err(
            "the file is written in JSON (flow) style, which decisions cannot be \
                    inserted into; add them by hand, as printed without --write"
                .to_owned(),
        );
    }
    let before = decisions_in(&root).unwrap_or(0);
    let section = entries
        .iter()
        .find(|(k, _)| k.as_str() == Some("decisions"));
    let (at, insert) = match section {
        None => {
            let mut insert = String::new();
            if !text.is_empty() && !text.ends_with('\n') {
                insert.push('\n');
            }
            insert.push_str("\ndecisions:\n");
            insert.push_str(&render_decisions("  ", comment, decisions));
            (text.len(), insert)
        }
        Some((
            key,
            Node {
                value: Value::Null, ..
            },
        )) => {
            let dash = format!("{}  ", indent_of(text, key.span.start as usize));
            let mut insert = render_decisions(&dash, comment, decisions);
            (
                after_line(text, key.span.start as usize, &mut insert),
                insert,
            )
        }
        Some((
            _,
            Node {
                value: Value::Seq(items),
                span,
            },
        )) => {
            if text[span.start as usize..].starts_with('[') {
                return Err(
                    "`decisions` is a flow list (`[...]`); write it as a block list \
                            (`- threat: ...` items) for baseline to add to it"
                        .to_owned(),
                );
            }
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return Err("`decisions` is an empty list".to_owned());
            };
            let start = first.span.start as usize;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let prefix = &text[line_start..start];
            let Some(dash) = prefix
                .find('-')
                .filter(|&d| prefix[..d].bytes().all(|b| b == b' '))
            else {
                return Err("the first item of `decisions` is not on a line of its own".to_owned());
            };
            let mut insert = render_decisions(&prefix[..dash], comment, decisions);
            (
                after_line(text, end_of(last).saturating_sub(1), &mut insert),
                insert,
            )
        }
        Some(_) => return Err("`decisions` is not a list".to_owned()),
    };
    let insertion = Insertion { at, text: insert };
    let out = insertion.apply(text);
    // The insertion is proved by reading the result: a list that did not grow by exactly the
    // new decisions (a block scalar ending the last item, an odd indentation) is refused.
    let after = parse_slow(&out, limits)
        .ok()
        .and_then(|root| decisions_in(&root));
    if after != Some(before + decisions.len()) {
        return Err(
            "the decisions could not be inserted into the file's `decisions` list as it is \
             written; add them by hand, as printed without --write"
                .to_owned(),
        );
    }
    Ok(insertion)
}

/// How many decisions the top-level `decisions` list holds.
fn decisions_in(root: &Node) -> Option<usize> {
    let Value::Map(entries) = &root.value else {
        return None;
    };
    match entries
        .iter()
        .find(|(k, _)| k.as_str() == Some("decisions"))
    {
        None => Some(0),
        Some((
            _,
            Node {
                value: Value::Null, ..
            },
        )) => Some(0),
        Some((
            _,
            Node {
                value: Value::Seq(items),
                ..
            },
        )) => Some(items.len()),
        Some(_) => None,
    }
}

/// Where a node's text ends: a collection's span is only its start, so its end is its last
/// descendant's.
fn end_of(node: &Node) -> usize {
    let own = (node.span.start + node.span.len) as usize;
    let children = match &node.value {
        Value::Seq(items) => items.iter().map(end_of).max(),
        Value::Map(entries) => entries.iter().map(|(k, v)| end_of(k).max(end_of(v))).max(),
        _ => None,
    };
    children.map_or(own, |c| c.max(own))
}

/// The spaces that start the line holding `offset`.
fn indent_of(text: &str, offset: usize) -> &str {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    &line[..line.len() - line.trim_start_matches(' ').len()]
}

/// Where text goes after the line holding `offset`: the start of the next line, or the end of a
/// text whose last line has no line break (one is then put before `insert`).
fn after_line(text: &str, offset: usize, insert: &mut String) -> usize {
    match text[offset..].find('\n') {
        Some(i) => offset + i + 1,
        None => {
            insert.insert(0, '\n');
            text.len()
        }
    }
}

/// The decisions as block list items whose dash is at `indent`, after the comment.
pub fn render_decisions(indent: &str, comment: &str, decisions: &[NewDecision]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{indent}# {}", comment.replace('\n', " "));
    let key = format!("{indent}  ");
    for d in decisions {
        let _ = writeln!(out, "{indent}- threat: {}", quoted(&d.threat));
        let _ = writeln!(out, "{key}status: {}", d.status);
        let fields = [
            ("owner", d.owner.as_deref().map(quoted)),
            ("justification", d.justification.as_deref().map(quoted)),
            ("date", d.date.clone()),
            ("expires", d.expires.clone()),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                let _ = writeln!(out, "{key}{name}: {value}");
            }
        }
    }
    out
}

/// A YAML double-quoted scalar: whatever the text holds (a `#`, a `: `, a line break, a control
/// character), it reads back as the same text.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if crate::escape::is_hidden(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(threat: &str) -> NewDecision {
        NewDecision {
            threat: threat.to_owned(),
            status: DecisionStatus::Accepted,
            owner: Some("team \"core\"".to_owned()),
            justification: Some("known # not a comment: really\n\u{1b}[31m".to_owned()),
            date: Some("2026-12-01".to_owned()),
            expires: Some("2027-03-31".to_owned()),
        }
    }

    fn add(text: &str) -> Result<String, String> {
        let decisions = [decision("a:*"), decision("b:web")];
        insert_decisions(text, "baseline", &decisions, &Limits::default()).map(|i| i.apply(text))
    }

    #[test]
    fn without_a_decisions_section_one_is_appended() {
        let text = "system: { name: shop } # the shop\n\n# end\n";
        let out = add(text).expect("added");
        assert!(out.starts_with(text), "{out}");
        assert_eq!(
            &out[text.len()..],
            "\ndecisions:\n  # baseline\n  - threat: \"a:*\"\n    status: accepted\n    \
             owner: \"team \\\"core\\\"\"\n    justification: \"known # not a comment: \
             really\\u000a\\u001b[31m\"\n    date: 2026-12-01\n    expires: 2027-03-31\n  \
             - threat: \"b:web\"\n    status: accepted\n    owner: \"team \\\"core\\\"\"\n    \
             justification: \"known # not a comment: really\\u000a\\u001b[31m\"\n    \
             date: 2026-12-01\n    expires: 2027-03-31\n"
        );
        // Read back, the values are the text given.
        let root = parse_slow(&out, &Limits::default()).expect("yaml");
        let Value::Map(entries) = root.value else {
            panic!("a map")
        };
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("a list")
        };
        let Value::Map(fields) = &items[0].value else {
            panic!("a map")
        };
        assert_eq!(fields[2].1.as_str(), Some("team \"core\""));
        assert_eq!(
            fields[3].1.as_str(),
            Some("known # not a comment: really\n\u{1b}[31m")
        );
    }

    #[test]
    fn a_file_without_a_final_line_break_gets_one() {
        let out = add("system: { name: shop }").expect("added");
        assert!(
            out.starts_with("system: { name: shop }\n\ndecisions:\n"),
            "{out}"
        );
    }

    #[test]
    fn decisions_go_after_the_last_item_of_the_list_at_its_indentation() {
        let text = "system: { name: shop }\ndecisions:\n    - threat: x:y   # keep\n      \
                    status: open\n    - { threat: \"z:*\", status: open }\n# trailing\nrules: {}\n";
        let out = add(text).expect("added");
        let at = text.find("# trailing").expect("comment");
        assert_eq!(&out[..at], &text[..at]);
        assert!(out.ends_with("# trailing\nrules: {}\n"), "{out}");
        assert!(
            out[at..]
                .starts_with("    # baseline\n    - threat: \"a:*\"\n      status: accepted\n"),
            "{out}"
        );
    }

    #[test]
    fn an_empty_decisions_key_gets_the_items_under_it() {
        let text = "system: { name: shop }\ndecisions:\nrules: {}\n";
        let out = add(text).expect("added");
        assert!(
            out.starts_with(
                "system: { name: shop }\ndecisions:\n  # baseline\n  - threat: \"a:*\"\n"
            ),
            "{out}"
        );
        assert!(
            out.ends_with("    expires: 2027-03-31\nrules: {}\n"),
            "{out}"
        );
    }

    #[test]
    fn what_cannot_be_inserted_into_is_refused_with_the_reason() {
        let flow = add("system: { name: shop }\ndecisions: []\n").expect_err("flow list");
        assert!(flow.contains("flow list"), "{flow}");
        let json = add("{\"system\": {\"name\": \"shop\"}}\n").expect_err("json");
        assert!(json.contains("JSON"), "{json}");
        let scalar = add("system: { name: shop }\ndecisions: none\n").expect_err("scalar");
        assert!(scalar.contains("not a list"), "{scalar}");
        let broken = add("system: [\n").expect_err("broken");
        assert!(broken.contains("not valid YAML"), "{broken}");
        // A last item ending in a block scalar: the insertion is checked by reading it back.
        let block = "decisions:\n  - threat: x:y\n    status: accepted\n    justification: |\n      long\n      text\n";
        match add(block) {
            Ok(out) => assert!(out.starts_with(block), "{out}"),
            Err(e) => assert!(e.contains("by hand"), "{e}"),
        }
    }
}
