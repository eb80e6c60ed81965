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
}

/// The query file a pattern belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    Imports,
    Definitions,
    Calls,
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
            "package" => &mut import_captures.package,
            _ => continue,
        };
        *slot = Some(index);
    }
    let import_pattern_kinds = (0..query.pattern_count())
        .map(|pattern| {
            query
                .property_settings(pattern)
                .iter()
                .find(|property| &*property.key == "kind")
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

    Ok(CompiledQueries { query, sections, import_captures, import_pattern_kinds, definition_captures, call_captures })
}

fn capture_names(query: &Query) -> impl Iterator<Item = (u32, &str)> {
    query.capture_names().iter().enumerate().filter_map(|(index, name)| Some((u32::try_from(index).ok()?, *name)))
}
