//! CWE ids as tools write them, and which CWEs are related: a weakness and its parents and
//! children in CWE's research view (view 1000), from `data/cwe-parents.txt`, which
//! `UPDATE_DATA=1 cargo test -p threatforge-evidence cwe` writes from the project's extract of
//! CWE 4.15 (NOTICE has MITRE's terms).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/cwe-parents.txt");

/// How many steps up or down the view a finding's CWE may be from a rule's and still confirm
/// its threat: a variant (CWE-564, SQL injection through Hibernate) confirms the base (CWE-89)
/// and the class above it (CWE-943), not the pillar at the top (CWE-707), which would relate
/// every injection to every other.
const STEPS: usize = 2;

struct Table {
    parents: HashMap<u32, Vec<u32>>,
    pillars: Vec<u32>,
    /// For every weakness in the view: its ancestors and descendants within `STEPS`, sorted,
    /// computed once, so that a comparison is a search rather than two walks of the view (the
    /// analysis compares every finding on a component with every CWE of its threats).
    near: BTreeMap<u32, Vec<u32>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut parents = HashMap::new();
        let mut pillars = Vec::new();
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
            let mut words = line.split_whitespace();
            let Some(id) = words.next().and_then(|w| w.parse::<u32>().ok()) else {
                continue;
            };
            let rest: Vec<&str> = words.collect();
            if rest == ["pillar"] {
                pillars.push(id);
            } else {
                parents.insert(id, rest.iter().filter_map(|w| w.parse().ok()).collect());
            }
        }
        let mut table = Table {
            parents,
            pillars,
            near: BTreeMap::new(),
        };
        let mut ids: Vec<u32> = table.parents.keys().copied().collect();
        ids.sort_unstable();
        let mut near: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for id in ids {
            for ancestor in ancestors(&table, id) {
                near.entry(id).or_default().push(ancestor);
                near.entry(ancestor).or_default().push(id);
            }
        }
        for related in near.values_mut() {
            related.sort_unstable();
            related.dedup();
        }
        table.near = near;
        table
    })
}

/// The ancestors of `cwe` within `STEPS`, pillars left out.
fn ancestors(table: &Table, cwe: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut level = vec![cwe];
    for _ in 0..STEPS {
        let next: Vec<u32> = level
            .iter()
            .flat_map(|c| table.parents.get(c).into_iter().flatten().copied())
            .filter(|p| !table.pillars.contains(p))
            .collect();
        found.extend(&next);
        level = next;
    }
    found
}

/// Whether a finding's CWE `found` bears on a rule's CWE `named`: the same, or one within two
/// steps of the other in the research view.
pub fn is_related(found: u32, named: u32) -> bool {
    found == named
        || table()
            .near
            .get(&found)
            .is_some_and(|near| near.binary_search(&named).is_ok())
}

