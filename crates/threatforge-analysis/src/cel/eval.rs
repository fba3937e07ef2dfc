//! Compiles CEL expressions into a small tree of our own and evaluates it over the lazy objects
//! of `world.rs`.
//!
//! The `cel` crate parses and expands macros (we compile its AST), but its evaluator converts every
//! variable into boxed trees and clones maps and lists deeply on each read, which made threat
//! enumeration on 10,000 components take 40 s (BENCHMARKS.md). Here field names and variables are
//! resolved once, at compile time, fields are read on access and lists are borrowed, so an
//! evaluation allocates almost nothing. The subset is literals, variables, field selection and
//! `has()`, the comprehension macros, and the calls of `functions.rs`, whose rows say what each
//! call lowers to. Work and memory are bounded by the limits of `budget.rs`, so even a hostile
//! team rule ends soon.

use std::rc::Rc;
use std::sync::Arc;

use cel::common::ast::{Expr, IdedExpr, LiteralValue};

use super::budget::{Budget, FLUSH_EVERY, breach};
use super::value::{List, ObjKind, Value};
use crate::bounds::{Chain, chain};
use crate::cel::definitions::{self, Definitions};
use crate::cel::functions::{self, Arith, Cmp, Lowering, StrTest};
use crate::field::Field;
use crate::world::World;

type Result<T> = std::result::Result<T, String>;

/// A compiled expression, ready to evaluate.
#[derive(Debug)]
pub struct Expression(Node);

#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    /// A variable, by its slot: 0 is the rule's element, then comprehension variables.
    Var(usize),
    Field(Box<Node>, Field),
    Has(Box<Node>, Field),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    /// `a op b op c ...`: a chain of one operator, applied left to right (at least two operands).
    Cmp(Cmp, Vec<Node>),
    Arith(Arith, Vec<Node>),
    In(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    Index(Box<Node>, Box<Node>),
    Size(Box<Node>),
    StrTest(StrTest, Box<Node>, Box<Node>),
    ToString(Box<Node>),
    ToInt(Box<Node>),
    LowerAscii(Box<Node>),
    NotStrictlyFalse(Box<Node>),
    List(Vec<Node>),
    Comprehension(Box<Comprehension>),
    /// A comprehension over the element's `zone_peers` or `runtime_peers` whose test reads the
    /// peer alone: made once for the group and shared (see `PeerFilter`).
    PeerFilter(Box<PeerFilter>),
    /// A use of one of the rule's definitions (`let:`): the arguments, evaluated where it is used,
    /// go into the slots from `base` on, where the body written in at this use reads them.
    Call(Box<Call>),
}

#[derive(Debug)]
struct Call {
    args: Vec<Node>,
    body: Node,
    base: usize,
    /// For a definition without parameters, its index: its body sees only the element, so its
    /// value is the same at every use, and is kept after the first (see `Evaluator::memos`).
    memo: Option<usize>,
}

#[derive(Debug)]
struct Comprehension {
    range: Node,
    init: Node,
    condition: Node,
    step: Step,
    result: Node,
    /// The slot of the accumulator; the element is the next one.
    slot: usize,
}

/// `component.zone_peers.filter(p, t)`, `.exists(p, t)` or `.all(p, t)` where the test `t`
/// reads nothing but `p` (and what it binds itself): which members of the group pass the test is
/// the same for every member, so it is worked out for the first and kept by the world
/// (`World::shared_filter`); each member's value is then that list without itself. Work on a
/// zone of n components is n tests, not n squared.
#[derive(Debug)]
struct PeerFilter {
    /// The comprehension as written: evaluated as such where the element is no component, or
    /// where the test fails on some member (CEL's errors are then the comprehension's own).
    comprehension: Comprehension,
    /// `zone_peers` or `runtime_peers`.
    field: Field,
    test: PeerTest,
    /// This filter's own number, which the world keeps its lists by.
    key: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeerTest {
    Filter,
    Exists,
    All,
}

/// Numbers the peer filters of every rule compiled in this process.
static PEER_FILTERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(Debug)]
enum Step {
    Generic(Node),
    /// `accu + [element]`, optionally under a condition (`map`, `filter`): appended in place, so
    /// they stay linear.
    Append(Option<Node>, Node),
    /// `exists` (`any`: the accumulator starts false and becomes `accu || predicate`) or `all`
    /// (starts true, `accu && predicate`): the loop stops at the first item that decides it.
    /// Evaluated without the accumulator and the loop condition the macro spells out, which
    /// were most of the work of a rule's condition; the differential tests hold it to the
    /// expansion's meaning.
    Decide {
        any: bool,
        predicate: Node,
    },
}

/// Most nodes an expression may compile to with its definitions written in.
pub(crate) const MAX_EXPANDED_NODES: usize = 1 << 16;
/// Deepest an expression may nest with its definitions written in: the evaluator recurses once
/// per level, so this bounds its stack as `bounds::MAX_NESTING` bounds a written expression's.
pub(crate) const MAX_EXPANDED_DEPTH: usize = 2 * crate::bounds::MAX_NESTING;

/// Compiles an expression whose variables are `roots` (the element first, then what the
/// evaluator binds after it: a rule's `members`), and which may use the rule's `definitions`,
/// each written in where it is used. Errors name what is unsupported; the checker reports them
/// with positions first, so these are a second line of defence.
pub(crate) fn compile(
    expr: &IdedExpr,
    roots: &[&str],
    definitions: &Definitions,
) -> std::result::Result<Expression, CompileError> {
    let mut compiler = Compiler {
        scopes: roots.iter().map(|r| (*r).to_owned()).collect(),
        definitions,
        nodes: 0,
        depth: 0,
        over_limit: false,
    };
    compiler
        .node(expr)
        .map(Expression)
        .map_err(|message| CompileError {
            message,
            over_limit: compiler.over_limit,
        })
}

/// Why an expression did not compile: what it uses that the subset lacks, or, with `over_limit`,
/// what its definitions would cost written in.
#[derive(Debug)]
pub(crate) struct CompileError {
    pub message: String,
    pub over_limit: bool,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

struct Compiler<'d> {
    scopes: Vec<String>,
    definitions: &'d Definitions,
    /// Nodes compiled so far, and the depth of the one being compiled: bounded, since a
    /// definition written in at each use multiplies both.
    nodes: usize,
    depth: usize,
    over_limit: bool,
}

