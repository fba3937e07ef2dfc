//! A fast path from YAML text to the [`Node`] tree, straight from granit-parser's events.
//!
//! serde-saphyr (the slow path, [`parse_slow`]) is granit-parser plus a serde `Deserializer`; for
//! our tree it wraps every node in `Spanned`, which deserializes a location struct through a map
//! visitor, and it captures, fingerprints and hashes every mapping key for duplicate detection.
//! On a 10,000-component model that was 42% of a whole `check`. Here the same parser's events
//! (same version, same options) are turned into the same tree directly.
//!
//! The fast path only ever answers for documents it is sure to read exactly as serde-saphyr does
//! in our configuration (`parse_slow`'s options). Everything else makes [`parse_fast`] return
//! `None`, and the caller falls back to serde-saphyr, which then produces its usual result and
//! errors. So error messages, error positions and limits cannot change: they all come from the
//! slow path. What makes the fast path give up:
//!
//! - any parser error, any tag, a directive, more than one document, a document with no content;
//! - a mapping key that is not a scalar resolving to a string (alias keys, complex keys, `1:`,
//!   `true:`, `null:`), a merge key `<<`, a duplicate key;
//! - a plain scalar that might be a number we do not parse the same way (`0x1F`, `1_000`, `1e3`,
//!   `.inf`, `012`, integers beyond `i64`, ...): only `-?[1-9][0-9]*`, `0` and
//!   `-?[0-9]+.[0-9]+` are read as numbers here, and any other plain scalar that starts like a
//!   number is left to serde-saphyr unless it contains a character no number can hold;
//! - an alias to an anchor that is still open (recursive), or an unknown anchor;
//! - getting anywhere near a budget: the counts below over-estimate serde-saphyr's, so whenever
//!   its budget would be breached, this gives up first, and serde-saphyr reports the breach.
//!
//! Spans: node.rs takes the byte range of serde-saphyr's `Spanned::referenced` location, which is
//! the byte range of the node's first event (scalar, sequence start or mapping start) as
//! granit-parser reports it, or, for every node produced by an alias (the aliased node and all
//! its descendants, keys included), the byte range of the alias token `*name`. Both are
//! reproduced here from the same events.
//!
//! Large documents are read in pieces, in parallel ([`parse_split`]): the top-level entries, and
//! the items of a long top-level collection in chunks. The pieces are put together into the tree
//! the whole parse builds ([`parse_whole`]), or, when that cannot be certain, the document is read
//! whole: the pieces answer only where the whole parse would, and with its tree.
//!
//! Scalar resolution (serde-saphyr's `deserialize_any` with `strict_booleans` and no tag):
//! quoted and block scalars are strings; a plain scalar is null when it is exactly ``, `~`,
//! `null`, `Null` or `NULL`, a boolean when it is `true`/`True`/`TRUE`/`false`/`False`/`FALSE`
//! (YAML 1.2: `yes`, `on` and friends are strings), then an integer, then a float, else a string.

use std::collections::HashSet;

use compact_str::CompactString;
use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};

use super::node::{Node, NodeSpan, Value};
use crate::limits::Limits;

/// The budget serde-saphyr parses with: the model's limits, the library's defaults elsewhere.
/// Both paths take their numbers from here, so they cannot drift apart.
pub(super) fn budget(limits: &Limits) -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = limits.max_depth;
    budget.max_nodes = limits.max_nodes;
    budget.max_aliases = limits.max_aliases;
    budget.max_anchors = limits.max_aliases;
    budget.max_events = limits.max_nodes.saturating_mul(2);
    budget.max_documents = 1;
    budget
}

