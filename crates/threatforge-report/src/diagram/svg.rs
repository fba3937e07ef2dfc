//! The SVG writer: sizes every box from its text, lays the view out with [`super::layout`], and
//! draws it with presentation attributes only (no `<style>`, no script), so that the drawing
//! looks the same standalone and inlined in the HTML report, and nothing leaks into the page.
//!
//! Every text from the model goes through [`crate::escape::xml`]; numbers are printed with one decimal.

use std::fmt::Write as _;

use threatforge_model::ThreatSeverity;

use super::layout::{self, Graph, Layout, Rect, Route, Size};
use super::view::{Edge, Node, Risk, Shape, View};
use crate::escape::xml as escape;

/// Fonts with Arial's metrics first, so that the estimated text widths hold.
const FONT: &str = "Helvetica, Arial, 'Liberation Sans', sans-serif";
const NAME_SIZE: f64 = 12.0;
const DETAIL_SIZE: f64 = 10.5;
const LABEL_SIZE: f64 = 10.5;
const LINE: f64 = 14.0;
const NODE_PAD_X: f64 = 12.0;
const NODE_PAD_Y: f64 = 9.0;
const NODE_MIN_W: f64 = 104.0;
const NAME_MAX_W: f64 = 140.0;
const LABEL_MAX_W: f64 = 150.0;
const CYLINDER_RY: f64 = 5.0;
const TITLE_H: f64 = 50.0;
const LEGEND_H: f64 = 64.0;

const INK: &str = "#24292f";
const MUTED: &str = "#57606a";
const EDGE: &str = "#6e7781";
const BOUNDARY: &str = "#8250df";
const BOUNDARY_TEXT: &str = "#6639ba";
const GREY_FILL: &str = "#f6f8fa";
const GREY_STROKE: &str = "#8c959f";
const GREY_TEXT: &str = "#6e7781";

/// A number with one decimal, never `-0.0`.
fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    let r = if r == 0.0 || !r.is_finite() { 0.0 } else { r };
    format!("{r:.1}")
}

/// An estimate of the width of `text` in a sans-serif font: no font metrics are available, so
/// character classes get typical advances, erring on the wide side.
pub(super) fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | 'I' | '`' => 0.30,
            'f' | 't' | 'r' | ' ' | '(' | ')' | '[' | ']' | '-' | '/' | '"' => 0.38,
            'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.88,
            'A'..='Z' | '&' | '#' => 0.70,
            '0'..='9' => 0.58,
            c if c.is_ascii() => 0.57,
            c if is_wide(c) => 1.0,
            _ => 0.62,
        })
        .sum();
    em * size * if bold { 1.08 } else { 1.0 }
}

/// East Asian wide characters and emoji take a full em.
fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD)
}

/// `text` cut to fit `max` with an ellipsis, at the end of a word: a name or an id is shown
/// whole or not at all, never cut inside. A first word wider than `max` is kept whole (the box
/// or label grows to it), since half a name reads as another name.
fn truncate(text: &str, max: f64, size: f64, bold: bool) -> String {
    if text_width(text, size, bold) <= max {
        return text.to_owned();
    }
    let budget = max - text_width("…", size, bold);
    let ends = text
        .char_indices()
        .filter(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i);
    let mut cut = None;
    for end in ends {
        let head = text[..end].trim_end_matches([',', ';', ':']);
        if text_width(head, size, bold) > budget {
            break;
        }
        if !head.trim().is_empty() {
            cut = Some(head);
        }
    }
    let head = match cut {
        Some(head) => head,
        None => text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches([',', ';', ':']),
    };
    if head.len() >= text.trim_end().len() {
        return text.trim_end().to_owned();
    }
    format!("{}…", head.trim_end())
}

/// `text` in at most `lines` lines of at most `max` wide, broken at spaces.
fn wrap(text: &str, max: f64, size: f64, bold: bool, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        let candidate = if current.is_empty() {
            (*word).to_owned()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, size, bold) <= max || current.is_empty() {
            current = candidate;
            continue;
        }
        out.push(std::mem::take(&mut current));
        if out.len() == lines - 1 {
            current = words[i..].join(" ");
            break;
        }
        current = (*word).to_owned();
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out.truncate(lines);
    for line in &mut out {
        *line = truncate(line, max, size, bold);
    }
    out
}