impl Compiler<'_> {
    fn boxed(&mut self, expr: &IdedExpr) -> Result<Box<Node>> {
        self.node(expr).map(Box::new)
    }

    fn node(&mut self, expr: &IdedExpr) -> Result<Node> {
        self.nodes += 1;
        if self.nodes > MAX_EXPANDED_NODES {
            self.over_limit = true;
            return Err(format!(
                "with its definitions written in, the expression has more than \
                 {MAX_EXPANDED_NODES} nodes"
            ));
        }
        if self.depth >= MAX_EXPANDED_DEPTH {
            self.over_limit = true;
            return Err(format!(
                "with its definitions written in, the expression is nested more than \
                 {MAX_EXPANDED_DEPTH} levels deep"
            ));
        }
        self.depth += 1;
        let node = self.unbounded_node(expr);
        self.depth -= 1;
        node
    }

    fn unbounded_node(&mut self, expr: &IdedExpr) -> Result<Node> {
        if let Some(chain) = chain(expr) {
            return self.chain(&chain);
        }
        Ok(match &expr.expr {
            Expr::Literal(literal) => match literal {
                LiteralValue::Boolean(b) => Node::Bool(*b.inner()),
                LiteralValue::Int(i) => Node::Int(*i.inner()),
                LiteralValue::UInt(u) => Node::Int(
                    i64::try_from(*u.inner()).map_err(|_| "integer out of range".to_owned())?,
                ),
                LiteralValue::String(s) => Node::Str(s.inner().to_owned()),
                LiteralValue::Null => Node::Null,
                _ => {
                    return Err(
                        "only integers, strings, booleans and null are supported".to_owned()
                    );
                }
            },
            Expr::Ident(name) => match self.scopes.iter().rposition(|n| n == name) {
                Some(slot) => Node::Var(slot),
                None => match definitions::find(self.definitions, name) {
                    Some((at, _)) => self.expand(at, &[])?,
                    None => return Err(format!("unknown variable `{name}`")),
                },
            },
            Expr::Select(select) => {
                let field = Field::from_name(&select.field)
                    .ok_or_else(|| format!("unknown attribute `{}`", select.field))?;
                let operand = self.boxed(&select.operand)?;
                if select.test {
                    Node::Has(operand, field)
                } else {
                    Node::Field(operand, field)
                }
            }
            Expr::List(list) => Node::List(
                list.elements
                    .iter()
                    .map(|e| self.node(e))
                    .collect::<Result<Vec<_>>>()?,
            ),
            Expr::Call(call) if call.target.is_none() => {
                match definitions::find(self.definitions, &call.func_name) {
                    Some((at, _)) => self.expand(at, &call.args)?,
                    None => self.call(&call.func_name, None, &call.args)?,
                }
            }
            Expr::Call(call) => self.call(&call.func_name, call.target.as_deref(), &call.args)?,
            Expr::Comprehension(c) => {
                if c.iter_var2.is_some() {
                    return Err("two-variable comprehensions are not supported".to_owned());
                }
                let range = self.node(&c.iter_range)?;
                let init = self.node(&c.accu_init)?;
                let slot = self.scopes.len();
                self.scopes.push(c.accu_var.clone());
                self.scopes.push(c.iter_var.clone());
                let condition = self.node(&c.loop_cond)?;
                let step = if let Some((any, predicate)) = decides(c) {
                    Step::Decide {
                        any,
                        predicate: self.node(predicate)?,
                    }
                } else {
                    match appends_to(&c.loop_step, &c.accu_var) {
                        Some((filter, element)) => Step::Append(
                            filter.map(|f| self.node(f)).transpose()?,
                            self.node(element)?,
                        ),
                        None => Step::Generic(self.node(&c.loop_step)?),
                    }
                };
                self.scopes.pop();
                let result = self.node(&c.result)?;
                self.scopes.pop();
                peer_filter(Comprehension {
                    range,
                    init,
                    condition,
                    step,
                    result,
                    slot,
                })
            }
            Expr::Map(_) | Expr::Struct(_) | Expr::Unspecified => {
                return Err("map and message literals are not supported".to_owned());
            }
        })
    }

    /// Writes in the definition at `at` with these arguments. Its body is compiled where the
    /// caller's variables are hidden (their slots kept, their names not), so it sees the element
    /// and its parameters only, and only the definitions above it.
    fn expand(&mut self, at: usize, args: &[IdedExpr]) -> Result<Node> {
        let definition = &self.definitions[at];
        if args.len() != definition.params.len() {
            return Err(format!(
                "`{}` takes {} argument(s), not {}",
                definition.name,
                definition.params.len(),
                args.len()
            ));
        }
        // Each argument is compiled as if the ones before it already held their slots (unnamed:
        // the caller cannot see them), so that the evaluator pushes each into its slot as soon as
        // it has it: a comprehension inside an argument uses the slots above.
        let base = self.scopes.len();
        let mut compiled_args = Vec::with_capacity(args.len());
        for arg in args {
            compiled_args.push(self.node(arg)?);
            self.scopes.push(String::new());
        }
        self.scopes.truncate(base);
        let mut scopes = Vec::with_capacity(base + definition.params.len());
        scopes.push(self.scopes.first().cloned().unwrap_or_default());
        scopes.resize(base, String::new());
        scopes.extend(definition.params.iter().cloned());
        let mut body = Compiler {
            scopes,
            definitions: &self.definitions[..at],
            nodes: self.nodes,
            depth: self.depth,
            over_limit: false,
        };
        let compiled = body.node(&definition.body);
        self.nodes = body.nodes;
        self.over_limit |= body.over_limit;
        Ok(Node::Call(Box::new(Call {
            args: compiled_args,
            body: compiled?,
            base,
            memo: definition.params.is_empty().then_some(at),
        })))
    }

    /// A chain of one arithmetic or comparison operator, as one node: compiled and evaluated
    /// operand by operand in a loop, where nested calls would recurse once per operand.
    fn chain(&mut self, chain: &Chain) -> Result<Node> {
        let mut operands = Vec::with_capacity(chain.links.len() + 1);
        operands.push(self.node(chain.first)?);
        for (_, right) in &chain.links {
            operands.push(self.node(right)?);
        }
        match functions::lookup(chain.op).map(|f| f.lowering) {
            Some(Lowering::Cmp(op)) => Ok(Node::Cmp(op, operands)),
            Some(Lowering::Arith(op)) => Ok(Node::Arith(op, operands)),
            _ => Err(format!("function `{}` is not supported", chain.op)),
        }
    }

    /// Lowers a call by its row in the table of functions.
    fn call(&mut self, name: &str, target: Option<&IdedExpr>, args: &[IdedExpr]) -> Result<Node> {
        let function =
            functions::lookup(name).ok_or_else(|| format!("function `{name}` is not supported"))?;
        if !function.fits(target.is_some(), args.len()) {
            return Err(format!("`{name}` is written {}", function.usage()));
        }
        let mut operands = target
            .into_iter()
            .chain(args)
            .map(|e| self.boxed(e))
            .collect::<Result<Vec<_>>>()?
            .into_iter();
        let mut next = || {
            operands
                .next()
                .ok_or_else(|| format!("`{name}` lacks an operand"))
        };
        Ok(match function.lowering {
            Lowering::And => Node::And(next()?, next()?),
            Lowering::Or => Node::Or(next()?, next()?),
            Lowering::Not => Node::Not(next()?),
            Lowering::Neg => Node::Neg(next()?),
            Lowering::NotStrictlyFalse => Node::NotStrictlyFalse(next()?),
            Lowering::In => Node::In(next()?, next()?),
            Lowering::Index => Node::Index(next()?, next()?),
            Lowering::Cond => Node::Cond(next()?, next()?, next()?),
            Lowering::Size => Node::Size(next()?),
            Lowering::ToString => Node::ToString(next()?),
            Lowering::ToInt => Node::ToInt(next()?),
            Lowering::LowerAscii => Node::LowerAscii(next()?),
            Lowering::StrTest(op) => Node::StrTest(op, next()?, next()?),
            Lowering::Cmp(op) => Node::Cmp(op, vec![*next()?, *next()?]),
            Lowering::Arith(op) => Node::Arith(op, vec![*next()?, *next()?]),
        })
    }
}

/// Evaluates compiled expressions for one element.
pub(crate) struct Evaluator<'w> {
    world: &'w World<'w>,
    budget: &'w Budget,
    slots: Vec<Value<'w>>,
    /// Slots every evaluation starts with: the element, and what `bind` added.
    bound: usize,
    steps: u64,
    /// Bytes of strings and lists built in this evaluation.
    allocated: usize,
    /// Comprehensions entered and not left.
    nesting: usize,
    /// Iterations not yet added to the run's budget.
    pending: u64,
    /// A limit was crossed in this evaluation: the error ends it, even where CEL would let
    /// another operand decide (`exists` and `all` wait for the items after an error).
    breached: bool,
    /// The values of the definitions without parameters used so far in this evaluation, by
    /// definition index. Written in at each use, such a definition used inside a comprehension
    /// over a list it filters itself was evaluated once per item: quadratic in the list
    /// (`card-data-outside-cardholder-zone`'s explanation took 1.5 s at 50,000 components).
    memos: Vec<Option<Value<'w>>>,
}

impl Drop for Evaluator<'_> {
    fn drop(&mut self) {
        // The run's count is complete once every evaluator is gone; going over the limit here
        // is reported by the run's own check afterwards.
        let _ = self.budget.spend(std::mem::take(&mut self.pending));
    }
}

impl<'w> Evaluator<'w> {
    pub(crate) fn new(world: &'w World<'w>, budget: &'w Budget, element: Value<'w>) -> Self {
        Evaluator {
            world,
            budget,
            slots: vec![element],
            bound: 1,
            steps: 0,
            allocated: 0,
            nesting: 0,
            pending: 0,
            breached: false,
            memos: Vec::new(),
        }
    }

