//! The schema and read queries of the two stores that run on SQLite's engine: the
//! embedded SQLite store and Cloudflare D1. One text serves both, so they cannot drift.

/// The tables, created by [`SCHEMA`].
pub(crate) const SCHEMA: &str = include_str!("../sql/sqlite_schema.sql");

/// The version of [`SCHEMA`], stored in `meta`. A database holding another is rebuilt.
/// Version 2 named files by integer ids from `paths` instead of by path.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// Every table [`SCHEMA`] creates, for dropping them on a rebuild.
pub(crate) const TABLES: [&str; 9] = [
    "meta",
    "paths",
    "unused_path_candidates",
    "files",
    "edges",
    "unresolved",
    "definitions",
    "calls",
    "project_files",
];

/// Records the schema version `?1` and extractors fingerprint `?2` in a new database.
pub(crate) const RECORD_VERSIONS: &str =
    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('extractors', ?2)";

/// The tables holding a file's rows, and the column holding the file's id.
pub(crate) const FILE_TABLES: [(&str, &str); 5] =
    [("files", "id"), ("edges", "src"), ("unresolved", "src"), ("definitions", "file"), ("calls", "file")];

/// The values of the JSON array `?1`, as a subquery's text.
pub(crate) const VALUES_IN_JSON: &str = "SELECT value FROM json_each(?1)";

/// The ids of the paths the subquery `paths` yields, as a subquery's text.
pub(crate) fn ids_of_paths(paths: &str) -> String {
    format!("SELECT id FROM paths WHERE path IN ({paths})")
}

/// The id of the path the SQL expression `path` gives, as a scalar subquery.
pub(crate) fn path_id(path: &str) -> String {
    format!("(SELECT id FROM paths WHERE path = {path})")
}

/// Deletes from `table` the rows of the files whose path ids the subquery `ids` yields:
/// one statement however many files a change set replaces.
pub(crate) fn delete_rows_of_files(table: &str, column: &str, ids: &str) -> String {
    format!("DELETE FROM {table} WHERE {column} IN ({ids})")
}

/// Notes as candidates for forgetting the paths whose ids the subquery `ids` yields and
/// the targets of their files' edges: the paths a change set replacing those files may
/// leave unused. Run before the replaced rows are deleted.
pub(crate) fn note_path_candidates(ids: &str) -> String {
    format!(
        "INSERT OR IGNORE INTO unused_path_candidates (id)
         SELECT id FROM paths WHERE id IN ({ids})
         UNION SELECT dst FROM edges WHERE src IN ({ids})"
    )
}

/// Deletes the candidate paths that no file and no edge names any more, then the
/// candidates: run at the end of a change set.
pub(crate) const FORGET_UNUSED_PATHS: [&str; 2] = [
    "DELETE FROM paths WHERE id IN (SELECT id FROM unused_path_candidates)
       AND NOT EXISTS (SELECT 1 FROM files WHERE files.id = paths.id)
       AND NOT EXISTS (SELECT 1 FROM edges WHERE edges.dst = paths.id)",
    "DELETE FROM unused_path_candidates",
];

/// The files that import `?1`.
pub(crate) const DEPENDENTS: &str = "SELECT DISTINCT source.path FROM edges
   JOIN paths AS source ON source.id = edges.src
 WHERE edges.dst = (SELECT id FROM paths WHERE path = ?1)
 ORDER BY source.path";

/// The files that use name `?2` from `?1`, by name or by using the module wholesale.
pub(crate) const USERS_OF: &str = "SELECT DISTINCT source.path FROM edges
   JOIN paths AS source ON source.id = edges.src
 WHERE edges.dst = (SELECT id FROM paths WHERE path = ?1)
   AND (edges.names IS NULL OR EXISTS (SELECT 1 FROM json_each(edges.names) WHERE value = ?2))
 ORDER BY source.path";

/// Every definition of name `?1`: file, name, kind, line, exported.
pub(crate) const DEFINITIONS: &str = "SELECT paths.path, definitions.name, definitions.kind, definitions.line,
        definitions.exported
   FROM definitions JOIN paths ON paths.id = definitions.file
  WHERE definitions.name = ?1";

/// Every edge, file by file in order: src, dst, kind, line, names. Every column has a
/// name of its own: a client that reads rows as objects keyed by column name (D1's
/// Worker binding does) would otherwise lose one of the two paths.
pub(crate) const EDGES_BY_FILE: &str =
    "SELECT source.path AS src, target.path AS dst, edges.kind, edges.line, edges.names
   FROM edges
   JOIN paths AS source ON source.id = edges.src
   JOIN paths AS target ON target.id = edges.dst";

/// Every unresolved import, file by file in order: src, specifier, line, external.
pub(crate) const UNRESOLVED_BY_FILE: &str = "SELECT source.path, unresolved.specifier, unresolved.line,
        unresolved.external
   FROM unresolved JOIN paths AS source ON source.id = unresolved.src";

/// The schema's statements one by one, for a client that sends them separately. The
/// schema has no triggers, so every statement ends with a semicolon at a line's end.
pub(crate) fn schema_statements() -> impl Iterator<Item = &'static str> {
    SCHEMA.split(";\n").map(str::trim).filter(|statement| {
        statement.lines().any(|line| !line.trim().is_empty() && !line.trim_start().starts_with("--"))
    })
}

/// The schema's secondary indexes: (name, `CREATE INDEX` statement). A bulk write drops
/// them and builds them again afterwards, which is several times faster than keeping
/// them up to date row by row.
pub(crate) fn secondary_indexes() -> impl Iterator<Item = (&'static str, &'static str)> {
    schema_statements().filter_map(|statement| {
        let create = statement.lines().find(|line| line.starts_with("CREATE INDEX "))?;
        let name = create.strip_prefix("CREATE INDEX ")?.split_whitespace().next()?;
        Some((name, create.trim_end_matches(';')))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_secondary_index_is_found() {
        let names: Vec<&str> = super::secondary_indexes().map(|(name, _)| name).collect();
        assert_eq!(names, ["edges_by_dst", "unresolved_by_specifier", "definitions_by_name", "calls_by_name"]);
        for (name, create) in super::secondary_indexes() {
            assert!(create.starts_with(&format!("CREATE INDEX {name} ON ")) && !create.ends_with(';'), "{create}");
        }
    }
}
