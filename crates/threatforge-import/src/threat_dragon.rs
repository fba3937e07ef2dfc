//! OWASP Threat Dragon v2 JSON into a draft.
//!
//! A Threat Dragon model is a set of diagrams of X6 cells. What an element is lives in the cell's
//! `shape` (`actor`, `process`, `store`, `flow`, `trust-boundary-box`, `trust-boundary-curve`,
//! `td-text-block`) and its `data` (name, flags, threats). Boundaries are drawn, not declared:
//! a box's members are the elements whose centre lies inside it, and a box inside another box is
//! nested in it. A curve is a line with no inside, so it cannot be a threatforge boundary; we say
//! in a comment which flows cross it, which is what a reader of the diagram learns from it.
//!
//! Threats are written by hand in Threat Dragon, so they become manual threats on their element;
//! their status becomes a decision and their severity sets likelihood and impact.

use std::collections::HashMap;

use serde_json::{Map, Value};
use threatforge_model::catalog;

use crate::draft::*;
use crate::{ImportError, Options};

pub(crate) fn import(
    bytes: &[u8],
    options: &Options,
    warnings: &mut Vec<String>,
) -> Result<Draft, ImportError> {
    let text = crate::text(bytes)?;
    let root: Value = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        ImportError::at(format!("invalid JSON: {message}"), e.line(), e.column())
    })?;
    let Value::Object(root) = root else {
        return Err(ImportError::new(
            "a Threat Dragon model is a JSON object with `summary` and `detail`",
        ));
    };
    let diagrams = match root.get("detail").and_then(|d| d.get("diagrams")) {
        Some(Value::Array(d)) => d.as_slice(),
        _ => {
            return Err(ImportError::new(
                "not a Threat Dragon v2 model: `detail.diagrams` is missing",
            ));
        }
    };
    if diagrams.iter().any(|d| d.get("diagramJson").is_some()) {
        return Err(ImportError::new(
            "this is a Threat Dragon v1 model; open it in Threat Dragon 2 and save it to convert it",
        ));
    }
    let summary = root.get("summary").unwrap_or(&Value::Null);
    let mut importer = Importer {
        draft: Draft::new(text_of(summary, "title").unwrap_or_else(|| "Imported model".into())),
        warnings,
        cells: HashMap::new(),
    };
    importer.header(&root, summary, diagrams, options);
    for diagram in diagrams {
        importer.diagram(diagram);
    }
    Ok(importer.draft)
}

