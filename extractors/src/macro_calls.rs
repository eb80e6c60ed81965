//! Calls written inside macro arguments.
//!
//! tree-sitter does not parse a macro's arguments: `assert_eq!(parse(x), y)` is the macro's
//! name and a token tree of identifiers, punctuation and nested token trees, so no query
//! sees the call of `parse`. This reads calls back out of the tokens: a path (`f`,
//! `a::b::f`, `Self::new`, `x.y.m`) followed by a parenthesised token tree is a call of
//! that path. A path after an expression (`f(x).m(…)`, `x?.m(…)`) has no receiver this can
//! name and is left out, as are a nested macro (`name!(…)`: `!` is no path segment), a
//! keyword (`if (…)`, `match (…)`), a name being declared (`fn f(…)`, `struct S(…)`) and
//! attributes (`#[cfg(unix)]`). Which node kinds these are is the language table's business
//! ([`MacroArguments`]); macro definitions are never read, since their bodies are patterns.

use tree_sitter::Node;

use crate::facts::{Call, Span};

/// Where a language writes calls that its grammar leaves as tokens.
pub(crate) struct MacroArguments {
    /// The node of a macro call (`macro_invocation`).
    pub(crate) invocation: &'static str,
    /// Its arguments, and every bracketed group inside them (`token_tree`).
    pub(crate) tokens: &'static str,
    /// Where a macro call stands for items: its parent's kind, and the kind that parent's
    /// own parent must have, if any (a `declaration_list` of a `mod_item`). There its
    /// arguments are read as items when they parse as such.
    pub(crate) item_parents: &'static [(&'static str, Option<&'static str>)],
    /// Node kinds that can be a path segment (`identifier`, `self`, `crate`, `super`).
    pub(crate) segments: &'static [&'static str],
    /// Words that look like names before parentheses but are not calls.
    pub(crate) keywords: &'static [&'static str],
    /// Words after which a name is declared, not called (`fn f(…)`, `struct S(…)`).
    pub(crate) declares: &'static [&'static str],
    /// Tokens that open an attribute, whose bracketed group holds no calls (`#[cfg(x)]`).
    pub(crate) attribute: &'static [&'static str],
}

/// Appends the calls inside `invocation`'s arguments to `calls`.
pub(crate) fn collect(spec: &MacroArguments, invocation: Node<'_>, source: &[u8], calls: &mut Vec<Call>) {
    let mut cursor = invocation.walk();
    let mut trees: Vec<Node<'_>> =
        invocation.children(&mut cursor).filter(|child| child.kind() == spec.tokens).collect();
    while let Some(tree) = trees.pop() {
        let children: Vec<Node<'_>> = {
            let mut cursor = tree.walk();
            tree.children(&mut cursor).collect()
        };
        for (index, child) in children.iter().enumerate() {
            if child.kind() != spec.tokens {
                continue;
            }
            let before = |back: usize| index.checked_sub(back).and_then(|at| text_of(&children[at], source));
            if before(1).is_some_and(|token| spec.attribute.contains(&token))
                || (before(1) == Some("!") && before(2).is_some_and(|token| spec.attribute.contains(&token)))
            {
                continue;
            }
            trees.push(*child);
            if source.get(child.start_byte()) == Some(&b'(')
                && let Some(call) = call_before(spec, &children[..index], source)
            {
                calls.push(call);
            }
        }
    }
}

/// The call whose callee path ends the tokens `before` (the arguments come next).
fn call_before(spec: &MacroArguments, before: &[Node<'_>], source: &[u8]) -> Option<Call> {
    let text = |node: &Node<'_>| text_of(node, source);
    let mut end = before.len();
    // A turbofish, `f::<T>(…)`, belongs to the path but not to its text.
    if end >= 2 && text(&before[end - 1]) == Some(">") {
        let mut depth = 0usize;
        while end > 0 {
            end -= 1;
            match text(&before[end]) {
                Some(">") => depth += 1,
                Some("<") => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
        if end == 0 || text(&before[end - 1]) != Some("::") {
            return None;
        }
        end -= 1;
    }
    let mut segments: Vec<Node<'_>> = Vec::new();
    let mut separators: Vec<&str> = Vec::new();
    loop {
        let segment = before.get(end.checked_sub(1)?)?;
        if !spec.segments.contains(&segment.kind()) {
            return None;
        }
        segments.push(*segment);
        end -= 1;
        match end.checked_sub(1).and_then(|index| text(&before[index])) {
            Some(separator @ ("::" | ".")) => {
                separators.push(separator);
                end -= 1;
            }
            // Anything else (a comma, an operator, `!` negating, the start) ends the path.
            _ => break,
        }
    }
    let first = segments.last()?;
    if segments.len() == 1 && spec.keywords.contains(&text(first)?) {
        return None;
    }
    if end.checked_sub(1).and_then(|index| text(&before[index])).is_some_and(|word| spec.declares.contains(&word)) {
        return None;
    }
    let last = segments.first()?;
    let mut callee = String::new();
    for (position, segment) in segments.iter().rev().enumerate() {
        if position > 0 {
            callee.push_str(separators[segments.len() - 1 - position]);
        }
        callee.push_str(text(segment)?);
    }
    Some(Call { name: text(last)?.into(), callee: callee.into(), caller: None, span: Span::between(first, last) })
}

fn text_of<'s>(node: &Node<'_>, source: &'s [u8]) -> Option<&'s str> {
    std::str::from_utf8(source.get(node.byte_range())?).ok()
}
