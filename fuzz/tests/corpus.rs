//! The smoke run CI does without libFuzzer or nightly: every committed corpus input through its
//! target function. An input that once crashed a target is committed here with its fix.

use std::path::Path;

use threatforge_import::Format;

fn replay(target: &str, run: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a corpus entry").path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "the {target} corpus is empty");
    for path in entries {
        let data = std::fs::read(&path).expect("a corpus file");
        eprintln!("{}", path.display());
        run(&data);
    }
}

#[test]
fn model() {
    replay("model", threatforge_fuzz::model);
}

#[test]
fn render() {
    replay("render", threatforge_fuzz::render);
}

#[test]
fn rules() {
    replay("rules", threatforge_fuzz::rules);
}

#[test]
fn import_threagile() {
    replay("import_threagile", |d| {
        threatforge_fuzz::import(Format::Threagile, d)
    });
}

#[test]
fn import_otm() {
    replay("import_otm", |d| threatforge_fuzz::import(Format::Otm, d));
}

#[test]
fn import_threat_dragon() {
    replay("import_threat_dragon", |d| {
        threatforge_fuzz::import(Format::ThreatDragon, d)
    });
}

#[test]
fn import_tm7() {
    replay("import_tm7", |d| threatforge_fuzz::import(Format::Tm7, d));
}
