//! Text from a pull request must not act on a terminal, a CI log or a rendered comment: a model,
//! an include and a team rule carrying escape sequences, GitHub workflow commands and Markdown
//! links go through every command and format of the real binary, and what comes out is inert
//! and still shows the text.

mod support;

use std::path::Path;

use comrak::nodes::NodeValue;
use support::threatforge;
use threatforge_model::escape::{HOSTILE, is_hidden};

const OSC8: &str = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07";
const ERASE: &str = "\x1b[2K\rFAKE: all good";
const WORKFLOW: &str = "\n::error title=Injected::x\n::notice::x";
const LINKS: &str = "[Approve this PR](https://evil.example/approve) ![x](https://evil.example/pixel.png) <img src=x onerror=alert(1)> www.evil.example https://evil.example/bare";
const INCLUDE: &str = "inc\x1b[2K\n::error title=File::x.yaml";

/// `text` as a YAML double-quoted scalar, every character outside printable ASCII escaped.
fn q(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) > 0xffff => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// The root model: every kind of text a model holds carries a payload.
fn model() -> String {
    format!(
        "system:
  name: {system}
  description: {description}
include: [{include}]
rules:
  dirs: [threat-rules]
data:
  card: {{ classification: secret, categories: [payment], name: {data} }}
components:
  user: {{ technology: browser, exposure: internet, name: {user} }}
  shop:
    technology: web-application
    processes: [card]
    name: {shop}
    description: {shop_description}
flows:
  - user -> shop: {{ protocol: https, data: [card], name: {flow} }}
threats:
  evil:
    title: {threat}
    description: {threat_description}
    element: shop
    stride: spoofing
decisions:
  - threat: team-evil:db
    status: accepted
    owner: {owner}
    justification: {justification}
    ticket: {ticket}
    expires: 2099-01-01
  - threat: {orphan}
    status: open
",
        system = q(&format!("Shop {OSC8} {ERASE}")),
        description = q(&format!("{LINKS}{WORKFLOW}")),
        include = q(INCLUDE),
        data = q(&format!("Card{WORKFLOW}")),
        user = q("User \u{9b}31m red \u{202e}evil"),
        shop = q(&format!("Shop{WORKFLOW}")),
        shop_description = q(&format!(
            "::add-mask::secret x ##[error]legacy | cell | `code` *em* # head {LINKS}"
        )),
        flow = q("flow \x1b[2K\r::warning::x"),
        threat = q(&format!("T{WORKFLOW} {OSC8}")),
        threat_description = q(&format!("{LINKS} \x1b[2K")),
        owner = q("owner \x1b[31m @admin"),
        justification = q(&format!(
            "because{WORKFLOW} [Approve](https://evil.example)"
        )),
        ticket = q("https://evil.example/ticket\x1b[2K"),
        orphan = q("nothing:\x1b[2K\n::error::orphan"),
    )
}

/// An include, with a component of its own (and a warning, so its name is in a diagnostic).
const INCLUDED: &str = "components:
  db: { technology: postgresql, stores: [card] }
  lonely: { technology: api-service }
flows:
  - shop -> db: { protocol: postgres, authentication: credentials, data: [card] }
";

/// A team rule that fires on every component.
fn rule() -> String {
    format!(
        "id: team-evil
title: {title}
description: {description}
stride: tampering
applies_to:
  element: component
condition: \"true\"
explanation: {explanation}
likelihood: medium
impact: medium
mitigations: [input-validation]
references: [{reference}]
",
        title = q(&format!("Team \x1b[2K{WORKFLOW}")),
        description = q(&format!("Desc {LINKS} <script>alert(1)</script>{WORKFLOW}")),
        explanation = q("{{ component.name }} is evil \x1b[2K ##[error]x"),
        reference = q("https://evil.example/ref\x1b[2K"),
    )
}

/// A directory with the hostile model, its include and its team rule.
fn hostile_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), model()).expect("write");
    std::fs::write(dir.path().join(INCLUDE), INCLUDED).expect("write");
    std::fs::create_dir(dir.path().join("threat-rules")).expect("mkdir");
    std::fs::write(dir.path().join("threat-rules/evil.yaml"), rule()).expect("write");
    dir
}

