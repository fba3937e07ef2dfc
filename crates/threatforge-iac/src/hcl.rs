//! Terraform source (`.tf`): parsed with hcl-rs's editing parser (hcl-edit, which bounds the
//! nesting of blocks and expressions and keeps the spans for file:line), then handed to the same
//! mapping as a plan (`terraform::map`): one mapping, two readers.
//!
//! Nothing is evaluated. A literal is read as it is; `var.x` is its `default` (or the literal a
//! module call passes), `local.x` its literal; a reference to a resource is kept as the
//! reference (the flows and placements come from those) and written `${address}` where a value
//! is wanted; `jsonencode(...)` of a literal is read as its argument (it only changes notation);
//! everything else (other functions, conditionals, `for`) is unknown, `${?}`, which the mapping
//! treats as neither on nor off.
//!
//! Each directory of `.tf` files is a module. A local module call (`source = "./modules/net"`) to
//! a directory that was read gives its resources the prefix a plan gives them
//! (`module.net.aws_vpc.main`); a directory nobody calls is a root module. A local module's
//! output is read as its `value` in the called instance, so an output that is a plain reference
//! (`aws_vpc.main.id`) stands for that resource; any other (a registry module's, a computed one)
//! is left unresolved and counted in a note.
//!
//! `count` and `for_each` are never expanded: the resource is one component, noted with how many
//! instances its text says (a literal, or a variable's default) or "several", and the expression
//! as written; a module call's mark its resources that have none. A literal `count = 0` is not
//! deployed.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use hcl::edit::Span;
use hcl::edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::edit::structure::{Body, Structure};
use hcl::edit::template::{Element, Template};
use serde_json::{Map, Value};

use crate::error::IacError;
use crate::inventory::{Inventory, Origin, Source};
use crate::resource::{Resource, placeholders};
use crate::terraform;
use crate::text::{Lines, short};

/// What an expression that is not read stands for.
const UNKNOWN: &str = "${?}";
/// The most module instances (a module called from several places is read once per call).
const MAX_INSTANCES: usize = 256;
/// The most resources read from source over all instances: module calls multiply.
const MAX_RESOURCES: usize = 50_000;
/// Attributes that order or multiply a resource: a reference in them is not a flow.
const META: &[&str] = &["depends_on", "count", "for_each", "provider", "lifecycle"];

/// One parsed file.
struct File<'t> {
    name: &'t str,
    text: &'t str,
    body: Body,
    lines: Lines<'t>,
}

/// A directory of `.tf` files.
struct Module<'t> {
    dir: PathBuf,
    files: Vec<File<'t>>,
}

/// What names resolve to inside one module instance.
struct Scope {
    /// `module.net.` for the module called `net` from the root.
    prefix: String,
    vars: BTreeMap<String, Value>,
    locals: BTreeMap<String, Value>,
    /// What the outputs of the local modules it calls stand for, by call name and output: a
    /// plain reference to a resource in the module reads as that resource.
    outputs: BTreeMap<String, BTreeMap<String, Value>>,
}

/// Local module calls of each module: call name, the called module's position, the call's body,
/// and the text of the file it is in (for its `count` or `for_each` as written).
type Calls<'b> = [Vec<(String, usize, &'b Body, &'b str)>];

/// The most module scopes built to read outputs over one read: each instance reads its callees'
/// outputs, which read theirs, so a wide tree of calls would otherwise multiply the work.
const MAX_OUTPUT_SCOPES: usize = 4_096;
/// How deep module calls are followed.
const MAX_DEPTH: usize = 8;

/// References a conversion met: resources (with their prefix) and module outputs.
#[derive(Default)]
struct Met {
    resources: Vec<String>,
    module_outputs: Vec<String>,
}