    /// Evaluates an expression from a fresh start (the element only, a full budget for the
    /// evaluation; the run's iterations go on counting).
    pub(crate) fn run(&mut self, expression: &'w Expression) -> Result<Value<'w>> {
        self.memos.clear();
        self.run_for_same_rule(expression)
    }

    /// Evaluates another expression of the rule whose expression `run` evaluated last (its
    /// `members`, an explanation's parts, a `*_when` condition), keeping the values its
    /// definitions without parameters took: they read only the element, so they are the same.
    /// An explanation made each of its parts work out the rule's lists again (a store among
    /// thousands of peers listed them once per sentence that names or counts them).
    #[inline]
    pub(crate) fn run_for_same_rule(&mut self, expression: &'w Expression) -> Result<Value<'w>> {
        self.slots.truncate(self.bound);
        self.steps = 0;
        self.allocated = 0;
        self.nesting = 0;
        self.breached = false;
        self.budget.check_spent()?;
        let value = self.eval(&expression.0);
        // Iterations are added to the run's count in batches, also across evaluations (full
        // batches by `iterate`, the rest when the evaluator is dropped): adding after every
        // evaluation made the two threads contend for the shared counter millions of times on a
        // large model. A batch that would cross the limit is added at once, so the evaluation
        // that crosses it fails.
        let pending = self.pending;
        if pending > 0
            && self.budget.iterations().saturating_add(pending) > self.budget.limits.max_iterations
        {
            self.pending = 0;
            self.budget.spend(pending)?;
        }
        value
    }

    /// Binds the variable after the element (slot 1) for the evaluations that follow, until
    /// `unbind`: a rule's `members` while its explanation renders.
    pub(crate) fn bind(&mut self, value: Value<'w>) {
        self.slots.truncate(1);
        self.slots.push(value);
        self.bound = 2;
    }

    pub(crate) fn unbind(&mut self) {
        self.slots.truncate(1);
        self.bound = 1;
    }

    /// Counts a string of `bytes` about to be built.
    fn charge_string(&mut self, bytes: usize) -> Result<()> {
        let limit = self.budget.limits.max_string_bytes;
        let what = "the expression builds a string of";
        within(bytes, limit, what, "bytes", "max-cel-string-bytes").map_err(|e| self.breach(e))?;
        self.charge(bytes)
    }

    /// Counts a list of `items` about to be built (or grown to).
    fn charge_list(&mut self, items: usize, new_items: usize) -> Result<()> {
        let limit = self.budget.limits.max_list_items;
        let what = "the expression builds a list of";
        within(items, limit, what, "items", "max-cel-list-items").map_err(|e| self.breach(e))?;
        self.charge(new_items.saturating_mul(std::mem::size_of::<Value>()))
    }

    fn charge(&mut self, bytes: usize) -> Result<()> {
        self.allocated = self.allocated.saturating_add(bytes);
        let limit = self.budget.limits.max_alloc_bytes;
        let what = "the expression allocates";
        let unit = "bytes in one evaluation";
        within(self.allocated, limit, what, unit, "max-cel-alloc-bytes").map_err(|e| self.breach(e))
    }

    /// Marks the evaluation as over a limit, passing the error on.
    fn breach(&mut self, error: String) -> String {
        self.breached = true;
        error
    }

    /// Counts what adding `a` and `b` builds: a list or a string of both.
    fn charge_sum(&mut self, a: &Value<'w>, b: &Value<'w>) -> Result<()> {
        match (a, b) {
            (Value::List(x), Value::List(y)) => {
                let items = x.len().saturating_add(y.len());
                self.charge_list(items, items)
            }
            _ => match (a.as_str(), b.as_str()) {
                (Some(s), Some(t)) => self.charge_string(s.len().saturating_add(t.len())),
                _ => Ok(()),
            },
        }
    }

    fn boolean(&mut self, node: &'w Node) -> Result<bool> {
        match self.eval(node)? {
            Value::Bool(b) => Ok(b),
            other => Err(format!("expected a bool, found a {}", other.kind_name())),
        }
    }

    fn eval(&mut self, node: &'w Node) -> Result<Value<'w>> {
        self.steps += 1;
        let max_steps = self.budget.limits.max_steps;
        if self.steps > max_steps {
            let error = breach(
                "the expression took",
                format!("{} steps", self.steps),
                max_steps,
                "max-cel-steps",
            );
            return Err(self.breach(error));
        }
        match node {
            Node::Null => Ok(Value::Null),
            Node::Bool(b) => Ok(Value::Bool(*b)),
            Node::Int(i) => Ok(Value::Int(*i)),
            Node::Str(s) => Ok(Value::Str(s)),
            Node::Var(slot) => self
                .slots
                .get(*slot)
                .cloned()
                .ok_or_else(|| "variable out of scope".to_owned()),
            Node::Field(operand, field) => match self.eval(operand)? {
                Value::Obj(kind, i) => self
                    .world
                    .field(kind, i, *field)
                    .ok_or_else(|| format!("no attribute `{}`", field.name())),
                other => Err(format!(
                    "cannot read `{}` from a {}",
                    field.name(),
                    other.kind_name()
                )),
            },
            Node::Has(operand, field) => match self.eval(operand)? {
                Value::Obj(kind, i) => Ok(Value::Bool(self.world.field(kind, i, *field).is_some())),
                _ => Ok(Value::Bool(false)),
            },
            Node::And(a, b) => {
                // CEL's logical operators are commutative over errors: false wins.
                let left = self.boolean(a);
                if matches!(left, Ok(false)) {
                    return Ok(Value::Bool(false));
                }
                match (left, self.boolean(b)) {
                    (_, Ok(false)) => Ok(Value::Bool(false)),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                    _ => Ok(Value::Bool(true)),
                }
            }
            Node::Or(a, b) => {
                let left = self.boolean(a);
                if matches!(left, Ok(true)) {
                    return Ok(Value::Bool(true));
                }
                match (left, self.boolean(b)) {
                    (_, Ok(true)) => Ok(Value::Bool(true)),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                    _ => Ok(Value::Bool(false)),
                }
            }
            Node::Not(a) => Ok(Value::Bool(!self.boolean(a)?)),
            Node::NotStrictlyFalse(a) => {
                Ok(Value::Bool(!matches!(self.eval(a), Ok(Value::Bool(false)))))
            }
            Node::Neg(a) => match self.eval(a)? {
                Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(overflow),
                other => Err(format!("cannot negate a {}", other.kind_name())),
            },
            Node::Cmp(op, operands) => self.fold(operands, |_, a, b| compare(*op, a, b)),
            Node::Arith(op, operands) => self.fold(operands, |ev, a, b| {
                if *op == Arith::Add {
                    ev.charge_sum(&a, &b)?;
                }
                arithmetic(*op, a, b)
            }),
            Node::In(element, container) => {
                let element = self.eval(element)?;
                match self.eval(container)? {
                    Value::List(list) => Ok(Value::Bool(contains(&list, &element))),
                    other => Err(format!("`in` needs a list, not a {}", other.kind_name())),
                }
            }
            Node::Cond(condition, then, otherwise) => {
                if self.boolean(condition)? {
                    self.eval(then)
                } else {
                    self.eval(otherwise)
                }
            }
            Node::Index(list, index) => match (self.eval(list)?, self.eval(index)?) {
                (Value::List(list), Value::Int(i)) => usize::try_from(i)
                    .ok()
                    .and_then(|i| list.get(i))
                    .ok_or_else(|| format!("index {i} out of range")),
                (x, _) => Err(format!("cannot index a {}", x.kind_name())),
            },
            Node::Size(a) => match self.eval(a)? {
                Value::List(list) => Ok(Value::Int(list.len() as i64)),
                v => v
                    .as_str()
                    .map(|s| Value::Int(s.chars().count() as i64))
                    .ok_or_else(|| format!("no size for a {}", v.kind_name())),
            },
            Node::StrTest(op, haystack, needle) => {
                let (haystack, needle) = (self.eval(haystack)?, self.eval(needle)?);
                match (haystack.as_str(), needle.as_str()) {
                    (Some(h), Some(n)) => Ok(Value::Bool(match op {
                        StrTest::Contains => h.contains(n),
                        StrTest::StartsWith => h.starts_with(n),
                        StrTest::EndsWith => h.ends_with(n),
                    })),
                    _ => Err("string tests work on strings".to_owned()),
                }
            }
            Node::ToString(a) => Ok(match self.eval(a)? {
                Value::Int(i) => {
                    let text = i.to_string();
                    self.charge_string(text.len())?;
                    Value::OwnedStr(Rc::from(text))
                }
                Value::Bool(b) => Value::OwnedStr(Rc::from(b.to_string())),
                v @ (Value::Str(_) | Value::OwnedStr(_)) => v,
                other => {
                    return Err(format!(
                        "cannot convert a {} to a string",
                        other.kind_name()
                    ));
                }
            }),
            Node::LowerAscii(a) => {
                let v = self.eval(a)?;
                let text = v
                    .as_str()
                    .ok_or_else(|| format!("cannot lowercase a {}", v.kind_name()))?;
                // Most names are already lowercase or have no letters to change: no copy then.
                if !text.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Ok(v);
                }
                self.charge_string(text.len())?;
                Ok(Value::OwnedStr(Rc::from(text.to_ascii_lowercase())))
            }
            Node::ToInt(a) => match self.eval(a)? {
                Value::Int(i) => Ok(Value::Int(i)),
                v => v
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .map(Value::Int)
                    .ok_or_else(|| format!("cannot convert a {} to an int", v.kind_name())),
            },
            Node::List(items) => {
                self.charge_list(items.len(), items.len())?;
                let items = items
                    .iter()
                    .map(|e| self.eval(e))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Value::List(List::Values(Rc::new(items))))
            }
            Node::Comprehension(c) => self.comprehension(c),
            Node::PeerFilter(p) => self.peer_filter(p),
            Node::Call(call) => {
                if let Some(Some(value)) = call.memo.and_then(|at| self.memos.get(at)) {
                    return Ok(value.clone());
                }
                // Straight into its slot, with no list of its own: a use sits in the loops of
                // the rules' conditions (`expand` compiled each argument above the ones before).
                self.slots.truncate(call.base);
                self.slots.resize(call.base, Value::Null);
                for arg in &call.args {
                    let value = self.eval(arg)?;
                    self.slots.push(value);
                }
                let value = self.eval(&call.body);
                self.slots.truncate(call.base);
                if let (Some(at), Ok(value)) = (call.memo, &value) {
                    if self.memos.len() <= at {
                        self.memos.resize(at + 1, None);
                    }
                    self.memos[at] = Some(value.clone());
                }
                value
            }
        }
    }

    /// Evaluates a chain's operands left to right, applying the operator as it goes, as the
    /// nested calls `((a op b) op c) ...` would.
    fn fold(
        &mut self,
        operands: &'w [Node],
        apply: impl Fn(&mut Self, Value<'w>, Value<'w>) -> Result<Value<'w>>,
    ) -> Result<Value<'w>> {
        let Some((first, rest)) = operands.split_first() else {
            return Err("an operator without operands".to_owned());
        };
        let mut left = self.eval(first)?;
        for operand in rest {
            let right = self.eval(operand)?;
            left = apply(self, left, right)?;
        }
        Ok(left)
    }

