//! The draft model `init --from` writes: YAML a team keeps editing, every guess with a comment
//! saying what it came from, and nothing that `check` rejects (catalogue names only, ids minted
//! valid and unique, each component in one boundary).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use threatforge_model::{Exposure, is_valid_id};

use crate::inventory::{Found, Gate, Inventory, Zone};

/// The actor that stands for whoever reaches what the code publishes.
const INTERNET_USER: &str = "internet-user";

/// The model's YAML text. `inputs` are the paths read, for the header.
pub fn draft_model(inventory: &Inventory, inputs: &[String]) -> String {
    let mut ids = Ids::default();
    ids.reserve(INTERNET_USER);
    let component_ids: Vec<String> = inventory
        .components
        .iter()
        .map(|c| ids.mint(&c.name))
        .collect();
    let by_reference: HashMap<&str, &str> = inventory
        .components
        .iter()
        .zip(&component_ids)
        .map(|(c, id)| (c.reference.as_str(), id.as_str()))
        .collect();
    let zones = kept_zones(inventory);
    let zone_ids: HashMap<&str, String> = zones
        .iter()
        .map(|z| (z.key.as_str(), ids.mint(&z.name)))
        .collect();

    let mut out = String::new();
    let shown: Vec<String> = inputs.iter().map(|i| one_line(i)).collect();
    comment(
        &mut out,
        "",
        &format!(
            "Drafted by `threatforge init --from` from {}.",
            shown.join(", ")
        ),
    );
    comment(
        &mut out,
        "",
        "Every guess says what it came from. Review each: correct what is wrong, add the data each",
    );
    comment(
        &mut out,
        "",
        "component handles (`data:`, `processes:`, `stores:`) and how flows authenticate, then",
    );
    comment(
        &mut out,
        "",
        "delete the comment. `threatforge drift --iac ...` keeps the model and the code in step.",
    );
    for note in &inventory.notes {
        comment(&mut out, "", &format!("Left out: {note}"));
    }
    out.push('\n');
    out.push_str("system:\n");
    let _ = writeln!(out, "  name: {}", quoted(&system_name(inputs)));
    out.push_str("  description: Drafted from infrastructure code; reviewed by nobody yet.\n");

    let exposed: Vec<(&Found, &str)> = inventory
        .components
        .iter()
        .zip(&component_ids)
        .filter(|(c, _)| {
            c.exposure
                .as_ref()
                .is_some_and(|e| e.value == Exposure::Internet)
        })
        .map(|(c, id)| (c, id.as_str()))
        .collect();

    out.push_str("\ncomponents:\n");
    if !exposed.is_empty() {
        comment(
            &mut out,
            "  ",
            "Whoever reaches what the code publishes to the internet: a guess; name the real clients.",
        );
        let _ = writeln!(
            out,
            "  {INTERNET_USER}:\n    name: Internet user\n    technology: browser\n    exposure: internet"
        );
    }
    for (found, id) in inventory.components.iter().zip(&component_ids) {
        let origin = &found.origin;
        comment(
            &mut out,
            "  ",
            &format!("{} ({}:{})", found.reference, origin.file, origin.line),
        );
        comment(
            &mut out,
            "  ",
            &format!("technology: {}", found.technology.why),
        );
        if let Some(exposure) = &found.exposure {
            comment(&mut out, "  ", &format!("exposure: {}", exposure.why));
        }
        for control in &found.controls {
            comment(
                &mut out,
                "  ",
                &format!("control {}: {}", control.value, control.why),
            );
        }
        for lack in &found.lacks {
            comment(&mut out, "  ", &format!("no {}: {}", lack.value, lack.why));
        }
        for note in &found.notes {
            comment(&mut out, "  ", note);
        }
        let _ = writeln!(out, "  {id}:");
        let _ = writeln!(out, "    name: {}", quoted(&found.name));
        let _ = writeln!(out, "    technology: {}", found.technology.value);
        if let Some(exposure) = &found.exposure {
            let _ = writeln!(out, "    exposure: {}", exposure.value.as_str());
        }
        let mut controls: Vec<&str> = found.controls.iter().map(|c| c.value).collect();
        controls.dedup();
        if !controls.is_empty() {
            let _ = writeln!(out, "    controls: [{}]", controls.join(", "));
        }
        let _ = writeln!(out, "    iac: [{}]", quoted(&found.reference));
    }

    if !exposed.is_empty() || !inventory.links.is_empty() {
        out.push_str("\nflows:\n");
    }
    for (found, id) in &exposed {
        let why = match &found.public_protocol {
            Some(p) => format!("inferred from its exposure; protocol: {}", p.why),
            None => "inferred from its exposure; the code does not say the protocol".to_owned(),
        };
        comment(&mut out, "  ", &why);
        match &found.public_protocol {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "  - {INTERNET_USER} -> {id}: {{ protocol: {} }}",
                    p.value
                );
            }
            None => {
                let _ = writeln!(out, "  - {INTERNET_USER} -> {id}");
            }
        }
    }
    let mut gates_of: HashMap<&str, Vec<&Gate>> = HashMap::new();
    for gate in &inventory.gates {
        gates_of.entry(gate.target.as_str()).or_default().push(gate);
    }
    for link in &inventory.links {
        let (Some(source), Some(target)) = (
            by_reference.get(link.source.as_str()),
            by_reference.get(link.target.as_str()),
        ) else {
            continue;
        };
        comment(
            &mut out,
            "  ",
            &format!(
                "from {} ({}:{})",
                link.why, link.origin.file, link.origin.line
            ),
        );
        // The code can contradict itself: configuration naming a service its policy keeps out.
        let denied = gates_of
            .get(link.target.as_str())
            .into_iter()
            .flatten()
            .find(|g| !g.outbound && g.denies(&link.source))
            .or_else(|| {
                gates_of
                    .get(link.source.as_str())
                    .into_iter()
                    .flatten()
                    .find(|g| g.outbound && g.denies(&link.target))
            });
        if let Some(gate) = denied {
            comment(
                &mut out,
                "  ",
                &format!(
                    "but {} does not let it through: the code contradicts itself here; correct \
                     the one that is wrong (drift reports it until then)",
                    gate.why
                ),
            );
        }
        match link.protocol {
            Some(protocol) => {
                let _ = writeln!(out, "  - {source} -> {target}: {{ protocol: {protocol} }}");
            }
            None => {
                let _ = writeln!(out, "  - {source} -> {target}");
            }
        }
    }

    if !zones.is_empty() {
        out.push_str("\nboundaries:\n");
    }
    for zone in &zones {
        let mut contains: Vec<&str> = inventory
            .components
            .iter()
            .zip(&component_ids)
            .filter(|(c, _)| c.zone.as_deref() == Some(zone.key.as_str()))
            .map(|(_, id)| id.as_str())
            .collect();
        contains.extend(
            zones
                .iter()
                .filter(|z| z.parent.as_deref() == Some(zone.key.as_str()))
                .filter_map(|z| zone_ids.get(z.key.as_str()).map(String::as_str)),
        );
        comment(&mut out, "  ", &format!("from {}", zone.why));
        let id = &zone_ids[zone.key.as_str()];
        let _ = writeln!(out, "  {id}:");
        let _ = writeln!(out, "    name: {}", quoted(&zone.name));
        let _ = writeln!(out, "    kind: {}", zone.kind.as_str());
        let _ = writeln!(out, "    contains: [{}]", contains.join(", "));
    }
    out
}

