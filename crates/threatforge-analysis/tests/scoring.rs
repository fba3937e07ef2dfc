//! Scores worked by hand (docs/scoring.md), mitigation by controls, decisions and their expiry.

use threatforge_analysis::{Coverage, Options, RuleSet, Threat, analyze_with};
use threatforge_model::{DecisionStatus, LoadOptions, ThreatSeverity, load_str};

/// The example of docs/scoring.md.
fn clinic(portal_controls: &str, decisions: &str) -> String {
    format!(
        "system: {{ name: Clinic, criticality: high }}
data:
  records: {{ classification: secret, integrity: high, categories: [health] }}
components:
  patient: {{ technology: browser, exposure: internet }}
  portal: {{ technology: web-application, processes: [records], controls: [{portal_controls}] }}
  db: {{ technology: postgresql, stores: [records], controls: [encryption-at-rest] }}
flows:
  - patient -> portal: {{ protocol: https, data: [records] }}
  - portal -> db: {{ protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }}
{decisions}"
    )
}

fn analyze(text: &str, today: Option<&str>) -> threatforge_analysis::Analysis {
    let loaded = load_str(
        "clinic.yaml",
        text,
        &std::env::temp_dir(),
        &LoadOptions::default(),
    );
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    analyze_with(
        &loaded.model,
        &RuleSet::builtin(),
        &Options {
            today: today.map(str::to_owned),
            ..Default::default()
        },
    )
}

/// The threat with this id, or the rule's one threat for the model that has the element among
/// its members (`group: model`).
fn threat<'a>(analysis: &'a threatforge_analysis::Analysis, id: &str) -> &'a Threat {
    let (rule, element) = id.split_once(':').unwrap_or((id, ""));
    analysis
        .findings()
        .find(|t| t.id == id)
        .or_else(|| {
            analysis
                .findings()
                .find(|t| &*t.rule == rule && t.members.iter().any(|m| &*m.id == element))
        })
        .unwrap_or_else(|| panic!("no threat {id}"))
}

/// Whether a step of this factor (`authentication`, `exposure`, ...) moved the threat's score.
fn takes_step(threat: &Threat, factor: &str) -> bool {
    threat.factors.iter().any(|f| f.factor == factor)
}

/// The steps of this factor a threat took, with their reasons.
/// The model with one rule disabled: where a hop neither encrypts nor authenticates, the spoofing
/// threat absorbs the clear-text ones, so a test of one rule's own score turns the other off.
fn without(rule: &str, text: &str) -> String {
    format!("{text}rules:\n  disable: {{ {rule}: its own score is tested }}\n")
}

fn steps(threat: &Threat, factor: &str) -> Vec<(i8, String)> {
    threat
        .factors
        .iter()
        .filter(|f| f.factor == factor)
        .map(|f| (f.effect, f.reason.to_string()))
        .collect()
}

#[test]
fn the_worked_example_scores_as_computed_by_hand() {
    let analysis = analyze(&clinic("", ""), None);
    let sql = threat(&analysis, "sql-injection:portal");
    // Likelihood: the rule says medium (2); the portal is one unauthenticated flow from the
    // internet, so neither exposure nor authentication moves it.
    assert_eq!(sql.inherent.likelihood, 2);
    // Impact: the rule says high (3); the records are rated high for integrity (no change), the
    // system is of high criticality (no change), and the portal reaches a store of secret data (+1).
    assert_eq!(sql.inherent.impact, 4);
    assert_eq!(sql.inherent.score, 8);
    assert_eq!(sql.inherent.severity, ThreatSeverity::High);
    let factors: Vec<(&str, &str, i8)> = sql
        .factors
        .iter()
        .map(|f| (f.on, f.factor, f.effect))
        .collect();
    assert_eq!(
        factors,
        vec![
            ("likelihood", "rule", 0),
            ("impact", "rule", 0),
            ("impact", "blast radius", 1)
        ]
    );
    assert_eq!(sql.mitigation.coverage, Coverage::None);
    assert_eq!(sql.residual, sql.inherent);
    assert_eq!(sql.status, DecisionStatus::Open);
    assert_eq!(
        sql.mitigation.missing().collect::<Vec<_>>(),
        ["parameterized-queries"]
    );
}

#[test]
fn authentication_on_every_path_lowers_likelihood() {
    let text = clinic("", "").replace(
        "{ protocol: https, data",
        "{ protocol: https, authentication: credentials, data",
    );
    let analysis = analyze(&text, None);
    let sql = threat(&analysis, "sql-injection:portal");
    assert_eq!(sql.inherent.likelihood, 1);
    assert!(
        sql.factors
            .iter()
            .any(|f| f.factor == "authentication" && f.effect == -1)
    );
}

/// Text of a back office whose staff sign in to the console with a password from the office
/// (`clerk`, inside) and from outside through a VPN gateway (`remote`).
fn back_office(remote: &str) -> String {
    format!(
        "system: {{ name: backoffice }}
data:
  orders: {{ classification: confidential, integrity: high }}
components:
  remote: {remote}
  clerk: {{ technology: browser, exposure: internal }}
  vpn: {{ technology: vpn-gateway, exposure: internet, controls: [mfa] }}
  console: {{ technology: admin-console, processes: [orders] }}
  db: {{ technology: postgresql, stores: [orders] }}
flows:
  - remote -> vpn: {{ protocol: tls, authentication: credentials, data: [orders] }}
  - vpn -> console: {{ protocol: https, authentication: credentials, authorization: user, data: [orders] }}
  - clerk -> console: {{ protocol: https, authentication: credentials, authorization: user, data: [orders] }}
  - console -> db: {{ protocol: postgres-tls, authentication: credentials, data: [orders], returns: [orders] }}
"
    )
}

/// Behind a VPN gateway that asks for a second factor, an attack on the console's own accounts
/// (a phished or guessed password) takes two steps down: the password alone no longer gets there.
/// An attack through its pages or its queries takes the one step of any login on the way.
#[test]
fn a_second_factor_on_every_way_in_lowers_attacks_on_accounts_once_more() {
    let text = back_office("{ technology: browser, exposure: internet }");
    let authentication = |analysis: &threatforge_analysis::Analysis, id: &str| {
        steps(threat(analysis, id), "authentication")
    };
    let analysis = analyze(&text, None);
    let past = "every path from an untrusted zone to `console` authenticates, past a second \
                factor at `vpn`";
    let through = "every path from an untrusted zone to `console` authenticates";
    assert_eq!(
        authentication(&analysis, "missing-second-factor:console"),
        [(-2, past.to_owned())]
    );
    assert_eq!(
        authentication(&analysis, "sql-injection:console"),
        [(-1, through.to_owned())]
    );
    // Without the second factor at the gateway, the account attack takes the one step too.
    let analysis = analyze(&text.replace("controls: [mfa]", "controls: []"), None);
    assert_eq!(
        authentication(&analysis, "missing-second-factor:console"),
        [(-1, through.to_owned())]
    );
}