    /// The value of a peer filter for the element: the group's shared list, made here if no
    /// evaluation made it before, without the element itself. Kept out of `eval`, whose size
    /// decides what the compiler writes into it on the hot path of every rule.
    #[inline(never)]
    fn peer_filter(&mut self, p: &'w PeerFilter) -> Result<Value<'w>> {
        let Some(&Value::Obj(ObjKind::Component, own)) = self.slots.first() else {
            return self.comprehension(&p.comprehension);
        };
        let Some((group, members)) = self.world.peer_group(own, p.field) else {
            return self.comprehension(&p.comprehension);
        };
        let kept = match self.world.shared_filter(p.key, group) {
            Some(kept) => kept,
            None => match self.select_members(p, members)? {
                Some(kept) => {
                    let kept: Arc<[usize]> = kept.into();
                    self.world.keep_shared_filter(p.key, group, kept.clone());
                    kept
                }
                None => return self.comprehension(&p.comprehension),
            },
        };
        // Both in ascending order: the element is found by halving.
        let skip = kept.binary_search(&own).unwrap_or(kept.len());
        let passing_peers = kept.len() - usize::from(skip < kept.len());
        Ok(match p.test {
            PeerTest::Filter => Value::List(List::Shared {
                kind: ObjKind::Component,
                items: kept,
                skip,
            }),
            PeerTest::Exists => Value::Bool(passing_peers > 0),
            PeerTest::All => Value::Bool(passing_peers == members.len() - 1),
        })
    }

    /// The members that pass a peer filter's test, counted as the comprehension's iterations;
    /// None where the test fails on one (not for want of budget), so that the comprehension
    /// runs as written and its error, or the item that decides despite it, is CEL's.
    fn select_members(
        &mut self,
        p: &'w PeerFilter,
        members: &[usize],
    ) -> Result<Option<Vec<usize>>> {
        let c = &p.comprehension;
        let test = match &c.step {
            Step::Append(Some(test), _)
            | Step::Decide {
                predicate: test, ..
            } => test,
            Step::Append(None, _) | Step::Generic(_) => return Ok(None),
        };
        self.enter_loop()?;
        self.slots.truncate(c.slot);
        self.slots.resize(c.slot + 2, Value::Null);
        let mut kept = Vec::new();
        let mut outcome = Ok(Some(()));
        for &member in members {
            self.pending += 1;
            if self.pending >= FLUSH_EVERY {
                let pending = std::mem::take(&mut self.pending);
                if let Err(error) = self.budget.spend(pending) {
                    outcome = Err(self.breach(error));
                    break;
                }
            }
            self.slots.truncate(c.slot + 2);
            self.slots[c.slot + 1] = Value::Obj(ObjKind::Component, member);
            match self.boolean(test) {
                Ok(true) => {
                    // Charged as the filter written out would be; the list is the world's after,
                    // and evaluations that share it build nothing.
                    if p.test == PeerTest::Filter
                        && let Err(error) = self.charge_list(kept.len() + 1, 1)
                    {
                        outcome = Err(error);
                        break;
                    }
                    kept.push(member);
                }
                Ok(false) => {}
                Err(error) if self.breached => {
                    outcome = Err(error);
                    break;
                }
                Err(_) => {
                    outcome = Ok(None);
                    break;
                }
            }
        }
        self.nesting -= 1;
        self.slots.truncate(c.slot);
        outcome.map(|done| done.map(|()| kept))
    }

    /// Enters a loop, one level deeper, within the nesting limit; the caller leaves it
    /// (`self.nesting -= 1`) when the loop ends, however it ends.
    fn enter_loop(&mut self) -> Result<()> {
        let max_nesting = self.budget.limits.max_nesting;
        if self.nesting >= max_nesting {
            let error = breach(
                "comprehensions are nested",
                format!("{} deep", self.nesting + 1),
                max_nesting as u64,
                "max-cel-nesting",
            );
            return Err(self.breach(error));
        }
        self.nesting += 1;
        Ok(())
    }

    fn comprehension(&mut self, c: &'w Comprehension) -> Result<Value<'w>> {
        let range = match self.eval(&c.range)? {
            Value::List(list) => list,
            other => return Err(format!("cannot iterate over a {}", other.kind_name())),
        };
        let init = self.eval(&c.init)?;
        self.slots.truncate(c.slot);
        self.slots.push(init);
        self.slots.push(Value::Null);
        // Only the loop nests: a chain `l.map(..).map(..)` evaluates its range before it.
        self.enter_loop()?;
        let looped = self.iterate(c, &range);
        self.nesting -= 1;
        looped?;
        self.slots.truncate(c.slot + 1);
        let result = self.eval(&c.result);
        self.slots.truncate(c.slot);
        result
    }

    /// The loop of a comprehension, leaving the accumulator in its slot.
    fn iterate(&mut self, c: &'w Comprehension, range: &List<'w>) -> Result<()> {
        let mut built: Vec<Value<'w>> = Vec::new();
        let mut undecided: Option<String> = None;
        for item in range.iter() {
            self.pending += 1;
            if self.pending >= FLUSH_EVERY {
                let pending = std::mem::take(&mut self.pending);
                self.budget.spend(pending).map_err(|e| self.breach(e))?;
            }
            self.slots.truncate(c.slot + 2);
            self.slots[c.slot + 1] = item;
            if let Step::Decide { any, predicate } = &c.step {
                // The loop condition holds until the predicate decides: not evaluated. As in
                // CEL, an item that decides wins over an error on another, so an error waits
                // for the items after it.
                match self.boolean(predicate) {
                    Ok(b) if b == *any => {
                        self.slots[c.slot] = Value::Bool(*any);
                        return Ok(());
                    }
                    Ok(_) => {}
                    Err(error) if self.breached => return Err(error),
                    Err(error) => {
                        undecided.get_or_insert(error);
                    }
                }
                continue;
            }
            if matches!(self.eval(&c.condition), Ok(Value::Bool(false))) {
                break;
            }
            match &c.step {
                Step::Append(filter, element) => {
                    let keep = match filter {
                        Some(filter) => self.boolean(filter)?,
                        None => true,
                    };
                    if keep {
                        let item = self.eval(element)?;
                        self.charge_list(built.len() + 1, 1)?;
                        built.push(item);
                    }
                }
                Step::Generic(step) => {
                    let next = self.eval(step)?;
                    self.slots[c.slot] = next;
                }
                Step::Decide { .. } => {}
            }
        }
        if let Some(error) = undecided {
            return Err(error);
        }
        if matches!(c.step, Step::Append(..)) {
            self.slots[c.slot] = Value::List(List::Values(Rc::new(built)));
        }
        Ok(())
    }
}

/// An error when what an expression builds is over its limit.
fn within(value: usize, limit: usize, what: &str, unit: &str, option: &str) -> Result<()> {
    if value > limit {
        return Err(breach(
            what,
            format!("{value} {unit}"),
            limit as u64,
            option,
        ));
    }
    Ok(())
}

fn compare<'w>(op: Cmp, a: Value<'w>, b: Value<'w>) -> Result<Value<'w>> {
    match op {
        Cmp::Eq => return Ok(Value::Bool(a.equals(&b))),
        Cmp::Ne => return Ok(Value::Bool(!a.equals(&b))),
        _ => {}
    }
    let ordering = match (&a, &b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => {
                return Err(format!(
                    "cannot compare a {} with a {}",
                    a.kind_name(),
                    b.kind_name()
                ));
            }
        },
    };
    Ok(Value::Bool(match op {
        Cmp::Lt => ordering.is_lt(),
        Cmp::Le => ordering.is_le(),
        Cmp::Gt => ordering.is_gt(),
        _ => ordering.is_ge(),
    }))
}

fn arithmetic<'w>(op: Arith, a: Value<'w>, b: Value<'w>) -> Result<Value<'w>> {
    match (op, a, b) {
        (Arith::Add, Value::List(x), Value::List(y)) => {
            let mut items: Vec<Value<'w>> = x.iter().collect();
            items.extend(y.iter());
            Ok(Value::List(List::Values(Rc::new(items))))
        }
        (op, Value::Int(x), Value::Int(y)) => match op {
            Arith::Add => x.checked_add(y),
            Arith::Sub => x.checked_sub(y),
            Arith::Mul => x.checked_mul(y),
            Arith::Div => x.checked_div(y),
            Arith::Rem => x.checked_rem(y),
        }
        .map(Value::Int)
        .ok_or_else(|| "arithmetic overflow or division by zero".to_owned()),
        (Arith::Add, x, y) => match (x.as_str(), y.as_str()) {
            (Some(s), Some(t)) => Ok(Value::OwnedStr(Rc::from(format!("{s}{t}")))),
            _ => Err(format!(
                "cannot add a {} and a {}",
                x.kind_name(),
                y.kind_name()
            )),
        },
        (_, x, y) => Err(format!(
            "arithmetic needs ints, not a {} and a {}",
            x.kind_name(),
            y.kind_name()
        )),
    }
}

fn overflow() -> String {
    "integer overflow".to_owned()
}

fn contains<'w>(list: &List<'w>, element: &Value<'w>) -> bool {
    match (list, element.as_str()) {
        (List::Strs(items), Some(s)) => items.contains(&s),
        (List::Strings(items), Some(s)) => items.iter().any(|x| x == s),
        (List::Objs(kind, items), _) => match element {
            Value::Obj(k, i) => k == kind && items.contains(i),
            _ => false,
        },
        (List::ObjsWithout { kind, items, skip }, _) => match element {
            Value::Obj(k, i) => {
                k == kind
                    && items
                        .iter()
                        .enumerate()
                        .any(|(at, item)| at != *skip && item == i)
            }
            _ => false,
        },
        _ => list.iter().any(|item| item.equals(element)),
    }
}