/// Ids joined by commas, as many as fit in `max`, then `+N`.
fn fit_list(prefix: &str, ids: &[String], max: f64) -> String {
    let mut text = prefix.to_owned();
    for (i, id) in ids.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let rest = ids.len() - i - 1;
        let candidate = format!("{text}{sep}{id}");
        let with_more = if rest > 0 {
            format!("{candidate}, +{rest}")
        } else {
            candidate.clone()
        };
        if text_width(&with_more, LABEL_SIZE, false) <= max {
            text = candidate;
            continue;
        }
        let more = ids.len() - i;
        if i == 0 {
            // Not even the first fits: it is shown whole (the label grows), since a cut id
            // reads as another id.
            let tail = if more > 1 {
                format!(", +{}", more - 1)
            } else {
                String::new()
            };
            return format!("{text}{id}{tail}");
        }
        return format!("{text}, +{more}");
    }
    text
}

fn severity_color(severity: ThreatSeverity) -> &'static str {
    match severity {
        ThreatSeverity::Critical => "#a40e26",
        ThreatSeverity::High => "#cf222e",
        ThreatSeverity::Medium => "#bc4c00",
        ThreatSeverity::Low => "#9a6700",
        ThreatSeverity::Info => EDGE,
    }
}

/// What a node shows, and its size.
struct NodeText {
    name: Vec<String>,
    detail: Vec<String>,
    badge: Option<(String, &'static str)>,
    size: Size,
}

fn node_text(node: &Node) -> NodeText {
    let name = wrap(&node.name, NAME_MAX_W, NAME_SIZE, true, 2);
    let detail: Vec<String> = if node.out_of_scope {
        vec!["out of scope".to_owned()]
    } else if node.detail.is_empty() {
        Vec::new()
    } else {
        wrap(&node.detail, NAME_MAX_W, DETAIL_SIZE, false, 2)
    };
    let badge = node.risk.highest().map(|s| {
        (
            format!("{} {}", node.risk.highest_count(), s.as_str()),
            severity_color(s),
        )
    });
    let mut w = name
        .iter()
        .map(|l| text_width(l, NAME_SIZE, true))
        .chain(detail.iter().map(|l| text_width(l, DETAIL_SIZE, false)))
        .fold(0.0, f64::max)
        + 2.0 * NODE_PAD_X;
    if let Some((text, _)) = &badge {
        w = w.max(badge_width(text) + 28.0);
    }
    let lines = name.len() + detail.len();
    let mut h = lines as f64 * LINE + 2.0 * NODE_PAD_Y;
    if node.shape == Shape::Store {
        h += 2.0 * CYLINDER_RY;
    }
    if node.shape == Shape::Collapsed {
        h += 6.0;
    }
    NodeText {
        name,
        detail,
        badge,
        size: Size {
            w: w.max(NODE_MIN_W).ceil(),
            h: h.ceil(),
        },
    }
}

fn badge_width(text: &str) -> f64 {
    text_width(text, 9.5, true) + 12.0
}

/// The lines of an edge's label: protocol(s), data sent, data returned.
fn edge_lines(edge: &Edge) -> Vec<(String, bool)> {
    let mut lines = Vec::new();
    let title = edge.title();
    if !title.is_empty() {
        lines.push((truncate(&title, LABEL_MAX_W, LABEL_SIZE, true), true));
    }
    if !edge.data.is_empty() {
        lines.push((fit_list("", &edge.data, LABEL_MAX_W), false));
    }
    if !edge.returns.is_empty() && edge.flows.len() == 1 {
        lines.push((fit_list("returns ", &edge.returns, LABEL_MAX_W), false));
    }
    lines
}

fn label_size(lines: &[(String, bool)]) -> Option<Size> {
    if lines.is_empty() {
        return None;
    }
    let w = lines
        .iter()
        .map(|(l, bold)| text_width(l, LABEL_SIZE, *bold))
        .fold(0.0, f64::max);
    Some(Size {
        w: (w + 10.0).ceil(),
        h: (lines.len() as f64 * 13.0 + 6.0).ceil(),
    })
}

fn cluster_label(name: &str, detail: &str) -> (String, String, Size) {
    let name = truncate(name, 260.0, NAME_SIZE, true);
    let detail = truncate(detail, 200.0, DETAIL_SIZE, false);
    let w = text_width(&name, NAME_SIZE, true) + 8.0 + text_width(&detail, DETAIL_SIZE, false);
    (
        name,
        detail,
        Size {
            w: w.ceil(),
            h: 14.0,
        },
    )
}

/// The smallest text a reader can still make out, in CSS pixels. The HTML report shrinks the
/// diagram to the page's width no further than this for the edge labels (the smallest text that
/// matters), and scrolls beyond it.
pub(super) const LEGIBLE_TEXT: f64 = 9.0;

pub(super) fn render(view: &View) -> String {
    render_sized(view).0
}

/// Flows the layout draws at most. Each flow is routed through a dummy node in every layer it
/// spans, and a dense graph is layered deep: a complete graph of `n` components has `n^2 / 2`
/// flows over `n` layers, `n^3 / 6` dummies (15.8 s and 336 MB at 100 components, more than
/// 20 s and 3.4 GB at 300). Such a drawing is unreadable anyway; above this, and more than
/// `DENSE_PER_BOX` flows per box on average, the components are drawn without their flows, and
/// the subtitle says so. A large sparse model (a long chain) keeps its flows.
pub(super) const MAX_DRAWN_FLOWS: usize = 300;
const DENSE_PER_BOX: usize = 4;

/// The SVG document, and the narrowest it may be shown at with its labels legible.
pub(super) fn render_sized(view: &View) -> (String, f64) {
    if view.edges.len() > MAX_DRAWN_FLOWS && view.edges.len() > DENSE_PER_BOX * view.nodes.len() {
        let mut sparse = view.clone();
        sparse.edges.clear();
        sparse.subtitle.push_str(&format!(
            ". Too dense to draw: {} connections between {} boxes, over {MAX_DRAWN_FLOWS} and \
             {DENSE_PER_BOX} a box; \
             the flows are not drawn (draw one boundary, or see the report's flows)",
            view.edges.len(),
            view.nodes.len()
        ));
        return render_laid_out(&sparse);
    }
    render_laid_out(view)
}

fn render_laid_out(view: &View) -> (String, f64) {
    let texts: Vec<NodeText> = view.nodes.iter().map(node_text).collect();
    let labels: Vec<Vec<(String, bool)>> = view.edges.iter().map(edge_lines).collect();
    let cluster_labels: Vec<(String, String, Size)> = view
        .clusters
        .iter()
        .map(|c| cluster_label(&c.name, &c.detail))
        .collect();
    let graph = Graph {
        nodes: view
            .nodes
            .iter()
            .zip(&texts)
            .map(|(n, t)| layout::Node {
                size: t.size,
                cluster: n.cluster,
            })
            .collect(),
        clusters: view
            .clusters
            .iter()
            .zip(&cluster_labels)
            .map(|(c, l)| layout::Cluster {
                parent: c.parent,
                label: l.2,
            })
            .collect(),
        edges: view
            .edges
            .iter()
            .zip(&labels)
            .map(|(e, l)| layout::Edge {
                source: e.source,
                target: e.target,
                label: label_size(l),
            })
            .collect(),
    };
    let layout = layout::layout(&graph);
    let (svg, width) = draw(view, &layout, &texts, &labels, &cluster_labels);
    (svg, (width * LEGIBLE_TEXT / LABEL_SIZE).ceil())
}

fn draw(
    view: &View,
    layout: &Layout,
    texts: &[NodeText],
    labels: &[Vec<(String, bool)>],
    cluster_labels: &[(String, String, Size)],
) -> (String, f64) {
    let title = if view.title.is_empty() {
        "Data-flow diagram".to_owned()
    } else {
        view.title.clone()
    };
    let title_w = text_width(&title, 16.0, true).max(text_width(&view.subtitle, 11.0, false));
    let legend_w = 560.0;
    let width = layout.width.max(title_w + 32.0).max(legend_w + 32.0).ceil();
    let height = (TITLE_H + layout.height + LEGEND_H).ceil();
    let mut out = String::with_capacity(4096 + view.nodes.len() * 600 + view.edges.len() * 500);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"{FONT}\" font-size=\"{NAME_SIZE}\" role=\"img\" aria-labelledby=\"tf-dfd-title\">",
        w = num(width),
        h = num(height),
    );
    let _ = writeln!(
        out,
        "<title id=\"tf-dfd-title\">Data-flow diagram of {}</title>",
        escape(&title)
    );
    out.push_str("<defs>\n");
    for (id, color) in markers() {
        let _ = writeln!(
            out,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" \
             orient=\"auto\"><path d=\"M0,1 L10,5 L0,9 z\" fill=\"{color}\"/></marker>"
        );
    }
    out.push_str("</defs>\n");
    let _ = writeln!(
        out,
        "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        num(width),
        num(height)
    );
    let _ = writeln!(
        out,
        "<text x=\"16.0\" y=\"24.0\" font-size=\"16\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<text x=\"16.0\" y=\"41.0\" font-size=\"11\" fill=\"{MUTED}\">{}</text>",
        escape(&view.subtitle)
    );