/// A third party's staff pass the VPN's second factor with accounts of their own, so the paths
/// in are not kept free of outsiders and take no authentication step; a password phished from
/// the team's staff still needs the second factor before it is any use.
#[test]
fn a_second_factor_outsiders_pass_with_their_own_accounts_is_one_step_for_attacks_on_accounts() {
    let text =
        back_office("{ technology: desktop-app, exposure: internet, traits: [third-party] }");
    let analysis = analyze(&text, None);
    assert_eq!(
        steps(
            threat(&analysis, "missing-second-factor:console"),
            "authentication"
        ),
        [(
            -1,
            "every path from an untrusted zone to `console` passes a second factor at `vpn`: a \
             stolen password is of use only to those who pass it with accounts of their own"
                .to_owned()
        )]
    );
    // The third party's requests themselves pass as the team's would: no step for a login.
    assert_eq!(
        steps(
            threat(&analysis, "cross-site-scripting:console"),
            "authentication"
        ),
        []
    );
    let analysis = analyze(&text.replace("controls: [mfa]", "controls: []"), None);
    assert_eq!(
        steps(
            threat(&analysis, "missing-second-factor:console"),
            "authentication"
        ),
        []
    );
}

#[test]
fn partial_mitigation_lowers_likelihood_and_names_what_is_missing() {
    let analysis = analyze(&clinic("content-security-policy", ""), None);
    let xss = threat(&analysis, "cross-site-scripting:portal");
    assert_eq!(xss.mitigation.coverage, Coverage::Partial);
    assert_eq!(
        xss.mitigation.in_place().collect::<Vec<_>>(),
        ["content-security-policy"]
    );
    assert_eq!(
        xss.mitigation.missing().collect::<Vec<_>>(),
        ["output-encoding"]
    );
    assert_eq!(xss.inherent.score, 6);
    assert_eq!(
        (
            xss.residual.likelihood,
            xss.residual.impact,
            xss.residual.score
        ),
        (1, 3, 3)
    );
    assert_eq!(xss.residual.severity, ThreatSeverity::Low);
    assert!(xss.is_open());
    // Validating input is no defense of its own against SQL injection: it leaves it as it was.
    let analysis = analyze(&clinic("input-validation", ""), None);
    let sql = threat(&analysis, "sql-injection:portal");
    assert_eq!(sql.mitigation.coverage, Coverage::None);
    assert_eq!(sql.residual, sql.inherent);
}

/// A checkout that charges cards at two providers: card testing's members are the two flows the
/// cards go out on, and a control on each of them is in place for the threat.
fn checkout(first: &str, second: &str) -> String {
    format!(
        "system: {{ name: shop }}
data:
  card: {{ classification: secret, categories: [payment] }}
components:
  shopper: {{ technology: browser, exposure: internet }}
  checkout: {{ technology: web-application, processes: [card] }}
  psp: {{ technology: payment-provider, exposure: internet }}
  backup-psp: {{ technology: payment-provider, exposure: internet }}
flows:
  - shopper -> checkout: {{ protocol: https, authentication: session, data: [card] }}
  - checkout -> psp: {{ protocol: https, authentication: api-key, data: [card], controls: [{first}] }}
  - checkout -> backup-psp: {{ protocol: https, authentication: api-key, data: [card], controls: [{second}] }}
"
    )
}

#[test]
fn a_control_on_every_member_flow_is_in_place_for_the_threat() {
    let in_place = |text: &str| {
        let analysis = analyze(text, None);
        let threat = threat(&analysis, "card-testing:checkout");
        (
            threat.mitigation.coverage,
            threat
                .mitigation
                .in_place()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        in_place(&checkout("rate-limiting", "rate-limiting, tls")),
        (Coverage::Partial, vec!["rate-limiting".to_owned()])
    );
    // One way out without it: the cards can be tried there.
    assert_eq!(
        in_place(&checkout("rate-limiting", "tls")),
        (Coverage::None, Vec::new())
    );
}

/// A catalogue in a less trusted zone next to the payment service on one cluster; the two
/// arguments are the controls each workload declares.
fn shared_cluster(catalogue: &str, payments: &str) -> String {
    format!(
        "system: {{ name: shop }}
data:
  card: {{ classification: secret, categories: [payment] }}
  products: {{ classification: public }}
boundaries:
  app-zone: {{ kind: network, trust: medium, contains: [catalogue] }}
  pci-zone: {{ kind: network, trust: high, contains: [payments] }}
components:
  catalogue: {{ technology: api-service, processes: [products], controls: [{catalogue}] }}
  payments: {{ technology: api-service, processes: [card], controls: [{payments}] }}
flows:
  - catalogue -> payments: {{ protocol: grpc-tls, authentication: client-certificate, data: [card], returns: [products] }}
runtimes:
  cluster: {{ kind: cluster, runs: [catalogue, payments] }}
"
    )
}

#[test]
fn a_control_every_workload_declares_is_in_place_for_its_runtime() {
    let in_place = |text: &str| {
        let analysis = analyze(text, None);
        let threat = threat(&analysis, "mixed-targets-on-shared-runtime:cluster");
        threat
            .mitigation
            .in_place()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        in_place(&shared_cluster(
            "container-hardening, sast",
            "container-hardening"
        )),
        ["container-hardening"]
    );
    // One workload without it: the nodes are not hardened where the other runs.
    assert!(in_place(&shared_cluster("container-hardening", "sast")).is_empty());
}

#[test]
fn full_mitigation_closes_the_threat_and_says_by_which_controls() {
    let analysis = analyze(&clinic("parameterized-queries", ""), None);
    let sql = threat(&analysis, "sql-injection:portal");
    assert_eq!(sql.mitigation.coverage, Coverage::Full);
    assert_eq!(sql.status, DecisionStatus::Mitigated);
    assert!(!sql.is_open());
    assert_eq!(
        sql.reason.as_deref(),
        Some("mitigated by parameterized-queries")
    );
    assert_eq!(sql.residual.likelihood, 1);
    // The encrypted database: its at-rest threat is mitigated too.
    let at_rest = threat(&analysis, "unencrypted-sensitive-data-at-rest:db");
    assert_eq!(at_rest.status, DecisionStatus::Mitigated);
}

#[test]
fn every_decision_status_applies() {
    for (status, open) in [
        ("open", true),
        ("in-progress", true),
        ("mitigated", false),
        ("accepted", false),
        ("false-positive", false),
        ("not-applicable", false),
    ] {
        let decisions = format!(
            "decisions:\n  - {{ threat: sql-injection:portal, status: {status}, owner: team-portal, justification: reviewed, ticket: SEC-1, date: 2026-11-01{} }}\n",
            if status == "accepted" {
                ", expires: 2027-01-01"
            } else {
                ""
            }
        );
        let analysis = analyze(&clinic("", &decisions), Some("2026-11-28"));
        let sql = threat(&analysis, "sql-injection:portal");
        assert_eq!(sql.status.as_str(), status);
        assert_eq!(sql.is_open(), open, "{status}");
        let decision = sql.decision.as_ref().expect("decision recorded");
        assert_eq!(decision.owner.as_deref(), Some("team-portal"));
        assert_eq!(decision.ticket.as_deref(), Some("SEC-1"));
        assert!(
            analysis.diagnostics.is_empty(),
            "{:?}",
            analysis.diagnostics
        );
    }
}

#[test]
fn an_expired_acceptance_reopens_its_threat_with_a_warning() {
    let decisions = "decisions:\n  - { threat: sql-injection:portal, status: accepted, justification: legacy, expires: 2026-01-31 }\n";
    let on_the_day = analyze(&clinic("", decisions), Some("2026-01-31"));
    assert_eq!(
        threat(&on_the_day, "sql-injection:portal").status,
        DecisionStatus::Accepted
    );
    assert!(on_the_day.diagnostics.is_empty());
    let after = analyze(&clinic("", decisions), Some("2026-02-01"));
    let sql = threat(&after, "sql-injection:portal");
    assert_eq!(sql.status, DecisionStatus::Open);
    assert!(sql.decision.as_ref().is_some_and(|d| d.expired));
    let codes: Vec<&str> = after.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["expired-acceptance"]);
}