fn text_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => {
            // Diagram labels wrap names with newlines; a name is one line.
            let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
            (!s.is_empty()).then_some(s)
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Multi-line text, kept as written.
fn long_text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn flag(data: &Value, key: &str) -> bool {
    data.get(key) == Some(&Value::Bool(true))
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    pub(crate) fn new(x: f64, y: f64, w: f64, h: f64) -> Option<Rect> {
        [x, y, w, h]
            .iter()
            .all(|v| v.is_finite())
            .then_some(Rect { x, y, w, h })
    }

    fn of(cell: &Value) -> Option<Rect> {
        let p = cell.get("position")?;
        let s = cell.get("size");
        let num = |v: Option<&Value>, k: &str| v.and_then(|v| v.get(k)).and_then(Value::as_f64);
        let rect = Rect {
            x: num(Some(p), "x")?,
            y: num(Some(p), "y")?,
            w: num(s, "width").unwrap_or(0.0),
            h: num(s, "height").unwrap_or(0.0),
        };
        [rect.x, rect.y, rect.w, rect.h]
            .iter()
            .all(|v| v.is_finite())
            .then_some(rect)
    }

    pub(crate) fn centre(self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    fn contains_point(self, (x, y): (f64, f64)) -> bool {
        x >= self.x && x <= self.x + self.w && y >= self.y && y <= self.y + self.h
    }

    fn contains(self, other: Rect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.x + other.w <= self.x + self.w
            && other.y + other.h <= self.y + self.h
    }

    fn area(self) -> f64 {
        self.w * self.h
    }
}

fn point(v: &Value) -> Option<(f64, f64)> {
    let x = v.get("x")?.as_f64()?;
    let y = v.get("y")?.as_f64()?;
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

/// Whether segments ab and cd cross (touching counts).
fn crosses(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let orient = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        let v = (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0);
        if v > 0.0 {
            1
        } else if v < 0.0 {
            -1
        } else {
            0
        }
    };
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    o1 != o2 && o3 != o4
}

/// The catalogue protocol for Threat Dragon's free-text protocol (`HTTP/S`, `HTTPS`, `SQL`...).
pub(crate) fn protocol(text: &str) -> Option<&'static str> {
    let key = slug(text);
    let cat = catalog();
    if let Some((id, _)) = cat.protocols.get_key_value(key.as_str()) {
        return Some(id.as_str());
    }
    Some(match key.as_str() {
        "http-s" | "https-tls" | "rest" | "rest-https" => "https",
        "tls" | "ssl" => "tls",
        "sql" | "tds" => "jdbc",
        "amqp-s" => "amqps",
        "wss" => "websocket-tls",
        "ws" => "websocket",
        "grpcs" => "grpc-tls",
        "postgresql" => "postgres",
        _ => return None,
    })
}

fn stride(kind: &str, model_type: &str) -> (Option<Stride>, Option<&'static str>) {
    if let Some(s) = crate::draft::stride_loose(kind) {
        return (Some(s), None);
    }
    let key = slug(kind);
    let linddun = match key.as_str() {
        "linkability" | "linking" => Some("linking"),
        "identifiability" | "identifying" => Some("identifying"),
        "non-repudiation" => Some("non-repudiation"),
        "detectability" | "detecting" => Some("detecting"),
        "disclosure-of-information" | "data-disclosure" => Some("data-disclosure"),
        "unawareness" => Some("unawareness"),
        "non-compliance" => Some("non-compliance"),
        _ => None,
    };
    if let Some(l) = linddun {
        let s = if l == "non-repudiation" {
            Stride::Repudiation
        } else {
            Stride::InformationDisclosure
        };
        return (Some(s), Some(l));
    }
    // The CIA and DIE models name the property at stake.
    let s = match key.as_str() {
        "confidentiality" => Stride::InformationDisclosure,
        "integrity" | "immutable" => Stride::Tampering,
        "availability" | "distributed" | "ephemeral" => Stride::DenialOfService,
        _ => {
            let _ = model_type;
            return (None, None);
        }
    };
    (Some(s), None)
}

pub(crate) fn severity(text: &str) -> Option<Level> {
    Some(match slug(text).as_str() {
        "low" => Level::Low,
        "medium" => Level::Medium,
        "high" => Level::High,
        "critical" | "very-high" => Level::VeryHigh,
        _ => return None,
    })
}

fn status(text: &str) -> Option<DecisionStatus> {
    Some(match slug(text).as_str() {
        "open" => DecisionStatus::Open,
        "mitigated" | "eliminated" | "avoided" => DecisionStatus::Mitigated,
        "accepted" | "transferred" => DecisionStatus::Accepted,
        "na" | "n-a" | "notapplicable" | "not-applicable" => DecisionStatus::NotApplicable,
        _ => return None,
    })
}

/// Members of each box: the elements whose centre lies inside it, and the boxes inside it; each
/// goes into the smallest box that holds it. Boxes x (elements + boxes): callers bound the boxes.
pub(crate) fn members(
    nodes: &[(String, Option<Rect>)],
    boxes: &[(String, Rect)],
) -> Vec<Vec<String>> {
    let mut members: Vec<Vec<String>> = vec![Vec::new(); boxes.len()];
    for (i, (id, rect)) in boxes.iter().enumerate() {
        // Equal boxes would contain each other; the later one goes inside the earlier.
        let parent = boxes
            .iter()
            .enumerate()
            .filter(|(j, (_, r))| {
                *j != i && r.contains(*rect) && (r.area() > rect.area() || *j < i)
            })
            .min_by(|(_, a), (_, b)| a.1.area().total_cmp(&b.1.area()))
            .map(|(j, _)| j);
        if let Some(p) = parent {
            members[p].push(id.clone());
        }
    }
    for (id, rect) in nodes {
        let Some(rect) = rect else { continue };
        let centre = rect.centre();
        let smallest = boxes
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| r.contains_point(centre))
            .min_by(|(_, a), (_, b)| a.1.area().total_cmp(&b.1.area()))
            .map(|(i, _)| i);
        if let Some(b) = smallest {
            members[b].push(id.clone());
        }
    }
    members
}

