//! The one query-driven extractor shared by every language.
//!
//! It parses with a per-thread parser, runs the language's three queries and assembles
//! their captures into [`FileFacts`]. Nothing here names a language: per-language
//! knowledge is in the `.scm` files, the `lang` table and the Rust use-tree flattener.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Parser, QueryCursor, QueryMatch, Range, Tree};

use crate::facts::{
    Call, CfgPath, Definition, DefinitionKind, Evidence, FileFacts, Import, ImportedName, Local, SmolStr, Span,
};
use crate::lang::{ExportRule, Lang};
use crate::macro_calls::MacroArguments;
use crate::pieces::{DraftDefinition, Group, Origin, Piece, PieceKey, Pieces, Placed, top_level_groups};
use crate::queries::{Anchor, CompiledQueries, Section, compiled};
use crate::text::{collapse_whitespace, compact_text, node_text, slice_text, split_top_level, strip_quotes};
use crate::{ExtractError, macro_calls, use_tree};

/// Signatures longer than this are cut: they are for display and interface fingerprints.
const MAX_SIGNATURE_CHARS: usize = 300;
/// More syntax errors than this in one file are not worth listing individually.
const MAX_SYNTAX_ERRORS: usize = 100;

thread_local! {
    /// One parser per language per thread: parsers are not `Sync`, and reusing them
    /// avoids re-allocating their internal stacks for every file.
    static PARSERS: RefCell<[Option<Parser>; Lang::ALL.len()]> = const { RefCell::new([const { None }; Lang::ALL.len()]) };
}

/// Parses `source` as `lang` and extracts its facts.
///
/// Syntax errors are not failures: the facts of the parts that parse are returned with
/// the broken ranges in [`FileFacts::syntax_errors`]. Errors are reserved for Thread's
/// own faults (a query that does not compile, a grammar that does not load).
pub fn extract(lang: Lang, source: &[u8]) -> Result<FileFacts, ExtractError> {
    let rewritten = lang.rewrite_for_grammar(source);
    let source = rewritten.as_deref().unwrap_or(source);
    let queries = compiled(lang)?;
    let tree = parse(lang, source, None)?;
    Ok(assemble(lang, queries, &tree, source, None))
}

/// Extracts only `source`'s imports, where `lang` can find its import statements without
/// parsing the whole file (Python): only those statements are parsed, with the same
/// grammar and query as [`extract`], so the imports and their positions are the ones
/// [`extract`] gives for a file that parses. The facts say [`FileFacts::imports_only`];
/// nothing else in them was looked for. Other languages are extracted whole.
///
/// For the commands that read only the file graph, where parsing is most of a cold run.
pub fn extract_imports(lang: Lang, source: &[u8]) -> Result<FileFacts, ExtractError> {
    let Some(import_statements) = lang.spec().import_statements else { return extract(lang, source) };
    let rewritten = lang.rewrite_for_grammar(source);
    let source = rewritten.as_deref().unwrap_or(source);
    let queries = compiled(lang)?;
    let statements = import_statements(source);
    let mut facts = FileFacts::default();
    if !statements.is_empty() {
        let tree = parse_ranges(lang, source, &statements)?;
        facts.imports = assemble(lang, queries, &tree, source, None).imports;
    }
    facts.imports_only = true;
    Ok(facts)
}

/// Parses `source`; with `old`, the previous version's tree already edited to match it,
/// tree-sitter re-parses only what the edit touched.
///
/// A language embedded in another format (a component's `<script>` blocks) is parsed
/// afresh, its blocks only, with positions in the whole file.
pub(crate) fn parse(lang: Lang, source: &[u8], old: Option<&Tree>) -> Result<Tree, ExtractError> {
    match lang.spec().embedded {
        Some(blocks) => {
            // No block: an empty range, since no ranges at all would mean the whole file.
            let ranges = blocks(source);
            let empty = Range {
                start_byte: 0,
                end_byte: 0,
                start_point: tree_sitter::Point::default(),
                end_point: tree_sitter::Point::default(),
            };
            let ranges = if ranges.is_empty() { vec![empty] } else { ranges };
            parse_ranges(lang, source, &ranges)
        }
        None => with_parser(lang, |parser| parser.parse(source, old)),
    }
}

/// Parses only `ranges` of `source`, as a file of their own; the nodes keep their
/// positions in `source`.
fn parse_ranges(lang: Lang, source: &[u8], ranges: &[Range]) -> Result<Tree, ExtractError> {
    with_parser(lang, |parser| {
        parser.set_included_ranges(ranges).ok()?;
        let tree = parser.parse(source, None);
        // An empty list restores the default, the whole document; it cannot be refused.
        let _ = parser.set_included_ranges(&[]);
        tree
    })
}