#[test]
fn wildcards_select_several_threats_and_the_most_specific_decision_wins() {
    let decisions = "decisions:
  - { threat: \"*:portal\", status: in-progress }
  - { threat: sql-injection:portal, status: false-positive, justification: no SQL is built from input }
";
    let analysis = analyze(&clinic("", decisions), None);
    assert_eq!(
        threat(&analysis, "sql-injection:portal").status,
        DecisionStatus::FalsePositive
    );
    let others: Vec<&Threat> = analysis
        .findings()
        .filter(|t| &*t.element.id == "portal" && &*t.rule != "sql-injection")
        .collect();
    assert!(!others.is_empty());
    assert!(
        others
            .iter()
            .all(|t| t.status == DecisionStatus::InProgress)
    );
}

#[test]
fn a_decision_that_matches_nothing_is_orphaned_without_failing() {
    let decisions = "decisions:\n  - { threat: sql-injection:gone, status: in-progress }\n";
    let analysis = analyze(&clinic("", decisions), None);
    let codes: Vec<&str> = analysis.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["orphaned-decision"]);
    assert!(analysis.diagnostics.iter().all(|d| !d.is_error()));
}

#[test]
fn ratings_can_be_overridden_with_a_justification() {
    let decisions = "decisions:
  - { threat: sql-injection:portal, status: open, severity: low, justification: only internal staff reach the portal }
  - threat: cross-site-scripting:portal
    status: open
    cvss: CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N
    justification: scored by the pentest team
";
    let analysis = analyze(&clinic("", decisions), None);
    let sql = threat(&analysis, "sql-injection:portal");
    assert_eq!(sql.severity(), ThreatSeverity::Low);
    assert_eq!(sql.inherent.severity, ThreatSeverity::High);
    let xss = threat(&analysis, "cross-site-scripting:portal");
    let rating = xss.rating_override.as_ref().expect("override");
    assert_eq!(rating.cvss_score, Some(9.3));
    assert_eq!(xss.severity(), ThreatSeverity::Critical);
}

fn with_manual_threats(portal_controls: &str, decisions: &str) -> String {
    clinic(portal_controls, "")
        + &format!(
            "threats:
  portal-session-fixation:
    title: Session fixation on the portal
    description: >
      The portal keeps the session id
      it was given before login.
    element: portal
    stride: spoofing
    likelihood: high
    impact: very-high
    mitigations: [session-management, mfa|sso]
    cwe: [384]
  records-resale:
    title: An insider sells patient records
    element: records
    stride: information-disclosure
    linddun: data-disclosure
  vendor-lock-in:
    title: The hosting vendor goes out of business
    stride: denial-of-service
    likelihood: low
{decisions}"
        )
}

#[test]
fn manual_threats_are_scored_as_the_team_rates_them() {
    let analysis = analyze(&with_manual_threats("", ""), None);
    let fixation = threat(&analysis, "manual:portal-session-fixation");
    assert_eq!(&*fixation.rule, "manual");
    assert_eq!(&*fixation.element.id, "portal");
    assert_eq!(
        fixation.element.kind,
        threatforge_analysis::Element::Component
    );
    // high (3) x very high (4) = 12: high (critical is very high on both); the model's exposure
    // does not move it.
    assert_eq!(
        (fixation.inherent.likelihood, fixation.inherent.impact),
        (3, 4)
    );
    assert_eq!(fixation.inherent.severity, ThreatSeverity::High);
    assert_eq!(fixation.status, DecisionStatus::Open);
    assert_eq!(
        &*fixation.explanation,
        "The portal keeps the session id it was given before login."
    );
    assert!(
        fixation
            .factors
            .iter()
            .all(|f| f.factor == "team" && f.effect == 0)
    );
    assert_eq!(&*fixation.cwe, &[384]);
    assert_eq!(
        fixation.mitigation.missing().collect::<Vec<_>>(),
        ["session-management", "mfa|sso"]
    );

    // Defaults: medium x medium = 4, medium; on a data asset; without an element, the model.
    let resale = threat(&analysis, "manual:records-resale");
    assert_eq!(resale.element.kind, threatforge_analysis::Element::Data);
    assert_eq!(resale.residual.score, 4);
    assert_eq!(
        resale.linddun,
        Some(threatforge_analysis::Linddun::DataDisclosure)
    );
    let vendor = threat(&analysis, "manual:vendor-lock-in");
    assert_eq!(vendor.element.kind, threatforge_analysis::Element::Model);
    assert_eq!(vendor.residual.severity, ThreatSeverity::Low);
}

