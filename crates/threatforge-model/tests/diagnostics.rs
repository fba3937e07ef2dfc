//! One snapshot per kind of diagnostic: the rendered message a user sees, with its position,
//! the offending text marked, and the help.

use std::path::Path;

use threatforge_model::{LoadOptions, Loaded, load, load_str};
use threatforge_model::{Style, diagnostic_line, render_diagnostic};

const HEAD: &str = "system: { name: Test }\n";

fn load_text(text: &str) -> Loaded {
    let dir = tempfile::tempdir().expect("temp dir");
    load_str("model.yaml", text, dir.path(), &LoadOptions::default())
}

fn rendered(loaded: &Loaded, root: Option<&Path>) -> String {
    let mut out = String::new();
    for d in &loaded.diagnostics {
        out.push_str(&render_diagnostic(d, &loaded.model.sources, Style::Plain));
    }
    if let Some(root) = root {
        let canonical = std::fs::canonicalize(root).expect("canonical root");
        out = out.replace(&canonical.display().to_string(), "<root>");
    }
    out
}

fn codes(loaded: &Loaded) -> Vec<&'static str> {
    loaded.diagnostics.iter().map(|d| d.code).collect()
}

/// Loads `text`, asserts it yields exactly `expected` diagnostic codes, and returns the rendering.
fn check(text: &str, expected: &[&str]) -> String {
    let loaded = load_text(text);
    assert_eq!(codes(&loaded), expected, "diagnostics for:\n{text}");
    rendered(&loaded, None)
}

const VALID: &str = "system: { name: Test }
data:
  d: { classification: confidential }
components:
  a: { technology: browser, exposure: internet }
  b: { technology: api-service, processes: [d] }
flows:
  - a -> b: { protocol: https, data: [d] }
";

#[test]
fn a_valid_model_has_no_diagnostics() {
    let loaded = load_text(VALID);
    assert_eq!(codes(&loaded), Vec::<&str>::new());
    assert_eq!(loaded.model.components.len(), 2);
    let flow = &loaded.model.flows["a->b"];
    assert!(flow.is_encrypted());
}

#[test]
fn yaml_syntax() {
    insta::assert_snapshot!(check(
        "system: { name: Test\ncomponents: [\n",
        &["yaml-syntax"]
    ));
}

#[test]
fn duplicate_yaml_keys_are_errors() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: browser }}\n  a: {{ technology: api-service }}\n"
    );
    let snapshot = check(&text, &["isolated-component", "duplicate-key"]);
    // The first definition is the one kept.
    let loaded = load_text(&text);
    assert_eq!(
        loaded.model.components["a"]
            .value
            .technology
            .as_ref()
            .map(|t| t.value.as_str()),
        Some("browser")
    );
    insta::assert_snapshot!(snapshot);
}

#[test]
fn a_duplicate_key_does_not_hide_the_rest_of_the_file_or_its_includes() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Dup }\ninclude: [more.yaml]\ncomponents:\n  api: { technology: api-service }\n  api: { technology: api-service }\n  web: { technology: browser, exposure: everywhere }\nflows:\n  - web -> api: { protocol: https, protocol: http }\n",
    );
    write(
        dir.path(),
        "more.yaml",
        "components:\n  db: { technology: postgresq }\n",
    );
    let loaded = load_dir(dir.path());
    assert_eq!(
        codes(&loaded),
        vec![
            "duplicate-key",
            "invalid-value",
            "duplicate-key",
            "isolated-component",
            "unknown-technology"
        ]
    );
    insta::assert_snapshot!(rendered(&loaded, Some(dir.path())));
}

#[test]
fn every_error_of_one_flow_is_reported_in_one_run() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service }}\n  q: {{ technology: api-service }}\nflows:\n  - a -> q: {{ readonly: yes, protocol: sqs }}\n"
    );
    insta::assert_snapshot!(check(&text, &["invalid-type", "unknown-protocol"]));
}

#[test]
fn a_component_with_a_bad_value_still_has_its_other_errors_reported() {
    let text = format!(
        "{HEAD}components:\n  db: {{ technology: postgresq, exposure: everywhere, criticality: [high] }}\n  web: {{ technology: [browser] }}\n"
    );
    // `web`'s technology is dropped as a wrong type; it is not also reported missing.
    let loaded = load_text(&text);
    assert_eq!(
        codes(&loaded),
        vec![
            "isolated-component",
            "unknown-technology",
            "invalid-value",
            "invalid-type",
            "isolated-component",
            "invalid-type"
        ]
    );
}