fn with_parser(lang: Lang, run: impl FnOnce(&mut Parser) -> Option<Tree>) -> Result<Tree, ExtractError> {
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let slot = &mut parsers[lang as usize];
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&lang.grammar())
                .map_err(|error| ExtractError::Grammar { lang: lang.name(), message: error.to_string() })?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut().ok_or(ExtractError::Parse { lang: lang.name() })?;
        run(parser).ok_or(ExtractError::Parse { lang: lang.name() })
    })
}

/// The facts of `tree`, a parse of `source`.
///
/// The queries run per group of top-level nodes (see [`crate::pieces`]). With `reuse`,
/// the pieces of the previous version: groups found there are not queried again, and
/// `reuse` is left holding this version's pieces.
pub(crate) fn assemble(
    lang: Lang,
    queries: &CompiledQueries,
    tree: &Tree,
    source: &[u8],
    mut reuse: Option<&mut Pieces>,
) -> FileFacts {
    let root = tree.root_node();
    let groups = top_level_groups(root, lang.spec().attached_to_next);
    let keys: Vec<Option<PieceKey>> = match reuse {
        Some(_) => {
            let mut hasher = blake3::Hasher::new();
            groups.iter().map(|group| group.key(source, &mut hasher)).collect()
        }
        None => vec![None; groups.len()],
    };
    let known = |index: usize| -> Option<&Arc<Piece>> {
        let previous = reuse.as_deref()?;
        previous.get(keys[index].as_ref()?)
    };
    let missing: Vec<usize> = (0..groups.len()).filter(|&index| known(index).is_none()).collect();
    let mut found = query_groups(lang, queries, source, &groups, &missing).into_iter();

    let mut next = Pieces::default();
    let mut pieces = Vec::with_capacity(groups.len());
    for (index, group) in groups.iter().enumerate() {
        let placed = match (known(index), keys[index]) {
            (Some(previous), Some(key)) => {
                next.insert(key, Arc::clone(previous));
                Placed::Shared(Arc::clone(previous), group.origin())
            }
            (_, key) => {
                let piece = found.next().unwrap_or_default();
                match key.filter(|_| reuse.is_some()) {
                    Some(key) => {
                        let origin = piece.origin;
                        let piece = Arc::new(piece);
                        next.insert(key, Arc::clone(&piece));
                        Placed::Shared(piece, origin)
                    }
                    None => Placed::Owned(piece),
                }
            }
        };
        pieces.push(placed);
    }
    if let Some(reuse) = reuse.as_mut() {
        **reuse = next;
    }
    let mut facts = finish(lang, pieces);
    facts.syntax_errors = collect_syntax_errors(root);
    facts
}

/// Runs the queries over the groups at `indices` (ascending), one piece per group.
fn query_groups<'tree>(
    lang: Lang,
    queries: &CompiledQueries,
    source: &[u8],
    groups: &[Group<'tree>],
    indices: &[usize],
) -> Vec<Piece> {
    let mut collectors: Vec<PieceCollector<'tree>> = indices.iter().map(|_| PieceCollector::default()).collect();
    let mut query_cursor = QueryCursor::new();
    query_cursor.set_max_start_depth(Some(0));
    let macro_arguments = lang.spec().macro_arguments.as_ref();
    for (slot, &index) in indices.iter().enumerate() {
        for node in &groups[index].nodes {
            let collector = &mut collectors[slot];
            let top_level = groups[index].root_kind() == queries.root_kind;
            for_each_match_under(queries, &mut query_cursor, *node, top_level, source, |seen| match seen {
                Seen::Match(query_match) => collector.accept(queries, query_match, source),
                Seen::Node(node) => {
                    if let Some(spec) = macro_arguments.filter(|spec| node.kind() == spec.invocation) {
                        match items_in_macro(lang, queries, spec, node, source) {
                            Some(pieces) => collector.in_macros.extend(pieces),
                            None => macro_calls::collect(spec, node, source, &mut collector.calls),
                        }
                    }
                }
            });
        }
    }
    indices.iter().zip(collectors).map(|(&index, collector)| collector.finish(groups[index].origin(), source)).collect()
}

