//! The HTML report: self-contained (nothing fetched), deterministic, complete, and safe with a
//! hostile model (every model text escaped, in text and in attributes, and none in the script).
//! A real browser runs it in crates/threatforge-cli/tests/browser.rs.

mod support;

use std::path::{Path, PathBuf};

use support::{from_path, from_text};
use threatforge_analysis::Analysis;
use threatforge_model::Model;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .join("threatforge.yaml")
}

fn from_example(name: &str) -> (Model, Analysis) {
    from_path(&example(name))
}

const CLINIC: &str = "system: { name: Clinic, criticality: high, owners: [team-portal] }
data:
  records: { name: Patient records, classification: secret, integrity: high, categories: [health] }
components:
  patient: { technology: browser, exposure: internet }
  portal: { name: Patient portal, technology: web-application, processes: [records], controls: [input-validation] }
  db: { technology: postgresql, stores: [records], controls: [encryption-at-rest] }
flows:
  - patient -> portal: { protocol: https, data: [records] }
  - portal -> db: { protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }
boundaries:
  hospital: { name: Hospital network, kind: network, trust: high, contains: [portal, db] }
decisions:
  - { threat: \"cross-site-scripting:portal\", status: accepted, owner: team-portal, justification: templates escape by default, ticket: SEC-1, expires: 2027-03-31 }
";

/// The values of every `name="..."` attribute in the document.
fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!("{name}=\"");
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&needle) {
        let start = at + needle.len();
        let end = rest[start..].find('"').map_or(rest.len(), |e| start + e);
        values.push(&rest[start..end]);
        rest = &rest[end..];
    }
    values
}

fn is_reference(href: &str) -> bool {
    let numbered = |prefix: &str| {
        href.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(".html"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    // A rule's first reference is a link to read more: a web page the reader opens, never a
    // script or a file (the template escapes its slashes).
    let rule_reference = href.replace("&#x2f;", "/");
    numbered("https://capec.mitre.org/data/definitions/")
        || numbered("https://cwe.mitre.org/data/definitions/")
        || (rule_reference.starts_with("https://")
            && !rule_reference.contains(|c: char| c.is_whitespace() || c == '"' || c == '<'))
}

fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        "<link", "<iframe", "<object", "<embed", "<img", "<base", "@import",
    ] {
        assert!(
            !lower.contains(forbidden),
            "the report contains `{forbidden}`"
        );
    }
    // `url(#marker)` points into the document (SVG arrowheads); any other url() fetches.
    for (at, _) in lower.match_indices("url(") {
        let target = lower[at + 4..].trim_start_matches(['"', '\'', ' ']);
        assert!(
            target.starts_with('#'),
            "the report fetches {}",
            lower[at..].chars().take(60).collect::<String>()
        );
    }
    assert!(
        !lower.contains(" src="),
        "the report loads something by src"
    );
    assert!(
        !lower.contains("srcset="),
        "the report loads something by srcset"
    );
    assert_eq!(lower.matches("<script").count(), 1, "one inline script");
    assert!(lower.contains("<script>"), "the script is inline");
    for href in attribute_values(html, "href") {
        assert!(
            href.starts_with('#') || is_reference(href),
            "a link leaves the document: {href}"
        );
    }
    let csp = attribute_values(html, "content")
        .into_iter()
        .find(|c| c.starts_with("default-src"))
        .expect("a Content-Security-Policy");
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    for directive in [
        "style-src 'unsafe-inline'",
        "img-src data:",
        "script-src 'unsafe-inline' 'sha256-",
    ] {
        assert!(csp.contains(directive), "{csp} lacks {directive}");
    }
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\""),
        "the policy is a meta tag"
    );
    assert!(
        html.find("Content-Security-Policy") < html.find("<script"),
        "the policy comes before the script"
    );
}

#[test]
fn the_report_is_self_contained() {
    for name in ["online-shop", "k8s-platform", "cicd-pipeline"] {
        let (model, analysis) = from_example(name);
        let html = threatforge_report::render_html(&model, &analysis);
        assert_self_contained(&html);
        // The references are there, as links.
        assert!(
            attribute_values(&html, "href")
                .iter()
                .any(|h| is_reference(h)),
            "{name}: no CAPEC or CWE link"
        );
    }
    let (model, analysis) = from_text(CLINIC);
    assert_self_contained(&threatforge_report::render_html(&model, &analysis));
}

#[test]
fn the_report_is_byte_identical_across_runs() {
    for name in ["online-shop", "k8s-platform"] {
        let (model, analysis) = from_example(name);
        let first = threatforge_report::render_html(&model, &analysis);
        let second = threatforge_report::render_html(&model, &analysis);
        assert!(first == second, "{name}: two renders differ");
        let (model, analysis) = from_example(name);
        let third = threatforge_report::render_html(&model, &analysis);
        assert!(first == third, "{name}: a second load renders differently");
    }
}