#[test]
fn unknown_key_with_suggestion() {
    let text = "system: { name: Test, criticalty: high }\n";
    insta::assert_snapshot!(check(text, &["unknown-key"]));
}

#[test]
fn every_unknown_key_of_an_entity_is_reported() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service, colour: red, sise: 3 }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b\n"
    );
    insta::assert_snapshot!(check(&text, &["unknown-key", "unknown-key"]));
}

#[test]
fn unknown_top_level_section() {
    insta::assert_snapshot!(check(&format!("{HEAD}componets: {{}}\n"), &["unknown-key"]));
}

#[test]
fn invalid_enum_value_with_suggestion() {
    let text = format!(
        "{HEAD}data:\n  d: {{ classification: secrte }}\ncomponents:\n  a: {{ technology: api-service, processes: [d] }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b\n"
    );
    // The data asset failed to load, so the reference to it is not reported again.
    insta::assert_snapshot!(check(&text, &["invalid-value"]));
}

#[test]
fn invalid_type() {
    let text = format!("{HEAD}components:\n  a: {{ technology: api-service, controls: waf }}\n");
    insta::assert_snapshot!(check(&text, &["isolated-component", "invalid-type"]));
}

#[test]
fn section_of_the_wrong_shape() {
    insta::assert_snapshot!(check(
        &format!("{HEAD}components: [a, b]\n"),
        &["invalid-type"]
    ));
}

#[test]
fn missing_required_key() {
    let text = "system: { description: no name }\n";
    insta::assert_snapshot!(check(text, &["missing-key"]));
}

#[test]
fn component_without_technology_or_kind() {
    let text = format!(
        "{HEAD}components:\n  a: {{ name: Thing }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b\n"
    );
    insta::assert_snapshot!(check(&text, &["missing-key"]));
}

#[test]
fn missing_system() {
    insta::assert_snapshot!(check("components: {}\n", &["missing-system"]));
}

#[test]
fn invalid_id() {
    let text = format!("{HEAD}components:\n  Payment Service: {{ technology: api-service }}\n");
    insta::assert_snapshot!(check(&text, &["invalid-id"]));
}

#[test]
fn text_from_input_is_shown_escaped() {
    // An id and a key that hold escape sequences and workflow commands, and a bidi override
    // written raw in the line the snippet shows.
    let text = format!(
        "{HEAD}components:\n  \"bad\\e[2Kid\\n::error::x\": {{ technology: browser }}\n  \
         ok: {{ technology: browser, \"\\e]8;;https://evil.example\\a\\n::error::k\": 1, \
         name: \"abc\u{202e}txt\" }}\n"
    );
    let loaded = load_text(&text);
    let codes = codes(&loaded);
    assert!(
        codes.contains(&"invalid-id") && codes.contains(&"unknown-key"),
        "{codes:?}"
    );
    let rendered = rendered(&loaded, None);
    for c in rendered.chars() {
        assert!(
            !threatforge_model::escape::is_hidden(c) || c == '\n',
            "{c:?} in:\n{rendered}"
        );
    }
    assert!(
        rendered.lines().all(|l| !l.trim_start().starts_with("::")),
        "{rendered}"
    );
    for d in &loaded.diagnostics {
        let line = diagnostic_line(d, &loaded.model.sources);
        assert!(!line.contains(['\n', '\x1b', '\u{202e}']), "{line}");
    }
    insta::assert_snapshot!(rendered);
}

#[test]
fn reserved_id() {
    let text = format!("{HEAD}components:\n  internet: {{ technology: user }}\n");
    insta::assert_snapshot!(check(&text, &["reserved-id"]));
}

#[test]
fn duplicate_id_across_sections() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b\nboundaries:\n  a: {{ contains: [b] }}\n"
    );
    insta::assert_snapshot!(check(&text, &["duplicate-id"]));
}

#[test]
fn duplicate_flow() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b\n  - a -> b: {{ protocol: https }}\n"
    );
    insta::assert_snapshot!(check(&text, &["duplicate-id"]));
}