/// Whether a polyline crosses another.
pub(crate) fn path_crosses(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
    a.windows(2)
        .any(|p| b.windows(2).any(|c| crosses(p[0], p[1], c[0], c[1])))
}

/// The note for a trust boundary drawn as a line: a line has no inside, so it cannot become a
/// boundary; the note names the flows it crosses, so the team can draw the boundary by hand.
pub(crate) fn boundary_line_note(
    tool: &str,
    name: &str,
    line: &[(f64, f64)],
    flows: &[(String, Vec<(f64, f64)>)],
) -> String {
    let crossing: Vec<&str> = flows
        .iter()
        .filter(|(_, path)| path_crosses(path, line))
        .map(|(id, _)| id.as_str())
        .collect();
    if crossing.is_empty() {
        format!(
            "{tool}: trust boundary line `{name}` crosses no flow; a line has no inside, so it is not a boundary here"
        )
    } else {
        format!(
            "{tool}: trust boundary line `{name}` crosses {}; a line has no inside, so put the components on its trusted side into a boundary",
            crossing.join(", ")
        )
    }
}

/// Diagram tools have no trust levels; a boundary named for the internet or the public is
/// untrusted.
pub(crate) fn untrusted_by_name(name: &str) -> bool {
    let key = slug(name);
    // `Public Cloud` is someone's data centre, not the open internet.
    key.split('-')
        .any(|w| matches!(w, "internet" | "untrusted"))
        || key == "public"
        || key.starts_with("public-network")
}

pub(crate) const MAX_BOXES: usize = 500;
pub(crate) const MAX_CURVES: usize = 100;

/// A component found on a diagram.
struct Node {
    id: String,
    rect: Option<Rect>,
}

struct Importer<'w> {
    draft: Draft,
    warnings: &'w mut Vec<String>,
    /// Cell id -> component id, across diagrams (cell ids are UUIDs).
    cells: HashMap<String, String>,
}