/// The CWE id a tag or taxon names: `CWE-89`, `cwe_89`, `CWE:89`, `external/cwe/cwe-089`,
/// `CWE-89: Improper Neutralization ...`, or a bare `89` when `bare` (a taxon of a taxonomy
/// named CWE).
pub fn parse(text: &str, bare: bool) -> Option<u32> {
    let digits = |s: &str| -> Option<u32> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        // Six digits at most: CWE ids are four, and a longer run is not an id.
        (1..=6)
            .contains(&end)
            .then(|| s[..end].parse().ok())
            .flatten()
    };
    if bare && let Some(n) = digits(text.trim()) {
        return Some(n).filter(|&n| n > 0 && text.trim().len() <= 6);
    }
    let lower = text.to_ascii_lowercase();
    let at = lower.rfind("cwe")?;
    let rest = lower[at + 3..].trim_start_matches(['-', '_', ':', ' ', '/']);
    digits(rest).filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwe_ids_are_read_from_the_ways_tools_write_them() {
        assert_eq!(parse("CWE-89", false), Some(89));
        assert_eq!(parse("external/cwe/cwe-089", false), Some(89));
        assert_eq!(
            parse("CWE-79: Improper Neutralization of Input", false),
            Some(79)
        );
        assert_eq!(parse("cwe_22", false), Some(22));
        assert_eq!(parse("89", true), Some(89));
        assert_eq!(parse("89", false), None);
        assert_eq!(parse("security", false), None);
        assert_eq!(parse("CWE-", false), None);
        assert_eq!(parse("CWE-99999999999", false), None);
        assert_eq!(parse("owasp-a03", false), None);
    }

    #[test]
    fn related_cwes_are_near_in_the_research_view_but_not_through_a_pillar() {
        // Hibernate injection -> SQL injection -> data query logic injection.
        assert!(is_related(564, 89));
        assert!(is_related(89, 564));
        assert!(is_related(89, 943));
        assert!(is_related(89, 89));
        // SQL injection and cross-site scripting meet only at the pillar CWE-707.
        assert!(!is_related(89, 79));
        assert!(!is_related(89, 707));
    }

    #[test]
    fn the_precomputed_relation_is_the_walk_up_from_either_side() {
        let table = table();
        let mut ids: Vec<u32> = table.parents.keys().copied().collect();
        ids.extend(&table.pillars);
        ids.sort_unstable();
        // Every pair would be a million walks; every id against a spread of others is enough
        // to catch a relation computed one way only.
        let sample: Vec<u32> = ids.iter().copied().step_by(7).collect();
        let mut related = 0;
        for &a in &ids {
            for &b in sample
                .iter()
                .chain(table.parents.get(&a).into_iter().flatten())
            {
                let walked =
                    a == b || ancestors(table, a).contains(&b) || ancestors(table, b).contains(&a);
                assert_eq!(is_related(a, b), walked, "{a} and {b}");
                assert_eq!(is_related(b, a), walked, "{b} and {a}");
                related += usize::from(walked);
            }
        }
        assert!(related > ids.len() / 2, "{related} related pairs");
    }

    /// The data file is what the project's CWE extract gives: rewritten with UPDATE_DATA=1,
    /// compared otherwise (when the extract is present; in CI it must be).
    #[test]
    fn cwe_data_is_generated_from_the_knowledge_extract() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let csv = dir.join("../../../shared/knowledge/cwe.csv");
        let Ok(text) = std::fs::read_to_string(&csv) else {
            assert!(
                std::env::var("CI").is_err(),
                "CI needs {} to check the CWE data",
                csv.display()
            );
            return;
        };
        let mut out = String::from(
            "# CWE 4.15, research view (1000): each weakness's parents, and the pillars.\n\
             # Generated by `UPDATE_DATA=1 cargo test -p threatforge-evidence cwe` from the\n\
             # project's extract of CWE. Copyright (c) 2006-2026, The MITRE Corporation; used\n\
             # under the CWE Terms of Use (NOTICE).\n",
        );
        for row in text.lines().skip(1) {
            // id,name,type,abstraction,status,parents,capec; names may hold quoted commas, so
            // the fields are read from the right.
            let fields: Vec<&str> = row.rsplitn(6, ',').collect();
            let [_capec, parents, _status, abstraction, kind, head] = fields[..] else {
                continue;
            };
            let Some(id) = head.split(',').next().and_then(|id| parse(id, false)) else {
                continue;
            };
            if kind != "weakness" {
                continue;
            }
            if abstraction == "Pillar" {
                out.push_str(&format!("{id} pillar\n"));
            } else if !parents.is_empty() {
                let ids: Vec<String> = parents
                    .split(';')
                    .filter_map(|p| parse(p, false))
                    .map(|p| p.to_string())
                    .collect();
                out.push_str(&format!("{id} {}\n", ids.join(" ")));
            }
        }
        let path = dir.join("data/cwe-parents.txt");
        if std::env::var_os("UPDATE_DATA").is_some() {
            std::fs::write(&path, &out).expect("the data file is writable");
        } else {
            assert!(
                DATA == out,
                "data/cwe-parents.txt is stale: run UPDATE_DATA=1 cargo test -p threatforge-evidence cwe"
            );
        }
    }
}