/// Reads `.tf` files (name as shown, text) into the inventory, one module per directory.
pub(crate) fn read(files: &[(String, String)], inventory: &mut Inventory) -> Result<(), IacError> {
    let mut modules: Vec<Module> = Vec::new();
    for (name, text) in files {
        let body = hcl::edit::parser::parse_body(text).map_err(|e| {
            let location = e.location();
            IacError::at(
                name,
                location.line(),
                location.column(),
                format!("is not valid Terraform source: {}", short(e.message())),
            )
            .with_help("threatforge reads `.tf` files as `terraform validate` accepts them")
        })?;
        let dir = Path::new(name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let file = File {
            name,
            text,
            body,
            lines: Lines::new(text),
        };
        match modules.iter_mut().find(|m| m.dir == dir) {
            Some(module) => module.files.push(file),
            None => modules.push(Module {
                dir,
                files: vec![file],
            }),
        }
    }
    inventory.saw(Source::Terraform);

    // Which directory each local module call reaches; a directory nobody calls is a root.
    let calls: Vec<Vec<(String, usize, &Body, &str)>> = modules
        .iter()
        .map(|m| {
            blocks(m, "module")
                .filter_map(|(file, name, body)| {
                    let source = literal_string(body, "source")?;
                    let target = local_module(&m.dir, &source)?;
                    let index = modules.iter().position(|o| o.dir == target)?;
                    Some((name.to_owned(), index, body, file.text))
                })
                .collect()
        })
        .collect();
    // A module calling itself (hostile, or a mistake) is still a root; the instance cap ends it.
    let called: Vec<bool> = (0..modules.len())
        .map(|i| {
            calls
                .iter()
                .enumerate()
                .any(|(caller, c)| caller != i && c.iter().any(|(_, target, _, _)| *target == i))
        })
        .collect();

    let mut values: Vec<Owned> = Vec::new();
    let mut unresolved: Vec<String> = Vec::new();
    let mut not_deployed: Vec<String> = Vec::new();
    // Module instances to read: module, prefix, arguments, depth, and the instances its call (or
    // a caller's) makes.
    type Instance = (
        usize,
        String,
        BTreeMap<String, Value>,
        usize,
        Option<String>,
    );
    let mut queue: Vec<Instance> = (0..modules.len())
        .filter(|&i| !called[i])
        .map(|i| (i, String::new(), BTreeMap::new(), 0, None))
        .collect();
    queue.reverse();
    let mut instances = 0;
    let mut capped = false;
    let mut budget = MAX_OUTPUT_SCOPES;
    while let Some((index, prefix, arguments, depth, multiplied)) = queue.pop() {
        if instances >= MAX_INSTANCES || values.len() >= MAX_RESOURCES {
            capped = true;
            break;
        }
        instances += 1;
        let module = &modules[index];
        let scope = scope_of(
            &modules,
            &calls,
            index,
            prefix,
            arguments,
            depth,
            &mut budget,
        );
        for (file, kind, name, body, line) in resources(module) {
            if values.len() >= MAX_RESOURCES {
                capped = true;
                break;
            }
            let mut refs = Vec::new();
            let mut found = Met::default();
            let value = body_value(body, &scope, &mut |attr, found_here: Met| {
                if !META.contains(&attr) {
                    refs.extend(
                        found_here
                            .resources
                            .into_iter()
                            .map(|r| (attr.to_owned(), r)),
                    );
                }
                found.module_outputs.extend(found_here.module_outputs);
            });
            unresolved.extend(found.module_outputs);
            refs.dedup();
            let data = if line.data { "data." } else { "" };
            let address = format!("{}{data}{kind}.{name}", scope.prefix);
            let instances = match instances_of(file.text, body, &scope) {
                Instances::One => multiplied.clone(),
                Instances::None(how) => {
                    not_deployed.push(format!("{address} (`{how}`)"));
                    continue;
                }
                Instances::Several(how) => Some(how),
            };
            values.push(Owned {
                address,
                kind,
                value,
                refs,
                origin: Origin {
                    file: file.name.to_owned(),
                    line: line.line,
                },
                instances,
            });
        }
        // Calls from this instance, in the order written, before its siblings' (depth first).
        let mut children = Vec::new();
        for (name, target, body, text) in &calls[index] {
            if depth >= MAX_DEPTH {
                capped = true;
                continue;
            }
            let call = format!("{}module.{name}", scope.prefix);
            // A module's `count` or `for_each` multiplies every resource in it.
            let multiplied = match instances_of(text, body, &scope) {
                Instances::One => multiplied.clone(),
                Instances::None(how) => {
                    not_deployed.push(format!("{call} (`{how}`)"));
                    continue;
                }
                Instances::Several(how) => Some(format!("{how} of `{call}`")),
            };
            let mut found = Met::default();
            let arguments = call_arguments(body, &scope, &mut found);
            unresolved.extend(found.module_outputs);
            children.push((
                *target,
                format!("{call}."),
                arguments,
                depth + 1,
                multiplied,
            ));
        }
        queue.extend(children.into_iter().rev());
    }

    if !unresolved.is_empty() {
        unresolved.sort();
        unresolved.dedup();
        inventory.notes.push(format!(
            "{} reference(s) to module outputs are not followed (the first `{}`): a flow through one \
             is not drawn",
            unresolved.len(),
            short(&unresolved[0])
        ));
    }
    if let Some(first) = not_deployed.first() {
        inventory.notes.push(format!(
            "{} resource(s) with no instance as written (the first {}): not modeled",
            not_deployed.len(),
            short(first)
        ));
    }
    if capped {
        inventory.notes.push(format!(
            "module calls went past {MAX_INSTANCES} instances, {MAX_RESOURCES} resources or \
             {MAX_DEPTH} levels; the rest are left out"
        ));
    }
    let place = modules
        .first()
        .map(|m| format!("{}/*.tf", m.dir.display()))
        .unwrap_or_default();
    let resources: Vec<Resource> = values
        .iter()
        .map(|o| Resource {
            address: o.address.clone(),
            kind: o.kind,
            values: &o.value,
            refs: o.refs.clone(),
            origin: o.origin.clone(),
            instances: o.instances.clone(),
        })
        .collect();
    terraform::map(&place, resources, inventory);
    Ok(())
}

/// A resource as read from source, owning its values (a plan's are borrowed from its JSON).
struct Owned<'t> {
    address: String,
    kind: &'t str,
    value: Value,
    refs: Vec<(String, String)>,
    origin: Origin,
    instances: Option<String>,
}

