//! Mermaid flowcharts, which GitHub and GitLab render in Markdown.

use std::fmt::Write as _;

use threatforge_model::{ComponentKind, Model};

/// Text safe inside a quoted Mermaid label: quotes, angle brackets and ampersands become
/// Mermaid's entity codes, so model text cannot break out of the label or inject markup.
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn labels_cannot_break_out() {
        assert_eq!(label(r#"a"] --> x["b"#), "a#quot;] --#gt; x[#quot;b");
        assert_eq!(
            label("<img src=x onerror=alert(1)>"),
            "#lt;img src=x onerror=alert(1)#gt;"
        );
    }
}
