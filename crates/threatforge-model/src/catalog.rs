//! The built-in catalogues: technologies, protocols, controls and traits.
//!
//! They are data files (`catalog/*.yaml`) compiled into the binary, so adding a technology or a
//! control is a one-line change that needs no Rust.

use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::model::ComponentKind;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Technology {
    pub title: String,
    pub kind: ComponentKind,
    pub traits: Vec<String>,
    /// Names people know it by (`s3`, `kubernetes`): suggested, never accepted, for this entry.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A product whose code is its vendor's (an identity provider, a monitoring tool), not a host
    /// for the team's own code (a web application, a function): run by its provider
    /// (`managed`), its pages and request handling are the provider's to fix.
    #[serde(default)]
    pub product: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub title: String,
    pub encrypted: bool,
    pub family: String,
    /// Local protocols (in-process calls, local files) never leave their host.
    #[serde(default)]
    pub local: bool,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlTarget {
    Component,
    Flow,
    Both,
}

/// How far a control declared on a component reaches beyond it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlReach {
    /// Only the component that declares it.
    #[default]
    Itself,
    /// Declared on a component that forwards traffic (a CDN, WAF, load balancer, gateway), it
    /// also protects the components it forwards to, where all their traffic from actors and
    /// other forwarders passes through holders of the control.
    Fronted,
    /// Like `fronted`, for protections only a person's client acts on (response headers a
    /// browser obeys): a machine client's route around the holder (a partner's integration, a
    /// provider's webhook) renders no page, so it does not break the cover.
    Browser,
    /// Declared on a build system, or on a service the build system hands the code to (a
    /// scanner), it is a practice of the pipeline: it covers every process of the team's own
    /// that the model declares (not third parties, not actors).
    Pipeline,
    /// Declared on a component, it also holds on every flow out of it: it shapes what the
    /// component sends (only the fields needed, pseudonyms, tokens instead of card numbers), so a
    /// rule about what a flow hands over counts it there.
    Outbound,
    /// Declared on a flow, it holds on every flow to the same component: it is an agreement with
    /// the party that receives (a data processing agreement covers whatever the team sends that
    /// processor, on whichever flow the model happens to name it).
    Recipient,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub title: String,
    pub on: ControlTarget,
    pub description: String,
    #[serde(default)]
    pub reach: ControlReach,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What to do to put the control in place, as reports advise it for an open threat.
    pub remediation: String,
    /// Controls that this one puts in place too, whether or not the model names them: a
    /// phishing-resistant second factor is a second factor, so a rule asking for `mfa` is
    /// answered by it. Read through `Component::effective_controls` and `Flow::effective_controls`.
    #[serde(default)]
    pub implies: Vec<String>,
}

/// A table of the catalogue by id. The ids are the catalogue's own, so a hash with a fixed seed
/// cannot be steered into collisions by a model; SipHash over each lookup was a visible part of
/// deriving the facts, which ask a component's technology for its traits many times.
pub(crate) type CatalogMap<T> = IndexMap<String, T, foldhash::fast::FixedState>;

#[derive(Debug)]
pub struct Catalog {
    pub technologies: CatalogMap<Technology>,
    pub protocols: CatalogMap<Protocol>,
    pub controls: CatalogMap<Control>,
    pub traits: CatalogMap<String>,
}

impl Catalog {
    pub fn technology(&self, id: &str) -> Option<&Technology> {
        self.technologies.get(id)
    }

    pub fn protocol(&self, id: &str) -> Option<&Protocol> {
        self.protocols.get(id)
    }

    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.get(id)
    }

    pub fn technology_ids(&self) -> Vec<&str> {
        self.technologies.keys().map(String::as_str).collect()
    }

    pub fn protocol_ids(&self) -> Vec<&str> {
        self.protocols.keys().map(String::as_str).collect()
    }

    pub fn control_ids(&self) -> Vec<&str> {
        self.controls.keys().map(String::as_str).collect()
    }

    pub fn trait_ids(&self) -> Vec<&str> {
        self.traits.keys().map(String::as_str).collect()
    }

    /// The technologies as "did you mean" reads them: id, title and aliases.
    pub(crate) fn technology_names(&self) -> Vec<Named<'_>> {
        named(&self.technologies, |t| (&t.title, &t.aliases))
    }

    pub(crate) fn protocol_names(&self) -> Vec<Named<'_>> {
        named(&self.protocols, |p| (&p.title, &p.aliases))
    }

    pub(crate) fn control_names(&self) -> Vec<Named<'_>> {
        named(&self.controls, |c| (&c.title, &c.aliases))
    }

    /// Traits have no title of their own; their description stands for it.
    pub(crate) fn trait_names(&self) -> Vec<Named<'_>> {
        named(&self.traits, |d| (d, &[]))
    }
}

