//! A generator of synthetic threatforge models, reproducible from a seed, for benchmarks and
//! profiling. Not part of the user's command line.
//!
//! A model of N components has about 1% internet actors, a mix of 24 technologies (services,
//! stores, proxies, queues, pipelines, AI services), about 2N flows with a mix of protocols and
//! authentication, five data assets of every classification, controls on a third of the
//! components, boundaries of 25 components nested in accounts of 8 boundaries, and a runtime per
//! 100 components.

use std::fmt::Write as _;

/// A small, fast, reproducible generator (xorshift64*), so the same seed gives the same model
/// on every machine without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1) as u64) as usize
    }
}

const TECHNOLOGIES: &[&str] = &[
    "api-service",
    "api-service",
    "web-application",
    "backend-service",
    "worker",
    "postgresql",
    "mysql",
    "redis",
    "mongodb",
    "message-queue",
    "object-storage",
    "reverse-proxy",
    "api-gateway",
    "load-balancer",
    "batch-job",
    "serverless-function",
    "llm-service",
    "identity-provider",
    "secrets-vault",
    "search-engine",
    "ci-pipeline",
    "container-registry",
    "log-collector",
    "file-storage",
];
const PROTOCOLS: &[&str] = &[
    "https",
    "https",
    "grpc-tls",
    "http",
    "grpc",
    "postgres-tls",
    "postgres",
    "redis-tls",
    "amqps",
    "kafka-tls",
];
const AUTH: &[&str] = &[
    "token",
    "token",
    "client-certificate",
    "credentials",
    "api-key",
    "none",
];
const CONTROLS: &[&str] = &[
    "audit-logging",
    "input-validation",
    "rate-limiting",
    "encryption-at-rest",
    "hardening",
    "monitoring",
];
const CLASSES: &[&str] = &["public", "internal", "confidential", "secret"];
const CATEGORIES: &[&str] = &["personal", "payment", "credential", "health", "telemetry"];

/// The YAML text of a synthetic model with `n` components.
pub fn model(n: usize, seed: u64) -> String {
    model_with(n, seed, false)
}

