//! Our evaluator against the `cel` crate's interpreter, on the same expressions over the same
//! objects: the built-in rules' conditions on every element of their examples, and generated
//! expressions. They must agree, or both fail. The crate's interpreter is the reference for CEL's
//! meaning; ours is the one fast enough to use (ARCHITECTURE.md).

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock};

use cel::common::traits::Indexer;
use cel::common::types::{CelBool, CelInt, CelList, CelNull, CelString, Kind, Type};
use cel::common::value::{CowVal, StaticVal, Val};
use cel::{Context, ExecutionError, Program};
use proptest::prelude::*;
use threatforge_model::{LoadOptions, Model, load_str};

use cel::common::ast::{Expr, IdedExpr};

use super::check::{Checker, root_type};
use super::definitions::{self, Definition, Definitions};
use super::eval::{Evaluator, compile};
use super::types::{Object, Ty};
use super::value::{ObjKind, Value};
use crate::field::Field;
use crate::rule::Element;
use crate::ruleset::RuleSet;
use crate::world::World;

/// A value with objects as references, so the model's cycles (a flow's source's outbound flows)
/// need no depth limit, and an object equals only itself, as in our evaluator.
#[derive(Clone, Debug, PartialEq)]
enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Plain>),
    Obj(ObjKind, usize),
}

/// Every field of every object reachable from the roots, read once from the world.
type Table = HashMap<(u8, usize), Vec<(&'static str, Plain)>>;

fn key(kind: ObjKind) -> u8 {
    kind as u8
}

fn object_type(kind: ObjKind) -> Object {
    match kind {
        ObjKind::Component => Object::Component,
        ObjKind::Flow => Object::Flow,
        ObjKind::Data => Object::DataAsset,
        ObjKind::Boundary => Object::Boundary,
        ObjKind::Runtime => Object::Runtime,
        ObjKind::Model => Object::Model,
        ObjKind::System => Object::System,
    }
}

fn plain(value: &Value, found: &mut VecDeque<(ObjKind, usize)>) -> Plain {
    match value {
        Value::Null => Plain::Null,
        Value::Bool(b) => Plain::Bool(*b),
        Value::Int(i) => Plain::Int(*i),
        Value::Str(s) => Plain::Str((*s).to_owned()),
        Value::OwnedStr(s) => Plain::Str(s.to_string()),
        Value::List(list) => Plain::List(list.iter().map(|v| plain(&v, found)).collect()),
        Value::Obj(kind, i) => {
            found.push_back((*kind, *i));
            Plain::Obj(*kind, *i)
        }
    }
}

fn table(world: &World, roots: &[(ObjKind, usize)]) -> Table {
    let mut table = Table::new();
    let mut queue: VecDeque<_> = roots.iter().copied().collect();
    while let Some((kind, i)) = queue.pop_front() {
        if table.contains_key(&(key(kind), i)) {
            continue;
        }
        let mut fields = Vec::new();
        for (name, _) in object_type(kind).fields() {
            let field = Field::from_name(name).expect("types.rs and field.rs agree");
            if let Some(value) = world.field(kind, i, field) {
                fields.push((name, plain(&value, &mut queue)));
            }
        }
        table.insert((key(kind), i), fields);
    }
    table
}

static OBJECT: LazyLock<Type> =
    LazyLock::new(|| Type::simple_type(Kind::Struct, "threatforge.Object"));

/// An object for the `cel` interpreter: its fields are looked up in the table when selected.
#[derive(Debug, Clone)]
struct ObjVal {
    table: Arc<Table>,
    kind: ObjKind,
    index: usize,
}

fn to_val(table: &Arc<Table>, value: &Plain) -> Box<dyn Val + 'static> {
    match value {
        Plain::Null => Box::new(CelNull),
        Plain::Bool(b) => Box::new(CelBool::from(*b)),
        Plain::Int(i) => Box::new(CelInt::from(*i)),
        Plain::Str(s) => Box::new(CelString::from(s.clone())),
        Plain::List(items) => Box::new(CelList::from(
            items.iter().map(|v| to_val(table, v)).collect::<Vec<_>>(),
        )),
        Plain::Obj(kind, index) => Box::new(ObjVal {
            table: Arc::clone(table),
            kind: *kind,
            index: *index,
        }),
    }
}

