//! Flattening of Rust use trees into one path per imported item.
//!
//! `use a::{b, c::{self, d as e}, f::*};` names four things; a query can find the tree but
//! not distribute the prefix over nested groups, so this small walk does. It keeps an
//! explicit stack: use trees are shallow, but nothing here recurses on user input.

use tree_sitter::Node;

use crate::facts::Span;
use crate::text::{compact_text, node_text};

/// One flattened leaf of a use tree.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UsePath {
    /// The full path, `::`-separated: `crate::a::b`. A trailing `self` is dropped.
    pub(crate) path: String,
    /// The local name, for `path as alias`.
    pub(crate) alias: Option<String>,
    /// `path::*`.
    pub(crate) wildcard: bool,
    /// Where this leaf is written.
    pub(crate) span: Span,
}

/// Flattens the use tree rooted at `root` (a `use_declaration`'s argument).
pub(crate) fn flatten(root: Node<'_>, source: &[u8]) -> Vec<UsePath> {
    let mut leaves = Vec::new();
    let mut stack = vec![(root, String::new())];
    while let Some((node, prefix)) = stack.pop() {
        match node.kind() {
            "use_list" => {
                let mut cursor = node.walk();
                // Pushed in reverse so leaves come out in source order.
                let children: Vec<_> = node.named_children(&mut cursor).collect();
                for child in children.into_iter().rev() {
                    stack.push((child, prefix.clone()));
                }
            }
            "scoped_use_list" => {
                let nested_prefix = match node.child_by_field_name("path") {
                    Some(path) => join(&prefix, &compact_text(path, source)),
                    None => prefix,
                };
                if let Some(list) = node.child_by_field_name("list") {
                    stack.push((list, nested_prefix));
                }
            }
            "use_as_clause" => {
                if let Some(path) = node.child_by_field_name("path") {
                    leaves.push(UsePath {
                        path: join_leaf(&prefix, &compact_text(path, source)),
                        alias: node.child_by_field_name("alias").map(|alias| node_text(alias, source)),
                        wildcard: false,
                        span: Span::of(&path),
                    });
                }
            }
            "use_wildcard" => {
                let path = node.named_child(0).map(|path| compact_text(path, source));
                leaves.push(UsePath {
                    path: match path {
                        Some(path) => join(&prefix, &path),
                        None => prefix,
                    },
                    alias: None,
                    wildcard: true,
                    span: Span::of(&node),
                });
            }
            // A path: identifier, scoped_identifier, crate, self, super.
            _ => leaves.push(UsePath {
                path: join_leaf(&prefix, &compact_text(node, source)),
                alias: None,
                wildcard: false,
                span: Span::of(&node),
            }),
        }
    }
    leaves
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}::{path}"),
    }
}

/// Joins a leaf; `{self}` inside a group names the group's prefix itself.
fn join_leaf(prefix: &str, path: &str) -> String {
    if path == "self" && !prefix.is_empty() { prefix.to_owned() } else { join(prefix, path) }
}
