use std::fmt::Write as _;
use threatforge_analysis::{RuleSet, analyze};
use threatforge_model::{LoadOptions, load_str};
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

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let mut loaded = load_str(
        "s.yaml",
        &synthetic(n),
        &std::env::temp_dir(),
        &LoadOptions::default(),
    );
    let all = RuleSet::builtin();
    if std::env::args().nth(2).as_deref() == Some("whole") {
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let a = analyze(&loaded.model, &all);
            eprintln!("all rules {:?} threats {}", t.elapsed(), a.threats.len());
        }
        return;
    }
    let ids: Vec<String> = all.rules.iter().map(|r| r.id().to_owned()).collect();
    let set = |model: &mut threatforge_model::Model, keep: Option<&str>| {
        model.rules.disable.clear();
        for id in &ids {
            if Some(id.as_str()) != keep {
                model
                    .rules
                    .disable
                    .insert(threatforge_model::Sp::synthetic(id.clone()), String::new());
            }
        }
    };
    set(&mut loaded.model, None);
    let t = std::time::Instant::now();
    analyze(&loaded.model, &all);
    let base = t.elapsed();
    eprintln!("baseline {base:?}");
    let mut times = Vec::new();
    for id in &ids {
        set(&mut loaded.model, Some(id));
        let t = std::time::Instant::now();
        let n = analyze(&loaded.model, &all).threats.len();
        times.push((t.elapsed().saturating_sub(base), id.clone(), n));
    }
    times.sort();
    for (t, id, n) in times.iter().rev().take(15) {
        eprintln!("{t:>12?} {id} ({n})");
    }
    loaded.model.rules.disable.clear();
    let t = std::time::Instant::now();
    let a = analyze(&loaded.model, &all);
    eprintln!("all rules {:?} threats {}", t.elapsed(), a.threats.len());
}