/// Runs the binary in `dir`; returns the exit code, standard output and standard error.
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = threatforge()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run");
    let text = |bytes: Vec<u8>| {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{args:?}: not UTF-8: {e}"))
    };
    (
        output.status.code(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// Zero-width characters a comparison may skip although they are not escaped.
fn skippable(c: char) -> bool {
    is_hidden(c) || matches!(c, '\u{200c}' | '\u{200d}' | '\u{fe00}'..='\u{fe0f}')
}

/// Fails when `text` could act on a terminal or a CI log: a control character other than a
/// line feed, a tab or the carriage return of a CRLF line end, DEL, a C1 control, a bidi or
/// other invisible character, or a line a runner reads as a command (`::` after leading
/// whitespace, `##[` anywhere).
fn assert_inert(what: &str, text: &str) {
    for (i, c) in text.char_indices() {
        let crlf = c == '\r' && text[i + 1..].starts_with('\n');
        if is_hidden(c) && !matches!(c, '\n' | '\t') && !crlf {
            let before: String = text[..i].chars().rev().take(60).collect();
            let before: String = before.chars().rev().collect();
            panic!("{what}: raw {c:?} at byte {i}, after {before:?}");
        }
    }
    for line in text.split(['\n', '\r']) {
        let seen: String = line.chars().filter(|c| !skippable(*c)).collect();
        let seen = seen.trim_start();
        assert!(
            !seen.starts_with("::"),
            "{what}: a workflow command: {line:?}"
        );
        assert!(!seen.contains("##["), "{what}: a legacy command: {line:?}");
    }
}

/// The output shows text from the model (a test of an empty output would prove nothing).
fn assert_shows_input(what: &str, text: &str) {
    assert!(
        text.contains("evil") || text.contains("Injected"),
        "{what} shows nothing from the model:\n{text}"
    );
}

#[test]
fn check_shows_model_text_inert_in_every_format() {
    let dir = hostile_dir();
    for format in ["human", "short", "json"] {
        let (code, out, err) = run(dir.path(), &["check", "--format", format, "--top", "100"]);
        assert_eq!(code, Some(0), "check --format {format}: {err}");
        let what = format!("check --format {format}");
        assert_inert(&what, &out);
        assert_inert(&what, &err);
        assert_shows_input(&what, &format!("{out}{err}"));
    }
    let (_, out, err) = run(dir.path(), &["check", "--top", "100"]);
    // The team rule's title, on one line, its control characters shown.
    assert!(
        out.contains("Team \\u{1b}[2K\\n::error title=Injected::x\\n::notice::x"),
        "{out}"
    );
    // Diagnostics that echo input: the orphaned decision's selector, the include's file name.
    assert!(
        err.contains(
            "warning[orphaned-decision]: the decision on `nothing:\\u{1b}[2K\\n::error::orphan`"
        ),
        "{err}"
    );
    assert!(
        err.contains("at inc\\u{1b}[2K\\n::error title=File::x.yaml:3:3"),
        "{err}"
    );
    let (_, _, short) = run(dir.path(), &["check", "--format", "short"]);
    assert!(
        short.contains(
            "inc\\u{1b}[2K\\n::error title=File::x.yaml:3:3: warning[isolated-component]"
        ),
        "{short}"
    );
    // JSON keeps the text itself, escaped the JSON way.
    let (_, json, _) = run(dir.path(), &["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let titles: Vec<&str> = report["threats"]
        .as_array()
        .expect("threats")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert!(
        titles.contains(&format!("T{WORKFLOW} {OSC8}").as_str()),
        "{titles:?}"
    );
}

#[test]
fn colors_are_the_only_escape_sequences() {
    let dir = hostile_dir();
    let (_, out, err) = run(dir.path(), &["check", "--color", "always", "--top", "100"]);
    assert!(err.contains("\x1b["), "colors were asked for: {err}");
    for text in [&out, &err] {
        // Every ESC starts a color (SGR): `ESC [ digits and semicolons m`.
        for (i, _) in text.match_indices('\x1b') {
            let sequence: String = text[i + 1..].chars().take_while(|c| *c != 'm').collect();
            assert!(
                sequence.starts_with('[')
                    && sequence[1..]
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ';'),
                "not a color: {:?}",
                &text[i..text.len().min(i + 20)]
            );
        }
        let plain: String = text.chars().filter(|c| *c != '\x1b').collect();
        assert_inert("check --color always", &plain);
    }
}

#[test]
fn every_report_and_diagram_format_is_inert() {
    let dir = hostile_dir();
    for (command, format) in [
        ("report", "md"),
        ("report", "csv"),
        ("report", "json"),
        ("report", "sarif"),
        ("report", "html"),
        ("report", "junit"),
        ("report", "otm"),
        ("diagram", "mermaid"),
        ("diagram", "dot"),
        ("diagram", "svg"),
    ] {
        let (code, out, err) = run(dir.path(), &[command, "--format", format]);
        let what = format!("{command} --format {format}");
        assert_eq!(code, Some(0), "{what}: {err}");
        assert_inert(&what, &out);
        assert_inert(&what, &err);
        assert_shows_input(&what, &out);
    }
    // Machine formats keep the text exactly: the manual threat's title is a string in each.
    let title = serde_json::Value::from(format!("T{WORKFLOW} {OSC8}"));
    for format in ["json", "sarif", "otm"] {
        let (_, out, _) = run(dir.path(), &["report", "--format", format]);
        let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert!(contains(&value, &title), "{format}: {out}");
    }
}

/// Whether `needle` is `value` or a value somewhere inside it.
fn contains(value: &serde_json::Value, needle: &serde_json::Value) -> bool {
    value == needle
        || match value {
            serde_json::Value::Array(items) => items.iter().any(|v| contains(v, needle)),
            serde_json::Value::Object(map) => map.values().any(|v| contains(v, needle)),
            _ => false,
        }
}

/// Fails on anything in rendered Markdown that input could have made: a link other than
/// CAPEC's and CWE's, an image, emphasis, strikethrough, math, a footnote, raw HTML other than
/// threatforge's own tags, more strong text or headings than threatforge writes, or a table row
/// with more or fewer cells than its header.
fn assert_markdown_inert(what: &str, markdown: &str, strong: usize, headings: usize) {
    assert!(
        !markdown.contains("](https://evil"),
        "{what}: a link survived"
    );
    assert!(!markdown.contains("![x]("), "{what}: an image survived");
    let mut options = comrak::Options::default();
    options.extension.autolink = true;
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.math_dollars = true;
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, markdown, &options);
    let ours = |html: &str| {
        let mut rest = html;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
                .collect();
            assert!(
                matches!(
                    name.as_str(),
                    "details" | "/details" | "summary" | "/summary" | "code" | "/code" | "br"
                ),
                "{what}: raw HTML <{name}> in {html:?}"
            );
        }
    };
    let (mut strong_seen, mut headings_seen) = (0, 0);
    for node in root.descendants() {
        match &node.data.borrow().value {
            NodeValue::Link(link) => assert!(
                link.url
                    .starts_with("https://capec.mitre.org/data/definitions/")
                    || link
                        .url
                        .starts_with("https://cwe.mitre.org/data/definitions/"),
                "{what}: a link to {}",
                link.url
            ),
            NodeValue::HtmlInline(html) => ours(html),
            NodeValue::HtmlBlock(block) => ours(&block.literal),
            NodeValue::Strong => strong_seen += 1,
            NodeValue::Heading(_) => headings_seen += 1,
            NodeValue::Table(table) => {
                for row in node.children() {
                    assert_eq!(
                        row.children().count(),
                        table.alignments.len(),
                        "{what}: a table row with other cells"
                    );
                }
            }
            value @ (NodeValue::Image(_)
            | NodeValue::Emph
            | NodeValue::Strikethrough
            | NodeValue::Math(_)
            | NodeValue::FootnoteReference(_)
            | NodeValue::BlockQuote) => panic!("{what}: {value:?}"),
            _ => {}
        }
    }
    assert!(strong_seen <= strong, "{what}: {strong_seen} strong");
    assert_eq!(headings_seen, headings, "{what}: headings");
    // GitHub pads or cuts a row to its header's width: count the separators themselves.
    for block in markdown.split("\n\n") {
        let pipes: Vec<usize> = block
            .lines()
            .filter(|l| l.starts_with('|'))
            .map(|l| l.matches('|').count() - l.matches("\\|").count())
            .collect();
        assert!(
            pipes.windows(2).all(|w| w[0] == w[1]),
            "{what}: a row with other cells in {block}"
        );
    }
}

#[test]
fn markdown_shows_links_and_markup_from_input_as_text() {
    let dir = hostile_dir();
    let (_, md, _) = run(dir.path(), &["report", "--format", "md"]);
    assert_markdown_inert("report --format md", &md, 1, 5);
    // The threat's description and title are there, as text.
    assert!(
        md.contains("\\[Approve this PR\\](https\\://evil.example/approve) !\\[x\\](https\\://evil.example/pixel.png)"),
        "{md}"
    );
    assert!(md.contains("www\\.evil.example"), "{md}");
    assert!(md.contains("&lt;img src=x onerror=alert(1)&gt;"), "{md}");
    // In the summary line (HTML), as HTML text.
    assert!(
        md.contains("<code>manual:evil</code> · T ::error title&#61;Injected::x ::notice::x \\u{1b}]8;;https://evil.example\\u{7}click"),
        "{md}"
    );
    // The decision's justification, owner and ticket.
    assert!(md.contains("owner \\\\u{1b}\\[31m @&#8203;admin"), "{md}");
    assert!(md.contains("ticket https\\://evil.example/ticket"), "{md}");

    let (_, sarif, _) = run(dir.path(), &["report", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).expect("SARIF");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let mut team = 0;
    for rule in rules {
        let id = rule["id"].as_str().unwrap_or_default();
        let help = rule["help"]["markdown"].as_str().expect("help.markdown");
        assert_markdown_inert(&format!("SARIF help of {id}"), help, 1, 0);
        if id == "team-evil" || id == "manual:evil" {
            team += 1;
            assert!(help.contains("\\[Approve this PR\\]"), "{id}: {help}");
            assert!(
                !help.contains("<script>") && !help.contains("<img"),
                "{id}: {help}"
            );
        }
    }
    assert_eq!(
        team, 2,
        "the team rule and the manual threat are in the SARIF"
    );
}

#[test]
fn diff_shows_both_models_inert_in_every_format() {
    let dir = hostile_dir();
    std::fs::write(
        dir.path().join("old.yaml"),
        format!(
            "system: {{ name: Shop }}
data:
  card: {{ classification: secret, categories: [payment] }}
components:
  user: {{ technology: browser, exposure: internet }}
  shop: {{ technology: web-application, processes: [card], name: old }}
flows:
  - user -> shop: {{ protocol: https, data: [card] }}
decisions:
  - {{ threat: {gone}, status: open }}
",
            gone = q("old:\x1b[2K\n::error::gone ##[error]x")
        ),
    )
    .expect("write");
    for format in ["human", "md", "json"] {
        let (code, out, err) = run(
            dir.path(),
            &[
                "diff",
                "old.yaml",
                "threatforge.yaml",
                "--format",
                format,
                "--fail-on-new",
                "critical",
            ],
        );
        let what = format!("diff --format {format}");
        assert!(matches!(code, Some(0 | 1)), "{what}: {err}");
        assert_inert(&what, &out);
        assert_inert(&what, &err);
        assert_shows_input(&what, &out);
        if format == "md" {
            assert_markdown_inert(&what, &out, 2, 1);
            assert!(
                out.contains("- removed: `old:\\u{1b}[2K ::error::gone #\\u{23}[error]x`"),
                "{out}"
            );
        }
        if format == "human" {
            assert!(out.contains("  - old:\\u{1b}[2K\\n::error::gone"), "{out}");
            assert!(
                out.contains("because component shop: name old -> Shop\\n::error title=Injected::x\\n::notice::x"),
                "{out}"
            );
        }
    }
}

#[test]
fn team_rules_are_listed_and_shown_inert() {
    let dir = hostile_dir();
    for args in [
        &["rules", "list", "--rules", "threat-rules"][..],
        &[
            "rules",
            "list",
            "--rules",
            "threat-rules",
            "--format",
            "json",
        ],
        &["rules", "show", "team-evil", "--rules", "threat-rules"],
        &["rules", "test", "threat-rules"],
    ] {
        let (code, out, err) = run(dir.path(), args);
        let what = args.join(" ");
        assert!(matches!(code, Some(0 | 1)), "{what}: {err}");
        assert_inert(&what, &out);
        assert_inert(&what, &err);
        assert!(out.contains("team-evil"), "{what}: {out}");
    }
    let (_, show, _) = run(
        dir.path(),
        &["rules", "show", "team-evil", "--rules", "threat-rules"],
    );
    assert!(
        show.starts_with("team-evil — Team \\u{1b}[2K\\n::error title=Injected::x\\n::notice::x\n"),
        "{show}"
    );
    assert!(
        show.contains("  https://evil.example/ref\\u{1b}[2K\n"),
        "{show}"
    );
    // A rule id from the command line is echoed in the error.
    let (code, _, err) = run(dir.path(), &["rules", "show", "x\x1b[2K\n::error::y"]);
    assert_eq!(code, Some(2));
    assert_inert("rules show <hostile id>", &err);
    assert!(err.contains("x\\u{1b}[2K\\n::error::y"), "{err}");
}

#[test]
fn diagnostics_that_echo_input_show_it_inert() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An invalid id, an unknown key, and a bidi override in the line the snippet shows.
    let invalid = format!(
        "system: {{ name: Test }}
components:
  {id}: {{ technology: browser }}
  ok: {{ technology: browser, {key}: 1, name: \"abc\u{202e}txt\" }}
",
        id = q("bad\x1b[2Kid\n::error::x"),
        key = q(&format!("{OSC8}{WORKFLOW}")),
    );
    std::fs::write(dir.path().join("invalid.yaml"), invalid).expect("write");
    // Raw control characters are a YAML syntax error, whose snippet shows the line.
    std::fs::write(
        dir.path().join("syntax.yaml"),
        "system: { name: Test }\n# \x1b]8;;https://evil.example\x07 ##[error]x \u{9b}2K\n",
    )
    .expect("write");
    for (file, codes) in [
        ("invalid.yaml", &["invalid-id", "unknown-key"][..]),
        ("syntax.yaml", &["yaml-syntax"]),
    ] {
        for format in ["human", "short", "json"] {
            let (code, out, err) = run(dir.path(), &["check", file, "--format", format]);
            let what = format!("check {file} --format {format}");
            assert_eq!(code, Some(2), "{what}");
            assert_inert(&what, &out);
            assert_inert(&what, &err);
            for c in codes {
                assert!(out.contains(c) || err.contains(c), "{what}: no {c}: {err}");
            }
        }
        for command in ["report", "diagram"] {
            let (code, _, err) = run(dir.path(), &[command, file]);
            assert_eq!(code, Some(2), "{command} {file}");
            assert_inert(&format!("{command} {file}"), &err);
        }
    }
    let (_, _, err) = run(dir.path(), &["check", "invalid.yaml"]);
    assert!(
        err.contains(
            "error[invalid-id]: `bad\\u{1b}[2Kid\\n::error::x` is not a valid component id"
        ),
        "{err}"
    );
    // The snippet keeps the line, with the override masked in place.
    assert!(err.contains("name: \"abc\u{fffd}txt\""), "{err}");
    let (_, _, err) = run(dir.path(), &["check", "syntax.yaml"]);
    assert!(
        err.contains("# ?]8;;https://evil.example? #\\u{23}[error]x"),
        "{err}"
    );
}

#[test]
fn import_warnings_and_the_imported_model_are_inert() {
    let dir = tempfile::tempdir().expect("temp dir");
    let threagile = format!(
        "threagile_version: 1.0.0
title: {title}
technical_assets:
  Shop: {{ id: shop, type: process, technology: web-application }}
risk_tracking:
  {risk}: {{ status: accepted, justification: fine }}
",
        title = q(&format!("Shop{WORKFLOW} {OSC8}")),
        risk = q("no-such-rule\x1b[2K\n::error::x@shop"),
    );
    std::fs::write(dir.path().join("threagile.yaml"), threagile).expect("write");
    let (code, out, err) = run(dir.path(), &["import", "threagile.yaml"]);
    assert_eq!(code, Some(0), "{err}");
    assert_inert("import", &out);
    assert_inert("import", &err);
    assert!(
        err.contains("risk_tracking `no-such-rule\\u{1b}[2K\\n::error::x@shop`"),
        "{err}"
    );
    // The imported model keeps the title exactly: written as YAML escapes, not filtered.
    std::fs::write(dir.path().join("imported.yaml"), &out).expect("write");
    let (_, json, _) = run(dir.path(), &["check", "imported.yaml", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        report["model"]["system"].as_str(),
        Some(format!("Shop{WORKFLOW} {OSC8}").as_str()),
        "{out}"
    );
}

#[test]
fn every_hostile_string_as_a_name_stays_inert() {
    // The shared table, as the system's and a component's name, through the human outputs.
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, text) in HOSTILE.iter().enumerate() {
        let model = format!(
            "system: {{ name: {name} }}
components:
  a: {{ technology: browser, exposure: internet, name: {name} }}
  b: {{ technology: api-service, name: {name}, description: {name} }}
flows:
  - a -> b: {{ protocol: http }}
threats:
  t: {{ title: {name}, description: {name}, element: b, stride: spoofing }}
",
            name = q(text)
        );
        let file = format!("m{i}.yaml");
        std::fs::write(dir.path().join(&file), model).expect("write");
        for args in [
            &["check", file.as_str(), "--top", "100"][..],
            &["report", file.as_str(), "--format", "md"],
            &["report", file.as_str(), "--format", "csv"],
        ] {
            let (code, out, err) = run(dir.path(), args);
            let what = format!("{text:?}: {}", args.join(" "));
            assert!(matches!(code, Some(0 | 1)), "{what}: {err}");
            assert_inert(&what, &out);
            assert_inert(&what, &err);
        }
    }
}
