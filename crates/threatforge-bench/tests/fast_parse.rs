//! The loader's fast YAML path reads synthetic models (the benchmark's input), and reads them
//! exactly as serde-saphyr does: same values, same spans, same order, also when read in pieces.

use threatforge_model::Limits;
use threatforge_model::testing::{CHUNK_BYTES, parse_fast, parse_slow, parse_split};

#[test]
fn synthetic_models_parse_the_same_on_both_paths() {
    let limits = Limits::default();
    for (n, seed) in [(10, 1), (1_000, 42), (10_000, 42)] {
        let text = threatforge_bench::model(n, seed);
        let fast = parse_fast(&text, &limits)
            .unwrap_or_else(|| panic!("the fast path declined the {n}-component model"));
        let slow = parse_slow(&text, &limits).expect("serde-saphyr reads the model");
        assert!(fast == slow, "the trees differ for the {n}-component model");
        // Large models are read in pieces, in parallel; `parse_fast` would quietly read them
        // whole if the pieces declined.
        if n >= 1_000 {
            let split = parse_split(&text, &limits, CHUNK_BYTES)
                .unwrap_or_else(|| panic!("the {n}-component model was not read in pieces"));
            assert!(
                split == slow,
                "read in pieces, the {n}-component model differs"
            );
        }
    }
}
