//! Renders a [`Draft`] as threatforge YAML that a person would keep and maintain.
//!
//! The output follows the language's documented section order, keys entities by id, omits
//! defaults, prefers YAML flow style (`{ ... }`, `[a, b]`) for what fits on a line, and puts an
//! importer's comments above the entity they are about. Every text goes through [`scalar`], which
//! quotes only when YAML would otherwise read something else.
//!
//! Before rendering, [`sanitize`] repairs what would make `check` fail (unknown catalogue names,
//! dangling references, boundary overlaps and cycles, decisions without the justification their
//! status needs), moving what it drops into comments and warnings. Importers should not rely on
//! it, but four importers of foreign formats will sometimes guess wrong, and an import that does
//! not load is worse than one with a comment saying what was left out.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use threatforge_model::escape::{command_marks, is_hidden};
use threatforge_model::{ControlTarget, catalog};
use threatforge_model::{DecisionStatus, is_valid_date, is_valid_id};

use crate::draft::*;

/// The column up to which an entity is written on one line.
const LINE_WIDTH: usize = 100;

/// The YAML text of `draft`, after [`sanitize`]; what sanitize changed is appended to `warnings`.
pub(crate) fn to_yaml(draft: &Draft, warnings: &mut Vec<String>) -> String {
    let draft = sanitize(draft, warnings);
    let mut out = String::new();
    for line in comment_lines(&draft.header) {
        out.push_str(&line);
        out.push('\n');
    }
    if !draft.header.is_empty() {
        out.push('\n');
    }
    write_system(&mut out, &draft.system);

    if !draft.data.is_empty() {
        out.push_str("\ndata:\n");
        for d in &draft.data {
            let mut f = Fields::default();
            f.text("name", d.name.as_deref());
            f.text("description", d.description.as_deref());
            f.token("classification", d.classification.map(|c| c.as_str()));
            f.token("integrity", d.integrity.map(|r| r.as_str()));
            f.token("availability", d.availability.map(|r| r.as_str()));
            f.list(
                "categories",
                d.categories.iter().map(|c| c.as_str().to_owned()).collect(),
            );
            f.token("quantity", d.quantity.map(|q| q.as_str()));
            f.text("owner", d.owner.as_deref());
            f.list("tags", d.tags.clone());
            entity(&mut out, 2, &key(&d.id), &f, &d.comments);
        }
    }

    if !draft.components.is_empty() {
        out.push_str("\ncomponents:\n");
        for c in &draft.components {
            let mut f = Fields::default();
            f.text("name", c.name.as_deref());
            f.text("description", c.description.as_deref());
            f.token_owned("technology", c.technology.clone());
            f.token("kind", c.kind.map(|k| k.as_str()));
            f.token("exposure", c.exposure.map(|e| e.as_str()));
            f.list("processes", c.processes.clone());
            f.list("stores", c.stores.clone());
            f.list("controls", c.controls.clone());
            f.list("traits", c.traits.clone());
            f.token("criticality", c.criticality.map(|r| r.as_str()));
            f.text("owner", c.owner.as_deref());
            f.list("tags", c.tags.clone());
            f.list("code", c.code.clone());
            f.text("out_of_scope", c.out_of_scope.as_deref());
            entity(&mut out, 2, &key(&c.id), &f, &c.comments);
        }
    }

    if !draft.flows.is_empty() {
        out.push_str("\nflows:\n");
        for fl in &draft.flows {
            let mut f = Fields::default();
            f.token_owned("id", fl.id.clone());
            f.text("name", fl.name.as_deref());
            f.text("description", fl.description.as_deref());
            f.token_owned("protocol", fl.protocol.clone());
            f.token("encrypted", fl.encrypted.map(bool_str));
            f.token("authentication", fl.authentication.map(|a| a.as_str()));
            f.token("authorization", fl.authorization.map(|a| a.as_str()));
            f.list("data", fl.data.clone());
            f.list("returns", fl.returns.clone());
            f.list("controls", fl.controls.clone());
            f.token("usage", fl.usage.map(|u| u.as_str()));
            f.token("readonly", fl.readonly.then_some("true"));
            f.list("tags", fl.tags.clone());
            f.text("out_of_scope", fl.out_of_scope.as_deref());
            let head = format!("- {} -> {}", fl.source, fl.target);
            entity(&mut out, 2, &head, &f, &fl.comments);
        }
    }

    if !draft.boundaries.is_empty() {
        out.push_str("\nboundaries:\n");
        for b in &draft.boundaries {
            let mut f = Fields::default();
            f.text("name", b.name.as_deref());
            f.text("description", b.description.as_deref());
            f.token("kind", b.kind.map(|k| k.as_str()));
            f.token("trust", b.trust.map(|t| t.as_str()));
            f.list("contains", b.contains.clone());
            f.list("tags", b.tags.clone());
            entity(&mut out, 2, &key(&b.id), &f, &b.comments);
        }
    }

    if !draft.runtimes.is_empty() {
        out.push_str("\nruntimes:\n");
        for r in &draft.runtimes {
            let mut f = Fields::default();
            f.text("name", r.name.as_deref());
            f.text("description", r.description.as_deref());
            f.token("kind", Some(r.kind.as_str()));
            // `runs` is required, so an empty list is written out rather than omitted.
            f.push("runs", Val::List(r.runs.clone()));
            f.list("tags", r.tags.clone());
            entity(&mut out, 2, &key(&r.id), &f, &r.comments);
        }
    }

    if !draft.threats.is_empty() {
        out.push_str("\nthreats:\n");
        for t in &draft.threats {
            let mut f = Fields::default();
            f.text("title", Some(&t.title));
            f.text("description", t.description.as_deref());
            f.text("element", t.element.as_deref());
            f.token("stride", Some(t.stride.as_str()));
            f.text("linddun", t.linddun.as_deref());
            f.token("likelihood", t.likelihood.map(Level::as_str));
            f.token("impact", t.impact.map(Level::as_str));
            f.list("mitigations", t.mitigations.clone());
            f.numbers("capec", &t.capec);
            f.numbers("cwe", &t.cwe);
            f.list("references", t.references.clone());
            entity(&mut out, 2, &key(&t.id), &f, &t.comments);
        }
    }

    if !draft.decisions.is_empty() {
        out.push_str("\ndecisions:\n");
        for d in &draft.decisions {
            let mut f = Fields::default();
            f.text("threat", Some(&d.threat));
            f.token("status", Some(d.status.as_str()));
            f.text("owner", d.owner.as_deref());
            f.text("justification", d.justification.as_deref());
            f.text("ticket", d.ticket.as_deref());
            f.text("date", d.date.as_deref());
            f.text("expires", d.expires.as_deref());
            f.token("severity", d.severity.map(|s| s.as_str()));
            list_item(&mut out, 2, &f, &d.comments);
        }
    }
    out
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn write_system(out: &mut String, s: &DraftSystem) {
    for line in comment_lines(&s.comments) {
        out.push_str(&line);
        out.push('\n');
    }
    let mut f = Fields::default();
    let name = if s.name.trim().is_empty() {
        "Imported model"
    } else {
        s.name.as_str()
    };
    f.text("name", Some(name));
    f.text("description", s.description.as_deref());
    f.text("version", s.version.as_deref());
    f.token("criticality", s.criticality.map(|r| r.as_str()));
    f.list("owners", s.owners.clone());
    f.list("tags", s.tags.clone());
    out.push_str("system:\n");
    block_fields(out, 2, &f);
}

/// A value of one key.
enum Val {
    /// Written as is: an enum value, a catalogue name, a boolean, a number.
    Token(String),
    /// Free text, quoted as needed.
    Text(String),
    /// A list of texts.
    List(Vec<String>),
}

#[derive(Default)]
struct Fields(Vec<(&'static str, Val)>);

impl Fields {
    fn push(&mut self, key: &'static str, val: Val) {
        self.0.push((key, val));
    }

    fn text(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(v) = value {
            self.push(key, Val::Text(v.to_owned()));
        }
    }

    fn token(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(v) = value {
            self.push(key, Val::Token(v.to_owned()));
        }
    }

    fn token_owned(&mut self, key: &'static str, value: Option<String>) {
        if let Some(v) = value {
            self.push(key, Val::Text(v));
        }
    }

    fn list(&mut self, key: &'static str, items: Vec<String>) {
        if !items.is_empty() {
            self.push(key, Val::List(items));
        }
    }

    fn numbers(&mut self, key: &'static str, items: &[u32]) {
        if !items.is_empty() {
            let text = items
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            self.push(key, Val::Token(format!("[{text}]")));
        }
    }
}

/// An entity's key, quoted if YAML would read it as something other than a string.
fn key(id: &str) -> String {
    scalar(id, false)
}

/// One entity: comments, then `head: { ... }` when it fits on a line, else a block.
fn entity(out: &mut String, indent: usize, head: &str, fields: &Fields, comments: &Comments) {
    let pad = " ".repeat(indent);
    for line in comment_lines(comments) {
        let _ = writeln!(out, "{pad}{line}");
    }
    if fields.0.is_empty() {
        let _ = writeln!(out, "{pad}{head}: {{}}");
        return;
    }
    if let Some(inline) = flow_mapping(fields) {
        let line = format!("{pad}{head}: {inline}");
        if line.chars().count() <= LINE_WIDTH {
            out.push_str(&line);
            out.push('\n');
            return;
        }
    }
    let _ = writeln!(out, "{pad}{head}:");
    // A list item's mapping sits under the item's text, past the `- `.
    let child = if head.starts_with("- ") {
        indent + 4
    } else {
        indent + 2
    };
    block_fields(out, child, fields);
}

/// A list item written as a block mapping whose first key follows the dash (decisions).
fn list_item(out: &mut String, indent: usize, fields: &Fields, comments: &Comments) {
    let pad = " ".repeat(indent);
    for line in comment_lines(comments) {
        let _ = writeln!(out, "{pad}{line}");
    }
    let mut body = String::new();
    block_fields(&mut body, indent + 2, fields);
    // The first line's indentation becomes the dash.
    let body = body.get(indent + 2..).unwrap_or("");
    let _ = write!(out, "{pad}- {body}");
}

fn flow_mapping(fields: &Fields) -> Option<String> {
    let mut parts = Vec::new();
    for (k, v) in &fields.0 {
        let value = match v {
            Val::Token(t) => t.clone(),
            Val::Text(t) => {
                if t.contains('\n') {
                    return None;
                }
                scalar(t, true)
            }
            Val::List(items) => flow_list(items),
        };
        parts.push(format!("{k}: {value}"));
    }
    Some(format!("{{ {} }}", parts.join(", ")))
}

fn flow_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| scalar(i, true)).collect();
    format!("[{}]", items.join(", "))
}

fn block_fields(out: &mut String, indent: usize, fields: &Fields) {
    let pad = " ".repeat(indent);
    for (k, v) in &fields.0 {
        match v {
            Val::Token(t) => {
                let _ = writeln!(out, "{pad}{k}: {t}");
            }
            Val::Text(t) => match literal_block(t, indent + 2) {
                Some(block) => {
                    let _ = write!(out, "{pad}{k}: {block}");
                }
                None => {
                    let _ = writeln!(out, "{pad}{k}: {}", scalar(t, false));
                }
            },
            Val::List(items) => {
                let inline = format!("{pad}{k}: {}", flow_list(items));
                if inline.chars().count() <= LINE_WIDTH || items.is_empty() {
                    out.push_str(&inline);
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "{pad}{k}:");
                    for item in items {
                        let _ = writeln!(out, "{pad}  - {}", scalar(item, false));
                    }
                }
            }
        }
    }
}

