//! The Mermaid writer: `flowchart LR` with a nested `subgraph` per drawn boundary, node shapes by
//! kind, flows labelled with protocol and data. Ids are the view's generated ids (`c0`, `b1`);
//! the syntax and the escaping of labels are `crate::mermaid`'s.

use std::fmt::Write as _;

use super::dot::{Member, edge_lines, members, severity_color};
use super::view::{Shape, View};
use crate::mermaid::{self as write, Shape as Outline};
use threatforge_model::ThreatSeverity;

pub(super) fn render(view: &View) -> String {
    let mut out = String::from("flowchart LR\n");
    if view.nodes.is_empty() {
        write::node(&mut out, "  ", "empty", Outline::Box, &[&view.subtitle]);
        return out;
    }
    let members = members(view);
    write_members(&mut out, view, &members, view.clusters.len(), 1);
    let mut styles: Vec<String> = Vec::new();
    for (i, edge) in view.edges.iter().enumerate() {
        let (s, t) = (&view.nodes[edge.source].id, &view.nodes[edge.target].id);
        let arrow = if edge.out_of_scope { "-.->" } else { "-->" };
        write::edge(&mut out, s, arrow, t, &edge_lines(edge));
        if !edge.out_of_scope
            && let Some(sev) = edge.risk.highest()
        {
            styles.push(write::link_style(i, severity_color(sev)));
        }
    }
    for line in styles {
        let _ = writeln!(out, "{line}");
    }
    // Classes: out of scope, collapsed boxes, severity.
    let mut classes: Vec<(&str, Vec<&str>)> = vec![
        ("oos", Vec::new()),
        ("collapsed", Vec::new()),
        ("critical", Vec::new()),
        ("high", Vec::new()),
        ("medium", Vec::new()),
        ("low", Vec::new()),
    ];
    for node in &view.nodes {
        if node.out_of_scope {
            classes[0].1.push(&node.id);
        } else if node.shape == Shape::Collapsed {
            classes[1].1.push(&node.id);
        }
        if !node.out_of_scope {
            let slot = match node.risk.highest() {
                Some(ThreatSeverity::Critical) => Some(2),
                Some(ThreatSeverity::High) => Some(3),
                Some(ThreatSeverity::Medium) => Some(4),
                Some(ThreatSeverity::Low) => Some(5),
                _ => None,
            };
            if let Some(k) = slot {
                classes[k].1.push(&node.id);
            }
        }
    }
    write::class_def(
        &mut out,
        "oos",
        "fill:#f6f8fa,stroke:#8c959f,color:#6e7781,stroke-dasharray:4 3",
    );
    write::class_def(
        &mut out,
        "collapsed",
        "fill:#f6f1ff,stroke:#8250df,stroke-dasharray:6 4",
    );
    for s in [
        ThreatSeverity::Critical,
        ThreatSeverity::High,
        ThreatSeverity::Medium,
        ThreatSeverity::Low,
    ] {
        let style = format!("stroke:{},stroke-width:3px", severity_color(s));
        write::class_def(&mut out, s.as_str(), &style);
    }
    for (name, ids) in classes {
        if !ids.is_empty() {
            write::class(&mut out, &ids, name);
        }
    }
    out
}

fn write_members(out: &mut String, view: &View, members: &[Vec<Member>], at: usize, depth: usize) {
    let indent = "  ".repeat(depth);
    for member in &members[at] {
        match *member {
            Member::Node(n) => {
                let node = &view.nodes[n];
                let detail = if node.out_of_scope {
                    "out of scope"
                } else {
                    node.detail.as_str()
                };
                let mut text = vec![node.name.as_str()];
                if !detail.is_empty() {
                    text.push(detail);
                }
                let outline = match node.shape {
                    Shape::Actor => Outline::Box,
                    Shape::Process => Outline::Rounded,
                    Shape::Store => Outline::Cylinder,
                    Shape::Collapsed => Outline::Subroutine,
                };
                write::node(out, &indent, &node.id, outline, &text);
            }
            Member::Cluster(c) => {
                let cluster = &view.clusters[c];
                write::subgraph(out, &indent, &cluster.id, &cluster.name, &cluster.detail);
                write_members(out, view, members, c, depth + 1);
                write::end(out, &indent);
            }
        }
    }
}