impl Importer<'_> {
    fn warn(&mut self, text: String) {
        self.warnings.push(text);
    }

    fn header(
        &mut self,
        root: &Map<String, Value>,
        summary: &Value,
        diagrams: &[Value],
        options: &Options,
    ) {
        let mut line = "Imported from an OWASP Threat Dragon model".to_owned();
        if let Some(name) = &options.source_name {
            line.push_str(&format!(" ({name})"));
        }
        if let Some(v) = root.get("version").and_then(Value::as_str) {
            line.push_str(&format!(", version {v}"));
        }
        line.push_str(", by `threatforge import`.");
        let h = &mut self.draft.header;
        h.push(line);
        h.push(
            "Comments starting with `Threat Dragon:` say what had no direct equivalent in threatforge."
                .to_owned(),
        );
        h.push("Threat Dragon has no data assets: add `data` and name it on components and flows, or the data rules find little.".to_owned());
        if diagrams.len() > 1 {
            let titles: Vec<String> = diagrams
                .iter()
                .enumerate()
                .map(|(i, d)| text_of(d, "title").unwrap_or_else(|| format!("diagram {}", i + 1)))
                .collect();
            h.push(format!("Threat Dragon: diagrams {}", titles.join(", ")));
        }
        let s = &mut self.draft.system;
        s.description = long_text(summary, "description");
        if let Some(owner) = text_of(summary, "owner") {
            s.owners.push(owner);
        }
        let detail = root.get("detail").unwrap_or(&Value::Null);
        if let Some(r) = text_of(detail, "reviewer") {
            s.comments.push(format!("Threat Dragon: reviewer {r}"));
        }
        if let Some(Value::Array(people)) = detail.get("contributors") {
            let names: Vec<String> = people.iter().filter_map(|p| text_of(p, "name")).collect();
            if !names.is_empty() {
                s.comments
                    .push(format!("Threat Dragon: contributors {}", names.join(", ")));
            }
        }
    }

    fn diagram(&mut self, diagram: &Value) {
        let Some(Value::Array(cells)) = diagram.get("cells") else {
            return;
        };
        let mut nodes: Vec<Node> = Vec::new();
        let mut boxes: Vec<(String, Rect)> = Vec::new();
        let mut curves: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let mut flows: Vec<&Value> = Vec::new();
        for cell in cells {
            let shape = cell.get("shape").and_then(Value::as_str).unwrap_or("");
            let data = cell.get("data").unwrap_or(&Value::Null);
            let kind = match shape {
                "actor" => Some(ComponentKind::Actor),
                "process" => Some(ComponentKind::Process),
                "store" => Some(ComponentKind::Store),
                _ => None,
            };
            if let Some(kind) = kind {
                let id = self.component(cell, data, kind);
                nodes.push(Node {
                    id,
                    rect: Rect::of(cell),
                });
                continue;
            }
            match shape {
                "flow" => flows.push(cell),
                "trust-boundary-box" => match Rect::of(cell) {
                    Some(rect) => {
                        let id = self.boundary(data);
                        boxes.push((id, rect));
                    }
                    None => self.warn("a trust boundary box has no position; skipped".into()),
                },
                "trust-boundary-curve" => {
                    let mut points = Vec::new();
                    points.extend(cell.get("source").and_then(point));
                    if let Some(Value::Array(v)) = cell.get("vertices") {
                        points.extend(v.iter().filter_map(point));
                    }
                    points.extend(cell.get("target").and_then(point));
                    let name = text_of(data, "name").unwrap_or_else(|| "unnamed".to_owned());
                    curves.push((name, points));
                }
                "td-text-block" => {
                    if let Some(t) = text_of(data, "name") {
                        self.draft.header.push(format!("Threat Dragon note: {t}"));
                    }
                }
                "" => self.warn("a cell has no shape; skipped".into()),
                other => self.warn(format!(
                    "cell shape `{other}` is not one threatforge reads; skipped"
                )),
            }
        }
        // Containment is boxes x elements and crossing is lines x flows: bounded so that a
        // hostile diagram cannot make it quadratic in the input size.
        if boxes.len() > MAX_BOXES {
            self.warn(format!(
                "a diagram has {} trust boundary boxes; only the first {MAX_BOXES} are read",
                boxes.len()
            ));
            for (id, _) in boxes.drain(MAX_BOXES..) {
                self.draft.boundaries.retain(|b| b.id != id);
            }
        }
        if curves.len() > MAX_CURVES {
            self.warn(format!(
                "a diagram has {} trust boundary lines; only the first {MAX_CURVES} are read",
                curves.len()
            ));
            curves.truncate(MAX_CURVES);
        }
        self.contain(&nodes, &boxes);
        let mut paths: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let centre: HashMap<&str, (f64, f64)> = nodes
            .iter()
            .filter_map(|n| Some((n.id.as_str(), n.rect?.centre())))
            .collect();
        for cell in flows {
            if let Some((id, source, target)) = self.flow(cell) {
                let mut path = Vec::new();
                path.extend(centre.get(source.as_str()).copied());
                if let Some(Value::Array(v)) = cell.get("vertices") {
                    path.extend(v.iter().filter_map(point));
                }
                path.extend(centre.get(target.as_str()).copied());
                paths.push((id, path));
            }
        }
        for (name, curve) in curves {
            let text = boundary_line_note("Threat Dragon", &name, &curve, &paths);
            self.draft.header.push(text.clone());
            self.warnings.push(text);
        }
    }

    fn component(&mut self, cell: &Value, data: &Value, kind: ComponentKind) -> String {
        let name = text_of(data, "name");
        let id = self.draft.ids.mint(name.as_deref().unwrap_or(match kind {
            ComponentKind::Actor => "actor",
            ComponentKind::Process => "process",
            ComponentKind::Store => "store",
        }));
        if let Some(cell_id) = cell.get("id").and_then(Value::as_str) {
            self.cells.insert(cell_id.to_owned(), id.clone());
        }
        let mut c = DraftComponent::new(id.clone());
        c.name = name.clone().filter(|n| *n != id);
        c.description = long_text(data, "description");
        // A name often says what the element is (`Browser`, `Orders DB`); take the technology
        // only when it agrees with the shape.
        c.technology = name
            .as_deref()
            .and_then(crate::otm::technology_for)
            .filter(|t| catalog().technology(t).is_some_and(|t| t.kind == kind))
            .map(str::to_owned);
        match kind {
            // The flag is the modeller's word; the name only a hint.
            ComponentKind::Process
                if flag(data, "isWebApplication")
                    && !c
                        .technology
                        .as_deref()
                        .and_then(|t| catalog().technology(t))
                        .is_some_and(|t| t.traits.iter().any(|x| x == "web-ui")) =>
            {
                c.technology = Some("web-application".to_owned());
            }
            ComponentKind::Store if c.technology.is_none() && flag(data, "isALog") => {
                c.technology = Some("log-storage".to_owned());
            }
            _ => {}
        }
        if c.technology.is_none() {
            c.kind = Some(kind);
        }
        if kind == ComponentKind::Store {
            if flag(data, "isEncrypted") {
                c.controls.push("encryption-at-rest".to_owned());
            }
            if flag(data, "isSigned") {
                c.controls.push("digital-signatures".to_owned());
            }
            if flag(data, "storesCredentials") {
                c.traits.push("holds-secrets".to_owned());
            }
            if flag(data, "storesInventory") {
                c.comments
                    .push("Threat Dragon: stores inventory".to_owned());
            }
        }
        if flag(data, "handlesCardPayment") {
            c.traits.push("payment".to_owned());
        }
        if flag(data, "handlesGoodsOrServices") {
            c.comments
                .push("Threat Dragon: handles goods or services".to_owned());
        }
        if flag(data, "providesAuthentication") {
            c.traits.push("identity-provider".to_owned());
        }
        if let Some(p) = text_of(data, "privilegeLevel") {
            c.comments
                .push(format!("Threat Dragon: privilege level {p}"));
        }
        if flag(data, "outOfScope") {
            c.out_of_scope = Some(
                text_of(data, "reasonOutOfScope")
                    .unwrap_or_else(|| "out of scope in Threat Dragon".to_owned()),
            );
        }
        self.draft.components.push(c);
        self.threats(data, &id);
        id
    }

    fn boundary(&mut self, data: &Value) -> String {
        let name = text_of(data, "name");
        let id = self.draft.ids.mint(name.as_deref().unwrap_or("boundary"));
        let mut b = DraftBoundary::new(id.clone());
        b.name = name.clone().filter(|n| *n != id);
        b.description = long_text(data, "description");
        if name.as_deref().is_some_and(untrusted_by_name) {
            b.trust = Some(Trust::Untrusted);
            b.comments.push(
                "Threat Dragon has no trust levels; `untrusted` is read from the name".to_owned(),
            );
        }
        self.draft.boundaries.push(b);
        id
    }

    fn contain(&mut self, nodes: &[Node], boxes: &[(String, Rect)]) {
        let nodes: Vec<(String, Option<Rect>)> =
            nodes.iter().map(|n| (n.id.clone(), n.rect)).collect();
        for ((id, _), list) in boxes.iter().zip(members(&nodes, boxes)) {
            if let Some(b) = self.draft.boundaries.iter_mut().find(|b| b.id == *id) {
                b.contains = list;
            }
        }
    }

    fn flow(&mut self, cell: &Value) -> Option<(String, String, String)> {
        let data = cell.get("data").unwrap_or(&Value::Null);
        let name = text_of(data, "name").or_else(|| {
            cell.get("labels")
                .and_then(Value::as_array)
                .and_then(|l| l.first())
                .and_then(|l| l.get("attrs"))
                .and_then(|a| a.get("label").or_else(|| a.get("labelText")))
                .and_then(|t| text_of(t, "text"))
        });
        let label = name.clone().unwrap_or_else(|| "unnamed flow".to_owned());
        let end = |key: &str| {
            cell.get(key)
                .and_then(|e| e.get("cell"))
                .and_then(Value::as_str)
                .and_then(|c| self.cells.get(c).cloned())
        };
        let (Some(source), Some(target)) = (end("source"), end("target")) else {
            self.warn(format!(
                "flow `{label}` is not connected to two elements on its diagram; skipped"
            ));
            return None;
        };
        let mut f = DraftFlow::new(source.clone(), target.clone());
        f.name = name.clone();
        f.description = long_text(data, "description");
        if let Some(p) = text_of(data, "protocol") {
            match protocol(&p) {
                Some(id) => f.protocol = Some(id.to_owned()),
                None => f.comments.push(format!("Threat Dragon: protocol {p}")),
            }
        }
        let implied = f
            .protocol
            .as_deref()
            .and_then(|p| catalog().protocol(p))
            .map(|p| p.encrypted);
        // Threat Dragon leaves `isEncrypted` false until someone ticks it, so only a tick says
        // something the protocol does not.
        if flag(data, "isEncrypted") && implied != Some(true) {
            f.encrypted = Some(true);
        }
        if flag(data, "isBidirectional") {
            f.comments.push("Threat Dragon: bidirectional".to_owned());
        }
        if flag(data, "isPublicNetwork") {
            // Traffic over a public network: the receiver is reachable from the internet, and
            // an actor sending it is out there.
            for (id, actor_only) in [(&target, false), (&source, true)] {
                if let Some(c) = self.draft.components.iter_mut().find(|c| c.id == **id) {
                    let is_actor = c.kind == Some(ComponentKind::Actor)
                        || c.technology
                            .as_deref()
                            .and_then(|t| catalog().technology(t))
                            .is_some_and(|t| t.kind == ComponentKind::Actor);
                    if !actor_only || is_actor {
                        c.exposure = Some(Exposure::Internet);
                    }
                }
            }
            f.comments
                .push("Threat Dragon: over a public network".to_owned());
        }
        if flag(data, "outOfScope") {
            f.out_of_scope = Some(
                text_of(data, "reasonOutOfScope")
                    .unwrap_or_else(|| "out of scope in Threat Dragon".to_owned()),
            );
        }
        // Diagram labels are often numbered (`(2) Customer pays`); the number makes a poor id.
        let hint = name
            .as_deref()
            .map(|n| n.trim_start_matches(|c: char| !c.is_alphabetic()));
        let id = self.draft.push_flow(f, hint.filter(|h| !h.is_empty()));
        self.threats(data, &id);
        Some((id, source, target))
    }

    fn threats(&mut self, data: &Value, element: &str) {
        let Some(Value::Array(threats)) = data.get("threats") else {
            return;
        };
        for t in threats {
            let title = text_of(t, "title").unwrap_or_else(|| "Untitled threat".to_owned());
            let kind = text_of(t, "type").unwrap_or_default();
            let model = text_of(t, "modelType").unwrap_or_default();
            let id = self.draft.threat_ids.mint(&title);
            let (s, linddun) = stride(&kind, &model);
            let mut d = DraftThreat::new(id.clone(), title.clone(), s.unwrap_or(Stride::Tampering));
            if s.is_none() {
                d.comments.push(format!(
                    "Threat Dragon: type `{kind}` ({model}) has no STRIDE category; `stride` is a guess to review"
                ));
                self.warn(format!(
                    "threat `{title}`: type `{kind}` is not STRIDE; imported as tampering"
                ));
            }
            d.linddun = linddun.map(str::to_owned);
            d.description = long_text(t, "description");
            d.element = Some(element.to_owned());
            if let Some(level) = text_of(t, "severity").as_deref().and_then(severity) {
                d.likelihood = Some(level);
                d.impact = Some(level);
            }
            if let Some(score) = text_of(t, "score") {
                d.comments.push(format!("Threat Dragon: score {score}"));
            }
            let mitigation = long_text(t, "mitigation");
            if let Some(m) = &mitigation {
                d.comments.push(format!("Threat Dragon mitigation: {m}"));
            }
            self.draft.threats.push(d);
            let state = text_of(t, "status").unwrap_or_else(|| "Open".to_owned());
            match status(&state) {
                Some(DecisionStatus::Open) => {}
                Some(s) => {
                    let mut decision = DraftDecision::new(format!("manual:{id}"), s);
                    decision.justification = Some(match &mitigation {
                        Some(m) => m.split_whitespace().collect::<Vec<_>>().join(" "),
                        None => format!("{state} in Threat Dragon"),
                    });
                    if slug(&state) == "transferred" {
                        decision
                            .comments
                            .push("Threat Dragon: transferred".to_owned());
                    }
                    self.draft.decisions.push(decision);
                }
                None => self.warn(format!(
                    "threat `{title}`: status `{state}` is not one threatforge knows; left open"
                )),
            }
        }
    }
}

