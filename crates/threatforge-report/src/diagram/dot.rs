//! The Graphviz DOT writer: one `subgraph cluster_<n>` per drawn boundary (nested as the
//! boundaries are), shapes by kind, severity as the outline's color, out-of-scope elements grey.
//! Every text from the model goes through [`crate::escape::dot`].

use std::fmt::Write as _;

use threatforge_model::ThreatSeverity;

use super::view::{Edge, Risk, Shape, View};
use crate::escape::dot as escape;

pub(crate) fn severity_color(severity: ThreatSeverity) -> &'static str {
    match severity {
        ThreatSeverity::Critical => "#a40e26",
        ThreatSeverity::High => "#cf222e",
        ThreatSeverity::Medium => "#bc4c00",
        ThreatSeverity::Low => "#9a6700",
        ThreatSeverity::Info => "#57606a",
    }
}

/// At most `max` ids, then `+N`.
pub(crate) fn short_list(ids: &[String], max: usize) -> String {
    let mut text = ids.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > max {
        let _ = write!(text, ", +{}", ids.len() - max);
    }
    text
}

/// The lines of an edge's label, as model text (not escaped).
pub(crate) fn edge_lines(edge: &Edge) -> Vec<String> {
    let mut lines = Vec::new();
    let title = edge.title();
    if !title.is_empty() {
        lines.push(title);
    }
    if !edge.data.is_empty() {
        lines.push(short_list(&edge.data, 3));
    }
    if !edge.returns.is_empty() && edge.flows.len() == 1 {
        lines.push(format!("returns {}", short_list(&edge.returns, 3)));
    }
    lines
}

/// A node or a nested cluster, as a member of a cluster.
pub(crate) enum Member {
    Node(usize),
    Cluster(usize),
}

/// The members of each cluster (and of the top level, last), in the order of their first node.
pub(crate) fn members(view: &View) -> Vec<Vec<Member>> {
    let nc = view.clusters.len();
    let mut first = vec![usize::MAX; nc];
    for (n, node) in view.nodes.iter().enumerate() {
        let mut at = node.cluster;
        let mut steps = 0;
        while let Some(c) = at {
            first[c] = first[c].min(n);
            at = view.clusters[c].parent;
            steps += 1;
            if steps > nc {
                break;
            }
        }
    }
    let mut keyed: Vec<Vec<(usize, Member)>> = (0..=nc).map(|_| Vec::new()).collect();
    for (n, node) in view.nodes.iter().enumerate() {
        keyed[node.cluster.unwrap_or(nc)].push((n, Member::Node(n)));
    }
    for (c, cluster) in view.clusters.iter().enumerate() {
        if first[c] != usize::MAX {
            keyed[cluster.parent.unwrap_or(nc)].push((first[c], Member::Cluster(c)));
        }
    }
    keyed
        .into_iter()
        .map(|mut list| {
            list.sort_by_key(|(k, m)| (*k, matches!(m, Member::Node(_))));
            list.into_iter().map(|(_, m)| m).collect()
        })
        .collect()
}

fn risk_attributes(risk: &Risk, out: &mut String) {
    if let Some(s) = risk.highest() {
        let _ = write!(out, ", color=\"{}\", penwidth=2", severity_color(s));
    }
    let _ = write!(out, ", tooltip=\"{}\"", escape(&risk.summary()));
}

pub(super) fn render(view: &View) -> String {
    let mut out = String::from("digraph threatforge {\n");
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, newrank=true, fontname=\"Helvetica\", fontsize=12, labelloc=t, labeljust=l, label=\"{}\\n{}\"];",
        escape(&view.title),
        escape(&view.subtitle)
    );
    out.push_str(
        "  node [fontname=\"Helvetica\", fontsize=11, style=filled, fillcolor=\"#ffffff\", color=\"#57606a\"];\n",
    );
    out.push_str(
        "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#6e7781\", fontcolor=\"#24292f\"];\n",
    );
    let members = members(view);
    write_members(&mut out, view, &members, view.clusters.len(), 1);
    for edge in &view.edges {
        let (s, t) = (&view.nodes[edge.source].id, &view.nodes[edge.target].id);
        let label: Vec<String> = edge_lines(edge).iter().map(|l| escape(l)).collect();
        let _ = write!(out, "  {s} -> {t} [label=\"{}\"", label.join("\\n"));
        if edge.out_of_scope {
            out.push_str(", style=dashed, color=\"#8c959f\", fontcolor=\"#6e7781\"");
        } else if let Some(sev) = edge.risk.highest() {
            let _ = write!(out, ", color=\"{}\", penwidth=2", severity_color(sev));
        }
        let _ = write!(
            out,
            ", tooltip=\"{}: {}\"",
            escape(&edge.flows.join(", ")),
            escape(&edge.risk.summary())
        );
        out.push_str("];\n");
    }
    out.push_str("}\n");
    out
}

fn write_members(out: &mut String, view: &View, members: &[Vec<Member>], at: usize, depth: usize) {
    let indent = "  ".repeat(depth);
    for member in &members[at] {
        match *member {
            Member::Node(n) => {
                let node = &view.nodes[n];
                let (shape, style, fill) = match node.shape {
                    Shape::Actor => ("box", "filled", "#eef1f5"),
                    Shape::Process => ("box", "rounded,filled", "#ffffff"),
                    Shape::Store => ("cylinder", "filled", "#fffaf0"),
                    Shape::Collapsed => ("box", "dashed,filled", "#f6f1ff"),
                };
                let mut label = escape(&node.name);
                let detail = if node.out_of_scope {
                    "out of scope"
                } else {
                    node.detail.as_str()
                };
                if !detail.is_empty() {
                    let _ = write!(label, "\\n{}", escape(detail));
                }
                let _ = write!(out, "{indent}{} [label=\"{label}\", shape={shape}", node.id);
                if node.out_of_scope {
                    let _ = write!(
                        out,
                        ", style=\"{style},dashed\", fillcolor=\"#f6f8fa\", color=\"#8c959f\", fontcolor=\"#6e7781\", tooltip=\"{}\"",
                        escape(&node.risk.summary())
                    );
                } else {
                    let _ = write!(out, ", style=\"{style}\", fillcolor=\"{fill}\"");
                    if node.shape == Shape::Collapsed {
                        out.push_str(", peripheries=2");
                    }
                    risk_attributes(&node.risk, out);
                }
                out.push_str("];\n");
            }
            Member::Cluster(c) => {
                let cluster = &view.clusters[c];
                let number = cluster.id.trim_start_matches('b');
                let _ = writeln!(out, "{indent}subgraph cluster_{number} {{");
                let _ = writeln!(
                    out,
                    "{indent}  label=\"{}\\n({})\"; style=\"dashed,rounded\"; color=\"#8250df\"; fontcolor=\"#6639ba\"; tooltip=\"{}\";",
                    escape(&cluster.name),
                    escape(&cluster.detail),
                    escape(&cluster.risk.summary())
                );
                if let Some(s) = cluster.risk.highest() {
                    let _ = writeln!(out, "{indent}  pencolor=\"{}\";", severity_color(s));
                }
                write_members(out, view, members, c, depth + 1);
                let _ = writeln!(out, "{indent}}}");
            }
        }
    }
}
