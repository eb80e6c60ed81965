//! Compiled queries, one set per language, built once and shared by every thread.
//!
//! Building a `Query` takes milliseconds, so each language's queries compile on first
//! use and live for the process. Capture names are resolved to indices here so the
//! extractor's hot loop compares integers, not strings.

use std::sync::OnceLock;

use tree_sitter::Query;

use crate::ExtractError;
use crate::facts::{DefinitionKind, ImportKind};
use crate::lang::Lang;

/// The compiled queries of one language and the capture indices the extractor reads.
///
/// The three query files compile into one query, so a file's tree is walked once, not
/// three times; each pattern remembers which file it came from.
pub(crate) struct CompiledQueries {
    pub(crate) query: Query,
    /// Which query file each pattern came from.
    pub(crate) sections: Vec<Section>,
    pub(crate) import_captures: ImportCaptures,
    /// The `kind` property of each import pattern, set with `(#set! kind "...")`.
    pub(crate) import_pattern_kinds: Vec<ImportKind>,
    pub(crate) definition_captures: DefinitionCaptures,
    pub(crate) call_captures: CallCaptures,
    pub(crate) local_captures: LocalCaptures,
    /// Indexed by node kind id: where patterns whose outermost node has that kind hold.
    anchors: Vec<Anchor>,
    /// Per pattern: it is marked `(#set! top-level)`, and holds only for the file's
    /// top-level nodes.
    top_level_only: Vec<bool>,
    /// The kind of a file's root. Top-level patterns hold only under it: a file that
    /// fails to parse as a whole has an `ERROR` root, whose children error recovery may
    /// have lifted out of nested scopes.
    pub(crate) root_kind: u16,
}

/// Where the patterns starting at a node kind hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// No pattern starts at the kind.
    Never,
    /// Only top-level patterns start at it: the query runs at top-level nodes alone.
    TopLevel,
    /// Some pattern starts at it wherever it is.
    Anywhere,
}

impl CompiledQueries {
    /// Where a node of this kind can be where a pattern starts. The extractor runs the
    /// query only at such nodes, which is far cheaper than letting the query cursor visit
    /// every node of the tree.
    pub(crate) fn anchor(&self, kind_id: u16) -> Anchor {
        self.anchors.get(usize::from(kind_id)).copied().unwrap_or(Anchor::Never)
    }

    /// Whether the pattern at `index` holds only where it starts at a top-level node.
    ///
    /// Such patterns say so with a property rather than by starting at the root
    /// (`(program (lexical_declaration …))`): a match at the root would make the query
    /// cursor walk every top-level node of the file, however few an edit touched.
    pub(crate) fn is_top_level_only(&self, index: usize) -> bool {
        self.top_level_only.get(index).copied().unwrap_or(false)
    }
}

/// The query file a pattern belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    Imports,
    Definitions,
    Calls,
    Locals,
}

#[derive(Default)]
pub(crate) struct ImportCaptures {
    pub(crate) statement: Option<u32>,
    pub(crate) path: Option<u32>,
    pub(crate) tree: Option<u32>,
    pub(crate) name: Option<u32>,
    pub(crate) name_alias: Option<u32>,
    pub(crate) default_name: Option<u32>,
    pub(crate) alias: Option<u32>,
    pub(crate) wildcard: Option<u32>,
    pub(crate) path_attribute: Option<u32>,
    pub(crate) cfg_path_attribute: Option<u32>,
    /// The arguments of `#[cfg_attr(...)]`, whose first is the predicate.
    pub(crate) cfg_attr_arguments: Option<u32>,
    /// The arguments of `#[cfg(...)]`: the predicate.
    pub(crate) cfg: Option<u32>,
    /// A directive comment whose text names the module (`/// <reference path="x" />`).
    pub(crate) directive: Option<u32>,
    /// An attribute that belongs to the item after it (`@import.attribute`).
    pub(crate) attribute: Option<u32>,
    pub(crate) package: Option<u32>,
}

#[derive(Default)]
pub(crate) struct DefinitionCaptures {
    /// `definition.<kind>` capture index → kind.
    pub(crate) kinds: Vec<(u32, DefinitionKind)>,
    pub(crate) name: Option<u32>,
    pub(crate) owner: Option<u32>,
    pub(crate) visibility: Option<u32>,
    pub(crate) body: Option<u32>,
    pub(crate) export_name: Option<u32>,
    /// A base class or embedded type (`@base`), one per match.
    pub(crate) base: Option<u32>,
    /// The declared return type (`@returns`).
    pub(crate) returns: Option<u32>,
    /// Marks a default export (`@export.default`).
    pub(crate) default_export: Option<u32>,
}