    let _ = writeln!(out, "<g transform=\"translate(0,{})\">", num(TITLE_H));
    // Boundaries, outermost first so that inner ones are drawn over them.
    out.push_str("<g>\n");
    let mut clusters: Vec<usize> = (0..view.clusters.len()).collect();
    clusters.sort_by_key(|&c| depth(view, c));
    for c in clusters {
        let Some(rect) = layout.clusters[c] else {
            continue;
        };
        draw_cluster(&mut out, view, c, &rect, &cluster_labels[c]);
    }
    out.push_str("</g>\n<g fill=\"none\">\n");
    for (e, route) in layout.edges.iter().enumerate() {
        draw_edge(&mut out, view, e, route, layout);
    }
    out.push_str("</g>\n<g>\n");
    for (e, route) in layout.edges.iter().enumerate() {
        if let Some(rect) = route.label {
            draw_label(&mut out, &view.edges[e], &rect, &labels[e], view.links);
        }
    }
    out.push_str("</g>\n<g>\n");
    for (n, rect) in layout.nodes.iter().enumerate() {
        draw_node(&mut out, &view.nodes[n], rect, &texts[n], view.links);
    }
    out.push_str("</g>\n</g>\n");
    draw_legend(&mut out, view, TITLE_H + layout.height);
    out.push_str("</svg>\n");
    (out, width)
}