/// What each Threat Dragon flag becomes: (flag, on which cells, what it becomes, the cell it is
/// set on in a test model (`actor`, `process`, `store`, `flow`), and the text the import must then
/// contain, and does not without it). docs/import.md shows the first three.
#[cfg(test)]
const FLAGS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "isWebApplication",
        "process",
        "technology `web-application`",
        "process",
        "web-application",
    ),
    (
        "providesAuthentication",
        "any",
        "trait `identity-provider`",
        "process",
        "identity-provider",
    ),
    (
        "handlesCardPayment",
        "any",
        "trait `payment`",
        "process",
        "payment",
    ),
    (
        "handlesGoodsOrServices",
        "any",
        "a comment",
        "process",
        "handles goods or services",
    ),
    (
        "privilegeLevel",
        "any",
        "a comment",
        "process",
        "privilege level",
    ),
    (
        "isALog",
        "store",
        "technology `log-storage` (when the name picks none)",
        "store",
        "log-storage",
    ),
    (
        "isEncrypted",
        "store",
        "control `encryption-at-rest`",
        "store",
        "encryption-at-rest",
    ),
    (
        "isSigned",
        "store",
        "control `digital-signatures`",
        "store",
        "digital-signatures",
    ),
    (
        "storesCredentials",
        "store",
        "trait `holds-secrets`",
        "store",
        "holds-secrets",
    ),
    (
        "storesInventory",
        "store",
        "a comment",
        "store",
        "stores inventory",
    ),
    (
        "outOfScope",
        "any",
        "`out_of_scope` with `reasonOutOfScope`",
        "store",
        "out_of_scope",
    ),
    (
        "isEncrypted",
        "flow",
        "`encrypted: true` where the protocol does not say so",
        "flow",
        "encrypted: true",
    ),
    (
        "isPublicNetwork",
        "flow",
        "`exposure: internet` on the receiver (and on an actor sending)",
        "flow",
        "exposure: internet",
    ),
    (
        "isBidirectional",
        "flow",
        "a comment",
        "flow",
        "bidirectional",
    ),
];

