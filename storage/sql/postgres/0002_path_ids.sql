-- Thread's PostgreSQL schema, migration 2: rows name files by integer ids from
-- `thread_paths` instead of repeating their workspace and path. Keyed and indexed by
-- integers, a million edges take a fraction of the space and of the comparisons.
--
-- The rows of migration 1 are derived data: they are dropped here, and each workspace
-- is indexed again on its next start.
DROP TABLE thread_files, thread_edges, thread_unresolved, thread_definitions, thread_calls;
DELETE FROM thread_project_files;
DELETE FROM thread_workspaces;
ALTER TABLE thread_workspaces ADD COLUMN id INTEGER GENERATED ALWAYS AS IDENTITY UNIQUE;

-- Every path a workspace's rows name: its files and their edges' targets. A path stays
-- exactly while a file or an edge names it. Ids are unique across workspaces, so the
-- tables below need no workspace column.
CREATE TABLE thread_paths (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace INTEGER NOT NULL,
    path TEXT NOT NULL,
    UNIQUE (workspace, path)
);

CREATE TABLE thread_files (
    id BIGINT PRIMARY KEY,
    lang TEXT NOT NULL,
    content TEXT NOT NULL,
    size BIGINT,
    mtime_ns BIGINT,
    facts BYTEA NOT NULL
);

CREATE TABLE thread_edges (
    src BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    dst BIGINT NOT NULL,
    kind TEXT NOT NULL,
    line INTEGER NOT NULL,
    -- A JSON array of the names used, or NULL when the module is used wholesale.
    names JSONB,
    PRIMARY KEY (src, seq)
);
CREATE INDEX thread_edges_by_dst ON thread_edges (dst, src);

CREATE TABLE thread_unresolved (
    src BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    specifier TEXT NOT NULL,
    line INTEGER NOT NULL,
    external BOOLEAN NOT NULL,
    PRIMARY KEY (src, seq)
);

CREATE TABLE thread_definitions (
    file BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    line INTEGER NOT NULL,
    exported BOOLEAN NOT NULL,
    PRIMARY KEY (file, seq)
);
CREATE INDEX thread_definitions_by_name ON thread_definitions (name);

CREATE TABLE thread_calls (
    file BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    callee TEXT NOT NULL,
    name TEXT NOT NULL,
    line INTEGER NOT NULL,
    caller TEXT,
    PRIMARY KEY (file, seq)
);
CREATE INDEX thread_calls_by_name ON thread_calls (name);
