//! The top-level sections of a model file: each read entity by entity (in parallel, declared in
//! order), its id checked and claimed in its namespace. Checks that need the whole model, such as
//! references between sections, are `validate`'s.

use std::borrow::Cow;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::model::{Decl, Flow, FlowAttributes, Id, Model, RulesConfig, System, is_valid_id};
use crate::read::{key_help, read_entity, span};
use crate::source::{FileId, Span};
use crate::sp::Sp;
use crate::yaml::node::{Node, Value};

use super::Loader;
use super::budgets::Counted;

/// The top-level keys of a model file, in the order the documentation presents them.
const SECTIONS: &[&str] = &[
    "system",
    "include",
    "data",
    "components",
    "flows",
    "boundaries",
    "runtimes",
    "threats",
    "controls",
    "rules",
    "decisions",
    "evidence",
];

/// How many entities are read (in parallel) before their nodes are freed. A large model's tree
/// is larger than the entities read from it; freeing it as it is read lets the entities reuse its
/// memory instead of holding both at once (at 50,000 components the load's peak was the whole
/// tree beside the whole model).
const READ_CHUNK: usize = 1024;

/// Frees the subtrees of nodes that have been read.
fn release<'n>(nodes: impl Iterator<Item = &'n mut Node>) {
    for node in nodes {
        node.value = Value::Null;
    }
}

