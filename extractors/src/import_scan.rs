//! Where a Python file's import statements are, found by lexing alone.
//!
//! The commands that read only the file graph (`check`, `affected`, `graph`) need a
//! file's imports, not its tree, and parsing whole files is most of what a cold run of
//! theirs costs. Python imports can sit anywhere (in functions, `try`, `if TYPE_CHECKING:`),
//! so they cannot be found by position; but `import` is a hard keyword, so outside
//! strings and comments every `import` token belongs to an import statement, which starts
//! there or at the `from` before it. This lexer skips strings (prefixes, triple quotes,
//! escapes, f-string replacement fields and format specs, nested), comments and line
//! continuations, and returns each import statement's bytes up to the newline or `;` that
//! ends it, which it includes.
//!
//! The extractor then parses only those ranges, with the same grammar and query as a full
//! parse, so each import's facts and positions are the full parse's. A test holds the two
//! equal over real trees.

use tree_sitter::{Point, Range};

/// F-strings nested deeper than this are lexed as plain strings: real code nests two or
/// three levels, and the limit bounds the frame stack on hostile input.
const MAX_STRING_NESTING: usize = 64;

/// The byte ranges of `source`'s import statements, in order, each with the `;` or
/// newline that ends it.
pub(crate) fn python_import_statements(source: &[u8]) -> Vec<Range> {
    let mut lexer = Lexer { source, at: 0, row: 0, row_start: 0, frames: Vec::new(), depth: 0 };
    lexer.run()
}

/// Characters the grammar takes as whitespace though they are not ASCII (tree-sitter-python's
/// extras): the byte order mark, the word joiner and the zero-width space, in UTF-8. A
/// lexer that read them as part of a word would miss the `from` or `import` after them.
const INVISIBLE_SPACES: [&[u8]; 3] = [b"\xEF\xBB\xBF", b"\xE2\x81\xA0", b"\xE2\x80\x8B"];

fn invisible_space_at(source: &[u8], at: usize) -> Option<usize> {
    let rest = source.get(at..)?;
    INVISIBLE_SPACES.iter().find(|space| rest.starts_with(space)).map(|space| space.len())
}

/// What the lexer is inside, innermost last. Empty: ordinary code.
#[derive(Clone, Copy)]
enum Frame {
    /// A string literal.
    String { quote: u8, triple: bool, raw: bool, formatted: bool },
    /// An f-string's replacement field (`{...}`), with its own bracket depth.
    Field { depth: u32 },
    /// A replacement field's format spec (`{x:>{width}}`): literal text and fields.
    FormatSpec,
}

struct Lexer<'a> {
    source: &'a [u8],
    at: usize,
    row: usize,
    row_start: usize,
    frames: Vec<Frame>,
    /// Bracket depth of ordinary code: a newline inside brackets ends nothing.
    depth: u32,
}

/// An import statement being read: where it started.
#[derive(Clone, Copy)]
struct Open {
    start_byte: usize,
    start_point: Point,
}