/// Recognizes the steps `accu + [element]` (map) and `cond ? accu + [element] : accu` (filter).
/// Whether a comprehension is the expansion of `exists` or `all` (the `cel` crate's macros, and
/// the same written out by hand): a boolean start, a step `accu || p` from false or `accu && p`
/// from true, a loop condition that stops once the accumulator has flipped, and the accumulator
/// as the result. Gives whether it is `exists`, and the predicate.
/// A comprehension as a peer filter where it is one (see `PeerFilter`): its range is the
/// element's `zone_peers` or `runtime_peers`, it is `filter`, `exists` or `all` as the macros
/// write them, and its test reads no variable bound outside it (the element, a rule's `members`,
/// an enclosing comprehension's item, a definition's parameter).
fn peer_filter(c: Comprehension) -> Node {
    let field = match &c.range {
        Node::Field(operand, field @ (Field::ZonePeers | Field::RuntimePeers))
            if matches!(**operand, Node::Var(0)) =>
        {
            *field
        }
        _ => return Node::Comprehension(Box::new(c)),
    };
    let item = c.slot + 1;
    let returns_accumulator = matches!(c.result, Node::Var(slot) if slot == c.slot);
    let (test, predicate) = match &c.step {
        Step::Append(Some(test), Node::Var(slot))
            if *slot == item
                && matches!(c.init, Node::List(ref items) if items.is_empty())
                && matches!(c.condition, Node::Bool(true)) =>
        {
            (PeerTest::Filter, test)
        }
        Step::Decide { any, predicate } => (
            if *any {
                PeerTest::Exists
            } else {
                PeerTest::All
            },
            predicate,
        ),
        _ => return Node::Comprehension(Box::new(c)),
    };
    if !returns_accumulator || lowest_variable(predicate).is_some_and(|slot| slot < item) {
        return Node::Comprehension(Box::new(c));
    }
    Node::PeerFilter(Box::new(PeerFilter {
        key: PEER_FILTERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        comprehension: c,
        field,
        test,
    }))
}

/// The lowest variable slot a node reads, if it reads one. Slots are given out in the order
/// scopes open, so a node that reads none below a comprehension's item slot reads only that item
/// and what it binds inside.
fn lowest_variable(node: &Node) -> Option<usize> {
    let lowest = |nodes: &mut dyn Iterator<Item = &Node>| nodes.filter_map(lowest_variable).min();
    match node {
        Node::Null | Node::Bool(_) | Node::Int(_) | Node::Str(_) => None,
        Node::Var(slot) => Some(*slot),
        Node::Field(a, _)
        | Node::Has(a, _)
        | Node::Not(a)
        | Node::Neg(a)
        | Node::Size(a)
        | Node::ToString(a)
        | Node::ToInt(a)
        | Node::LowerAscii(a)
        | Node::NotStrictlyFalse(a) => lowest_variable(a),
        Node::And(a, b)
        | Node::Or(a, b)
        | Node::In(a, b)
        | Node::Index(a, b)
        | Node::StrTest(_, a, b) => lowest(&mut [a, b].into_iter().map(|n| &**n)),
        Node::Cond(a, b, c) => lowest(&mut [a, b, c].into_iter().map(|n| &**n)),
        Node::Cmp(_, operands) | Node::Arith(_, operands) | Node::List(operands) => {
            lowest(&mut operands.iter())
        }
        Node::Comprehension(c) => lowest_in_comprehension(c),
        Node::PeerFilter(p) => lowest_in_comprehension(&p.comprehension),
        Node::Call(call) => lowest(&mut call.args.iter().chain([&call.body])),
    }
}

fn lowest_in_comprehension(c: &Comprehension) -> Option<usize> {
    let step: Vec<&Node> = match &c.step {
        Step::Generic(step) => vec![step],
        Step::Append(filter, element) => filter.iter().chain([element]).collect(),
        Step::Decide { predicate, .. } => vec![predicate],
    };
    [&c.range, &c.init, &c.condition, &c.result]
        .into_iter()
        .chain(step)
        .filter_map(lowest_variable)
        .min()
}

fn decides(c: &cel::common::ast::ComprehensionExpr) -> Option<(bool, &IdedExpr)> {
    let accu = c.accu_var.as_str();
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if n == accu);
    fn call<'e>(e: &'e IdedExpr, name: &str) -> Option<&'e [IdedExpr]> {
        match &e.expr {
            Expr::Call(call) if call.func_name == name && call.target.is_none() => {
                Some(call.args.as_slice())
            }
            _ => None,
        }
    }
    let any = match &c.accu_init.expr {
        Expr::Literal(LiteralValue::Boolean(start)) => !*start.inner(),
        _ => return None,
    };
    let [left, predicate] = call(&c.loop_step, if any { "_||_" } else { "_&&_" })? else {
        return None;
    };
    let [running] = call(&c.loop_cond, "@not_strictly_false")? else {
        return None;
    };
    let stops = if any {
        matches!(call(running, "!_"), Some([negated]) if is_accu(negated))
    } else {
        is_accu(running)
    };
    (is_accu(left) && stops && is_accu(&c.result)).then_some((any, predicate))
}

