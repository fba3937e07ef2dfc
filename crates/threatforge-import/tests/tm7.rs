//! The Microsoft Threat Modeling Tool importer on a small `.tm7` of our own in the tool's
//! DataContract shape, and on hostile XML (entity bombs, DOCTYPE, deep nesting, size).

mod support;

use std::path::Path;

use proptest::prelude::*;
use threatforge_import::{Format, Options, detect, import};
use threatforge_model::DecisionStatus;

fn prop(kind: &str, display: &str, value: &str) -> String {
    format!(
        r#"<a:anyType i:type="b:{kind}" xmlns:b="urn:kb"><b:DisplayName>{display}</b:DisplayName><b:Name/><b:Value>{value}</b:Value></a:anyType>"#
    )
}

fn header(display: &str) -> String {
    format!(
        r#"<a:anyType i:type="b:HeaderDisplayAttribute" xmlns:b="urn:kb"><b:DisplayName>{display}</b:DisplayName><b:Name/><b:Value i:nil="true"/></a:anyType>"#
    )
}

fn border(
    guid: &str,
    kind: &str,
    generic: &str,
    type_id: &str,
    props: &str,
    geo: (i32, i32, i32, i32),
) -> String {
    format!(
        r#"<a:KeyValueOfguidanyType><a:Key>{guid}</a:Key><a:Value i:type="{kind}"><GenericTypeId>{generic}</GenericTypeId><Guid>{guid}</Guid><Properties>{props}</Properties><TypeId>{type_id}</TypeId><Height>{}</Height><Left>{}</Left><Top>{}</Top><Width>{}</Width></a:Value></a:KeyValueOfguidanyType>"#,
        geo.3, geo.0, geo.1, geo.2
    )
}

fn connector(
    guid: &str,
    name: &str,
    header_name: &str,
    source: &str,
    target: &str,
    handle: (i32, i32),
) -> String {
    format!(
        r#"<a:KeyValueOfguidanyType><a:Key>{guid}</a:Key><a:Value i:type="Connector"><GenericTypeId>GE.DF</GenericTypeId><Guid>{guid}</Guid><Properties>{}{}</Properties><TypeId>SE.DF.TMCore.{header_name}</TypeId><HandleX>{}</HandleX><HandleY>{}</HandleY><SourceGuid>{source}</SourceGuid><TargetGuid>{target}</TargetGuid></a:Value></a:KeyValueOfguidanyType>"#,
        header(header_name),
        prop("StringDisplayAttribute", "Name", name),
        handle.0,
        handle.1
    )
}

fn threat(
    key: &str,
    type_id: &str,
    flow: &str,
    state: &str,
    category: &str,
    priority: &str,
    info: &str,
) -> String {
    format!(
        r#"<a:KeyValueOfstringThreatpc_P0_PhOB><a:Key>{key}</a:Key><a:Value><b:FlowGuid>{flow}</b:FlowGuid><b:Id>1</b:Id><b:Priority>{priority}</b:Priority><b:Properties><a:KeyValueOfstringstring><a:Key>Title</a:Key><a:Value>Threat {key} on &lt;flow&gt;</a:Value></a:KeyValueOfstringstring><a:KeyValueOfstringstring><a:Key>UserThreatCategory</a:Key><a:Value>{category}</a:Value></a:KeyValueOfstringstring><a:KeyValueOfstringstring><a:Key>UserThreatDescription</a:Key><a:Value>Described &amp; explained.</a:Value></a:KeyValueOfstringstring><a:KeyValueOfstringstring><a:Key>PossibleMitigations</a:Key><a:Value>Use TLS. Refer: &lt;a href="https://aka.ms/x"&gt;https://aka.ms/x&lt;/a&gt;</a:Value></a:KeyValueOfstringstring><a:KeyValueOfstringstring><a:Key>Priority</a:Key><a:Value>{priority}</a:Value></a:KeyValueOfstringstring></b:Properties><b:State>{state}</b:State>{info}<b:TypeId>{type_id}</b:TypeId></a:Value></a:KeyValueOfstringThreatpc_P0_PhOB>"#
    )
}