#[test]
fn flows_between_the_same_components_with_ids() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b: {{ id: reads }}\n  - a -> b: {{ id: writes }}\n"
    );
    let loaded = load_text(&text);
    assert_eq!(codes(&loaded), Vec::<&str>::new());
    assert!(loaded.model.flows.contains_key("reads") && loaded.model.flows.contains_key("writes"));
}

#[test]
fn malformed_flow() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service }}\n  b: {{ technology: api-service }}\nflows:\n  - a => b\n  - a -> b\n"
    );
    insta::assert_snapshot!(check(&text, &["invalid-flow"]));
}

#[test]
fn unknown_flow_target_with_suggestion() {
    let text = format!(
        "{HEAD}components:\n  shop: {{ technology: web-application }}\n  payments: {{ technology: api-service }}\nflows:\n  - shop -> paymnts: {{ protocol: grpc-tls }}\n  - shop -> payments\n"
    );
    insta::assert_snapshot!(check(&text, &["unknown-reference"]));
}

#[test]
fn unknown_data_reference() {
    let text = format!(
        "{HEAD}data:\n  card: {{ classification: secret }}\ncomponents:\n  a: {{ technology: api-service, processes: [card] }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b: {{ data: [crad, card] }}\n"
    );
    insta::assert_snapshot!(check(&text, &["unknown-reference"]));
}

#[test]
fn unknown_catalogue_names() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: postgres, traits: [parses-xm], controls: [encryption-at-rst] }}\n  b: {{ technology: api-service }}\nflows:\n  - b -> a: {{ protocol: postgress }}\n"
    );
    insta::assert_snapshot!(check(
        &text,
        &[
            "unknown-technology",
            "unknown-trait",
            "unknown-control",
            "unknown-protocol"
        ]
    ));
}

#[test]
fn catalogue_names_are_suggested_by_meaning() {
    let text = format!(
        "{HEAD}components:\n  files: {{ technology: s3 }}\n  db: {{ technology: aurora }}\n  ci: {{ technology: github-actions }}\n  queue: {{ technology: message-queue }}\n  api: {{ technology: api-service, controls: [csp] }}\nflows:\n  - api -> queue: {{ protocol: sqs }}\n  - api -> files\n  - api -> db\n  - ci -> api\n"
    );
    // An alias is suggested, not accepted: the model names the catalogue entry it means.
    insta::assert_snapshot!(check(
        &text,
        &[
            "unknown-technology",
            "unknown-technology",
            "unknown-technology",
            "unknown-control",
            "unknown-protocol"
        ]
    ));
}

#[test]
fn the_list_of_valid_values_is_not_wrapped_inside_an_id() {
    let text = format!("{HEAD}components:\n  a: {{ technology: qqqqqq }}\n");
    let out = check(&text, &["isolated-component", "unknown-technology"]);
    let help: String = out
        .lines()
        .skip_while(|l| !l.contains("help: expected one of"))
        .take_while(|l| !l.contains('×') && !l.contains('⚠'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(help.lines().count() > 1, "the list wraps:\n{out}");
    for line in help.lines() {
        // A wrapped line ends after a whole quoted id (and its comma), never inside one.
        let line = line.trim_end();
        assert!(
            line.ends_with("`,") || line.ends_with(')') || line.ends_with('`'),
            "cut inside an id: {line:?}\n{out}"
        );
    }
}

#[test]
fn on_behalf_of_needs_a_forwarder_and_components() {
    let text = format!(
        "{HEAD}components:\n  web: {{ technology: browser, exposure: internet }}\n  lb: {{ technology: load-balancer }}\n  api: {{ technology: api-service }}\n  db: {{ technology: postgresql }}\nflows:\n  - web -> lb\n  - lb -> api: {{ on_behalf_of: [wbe] }}\n  - api -> db: {{ on_behalf_of: [web] }}\n"
    );
    insta::assert_snapshot!(check(
        &text,
        &["unknown-reference", "on-behalf-of-without-forwarder"]
    ));
}

#[test]
fn misplaced_control() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service, controls: [mtls] }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b: {{ controls: [waf] }}\n"
    );
    insta::assert_snapshot!(check(&text, &["misplaced-control", "misplaced-control"]));
}

