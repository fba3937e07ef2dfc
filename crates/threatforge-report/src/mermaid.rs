//! The one Mermaid writer: the syntax of a `flowchart` (nodes by shape, subgraphs, labelled
//! edges, link styles, classes) is written here and nowhere else, and every label goes through
//! [`crate::escape::mermaid`] here. The diagram (`diagram/mermaid.rs`) and the diffs'
//! flowchart below are built from these pieces.

use std::fmt::Write as _;

use threatforge_model::{ComponentKind, Model};

use crate::escape::mermaid as label;

/// A node's outline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `["..."]`
    Box,
    /// `[/"..."/]`
    Parallelogram,
    /// `("...")`
    Rounded,
    /// `[("...")]`
    Cylinder,
    /// `[["..."]]`
    Subroutine,
}

/// Lines of model text as one label: each escaped, joined by Mermaid's line break.
fn lines<S: AsRef<str>>(text: &[S]) -> String {
    let escaped: Vec<String> = text.iter().map(|l| label(l.as_ref())).collect();
    escaped.join("<br/>")
}

/// `{indent}{id}["line<br/>line"]`, in the shape's brackets.
pub(crate) fn node<S: AsRef<str>>(
    out: &mut String,
    indent: &str,
    id: &str,
    shape: Shape,
    text: &[S],
) {
    let text = lines(text);
    let _ = match shape {
        Shape::Box => writeln!(out, "{indent}{id}[\"{text}\"]"),
        Shape::Parallelogram => writeln!(out, "{indent}{id}[/\"{text}\"/]"),
        Shape::Rounded => writeln!(out, "{indent}{id}(\"{text}\")"),
        Shape::Cylinder => writeln!(out, "{indent}{id}[(\"{text}\")]"),
        Shape::Subroutine => writeln!(out, "{indent}{id}[[\"{text}\"]]"),
    };
}

/// `{indent}subgraph id["name (detail)"]`; the caller writes its members, then [`end`].
pub(crate) fn subgraph(out: &mut String, indent: &str, id: &str, name: &str, detail: &str) {
    let _ = writeln!(
        out,
        "{indent}subgraph {id}[\"{} ({})\"]",
        label(name),
        label(detail)
    );
}

pub(crate) fn end(out: &mut String, indent: &str) {
    let _ = writeln!(out, "{indent}end");
}

/// An edge, `-->` or `-.->`, labelled with its lines when there are any.
pub(crate) fn edge<S: AsRef<str>>(
    out: &mut String,
    source: &str,
    arrow: &str,
    target: &str,
    text: &[S],
) {
    if text.is_empty() {
        let _ = writeln!(out, "  {source} {arrow} {target}");
    } else {
        let _ = writeln!(out, "  {source} {arrow}|\"{}\"| {target}", lines(text));
    }
}

/// A heavier stroke for the `index`th edge.
pub(crate) fn link_style(index: usize, color: &str) -> String {
    format!("  linkStyle {index} stroke:{color},stroke-width:2px")
}

pub(crate) fn class_def(out: &mut String, name: &str, style: &str) {
    let _ = writeln!(out, "  classDef {name} {style}");
}

/// Puts nodes in a class.
pub(crate) fn class(out: &mut String, ids: &[&str], name: &str) {
    let _ = writeln!(out, "  class {} {name}", ids.join(","));
}

/// A flowchart of some components and the flows between them. `highlight` marks changed
/// elements (ids of components and flows).
pub(crate) fn flowchart(
    model: &Model,
    components: &[&str],
    flows: &[&str],
    highlight: &[&str],
) -> String {
    let mut out = String::from("flowchart LR\n");
    let node_id =
        |id: &str| -> Option<String> { model.components.get_index_of(id).map(|i| format!("c{i}")) };
    for id in components {
        let (Some(n), Some(c)) = (node_id(id), model.components.get(*id)) else {
            continue;
        };
        let shape = match c.effective_kind() {
            ComponentKind::Actor => Shape::Parallelogram,
            ComponentKind::Process => Shape::Rounded,
            ComponentKind::Store => Shape::Cylinder,
        };
        node(
            &mut out,
            "  ",
            &n,
            shape,
            &[c.name.as_deref().unwrap_or(id)],
        );
        if highlight.contains(id) {
            class(&mut out, &[&n], "changed");
        }
    }
    for (i, id) in flows.iter().enumerate() {
        let Some(f) = model.flows.get(*id) else {
            continue;
        };
        let (Some(s), Some(t)) = (node_id(&f.source.value), node_id(&f.target.value)) else {
            continue;
        };
        let protocol: Vec<&str> = f
            .protocol
            .iter()
            .map(|p| p.value.as_str())
            .filter(|p| !p.is_empty())
            .collect();
        edge(&mut out, &s, "-->", &t, &protocol);
        if highlight.contains(id) {
            out.push_str(&link_style(i, "#d73a49"));
            out.push('\n');
        }
    }
    class_def(&mut out, "changed", "stroke:#d73a49,stroke-width:3px");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use threatforge_model::{LoadOptions, load_str};

    /// The diffs' flowchart, byte for byte as it was before it shared the writer with the diagram.
    #[test]
    fn the_diff_flowchart_keeps_its_text() {
        let text = "system: { name: t }
components:
  user: { technology: browser, exposure: internet, name: 'User \"x\" <b>' }
  web: { technology: web-application }
  db: { technology: postgresql }
flows:
  - user -> web: { protocol: https }
  - web -> db: { protocol: postgres }
";
        let loaded = load_str(
            "m.yaml",
            text,
            &std::env::temp_dir(),
            &LoadOptions::default(),
        );
        assert!(
            loaded.diagnostics.iter().all(|d| !d.is_error()),
            "{:?}",
            loaded.diagnostics
        );
        let model = &loaded.model;
        let flows: Vec<&str> = model.flows.keys().map(|k| k.as_str()).collect();
        let second = flows.get(1).copied().unwrap_or_default();
        let chart = flowchart(
            model,
            &["user", "web", "db", "gone"],
            &flows,
            &["web", second],
        );
        assert_eq!(
            chart,
            "flowchart LR
  c0[/\"User #quot;x#quot; #lt;b#gt;\"/]
  c1(\"web\")
  class c1 changed
  c2[(\"db\")]
  c0 -->|\"https\"| c1
  c1 -->|\"postgres\"| c2
  linkStyle 1 stroke:#d73a49,stroke-width:2px
  classDef changed stroke:#d73a49,stroke-width:3px
"
        );
    }
}