fn sample() -> String {
    let name = |n: &str| prop("StringDisplayAttribute", "Name", n);
    let borders = [
        border(
            "b1",
            "BorderBoundary",
            "GE.TB.B",
            "SE.TB.TMCore.AzureTrustBoundary",
            &format!(
                "{}{}",
                header("Azure Trust Boundary"),
                name("Payments cloud")
            ),
            (300, 0, 500, 400),
        ),
        border(
            "b2",
            "BorderBoundary",
            "GE.TB.B",
            "GE.TB.B",
            &format!(
                "{}{}",
                header("Generic Trust Border Boundary"),
                name("Internet")
            ),
            (0, 0, 250, 400),
        ),
        border(
            "s1",
            "StencilRectangle",
            "GE.EI",
            "SE.EI.TMCore.Browser",
            &format!("{}{}", header("Browser"), name("Shopper browser")),
            (20, 50, 100, 60),
        ),
        border(
            "s2",
            "StencilEllipse",
            "GE.P",
            "SE.P.TMCore.WebApp",
            &format!("{}{}", header("Web Application"), name("Checkout")),
            (350, 50, 100, 100),
        ),
        border(
            "s3",
            "StencilParallelLines",
            "GE.DS",
            "SE.DS.TMCore.SQL",
            &format!(
                "{}{}{}{}",
                header("SQL Database"),
                name("Orders DB"),
                prop("BooleanDisplayAttribute", "Out Of Scope", "false"),
                prop("StringDisplayAttribute", "Reason For Out Of Scope", "")
            ),
            (600, 50, 100, 60),
        ),
        border(
            "s4",
            "StencilEllipse",
            "GE.P",
            "GE.P",
            &format!(
                "{}{}{}{}",
                header("Generic Process"),
                name("Old batch"),
                prop("BooleanDisplayAttribute", "Out Of Scope", "true"),
                prop(
                    "StringDisplayAttribute",
                    "Reason For Out Of Scope",
                    "switched off"
                )
            ),
            (600, 300, 80, 80),
        ),
    ]
    .concat();
    let lines = [
        connector("c1", "Place order", "HTTPS", "s1", "s2", (200, 80)),
        connector("c2", "Write order", "Request", "s2", "s3", (520, 80)),
        connector("c3", "Dangling", "Request", "s2", "nowhere", (0, 0)),
        r#"<a:KeyValueOfguidanyType><a:Key>l1</a:Key><a:Value i:type="LineBoundary"><GenericTypeId>GE.TB.L</GenericTypeId><Guid>l1</Guid><Properties></Properties><TypeId>GE.TB.L</TypeId><HandleX>520</HandleX><HandleY>200</HandleY><SourceX>520</SourceX><SourceY>0</SourceY><TargetX>520</TargetX><TargetY>390</TargetY></a:Value></a:KeyValueOfguidanyType>"#.to_owned(),
    ]
    .concat();
    let threats = [
        threat("t1", "TH1", "c1", "AutoGenerated", "Spoofing", "High", ""),
        threat(
            "t2",
            "TH2",
            "c1",
            "Mitigated",
            "Tampering",
            "Medium",
            "<b:StateInformation>TLS 1.3 everywhere</b:StateInformation>",
        ),
        threat(
            "t3",
            "TH3",
            "c2",
            "NotApplicable",
            "Elevation of Privileges",
            "Low",
            "",
        ),
        threat(
            "t4",
            "TH4",
            "c2",
            "NeedsInvestigation",
            "Information Disclosure",
            "High",
            "",
        ),
        threat("t5", "TH5", "c2", "Frozen", "Mystery", "Odd", ""),
    ]
    .concat();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<!-- saved by a test -->
<ThreatModel xmlns="http://schemas.datacontract.org/2004/07/ThreatModeling.Model" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:a="urn:arrays" xmlns:b="urn:kb"><DrawingSurfaceList><DrawingSurfaceModel><GenericTypeId>DRAWINGSURFACE</GenericTypeId><Properties>{}{}</Properties><Borders>{borders}</Borders><Lines>{lines}</Lines></DrawingSurfaceModel></DrawingSurfaceList><MetaInformation><Assumptions>Staff are trusted</Assumptions><Contributors/><ExternalDependencies/><HighLevelSystemDescription>Takes orders.</HighLevelSystemDescription><Owner>Team Checkout</Owner><Reviewer>Ana</Reviewer><ThreatModelName>Checkout</ThreatModelName></MetaInformation><Notes><Note><Id>1</Id><Message>Review in Q3</Message></Note></Notes><ThreatInstances>{threats}</ThreatInstances><KnowledgeBase><Junk><Deep><Deeper>&lt;ignored&gt;</Deeper></Deep></Junk></KnowledgeBase><Profile/></ThreatModel>"#,
        header("Diagram"),
        name("Main")
    )
}

