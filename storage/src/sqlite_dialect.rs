//! The schema and read queries of the two stores that run on SQLite's engine: the
//! embedded SQLite store and Cloudflare D1. One text serves both, so they cannot drift.

/// The tables, created by [`SCHEMA`].
pub(crate) const SCHEMA: &str = include_str!("../sql/sqlite_schema.sql");

/// Every table [`SCHEMA`] creates, for dropping them on a rebuild.
pub(crate) const TABLES: [&str; 7] = ["meta", "files", "edges", "unresolved", "definitions", "calls", "project_files"];

/// Records the schema version `?1` and extractors fingerprint `?2` in a new database.
pub(crate) const RECORD_VERSIONS: &str =
    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('extractors', ?2)";

/// The tables holding a file's rows, and the column naming the file.
pub(crate) const FILE_TABLES: [(&str, &str); 5] =
    [("files", "path"), ("edges", "src"), ("unresolved", "src"), ("definitions", "file"), ("calls", "file")];

/// Deletes from `table` the rows of the files named in the JSON array `?1`: one
/// statement however many files a change set replaces.
pub(crate) fn delete_rows_of_files(table: &str, column: &str) -> String {
    format!("DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each(?1))")
}

/// The files that import `?1`.
pub(crate) const DEPENDENTS: &str = "SELECT DISTINCT src FROM edges WHERE dst = ?1 ORDER BY src";

/// The files that use name `?2` from `?1`, by name or by using the module wholesale.
pub(crate) const USERS_OF: &str = "SELECT DISTINCT src FROM edges WHERE dst = ?1
   AND (names IS NULL OR EXISTS (SELECT 1 FROM json_each(edges.names) WHERE value = ?2))
 ORDER BY src";

/// Every definition of name `?1`: file, name, kind, line, exported.
pub(crate) const DEFINITIONS: &str = "SELECT file, name, kind, line, exported FROM definitions WHERE name = ?1";

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
