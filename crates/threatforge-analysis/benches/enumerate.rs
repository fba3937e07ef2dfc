//! Threat enumeration on synthetic models: facts, values and every built-in rule.
//! Run: `cargo bench -p threatforge-analysis --bench enumerate`. Results: BENCHMARKS.md.

use std::fmt::Write as _;

use threatforge_analysis::{RuleSet, analyze};
use threatforge_model::{LoadOptions, Model, load_str};

fn main() {
    divan::main();
}

/// A reproducible synthetic system of `n` components and about `2n` flows: internet actors,
/// edge proxies, services, stores and a few pipelines, in nested boundaries of 50 components.
pub fn synthetic(n: usize) -> String {
    const TECHNOLOGIES: &[&str] = &[
        "api-service",
        "web-application",
        "postgresql",
        "redis",
        "message-queue",
        "worker",
        "object-storage",
        "reverse-proxy",
        "batch-job",
        "llm-service",
        "ci-pipeline",
        "secrets-vault",
    ];
    const PROTOCOLS: &[&str] = &[
        "https",
        "http",
        "grpc-tls",
        "postgres",
        "redis-tls",
        "amqps",
    ];
    const AUTH: &[&str] = &["none", "token", "credentials", "client-certificate"];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m as u64) as usize
    };
    let mut y = String::from("system: { name: Synthetic, criticality: high }\ndata:\n");
    for (i, class) in ["public", "internal", "confidential", "secret"]
        .iter()
        .enumerate()
    {
        let _ = writeln!(
            y,
            "  d{i}: {{ classification: {class}, categories: [personal] }}"
        );
    }
    y.push_str("components:\n");
    for i in 0..n {
        if i % 100 == 0 {
            let _ = writeln!(y, "  c{i}: {{ technology: browser, exposure: internet }}");
        } else {
            let tech = TECHNOLOGIES[next(TECHNOLOGIES.len())];
            let _ = writeln!(
                y,
                "  c{i}: {{ technology: {tech}, processes: [d{}], controls: [audit-logging] }}",
                next(4)
            );
        }
    }
    y.push_str("flows:\n");
    for i in 1..n {
        for _ in 0..2 {
            let from = if i % 100 == 1 { i - 1 } else { next(i) };
            let _ = writeln!(
                y,
                "  - c{from} -> c{i}: {{ id: f{i}-{}, protocol: {}, authentication: {}, data: [d{}] }}",
                next(1_000_000),
                PROTOCOLS[next(PROTOCOLS.len())],
                AUTH[next(AUTH.len())],
                next(4)
            );
        }
    }
    y.push_str("boundaries:\n");
    let groups = n.div_ceil(50);
    for g in 0..groups {
        let members: Vec<String> = (g * 50..((g + 1) * 50).min(n))
            .map(|i| format!("c{i}"))
            .collect();
        let _ = writeln!(
            y,
            "  z{g}: {{ kind: network, trust: high, contains: [{}] }}",
            members.join(", ")
        );
    }
    for a in 0..groups.div_ceil(10) {
        let members: Vec<String> = (a * 10..((a + 1) * 10).min(groups))
            .map(|g| format!("z{g}"))
            .collect();
        let _ = writeln!(
            y,
            "  a{a}: {{ kind: cloud-account, contains: [{}] }}",
            members.join(", ")
        );
    }
    y
}

fn model(n: usize) -> Model {
    let dir = std::env::temp_dir();
    let loaded = load_str(
        "synthetic.yaml",
        &synthetic(n),
        &dir,
        &LoadOptions::default(),
    );
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "synthetic model is invalid: {errors:?}");
    loaded.model
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn enumerate_threats(bencher: divan::Bencher, n: usize) {
    let model = model(n);
    let rules = RuleSet::builtin();
    bencher.bench(|| analyze(divan::black_box(&model), &rules).threats.len());
}

#[divan::bench(args = [1_000, 10_000], sample_count = 5)]
fn load_and_validate(bencher: divan::Bencher, n: usize) {
    let text = synthetic(n);
    let dir = std::env::temp_dir();
    bencher.bench(|| {
        load_str(
            "synthetic.yaml",
            divan::black_box(&text),
            &dir,
            &LoadOptions::default(),
        )
        .model
        .components
        .len()
    });
}
