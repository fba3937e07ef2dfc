//! Microsoft Threat Modeling Tool `.tm7` files into a draft.
//!
//! A `.tm7` is the tool's object graph serialized as WCF DataContract XML: drawing surfaces whose
//! `Borders` hold both trust boundary boxes (`GE.TB.B`) and stencils (`GE.EI` external
//! interactors, `GE.P` processes, `GE.DS` data stores), whose `Lines` hold connectors (`GE.DF`
//! flows) and trust boundary lines (`GE.TB.L`), then the threat instances, each with its state,
//! and the whole knowledge base (about a megabyte of templates we do not need).
//!
//! The input is untrusted XML. quick-xml never expands external entities; we also refuse any
//! DOCTYPE (no internal entities either, so no entity expansion at all), resolve only the five
//! predefined entities and character references, skip the knowledge base without building it,
//! and bound nesting depth and element count. The size is bounded by the caller.
//!
//! Boundaries are drawn, as in Threat Dragon: members by geometric containment, lines reported
//! with the flows they cross (see [`crate::threat_dragon`]).

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::Event;
use threatforge_model::catalog;

use crate::draft::*;
use crate::threat_dragon::{
    MAX_BOXES, MAX_CURVES, Rect, boundary_line_note, members, protocol, severity, untrusted_by_name,
};
use crate::{ImportError, Options};

/// Nesting deeper than this is not a tm7 (the tool's own files stay under 20).
const MAX_DEPTH: usize = 64;
/// Elements kept in the tree (the knowledge base, skipped, does not count).
const MAX_ELEMENTS: usize = 1_000_000;

/// An XML element, by local name, with the two attributes the format uses.
#[derive(Debug, Default)]
struct Node {
    name: String,
    /// `i:type`, without its prefix.
    kind: Option<String>,
    /// `i:nil="true"`.
    nil: bool,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of a child; `None` when absent, nil or empty.
    fn text_of(&self, name: &str) -> Option<String> {
        let c = self.child(name)?;
        let t = c.text.trim();
        (!c.nil && !t.is_empty()).then(|| t.to_owned())
    }

