//! Data-flow diagrams of a model: SVG (laid out by threatforge itself), Graphviz DOT, and Mermaid.

use threatforge_analysis::Analysis;
use threatforge_model::Model;

/// What to draw.
#[derive(Clone, Debug, Default)]
pub struct DiagramOptions {
    /// Draw only this boundary (and what it contains); `None` draws the whole system.
    pub boundary: Option<String>,
}

/// A standalone SVG document.
pub fn svg(model: &Model, analysis: &Analysis, options: &DiagramOptions) -> String {
    let _ = (model, analysis, options);
    String::from("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"></svg>\n")
}

/// Graphviz DOT text.
pub fn dot(model: &Model, analysis: &Analysis, options: &DiagramOptions) -> String {
    let _ = (model, analysis, options);
    String::from("digraph threatforge {}\n")
}

/// A Mermaid flowchart with subgraphs for boundaries.
pub fn mermaid(model: &Model, analysis: &Analysis, options: &DiagramOptions) -> String {
    let _ = (model, analysis, options);
    String::from("flowchart LR\n")
}
