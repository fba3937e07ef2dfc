//! Exposure that is true (docs/scoring.md, docs/language.md "What out of scope means"): the
//! internet stays when the actors standing for it are out of scope, data sent to an out-of-scope
//! service still leaves, an untrusted boundary's members are untrusted sources, forwarders do
//! not put distance between the internet and what they front, and accounts anyone can get do
//! not lower likelihood.

use threatforge_analysis::{Analysis, Element, RuleSet, Stride, Threat, analyze};
use threatforge_model::{Linddun, LoadOptions, load_str};

fn analysis_of(text: &str) -> Analysis {
    let loaded = load_str(
        "m.yaml",
        text,
        &std::env::temp_dir(),
        &LoadOptions::default(),
    );
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let analysis = analyze(&loaded.model, &RuleSet::builtin());
    let errors: Vec<_> = analysis
        .rule_diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    analysis
}

/// The findings scored on `element`: its own, and those of a rule grouped for the model whose
/// members include it (scored as their most severe member). A component's threat that names the
/// flows into it as members is scored on the component, not on them.
fn on<'a>(analysis: &'a Analysis, element: &str) -> Vec<&'a Threat> {
    analysis
        .findings()
        .filter(|t| {
            &*t.element.id == element
                || (t.element.kind == Element::Model && t.elements().any(|e| &*e.id == element))
        })
        .collect()
}

/// Whether the analysis has the threat of this id, on its own or among the members of its rule's
/// threat grouped for the model.
fn finds(analysis: &Analysis, id: &str) -> bool {
    let (rule, element) = id.split_once(':').unwrap_or((id, ""));
    analysis
        .findings()
        .any(|t| t.id == *id || (&*t.rule == rule && t.members.iter().any(|m| &*m.id == element)))
}

fn has_factor(threat: &Threat, reason: &str) -> bool {
    threat.factors.iter().any(|f| f.reason.contains(reason))
}

const UNREACHABLE: &str = "is not reachable from any untrusted zone";

/// The public, out of scope, in front of a load balancer and the app behind it.
fn fronted(visitor: &str) -> String {
    format!(
        "system: {{ name: t }}
data:
  orders: {{ classification: confidential, integrity: high, categories: [personal] }}
components:
  visitor: {{ technology: browser, exposure: internet{visitor} }}
  lb: {{ technology: load-balancer }}
  app: {{ technology: web-application, processes: [orders] }}
  db: {{ technology: postgresql, stores: [orders] }}
flows:
  - visitor -> lb: {{ protocol: http, data: [orders] }}
  - lb -> app: {{ protocol: https, data: [orders] }}
  - app -> db: {{ protocol: postgres-tls, authentication: credentials, data: [orders] }}
"
    )
}

#[test]
fn an_out_of_scope_internet_actor_in_front_of_a_load_balancer_makes_the_app_reachable() {
    let in_scope = analysis_of(&fronted(""));
    let out_of_scope = analysis_of(&fronted(", out_of_scope: The public"));
    for analysis in [&in_scope, &out_of_scope] {
        let app = on(analysis, "app");
        assert!(!app.is_empty());
        for threat in app.iter().chain(&on(analysis, "lb")) {
            assert!(!has_factor(threat, UNREACHABLE), "{}", threat.id);
        }
        // The balancer is called by the internet, whoever models the caller.
        assert!(finds(analysis, "dos-of-internet-facing-service:lb"));
        // Its flow is assessed: the balancer's end is in scope.
        assert!(
            analysis
                .findings()
                .any(|t| t.id == "cleartext-sensitive-data-in-transit:visitor->lb"),
        );
    }
    // No threat is about the inside of the out-of-scope visitor.
    assert!(on(&out_of_scope, "visitor").is_empty());
    // Out of scope changes nothing else about the app's threats.
    let scores = |analysis: &Analysis| -> Vec<(String, u8)> {
        on(analysis, "app")
            .iter()
            .map(|t| (t.id.to_string(), t.residual.score))
            .collect()
    };
    assert_eq!(scores(&in_scope), scores(&out_of_scope));
}