impl Val for ObjVal {
    fn get_type(&self) -> &Type {
        &OBJECT
    }
    fn cel_type() -> &'static Type {
        &OBJECT
    }
    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }
    fn equals(&self, other: &dyn Val) -> bool {
        other
            .as_any()
            .and_then(|o| o.downcast_ref::<ObjVal>())
            .is_some_and(|o| o.kind == self.kind && o.index == self.index)
    }
    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

impl StaticVal for ObjVal {}

impl Indexer for ObjVal {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        let name = idx
            .downcast_ref::<CelString>()
            .map(|s| s.inner().to_owned())
            .unwrap_or_default();
        self.table
            .get(&(key(self.kind), self.index))
            .and_then(|fields| fields.iter().find(|(n, _)| *n == name))
            .map(|(_, value)| CowVal::Owned(to_val(&self.table, value)))
            .ok_or_else(|| ExecutionError::no_such_key(&name))
    }
    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}

/// What an evaluation came to, in terms both evaluators share.
#[derive(Debug, PartialEq)]
enum Outcome {
    Value(Plain),
    /// An object, or a list holding one: the `cel` crate has no `Value` for our objects.
    Object,
    Failed,
}

fn from_cel(value: &cel::Value) -> Option<Plain> {
    Some(match value {
        cel::Value::Null => Plain::Null,
        cel::Value::Bool(b) => Plain::Bool(*b),
        cel::Value::Int(i) => Plain::Int(*i),
        cel::Value::String(s) => Plain::Str(s.to_string()),
        cel::Value::List(items) => Plain::List(items.iter().map(from_cel).collect::<Option<_>>()?),
        _ => return None,
    })
}

fn has_object(value: &Plain) -> bool {
    match value {
        Plain::Obj(..) => true,
        Plain::List(items) => items.iter().any(has_object),
        _ => false,
    }
}

fn elements(model: &Model, element: Element) -> Vec<(ObjKind, usize)> {
    let (kind, count) = match element {
        Element::Component => (ObjKind::Component, model.components.len()),
        Element::Flow => (ObjKind::Flow, model.flows.len()),
        Element::Data => (ObjKind::Data, model.data.len()),
        Element::Boundary => (ObjKind::Boundary, model.boundaries.len()),
        Element::Runtime => (ObjKind::Runtime, model.runtimes.len()),
        Element::Model => (ObjKind::Model, 1),
    };
    (0..count).map(|i| (kind, i)).collect()
}

/// Runs `source` on `element` through both evaluators; `None` when our checker rejects it (then
/// neither runs it: the rule does not load). The crate's interpreter knows no definitions: it runs
/// the expression with them written out (`written_out`).
fn both(
    world: &World,
    table: &Arc<Table>,
    element: Element,
    on: (ObjKind, usize),
    source: &str,
    definitions: &Definitions,
) -> Option<(Outcome, Outcome)> {
    let (root, ty) = root_type(element);
    let program = Program::compile(source).ok()?;
    let mut checker = Checker::new(root, ty).using(definitions);
    checker.check(program.expression());
    if !checker.errors.is_empty() {
        return None;
    }
    let ours = match compile(program.expression(), &[root], definitions) {
        Ok(expression) => {
            let budget = crate::cel::budget::Budget::default();
            let mut evaluator = Evaluator::new(world, &budget, Value::Obj(on.0, on.1));
            match evaluator.run(&expression) {
                Ok(value) => {
                    let value = plain(&value, &mut VecDeque::new());
                    if has_object(&value) {
                        Outcome::Object
                    } else {
                        Outcome::Value(value)
                    }
                }
                Err(_) => Outcome::Failed,
            }
        }
        Err(_) => Outcome::Failed,
    };
    let mut context = Context::with_env(Arc::clone(&REFERENCE_ENV));
    context.add_variable_as_val(root, to_val(table, &Plain::Obj(on.0, on.1)));
    let expanded = written_out(program.expression(), definitions, &HashMap::new(), &mut 0);
    let reference = match cel::Value::resolve(&expanded, &context) {
        Ok(value) => from_cel(&value).map_or(Outcome::Object, Outcome::Value),
        Err(_) => Outcome::Failed,
    };
    Some((ours, reference))
}

