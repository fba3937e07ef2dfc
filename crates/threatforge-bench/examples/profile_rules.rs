//! Times threat enumeration on a synthetic model, whole or rule by rule, for profiling:
//! `cargo run --release -p threatforge-bench --example profile_rules -- 10000 [whole]`.

use threatforge_analysis::{RuleSet, analyze};
use threatforge_model::{LoadOptions, load_str};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let mut loaded = load_str(
        "s.yaml",
        &threatforge_bench::model(n, 42),
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