/// `text` as a literal block scalar (`|-` and indented lines), for multi-line text in block
/// style, when YAML would read it back unchanged; `None` when it needs a quoted scalar instead.
fn literal_block(text: &str, indent: usize) -> Option<String> {
    if !text.contains('\n') {
        return None;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let (chomp, lines) = match lines.split_last() {
        Some((&"", rest)) => {
            // One trailing newline is `|`; more would need `|+`, rare enough to quote instead.
            if rest.last().is_some_and(|l| l.is_empty()) {
                return None;
            }
            ("|", rest)
        }
        _ => ("|-", &lines[..]),
    };
    let first = lines.first()?;
    if first.is_empty() || first.starts_with([' ', '\t']) {
        return None;
    }
    // Hidden characters include YAML's own line breaks (NEL, LS, PS) and the byte-order mark,
    // which a literal scalar cannot carry; a line a CI runner would read as a command is kept
    // out of the output too.
    for line in lines {
        if line.ends_with([' ', '\t'])
            || line.chars().any(|c| is_hidden(c) && c != '\t')
            || !command_marks(line).is_empty()
        {
            return None;
        }
    }
    let pad = " ".repeat(indent);
    let mut out = format!("{chomp}\n");
    for line in lines {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
    Some(out)
}

/// `text` as a YAML scalar that reads back as exactly this string: plain when that is safe,
/// double-quoted otherwise. `in_flow` is for `{ ... }` and `[ ... ]`, where `,[]{}` end a value.
pub(crate) fn scalar(text: &str, in_flow: bool) -> String {
    if plain_is_safe(text, in_flow) {
        text.to_owned()
    } else {
        double_quoted(text)
    }
}

fn plain_is_safe(s: &str, in_flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || s.len() > 400 {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`<=".contains(first) {
        return false;
    }
    if s.chars()
        .any(|c| is_hidden(c) || (in_flow && matches!(c, ',' | '[' | ']' | '{' | '}')))
        || !command_marks(s).is_empty()
    {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return false;
    }
    // Numbers, dates, times and versions: YAML 1.1 and 1.2 readers disagree on which of these
    // are numbers (`1.10`, `0o17`, `1:20`), so anything number-like is quoted.
    let starts_numeric = first.is_ascii_digit()
        || (matches!(first, '+' | '.')
            && s[1..]
                .starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == 'i' || c == 'n'));
    if starts_numeric
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '+' | '-'))
    {
        return false;
    }
    if matches!(lower.as_str(), ".inf" | ".nan" | "+.inf" | "-.inf") {
        return false;
    }
    true
}

/// `s` double-quoted, on one line: control, invisible and bidi characters as escapes (the
/// YAML is shown on terminals), and so is the character that would make a CI runner read a
/// line as a command (`#` of `##[`), so no filter on the way has to change the text.
fn double_quoted(s: &str) -> String {
    let marks = command_marks(s);
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for (i, c) in s.char_indices() {
        if marks.binary_search(&i).is_ok() {
            let _ = write!(out, "\\x{:02X}", c as u32);
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if is_hidden(c) && c > '\u{ffff}' => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Comment text as `# ` lines: one per line of text, control characters blanked.
fn comment_lines(comments: &Comments) -> Vec<String> {
    let mut out = Vec::new();
    for c in comments {
        for line in c.split(['\n', '\u{2028}', '\u{2029}', '\u{85}']) {
            let line: String = line
                .chars()
                .map(|c| if is_hidden(c) { ' ' } else { c })
                .collect();
            let line = line.trim_end();
            if line.is_empty() {
                out.push("#".to_owned());
            } else {
                out.push(format!("# {line}"));
            }
        }
    }
    out
}

/// Fixes what would make the draft fail `check`; says what it changed in comments and
/// `warnings`.
/// Cuts boundary nesting at the loader's depth limit: a boundary that would sit deeper is taken
/// out of its parent and starts a tree of its own, so a chain of 10,000 nested zones imports as
/// chains of at most the limit rather than as a model `check` rejects. `nested` holds every
/// boundary's and component's id that some boundary contains; the boundaries form a forest.
fn cap_boundary_depth(
    boundaries: &mut [DraftBoundary],
    nested: &HashSet<String>,
    warnings: &mut Vec<String>,
) {
    let limit = threatforge_model::Limits::default().max_boundary_depth;
    let at: HashMap<&str, usize> = boundaries
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.as_str(), i))
        .collect();
    // Breadth first from the tops, one visit per boundary: a recursion would be as deep as the
    // chain.
    let mut depth = vec![0usize; boundaries.len()];
    let mut queue: std::collections::VecDeque<usize> = (0..boundaries.len())
        .filter(|&i| !nested.contains(&boundaries[i].id))
        .collect();
    for &top in &queue {
        depth[top] = 1;
    }
    let mut cut: Vec<(usize, usize)> = Vec::new();
    while let Some(b) = queue.pop_front() {
        for child in &boundaries[b].contains {
            let Some(&c) = at.get(child.as_str()) else {
                continue;
            };
            depth[c] = if depth[b] == limit {
                cut.push((b, c));
                1
            } else {
                depth[b] + 1
            };
            queue.push_back(c);
        }
    }
    for (parent, child) in cut {
        let id = boundaries[child].id.clone();
        boundaries[parent].contains.retain(|c| *c != id);
        let text = format!(
            "{id}: taken out of `{}`, where it would be nested deeper than {limit} boundaries \
             (the limit `check` holds models to)",
            boundaries[parent].id
        );
        boundaries[child].comments.push(text.clone());
        warnings.push(text);
    }
}

pub(crate) fn sanitize(draft: &Draft, warnings: &mut Vec<String>) -> Draft {
    let cat = catalog();
    let mut d = draft.clone();
    let warn = |comments: &mut Comments, text: String, warnings: &mut Vec<String>| {
        comments.push(text.clone());
        warnings.push(text);
    };

    // Ids: the importer mints them, so invalid or clashing ids here are importer bugs; they are
    // dropped rather than renamed because references to them could not be renamed reliably.
    let mut data_ids = HashSet::new();
    d.data.retain(|x| {
        if is_valid_id(&x.id) && data_ids.insert(x.id.clone()) {
            true
        } else {
            warnings.push(format!(
                "data asset `{}` dropped: invalid or duplicate id",
                x.id
            ));
            false
        }
    });
    let mut ids: HashSet<String> = HashSet::new();
    let mut keep_id = |id: &str, what: &str, warnings: &mut Vec<String>| {
        if is_valid_id(id) && id != threatforge_model::INTERNET && ids.insert(id.to_owned()) {
            true
        } else {
            warnings.push(format!("{what} `{id}` dropped: invalid or duplicate id"));
            false
        }
    };
    d.components
        .retain(|c| keep_id(&c.id, "component", warnings));
    d.boundaries
        .retain(|b| keep_id(&b.id, "boundary", warnings));
    d.runtimes.retain(|r| keep_id(&r.id, "runtime", warnings));
    let component_ids: HashSet<String> = d.components.iter().map(|c| c.id.clone()).collect();
    let boundary_ids: HashSet<String> = d.boundaries.iter().map(|b| b.id.clone()).collect();

    let warn_list = |items: &mut Vec<String>,
                     ok: &dyn Fn(&str) -> bool,
                     what: &str,
                     owner: &str,
                     comments: &mut Comments,
                     warnings: &mut Vec<String>| {
        let mut seen = HashSet::new();
        let mut dropped = Vec::new();
        items.retain(|i| {
            if !seen.insert(i.clone()) {
                return false;
            }
            if ok(i) {
                true
            } else {
                dropped.push(i.clone());
                false
            }
        });
        if !dropped.is_empty() {
            let text = format!("{owner}: dropped {what} {}", dropped.join(", "));
            comments.push(text.clone());
            warnings.push(text);
        }
    };

    for c in &mut d.components {
        if let Some(t) = c.technology.clone()
            && cat.technology(&t).is_none()
        {
            c.technology = None;
            warn(
                &mut c.comments,
                format!(
                    "{}: technology `{t}` is not in threatforge's catalogue",
                    c.id
                ),
                warnings,
            );
        }
        if c.technology.is_none() && c.kind.is_none() {
            c.kind = Some(ComponentKind::Process);
        }
        let label = c.id.clone();
        warn_list(
            &mut c.processes,
            &|i| data_ids.contains(i),
            "unknown data",
            &label,
            &mut c.comments,
            warnings,
        );
        warn_list(
            &mut c.stores,
            &|i| data_ids.contains(i),
            "unknown data",
            &label,
            &mut c.comments,
            warnings,
        );
        warn_list(
            &mut c.controls,
            &|i| cat.control(i).is_some_and(|k| k.on != ControlTarget::Flow),
            "controls that are unknown or only for flows:",
            &label,
            &mut c.comments,
            warnings,
        );
        warn_list(
            &mut c.traits,
            &|i| cat.traits.contains_key(i),
            "unknown traits",
            &label,
            &mut c.comments,
            warnings,
        );
    }

    let mut flow_ids: HashSet<String> = HashSet::new();
    let mut flows = Vec::new();
    for mut f in std::mem::take(&mut d.flows) {
        if !component_ids.contains(&f.source) || !component_ids.contains(&f.target) {
            warnings.push(format!(
                "flow {} -> {} dropped: one of its ends is not a component",
                f.source, f.target
            ));
            continue;
        }
        if let Some(id) = &f.id
            && (!is_valid_id(id) || ids.contains(id))
        {
            f.id = None;
        }
        let mut effective = f.effective_id();
        if flow_ids.contains(&effective) {
            let minted = d.ids.mint(&format!("{}-to-{}", f.source, f.target));
            f.id = Some(minted.clone());
            effective = minted;
        }
        if let Some(id) = &f.id {
            ids.insert(id.clone());
        }
        flow_ids.insert(effective.clone());
        if let Some(p) = f.protocol.clone()
            && cat.protocol(&p).is_none()
        {
            f.protocol = None;
            warn(
                &mut f.comments,
                format!("{effective}: protocol `{p}` is not in threatforge's catalogue"),
                warnings,
            );
        }
        warn_list(
            &mut f.data,
            &|i| data_ids.contains(i),
            "unknown data",
            &effective,
            &mut f.comments,
            warnings,
        );
        warn_list(
            &mut f.returns,
            &|i| data_ids.contains(i),
            "unknown data",
            &effective,
            &mut f.comments,
            warnings,
        );
        warn_list(
            &mut f.controls,
            &|i| {
                cat.control(i)
                    .is_some_and(|k| k.on != ControlTarget::Component)
            },
            "controls that are unknown or only for components:",
            &effective,
            &mut f.comments,
            warnings,
        );
        flows.push(f);
    }
    d.flows = flows;

    // Boundaries form a tree: each element directly in one boundary, no cycles.
    let mut nested: HashSet<String> = HashSet::new();
    let mut trees = crate::draft::Forest::default();
    for b in &mut d.boundaries {
        let mut dropped = Vec::new();
        let mut kept = Vec::new();
        for child in std::mem::take(&mut b.contains) {
            let known = component_ids.contains(&child) || boundary_ids.contains(&child);
            if !known || nested.contains(&child) || !trees.join(&child, &b.id) {
                dropped.push(child);
            } else {
                nested.insert(child.clone());
                kept.push(child);
            }
        }
        b.contains = kept;
        if !dropped.is_empty() {
            warn(
                &mut b.comments,
                format!(
                    "{}: left out of `contains` (unknown, already in another boundary, or a cycle): {}",
                    b.id,
                    dropped.join(", ")
                ),
                warnings,
            );
        }
    }
    cap_boundary_depth(&mut d.boundaries, &nested, warnings);

    for r in &mut d.runtimes {
        let label = r.id.clone();
        warn_list(
            &mut r.runs,
            &|i| component_ids.contains(i),
            "unknown components",
            &label,
            &mut r.comments,
            warnings,
        );
    }

    let runtime_ids: HashSet<String> = d.runtimes.iter().map(|r| r.id.clone()).collect();
    let mut threat_ids = HashSet::new();
    d.threats.retain(|t| {
        if is_valid_id(&t.id) && threat_ids.insert(t.id.clone()) {
            true
        } else {
            warnings.push(format!(
                "threat `{}` dropped: invalid or duplicate id",
                t.id
            ));
            false
        }
    });
    for t in &mut d.threats {
        if t.title.trim().is_empty() {
            t.title = t.id.clone();
        }
        if let Some(e) = t.element.clone()
            && !(component_ids.contains(&e)
                || boundary_ids.contains(&e)
                || runtime_ids.contains(&e)
                || data_ids.contains(&e)
                || flow_ids.contains(&e))
        {
            t.element = None;
            warn(
                &mut t.comments,
                format!(
                    "{}: element `{e}` is not in the model; the threat is about the system as a whole",
                    t.id
                ),
                warnings,
            );
        }
        let label = t.id.clone();
        warn_list(
            &mut t.mitigations,
            &|i| i.split('|').all(|c| cat.control(c.trim()).is_some()),
            "unknown controls",
            &label,
            &mut t.comments,
            warnings,
        );
    }

    for dec in &mut d.decisions {
        let selector = dec.threat.trim();
        if selector.is_empty() || !(selector.contains(':') || selector.contains('*')) {
            let text = format!(
                "decision on `{}`: not a threat id; kept as a match-nothing selector",
                dec.threat
            );
            dec.comments.push(text.clone());
            warnings.push(text);
            dec.threat = format!("unknown:{}", slug(&dec.threat));
        }
        for (what, date) in [("date", &mut dec.date), ("expires", &mut dec.expires)] {
            if let Some(v) = date.clone()
                && !is_valid_date(&v)
            {
                *date = None;
                dec.comments.push(format!("{what} in the source: {v}"));
            }
        }
        let needs_reason = matches!(
            dec.status,
            DecisionStatus::Accepted
                | DecisionStatus::FalsePositive
                | DecisionStatus::NotApplicable
        ) || dec.severity.is_some();
        if needs_reason
            && dec
                .justification
                .as_deref()
                .is_none_or(|j| j.trim().is_empty())
        {
            dec.justification =
                Some("(imported; the source gave no justification: please add one)".to_owned());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(yaml: &str) -> String {
        let value: String = serde_saphyr::from_str(yaml).expect("reads back");
        value
    }

    const HOSTILE: &[&str] = &[
        "plain text",
        "key: value",
        "ends with colon:",
        "a # not a comment",
        "#starts with hash",
        "\"double\" and 'single' quotes",
        "'single start",
        "line one\nline two",
        "trailing newline\n",
        "- leading dash",
        "-",
        "* star",
        "&anchor",
        "!tag",
        "|pipe",
        ">folded",
        "%directive",
        "@at",
        "`backtick",
        "? question",
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "null",
        "~",
        "true",
        "False",
        "123",
        "1.10",
        "0x1F",
        "0o17",
        "1e5",
        "-12",
        "+1",
        ".5",
        ".inf",
        "-.inf",
        ".NaN",
        "2024-01-01",
        "12:30:00",
        "1_000",
        "   leading spaces",
        "trailing spaces   ",
        "",
        " ",
        "tab\there",
        "control \u{1} char",
        "bell \u{7}",
        "nel \u{85} x",
        "ls \u{2028} x",
        "\u{feff}bom",
        "unicode: Zürich, 日本語, emoji 🚀",
        "comma, separated",
        "[brackets]",
        "{braces}",
        "a,b",
        "x]y",
        "back\\slash",
        "<<",
        "=",
        "path/to/file.yaml",
        "https://example.com/a?b=c#frag",
        "---",
        "...",
        "multi\n\nparagraph\n  indented line",
        "\nleading newline",
        "crlf\r\nline",
        "ends with\n::error::x",
        "x ##[error] y",
    ];

    #[test]
    fn hostile_scalars_read_back_unchanged() {
        for text in HOSTILE.iter().chain(threatforge_model::escape::HOSTILE) {
            for in_flow in [false, true] {
                let s = scalar(text, in_flow);
                let yaml = if in_flow {
                    format!("[{s}]")
                } else {
                    format!("{s}\n")
                };
                if in_flow {
                    let back: Vec<String> = serde_saphyr::from_str(&yaml)
                        .unwrap_or_else(|e| panic!("{text:?} as {yaml:?}: {e}"));
                    assert_eq!(back, vec![text.to_string()], "{yaml}");
                } else {
                    assert_eq!(read_back(&yaml), *text, "{yaml}");
                }
            }
            // What is written for a terminal or a CI log needs no escaping on the way.
            let s = scalar(text, false);
            assert!(!s.chars().any(is_hidden), "{s:?}");
            assert!(command_marks(&s).is_empty(), "{s:?}");
            if let Some(block) = literal_block(text, 2) {
                assert!(command_marks(&block).is_empty(), "{block:?}");
                assert!(
                    !block.chars().any(|c| is_hidden(c) && c != '\n'),
                    "{block:?}"
                );
                let yaml = format!("k: {block}");
                let back: std::collections::BTreeMap<String, String> =
                    serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
                assert_eq!(back["k"], *text, "{yaml}");
            }
        }
    }

    #[test]
    fn simple_text_stays_plain() {
        assert_eq!(scalar("Customer data", false), "Customer data");
        assert_eq!(scalar("a, b", false), "a, b");
        assert_eq!(scalar("a, b", true), "\"a, b\"");
        assert_eq!(scalar("1.10", false), "\"1.10\"");
        assert_eq!(scalar("yes", false), "\"yes\"");
    }

    /// Loads written YAML as `check` would, with the messages of its errors.
    fn load(yaml: &str) -> (threatforge_model::Loaded, Vec<String>) {
        let loaded = threatforge_model::load_str(
            "t.yaml",
            yaml,
            std::path::Path::new("."),
            &threatforge_model::LoadOptions::default(),
        );
        let errors = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect();
        (loaded, errors)
    }

    #[test]
    fn hostile_texts_load_as_a_model() {
        for text in HOSTILE {
            let mut draft = Draft::new(*text);
            draft.system.description = Some((*text).to_owned());
            draft.header.push((*text).to_owned());
            let mut d = DraftData::new("d");
            d.name = Some((*text).to_owned());
            d.tags = vec![(*text).to_owned(), "x".to_owned()];
            d.comments.push((*text).to_owned());
            draft.data.push(d);
            let mut c = DraftComponent::new("c");
            c.technology = Some("web-application".to_owned());
            c.name = Some((*text).to_owned());
            c.description = Some(format!("{text}\n{text}"));
            c.processes.push("d".to_owned());
            draft.components.push(c);
            let mut warnings = Vec::new();
            let yaml = to_yaml(&draft, &mut warnings);
            let (loaded, errors) = load(&yaml);
            assert!(errors.is_empty(), "{text:?}:\n{yaml}\n{errors:?}");
            let model = &loaded.model;
            let expected_name = if text.trim().is_empty() {
                "Imported model"
            } else {
                text
            };
            assert_eq!(model.system_name(), expected_name, "{yaml}");
            let system = model.system.as_ref().expect("system");
            assert_eq!(system.description.as_deref(), Some(*text));
            let data = &model.data["d"];
            assert_eq!(data.name.as_deref(), Some(*text), "{yaml}");
            assert_eq!(data.tags[0], *text);
            let comp = &model.components["c"];
            assert_eq!(
                comp.description.as_deref(),
                Some(format!("{text}\n{text}").as_str())
            );
        }
    }

    #[test]
    fn sanitize_repairs_what_check_would_reject() {
        let mut draft = Draft::new("s");
        let mut a = DraftComponent::new("a");
        a.technology = Some("no-such-tech".into());
        a.controls = vec!["mfa".into(), "tls".into(), "bogus".into()];
        a.processes = vec!["missing".into()];
        draft.components.push(a);
        draft.components.push(DraftComponent::new("b"));
        draft.components.push(DraftComponent::new("b"));
        let mut f = DraftFlow::new("a", "b");
        f.protocol = Some("carrier-pigeon".into());
        f.controls = vec!["mfa".into(), "tls".into()];
        draft.flows.push(f.clone());
        draft.flows.push(f);
        draft.flows.push(DraftFlow::new("a", "ghost"));
        let mut outer = DraftBoundary::new("outer");
        outer.contains = vec!["inner".into(), "a".into()];
        let mut inner = DraftBoundary::new("inner");
        inner.contains = vec!["outer".into(), "a".into(), "b".into()];
        draft.boundaries.push(outer);
        draft.boundaries.push(inner);
        draft
            .decisions
            .push(DraftDecision::new("x:a", DecisionStatus::Accepted));
        let mut bad = DraftDecision::new("nonsense", DecisionStatus::Open);
        bad.date = Some("last tuesday".into());
        draft.decisions.push(bad);
        let mut warnings = Vec::new();
        let yaml = to_yaml(&draft, &mut warnings);
        let (loaded, errors) = load(&yaml);
        assert!(errors.is_empty(), "{yaml}\n{errors:?}");
        assert!(warnings.len() >= 6, "{warnings:#?}");
        assert_eq!(loaded.model.flows.len(), 2);
    }
}
