//! Running one D1 request against SQLite the way D1 does: the body is one statement or
//! a batch, the whole request is one transaction, transactions inside it are refused,
//! and SQLite itself enforces D1's limits on parameters, statement length and value
//! size, so the errors carry SQLite's own messages as D1's do.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use fallible_iterator::FallibleIterator;
use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::{Map, Value, json};

/// Bound parameters per statement.
pub const MAX_BOUND_PARAMETERS: i32 = 100;
/// Bytes of SQL per statement.
pub const MAX_STATEMENT_BYTES: i32 = 100_000;
/// Bytes per string, BLOB or row.
pub const MAX_VALUE_BYTES: i32 = 2_000_000;

/// D1's code for an error SQLite raised while running the request.
pub const SQL_ERROR_CODE: u32 = 7500;
/// D1's code for a body that is not a query or a batch.
pub const MALFORMED_CODE: u32 = 7400;

/// D1's refusal of `BEGIN`, `SAVEPOINT` and the like: a request is already a transaction.
const TRANSACTION_REFUSED: &str = "D1_ERROR: To execute a transaction, please use the state.storage.transaction() \
     or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The \
     JavaScript API is safer because it will automatically roll back on exceptions, and because it interacts \
     correctly with Durable Objects' automatic atomic write coalescing.";

/// How rows come back: `/query` gives objects keyed by column, `/raw` gives
/// `{columns, rows}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `/query`.
    Objects,
    /// `/raw`.
    Raw,
}

/// The largest integer a JavaScript number holds exactly. D1 runs in JavaScript, so
/// numbers beyond it, in parameters and in results, come back rounded.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// One statement of a request.
#[derive(Debug)]
pub(crate) struct Statement {
    sql: String,
    params: Vec<SqlValue>,
}

/// Why a request failed, with D1's code for it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The body is not `{sql, params}` or `{batch: [...]}`.
    #[error("{0}")]
    Malformed(String),
    /// A parameter D1 cannot bind (an object or array); D1 reports it as a SQL error.
    #[error("D1_TYPE_ERROR: Type 'object' not supported for value '{0}'")]
    ParameterType(String),
    /// SQLite refused a statement; the message is D1's `D1_ERROR: ...` text.
    #[error("{0}")]
    Sql(String),
}

impl Failure {
    pub(crate) fn code(&self) -> u32 {
        match self {
            Failure::Malformed(_) => MALFORMED_CODE,
            Failure::Sql(_) | Failure::ParameterType(_) => SQL_ERROR_CODE,
        }
    }
}

/// Reads a request body: `{"sql", "params"}` or `{"batch": [{"sql", "params"}, ...]}`.
pub(crate) fn parse_body(body: &[u8]) -> Result<Vec<Statement>, Failure> {
    let malformed = |why: &str| Failure::Malformed(format!("The request is malformed: {why}"));
    let value: Value = serde_json::from_slice(body).map_err(|error| malformed(&error.to_string()))?;
    let Value::Object(object) = value else {
        return Err(malformed("expected a JSON object"));
    };
    match object.get("batch") {
        Some(Value::Array(entries)) => entries
            .iter()
            .map(|entry| match entry {
                Value::Object(entry) => statement(entry),
                _ => Err(malformed("each batch entry must be an object with sql and params")),
            })
            .collect(),
        Some(_) => Err(malformed("batch must be an array")),
        None => Ok(vec![statement(&object)?]),
    }
}

fn statement(object: &Map<String, Value>) -> Result<Statement, Failure> {
    let malformed = |why: &str| Failure::Malformed(format!("The request is malformed: {why}"));
    let Some(Value::String(sql)) = object.get("sql") else {
        return Err(malformed("sql must be a string"));
    };
    let params = match object.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(params)) => params.iter().map(parameter).collect::<Result<_, _>>()?,
        Some(_) => return Err(malformed("params must be an array")),
    };
    Ok(Statement { sql: sql.clone(), params })
}

fn parameter(value: &Value) -> Result<SqlValue, Failure> {
    Ok(match value {
        Value::Null => SqlValue::Null,
        Value::Bool(flag) => SqlValue::Integer(i64::from(*flag)),
        Value::Number(number) => match number.as_i64() {
            Some(integer) if integer.abs() <= MAX_SAFE_INTEGER => SqlValue::Integer(integer),
            // What a JavaScript number makes of it.
            _ => match number.as_f64().unwrap_or(f64::NAN) {
                real if real.fract() == 0.0 && real.abs() < 9.2e18 => SqlValue::Integer(real as i64),
                real => SqlValue::Real(real),
            },
        },
        Value::String(text) => SqlValue::Text(text.clone()),
        Value::Array(_) => return Err(Failure::ParameterType(value.to_string())),
        Value::Object(_) => return Err(Failure::ParameterType("[object Object]".to_owned())),
    })
}

/// Applies D1's limits to a connection.
pub(crate) fn apply_limits(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER, MAX_BOUND_PARAMETERS)?;
    connection.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, MAX_STATEMENT_BYTES)?;
    connection.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)?;
    Ok(())
}