fn appends_to<'e>(step: &'e IdedExpr, accu: &str) -> Option<(Option<&'e IdedExpr>, &'e IdedExpr)> {
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if n == accu);
    let append = |e: &'e IdedExpr| -> Option<&'e IdedExpr> {
        match &e.expr {
            Expr::Call(call) if call.func_name == "_+_" && call.target.is_none() => {
                match call.args.as_slice() {
                    [left, right] if is_accu(left) => match &right.expr {
                        Expr::List(list) if list.elements.len() == 1 => list.elements.first(),
                        _ => None,
                    },
                    _ => None,
                }
            }
            _ => None,
        }
    };
    if let Some(element) = append(step) {
        return Some((None, element));
    }
    match &step.expr {
        Expr::Call(call) if call.func_name == "_?_:_" => match call.args.as_slice() {
            [condition, then, otherwise] if is_accu(otherwise) => {
                append(then).map(|e| (Some(condition), e))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Renders a value for an explanation: lists joined with ", ", objects by name.
#[cfg(test)]
pub(crate) fn display(world: &World, value: &Value) -> String {
    let mut out = String::new();
    display_into(world, value, &mut out, usize::MAX);
    out
}

/// How many items of a long list an explanation names before it says how many more there are: a
/// sentence naming thousands of components (every edge proxy the cards pass) is read by no one,
/// and would be cut at the explanation's size limit, an error, on a valid model.
pub(crate) const MAX_LISTED: usize = 20;
/// A list of at most this many items is named whole: "and 2 more" would save nothing.
pub(crate) const LISTED_WHOLE: usize = 30;

/// [`display`], appended to `out`: explanations are rendered for every threat (hundreds of
/// thousands on a large model), so the parts are written in place rather than collected and
/// joined. A list item equal to the one before it is written once, as before; of a list longer
/// than [`LISTED_WHOLE`], the first [`MAX_LISTED`] items are named and the rest counted (", and
/// 3980 more"). Writing stops once `out` holds `limit` bytes (a list of a million long names is
/// not written out to be cut).
pub(crate) fn display_into(world: &World, value: &Value, out: &mut String, limit: usize) {
    use std::fmt::Write as _;
    if out.len() >= limit {
        return;
    }
    match value {
        Value::Null => {}
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Str(s) => push_within(out, s, limit),
        Value::OwnedStr(s) => push_within(out, s, limit),
        Value::List(list) => {
            let named = if list.len() > LISTED_WHOLE {
                MAX_LISTED
            } else {
                usize::MAX
            };
            let mut items = list.iter();
            let mut last: Option<Value> = None;
            let (mut previous, mut current) = (String::new(), String::new());
            let mut listed = 0;
            while listed < named {
                let Some(item) = items.next() else { break };
                if out.len() >= limit {
                    return;
                }
                current.clear();
                display_into(world, &item, &mut current, limit - out.len());
                let repeat = last.is_some() && current == previous;
                last = Some(item);
                if repeat {
                    continue;
                }
                if listed > 0 {
                    out.push_str(", ");
                }
                push_within(out, &current, limit);
                listed += 1;
                std::mem::swap(&mut previous, &mut current);
            }
            // The rest are counted, not written out: compared by value with the item before,
            // since rendering thousands of names only to count them is the work the cap saves.
            let mut more = 0;
            for item in items {
                if !last.as_ref().is_some_and(|l| l.equals(&item)) {
                    more += 1;
                }
                last = Some(item);
            }
            if more > 0 {
                push_within(out, &format!(", and {more} more"), limit);
            }
        }
        Value::Obj(kind, i) => {
            if let Some(v) = world.field(*kind, *i, Field::Name).or_else(|| {
                (*kind == ObjKind::Model).then(|| Value::Str(world.model.system_name()))
            }) {
                display_into(world, &v, out, limit);
            }
        }
    }
}

/// Appends as much of `text` as keeps `out` within `limit` bytes, whole characters only.
fn push_within(out: &mut String, text: &str, limit: usize) {
    let mut room = limit.saturating_sub(out.len()).min(text.len());
    while !text.is_char_boundary(room) {
        room -= 1;
    }
    out.push_str(&text[..room]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::budget::CelLimits;
    use threatforge_model::{LoadOptions, load_str};

    #[test]
    fn membership_in_a_list_without_one_object() {
        let members = [4, 7, 9];
        let peers = List::ObjsWithout {
            kind: ObjKind::Component,
            items: &members,
            skip: 1,
        };
        assert!(contains(&peers, &Value::Obj(ObjKind::Component, 4)));
        assert!(contains(&peers, &Value::Obj(ObjKind::Component, 9)));
        assert!(!contains(&peers, &Value::Obj(ObjKind::Component, 7)));
        assert!(!contains(&peers, &Value::Obj(ObjKind::Flow, 4)));
    }

    const MODEL: &str = "system: { name: T }
data:
  card: { classification: secret, categories: [payment] }
components:
  user: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [card] }
  db: { technology: postgresql, stores: [card] }
flows:
  - user -> web: { protocol: https, data: [card] }
  - web -> db: { protocol: postgres, data: [card] }
";

    fn loaded() -> threatforge_model::Loaded {
        load_str(
            "m.yaml",
            MODEL,
            &std::env::temp_dir(),
            &LoadOptions::default(),
        )
    }

    fn run(source: &str) -> std::result::Result<String, String> {
        run_within(source, &Budget::default(), 1)
    }

    /// Evaluates `source` `times` times on one budget; the last result.
    fn run_within(
        source: &str,
        budget: &Budget,
        times: usize,
    ) -> std::result::Result<String, String> {
        let loaded = loaded();
        let world = World::new(&loaded.model);
        let program = cel::Program::compile(source).map_err(|e| e.to_string())?;
        let expression =
            compile(program.expression(), &["component"], &[]).map_err(|e| e.message)?;
        let mut evaluator = Evaluator::new(&world, budget, Value::Obj(ObjKind::Component, 1));
        let mut last = Err("not run".to_owned());
        for _ in 0..times {
            last = evaluator.run(&expression).map(|v| display(&world, &v));
            last.as_ref().map_err(Clone::clone)?;
        }
        last
    }

    fn limited(edit: impl FnOnce(&mut CelLimits)) -> Budget {
        let mut limits = CelLimits::default();
        edit(&mut limits);
        Budget::new(limits)
    }

    /// `start` followed by `.map(x, x + x)` `times` times: each map doubles its one item.
    fn doubled(start: &str, times: usize) -> String {
        format!("{start}{}", ".map(x, x + x)".repeat(times))
    }

    #[test]
    fn evaluates_the_cel_subset() {
        let cases = [
            (r#""web-ui" in component.traits"#, "true"),
            (
                r#"component.outbound.exists(f, "sql" in f.target.traits)"#,
                "true",
            ),
            (r#"component.inbound.all(f, f.encrypted)"#, "true"),
            ("component.outbound.map(f, f.target.name)", "db"),
            ("component.outbound.filter(f, f.encrypted).map(f, f.id)", ""),
            ("component.data.exists_one(d, d.sensitivity == 3)", "true"),
            ("size(component.outbound) + 1", "2"),
            ("component.sensitivity >= 2 && component.trust < 3", "true"),
            (r#"component.name.startsWith("we") ? "yes" : "no""#, "yes"),
            (
                r#"component.name + "-" + string(component.sensitivity)"#,
                "web-3",
            ),
            ("has(component.owner) && has(component.data)", "true"),
            ("[1, 2, 3][1] * 2 - 1", "3"),
            (r#""Card UID Ä".lowerAscii()"#, "card uid Ä"),
            (r#"component.name.lowerAscii() == component.name"#, "true"),
            ("component.outbound[0].target", "db"),
            (
                "component.inbound[0].source.internet_facing || false",
                "true",
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(run(source), Ok(expected.to_owned()), "{source}");
        }
    }

    #[test]
    fn chains_of_one_operator_apply_left_to_right() {
        let cases = [
            ("10 - 2 - 3", "5"),
            ("100 / 5 / 2", "10"),
            ("2 * 3 * 4 % 5", "4"),
            ("1 + 2 - 3 + 4", "4"),
            ("true == true == true", "true"),
            ("1 == 1 == false", "false"),
            ("[1] + [2] + [3]", "1, 2, 3"),
            (r#""a" + "b" + component.name"#, "abweb"),
        ];
        for (source, expected) in cases {
            assert_eq!(run(source), Ok(expected.to_owned()), "{source}");
        }
        // Errors surface as the nested calls would raise them.
        assert_eq!(
            run("1 < 2 < 3"),
            Err("cannot compare a bool with a int".to_owned())
        );
        assert!(run("1 + 1 / 0 + 1").is_err());
        let sum = vec!["1"; 999].join(" + ");
        assert_eq!(run(&sum), Ok("999".to_owned()));
    }

    #[test]
    fn errors_are_reported_not_hidden() {
        assert!(run("component.outbound[5]").is_err());
        assert_eq!(
            run("component.bogus"),
            Err("unknown attribute `bogus`".to_owned())
        );
        assert_eq!(
            run("matches(component.name, 'x')"),
            Err("function `matches` is not supported".to_owned())
        );
        assert!(run("1 / 0").is_err());
        assert!(run(r#"component.name < 3"#).is_err());
        // `false && error` is false, as in CEL.
        assert_eq!(run("false && (1 / 0 == 1)"), Ok("false".to_owned()));
        assert_eq!(run("(1 / 0 == 1) || true"), Ok("true".to_owned()));
    }

    #[test]
    fn exists_and_all_are_decided_by_any_item_over_an_error() {
        // The item that decides wins, before or after an item that fails; with none, the error.
        assert_eq!(run("[0, 1].exists(x, 1 / x == 1)"), Ok("true".to_owned()));
        assert_eq!(run("[1, 0].exists(x, 1 / x == 1)"), Ok("true".to_owned()));
        assert_eq!(run("[0, 1].all(x, 1 / x == 2)"), Ok("false".to_owned()));
        assert!(run("[0, 2].exists(x, 1 / x == 1)").is_err());
        assert!(run("[0, 1].all(x, 1 / x == 1)").is_err());
        assert!(run("[1, 2].exists(x, x)").is_err());
        assert_eq!(run("[1, 2].exists(x, x == 2)"), Ok("true".to_owned()));
        assert_eq!(run("[1, 2].all(x, x > 0)"), Ok("true".to_owned()));
        assert_eq!(run("[].exists(x, x == 2)"), Ok("false".to_owned()));
        assert_eq!(run("[].all(x, x == 2)"), Ok("true".to_owned()));
    }

    #[test]
    fn a_limit_crossed_inside_exists_ends_the_evaluation() {
        // An error waits for the items after it, but not one that says a limit was crossed: the
        // first item nests three comprehensions deep, over the limit of two, and the second
        // would decide the `exists`.
        let budget = limited(|l| l.max_nesting = 2);
        let source = "[0, 1].exists(x, x == 0 ? [1].exists(a, [1].exists(b, b == 1)) : true)";
        let result = run_within(source, &budget, 1);
        assert!(
            result
                .as_ref()
                .is_err_and(|e| e.contains("max-cel-nesting")),
            "{result:?}"
        );
        // Within the limit, the same expression is true.
        assert_eq!(
            run_within(source, &limited(|l| l.max_nesting = 3), 1),
            Ok("true".to_owned())
        );
    }

    /// `depth` nested `all` over ten items each.
    fn nested(depth: usize) -> String {
        let vars: Vec<String> = (0..depth).map(|i| format!("v{i}")).collect();
        let mut source = format!("{} >= 0", vars.join(" + "));
        for var in vars.iter().rev() {
            source = format!("[0,1,2,3,4,5,6,7,8,9].all({var}, {source})");
        }
        source
    }

    #[test]
    fn nesting_is_bounded() {
        // Seven nested loops over ten items are ten million innermost evaluations: refused at
        // the seventh level, after six iterations, not run until a budget runs out.
        let budget = Budget::default();
        let result = run_within(&nested(7), &budget, 1);
        assert_eq!(
            result,
            Err("comprehensions are nested 7 deep, over the limit of 6 \
                 (raise it with --max-cel-nesting)"
                .to_owned())
        );
        assert_eq!(budget.iterations(), 6);
        assert_eq!(run(&nested(3)), Ok("true".to_owned()));
    }

    /// Compiles `source` with the definitions `lets` (`name` or `name(a)`, body) and evaluates it
    /// on one evaluator after `before` (another expression, run first on the same evaluator).
    fn run_with_lets(
        before: Option<(&str, &[(&str, &str)])>,
        source: &str,
        lets: &[(&str, &str)],
        budget: &Budget,
    ) -> std::result::Result<String, String> {
        let definitions = |lets: &[(&str, &str)]| -> Vec<definitions::Definition> {
            lets.iter()
                .map(|(head, body)| {
                    let (name, params) = definitions::parse_head(head, &[]).expect("a head");
                    definitions::Definition {
                        name,
                        params,
                        body: cel::Program::compile(body)
                            .expect("a body")
                            .expression()
                            .clone(),
                        ty: crate::cel::types::Ty::Dyn,
                    }
                })
                .collect()
        };
        let loaded = loaded();
        let world = World::new(&loaded.model);
        let compiled = |source: &str, lets: &[(&str, &str)]| {
            let program = cel::Program::compile(source).map_err(|e| e.to_string())?;
            compile(program.expression(), &["component"], &definitions(lets)).map_err(|e| e.message)
        };
        let first = before
            .map(|(source, lets)| compiled(source, lets))
            .transpose()?;
        let expression = compiled(source, lets)?;
        let mut evaluator = Evaluator::new(&world, budget, Value::Obj(ObjKind::Component, 1));
        if let Some(first) = &first {
            evaluator.run(first)?;
        }
        evaluator.run(&expression).map(|v| display(&world, &v))
    }

    /// A definition without parameters used inside a loop over the list it builds is evaluated
    /// once, not once per item: written in at each use, this loop over 300 items crossed the
    /// limit of 5,000 steps.
    #[test]
    fn a_definition_without_parameters_is_evaluated_once_per_evaluation() {
        let items = (0..300)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let lets = [("items", format!("[{items}].map(x, x)"))];
        let lets: Vec<(&str, &str)> = lets.iter().map(|(h, b)| (*h, b.as_str())).collect();
        let budget = limited(|l| l.max_steps = 5_000);
        let source = "items.all(i, size(items) == 300)";
        assert_eq!(
            run_with_lets(None, source, &lets, &budget),
            Ok("true".to_owned())
        );
        // With a parameter, the body depends on the argument: each use is its own.
        let lets = [("twice(x)", "x + x")];
        let source = "[1, 2, 3].map(i, twice(i))";
        assert_eq!(
            run_with_lets(None, source, &lets, &Budget::default()),
            Ok("2, 4, 6".to_owned())
        );
    }

    /// What one expression's definitions computed is not what the next expression's are.
    #[test]
    fn definitions_are_not_kept_from_one_expression_to_the_next() {
        let first = ("size(names) > 0", &[("names", r#"["a", "b"]"#)][..]);
        let lets = [("names", "component.traits.filter(t, t == \"web-ui\")")];
        assert_eq!(
            run_with_lets(Some(first), "names", &lets, &Budget::default()),
            run_with_lets(None, "names", &lets, &Budget::default())
        );
        assert_eq!(
            run_with_lets(Some(first), "names", &lets, &Budget::default()),
            Ok("web-ui".to_owned())
        );
    }

    #[test]
    fn steps_of_one_evaluation_are_bounded() {
        let budget = limited(|l| l.max_steps = 1_000);
        let result = run_within(&nested(3), &budget, 1);
        assert_eq!(
            result,
            Err("the expression took 1001 steps, over the limit of 1000 \
                 (raise it with --max-cel-steps)"
                .to_owned())
        );
    }

    #[test]
    fn iterations_of_a_whole_run_are_bounded() {
        // Each evaluation is 1,110 iterations, well within its own step budget; the run's
        // budget stops the tenth, and every one after it at once.
        let budget = limited(|l| l.max_iterations = 10_000);
        assert_eq!(run_within(&nested(3), &budget, 9), Ok("true".to_owned()));
        assert_eq!(budget.iterations(), 9 * 1_110);
        let result = run_within(&nested(3), &budget, 1);
        assert_eq!(
            result,
            Err(
                "the rules' comprehensions ran 11100 iterations in this run, over the limit of \
                 10000 (raise it with --max-cel-iterations)"
                    .to_owned()
            )
        );
        assert!(budget.exhausted());
        assert!(run_within("1 + 1 == 2", &budget, 1).is_err());
    }

    #[test]
    fn iterations_reach_the_run_in_batches_and_all_of_them_in_the_end() {
        // Three evaluations of 1,110 iterations each stay with the evaluator (under a batch),
        // so the shared count is not touched per evaluation; dropping it adds them all.
        let loaded = loaded();
        let world = World::new(&loaded.model);
        let budget = limited(|_| {});
        let source = nested(3);
        let program = cel::Program::compile(&source).expect("compiles");
        let expression = compile(program.expression(), &["component"], &[]).expect("compiles");
        let mut evaluator = Evaluator::new(&world, &budget, Value::Obj(ObjKind::Component, 1));
        for _ in 0..3 {
            assert!(matches!(evaluator.run(&expression), Ok(Value::Bool(true))));
        }
        assert_eq!(budget.iterations(), 0);
        drop(evaluator);
        assert_eq!(budget.iterations(), 3 * 1_110);
    }

    #[test]
    fn a_string_doubled_forty_times_is_stopped_at_its_limit() {
        let result = run(&doubled(r#"["ab"]"#, 40));
        assert_eq!(
            result,
            Err(
                "the expression builds a string of 2097152 bytes, over the limit of 1048576 \
                 (raise it with --max-cel-string-bytes)"
                    .to_owned()
            )
        );
        // Under the limit, doubling works.
        assert_eq!(run(&doubled(r#"["ab"]"#, 2)), Ok("abababab".to_owned()));
    }

    #[test]
    fn a_lowercased_copy_counts_against_the_string_limit() {
        let small = limited(|l| l.max_string_bytes = 16);
        let result = run_within(r#""ABCDEFGHIJKLMNOPQRSTUVWXYZ".lowerAscii()"#, &small, 1);
        assert!(
            result.as_ref().is_err_and(|e| e.contains("26 bytes")),
            "{result:?}"
        );
        // Text with nothing to lowercase is not copied, so nothing is charged.
        assert_eq!(
            run_within(r#""abcdefghijklmnopqrstuvwxyz".lowerAscii()"#, &small, 1),
            Ok("abcdefghijklmnopqrstuvwxyz".to_owned())
        );
    }

    #[test]
    fn a_list_doubled_forty_times_is_stopped_at_its_limit() {
        let result = run(&format!("{}.size()", doubled("[[0]]", 40)));
        assert_eq!(
            result,
            Err(
                "the expression builds a list of 1048576 items, over the limit of 1000000 \
                 (raise it with --max-cel-list-items)"
                    .to_owned()
            )
        );
        assert_eq!(
            run(&format!("{}[0].size()", doubled("[[0]]", 10))),
            Ok("1024".to_owned())
        );
    }

    #[test]
    fn what_one_evaluation_builds_is_bounded() {
        // Lists of 500 items, each within the list limit, built 100 times.
        let budget = limited(|l| l.max_alloc_bytes = 1 << 20);
        let source = "[0,1,2,3,4,5,6,7,8,9].all(a, [0,1,2,3,4,5,6,7,8,9].all(b, \
                      size(component.name.size() > 0 ? [1,2,3,4,5].map(c, c) + \
                      [[1]].map(l, l + l + l + l + l + l + l + l + l + l)[0] : []) >= 0))";
        assert_eq!(run(source), Ok("true".to_owned()));
        let result = run_within(&doubled("[[0,1,2,3,4,5,6,7,8,9]]", 15), &budget, 1);
        assert!(
            result
                .as_ref()
                .is_err_and(|e| e.starts_with("the expression allocates ")
                    && e.ends_with(
                        "bytes in one evaluation, over the limit of 1048576 \
                                (raise it with --max-cel-alloc-bytes)"
                    )),
            "{result:?}"
        );
    }

    #[test]
    fn display_stops_at_its_limit() {
        let loaded = loaded();
        let world = World::new(&loaded.model);
        let names: Vec<String> = (0..1_000).map(|i| format!("name-{i}")).collect();
        let value = Value::List(List::Strings(&names));
        let mut out = String::from("x");
        display_into(&world, &value, &mut out, 100);
        assert_eq!(out.len(), 100);
        assert!(out.starts_with("xname-0, name-1, "), "{out}");
        let mut out = String::new();
        display_into(&world, &Value::Str("çççç"), &mut out, 3);
        assert_eq!(out, "ç");
    }

    #[test]
    fn a_long_list_names_its_first_items_and_counts_the_rest() {
        let loaded = loaded();
        let world = World::new(&loaded.model);
        // A repeat of the item before it is neither named nor counted.
        let names: Vec<String> = (0..50)
            .flat_map(|i| [format!("n{i}"), format!("n{i}")])
            .collect();
        let out = display(&world, &Value::List(List::Strings(&names)));
        let first: Vec<String> = (0..MAX_LISTED).map(|i| format!("n{i}")).collect();
        assert_eq!(
            out,
            format!("{}, and {} more", first.join(", "), 50 - MAX_LISTED)
        );
        let names: Vec<String> = (0..LISTED_WHOLE).map(|i| format!("n{i}")).collect();
        let out = display(&world, &Value::List(List::Strings(&names)));
        assert_eq!(out, names.join(", "));
    }

    /// A zone of `n` components, every fourth a web UI, with a runtime around the first half,
    /// the last component in no zone.
    fn zone_model(n: usize) -> threatforge_model::Loaded {
        let mut text = String::from("system: { name: Z }\ncomponents:\n");
        for i in 0..n {
            let technology = if i % 4 == 0 {
                "web-application"
            } else {
                "worker"
            };
            text.push_str(&format!("  c{i}: {{ technology: {technology} }}\n"));
        }
        text.push_str("  alone: { technology: worker }\n");
        let listed = |range: std::ops::Range<usize>| {
            range
                .map(|i| format!("c{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        text.push_str(&format!(
            "boundaries:\n  zone: {{ kind: network, contains: [{}] }}\n",
            listed(0..n)
        ));
        text.push_str(&format!(
            "runtimes:\n  host: {{ kind: virtual-machine, runs: [{}] }}\n",
            listed(0..n / 2)
        ));
        load_str(
            "z.yaml",
            &text,
            &std::env::temp_dir(),
            &LoadOptions::default(),
        )
    }

    /// Evaluates `source` on every component of `loaded`, one evaluator each, on one budget;
    /// the results, and the iterations the run counted.
    fn on_every_component(
        loaded: &threatforge_model::Loaded,
        source: &str,
    ) -> (Vec<std::result::Result<String, String>>, u64) {
        let world = World::new(&loaded.model);
        let budget = Budget::default();
        let program = cel::Program::compile(source).expect("parses");
        let expression = compile(program.expression(), &["component"], &[]).expect("compiles");
        let results = (0..loaded.model.components.len())
            .map(|c| {
                let mut evaluator =
                    Evaluator::new(&world, &budget, Value::Obj(ObjKind::Component, c));
                evaluator.run(&expression).map(|v| display(&world, &v))
            })
            .collect();
        (results, budget.iterations())
    }

    /// A filter of the zone's or the runtime's members by the peer alone is worked out once for
    /// the group and shared; its value for each member is what the comprehension gives (here,
    /// the same test made to read the element, which cannot be shared).
    #[test]
    fn a_peer_filter_is_shared_by_the_group_and_means_the_comprehension() {
        let loaded = zone_model(12);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let unshared = r#""web-ui" in p.traits && component.id != """#;
        for peers in ["zone_peers", "runtime_peers"] {
            for (shared, written) in [
                (
                    format!(r#"component.{peers}.filter(p, "web-ui" in p.traits).map(p, p.id)"#),
                    format!("component.{peers}.filter(p, {unshared}).map(p, p.id)"),
                ),
                (
                    format!(r#"component.{peers}.exists(p, "web-ui" in p.traits)"#),
                    format!("component.{peers}.exists(p, {unshared})"),
                ),
                (
                    format!(r#"component.{peers}.all(p, !("web-ui" in p.traits))"#),
                    format!(
                        r#"component.{peers}.all(p, !("web-ui" in p.traits) || component.id == "")"#
                    ),
                ),
                (
                    format!(r#"size(component.{peers}.filter(p, "web-ui" in p.traits))"#),
                    format!("size(component.{peers}.filter(p, {unshared}))"),
                ),
            ] {
                let (got, _) = on_every_component(&loaded, &shared);
                let (expected, _) = on_every_component(&loaded, &written);
                assert_eq!(got, expected, "{shared}");
            }
        }
        // One web UI's peers leave it out: the first's list starts at the second.
        let (filtered, _) = on_every_component(
            &loaded,
            r#"component.zone_peers.filter(p, "web-ui" in p.traits).map(p, p.id)"#,
        );
        assert_eq!(filtered[0], Ok("c4, c8".to_owned()));
        assert_eq!(filtered[1], Ok("c0, c4, c8".to_owned()));
        assert_eq!(filtered[12], Ok(String::new()), "in no zone");
    }

    /// The work of a peer filter is the group's size, once: a zone of n components took n
    /// squared iterations, one pass over the peers per member.
    #[test]
    fn a_peer_filter_takes_iterations_linear_in_the_zone() {
        let source = r#"component.zone_peers.exists(p, "web-ui" in p.traits && p.trust > 5)"#;
        for n in [100, 400] {
            let (results, iterations) = on_every_component(&zone_model(n), source);
            assert!(results.iter().all(|r| r.as_deref() == Ok("false")));
            assert_eq!(iterations, n as u64, "a zone of {n}");
        }
        // Read by the element, the test cannot be shared: every member loops over its peers.
        let (_, iterations) = on_every_component(
            &zone_model(100),
            r#"component.zone_peers.exists(p, p.trust > component.trust + 5)"#,
        );
        assert_eq!(iterations, 100 * 99);
    }

    /// A test that fails on some member is not shared: the comprehension runs as written, so an
    /// item that decides still wins over an error on another, as in CEL.
    #[test]
    fn a_peer_filter_whose_test_fails_runs_as_written() {
        let loaded = zone_model(8);
        let (results, _) = on_every_component(
            &loaded,
            r#"component.zone_peers.exists(p, p.id == "c5" || 1 / (p.trust - p.trust) == 1)"#,
        );
        assert_eq!(results[0], Ok("true".to_owned()));
        assert!(
            results[5].as_ref().is_err_and(|e| e.contains("division")),
            "{:?}",
            results[5]
        );
    }
}
