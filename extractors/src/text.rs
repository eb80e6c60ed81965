//! Reading node text from source bytes that may not be valid UTF-8.

use tree_sitter::Node;

/// The node's text; invalid UTF-8 is replaced rather than failing the file.
pub(crate) fn node_text(node: Node<'_>, source: &[u8]) -> String {
    slice_text(source, node.start_byte(), node.end_byte())
}

/// The node's text with whitespace removed except between two words: `a :: b` → `a::b`,
/// `new  Widget` → `new Widget`.
pub(crate) fn compact_text(node: Node<'_>, source: &[u8]) -> String {
    let text = node_text(node, source);
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut compact = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && compact.chars().next_back().is_some_and(is_word) && is_word(c) {
            compact.push(' ');
        }
        pending_space = false;
        compact.push(c);
    }
    compact
}

/// The text of `source[start..end]`, clamped to the source.
pub(crate) fn slice_text(source: &[u8], start: usize, end: usize) -> String {
    let end = end.min(source.len());
    let start = start.min(end);
    String::from_utf8_lossy(&source[start..end]).into_owned()
}

/// The comma-separated parts of `text` at its top level: commas inside brackets or
/// quotes do not split. `a, f(b, c), "d,e"` → `a`, ` f(b, c)`, ` "d,e"`.
pub(crate) fn split_top_level(text: &str) -> Vec<&str> {
    let (mut parts, mut start, mut depth, mut quoted) = (Vec::new(), 0, 0i32, false);
    for (index, character) in text.char_indices() {
        match character {
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Collapses runs of whitespace to one space and trims: signatures read as one line.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes one pair of matching quotes around a string literal, if present.
pub(crate) fn strip_quotes(text: &str) -> &str {
    for quote in ['"', '\'', '`'] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|rest| rest.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}