/// Parses with serde-saphyr: the reference behaviour, and the path for every document the fast
/// path declines. Errors are serde-saphyr's, for `load.rs` to turn into diagnostics.
pub fn parse_slow(text: &str, limits: &Limits) -> Result<Node, serde_saphyr::Error> {
    if let Some(tag) = first_tag(text, limits) {
        return Err(tag);
    }
    let options = serde_saphyr::options! {
        budget: Some(budget(limits)),
        strict_booleans: true,
        reject_unsupported_tags: true,
        with_snippet: false,
        // Every entry reaches the tree, so that a duplicate key is reported with both of its
        // definitions and the rest of the file is still read (`read::drop_duplicate_keys`).
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    serde_saphyr::from_str_with_options::<Node>(text, options)
}

/// The document's first tag, as the error serde-saphyr gives for a tag it does not support.
///
/// Why: the language has no tags (docs/language.md), but `reject_unsupported_tags` lets the core
/// schema's through, and serde-saphyr resolves them: `!!binary` was decoded from base64 (a name
/// could hide an escape sequence or markup), `!!str 3` read as text, `!!int "3"` as a number.
/// Found here, every tag is refused with the same error, at the position serde-saphyr gives its
/// own. A syntax error before any tag is left to serde-saphyr to report. Only the slow path needs
/// this: the fast path gives up on any tag.
fn first_tag(text: &str, limits: &Limits) -> Option<serde_saphyr::Error> {
    let parser = Parser::with_options(StrInput::new(text), parser_options(&budget(limits)));
    for item in parser {
        let (event, span) = item.ok()?;
        let (Event::Scalar(_, _, _, Some(tag))
        | Event::SequenceStart(_, _, Some(tag))
        | Event::MappingStart(_, _, Some(tag))) = event
        else {
            continue;
        };
        return Some(serde_saphyr::Error::UnsupportedTag {
            tag: tag.original(),
            location: location(span.start.line(), span.start.col() + 1),
        });
    }
    None
}

/// A position for a serde-saphyr error. Its constructor is private; its `Deserialize` impl is
/// the public way to build one.
fn location(line: usize, column: usize) -> serde_saphyr::Location {
    use serde::Deserialize as _;
    use serde::de::value::{Error, MapDeserializer};
    let fields = [("line", line as u64), ("column", column as u64)];
    serde_saphyr::Location::deserialize(MapDeserializer::<_, Error>::new(fields.into_iter()))
        .unwrap_or(serde_saphyr::Location::UNKNOWN)
}

/// The parser options serde-saphyr derives from the same budget (`Budget::parser_options` and
/// `Options::parser_options` in serde-saphyr 2.2, not public): the same options mean the same
/// events, and the same documents rejected.
pub(super) fn parser_options(budget: &serde_saphyr::Budget) -> granit_parser::Options {
    let block_nesting_limit = granit_parser::Options::default()
        .block_nesting_limit
        .max(budget.max_depth.saturating_add(1));
    granit_parser::options! {
        simple_key_max_lookahead: budget.simple_key_max_lookahead,
        flow_nesting_limit: budget.flow_nesting_limit,
        block_nesting_limit: block_nesting_limit,
        emit_comments: false,
        strict_indentation: false,
        bom_inside_document_as_content: false,
    }
}

/// serde-saphyr's alias replay limits (`AliasLimits::default()`, which our options keep).
const MAX_TOTAL_REPLAYED_EVENTS: usize = 1_000_000;
/// A model needs no aliases, so a document that expands them into many nodes is left to
/// serde-saphyr, whose limits then apply; this keeps an alias bomb from being built twice (here
/// up to the budget, and again by serde-saphyr) and bounds the fast path's own work.
const MAX_FAST_REPLAYED_EVENTS: usize = 65_536;
/// Above this many aliases, serde-saphyr checks their ratio to anchors (budget defaults).
const ALIAS_ANCHOR_MIN_ALIASES: usize = 100;
const ALIAS_ANCHOR_RATIO: usize = 10;
/// Maps with more entries than this find duplicate keys with a hash set, smaller ones by
/// comparing every pair (cheaper for the two- to ten-key maps a model is made of).
const PAIRWISE_DUPLICATES_UP_TO: usize = 12;
/// Longest text read here as a number (null and booleans are shorter): bounds what a replayed
/// number counts toward the scalar bytes budget, since the node no longer holds its text.
const MAX_NUMBER_TEXT: usize = 32;

/// Builds the node tree from granit-parser's events, or `None` when serde-saphyr should read the
/// document (see the module's notes). Never panics.
pub fn parse_fast(text: &str, limits: &Limits) -> Option<Node> {
    if text.len() >= SPLIT_FROM_BYTES
        && let Some(node) = parse_split(text, limits, CHUNK_BYTES)
    {
        return Some(node);
    }
    parse_whole(text, limits).map(|(node, _)| node)
}

/// Below this size a document is read in one piece: a 1,000-component model is about 250 KB.
const SPLIT_FROM_BYTES: usize = 128 * 1024;
/// About how much of a long section one task reads.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// One range of the text, read as a document of its own.
struct Piece {
    start: usize,
    end: usize,
    /// Whether the piece is a chunk of a top-level entry's value, whose root sits one level
    /// deeper in the whole document than on its own: its depth budget is one smaller.
    nested: bool,
}

/// How the pieces make up the document's root mapping, in order.
enum Part {
    /// A run of top-level entries, read whole.
    Entries(usize),
    /// One top-level entry (`header`, `key:` alone on its line) whose value, a block collection,
    /// is read in `chunks` of its items or entries.
    Chunked {
        header: usize,
        chunks: std::ops::Range<usize>,
    },
}

/// Reads a large document in pieces, in parallel, or returns `None` when it cannot be sure to
/// build the tree [`parse_whole`] builds. `chunk_bytes` is the size from which a top-level
/// entry's value is read in chunks of about that size.
///
/// Why: the parse is a quarter of a large `check` and would otherwise run on one core while the
/// other waits. Where the pieces start, in any document the whole parse accepts:
///
/// - A line that starts at column 0 with a plain key and a colon (`flows:`) starts a top-level
///   entry: block scalars, plain scalars and block collections under a top-level key are
///   indented, and a column-0 line cannot continue them.
/// - Under a top-level `key:` that stands alone on its line, the first line with content sets
///   the value's indentation and kind (`- ` for a sequence, a plain key for a mapping); every
///   later line with exactly that indentation and that marker starts an item or entry of it,
///   for the same reason one level down.
///
/// Where such a line is not what it seems (it continues a quoted scalar or a flow collection
/// that spans lines), the piece before it does not parse, and the whole document is read in one
/// piece. What the pieces cannot see is checked after they are read: each must be a collection
/// of the expected kind, no key may repeat across pieces, anchors and aliases (which may cross
/// pieces) make it give up, and the counts of all pieces together must be within the budget, as
/// the whole parse checks them. The tests hold it to [`parse_whole`]'s tree wherever it answers.
pub fn parse_split(text: &str, limits: &Limits, chunk_bytes: usize) -> Option<Node> {
    use rayon::prelude::*;
    let (pieces, parts) = plan(text, chunk_bytes)?;
    if pieces.len() < 2 {
        return None;
    }
    let nested_limits = Limits {
        max_depth: limits.max_depth.checked_sub(1)?,
        ..limits.clone()
    };
    let read: Vec<Option<(Node, Counts)>> = pieces
        .par_iter()
        .map(|piece| {
            let limits = if piece.nested { &nested_limits } else { limits };
            let (mut node, counts) = parse_whole(text.get(piece.start..piece.end)?, limits)?;
            shift(&mut node, u32::try_from(piece.start).ok()?)?;
            Some((node, counts))
        })
        .collect();
    let mut nodes = Vec::with_capacity(read.len());
    let mut total = Counts::default();
    let last = read.len() - 1;
    for (i, piece) in read.into_iter().enumerate() {
        let (node, counts) = piece?;
        // A block scalar's span would reach to the end of its piece rather than to the next
        // token; only the last piece ends where the document does.
        if counts.aliases > 0
            || counts.anchors_defined > 0
            || (counts.ends_with_block_scalar && i != last)
        {
            return None;
        }
        total.add(&counts);
        nodes.push(Some(node));
    }
    if !total.within(&budget(limits)) {
        return None;
    }
    let mut take = |i: usize| nodes.get_mut(i).and_then(Option::take);
    let mut root_span = None;
    let mut entries = Vec::new();
    for part in parts {
        match part {
            Part::Entries(i) => {
                let node = take(i)?;
                root_span.get_or_insert(node.span);
                let Value::Map(more) = node.value else {
                    return None;
                };
                // The root mapping must sit at column 0 in every piece, as it does in the whole
                // document (read alone, a first piece of `#:` then `  a:` is an indented root).
                let (first_key, _) = more.first()?;
                if !at_line_start(text, first_key.span.start) {
                    return None;
                }
                entries.extend(more);
            }
            Part::Chunked { header, chunks } => {
                let node = take(header)?;
                root_span.get_or_insert(node.span);
                let Value::Map(mut header) = node.value else {
                    return None;
                };
                let (key, value) = header.pop()?;
                if !header.is_empty() || value.value != Value::Null {
                    return None;
                }
                let mut value: Option<Node> = None;
                for i in chunks {
                    let chunk = take(i)?;
                    match (&mut value, chunk.value) {
                        (None, first) => {
                            value = Some(Node {
                                span: chunk.span,
                                value: first,
                            })
                        }
                        (
                            Some(Node {
                                value: Value::Seq(all),
                                ..
                            }),
                            Value::Seq(more),
                        ) => all.extend(more),
                        (
                            Some(Node {
                                value: Value::Map(all),
                                ..
                            }),
                            Value::Map(more),
                        ) => all.extend(more),
                        _ => return None,
                    }
                }
                let value = value?;
                match &value.value {
                    Value::Seq(_) => {}
                    Value::Map(all) if !has_duplicate_keys(all) => {}
                    _ => return None,
                }
                entries.push((key, value));
            }
        }
    }
    if has_duplicate_keys(&entries) {
        return None;
    }
    Some(Node {
        span: root_span?,
        value: Value::Map(entries),
    })
}

/// Cuts the document into pieces (see [`parse_split`]), or `None` for a document with lines
/// that could change how many documents there are (`...`, `---` after the start, `%`).
fn plan(text: &str, chunk_bytes: usize) -> Option<(Vec<Piece>, Vec<Part>)> {
    let mut sections = vec![0];
    let mut at = 0;
    let mut content = false;
    for line in text.split_inclusive('\n') {
        let bytes = line.as_bytes();
        if bytes.starts_with(b"...")
            || bytes.starts_with(b"%")
            || (bytes.starts_with(b"---") && content)
        {
            return None;
        }
        if plain_key_len(bytes).is_some() {
            if content {
                sections.push(at);
            }
            content = true;
        } else if !is_blank_or_comment(line) && !bytes.starts_with(b"---") {
            content = true;
        }
        at += line.len();
    }
    let ends = sections.iter().skip(1).copied().chain([text.len()]);
    let mut pieces = Vec::new();
    let mut parts = Vec::new();
    // Small top-level entries are read together, a piece of at least `chunk_bytes` at a time, so
    // that a document of many one-line entries is not read one parser per line.
    let mut pending: Option<usize> = None;
    fn flush(pieces: &mut Vec<Piece>, parts: &mut Vec<Part>, from: Option<usize>, to: usize) {
        if let Some(start) = from {
            parts.push(Part::Entries(pieces.len()));
            pieces.push(Piece {
                start,
                end: to,
                nested: false,
            });
        }
    }
    for (start, end) in sections.iter().copied().zip(ends) {
        let chunked = if end - start >= chunk_bytes.saturating_mul(2) {
            chunk_starts(text, start, end, chunk_bytes)
        } else {
            None
        };
        match chunked {
            Some((header_end, starts)) => {
                flush(&mut pieces, &mut parts, pending.take(), start);
                pieces.push(Piece {
                    start,
                    end: header_end,
                    nested: false,
                });
                let first = pieces.len();
                let ends = starts.iter().skip(1).copied().chain([end]);
                for (start, end) in starts.iter().copied().zip(ends) {
                    pieces.push(Piece {
                        start,
                        end,
                        nested: true,
                    });
                }
                parts.push(Part::Chunked {
                    header: first - 1,
                    chunks: first..pieces.len(),
                });
            }
            None => {
                let from = *pending.get_or_insert(start);
                if end - from >= chunk_bytes {
                    flush(&mut pieces, &mut parts, pending.take(), end);
                }
            }
        }
    }
    flush(&mut pieces, &mut parts, pending.take(), text.len());
    Some((pieces, parts))
}

/// For a top-level entry in `start..end` whose key stands alone on its first line: where its
/// header line ends, and where the chunks of its value start (at least two), each at an item or
/// entry of the value and about `chunk_bytes` after the last.
fn chunk_starts(
    text: &str,
    start: usize,
    end: usize,
    chunk_bytes: usize,
) -> Option<(usize, Vec<usize>)> {
    let section = text.get(start..end)?;
    let header = section.split_inclusive('\n').next()?;
    let key_len = plain_key_len(header.as_bytes())?;
    if !header
        .get(key_len + 1..)?
        .trim_end_matches(['\r', '\n'])
        .trim_matches(' ')
        .is_empty()
    {
        return None;
    }
    let header_end = start + header.len();
    let body = text.get(header_end..end)?;
    // The value's indentation and kind, from its first line with content.
    let (indent, is_seq) = body.split_inclusive('\n').find_map(|line| {
        if is_blank_or_comment(line) {
            return None;
        }
        let content = line.trim_start_matches(' ');
        Some((line.len() - content.len(), is_item(content.as_bytes())))
    })?;
    let starts_entry = |line: &str| {
        let content = line.get(indent..).unwrap_or("");
        line.len() - line.trim_start_matches(' ').len() == indent
            && if is_seq {
                is_item(content.as_bytes())
            } else {
                plain_key_len(content.as_bytes()).is_some()
            }
    };
    // A sequence at indent 0 (`flows:` then `- a`) starts, in the whole document, where its
    // first item's content does; read alone, it would start at the `-`.
    if indent == 0 {
        return None;
    }
    let mut starts = vec![header_end];
    let mut at = header_end;
    // The first chunk takes the comments before the first entry: a chunk needs content.
    let mut entry_seen = false;
    for line in body.split_inclusive('\n') {
        if starts_entry(line) {
            if entry_seen && at - starts.last().copied().unwrap_or(at) >= chunk_bytes {
                starts.push(at);
            }
            entry_seen = true;
        }
        at += line.len();
    }
    (starts.len() >= 2).then_some((header_end, starts))
}

/// A line with nothing but spaces, or a comment.
fn is_blank_or_comment(line: &str) -> bool {
    let content = line.trim_start_matches(' ');
    content.trim().is_empty() || content.starts_with('#')
}

/// Whether byte `at` starts a line (a byte-order mark before it counts as nothing).
fn at_line_start(text: &str, at: u32) -> bool {
    let at = at as usize;
    at == 0
        || text.as_bytes().get(at.wrapping_sub(1)) == Some(&b'\n')
        || text.get(..at) == Some("\u{feff}")
}

/// `- ` (or a lone `-`) opening a block sequence item.
fn is_item(line: &[u8]) -> bool {
    line.first() == Some(&b'-') && matches!(line.get(1), None | Some(b' ' | b'\r' | b'\n'))
}

/// The length of the key when `line` starts with a plain key (letters, digits, `_` and `-`,
/// starting with a letter or `_`) and a colon followed by a space, a tab, a line break or the end.
fn plain_key_len(line: &[u8]) -> Option<usize> {
    let first = *line.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let key_len = line
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .count();
    (line.get(key_len) == Some(&b':')
        && matches!(
            line.get(key_len + 1),
            None | Some(b' ' | b'\t' | b'\r' | b'\n')
        ))
    .then_some(key_len)
}

/// Moves every span of a section's tree by the section's offset in the whole text.
fn shift(node: &mut Node, by: u32) -> Option<()> {
    node.span.start = node.span.start.checked_add(by)?;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().try_for_each(|n| shift(n, by)),
        Value::Map(entries) => entries.iter_mut().try_for_each(|(k, v)| {
            shift(k, by)?;
            shift(v, by)
        }),
        _ => Some(()),
    }
}

