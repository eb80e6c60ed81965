//! Length-preserving rewrites for syntax a grammar does not know yet.
//!
//! tree-sitter-typescript 0.23.2, the newest release, predates three TypeScript forms
//! that real code uses:
//!
//! - `export type * from "./x"` (TypeScript 5.0);
//! - variance annotations on type parameters, `interface Box<in out T>` (4.7);
//! - type arguments after an import type, `import("./x").Box<string>`.
//!
//! and it misreads one older form: a generic call signature on a line of its own after
//! another member with no `;` between them, as in an overloaded function's type
//! (`{ <A>(a: A): X<A>` then `<B>(b: B): Y` on the next line), which it reads as a
//! comparison continuing the type before.
//!
//! Each is a syntax error, and the error recovery around it can lose the re-export or the
//! definitions that follow. The rewrites blank the words the grammar does not know with
//! spaces before parsing, and give the signature the `;` it lacks in place of the last
//! space of its indentation. Every byte, line and column stays where it was, so the facts
//! need no mapping, and the rewrite of a text depends on that text only, so incremental
//! and fresh extraction see the same input. Which languages need which rewrite is a row of
//! the language table ([`crate::lang`]).

/// `text` with the forms above blanked, or `None` when it has none of them.
pub(crate) fn rewrite_typescript(text: &[u8]) -> Option<Vec<u8>> {
    let mut blanks: Vec<(usize, usize)> = Vec::new();
    let mut semicolons: Vec<usize> = Vec::new();
    // Each form starts at one of a few bytes or words, found with SIMD: a large file is
    // rewritten on every keystroke.
    for index in memchr::memchr3_iter(b'<', b',', b'\n', text) {
        match text[index] {
            b'\n' => signature_on_new_line(text, index, &mut semicolons),
            _ => variance_modifiers(text, index + 1, &mut blanks),
        }
    }
    for index in memchr::memmem::find_iter(text, b"export").filter(|index| at_word(text, *index, b"export")) {
        export_type_star(text, index, &mut blanks);
    }
    for index in memchr::memmem::find_iter(text, b"import").filter(|index| at_word(text, *index, b"import")) {
        import_type_arguments(text, index, &mut blanks);
    }
    if blanks.is_empty() && semicolons.is_empty() {
        return None;
    }
    let mut rewritten = text.to_vec();
    for (start, end) in blanks {
        for byte in &mut rewritten[start..end] {
            if !byte.is_ascii_whitespace() {
                *byte = b' ';
            }
        }
    }
    for at in semicolons {
        rewritten[at] = b';';
    }
    Some(rewritten)
}

/// A line after the newline at `newline` that starts, after an indentation, with type
/// parameters and a parameter list (`<A, B extends X>(`), after a line that ends a type
/// (a name, `>`, `)`, `]` or `}`, not an operator or an arrow that would continue it):
/// the last space of the indentation is to become `;`.
fn signature_on_new_line(text: &[u8], newline: usize, semicolons: &mut Vec<usize>) {
    let indentation_end =
        newline + 1 + text[newline + 1..].iter().take_while(|byte| matches!(byte, b' ' | b'\t')).count();
    if indentation_end == newline + 1 || text.get(indentation_end) != Some(&b'<') {
        return;
    }
    // Type parameters: a name first (on this line or the next), balanced brackets, `(`.
    let first = skip_space(text, indentation_end + 1);
    if identifier_end(text, first) == first {
        return;
    }
    let Some(close) = closing_angle(text, indentation_end, 512) else { return };
    if text.get(close + 1) != Some(&b'(') {
        return;
    }
    // What ends the line before (spaces, comment lines and block comments aside).
    let mut end = newline;
    let last = loop {
        let Some(last) = text[..end].iter().rposition(|byte| !byte.is_ascii_whitespace()) else { return };
        let line_start = text[..last].iter().rposition(|byte| *byte == b'\n').map_or(0, |newline| newline + 1);
        if text[skip_space(text, line_start)..].starts_with(b"//") {
            end = line_start;
        } else if last > 0 && &text[last - 1..=last] == b"*/" {
            // Within 16 KB: a stray `*/` must not make every line a scan of the file.
            let from = (last - 1).saturating_sub(16 * 1024);
            match text[from..last - 1].windows(2).rposition(|pair| pair == b"/*").map(|at| from + at) {
                Some(start) => end = start,
                None => return,
            }
        } else {
            break last;
        }
    };
    let ends_a_type = match text[last] {
        b'>' => last == 0 || text[last - 1] != b'=',
        b')' | b']' | b'}' => true,
        byte => is_identifier_byte(byte),
    };
    if ends_a_type {
        semicolons.push(indentation_end - 1);
    }
}

/// `in`, `out` or `in out` before a type parameter (`<in out T extends X>`, `, out U>`).
fn variance_modifiers(text: &[u8], after: usize, blanks: &mut Vec<(usize, usize)>) {
    let start = skip_space(text, after);
    let mut position = start;
    let mut words = 0;
    for word in [&b"in"[..], b"out"] {
        if at_word(text, position, word) && text.get(position + word.len()).is_some_and(u8::is_ascii_whitespace) {
            position = skip_space(text, position + word.len());
            words += 1;
        }
    }
    if words == 0 {
        return;
    }
    // A type parameter follows: a name, then `extends`, `=`, `,` or `>`.
    let name_end = identifier_end(text, position);
    if name_end == position {
        return;
    }
    let next = skip_space(text, name_end);
    let follows = at_word(text, next, b"extends") || matches!(text.get(next), Some(b'=' | b',' | b'>'));
    if follows {
        blanks.push((start, position));
    }
}

