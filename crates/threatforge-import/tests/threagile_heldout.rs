//! A held-out check of Threagile parity: two Threagile models written in the style of public
//! ones (`heldout/`, not used to write any rule), the risks Threagile's rules report on them
//! listed by hand from the rule sources (`pkg/security/risks/builtin/*_rule.go`), and the share
//! of them a covering rule (per `rules/coverage-threagile.yaml`) finds after `threatforge
//! import`: an open threat on the same asset, a flow touching it, the boundary or runtime
//! holding it, or the model. A risk counts once per rule and asset (Threagile reports one per
//! link where a rule looks at links). docs/quality.md records the numbers; the test holds them
//! as a floor, so a change that loses a risk fails here.

mod support;

use threatforge_analysis::{RuleSet, Threat};
use threatforge_import::{Format, import, threagile_rule};

/// (Threagile rule, the asset's id or `model`) for each risk Threagile reports.
const WEBSHOP: &[(&str, &str)] = &[
    ("cross-site-scripting", "shop-app"),
    ("cross-site-request-forgery", "shop-app"),
    ("missing-waf", "shop-app"),
    ("unguarded-access-from-internet", "shop-app"),
    ("missing-authentication-second-factor", "shop-app"),
    ("missing-hardening", "shop-app"),
    ("missing-hardening", "shop-db"),
    ("unencrypted-asset", "shop-db"),
    ("unencrypted-communication", "shop-db"),
    ("sql-nosql-injection", "shop-app"),
    ("server-side-request-forgery", "shop-app"),
    ("missing-vault", "model"),
    ("missing-identity-store", "model"),
    ("missing-build-infrastructure", "model"),
    ("container-baseimage-backdooring", "shop-app"),
    ("missing-file-validation", "shop-app"),
    ("missing-cloud-hardening", "shop-hosting"),
];

const ENTERPRISE: &[(&str, &str)] = &[
    ("cross-site-scripting", "claims-portal"),
    ("missing-waf", "claims-portal"),
    ("missing-waf", "claims-backend"),
    ("unguarded-access-from-internet", "claims-backend"),
    ("unguarded-access-from-internet", "git-repository"),
    ("unguarded-access-from-internet", "jenkins"),
    ("code-backdooring", "git-repository"),
    ("code-backdooring", "jenkins"),
    ("missing-authentication-second-factor", "claims-portal"),
    ("missing-authentication-second-factor", "git-repository"),
    ("missing-authentication-second-factor", "jenkins"),
    ("missing-hardening", "claims-db"),
    ("missing-hardening", "document-fileserver"),
    ("missing-hardening", "ldap-directory"),
    ("missing-hardening", "claims-backend"),
    ("missing-hardening", "identity-provider"),
    ("unencrypted-asset", "document-fileserver"),
    ("unencrypted-asset", "ldap-directory"),
    ("unencrypted-asset", "git-repository"),
    ("unencrypted-asset", "artifact-registry"),
    ("unencrypted-communication", "document-fileserver"),
    ("unencrypted-communication", "claims-portal"),
    ("sql-nosql-injection", "claims-backend"),
    ("ldap-injection", "identity-provider"),
    ("path-traversal", "claims-backend"),
    ("xml-external-entity", "claims-backend"),
    ("server-side-request-forgery", "claims-portal"),
    ("server-side-request-forgery", "claims-backend"),
    ("server-side-request-forgery", "jenkins"),
    ("push-instead-of-pull-deployment", "claims-backend"),
    ("push-instead-of-pull-deployment", "claims-portal"),
    ("unchecked-deployment", "jenkins"),
    ("unchecked-deployment", "git-repository"),
    ("unchecked-deployment", "artifact-registry"),
    ("accidental-secret-leak", "git-repository"),
    ("accidental-secret-leak", "artifact-registry"),
    ("container-baseimage-backdooring", "claims-portal"),
    ("container-baseimage-backdooring", "claims-backend"),
    ("missing-vault", "model"),
    ("missing-identity-provider-isolation", "identity-provider"),
    ("missing-identity-provider-isolation", "ldap-directory"),
    ("missing-authentication", "identity-provider"),
    ("dos-risky-access-across-trust-boundary", "claims-backend"),
    ("dos-risky-access-across-trust-boundary", "claims-db"),
];

/// The risks of `expected` that no open covering threat finds.
fn missed(file: &str, text: &str, expected: &[(&'static str, &'static str)]) -> Vec<String> {
    let imported = import(text.as_bytes(), Format::Threagile, &support::options(file))
        .unwrap_or_else(|e| panic!("{file} imports: {e:?}"));
    let loaded = support::assert_valid(&imported.yaml);
    let rules = RuleSet::builtin();
    assert!(!rules.has_errors());
    let analysis = threatforge_analysis::analyze(&loaded.model, &rules);
    expected
        .iter()
        .filter(|(rule, asset)| {
            let mapping =
                threagile_rule(rule).unwrap_or_else(|| panic!("{rule} is a Threagile rule"));
            let covers = |t: &Threat| mapping.covered_by.iter().any(|(tf, _)| t.stands_for(tf));
            !analysis.findings().any(|t| {
                (covers(t))
                    && t.is_open()
                    && (*asset == "model" || support::touches(&loaded.model, t, asset))
            })
        })
        .map(|(rule, asset)| format!("{rule}@{asset}"))
        .collect()
}

#[test]
fn held_out_models_keep_their_share_of_threagile_risks() {
    for (file, text, expected, floor) in [
        (
            "webshop.yaml",
            include_str!("heldout/webshop.yaml"),
            WEBSHOP,
            17,
        ),
        (
            "enterprise.yaml",
            include_str!("heldout/enterprise.yaml"),
            ENTERPRISE,
            41,
        ),
    ] {
        let missed = missed(file, text, expected);
        let found = expected.len() - missed.len();
        let categories = |list: &[(&str, &str)]| {
            let mut c: Vec<&str> = list.iter().map(|(r, _)| *r).collect();
            c.sort_unstable();
            c.dedup();
            c.len()
        };
        let missed_pairs: Vec<(&str, &str)> =
            missed.iter().filter_map(|m| m.split_once('@')).collect();
        let categories_found = expected
            .iter()
            .map(|(r, _)| *r)
            .filter(|r| {
                expected
                    .iter()
                    .any(|(r2, a)| r2 == r && !missed_pairs.contains(&(*r2, *a)))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        println!(
            "{file}: {found}/{} risks, {categories_found}/{} categories; missed {missed:?}",
            expected.len(),
            categories(expected)
        );
        assert!(
            found >= floor,
            "{file}: {found} found, the floor is {floor}; missed {missed:?}"
        );
    }
}
