//! The JSON Schema (draft 2020-12) of the model language, generated from the model types, with
//! the catalogues' names filled in so editors complete technologies, protocols and controls.

use serde_json::{Value, json};

use crate::catalog::catalog;
use crate::model::Document;

/// The schema as a JSON value.
pub(crate) fn model_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<Document>();
    let mut value = schema.to_value();
    let catalog = catalog();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "$id".into(),
            json!("https://threatforge.dev/schema/model.json"),
        );
    }
    let defs = value.get_mut("$defs").and_then(Value::as_object_mut);
    if let Some(defs) = defs {
        let names = |ids: Vec<&str>| json!(ids);
        if let Some(component) = defs.get_mut("Component") {
            set_property(
                component,
                "technology",
                json!({ "type": "string", "enum": names(catalog.technology_ids()) }),
            );
            set_controls(component, names(catalog.control_ids()));
            set_items(component, "traits", names(catalog.trait_ids()));
        }
        if let Some(flow) = defs.get_mut("FlowAttributes") {
            set_property(
                flow,
                "protocol",
                json!({ "type": ["string", "null"], "enum": with_null(catalog.protocol_ids()) }),
            );
            set_controls(flow, names(catalog.control_ids()));
        }
    }
    if let Some(properties) = value.get_mut("properties").and_then(Value::as_object_mut) {
        for section in [
            "data",
            "components",
            "boundaries",
            "runtimes",
            "threats",
            "controls",
        ] {
            if let Some(object) = properties.get_mut(section).and_then(Value::as_object_mut) {
                object.insert(
                    "propertyNames".into(),
                    json!({ "pattern": "^[a-z][a-z0-9_-]*$" }),
                );
            }
        }
    }
    value
}

fn with_null(ids: Vec<&str>) -> Value {
    let mut values: Vec<Value> = ids.into_iter().map(|s| json!(s)).collect();
    values.push(Value::Null);
    Value::Array(values)
}

fn set_property(def: &mut Value, property: &str, schema: Value) {
    if let Some(slot) = def.pointer_mut(&format!("/properties/{property}")) {
        let description = slot.get("description").cloned();
        *slot = schema;
        if let (Some(description), Some(object)) = (description, slot.as_object_mut()) {
            object.insert("description".into(), description);
        }
    }
}

fn set_items(def: &mut Value, property: &str, names: Value) {
    if let Some(items) = def.pointer_mut(&format!("/properties/{property}/items")) {
        *items = json!({ "type": "string", "enum": names });
    }
}

/// A catalogue control, which editors complete, or the id of one the team declares under
/// `controls:` (the schema cannot see that section's keys from here; `check` can).
fn set_controls(def: &mut Value, names: Value) {
    if let Some(items) = def.pointer_mut("/properties/controls/items") {
        *items = json!({
            "anyOf": [
                { "type": "string", "enum": names },
                {
                    "type": "string",
                    "pattern": "^[a-z][a-z0-9_-]*$",
                    "description": "a control the model declares under `controls:`"
                }
            ]
        });
    }
}

/// The schema as pretty-printed JSON text.
pub fn model_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&model_schema()).unwrap_or_default();
    text.push('\n');
    text
}