#[test]
fn a_team_control_may_not_take_a_catalogue_id_and_names_resolve_to_either() {
    let text = format!(
        "{HEAD}controls:\n  waf: {{ title: Our WAF, description: The platform's filter., remediation: Ask the platform team. }}\n  edge-guard: {{ title: Edge guard, description: Our proxy's request filter., remediation: Route the service through the edge guard. }}\ncomponents:\n  a: {{ technology: api-service, controls: [edge-guard, edge-gaurd] }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b: {{ controls: [edge-guard] }}\n"
    );
    insta::assert_snapshot!(check(&text, &["control-redefined", "unknown-control"]));
}

#[test]
fn invalid_code_globs() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service, code: [\"../other/**\", \"src/[\"] }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b\n"
    );
    insta::assert_snapshot!(check(&text, &["invalid-glob", "invalid-glob"]));
}

#[test]
fn code_globs_that_match_no_file_of_the_repository() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("services/shop")).expect("dirs");
    std::fs::write(dir.path().join("services/shop/main.go"), "package main\n").expect("file");
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service, code: [services/shop/**, services/gone/**] }}\n  b: {{ technology: api-service, code: [\"**/*.py\"] }}\nflows:\n  - a -> b\n"
    );
    let mut loaded = load_str("model.yaml", &text, dir.path(), &LoadOptions::default());
    assert_eq!(codes(&loaded), Vec::<&str>::new());
    loaded.diagnostics = threatforge_model::unmatched_code_paths(&loaded.model, dir.path());
    assert_eq!(
        codes(&loaded),
        ["code-path-unmatched", "code-path-unmatched"]
    );
    insta::assert_snapshot!(rendered(&loaded, None));
}

#[test]
fn boundary_overlap_and_cycle() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b\nboundaries:\n  x: {{ contains: [a, y] }}\n  y: {{ contains: [a, x] }}\n"
    );
    insta::assert_snapshot!(check(&text, &["boundary-cycle", "boundary-overlap"]));
}

#[test]
fn warnings_for_suspicious_models() {
    let text = format!(
        "{HEAD}data:\n  unused: {{ classification: public }}\ncomponents:\n  a: {{ technology: api-service }}\n  b: {{ technology: api-service }}\n  lonely: {{ technology: batch-job }}\nflows:\n  - a -> b\n  - b -> b\nboundaries:\n  empty: {{ contains: [] }}\nruntimes:\n  idle: {{ kind: host, runs: [] }}\n"
    );
    insta::assert_snapshot!(check(
        &text,
        &[
            "unused-data",
            "isolated-component",
            "self-flow",
            "empty-boundary",
            "empty-runtime"
        ]
    ));
}

#[test]
fn out_of_scope_components_may_be_isolated() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service }}\n  b: {{ technology: api-service }}\n  legacy: {{ technology: batch-job, out_of_scope: decommissioned in Q3 }}\nflows:\n  - a -> b\n"
    );
    assert_eq!(codes(&load_text(&text)), Vec::<&str>::new());
}

#[test]
fn json_models_load_too() {
    let text = r#"{"system": {"name": "J"}, "components": {"a": {"technology": "browser"}, "b": {"technology": "api-service"}}, "flows": [{"a -> b": {"protocol": "https"}}]}"#;
    let loaded = load_text(text);
    assert_eq!(codes(&loaded), Vec::<&str>::new());
    assert_eq!(loaded.model.flows.len(), 1);
}

#[test]
fn unquoted_numbers_are_text_where_text_is_expected() {
    let loaded = load_text("system: { name: Test, version: 2.1 }\n");
    assert_eq!(codes(&loaded), Vec::<&str>::new());
    assert_eq!(
        loaded
            .model
            .system
            .as_ref()
            .and_then(|s| s.version.as_deref()),
        Some("2.1")
    );
}

#[test]
fn yaml_1_1_booleans_are_not_booleans() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: api-service }}\n  b: {{ technology: api-service }}\nflows:\n  - a -> b: {{ encrypted: yes }}\n"
    );
    assert_eq!(codes(&load_text(&text)), vec!["invalid-type"]);
}

#[test]
fn unknown_tags_are_errors() {
    assert_eq!(
        codes(&load_text("system: !Ref { name: x }\n")),
        vec!["yaml-syntax"]
    );
}

