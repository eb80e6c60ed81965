//! Workspace-relative path arithmetic on `/`-separated strings.
//!
//! Resolution works on the workspace's own path strings, never on the host filesystem,
//! so these helpers never touch the disk and never escape the workspace root.

/// The directory part of `path`: `a/b/c.py` → `a/b`, `c.py` → ``.
pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |slash| &path[..slash])
}

/// The last component of `path`.
pub(crate) fn file_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |slash| &path[slash + 1..])
}

/// Joins `relative` onto `base` and normalises `.` and `..`. `None` when `..` climbs above
/// the workspace root.
pub(crate) fn join(base: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> =
        if relative.starts_with('/') { Vec::new() } else { base.split('/').filter(|part| !part.is_empty()).collect() };
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// `dir` + `/` + `name`, without a leading slash when `dir` is the root.
pub(crate) fn child(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") }
}

/// The directories from `dir` up to the workspace root, innermost first (root is ``).
pub(crate) fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(dir);
    std::iter::from_fn(move || {
        let current = next?;
        next = if current.is_empty() { None } else { Some(parent(current)) };
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_normalises() {
        assert_eq!(join("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join("a/b", "./c/./d").as_deref(), Some("a/b/c/d"));
        assert_eq!(join("", "x").as_deref(), Some("x"));
        assert_eq!(join("a", "../..").as_deref(), None);
        assert_eq!(join("a", "..").as_deref(), Some(""));
    }

    #[test]
    fn walks_ancestors_to_the_root() {
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), ["a/b", "a", ""]);
        assert_eq!(ancestors("").collect::<Vec<_>>(), [""]);
    }
}
