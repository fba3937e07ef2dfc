//! The values rule conditions see, built once per model as `Shared` CEL objects: a flow's ends
//! and data are shared, not copied, and strings are borrowed from the model.

use cel::common::types::{CelBool, CelInt, CelNull, CelString};
use cel::common::value::Val;
use threatforge_model::{Classification, Exposure, Model, Rating, catalog::catalog};

use crate::facts::{Facts, sensitivity, trust_level};
use crate::shared::Shared;

pub fn rating_level(rating: Rating) -> i64 {
    match rating {
        Rating::Low => 0,
        Rating::Medium => 1,
        Rating::High => 2,
        Rating::Critical => 3,
    }
}

type V<'m> = Box<dyn Val + 'm>;

fn s<'m>(text: &'m str) -> V<'m> {
    Box::new(CelString::from(text))
}

fn owned<'m>(text: String) -> V<'m> {
    Box::new(CelString::from(text))
}

fn int<'m>(value: i64) -> V<'m> {
    Box::new(CelInt::from(value))
}

fn b<'m>(value: bool) -> V<'m> {
    Box::new(CelBool::from(value))
}

fn strs<'m>(items: impl IntoIterator<Item = &'m str>) -> V<'m> {
    list(items.into_iter().map(s).collect())
}

fn list<'m>(items: Vec<V<'m>>) -> V<'m> {
    Box::new(Shared::list(items))
}

fn all<'m>(shared: &[Shared<'m>], indexes: &[usize]) -> V<'m> {
    list(indexes.iter().map(|&i| shared[i].boxed()).collect())
}

/// Every value a rule may see, by element index.
pub struct Values<'m> {
    pub components: Vec<Shared<'m>>,
    pub component_refs: Vec<Shared<'m>>,
    pub flows: Vec<Shared<'m>>,
    pub data: Vec<Shared<'m>>,
    pub boundaries: Vec<Shared<'m>>,
    pub runtimes: Vec<Shared<'m>>,
    pub model: Shared<'m>,
}

/// Highest classification among data indexes, with its level.
fn max_classification(model: &Model, data: &[usize]) -> (Classification, i64) {
    let max = data
        .iter()
        .map(|&d| model.data[d].classification)
        .max()
        .unwrap_or(Classification::Public);
    (max, sensitivity(max))
}