/// `export type * from` and `export type * as ns from`: `type` is blanked, which leaves
/// an ordinary re-export.
fn export_type_star(text: &[u8], export: usize, blanks: &mut Vec<(usize, usize)>) {
    let type_start = skip_space(text, export + b"export".len());
    if !at_word(text, type_start, b"type") {
        return;
    }
    let type_end = type_start + b"type".len();
    if text.get(skip_space(text, type_end)) == Some(&b'*') {
        blanks.push((type_start, type_end));
    }
}

/// The type arguments of `import("./x").Name<…>`.
fn import_type_arguments(text: &[u8], import: usize, blanks: &mut Vec<(usize, usize)>) {
    let mut position = skip_space(text, import + b"import".len());
    if text.get(position) != Some(&b'(') {
        return;
    }
    let Some(close) = text[position..].iter().take(512).position(|byte| *byte == b')') else { return };
    position += close + 1;
    // One or more `.Name`.
    let mut names = 0;
    while text.get(position) == Some(&b'.') {
        let end = identifier_end(text, position + 1);
        if end == position + 1 {
            return;
        }
        position = end;
        names += 1;
    }
    if names == 0 || text.get(position) != Some(&b'<') {
        return;
    }
    if let Some(close) = closing_angle(text, position, 4096) {
        blanks.push((position, close + 1));
    }
}

/// The `>` that closes the `<` at `open`, within `limit` bytes and before any `;`, `{`
/// or `}` (which no type list holds outside an object type this scan gives up on).
fn closing_angle(text: &[u8], open: usize, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, byte) in text[open..].iter().enumerate().take(limit) {
        match byte {
            b'<' => depth += 1,
            // `=>` inside a function type is no closing bracket.
            b'>' if offset > 0 && text[open + offset - 1] == b'=' => {}
            b'>' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + offset);
                }
            }
            b';' | b'{' | b'}' => return None,
            _ => {}
        }
    }
    None
}

/// True when `word` starts at `index` as a whole word.
fn at_word(text: &[u8], index: usize, word: &[u8]) -> bool {
    let before_ok = index == 0 || !is_identifier_byte(text[index - 1]);
    let after_ok = text.get(index + word.len()).is_none_or(|byte| !is_identifier_byte(*byte));
    before_ok && after_ok && text.get(index..index + word.len()) == Some(word)
}

fn skip_space(text: &[u8], mut index: usize) -> usize {
    while text.get(index).is_some_and(u8::is_ascii_whitespace) {
        index += 1;
    }
    index
}

fn identifier_end(text: &[u8], mut index: usize) -> usize {
    while text.get(index).is_some_and(|byte| is_identifier_byte(*byte)) {
        index += 1;
    }
    index
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

#[cfg(test)]
mod tests {
    use super::rewrite_typescript;

    fn rewritten(text: &str) -> String {
        rewrite_typescript(text.as_bytes()).map_or_else(|| text.to_owned(), |bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn blanks_what_the_grammar_does_not_know_and_nothing_else() {
        assert_eq!(rewritten("export type * from './t';"), "export      * from './t';");
        assert_eq!(rewritten("interface B<in out T extends X, out U> {}"), "interface B<       T extends X,     U> {}");
        assert_eq!(rewritten("type F<out T> = T;"), "type F<    T> = T;");
        assert_eq!(
            rewritten("let n: import('./x').Y<string, (a: A) => B>;"),
            "let n: import('./x').Y                     ;"
        );
        // A generic call signature on its own line after another member.
        assert_eq!(
            rewritten("type F = {\n  <A>(a: A): X<A>\n  <B>(b: B): Y\n}"),
            "type F = {\n  <A>(a: A): X<A>\n ;<B>(b: B): Y\n}"
        );
        assert_eq!(
            rewritten("type F = {\n  <A>(a: A): X<A>\n  /**\n   * B.\n   */\n  <B>(b: B): Y\n}"),
            "type F = {\n  <A>(a: A): X<A>\n  /**\n   * B.\n   */\n ;<B>(b: B): Y\n}"
        );
        assert_eq!(
            rewritten("type F = {\n  (a: A): X<A>\n  // ---\n  <\n    B\n  >(b: B): Y\n}"),
            "type F = {\n  (a: A): X<A>\n  // ---\n ;<\n    B\n  >(b: B): Y\n}"
        );
        assert_eq!(
            rewritten("type F = {\r\n  (a: A): B\r\n\t<B>(b: B): Y }"),
            "type F = {\r\n  (a: A): B\r\n;<B>(b: B): Y }"
        );
        // Lookalikes stay.
        for text in [
            "const f =\n  <T>(x: T) => x;",
            "const g = (a) =>\n  <T>(x: T) => x;",
            "const h = a ||\n  <T>(x: T) => x;",
            "type F = {\n<B>(b: B): Y }",
            "type F = {\n  <div>text</div> }",
            "export type { A } from './a';",
            "for (const k in obj) {}",
            "f(a, in_b);",
            "<input value={x} />",
            "const s = \"<out of range>\";",
            "import('./x').then(m => m);",
        ] {
            assert_eq!(rewritten(text), text);
        }
    }
}