/// The options a large synthetic model is analyzed with: the defaults, but explanations
/// unbounded, since the model-wide rules' explanations list every component at 10,000.
pub fn project_options() -> threatforge_analysis::ProjectOptions {
    threatforge_analysis::ProjectOptions {
        cel: threatforge_analysis::CelLimits {
            max_explanation_bytes: usize::MAX / 2,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The model of [`model`], each component (browsers aside) with the keys evidence maps by:
/// `code: [services/c<i>/**]`, `endpoints: [app.example.com/c<i>]`, and `verified_by` naming
/// `com.synth.C<i>Test.*` for its control. The same seed draws the same model otherwise.
pub fn evidence_model(n: usize, seed: u64) -> String {
    model_with(n, seed, true)
}

fn model_with(n: usize, seed: u64, evidence: bool) -> String {
    let mut rng = Rng::new(seed);
    let mut y = String::with_capacity(n * 200);
    let _ = writeln!(
        y,
        "system: {{ name: Synthetic {n}, criticality: high, owners: [platform] }}"
    );
    y.push_str("data:\n");
    for (i, class) in CLASSES.iter().enumerate() {
        for (j, category) in CATEGORIES.iter().enumerate() {
            let _ = writeln!(
                y,
                "  d{i}{j}: {{ classification: {class}, integrity: high, categories: [{category}] }}"
            );
        }
    }
    let data = |rng: &mut Rng| {
        format!(
            "d{}{}",
            rng.below(CLASSES.len()),
            rng.below(CATEGORIES.len())
        )
    };
    y.push_str("components:\n");
    for i in 0..n {
        if i % 100 == 0 {
            let _ = writeln!(y, "  c{i}: {{ technology: browser, exposure: internet }}");
            continue;
        }
        let technology = TECHNOLOGIES[rng.below(TECHNOLOGIES.len())];
        let _ = write!(
            y,
            "  c{i}: {{ technology: {technology}, processes: [{}]",
            data(&mut rng)
        );
        if rng.below(3) == 0 {
            let control = CONTROLS[rng.below(CONTROLS.len())];
            let _ = write!(y, ", controls: [{control}]");
            if evidence {
                let _ = write!(
                    y,
                    ", verified_by: {{ {control}: [\"com.synth.C{i}Test.*\"] }}"
                );
            }
        }
        if i % 97 == 1 {
            y.push_str(", exposure: internet");
        }
        if evidence {
            let _ = write!(
                y,
                ", code: [services/c{i}/**], endpoints: [app.example.com/c{i}]"
            );
        }
        y.push_str(" }\n");
    }
    y.push_str("flows:\n");
    for i in 1..n {
        // Each component is the target of about two flows from earlier ones; actors feed the
        // next component, so every part of the system is reachable.
        let froms = if i % 100 == 1 {
            [i - 1, rng.below(i)]
        } else {
            [rng.below(i), rng.below(i)]
        };
        for (k, from) in froms.into_iter().enumerate() {
            let _ = writeln!(
                y,
                "  - c{from} -> c{i}: {{ id: f{i}x{k}, protocol: {}, authentication: {}, data: [{}] }}",
                PROTOCOLS[rng.below(PROTOCOLS.len())],
                AUTH[rng.below(AUTH.len())],
                data(&mut rng)
            );
        }
    }
    y.push_str("boundaries:\n");
    let zones = n.div_ceil(25);
    for z in 0..zones {
        let members: Vec<String> = (z * 25..((z + 1) * 25).min(n))
            .filter(|i| i % 100 != 0)
            .map(|i| format!("c{i}"))
            .collect();
        let trust = ["low", "medium", "high"][z % 3];
        let _ = writeln!(
            y,
            "  z{z}: {{ kind: network, trust: {trust}, contains: [{}] }}",
            members.join(", ")
        );
    }
    for a in 0..zones.div_ceil(8) {
        let members: Vec<String> = (a * 8..((a + 1) * 8).min(zones))
            .map(|z| format!("z{z}"))
            .collect();
        let _ = writeln!(
            y,
            "  a{a}: {{ kind: cloud-account, trust: high, contains: [{}] }}",
            members.join(", ")
        );
    }
    y.push_str("runtimes:\n");
    for r in 0..n.div_ceil(100) {
        let members: Vec<String> = (r * 100 + 1..((r + 1) * 100).min(n))
            .step_by(7)
            .map(|i| format!("c{i}"))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(
                y,
                "  r{r}: {{ kind: cluster, runs: [{}] }}",
                members.join(", ")
            );
        }
    }
    y
}

/// Rules of the synthetic scanner: id and CWE. Some CWEs are among the built-in rules' (SQL
/// injection, XSS, hard-coded credentials...), others near one in CWE's view or unrelated, so
/// findings both confirm threats and become unmodeled weaknesses.
const SCANNER_RULES: &[(&str, u32)] = &[
    ("sql-injection", 89),
    ("hibernate-injection", 564),
    ("xss", 79),
    ("path-traversal", 22),
    ("hard-coded-password", 798),
    ("weak-crypto", 327),
    ("deserialization", 502),
    ("ssrf", 918),
    ("xxe", 611),
    ("csrf", 352),
    ("missing-auth", 306),
    ("info-leak", 200),
    ("redos", 1333),
    ("command-injection", 78),
    ("open-redirect", 601),
    ("cleartext", 319),
];

/// A SARIF 2.1.0 log of `results` findings of one synthetic scanner over the components of a
/// model of `components` from [`evidence_model`]: half in files under `services/c<i>/`, half at
/// URLs under `https://app.example.com/c<i>/`, one in fifty under a path no component claims.
pub fn sarif(results: usize, components: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(results * 220);
    s.push_str(
        "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"Synth\",\"rules\":[",
    );
    for (k, (id, cwe)) in SCANNER_RULES.iter().enumerate() {
        let comma = if k == 0 { "" } else { "," };
        let _ = write!(
            s,
            "{comma}{{\"id\":\"{id}\",\"properties\":{{\"tags\":[\"security\",\"CWE-{cwe}\"]}}}}"
        );
    }
    s.push_str("]}},\"results\":[");
    for r in 0..results {
        let rule = rng.below(SCANNER_RULES.len());
        let c = rng.below(components);
        let dir = if rng.below(50) == 0 { "vendor" } else { "c" };
        let comma = if r == 0 { "" } else { "," };
        let _ = write!(
            s,
            "{comma}{{\"ruleId\":\"{}\",\"ruleIndex\":{rule},\"level\":\"error\",\"message\":{{\"text\":\"finding {r}\"}},",
            SCANNER_RULES[rule].0
        );
        if r % 2 == 0 {
            let _ = write!(
                s,
                "\"locations\":[{{\"physicalLocation\":{{\"artifactLocation\":{{\"uri\":\"services/{dir}{c}/src/m{r}.py\"}},\"region\":{{\"startLine\":{}}}}}}}]}}",
                1 + rng.below(500)
            );
        } else {
            let _ = write!(
                s,
                "\"webRequest\":{{\"target\":\"https://app.example.com/{dir}{c}/api/{r}\"}}}}"
            );
        }
    }
    s.push_str("]}]}\n");
    s
}

/// A JUnit XML report of `tests` test cases over the components of a model of `components`
/// from [`evidence_model`], named `com.synth.C<i>Test.t<k>` (what its `verified_by` names); one
/// in twenty fails.
pub fn junit(tests: usize, components: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(tests * 90);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"synth\">\n");
    for t in 0..tests {
        let c = rng.below(components);
        let _ = write!(
            s,
            "  <testcase classname=\"com.synth.C{c}Test\" name=\"t{t}\""
        );
        if rng.below(20) == 0 {
            s.push_str("><failure message=\"expected 403\"/></testcase>\n");
        } else {
            s.push_str("/>\n");
        }
    }
    s.push_str("</testsuite>\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_models_are_valid_and_reproducible() {
        let dir = std::env::temp_dir();
        let text = super::model(500, 7);
        assert_eq!(text, super::model(500, 7));
        let loaded = threatforge_model::load_str(
            "s.yaml",
            &text,
            &dir,
            &threatforge_model::LoadOptions::default(),
        );
        let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(loaded.model.components.len(), 500);
        assert!(loaded.model.flows.len() >= 990);
    }

    #[test]
    fn evidence_models_and_reports_are_valid_and_map() {
        let text = super::evidence_model(300, 7);
        let loaded = threatforge_model::load_str(
            "s.yaml",
            &text,
            &std::env::temp_dir(),
            &threatforge_model::LoadOptions::default(),
        );
        let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let with_code = loaded
            .model
            .components
            .values()
            .filter(|c| !c.code.is_empty() && !c.endpoints.is_empty())
            .count();
        assert_eq!(with_code, 297);
        // Without the evidence keys, the same model.
        assert_eq!(
            loaded.model.flows.len(),
            threatforge_model::load_str(
                "s.yaml",
                &super::model(300, 7),
                &std::env::temp_dir(),
                &threatforge_model::LoadOptions::default(),
            )
            .model
            .flows
            .len()
        );
        let mut evidence = threatforge_evidence::Evidence::default();
        let limits = threatforge_evidence::Limits::default();
        let root = Some(std::path::Path::new("/repo"));
        for (name, report) in [
            ("s.sarif", super::sarif(1_000, 300, 7)),
            ("j.xml", super::junit(200, 300, 9)),
        ] {
            let read = evidence.read_bytes(name, report.as_bytes(), root, &limits);
            assert!(read.is_ok(), "{read:?}");
        }
        assert_eq!(evidence.findings.len(), 1_000);
        assert_eq!(evidence.tests.len(), 200);
        assert!(evidence.findings.iter().all(|f| !f.cwe.is_empty()));
        let files = evidence
            .findings
            .iter()
            .filter(|f| f.file.is_some())
            .count();
        assert_eq!(files, 500);
    }
}