/// Captures of `locals.scm`: `@local.name` (or `@local.member`, a member of the
/// enclosing class written without `this.`), with `@local.type` or `@local.construct`.
#[derive(Default)]
pub(crate) struct LocalCaptures {
    pub(crate) name: Option<u32>,
    pub(crate) member: Option<u32>,
    pub(crate) type_: Option<u32>,
    pub(crate) construct: Option<u32>,
}

#[derive(Default)]
pub(crate) struct CallCaptures {
    pub(crate) call: Option<u32>,
    pub(crate) callee: Option<u32>,
}

static COMPILED: [OnceLock<Result<CompiledQueries, ExtractError>>; Lang::ALL.len()] =
    [const { OnceLock::new() }; Lang::ALL.len()];

/// The compiled queries of `lang`, compiling them on first use.
pub(crate) fn compiled(lang: Lang) -> Result<&'static CompiledQueries, ExtractError> {
    COMPILED[lang as usize].get_or_init(|| compile(lang)).as_ref().map_err(Clone::clone)
}

fn compile(lang: Lang) -> Result<CompiledQueries, ExtractError> {
    let grammar = lang.grammar();
    let sources = lang.family().queries();
    let build = |file: &'static str, source: &str| {
        Query::new(&grammar, source).map_err(|error| ExtractError::Query {
            lang: lang.name(),
            file,
            message: error.to_string(),
        })
    };
    let files = [
        ("imports.scm", sources.imports, Section::Imports),
        ("definitions.scm", sources.definitions, Section::Definitions),
        ("calls.scm", sources.calls, Section::Calls),
        ("locals.scm", sources.locals, Section::Locals),
    ];
    let mut combined = String::new();
    let mut section_starts = Vec::new();
    for (_, source, section) in files {
        section_starts.push((combined.len(), section));
        combined.push_str(source);
        combined.push('\n');
    }
    let query = match Query::new(&grammar, &combined) {
        Ok(query) => query,
        // Compile the files one by one to say which is at fault.
        Err(error) => {
            for (file, source, _) in files {
                build(file, source)?;
            }
            return Err(ExtractError::Query { lang: lang.name(), file: "queries", message: error.to_string() });
        }
    };
    let top_level_only: Vec<bool> =
        (0..query.pattern_count()).map(|pattern| property(&query, pattern, "top-level").is_some()).collect();
    // The kind of a file's root, which no pattern may start at (the extractor never runs
    // the query there): what the grammar makes of an empty file.
    let root_kind = crate::extract::parse(lang, b"", None)?.root_node().kind_id();
    let anchors = anchor_kinds(lang, &grammar, &query, &combined, &top_level_only, root_kind)?;
    let sections: Vec<Section> = (0..query.pattern_count())
        .map(|pattern| {
            let start = query.start_byte_for_pattern(pattern);
            section_starts.iter().rev().find(|(offset, _)| *offset <= start).map_or(Section::Calls, |(_, s)| *s)
        })
        .collect();

    let mut import_captures = ImportCaptures::default();
    for (index, name) in capture_names(&query) {
        let slot = match name {
            "import" => &mut import_captures.statement,
            "import.path" => &mut import_captures.path,
            "import.tree" => &mut import_captures.tree,
            "import.name" => &mut import_captures.name,
            "import.name.alias" => &mut import_captures.name_alias,
            "import.default" => &mut import_captures.default_name,
            "import.alias" => &mut import_captures.alias,
            "import.wildcard" => &mut import_captures.wildcard,
            "import.path_attribute" => &mut import_captures.path_attribute,
            "import.cfg_path_attribute" => &mut import_captures.cfg_path_attribute,
            "import.cfg_attr_arguments" => &mut import_captures.cfg_attr_arguments,
            "import.cfg" => &mut import_captures.cfg,
            "import.attribute" => &mut import_captures.attribute,
            "import.directive" => &mut import_captures.directive,
            "package" => &mut import_captures.package,
            _ => continue,
        };
        *slot = Some(index);
    }
    let import_pattern_kinds = (0..query.pattern_count())
        .map(|pattern| {
            property(&query, pattern, "kind")
                .and_then(|property| property.value.as_deref())
                .and_then(ImportKind::from_name)
                .unwrap_or(ImportKind::Import)
        })
        .collect();

    let mut definition_captures = DefinitionCaptures::default();
    for (index, name) in capture_names(&query) {
        if let Some(kind) = name.strip_prefix("definition.") {
            let kind = DefinitionKind::from_capture(kind).ok_or_else(|| ExtractError::Query {
                lang: lang.name(),
                file: "definitions.scm",
                message: format!("unknown definition kind @{name}"),
            })?;
            definition_captures.kinds.push((index, kind));
            continue;
        }
        let slot = match name {
            "name" => &mut definition_captures.name,
            "owner" => &mut definition_captures.owner,
            "visibility" => &mut definition_captures.visibility,
            "body" => &mut definition_captures.body,
            "export.name" => &mut definition_captures.export_name,
            "base" => &mut definition_captures.base,
            "returns" => &mut definition_captures.returns,
            "export.default" => &mut definition_captures.default_export,
            _ => continue,
        };
        *slot = Some(index);
    }

    let mut call_captures = CallCaptures::default();
    for (index, name) in capture_names(&query) {
        match name {
            "call" => call_captures.call = Some(index),
            "callee" => call_captures.callee = Some(index),
            _ => {}
        }
    }

    let mut local_captures = LocalCaptures::default();
    for (index, name) in capture_names(&query) {
        let slot = match name {
            "local.name" => &mut local_captures.name,
            "local.member" => &mut local_captures.member,
            "local.type" => &mut local_captures.type_,
            "local.construct" => &mut local_captures.construct,
            _ => continue,
        };
        *slot = Some(index);
    }

    Ok(CompiledQueries {
        query,
        sections,
        import_captures,
        import_pattern_kinds,
        definition_captures,
        call_captures,
        local_captures,
        anchors,
        top_level_only,
        root_kind,
    })
}