#[test]
fn the_report_has_every_section() {
    let (model, analysis) = from_example("online-shop");
    let html = threatforge_report::render_html(&model, &analysis);
    for (id, heading) in [
        ("summary", "Summary"),
        ("diagram", "Data-flow diagram"),
        ("register", "Risk register"),
        ("threats", "Threats"),
        ("inventory", "Inventory"),
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\"")), "no {id}");
        assert!(
            html.contains(&format!("</span> {heading}</h2>")),
            "no {heading}"
        );
    }
    for part in [
        "Open threats by residual severity",
        "Threats by status",
        "Top open risks",
        "What drives the score",
        "<svg",
        "id=\"register-table\"",
        "data-filter=\"severity\"",
        "data-filter=\"status\"",
        "data-filter=\"stride\"",
        "data-filter=\"component\"",
        "<h3 id=\"inventory-components\">Components</h3>",
        "<h3 id=\"inventory-data\">Data assets</h3>",
        "<h3 id=\"inventory-flows\">Flows</h3>",
        "<h3 id=\"inventory-boundaries\">Trust boundaries</h3>",
        "@media print",
    ] {
        assert!(html.contains(part), "no `{part}`");
    }
    // One register row and one section per threat.
    assert_eq!(
        html.matches("<tr data-severity=").count(),
        analysis.threats.len()
    );
    assert_eq!(
        html.matches("<article class=\"threat").count(),
        analysis.threats.len()
    );
    for threat in &analysis.threats {
        assert!(
            html.contains(&format!(
                "<article class=\"threat sev-edge-{}\" id=\"t-{}\"",
                threat.severity(),
                escape(&threat.id.to_string())
            )),
            "no section for {}",
            threat.id
        );
    }
}

#[test]
fn a_threat_section_explains_scores_controls_references_and_the_decision() {
    let (model, analysis) = from_text(CLINIC);
    let html = threatforge_report::render_html(&model, &analysis);
    let start = html
        .find("id=\"t-cross-site-scripting:portal\"")
        .expect("the section");
    let end = start + html[start..].find("</article>").expect("its end");
    let section = &html[start..end];
    for part in [
        "Why it applies",
        "What set the inherent score",
        "Mitigation",
        "Decision",
        "status-accepted",
        "team-portal",
        "templates escape by default",
        "SEC-1",
        "2027-03-31",
        "https://cwe.mitre.org/data/definitions/79.html",
    ] {
        assert!(section.contains(part), "no `{part}` in {section}");
    }
}

/// HTML escaping as the report does it.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

const PAYLOAD: &str = "<img src=x onerror=alert(1)>";

