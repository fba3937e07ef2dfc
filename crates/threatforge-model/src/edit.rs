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

/// Text to put into a file's text at a byte offset, in place of the `replaces` bytes there
/// (none for an insertion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insertion {
    pub at: usize,
    pub replaces: usize,
    pub text: String,
}

impl Insertion {
    pub fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + self.text.len());
        out.push_str(&text[..self.at]);
        out.push_str(&self.text);
        out.push_str(&text[self.at + self.replaces..]);
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
    let root = parse(text, limits)?;
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
            let Some(dash) = dash_indent(text, first) else {
                return Err("the first item of `decisions` is not on a line of its own".to_owned());
            };
            let mut insert = render_decisions(dash, comment, decisions);
            (
                after_line(text, end_of(text, last).saturating_sub(1), &mut insert),
                insert,
            )
        }
        Some(_) => return Err("`decisions` is not a list".to_owned()),
    };
    let insertion = Insertion {
        at,
        replaces: 0,
        text: insert,
    };
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

/// The file's tree, or why it cannot be edited.
fn parse(text: &str, limits: &Limits) -> Result<Node, String> {
    parse_slow(text, limits).map_err(|e| format!("the file is not valid YAML ({e})"))
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

/// Where a node's text ends. A collection's span is only its start, so its end is its last
/// descendant's, and for a flow collection (`[...]`, `{...}`) the closing bracket after it.
fn end_of(text: &str, node: &Node) -> usize {
    let start = node.span.start as usize;
    let own = (node.span.start + node.span.len) as usize;
    let inner = match &node.value {
        Value::Seq(items) => items.iter().map(|i| end_of(text, i)).max(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| end_of(text, k).max(end_of(text, v)))
            .max(),
        _ => None,
    };
    let closer = match (&node.value, text.as_bytes().get(start)) {
        (Value::Seq(_), Some(b'[')) => b']',
        (Value::Map(_), Some(b'{')) => b'}',
        _ => return inner.map_or(own, |c| c.max(own)),
    };
    let mut at = inner.unwrap_or(start + 1);
    // Between the last item and the bracket: spaces, line breaks, a trailing comma, comments.
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(at) {
        match b {
            b if b == closer => return at + 1,
            b' ' | b'\t' | b'\r' | b'\n' | b',' => at += 1,
            b'#' => at += text[at..].find('\n').unwrap_or(text.len() - at),
            _ => break,
        }
    }
    // Not found where expected: the edit is proved by reading it back, which refuses it.
    at
}

/// The spaces that start the line holding `offset`.
fn indent_of(text: &str, offset: usize) -> &str {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    &line[..line.len() - line.trim_start_matches(' ').len()]
}

/// The spaces before a key that starts its line (what a new key beside it is indented by), or
/// `None` when something else comes first on the line.
fn own_line_indent<'a>(text: &'a str, key: &Node) -> Option<&'a str> {
    let start = key.span.start as usize;
    let indent = indent_of(text, start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    (line_start + indent.len() == start).then_some(indent)
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
    // One decision taken in a dashboard needs no comment to say where it came from.
    if !comment.is_empty() {
        let _ = writeln!(out, "{indent}# {}", comment.replace('\n', " "));
    }
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

/// What to write into `text` to replace the block list item of its top-level `decisions` whose
/// `threat` is `decision.threat` with `decision`, at the item's indentation; the other items
/// and the rest of the text stay byte for byte. Refused, with the reason, where there is no
/// such item or it is not a block item of its own lines; the result is parsed again and must
/// hold as many decisions, the replaced one with the new status.
pub fn replace_decision(
    text: &str,
    decision: &NewDecision,
    limits: &Limits,
) -> Result<Insertion, String> {
    let root = parse(text, limits)?;
    let Some(Node {
        value: Value::Seq(items),
        ..
    }) = entry(&root, "decisions")
    else {
        return Err("the file has no `decisions` list".to_owned());
    };
    let index = decision_index(items, &decision.threat)
        .ok_or_else(|| format!("the file has no decision for `{}`", decision.threat))?;
    let item = &items[index];
    let dash = dash_indent(text, item)
        .ok_or("the decision is not a block list item on a line of its own")?;
    let at = text[..item.span.start as usize]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let mut unused = String::new();
    let end = after_line(text, end_of(text, item).saturating_sub(1), &mut unused);
    let mut replacement = render_decisions(dash, "", std::slice::from_ref(decision));
    if !unused.is_empty() {
        // The item ended the text without a line break: so does its replacement.
        replacement.pop();
    }
    let insertion = Insertion {
        at,
        replaces: end - at,
        text: replacement,
    };
    let after = parse_slow(&insertion.apply(text), limits).ok();
    let replaced = after
        .as_ref()
        .and_then(|root| match entry(root, "decisions") {
            Some(Node {
                value: Value::Seq(new),
                ..
            }) if new.len() == items.len() => {
                let status = entry(&new[index], "status").and_then(Node::as_str);
                (decision_index(new, &decision.threat) == Some(index)
                    && status == Some(decision.status.as_str()))
                .then_some(())
            }
            _ => None,
        });
    if replaced.is_none() {
        return Err(
            "the decision could not be replaced as it is written; change it by hand".to_owned(),
        );
    }
    Ok(insertion)
}

/// The position of the decision whose `threat` is `threat`.
fn decision_index(items: &[Node], threat: &str) -> Option<usize> {
    items
        .iter()
        .position(|item| entry(item, "threat").and_then(Node::as_str) == Some(threat))
}

/// Where and what to insert into `text` to add `control` to the `controls` of the component
/// `component` declared in it: into its flow list (`[a, b]`) or block list, or as a new
/// `controls` key of its flow map (`{ ... }`) or block map. The rest of the text stays byte for
/// byte; the result is parsed again and the component's controls must be the old ones plus
/// `control`, else the edit is refused with the reason.
pub fn insert_control(
    text: &str,
    component: &str,
    control: &str,
    limits: &Limits,
) -> Result<Insertion, String> {
    let root = parse(text, limits)?;
    if text[root.span.start as usize..].starts_with('{') {
        return Err(
            "the file is written in JSON (flow) style, which a control cannot be added to without \
             changing its style; add it by hand"
                .to_owned(),
        );
    }
    let before = controls_of(&root, component)
        .ok_or_else(|| format!("the file declares no component `{component}` as a mapping"))?;
    if before.iter().any(|c| c == control) {
        return Err(format!("`{component}` already has the control `{control}`"));
    }
    let Some((key, element)) = entry(&root, "components").and_then(|c| key_value(c, component))
    else {
        return Err(format!("the file declares no component `{component}`"));
    };
    let Value::Map(fields) = &element.value else {
        return Err(format!("`{component}` is not a mapping"));
    };
    let shared = |what: &str| {
        format!(
            "{what} is written with a YAML anchor or alias, shared with other entries; add the \
             control by hand"
        )
    };
    if is_shared(text, key, element) {
        return Err(shared(&format!("`{component}`")));
    }
    if let Some((k, v)) = fields.iter().find(|(k, _)| k.as_str() == Some("controls"))
        && is_shared(text, k, v)
    {
        return Err(shared("its `controls`"));
    }
    let name = plain_or_quoted(control);
    let flow_map = text[element.span.start as usize..].starts_with('{');
    let (at, insert) = match fields.iter().find(|(k, _)| k.as_str() == Some("controls")) {
        Some((_, list)) => match &list.value {
            Value::Seq(items) if text[list.span.start as usize..].starts_with('[') => {
                match items.last() {
                    Some(last) => (end_of(text, last), format!(", {name}")),
                    None => (list.span.start as usize + 1, name),
                }
            }
            Value::Seq(items) => {
                let Some(last) = items.last() else {
                    return Err("its `controls` list is empty and not written `[]`".to_owned());
                };
                let dash = dash_indent(text, last)
                    .ok_or("an item of its `controls` is not on a line of its own")?;
                let mut insert = format!("{dash}- {name}\n");
                (
                    after_line(text, end_of(text, last).saturating_sub(1), &mut insert),
                    insert,
                )
            }
            _ => return Err("its `controls` is not a list".to_owned()),
        },
        None if flow_map => match fields.last() {
            Some((_, value)) => (end_of(text, value), format!(", controls: [{name}]")),
            None => (
                element.span.start as usize + 1,
                format!("controls: [{name}]"),
            ),
        },
        None => {
            let (Some((first, _)), Some((_, last))) = (fields.first(), fields.last()) else {
                return Err(format!("`{component}` is an empty mapping"));
            };
            let indent = own_line_indent(text, first).ok_or_else(|| {
                format!("the first key of `{component}` is not on a line of its own")
            })?;
            let mut insert = format!("{indent}controls: [{name}]\n");
            (
                after_line(text, end_of(text, last).saturating_sub(1), &mut insert),
                insert,
            )
        }
    };
    let insertion = Insertion {
        at,
        replaces: 0,
        text: insert,
    };
    let after = parse_slow(&insertion.apply(text), limits)
        .ok()
        .and_then(|root| controls_of(&root, component));
    let mut expected = before;
    expected.push(control.to_owned());
    if after != Some(expected) {
        return Err(format!(
            "the control could not be added to `{component}` as it is written; add it by hand"
        ));
    }
    Ok(insertion)
}

/// A manual threat to write into a model's `threats` section, every field already checked
/// (the ids and names against the model, the levels and category against the language).
#[derive(Clone, Debug)]
pub struct NewThreat {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub element: Option<String>,
    pub stride: String,
    pub likelihood: String,
    pub impact: String,
    pub mitigations: Vec<String>,
}

impl NewThreat {
    /// The threat's keys and YAML values, in the order the language's reference lists them.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![("title", quoted(&self.title))];
        if let Some(description) = &self.description {
            fields.push(("description", quoted(description)));
        }
        if let Some(element) = &self.element {
            fields.push(("element", plain_or_quoted(element)));
        }
        fields.push(("stride", plain_or_quoted(&self.stride)));
        fields.push(("likelihood", plain_or_quoted(&self.likelihood)));
        fields.push(("impact", plain_or_quoted(&self.impact)));
        if !self.mitigations.is_empty() {
            let names: Vec<String> = self
                .mitigations
                .iter()
                .map(|m| plain_or_quoted(m))
                .collect();
            fields.push(("mitigations", format!("[{}]", names.join(", "))));
        }
        fields
    }
}

