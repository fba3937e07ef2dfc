//! Hostile input is bounded: each limit yields a clear error, never a hang, a panic or an
//! exhausted memory.

use std::path::Path;

use threatforge_model::{Limits, LoadOptions, Loaded, load, load_str};

fn codes(loaded: &Loaded) -> Vec<&'static str> {
    loaded.diagnostics.iter().map(|d| d.code).collect()
}

fn load_with(text: &str, limits: Limits) -> Loaded {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = LoadOptions {
        limits,
        root_dir: None,
    };
    load_str("model.yaml", text, dir.path(), &options)
}

#[test]
fn alias_expansion_bomb_is_refused() {
    // The "billion laughs": each level doubles ten times; fully expanded it would be 10^9 nodes.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    let loaded = load_with(&text, Limits::default());
    assert_eq!(codes(&loaded), vec!["limit-exceeded"]);
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let text = format!("system: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let loaded = load_with(&text, Limits::default());
    assert_eq!(codes(&loaded), vec!["limit-exceeded"]);
}

#[test]
fn nesting_limit_is_configurable() {
    let text = "system: { name: x, contacts: [{ name: y }] }\n";
    let loaded = load_with(
        text,
        Limits {
            max_depth: 2,
            ..Limits::default()
        },
    );
    assert_eq!(codes(&loaded), vec!["limit-exceeded"]);
}

#[test]
fn oversized_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("threatforge.yaml");
    std::fs::write(
        &path,
        format!("system: {{ name: big }}\n# {}\n", "x".repeat(4096)),
    )
    .expect("write");
    let options = LoadOptions {
        limits: Limits {
            max_file_bytes: 1024,
            ..Limits::default()
        },
        root_dir: None,
    };
    let loaded = load(&path, &options);
    assert_eq!(codes(&loaded), vec!["limit-exceeded"]);
}

#[test]
fn too_many_nodes_are_refused() {
    let text = format!(
        "system: {{ name: x, tags: [{}] }}\n",
        vec!["t"; 5000].join(", ")
    );
    let loaded = load_with(
        &text,
        Limits {
            max_nodes: 1000,
            ..Limits::default()
        },
    );
    assert_eq!(codes(&loaded), vec!["limit-exceeded"]);
}

#[test]
fn too_many_included_files_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names: Vec<String> = (0..20).map(|i| format!("f{i}.yaml")).collect();
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        format!(
            "system: {{ name: many }}\ninclude: [{}]\n",
            names.join(", ")
        ),
    )
    .expect("write");
    for name in &names {
        std::fs::write(dir.path().join(name), "data: {}\n").expect("write");
    }
    let options = LoadOptions {
        limits: Limits {
            max_files: 5,
            ..Limits::default()
        },
        root_dir: None,
    };
    let loaded = load(&dir.path().join("threatforge.yaml"), &options);
    assert!(codes(&loaded).iter().all(|c| *c == "limit-exceeded"));
    assert_eq!(loaded.model.sources.files().count(), 5);
}

#[test]
fn total_size_across_includes_is_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        "system: { name: sum }\ninclude: [a.yaml, b.yaml]\n",
    )
    .expect("write");
    let padding = format!("# {}\ndata: {{}}\n", "x".repeat(600));
    std::fs::write(dir.path().join("a.yaml"), &padding).expect("write");
    std::fs::write(dir.path().join("b.yaml"), &padding).expect("write");
    let options = LoadOptions {
        limits: Limits {
            max_total_bytes: 1000,
            ..Limits::default()
        },
        root_dir: None,
    };
    assert_eq!(
        codes(&load(&dir.path().join("threatforge.yaml"), &options)),
        vec!["limit-exceeded"]
    );
}

#[test]
fn binary_garbage_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("threatforge.yaml");
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x80, 0x81]).expect("write");
    let loaded = load(Path::new(&path), &LoadOptions::default());
    assert_eq!(codes(&loaded), vec!["io-error"]);
}

/// A root file and `files - 1` more, each including the next.
fn include_chain(dir: &Path, files: usize) -> Loaded {
    std::fs::write(
        dir.join("threatforge.yaml"),
        "system: { name: chain }\ninclude: [f1.yaml]\n",
    )
    .expect("write");
    for i in 1..files {
        let next = if i + 1 < files {
            format!("include: [f{}.yaml]\n", i + 1)
        } else {
            String::new()
        };
        std::fs::write(
            dir.join(format!("f{i}.yaml")),
            format!("data: {{}}\n{next}"),
        )
        .expect("write");
    }
    load(&dir.join("threatforge.yaml"), &LoadOptions::default())
}

#[test]
fn a_long_chain_of_includes_is_refused_at_the_depth_limit() {
    // 465 files are under the 512-file limit; read recursively, the chain overflowed the stack.
    let dir = tempfile::tempdir().expect("temp dir");
    let loaded = include_chain(dir.path(), 465);
    assert_eq!(codes(&loaded), vec!["limit-exceeded"]);
    let depth = Limits::default().max_include_depth;
    assert_eq!(loaded.model.sources.files().count(), depth + 1);
    let message = &loaded.diagnostics[0].message;
    let too_deep = format!("f{}.yaml", depth + 1);
    assert!(message.contains(&too_deep), "{message}");
    assert!(message.contains(&depth.to_string()), "{message}");
    assert!(message.contains("threatforge.yaml"), "{message}");
}

#[test]
fn includes_up_to_the_depth_limit_are_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let depth = Limits::default().max_include_depth;
    let loaded = include_chain(dir.path(), depth + 1);
    assert_eq!(codes(&loaded), Vec::<&str>::new());
    assert_eq!(loaded.model.sources.files().count(), depth + 1);
}
