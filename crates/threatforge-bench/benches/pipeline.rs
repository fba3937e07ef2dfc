//! The pipeline's stages on synthetic models of N components (see `threatforge_bench::model`).
//! Run: `cargo bench -p threatforge-bench` (results and the machine: BENCHMARKS.md).
//! The `check` process benchmark needs the release binary: `cargo build --release` first.

use std::path::PathBuf;
use std::sync::OnceLock;

use threatforge_analysis::{RuleSet, analyze};
use threatforge_model::{LoadOptions, Model, load_str};

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[100, 1_000, 10_000, 50_000];

fn text(n: usize) -> String {
    threatforge_bench::model(n, 42)
}

fn model(n: usize) -> Model {
    let loaded = load_str(
        "synthetic.yaml",
        &text(n),
        &std::env::temp_dir(),
        &LoadOptions::default(),
    );
    assert!(!loaded.has_errors(), "the synthetic model is invalid");
    loaded.model
}

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(RuleSet::builtin)
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn load_and_validate(bencher: divan::Bencher, n: usize) {
    let text = text(n);
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

#[divan::bench(args = SIZES, sample_count = 5)]
fn derive_facts(bencher: divan::Bencher, n: usize) {
    let model = model(n);
    bencher.bench(|| {
        threatforge_analysis::World::new(divan::black_box(&model))
            .facts
            .components
            .len()
    });
}

/// Facts, every built-in rule, scoring and decisions: the whole analysis.
#[divan::bench(args = SIZES, sample_count = 5)]
fn evaluate_rules_and_score(bencher: divan::Bencher, n: usize) {
    let model = model(n);
    bencher.bench(|| analyze(divan::black_box(&model), rules()).threats.len());
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn report_json(bencher: divan::Bencher, n: usize) {
    let model = model(n);
    let analysis = analyze(&model, rules());
    bencher.bench(|| threatforge_report::render_json(&model, divan::black_box(&analysis)).len());
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn report_sarif(bencher: divan::Bencher, n: usize) {
    let model = model(n);
    let analysis = analyze(&model, rules());
    bencher.bench(|| {
        threatforge_report::render_sarif(
            &model,
            divan::black_box(&analysis),
            rules(),
            std::path::Path::new(""),
        )
        .len()
    });
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 5)]
fn report_html(bencher: divan::Bencher, n: usize) {
    let model = model(n);
    let analysis = analyze(&model, rules());
    bencher.bench(|| threatforge_report::render_html(&model, divan::black_box(&analysis)).len());
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 5)]
fn diagram_svg(bencher: divan::Bencher, n: usize) {
    let model = model(n);
    let analysis = analyze(&model, rules());
    let options = threatforge_report::DiagramOptions::default();
    bencher.bench(|| {
        threatforge_report::render_diagram(
            threatforge_report::DiagramFormat::Svg,
            &model,
            divan::black_box(&analysis),
            &options,
        )
        .len()
    });
}

/// The whole `threatforge check` as a process, reading the model from a file.
#[divan::bench(args = SIZES, sample_count = 3)]
fn check_process(bencher: divan::Bencher, n: usize) {
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/threatforge");
    if !binary.is_file() {
        eprintln!(
            "skipping check_process: build the release binary first (`cargo build --release`)"
        );
        return;
    }
    let path = std::env::temp_dir().join(format!("threatforge-bench-{n}.yaml"));
    if std::fs::write(&path, text(n)).is_err() {
        eprintln!("skipping check_process: cannot write {}", path.display());
        return;
    }
    bencher.bench(|| {
        std::process::Command::new(&binary)
            .arg("check")
            .arg(&path)
            .env("NO_COLOR", "1")
            .output()
            .map(|o| o.status.code())
    });
}

/// Evidence applied to an analyzed model of N components with `code` globs and endpoints: a
/// SARIF log of 10 N findings (half files, half URLs) mapped to components, confirming threats
/// and adding unmodeled weaknesses (issue 19's target: 100,000 findings over 10,000 components
/// under 2 s). Reading the log and analyzing the model are outside the timing.
#[divan::bench(args = [1_000, 10_000], sample_count = 3)]
fn apply_evidence(bencher: divan::Bencher, n: usize) {
    use threatforge_analysis::{Project, Source};
    let text = threatforge_bench::evidence_model(n, 42);
    let sarif = threatforge_bench::sarif(10 * n, n, 7);
    let mut evidence = threatforge_evidence::Evidence::default();
    let read = evidence.read_bytes(
        "synth.sarif",
        sarif.as_bytes(),
        Some(std::path::Path::new("/repo")),
        &threatforge_evidence::Limits::default(),
    );
    assert!(read.is_ok(), "the synthetic SARIF log reads");
    let dir = std::env::temp_dir();
    let options = threatforge_bench::project_options();
    bencher
        .with_inputs(|| {
            Project::load(
                Source::Text {
                    name: "synth.yaml",
                    text: &text,
                    dir: &dir,
                },
                &options,
            )
        })
        .bench_local_values(|mut analyzed| {
            threatforge_analysis::apply_evidence(
                &mut analyzed,
                divan::black_box(&evidence),
                &options,
            );
            // Returned, so that divan drops it outside the timing, as the CLI never drops it.
            analyzed
        });
}