#[test]
fn controls_mitigate_manual_threats_fully_or_in_part() {
    let partial = analyze(&with_manual_threats("session-management", ""), None);
    let t = threat(&partial, "manual:portal-session-fixation");
    assert_eq!(t.mitigation.coverage, Coverage::Partial);
    assert_eq!(t.residual.likelihood, 2);
    assert_eq!(t.status, DecisionStatus::Open);

    let full = analyze(&with_manual_threats("session-management, mfa", ""), None);
    let t = threat(&full, "manual:portal-session-fixation");
    assert_eq!(t.mitigation.coverage, Coverage::Full);
    assert_eq!(t.status, DecisionStatus::Mitigated);
    assert_eq!(t.residual.likelihood, 1);
    assert_eq!(
        t.reason.as_deref(),
        Some("mitigated by session-management, mfa")
    );
}

#[test]
fn decisions_select_manual_threats_by_their_id() {
    let decisions = "decisions:
  - threat: manual:vendor-lock-in
    status: accepted
    justification: two vendors are contracted
  - threat: manual:records-*
    status: in-progress
    ticket: SEC-9
";
    let analysis = analyze(&with_manual_threats("", decisions), None);
    assert_eq!(
        threat(&analysis, "manual:vendor-lock-in").status,
        DecisionStatus::Accepted
    );
    assert_eq!(
        threat(&analysis, "manual:records-resale").status,
        DecisionStatus::InProgress
    );
    assert!(
        analysis
            .diagnostics
            .iter()
            .all(|d| d.code != "orphaned-decision"),
        "{:?}",
        analysis.diagnostics
    );
}

/// An internet-facing API returning `class` data of `integrity` to anyone, with five services
/// behind it.
fn open_api(class: &str, integrity: &str) -> String {
    format!(
        "system: {{ name: t }}
data:
  d: {{ classification: {class}, integrity: {integrity} }}
components:
  visitor: {{ technology: browser, exposure: internet }}
  api: {{ technology: api-service, exposure: internet, processes: [d] }}
  s1: {{ technology: api-service }}
  s2: {{ technology: api-service }}
  s3: {{ technology: api-service }}
  s4: {{ technology: api-service }}
  s5: {{ technology: api-service }}
flows:
  - visitor -> api: {{ protocol: https, data: [d], returns: [d] }}
  - api -> s1: {{ protocol: https, authentication: token }}
  - api -> s2: {{ protocol: https, authentication: token }}
  - api -> s3: {{ protocol: https, authentication: token }}
  - api -> s4: {{ protocol: https, authentication: token }}
  - api -> s5: {{ protocol: https, authentication: token }}
"
    )
}

fn ceiling(threat: &Threat) -> Option<i8> {
    threat
        .factors
        .iter()
        .find(|f| f.factor == "ceiling")
        .map(|f| f.effect)
}

#[test]
fn critical_is_an_outsider_with_nothing_in_the_way_to_something_secret() {
    // Anyone on the internet reads the data: very high likelihood. Secret data: very high impact.
    let secret = analyze(&open_api("secret", "high"), None);
    let open = threat(
        &secret,
        "unauthenticated-internet-access-to-sensitive-data:api",
    );
    assert_eq!((open.inherent.likelihood, open.inherent.impact), (4, 4));
    assert_eq!(open.inherent.severity, ThreatSeverity::Critical);
    assert_eq!(ceiling(open), None);

    // The same exposure of confidential data is high: five services downstream widen the harm
    // (blast radius), but nothing secret or production-controlling is at stake.
    let confidential = analyze(&open_api("confidential", "high"), None);
    let open = threat(
        &confidential,
        "unauthenticated-internet-access-to-sensitive-data:api",
    );
    assert!(open.factors.iter().any(|f| f.factor == "blast radius"));
    assert_eq!(ceiling(open), Some(-1));
    assert_eq!((open.inherent.likelihood, open.inherent.impact), (4, 3));
    assert_eq!(open.inherent.score, 12);
    assert_eq!(open.inherent.severity, ThreatSeverity::High);
}

#[test]
fn a_weakness_that_is_not_an_attack_stays_within_its_rules_band() {
    // No monitoring on an internet-facing API whose data is of critical integrity: the rule caps
    // its band at medium, however exposed and critical the element.
    let analysis = analyze(&open_api("secret", "critical"), None);
    let gap = threat(&analysis, "internet-facing-monitoring-gap:api");
    assert_eq!(gap.inherent.likelihood, 4);
    assert_eq!(gap.inherent.severity, ThreatSeverity::Medium);
    // Impact medium (2) + critical integrity would be 3 (a gap in what is recorded gives no
    // foothold, so the services downstream do not count); at likelihood 4 only impact 1 keeps
    // the score (4) medium.
    assert_eq!(gap.inherent.impact, 1);
    assert_eq!(ceiling(gap), Some(-2));
    assert!(!gap.factors.iter().any(|f| f.factor == "blast radius"));
    let reason = gap
        .factors
        .iter()
        .find(|f| f.factor == "ceiling")
        .map(|f| f.reason.to_string())
        .unwrap_or_default();
    assert!(reason.contains("medium at most"), "{reason}");
}

#[test]
fn a_privacy_threat_gains_nothing_from_the_stores_behind_it() {
    // What the design does with personal data (a LINDDUN category) is no foothold either.
    let analysis = analyze(&clinic("", ""), None);
    let privacy: Vec<&Threat> = analysis
        .findings()
        .filter(|t| t.linddun.is_some())
        .collect();
    assert!(!privacy.is_empty());
    for t in privacy {
        assert!(
            !t.factors.iter().any(|f| f.factor == "blast radius"),
            "{}",
            t.id
        );
    }
}

#[test]
fn a_denial_of_service_gains_nothing_from_the_stores_behind_it() {
    // The portal reaches a store of secret data: a foothold there (SQL injection) counts it, a
    // flood of the portal does not.
    let analysis = analyze(&clinic("", ""), None);
    let blast = |t: &Threat| t.factors.iter().any(|f| f.factor == "blast radius");
    assert!(blast(threat(&analysis, "sql-injection:portal")));
    let dos = analysis
        .findings()
        .filter(|t| t.stride == threatforge_analysis::Stride::DenialOfService)
        .collect::<Vec<_>>();
    assert!(!dos.is_empty());
    for t in dos {
        assert!(!blast(t), "{}", t.id);
        assert!(
            t.inherent.impact <= 3,
            "{}: secret data is not at stake",
            t.id
        );
    }
}

