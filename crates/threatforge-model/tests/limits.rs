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

/// A model with `n` entries in the section `kind` reads (the entries' own text).
fn with_entries(kind: &str, n: usize) -> String {
    let mut text = String::from("system: { name: s }\ncomponents:\n  a: { kind: process }\n");
    text.push_str("  b: { kind: process }\nflows:\n  - a -> b\n");
    let entry = |i: usize| match kind {
        "components" => format!("  c{i}: {{ kind: process }}\n"),
        "flows" => format!("  - a -> b: {{ id: f{i} }}\n"),
        "boundaries" => format!("  b{i}: {{ contains: [] }}\n"),
        "data" => format!("  d{i}: {{ classification: internal }}\n"),
        "runtimes" => format!("  r{i}: {{ kind: host, runs: [a] }}\n"),
        "threats" => format!("  t{i}: {{ title: T, element: a, stride: spoofing }}\n"),
        "controls" => format!("  k{i}: {{ title: K, description: D, remediation: R }}\n"),
        _ => format!("  - {{ threat: \"r{i}:a\", status: accepted, justification: j }}\n"),
    };
    // Flows and components have sections above; the others get theirs here.
    let mut own = String::new();
    for i in 0..n {
        own.push_str(&entry(i));
    }
    match kind {
        "components" => text = text.replace("components:\n", &format!("components:\n{own}")),
        "flows" => text.push_str(&own),
        _ => text.push_str(&format!("{kind}:\n{own}")),
    }
    text
}

#[test]
fn each_kind_of_entity_stops_at_its_limit_naming_the_option() {
    type Field = fn(&mut Limits) -> &mut usize;
    let kinds: [(&str, &str, Field); 8] = [
        ("components", "components", |l| &mut l.max_components),
        ("flows", "flows", |l| &mut l.max_flows),
        ("boundaries", "boundaries", |l| &mut l.max_boundaries),
        ("data", "data assets", |l| &mut l.max_data),
        ("runtimes", "runtimes", |l| &mut l.max_runtimes),
        ("threats", "manual threats", |l| &mut l.max_threats),
        ("controls", "controls", |l| &mut l.max_controls),
        ("decisions", "decisions", |l| &mut l.max_decisions),
    ];
    for (section, words, limit) in kinds {
        let text = with_entries(section, 40);
        let mut limits = Limits::default();
        // The two components and the flow every model has count too.
        let base = match section {
            "components" => 2,
            "flows" => 1,
            _ => 0,
        };
        *limit(&mut limits) = base + 10;
        let loaded = load_with(&text, limits.clone());
        let over: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == "limit-exceeded")
            .collect();
        assert_eq!(over.len(), 1, "{section}: {:?}", loaded.diagnostics);
        let option = match section {
            "data" => "max-data".to_owned(),
            other => format!("max-{other}"),
        };
        assert_eq!(
            over[0].message,
            format!(
                "the model declares {} {words}, over the limit of {} (raise it with --{option})",
                base + 40,
                base + 10
            )
        );
        // The entries over the limit are not read: the limit bounds the work, not only the count.
        let read = match section {
            "components" => loaded.model.components.len(),
            "flows" => loaded.model.flows.len(),
            "boundaries" => loaded.model.boundaries.len(),
            "data" => loaded.model.data.len(),
            "runtimes" => loaded.model.runtimes.len(),
            "threats" => loaded.model.threats.len(),
            "controls" => loaded.model.controls.len(),
            _ => loaded.model.decisions.len(),
        };
        assert_eq!(read, base + 10, "{section}: {:?}", loaded.diagnostics);
        // At the limit, the same model has no such error.
        *limit(&mut limits) = base + 40;
        let loaded = load_with(&text, limits);
        assert!(
            !codes(&loaded).contains(&"limit-exceeded"),
            "{section}: {:?}",
            loaded.diagnostics
        );
    }
}

#[test]
fn entity_limits_count_the_included_files_together() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut root = String::from("system: { name: s }\ninclude: [a.yaml, b.yaml]\n");
    root.push_str("components:\n  r0: { kind: process }\n");
    std::fs::write(dir.path().join("threatforge.yaml"), root).expect("write");
    for (file, prefix) in [("a.yaml", "a"), ("b.yaml", "b")] {
        let mut text = String::from("components:\n");
        for i in 0..3 {
            text.push_str(&format!("  {prefix}{i}: {{ kind: process }}\n"));
        }
        std::fs::write(dir.path().join(file), text).expect("write");
    }
    let options = LoadOptions {
        limits: Limits {
            max_components: 5,
            ..Limits::default()
        },
        root_dir: None,
    };
    let loaded = load(&dir.path().join("threatforge.yaml"), &options);
    let over: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == "limit-exceeded")
        .collect();
    assert_eq!(over.len(), 1, "{:?}", loaded.diagnostics);
    assert!(
        over[0]
            .message
            .starts_with("the model declares 7 components")
    );
    // The root's component and a.yaml's three fit; b.yaml's first is the one over the limit.
    let label = over[0].primary_span().expect("located");
    let file = loaded.model.sources.get(label.file).expect("file");
    assert!(file.display.ends_with("b.yaml"), "{}", file.display);
    assert_eq!(loaded.model.sources.locate(label).line, 3);
}

