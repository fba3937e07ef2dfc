//! Times each stage of a `check` on one model file, to see where the whole run's time goes:
//! `cargo run --release -p threatforge-bench --example phases -- model.yaml [repeats]`.
//!
//! The stages are the ones the CLI runs, in its order: reading the file, parsing the YAML into
//! the spanned node tree, the whole load (parse again, typed entities, validate), the built-in
//! rules, the facts and rule world, the analysis (facts again, rules, scoring, decisions), and
//! rendering the JSON report and the check's summary. Dropping is timed too, as the process pays
//! for it unless it exits first.

use std::time::{Duration, Instant};

use threatforge_analysis::{RuleSet, analyze};
use threatforge_model::LoadOptions;
use threatforge_model::testing::Node;

/// Counts live heap bytes, so each stage's own memory shows apart from what the allocator keeps
/// (resident memory stays at its peak after a drop).
struct Counting;
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        // SAFETY: the caller's layout is passed on as it came.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}
#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: phases MODEL.yaml [REPEATS]");
        std::process::exit(2);
    };
    let repeats: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let mut best: Vec<(&str, Duration)> = Vec::new();
    for _ in 0..repeats {
        let mut times = Vec::new();
        let mut lap = |name: &'static str, start: Instant| {
            times.push((name, start.elapsed()));
            eprintln!("{name:<45} rss {}", memory());
        };

        let t = Instant::now();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                std::process::exit(2);
            }
        };
        lap("read", t);

        let t = Instant::now();
        // The loader's budgets are generous for a model; these are larger still, so that the
        // parse is timed whole.
        let mut budget = serde_saphyr::Budget::default();
        budget.max_nodes = usize::MAX / 4;
        budget.max_events = usize::MAX / 4;
        let options = serde_saphyr::options! { budget: Some(budget) };
        let node = serde_saphyr::from_str_with_options::<Node>(&text, options);
        lap("yaml -> node tree", t);
        if let Err(e) = &node {
            eprintln!("the YAML did not parse: {e}");
        }
        let t = Instant::now();
        drop(node);
        lap("drop node tree", t);

        let t = Instant::now();
        let loaded = threatforge_model::load(std::path::Path::new(&path), &LoadOptions::default());
        lap("load (parse, entities, validate)", t);

        let t = Instant::now();
        let rules = RuleSet::builtin();
        lap("built-in rules", t);

        let t = Instant::now();
        let world = threatforge_analysis::World::new(&loaded.model);
        lap("facts and world", t);
        drop(world);

        let t = Instant::now();
        let options = threatforge_analysis::Options {
            for_summary: true,
            ..Default::default()
        };
        let quiet = threatforge_analysis::analyze_with(&loaded.model, &rules, &options);
        lap("analyze as `check` does (no explanations)", t);
        drop(quiet);

        let t = Instant::now();
        let analysis = analyze(&loaded.model, &rules);
        lap("analyze (facts, rules, score, decisions)", t);

        let t = Instant::now();
        let json = threatforge_report::render_json(&loaded.model, &analysis);
        lap("json report", t);
        let t = Instant::now();
        let open =
            threatforge_report::at_or_above(&analysis, threatforge_model::ThreatSeverity::Info);
        let summary = threatforge_report::summary(&analysis, None);
        lap("check summary", t);
        let threats = analysis.threats.len();
        let len = json.len() + open.len() + summary.threats;
        drop(open);

        let t = Instant::now();
        drop(analysis);
        drop(loaded);
        drop(json);
        lap("drop analysis and model", t);
        eprintln!("{threats} threats ({len})");

        if best.is_empty() {
            best = times;
        } else {
            for (b, (_, d)) in best.iter_mut().zip(times) {
                b.1 = b.1.min(d);
            }
        }
    }
    for (name, d) in best {
        eprintln!("{:>10.1} ms  {name}", d.as_secs_f64() * 1000.0);
    }
}

/// The process's resident memory now and at its peak, from /proc (Linux only; empty elsewhere).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    use std::sync::atomic::Ordering::Relaxed;
    let heap = LIVE.load(Relaxed) / 1_000_000;
    let peak = PEAK.swap(LIVE.load(Relaxed), Relaxed) / 1_000_000;
    format!(
        "{} (peak {}), heap {heap} MB (stage's peak {peak} MB)",
        field("VmRSS:"),
        field("VmHWM:")
    )
}