/// `expr` with every use of a definition replaced by its body, the body's parameters by the
/// arguments (`bound`), and every comprehension's variables renamed apart (`fresh`), so that no
/// argument is captured by a variable of the body: what a definition means, written as CEL.
fn written_out(
    expr: &IdedExpr,
    definitions: &Definitions,
    bound: &HashMap<String, IdedExpr>,
    fresh: &mut usize,
) -> IdedExpr {
    let go = |e: &IdedExpr, fresh: &mut usize| written_out(e, definitions, bound, fresh);
    let use_of = |name: &str, args: &[IdedExpr], fresh: &mut usize| {
        let (at, definition) = definitions::find(definitions, name)?;
        let arguments: HashMap<String, IdedExpr> = definition
            .params
            .iter()
            .cloned()
            .zip(
                args.iter()
                    .map(|a| written_out(a, definitions, bound, fresh)),
            )
            .collect();
        Some(written_out(
            &definition.body,
            &definitions[..at],
            &arguments,
            fresh,
        ))
    };
    let mut out = expr.clone();
    match &expr.expr {
        Expr::Ident(name) => {
            if let Some(value) = bound.get(name) {
                return value.clone();
            }
            if let Some(body) = use_of(name, &[], fresh) {
                return body;
            }
        }
        Expr::Call(call) => {
            if call.target.is_none()
                && let Some(body) = use_of(&call.func_name, &call.args, fresh)
            {
                return body;
            }
            let mut call = call.clone();
            if let Some(target) = &mut call.target {
                **target = go(target, fresh);
            }
            for arg in &mut call.args {
                *arg = go(arg, fresh);
            }
            out.expr = Expr::Call(call);
        }
        Expr::Select(select) => {
            let mut select = select.clone();
            *select.operand = go(&select.operand, fresh);
            out.expr = Expr::Select(select);
        }
        Expr::List(list) => {
            let mut list = list.clone();
            for item in &mut list.elements {
                *item = go(item, fresh);
            }
            out.expr = Expr::List(list);
        }
        Expr::Comprehension(c) => {
            let mut renamed = c.clone();
            *fresh += 1;
            renamed.iter_var = format!("iter_{fresh}");
            renamed.accu_var = format!("accu_{fresh}");
            renamed.iter_range = go(&c.iter_range, fresh);
            renamed.accu_init = go(&c.accu_init, fresh);
            let ident = |name: &str| IdedExpr {
                id: 0,
                expr: Expr::Ident(name.to_owned()),
            };
            let mut inner = bound.clone();
            inner.insert(c.accu_var.clone(), ident(&renamed.accu_var));
            let result = written_out(&c.result, definitions, &inner, fresh);
            inner.insert(c.iter_var.clone(), ident(&renamed.iter_var));
            renamed.loop_cond = written_out(&c.loop_cond, definitions, &inner, fresh);
            renamed.loop_step = written_out(&c.loop_step, definitions, &inner, fresh);
            renamed.result = result;
            out.expr = Expr::Comprehension(renamed);
        }
        _ => {}
    }
    out
}

/// The interpreter's standard library with its strings extension, where `lowerAscii` is.
static REFERENCE_ENV: LazyLock<Arc<cel::Env>> = LazyLock::new(|| {
    let mut env = cel::Env::stdlib();
    env.add_extension(cel::extensions::strings)
        .expect("the strings extension registers");
    Arc::new(env)
});