fn hostile() -> String {
    let p = PAYLOAD;
    format!(
        "system: {{ name: \"Clinic {p}\", description: \"{p}\", criticality: high, owners: [\"{p}\"] }}
data:
  records: {{ name: \"{p}\", description: \"{p}\", owner: \"{p}\", classification: secret, integrity: high, categories: [health] }}
components:
  patient: {{ technology: browser, exposure: internet }}
  portal: {{ name: \"{p}\", description: \"{p}\", owner: \"{p}\", technology: web-application, processes: [records] }}
  db: {{ technology: postgresql, stores: [records], controls: [encryption-at-rest] }}
flows:
  - patient -> portal: {{ name: \"{p}\", description: \"{p}\", protocol: https, data: [records] }}
  - portal -> db: {{ protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }}
boundaries:
  hospital: {{ name: \"{p}\", description: \"{p}\", kind: network, trust: high, contains: [portal, db] }}
decisions:
  - {{ threat: \"cross-site-scripting:portal\", status: accepted, owner: \"{p}\", justification: \"{p}\", ticket: \"{p}\", expires: 2027-03-31 }}
"
    )
}

#[test]
fn model_text_is_escaped_everywhere() {
    let (model, analysis) = from_text(&hostile());
    let html = threatforge_report::render_html(&model, &analysis);
    assert!(!html.contains(PAYLOAD), "the payload appears unescaped");
    assert!(!html.to_ascii_lowercase().contains("<img"), "an img tag");
    let escaped = "&lt;img src=x onerror=alert(1)&gt;";
    // Component, data asset, flow and boundary names, the decision's owner, justification and
    // ticket, the system's name, description and owners, descriptions and owners.
    assert!(
        html.matches(escaped).count() >= 12,
        "the hostile text is not shown as text often enough: {}",
        html.matches(escaped).count()
    );
    let section = {
        let start = html
            .find("id=\"t-cross-site-scripting:portal\"")
            .expect("section");
        &html[start..start + html[start..].find("</article>").expect("end")]
    };
    assert!(
        section.contains(&format!("<dt>Justification</dt><dd>{escaped}</dd>")),
        "the justification, escaped"
    );
    assert!(html.contains(&format!(
        "<title>Threat model report: Clinic {escaped}</title>"
    )));
    assert_no_model_text_in_script(&html);
    // The payload, shown as text, is no fetch.
    assert_self_contained(&html.replace(escaped, "payload"));
}

#[test]
fn text_in_attributes_is_escaped() {
    // Ids are restricted by the loader, so build an analysis that a buggy rule or loader could
    // produce: quotes and angle brackets in the ids that go into attributes.
    let (model, mut analysis) = from_text(CLINIC);
    let hostile = "x\" onmouseover=\"alert(1)\" data-x='<b>";
    for threat in &mut analysis.threats {
        threat.id = threatforge_analysis::ThreatId::new(
            threat.rule.clone(),
            format!("{}{hostile}", threat.id.key()).into(),
        );
        threat.element.id = format!("{}{hostile}", threat.element.id).into();
    }
    let html = threatforge_report::render_html(&model, &analysis);
    assert!(
        !html.contains("\" onmouseover=\""),
        "an attribute was broken out of"
    );
    assert!(!html.contains("'<b>"), "an attribute was broken out of");
    assert!(html.contains("x&quot; onmouseover=&quot;alert(1)&quot; data-x=&#x27;&lt;b&gt;"));
    assert_no_model_text_in_script(&html);
}

/// The scripts are the static ones: no model data is embedded in them.
fn assert_no_model_text_in_script(html: &str) {
    let mut scripts = 0;
    let mut rest = html;
    while let Some(at) = rest.find("<script>") {
        let start = at + "<script>".len();
        let end = start + rest[start..].find("</script>").expect("script end");
        assert_no_model_text_in(&rest[start..end]);
        rest = &rest[end..];
        scripts += 1;
    }
    assert!(scripts > 0, "no script");
}

fn assert_no_model_text_in(script: &str) {
    for needle in [
        "Clinic",
        "onerror",
        "onmouseover",
        "portal",
        "records",
        "&lt;",
    ] {
        assert!(!script.contains(needle), "the script holds `{needle}`");
    }
    for forbidden in [
        "innerHTML",
        "outerHTML",
        "eval(",
        "document.write",
        "insertAdjacentHTML",
        "new Function",
    ] {
        assert!(!script.contains(forbidden), "the script uses {forbidden}");
    }
}

/// The diagram is another module's (and has its own tests): keep it out of this snapshot.
fn without_diagram(html: &str) -> String {
    let (start, end) = (
        html.find("<!-- diagram -->").expect("diagram start") + "<!-- diagram -->".len(),
        html.find("<!-- /diagram -->").expect("diagram end"),
    );
    format!("{}[diagram]{}", &html[..start], &html[end..])
}

#[test]
fn snapshot_of_a_small_model() {
    let (model, analysis) = from_text(CLINIC);
    let html = threatforge_report::render_html(&model, &analysis);
    insta::assert_snapshot!("clinic_html", without_diagram(&html));
}

/// The hostile model with `n` more exposed services of hostile names in one boundary, enough
/// threats for the register to be written as data for the script.
fn large_hostile(n: usize) -> String {
    let p = PAYLOAD;
    let mut text = hostile();
    let components = "components:\n";
    let at = text.find(components).expect("components") + components.len();
    let services: String = (0..n)
        .map(|i| format!("  s{i}: {{ name: \"</script><!--{p}\", technology: api-service, exposure: internet, processes: [records] }}\n"))
        .collect();
    text.insert_str(at, &services);
    let flows: String = (0..n)
        .map(|i| format!("  - patient -> s{i}: {{ protocol: http, data: [records] }}\n"))
        .collect();
    let at = text.find("flows:\n").expect("flows") + "flows:\n".len();
    text.insert_str(at, &flows);
    let members: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    let at = text.find("boundaries:\n").expect("boundaries") + "boundaries:\n".len();
    text.insert_str(
        at,
        &format!(
            "  services: {{ kind: network, contains: [{}] }}\n",
            members.join(", ")
        ),
    );
    text
}

/// The register's data in a page, parsed.
fn register_data(html: &str) -> serde_json::Value {
    page_data(html, "register-data")
}

/// One of the page's JSON documents, parsed.
fn page_data(html: &str, id: &str) -> serde_json::Value {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let start = html.find(&open).expect("the page's data") + open.len();
    let text = &html[start..start + html[start..].find("</script>").expect("its end")];
    for forbidden in ["<", ">", "&", "\u{2028}", "\u{2029}", "##["] {
        assert!(!text.contains(forbidden), "{forbidden:?} in the data");
    }
    serde_json::from_str(text).expect("the data is JSON")
}

#[test]
fn a_large_models_register_is_data_for_the_script() {
    let (model, analysis) = from_text(&large_hostile(1100));
    assert!(analysis.threats.len() > 1000, "{}", analysis.threats.len());
    let html = threatforge_report::render_html(&model, &analysis);
    assert_eq!(html, threatforge_report::render_html(&model, &analysis));
    assert!(!html.to_ascii_lowercase().contains("<img"), "an img tag");
    assert!(!html.contains("<!-- rows:"), "a mark is left in the page");
    assert_no_model_text_in_script(&html);

    // The diagram stays collapsed: boxes for boundaries, not a node per component.
    let diagram =
        &html[html.find("<svg").expect("the diagram")..html.find("</svg>").expect("its end")];
    assert!(
        diagram.contains("boundaries are collapsed into boxes"),
        "the diagram of {} components is drawn whole",
        model.components.len()
    );
    assert!(
        diagram.len() < 100_000,
        "a diagram of {} bytes",
        diagram.len()
    );

    // No row or section per threat in the page; the top risks keep their sections.
    assert!(
        !html.contains("<tr data-severity"),
        "register rows in the page"
    );
    let sections = html.matches("<article class=\"threat").count();
    assert!((1..=10).contains(&sections), "{sections} threat sections");
    // The inventory and the checklist are data too, every row of them; the page has none.
    assert!(
        !html.contains("<tr id="),
        "inventory or checklist rows in the page"
    );
    let inventory = page_data(&html, "inventory-json");
    for (table, len) in [
        ("components", model.components.len()),
        ("data", model.data.len()),
        ("flows", model.flows.len()),
        ("boundaries", model.boundaries.len()),
        ("runtimes", model.runtimes.len()),
    ] {
        assert_eq!(
            inventory[table].as_array().map(Vec::len),
            Some(len),
            "{table}"
        );
    }
    assert_eq!(
        inventory["components"][1099][0], "s1099",
        "the last service"
    );
    let s0 = &inventory["components"][0];
    assert_eq!(
        (&s0[0], &s0[1]),
        (&"s0".into(), &format!("</script><!--{PAYLOAD}").into())
    );
    let hygiene = page_data(&html, "hygiene-json");
    assert_eq!(
        hygiene["items"].as_array().map(Vec::len),
        Some(analysis.hygiene.len())
    );
    // Two scripts, each allowed by its hash, and nothing else.
    assert_eq!(html.matches("<script>").count(), 2);
    assert_eq!(html.matches("'sha256-").count(), 2);

    let data = register_data(&html);
    let threats = data["threats"].as_array().expect("threats");
    assert_eq!(threats.len(), analysis.threats.len());
    let table = |name: &str| data[name].as_array().expect(name).len() as u64;
    let (strings, elements, controls, factors, advice) = (
        table("strings"),
        table("elements"),
        table("controls"),
        table("factors"),
        table("advice"),
    );
    let index = |v: &serde_json::Value, len: u64, what: &str| {
        let i = v.as_u64().unwrap_or_else(|| panic!("{what}: {v}"));
        assert!(i < len, "{what} {i} of {len}");
        i as usize
    };
    let mut ids = Vec::new();
    for t in threats {
        let rule = &data["strings"][index(&t[0], strings, "rule")];
        index(&t[1], strings, "title");
        let element = &data["elements"][index(&t[2], elements, "element")];
        ids.push(format!(
            "{}:{}",
            rule.as_str().expect("rule"),
            element[1].as_str().expect("id")
        ));
        for c in t[8].as_array().expect("in place") {
            index(c, controls, "control");
        }
        for alternatives in t[9].as_array().expect("missing") {
            for c in alternatives.as_array().expect("alternatives") {
                index(c, controls, "control");
            }
        }
        for f in t[10].as_array().expect("factors") {
            index(f, factors, "factor");
        }
        for a in t[15].as_array().expect("advice") {
            index(a, advice, "advice");
        }
        for e in t[21].as_array().expect("components") {
            assert_eq!(
                data["elements"][index(e, elements, "component")][0],
                "component"
            );
        }
    }
    // In the register's order, every threat once.
    let order: Vec<String> = threatforge_report::by_risk(&analysis)
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(ids, order);

    // The hostile names are the elements' labels, as text.
    let s0 = data["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .find(|e| e[0] == "component" && e[1] == "s0")
        .expect("s0");
    assert_eq!(s0[2], format!("</script><!--{PAYLOAD}"));

    // The format, on the model's first threats, one line each.
    let line = |v: &serde_json::Value| serde_json::to_string(v).expect("JSON");
    let mut excerpt: Vec<String> = threats[..2].iter().map(line).collect();
    for key in ["v", "stride", "status", "severity", "levels"] {
        excerpt.push(format!("{key}: {}", line(&data[key])));
    }
    insta::assert_snapshot!("large_register_excerpt", excerpt.join("\n"));
}