fn depth(view: &View, mut c: usize) -> usize {
    let mut d = 0;
    while let Some(p) = view.clusters[c].parent {
        d += 1;
        c = p;
        if d > view.clusters.len() {
            break;
        }
    }
    d
}

fn markers() -> [(&'static str, &'static str); 6] {
    [
        ("tf-dfd-arrow", EDGE),
        ("tf-dfd-arrow-oos", GREY_STROKE),
        (
            "tf-dfd-arrow-critical",
            severity_color(ThreatSeverity::Critical),
        ),
        ("tf-dfd-arrow-high", severity_color(ThreatSeverity::High)),
        (
            "tf-dfd-arrow-medium",
            severity_color(ThreatSeverity::Medium),
        ),
        ("tf-dfd-arrow-low", severity_color(ThreatSeverity::Low)),
    ]
}

fn tooltip(kind: &str, name: &str, model_id: &str, extra: &str, risk: &Risk) -> String {
    let mut text = format!("{kind} {name}");
    if name != model_id {
        let _ = write!(text, " ({model_id})");
    }
    if !extra.is_empty() {
        let _ = write!(text, ", {extra}");
    }
    let _ = write!(text, ": {}", risk.summary());
    escape(&text)
}

/// The attribute that names an element's model id, when links are asked for.
fn link(links: bool, kind: &str, model_id: &str) -> String {
    if links {
        format!(" data-{kind}=\"{}\"", escape(model_id))
    } else {
        String::new()
    }
}

