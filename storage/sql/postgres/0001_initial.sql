-- Thread's PostgreSQL schema, migration 1. Several workspaces share one database: every
-- row carries its workspace. Paths are workspace-relative; fingerprints are hex text.

-- One row per workspace: the extractors' fingerprint its rows were computed with. A
-- different fingerprint means the workspace's rows are stale and are cleared.
CREATE TABLE thread_workspaces (
    workspace TEXT PRIMARY KEY,
    extractors TEXT NOT NULL
);

CREATE TABLE thread_files (
    workspace TEXT NOT NULL,
    path TEXT NOT NULL,
    lang TEXT NOT NULL,
    content TEXT NOT NULL,
    size BIGINT,
    mtime_ns BIGINT,
    facts BYTEA NOT NULL,
    PRIMARY KEY (workspace, path)
);

CREATE TABLE thread_edges (
    workspace TEXT NOT NULL,
    src TEXT NOT NULL,
    seq INTEGER NOT NULL,
    dst TEXT NOT NULL,
    kind TEXT NOT NULL,
    line INTEGER NOT NULL,
    -- A JSON array of the names used, or NULL when the module is used wholesale.
    names JSONB,
    PRIMARY KEY (workspace, src, seq)
);
CREATE INDEX thread_edges_by_dst ON thread_edges (workspace, dst, src);

CREATE TABLE thread_unresolved (
    workspace TEXT NOT NULL,
    src TEXT NOT NULL,
    seq INTEGER NOT NULL,
    specifier TEXT NOT NULL,
    line INTEGER NOT NULL,
    external BOOLEAN NOT NULL,
    PRIMARY KEY (workspace, src, seq)
);

CREATE TABLE thread_definitions (
    workspace TEXT NOT NULL,
    file TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    line INTEGER NOT NULL,
    exported BOOLEAN NOT NULL,
    PRIMARY KEY (workspace, file, seq)
);
CREATE INDEX thread_definitions_by_name ON thread_definitions (workspace, name);

CREATE TABLE thread_calls (
    workspace TEXT NOT NULL,
    file TEXT NOT NULL,
    seq INTEGER NOT NULL,
    callee TEXT NOT NULL,
    name TEXT NOT NULL,
    line INTEGER NOT NULL,
    caller TEXT,
    PRIMARY KEY (workspace, file, seq)
);
CREATE INDEX thread_calls_by_name ON thread_calls (workspace, name);

CREATE TABLE thread_project_files (
    workspace TEXT NOT NULL,
    path TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (workspace, path)
);