/// Runs a request's statements in one transaction: all of them or none. Returns one
/// result object per statement, in D1's shape.
pub(crate) fn run(
    connection: &mut Connection,
    statements: &[Statement],
    format: Format,
) -> Result<Vec<Value>, Failure> {
    connection.execute_batch("BEGIN IMMEDIATE").map_err(sql_failure)?;
    // Installed after our own BEGIN: from here on, the request may not open or end one.
    let refused = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&refused);
    let installed = connection.authorizer(Some(move |context: AuthContext<'_>| match context.action {
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
            flag.store(true, Ordering::Relaxed);
            Authorization::Deny
        }
        _ => Authorization::Allow,
    }));
    let outcome = installed.map_err(sql_failure).and_then(|()| {
        let mut results = Vec::new();
        for statement in statements {
            results.extend(run_one(connection, statement, format)?);
        }
        Ok(results)
    });
    let removed = connection.authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
    let outcome = outcome.and_then(|results| removed.map(|()| results).map_err(sql_failure));
    let outcome = outcome.map_err(|failure| {
        if refused.load(Ordering::Relaxed) { Failure::Sql(TRANSACTION_REFUSED.to_owned()) } else { failure }
    });
    let end = if outcome.is_ok() { "COMMIT" } else { "ROLLBACK" };
    connection.execute_batch(end).map_err(sql_failure)?;
    outcome
}

/// Runs one entry of a request. Its text may hold several statements; each gives one
/// result, as in D1.
fn run_one(connection: &Connection, statement: &Statement, format: Format) -> Result<Vec<Value>, Failure> {
    let mut results = Vec::new();
    let mut batch = rusqlite::Batch::new(connection, &statement.sql);
    loop {
        let started = Instant::now();
        let Some(mut prepared) = batch.next().map_err(sql_failure)? else {
            return Ok(results);
        };
        // Parameters bind to every statement of the text that takes any.
        if prepared.parameter_count() > 0 {
            if statement.params.len() != prepared.parameter_count() {
                // D1 checks this itself, so its message has no SQLite code.
                return Err(Failure::Sql("D1_ERROR: Wrong number of parameter bindings for SQL query.".to_owned()));
            }
            for (index, value) in statement.params.iter().enumerate() {
                prepared.raw_bind_parameter(index + 1, value).map_err(sql_failure)?;
            }
        }
        let changes_before = connection.total_changes();
        let columns: Vec<String> = prepared.column_names().map(str::to_owned).collect();
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut cursor = prepared.raw_query();
        while let Some(row) = cursor.next().map_err(sql_failure)? {
            let values: rusqlite::Result<Vec<Value>> =
                (0..columns.len()).map(|index| row.get_ref(index).map(json_value)).collect();
            rows.push(values.map_err(sql_failure)?);
        }
        drop(cursor);
        let changes = connection.total_changes() - changes_before;
        results.push(result(connection, format, columns, rows, changes, started));
    }
}

/// One statement's result in D1's shape, with its `meta`.
fn result(
    connection: &Connection,
    format: Format,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    changes: u64,
    started: Instant,
) -> Value {
    let size_after = connection
        .query_row("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", [], |row| {
            row.get::<_, i64>(0)
        })
        .unwrap_or(0);
    let duration = started.elapsed().as_secs_f64() * 1000.0;
    let meta = json!({
        "served_by": "thread-d1-emulator",
        "served_by_primary": true,
        "total_attempts": 1,
        "timings": { "sql_duration_ms": duration },
        "duration": duration,
        "changes": changes,
        "last_row_id": connection.last_insert_rowid(),
        "changed_db": changes > 0,
        "size_after": size_after,
        "rows_read": rows.len(),
        "rows_written": changes,
    });
    let results = match format {
        Format::Raw => json!({ "columns": columns, "rows": rows }),
        Format::Objects => Value::Array(
            rows.into_iter().map(|row| Value::Object(columns.iter().cloned().zip(row).collect())).collect(),
        ),
    };
    json!({ "results": results, "success": true, "meta": meta })
}

fn json_value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        // Through a JavaScript number, as D1 hands results over.
        ValueRef::Integer(integer) if integer.abs() <= MAX_SAFE_INTEGER => Value::from(integer),
        ValueRef::Integer(integer) => Value::from((integer as f64) as i64),
        ValueRef::Real(real) if real.fract() == 0.0 && real.abs() <= MAX_SAFE_INTEGER as f64 => {
            Value::from(real as i64)
        }
        ValueRef::Real(real) => Value::from(real),
        ValueRef::Text(text) => Value::from(String::from_utf8_lossy(text).into_owned()),
        // D1 returns a BLOB as an array of its bytes.
        ValueRef::Blob(bytes) => Value::Array(bytes.iter().map(|byte| Value::from(*byte)).collect()),
    }
}

/// D1's text for a SQLite error: `D1_ERROR: <message>: SQLITE_<CODE>`.
fn sql_failure(error: rusqlite::Error) -> Failure {
    let (message, code) = match &error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let message = message.clone().unwrap_or_else(|| failure.to_string());
            (message, code_name(failure.extended_code & 0xff))
        }
        other => (other.to_string(), "SQLITE_ERROR"),
    };
    Failure::Sql(format!("D1_ERROR: {message}: {code}"))
}

fn code_name(primary: i32) -> &'static str {
    match primary {
        5 => "SQLITE_BUSY",
        9 => "SQLITE_INTERRUPT",
        13 => "SQLITE_FULL",
        18 => "SQLITE_TOOBIG",
        19 => "SQLITE_CONSTRAINT",
        20 => "SQLITE_MISMATCH",
        23 => "SQLITE_AUTH",
        25 => "SQLITE_RANGE",
        _ => "SQLITE_ERROR",
    }
}