/// Reads the whole document in one piece: the tree, and the counts [`parse_split`] adds up.
pub fn parse_whole(text: &str, limits: &Limits) -> Option<(Node, Counts)> {
    let budget = budget(limits);
    let parser = Parser::with_options(StrInput::new(text), parser_options(&budget));
    let mut builder = Builder {
        budget,
        max_alias_bytes: limits.max_alias_bytes,
        stack: Vec::new(),
        root: None,
        anchors: Vec::new(),
        counts: Counts::default(),
        open_anchors: 0,
        documents: 0,
    };
    for item in parser {
        let (event, span) = item.ok()?;
        builder.event(event, &span)?;
    }
    builder.finish()
}

/// Over-estimates of serde-saphyr's budget counters (see [`Counts::within`]).
#[derive(Clone, Debug, Default)]
pub struct Counts {
    events: usize,
    nodes: usize,
    scalar_bytes: usize,
    aliases: usize,
    anchors_defined: usize,
    replayed_events: usize,
    /// What the aliases added to the tree, as `aliases.rs` weighs it.
    replayed_bytes: usize,
    recorded_events: usize,
    recorded_bytes: usize,
    /// Whether the last node read was a block scalar (`|`, `>`): its span reaches to where the
    /// next token starts, so it depends on the text after it.
    ends_with_block_scalar: bool,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.events = self.events.saturating_add(other.events);
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.scalar_bytes = self.scalar_bytes.saturating_add(other.scalar_bytes);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.anchors_defined = self.anchors_defined.saturating_add(other.anchors_defined);
        self.replayed_events = self.replayed_events.saturating_add(other.replayed_events);
        self.replayed_bytes = self.replayed_bytes.saturating_add(other.replayed_bytes);
        self.recorded_events = self.recorded_events.saturating_add(other.recorded_events);
        self.recorded_bytes = self.recorded_bytes.saturating_add(other.recorded_bytes);
    }

    /// Whether every count is still at or below serde-saphyr's limit, with room to spare: these
    /// counts are at least serde-saphyr's, so a document inside them is inside its budget.
    fn within(&self, b: &serde_saphyr::Budget) -> bool {
        let ratio_breached = self.aliases >= ALIAS_ANCHOR_MIN_ALIASES
            && (self.anchors_defined == 0
                || self.aliases > ALIAS_ANCHOR_RATIO.saturating_mul(self.anchors_defined));
        self.events < b.max_events
            && self.nodes < b.max_nodes
            && self.scalar_bytes < b.max_total_scalar_bytes
            && self.aliases < b.max_aliases
            && self.anchors_defined < b.max_anchors
            && self.replayed_events < MAX_TOTAL_REPLAYED_EVENTS
            && self.recorded_events < b.max_recorded_anchor_events
            && self.recorded_bytes < b.max_recorded_anchor_bytes
            && !ratio_breached
    }
}