fn load(text: &str) -> Model {
    load_str(
        "m.yaml",
        text,
        &std::env::temp_dir(),
        &LoadOptions::default(),
    )
    .model
}

fn roots(model: &Model) -> Vec<(ObjKind, usize)> {
    Element::ALL
        .iter()
        .flat_map(|e| elements(model, *e))
        .collect()
}

#[test]
fn builtin_conditions_agree_with_the_cel_interpreter() {
    let rules = RuleSet::builtin();
    let mut compared = 0;
    for rule in &rules.rules {
        let file = &rule.file;
        let definitions = definitions_of(file);
        for example in file.examples.fires.iter().chain(&file.examples.passes) {
            let model = load(example);
            let world = World::new(&model);
            let table = Arc::new(table(&world, &roots(&model)));
            for on in elements(&model, file.applies_to.element) {
                let (ours, reference) = both(
                    &world,
                    &table,
                    file.applies_to.element,
                    on,
                    &file.condition.value,
                    &definitions,
                )
                .unwrap_or_else(|| panic!("{}: a built-in condition checks", file.id.value));
                assert_eq!(
                    ours, reference,
                    "{} on {on:?} of\n{}",
                    file.id.value, example.value
                );
                compared += 1;
            }
        }
    }
    // Every rule's examples have elements of its kind; a few hundred comparisons at least.
    assert!(compared > rules.rules.len(), "{compared}");
}

/// A rule's definitions, parsed (the rule loaded, so they are well formed).
fn definitions_of(file: &crate::rule::RuleFile) -> Vec<Definition> {
    file.lets
        .iter()
        .map(|(head, body)| {
            let (name, params) = definitions::parse_head(head, &[]).expect("a loaded rule's head");
            let body = Program::compile(body)
                .expect("a loaded rule's body")
                .expression()
                .clone();
            Definition {
                name,
                params,
                body,
                ty: Ty::Dyn,
            }
        })
        .collect()
}

const MODEL: &str = "system: { name: T, criticality: high }
data:
  card: { classification: secret, categories: [payment] }
  logs: { classification: internal }
boundaries:
  dmz: { kind: network, trust: low, contains: [web] }
  core: { kind: network, trust: high, contains: [db, api] }
components:
  user: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [card] }
  api: { technology: api-service, processes: [card, logs] }
  db: { technology: postgresql, stores: [card] }
flows:
  - user -> web: { protocol: https, data: [card] }
  - web -> api: { protocol: http, data: [card, logs] }
  - api -> db: { protocol: postgres, data: [card] }
";

/// Leaves of type int, string, bool and lists, over the component and literals.
fn leaf(ty: Ty) -> BoxedStrategy<String> {
    match ty {
        Ty::Int => prop_oneof![
            (-3i64..40).prop_map(|i| i.to_string()),
            Just("component.sensitivity".to_owned()),
            Just("component.trust".to_owned()),
            Just("size(component.outbound)".to_owned()),
            Just("component.inbound.size()".to_owned()),
            Just("size(component.name)".to_owned()),
        ]
        .boxed(),
        Ty::Str => prop_oneof![
            "[a-z]{0,3}".prop_map(|s| format!("{s:?}")),
            Just("component.name".to_owned()),
            Just("component.id".to_owned()),
            Just("component.technology".to_owned()),
        ]
        .boxed(),
        Ty::Bool => prop_oneof![
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("component.internet_facing".to_owned()),
            Just("has(component.boundary)".to_owned()),
            Just("component.inbound.exists(f, f.encrypted)".to_owned()),
            Just("component.outbound.all(f, f.target.trust >= component.trust)".to_owned()),
        ]
        .boxed(),
        _ => prop_oneof![
            Just("component.traits".to_owned()),
            Just("component.outbound.map(f, f.target.name)".to_owned()),
            Just("[1, 2, 3]".to_owned()),
            Just("[\"web\", \"db\"]".to_owned()),
            Just("component.data.filter(d, d.sensitivity > 1).map(d, d.id)".to_owned()),
        ]
        .boxed(),
    }
}