fn opts() -> Options {
    support::options("checkout.tm7")
}

#[test]
fn detects_tm7() {
    assert_eq!(detect(None, sample().as_bytes()), Some(Format::Tm7));
}

#[test]
fn checkout_snapshot() {
    let text = sample();
    let imported = import(text.as_bytes(), Format::Tm7, &opts()).expect("import");
    insta::assert_snapshot!("checkout", imported.yaml);
    insta::assert_snapshot!("checkout_warnings", imported.warnings.join("\n"));
    assert_eq!(
        imported,
        import(text.as_bytes(), Format::Tm7, &opts()).expect("again")
    );
}

#[test]
fn stencils_connectors_and_borders_come_across() {
    let imported = import(sample().as_bytes(), Format::Tm7, &opts()).expect("import");
    let loaded = support::assert_valid(&imported.yaml);
    let m = &loaded.model;
    assert_eq!(m.system_name(), "Checkout");
    let tech: Vec<(&str, &str, &str)> = m
        .components
        .iter()
        .map(|(id, c)| (id.as_str(), c.technology_id(), c.effective_kind().as_str()))
        .collect();
    assert_eq!(
        tech,
        [
            ("shopper-browser", "browser", "actor"),
            ("checkout", "web-application", "process"),
            ("orders-db", "database", "store"),
            ("old-batch", "", "process"),
        ]
    );
    assert_eq!(
        m.components["old-batch"].out_of_scope.as_deref(),
        Some("switched off")
    );
    assert!(m.components["orders-db"].out_of_scope.is_none());
    let contains = |b: &str| -> Vec<&str> {
        m.boundaries[b]
            .contains
            .iter()
            .map(|c| c.value.as_str())
            .collect()
    };
    assert_eq!(
        contains("payments-cloud"),
        ["checkout", "orders-db", "old-batch"]
    );
    assert_eq!(
        m.boundaries["payments-cloud"].kind.as_str(),
        "cloud-account"
    );
    assert_eq!(m.boundaries["internet-2"].trust.as_str(), "untrusted");
    assert_eq!(m.flows["shopper-browser->checkout"].protocol_id(), "https");
    assert!(m.flows.contains_key("checkout->orders-db"));
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("crosses checkout->orders-db"))
    );
    assert!(imported.warnings.iter().any(|w| w.contains("`Dangling`")));
}