/// How many instances a resource's `count` or `for_each` makes, as far as its text says.
enum Instances {
    /// Neither is written, or `count = 1`.
    One,
    /// `count = 0`, or an empty literal `for_each`: the resource is not deployed as written.
    None(String),
    /// Anything else, with the words for the draft (the expression as written).
    Several(String),
}

/// Reads `count` or `for_each` without evaluating: a literal number or collection (or a
/// variable's default that is one) gives the number; anything else is "several", with its text.
fn instances_of(text: &str, body: &Body, scope: &Scope) -> Instances {
    let Some((key, attr)) = ["count", "for_each"]
        .iter()
        .find_map(|key| body.get_attribute(key).map(|a| (*key, a)))
    else {
        return Instances::One;
    };
    let written = attr
        .value
        .span()
        .and_then(|span| text.get(span))
        .map_or_else(
            || UNKNOWN.to_owned(),
            |t| t.split_whitespace().collect::<Vec<_>>().join(" "),
        );
    let how = short(&format!("{key} = {written}"));
    let number = match expression(&attr.value, scope, &mut Met::default()) {
        Value::Number(n) if key == "count" => n.as_u64(),
        Value::Array(list) if key == "for_each" => Some(list.len() as u64),
        Value::Object(map) if key == "for_each" => Some(map.len() as u64),
        _ => None,
    };
    match number {
        Some(0) => Instances::None(how),
        Some(1) => Instances::One,
        Some(n) => Instances::Several(format!("{n} (`{how}`)")),
        None => Instances::Several(format!("several (`{how}`)")),
    }
}

/// Where a resource block is, and whether it is a data source (read for IAM policy documents).
struct BlockLine {
    line: usize,
    data: bool,
}

/// The labelled blocks of a kind in a module: (file, first label, second label or the first,
/// body).
fn blocks<'m>(
    module: &'m Module,
    ident: &'m str,
) -> impl Iterator<Item = (&'m File<'m>, &'m str, &'m Body)> + 'm {
    module.files.iter().flat_map(move |file| {
        file.body.blocks().filter_map(move |block| {
            (block.ident.as_str() == ident)
                .then(|| {
                    block
                        .labels
                        .first()
                        .map(|l| (file, l.as_str(), &block.body))
                })
                .flatten()
        })
    })
}

/// The module's resources, and the data sources the mapping reads (policy documents).
fn resources<'m>(
    module: &'m Module,
) -> impl Iterator<Item = (&'m File<'m>, &'m str, &'m str, &'m Body, BlockLine)> + 'm {
    module.files.iter().flat_map(|file| {
        file.body.blocks().filter_map(move |block| {
            let data = match block.ident.as_str() {
                "resource" => false,
                "data" => true,
                _ => return None,
            };
            let [kind, name] = block.labels.as_slice() else {
                return None;
            };
            if data && !terraform::READ_DATA.contains(&kind.as_str()) {
                return None;
            }
            let line = block
                .span()
                .map_or(1, |span| file.lines.line_of(span.start));
            Some((
                file,
                kind.as_str(),
                name.as_str(),
                &block.body,
                BlockLine { line, data },
            ))
        })
    })
}

/// Variables (their defaults, overridden by the call's arguments), locals, and the outputs of
/// the local modules it calls, of one instance.
fn scope_of(
    modules: &[Module],
    calls: &Calls,
    index: usize,
    prefix: String,
    arguments: BTreeMap<String, Value>,
    depth: usize,
    budget: &mut usize,
) -> Scope {
    let module = &modules[index];
    let mut scope = Scope {
        prefix,
        vars: BTreeMap::new(),
        locals: BTreeMap::new(),
        outputs: BTreeMap::new(),
    };
    for (_, name, body) in blocks(module, "variable") {
        let value = arguments.get(name).cloned().or_else(|| {
            body.get_attribute("default")
                .map(|d| expression(&d.value, &scope, &mut Met::default()))
        });
        if let Some(value) = value {
            scope.vars.insert(name.to_owned(), value);
        }
    }
    for file in &module.files {
        for block in file.body.blocks().filter(|b| b.ident.as_str() == "locals") {
            for attr in block.body.attributes() {
                let value = expression(&attr.value, &scope, &mut Met::default());
                scope.locals.insert(attr.key.as_str().to_owned(), value);
            }
        }
    }
    if depth >= MAX_DEPTH {
        return scope;
    }
    for (name, target, body, _) in &calls[index] {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let arguments = call_arguments(body, &scope, &mut Met::default());
        let callee = scope_of(
            modules,
            calls,
            *target,
            format!("{}module.{name}.", scope.prefix),
            arguments,
            depth + 1,
            budget,
        );
        let mut outputs = BTreeMap::new();
        for (_, output, body) in blocks(&modules[*target], "output") {
            if let Some(value) = body.get_attribute("value") {
                let value = expression(&value.value, &callee, &mut Met::default());
                outputs.insert(output.to_owned(), value);
            }
        }
        scope.outputs.insert(name.clone(), outputs);
    }
    scope
}

/// A module call's arguments, read in the caller's scope.
fn call_arguments(body: &Body, scope: &Scope, found: &mut Met) -> BTreeMap<String, Value> {
    let mut arguments = BTreeMap::new();
    for attr in body.attributes() {
        let key = attr.key.as_str();
        if key == "source" || key == "version" || META.contains(&key) {
            continue;
        }
        arguments.insert(key.to_owned(), expression(&attr.value, scope, found));
    }
    arguments
}

/// A literal string attribute of a body.
fn literal_string(body: &Body, key: &str) -> Option<String> {
    match &body.get_attribute(key)?.value {
        Expression::String(s) => Some(s.value().clone()),
        _ => None,
    }
}

/// The directory a local module source names, relative to the calling module's; a registry or
/// Git source is not read.
fn local_module(dir: &Path, source: &str) -> Option<PathBuf> {
    if !(source.starts_with("./") || source.starts_with("../")) {
        return None;
    }
    let mut path = PathBuf::new();
    for part in dir.join(source).components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !path.pop() {
                    path.push("..");
                }
            }
            other => path.push(other),
        }
    }
    Some(path)
}