/// Expressions of the subset, typed loosely on purpose: ill-typed ones must fail in both.
fn expression(ty: Ty, depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return leaf(ty);
    }
    let int = || expression(Ty::Int, depth - 1);
    let string = || expression(Ty::Str, depth - 1);
    let boolean = || expression(Ty::Bool, depth - 1);
    let list = || expression(Ty::List(&Ty::Dyn), depth - 1);
    let any = || {
        prop_oneof![
            expression(Ty::Int, depth - 1),
            expression(Ty::Str, depth - 1)
        ]
    };
    match ty {
        Ty::Int => prop_oneof![
            leaf(Ty::Int),
            (
                int(),
                prop_oneof![Just("+"), Just("-"), Just("*"), Just("/"), Just("%")],
                int()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            int().prop_map(|a| format!("-({a})")),
            any().prop_map(|a| format!("int({a})")),
            list().prop_map(|a| format!("size({a})")),
            (boolean(), int(), int()).prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
            (list(), 0i64..3).prop_map(|(l, i)| format!("{l}[{i}]")),
        ]
        .boxed(),
        Ty::Str => prop_oneof![
            leaf(Ty::Str),
            (string(), string()).prop_map(|(a, b)| format!("({a} + {b})")),
            any().prop_map(|a| format!("string({a})")),
        ]
        .boxed(),
        Ty::Bool => prop_oneof![
            leaf(Ty::Bool),
            (boolean(), prop_oneof![Just("&&"), Just("||")], boolean())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            boolean().prop_map(|a| format!("!({a})")),
            (
                any(),
                prop_oneof![
                    Just("=="),
                    Just("!="),
                    Just("<"),
                    Just("<="),
                    Just(">"),
                    Just(">=")
                ],
                any()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (any(), list()).prop_map(|(a, l)| format!("({a} in {l})")),
            (
                string(),
                prop_oneof![Just("contains"), Just("startsWith"), Just("endsWith")],
                string()
            )
                .prop_map(|(a, f, b)| format!("{a}.{f}({b})")),
            (list(), boolean()).prop_map(|(l, p)| format!("{l}.exists_one(x, {p})")),
            // `exists` and `all` stop at the item that decides them (`Step::Decide`): items
            // that fail after it, or a predicate that is not a bool, must agree too.
            (list(), boolean()).prop_map(|(l, p)| format!("{l}.exists(x, {p})")),
            (list(), boolean()).prop_map(|(l, p)| format!("{l}.all(x, {p})")),
            (list(), any(), boolean())
                .prop_map(|(l, a, p)| format!("{l}.exists(x, x == {a} || {p})")),
            (list(), any()).prop_map(|(l, a)| format!("{l}.all(x, x > {a})")),
            list().prop_map(|l| format!("{l}.exists(x, x)")),
        ]
        .boxed(),
        _ => prop_oneof![
            leaf(ty),
            (list(), list()).prop_map(|(a, b)| format!("({a} + {b})")),
            (list(), boolean()).prop_map(|(l, p)| format!("{l}.filter(x, {p})")),
            (list(), int()).prop_map(|(l, e)| format!("{l}.map(x, {e})")),
        ]
        .boxed(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        if std::env::var_os("CI").is_some() { 2_000 } else { 300 }
    ))]

    #[test]
    fn generated_expressions_agree_with_the_cel_interpreter(
        source in prop_oneof![
            expression(Ty::Bool, 3),
            expression(Ty::Int, 3),
            expression(Ty::Str, 3),
            expression(Ty::List(&Ty::Dyn), 2),
        ]
    ) {
        let model = load(MODEL);
        prop_assert_eq!(model.components.len(), 4);
        let world = World::new(&model);
        let table = Arc::new(table(&world, &roots(&model)));
        for on in elements(&model, Element::Component) {
            if let Some((ours, reference)) = both(&world, &table, Element::Component, on, &source, &[]) {
                prop_assert_eq!(ours, reference, "{} on {:?}", source, on);
            }
        }
    }
}