#[test]
fn core_schema_tags_are_errors_too() {
    // Documented as rejected; serde-saphyr read them, and decoded `!!binary` from base64 (a name
    // could hide an escape sequence).
    for tag in [
        "!!binary aGVsbG8=",
        "!!str x",
        "!!int \"3\"",
        "!!timestamp 2020-01-01",
        "! x",
    ] {
        let text = format!("system: {{ name: {tag} }}\n");
        assert_eq!(codes(&load_text(&text)), vec!["yaml-syntax"], "{text}");
    }
    for tag in ["!!set {a, b}", "!!omap [a: 1]", "!!map {a: 1}", "!!seq [a]"] {
        let text = format!("system: {{ name: x, tags: {tag} }}\n");
        assert_eq!(codes(&load_text(&text)), vec!["yaml-syntax"], "{text}");
    }
    insta::assert_snapshot!(check(
        "system: { name: !!binary G1sySkZBS0U6IGFsbCBnb29k }\n",
        &["yaml-syntax"]
    ));
}

#[test]
fn missing_file() {
    let loaded = load(
        Path::new("/definitely/not/here.yaml"),
        &LoadOptions::default(),
    );
    assert_eq!(codes(&loaded), vec!["io-error"]);
}

// ---- includes ----------------------------------------------------------------------------

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dirs");
    }
    std::fs::write(path, text).expect("write fixture");
}

fn load_dir(dir: &Path) -> Loaded {
    load(&dir.join("threatforge.yaml"), &LoadOptions::default())
}

#[test]
fn includes_merge_files_relative_to_the_including_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Multi }\ninclude: [teams/a.yaml]\ncomponents:\n  root: { technology: browser }\nflows:\n  - root -> a\n",
    );
    write(
        dir.path(),
        "teams/a.yaml",
        "include: [b.yaml]\ncomponents:\n  a: { technology: api-service }\n",
    );
    write(
        dir.path(),
        "teams/b.yaml",
        "components:\n  b: { technology: postgresql }\nflows:\n  - a -> b\n",
    );
    let loaded = load_dir(dir.path());
    assert_eq!(codes(&loaded), Vec::<&str>::new());
    assert_eq!(loaded.model.components.len(), 3);
    assert_eq!(loaded.model.sources.files().count(), 3);
}

#[test]
fn duplicate_ids_across_files_point_at_both() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Multi }\ninclude: [other.yaml]\ncomponents:\n  a: { technology: browser }\n  b: { technology: api-service }\nflows:\n  - a -> b\n",
    );
    write(
        dir.path(),
        "other.yaml",
        "components:\n  b: { technology: postgresql }\n",
    );
    let loaded = load_dir(dir.path());
    assert_eq!(codes(&loaded), vec!["duplicate-id"]);
    insta::assert_snapshot!(rendered(&loaded, Some(dir.path())));
}

#[test]
fn include_cycle() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Cycle }\ninclude: [a.yaml]\n",
    );
    write(dir.path(), "a.yaml", "include: [b.yaml]\n");
    write(dir.path(), "b.yaml", "include: [a.yaml]\n");
    let loaded = load_dir(dir.path());
    assert_eq!(codes(&loaded), vec!["include-cycle"]);
    let text = rendered(&loaded, Some(dir.path()));
    assert!(
        text.contains("a.yaml ->") && text.contains("b.yaml ->"),
        "{text}"
    );
}

#[test]
fn include_of_itself_is_a_cycle() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Self }\ninclude: [threatforge.yaml]\n",
    );
    assert_eq!(codes(&load_dir(dir.path())), vec!["include-cycle"]);
}

#[test]
fn repeated_include_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Twice }\ninclude: [a.yaml, ./a.yaml]\n",
    );
    write(
        dir.path(),
        "a.yaml",
        "components:\n  a: { technology: browser }\n  b: { technology: api-service }\nflows:\n  - a -> b\n",
    );
    assert_eq!(codes(&load_dir(dir.path())), vec!["include-repeated"]);
}

#[test]
fn includes_may_not_leave_the_root() {
    let outer = tempfile::tempdir().expect("temp dir");
    let root = outer.path().join("model");
    write(outer.path(), "secret.yaml", "components: {}\n");
    write(
        &root,
        "threatforge.yaml",
        "system: { name: Escape }\ninclude: [../secret.yaml, /etc/passwd, ../../../../etc/hostname, ../missing.yaml]\n",
    );
    let loaded = load_dir(&root);
    assert_eq!(
        codes(&loaded),
        vec![
            "include-escape",
            "include-escape",
            "include-escape",
            "include-escape"
        ]
    );
    // Nothing outside the root was read.
    assert_eq!(loaded.model.sources.files().count(), 1);
    insta::assert_snapshot!(rendered(&loaded, Some(outer.path())));
}