/// A body as a plan shows its values: attributes, and nested blocks as lists of objects. `refs`
/// gets each top-level attribute's (or block's) references.
fn body_value(body: &Body, scope: &Scope, refs: &mut dyn FnMut(&str, Met)) -> Value {
    let mut map = Map::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let key = attr.key.as_str();
                let mut found = Met::default();
                let value = expression(&attr.value, scope, &mut found);
                refs(key, found);
                map.insert(key.to_owned(), value);
            }
            Structure::Block(block) => {
                let key = block.ident.as_str();
                let mut found = Met::default();
                // A `dynamic` block's content depends on its `for_each`: only its references.
                let value = nested(&block.body, scope, &mut found);
                refs(key, found);
                if key == "dynamic" || key == "provisioner" || key == "connection" {
                    continue;
                }
                if let Value::Array(list) = map
                    .entry(key.to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    list.push(value);
                }
            }
        }
    }
    Value::Object(map)
}

/// A nested block's value, its references all gathered under the block.
fn nested(body: &Body, scope: &Scope, found: &mut Met) -> Value {
    body_value(body, scope, &mut |_, inner| {
        found.resources.extend(inner.resources);
        found.module_outputs.extend(inner.module_outputs);
    })
}

/// An expression's value, as far as it can be read without evaluating anything.
fn expression(expr: &Expression, scope: &Scope, found: &mut Met) -> Value {
    match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => {
            let n = n.value();
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Expression::String(s) => Value::String(s.value().clone()),
        Expression::Array(list) => Value::Array(
            list.iter()
                .map(|item| expression(item, scope, found))
                .collect(),
        ),
        Expression::Object(object) => {
            let mut map = Map::new();
            for (key, value) in object.iter() {
                let value = expression(value.expr(), scope, found);
                let key = match key {
                    ObjectKey::Ident(ident) => Some(ident.as_str().to_owned()),
                    ObjectKey::Expression(e) => match expression(e, scope, found) {
                        Value::String(s) => Some(s),
                        _ => None,
                    },
                };
                if let Some(key) = key {
                    map.insert(key, value);
                }
            }
            Value::Object(map)
        }
        Expression::StringTemplate(template) => template_value(template, scope, found),
        Expression::HeredocTemplate(heredoc) => template_value(&heredoc.template, scope, found),
        Expression::Parenthesis(inner) => expression(inner.inner(), scope, found),
        Expression::Traversal(traversal) => {
            let mut path = Vec::new();
            if let Expression::Variable(root) = &traversal.expr {
                path.push(root.as_str());
                for operator in &traversal.operators {
                    match operator.value() {
                        TraversalOperator::GetAttr(name) => path.push(name.as_str()),
                        _ => break,
                    }
                }
            } else {
                expression(&traversal.expr, scope, found);
            }
            for operator in &traversal.operators {
                if let TraversalOperator::Index(index) = operator.value() {
                    expression(index, scope, found);
                }
            }
            named(&path, scope, found)
        }
        Expression::FuncCall(call) => {
            let args: Vec<Value> = call
                .args
                .iter()
                .map(|a| expression(a, scope, found))
                .collect();
            let name = call.name.name.as_str();
            match args.as_slice() {
                [argument] if call.name.namespace.is_empty() && name == "jsonencode" => {
                    Value::String(serde_json::to_string(argument).unwrap_or_default())
                }
                _ => Value::String(UNKNOWN.to_owned()),
            }
        }
        Expression::Conditional(c) => {
            expression(&c.cond_expr, scope, found);
            expression(&c.true_expr, scope, found);
            expression(&c.false_expr, scope, found);
            Value::String(UNKNOWN.to_owned())
        }
        Expression::UnaryOp(op) => {
            expression(&op.expr, scope, found);
            Value::String(UNKNOWN.to_owned())
        }
        Expression::BinaryOp(op) => {
            expression(&op.lhs_expr, scope, found);
            expression(&op.rhs_expr, scope, found);
            Value::String(UNKNOWN.to_owned())
        }
        Expression::ForExpr(for_expr) => {
            expression(&for_expr.intro.collection_expr, scope, found);
            Value::String(UNKNOWN.to_owned())
        }
        Expression::Variable(_) => Value::String(UNKNOWN.to_owned()),
    }
}