impl Loader<'_> {
    /// The entries of a node that must be a mapping: none for an empty one, and for anything
    /// else none with the diagnostic `wrong` writes for what it is ("a list", ...).
    fn mapping<'n>(
        &mut self,
        node: &'n mut Node,
        wrong: impl FnOnce(&str) -> Diagnostic,
    ) -> Option<&'n mut [(Node, Node)]> {
        match &mut node.value {
            Value::Map(entries) => Some(entries),
            Value::Null => None,
            other => {
                self.diagnostics.push(wrong(other.kind()));
                None
            }
        }
    }

    pub(super) fn read_document(
        &mut self,
        file: FileId,
        node: &mut Node,
        is_root: bool,
        stack: &mut Vec<PathBuf>,
    ) {
        let at = node.span;
        let Some(entries) = self.mapping(node, |kind| {
            Diagnostic::new(
                Code::InvalidType,
                format!("a model file must be a mapping, but this is {kind}"),
            )
            .with_label(span(file, at), "expected `system:`, `components:`, ...")
            .with_help("see `threatforge init` for a starter model")
        }) else {
            return;
        };
        let mut includes = Vec::new();
        for (key, value) in entries.iter_mut() {
            let Some(name) = key.as_str() else {
                self.unknown_key(file, key, "the model", SECTIONS);
                continue;
            };
            match name {
                "system" => {
                    if is_root {
                        self.system_seen = true;
                        self.model.system_span = span(file, key.span);
                        self.model.system = self.entity::<System>(file, value, "`system`");
                    } else {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::SystemInInclude,
                                "only the root model file may have a `system` section",
                            )
                            .with_label(span(file, key.span), "in an included file")
                            .with_help("move this section to the root file, or remove it"),
                        );
                    }
                }
                "include" => {
                    if let Some(list) = self.entity::<Vec<Sp<String>>>(file, value, "`include`") {
                        includes.extend(list);
                    }
                }
                "data" => self.map_section(file, value, "data", "data asset", Section::Data),
                "components" => {
                    self.map_section(file, value, "components", "component", Section::Components)
                }
                "boundaries" => {
                    self.map_section(file, value, "boundaries", "boundary", Section::Boundaries)
                }
                "runtimes" => {
                    self.map_section(file, value, "runtimes", "runtime", Section::Runtimes)
                }
                "threats" => self.map_section(file, value, "threats", "threat", Section::Threats),
                "controls" => {
                    self.map_section(file, value, "controls", "control", Section::Controls)
                }
                "flows" => self.flows(file, value),
                "decisions" => self.decisions(file, value),
                "evidence" => {
                    if let Some(list) = self.entity::<Vec<Sp<String>>>(file, value, "`evidence`") {
                        self.model.evidence.extend(list);
                    }
                }
                "rules" if is_root => {
                    if let Some(config) = self.entity::<RulesConfig>(file, value, "`rules`") {
                        self.model.rules = config;
                    }
                }
                "rules" => self.diagnostics.push(
                    Diagnostic::new(
                        Code::RulesInInclude,
                        "only the root model file may configure `rules`",
                    )
                    .with_label(span(file, key.span), "in an included file")
                    .with_help("move this section to the root file"),
                ),
                _ => self.unknown_key(file, key, "the model", SECTIONS),
            }
        }
        for include in includes {
            self.include(file, &include, stack);
        }
    }

    /// Deserializes one entity; reports its errors (all unknown keys, then the first other error).
    fn entity<T: DeserializeOwned>(&mut self, file: FileId, node: &Node, what: &str) -> Option<T> {
        let (value, diagnostics) = read_entity(file, node, what);
        self.diagnostics.extend(diagnostics);
        value
    }

    fn unknown_key(&mut self, file: FileId, key: &Node, what: &str, expected: &[&str]) {
        let name = key.as_str().unwrap_or("");
        self.diagnostics.push(
            Diagnostic::new(Code::UnknownKey, format!("unknown key `{name}` in {what}"))
                .with_label(span(file, key.span), "not a known key")
                .with_help(key_help(name, expected)),
        );
    }

    fn map_section(
        &mut self,
        file: FileId,
        node: &mut Node,
        name: &str,
        what: &'static str,
        section: Section,
    ) {
        let at = node.span;
        let Some(entries) = self.mapping(node, |kind| {
            Diagnostic::new(
                Code::InvalidType,
                format!("`{name}` must be a mapping from ids to {what}s, but this is {kind}"),
            )
            .with_label(span(file, at), "expected `id: { ... }` entries")
            .with_help(format!(
                "write each {what} as `my-id: {{ ... }}` under `{name}:`"
            ))
        }) else {
            return;
        };
        let counted = match section {
            Section::Data => Counted::Data,
            Section::Components => Counted::Components,
            Section::Boundaries => Counted::Boundaries,
            Section::Runtimes => Counted::Runtimes,
            Section::Threats => Counted::Threats,
            Section::Controls => Counted::Controls,
        };
        let fit = self.within_limit(counted, entries.len(), |i| {
            entries.get(i).map(|(key, _)| span(file, key.span))
        });
        let entries = &mut entries[..fit];
        match section {
            Section::Data => self.entities(file, entries, what, |m| &mut m.data),
            Section::Components => self.entities(file, entries, what, |m| &mut m.components),
            Section::Boundaries => self.entities(file, entries, what, |m| &mut m.boundaries),
            Section::Runtimes => self.entities(file, entries, what, |m| &mut m.runtimes),
            Section::Threats => self.entities(file, entries, what, |m| &mut m.threats),
            Section::Controls => self.entities(file, entries, what, |m| &mut m.controls),
        }
    }

    /// Declares a section's entities. Each entity is deserialized on its own, so they are read in
    /// parallel (a large model has tens of thousands) and then declared in order, with their
    /// diagnostics in the order a one-by-one reading gives them. They are read in chunks whose
    /// nodes are freed once read (`release`).
    fn entities<T: DeserializeOwned + Send>(
        &mut self,
        file: FileId,
        entries: &mut [(Node, Node)],
        what: &'static str,
        section: fn(&mut Model) -> &mut IndexMap<Id, Decl<T>>,
    ) {
        for chunk in entries.chunks_mut(READ_CHUNK) {
            self.entity_chunk(file, chunk, what, section);
            release(chunk.iter_mut().flat_map(|(key, value)| [key, value]));
        }
    }

    fn entity_chunk<T: DeserializeOwned + Send>(
        &mut self,
        file: FileId,
        entries: &[(Node, Node)],
        what: &'static str,
        section: fn(&mut Model) -> &mut IndexMap<Id, Decl<T>>,
    ) {
        use rayon::prelude::*;
        let read: Vec<Option<(Option<T>, Vec<Diagnostic>)>> = entries
            .par_iter()
            .map(|(key, value)| {
                // Entities whose id is not valid are not read (`id` reports them below).
                let id = key.as_str().filter(|text| is_valid_id(text))?;
                let label = format!("{what} `{id}`");
                let value = match &value.value {
                    // `db: {}` and `db:` both mean "all defaults".
                    Value::Null => Cow::Owned(Node {
                        span: value.span,
                        value: Value::Map(Vec::new()),
                    }),
                    _ => Cow::Borrowed(value),
                };
                Some(read_entity::<T>(file, &value, &label))
            })
            .collect();
        for ((key, _), read) in entries.iter().zip(read) {
            let Some(id) = self.id(file, key, what) else {
                continue;
            };
            let Some((value, diagnostics)) = read else {
                continue;
            };
            let had_errors = diagnostics.iter().any(Diagnostic::is_error);
            self.diagnostics.extend(diagnostics);
            let declared = value.map(|v| self.declare(id.clone(), what, v, section));
            // `broken` quiets references to an entity that failed to load, and the checks of
            // what an entity read without its bad entries lacks; nothing refers to a manual
            // threat by its bare id.
            let unread = declared.is_none() && self.claim_id(&id, what) && what != "threat";
            if unread || (declared.is_some() && had_errors) {
                self.broken.insert(id.value);
            }
        }
    }

    /// Reads an entity's id from its key, checking its form.
    fn id(&mut self, file: FileId, key: &Node, what: &str) -> Option<Sp<Id>> {
        let at = span(file, key.span);
        let Some(text) = key.as_str() else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidId,
                    format!("a {what} id must be text, not {}", key.value.kind()),
                )
                .with_label(at, "not an id"),
            );
            return None;
        };
        if !is_valid_id(text) {
            let suggestion = to_id(text);
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidId,
                    format!("`{text}` is not a valid {what} id"),
                )
                .with_label(
                    at,
                    "ids are lowercase letters, digits, `-` and `_`, starting with a letter",
                )
                .with_help_opt(
                    (is_valid_id(&suggestion)).then(|| {
                        format!("write `{suggestion}` and put the display name in `name:`")
                    }),
                ),
            );
            return None;
        }
        Some(Sp::new(text.to_owned(), at))
    }

    fn declare<T>(
        &mut self,
        id: Sp<Id>,
        what: &'static str,
        value: T,
        section: impl FnOnce(&mut Model) -> &mut IndexMap<Id, Decl<T>>,
    ) {
        if !self.claim_id(&id, what) {
            return;
        }
        section(&mut self.model).insert(id.value.clone(), Decl { id, value });
    }

    /// Registers an id in the model's single namespace; reports a duplicate and returns false.
    fn claim_id(&mut self, id: &Sp<Id>, what: &'static str) -> bool {
        if id.value == crate::model::INTERNET {
            self.diagnostics.push(
                Diagnostic::new(Code::ReservedId, "`internet` is a reserved id")
                    .with_label(id.span, "reserved for the implicit internet zone")
                    .with_help("choose another id; components reach the internet with `exposure: internet`"),
            );
            return false;
        }
        let key = (namespace(what), id.value.clone());
        if let Some((first_what, first_span)) = self.ids.get(&key) {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    format!("id `{}` is declared twice", id.value),
                )
                .with_label(id.span, format!("this {what} reuses the id"))
                .with_label(
                    *first_span,
                    format!("first declared here, as a {first_what}"),
                )
                .with_help(
                    "ids must be unique among components, boundaries, runtimes and flows, and among data assets",
                ),
            );
            return false;
        }
        self.ids.insert(key, (what, id.span));
        true
    }

    /// A section that is a list: its items, nothing when it is empty, and an error when it is
    /// something else.
    fn list_items<'n>(
        &mut self,
        file: FileId,
        node: &'n mut Node,
        name: &str,
        expected: &str,
        help: &str,
    ) -> &'n mut [Node] {
        let at = node.span;
        match &mut node.value {
            Value::Seq(items) => items,
            Value::Null => &mut [],
            other => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidType,
                        format!("`{name}` must be a list, but this is {}", other.kind()),
                    )
                    .with_label(span(file, at), expected)
                    .with_help(help),
                );
                &mut []
            }
        }
    }

    /// Declares the flows, read in chunks whose nodes are freed once read, as `entities` does.
    fn flows(&mut self, file: FileId, node: &mut Node) {
        let items = self.list_items(
            file,
            node,
            "flows",
            "expected a list of `- source -> target: {...}`",
            "write each flow as a list item: `- shop -> db: { protocol: postgres-tls }`",
        );
        let fit = self.within_limit(Counted::Flows, items.len(), |i| {
            items.get(i).map(|item| span(file, item.span))
        });
        for chunk in items[..fit].chunks_mut(READ_CHUNK) {
            self.flow_chunk(file, chunk);
            release(chunk.iter_mut());
        }
    }

    fn flow_chunk(&mut self, file: FileId, items: &[Node]) {
        // The attributes are deserialized in parallel first (see `entities`); a flow whose ends
        // are not `source -> target` is not read, as below.
        let read: Vec<Option<(Option<FlowAttributes>, Vec<Diagnostic>)>> = {
            use rayon::prelude::*;
            items
                .par_iter()
                .map(|item| {
                    let Value::Map(entries) = &item.value else {
                        return None;
                    };
                    let [(key, attributes)] = entries.as_slice() else {
                        return None;
                    };
                    if attributes.value == Value::Null {
                        return None;
                    }
                    let (source, target) = key.as_str()?.split_once("->")?;
                    let (source, target) = (source.trim(), target.trim());
                    if !is_valid_id(source) || !is_valid_id(target) {
                        return None;
                    }
                    let label = format!("flow `{source} -> {target}`");
                    Some(read_entity::<FlowAttributes>(file, attributes, &label))
                })
                .collect()
        };
        for (item, read) in items.iter().zip(read) {
            let (key, attributes) = match &item.value {
                Value::Str(_) => (item, None),
                Value::Map(entries) if entries.len() == 1 => (&entries[0].0, Some(&entries[0].1)),
                _ => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidFlow,
                            "a flow must be `source -> target`, optionally with its attributes",
                        )
                        .with_label(
                            span(file, item.span),
                            format!("this is {}", describe_flow_item(item)),
                        )
                        .with_help(
                            "write `- shop -> db` or `- shop -> db: { protocol: postgres-tls }`",
                        ),
                    );
                    continue;
                }
            };
            let Some((source, target)) = self.flow_ends(file, key) else {
                continue;
            };
            let label = format!("flow `{} -> {}`", source.value, target.value);
            let attributes = match attributes {
                None => FlowAttributes::default(),
                Some(n) if n.value == Value::Null => FlowAttributes::default(),
                // A flow whose attributes are broken still joins its ends, so that they are not
                // also reported as isolated.
                Some(n) => match read {
                    Some((value, diagnostics)) => {
                        self.diagnostics.extend(diagnostics);
                        value.unwrap_or_default()
                    }
                    None => self
                        .entity::<FlowAttributes>(file, n, &label)
                        .unwrap_or_default(),
                },
            };
            let id = match &attributes.id {
                Some(id) => {
                    if !is_valid_id(&id.value) {
                        self.diagnostics.push(
                            Diagnostic::new(Code::InvalidId, format!("`{}` is not a valid flow id", id.value))
                                .with_label(id.span, "ids are lowercase letters, digits, `-` and `_`, starting with a letter"),
                        );
                        continue;
                    }
                    id.clone()
                }
                None => Sp::new(
                    format!("{}->{}", source.value, target.value),
                    span(file, key.span),
                ),
            };
            if attributes.id.is_none() {
                if let Some(existing) = self.model.flows.get(&id.value) {
                    self.diagnostics.push(
                        Diagnostic::new(Code::DuplicateId, format!("{label} is declared twice"))
                            .with_label(id.span, "a second flow between the same components")
                            .with_label(existing.id.span, "first declared here")
                            .with_help("give each of them an `id:` to tell them apart, or merge them into one flow"),
                    );
                    continue;
                }
            } else if !self.claim_id(&id, "flow") {
                continue;
            }
            self.model.flows.insert(
                id.value.clone(),
                Decl {
                    id,
                    value: Flow {
                        source,
                        target,
                        attributes,
                    },
                },
            );
        }
    }

    fn decisions(&mut self, file: FileId, node: &mut Node) {
        let items = self.list_items(
            file,
            node,
            "decisions",
            "expected a list of `- threat: ...` entries",
            "write each decision as a list item: `- { threat: sql-injection:shop, status: accepted, ... }`",
        );
        let fit = self.within_limit(Counted::Decisions, items.len(), |i| {
            items.get(i).map(|item| span(file, item.span))
        });
        for item in &items[..fit] {
            if let Some(decision) = self.entity::<crate::model::Decision>(file, item, "a decision")
            {
                self.model.decisions.push(decision);
            }
        }
    }

    fn flow_ends(&mut self, file: FileId, key: &Node) -> Option<(Sp<Id>, Sp<Id>)> {
        let text = key.as_str().unwrap_or("");
        let Some((left, right)) = text.split_once("->") else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidFlow,
                    format!("`{text}` is not a flow: expected `source -> target`"),
                )
                .with_label(span(file, key.span), "no `->` here")
                .with_help("write the ids of the two components with `->` between them"),
            );
            return None;
        };
        let mut ends = Vec::with_capacity(2);
        // Spans of each end point at the id inside the key, so "unknown component" is precise.
        let key_text_offset = self.key_text_offset(file, key);
        for (part, base) in [(left, 0usize), (right, left.len() + 2)] {
            let trimmed = part.trim();
            let lead = part.len() - part.trim_start().len();
            let at = match key_text_offset {
                Some(offset) => Span::new(file, offset + base + lead, trimmed.len()),
                None => span(file, key.span),
            };
            if !is_valid_id(trimmed) {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidFlow,
                        format!("`{trimmed}` is not a component id"),
                    )
                    .with_label(at, "expected a component id")
                    .with_help(
                        "write the ids of the two components with `->` between them: `shop -> db`",
                    ),
                );
                return None;
            }
            ends.push(Sp::new(trimmed.to_owned(), at));
        }
        let target = ends.pop()?;
        let source = ends.pop()?;
        Some((source, target))
    }

    /// Byte offset of a plain key's text in its file, when the key is written unquoted as parsed.
    fn key_text_offset(&self, file: FileId, key: &Node) -> Option<usize> {
        let text = key.as_str()?;
        let source = self.model.sources.get(file)?;
        let start = key.span.start as usize;
        let rest = source.text.get(start..)?;
        let quoted = rest.starts_with('"') || rest.starts_with('\'');
        let start = if quoted { start + 1 } else { start };
        source
            .text
            .get(start..)
            .is_some_and(|r| r.starts_with(text))
            .then_some(start)
    }
}

#[derive(Clone, Copy)]
enum Section {
    Data,
    Components,
    Boundaries,
    Runtimes,
    Threats,
    Controls,
}

/// Data assets and manual threats each have a namespace of their own; components, boundaries,
/// runtimes and flows share one, since flows and rules refer to them without saying which.
fn namespace(what: &str) -> u8 {
    match what {
        "data asset" => 1,
        "threat" => 2,
        "control" => 3,
        _ => 0,
    }
}

fn describe_flow_item(item: &Node) -> &'static str {
    match &item.value {
        Value::Map(entries) if entries.is_empty() => "an empty mapping",
        Value::Map(_) => "a mapping with several keys (is an entry indented too far?)",
        other => other.kind(),
    }
}

/// The nearest valid id to a display name: `Payment Service` -> `payment-service`.
fn to_id(text: &str) -> String {
    let mut id = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if (c == '-' || c == '_' || c.is_whitespace() || c == '.') && !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_matches('-').to_owned()
}