fn categories<'m>(model: &'m Model, data: &[usize]) -> V<'m> {
    let mut names: Vec<&'static str> = data
        .iter()
        .flat_map(|&d| model.data[d].categories.iter().map(|c| c.value.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    strs(names)
}

pub fn build<'m>(model: &'m Model, facts: &Facts) -> Values<'m> {
    let catalog = catalog();
    let criticality = |c: &threatforge_model::Component| rating_level(model.criticality_of(c));

    let data_fields = |d: &'m threatforge_model::Decl<threatforge_model::DataAsset>| -> Vec<(&'static str, V<'m>)> {
        vec![
            ("id", s(&d.id.value)),
            ("name", s(d.name.as_deref().unwrap_or(&d.id.value))),
            ("classification", s(d.classification.as_str())),
            ("sensitivity", int(sensitivity(d.classification))),
            ("integrity", s(d.integrity.as_str())),
            ("availability", s(d.availability.as_str())),
            ("integrity_level", int(rating_level(d.integrity))),
            ("availability_level", int(rating_level(d.availability))),
            ("categories", strs(d.categories.iter().map(|c| c.value.as_str()))),
            ("personal", b(d.categories.iter().any(|c| c.value.is_personal()))),
            ("quantity", s(d.quantity.map_or("", |q| q.as_str()))),
            ("tags", strs(d.tags.iter().map(String::as_str))),
        ]
    };
    let data_basic: Vec<Shared<'m>> = model
        .data
        .values()
        .map(|d| Shared::map(data_fields(d)))
        .collect();

    let ref_fields = |c: &'m threatforge_model::Decl<threatforge_model::Component>,
                      cf: &crate::facts::ComponentFacts|
     -> Vec<(&'static str, V<'m>)> {
        let (max, level) = max_classification(model, &cf.data);
        vec![
            ("id", s(&c.id.value)),
            ("name", s(c.name.as_deref().unwrap_or(&c.id.value))),
            ("kind", s(c.effective_kind().as_str())),
            ("technology", s(c.technology_id())),
            (
                "traits",
                list(c.effective_traits().into_iter().map(owned).collect()),
            ),
            (
                "exposure",
                s(c.exposure.unwrap_or(Exposure::Internal).as_str()),
            ),
            ("internet_facing", b(c.exposure == Some(Exposure::Internet))),
            (
                "controls",
                strs(c.controls.iter().map(|x| x.value.as_str())),
            ),
            (
                "boundary",
                s(cf.boundaries
                    .first()
                    .map_or("", |&b| model.boundaries[b].id.value.as_str())),
            ),
            ("trust", int(cf.trust)),
            ("max_classification", s(max.as_str())),
            ("sensitivity", int(level)),
            ("categories", categories(model, &cf.data)),
            ("criticality", int(criticality(c))),
            ("out_of_scope", b(c.out_of_scope.is_some())),
        ]
    };
    let component_refs: Vec<Shared<'m>> = model
        .components
        .values()
        .zip(&facts.components)
        .map(|(c, cf)| Shared::map(ref_fields(c, cf)))
        .collect();

    let flows: Vec<Shared<'m>> = model
        .flows
        .values()
        .zip(&facts.flows)
        .map(|(f, ff)| {
            let index = |ids: &[threatforge_model::Sp<String>]| -> Vec<usize> {
                ids.iter()
                    .filter_map(|d| model.data.get_index_of(&d.value))
                    .collect()
            };
            let sent = index(&f.data);
            let returned = index(&f.returns);
            let mut every: Vec<usize> = sent.iter().chain(&returned).copied().collect();
            every.sort_unstable();
            every.dedup();
            let (max, level) = max_classification(model, &every);
            let end = |i: Option<usize>| -> V<'m> {
                i.map_or(Box::new(CelNull), |c| component_refs[c].boxed())
            };
            let trust = |i: Option<usize>| i.map_or(2, |c| facts.components[c].trust);
            let protocol = catalog.protocol(f.protocol_id());
            Shared::map(vec![
                ("id", s(&f.id.value)),
                ("name", s(f.name.as_deref().unwrap_or(&f.id.value))),
                ("source", end(ff.source)),
                ("target", end(ff.target)),
                ("protocol", s(f.protocol_id())),
                ("protocol_family", s(f.protocol_family())),
                ("encrypted", b(f.is_encrypted())),
                ("local", b(protocol.is_some_and(|p| p.local))),
                ("authentication", s(f.authentication().as_str())),
                (
                    "authenticated",
                    b(f.authentication() != threatforge_model::Authentication::None),
                ),
                ("authorization", s(f.authorization().as_str())),
                ("data", all(&data_basic, &sent)),
                ("returns", all(&data_basic, &returned)),
                ("all_data", all(&data_basic, &every)),
                ("sensitivity", int(if every.is_empty() { 0 } else { level })),
                ("max_classification", s(max.as_str())),
                ("categories", categories(model, &every)),
                (
                    "controls",
                    strs(f.controls.iter().map(|x| x.value.as_str())),
                ),
                ("usage", s(f.usage.map_or("business", |u| u.as_str()))),
                ("readonly", b(f.readonly)),
                (
                    "crosses",
                    list(ff.crosses.iter().cloned().map(owned).collect()),
                ),
                ("crosses_boundary", b(!ff.crosses.is_empty())),
                ("into_more_trusted", b(trust(ff.target) > trust(ff.source))),
                (
                    "from_internet",
                    b(ff.source
                        .is_some_and(|c| model.components[c].exposure == Some(Exposure::Internet))),
                ),
                ("tags", strs(f.tags.iter().map(String::as_str))),
            ])
        })
        .collect();

    let mut runtime_members: Vec<Vec<usize>> = vec![Vec::new(); model.runtimes.len()];
    for (c, cf) in facts.components.iter().enumerate() {
        if let Some(r) = cf.runtime {
            runtime_members[r].push(c);
        }
    }

    let components: Vec<Shared<'m>> = model
        .components
        .values()
        .zip(&facts.components)
        .enumerate()
        .map(|(i, (c, cf))| {
            let stored: Vec<usize> = c
                .stores
                .iter()
                .filter_map(|d| model.data.get_index_of(&d.value))
                .collect();
            let peers: Vec<usize> = cf
                .runtime
                .map(|r| {
                    runtime_members[r]
                        .iter()
                        .copied()
                        .filter(|&p| p != i)
                        .collect()
                })
                .unwrap_or_default();
            let mut fields = ref_fields(c, cf);
            fields.extend([
                (
                    "processes",
                    strs(c.processes.iter().map(|x| x.value.as_str())),
                ),
                ("stores", strs(c.stores.iter().map(|x| x.value.as_str()))),
                ("data", all(&data_basic, &cf.data)),
                ("stored_data", all(&data_basic, &stored)),
                ("inbound", all(&flows, &cf.inbound)),
                ("outbound", all(&flows, &cf.outbound)),
                ("reachable_from_internet", b(cf.reachable_from_internet)),
                ("internet_hops", int(cf.internet_hops)),
                ("unauthenticated_path", b(cf.unauthenticated_path)),
                (
                    "boundaries",
                    strs(
                        cf.boundaries
                            .iter()
                            .map(|&b| model.boundaries[b].id.value.as_str()),
                    ),
                ),
                (
                    "runtime",
                    s(cf.runtime
                        .map_or("", |r| model.runtimes[r].id.value.as_str())),
                ),
                ("runtime_peers", all(&component_refs, &peers)),
                ("tags", strs(c.tags.iter().map(String::as_str))),
                ("has_code", b(!c.code.is_empty())),
                ("owner", s(c.owner.as_deref().unwrap_or(""))),
            ]);
            Shared::map(fields)
        })
        .collect();

    let data: Vec<Shared<'m>> = model
        .data
        .values()
        .zip(&facts.data)
        .map(|(d, df)| {
            let mut fields = data_fields(d);
            fields.extend([
                ("stored_by", all(&component_refs, &df.stored_by)),
                ("processed_by", all(&component_refs, &df.processed_by)),
                ("flows", all(&flows, &df.flows)),
            ]);
            Shared::map(fields)
        })
        .collect();

    let boundaries: Vec<Shared<'m>> = model
        .boundaries
        .values()
        .zip(&facts.boundaries)
        .map(|(bd, bf)| {
            Shared::map(vec![
                ("id", s(&bd.id.value)),
                ("name", s(bd.name.as_deref().unwrap_or(&bd.id.value))),
                ("kind", s(bd.kind.as_str())),
                ("trust", int(trust_level(bd.trust))),
                ("trust_name", s(bd.trust.as_str())),
                (
                    "parent",
                    s(bf.parent
                        .map_or("", |p| model.boundaries[p].id.value.as_str())),
                ),
                (
                    "children",
                    strs(
                        bf.children
                            .iter()
                            .map(|&c| model.boundaries[c].id.value.as_str()),
                    ),
                ),
                ("components", all(&component_refs, &bf.components)),
            ])
        })
        .collect();

    let runtimes: Vec<Shared<'m>> = model
        .runtimes
        .values()
        .zip(&runtime_members)
        .map(|(r, members)| {
            let mut zones: Vec<&'m str> = members
                .iter()
                .map(|&c| {
                    facts.components[c]
                        .boundaries
                        .first()
                        .map_or("", |&bd| model.boundaries[bd].id.value.as_str())
                })
                .collect();
            zones.sort_unstable();
            zones.dedup();
            Shared::map(vec![
                ("id", s(&r.id.value)),
                ("name", s(r.name.as_deref().unwrap_or(&r.id.value))),
                ("kind", s(r.kind.as_str())),
                ("components", all(&component_refs, members)),
                ("zones", strs(zones)),
            ])
        })
        .collect();

    let every = |n: usize| (0..n).collect::<Vec<usize>>();
    let model_value = Shared::map(vec![
        (
            "system",
            Box::new(Shared::map(vec![
                ("name", s(model.system_name())),
                ("criticality", int(rating_level(model.system_criticality()))),
            ])),
        ),
        (
            "components",
            all(&component_refs, &every(component_refs.len())),
        ),
        ("flows", all(&flows, &every(flows.len()))),
        ("data", all(&data_basic, &every(data_basic.len()))),
        (
            "boundaries",
            strs(model.boundaries.keys().map(String::as_str)),
        ),
    ]);

    Values {
        components,
        component_refs,
        flows,
        data,
        boundaries,
        runtimes,
        model: model_value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Object, Ty};
    use threatforge_model::{LoadOptions, load_str};

    const MODEL: &str = "system: { name: T, criticality: high }