#[test]
fn who_is_on_a_flows_network_path_does_not_pass_its_authentication() {
    // An internal hop in cleartext behind an authenticated entry: the callers' logins keep
    // outsiders from calling the portal, not from reading or changing traffic on the hop.
    let text = "system: { name: t }
data:
  records: { classification: confidential, integrity: high }
components:
  patient: { technology: browser, exposure: internet }
  portal: { technology: web-application, processes: [records] }
  api: { technology: api-service, processes: [records] }
flows:
  - patient -> portal: { protocol: https, authentication: session, data: [records] }
  - portal -> api: { protocol: http, authentication: token, data: [records] }
";
    let analysis = analyze(text, None);
    let on_hop: Vec<&Threat> = analysis
        .findings()
        .filter(|t| &*t.element.id == "portal->api")
        .collect();
    let auth = |t: &Threat| t.factors.iter().any(|f| f.factor == "authentication");
    let transport: Vec<_> = on_hop
        .iter()
        .filter(|t| {
            matches!(
                t.stride,
                threatforge_analysis::Stride::InformationDisclosure
                    | threatforge_analysis::Stride::Tampering
                    | threatforge_analysis::Stride::Spoofing
            )
        })
        .collect();
    assert!(!transport.is_empty(), "{on_hop:?}");
    assert!(transport.iter().all(|t| !auth(t)));
}

#[test]
fn a_request_forgery_to_the_metadata_service_keeps_its_impact_without_data_of_its_own() {
    let text = "system: { name: saas }
components:
  receivers: { technology: external-service, exposure: internet }
  dispatcher: { technology: webhook-handler }
flows:
  - dispatcher -> receivers: { protocol: https }
runtimes:
  nodes: { kind: cluster, runs: [dispatcher] }
";
    let analysis = analyze(text, None);
    let ssrf = threat(&analysis, "cloud-metadata-ssrf:dispatcher");
    // The workload's cloud credentials are at stake whatever the dispatcher handles.
    assert_eq!(ssrf.inherent.impact, 4, "{:?}", ssrf.factors);
    assert!(!ssrf.factors.iter().any(|f| f.factor == "ceiling"));
    // And the tenants' URLs it follows are untrusted input: it is not out of reach.
    assert!(
        !ssrf
            .factors
            .iter()
            .any(|f| f.factor == "exposure" && f.effect < 0)
    );
}

#[test]
fn a_privacy_gap_stays_at_most_medium_when_it_absorbs_profile_linking() {
    // The analytics SDK links profiles (third-party-profile-linking, rated likely) and is the
    // same sharing: the merged threat keeps the privacy calibration's ceiling.
    let text = "system: { name: bank }
data:
  usage: { classification: confidential, categories: [personal, behavioral], quantity: very-many }
components:
  customer-app: { technology: mobile-app, exposure: internet }
  analytics: { technology: external-service, exposure: internet }
flows:
  - customer-app -> analytics: { protocol: https, authentication: api-key, data: [usage] }
";
    let analysis = analyze(text, None);
    let shared = threat(
        &analysis,
        "personal-data-shared-with-third-party:customer-app->analytics",
    );
    assert!(
        shared.residual.severity <= ThreatSeverity::Medium,
        "{:?} {:?}",
        shared.residual,
        shared.absorbed
    );
}

