//! Mangled input never panics the importers, and what they accept loads cleanly. (Their work
//! is bounded by the input size limit and the YAML budgets; speed is not asserted here.)

mod support;

use proptest::prelude::*;
use threatforge_import::{Format, Options, detect, import};

const SEED: &str = r#"threagile_version: 1.0.0
title: Seed
data_assets:
  D: { id: d, confidentiality: confidential, integrity: critical }
technical_assets:
  A:
    id: a
    type: process
    technology: web-application
    internet: true
    data_assets_processed: [d]
    communication_links:
      L: { target: b, protocol: jdbc, authentication: credentials, data_assets_sent: [d] }
  B: { id: b, type: datastore, technology: database, data_assets_stored: [d] }
trust_boundaries:
  T: { id: t, type: network-on-prem, technical_assets_inside: [a, b], trust_boundaries_nested: [t] }
shared_runtimes:
  R: { id: r, technical_assets_running: [a, b] }
individual_risk_categories:
  C: { id: c, stride: spoofing, risks_identified: { X: { most_relevant_technical_asset: a } } }
risk_tracking:
  sql-nosql-injection@a@b@a>l: { status: accepted, justification: ok, date: 2020-01-01 }
  c@a: { status: mitigated }
"#;

fn run(bytes: &[u8]) {
    let _ = detect(None, bytes);
    for format in Format::ALL {
        if let Ok(imported) = import(bytes, *format, &Options::default()) {
            support::assert_valid(&imported.yaml);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn truncated(cut in 0usize..SEED.len()) {
        run(&SEED.as_bytes()[..cut]);
    }

    #[test]
    fn byte_flipped(flips in prop::collection::vec((0usize..SEED.len(), any::<u8>()), 1..8)) {
        let mut bytes = SEED.as_bytes().to_vec();
        for (at, b) in flips {
            bytes[at] = b;
        }
        run(&bytes);
    }

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        run(&bytes);
    }

    #[test]
    fn random_yaml_text(text in "[a-z_:@>*\\[\\]{},\\- \n]{0,300}") {
        let mut input = String::from("technical_assets:\n");
        input.push_str(&text);
        run(input.as_bytes());
    }
}