/// Where and what to insert into `text` to add `threat` to its top-level `threats` mapping: a
/// new entry after the last one, in the mapping's style (block entries at its indentation, or
/// `id: { ... }` in a flow mapping), or a new `threats` section at the end of the file. The rest
/// of the text stays byte for byte; the result is parsed again and must hold the old threats
/// plus this one with its title, else the edit is refused with the reason.
pub fn insert_threat(text: &str, threat: &NewThreat, limits: &Limits) -> Result<Insertion, String> {
    let root = parse(text, limits)?;
    if text[root.span.start as usize..].starts_with('{') {
        return Err(
            "the file is written in JSON (flow) style, which a threat cannot be added to without \
             changing its style; add it by hand"
                .to_owned(),
        );
    }
    let before = threat_ids(&root).ok_or("`threats` is not a mapping")?;
    if before.contains(&threat.id) {
        return Err(format!("the file already has a threat `{}`", threat.id));
    }
    let id = plain_or_quoted(&threat.id);
    let fields = threat.fields();
    let block = |indent: &str| {
        let mut out = format!("{indent}{id}:\n");
        for (key, value) in &fields {
            let _ = writeln!(out, "{indent}  {key}: {value}");
        }
        out
    };
    let (at, insert) = match key_value(&root, "threats") {
        None => {
            let mut insert = String::new();
            if !text.is_empty() && !text.ends_with('\n') {
                insert.push('\n');
            }
            insert.push_str("\nthreats:\n");
            insert.push_str(&block("  "));
            (text.len(), insert)
        }
        Some((key, section)) => match &section.value {
            Value::Null => {
                let mut insert = block(&format!("{}  ", indent_of(text, key.span.start as usize)));
                (
                    after_line(text, key.span.start as usize, &mut insert),
                    insert,
                )
            }
            Value::Map(entries) if text[section.span.start as usize..].starts_with('{') => {
                let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                let entry = format!("{id}: {{ {} }}", pairs.join(", "));
                match entries.last() {
                    Some((_, last)) => (end_of(text, last), format!(", {entry}")),
                    None => (section.span.start as usize + 1, entry),
                }
            }
            Value::Map(entries) => {
                let (Some((first, _)), Some((_, last))) = (entries.first(), entries.last()) else {
                    return Err("`threats` is an empty mapping".to_owned());
                };
                let indent = own_line_indent(text, first)
                    .ok_or("the first threat of `threats` is not on a line of its own")?;
                let mut insert = block(indent);
                (
                    after_line(text, end_of(text, last).saturating_sub(1), &mut insert),
                    insert,
                )
            }
            _ => return Err("`threats` is not a mapping".to_owned()),
        },
    };
    let insertion = Insertion {
        at,
        replaces: 0,
        text: insert,
    };
    let after = parse_slow(&insertion.apply(text), limits).ok();
    let ids = after.as_ref().and_then(threat_ids);
    let title = after
        .as_ref()
        .and_then(|root| entry(root, "threats"))
        .and_then(|threats| entry(threats, &threat.id))
        .and_then(|t| entry(t, "title"))
        .and_then(|t| t.as_str().map(str::to_owned));
    let mut expected = before;
    expected.push(threat.id.clone());
    if ids != Some(expected) || title.as_deref() != Some(threat.title.as_str()) {
        return Err(
            "the threat could not be added to the file's `threats` as it is written; add it by \
             hand"
                .to_owned(),
        );
    }
    Ok(insertion)
}