#[test]
fn includes_nested_too_deep() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Deep }\ninclude: [f1.yaml]\n",
    );
    for i in 1..=4 {
        write(
            dir.path(),
            &format!("f{i}.yaml"),
            &format!("data: {{}}\ninclude: [f{}.yaml]\n", i + 1),
        );
    }
    write(dir.path(), "f5.yaml", "data: {}\n");
    let options = LoadOptions {
        limits: threatforge_model::Limits {
            max_include_depth: 3,
            ..Default::default()
        },
        root_dir: None,
    };
    let loaded = load(&dir.path().join("threatforge.yaml"), &options);
    assert_eq!(codes(&loaded), vec!["limit-exceeded"]);
    // The root and three levels of includes are read; the fourth level is not.
    assert_eq!(loaded.model.sources.files().count(), 4);
    insta::assert_snapshot!(rendered(&loaded, Some(dir.path())));
}

#[cfg(unix)]
#[test]
fn symlinks_pointing_out_of_the_root_are_refused() {
    let outer = tempfile::tempdir().expect("temp dir");
    let root = outer.path().join("model");
    write(outer.path(), "secret.yaml", "components: {}\n");
    write(
        &root,
        "threatforge.yaml",
        "system: { name: Link }\ninclude: [link.yaml]\n",
    );
    std::os::unix::fs::symlink(outer.path().join("secret.yaml"), root.join("link.yaml"))
        .expect("symlink");
    let loaded = load_dir(&root);
    assert_eq!(codes(&loaded), vec!["include-escape"]);
    assert_eq!(loaded.model.sources.files().count(), 1);
}

/// A missing file behind a link out of the root is refused as the present one would be, so
/// nothing tells what exists outside (no "did you mean" from a directory out there either).
#[cfg(unix)]
#[test]
fn a_missing_include_behind_a_link_out_of_the_root_is_an_escape() {
    let outer = tempfile::tempdir().expect("temp dir");
    let root = outer.path().join("model");
    write(
        outer.path(),
        "elsewhere/outside-name.yaml",
        "components: {}\n",
    );
    write(
        &root,
        "threatforge.yaml",
        "system: { name: Link }\ninclude: [link/outside-nam.yaml, link/../gone.yaml, dangling.yaml]\n",
    );
    std::os::unix::fs::symlink(outer.path().join("elsewhere"), root.join("link")).expect("symlink");
    std::os::unix::fs::symlink(
        outer.path().join("nothing/x.yaml"),
        root.join("dangling.yaml"),
    )
    .expect("symlink");
    let loaded = load_dir(&root);
    assert_eq!(
        codes(&loaded),
        vec!["include-escape", "include-escape", "include-escape"]
    );
    let text = rendered(&loaded, Some(outer.path()));
    assert!(!text.contains("outside-name"), "{text}");
}

/// The root model file itself is confined too: to the directory it is named in.
#[cfg(unix)]
#[test]
fn a_root_model_linked_out_of_its_directory_is_refused() {
    let outer = tempfile::tempdir().expect("temp dir");
    let root = outer.path().join("model");
    write(
        outer.path(),
        "secret.yaml",
        "system: { name: SECRET-TEXT }
",
    );
    std::fs::create_dir(&root).expect("mkdir");
    std::os::unix::fs::symlink(
        outer.path().join("secret.yaml"),
        root.join("threatforge.yaml"),
    )
    .expect("symlink");
    let loaded = load_dir(&root);
    assert_eq!(codes(&loaded), vec!["file-escape"]);
    assert_eq!(loaded.model.sources.files().count(), 0);
    let text = rendered(&loaded, Some(outer.path()));
    assert!(!text.contains("SECRET-TEXT"), "{text}");
    insta::assert_snapshot!(text);

    // A link to a regular file inside the root is fine.
    write(
        &root,
        "real.yaml",
        "system: { name: Real }
",
    );
    std::fs::remove_file(root.join("threatforge.yaml")).expect("remove");
    std::os::unix::fs::symlink("real.yaml", root.join("threatforge.yaml")).expect("symlink");
    let loaded = load_dir(&root);
    assert_eq!(codes(&loaded), Vec::<&str>::new());
    assert_eq!(
        loaded.model.system.as_ref().map(|s| s.name.as_str()),
        Some("Real")
    );
}