data:
  card: { classification: secret, categories: [payment] }
  profile: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [profile] }
  db: { technology: postgresql, stores: [card, profile] }
flows:
  - user -> web: { protocol: https, authentication: credentials, data: [profile, card] }
  - web -> db: { protocol: postgres, data: [card], returns: [profile] }
boundaries:
  cloud: { kind: cloud-account, trust: high, contains: [app] }
  app: { kind: vpc, contains: [web, db] }
runtimes:
  host: { kind: host, runs: [web, db] }
";

    use cel::common::types::{CelList, CelMap, CelMapKey};

    /// Every object value has exactly the fields its type declares, recursively.
    fn assert_shape(value: &dyn Val, ty: Ty, path: &str) {
        match ty {
            Ty::Obj(object) => {
                let map = value.downcast_ref::<CelMap>().unwrap_or_else(|| {
                    panic!("{path}: expected {}, found {value:?}", object.name())
                });
                let mut expected: Vec<&str> = object.fields().iter().map(|(n, _)| *n).collect();
                let mut actual: Vec<String> = map
                    .inner()
                    .keys()
                    .map(|k| match k {
                        CelMapKey::String(s) => s.inner().to_owned(),
                        other => format!("{other:?}"),
                    })
                    .collect();
                expected.sort_unstable();
                actual.sort_unstable();
                assert_eq!(actual, expected, "fields of {path} ({})", object.name());
                for (name, field_ty) in object.fields() {
                    let field = &map.inner()[&CelMapKey::from(name)];
                    assert_shape(&**field, field_ty, &format!("{path}.{name}"));
                }
            }
            Ty::List(inner) => {
                let list = value
                    .downcast_ref::<CelList>()
                    .unwrap_or_else(|| panic!("{path}: expected a list, found {value:?}"));
                for (i, item) in list.inner().iter().enumerate() {
                    assert_shape(&**item, *inner, &format!("{path}[{i}]"));
                }
            }
            Ty::Str => assert!(
                value.downcast_ref::<CelString>().is_some(),
                "{path}: {value:?}"
            ),
            Ty::Int => assert!(
                value.downcast_ref::<CelInt>().is_some(),
                "{path}: {value:?}"
            ),
            Ty::Bool => assert!(
                value.downcast_ref::<CelBool>().is_some(),
                "{path}: {value:?}"
            ),
            Ty::Dyn => {}
        }
    }

    #[test]
    fn values_have_the_shapes_the_checker_assumes() {
        let dir = std::env::temp_dir();
        let loaded = load_str("m.yaml", MODEL, &dir, &LoadOptions::default());
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let facts = crate::facts::derive(&loaded.model);
        let values = build(&loaded.model, &facts);
        for (i, v) in values.components.iter().enumerate() {
            assert_shape(
                v.inner(),
                Ty::Obj(Object::Component),
                &format!("components[{i}]"),
            );
        }
        for v in &values.flows {
            assert_shape(v.inner(), Ty::Obj(Object::Flow), "flow");
        }
        for v in &values.data {
            assert_shape(v.inner(), Ty::Obj(Object::DataAsset), "data");
        }
        for v in &values.boundaries {
            assert_shape(v.inner(), Ty::Obj(Object::Boundary), "boundary");
        }
        for v in &values.runtimes {
            assert_shape(v.inner(), Ty::Obj(Object::Runtime), "runtime");
        }
        assert_shape(values.model.inner(), Ty::Obj(Object::Model), "model");
    }

    #[test]
    fn facts_follow_the_graph() {
        let dir = std::env::temp_dir();
        let loaded = load_str("m.yaml", MODEL, &dir, &LoadOptions::default());
        let facts = crate::facts::derive(&loaded.model);
        let (user, web, db) = (0, 1, 2);
        assert_eq!(facts.components[user].internet_hops, 0);
        assert_eq!(facts.components[web].internet_hops, 1);
        assert_eq!(facts.components[db].internet_hops, 2);
        // The only path to the web app authenticates; the database is behind it.
        assert!(!facts.components[web].unauthenticated_path);
        assert!(!facts.components[db].unauthenticated_path);
        // web sits in app inside cloud: innermost first.
        assert_eq!(facts.components[web].boundaries, vec![1, 0]);
        assert_eq!(facts.components[web].trust, 2);
        // The internet-facing browser is outside every boundary, so its flow enters both.
        assert_eq!(facts.flows[0].crosses, vec!["internet", "app", "cloud"]);
        assert!(facts.flows[1].crosses.is_empty());
    }
}
