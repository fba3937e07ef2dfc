//! `threatforge schema`: every shipped model validates against it; broken ones do not.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn schema() -> serde_json::Value {
    let output = Command::cargo_bin("threatforge")
        .expect("binary")
        .arg("schema")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json schema");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    schema
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn as_json(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).expect("yaml")
}

#[test]
fn every_shipped_model_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid schema");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    yaml_files(&root.join("examples"), &mut files);
    assert!(files.len() >= 3);
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/starter.yaml"));
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&text))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn broken_models_do_not_validate() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid schema");
    for broken in [
        "system: { name: x, criticalty: high }",
        "system: { name: x }\ncomponents: { a: { technology: web-aplication } }",
        "system: { name: x }\ndata: { d: { classification: top-secret } }",
        "system: { name: x }\nflows: [ 'a => b' ]",
        "system: { name: x }\ncomponents: { Bad Id: { technology: browser } }",
        "system: { name: x }\nflows: [ { a -> b: { protocol: htps } } ]",
    ] {
        assert!(
            !validator.is_valid(&as_json(broken)),
            "should be invalid: {broken}"
        );
    }
}