fn draw_cluster(
    out: &mut String,
    view: &View,
    c: usize,
    rect: &Rect,
    label: &(String, String, Size),
) {
    let cluster = &view.clusters[c];
    let _ = writeln!(
        out,
        "<g{}><title>{}</title>",
        link(view.links, "boundary", &cluster.model_id),
        tooltip(
            "Trust boundary",
            &cluster.name,
            &cluster.model_id,
            &cluster.detail,
            &cluster.risk
        )
    );
    let _ = writeln!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"{BOUNDARY}\" fill-opacity=\"0.04\" \
         stroke=\"{BOUNDARY}\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>",
        num(rect.x),
        num(rect.y),
        num(rect.w),
        num(rect.h)
    );
    // The label, cut to the rectangle's width.
    let room = rect.w - 2.0 * layout::CLUSTER_HEADER_PAD;
    let name = truncate(&label.0, room, NAME_SIZE, true);
    let name_w = text_width(&name, NAME_SIZE, true);
    let baseline = rect.y + layout::CLUSTER_HEADER_PAD + 11.0;
    let x = rect.x + layout::CLUSTER_HEADER_PAD;
    // One text element: the detail follows the name wherever the font ends it.
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-weight=\"bold\" fill=\"{BOUNDARY_TEXT}\">{}",
        num(x),
        num(baseline),
        escape(&name)
    );
    let detail_room = room - name_w - 8.0;
    if detail_room > 30.0 {
        let detail = truncate(&label.1, detail_room, DETAIL_SIZE, false);
        let _ = write!(
            out,
            "<tspan dx=\"8\" font-weight=\"normal\" font-size=\"{DETAIL_SIZE}\" fill=\"{MUTED}\">{}</tspan>",
            escape(&detail)
        );
    }
    out.push_str("</text>");
    if let Some(severity) = cluster.risk.highest() {
        let text = format!("{} {}", cluster.risk.highest_count(), severity.as_str());
        let bw = badge_width(&text);
        badge(
            out,
            rect.right() - bw - 8.0,
            rect.y + 5.0,
            &text,
            severity_color(severity),
        );
    }
    out.push_str("\n</g>\n");
}

fn badge(out: &mut String, x: f64, y: f64, text: &str, color: &str) {
    let w = badge_width(text);
    let _ = write!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"15.0\" rx=\"7.5\" fill=\"{color}\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"9.5\" font-weight=\"bold\" fill=\"#ffffff\" text-anchor=\"middle\">{}</text>",
        num(x),
        num(y),
        num(w),
        num(x + w / 2.0),
        num(y + 11.0),
        escape(text)
    );
}

fn edge_color(edge: &Edge) -> (&'static str, &'static str, &'static str) {
    if edge.out_of_scope {
        return (GREY_STROKE, "tf-dfd-arrow-oos", "1.2");
    }
    match edge.risk.highest() {
        Some(ThreatSeverity::Critical) => (
            severity_color(ThreatSeverity::Critical),
            "tf-dfd-arrow-critical",
            "2.0",
        ),
        Some(ThreatSeverity::High) => (
            severity_color(ThreatSeverity::High),
            "tf-dfd-arrow-high",
            "1.8",
        ),
        Some(ThreatSeverity::Medium) => (
            severity_color(ThreatSeverity::Medium),
            "tf-dfd-arrow-medium",
            "1.4",
        ),
        Some(ThreatSeverity::Low) => (
            severity_color(ThreatSeverity::Low),
            "tf-dfd-arrow-low",
            "1.4",
        ),
        _ => (EDGE, "tf-dfd-arrow", "1.4"),
    }
}

fn draw_edge(out: &mut String, view: &View, e: usize, route: &Route, layout: &Layout) {
    let edge = &view.edges[e];
    let (color, marker, width) = edge_color(edge);
    let d = if route.self_loop {
        let Some(rect) = layout.nodes.get(edge.source) else {
            return;
        };
        let (sx, sy) = (rect.right() - 26.0, rect.y);
        let (tx, ty) = (rect.right(), rect.y + 10.0);
        format!(
            "M{},{} C{},{} {},{} {},{}",
            num(sx),
            num(sy),
            num(sx),
            num(sy - 22.0),
            num(tx + 24.0),
            num(ty),
            num(tx),
            num(ty)
        )
    } else if route.runs.is_empty() {
        return;
    } else {
        // Drawn from the source: a reversed route is walked right to left.
        let mut points: Vec<(f64, f64, f64)> =
            route.runs.iter().map(|r| (r.x0, r.x1, r.y)).collect();
        if route.reversed {
            points.reverse();
            for p in &mut points {
                *p = (p.1, p.0, p.2);
            }
        }
        let mut d = format!(
            "M{},{} L{},{}",
            num(points[0].0),
            num(points[0].2),
            num(points[0].1),
            num(points[0].2)
        );
        for pair in points.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let mid = (from.1 + to.0) / 2.0;
            let _ = write!(
                d,
                " C{},{} {},{} {},{}",
                num(mid),
                num(from.2),
                num(mid),
                num(to.2),
                num(to.0),
                num(to.2)
            );
            if (to.1 - to.0).abs() > 0.05 {
                let _ = write!(d, " L{},{}", num(to.1), num(to.2));
            }
        }
        d
    };
    let dash = if edge.out_of_scope {
        " stroke-dasharray=\"4 3\""
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<path{} d=\"{d}\" stroke=\"{color}\" stroke-width=\"{width}\"{dash} marker-end=\"url(#{marker})\"><title>{}</title></path>",
        flow_link(view.links, edge),
        edge_tooltip(view, edge)
    );
}

