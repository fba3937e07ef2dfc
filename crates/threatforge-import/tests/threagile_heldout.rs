//! A held-out check of Threagile parity: three Threagile models written in the style of public
//! ones (`heldout/`, not used to write any rule), the risks Threagile's rules report on them
//! listed by hand from the rule sources (`pkg/security/risks/builtin/*_rule.go`; the third,
//! DishDash, also checked by running Threagile's own rule code on it), and the share
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

const DISHDASH: &[(&str, &str)] = &[
    ("accidental-secret-leak", "gitlab"),
    ("code-backdooring", "gitlab"),
    ("code-backdooring", "gitlab-ci"),
    ("container-baseimage-backdooring", "api-gateway"),
    ("container-baseimage-backdooring", "identity-provider"),
    ("container-baseimage-backdooring", "order-service"),
    ("container-baseimage-backdooring", "restaurant-portal"),
    ("container-baseimage-backdooring", "vault"),
    ("container-platform-escape", "k8s-cluster"),
    ("cross-site-request-forgery", "restaurant-portal"),
    ("cross-site-scripting", "restaurant-portal"),
    ("dos-risky-access-across-trust-boundary", "postgres-db"),
    ("missing-authentication", "kafka"),
    ("missing-authentication", "payment-service"),
    ("missing-authentication-second-factor", "identity-provider"),
    ("missing-authentication-second-factor", "order-service"),
    ("missing-authentication-second-factor", "payment-service"),
    ("missing-authentication-second-factor", "restaurant-portal"),
    ("missing-build-infrastructure", "model"),
    ("missing-cloud-hardening", "aws-cloud"),
    ("missing-cloud-hardening", "sg-edge"),
    ("missing-cloud-hardening", "sg-app"),
    ("missing-cloud-hardening", "sg-pci"),
    ("missing-cloud-hardening", "sg-data"),
    ("missing-cloud-hardening", "eks-node-pool"),
    ("missing-cloud-hardening", "object-storage"),
    ("missing-file-validation", "restaurant-portal"),
    ("missing-hardening", "order-service"),
    ("missing-hardening", "postgres-db"),
    ("missing-identity-propagation", "order-service"),
    ("missing-identity-propagation", "payment-service"),
    ("missing-identity-provider-isolation", "identity-provider"),
    ("missing-identity-store", "model"),
    ("missing-vault-isolation", "vault"),
    ("missing-waf", "payment-service"),
    ("mixed-targets-on-shared-runtime", "eks-node-pool"),
    ("path-traversal", "customer-app"),
    ("path-traversal", "restaurant-portal"),
    ("push-instead-of-pull-deployment", "k8s-cluster"),
    ("server-side-request-forgery", "api-gateway"),
    ("server-side-request-forgery", "gitlab"),
    ("server-side-request-forgery", "gitlab-ci"),
    ("server-side-request-forgery", "k8s-cluster"),
    ("server-side-request-forgery", "order-service"),
    ("server-side-request-forgery", "payment-service"),
    ("server-side-request-forgery", "restaurant-portal"),
    ("sql-nosql-injection", "customer-app"),
    ("sql-nosql-injection", "identity-provider"),
    ("sql-nosql-injection", "order-service"),
    ("sql-nosql-injection", "payment-service"),
    ("sql-nosql-injection", "restaurant-portal"),
    ("unchecked-deployment", "gitlab"),
    ("unchecked-deployment", "gitlab-ci"),
    ("unencrypted-asset", "gitlab"),
    ("unencrypted-asset", "postgres-db"),
    ("unencrypted-communication", "api-gateway"),
    ("unencrypted-communication", "identity-provider"),
    ("unencrypted-communication", "order-service"),
    ("unencrypted-communication", "restaurant-portal"),
    ("unguarded-access-from-internet", "gitlab-ci"),
    ("unguarded-access-from-internet", "identity-provider"),
    ("unguarded-access-from-internet", "order-service"),
    ("unguarded-access-from-internet", "payment-service"),
    ("unguarded-access-from-internet", "restaurant-portal"),
    ("unnecessary-communication-link", "gitlab"),
    ("unnecessary-data-asset", "courier-locations"),
    ("wrong-communication-link-content", "customer-app"),
    ("xml-external-entity", "payment-service"),
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
            43,
        ),
        (
            "dishdash.yaml",
            include_str!("heldout/dishdash.yaml"),
            DISHDASH,
            59,
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