/// Zones that hold a component, directly or through a nested zone; a parent that is not kept
/// is skipped over.
fn kept_zones(inventory: &Inventory) -> Vec<Zone> {
    let parents: HashMap<&str, Option<&str>> = inventory
        .zones
        .iter()
        .map(|z| (z.key.as_str(), z.parent.as_deref()))
        .collect();
    let mut kept: HashSet<&str> = HashSet::new();
    for component in &inventory.components {
        let mut at = component.zone.as_deref();
        // Bounded by the number of zones: a cycle in the parents cannot loop.
        for _ in 0..=inventory.zones.len() {
            let Some(key) = at else { break };
            if !parents.contains_key(key) || !kept.insert(key) {
                break;
            }
            at = parents[key];
        }
    }
    inventory
        .zones
        .iter()
        .filter(|z| kept.contains(z.key.as_str()))
        .map(|z| Zone {
            parent: z.parent.clone().filter(|p| kept.contains(p.as_str())),
            ..z.clone()
        })
        .collect()
}

fn system_name(inputs: &[String]) -> String {
    let first = inputs.first().map(String::as_str).unwrap_or("");
    let path = std::path::Path::new(first);
    let name = path
        .file_stem()
        .filter(|_| !first.ends_with('/'))
        .or_else(|| path.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "." && n != "..")
        .unwrap_or_else(|| "Drafted system".to_owned());
    one_line(&name)
}

/// A text as a YAML double-quoted scalar: JSON's escapes are YAML's.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn one_line(text: &str) -> String {
    threatforge_model::escape::line(text).into_owned()
}

fn comment(out: &mut String, indent: &str, text: &str) {
    let _ = writeln!(out, "{indent}# {}", one_line(text));
}

/// Ids minted from names: valid, readable, unique across components and boundaries.
#[derive(Default)]
struct Ids {
    used: HashSet<String>,
}

impl Ids {
    fn reserve(&mut self, id: &str) {
        self.used.insert(id.to_owned());
    }

    fn mint(&mut self, name: &str) -> String {
        let mut slug = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug: String = slug.trim_matches('-').chars().take(60).collect();
        if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
            slug.insert_str(0, "c-");
        }
        let slug = slug.trim_end_matches('-').to_owned();
        let mut id = slug.clone();
        let mut n = 2;
        while self.used.contains(&id) || !is_valid_id(&id) {
            id = format!("{slug}-{n}");
            n += 1;
        }
        self.used.insert(id.clone());
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_ids_are_valid_and_unique() {
        let mut ids = Ids::default();
        ids.reserve("internet-user");
        let minted: Vec<String> = ["Orders DB", "orders-db", "9lives", "", "Internet user", "ü"]
            .iter()
            .map(|n| ids.mint(n))
            .collect();
        assert_eq!(
            minted,
            [
                "orders-db",
                "orders-db-2",
                "c-9lives",
                "c",
                "internet-user-2",
                "c-2"
            ]
        );
        assert!(minted.iter().all(|id| is_valid_id(id)));
    }

    #[test]
    fn hostile_names_stay_inside_their_quotes_and_comments() {
        let quoted = quoted("a\"\n# b: [c]");
        assert_eq!(quoted, "\"a\\\"\\n# b: [c]\"");
        let mut out = String::new();
        comment(&mut out, "", "x\ny: 1");
        assert_eq!(out.lines().count(), 1);
    }
}