/// A FIFO would block the loader forever when opened; it is refused from its type alone.
#[cfg(unix)]
#[test]
fn a_fifo_include_is_refused_without_being_opened() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Pipe }\ninclude: [pipe.yaml, dir.yaml]\n",
    );
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe.yaml"))
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    std::fs::create_dir(dir.path().join("dir.yaml")).expect("mkdir");
    let loaded = load_dir(dir.path());
    assert_eq!(codes(&loaded), vec!["not-regular-file", "not-regular-file"]);
    insta::assert_snapshot!(rendered(&loaded, Some(dir.path())));
}

#[test]
fn include_not_found_suggests_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Missing }\ninclude: [paymnts.yaml]\n",
    );
    write(dir.path(), "payments.yaml", "data: {}\n");
    let loaded = load_dir(dir.path());
    assert_eq!(codes(&loaded), vec!["include-not-found"]);
    insta::assert_snapshot!(rendered(&loaded, Some(dir.path())));
}

#[test]
fn system_only_in_the_root() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Root }\ninclude: [a.yaml]\n",
    );
    write(dir.path(), "a.yaml", "system: { name: Other }\n");
    assert_eq!(codes(&load_dir(dir.path())), vec!["system-in-include"]);
}

#[test]
fn problems_in_several_files_are_all_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "threatforge.yaml",
        "system: { name: Root, bogus: 1 }\ninclude: [a.yaml, b.yaml]\n",
    );
    write(
        dir.path(),
        "a.yaml",
        "components: { a: { technology: nope } }\n",
    );
    write(dir.path(), "b.yaml", "components: [\n");
    let loaded = load_dir(dir.path());
    let mut found = codes(&loaded);
    found.sort();
    assert_eq!(
        found,
        vec![
            "isolated-component",
            "unknown-key",
            "unknown-technology",
            "yaml-syntax"
        ]
    );
}

#[test]
fn a_data_asset_may_share_its_store_s_id() {
    let text = format!(
        "{HEAD}data:\n  orders: {{ classification: confidential }}\ncomponents:\n  orders: {{ technology: postgresql, stores: [orders] }}\n  app: {{ technology: api-service }}\nflows:\n  - app -> orders: {{ data: [orders] }}\n"
    );
    assert_eq!(codes(&load_text(&text)), Vec::<&str>::new());
}

#[test]
fn decision_diagnostics() {
    let text = format!(
        "{HEAD}components:\n  a: {{ technology: browser, exposure: internet }}\n  b: {{ technology: web-application }}\nflows:\n  - a -> b: {{ protocol: https }}\ndecisions:\n  - {{ threat: xss:b, status: accepted }}\n  - {{ threat: xss:a, status: open, expires: 2026-02-30 }}\n  - {{ threat: nothing, status: in-progress, severity: low }}\n  - {{ threat: \"*:b\", status: open, cvss: CVSS:4.0/AV:X, justification: pentest }}\n  - {{ threat: x:y, status: open, severity: high, cvss: CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N, justification: both }}\n  - {{ threat: x:z, status: rejected }}\n"
    );
    insta::assert_snapshot!(check(
        &text,
        &[
            "missing-justification",
            "acceptance-without-expiry",
            "invalid-date",
            "expiry-without-acceptance",
            "invalid-selector",
            "missing-justification",
            "invalid-cvss",
            "conflicting-override",
            "invalid-value",
        ]
    ));
}

#[test]
fn manual_threat_with_unknown_element_and_control() {
    let text = format!(
        "{HEAD}components:
  portal: {{ technology: web-application }}
  db: {{ technology: postgresql }}
flows:
  - portal -> db
threats:
  portal:
    title: Session fixation
    element: protal
    stride: spoofing
    mitigations: [session-managment, mfa|client-certificate]
"
    );
    insta::assert_snapshot!(check(
        &text,
        &["unknown-reference", "unknown-control", "unknown-control"]
    ));
}

#[test]
fn manual_threat_needs_a_title_and_a_stride_category() {
    let text = format!(
        "{HEAD}threats:
  vendor-failure: {{ title: \" \", stride: denial-of-service }}
  lock-in: {{ title: Lock-in, stride: dos }}
"
    );
    insta::assert_snapshot!(check(&text, &["empty-title", "invalid-value"]));
}
