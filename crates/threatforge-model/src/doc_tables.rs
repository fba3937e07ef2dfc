//! Tables in the docs that are rendered from the code (the catalogue in docs/language.md, the
//! importers' mappings in docs/import.md): one check for every such document, used by the tests
//! of the crates that own the tables.

use std::path::Path;

/// Renders every table a document marks with `marker` (`<!-- marker: name -->`, the table's rows
/// right below) by `table(name)`, and fails unless the document holds exactly those tables, `count`
/// of them. With `UPDATE_DOCS` set it writes the document instead. `doc` is relative to the
/// workspace's top directory; `update` is the command that rewrites it, for the failure message.
pub fn check_doc_tables(
    doc: &str,
    marker: &str,
    count: usize,
    update: &str,
    table: impl Fn(&str) -> Option<String>,
) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(doc);
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let mut expected = String::with_capacity(committed.len());
    let mut lines = committed.split_inclusive('\n').peekable();
    let mut tables = 0;
    while let Some(line) = lines.next() {
        expected.push_str(line);
        let Some(name) = line
            .strip_prefix(marker)
            .and_then(|l| l.trim_end().strip_suffix(" -->"))
        else {
            continue;
        };
        let rendered = table(name).unwrap_or_else(|| panic!("{doc}: no table `{name}`"));
        expected.push_str(&rendered);
        tables += 1;
        // The committed table: the lines up to the next that is not a table row.
        while lines.peek().is_some_and(|l| l.starts_with('|')) {
            lines.next();
        }
    }
    assert_eq!(tables, count, "{doc} has a marker per table");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap_or_else(|e| panic!("{doc}: {e}"));
        return;
    }
    assert!(
        committed == expected,
        "{doc}'s generated tables are stale: run `{update}`"
    );
}