/// A failure (`failure: true`) takes no exposure or authentication step: a lost instance or an
/// operator's mistake does not come over the network. An attack on the same store does.
#[test]
fn a_failure_keeps_the_rules_likelihood_whatever_reaches_the_element() {
    let text = "system: { name: Shop, criticality: critical }
data:
  orders: { classification: confidential, availability: critical }
components:
  shopper: { technology: browser, exposure: internet }
  app: { technology: api-service, exposure: internet, processes: [orders] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - shopper -> app: { protocol: https, authentication: session, data: [orders] }
  - app -> db: { protocol: postgres-tls, authentication: credentials, data: [orders], returns: [orders] }
";
    let analysis = analyze(text, None);
    let moved_by_path = |t: &Threat| {
        t.factors
            .iter()
            .any(|f| f.factor == "authentication" || f.factor == "exposure")
    };
    for id in ["single-point-of-failure:db", "stored-data-loss:db"] {
        let t = threat(&analysis, id);
        assert!(!moved_by_path(t), "{id}: {:?}", t.factors);
        assert!(
            t.factors
                .iter()
                .any(|f| f.reason.contains("failure's likelihood")),
            "{id}: {:?}",
            t.factors
        );
    }
    assert_eq!(
        threat(&analysis, "single-point-of-failure:db")
            .inherent
            .likelihood,
        2
    );
    // An attack on the same store is reached over the app's login: the step applies.
    let attacks: Vec<&Threat> = analysis
        .findings()
        .filter(|t| {
            &*t.element.id == "db"
                && !matches!(&*t.rule, "single-point-of-failure" | "stored-data-loss")
        })
        .collect();
    assert!(attacks.iter().any(|t| moved_by_path(t)), "{attacks:?}");
}

/// Partners' shipments reach a label renderer through a gateway and a service that calls it with
/// its own certificate; staff sending the same through a VPN are the near miss.
fn labels(sender: &str, auth: &str) -> String {
    format!(
        "system: {{ name: Parcels }}
data:
  shipment: {{ classification: confidential, categories: [personal] }}
components:
  sender: {{ technology: {sender}, exposure: internet }}
  gateway: {{ technology: api-gateway }}
  shipments: {{ technology: api-service, processes: [shipment] }}
  renderer: {{ technology: report-generator, processes: [shipment] }}
flows:
  - sender -> gateway: {{ protocol: https, authentication: {auth}, data: [shipment] }}
  - gateway -> shipments: {{ protocol: https, authentication: {auth}, data: [shipment] }}
  - shipments -> renderer: {{ protocol: grpc-tls, authentication: client-certificate, data: [shipment] }}
"
    )
}

#[test]
fn content_from_unvetted_parties_rides_past_the_logins_of_the_services_that_carry_it() {
    let has_authentication_step = |text: &str| {
        let analysis = analyze(text, None);
        takes_step(
            threat(&analysis, "xml-external-entity:renderer"),
            "authentication",
        )
    };
    // A partner's API key keeps no partner out, and the service hands the partner's shipment on.
    assert!(!has_authentication_step(&labels(
        "partner-system",
        "api-key"
    )));
    // The team's own people behind their logins: the shipment they type is not an outsider's.
    assert!(has_authentication_step(&labels("browser", "credentials")));
}

/// Shoppers write reviews that a service stores; staff read them back in a console that no
/// untrusted zone reaches. Who writes the reviews is the near miss's knob.
fn reviews(writer: &str) -> String {
    format!(
        "system: {{ name: Shop }}
data:
  review: {{ classification: internal }}
components:
  writer: {{ technology: {writer} }}
  reviews: {{ technology: api-service, processes: [review] }}
  db: {{ technology: postgresql, stores: [review] }}
  staff: {{ technology: browser }}
  console: {{ technology: web-application, processes: [review] }}
flows:
  - writer -> reviews: {{ protocol: https, data: [review] }}
  - reviews -> db: {{ protocol: postgres-tls, authentication: credentials, data: [review] }}
  - console -> db: {{ protocol: postgres-tls, authentication: credentials, readonly: true, returns: [review] }}
  - staff -> console: {{ protocol: https, authentication: session, readonly: true, returns: [review] }}
"
    )
}

#[test]
fn a_stored_script_reaches_pages_however_far_they_are_from_its_writer() {
    let shoppers = reviews("browser, exposure: internet");
    let analysis = analyze(&shoppers, None);
    let xss = threat(&analysis, "cross-site-scripting:console");
    // The console is out of every outsider's reach, but what shoppers wrote is on its pages.
    assert!(!takes_step(xss, "exposure"), "{:?}", xss.factors);
    assert!(!takes_step(xss, "authentication"), "{:?}", xss.factors);
    // A parser's attack (`in_content`) is not read back from the database: the same console,
    // were it an XML parser, would be out of reach.
    let parser = shoppers.replace(
        "console: { technology: web-application, processes: [review] }",
        "console: { technology: web-application, processes: [review], traits: [parses-xml] }",
    );
    let analysis = analyze(&parser, None);
    let xxe = threat(&analysis, "xml-external-entity:console");
    assert!(takes_step(xxe, "exposure"), "{:?}", xxe.factors);
    // A browser on the team's own network writes them: nobody unvetted does, and the console's
    // distance from every untrusted zone counts again.
    let analysis = analyze(&reviews("browser"), None);
    let xss = threat(&analysis, "cross-site-scripting:console");
    assert!(takes_step(xss, "exposure"), "{:?}", xss.factors);
}

#[test]
fn what_the_design_does_with_peoples_data_takes_no_exposure_step() {
    // The store's special-category threat, which takes the retention limit in where it fires,
    // is disabled: the retention rule is scored on its own.
    let text = clinic(
        "",
        "rules:\n  disable: { special-category-data-disclosure: scored apart }\n",
    )
    .replace(
        "{ protocol: https, data",
        "{ protocol: https, authentication: credentials, data",
    );
    let analysis = analyze(&text, None);
    let retention = analysis
        .findings()
        .find(|t| &*t.rule == "personal-data-retention")
        .expect("records are kept with no retention limit");
    let likelihood: Vec<&str> = retention
        .factors
        .iter()
        .filter(|f| f.on == "likelihood")
        .map(|f| f.factor)
        .collect();
    assert_eq!(likelihood, ["rule"], "{:?}", retention.factors);
    // The SQL injection on the same path still takes the step the login gives.
    assert!(takes_step(
        threat(&analysis, "sql-injection:portal"),
        "authentication"
    ));
}

#[test]
fn a_callers_attack_takes_no_authentication_step() {
    let text = "system: { name: Shop }
data:
  orders: { classification: confidential, integrity: high }
components:
  shopper: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [orders] }
  billing: { technology: api-service, processes: [orders] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - shopper -> web: { protocol: https, authentication: credentials, data: [orders] }
  - web -> billing: { protocol: https, authentication: token, data: [orders] }
  - web -> db: { protocol: postgres-tls, authentication: credentials, data: [orders] }
  - billing -> db: { protocol: postgres-tls, authentication: credentials, data: [orders] }
";
    let analysis = analyze(text, None);
    let has_authentication_step = |id: &str| takes_step(threat(&analysis, id), "authentication");
    // The writer that corrupts the others' records holds its own database login.
    assert!(!has_authentication_step("shared-datastore-write-access:db"));
    // An outsider's injection into the web application still meets the shopper's login.
    assert!(has_authentication_step("sql-injection:web"));
}

#[test]
fn a_secret_read_where_it_is_kept_takes_no_exposure_step() {
    let text = "system: { name: Bank }
data:
  ledger-password: { classification: secret, categories: [credential] }
  payment: { classification: confidential, integrity: critical }
components:
  customer: { technology: mobile-app, exposure: internet }
  payments: { technology: api-service, processes: [payment] }
  adapter: { technology: api-service, processes: [payment, ledger-password] }
  ledger: { technology: external-service, processes: [payment] }
flows:
  - customer -> payments: { protocol: https, authentication: token, data: [payment] }
  - payments -> adapter: { protocol: grpc-tls, authentication: client-certificate, data: [payment] }
  - adapter -> ledger: { protocol: https, authentication: credentials, data: [payment, ledger-password] }
";
    let analysis = analyze(text, None);
    let likelihood: Vec<&str> = threat(&analysis, "static-secrets-without-vault:adapter")
        .factors
        .iter()
        .filter(|f| f.on == "likelihood")
        .map(|f| f.factor)
        .collect();
    assert_eq!(likelihood, ["rule"]);
    // The adapter itself is three flows in and behind logins: a threat that comes over the
    // network to it takes those steps.
    let network: Vec<&str> = analysis
        .findings()
        .filter(|t| &*t.element.id == "adapter" && &*t.rule != "static-secrets-without-vault")
        .flat_map(|t| t.factors.iter().map(|f| f.factor))
        .collect();
    assert!(network.contains(&"authentication"), "{network:?}");
}

/// A user asking a front end that calls on with its own identity (`by_caller`) has their request
/// carried to the backend: how many services it passes takes no step off; a backend no outsider's
/// request reaches keeps its step down.
#[test]
fn a_caller_s_request_is_carried_however_far_but_not_where_none_reaches() {
    let model = |entry: &str| {
        format!(
            "system: {{ name: shop }}
data:
  orders: {{ classification: confidential, categories: [personal] }}
components:
  shopper: {{ technology: browser, exposure: internet }}
  staff: {{ technology: user }}
  edge: {{ technology: api-gateway }}
  bff: {{ technology: web-application, processes: [orders] }}
  agent: {{ technology: api-service, processes: [orders] }}
  orders: {{ technology: api-service, processes: [orders] }}
flows:
  - {entry} -> edge: {{ protocol: https, authentication: session }}
  - edge -> bff: {{ protocol: https, authentication: session }}
  - bff -> agent: {{ protocol: https, authentication: token, authorization: user }}
  - agent -> orders: {{ protocol: https, authentication: token, authorization: service, returns: [orders] }}
"
        )
    };
    let exposure = |analysis: &threatforge_analysis::Analysis| -> Vec<i8> {
        steps(
            threat(analysis, "missing-identity-propagation:agent->orders"),
            "exposure",
        )
        .into_iter()
        .map(|(effect, _)| effect)
        .collect()
    };
    let from_internet = analyze(&model("shopper"), None);
    assert_eq!(exposure(&from_internet), Vec::<i8>::new());
    let from_staff = analyze(&model("staff"), None);
    assert_eq!(exposure(&from_staff), [-1]);
}

/// A build runner on a shared cluster runs whatever code its builds bring: the first step of an
/// attack through the cluster needs no exploit. A web front one hop from the internet is a way
/// in too, but one an attacker must break first.
#[test]
fn a_workload_running_others_code_raises_the_likelihood_of_its_runtime_s_threats() {
    let with_runner = "system: { name: shop }
data:
  cards: { classification: confidential }
components:
  runner: { technology: build-agent }
  payments: { technology: api-service, processes: [cards] }
runtimes:
  tools: { kind: cluster, runs: [runner, payments] }
";
    let analysis = analyze(with_runner, None);
    let shared = threat(&analysis, "mixed-targets-on-shared-runtime:tools");
    let foothold = steps(shared, "foothold");
    assert_eq!(foothold.len(), 1, "{:?}", shared.factors);
    assert_eq!(foothold[0].0, 1);
    assert!(foothold[0].1.contains("`runner`"), "{}", foothold[0].1);

    let with_web_front = "system: { name: shop }
data:
  cards: { classification: confidential }
  page: { classification: public }
components:
  visitor: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [page] }
  payments: { technology: api-service, processes: [cards] }
flows:
  - visitor -> web: { protocol: https, readonly: true, returns: [page] }
runtimes:
  tools: { kind: cluster, runs: [web, payments] }
";
    let analysis = analyze(with_web_front, None);
    let shared = threat(&analysis, "mixed-targets-on-shared-runtime:tools");
    assert!(!takes_step(shared, "foothold"), "{:?}", shared.factors);
}

