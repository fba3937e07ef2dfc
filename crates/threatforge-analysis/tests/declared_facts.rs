//! No open threat contradicts a control or fact the model declares. Each case is one an expert
//! review found the engine getting wrong: the rule fired although the model said why it should
//! not (issue "Threats a security architect would sign").

use std::path::Path;

use threatforge_analysis::{Analysis, RuleSet, Threat, analyze};
use threatforge_model::{LoadOptions, load_str};

fn analyzed(yaml: &str) -> Analysis {
    let loaded = load_str("m.yaml", yaml, Path::new("."), &LoadOptions::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let analysis = analyze(&loaded.model, &RuleSet::builtin());
    assert!(
        analysis.rule_diagnostics.is_empty(),
        "{:?}",
        analysis.rule_diagnostics
    );
    analysis
}

fn threat<'a>(analysis: &'a Analysis, id: &str) -> Option<&'a Threat> {
    analysis.threats.iter().find(|t| t.id == *id)
}

/// The threat is not found, or found and closed by the controls in place.
fn not_open(analysis: &Analysis, id: &str) {
    if let Some(t) = threat(analysis, id) {
        assert!(
            !t.is_open(),
            "{id} is open: {} (missing: {:?})",
            t.explanation,
            t.mitigation.missing().collect::<Vec<_>>()
        );
    }
}

fn open(analysis: &Analysis, id: &str) {
    let t = threat(analysis, id).unwrap_or_else(|| panic!("{id} is not found"));
    assert!(t.is_open(), "{id} is {:?}", t.status);
}

const STOREFRONT: &str = "system: { name: shop, criticality: high }
data:
  customer: { classification: confidential, categories: [personal] }
components:
  shopper: { technology: browser, exposure: internet }
  cdn: { technology: cdn, controls: [CONTROLS] }
  storefront: { technology: web-application, processes: [customer] }
flows:
  - shopper -> cdn: { protocol: https, data: [customer] }
  - cdn -> storefront: { protocol: https, data: [customer] }
";

#[test]
fn security_headers_on_the_cdn_in_front_protect_the_storefront() {
    let without = analyzed(&STOREFRONT.replace("CONTROLS", "hardening"));
    open(&without, "clickjacking:storefront");
    let with =
        analyzed(&STOREFRONT.replace("CONTROLS", "security-headers, content-security-policy"));
    let t = threat(&with, "clickjacking:storefront").expect("found, and mitigated");
    assert!(!t.is_open(), "{:?}", t.status);
    assert!(
        t.explanation
            .contains("`security-headers` is in place on `cdn`, which fronts it."),
        "the explanation names the control and where it is: {}",
        t.explanation
    );
}

#[test]
fn a_route_around_the_cdn_leaves_the_storefront_unprotected() {
    let bypass = format!(
        "{}  - shopper -> storefront: {{ protocol: https, data: [customer] }}\n",
        STOREFRONT.replace("CONTROLS", "security-headers, content-security-policy")
    );
    open(&analyzed(&bypass), "clickjacking:storefront");
}

#[test]
fn a_signed_webhook_is_an_authenticated_caller() {
    let model = "system: { name: shop }
data:
  payment: { classification: confidential, integrity: critical }
components:
  psp: { technology: payment-provider, exposure: internet }
  hooks: { technology: webhook-handler, processes: [payment] }
  db: { technology: postgresql, stores: [payment] }
flows:
  - psp -> hooks: { protocol: https, data: [payment], controls: [CONTROLS] }
  - hooks -> db: { protocol: postgres-tls, authentication: credentials, data: [payment] }
";
    let unsigned = analyzed(&model.replace("CONTROLS", "ip-allowlist"));
    open(
        &unsigned,
        "unauthenticated-internet-access-to-sensitive-data:hooks",
    );
    let signed = analyzed(&model.replace("CONTROLS", "message-signing, ip-allowlist"));
    not_open(
        &signed,
        "unauthenticated-internet-access-to-sensitive-data:hooks",
    );
    not_open(
        &signed,
        "caller-spoofing-on-unauthenticated-flow:psp->hooks",
    );
}

#[test]
fn container_hardening_is_hardening() {
    let model = "system: { name: jobs, criticality: critical }
data:
  orders: { classification: confidential }
components:
  worker: { technology: worker, criticality: critical, processes: [orders], controls: [CONTROLS] }
  db: { technology: postgresql, stores: [orders], controls: [hardening, patch-management] }
flows:
  - worker -> db: { protocol: postgres-tls, authentication: credentials, data: [orders] }
";
    open(
        &analyzed(&model.replace("CONTROLS", "patch-management")),
        "missing-hardening:worker",
    );
    not_open(
        &analyzed(&model.replace("CONTROLS", "container-hardening, patch-management")),
        "missing-hardening:worker",
    );
}

#[test]
fn managed_services_get_no_server_hardening_threat() {
    let model = "system: { name: exports, criticality: high }
data:
  exports: { classification: confidential }
components:
  job: { technology: serverless-function, processes: [exports] }
  bucket: { technology: object-storage, stores: [exports], controls: [encryption-at-rest] }
  queue: { technology: message-queue, traits: [managed], stores: [exports] }
flows:
  - job -> bucket: { protocol: https, authentication: token, data: [exports] }
  - job -> queue: { protocol: https, authentication: token, data: [exports] }
";
    let analysis = analyzed(model);
    for element in ["job", "bucket", "queue"] {
        assert!(
            threat(&analysis, &format!("missing-hardening:{element}")).is_none(),
            "{element} is managed"
        );
    }
}

#[test]
fn branch_protection_and_review_control_writes_to_a_repository() {
    let model = "system: { name: code }
data:
  source: { classification: internal, integrity: critical }
components:
  developer: { technology: user, exposure: internet }
  repo: { technology: source-repository, stores: [source], controls: [CONTROLS] }
flows:
  - developer -> repo: { protocol: https, authentication: token, data: [source] }
";
    let id = "stored-data-tampering-from-less-trusted-zone:repo";
    open(&analyzed(&model.replace("CONTROLS", "secret-scanning")), id);
    not_open(
        &analyzed(&model.replace("CONTROLS", "branch-protection, code-review")),
        id,
    );
}

#[test]
fn ci_secrets_are_not_password_logins() {
    let model = "system: { name: ci }
data:
  ci-secrets: { classification: secret, categories: [credential] }
  password: { classification: secret, categories: [credential] }
components:
  github: { technology: external-service, exposure: internet }
  maintainer: { technology: browser, exposure: internet }
  agent: { technology: build-agent, processes: [ci-secrets] }
flows:
  - github -> agent: { protocol: https, authentication: token, data: [ci-secrets] }
";
    let id = "credential-stuffing-and-brute-force:agent";
    assert!(threat(&analyzed(model), id).is_none());
    let with_login =
        format!("{model}  - maintainer -> agent: {{ protocol: https, data: [password] }}\n");
    open(&analyzed(&with_login), id);
}
