//! The Mermaid writer: `flowchart LR` with a nested `subgraph` per drawn boundary, node shapes by
//! kind, flows labelled with protocol and data. Ids are the view's generated ids (`c0`, `b1`);
//! every label goes through [`crate::escape::mermaid`].

use std::fmt::Write as _;

use super::dot::{Member, edge_lines, members, severity_color};
use super::view::{Shape, View};
use crate::escape::mermaid as label;
use threatforge_model::ThreatSeverity;

pub fn render(view: &View) -> String {
    let mut out = String::from("flowchart LR\n");
    if view.nodes.is_empty() {
        let _ = writeln!(out, "  empty[\"{}\"]", label(&view.subtitle));
        return out;
    }
    let members = members(view);
    write_members(&mut out, view, &members, view.clusters.len(), 1);
    let mut styles: Vec<String> = Vec::new();
    for (i, edge) in view.edges.iter().enumerate() {
        let (s, t) = (&view.nodes[edge.source].id, &view.nodes[edge.target].id);
        let text: Vec<String> = edge_lines(edge).iter().map(|l| label(l)).collect();
        let arrow = if edge.out_of_scope { "-.->" } else { "-->" };
        if text.is_empty() {
            let _ = writeln!(out, "  {s} {arrow} {t}");
        } else {
            let _ = writeln!(out, "  {s} {arrow}|\"{}\"| {t}", text.join("<br/>"));
        }
        if !edge.out_of_scope
            && let Some(sev) = edge.risk.highest()
        {
            styles.push(format!(
                "  linkStyle {i} stroke:{},stroke-width:2px",
                severity_color(sev)
            ));
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
    out.push_str("  classDef oos fill:#f6f8fa,stroke:#8c959f,color:#6e7781,stroke-dasharray:4 3\n");
    out.push_str("  classDef collapsed fill:#f6f1ff,stroke:#8250df,stroke-dasharray:6 4\n");
    for s in [
        ThreatSeverity::Critical,
        ThreatSeverity::High,
        ThreatSeverity::Medium,
        ThreatSeverity::Low,
    ] {
        let _ = writeln!(
            out,
            "  classDef {} stroke:{},stroke-width:3px",
            s.as_str(),
            severity_color(s)
        );
    }
    for (name, ids) in classes {
        if !ids.is_empty() {
            let _ = writeln!(out, "  class {} {name}", ids.join(","));
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
                let mut text = label(&node.name);
                let detail = if node.out_of_scope {
                    "out of scope"
                } else {
                    node.detail.as_str()
                };
                if !detail.is_empty() {
                    let _ = write!(text, "<br/>{}", label(detail));
                }
                let id = &node.id;
                let shape = match node.shape {
                    Shape::Actor => format!("{id}[\"{text}\"]"),
                    Shape::Process => format!("{id}(\"{text}\")"),
                    Shape::Store => format!("{id}[(\"{text}\")]"),
                    Shape::Collapsed => format!("{id}[[\"{text}\"]]"),
                };
                let _ = writeln!(out, "{indent}{shape}");
            }
            Member::Cluster(c) => {
                let cluster = &view.clusters[c];
                let _ = writeln!(
                    out,
                    "{indent}subgraph {}[\"{} ({})\"]",
                    cluster.id,
                    label(&cluster.name),
                    label(&cluster.detail)
                );
                write_members(out, view, members, c, depth + 1);
                let _ = writeln!(out, "{indent}end");
            }
        }
    }
}
