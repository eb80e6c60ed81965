-- Thread's schema for SQLite and Cloudflare D1 (which is SQLite). Paths are
-- workspace-relative; fingerprints are hex text; `seq` orders a file's rows.
--
-- Rows name files by an integer id from `paths`, not by their path: a million edges
-- keyed and indexed by two integers take a third of the space and time of two paths.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Every path a row names: the stored files and their edges' targets. A path stays
-- exactly while a file or an edge names it.
CREATE TABLE paths (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
) STRICT;

-- Within a change set: the paths that may lose their last use, checked at its end.
-- Empty between change sets.
CREATE TABLE unused_path_candidates (
    id INTEGER PRIMARY KEY
) STRICT;

CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    lang TEXT NOT NULL,
    content TEXT NOT NULL,
    size INTEGER,
    mtime_ns INTEGER,
    facts BLOB NOT NULL
) STRICT;

CREATE TABLE edges (
    src INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    dst INTEGER NOT NULL,
    kind TEXT NOT NULL,
    line INTEGER NOT NULL,
    -- A JSON array of the names used, or NULL when the module is used wholesale.
    names TEXT,
    PRIMARY KEY (src, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX edges_by_dst ON edges (dst, src);

CREATE TABLE unresolved (
    src INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    specifier TEXT NOT NULL,
    line INTEGER NOT NULL,
    external INTEGER NOT NULL,
    PRIMARY KEY (src, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX unresolved_by_specifier ON unresolved (specifier);

CREATE TABLE definitions (
    file INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    line INTEGER NOT NULL,
    exported INTEGER NOT NULL,
    PRIMARY KEY (file, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX definitions_by_name ON definitions (name);

CREATE TABLE calls (
    file INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    callee TEXT NOT NULL,
    name TEXT NOT NULL,
    line INTEGER NOT NULL,
    caller TEXT,
    PRIMARY KEY (file, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX calls_by_name ON calls (name);

CREATE TABLE project_files (
    path TEXT PRIMARY KEY,
    text TEXT NOT NULL
) STRICT;
