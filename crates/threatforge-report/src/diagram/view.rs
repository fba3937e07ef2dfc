//! What a diagram shows, whatever its format: the nodes (components, or boundaries collapsed into
//! one box), the boundaries drawn as nested clusters, and the flows between nodes (flows between
//! the same two nodes in the same direction are one edge). Built once from the model and the
//! analysis; the SVG, DOT and Mermaid writers only draw it.
//!
//! Ids in the output are generated from positions in the model (`c3` is the fourth component,
//! `b1` the second boundary), never taken from model text.

use std::collections::{BTreeMap, BTreeSet};

use threatforge_analysis::{Analysis, Element};
use threatforge_model::{BoundaryTree, ComponentKind, Model, ThreatSeverity};

use super::DiagramOptions;

/// Above this many components, boundaries are collapsed into single boxes.
pub const COLLAPSE_ABOVE: usize = 60;

/// When collapsing, the deepest level of boundaries that leaves at most this many edges (and
/// at most `COLLAPSE_ABOVE` nodes) is chosen.
const MAX_COLLAPSED_EDGES: usize = 120;

/// Above this many neighbours outside a drawn boundary, they are grouped by boundary.
const CONTEXT_GROUP_ABOVE: usize = 30;

/// Open threats of an element (or of everything in a collapsed box), by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Risk {
    /// Counts indexed by `ThreatSeverity as usize` (info, low, medium, high, critical).
    pub counts: [usize; 5],
}

impl Risk {
    fn add(&mut self, severity: ThreatSeverity) {
        self.counts[severity_index(severity)] += 1;
    }

    fn merge(&mut self, other: &Risk) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
    }

    /// The highest severity among open threats, if it is low or above.
    pub(super) fn highest(&self) -> Option<ThreatSeverity> {
        ThreatSeverity::ALL
            .iter()
            .rev()
            .copied()
            .find(|&s| s != ThreatSeverity::Info && self.counts[severity_index(s)] > 0)
    }

    /// Open threats of the highest severity.
    pub(super) fn highest_count(&self) -> usize {
        self.highest().map_or(0, |s| self.counts[severity_index(s)])
    }

    /// "2 high, 1 medium" (most severe first), or "no open threats".
    pub(super) fn summary(&self) -> String {
        let parts: Vec<String> = ThreatSeverity::ALL
            .iter()
            .rev()
            .filter(|&&s| self.counts[severity_index(s)] > 0)
            .map(|&s| format!("{} {}", self.counts[severity_index(s)], s.as_str()))
            .collect();
        if parts.is_empty() {
            "no open threats".to_owned()
        } else {
            format!("open threats: {}", parts.join(", "))
        }
    }
}

