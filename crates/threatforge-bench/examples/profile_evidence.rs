//! Times evidence on a synthetic model, stage by stage: reading a SARIF log and a JUnit report,
//! loading and analyzing the model, and applying the evidence (mapping, confirming, verifying,
//! the re-analysis a failing test causes):
//! `cargo run --release -p threatforge-bench --example profile_evidence -- [COMPONENTS] [RESULTS] [TESTS]`
//! (defaults 10,000, 100,000 and 10,000: issue 19's target).

use std::path::Path;
use std::time::Instant;

use threatforge_analysis::{Project, Source, apply_evidence};
use threatforge_evidence::{Evidence, Limits};

fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (n, results, tests) = (arg(1, 10_000), arg(2, 100_000), arg(3, 10_000));
    let model = threatforge_bench::evidence_model(n, 42);
    let sarif = threatforge_bench::sarif(results, n, 7);
    let junit = threatforge_bench::junit(tests, n, 9);

    let t = Instant::now();
    let mut evidence = Evidence::default();
    let root = Path::new("/repo");
    let limits = Limits::default();
    for (name, bytes) in [
        ("synth.sarif", sarif.as_bytes()),
        ("junit.xml", junit.as_bytes()),
    ] {
        if let Err(e) = evidence.read_bytes(name, bytes, Some(root), &limits) {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
    eprintln!(
        "read evidence ({} findings, {} tests, {} MB): {:.3} s",
        evidence.findings.len(),
        evidence.tests.len(),
        (sarif.len() + junit.len()) / 1_000_000,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let dir = std::env::temp_dir();
    let options = threatforge_bench::project_options();
    let mut analyzed = Project::load(
        Source::Text {
            name: "synth.yaml",
            text: &model,
            dir: &dir,
        },
        &options,
    );
    if analyzed.has_errors() {
        eprintln!("the synthetic model is invalid");
        std::process::exit(2);
    }
    eprintln!(
        "load and analyze ({} threats): {:.3} s",
        analyzed.analysis.threats.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    apply_evidence(&mut analyzed, &evidence, &options);
    let summary = analyzed.analysis.evidence.as_deref();
    eprintln!(
        "apply evidence ({} confirmed, {} unmodeled, {} unmapped, {} controls failed): {:.3} s",
        summary.map_or(0, |s| s.confirmed.len()),
        summary.map_or(0, |s| s.unmodeled.len()),
        summary.map_or(0, |s| s.unmapped.len()),
        summary.map_or(0, |s| s.count(threatforge_analysis::Verification::Failed)),
        t.elapsed().as_secs_f64()
    );
}