/// The facts of the items inside an item-level macro call whose arguments parse as items
/// (`cfg_rt! { pub mod runtime; pub use runtime::spawn; }`), one piece per item; `None`
/// for any other macro call.
///
/// Such pass-through macros hide whole module trees. The arguments are parsed as a file
/// of their own, in place, so positions need no mapping, and queried like the file.
/// Macros inside them are handled the same way, recursively.
fn items_in_macro(
    lang: Lang,
    queries: &CompiledQueries,
    spec: &MacroArguments,
    invocation: Node<'_>,
    source: &[u8],
) -> Option<Vec<Piece>> {
    let parent = invocation.parent()?;
    let at_item_level = spec.item_parents.iter().any(|(kind, owner)| {
        parent.kind() == *kind && owner.is_none_or(|owner| parent.parent().is_some_and(|node| node.kind() == owner))
    });
    if !at_item_level {
        return None;
    }
    let mut cursor = invocation.walk();
    let arguments = invocation.children(&mut cursor).find(|child| child.kind() == spec.tokens)?;
    let (open, close) = (arguments.child(0)?, arguments.child(arguments.child_count().checked_sub(1)?)?);
    if open.end_byte() >= close.start_byte() {
        return None;
    }
    let range = Range {
        start_byte: open.end_byte(),
        end_byte: close.start_byte(),
        start_point: open.end_position(),
        end_point: close.start_position(),
    };
    let tree = parse_ranges(lang, source, &[range]).ok()?;
    let root = tree.root_node();
    if root.has_error() || root.named_child_count() == 0 {
        return None;
    }
    let groups = top_level_groups(root, lang.spec().attached_to_next);
    let every: Vec<usize> = (0..groups.len()).collect();
    Some(query_groups(lang, queries, source, &groups, &every))
}

/// The file's facts from its pieces, in source order: what depends on more than one
/// top-level item is decided here.
fn finish(lang: Lang, pieces: Vec<Placed>) -> FileFacts {
    let mut facts = FileFacts::default();
    // Sized once: the lists are kept as long as the file is in the graph.
    let mut all = Piece {
        imports: Vec::with_capacity(pieces.iter().map(|placed| placed.piece().imports.len()).sum()),
        definitions: Vec::with_capacity(pieces.iter().map(|placed| placed.piece().definitions.len()).sum()),
        calls: Vec::with_capacity(pieces.iter().map(|placed| placed.piece().calls.len()).sum()),
        locals: Vec::with_capacity(pieces.iter().map(|placed| placed.piece().locals.len()).sum()),
        ..Piece::default()
    };
    for placed in pieces {
        if let Some(package) = &placed.piece().package {
            facts.package = Some(package.clone());
        }
        placed.append_to(&mut all);
    }
    let Piece { imports, export_names, definitions: drafts, calls, locals, .. } = all;
    facts.imports = imports;
    // `__all__` is only a list of exports when it names something.
    let export_names = (!export_names.is_empty()).then_some(export_names);
    facts.definitions = finish_definitions(lang, drafts, export_names.as_deref());
    assign_import_scopes(&mut facts);
    facts.calls = finish_calls(calls, &facts.definitions);
    facts.locals = finish_locals(locals, &facts.definitions);
    // Facts live as long as their file is in the graph: no spare capacity.
    facts.imports.shrink_to_fit();
    facts.definitions.shrink_to_fit();
    facts.calls.shrink_to_fit();
    facts.locals.shrink_to_fit();
    facts
}

/// What the queries find in one group, gathered match by match.
#[derive(Default)]
struct PieceCollector<'tree> {
    imports: ImportCollector,
    definitions: DefinitionCollector<'tree>,
    calls: Vec<Call>,
    locals: LocalCollector,
    /// What the items inside the group's item-level macro calls hold.
    in_macros: Vec<Piece>,
}

impl<'tree> PieceCollector<'tree> {
    fn accept(&mut self, queries: &CompiledQueries, query_match: &QueryMatch<'_, 'tree>, source: &[u8]) {
        match queries.sections[query_match.pattern_index] {
            Section::Imports => self.imports.accept(queries, query_match, source),
            Section::Definitions => self.definitions.accept(queries, query_match, source),
            Section::Calls => accept_call(queries, query_match, source, &mut self.calls),
            Section::Locals => self.locals.accept(queries, query_match, source),
        }
    }

    fn finish(self, origin: Origin, source: &[u8]) -> Piece {
        let PieceCollector { mut imports, definitions, calls, locals, in_macros } = self;
        let (definitions, export_names) = definitions.finish(source);
        let mut piece = Piece {
            origin,
            package: imports.package.take(),
            imports: imports.finish(),
            export_names,
            definitions,
            calls,
            locals: locals.locals,
        };
        piece.absorb(in_macros);
        piece
    }
}