    fn number(&self, name: &str) -> Option<f64> {
        self.text_of(name)?
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
    }
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn position(reader: &Reader<&[u8]>, text: &str) -> (usize, usize) {
    line_column(text, usize::try_from(reader.buffer_position()).unwrap_or(0))
}

fn line_column(text: &str, at: usize) -> (usize, usize) {
    // Skip the whitespace before the construct, so the position is where it starts.
    let mut at = at.min(text.len());
    while text.as_bytes().get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    let at = at.min(text.len());
    let before = &text.as_bytes()[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = at
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

fn parse(text: &str) -> Result<Node, ImportError> {
    let mut reader = Reader::from_reader(text.as_bytes());
    reader.config_mut().check_end_names = true;
    let err = |reader: &Reader<&[u8]>, message: String| {
        let (line, column) = position(reader, text);
        ImportError::at(message, line, column)
    };
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut elements = 0usize;
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader
            .read_event()
            .map_err(|e| err(&reader, format!("invalid XML: {e}")))?;
        match event {
            Event::DocType(_) => {
                let (line, column) = line_column(text, start);
                return Err(ImportError::at(
                    "the file has a DOCTYPE declaration, which a .tm7 never has; refused so that no entity is ever expanded",
                    line,
                    column,
                ));
            }
            Event::Start(e) => {
                let name = local(e.name().as_ref()).to_owned();
                // The knowledge base is the tool's template library: skipped unread.
                if name == "KnowledgeBase" && stack.len() == 2 {
                    let end = e.to_end().into_owned();
                    reader
                        .read_to_end(end.name())
                        .map_err(|e| err(&reader, format!("invalid XML: {e}")))?;
                    continue;
                }
                if stack.len() > MAX_DEPTH {
                    return Err(err(
                        &reader,
                        format!("the XML is nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(err(
                        &reader,
                        format!("the XML has more than {MAX_ELEMENTS} elements"),
                    ));
                }
                stack.push(element(&e, name));
            }
            Event::Empty(e) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(err(
                        &reader,
                        format!("the XML has more than {MAX_ELEMENTS} elements"),
                    ));
                }
                let node = element(&e, local(e.name().as_ref()).to_owned());
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::End(_) => {
                let Some(node) = stack.pop() else {
                    return Err(err(&reader, "invalid XML: unbalanced end tag".to_owned()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Err(err(&reader, "invalid XML: unbalanced end tag".to_owned())),
                }
            }
            Event::Text(t) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match r.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(err(
                                &reader,
                                format!("the XML uses the undeclared entity `&{other};`"),
                            ));
                        }
                    },
                    Err(e) => return Err(err(&reader, format!("invalid XML: {e}"))),
                };
                if let Some(node) = stack.last_mut() {
                    node.text.push(resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if stack.len() != 1 {
        return Err(ImportError::new(
            "invalid XML: the file ends inside an element",
        ));
    }
    let mut document = stack.pop().unwrap_or_default();
    let root = document
        .children
        .pop()
        .filter(|r| r.name == "ThreatModel")
        .ok_or_else(|| {
            ImportError::new(
                "not a Threat Modeling Tool file: the root element is not `ThreatModel`",
            )
        })?;
    Ok(root)
}

fn element(e: &quick_xml::events::BytesStart<'_>, name: String) -> Node {
    let mut node = Node {
        name,
        ..Node::default()
    };
    for a in e.attributes().flatten() {
        match local(a.key.as_ref()) {
            "type" => node.kind = Some(local(&a.value).to_owned()),
            "nil" => node.nil = &*a.value == "true",
            _ => {}
        }
    }
    node
}

/// The display properties of a stencil, connector or surface.
struct Props {
    /// What the element is, as the tool shows it (`Azure Database for PostgreSQL`).
    header: Option<String>,
    values: Vec<(String, String)>,
}

impl Props {
    fn of(node: &Node) -> Props {
        let mut props = Props {
            header: None,
            values: Vec::new(),
        };
        let Some(list) = node.child("Properties") else {
            return props;
        };
        for p in list.all("anyType") {
            let name = p.text_of("DisplayName").unwrap_or_default();
            if p.kind.as_deref() == Some("HeaderDisplayAttribute") {
                if props.header.is_none() && !name.is_empty() {
                    props.header = Some(name);
                }
                continue;
            }
            if let Some(value) = p.text_of("Value") {
                props.values.push((name, value));
            }
        }
        props
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Mitigation texts carry HTML links; a comment wants plain text.
fn strip_tags(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    one_line(&out)
}

fn state(text: &str) -> Option<DecisionStatus> {
    Some(match slug(text).as_str() {
        "notstarted" | "not-started" | "autogenerated" | "auto-generated" => DecisionStatus::Open,
        "needsinvestigation" | "needs-investigation" => DecisionStatus::Open,
        "mitigated" => DecisionStatus::Mitigated,
        "notapplicable" | "not-applicable" => DecisionStatus::NotApplicable,
        _ => return None,
    })
}

pub(crate) fn import(
    bytes: &[u8],
    options: &Options,
    warnings: &mut Vec<String>,
) -> Result<Draft, ImportError> {
    let text = crate::text(bytes)?;
    let root = parse(text)?;
    let meta = root.child("MetaInformation");
    // Many models leave the name empty; the file's name is the next best.
    let name = meta
        .and_then(|m| m.text_of("ThreatModelName"))
        .or_else(|| {
            let file = options.source_name.as_deref()?;
            let stem = file.rsplit(['/', '\\']).next()?.trim_end_matches(".tm7");
            Some(stem.replace(['_', '-'], " ")).filter(|s| !s.trim().is_empty())
        })
        .unwrap_or_else(|| "Imported model".to_owned());
    let mut importer = Importer {
        draft: Draft::new(one_line(&name)),
        warnings,
        guids: HashMap::new(),
        flows: HashMap::new(),
    };
    importer.header(&root, options);
    let surfaces: Vec<&Node> = root
        .child("DrawingSurfaceList")
        .map(|l| l.all("DrawingSurfaceModel").collect())
        .unwrap_or_default();
    if surfaces.len() > 1 {
        let names: Vec<String> = surfaces
            .iter()
            .map(|s| {
                Props::of(s)
                    .get("Name")
                    .map_or_else(|| "unnamed".to_owned(), one_line)
            })
            .collect();
        importer.draft.header.push(format!(
            "Threat Modeling Tool: diagrams {}",
            names.join(", ")
        ));
    }
    for surface in surfaces {
        importer.surface(surface);
    }
    importer.threats(&root);
    Ok(importer.draft)
}

struct Importer<'w> {
    draft: Draft,
    warnings: &'w mut Vec<String>,
    /// Stencil guid -> component id.
    guids: HashMap<String, String>,
    /// Connector guid -> flow id.
    flows: HashMap<String, String>,
}

impl Importer<'_> {
    fn warn(&mut self, text: String) {
        self.warnings.push(text);
    }

    fn header(&mut self, root: &Node, options: &Options) {
        let mut line = "Imported from a Microsoft Threat Modeling Tool model".to_owned();
        if let Some(name) = &options.source_name {
            line.push_str(&format!(" ({name})"));
        }
        line.push_str(" by `threatforge import`.");
        let h = &mut self.draft.header;
        h.push(line);
        h.push(
            "Comments starting with `Threat Modeling Tool:` say what had no direct equivalent in threatforge."
                .to_owned(),
        );
        h.push("The tool has no data assets: add `data` and name it on components and flows, or the data rules find little.".to_owned());
        if let Some(notes) = root.child("Notes") {
            for note in notes.children.iter() {
                if let Some(m) = note.text_of("Message") {
                    h.push(format!("Threat Modeling Tool note: {}", one_line(&m)));
                }
            }
        }
        let Some(meta) = root.child("MetaInformation") else {
            return;
        };
        let s = &mut self.draft.system;
        s.description = meta.text_of("HighLevelSystemDescription");
        if let Some(owner) = meta.text_of("Owner") {
            s.owners.push(one_line(&owner));
        }
        for (key, label) in [
            ("Reviewer", "reviewer"),
            ("Contributors", "contributors"),
            ("Assumptions", "assumptions"),
            ("ExternalDependencies", "external dependencies"),
        ] {
            if let Some(v) = meta.text_of(key) {
                s.comments
                    .push(format!("Threat Modeling Tool: {label} {}", one_line(&v)));
            }
        }
    }

    fn surface(&mut self, surface: &Node) {
        let mut nodes: Vec<(String, Option<Rect>)> = Vec::new();
        let mut boxes: Vec<(String, Rect)> = Vec::new();
        let entries = |key: &str| -> Vec<&Node> {
            surface
                .child(key)
                .map(|b| {
                    b.all("KeyValueOfguidanyType")
                        .filter_map(|kv| kv.child("Value"))
                        .collect()
                })
                .unwrap_or_default()
        };
        for value in entries("Borders") {
            let generic = value.text_of("GenericTypeId").unwrap_or_default();
            let rect = Rect::new(
                value.number("Left").unwrap_or(f64::NAN),
                value.number("Top").unwrap_or(f64::NAN),
                value.number("Width").unwrap_or(0.0),
                value.number("Height").unwrap_or(0.0),
            );
            let kind = match generic.as_str() {
                "GE.EI" => Some(ComponentKind::Actor),
                "GE.P" => Some(ComponentKind::Process),
                "GE.DS" => Some(ComponentKind::Store),
                _ => None,
            };
            if let Some(kind) = kind {
                let id = self.component(value, kind);
                nodes.push((id, rect));
            } else if generic == "GE.TB.B" {
                match rect {
                    Some(rect) if boxes.len() < MAX_BOXES => {
                        let id = self.boundary(value);
                        boxes.push((id, rect));
                    }
                    Some(_) => self.warn(format!(
                        "a diagram has more than {MAX_BOXES} trust boundary boxes; the rest are skipped"
                    )),
                    None => self.warn("a trust boundary box has no position; skipped".into()),
                }
            } else if generic == "GE.A" {
                if let Some(t) = Props::of(value).get("Name") {
                    self.draft
                        .header
                        .push(format!("Threat Modeling Tool annotation: {}", one_line(t)));
                }
            } else {
                self.warn(format!(
                    "a stencil of type `{generic}` is not one threatforge reads; skipped"
                ));
            }
        }
        for ((id, _), list) in boxes.iter().zip(members(&nodes, &boxes)) {
            if let Some(b) = self.draft.boundaries.iter_mut().find(|b| b.id == *id) {
                b.contains = list;
            }
        }
        let centre: HashMap<&str, (f64, f64)> = nodes
            .iter()
            .filter_map(|(id, r)| Some((id.as_str(), r.as_ref()?.centre())))
            .collect();
        let point = |v: &Node, x: &str, y: &str| Some((v.number(x)?, v.number(y)?));
        let mut paths: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for value in entries("Lines") {
            let generic = value.text_of("GenericTypeId").unwrap_or_default();
            let route: Vec<(f64, f64)> = [
                point(value, "SourceX", "SourceY"),
                point(value, "HandleX", "HandleY"),
                point(value, "TargetX", "TargetY"),
            ]
            .into_iter()
            .flatten()
            .collect();
            match generic.as_str() {
                "GE.DF" => {
                    if let Some((id, source, target)) = self.flow(value) {
                        let mut path = Vec::new();
                        path.extend(centre.get(source.as_str()).copied());
                        path.extend(point(value, "HandleX", "HandleY"));
                        path.extend(centre.get(target.as_str()).copied());
                        paths.push((id, path));
                    }
                }
                "GE.TB.L" => {
                    if lines.len() < MAX_CURVES {
                        let name = Props::of(value)
                            .get("Name")
                            .map_or_else(|| "unnamed".to_owned(), one_line);
                        lines.push((name, route));
                    }
                }
                other => self.warn(format!(
                    "a line of type `{other}` is not one threatforge reads; skipped"
                )),
            }
        }
        for (name, line) in lines {
            let text = boundary_line_note("Threat Modeling Tool", &name, &line, &paths);
            self.draft.header.push(text.clone());
            self.warnings.push(text);
        }
    }

    fn component(&mut self, value: &Node, kind: ComponentKind) -> String {
        let props = Props::of(value);
        let name = props.get("Name").map(one_line);
        let id = self.draft.ids.mint(name.as_deref().unwrap_or(match kind {
            ComponentKind::Actor => "external-interactor",
            ComponentKind::Process => "process",
            ComponentKind::Store => "data-store",
        }));
        if let Some(guid) = value.text_of("Guid") {
            self.guids.insert(guid, id.clone());
        }
        let mut c = DraftComponent::new(id.clone());
        c.name = name.clone().filter(|n| *n != id);
        let type_id = value.text_of("TypeId");
        // The stencil's type says what it is (`Azure Database for PostgreSQL`, `SE.P.TMCore.WebApp`);
        // the generic stencils say only the kind.
        let generic = props
            .header
            .as_deref()
            .is_none_or(|h| h.to_ascii_lowercase().starts_with("generic"));
        let hints = [
            (!generic).then(|| props.header.clone()).flatten(),
            type_id
                .as_ref()
                .and_then(|t| t.rsplit('.').next().map(str::to_owned)),
        ];
        c.technology = hints
            .iter()
            .flatten()
            .filter_map(|h| crate::otm::technology_for(h))
            .find(|t| catalog().technology(t).is_some_and(|t| t.kind == kind))
            .map(str::to_owned);
        if c.technology.is_none() {
            c.kind = Some(kind);
        }
        if let Some(h) = &props.header {
            c.comments
                .push(format!("Threat Modeling Tool: stencil {h}"));
        }
        if props.get("Out Of Scope") == Some("true") {
            c.out_of_scope = Some(
                props
                    .get("Reason For Out Of Scope")
                    .map(one_line)
                    .unwrap_or_else(|| "out of scope in the Threat Modeling Tool".to_owned()),
            );
        }
        self.draft.components.push(c);
        id
    }

    fn boundary(&mut self, value: &Node) -> String {
        let props = Props::of(value);
        let name = props.get("Name").map(one_line);
        let id = self.draft.ids.mint(name.as_deref().unwrap_or("boundary"));
        let mut b = DraftBoundary::new(id.clone());
        b.name = name.clone().filter(|n| *n != id);
        if name.as_deref().is_some_and(untrusted_by_name) {
            b.trust = Some(Trust::Untrusted);
            b.comments.push(
                "The Threat Modeling Tool has no trust levels; `untrusted` is read from the name"
                    .to_owned(),
            );
        }
        if let Some(h) = props.header.filter(|h| !h.starts_with("Generic")) {
            b.comments.push(format!("Threat Modeling Tool: {h}"));
            if h.contains("Azure") || h.contains("AWS") || h.contains("Cloud") {
                b.kind = Some(BoundaryKind::CloudAccount);
            }
        }
        self.draft.boundaries.push(b);
        id
    }

    fn flow(&mut self, value: &Node) -> Option<(String, String, String)> {
        let props = Props::of(value);
        let name = props.get("Name").map(one_line);
        let label = name.clone().unwrap_or_else(|| "unnamed flow".to_owned());
        let end = |key: &str| value.text_of(key).and_then(|g| self.guids.get(&g).cloned());
        let (Some(source), Some(target)) = (end("SourceGuid"), end("TargetGuid")) else {
            self.warn(format!(
                "flow `{label}` is not connected to two elements on its diagram; skipped"
            ));
            return None;
        };
        let mut f = DraftFlow::new(source.clone(), target.clone());
        f.name = name.clone();
        let type_id = value.text_of("TypeId");
        f.protocol = [
            props.get("Protocol").map(str::to_owned),
            props.header.clone(),
            type_id
                .as_ref()
                .and_then(|t| t.rsplit('.').next().map(str::to_owned)),
        ]
        .iter()
        .flatten()
        .find_map(|h| protocol(h))
        .map(str::to_owned);
        if let Some(h) = &props.header
            && f.protocol.is_none()
        {
            f.comments.push(format!("Threat Modeling Tool: {h}"));
        }
        if props.get("Out Of Scope") == Some("true") {
            f.out_of_scope = Some(
                props
                    .get("Reason For Out Of Scope")
                    .map(one_line)
                    .unwrap_or_else(|| "out of scope in the Threat Modeling Tool".to_owned()),
            );
        }
        let id = self.draft.push_flow(f, name.as_deref());
        if let Some(guid) = value.text_of("Guid") {
            self.flows.insert(guid, id.clone());
        }
        Some((id, source, target))
    }

    fn threats(&mut self, root: &Node) {
        let Some(list) = root.child("ThreatInstances") else {
            return;
        };
        for entry in &list.children {
            let Some(t) = entry.child("Value") else {
                continue;
            };
            let mut props: HashMap<String, String> = HashMap::new();
            if let Some(p) = t.child("Properties") {
                for kv in &p.children {
                    if let (Some(k), Some(v)) = (kv.text_of("Key"), kv.text_of("Value")) {
                        props.insert(k, v);
                    }
                }
            }
            let prop = |k: &str| props.get(k).cloned().or_else(|| t.text_of(k));
            let title = prop("Title")
                .map(|s| one_line(&s))
                .unwrap_or_else(|| "Untitled threat".to_owned());
            let type_id = t.text_of("TypeId");
            let element = t
                .text_of("FlowGuid")
                .and_then(|g| self.flows.get(&g).cloned())
                .or_else(|| {
                    t.text_of("TargetGuid")
                        .and_then(|g| self.guids.get(&g).cloned())
                });
            let hint = match (&type_id, &element) {
                (Some(ty), Some(e)) => format!("{ty} {e}"),
                (Some(ty), None) => ty.clone(),
                (None, _) => title
                    .split_whitespace()
                    .take(6)
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            let id = self.draft.threat_ids.mint(&hint);
            let category = prop("UserThreatCategory").unwrap_or_default();
            let stride = crate::draft::stride_loose(&category);
            let mut d = DraftThreat::new(
                id.clone(),
                title.clone(),
                stride.unwrap_or(Stride::Tampering),
            );
            if stride.is_none() {
                d.comments.push(format!(
                    "Threat Modeling Tool: category `{category}` is not STRIDE; `stride` is a guess to review"
                ));
                self.warn(format!(
                    "threat `{title}`: category `{category}` is not STRIDE; imported as tampering"
                ));
            }
            d.description = prop("UserThreatDescription");
            d.element = element;
            if let Some(level) = prop("Priority").as_deref().and_then(severity) {
                d.likelihood = Some(level);
                d.impact = Some(level);
            }
            if let Some(ty) = &type_id {
                d.comments
                    .push(format!("Threat Modeling Tool: threat type {ty}"));
            }
            if let Some(m) = prop("PossibleMitigations") {
                d.comments.push(format!(
                    "Threat Modeling Tool mitigation: {}",
                    strip_tags(&m)
                ));
            }
            self.draft.threats.push(d);
            let raw = t
                .text_of("State")
                .unwrap_or_else(|| "NotStarted".to_owned());
            match state(&raw) {
                Some(DecisionStatus::Open) => {
                    if slug(&raw).contains("investigation") {
                        let mut decision =
                            DraftDecision::new(format!("manual:{id}"), DecisionStatus::Open);
                        decision
                            .comments
                            .push("Threat Modeling Tool: needs investigation".to_owned());
                        decision.justification =
                            t.text_of("StateInformation").map(|s| one_line(&s));
                        self.draft.decisions.push(decision);
                    }
                }
                Some(s) => {
                    let mut decision = DraftDecision::new(format!("manual:{id}"), s);
                    decision.justification = Some(
                        t.text_of("StateInformation")
                            .map(|s| one_line(&s))
                            .unwrap_or_else(|| format!("{raw} in the Threat Modeling Tool")),
                    );
                    self.draft.decisions.push(decision);
                }
                None => self.warn(format!(
                    "threat `{title}`: state `{raw}` is not one threatforge knows; left open"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        assert_eq!(state("AutoGenerated"), Some(DecisionStatus::Open));
        assert_eq!(state("NeedsInvestigation"), Some(DecisionStatus::Open));
        assert_eq!(state("NotApplicable"), Some(DecisionStatus::NotApplicable));
        assert_eq!(state("Mitigated"), Some(DecisionStatus::Mitigated));
        assert_eq!(state("Weird"), None);
    }

    #[test]
    fn tags_are_stripped() {
        assert_eq!(
            strip_tags("Use TLS. Refer: <a href=\"https://x\">https://x</a>"),
            "Use TLS. Refer: https://x"
        );
    }
}