/// A forged caller reaches a target that listens on the internet from there, whatever the wire
/// between caller and target; an eavesdropper on the same hop still needs the team's network.
#[test]
fn a_forged_caller_takes_the_reach_of_a_target_that_listens_on_the_internet() {
    let model = |caller: &str| {
        format!(
            "system: {{ name: Telemetry }}\n\
             data:\n  readings: {{ classification: confidential, integrity: high }}\n\
             components:\n\
             \x20 terminal: {{ technology: {caller}, processes: [readings] }}\n\
             \x20 shore-api: {{ technology: api-service, exposure: internet, processes: [readings] }}\n\
             flows:\n\
             \x20 - terminal -> shore-api: {{ protocol: http, data: [readings] }}\n"
        )
    };
    let analysis = analyze(&model("backend-service"), None);
    let spoofing = threat(
        &analysis,
        "caller-spoofing-on-unauthenticated-flow:terminal->shore-api",
    );
    assert_eq!(
        steps(spoofing, "exposure"),
        [(
            1,
            "`shore-api` listens on the internet: anyone there can send it requests in the caller's name"
                .to_owned()
        )]
    );
    let alone = analyze(
        &without(
            "caller-spoofing-on-unauthenticated-flow",
            &model("backend-service"),
        ),
        None,
    );
    let reading = threat(
        &alone,
        "cleartext-sensitive-data-in-transit:terminal->shore-api",
    );
    assert!(
        steps(reading, "exposure")
            .iter()
            .all(|(effect, why)| *effect == -1 && why.contains("position on the team's network")),
        "{:?}",
        steps(reading, "exposure")
    );
}

/// A forged caller of a target that outsiders reach through the team's services needs one of
/// those services, not a tap on the wire: no step down; where nothing from outside reaches the
/// target, the position on the team's network is still to be had.
#[test]
fn a_forged_caller_of_a_target_reached_through_services_needs_no_tap() {
    let model = |api_exposure: &str| {
        format!(
            "system: {{ name: Tokens }}\n\
             data:\n  tokens: {{ classification: secret, categories: [credential] }}\n\
             components:\n\
             \x20 app: {{ technology: mobile-app }}\n\
             \x20 api: {{ technology: api-service, exposure: {api_exposure}, processes: [tokens] }}\n\
             \x20 cache: {{ technology: redis, stores: [tokens] }}\n\
             flows:\n\
             \x20 - app -> api: {{ protocol: https, authentication: token, data: [tokens] }}\n\
             \x20 - api -> cache: {{ protocol: redis-tls, data: [tokens], returns: [tokens] }}\n"
        )
    };
    let reached = analyze(&model("internet"), None);
    let spoofing = threat(
        &reached,
        "caller-spoofing-on-unauthenticated-flow:api->cache",
    );
    let exposure = steps(spoofing, "exposure");
    assert!(
        exposure.len() == 1
            && exposure[0].0 == 0
            && exposure[0].1.contains("through the team's services"),
        "{exposure:?}"
    );
    assert_eq!(spoofing.inherent.likelihood, 2);
    let internal = analyze(
        &model("internal").replace(
            "technology: mobile-app",
            "technology: desktop-app, exposure: internal",
        ),
        None,
    );
    let spoofing = threat(
        &internal,
        "caller-spoofing-on-unauthenticated-flow:api->cache",
    );
    assert!(
        steps(spoofing, "exposure")
            .iter()
            .all(|(effect, _)| *effect == -1),
        "{:?}",
        steps(spoofing, "exposure")
    );
}

#[test]
fn what_drives_equipment_is_at_stake_beyond_its_data() {
    // The controller's set-points are confidential and of ordinary integrity: by its data alone
    // a forged command would stop at high impact. It drives the line's valves.
    let text = "system: { name: plant }
data:
  setpoints: { classification: confidential }
boundaries:
  plant: { kind: network, trust: high, contains: [hmi, line-controller] }
components:
  hmi: { technology: backend-service, processes: [setpoints] }
  line-controller: { technology: plc, processes: [setpoints] }
flows:
  - hmi -> line-controller: { protocol: tcp, data: [setpoints] }
";
    let analysis = analyze(text, None);
    let forged = threat(
        &analysis,
        "caller-spoofing-on-unauthenticated-flow:hmi->line-controller",
    );
    assert!(takes_step(forged, "physical process"), "{forged:?}");
    assert_eq!(forged.inherent.impact, 4);
    assert_eq!(ceiling(forged), None);
    // Reading the set-points off the wire discloses them, no more: their rating decides.
    let alone = analyze(
        &without("caller-spoofing-on-unauthenticated-flow", text),
        None,
    );
    let read = threat(
        &alone,
        "cleartext-sensitive-data-in-transit:hmi->line-controller",
    );
    assert!(!takes_step(read, "physical process"), "{read:?}");
    assert!(read.inherent.impact <= 3);

    // The same flow into a backend service moves nothing physical.
    let office = analyze(
        &text.replace("technology: plc", "technology: backend-service"),
        None,
    );
    let forged = threat(
        &office,
        "caller-spoofing-on-unauthenticated-flow:hmi->line-controller",
    );
    assert!(!takes_step(forged, "physical process"), "{forged:?}");
    assert!(forged.inherent.impact <= 3);
}