/// What a name (`var.x`, `local.y`, `aws_vpc.main.id`, `module.net.vpc_id`) stands for.
fn named(path: &[&str], scope: &Scope, found: &mut Met) -> Value {
    match path {
        ["var", name, rest @ ..] => lookup(scope.vars.get(*name), rest, found),
        ["local", name, rest @ ..] => lookup(scope.locals.get(*name), rest, found),
        ["module", name, output, rest @ ..] => {
            match scope.outputs.get(*name).and_then(|o| o.get(*output)) {
                // An output that is a resource stands for it, whatever attribute is read.
                Some(Value::String(s)) if s.starts_with("${") && s != UNKNOWN => {
                    lookup(Some(&Value::String(s.clone())), &[], found)
                }
                Some(value) if *value != Value::String(UNKNOWN.to_owned()) => {
                    lookup(Some(value), rest, found)
                }
                _ => {
                    found
                        .module_outputs
                        .push(format!("{}module.{name}.{output}", scope.prefix));
                    Value::String(UNKNOWN.to_owned())
                }
            }
        }
        ["data", kind, name, ..] if terraform::READ_DATA.contains(kind) => {
            let address = format!("{}data.{kind}.{name}", scope.prefix);
            found.resources.push(address.clone());
            Value::String(format!("${{{address}}}"))
        }
        [kind, name, ..] if kind.contains('_') => {
            let address = format!("{}{kind}.{name}", scope.prefix);
            found.resources.push(address.clone());
            Value::String(format!("${{{address}}}"))
        }
        _ => Value::String(UNKNOWN.to_owned()),
    }
}

/// A variable's or local's value down an attribute path; the resources its value names (a module
/// argument that references a resource of the caller) are references here too.
fn lookup(value: Option<&Value>, rest: &[&str], found: &mut Met) -> Value {
    let Some(mut value) = value else {
        return Value::String(UNKNOWN.to_owned());
    };
    for key in rest {
        match value.get(*key) {
            Some(inner) => value = inner,
            None => return Value::String(UNKNOWN.to_owned()),
        }
    }
    placeholders(value, &mut |address| {
        found.resources.push(address.to_owned())
    });
    value.clone()
}