/// The ids of the threats the file's top-level `threats` mapping holds (none without one), or
/// `None` when it is not a mapping.
fn threat_ids(root: &Node) -> Option<Vec<String>> {
    match entry(root, "threats").map(|t| &t.value) {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|(k, _)| k.as_str().map(str::to_owned))
            .collect(),
        Some(_) => None,
    }
}

/// The value of `key` in a mapping node.
fn entry<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    key_value(node, key).map(|(_, v)| v)
}

/// The key and value nodes of `key` in a mapping node.
fn key_value<'a>(node: &'a Node, key: &str) -> Option<(&'a Node, &'a Node)> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(k, v)| (k, v))
}

/// Whether a value is an alias (its node read from an anchor written elsewhere) or carries an
/// anchor (aliases elsewhere read it): text inserted into it would change other entries too.
fn is_shared(text: &str, key: &Node, value: &Node) -> bool {
    let key_end = (key.span.start + key.span.len) as usize;
    let start = value.span.start as usize;
    start < key_end
        || text[start..].starts_with('*')
        || text
            .get(key_end..start)
            .is_none_or(|between| between.contains('&'))
}

/// The controls a component declares in the file's `components` section (none without the
/// key), or `None` when the file does not declare it as a mapping.
fn controls_of(root: &Node, component: &str) -> Option<Vec<String>> {
    let element = entry(root, "components").and_then(|c| entry(c, component))?;
    if !matches!(element.value, Value::Map(_)) {
        return None;
    }
    match entry(element, "controls").map(|c| &c.value) {
        None => Some(Vec::new()),
        Some(Value::Seq(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Some(_) => None,
    }
}

/// The spaces before the dash of a block list item, when the item's line holds only them before it.
fn dash_indent<'a>(text: &'a str, item: &Node) -> Option<&'a str> {
    let start = item.span.start as usize;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..start];
    prefix
        .find('-')
        .filter(|&d| prefix[..d].bytes().all(|b| b == b' '))
        .map(|d| &prefix[..d])
}

