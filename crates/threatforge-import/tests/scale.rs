//! Inputs that made the importers quadratic (issue 18: seconds to minutes at these sizes): long
//! chains of nested trust zones, thousands of elements of one name, thousands of flows between
//! one pair and of threats on one flow. Each is imported whole, through the writer, at a size
//! where a quadratic importer takes minutes in a test build; the counts of what came across are
//! checked, so nothing is skipped to be fast.

mod support;

use threatforge_import::{Format, import};

/// An OTM file of `n` trust zones, each nested in the one before; `cycle` closes the chain.
fn zone_chain(n: usize, cycle: bool) -> String {
    let zones: Vec<String> = (0..n)
        .map(|i| {
            let parent = match (i, cycle) {
                (0, false) => String::new(),
                (0, true) => format!(r#", "parent": {{ "trustZone": "z{}" }}"#, n - 1),
                _ => format!(r#", "parent": {{ "trustZone": "z{}" }}"#, i - 1),
            };
            format!(
                r#"{{ "id": "z{i}", "name": "Zone {i}", "risk": {{ "trustRating": 50 }}{parent} }}"#
            )
        })
        .collect();
    format!(
        r#"{{ "otmVersion": "0.2.0", "project": {{ "name": "Chain", "id": "chain" }},
  "trustZones": [ {} ],
  "components": [ {{ "id": "app", "name": "App", "type": "web-service", "parent": {{ "trustZone": "z{}" }} }} ] }}"#,
        zones.join(",\n"),
        n - 1
    )
}

#[test]
fn a_chain_of_4000_nested_trust_zones() {
    let imported = import(
        zone_chain(4_000, false).as_bytes(),
        Format::Otm,
        &support::options("chain.otm.json"),
    )
    .expect("import");
    // Every zone but the first is nested in the one before it.
    assert_eq!(imported.yaml.matches("contains: [").count(), 4_000);
    assert!(
        !imported.warnings.iter().any(|w| w.contains("cycle")),
        "{:?}",
        imported.warnings
    );
    let loaded = support::load(&imported.yaml);
    support::assert_loads_cleanly(&loaded, &imported.yaml);
    assert_eq!(loaded.model.boundaries.len(), 4_000);

    // Closing the chain into a ring: one nesting is refused, the one that would close it.
    let imported = import(
        zone_chain(4_000, true).as_bytes(),
        Format::Otm,
        &support::options("ring.otm.json"),
    )
    .expect("import");
    let cycles: Vec<&String> = imported
        .warnings
        .iter()
        .filter(|w| w.contains("would make a cycle"))
        .collect();
    assert_eq!(
        cycles,
        vec!["trust zone `z3999`: nesting in `z3998` would make a cycle; left at the top"]
    );
    support::assert_loads_cleanly(&support::load(&imported.yaml), &imported.yaml);
}

#[test]
fn a_chain_deeper_than_the_boundary_limit_is_cut_into_chains_that_load() {
    let imported = import(
        zone_chain(10_000, false).as_bytes(),
        Format::Otm,
        &support::options("deep.otm.json"),
    )
    .expect("import");
    // 10,000 zones under a limit of 4,096: cut below the 4,096th and the 8,192nd.
    let cut: Vec<&String> = imported
        .warnings
        .iter()
        .filter(|w| w.contains("nested deeper than"))
        .collect();
    assert_eq!(
        cut,
        vec![
            "z4096: taken out of `z4095`, where it would be nested deeper than 4096 boundaries \
             (the limit `check` holds models to)",
            "z8192: taken out of `z8191`, where it would be nested deeper than 4096 boundaries \
             (the limit `check` holds models to)",
        ]
    );
    let loaded = support::load(&imported.yaml);
    support::assert_loads_cleanly(&loaded, &imported.yaml);
    assert_eq!(loaded.model.boundaries.len(), 10_000);
    // Every zone is still there, all but the three tops nested.
    assert_eq!(imported.yaml.matches("contains: [").count(), 10_000 - 2);
}

/// A Threat Dragon file with one diagram of these cells.
fn dragon(cells: &[String]) -> String {
    format!(
        r#"{{ "version": "2.3.0", "summary": {{ "title": "Scale" }},
  "detail": {{ "diagrams": [ {{ "title": "D", "diagramType": "STRIDE", "version": "2.3.0",
    "cells": [ {} ] }} ] }} }}"#,
        cells.join(",\n")
    )
}

fn actor(id: &str, name: &str) -> String {
    format!(
        r#"{{ "shape": "actor", "id": "{id}", "position": {{ "x": 0, "y": 0 }}, "size": {{ "width": 10, "height": 10 }},
  "data": {{ "type": "tm.Actor", "name": "{name}" }} }}"#
    )
}

fn process(id: &str, name: &str) -> String {
    format!(
        r#"{{ "shape": "process", "id": "{id}", "position": {{ "x": 500, "y": 0 }}, "size": {{ "width": 10, "height": 10 }},
  "data": {{ "type": "tm.Process", "name": "{name}" }} }}"#
    )
}

fn flow(id: &str, threats: &str) -> String {
    format!(
        r#"{{ "shape": "flow", "id": "{id}", "source": {{ "cell": "a" }}, "target": {{ "cell": "p" }},
  "data": {{ "type": "tm.Flow", "name": "", "protocol": "HTTP/S", "isPublicNetwork": true, "threats": [ {threats} ] }} }}"#
    )
}

#[test]
fn threat_dragon_8000_actors_of_one_name() {
    let cells: Vec<String> = (0..8_000)
        .map(|i| actor(&format!("a{i}"), "User"))
        .collect();
    let imported = import(
        dragon(&cells).as_bytes(),
        Format::ThreatDragon,
        &support::options("actors.json"),
    )
    .expect("import");
    let loaded = support::load(&imported.yaml);
    support::assert_loads_cleanly(&loaded, &imported.yaml);
    assert_eq!(loaded.model.components.len(), 8_000);
    assert!(loaded.model.components.contains_key("user-8000"));
}

#[test]
fn threat_dragon_20000_flows_between_one_pair() {
    let mut cells = vec![actor("a", "User"), process("p", "Web")];
    cells.extend((0..20_000).map(|i| flow(&format!("f{i}"), "")));
    let imported = import(
        dragon(&cells).as_bytes(),
        Format::ThreatDragon,
        &support::options("flows.json"),
    )
    .expect("import");
    let loaded = support::load(&imported.yaml);
    support::assert_loads_cleanly(&loaded, &imported.yaml);
    assert_eq!(loaded.model.flows.len(), 20_000);
}

#[test]
fn threat_dragon_20000_threats_on_one_flow() {
    let threats: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                r#"{{ "id": "t{i}", "title": "Tampered request", "type": "Tampering", "status": "Open", "severity": "Medium", "description": "", "mitigation": "" }}"#
            )
        })
        .collect();
    let cells = vec![
        actor("a", "User"),
        process("p", "Web"),
        flow("f", &threats.join(", ")),
    ];
    let imported = import(
        dragon(&cells).as_bytes(),
        Format::ThreatDragon,
        &support::options("threats.json"),
    )
    .expect("import");
    let loaded = support::load(&imported.yaml);
    support::assert_loads_cleanly(&loaded, &imported.yaml);
    assert_eq!(loaded.model.threats.len(), 20_000);
}