/// A flow that names no protocol is taken as unencrypted by the transport rules, one step less
/// likely than one that names a clear-text protocol: the encryption is assumed, not declared.
#[test]
fn an_unencrypted_wire_that_is_only_assumed_is_a_step_less_likely() {
    let model = |protocol: &str| {
        format!(
            "system: {{ name: Orders }}\n\
             data:\n  orders: {{ classification: confidential }}\n\
             components:\n\
             \x20 app: {{ technology: partner-system, exposure: internet, processes: [orders] }}\n\
             \x20 ledger: {{ technology: backend-service, processes: [orders] }}\n\
             flows:\n\
             \x20 - app -> ledger: {{ {protocol}data: [orders] }}\n"
        )
    };
    let declared = analyze(&model("protocol: http, "), None);
    let declared = threat(&declared, "cleartext-sensitive-data-in-transit:app->ledger");
    assert!(!takes_step(declared, "assumption"), "{declared:?}");
    let assumed = analyze(&model(""), None);
    let assumed = threat(&assumed, "cleartext-sensitive-data-in-transit:app->ledger");
    assert_eq!(steps(assumed, "assumption").len(), 1, "{assumed:?}");
    assert!(
        steps(assumed, "assumption")[0]
            .1
            .contains("declaring its `protocol`")
    );
    // The wire comes from a partner on the internet: likely (3) where declared clear text.
    assert_eq!(declared.inherent.likelihood, 3, "{declared:?}");
    assert_eq!(assumed.inherent.likelihood, 2, "{assumed:?}");
}

#[test]
fn a_forged_caller_of_a_flow_that_only_reads_gets_what_it_returns_and_no_foothold() {
    // The scanner asks the radiology system for its worklist; behind the radiology system lies a
    // store of secret data. Forging the scanner's call that writes (it sends studies) is a way
    // in that goes further; forging the one that only reads gets the worklist.
    let model = |readonly: bool| {
        format!(
            "system: {{ name: hospital }}
data:
  worklist: {{ classification: confidential }}
  records: {{ classification: secret }}
boundaries:
  modalities: {{ kind: network, trust: medium, contains: [scanner] }}
  datacenter: {{ kind: network, trust: high, contains: [ris, db] }}
components:
  scanner: {{ technology: iot-device, kind: process }}
  ris: {{ technology: backend-service, processes: [worklist, records] }}
  db: {{ technology: postgresql, stores: [records] }}
flows:
  - scanner -> ris: {{ protocol: tcp, readonly: {readonly}, data: [worklist], returns: [worklist] }}
  - ris -> db: {{ protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }}
"
        )
    };
    let id = "caller-spoofing-on-unauthenticated-flow:scanner->ris";
    let alone = |readonly| without("cleartext-sensitive-data-in-transit", &model(readonly));
    let reads = analyze(&alone(true), None);
    let read = threat(&reads, id);
    assert!(!takes_step(read, "blast radius"), "{:?}", read.factors);
    assert_eq!(read.inherent.impact, 3);
    let writes = analyze(&alone(false), None);
    let write = threat(&writes, id);
    assert!(takes_step(write, "blast radius"), "{:?}", write.factors);
    assert_eq!(write.inherent.impact, 4);
}

/// `likelihood_when`: SMS codes sent by the component that also writes where money goes
/// (payees, withdrawal addresses) are rated a step likelier, and the factor says why.
#[test]
fn sms_codes_that_guard_money_movement_are_rated_likelier() {
    let bank = |payees: &str| {
        format!(
            "system: {{ name: bank }}
data:
  pin: {{ classification: secret, categories: [credential] }}
  otp: {{ name: SMS codes, classification: secret, categories: [credential] }}
  payees: {{ classification: confidential, integrity: {payees}, categories: [financial] }}
components:
  app: {{ technology: mobile-app, exposure: internet }}
  auth: {{ technology: api-service, processes: [pin, otp, payees] }}
  db: {{ technology: postgresql, stores: [payees] }}
  sms: {{ name: SMS gateway, technology: external-service, exposure: internet }}
flows:
  - app -> auth: {{ protocol: https, authentication: credentials, data: [pin, otp, payees] }}
  - auth -> db: {{ protocol: postgres-tls, authentication: credentials, data: [payees] }}
  - auth -> sms: {{ protocol: https, authentication: api-key, data: [otp] }}
"
        )
    };
    let rated = |integrity: &str| {
        let analysis = analyze(&bank(integrity), None);
        let t = threat(&analysis, "sms-one-time-codes:auth");
        let reason = t
            .factors
            .iter()
            .find(|f| f.on == "likelihood" && f.factor == "rule")
            .map(|f| f.reason.to_string())
            .unwrap_or_default();
        (t.inherent.likelihood, reason)
    };
    let (money, why) = rated("critical");
    let (plain, plain_why) = rated("high");
    assert_eq!(money, plain + 1, "{why} / {plain_why}");
    assert!(
        why.starts_with("the rule rates the attack's likelihood medium where the component"),
        "{why}"
    );
    assert_eq!(plain_why, "the rule rates the attack's likelihood low");
}

/// `max_severity_when`: a static key is a checklist line capped at medium, except where it alone
/// has the team's own service create value (a grant of currency); there the ceiling is high and
/// the same key to a vendor's payment API keeps its cap, which its factor names.
#[test]
fn a_static_key_that_mints_value_is_not_capped_at_medium() {
    let analysis = analyze(
        "system: { name: game }
data:
  grants: { name: Currency grants, classification: internal, integrity: critical, categories: [financial] }
  payments: { classification: secret, integrity: critical, categories: [payment] }
components:
  servers: { technology: api-service, processes: [grants, payments], criticality: critical, exposure: internet }
  economy: { technology: api-service, processes: [grants], criticality: critical }
  psp: { technology: payment-provider, exposure: internet, criticality: critical }
flows:
  - servers -> economy: { protocol: https, authentication: api-key, data: [grants] }
  - servers -> psp: { protocol: https, authentication: api-key, data: [payments] }
",
        None,
    );
    let minted = threat(&analysis, "long-lived-api-key:servers->economy");
    let vendor = threat(&analysis, "long-lived-api-key:servers->psp");
    assert_eq!(minted.inherent.severity, ThreatSeverity::High);
    assert!(minted.factors.iter().all(|f| f.factor != "ceiling"));
    assert_eq!(vendor.inherent.severity, ThreatSeverity::Medium);
    let ceiling = vendor
        .factors
        .iter()
        .find(|f| f.factor == "ceiling")
        .map(|f| f.reason.to_string())
        .unwrap_or_default();
    assert!(
        ceiling.starts_with("the rule rates this weakness medium at most"),
        "{ceiling}"
    );
}
