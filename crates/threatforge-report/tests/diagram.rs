//! Data-flow diagrams: snapshots of the three formats for a small model, escaping of hostile
//! model text in each, byte-identical output, collapsing of large models, and drawing one
//! boundary. The layout's geometric invariants are unit-tested in `src/diagram/layout.rs`.

mod support;

use std::fmt::Write as _;
use std::path::Path;

use support::{from_path, from_text};
use threatforge_analysis::Analysis;
use threatforge_model::Model;
use threatforge_report::{COLLAPSE_ABOVE, DiagramFormat, DiagramOptions, render_diagram};

fn all(model: &Model, analysis: &Analysis, options: &DiagramOptions) -> [String; 3] {
    [
        render_diagram(DiagramFormat::Svg, model, analysis, options),
        render_diagram(DiagramFormat::Dot, model, analysis, options),
        render_diagram(DiagramFormat::Mermaid, model, analysis, options),
    ]
}

const CLINIC: &str = "system: { name: Clinic, criticality: high }
data:
  records: { name: Patient records, classification: secret, integrity: high, categories: [health] }
  session: { classification: confidential, categories: [credential] }
components:
  patient: { technology: browser, exposure: internet }
  portal: { name: Patient portal, technology: web-application, processes: [records], controls: [input-validation] }
  api: { name: Records API, technology: api-service, processes: [records] }
  db: { technology: postgresql, stores: [records], controls: [encryption-at-rest] }
  mailer: { name: Mail provider, technology: saas, exposure: internet, out_of_scope: assessed by the vendor process }
flows:
  - patient -> portal: { protocol: https, authentication: session, data: [records, session], returns: [records] }
  - portal -> api: { protocol: grpc-tls, authentication: token, data: [records] }
  - api -> db: { protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }
  - api -> mailer: { protocol: https, authentication: api-key, out_of_scope: vendor }
boundaries:
  hospital: { name: Hospital network, kind: network, trust: high, contains: [portal, backend] }
  backend: { name: Backend subnet, kind: network, trust: high, contains: [api, db] }
";

#[test]
fn small_model_snapshots() {
    let (model, analysis) = from_text(CLINIC);
    let [svg, dot, mermaid] = all(&model, &analysis, &DiagramOptions::default());
    insta::assert_snapshot!("clinic_dot", dot);
    insta::assert_snapshot!("clinic_mermaid", mermaid);
    insta::assert_snapshot!("clinic_svg", svg);
}

#[test]
fn svg_is_a_complete_document() {
    let (model, analysis) = from_text(CLINIC);
    let svg = render_diagram(
        DiagramFormat::Svg,
        &model,
        &analysis,
        &DiagramOptions::default(),
    );
    assert!(svg.starts_with("<?xml"));
    assert!(svg.contains("viewBox=\"0 0 "));
    assert!(svg.contains("font-family="));
    assert!(svg.contains("Trust boundary"), "legend");
    well_formed(&svg);
    for name in [
        "Patient portal",
        "Records API",
        "Hospital network",
        "Backend subnet",
        "grpc-tls",
    ] {
        assert!(svg.contains(name), "{name} missing");
    }
    // The out-of-scope component is greyed and says so.
    assert!(svg.contains("out of scope"));
}

#[test]
fn dot_and_mermaid_nest_boundaries() {
    let (model, analysis) = from_text(CLINIC);
    let dot = render_diagram(
        DiagramFormat::Dot,
        &model,
        &analysis,
        &DiagramOptions::default(),
    );
    let outer = dot.find("subgraph cluster_0 {").expect("hospital cluster");
    let inner = dot.find("subgraph cluster_1 {").expect("backend cluster");
    assert!(outer < inner);
    assert!(dot.contains("shape=cylinder"));
    let mermaid = render_diagram(
        DiagramFormat::Mermaid,
        &model,
        &analysis,
        &DiagramOptions::default(),
    );
    assert!(mermaid.starts_with("flowchart LR\n"));
    let outer = mermaid.find("subgraph b0[").expect("hospital subgraph");
    let inner = mermaid.find("subgraph b1[").expect("backend subgraph");
    assert!(outer < inner);
    assert_eq!(
        mermaid.matches("subgraph ").count(),
        mermaid.lines().filter(|l| l.trim() == "end").count()
    );
}

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