fn severity_index(severity: ThreatSeverity) -> usize {
    ThreatSeverity::ALL
        .iter()
        .position(|&s| s == severity)
        .unwrap_or(0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    Actor,
    Process,
    Store,
    /// A boundary drawn as one box.
    Collapsed,
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    /// Generated id: `c<component index>` or `b<boundary index>`.
    pub id: String,
    /// The model id of the component or boundary (for tooltips).
    pub model_id: String,
    pub name: String,
    /// The technology, or what a collapsed box holds.
    pub detail: String,
    pub shape: Shape,
    pub out_of_scope: bool,
    /// Outside the drawn boundary: shown because a flow joins it to the inside.
    pub context: bool,
    pub risk: Risk,
    /// Index into `View::clusters`.
    pub cluster: Option<usize>,
}

#[derive(Clone, Debug)]
pub(super) struct Cluster {
    /// Generated id: `b<boundary index>`.
    pub id: String,
    pub model_id: String,
    pub name: String,
    /// Kind and trust.
    pub detail: String,
    pub parent: Option<usize>,
    pub risk: Risk,
}

#[derive(Clone, Debug)]
pub(super) struct Edge {
    pub source: usize,
    pub target: usize,
    /// Model ids of the flows drawn by this edge.
    pub flows: Vec<String>,
    /// Protocols, in order of first appearance.
    pub protocols: Vec<String>,
    /// Data ids sent, in order of first appearance.
    pub data: Vec<String>,
    /// Data ids returned.
    pub returns: Vec<String>,
    /// Every flow of the edge is out of scope.
    pub out_of_scope: bool,
    pub risk: Risk,
}

impl Edge {
    /// The first line of the edge's label: the protocol, or "N flows: protocols".
    pub(super) fn title(&self) -> String {
        let protocols = if self.protocols.is_empty() {
            String::new()
        } else {
            self.protocols.join(", ")
        };
        if self.flows.len() > 1 {
            if protocols.is_empty() {
                format!("{} flows", self.flows.len())
            } else {
                format!("{} flows: {protocols}", self.flows.len())
            }
        } else {
            protocols
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct View {
    pub title: String,
    /// A line under the title: what is drawn, and what was collapsed.
    pub subtitle: String,
    pub nodes: Vec<Node>,
    pub clusters: Vec<Cluster>,
    pub edges: Vec<Edge>,
    /// Boundaries were collapsed into boxes.
    pub collapsed: bool,
    /// Mark elements with their model ids (`DiagramOptions::element_links`).
    pub links: bool,
}

/// Open threats per component, flow and boundary, by model index.
struct Risks {
    components: Vec<Risk>,
    flows: Vec<Risk>,
    boundaries: Vec<Risk>,
}

impl Risks {
    fn new(model: &Model, analysis: &Analysis) -> Risks {
        let mut risks = Risks {
            components: vec![Risk::default(); model.components.len()],
            flows: vec![Risk::default(); model.flows.len()],
            boundaries: vec![Risk::default(); model.boundaries.len()],
        };
        let open = analysis.threats.iter().filter(|t| t.is_open());
        for (threat, element) in open.flat_map(|t| t.elements().map(move |e| (t, e))) {
            let id: &str = &element.id;
            let slot = match element.kind {
                Element::Component => model
                    .components
                    .get_index_of(id)
                    .map(|i| &mut risks.components[i]),
                Element::Flow => model.flows.get_index_of(id).map(|i| &mut risks.flows[i]),
                Element::Boundary => model
                    .boundaries
                    .get_index_of(id)
                    .map(|i| &mut risks.boundaries[i]),
                _ => None,
            };
            if let Some(risk) = slot {
                risk.add(threat.severity());
            }
        }
        risks
    }
}

/// Where a component goes in the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Hidden,
    /// Drawn itself, inside the drawn boundaries around it (or as context outside them).
    Own {
        context: bool,
    },
    /// Inside this boundary, drawn as one box.
    In {
        boundary: usize,
        context: bool,
    },
}

pub(super) fn build(model: &Model, analysis: &Analysis, options: &DiagramOptions) -> View {
    let boundaries = BoundaryTree::new(model);
    let risks = Risks::new(model, analysis);
    let nc = model.components.len();
    let mut view = View {
        title: model.system_name().to_owned(),
        links: options.element_links,
        ..View::default()
    };

    let focus = match &options.boundary {
        None => None,
        Some(id) => match model.boundaries.get_index_of(id.as_str()) {
            Some(b) => Some(b),
            None => {
                view.subtitle = format!("There is no boundary `{id}` in the model.");
                return view;
            }
        },
    };
    // The boundaries around a component below the focus (all of them without one), outermost
    // first; `None` if the component is outside the focus.
    let inner = |c: usize| -> Option<&[usize]> {
        let around = boundaries.around(c);
        match focus {
            None => Some(around),
            Some(f) => around
                .iter()
                .position(|&b| b == f)
                .map(|at| &around[at + 1..]),
        }
    };
    let inside: Vec<bool> = (0..nc).map(|c| inner(c).is_some()).collect();
    let inside_count = inside.iter().filter(|&&x| x).count();

    // Collapse: the deepest level of boundaries (counted from the focus) whose collapse leaves
    // at most COLLAPSE_ABOVE nodes; the outermost level if none does.
    let depth = (0..nc)
        .filter_map(|c| inner(c).map(<[usize]>::len))
        .max()
        .unwrap_or(0);
    let collapse_level: Option<usize> = (inside_count > COLLAPSE_ABOVE && depth > 0).then(|| {
        // Nodes and merged edges if the boundaries at `level` are collapsed.
        let size_at = |level: usize| {
            let key = |c: usize| -> Option<(bool, usize)> {
                match inner(c) {
                    Some(chain) if chain.len() > level => Some((true, chain[level])),
                    Some(_) => Some((false, c)),
                    None => None,
                }
            };
            let keys: Vec<Option<(bool, usize)>> = (0..nc).map(key).collect();
            let mut nodes: Vec<(bool, usize)> = keys.iter().flatten().copied().collect();
            nodes.sort_unstable();
            nodes.dedup();
            let mut pairs = std::collections::BTreeSet::new();
            for flow in model.flows.values() {
                let s = model.components.get_index_of(flow.source.value.as_str());
                let t = model.components.get_index_of(flow.target.value.as_str());
                if let (Some(Some(a)), Some(Some(b))) = (s.map(|s| keys[s]), t.map(|t| keys[t]))
                    && a != b
                {
                    pairs.insert((a, b));
                }
            }
            (nodes.len(), pairs.len())
        };
        (0..depth)
            .rev()
            .find(|&level| {
                let (nodes, edges) = size_at(level);
                nodes <= COLLAPSE_ABOVE && edges <= MAX_COLLAPSED_EDGES
            })
            .unwrap_or(0)
    });

    // Boundaries the reader collapsed or opened (the dashboard's diagram), by index.
    let indexes = |ids: &[String]| -> BTreeSet<usize> {
        ids.iter()
            .filter_map(|id| model.boundaries.get_index_of(id.as_str()))
            .collect()
    };
    let (collapse, expand) = (indexes(&options.collapse), indexes(&options.expand));
    // A component goes into the box of the outermost boundary around it that is collapsed:
    // by the reader, or at the level chosen above unless the reader opened it.
    let mut place: Vec<Place> = (0..nc)
        .map(|c| match inner(c) {
            None => Place::Hidden,
            Some(chain) => match chain.iter().enumerate().find(|&(level, b)| {
                collapse.contains(b) || (collapse_level == Some(level) && !expand.contains(b))
            }) {
                Some((_, &boundary)) => Place::In {
                    boundary,
                    context: false,
                },
                None => Place::Own { context: false },
            },
        })
        .collect();

    // With a focus, the components outside it joined to it by a flow are drawn as context.
    if focus.is_some() {
        let mut outside: Vec<usize> = Vec::new();
        for flow in model.flows.values() {
            let ends = (
                model.components.get_index_of(flow.source.value.as_str()),
                model.components.get_index_of(flow.target.value.as_str()),
            );
            if let (Some(s), Some(t)) = ends {
                if inside[s] && !inside[t] {
                    outside.push(t);
                } else if inside[t] && !inside[s] {
                    outside.push(s);
                }
            }
        }
        outside.sort_unstable();
        outside.dedup();
        let group = outside.len() > CONTEXT_GROUP_ABOVE;
        for c in outside {
            // Grouped: by the outermost boundary around it that does not hold the focus.
            let holder = boundaries
                .around(c)
                .iter()
                .copied()
                .find(|&b| focus.is_none_or(|f| !boundaries.chain(f).contains(&b)));
            place[c] = match holder {
                Some(b) if group => Place::In {
                    boundary: b,
                    context: true,
                },
                _ => Place::Own { context: true },
            };
        }
    }

    // Clusters: the boundaries drawn as rectangles, around the nodes drawn on their own or as
    // collapsed boxes (but not around context).
    let mut cluster_of_boundary: Vec<Option<usize>> = vec![None; model.boundaries.len()];
    let boundary_keys: Vec<&String> = model.boundaries.keys().collect();
    let mut cluster_for = |view: &mut View, b: usize| -> usize {
        // Create the chain from the outermost drawn boundary down to b.
        let chain = boundaries.chain(b);
        let start = match focus {
            Some(f) => chain.iter().position(|&x| x == f).unwrap_or(0),
            None => 0,
        };
        let mut parent = None;
        for &x in &chain[start..] {
            let index = match cluster_of_boundary[x] {
                Some(i) => i,
                None => {
                    let boundary = &model.boundaries[x];
                    let i = view.clusters.len();
                    view.clusters.push(Cluster {
                        id: format!("b{x}"),
                        model_id: boundary_keys[x].clone(),
                        name: boundary
                            .name
                            .clone()
                            .unwrap_or_else(|| boundary_keys[x].clone()),
                        detail: format!("{}, trust {}", boundary.kind, boundary.trust),
                        parent,
                        risk: risks.boundaries[x],
                    });
                    cluster_of_boundary[x] = Some(i);
                    i
                }
            };
            parent = Some(index);
        }
        parent.expect("a boundary chain is not empty")
    };

    // Nodes, in model order; a collapsed box where its first component is.
    let mut node_of_component: Vec<Option<usize>> = vec![None; nc];
    let mut node_of_boundary: BTreeMap<usize, usize> = BTreeMap::new();
    let component_keys: Vec<&String> = model.components.keys().collect();
    for c in 0..nc {
        match place[c] {
            Place::Hidden => {}
            Place::Own { context } => {
                let component = &model.components[c];
                let cluster = match boundaries.of_component(c) {
                    Some(b) if !context => Some(cluster_for(&mut view, b)),
                    _ => None,
                };
                node_of_component[c] = Some(view.nodes.len());
                view.nodes.push(Node {
                    id: format!("c{c}"),
                    model_id: component_keys[c].clone(),
                    name: component
                        .name
                        .clone()
                        .unwrap_or_else(|| component_keys[c].clone()),
                    detail: component.technology_id().to_owned(),
                    shape: match component.effective_kind() {
                        ComponentKind::Actor => Shape::Actor,
                        ComponentKind::Process => Shape::Process,
                        ComponentKind::Store => Shape::Store,
                    },
                    out_of_scope: component.is_out_of_scope(),
                    context,
                    risk: risks.components[c],
                    cluster,
                });
            }
            Place::In { boundary, context } => {
                let node = match node_of_boundary.get(&boundary) {
                    Some(&n) => n,
                    None => {
                        let cluster = if context {
                            None
                        } else {
                            boundaries
                                .parent(boundary)
                                .filter(|&p| focus.is_none_or(|f| boundaries.chain(p).contains(&f)))
                                .map(|p| cluster_for(&mut view, p))
                        };
                        let b = &model.boundaries[boundary];
                        let n = view.nodes.len();
                        view.nodes.push(Node {
                            id: format!("b{boundary}"),
                            model_id: boundary_keys[boundary].clone(),
                            name: b
                                .name
                                .clone()
                                .unwrap_or_else(|| boundary_keys[boundary].clone()),
                            detail: String::new(),
                            shape: Shape::Collapsed,
                            out_of_scope: false,
                            context,
                            risk: risks.boundaries[boundary],
                            cluster,
                        });
                        node_of_boundary.insert(boundary, n);
                        n
                    }
                };
                view.nodes[node].risk.merge(&risks.components[c]);
                node_of_component[c] = Some(node);
            }
        }
    }

    // Edges: flows between drawn nodes, merged by (source, target); flows inside one box are
    // counted in it.
    let mut inside_flows: BTreeMap<usize, usize> = BTreeMap::new();
    let mut components_in: BTreeMap<usize, usize> = BTreeMap::new();
    for c in 0..nc {
        if let (Place::In { .. }, Some(n)) = (place[c], node_of_component[c]) {
            *components_in.entry(n).or_default() += 1;
        }
    }
    let mut edge_of: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (f, (flow_id, flow)) in model.flows.iter().enumerate() {
        let s = model
            .components
            .get_index_of(flow.source.value.as_str())
            .and_then(|c| node_of_component[c]);
        let t = model
            .components
            .get_index_of(flow.target.value.as_str())
            .and_then(|c| node_of_component[c]);
        let (Some(s), Some(t)) = (s, t) else {
            continue;
        };
        // Between two context nodes: not about the drawn boundary.
        if view.nodes[s].context && view.nodes[t].context {
            continue;
        }
        if s == t && view.nodes[s].shape == Shape::Collapsed {
            *inside_flows.entry(s).or_default() += 1;
            view.nodes[s].risk.merge(&risks.flows[f]);
            continue;
        }
        let e = *edge_of.entry((s, t)).or_insert_with(|| {
            view.edges.push(Edge {
                source: s,
                target: t,
                flows: Vec::new(),
                protocols: Vec::new(),
                data: Vec::new(),
                returns: Vec::new(),
                out_of_scope: true,
                risk: Risk::default(),
            });
            view.edges.len() - 1
        });
        let edge = &mut view.edges[e];
        edge.flows.push(flow_id.clone());
        let protocol = flow.protocol_id();
        if !protocol.is_empty() && !edge.protocols.iter().any(|p| p == protocol) {
            edge.protocols.push(protocol.to_owned());
        }
        for d in &flow.data {
            if !edge.data.contains(&d.value) {
                edge.data.push(d.value.clone());
            }
        }
        for d in &flow.returns {
            if !edge.returns.contains(&d.value) {
                edge.returns.push(d.value.clone());
            }
        }
        edge.out_of_scope &= flow.out_of_scope.is_some();
        edge.risk.merge(&risks.flows[f]);
    }
    for (n, node) in view.nodes.iter_mut().enumerate() {
        if node.shape == Shape::Collapsed {
            let components = components_in.get(&n).copied().unwrap_or(0);
            let flows = inside_flows.get(&n).copied().unwrap_or(0);
            node.detail = format!(
                "{components} component{}, {flows} flow{}",
                if components == 1 { "" } else { "s" },
                if flows == 1 { "" } else { "s" }
            );
        }
    }
    let drawn_components = node_of_component.iter().filter(|n| n.is_some()).count();
    let drawn_flows = view.edges.iter().map(|e| e.flows.len()).sum::<usize>()
        + inside_flows.values().sum::<usize>();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut subtitle = format!(
        "Data-flow diagram: {drawn_components} component{}, {drawn_flows} flow{}",
        plural(drawn_components),
        plural(drawn_flows),
    );
    if let Some(f) = focus {
        let b = &model.boundaries[f];
        subtitle.push_str(&format!(
            ", boundary {} and its neighbours",
            b.name.as_deref().unwrap_or(boundary_keys[f])
        ));
    }
    view.collapsed = view
        .nodes
        .iter()
        .any(|n| n.shape == Shape::Collapsed && !n.context);
    if view.collapsed {
        subtitle.push_str(&format!(
            ". Over {COLLAPSE_ABOVE} components: boundaries are collapsed into boxes (draw one boundary to see inside)"
        ));
    }
    view.subtitle = subtitle;
    view
}
