//! The edit cache's facts equal a fresh extraction's, after any sequence of edits to real
//! source files: incremental parsing and reused pieces change nothing but the cost.

use proptest::prelude::*;
use thread_extractors::{EditCache, Lang, extract};

/// Real code of each language, from this repository.
const SOURCES: [(Lang, &str, &str); 5] = [
    (Lang::Rust, "extract.rs", include_str!("../src/extract.rs")),
    (Lang::Python, "symbol_truth.py", include_str!("../../tests/tools/symbol_truth.py")),
    (Lang::TypeScript, "extension.ts", include_str!("../../editors/vscode/src/extension.ts")),
    (Lang::JavaScript, "settings.js", include_str!("../../editors/vscode/src/settings.ts")),
    (Lang::Go, "main.go", include_str!("../../tests/tools/goimports/main.go")),
];

/// What the edits insert: code that adds, removes and breaks items, and lines that move them.
const INSERTIONS: [&str; 16] = [
    "",
    "\n",
    "# c\n",
    "x",
    "(",
    "}",
    "\"",
    "def helper(a, b):\n    return other(a)\n",
    "fn helper() { other(); }\n",
    "function helper() { return other(); }\n",
    "func helper() { other() }\n",
    "import os\nfrom .a import b\n",
    "use crate::a::b;\n#[path = \"x.rs\"]\nmod x;\n",
    "export const f = () => g();\n",
    "__all__ = [\"helper\"]\n",
    "    ",
];

#[derive(Clone, Debug)]
struct Edit {
    /// Where, as a fraction of the text.
    at: f64,
    /// How many bytes are removed there.
    remove: usize,
    insert: &'static str,
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        (0.0..1.0f64, prop_oneof![3 => Just(0usize), 1 => 0usize..200], prop::sample::select(INSERTIONS.to_vec()))
            .prop_map(|(at, remove, insert)| Edit { at, remove, insert }),
        1..8,
    )
}

fn apply(text: &mut String, edit: &Edit) {
    let mut start = ((text.len() as f64) * edit.at) as usize;
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + edit.remove).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    text.replace_range(start..end, edit.insert);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn facts_after_edits_equal_a_fresh_extraction(which in 0..SOURCES.len(), edits in edits()) {
        let (lang, path, source) = SOURCES[which];
        let cache = EditCache::new(4);
        let mut text = source.to_owned();
        prop_assert!(cache.extract(path, lang, text.as_bytes()).unwrap() == extract(lang, text.as_bytes()).unwrap());
        for edit in &edits {
            apply(&mut text, edit);
            let incremental = cache.extract(path, lang, text.as_bytes()).unwrap();
            let fresh = extract(lang, text.as_bytes()).unwrap();
            prop_assert!(incremental == fresh, "after {:?}: {}", edit, first_difference(&incremental, &fresh));
        }
    }
}

#[test]
fn a_line_added_above_every_item_reuses_them_all_with_their_spans_moved() {
    let (lang, path, source) = SOURCES[1];
    let cache = EditCache::new(4);
    let mut text = source.to_owned();
    for round in 0..4 {
        text.insert_str(0, &format!("# {round}\n"));
        assert_eq!(cache.extract(path, lang, text.as_bytes()).unwrap(), extract(lang, text.as_bytes()).unwrap());
    }
}

/// The first field where two files' facts differ, to keep failures readable.
fn first_difference(a: &thread_extractors::FileFacts, b: &thread_extractors::FileFacts) -> String {
    fn first<T: std::fmt::Debug + PartialEq>(what: &str, a: &[T], b: &[T]) -> Option<String> {
        if a == b {
            return None;
        }
        let index = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        Some(format!("{what}[{index}] of {}/{}: {:?} vs {:?}", a.len(), b.len(), a.get(index), b.get(index)))
    }
    first("imports", &a.imports, &b.imports)
        .or_else(|| first("definitions", &a.definitions, &b.definitions))
        .or_else(|| first("calls", &a.calls, &b.calls))
        .or_else(|| first("locals", &a.locals, &b.locals))
        .or_else(|| first("syntax_errors", &a.syntax_errors, &b.syntax_errors))
        .unwrap_or_else(|| format!("package {:?} vs {:?}", a.package, b.package))
}