impl Lexer<'_> {
    fn run(&mut self) -> Vec<Range> {
        let mut statements = Vec::new();
        // The `from` that may begin an import statement, while only a module path has
        // followed it.
        let mut pending_from: Option<Open> = None;
        let mut open: Option<Open> = None;
        while let Some(&byte) = self.source.get(self.at) {
            match self.frames.last().copied() {
                Some(Frame::String { quote, triple, raw, formatted }) => {
                    self.in_string(byte, quote, triple, raw, formatted);
                    continue;
                }
                Some(Frame::FormatSpec) => {
                    self.in_format_spec(byte);
                    continue;
                }
                Some(Frame::Field { .. }) | None => {}
            }
            let in_code = self.frames.is_empty();
            // Only a module path may stand between `from` and `import`.
            let mut keeps_from = false;
            match byte {
                b'#' => self.skip_comment(),
                b'\\' if matches!(self.source.get(self.at + 1), Some(b'\n')) => {
                    self.newline_at(self.at + 1);
                    keeps_from = true;
                }
                b'\\' if self.source.get(self.at + 1..self.at + 3) == Some(b"\r\n") => {
                    self.newline_at(self.at + 2);
                    keeps_from = true;
                }
                b'\n' => {
                    self.newline_at(self.at);
                    if in_code && self.depth == 0 {
                        if let Some(statement) = open.take() {
                            statements.push(self.range(statement));
                        }
                    } else {
                        keeps_from = true;
                    }
                }
                b';' if in_code && self.depth == 0 => {
                    self.at += 1;
                    if let Some(statement) = open.take() {
                        statements.push(self.range(statement));
                    }
                }
                b'\'' | b'"' => self.open_string(b""),
                b'(' | b'[' | b'{' => {
                    self.at += 1;
                    match self.frames.last_mut() {
                        Some(Frame::Field { depth }) => *depth += 1,
                        _ => self.depth += 1,
                    }
                }
                b')' | b']' | b'}' => {
                    self.at += 1;
                    match self.frames.last_mut() {
                        Some(Frame::Field { depth: 0 }) if byte == b'}' => {
                            self.frames.pop();
                        }
                        Some(Frame::Field { depth }) => *depth = depth.saturating_sub(1),
                        _ => self.depth = self.depth.saturating_sub(1),
                    }
                }
                b':' if matches!(self.frames.last(), Some(Frame::Field { depth: 0 })) => {
                    self.at += 1;
                    self.frames.push(Frame::FormatSpec);
                }
                b'.' => {
                    self.at += 1;
                    keeps_from = true;
                }
                _ if let Some(width) = invisible_space_at(self.source, self.at) => {
                    self.at += width;
                    keeps_from = true;
                }
                _ if is_identifier_byte(byte) => {
                    let start = self.at;
                    // The first byte is taken whatever it is, so the lexer always moves on.
                    self.at += 1;
                    while self.source.get(self.at).is_some_and(|&next| {
                        is_identifier_byte(next)
                            && (next.is_ascii() || invisible_space_at(self.source, self.at).is_none())
                    }) {
                        self.at += 1;
                    }
                    let word = &self.source[start..self.at];
                    if matches!(self.source.get(self.at), Some(b'\'' | b'"')) && is_string_prefix(word) {
                        self.open_string(word);
                    } else if in_code && open.is_none() {
                        let here = Open { start_byte: start, start_point: self.point(start) };
                        match word {
                            b"from" => {
                                pending_from = Some(here);
                                continue;
                            }
                            b"import" => open = Some(pending_from.unwrap_or(here)),
                            _ => keeps_from = true,
                        }
                    }
                }
                _ => {
                    keeps_from = byte.is_ascii_whitespace();
                    self.at += 1;
                }
            }
            if !keeps_from {
                pending_from = None;
            }
        }
        if let Some(statement) = open {
            statements.push(self.range(statement));
        }
        statements
    }

    fn in_string(&mut self, byte: u8, quote: u8, triple: bool, raw: bool, formatted: bool) {
        match byte {
            // An escape, or in a raw string a backslash that keeps the next quote in.
            b'\\' => match self.source.get(self.at + 1) {
                Some(b'\n') => self.newline_at(self.at + 1),
                Some(b'\r') if self.source.get(self.at + 2) == Some(&b'\n') => self.newline_at(self.at + 2),
                // `\N{NAME}` names a character; its braces open no field.
                Some(b'N') if !raw && self.source.get(self.at + 2) == Some(&b'{') => {
                    let close =
                        self.source[self.at..].iter().position(|&next| matches!(next, b'}' | b'\n' | b'\'' | b'"'));
                    self.at +=
                        close.map_or(2, |close| if self.source[self.at + close] == b'}' { close + 1 } else { close });
                }
                Some(_) => self.at += 2,
                None => self.at += 1,
            },
            b'\n' => {
                self.newline_at(self.at);
                if !triple {
                    // An unterminated single-quoted string ends at its line, as Python says.
                    self.frames.pop();
                }
            }
            _ if byte == quote => {
                let closes = !triple || self.source.get(self.at..self.at + 3) == Some(&[quote, quote, quote][..]);
                self.at += if closes && triple { 3 } else { 1 };
                if closes {
                    self.frames.pop();
                }
            }
            b'{' if formatted => {
                if self.source.get(self.at + 1) == Some(&b'{') {
                    self.at += 2;
                } else {
                    self.at += 1;
                    self.frames.push(Frame::Field { depth: 0 });
                }
            }
            _ => self.at += 1,
        }
    }

    fn in_format_spec(&mut self, byte: u8) {
        match byte {
            b'{' => {
                self.at += 1;
                self.frames.push(Frame::Field { depth: 0 });
            }
            b'}' => {
                // The spec ends its field.
                self.at += 1;
                self.frames.pop();
                if matches!(self.frames.last(), Some(Frame::Field { .. })) {
                    self.frames.pop();
                }
            }
            b'\n' => self.newline_at(self.at),
            _ => self.at += 1,
        }
    }

    /// Opens the string whose quote is at `self.at`, after `prefix`.
    fn open_string(&mut self, prefix: &[u8]) {
        let quote = self.source[self.at];
        let triple = self.source.get(self.at..self.at + 3) == Some(&[quote, quote, quote][..]);
        let has = |letter: u8| prefix.iter().any(|byte| byte.to_ascii_lowercase() == letter);
        let formatted = (has(b'f') || has(b't')) && self.frames.len() < MAX_STRING_NESTING;
        self.frames.push(Frame::String { quote, triple, raw: has(b'r'), formatted });
        self.at += if triple { 3 } else { 1 };
    }

    fn skip_comment(&mut self) {
        while self.source.get(self.at).is_some_and(|&byte| byte != b'\n') {
            self.at += 1;
        }
    }

    /// Moves past the newline at `index`.
    fn newline_at(&mut self, index: usize) {
        self.at = index + 1;
        self.row += 1;
        self.row_start = self.at;
    }

    /// The position of `byte`, which lies on the current row.
    fn point(&self, byte: usize) -> Point {
        Point { row: self.row, column: byte - self.row_start }
    }

    fn range(&self, statement: Open) -> Range {
        Range {
            start_byte: statement.start_byte,
            end_byte: self.at,
            start_point: statement.start_point,
            end_point: self.point(self.at),
        }
    }
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// `r`, `b`, `u`, `f`, `t` and their legal pairs, in any case.
fn is_string_prefix(word: &[u8]) -> bool {
    let lower: Vec<u8> = word.iter().map(u8::to_ascii_lowercase).collect();
    matches!(lower.as_slice(), b"r" | b"u" | b"b" | b"f" | b"t" | b"br" | b"rb" | b"fr" | b"rf" | b"tr" | b"rt")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(source: &str) -> Vec<&str> {
        python_import_statements(source.as_bytes())
            .into_iter()
            .map(|range| &source[range.start_byte..range.end_byte])
            .collect()
    }

    #[test]
    fn finds_imports_anywhere_and_nothing_in_strings_or_comments() {
        let source = "import os\n\
                      '''\nimport not_this\n'''\n\
                      # import nor_this\n\
                      def f():\n    from .a import (b,\n        c)  # trailing\n    return 1\n\
                      x = 1; import sys; y = 2\n\
                      s = f\"{'import' if x else \"no\"}\" ; from ..pkg.mod import name as other\n\
                      yield_from = 3\n\
                      t = rb'\\'' + \"import in string\"\n\
                      if True: import json\n";
        assert_eq!(
            statements(source),
            vec![
                "import os\n",
                "from .a import (b,\n        c)  # trailing\n",
                "import sys;",
                "from ..pkg.mod import name as other\n",
                "import json\n",
            ]
        );
    }

    #[test]
    fn from_is_kept_only_before_a_module_path() {
        // `yield from` and `raise ... from` are not import statements.
        assert_eq!(
            statements("def g():\n    yield from h()\nraise E from e\nfrom a.b import c\n"),
            vec!["from a.b import c\n"]
        );
        assert_eq!(
            statements("from . import x\nfrom ... import y\n"),
            vec!["from . import x\n", "from ... import y\n"]
        );
    }

    #[test]
    fn nested_f_strings_and_format_specs_do_not_lose_the_thread() {
        let source = "a = f'{x:{width}} {y!r:>{w}}'\nb = f\"{d[\"k\"]}\"\nc = f'''{\n    x\n}'''\nimport after\n";
        assert_eq!(statements(source), vec!["import after\n"]);
    }

    #[test]
    fn positions_count_rows_and_byte_columns() {
        let source = "x = 'é'\n    import os\n";
        let ranges = python_import_statements(source.as_bytes());
        assert_eq!(ranges[0].start_point, Point { row: 1, column: 4 });
        assert_eq!(ranges[0].end_point, Point { row: 2, column: 0 });
    }

    #[test]
    fn invisible_spaces_and_crlf_continuations_in_strings_are_read_as_python_reads_them() {
        // A byte order mark before the first `from`, and a zero-width space before another.
        assert_eq!(
            statements("\u{feff}from a import b\n\u{200b}from c import d\n"),
            vec!["from a import b\n", "from c import d\n"]
        );
        // A backslash before CRLF continues a string onto the next line.
        assert_eq!(statements("s = 'a\\\r\nb'; import os\r\n"), vec!["import os\r\n"]);
    }

    #[test]
    fn the_imports_read_alone_are_the_whole_parse_s_on_awkward_files() {
        for source in [
            "\u{feff}from a import b\nimport c\n",
            "import a\r\nif x:\r\n    from .b import (c,\r\n        d)\r\n",
            "s = 'a\\\r\nb'; import os\r\n",
            "def f():\n\timport tabbed\n    return f'{x!r:>{w}}'\nclass C: import inline\n",
            "match x:\n    case 1:\n        import in_case\n",
        ] {
            let whole = crate::extract(crate::Lang::Python, source.as_bytes()).expect("extract");
            let alone = crate::extract_imports(crate::Lang::Python, source.as_bytes()).expect("extract_imports");
            assert!(whole.syntax_errors.is_empty(), "{source:?} parses");
            assert_eq!(alone.imports, whole.imports, "{source:?}");
            assert!(!alone.imports.is_empty());
        }
    }

    proptest::proptest! {
        /// On any input, Python-like or not, the lexer ends, and its ranges lie in the
        /// input, in order, without overlapping: what included ranges require.
        #[test]
        fn any_input_gives_ordered_ranges_and_ends(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just("import a".to_owned()),
                proptest::strategy::Just("from .b import (c,".to_owned()),
                proptest::strategy::Just("f'{x:{y}}'".to_owned()),
                proptest::strategy::Just("'''".to_owned()),
                proptest::strategy::Just("\\\r\n".to_owned()),
                proptest::strategy::Just("\u{feff}".to_owned()),
                proptest::strategy::Just("\\N{".to_owned()),
                "[ -~\n\t]{0,12}",
                proptest::strategy::Strategy::prop_map(
                    proptest::collection::vec(proptest::num::u8::ANY, 0..8),
                    |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned()
                ),
            ], 0..40)
        ) {
            let source = pieces.concat();
            let ranges = python_import_statements(source.as_bytes());
            let mut end = 0;
            for range in &ranges {
                proptest::prop_assert!(range.start_byte >= end && range.start_byte < range.end_byte);
                proptest::prop_assert!(range.end_byte <= source.len());
                end = range.end_byte;
            }
            proptest::prop_assert!(crate::extract_imports(crate::Lang::Python, source.as_bytes()).is_ok());
        }
    }

    #[test]
    fn continuations_and_unclosed_input_end_cleanly() {
        assert_eq!(statements("from a \\\n    import b\nimport c"), vec!["from a \\\n    import b\n", "import c"]);
        assert_eq!(statements("s = 'unterminated\nimport d\n"), vec!["import d\n"]);
        assert_eq!(statements("f'{'"), Vec::<&str>::new());
    }
}
