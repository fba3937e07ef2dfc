//! The fuzz targets, as plain functions: the libFuzzer binaries in `fuzz_targets/` call them, and
//! `tests/corpus.rs` replays the committed corpora through them with `cargo test`, which needs no
//! libFuzzer and no nightly. Each may panic only where threatforge broke a promise: loading,
//! analyzing, importing and rendering never panic on any input, and an importer never writes a
//! model that `check` rejects.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use threatforge_analysis::{Analyzed, CelLimits, Project, ProjectOptions, Source};
use threatforge_model::{LoadOptions, Style};
use threatforge_report::{DiagramFormat, DiagramOptions, Format, Input};

/// The files a `model` input is cut into: the root, then files it may include.
const FILES: [&str; 4] = ["threatforge.yaml", "a.yaml", "b.yaml", "sub/c.yaml"];
/// What separates the files in an input.
const SEPARATOR: &[u8] = b"\n#%%\n";

/// This process's scratch directory for a target, on tmpfs where there is one: the loader reads
/// includes and rule directories through the file system, and confines them to a root, so the
/// fuzzed files are written where it reads them, in memory.
fn scratch(target: &str) -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let parent = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        parent.join(format!("threatforge-fuzz-{}", std::process::id()))
    });
    let dir = base.join(target);
    std::fs::create_dir_all(dir.join("sub")).expect("the scratch directory");
    Box::leak(dir.into_boxed_path())
}

/// Cuts `data` into the files of [`FILES`], writes them into `dir`, and removes those it does not
/// have (a previous input's).
fn write_files(dir: &Path, data: &[u8]) {
    let mut parts = split(data, SEPARATOR);
    for name in FILES {
        let path = dir.join(name);
        match parts.next() {
            Some(part) => std::fs::write(&path, part).expect("a scratch file"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

fn split<'a>(data: &'a [u8], separator: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.windows(separator.len()).position(|w| w == separator) {
            Some(at) => {
                rest = Some(&text[at + separator.len()..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// The model loader: YAML or JSON, with includes among up to four files, and every diagnostic
/// rendered against its files.
pub fn model(data: &[u8]) {
    let dir = scratch("model");
    write_files(dir, data);
    let loaded = threatforge_model::load(&dir.join(FILES[0]), &LoadOptions::default());
    for diagnostic in &loaded.diagnostics {
        threatforge_model::render_diagnostic(diagnostic, &loaded.model.sources, Style::Plain);
        threatforge_model::diagnostic_line(diagnostic, &loaded.model.sources);
    }
}

/// Every report format and diagram of a fuzzed model that loads without errors, analyzed with
/// the built-in rules.
pub fn render(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = scratch("render");
    let analyzed = Project::load(
        Source::Text {
            name: "threatforge.yaml",
            text,
            dir,
        },
        &options(),
    );
    render_all(&analyzed, dir);
}

fn render_all(analyzed: &Analyzed, root: &Path) {
    if analyzed.has_errors() {
        return;
    }
    let model = &analyzed.loaded.model;
    let input = Input {
        model,
        analysis: &analyzed.analysis,
        rules: &analyzed.rules,
        root,
        fail_on: None,
    };
    for &format in Format::ALL {
        threatforge_report::render(format, &input);
    }
    let whole = DiagramOptions::default();
    let first = DiagramOptions {
        boundary: model.boundaries.keys().next().cloned(),
        element_links: true,
        ..DiagramOptions::default()
    };
    for &format in DiagramFormat::ALL {
        for options in [&whole, &first] {
            threatforge_report::render_diagram(format, model, &analyzed.analysis, options);
        }
    }
}

/// A model every kind of rule has something to look at in.
const RULES_MODEL: &str = "system: { name: fuzz, criticality: high }
data:
  cards: { classification: restricted, categories: [financial] }
components:
  user: { kind: actor, exposure: internet }
  web: { technology: web-application, exposure: internet, data: [cards], controls: [waf] }
  api: { technology: api-service, authentication: oauth2 }
  db: { technology: postgresql, data: [cards] }
  queue: { technology: kafka }
flows:
  - user -> web: { protocol: https, data: [cards] }
  - web -> api: { protocol: http }
  - api -> db: { protocol: postgres }
  - api -> queue: { protocol: kafka }
boundaries:
  cloud: { contains: [vpc, web] }
  vpc: { contains: [api, db, queue] }
";

/// A team's rule file, loaded beside the built-ins and evaluated on [`RULES_MODEL`]: the rule
/// format, CEL conditions and explanation templates.
pub fn rules(data: &[u8]) {
    let dir = scratch("rules");
    let rules = dir.join("sub");
    std::fs::write(rules.join("fuzz.yaml"), data).expect("the rule file");
    let options = ProjectOptions {
        extra_rules: vec![rules],
        ..options()
    };
    let analyzed = Project::load(
        Source::Text {
            name: "threatforge.yaml",
            text: RULES_MODEL,
            dir,
        },
        &options,
    );
    for diagnostic in analyzed.diagnostics() {
        threatforge_model::render_diagnostic(diagnostic, analyzed.sources(), Style::Plain);
    }
    if !analyzed.has_errors() {
        threatforge_report::render(
            Format::Json,
            &Input {
                model: &analyzed.loaded.model,
                analysis: &analyzed.analysis,
                rules: &analyzed.rules,
                root: dir,
                fail_on: None,
            },
        );
    }
}

/// An importer, and the model it writes: that must load without errors.
pub fn import(format: threatforge_import::Format, data: &[u8]) {
    let options = threatforge_import::Options::default();
    let Ok(imported) = threatforge_import::import(data, format, &options) else {
        return;
    };
    let dir = scratch(format.as_str());
    let loaded = threatforge_model::load_str(
        "threatforge.yaml",
        &imported.yaml,
        dir,
        &LoadOptions::default(),
    );
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| threatforge_model::diagnostic_line(d, &loaded.model.sources))
        .collect();
    assert!(
        errors.is_empty(),
        "the {format} importer wrote a model `check` rejects: {errors:#?}\n{}",
        imported.yaml
    );
}

/// The pipeline's options under fuzzing: rule evaluation bounded lower than by default, so that
/// an input is a few milliseconds of work and a slow one is a finding of libFuzzer's `-timeout`.
fn options() -> ProjectOptions {
    ProjectOptions {
        today: Some("2026-12-01".to_owned()),
        cel: CelLimits {
            max_steps: 200_000,
            max_iterations: 2_000_000,
            ..CelLimits::default()
        },
        ..ProjectOptions::default()
    }
}