enum Frame {
    Seq {
        span: NodeSpan,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        span: NodeSpan,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

struct Builder {
    budget: serde_saphyr::Budget,
    /// `Limits::max_alias_bytes`, which `aliases.rs` reports on the slow path.
    max_alias_bytes: usize,
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Anchored nodes by granit-parser's anchor id (a fresh id per definition; an alias carries
    /// the id of the latest definition of its name).
    anchors: Vec<Option<Node>>,
    counts: Counts,
    /// Anchored collections currently open: serde-saphyr records every event into each of them.
    open_anchors: usize,
    documents: usize,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: &Span) -> Option<()> {
        self.counts.events += 1;
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_, version) => {
                // A `%YAML` directive is legal but rare; not worth being sure about.
                if version.is_some() {
                    return None;
                }
                self.documents += 1;
                if self.documents > 1 {
                    return None;
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                if tag.is_some() {
                    return None;
                }
                self.counts.nodes += 1;
                self.counts.scalar_bytes = self.counts.scalar_bytes.saturating_add(value.len());
                self.record(1, value.len(), anchor != 0);
                self.counts.ends_with_block_scalar =
                    matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let at = node_span(span)?;
                let value = if self.expecting_key() {
                    // Keys must be strings (see the module's notes); `<<` is a merge key in
                    // serde-saphyr when plain, and not worth telling apart when quoted.
                    match resolve(&value, style)? {
                        Value::Str(s) if s != "<<" => Value::Str(s),
                        _ => return None,
                    }
                } else {
                    resolve(&value, style)?
                };
                let node = Node { span: at, value };
                self.define(anchor, &node)?;
                self.push(node)?;
            }
            Event::SequenceStart(_, anchor, tag) => self.open(span, anchor, tag.is_some(), true)?,
            Event::MappingStart(_, anchor, tag) => self.open(span, anchor, tag.is_some(), false)?,
            Event::SequenceEnd | Event::MappingEnd => {
                self.record(1, 0, false);
                let (node, anchor) = match self.stack.pop()? {
                    Frame::Seq {
                        span,
                        anchor,
                        items,
                    } => (
                        Node {
                            span,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Frame::Map {
                        span,
                        anchor,
                        entries,
                        key,
                    } => {
                        if key.is_some() || has_duplicate_keys(&entries) {
                            return None;
                        }
                        (
                            Node {
                                span,
                                value: Value::Map(entries),
                            },
                            anchor,
                        )
                    }
                };
                if anchor != 0 {
                    self.open_anchors = self.open_anchors.checked_sub(1)?;
                }
                self.define(anchor, &node)?;
                self.push(node)?;
            }
            Event::Alias(anchor) => {
                self.counts.ends_with_block_scalar = false;
                if self.expecting_key() {
                    return None;
                }
                self.counts.aliases += 1;
                // An anchor still open (a recursive alias) is not in the table yet: give up.
                let replay = measure(self.anchors.get(anchor)?.as_ref()?);
                if self.counts.replayed_events.saturating_add(replay.events)
                    > MAX_FAST_REPLAYED_EVENTS
                {
                    return None;
                }
                self.counts.events = self.counts.events.saturating_add(replay.events);
                self.counts.nodes = self.counts.nodes.saturating_add(replay.nodes);
                self.counts.scalar_bytes =
                    self.counts.scalar_bytes.saturating_add(replay.scalar_bytes);
                self.counts.replayed_events =
                    self.counts.replayed_events.saturating_add(replay.events);
                self.counts.replayed_bytes = self.counts.replayed_bytes.saturating_add(
                    replay
                        .nodes
                        .saturating_mul(std::mem::size_of::<Node>())
                        .saturating_add(replay.scalar_bytes),
                );
                if self.counts.replayed_bytes > self.max_alias_bytes {
                    return None;
                }
                self.record(replay.events, replay.scalar_bytes, false);
                if self.stack.len() + replay.depth >= self.budget.max_depth {
                    return None;
                }
                // serde-saphyr reports every node replayed from an alias at the alias.
                let mut node = self.anchors.get(anchor)?.clone()?;
                respan(&mut node, node_span(span)?);
                self.push(node)?;
            }
            _ => return None,
        }
        self.within_budget().then_some(())
    }

    /// A collection starts: a frame to collect its children.
    fn open(&mut self, span: &Span, anchor: usize, tagged: bool, is_seq: bool) -> Option<()> {
        if tagged || self.expecting_key() {
            return None;
        }
        self.counts.ends_with_block_scalar = false;
        self.counts.nodes += 1;
        self.record(1, 0, anchor != 0);
        if anchor != 0 {
            self.open_anchors += 1;
        }
        let span = node_span(span)?;
        self.stack.push(if is_seq {
            Frame::Seq {
                span,
                anchor,
                items: Vec::new(),
            }
        } else {
            Frame::Map {
                span,
                anchor,
                entries: Vec::new(),
                key: None,
            }
        });
        // serde-saphyr's depth counts open collections, aliases expanded; it fails above the
        // limit, this gives up at it.
        (self.stack.len() < self.budget.max_depth).then_some(())
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn push(&mut self, node: Node) -> Option<()> {
        match self.stack.last_mut() {
            None => {
                if self.root.is_some() {
                    return None;
                }
                self.root = Some(node);
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
        Some(())
    }

    /// Keeps an anchored node for its aliases, counting what serde-saphyr counts for it.
    fn define(&mut self, anchor: usize, node: &Node) -> Option<()> {
        if anchor == 0 {
            return Some(());
        }
        self.counts.anchors_defined += 1;
        if self.anchors.len() <= anchor {
            // Ids are handed out one by one from 1, so this grows by one slot per definition.
            self.anchors.resize(anchor.checked_add(1)?, None);
        }
        *self.anchors.get_mut(anchor)? = Some(node.clone());
        Some(())
    }

    /// Counts events that serde-saphyr copies into anchor buffers: each event once per open
    /// anchored collection, plus once for an anchored node's own first event.
    fn record(&mut self, events: usize, bytes: usize, anchored: bool) {
        let copies = self.open_anchors + usize::from(anchored);
        let counts = &mut self.counts;
        counts.recorded_events = counts
            .recorded_events
            .saturating_add(events.saturating_mul(copies));
        counts.recorded_bytes = counts
            .recorded_bytes
            .saturating_add(bytes.saturating_mul(copies));
    }

    fn within_budget(&self) -> bool {
        self.counts.within(&self.budget)
    }

    fn finish(self) -> Option<(Node, Counts)> {
        if !self.stack.is_empty() || self.documents != 1 {
            return None;
        }
        Some((self.root?, self.counts))
    }
}

/// The byte range serde-saphyr reports for an event (its `location_from_span`).
fn node_span(span: &Span) -> Option<NodeSpan> {
    let start = span.start.byte_offset()?;
    let end = span.end.byte_offset()?;
    Some(NodeSpan {
        start: u32::try_from(start).ok()?,
        len: u32::try_from(end.saturating_sub(start)).ok()?,
    })
}

/// A scalar's value, or `None` when it is not certain to match serde-saphyr's reading.
fn resolve(text: &str, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::Str(CompactString::new(text)));
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    // serde-saphyr trims spaces, tabs and line breaks before reading numbers and booleans; a
    // plain scalar should have none at its ends, but if it does, it is not ours.
    if text.trim_matches([' ', '\t', '\r', '\n']).len() != text.len() {
        return None;
    }
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        // No integer, float or non-finite spelling starts with anything else (Rust's `inf` and
        // `nan` parse as non-finite floats, which serde-saphyr keeps as strings when plain).
        return Some(Value::Str(CompactString::new(text)));
    }
    // Every number serde-saphyr reads is made of these: digits, radix prefixes and hex digits,
    // `_`, `.`, signs and exponents, `.inf`/`.nan`. Anything else makes the text a string.
    let numeric_alphabet =
        |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-');
    if !bytes.iter().all(numeric_alphabet) {
        return Some(Value::Str(CompactString::new(text)));
    }
    // A word that starts with a digit other than 0 (so no radix prefix) and holds a letter no
    // decimal integer or float has (`e` is an exponent's): `2fa`, `3des`, `5g`. Neither of
    // serde-saphyr's number parses accepts it, so it stays a string; declining it sent the whole
    // control catalogue (for its alias `2fa`) to the slow parse on every run.
    if matches!(first, b'1'..=b'9')
        && bytes
            .iter()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E'))
    {
        return Some(Value::Str(CompactString::new(text)));
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    // Versions and addresses (`1.2.3`, `10.0.0.1`): digits with two dots or more are neither an
    // integer nor a float to either parser.
    if first.is_ascii_digit()
        && bytes.iter().all(|&b| b.is_ascii_digit() || b == b'.')
        && bytes.iter().filter(|&&b| b == b'.').count() >= 2
    {
        return Some(Value::Str(CompactString::new(text)));
    }
    // An integer without a redundant leading zero (serde-saphyr reads `012` and `-012` as
    // floats) and small enough for i64 (larger positive ones become floats in node.rs).
    if all_digits(digits) && digits.len() <= 18 && (digits == b"0" || digits[0] != b'0') {
        if negative && digits == b"0" {
            return None;
        }
        return text.parse::<i64>().ok().map(Value::Int);
    }
    // A decimal fraction: serde-saphyr's integer parse rejects it, and its float parse is
    // Rust's `f64::from_str`, which we call the same way.
    if text.len() <= MAX_NUMBER_TEXT
        && let Some(dot) = digits.iter().position(|&b| b == b'.')
        && all_digits(&digits[..dot])
        && all_digits(&digits[dot + 1..])
    {
        return text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Value::Float);
    }
    None
}

/// What serde-saphyr counts when it replays a subtree for an alias.
#[derive(Default)]
struct Replay {
    events: usize,
    nodes: usize,
    scalar_bytes: usize,
    /// Collections nested in the subtree, itself included.
    depth: usize,
}

fn measure(node: &Node) -> Replay {
    let mut replay = Replay::default();
    measure_into(node, 0, &mut replay);
    replay
}

fn measure_into(node: &Node, depth: usize, replay: &mut Replay) {
    replay.nodes = replay.nodes.saturating_add(1);
    match &node.value {
        Value::Seq(items) => {
            replay.events = replay.events.saturating_add(2);
            replay.depth = replay.depth.max(depth + 1);
            items
                .iter()
                .for_each(|n| measure_into(n, depth + 1, replay));
        }
        Value::Map(entries) => {
            replay.events = replay.events.saturating_add(2);
            replay.depth = replay.depth.max(depth + 1);
            for (k, v) in entries {
                measure_into(k, depth + 1, replay);
                measure_into(v, depth + 1, replay);
            }
        }
        other => {
            replay.events = replay.events.saturating_add(1);
            // Nulls, booleans and numbers were read from at most `MAX_NUMBER_TEXT` bytes.
            let bytes = match other {
                Value::Str(s) => s.len(),
                _ => MAX_NUMBER_TEXT,
            };
            replay.scalar_bytes = replay.scalar_bytes.saturating_add(bytes);
        }
    }
}

fn respan(node: &mut Node, span: NodeSpan) {
    node.span = span;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| respan(n, span)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            respan(k, span);
            respan(v, span);
        }),
        _ => {}
    }
}

