//! Every output of every shipped example and quality model, held to committed digests: a change
//! of structure (moving the pipeline, splitting modules) must leave every byte as it was. A
//! change of meaning (a rule, a format) changes digests on purpose: read the outputs' diff with
//! the binary before and after, then accept the new snapshot.

mod support;

use std::fmt::Write as _;
use std::hash::Hasher as _;
use std::path::PathBuf;

use support::{repo, threatforge};

/// What is run on each model: a command and its arguments before the model's path.
const RUNS: &[&[&str]] = &[
    &["check"],
    &["check", "--format", "json"],
    &["report", "--format", "html"],
    &["report", "--format", "md"],
    &["report", "--format", "json"],
    &["report", "--format", "sarif"],
    &["report", "--format", "csv"],
    &["report", "--format", "junit"],
    &["report", "--format", "otm"],
    &["diagram", "--format", "svg"],
    &["diagram", "--format", "mermaid"],
    &["diagram", "--format", "dot"],
];

/// The shipped examples and the quality models, by path from the repository's top.
fn models() -> Vec<String> {
    let mut models = Vec::new();
    for dir in ["examples", "tests/quality"] {
        let Ok(entries) = std::fs::read_dir(repo().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let model: PathBuf = entry.path().join("threatforge.yaml");
            if model.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                models.push(format!("{dir}/{name}/threatforge.yaml"));
            }
        }
    }
    models.sort();
    models
}

/// FNV-1a, 64 bits: specified, so the committed values hold on every platform and toolchain
/// (the standard library's hasher promises neither).
fn digest(bytes: &[u8]) -> String {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())
}

#[test]
fn every_output_of_the_examples_and_quality_models_is_as_committed() {
    let models = models();
    assert!(models.len() >= 8, "found only {models:?}");
    let mut digests = String::new();
    for model in &models {
        for run in RUNS {
            let output = threatforge()
                .current_dir(repo())
                .args(*run)
                .arg(model)
                .output()
                .expect("run");
            let _ = writeln!(
                digests,
                "{model} {}: exit {:?}, stdout {} bytes {}, stderr {} bytes {}",
                run.join(" "),
                output.status.code(),
                output.stdout.len(),
                digest(&output.stdout),
                output.stderr.len(),
                digest(&output.stderr),
            );
        }
    }
    insta::assert_snapshot!("outputs", digests);
}

#[test]
fn digests_tell_apart_what_differs_by_a_byte() {
    // The FNV-1a reference values for "" and "a".
    assert_eq!(digest(b""), "cbf29ce484222325");
    assert_eq!(digest(b"a"), "af63dc4c8601ec8c");
    assert_ne!(digest(b"threat:a"), digest(b"threat:b"));
}
