//! Mermaid flowcharts, which GitHub and GitLab render in Markdown.

use std::fmt::Write as _;

use threatforge_model::{ComponentKind, Model};

use crate::escape::mermaid as label;

/// A flowchart of some components and the flows between them. `highlight` marks changed
/// elements (ids of components and flows).
pub fn flowchart(model: &Model, components: &[&str], flows: &[&str], highlight: &[&str]) -> String {
    let mut out = String::from("flowchart LR\n");
    let node =
        |id: &str| -> Option<String> { model.components.get_index_of(id).map(|i| format!("c{i}")) };
    for id in components {
        let (Some(n), Some(c)) = (node(id), model.components.get(*id)) else {
            continue;
        };
        let name = label(c.name.as_deref().unwrap_or(id));
        let shape = match c.effective_kind() {
            ComponentKind::Actor => format!("{n}[/\"{name}\"/]"),
            ComponentKind::Process => format!("{n}(\"{name}\")"),
            ComponentKind::Store => format!("{n}[(\"{name}\")]"),
        };
        let _ = writeln!(out, "  {shape}");
        if highlight.contains(id) {
            let _ = writeln!(out, "  class {n} changed");
        }
    }
    for (i, id) in flows.iter().enumerate() {
        let Some(f) = model.flows.get(*id) else {
            continue;
        };
        let (Some(s), Some(t)) = (node(&f.source.value), node(&f.target.value)) else {
            continue;
        };
        let text = label(f.protocol.as_ref().map_or("", |p| p.value.as_str()));
        if text.is_empty() {
            let _ = writeln!(out, "  {s} --> {t}");
        } else {
            let _ = writeln!(out, "  {s} -->|\"{text}\"| {t}");
        }
        if highlight.contains(id) {
            let _ = writeln!(out, "  linkStyle {i} stroke:#d73a49,stroke-width:2px");
        }
    }
    out.push_str("  classDef changed stroke:#d73a49,stroke-width:3px\n");
    out
}