fn has_duplicate_keys(entries: &[(Node, Node)]) -> bool {
    // Keys are strings here (non-string keys made the fast path give up), and serde-saphyr's
    // duplicate check compares string keys by their text.
    fn key(entry: &(Node, Node)) -> Option<&str> {
        entry.0.as_str()
    }
    if entries.len() <= PAIRWISE_DUPLICATES_UP_TO {
        return entries
            .iter()
            .enumerate()
            .any(|(i, a)| entries[i + 1..].iter().any(|b| key(a) == key(b)));
    }
    let mut seen = HashSet::with_capacity(entries.len());
    !entries.iter().all(|e| seen.insert(key(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_is_refused_as_serde_saphyr_refuses_an_unknown_one() {
        let limits = Limits::default();
        let refused = |text: &str| match parse_slow(text, &limits) {
            Ok(node) => panic!("`{text}` read as {node:?}"),
            Err(error) => error.to_string(),
        };
        // The node after the tag, as serde-saphyr places its own error (`!foo` is its own).
        let expected = |tag: &str| {
            let column = "a: ".len() + tag.len() + 2;
            format!("unsupported tag `{tag}` at line 1, column {column}")
        };
        assert_eq!(refused("a: !foo x\n"), expected("!foo"));
        for (tag, value) in [
            ("!!binary", "aGVsbG8="),
            ("!!str", "x"),
            ("!!int", "\"3\""),
            ("!!timestamp", "2020-01-01"),
            ("!!set", "{a, b}"),
            ("!!omap", "[a: 1]"),
            ("!!map", "{}"),
            ("!!seq", "[]"),
            ("!<tag:yaml.org,2002:str>", "x"),
            ("!", "x"),
        ] {
            assert_eq!(refused(&format!("a: {tag} {value}\n")), expected(tag));
        }
        // A syntax error before any tag is serde-saphyr's to report.
        assert!(!refused("a: b: c\nd: !!str x\n").contains("tag"));
    }

    #[test]
    fn small_top_level_entries_are_read_together() {
        let text: String = (0..20_000).map(|i| format!("k{i}: v{i}\n")).collect();
        let Some((pieces, _)) = plan(&text, CHUNK_BYTES) else {
            panic!("a plain document is planned");
        };
        // About 240 KB in pieces of at least 64 KB: a handful, not one per line.
        assert!((2..=5).contains(&pieces.len()), "{} pieces", pieces.len());
        assert!(
            pieces
                .iter()
                .take(pieces.len() - 1)
                .all(|p| p.end - p.start >= CHUNK_BYTES)
        );
        let limits = Limits::default();
        let whole = parse_whole(&text, &limits).map(|(node, _)| node);
        assert!(whole.is_some());
        assert_eq!(parse_split(&text, &limits, CHUNK_BYTES), whole);
    }

    #[test]
    fn a_long_collection_is_read_in_chunks_at_its_items() {
        let items: String = (0..5_000)
            .map(|i| format!("  - a{i} -> b{i}: {{ protocol: https }}\n"))
            .collect();
        let text = format!("system: {{ name: s }}\nflows:\n{items}runtimes: {{}}\n");
        let Some((pieces, parts)) = plan(&text, CHUNK_BYTES) else {
            panic!("a plain document is planned");
        };
        assert!(
            parts
                .iter()
                .any(|p| matches!(p, Part::Chunked { chunks, .. } if chunks.len() >= 2)),
            "{} pieces",
            pieces.len()
        );
        for piece in pieces.iter().filter(|p| p.nested) {
            assert!(
                text[piece.start..].starts_with("  - "),
                "{}",
                &text[piece.start..]
            );
        }
        let limits = Limits::default();
        let whole = parse_whole(&text, &limits).map(|(node, _)| node);
        assert!(whole.is_some());
        assert_eq!(parse_split(&text, &limits, CHUNK_BYTES), whole);
    }
}