/// Which node kinds patterns start at, and where they hold, by kind id.
///
/// Each pattern must have one outermost node of a named kind, written first, and not the
/// root's kind:
/// `(kind ...)` or `((kind ...) @capture (#predicate ...))`. Patterns of several sibling
/// nodes, a wildcard or an alternation at the top are refused, because the extractor runs
/// the query one anchor node at a time and would never see them match.
fn anchor_kinds(
    lang: Lang,
    grammar: &tree_sitter::Language,
    query: &Query,
    source: &str,
    top_level_only: &[bool],
    root_kind: u16,
) -> Result<Vec<Anchor>, ExtractError> {
    let refuse = |pattern: usize, why: &str| ExtractError::Query {
        lang: lang.name(),
        file: "queries",
        message: format!("the pattern at byte {} {why}", query.start_byte_for_pattern(pattern)),
    };
    let root_name = grammar.node_kind_for_id(root_kind).unwrap_or("");
    // Per pattern: the kind it starts at, and whether it holds anywhere.
    let mut starts = Vec::new();
    for pattern in 0..query.pattern_count() {
        if !query.is_pattern_rooted(pattern) {
            return Err(refuse(pattern, "has several top-level nodes; wrap them in their parent node"));
        }
        let text = source.get(query.start_byte_for_pattern(pattern)..).unwrap_or("");
        let text = text.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
        let length = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
        match &text[..length] {
            "" | "_" => {
                return Err(refuse(pattern, "must start with one named node kind, not a wildcard or alternation"));
            }
            kind if kind == root_name => {
                return Err(refuse(
                    pattern,
                    "starts at the file's root; start it at the item, with `(#set! top-level)`",
                ));
            }
            kind => starts.push((kind, !top_level_only.get(pattern).copied().unwrap_or(false))),
        }
    }
    // A kind name can have several ids (aliases), so mark every named id with that name.
    let anchors = (0..grammar.node_kind_count())
        .map(|id| {
            let Ok(id) = u16::try_from(id) else { return Anchor::Never };
            let Some(name) = grammar.node_kind_for_id(id).filter(|_| grammar.node_kind_is_named(id)) else {
                return Anchor::Never;
            };
            let mut patterns = starts.iter().filter(|(kind, _)| *kind == name).map(|(_, anywhere)| *anywhere);
            match patterns.next() {
                None => Anchor::Never,
                Some(anywhere) if anywhere || patterns.any(|anywhere| anywhere) => Anchor::Anywhere,
                Some(_) => Anchor::TopLevel,
            }
        })
        .collect();
    Ok(anchors)
}

/// The property `key` that the pattern at `pattern` sets with `#set!`.
fn property<'q>(query: &'q Query, pattern: usize, key: &str) -> Option<&'q tree_sitter::QueryProperty> {
    query.property_settings(pattern).iter().find(|property| &*property.key == key)
}

fn capture_names(query: &Query) -> impl Iterator<Item = (u32, &str)> {
    query.capture_names().iter().enumerate().filter_map(|(index, name)| Some((u32::try_from(index).ok()?, *name)))
}
