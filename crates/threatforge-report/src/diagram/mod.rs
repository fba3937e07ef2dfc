//! Data-flow diagrams of a model: SVG (laid out by threatforge itself), Graphviz DOT, and Mermaid.
//!
//! All three draw the same [`view`]: components shaped by kind, flows between them labelled with
//! protocol and data, trust boundaries as nested clusters, the highest open residual severity on
//! each element, out-of-scope elements greyed. Above [`COLLAPSE_ABOVE`] components, boundaries
//! are collapsed into single boxes (with the flows between them merged and counted); drawing
//! one boundary ([`DiagramOptions::boundary`]) shows it, what it contains, and its neighbours.
//!
//! Same input, same bytes: everything is in model order, ids are generated from positions, and
//! numbers are printed with fixed decimals. Every model text is escaped for the format.

mod dot;
pub(crate) mod layout;
mod mermaid;
mod svg;
mod view;

use threatforge_analysis::Analysis;
use threatforge_model::Model;

pub use view::COLLAPSE_ABOVE;

/// What to draw.
#[derive(Clone, Debug, Default)]
pub struct DiagramOptions {
    /// Draw only this boundary (and what it contains); `None` draws the whole system.
    pub boundary: Option<String>,
    /// Mark each drawn component, boundary, flow label and flow line with its model id
    /// (`data-component`, `data-boundary`, `data-flow`; `data-flows`, ids separated by spaces,
    /// on a line that draws several flows), for a page whose script makes them clickable. Off for
    /// every file output, which stays as it was.
    pub element_links: bool,
    /// Boundaries to draw collapsed into one box each, whatever the model's size.
    pub collapse: Vec<String>,
    /// Boundaries to draw open that the model's size would collapse.
    pub expand: Vec<String>,
}

/// A standalone SVG document.
pub(crate) fn svg(model: &Model, analysis: &Analysis, options: &DiagramOptions) -> String {
    svg::render(&view::build(model, analysis, options))
}

/// A standalone SVG document, and the narrowest width (in CSS pixels) it may be scaled down to
/// with its labels still legible ([`svg::LEGIBLE_TEXT`]): a page fits it to its width down to
/// that, and scrolls below.
pub(crate) fn svg_with_min_width(
    model: &Model,
    analysis: &Analysis,
    options: &DiagramOptions,
) -> (String, f64) {
    svg::render_sized(&view::build(model, analysis, options))
}

/// Graphviz DOT text.
pub(crate) fn dot(model: &Model, analysis: &Analysis, options: &DiagramOptions) -> String {
    dot::render(&view::build(model, analysis, options))
}

/// A Mermaid flowchart with subgraphs for boundaries.
pub(crate) fn mermaid(model: &Model, analysis: &Analysis, options: &DiagramOptions) -> String {
    mermaid::render(&view::build(model, analysis, options))
}