/// A template's text: literals as written, an interpolation by what it names, directives unknown.
fn template_value(template: &Template, scope: &Scope, found: &mut Met) -> Value {
    let mut text = String::new();
    for element in template.iter() {
        match element {
            Element::Literal(literal) => text.push_str(literal.value()),
            Element::Interpolation(interpolation) => {
                match expression(&interpolation.expr, scope, found) {
                    Value::String(s) => text.push_str(&s),
                    Value::Number(n) => text.push_str(&n.to_string()),
                    Value::Bool(b) => text.push_str(&b.to_string()),
                    _ => text.push_str(UNKNOWN),
                }
            }
            Element::Directive(_) => text.push_str(UNKNOWN),
        }
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use threatforge_model::Exposure;

    fn read_one(text: &str) -> Result<Inventory, IacError> {
        let mut inventory = Inventory::default();
        read(
            &[("infra/main.tf".to_owned(), text.to_owned())],
            &mut inventory,
        )?;
        Ok(inventory)
    }

    #[test]
    fn references_variables_and_locals_are_read_without_evaluating() {
        let inventory = read_one(
            r#"
variable "engine" { default = "postgres" }
locals { encrypted = true }
resource "aws_vpc" "main" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "db" {
  vpc_id = aws_vpc.main.id
}
resource "aws_db_subnet_group" "db" { subnet_ids = [aws_subnet.db.id] }
resource "aws_db_instance" "orders" {
  engine               = var.engine
  storage_encrypted    = local.encrypted
  db_subnet_group_name = aws_db_subnet_group.db.name
  publicly_accessible  = length(var.engine) > 100
}
"#,
        )
        .expect("reads");
        let db = &inventory.components[0];
        assert_eq!(db.reference, "aws_db_instance.orders");
        assert_eq!(db.technology.value, "postgresql");
        assert_eq!(db.controls[0].value, "encryption-at-rest");
        // A function call is not run: exposure stays unknown.
        assert_eq!(db.exposure, None);
        assert_eq!(db.zone.as_deref(), Some("aws_subnet.db"));
        assert_eq!(db.origin.line, 9);
        let subnet = inventory.zones.iter().find(|z| z.key == "aws_subnet.db");
        assert_eq!(
            subnet.and_then(|z| z.parent.as_deref()),
            Some("aws_vpc.main")
        );
    }

    #[test]
    fn a_module_output_is_left_unresolved_with_a_note() {
        let inventory = read_one(
            r#"
module "net" { source = "terraform-aws-modules/vpc/aws" }
resource "aws_lambda_function" "api" {
  function_name = "api"
  environment { variables = { QUEUE = module.queues.url } }
}
"#,
        )
        .expect("reads");
        assert_eq!(inventory.components.len(), 1);
        assert!(
            inventory.notes[0].contains("`module.queues.url`"),
            "{:?}",
            inventory.notes
        );
    }

    #[test]
    fn a_local_module_call_prefixes_its_resources_as_a_plan_does() {
        let mut inventory = Inventory::default();
        read(
            &[
                (
                    "infra/main.tf".to_owned(),
                    r#"module "data" {
  source = "./modules/data"
  bucket = "acme-media"
}"#
                    .to_owned(),
                ),
                (
                    "infra/modules/data/main.tf".to_owned(),
                    r#"variable "bucket" {}
resource "aws_s3_bucket" "media" { bucket = var.bucket }"#
                        .to_owned(),
                ),
            ],
            &mut inventory,
        )
        .expect("reads");
        let bucket = &inventory.components[0];
        assert_eq!(bucket.reference, "module.data.aws_s3_bucket.media");
        assert_eq!(bucket.name, "acme-media");
        assert_eq!(bucket.origin.file, "infra/modules/data/main.tf");
    }

    #[test]
    fn count_and_for_each_make_one_component_marked_with_its_instances() {
        let inventory = read_one(
            r#"
variable "replicas" { default = 3 }
resource "aws_instance" "web" {
  count = var.replicas
  ami   = "ami-1"
}
resource "aws_sqs_queue" "jobs" {
  for_each = { a = 1, b = 2 }
  name     = "jobs-${each.key}"
}
resource "aws_sns_topic" "alerts" {
  for_each = toset(var.names)
}
resource "aws_s3_bucket" "off" {
  count  = 0
  bucket = "never"
}
resource "aws_kms_key" "one" {
  count = 1
}
"#,
        )
        .expect("reads");
        let notes: Vec<(&str, &str, Vec<&str>)> = inventory
            .components
            .iter()
            .map(|c| {
                (
                    c.reference.as_str(),
                    c.name.as_str(),
                    c.notes.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            notes,
            [
                (
                    "aws_instance.web",
                    "instance web",
                    vec![
                        "instances: 3 (`count = var.replicas`); this one component stands for them all"
                    ]
                ),
                (
                    "aws_sqs_queue.jobs",
                    // A name with a part not read is not the name of any one instance.
                    "sqs queue jobs",
                    vec![
                        "instances: 2 (`for_each = { a = 1, b = 2 }`); this one component stands for them all"
                    ]
                ),
                (
                    "aws_sns_topic.alerts",
                    "sns topic alerts",
                    vec![
                        "instances: several (`for_each = toset(var.names)`); this one component stands for them all"
                    ]
                ),
                ("aws_kms_key.one", "kms key one", vec![]),
            ]
        );
        assert!(
            inventory
                .notes
                .iter()
                .any(|n| n.contains("aws_s3_bucket.off (`count = 0`)")),
            "{:?}",
            inventory.notes
        );
    }

    #[test]
    fn a_module_call_with_count_or_for_each_multiplies_its_resources() {
        let mut inventory = Inventory::default();
        read(
            &[
                (
                    "infra/main.tf".to_owned(),
                    r#"module "regional" {
  source   = "./modules/app"
  for_each = toset(var.regions)
}
module "legacy" {
  source = "./modules/app"
  count  = 0
}
module "single" {
  source = "./modules/app"
  count  = 1
}"#
                    .to_owned(),
                ),
                (
                    "infra/modules/app/main.tf".to_owned(),
                    r#"resource "aws_sqs_queue" "jobs" {}
resource "aws_sns_topic" "alerts" { count = 2 }"#
                        .to_owned(),
                ),
            ],
            &mut inventory,
        )
        .expect("reads");
        let shown: Vec<(&str, Vec<&str>)> = inventory
            .components
            .iter()
            .map(|c| {
                (
                    c.reference.as_str(),
                    c.notes.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "module.regional.aws_sqs_queue.jobs",
                    vec![
                        "instances: several (`for_each = toset(var.regions)`) of `module.regional`; this one component stands for them all"
                    ]
                ),
                (
                    "module.regional.aws_sns_topic.alerts",
                    vec!["instances: 2 (`count = 2`); this one component stands for them all"]
                ),
                ("module.single.aws_sqs_queue.jobs", vec![]),
                (
                    "module.single.aws_sns_topic.alerts",
                    vec!["instances: 2 (`count = 2`); this one component stands for them all"]
                ),
            ]
        );
        assert!(
            inventory
                .notes
                .iter()
                .any(|n| n.contains("module.legacy (`count = 0`)")),
            "{:?}",
            inventory.notes
        );
    }

    #[test]
    fn a_local_modules_outputs_that_are_plain_references_resolve_to_its_resources() {
        let mut inventory = Inventory::default();
        read(
            &[
                (
                    "infra/main.tf".to_owned(),
                    r#"module "store" { source = "./modules/store" }
module "remote" { source = "git::https://example.com/x.git" }
resource "aws_lambda_function" "api" {
  function_name = "api"
  environment {
    variables = {
      DB     = module.store.db_address
      BUCKET = module.store.bucket
      QUEUE  = module.store.queue_url
      OTHER  = module.remote.url
      NAME   = module.store.computed
    }
  }
}"#
                    .to_owned(),
                ),
                (
                    "infra/modules/store/main.tf".to_owned(),
                    r#"module "queue" { source = "./queue" }
resource "aws_db_instance" "main" { engine = "postgres" }
resource "aws_s3_bucket" "files" { bucket = "files" }
output "db_address" { value = aws_db_instance.main.address }
output "bucket" { value = aws_s3_bucket.files }
output "queue_url" { value = module.queue.url }
output "computed" { value = upper(aws_s3_bucket.files.bucket) }"#
                        .to_owned(),
                ),
                (
                    "infra/modules/store/queue/main.tf".to_owned(),
                    r#"resource "aws_sqs_queue" "q" {}
output "url" { value = aws_sqs_queue.q.url }"#
                        .to_owned(),
                ),
            ],
            &mut inventory,
        )
        .expect("reads");
        let links: Vec<String> = inventory
            .links
            .iter()
            .map(|l| format!("{} -> {}", l.source, l.target))
            .collect();
        assert_eq!(
            links,
            [
                "aws_lambda_function.api -> module.store.aws_db_instance.main",
                "aws_lambda_function.api -> module.store.aws_s3_bucket.files",
                "aws_lambda_function.api -> module.store.module.queue.aws_sqs_queue.q",
            ]
        );
        // A registry or Git module's outputs, and an output a function computes, are not read.
        assert!(
            inventory.notes.iter().any(|n| n.starts_with(
                "2 reference(s) to module outputs are not followed (the first `module.remote.url`)"
            )),
            "{:?}",
            inventory.notes
        );
    }

    #[test]
    fn egress_rules_are_flows_and_gate_what_a_group_reaches() {
        let inventory = read_one(
            r#"
resource "aws_security_group" "app" {
  egress {
    from_port       = 6379
    to_port         = 6379
    security_groups = [aws_security_group.cache.id]
  }
}
resource "aws_security_group" "cache" {}
resource "aws_security_group" "batch" {
  egress {
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["10.0.0.0/8"]
  }
}
resource "aws_security_group" "open" {
  egress { cidr_blocks = ["0.0.0.0/0"] }
}
resource "aws_security_group_rule" "batch_to_db" {
  type                     = "egress"
  security_group_id        = aws_security_group.batch.id
  source_security_group_id = aws_security_group.db.id
  from_port                = 5432
  to_port                  = 5432
}
resource "aws_security_group" "db" {}
resource "aws_instance" "app" { vpc_security_group_ids = [aws_security_group.app.id] }
resource "aws_instance" "batch" { vpc_security_group_ids = [aws_security_group.batch.id] }
resource "aws_instance" "open" { vpc_security_group_ids = [aws_security_group.open.id] }
resource "aws_elasticache_cluster" "cache" { security_group_ids = [aws_security_group.cache.id] }
resource "aws_db_instance" "db" {
  engine                 = "postgres"
  vpc_security_group_ids = [aws_security_group.db.id]
}
"#,
        )
        .expect("reads");
        let links: Vec<String> = inventory
            .links
            .iter()
            .map(|l| format!("{} -> {} {:?}", l.source, l.target, l.protocol))
            .collect();
        assert_eq!(
            links,
            [
                "aws_instance.app -> aws_elasticache_cluster.cache Some(\"redis\")",
                "aws_instance.batch -> aws_db_instance.db Some(\"postgres\")",
            ]
        );
        let gates: Vec<String> = inventory.gates.iter().map(crate::Gate::summary).collect();
        // A CIDR that names no component (10.0.0.0/8) leaves the batch group's egress unjudged;
        // egress to anywhere is no exposure.
        assert_eq!(
            gates,
            [
                "aws_instance.app outbound=true anywhere=false [\"aws_elasticache_cluster.cache\"]",
                "aws_instance.batch outbound=true anywhere=true [\"aws_db_instance.db\"]",
                "aws_instance.open outbound=true anywhere=true []",
            ]
        );
        assert!(inventory.components.iter().all(|c| c.exposure.is_none()));
    }

    #[test]
    fn an_azure_rule_open_to_the_internet_on_a_subnet_exposes_its_machines() {
        let inventory = read_one(
            r#"
resource "azurerm_virtual_network" "main" {}
resource "azurerm_subnet" "web" { virtual_network_name = azurerm_virtual_network.main.name }
resource "azurerm_network_interface" "web" {
  ip_configuration { subnet_id = azurerm_subnet.web.id }
}
resource "azurerm_linux_virtual_machine" "web" {
  network_interface_ids = [azurerm_network_interface.web.id]
}
resource "azurerm_network_security_group" "web" {}
resource "azurerm_network_security_rule" "https" {
  name                        = "https"
  priority                    = 100
  direction                   = "Inbound"
  access                      = "Allow"
  destination_port_range      = "443"
  source_address_prefix       = "*"
  network_security_group_name = azurerm_network_security_group.web.name
}
resource "azurerm_subnet_network_security_group_association" "web" {
  subnet_id                 = azurerm_subnet.web.id
  network_security_group_id = azurerm_network_security_group.web.id
}
"#,
        )
        .expect("reads");
        let vm = &inventory.components[0];
        assert_eq!(vm.reference, "azurerm_linux_virtual_machine.web");
        assert_eq!(vm.zone.as_deref(), Some("azurerm_subnet.web"));
        let exposure = vm.exposure.as_ref().expect("exposed");
        assert_eq!(exposure.value, Exposure::Internet);
        assert_eq!(
            exposure.why,
            "`azurerm_network_security_rule.https` allows inbound from the internet on port 443 (rule `https`)"
        );
        // The security group, its rule, the association and the interface are evidence only.
        assert_eq!(inventory.components.len(), 1);
        assert!(inventory.notes.is_empty(), "{:?}", inventory.notes);
    }

    #[test]
    fn invalid_and_hostile_source_is_refused_with_a_position() {
        let error =
            read_one("resource \"aws_vpc\" \"main\" {\n  cidr_block = \n}\n").expect_err("invalid");
        assert_eq!(error.file, "infra/main.tf");
        assert_eq!(error.line, Some(2));
        assert!(error.column.is_some());
        let deep = format!(
            "locals {{ x = {}1{} }}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let error = read_one(&deep).expect_err("too deep");
        assert!(error.message.contains("not valid"), "{error}");
        // A module that calls itself stops at the instance cap, with a note.
        let mut inventory = Inventory::default();
        read(
            &[(
                "loop/main.tf".to_owned(),
                "module \"again\" { source = \"./\" }\nmodule \"twice\" { source = \"./\" }\nresource \"aws_sqs_queue\" \"q\" {}\n"
                    .to_owned(),
            )],
            &mut inventory,
        )
        .expect("reads");
        assert_eq!(inventory.components.len(), MAX_INSTANCES);
        assert!(
            inventory.notes.iter().any(|n| n.contains("instances")),
            "{:?}",
            inventory.notes
        );
    }

    /// One mapping, two readers: the same stack as source and as a plan gives the same components.
    #[test]
    fn source_and_plan_give_the_same_components() {
        let source = read_one(
            r#"
resource "aws_vpc" "main" {}
resource "aws_subnet" "app" { vpc_id = aws_vpc.main.id }
resource "aws_lb" "web" {
  internal = false
  subnets  = [aws_subnet.app.id]
}
resource "aws_sqs_queue" "jobs" { sqs_managed_sse_enabled = true }
resource "aws_lambda_function" "worker" {
  function_name = "worker"
  vpc_config { subnet_ids = [aws_subnet.app.id] }
  environment { variables = { QUEUE = aws_sqs_queue.jobs.url } }
}
"#,
        )
        .expect("source reads");
        let plan = r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[
  {"address":"aws_vpc.main","mode":"managed","type":"aws_vpc","name":"main","values":{}},
  {"address":"aws_subnet.app","mode":"managed","type":"aws_subnet","name":"app","values":{}},
  {"address":"aws_lb.web","mode":"managed","type":"aws_lb","name":"web","values":{"internal":false}},
  {"address":"aws_sqs_queue.jobs","mode":"managed","type":"aws_sqs_queue","name":"jobs","values":{"sqs_managed_sse_enabled":true}},
  {"address":"aws_lambda_function.worker","mode":"managed","type":"aws_lambda_function","name":"worker","values":{"function_name":"worker","vpc_config":[{}],"environment":[{"variables":{}}]}}
]}},"configuration":{"root_module":{"resources":[
  {"address":"aws_subnet.app","expressions":{"vpc_id":{"references":["aws_vpc.main.id","aws_vpc.main"]}}},
  {"address":"aws_lb.web","expressions":{"subnets":{"references":["aws_subnet.app.id","aws_subnet.app"]}}},
  {"address":"aws_lambda_function.worker","expressions":{"vpc_config":[{"subnet_ids":{"references":["aws_subnet.app.id"]}}],"environment":[{"variables":{"references":["aws_sqs_queue.jobs.url"]}}]}}
]}}}"#;
        let mut from_plan = Inventory::default();
        terraform::read("plan.json", plan, &mut from_plan).expect("plan reads");
        let shape = |inventory: &Inventory| {
            let components: Vec<String> = inventory
                .components
                .iter()
                .map(|c| {
                    format!(
                        "{} {} {:?} {:?} {:?}",
                        c.reference,
                        c.technology.value,
                        c.exposure.as_ref().map(|e| e.value),
                        c.controls.iter().map(|e| e.value).collect::<Vec<_>>(),
                        c.zone
                    )
                })
                .collect();
            let links: Vec<String> = inventory
                .links
                .iter()
                .map(|l| format!("{} -> {}", l.source, l.target))
                .collect();
            (components, links)
        };
        assert_eq!(shape(&source), shape(&from_plan));
        assert_eq!(
            shape(&source).1,
            ["aws_lambda_function.worker -> aws_sqs_queue.jobs"]
        );
    }

    #[test]
    fn placeholders_are_the_addresses_a_value_carries() {
        let mut seen = Vec::new();
        placeholders(
            &serde_json::json!({"a": ["${aws_s3_bucket.media}/*", "${?}"], "b": "x${aws_kms_key.main}"}),
            &mut |a| seen.push(a.to_owned()),
        );
        assert_eq!(seen, ["aws_s3_bucket.media", "aws_kms_key.main"]);
    }
}