fn hostile_model() -> String {
    // Every text the diagram shows: names of the system, components, boundaries and data, and
    // a technology-less component whose name tries to close a DOT string and a Mermaid label.
    format!(
        "system: {{ name: '{HOSTILE}' }}
data:
  d1: {{ name: '{HOSTILE}', classification: secret }}
components:
  a: {{ name: '{HOSTILE}', technology: browser, exposure: internet }}
  b: {{ name: 'x\"] --> evil[\"y \\N & ''quoted''', technology: api-service, processes: [d1] }}
  c: {{ name: '{HOSTILE}', technology: postgresql, stores: [d1], out_of_scope: '{HOSTILE}' }}
flows:
  - a -> b: {{ protocol: https, data: [d1] }}
  - b -> c: {{ protocol: postgres-tls, authentication: credentials, data: [d1] }}
boundaries:
  zone: {{ name: '{HOSTILE}', contains: [b, c] }}
"
    )
}

#[test]
fn hostile_names_are_escaped_in_every_format() {
    let (model, analysis) = from_text(&hostile_model());
    for options in [
        DiagramOptions::default(),
        DiagramOptions {
            boundary: Some("zone".to_owned()),
            ..DiagramOptions::default()
        },
    ] {
        let [svg, dot, mermaid] = all(&model, &analysis, &options);
        // SVG: markup-significant characters are entities.
        assert!(!svg.contains("<img"), "{svg}");
        assert!(svg.contains("&lt;img src&#61;x onerror&#61;alert(1)&gt;"));
        assert!(!svg.contains(" src="));
        assert!(
            svg.contains("x&quot;] --&gt; evil[&quot;y \\N &amp; &#39;quoted&#39;"),
            "tooltip"
        );
        well_formed(&svg);
        // DOT: no string is closed early, no escape sequence started, no markup.
        assert!(!dot.contains("<img"), "{dot}");
        assert!(
            dot.contains(r#"x\"] --&gt; evil[\"y \\N &amp; 'quoted'"#),
            "{dot}"
        );
        for line in dot.lines() {
            assert_eq!(unescaped_quotes(line) % 2, 0, "unbalanced quotes: {line}");
        }
        // Mermaid: labels keep to their quotes; ids are generated.
        assert!(!mermaid.contains("<img"), "{mermaid}");
        assert!(!mermaid.contains("evil[\""), "{mermaid}");
        assert!(mermaid.contains("#lt;img src=x onerror=alert(1)#gt;"));
        for line in mermaid.lines() {
            assert_eq!(
                line.matches('"').count() % 2,
                0,
                "unbalanced quotes: {line}"
            );
        }
    }
}

fn unescaped_quotes(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

/// Checks that tags nest (every `<` in the document starts a tag, since text is escaped).
fn well_formed(svg: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("tag closed") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().expect("tag name");
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[test]
fn output_is_byte_identical_across_loads() {
    for example in ["online-shop", "k8s-platform", "cicd-pipeline"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(example)
            .join("threatforge.yaml");
        let render = || {
            let (model, analysis) = from_path(&path);
            all(&model, &analysis, &DiagramOptions::default())
        };
        let (first, second) = (render(), render());
        assert_eq!(first, second, "{example}");
        well_formed(&first[0]);
        // No float printed with varying precision: every coordinate has exactly one decimal.
        let svg = &first[0];
        for attribute in ["x", "y", "width", "height", "d", "viewBox"] {
            let needle = format!(" {attribute}=\"");
            for (at, _) in svg.match_indices(&needle) {
                let start = at + needle.len();
                let end = start + svg[start..].find('"').expect("attribute closed");
                let value = &svg[start..end];
                for number in value
                    .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .filter(|s| s.contains('.'))
                {
                    let decimals = number.split('.').nth(1).unwrap_or("");
                    assert_eq!(decimals.len(), 1, "{example}: {attribute}=\"{value}\"");
                }
            }
        }
    }
}

/// A model of `n` components: zones of 20 inside regions of 4 zones, a few actors outside, and
/// flows along a chain with some cross links.
fn large_model(n: usize) -> String {
    let mut y = String::from(
        "system: { name: Large }\ndata:\n  d: { classification: confidential }\ncomponents:\n",
    );
    for i in 0..n {
        let technology = match i % 10 {
            0 => "browser",
            3 | 7 => "postgresql",
            _ => "api-service",
        };
        let _ = writeln!(y, "  c{i}: {{ technology: {technology} }}");
    }
    y.push_str("flows:\n");
    for i in 1..n {
        let _ = writeln!(
            y,
            "  - c{} -> c{i}: {{ protocol: https, data: [d] }}",
            i - 1
        );
        if i % 7 == 0 && i > 30 {
            let _ = writeln!(
                y,
                "  - c{} -> c{i}: {{ protocol: grpc-tls, data: [d] }}",
                i - 30
            );
        }
    }
    y.push_str("boundaries:\n");
    let inside: Vec<usize> = (0..n).filter(|i| i % 10 != 0).collect();
    let zones: Vec<&[usize]> = inside.chunks(20).collect();
    for (z, members) in zones.iter().enumerate() {
        let names: Vec<String> = members.iter().map(|i| format!("c{i}")).collect();
        let _ = writeln!(
            y,
            "  zone{z}: {{ name: Zone {z}, contains: [{}] }}",
            names.join(", ")
        );
    }
    for r in 0..zones.len().div_ceil(4) {
        let names: Vec<String> = (r * 4..((r + 1) * 4).min(zones.len()))
            .map(|z| format!("zone{z}"))
            .collect();
        let _ = writeln!(
            y,
            "  region{r}: {{ name: Region {r}, kind: cloud-account, contains: [{}] }}",
            names.join(", ")
        );
    }
    y
}

#[test]
fn large_models_collapse_boundaries() {
    let (model, analysis) = from_text(&large_model(200));
    let [svg, dot, mermaid] = all(&model, &analysis, &DiagramOptions::default());
    assert!(svg.contains("boundaries are collapsed"), "subtitle says so");
    assert!(svg.contains("Collapsed boundary"), "legend shows the box");
    well_formed(&svg);
    // Zones are boxes (with their counts) inside the regions' clusters.
    assert!(
        mermaid.contains("[[\"Zone 0<br/>20 components, "),
        "{mermaid}"
    );
    assert!(mermaid.contains("subgraph b"), "regions stay clusters");
    let nodes = mermaid
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            (t.starts_with('c') || t.starts_with('b'))
                && (t.contains("[\"") || t.contains("(\"") || t.contains("[["))
                && !t.starts_with("class")
        })
        .count();
    assert!(nodes <= COLLAPSE_ABOVE, "{nodes} nodes");
    assert!(nodes >= 10, "{nodes} nodes");
    assert!(dot.contains("peripheries=2"));
    // Flows between boxes are merged and counted.
    assert!(mermaid.contains(" flows: "), "{mermaid}");
    assert_eq!(
        dot,
        render_diagram(
            DiagramFormat::Dot,
            &model,
            &analysis,
            &DiagramOptions::default()
        )
    );
}

#[test]
fn one_boundary_is_drawn_with_its_neighbours() {
    let (model, analysis) = from_text(&large_model(200));
    let options = DiagramOptions {
        boundary: Some("zone1".to_owned()),
        ..DiagramOptions::default()
    };
    let mermaid = render_diagram(DiagramFormat::Mermaid, &model, &analysis, &options);
    // The zone itself, not collapsed, with all its 20 components.
    assert!(mermaid.contains("subgraph b1[\"Zone 1"), "{mermaid}");
    assert!(!mermaid.contains("[["), "nothing collapsed: {mermaid}");
    let zone: Vec<usize> = (0..200).filter(|i| i % 10 != 0).skip(20).take(20).collect();
    for i in &zone {
        assert!(mermaid.contains(&format!("  c{i}[")) || mermaid.contains(&format!("  c{i}(")));
    }
    // Its neighbours along the chain are drawn outside it.
    let before = zone[0] - 1;
    assert!(mermaid.contains(&format!("c{before}")), "{mermaid}");
    // Components elsewhere are not.
    assert!(!mermaid.contains("c150"), "{mermaid}");
    let svg = render_diagram(DiagramFormat::Svg, &model, &analysis, &options);
    well_formed(&svg);
}

#[test]
fn an_unknown_boundary_draws_a_note() {
    let (model, analysis) = from_text(CLINIC);
    let options = DiagramOptions {
        boundary: Some("nowhere".to_owned()),
        ..DiagramOptions::default()
    };
    let [svg, dot, mermaid] = all(&model, &analysis, &options);
    for text in [&svg, &dot, &mermaid] {
        assert!(text.contains("There is no boundary `nowhere`"), "{text}");
    }
    well_formed(&svg);
}

#[test]
fn empty_model() {
    let (model, analysis) = from_text("system: { name: Empty }\n");
    let [svg, dot, mermaid] = all(&model, &analysis, &DiagramOptions::default());
    well_formed(&svg);
    assert!(dot.starts_with("digraph threatforge {"));
    assert!(mermaid.starts_with("flowchart LR\n"));
}

#[test]
fn a_thousand_components_collapse_into_their_boundaries() {
    // Speed lives in the `pipeline` benchmark; this checks the shape of the result.
    let (model, analysis) = from_text(&large_model(1000));
    let svg = render_diagram(
        DiagramFormat::Svg,
        &model,
        &analysis,
        &DiagramOptions::default(),
    );
    well_formed(&svg);
    assert!(svg.contains("boundaries are collapsed"));
}

/// `n` components, each sending to every later one: the densest a data-flow graph gets.
fn complete_graph(n: usize) -> String {
    let mut y = String::from("system: { name: Dense }\ncomponents:\n");
    for i in 0..n {
        let _ = writeln!(y, "  c{i}: {{ technology: api-service }}");
    }
    y.push_str("flows:\n");
    for i in 0..n {
        for j in i + 1..n {
            let _ = writeln!(y, "  - c{i} -> c{j}: {{ protocol: https }}");
        }
    }
    y
}

#[test]
fn a_dense_graph_is_drawn_without_its_flows_and_says_so() {
    // 4,950 flows: laid out, 166,000 dummy nodes (15.8 s and 336 MB in a release build before).
    let (model, analysis) = from_text(&complete_graph(100));
    let svg = render_diagram(
        DiagramFormat::Svg,
        &model,
        &analysis,
        &DiagramOptions::default(),
    );
    well_formed(&svg);
    assert!(
        svg.contains(
            "Too dense to draw: 4950 connections between 100 boxes, over 300 and 4 a box; the \
             flows are not drawn"
        ),
        "{}",
        svg.lines().take(12).collect::<Vec<_>>().join("\n")
    );
    assert!(svg.contains(">c99<"), "every component is drawn");
    // Arrows left: the legend's only.
    let legend = svg.matches("marker-end").count();
    assert!(legend <= 2, "{legend} arrows");
    // Within the bound, every flow is drawn.
    let (model, analysis) = from_text(&complete_graph(24));
    let svg = render_diagram(
        DiagramFormat::Svg,
        &model,
        &analysis,
        &DiagramOptions::default(),
    );
    assert!(!svg.contains("Too dense"));
    assert_eq!(svg.matches("marker-end").count(), 24 * 23 / 2 + legend);
}

#[test]
fn element_links_mark_every_drawn_element_and_nothing_else_changes() {
    let (model, analysis) = from_text(CLINIC);
    let plain = render_diagram(
        DiagramFormat::Svg,
        &model,
        &analysis,
        &DiagramOptions::default(),
    );
    let options = DiagramOptions {
        element_links: true,
        ..DiagramOptions::default()
    };
    let linked = render_diagram(DiagramFormat::Svg, &model, &analysis, &options);
    assert!(!plain.contains("data-"), "{plain}");
    for id in ["patient", "portal", "api", "db", "mailer"] {
        let mark = format!(" data-component=\"{id}\">");
        assert!(linked.contains(&mark), "{id}");
    }
    for id in ["hospital", "backend"] {
        assert!(
            linked.contains(&format!("<g data-boundary=\"{id}\">")),
            "{id}"
        );
    }
    assert!(
        linked.contains("<g data-flow=\"portal-&gt;api\">"),
        "{linked}"
    );
    // The edge is a link to its flow too, beside its label.
    assert!(
        linked.contains("<path data-flow=\"portal-&gt;api\" d="),
        "{linked}"
    );
    // An edge that draws two flows names both, on its label and its line.
    let two = CLINIC.replace(
        "  - api -> db: {",
        "  - api -> db: { id: reads, protocol: postgres-tls }\n  - api -> db: { id: writes,",
    );
    let (model, analysis) = from_text(&two);
    let merged = render_diagram(DiagramFormat::Svg, &model, &analysis, &options);
    assert!(
        merged.contains("<g data-flows=\"reads writes\">"),
        "{merged}"
    );
    assert!(
        merged.contains("<path data-flows=\"reads writes\" d="),
        "{merged}"
    );
    // Without the attributes, the linked drawing is the plain one.
    let mut stripped = linked.clone();
    while let Some(start) = stripped.find(" data-") {
        let end = start + stripped[start..].find("\"").expect("value") + 1;
        let end = end + stripped[end..].find('"').expect("end") + 1;
        stripped.replace_range(start..end, "");
    }
    assert_eq!(stripped, plain);
}

#[test]
fn a_reader_collapses_and_opens_boundaries() {
    let linked = |collapse: &[&str], expand: &[&str]| DiagramOptions {
        element_links: true,
        collapse: collapse.iter().map(|s| (*s).to_owned()).collect(),
        expand: expand.iter().map(|s| (*s).to_owned()).collect(),
        ..DiagramOptions::default()
    };
    let (model, analysis) = from_text(CLINIC);
    // The backend collapsed: one box for api and db, inside the hospital still drawn open.
    let svg = render_diagram(
        DiagramFormat::Svg,
        &model,
        &analysis,
        &linked(&["backend"], &[]),
    );
    well_formed(&svg);
    assert!(svg.contains("data-boundary=\"backend\""), "{svg}");
    assert!(!svg.contains("data-component=\"api\""), "{svg}");
    assert!(!svg.contains("data-component=\"db\""), "{svg}");
    assert!(svg.contains("data-component=\"portal\""), "{svg}");
    assert!(svg.contains("<g data-boundary=\"hospital\">"), "{svg}");
    // The outer one collapsed holds everything in it, whatever else is asked.
    let svg = render_diagram(
        DiagramFormat::Svg,
        &model,
        &analysis,
        &linked(&["hospital", "backend"], &[]),
    );
    assert!(!svg.contains("data-component=\"portal\""), "{svg}");
    assert!(!svg.contains("<g data-boundary=\"backend\">"), "{svg}");
    // Unknown ids change nothing.
    assert_eq!(
        render_diagram(
            DiagramFormat::Svg,
            &model,
            &analysis,
            &linked(&["nowhere"], &["x"])
        ),
        render_diagram(DiagramFormat::Svg, &model, &analysis, &linked(&[], &[]))
    );
    // A large model's collapsed zone opened in place: its twenty components drawn, the other
    // zones still boxes.
    let (model, analysis) = from_text(&large_model(200));
    let closed = render_diagram(DiagramFormat::Svg, &model, &analysis, &linked(&[], &[]));
    assert!(!closed.contains("data-component=\"c1\""), "zone0 is a box");
    assert!(
        closed.contains("data-boundary=\"zone0\" data-collapsed=\"true\""),
        "the box says it is one"
    );
    let open = render_diagram(
        DiagramFormat::Svg,
        &model,
        &analysis,
        &linked(&[], &["zone0"]),
    );
    well_formed(&open);
    for c in ["c1", "c9", "c22"] {
        assert!(open.contains(&format!("data-component=\"{c}\"")), "{c}");
    }
    assert!(
        open.contains("<g data-boundary=\"zone0\">"),
        "zone0 is a cluster now"
    );
    assert!(
        !open.contains("data-component=\"c23\""),
        "zone1 stays a box"
    );
}
