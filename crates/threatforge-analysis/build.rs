//! Embeds the built-in rule library: one `include_str!` per file of `rules/`, sorted by name, so
//! adding a rule is adding a file.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".yaml") && !n.starts_with("coverage-"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut code = String::from(
        "/// The built-in rules: (file name, text).\npub(crate) static BUILTIN_RULES: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        println!("cargo:rerun-if-changed=rules/{name}");
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{name}\"))),"
        );
    }
    code.push_str("];\n");
    for extra in ["coverage-threagile.yaml", "coverage-pytm.yaml"] {
        let ident = extra
            .trim_end_matches(".yaml")
            .replace('-', "_")
            .to_uppercase();
        if dir.join(extra).is_file() {
            println!("cargo:rerun-if-changed=rules/{extra}");
            let _ = writeln!(
                code,
                "pub static {ident}: &str = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{extra}\"));"
            );
        } else {
            let _ = writeln!(code, "pub static {ident}: &str = \"\";");
        }
    }
    // The compliance frameworks: every file of `frameworks/` but the mapping, so adding a
    // framework is adding a file.
    println!("cargo:rerun-if-changed=frameworks");
    let mut frameworks: Vec<String> = std::fs::read_dir("frameworks")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".yaml") && n != "mapping.yaml")
                .collect()
        })
        .unwrap_or_default();
    frameworks.sort();
    code.push_str("/// The compliance frameworks: (file name, text).\npub(crate) static BUILTIN_FRAMEWORKS: &[(&str, &str)] = &[\n");
    for name in &frameworks {
        println!("cargo:rerun-if-changed=frameworks/{name}");
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/frameworks/{name}\"))),"
        );
    }
    code.push_str("];\n");
    println!("cargo:rerun-if-changed=frameworks/mapping.yaml");
    code.push_str("pub(crate) static FRAMEWORK_MAPPING: &str = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/frameworks/mapping.yaml\"));\n");
    let out = std::env::var("OUT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    if let Err(e) = std::fs::write(out.join("builtin_rules.rs"), code) {
        panic!("cannot write the rule table: {e}");
    }
}