fn edge_tooltip(view: &View, edge: &Edge) -> String {
    let (s, t) = (&view.nodes[edge.source], &view.nodes[edge.target]);
    let mut text = format!("{} -> {}", s.name, t.name);
    if edge.flows.len() > 1 {
        let _ = write!(text, " ({} flows)", edge.flows.len());
    }
    if !edge.protocols.is_empty() {
        let _ = write!(text, ", {}", edge.protocols.join(", "));
    }
    if !edge.data.is_empty() {
        let _ = write!(text, ", data: {}", edge.data.join(", "));
    }
    if !edge.returns.is_empty() {
        let _ = write!(text, ", returns: {}", edge.returns.join(", "));
    }
    if edge.out_of_scope {
        text.push_str(", out of scope");
    }
    let _ = write!(text, "; {}", edge.risk.summary());
    escape(&text)
}

/// The attribute that names the flows an edge draws, when links are asked for: `data-flow` for
/// one, `data-flows` (the ids separated by spaces, which no id holds) for a merged edge, whose
/// page's script offers the choice.
fn flow_link(links: bool, edge: &Edge) -> String {
    match edge.flows.as_slice() {
        [flow] => link(links, "flow", flow),
        [] => String::new(),
        flows => link(links, "flows", &flows.join(" ")),
    }
}

fn draw_label(out: &mut String, edge: &Edge, rect: &Rect, lines: &[(String, bool)], links: bool) {
    let color = if edge.out_of_scope { GREY_TEXT } else { INK };
    let link = flow_link(links, edge);
    let _ = write!(
        out,
        "<g{link}><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.94\" stroke=\"#d0d7de\" stroke-width=\"0.8\"/>",
        num(rect.x),
        num(rect.y),
        num(rect.w),
        num(rect.h)
    );
    for (i, (line, bold)) in lines.iter().enumerate() {
        let weight = if *bold { " font-weight=\"bold\"" } else { "" };
        let fill = if *bold { color } else { MUTED };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{LABEL_SIZE}\" text-anchor=\"middle\" fill=\"{fill}\"{weight}>{}</text>",
            num(rect.cx()),
            num(rect.y + 13.0 + i as f64 * 13.0),
            escape(line)
        );
    }
    out.push_str("</g>\n");
}