pub(crate) use crate::suggest::Named;

fn named<'a, T>(
    entries: &'a CatalogMap<T>,
    parts: impl Fn(&'a T) -> (&'a String, &'a [String]),
) -> Vec<Named<'a>> {
    entries
        .iter()
        .map(|(id, entry)| {
            let (title, aliases) = parts(entry);
            Named { id, title, aliases }
        })
        .collect()
}

/// Reads a catalogue with the model's own YAML reader, which is about twice as fast as reading it
/// with serde-saphyr directly, and every `check` reads all four.
fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> T {
    let (value, diagnostics) = crate::read::read_typed_as::<T>(
        crate::FileId(0),
        name.to_owned(),
        std::path::PathBuf::from(name),
        std::sync::Arc::from(text),
        "the catalogue",
    );
    match value {
        Some(value) if diagnostics.is_empty() => value,
        // The catalogues are part of the binary and parsed by a unit test, so this is a build
        // defect, not an input error.
        _ => panic!("built-in catalogue {name} is invalid: {diagnostics:?}"),
    }
}

/// The catalogue, parsed once.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        technologies: parse(
            "technologies.yaml",
            include_str!("../catalog/technologies.yaml"),
        ),
        protocols: parse("protocols.yaml", include_str!("../catalog/protocols.yaml")),
        controls: parse("controls.yaml", include_str!("../catalog/controls.yaml")),
        traits: parse("traits.yaml", include_str!("../catalog/traits.yaml")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of docs/language.md that follows `<!-- catalog-table: {name} -->`, rendered from
    /// the catalogue, so the reference cannot drift from what the loader accepts.
    fn doc_table(name: &str) -> Option<String> {
        let catalog = catalog();
        let codes = |names: &[String]| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = String::new();
        match name.split_once(' ') {
            Some(("technologies", kind)) => {
                out.push_str(
                    "| technology | implied traits | title | suggested for |\n|---|---|---|---|\n",
                );
                for (id, t) in catalog
                    .technologies
                    .iter()
                    .filter(|(_, t)| t.kind.as_str() == kind)
                {
                    let traits = if t.traits.is_empty() {
                        "none".to_owned()
                    } else {
                        codes(&t.traits)
                    };
                    out.push_str(&format!(
                        "| `{id}` | {traits} | {} | {} |\n",
                        t.title,
                        codes(&t.aliases)
                    ));
                }
            }
            None if name == "protocols" => {
                out.push_str("| protocol | encrypted | family | title | suggested for |\n|---|---|---|---|---|\n");
                for (id, p) in &catalog.protocols {
                    out.push_str(&format!(
                        "| `{id}` | {} | {}{} | {} | {} |\n",
                        if p.encrypted { "yes" } else { "no" },
                        p.family,
                        if p.local { " (local)" } else { "" },
                        p.title,
                        codes(&p.aliases)
                    ));
                }
            }
            None if name == "controls" => {
                out.push_str("| control | on | title |\n|---|---|---|\n");
                for (id, c) in &catalog.controls {
                    let on = match c.on {
                        ControlTarget::Component => "component",
                        ControlTarget::Flow => "flow",
                        ControlTarget::Both => "both",
                    };
                    out.push_str(&format!("| `{id}` | {on} | {} |\n", c.title));
                }
            }
            None if name == "traits" => {
                out.push_str("| trait | meaning |\n|---|---|\n");
                for (id, meaning) in &catalog.traits {
                    out.push_str(&format!("| `{id}` | {meaning} |\n"));
                }
            }
            _ => return None,
        }
        Some(out)
    }

    /// docs/language.md lists the catalogue as it is; `UPDATE_DOCS=1` rewrites its tables.
    #[test]
    fn the_language_reference_lists_the_catalogue() {
        crate::testing::check_doc_tables(
            "docs/language.md",
            "<!-- catalog-table: ",
            6,
            "UPDATE_DOCS=1 cargo test -p threatforge-model catalogue",
            doc_table,
        );
    }
    #[test]
    fn names_are_suggested_by_meaning_from_aliases_then_titles_then_spelling() {
        let catalog = catalog();
        let technologies = catalog.technology_names();
        let means = |name: &str| crate::suggest::by_meaning(name, &technologies);
        assert_eq!(means("s3"), ["object-storage"]);
        for queue in ["sqs", "sns", "pubsub", "SQS", "Pub_Sub"] {
            assert_eq!(means(queue), ["message-queue"], "{queue}");
        }
        assert_eq!(means("aurora"), ["postgresql", "mysql"]);
        assert_eq!(means("github-actions"), ["hosted-ci"]);
        assert_eq!(means("GitHub Actions"), ["hosted-ci"]);
        assert_eq!(means("cloudfront"), ["cdn"]);
        assert_eq!(means("kubernetes"), ["container-platform"]);
        // A word of a title: "Microsoft SQL Server".
        assert_eq!(means("microsoft"), ["sql-server"]);
        // Spelling, over ids and aliases alike.
        assert_eq!(means("postgresq"), ["postgresql"]);
        assert_eq!(means("cloudfrnt"), ["cdn"]);
        assert!(means("zzzz").is_empty());
        let protocols = catalog.protocol_names();
        assert_eq!(crate::suggest::by_meaning("sqs", &protocols), ["https"]);
        assert_eq!(
            crate::suggest::by_meaning("wss", &protocols),
            ["websocket-tls"]
        );
    }

    #[test]
    fn catalogues_parse_and_are_consistent() {
        let catalog = catalog();
        assert!(
            catalog.technologies.len() >= 40,
            "the issue asks for at least 40 technologies"
        );
        for (id, technology) in &catalog.technologies {
            for t in &technology.traits {
                assert!(
                    catalog.traits.contains_key(t),
                    "technology {id} names unknown trait {t}"
                );
            }
        }
        assert!(catalog.protocol("https").is_some_and(|p| p.encrypted));
        assert!(catalog.protocol("http").is_some_and(|p| !p.encrypted));
        assert!(catalog.control("mtls").is_some());
        for (id, control) in &catalog.controls {
            for implied in &control.implies {
                assert!(
                    catalog.control(implied).is_some_and(|c| c.on == control.on),
                    "control {id} implies {implied}, which is no control of the same elements"
                );
            }
        }
    }

    #[test]
    fn facts_of_the_rules_for_tenants_recovery_and_payment_pages_are_declarable() {
        let catalog = catalog();
        // Declared by a team on its own components: rules read them, no technology implies them.
        for t in ["multi-tenant", "exports-spreadsheets", "builds-queries"] {
            assert!(catalog.traits.contains_key(t), "trait {t}");
            assert!(
                !catalog
                    .technologies
                    .values()
                    .any(|x| x.traits.iter().any(|y| y == t)),
                "no technology implies {t}"
            );
        }
        for c in [
            "tenant-isolation",
            "assertion-validation",
            "recovery-verification",
            "subresource-integrity",
        ] {
            // Each is a property of the component that holds it (a page, a store, a console), not
            // of a flow, and protects only that component.
            let control = catalog.control(c);
            assert!(
                control.is_some_and(
                    |x| x.on == ControlTarget::Component && x.reach == ControlReach::default()
                ),
                "control {c}: {control:?}"
            );
        }
    }

    #[test]
    fn aliases_are_lowercase_names_that_name_no_entry_of_their_own_catalogue() {
        let catalog = catalog();
        for names in [
            catalog.technology_names(),
            catalog.protocol_names(),
            catalog.control_names(),
        ] {
            let ids: std::collections::HashSet<&str> = names.iter().map(|n| n.id).collect();
            for entry in &names {
                for alias in entry.aliases {
                    // Compared after lowercasing and `_` to `-`: written so, or never matched.
                    assert!(
                        alias
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                        "alias {alias}"
                    );
                    // An alias that is an id would never be suggested: the id is valid.
                    assert!(!ids.contains(alias.as_str()), "{} alias {alias}", entry.id);
                }
            }
        }
    }

    #[test]
    fn every_control_says_what_it_is_and_what_to_do_in_its_own_words() {
        let mut seen = std::collections::HashSet::new();
        for (id, control) in &catalog().controls {
            for (field, text, words) in [
                ("description", &control.description, 25),
                ("remediation", &control.remediation, 15),
            ] {
                // A sentence that names something to do, not a word or a template.
                assert!(
                    text.split_whitespace().count() >= words && text.ends_with('.'),
                    "control {id}: {field} is too thin: {text:?}"
                );
                assert!(
                    seen.insert(text.as_str()),
                    "control {id}: {field} repeats another's"
                );
            }
            assert_ne!(control.description, control.remediation, "control {id}");
        }
    }

    #[test]
    fn ids_are_kebab_case() {
        let catalog = catalog();
        let all = catalog
            .technology_ids()
            .into_iter()
            .chain(catalog.protocol_ids())
            .chain(catalog.control_ids())
            .chain(catalog.trait_ids());
        for id in all {
            assert!(crate::model::is_valid_id(id), "{id} is not a valid id");
        }
    }
}