#[test]
fn threat_instances_keep_their_state() {
    let imported = import(sample().as_bytes(), Format::Tm7, &opts()).expect("import");
    let loaded = support::assert_valid(&imported.yaml);
    let m = &loaded.model;
    let t1 = &m.threats["th1-shopper-browser-checkout"];
    assert_eq!(t1.title, "Threat t1 on <flow>");
    assert_eq!(t1.description.as_deref(), Some("Described & explained."));
    assert_eq!(t1.stride.as_str(), "spoofing");
    assert_eq!(
        (t1.likelihood.as_str(), t1.impact.as_str()),
        ("high", "high")
    );
    assert_eq!(
        t1.element.as_ref().map(|e| e.value.as_str()),
        Some("shopper-browser->checkout")
    );
    assert_eq!(
        m.threats["th3-checkout-orders-db"].stride.as_str(),
        "elevation-of-privilege"
    );
    let decisions: Vec<(&str, DecisionStatus, Option<&str>)> = m
        .decisions
        .iter()
        .map(|d| {
            (
                d.threat.value.as_str(),
                d.status,
                d.justification.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            (
                "manual:th2-shopper-browser-checkout",
                DecisionStatus::Mitigated,
                Some("TLS 1.3 everywhere")
            ),
            (
                "manual:th3-checkout-orders-db",
                DecisionStatus::NotApplicable,
                Some("NotApplicable in the Threat Modeling Tool")
            ),
            ("manual:th4-checkout-orders-db", DecisionStatus::Open, None),
        ]
    );
    assert!(imported.yaml.contains("Refer: https://aka.ms/x"));
    assert!(imported.warnings.iter().any(|w| w.contains("`Frozen`")));
}

#[test]
fn entity_bombs_and_doctype_are_refused() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ThreatModel><MetaInformation><ThreatModelName>&lol3;</ThreatModelName></MetaInformation></ThreatModel>"#;
    let error = import(laughs.as_bytes(), Format::Tm7, &opts()).expect_err("billion laughs");
    assert!(error.message.contains("DOCTYPE"), "{error}");
    assert_eq!((error.line, error.column), (Some(2), Some(1)), "{error}");
    let external = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ThreatModel><Notes>&xxe;</Notes></ThreatModel>"#;
    let error = import(external.as_bytes(), Format::Tm7, &opts()).expect_err("XXE");
    assert!(error.message.contains("DOCTYPE"), "{error}");
    let undeclared = "<ThreatModel><MetaInformation><ThreatModelName>&xxe;</ThreatModelName></MetaInformation></ThreatModel>";
    let error = import(undeclared.as_bytes(), Format::Tm7, &opts()).expect_err("entity");
    assert!(error.message.contains("undeclared entity"), "{error}");
}

#[test]
fn malformed_deep_and_huge_input_get_clear_errors() {
    let error =
        import(b"<ThreatModel><Notes></ThreatModel>", Format::Tm7, &opts()).expect_err("mismatch");
    assert!(error.message.starts_with("invalid XML"), "{error}");
    let error = import(b"<Other/>", Format::Tm7, &opts()).expect_err("root");
    assert!(error.message.contains("ThreatModel"), "{error}");
    let error = import(b"<ThreatModel><Notes>", Format::Tm7, &opts()).expect_err("truncated");
    assert!(error.message.contains("invalid XML"), "{error}");
    let deep = format!(
        "<ThreatModel>{}{}</ThreatModel>",
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    let error = import(deep.as_bytes(), Format::Tm7, &opts()).expect_err("deep");
    assert!(error.message.contains("nested deeper"), "{error}");
    let small = Options {
        max_bytes: 1000,
        ..opts()
    };
    let error = import(sample().as_bytes(), Format::Tm7, &small).expect_err("too large");
    assert!(error.message.contains("limit"), "{error}");
    // Many elements: refused past the element budget (the budget bounds the work).
    let wide = format!(
        "<ThreatModel><Notes>{}</Notes></ThreatModel>",
        "<n/>".repeat(1_200_000)
    );
    let error = import(wide.as_bytes(), Format::Tm7, &opts()).expect_err("wide");
    assert!(error.message.contains("elements"), "{error}");
}

fn run(bytes: &[u8]) {
    let _ = detect(Some(Path::new("x.tm7")), bytes);
    if let Ok(imported) = import(bytes, Format::Tm7, &Options::default()) {
        support::assert_valid(&imported.yaml);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn truncated(cut in 0usize..20_000) {
        let text = sample();
        run(&text.as_bytes()[..cut.min(text.len())]);
    }

    #[test]
    fn byte_flipped(flips in prop::collection::vec((0usize..20_000, any::<u8>()), 1..8)) {
        let mut bytes = sample().into_bytes();
        let len = bytes.len();
        for (at, b) in flips {
            bytes[at % len] = b;
        }
        run(&bytes);
    }

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        run(&bytes);
        let mut xml = b"<ThreatModel>".to_vec();
        xml.extend(bytes);
        run(&xml);
    }
}