fn draw_node(out: &mut String, node: &Node, rect: &Rect, text: &NodeText, links: bool) {
    let kind = match node.shape {
        Shape::Actor => "External entity",
        Shape::Process => "Process",
        Shape::Store => "Data store",
        Shape::Collapsed => "Boundary",
    };
    let opacity = if node.context {
        " opacity=\"0.85\""
    } else {
        ""
    };
    let link = match node.shape {
        // Marked as a box, for a page that opens it where it is.
        Shape::Collapsed if links => {
            link(links, "boundary", &node.model_id) + " data-collapsed=\"true\""
        }
        Shape::Collapsed => String::new(),
        _ => link(links, "component", &node.model_id),
    };
    let _ = writeln!(
        out,
        "<g{opacity}{link}><title>{}</title>",
        tooltip(kind, &node.name, &node.model_id, &node.detail, &node.risk)
    );
    let severity = node.risk.highest();
    let (fill, mut stroke, mut stroke_w, dash) = match node.shape {
        _ if node.out_of_scope => (GREY_FILL, GREY_STROKE, "1.2", " stroke-dasharray=\"4 3\""),
        Shape::Actor => ("#eef1f5", MUTED, "1.2", ""),
        Shape::Process => ("#ffffff", MUTED, "1.2", ""),
        Shape::Store => ("#fffaf0", MUTED, "1.2", ""),
        Shape::Collapsed => ("#f6f1ff", BOUNDARY, "1.2", " stroke-dasharray=\"6 4\""),
    };
    if let Some(s) = severity {
        stroke = severity_color(s);
        stroke_w = "2.0";
    }
    let (x, y, w, h) = (num(rect.x), num(rect.y), num(rect.w), num(rect.h));
    let paint = format!("fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{stroke_w}\"{dash}");
    match node.shape {
        Shape::Actor => {
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" {paint}/>"
            );
        }
        Shape::Process => {
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"12\" {paint}/>"
            );
        }
        Shape::Collapsed => {
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"4\" {paint}/>"
            );
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"none\" stroke=\"{BOUNDARY}\" stroke-width=\"0.8\" stroke-dasharray=\"6 4\"/>",
                num(rect.x + 3.0),
                num(rect.y + 3.0),
                num(rect.w - 6.0),
                num(rect.h - 6.0)
            );
        }
        Shape::Store => {
            let (left, right, top, bottom) = (rect.x, rect.right(), rect.y, rect.bottom());
            let (rx, ry) = (rect.w / 2.0, CYLINDER_RY);
            let _ = write!(
                out,
                "<path d=\"M{l},{t1} A{rx},{ry} 0 0 1 {r},{t1} V{b1} A{rx},{ry} 0 0 1 {l},{b1} Z\" {paint}/>\
                 <path d=\"M{l},{t1} A{rx},{ry} 0 0 0 {r},{t1}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{stroke_w}\"{dash}/>",
                l = num(left),
                r = num(right),
                t1 = num(top + ry),
                b1 = num(bottom - ry),
                rx = num(rx),
                ry = num(ry),
            );
        }
    }
    // Text, centered.
    let name_color = if node.out_of_scope { GREY_TEXT } else { INK };
    let lines = text.name.len() + text.detail.len();
    let shift = if node.shape == Shape::Store {
        CYLINDER_RY
    } else {
        0.0
    };
    let first = rect.cy() + shift - (lines as f64 * LINE) / 2.0 + 10.5;
    for (i, line) in text.name.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"{name_color}\">{}</text>",
            num(rect.cx()),
            num(first + i as f64 * LINE),
            escape(line)
        );
    }
    for (i, line) in text.detail.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{DETAIL_SIZE}\" fill=\"{}\"{}>{}</text>",
            num(rect.cx()),
            num(first + (text.name.len() + i) as f64 * LINE),
            if node.out_of_scope { GREY_TEXT } else { MUTED },
            if node.out_of_scope {
                " font-style=\"italic\""
            } else {
                ""
            },
            escape(line)
        );
    }
    if let Some((label, color)) = &text.badge {
        let bw = badge_width(label);
        badge(out, rect.right() - bw - 8.0, rect.y - 7.5, label, color);
    }
    out.push_str("\n</g>\n");
}