/// What the walk of a subtree shows its visitor.
enum Seen<'m, 'q, 'tree> {
    /// A match of the language's query.
    Match(&'m QueryMatch<'q, 'tree>),
    /// A node, before the matches that start at it.
    Node(Node<'tree>),
}

/// Calls `visit` with every node in the subtree of `top`, a top-level node, and every
/// match of the language's query there. A pattern marked `(#set! top-level)` counts only
/// where it starts at `top` itself, and only when `top_level` (the file's root is the
/// grammar's, not an `ERROR`).
///
/// The walk is ours, not the query cursor's: tree-sitter's cursor does costly bookkeeping
/// at every node, so it runs only at anchor nodes (kinds some pattern starts at), limited
/// to patterns starting there.
fn for_each_match_under<'tree>(
    queries: &CompiledQueries,
    query_cursor: &mut QueryCursor,
    top: Node<'tree>,
    top_level: bool,
    source: &[u8],
    mut visit: impl FnMut(Seen<'_, '_, 'tree>),
) {
    // A cursor made at `top` cannot leave its subtree: `goto_parent` fails at `top`.
    let mut tree_cursor = top.walk();
    loop {
        let node = tree_cursor.node();
        visit(Seen::Node(node));
        let at_top = top_level && node == top;
        let run = match queries.anchor(node.kind_id()) {
            Anchor::Never => false,
            Anchor::TopLevel => at_top,
            Anchor::Anywhere => true,
        };
        if run {
            let mut matches = query_cursor.matches(&queries.query, node, source);
            while let Some(query_match) = matches.next() {
                if at_top || !queries.is_top_level_only(query_match.pattern_index) {
                    visit(Seen::Match(query_match));
                }
            }
        }
        if tree_cursor.goto_first_child() {
            continue;
        }
        while !tree_cursor.goto_next_sibling() {
            if !tree_cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The node a match captured under `index`, when the query has that capture and the match used it.
fn capture_node<'tree>(query_match: &QueryMatch<'_, 'tree>, index: Option<u32>) -> Option<Node<'tree>> {
    let index = index?;
    query_match.nodes_for_capture_index(index).next()
}

// ---------------------------------------------------------------------------------------
// Imports

#[derive(Default)]
struct ImportCollector {
    imports: Vec<Import>,
    /// (statement node id, specifier start byte) → index in `imports`.
    by_key: HashMap<(usize, u32), usize>,
    package: Option<String>,
    /// What attributes say about the item after them: (the item's node id, what).
    attributes: Vec<(usize, ItemAttribute)>,
}

/// What an attribute says about the item it belongs to.
enum ItemAttribute {
    /// `#[path = "x.rs"]`.
    Path(String),
    /// `#[cfg_attr(predicate, path = "x.rs")]`.
    CfgPath(CfgPath),
    /// `#[cfg(predicate)]`.
    Cfg(String),
}

impl ImportCollector {
    fn accept(&mut self, queries: &CompiledQueries, query_match: &QueryMatch<'_, '_>, source: &[u8]) {
        let captures = &queries.import_captures;
        let node_of = |index| capture_node(query_match, index);
        if let Some(node) = node_of(captures.package) {
            self.package = Some(node_text(node, source));
        }
        if let Some(attribute) = node_of(captures.attribute) {
            let Some(item) = item_after_attributes(attribute) else { return };
            let said = if let Some(path) = node_of(captures.path_attribute) {
                Some(ItemAttribute::Path(node_text(path, source)))
            } else if let (Some(path), Some(arguments)) =
                (node_of(captures.cfg_path_attribute), node_of(captures.cfg_attr_arguments))
            {
                let arguments = compact_text(arguments, source);
                first_argument(&arguments)
                    .map(|predicate| ItemAttribute::CfgPath(CfgPath { predicate, path: node_text(path, source) }))
            } else {
                node_of(captures.cfg)
                    .and_then(|arguments| first_argument(&compact_text(arguments, source)))
                    .map(ItemAttribute::Cfg)
            };
            if let Some(said) = said {
                self.attributes.push((item.id(), said));
            }
            return;
        }
        let Some(statement) = node_of(captures.statement) else { return };
        let kind = queries.import_pattern_kinds[query_match.pattern_index];
        if let Some(directive) = node_of(captures.directive) {
            if let Some((specifier, span)) = reference_directive(directive, source) {
                self.by_key.insert((statement.id(), span.start_byte), self.imports.len());
                self.imports.push(Import {
                    specifier,
                    kind,
                    names: Vec::new(),
                    alias: None,
                    wildcard: false,
                    span,
                    scope: Vec::new(),
                    path_attribute: None,
                    cfg_path_attributes: Vec::new(),
                    cfg: Vec::new(),
                });
            }
            return;
        }
        let (imports, by_key) = (&mut self.imports, &mut self.by_key);

        let mut upsert = |key_start: u32, fresh: Import| {
            let key = (statement.id(), key_start);
            match by_key.get(&key) {
                Some(&index) => merge_import(&mut imports[index], fresh),
                None => {
                    imports.push(fresh);
                    by_key.insert(key, imports.len() - 1);
                }
            }
        };

        if let Some(tree) = node_of(captures.tree) {
            for leaf in use_tree::flatten(tree, source) {
                upsert(
                    leaf.span.start_byte,
                    Import {
                        specifier: leaf.path,
                        kind,
                        names: Vec::new(),
                        alias: leaf.alias,
                        wildcard: leaf.wildcard,
                        span: leaf.span,
                        scope: Vec::new(),
                        path_attribute: None,
                        cfg_path_attributes: Vec::new(),
                        cfg: Vec::new(),
                    },
                );
            }
            return;
        }

        let Some(path) = node_of(captures.path) else { return };
        let mut names = Vec::new();
        if let Some(name) = node_of(captures.name) {
            names.push(ImportedName {
                name: strip_quotes(&node_text(name, source)).to_owned(),
                alias: node_of(captures.name_alias).map(|alias| strip_quotes(&node_text(alias, source)).to_owned()),
                span: Span::of(&name),
            });
        }
        if let Some(default) = node_of(captures.default_name) {
            names.push(ImportedName {
                name: "default".to_owned(),
                alias: Some(node_text(default, source)),
                span: Span::of(&default),
            });
        }
        upsert(
            Span::of(&path).start_byte,
            Import {
                specifier: strip_quotes(&compact_text(path, source)).to_owned(),
                kind,
                names,
                alias: node_of(captures.alias).map(|alias| node_text(alias, source)),
                wildcard: node_of(captures.wildcard).is_some(),
                span: Span::of(&path),
                scope: Vec::new(),
                path_attribute: None,
                cfg_path_attributes: Vec::new(),
                cfg: Vec::new(),
            },
        );
    }
}

impl ImportCollector {
    /// The imports in source order, whatever order the patterns matched in, with the file
    /// paths their attributes give.
    fn finish(mut self) -> Vec<Import> {
        for (item, said) in std::mem::take(&mut self.attributes) {
            let owned = self.by_key.iter().filter(|((statement, _), _)| *statement == item).map(|(_, &index)| index);
            for index in owned {
                let import = &mut self.imports[index];
                match &said {
                    ItemAttribute::Path(path) => import.path_attribute = Some(path.clone()),
                    ItemAttribute::CfgPath(cfg_path) => push_new(&mut import.cfg_path_attributes, cfg_path.clone()),
                    ItemAttribute::Cfg(predicate) => push_new(&mut import.cfg, predicate.clone()),
                }
            }
        }
        self.imports.sort_by_key(|import| (import.span.start_byte, import.span.end_byte));
        self.imports
    }
}

/// Merges what another pattern learned about the same import.
fn merge_import(existing: &mut Import, fresh: Import) {
    if fresh.kind.priority() > existing.kind.priority() {
        existing.kind = fresh.kind;
    }
    for name in fresh.names {
        push_new(&mut existing.names, name);
    }
    existing.alias = existing.alias.take().or(fresh.alias);
    existing.wildcard |= fresh.wildcard;
    existing.path_attribute = existing.path_attribute.take().or(fresh.path_attribute);
    for cfg_path in fresh.cfg_path_attributes {
        push_new(&mut existing.cfg_path_attributes, cfg_path);
    }
    for predicate in fresh.cfg {
        push_new(&mut existing.cfg, predicate);
    }
}

/// Appends `item` unless the list has it already.
fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The first argument of an attribute's parenthesised arguments: `(a, b = "c")` → `a`.
fn first_argument(arguments: &str) -> Option<String> {
    let inner = arguments.strip_prefix('(')?.strip_suffix(')')?;
    split_top_level(inner).first().filter(|first| !first.is_empty()).map(|first| (*first).to_owned())
}

/// The module a triple-slash directive names, and where its value is written:
/// `path="x.d.ts"` is relative to the file (`./x.d.ts`), `types="node"` a package.
fn reference_directive(comment: Node<'_>, source: &[u8]) -> Option<(String, Span)> {
    let text = std::str::from_utf8(source.get(comment.start_byte()..comment.end_byte())?).ok()?;
    let (attribute, value_start) = ["path", "types"].into_iter().find_map(|attribute| {
        let at = text.find(attribute)?;
        let rest = text[at + attribute.len()..].trim_start().strip_prefix('=')?.trim_start();
        let quote = rest.chars().next().filter(|quote| *quote == '"' || *quote == '\'')?;
        Some((attribute, text.len() - rest.len() + quote.len_utf8()))
    })?;
    let quote = text.as_bytes()[value_start - 1];
    let length = text[value_start..].bytes().position(|byte| byte == quote)?;
    let value = &text[value_start..value_start + length];
    if value.is_empty() {
        return None;
    }
    let specifier = if attribute == "path" && !value.starts_with('.') && !value.starts_with('/') {
        format!("./{value}")
    } else {
        value.to_owned()
    };
    // A `//` comment is one line, so the value's columns are the comment's plus the offset.
    let (offset, length) = (u32::try_from(value_start).ok()?, u32::try_from(length).ok()?);
    let mut span = Span::of(&comment);
    span.start_byte += offset;
    span.end_byte = span.start_byte + length;
    span.start.column += offset;
    span.end = span.start;
    span.end.column += length;
    Some((specifier, span))
}

/// The item an attribute belongs to: the next sibling that is neither another attribute of
/// the same kind nor a comment.
fn item_after_attributes(attribute: Node<'_>) -> Option<Node<'_>> {
    let mut next = attribute.next_sibling();
    while let Some(node) = next {
        if node.kind_id() != attribute.kind_id() && !node.is_extra() {
            return Some(node);
        }
        next = node.next_sibling();
    }
    None
}

/// Records which inline modules enclose each import (Rust `mod a { use ...; mod b; }`).
fn assign_import_scopes(facts: &mut FileFacts) {
    let modules: Vec<&Definition> =
        facts.definitions.iter().filter(|definition| definition.kind == DefinitionKind::Module).collect();
    if modules.is_empty() {
        return;
    }
    for import in &mut facts.imports {
        // Definitions are sorted by start, so enclosing modules come outermost first.
        import.scope = modules
            .iter()
            .filter(|module| module.span.contains(&import.span) && module.name_span != import.span)
            .map(|module| module.name.as_str().to_owned())
            .collect();
    }
}

// ---------------------------------------------------------------------------------------
// Definitions

struct PendingDefinition<'tree> {
    node: Node<'tree>,
    name_node: Node<'tree>,
    kind: DefinitionKind,
    owner: Option<SmolStr>,
    has_visibility: bool,
    body_start: Option<usize>,
    pattern_index: usize,
    bases: Vec<SmolStr>,
    returns: Option<SmolStr>,
    default_export: bool,
}

impl PendingDefinition<'_> {
    /// When two patterns match the same definition, the one that knows the owner wins,
    /// then the one written first in the query file (the more specific one).
    fn outranks(&self, other: &PendingDefinition<'_>) -> bool {
        (self.owner.is_some(), std::cmp::Reverse(self.pattern_index))
            > (other.owner.is_some(), std::cmp::Reverse(other.pattern_index))
    }
}

#[derive(Default)]
struct DefinitionCollector<'tree> {
    pending: Vec<PendingDefinition<'tree>>,
    /// (definition node id, name node id) → index in `pending`.
    by_key: HashMap<(usize, usize), usize>,
    explicit_exports: Option<Vec<String>>,
}

impl<'tree> DefinitionCollector<'tree> {
    fn accept(&mut self, queries: &CompiledQueries, query_match: &QueryMatch<'_, 'tree>, source: &[u8]) {
        let captures = &queries.definition_captures;
        let node_of = |index| capture_node(query_match, index);
        if let Some(export_name) = node_of(captures.export_name) {
            self.explicit_exports.get_or_insert_with(Vec::new).push(node_text(export_name, source));
            return;
        }
        let Some((node, kind)) = captures
            .kinds
            .iter()
            .find_map(|&(index, kind)| capture_node(query_match, Some(index)).map(|node| (node, kind)))
        else {
            return;
        };
        let Some(name_node) = node_of(captures.name) else { return };
        let candidate = PendingDefinition {
            node,
            name_node,
            kind,
            owner: node_of(captures.owner).map(|owner| compact_text(owner, source).into()),
            has_visibility: node_of(captures.visibility).is_some(),
            body_start: node_of(captures.body).map(|body| body.start_byte()),
            pattern_index: query_match.pattern_index,
            bases: node_of(captures.base).map(|base| compact_text(base, source).into()).into_iter().collect(),
            returns: node_of(captures.returns).map(|returns| compact_text(returns, source).into()),
            default_export: node_of(captures.default_export).is_some(),
        };
        match self.by_key.get(&(node.id(), name_node.id())) {
            Some(&index) => {
                // Patterns that add to a definition (one base per match, a default
                // export) accumulate; the ranking decides the rest.
                let existing = &mut self.pending[index];
                let mut bases = std::mem::take(&mut existing.bases);
                for base in &candidate.bases {
                    if !bases.contains(base) {
                        bases.push(base.clone());
                    }
                }
                let returns = existing.returns.take().or(candidate.returns.clone());
                let default_export = existing.default_export || candidate.default_export;
                if candidate.outranks(existing) {
                    *existing = candidate;
                }
                existing.bases = bases;
                existing.returns = existing.returns.take().or(returns);
                existing.default_export = default_export;
            }
            None => {
                self.by_key.insert((node.id(), name_node.id()), self.pending.len());
                self.pending.push(candidate);
            }
        }
    }

    /// This group's definitions, sorted outer first, and the names `__all__` lists.
    fn finish(self, source: &[u8]) -> (Vec<DraftDefinition>, Vec<String>) {
        let DefinitionCollector { mut pending, explicit_exports, .. } = self;
        pending.sort_by_key(|definition| (definition.node.start_byte(), std::cmp::Reverse(definition.node.end_byte())));
        let drafts = pending
            .iter()
            .map(|candidate| {
                let in_export_statement =
                    [candidate.node.parent(), candidate.node.parent().and_then(|node| node.parent())]
                        .into_iter()
                        .flatten()
                        .any(|node| node.kind() == "export_statement");
                DraftDefinition {
                    definition: Definition {
                        signature: signature(candidate, source).into(),
                        kind: candidate.kind,
                        owner: candidate.owner.clone(),
                        exported: false,
                        span: Span::of(&candidate.node),
                        name_span: Span::of(&candidate.name_node),
                        name: strip_quotes(&node_text(candidate.name_node, source)).into(),
                        bases: candidate.bases.clone(),
                        returns: candidate.returns.clone(),
                        default_export: candidate.default_export,
                    },
                    has_visibility: candidate.has_visibility,
                    in_export_statement,
                }
            })
            .collect();
        (drafts, explicit_exports.unwrap_or_default())
    }
}

/// The file's definitions from its groups' drafts (already in order): whether each is
/// exported depends on the definition around it and on `__all__`.
fn finish_definitions(
    lang: Lang,
    drafts: Vec<DraftDefinition>,
    explicit_exports: Option<&[String]>,
) -> Vec<Definition> {
    let parents = enclosing_indices(
        drafts.iter().map(|draft| (draft.definition.span.start_byte as usize, draft.definition.span.end_byte as usize)),
    );
    let mut definitions: Vec<Definition> = Vec::with_capacity(drafts.len());
    for (index, draft) in drafts.into_iter().enumerate() {
        let parent = parents[index].map(|parent| &definitions[parent]);
        let exported = is_exported(lang.spec().export_rule, &draft, parent, explicit_exports);
        definitions.push(Definition { exported, ..draft.definition });
    }
    definitions
}

fn is_exported(
    rule: ExportRule,
    draft: &DraftDefinition,
    parent: Option<&Definition>,
    explicit_exports: Option<&[String]>,
) -> bool {
    let (name, kind) = (draft.definition.name.as_str(), draft.definition.kind);
    match rule {
        ExportRule::VisibilityModifier => draft.has_visibility,
        ExportRule::Capitalised => name.chars().next().is_some_and(char::is_uppercase),
        ExportRule::ExportStatement => match (kind, parent) {
            (DefinitionKind::Method, Some(class)) => class.exported && !name.starts_with('#'),
            _ => draft.in_export_statement,
        },
        ExportRule::DunderAllOrPublicName => {
            let is_dunder = name.starts_with("__") && name.ends_with("__") && name.len() > 4;
            match (kind, parent) {
                (DefinitionKind::Method, Some(class)) => class.exported && (!name.starts_with('_') || is_dunder),
                (_, Some(_)) => false,
                (_, None) => match explicit_exports {
                    Some(names) => names.iter().any(|exported| exported == name),
                    None => !name.starts_with('_'),
                },
            }
        }
    }
}

/// The declaration up to its body, on one line: `pub fn parse(input: &str) -> Ast`.
fn signature(candidate: &PendingDefinition<'_>, source: &[u8]) -> String {
    let start = candidate.node.start_byte();
    let end = candidate.body_start.unwrap_or(candidate.node.end_byte());
    let text = collapse_whitespace(&slice_text(source, start, end));
    let mut trimmed = text.as_str();
    // Drop what only introduces the body: `=`, `=>`, `{`, `:`, `;`.
    loop {
        let shorter = trimmed.trim_end();
        let shorter =
            ["=>", "=", "{", ":", ";"].iter().find_map(|suffix| shorter.strip_suffix(suffix)).unwrap_or(shorter);
        if shorter.len() == trimmed.len() {
            break;
        }
        trimmed = shorter;
    }
    trimmed.chars().take(MAX_SIGNATURE_CHARS).collect()
}

/// For spans sorted by (start, end descending), the index of each one's innermost enclosing span.
fn enclosing_indices(spans: impl Iterator<Item = (usize, usize)>) -> Vec<Option<usize>> {
    let mut parents = Vec::new();
    let mut open: Vec<(usize, usize)> = Vec::new(); // (index, end)
    for (index, (start, end)) in spans.enumerate() {
        while open.last().is_some_and(|&(_, open_end)| open_end <= start) {
            open.pop();
        }
        parents.push(open.last().filter(|&&(_, open_end)| end <= open_end).map(|&(parent, _)| parent));
        open.push((index, end));
    }
    parents
}

// ---------------------------------------------------------------------------------------
// Calls

fn accept_call(queries: &CompiledQueries, query_match: &QueryMatch<'_, '_>, source: &[u8], calls: &mut Vec<Call>) {
    let Some(callee) = capture_node(query_match, queries.call_captures.callee) else { return };
    let callee_text = compact_text(callee, source);
    let name = last_segment(&callee_text).to_owned();
    if !name.is_empty() {
        calls.push(Call { callee: callee_text.into(), name: name.into(), caller: None, span: Span::of(&callee) });
    }
}

fn finish_calls(mut calls: Vec<Call>, definitions: &[Definition]) -> Vec<Call> {
    // Source order, which the caller sweep relies on; one call per callee expression.
    calls.sort_by_key(|call| (call.span.start_byte, call.span.end_byte));
    calls.dedup_by_key(|call| call.span);
    assign_callers(&mut calls, definitions);
    calls
}

/// `a.b.c` → `c`, `Type::new` → `new`, `obj?.m` → `m`.
fn last_segment(callee: &str) -> &str {
    callee.rsplit(['.', ':', '?']).find(|segment| !segment.is_empty()).unwrap_or("")
}

/// Points each call at the innermost function or method that contains it.
fn assign_callers(calls: &mut [Call], definitions: &[Definition]) {
    let callers = innermost_around(
        calls.iter().map(|call| call.span.start_byte),
        definitions,
        |definition| definition.kind.is_callable(),
        true,
    );
    for (call, caller) in calls.iter_mut().zip(callers) {
        call.caller = caller;
    }
}

/// For positions in ascending order, the index of the innermost eligible definition
/// around each. `at_start` says whether a definition starting exactly at a position
/// counts as around it. One sweep: definitions are sorted by start byte.
fn innermost_around(
    positions: impl Iterator<Item = u32>,
    definitions: &[Definition],
    eligible: impl Fn(&Definition) -> bool,
    at_start: bool,
) -> Vec<Option<usize>> {
    let candidates: Vec<usize> = (0..definitions.len()).filter(|&index| eligible(&definitions[index])).collect();
    let mut open: Vec<usize> = Vec::new();
    let mut next = 0;
    let mut found = Vec::new();
    for position in positions {
        while next < candidates.len() {
            let start = definitions[candidates[next]].span.start_byte;
            if start > position || (start == position && !at_start) {
                break;
            }
            let index = candidates[next];
            while open.last().is_some_and(|&top| definitions[top].span.end_byte <= definitions[index].span.start_byte) {
                open.pop();
            }
            open.push(index);
            next += 1;
        }
        while open.last().is_some_and(|&top| definitions[top].span.end_byte <= position) {
            open.pop();
        }
        found.push(open.last().copied());
    }
    found
}

// ---------------------------------------------------------------------------------------
// Locals

/// Parameters, variables and members, one per written name; when several patterns see
/// the same name, the one with type evidence wins.
#[derive(Default)]
struct LocalCollector {
    locals: Vec<Local>,
    /// (name node id, is a member) → index in `locals`.
    by_name_node: HashMap<(usize, bool), usize>,
}

impl LocalCollector {
    fn accept(&mut self, queries: &CompiledQueries, query_match: &QueryMatch<'_, '_>, source: &[u8]) {
        let captures = &queries.local_captures;
        let node_of = |index| capture_node(query_match, index);
        let (name_node, name, member) = match (node_of(captures.name), node_of(captures.member)) {
            (Some(node), _) => (node, node_text(node, source), false),
            // A member is written `.name`: the enclosing class's, whatever its receiver is called.
            (None, Some(node)) => (node, format!(".{}", node_text(node, source)), true),
            (None, None) => return,
        };
        let evidence = match (node_of(captures.type_), node_of(captures.construct)) {
            (Some(node), _) => Some(Evidence::Annotation(compact_text(node, source).into())),
            (None, Some(node)) => Some(Evidence::Construction(compact_text(node, source).into())),
            (None, None) => None,
        };
        let local = Local { name: name.into(), evidence, scope: None, span: Span::of(&name_node) };
        match self.by_name_node.get(&(name_node.id(), member)) {
            Some(&index) => {
                if self.locals[index].evidence.is_none() {
                    self.locals[index] = local;
                }
            }
            None => {
                self.by_name_node.insert((name_node.id(), member), self.locals.len());
                self.locals.push(local);
            }
        }
    }
}

/// The file's locals in source order, each scoped to the innermost definition around it.
fn finish_locals(mut locals: Vec<Local>, definitions: &[Definition]) -> Vec<Local> {
    locals.sort_by(|a, b| {
        (a.span.start_byte, a.span.end_byte, &a.name).cmp(&(b.span.start_byte, b.span.end_byte, &b.name))
    });
    // A module-level assignment is also a definition starting at its name; it is not
    // its own scope, hence `at_start` false.
    let scopes = innermost_around(locals.iter().map(|local| local.span.start_byte), definitions, |_| true, false);
    for (local, scope) in locals.iter_mut().zip(scopes) {
        local.scope = scope;
    }
    locals
}

// ---------------------------------------------------------------------------------------
// Syntax errors

fn collect_syntax_errors(root: Node<'_>) -> Vec<Span> {
    let mut errors = Vec::new();
    if !root.has_error() {
        return errors;
    }
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if errors.len() >= MAX_SYNTAX_ERRORS {
            break;
        }
        if node.is_error() || node.is_missing() {
            errors.push(Span::of(&node));
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).filter(|child| child.has_error()).collect();
        stack.extend(children.into_iter().rev());
    }
    errors.sort();
    errors
}