#[test]
fn a_flow_to_an_out_of_scope_saas_still_carries_personal_data_out() {
    let analysis = analysis_of(
        "system: { name: t }
data:
  customer: { classification: confidential, categories: [personal] }
components:
  sync: { technology: worker, processes: [customer] }
  crm: { technology: saas, exposure: internet, out_of_scope: Vendor-assessed (VR-12) }
  mailer: { technology: api-service, processes: [customer], out_of_scope: Team mail's model }
flows:
  - sync -> crm: { protocol: http, authentication: api-key, data: [customer] }
  - sync -> mailer: { protocol: grpc-tls, data: [customer] }
",
    );
    let ids: Vec<String> = analysis.findings().map(|t| t.id.to_string()).collect();
    let has = |id: &str| finds(&analysis, id);
    // The data leaves, over a hop the system owns.
    assert!(
        has("personal-data-shared-with-third-party:sync->crm"),
        "{ids:?}"
    );
    // Cleartext on the hop: its own threat, or part of the credentials one (the same root cause).
    assert!(
        analysis.findings().any(|t| &*t.element.id == "sync->crm"
            && (&*t.rule == "cleartext-sensitive-data-in-transit"
                || t.absorbed
                    .iter()
                    .any(|r| &**r == "cleartext-sensitive-data-in-transit"))),
        "{ids:?}"
    );
    assert!(has("long-lived-api-key:sync->crm"), "{ids:?}");
    // How the out-of-scope receivers authenticate their callers is theirs to assess, as is
    // everything inside them.
    assert!(
        !has("caller-spoofing-on-unauthenticated-flow:sync->mailer"),
        "{ids:?}"
    );
    assert!(on(&analysis, "crm").is_empty() && on(&analysis, "mailer").is_empty());
    // The worker sees its flows to them.
    assert!(!on(&analysis, "sync").is_empty());
}

#[test]
fn an_internet_boundary_makes_its_members_untrusted() {
    let analysis = analysis_of(
        "system: { name: t }
data:
  orders: { classification: confidential, integrity: high }
components:
  partner: { technology: partner-system }
  api: { technology: api-service, processes: [orders] }
flows:
  - partner -> api: { protocol: https, authentication: api-key, data: [orders] }
boundaries:
  public-net: { name: The internet, kind: network, trust: untrusted, contains: [partner] }
  backend: { kind: network, trust: high, contains: [api] }
",
    );
    let api = on(&analysis, "api");
    assert!(!api.is_empty());
    for threat in &api {
        assert!(!has_factor(threat, UNREACHABLE), "{}", threat.id);
        // The partner's key identifies it, and keeps no attacker out.
        assert!(
            threat.factors.iter().all(|f| f.factor != "authentication"),
            "{}",
            threat.id
        );
    }
    let flow = on(&analysis, "partner->api");
    assert!(!flow.is_empty());
    for threat in flow {
        // Transport threats (a replay) say where the wire runs; the others who reaches the flow.
        assert!(
            has_factor(
                threat,
                "is reachable from the internet or an untrusted zone directly"
            ) || has_factor(threat, "crosses a network outsiders share"),
            "{}",
            threat.id
        );
    }
}

#[test]
fn a_chain_of_forwarders_puts_no_distance_between_the_internet_and_the_app() {
    let analysis = analysis_of(
        "system: { name: t }
data:
  orders: { classification: confidential, integrity: high }
components:
  internet-user: { technology: browser, exposure: internet, out_of_scope: The public }
  cdn: { technology: cdn }
  lb: { technology: load-balancer }
  app: { technology: web-application, processes: [orders] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - internet-user -> cdn: { protocol: https, data: [orders] }
  - cdn -> lb: { protocol: https, data: [orders] }
  - lb -> app: { protocol: https, data: [orders] }
  - app -> db: { protocol: postgres-tls, authentication: credentials, data: [orders] }
",
    );
    let app = on(&analysis, "app");
    assert!(!app.is_empty());
    for threat in app {
        assert!(
            threat.factors.iter().all(|f| f.factor != "exposure"),
            "{}: one hop from the internet, neither direct nor far",
            threat.id
        );
    }
}

/// A shop whose storefront calls the order service with the shopper's token.
fn shop(shopper_traits: &str) -> String {
    format!(
        "system: {{ name: t }}
data:
  order: {{ classification: confidential, integrity: high, categories: [personal] }}
components:
  shopper: {{ technology: browser, exposure: internet, traits: [{shopper_traits}] }}
  storefront: {{ technology: web-application, processes: [order] }}
  orders: {{ technology: api-service, processes: [order] }}
flows:
  - shopper -> storefront: {{ protocol: https, authentication: session, data: [order] }}
  - storefront -> orders: {{ protocol: grpc, authentication: token, authorization: user, data: [order] }}
"
    )
}

#[test]
fn a_sign_up_anyone_can_use_does_not_lower_likelihood() {
    let staff = analysis_of(&shop(""));
    let public = analysis_of(&shop("open-sign-up"));
    for element in ["storefront", "orders", "storefront->orders"] {
        let closed = on(&staff, element);
        let open = on(&public, element);
        assert!(!closed.is_empty(), "{element}");
        assert_eq!(closed.len(), open.len(), "{element}");
        for (c, o) in closed.iter().zip(&open) {
            assert_eq!(c.id, o.id);
            // Who reads, changes or forges traffic on a flow is on its network path, where the
            // callers' authentication does not stand in the way, staff logins or not; and
            // spoofing the storefront, whose own login is the first the shopper meets, is an
            // attack on that login (docs/scoring.md).
            if (element.contains("->")
                && matches!(
                    c.stride,
                    Stride::InformationDisclosure | Stride::Tampering | Stride::Spoofing
                ))
                || (element == "storefront" && c.stride == Stride::Spoofing)
                // What the design does with people's data involves no attacker to keep out.
                || matches!(
                    c.linddun,
                    Some(Linddun::NonCompliance | Linddun::Unawareness)
                )
            {
                assert!(!has_factor(c, "authenticates") && !has_factor(o, "authenticates"));
                continue;
            }
            assert!(
                has_factor(c, "authenticates"),
                "{}: staff logins keep outsiders out",
                c.id
            );
            assert!(!has_factor(o, "authenticates"), "{}", o.id);
            assert_eq!(
                o.inherent.likelihood,
                (c.inherent.likelihood + 1).min(4),
                "{}",
                o.id
            );
        }
    }
}

/// A job that pulls files from a partner's server with its own credential, and writes what it
/// parsed into the team's database.
fn importer(partner: &str) -> String {
    format!(
        "system: {{ name: t }}
data:
  feed: {{ classification: internal, integrity: high }}
components:
  partner: {{ technology: {partner}, exposure: internet }}
  importer: {{ technology: batch-job, traits: [parses-xml] }}
  db: {{ technology: postgresql, stores: [feed] }}
flows:
  - importer -> partner: {{ protocol: sftp, authentication: credentials, readonly: true, returns: [feed] }}
  - importer -> db: {{ protocol: postgres-tls, authentication: credentials, data: [feed] }}
"
    )
}

#[test]
fn data_pulled_from_a_third_party_is_untrusted_input() {
    let analysis = analysis_of(&importer("partner-system"));
    let xxe = on(&analysis, "importer")
        .into_iter()
        .find(|t| &*t.rule == "xml-external-entity")
        .expect("the importer parses the partner's XML");
    // Neither unreachable nor behind authentication: the credential is the importer's own, and
    // the files are the partner's (or whoever broke into its server).
    assert!(!has_factor(xxe, UNREACHABLE), "{:?}", xxe.factors);
    assert!(!has_factor(xxe, "authenticates"), "{:?}", xxe.factors);
    assert_eq!(xxe.inherent.likelihood, 2);
}

#[test]
fn answers_of_the_teams_own_internet_facing_service_are_its_own_output() {
    // The importer polls the team's own internet-facing API: what comes back is what the team's
    // code wrote, so nothing of the internet arrives through the answer.
    let analysis = analysis_of(&importer("api-service"));
    let xxe = on(&analysis, "importer")
        .into_iter()
        .find(|t| &*t.rule == "xml-external-entity")
        .expect("the importer parses XML");
    assert!(has_factor(xxe, UNREACHABLE), "{:?}", xxe.factors);
}