fn draw_legend(out: &mut String, view: &View, top: f64) {
    let y = top + 8.0;
    let _ = writeln!(out, "<g font-size=\"10.5\" fill=\"{MUTED}\">");
    let mut x = 16.0;
    let item = |out: &mut String, shape: &str, label: &str, x: &mut f64| {
        let _ = write!(
            out,
            "{shape}<text x=\"{}\" y=\"{}\">{label}</text>",
            num(*x + 34.0),
            num(y + 12.0)
        );
        *x += 34.0 + text_width(label, 10.5, false) + 18.0;
    };
    let (w, h) = (26.0, 16.0);
    let rect = |x: f64, extra: &str| {
        format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{w}\" height=\"{h}\" {extra}/>",
            num(x),
            num(y)
        )
    };
    let shape = rect(x, &format!("fill=\"#eef1f5\" stroke=\"{MUTED}\""));
    item(out, &shape, "External entity", &mut x);
    let shape = rect(x, &format!("rx=\"6\" fill=\"#ffffff\" stroke=\"{MUTED}\""));
    item(out, &shape, "Process", &mut x);
    let shape = format!(
        "<path d=\"M{l},{t} A13,3 0 0 1 {r},{t} V{b} A13,3 0 0 1 {l},{b} Z M{l},{t} A13,3 0 0 0 {r},{t}\" fill=\"#fffaf0\" stroke=\"{MUTED}\"/>",
        l = num(x),
        r = num(x + w),
        t = num(y + 3.0),
        b = num(y + h - 3.0)
    );
    item(out, &shape, "Data store", &mut x);
    let shape = rect(
        x,
        &format!("fill=\"{GREY_FILL}\" stroke=\"{GREY_STROKE}\" stroke-dasharray=\"4 3\""),
    );
    item(out, &shape, "Out of scope", &mut x);
    let shape = rect(
        x,
        &format!(
            "rx=\"3\" fill=\"{BOUNDARY}\" fill-opacity=\"0.04\" stroke=\"{BOUNDARY}\" stroke-dasharray=\"6 4\""
        ),
    );
    item(out, &shape, "Trust boundary", &mut x);
    if view.collapsed || view.nodes.iter().any(|n| n.shape == Shape::Collapsed) {
        let shape = rect(
            x,
            &format!("rx=\"3\" fill=\"#f6f1ff\" stroke=\"{BOUNDARY}\" stroke-dasharray=\"6 4\""),
        );
        item(out, &shape, "Collapsed boundary", &mut x);
    }
    // Second row: flows and severities.
    let y2 = y + 28.0;
    let _ = write!(
        out,
        "<path d=\"M16.0,{} L40.0,{}\" stroke=\"{EDGE}\" stroke-width=\"1.4\" marker-end=\"url(#tf-dfd-arrow)\"/>\
         <text x=\"50.0\" y=\"{}\">Data flow: protocol, data sent, data returned</text>",
        num(y2 + 8.0),
        num(y2 + 8.0),
        num(y2 + 12.0)
    );
    let mut x =
        50.0 + text_width("Data flow: protocol, data sent, data returned", 10.5, false) + 24.0;
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\">Highest open threat:</text>",
        num(x),
        num(y2 + 12.0)
    );
    x += text_width("Highest open threat:", 10.5, false) + 8.0;
    for s in [
        ThreatSeverity::Critical,
        ThreatSeverity::High,
        ThreatSeverity::Medium,
        ThreatSeverity::Low,
    ] {
        badge(out, x, y2 + 1.0, s.as_str(), severity_color(s));
        x += badge_width(s.as_str()) + 6.0;
    }
    out.push_str("\n</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_one_decimal() {
        assert_eq!(num(1.0 / 3.0), "0.3");
        assert_eq!(num(-0.01), "0.0");
        assert_eq!(num(12.25), "12.3");
    }

    #[test]
    fn long_text_is_wrapped_then_cut() {
        let lines = wrap(
            "Payment service provider (card acquiring) with a very long name indeed",
            150.0,
            12.0,
            true,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        for line in &lines {
            assert!(text_width(line, 12.0, true) <= 150.0, "{line}");
        }
        assert_eq!(wrap("Shop", 150.0, 12.0, true, 2), ["Shop"]);
    }

    #[test]
    fn names_are_cut_between_words_never_inside_one() {
        // A word that does not fit is kept whole rather than cut.
        let id = "customer-credentials-store";
        assert_eq!(truncate(id, 60.0, LABEL_SIZE, false), id);
        assert_eq!(fit_list("", &[id.to_owned()], 60.0), id);
        assert_eq!(
            fit_list("", &[id.to_owned(), "card-data".to_owned()], 60.0),
            format!("{id}, +1")
        );
        let cut = truncate("Payment service provider for cards", 110.0, NAME_SIZE, true);
        assert!(cut.ends_with('…'), "{cut}");
        let shown = cut.trim_end_matches('…');
        assert!(
            "Payment service provider for cards".starts_with(shown)
                && "Payment service provider for cards"[shown.len()..].starts_with(' '),
            "cut inside a word: {cut}"
        );
        assert!(text_width(&cut, NAME_SIZE, true) <= 110.0, "{cut}");
        // A list of protocols is cut after a whole one, without its comma.
        let title = truncate(
            "https, postgres-tls, grpc-tls, kafka-tls",
            100.0,
            LABEL_SIZE,
            true,
        );
        assert!(!title.contains(",…") && title.ends_with('…'), "{title}");
    }

    #[test]
    fn lists_end_with_a_count_of_what_did_not_fit() {
        let ids: Vec<String> = [
            "customer-profile",
            "customer-credentials",
            "session-token",
            "card-data",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let text = fit_list("", &ids, 160.0);
        assert!(text.starts_with("customer-profile"), "{text}");
        assert!(text.ends_with("+3") || text.ends_with("+2"), "{text}");
        assert!(text_width(&text, LABEL_SIZE, false) <= 160.0);
        assert_eq!(fit_list("", &ids[..1], 160.0), "customer-profile");
    }
}
