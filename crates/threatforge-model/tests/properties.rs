//! Property tests: the loader never panics, whatever the text.

use proptest::prelude::*;
use threatforge_model::{LoadOptions, load_str};

fn fragments() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "system:",
        " { name: x }",
        "\n",
        "components:",
        "  a:",
        " { technology: browser }",
        "flows:",
        "  - a -> b",
        ": {",
        "}",
        "[",
        "]",
        "&x ",
        "*x",
        "- ",
        "data:",
        " d:",
        " classification: secret",
        "include: [",
        "../",
        "boundaries:",
        " contains: [a]",
        "\"",
        "'",
        "!!str ",
        "? ",
        "|",
        ">",
        "\t",
        "->",
        "#",
        "null",
        "~",
        "0x1F",
        "yes",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn loader_never_panics_on_structured_noise(text in fragments()) {
        let dir = tempfile::tempdir().expect("temp dir");
        let _ = load_str("model.yaml", &text, dir.path(), &LoadOptions::default());
    }

    #[test]
    fn loader_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let dir = tempfile::tempdir().expect("temp dir");
        let loaded = load_str("model.yaml", &text, dir.path(), &LoadOptions::default());
        // Every diagnostic that points into the file points inside it.
        for d in &loaded.diagnostics {
            if let Some(span) = d.primary_span() {
                prop_assert!(span.start as usize <= text.len());
            }
        }
    }
}