/// Boundaries `b0` to `b{n-1}`, each inside the one before; with `cycle`, `b0` inside the last.
fn boundary_chain(n: usize, cycle: bool) -> String {
    let mut text = String::from("system: { name: s }\ncomponents:\n  a: { kind: process }\n");
    text.push_str("boundaries:\n");
    for i in 0..n {
        let inner = if i + 1 < n {
            format!("b{}", i + 1)
        } else if cycle {
            "b0".to_owned()
        } else {
            "a".to_owned()
        };
        text.push_str(&format!("  b{i}: {{ contains: [{inner}] }}\n"));
    }
    text
}

#[test]
fn a_chain_of_thirty_thousand_boundaries_stops_at_the_depth_limit() {
    // Every stage reads each boundary's chain of enclosing ones: a chain of n costs n² (10,000
    // was 3.5 s in a release build; 30,000 would be minutes here). The depth is found in one
    // pass, and the model stops before any stage reads the chains.
    let loaded = load_with(&boundary_chain(30_000, false), Limits::default());
    assert_eq!(
        codes(&loaded),
        ["limit-exceeded"],
        "{:?}",
        loaded.diagnostics
    );
    assert_eq!(
        loaded.diagnostics[0].message,
        "boundary `b29999` is nested 30000 deep, over the limit of 4096 (raise it with \
         --max-boundary-depth)"
    );
    // A cycle counts its length: cut, it would be a chain as deep.
    let loaded = load_with(&boundary_chain(30_000, true), Limits::default());
    assert_eq!(
        codes(&loaded),
        ["limit-exceeded"],
        "{:?}",
        loaded.diagnostics
    );
    assert!(loaded.diagnostics[0].message.contains("nested 30000 deep"));
    // Within the limit, the chain is a valid model.
    let roomy = Limits {
        max_boundary_depth: 64,
        ..Limits::default()
    };
    let loaded = load_with(&boundary_chain(64, false), roomy);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let deeper = Limits {
        max_boundary_depth: 63,
        ..Limits::default()
    };
    assert_eq!(
        codes(&load_with(&boundary_chain(64, false), deeper)),
        ["limit-exceeded"]
    );
}

#[test]
fn aliases_are_counted_in_bytes_before_the_tree_is_built() {
    // 90 aliases of a 300 KB scalar: within the node and alias counts (and under the 100 aliases
    // from which serde-saphyr checks their ratio to anchors), 27 MB once expanded.
    let text = format!(
        "system: {{ name: s, description: &big \"{}\" }}\ncomponents:\n{}",
        "x".repeat(300_000),
        (0..90)
            .map(|i| format!("  c{i}: {{ kind: process, description: *big }}\n"))
            .collect::<String>()
    );
    let loaded = load_with(&text, Limits::default());
    assert_eq!(
        codes(&loaded),
        ["limit-exceeded"],
        "{:?}",
        loaded.diagnostics
    );
    let d = &loaded.diagnostics[0];
    assert!(
        d.message
            .starts_with("the YAML's aliases expand to at least ")
            && d.message
                .ends_with("over the limit of 16777216 (raise it with --max-alias-bytes)"),
        "{}",
        d.message
    );
    // The alias that went over is the 56th: 55 copies of 300 KB fit in 16 MiB.
    let at = loaded
        .model
        .sources
        .locate(d.primary_span().expect("located"));
    assert_eq!(at.line, 2 + 56);
    let roomy = Limits {
        max_alias_bytes: 64 << 20,
        ..Limits::default()
    };
    let loaded = load_with(&text, roomy);
    assert!(
        !codes(&loaded).contains(&"limit-exceeded"),
        "{:?}",
        loaded.diagnostics
    );
}

/// Entities are read in chunks whose nodes are freed once read: problems in different chunks are
/// all reported, in the order of the file, and every good entity and flow is kept.
#[test]
fn entities_read_in_chunks_report_every_problem_in_order() {
    let mut text = String::from("system: { name: t }\ncomponents:\n");
    for i in 0..2100 {
        match i {
            5 => text.push_str("  c5: { technology: api-service, colour: blue }\n"),
            2050 => text.push_str("  c2050: { technology: api-service, exposure: everywhere }\n"),
            _ => text.push_str(&format!("  c{i}: {{ technology: api-service }}\n")),
        }
    }
    text.push_str("flows:\n");
    for i in 0..2099 {
        text.push_str(&format!("  - c{i} -> c{}: {{ protocol: https }}\n", i + 1));
    }
    let loaded = load_with(&text, Limits::default());
    let errors: Vec<(usize, &str)> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.labels[0].span.start as usize, d.code))
        .collect();
    assert_eq!(errors.len(), 2, "{:?}", loaded.diagnostics);
    assert!(errors[0].0 < errors[1].0, "{errors:?}");
    assert_eq!(loaded.model.components.len(), 2100);
    assert_eq!(loaded.model.flows.len(), 2099);
}
