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
            let _ = write!(y, ", controls: [{}]", CONTROLS[rng.below(CONTROLS.len())]);
        }
        if i % 97 == 1 {
            y.push_str(", exposure: internet");
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
}