/// docs/import.md's table of Threat Dragon flags, rendered from `FLAGS`.
#[cfg(test)]
pub(crate) fn doc_table(name: &str) -> Option<String> {
    if name != "threat-dragon-flags" {
        return None;
    }
    let mut out = String::from("| flag | on | threatforge |\n|---|---|---|\n");
    for (flag, on, becomes, _, _) in FLAGS {
        out.push_str(&format!("| `{flag}` | {on} | {becomes} |\n"));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Threat Dragon file with an actor, a process and a store, and `set` on one of them.
    fn flag_model(set: &str, on: &str) -> String {
        let extra = |cell: &str| {
            if cell == on {
                format!(", {set}")
            } else {
                String::new()
            }
        };
        format!(
            r#"{{"version": "2.3.0", "summary": {{ "title": "t" }}, "detail": {{ "diagrams": [ {{ "title": "d", "diagramType": "STRIDE", "cells": [
  {{ "shape": "actor", "id": "a", "position": {{ "x": 0, "y": 0 }}, "size": {{ "width": 10, "height": 10 }}, "data": {{ "type": "tm.Actor", "name": "Visitor"{a} }} }},
  {{ "shape": "process", "id": "p", "position": {{ "x": 50, "y": 0 }}, "size": {{ "width": 10, "height": 10 }}, "data": {{ "type": "tm.Process", "name": "Handler"{p} }} }},
  {{ "shape": "store", "id": "s", "position": {{ "x": 100, "y": 0 }}, "size": {{ "width": 10, "height": 10 }}, "data": {{ "type": "tm.Store", "name": "Box"{s} }} }},
  {{ "shape": "flow", "id": "f1", "source": {{ "cell": "a" }}, "target": {{ "cell": "p" }}, "data": {{ "type": "tm.Flow", "name": "Send", "protocol": "HTTP"{f} }} }},
  {{ "shape": "flow", "id": "f2", "source": {{ "cell": "p" }}, "target": {{ "cell": "s" }}, "data": {{ "type": "tm.Flow", "name": "Keep" }} }}
] }} ] }} }}"#,
            a = extra("actor"),
            p = extra("process"),
            s = extra("store"),
            f = extra("flow"),
        )
    }

    #[test]
    fn each_flag_in_the_guide_does_what_it_says() {
        let import = |text: &str| crate::yaml_of(text, crate::Format::ThreatDragon);
        let without = import(&flag_model("", ""));
        for (flag, _, _, on, token) in FLAGS {
            assert!(
                !without.contains(token),
                "{flag}: `{token}` without it:\n{without}"
            );
            let value = if *flag == "privilegeLevel" {
                "\"root\""
            } else {
                "true"
            };
            let with = import(&flag_model(&format!("\"{flag}\": {value}"), on));
            assert!(
                with.contains(token),
                "{flag} on {on}: no `{token}` in\n{with}"
            );
        }
    }

    #[test]
    fn segments_cross() {
        assert!(crosses((0.0, 0.0), (10.0, 10.0), (0.0, 10.0), (10.0, 0.0)));
        assert!(!crosses((0.0, 0.0), (1.0, 1.0), (5.0, 0.0), (5.0, 10.0)));
    }

    #[test]
    fn protocols_and_types() {
        assert_eq!(protocol("HTTP/S"), Some("https"));
        assert_eq!(protocol("HTTPS"), Some("https"));
        assert_eq!(protocol("carrier pigeon"), None);
        assert_eq!(
            stride("Information disclosure", "STRIDE"),
            (Some(Stride::InformationDisclosure), None)
        );
        assert_eq!(
            stride("Linkability", "LINDDUN"),
            (Some(Stride::InformationDisclosure), Some("linking"))
        );
        assert_eq!(
            stride("Availability", "CIA"),
            (Some(Stride::DenialOfService), None)
        );
        assert_eq!(status("NotApplicable"), Some(DecisionStatus::NotApplicable));
        assert_eq!(status("NA"), Some(DecisionStatus::NotApplicable));
    }
}