/// An id as a YAML scalar: plain when it is a kebab-case id, which needs no quotes anywhere.
fn plain_or_quoted(id: &str) -> String {
    let plain = id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if plain { id.to_owned() } else { quoted(id) }
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
    fn a_decision_is_replaced_in_place_and_nothing_else() {
        let text = "decisions:\n  # kept\n  - threat: a:b\n    status: open  # old\n    owner: x\n  - { threat: \"c:d\", status: open }\nrules: {}\n";
        let mut d = decision("a:b");
        d.status = DecisionStatus::FalsePositive;
        d.expires = None;
        let out = replace_decision(text, &d, &Limits::default())
            .expect("replaced")
            .apply(text);
        assert_eq!(
            out,
            "decisions:\n  # kept\n  - threat: \"a:b\"\n    status: false-positive\n    \
             owner: \"team \\\"core\\\"\"\n    justification: \"known # not a comment: \
             really\\u000a\\u001b[31m\"\n    date: 2026-12-01\n  - { threat: \"c:d\", status: open }\n\
             rules: {}\n"
        );
        // The last item, without a final line break; a flow item; no such decision.
        let last = "decisions:\n  - threat: a:b\n    status: open";
        let out = replace_decision(last, &d, &Limits::default())
            .expect("replaced")
            .apply(last);
        assert!(out.ends_with("date: 2026-12-01"), "{out}");
        // A flow item on a line of its own becomes a block item; in a flow list it is refused.
        let out = replace_decision(text, &decision("c:d"), &Limits::default())
            .expect("replaced")
            .apply(text);
        assert!(
            out.ends_with("  - threat: \"c:d\"\n    status: accepted\n    owner: \"team \\\"core\\\"\"\n    justification: \"known # not a comment: really\\u000a\\u001b[31m\"\n    date: 2026-12-01\n    expires: 2027-03-31\nrules: {}\n"),
            "{out}"
        );
        let in_flow = "decisions: [{ threat: a:b, status: open }]\n";
        let refused = replace_decision(in_flow, &d, &Limits::default());
        assert!(refused.unwrap_err().contains("line of its own"));
        let none = replace_decision(text, &decision("x:y"), &Limits::default());
        assert!(none.unwrap_err().contains("no decision"));
    }

    fn control(text: &str, component: &str) -> Result<String, String> {
        insert_control(text, component, "waf", &Limits::default()).map(|i| i.apply(text))
    }

    #[test]
    fn a_control_goes_into_each_style_of_component() {
        let cases = [
            // A flow map without controls, with a comment after it.
            (
                "components:\n  web: { technology: nginx }  # edge\n  db: {}\n",
                "web",
                "components:\n  web: { technology: nginx, controls: [waf] }  # edge\n  db: {}\n",
            ),
            // A flow map whose last value is a flow collection, with a comment inside.
            (
                "components:\n  db: { stores: [card, { x: [y] } ], # why\n  }\n",
                "db",
                "components:\n  db: { stores: [card, { x: [y] } ], controls: [waf], # why\n  }\n",
            ),
            // An empty flow map.
            (
                "components:\n  db: {}\n",
                "db",
                "components:\n  db: {controls: [waf]}\n",
            ),
            // A flow list, and an empty one.
            (
                "components:\n  web: { controls: [tls, 'mfa'] }\n",
                "web",
                "components:\n  web: { controls: [tls, 'mfa', waf] }\n",
            ),
            (
                "components:\n  web:\n    controls: []\n",
                "web",
                "components:\n  web:\n    controls: [waf]\n",
            ),
            // A block map without controls: a key after its last line, at its indentation.
            (
                "components:\n  \"web\":   # quoted key\n      technology: nginx\n      # note\n      owner: x\n\n# end\n",
                "web",
                "components:\n  \"web\":   # quoted key\n      technology: nginx\n      # note\n      owner: x\n      controls: [waf]\n\n# end\n",
            ),
            // A block list: an item after the last one, at its dash.
            (
                "components:\n  web:\n    controls:\n      - tls # why\n    owner: x\n",
                "web",
                "components:\n  web:\n    controls:\n      - tls # why\n      - waf\n    owner: x\n",
            ),
            // No final line break.
            (
                "components:\n  web:\n    owner: x",
                "web",
                "components:\n  web:\n    owner: x\n    controls: [waf]\n",
            ),
        ];
        for (text, component, expected) in cases {
            assert_eq!(control(text, component).as_deref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn a_control_that_cannot_be_added_is_refused_with_the_reason() {
        let text = "components:\n  web: { controls: [waf] }\n  api: nothing\n";
        assert!(control(text, "web").unwrap_err().contains("already has"));
        assert!(control(text, "api").unwrap_err().contains("no component"));
        assert!(control(text, "db").unwrap_err().contains("no component"));
        assert!(
            control("components: [\n", "web")
                .unwrap_err()
                .contains("not valid YAML")
        );
        let json = "{\"components\": {\"web\": {\"technology\": \"nginx\"}}}\n";
        assert!(control(json, "web").unwrap_err().contains("JSON"));
        let scalar = control("components:\n  web: { controls: waf-x }\n", "web");
        assert!(scalar.unwrap_err().contains("no component"));
        let anchored = "components:\n  a: &x { technology: nginx }\n  b: *x\n";
        assert!(control(anchored, "a").unwrap_err().contains("anchor"));
        assert!(control(anchored, "b").unwrap_err().contains("anchor"));
        let list = "components:\n  a: { controls: &c [tls] }\n  b: { controls: *c }\n";
        assert!(control(list, "b").unwrap_err().contains("anchor"));
        // A last field ending in a block scalar: proved by reading the result back.
        let block = "components:\n  web:\n    description: |\n      long\n      text\n";
        match control(block, "web") {
            Ok(out) => assert!(out.starts_with(block), "{out}"),
            Err(e) => assert!(e.contains("by hand"), "{e}"),
        }
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

    fn threat(text: &str) -> Result<String, String> {
        let new = NewThreat {
            id: "replay".to_owned(),
            title: "Replayed order: \"twice\" # not a comment".to_owned(),
            description: Some("Two lines:\nthe second".to_owned()),
            element: Some("web".to_owned()),
            stride: "tampering".to_owned(),
            likelihood: "high".to_owned(),
            impact: "medium".to_owned(),
            mitigations: vec!["anti-replay".to_owned(), "rate-limiting".to_owned()],
        };
        insert_threat(text, &new, &Limits::default()).map(|i| i.apply(text))
    }

    #[test]
    fn a_threat_goes_into_each_style_of_threats_section() {
        let entry = "  replay:\n    title: \"Replayed order: \\\"twice\\\" # not a comment\"\n    \
                     description: \"Two lines:\\u000athe second\"\n    element: web\n    stride: tampering\n    \
                     likelihood: high\n    impact: medium\n    mitigations: [anti-replay, rate-limiting]\n";
        // No section: one at the end.
        let out = threat("system: { name: S }  # end").expect("inserted");
        assert_eq!(
            out,
            format!("system: {{ name: S }}  # end\n\nthreats:\n{entry}")
        );
        // An empty key: the entries under it.
        let out = threat("threats:   # none yet\nflows: []\n").expect("inserted");
        assert_eq!(out, format!("threats:   # none yet\n{entry}flows: []\n"));
        // A block mapping: after its last entry, at its indentation, before what follows.
        let text = "threats:\n    a:   # first\n        title: A\n        stride: spoofing\n    # between\n\nrules: {}\n";
        let out = threat(text).expect("inserted");
        assert!(out.starts_with("threats:\n    a:   # first\n        title: A\n        stride: spoofing\n    replay:\n      title: "), "{out}");
        assert!(
            out.ends_with("[anti-replay, rate-limiting]\n    # between\n\nrules: {}\n"),
            "{out}"
        );
        // A flow mapping, empty or not: one more entry in it.
        let out = threat("threats: {}\n").expect("inserted");
        assert!(out.starts_with("threats: {replay: { title: "), "{out}");
        assert!(
            out.ends_with("mitigations: [anti-replay, rate-limiting] }}\n"),
            "{out}"
        );
        let out =
            threat("threats: { a: { title: A, stride: spoofing } }  # c\n").expect("inserted");
        assert!(
            out.starts_with("threats: { a: { title: A, stride: spoofing }, replay: { title: "),
            "{out}"
        );
        assert!(out.ends_with("rate-limiting] } }  # c\n"), "{out}");
    }

    #[test]
    fn a_threat_that_cannot_be_added_is_refused_with_the_reason() {
        for (text, says) in [
            (
                "threats:\n  replay: { title: R, stride: spoofing }\n",
                "already has a threat `replay`",
            ),
            ("threats: [a, b]\n", "not a mapping"),
            ("{\"threats\": {}}", "JSON (flow) style"),
            ("threats: x: y: [\n", "not valid YAML"),
        ] {
            let e = threat(text).expect_err(text);
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
