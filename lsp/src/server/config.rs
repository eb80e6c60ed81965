//! The server's settings, from `initializationOptions` (and later
//! `workspace/didChangeConfiguration`): which store, what to walk, how severe each
//! diagnostic is. Each setting is read on its own: a malformed value falls back to its
//! default and is reported by name, the valid ones are kept, and unknown keys, unknown
//! diagnostic codes and misspelt severities are reported too.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use thread_engine::LoadOptions;
use tower_lsp_server::ls_types::DiagnosticSeverity;

use crate::cli::{StoreArgs, StoreKind};

/// Everything a client may set; [`SETTINGS`] names them on the wire (camelCase).
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    /// `sqlite` (default), `memory`, `postgres` or `d1`.
    pub(crate) store: Option<String>,
    /// The SQLite database file.
    pub(crate) database: Option<PathBuf>,
    /// The directory for per-workspace SQLite databases.
    pub(crate) cache_dir: Option<PathBuf>,
    /// The PostgreSQL URL; `DATABASE_URL` when absent.
    pub(crate) database_url: Option<String>,
    /// This workspace's name in a shared PostgreSQL database.
    pub(crate) workspace_name: Option<String>,
    /// D1's account, database and API base; the token comes from `CF_API_TOKEN` only.
    pub(crate) d1: D1Settings,
    /// More directory names to skip, beyond the built-in ones.
    pub(crate) exclude: Vec<String>,
    /// Skip source files larger than this many bytes.
    pub(crate) max_file_size: Option<u64>,
    /// Honour `.gitignore` and `.ignore` (default true).
    pub(crate) respect_gitignore: Option<bool>,
    /// Severity per diagnostic code: `error`, `warning`, `information`, `hint` or `off`.
    pub(crate) severities: BTreeMap<String, String>,
    /// Milliseconds the analysis waits after an edit for more before it starts. The
    /// default, 0, analyses an edit at once and merges only what arrives meanwhile.
    pub(crate) debounce: u64,
}

/// An optional text field of [`D1Settings`], with an empty or blank value read as unset.
fn non_empty<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: From<String>,
{
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.filter(|value| !value.trim().is_empty()).map(T::from))
}

/// The D1 part of [`Settings`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub(crate) struct D1Settings {
    #[serde(deserialize_with = "non_empty")]
    pub(crate) account_id: Option<String>,
    #[serde(deserialize_with = "non_empty")]
    pub(crate) database_id: Option<String>,
    #[serde(deserialize_with = "non_empty")]
    pub(crate) api_url: Option<String>,
}

/// The diagnostic codes whose severity a user may set.
pub(crate) const DIAGNOSTIC_CODES: &[&str] =
    &["unresolved-import", "import-cycle", "broken-import", "impact", "rule-violation"];

/// The severities a user may give, `off` included.
const SEVERITIES: &[&str] = &["error", "warning", "information", "info", "hint", "off"];

/// How one setting is read into [`Settings`]: its wire name, and what takes its value.
type Reader = fn(&mut Settings, serde_json::Value) -> Result<(), String>;

/// Every setting, by its name on the wire. A value that cannot be read leaves its
/// setting at the default and is reported by name; the other settings are kept.
const SETTINGS: &[(&str, Reader)] = &[
    ("store", |settings, value| read_text(&mut settings.store, value)),
    ("database", |settings, value| read_text(&mut settings.database, value)),
    ("cacheDir", |settings, value| read_text(&mut settings.cache_dir, value)),
    ("databaseUrl", |settings, value| read_text(&mut settings.database_url, value)),
    ("workspaceName", |settings, value| read_text(&mut settings.workspace_name, value)),
    ("d1", |settings, value| read(&mut settings.d1, value)),
    ("exclude", |settings, value| read(&mut settings.exclude, value)),
    ("maxFileSize", |settings, value| read(&mut settings.max_file_size, value)),
    ("respectGitignore", |settings, value| read(&mut settings.respect_gitignore, value)),
    ("severities", |settings, value| read(&mut settings.severities, value)),
    ("debounce", |settings, value| read(&mut settings.debounce, value)),
];

fn read<T: serde::de::DeserializeOwned>(slot: &mut T, value: serde_json::Value) -> Result<(), String> {
    *slot = serde_json::from_value(value).map_err(|error| error.to_string())?;
    Ok(())
}

/// An optional text setting, with an empty or blank value read as unset: editors
/// often send `""` for a setting the user left alone.
fn read_text<T: From<String>>(slot: &mut Option<T>, value: serde_json::Value) -> Result<(), String> {
    let text: Option<String> = serde_json::from_value(value).map_err(|error| error.to_string())?;
    *slot = text.filter(|text| !text.trim().is_empty()).map(T::from);
    Ok(())
}

impl Settings {
    /// Reads settings from a JSON object, each on its own; also what was wrong with them.
    pub(crate) fn read(value: &serde_json::Value) -> (Settings, Vec<String>) {
        let mut settings = Settings::default();
        let mut problems = Vec::new();
        let Some(object) = value.as_object() else {
            problems.push(format!("Thread's settings must be an object, not {value}; the defaults are used"));
            return (settings, problems);
        };
        for (key, value) in object {
            match SETTINGS.iter().find(|(name, _)| name == key) {
                Some((_, read)) => {
                    if let Err(error) = read(&mut settings, value.clone()) {
                        problems.push(format!("Thread's setting {key:?} is malformed ({error}); its default is used"));
                    }
                }
                None => {
                    let known: Vec<&str> = SETTINGS.iter().map(|(name, _)| *name).collect();
                    problems.push(format!("Thread has no setting {key:?} (it has {})", known.join(", ")));
                }
            }
        }
        settings.severities.retain(|code, severity| {
            if !DIAGNOSTIC_CODES.contains(&code.as_str()) {
                problems.push(format!(
                    "Thread has no diagnostic {code:?} to set a severity for (it has {})",
                    DIAGNOSTIC_CODES.join(", ")
                ));
                false
            } else if !SEVERITIES.contains(&severity.as_str()) {
                problems.push(format!(
                    "the severity {severity:?} of {code:?} is none of {}; its default is used",
                    SEVERITIES.join(", ")
                ));
                false
            } else {
                true
            }
        });
        (settings, problems)
    }

    /// Reads `initializationOptions`; returns the settings and what was wrong with them.
    pub(crate) fn from_options(options: Option<&serde_json::Value>) -> (Settings, Vec<String>) {
        match options.filter(|options| !options.is_null()) {
            Some(options) => Settings::read(options),
            None => (Settings::default(), Vec::new()),
        }
    }

    /// Reads the settings `workspace/didChangeConfiguration` carries: Thread's own under
    /// a `thread` key, as editors group them, or the object itself; with what was wrong
    /// with them. `None` when it carries none (the server then asks with
    /// `workspace/configuration`).
    pub(crate) fn from_change(settings: &serde_json::Value) -> (Option<Settings>, Vec<String>) {
        let ours = settings.get("thread").unwrap_or(settings);
        if ours.is_null() || ours.as_object().is_some_and(serde_json::Map::is_empty) {
            return (None, Vec::new());
        }
        let (settings, problems) = Settings::read(ours);
        (Some(settings), problems)
    }

    /// These settings for a workspace folder after the first: without the first
    /// folder's explicitly named SQLite database and PostgreSQL workspace name, so each
    /// folder keeps a store of its own.
    pub(crate) fn for_another_folder(&self) -> Settings {
        Settings { database: None, workspace_name: None, ..self.clone() }
    }

    /// Whether `other` indexes the workspace differently: another store, or another
    /// walk. Then the workspace is indexed again.
    pub(crate) fn indexes_differently(&self, other: &Settings) -> bool {
        let store = |settings: &Settings| {
            (
                settings.store.clone(),
                settings.database.clone(),
                settings.cache_dir.clone(),
                settings.database_url.clone(),
                settings.workspace_name.clone(),
                settings.d1.clone(),
            )
        };
        let walk = |settings: &Settings| {
            (settings.exclude.clone(), settings.max_file_size, settings.respect_gitignore.unwrap_or(true))
        };
        store(self) != store(other) || walk(self) != walk(other)
    }

    /// The store, as the CLI's options would name it, and a warning when the named
    /// store is unknown (the embedded SQLite store is used then).
    pub(crate) fn store_args(&self) -> (StoreArgs, Option<String>) {
        let mut problem = None;
        let store = match self.store.as_deref().unwrap_or("sqlite") {
            "sqlite" => StoreKind::Sqlite,
            "memory" => StoreKind::Memory,
            "postgres" => StoreKind::Postgres,
            "d1" => StoreKind::D1,
            other => {
                problem = Some(format!(
                    "unknown store {other:?} (expected sqlite, memory, postgres or d1); using the embedded SQLite store"
                ));
                StoreKind::Sqlite
            }
        };
        let environment = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let arguments = StoreArgs {
            store,
            database: self.database.clone(),
            cache_dir: self.cache_dir.clone().or_else(|| environment("THREAD_CACHE_DIR").map(PathBuf::from)),
            database_url: self.database_url.clone().or_else(|| environment("DATABASE_URL")),
            workspace_name: self.workspace_name.clone(),
            d1_account_id: self.d1.account_id.clone().or_else(|| environment("CLOUDFLARE_ACCOUNT_ID")),
            d1_database_id: self.d1.database_id.clone().or_else(|| environment("THREAD_D1_DATABASE_ID")),
            d1_api_url: self
                .d1
                .api_url
                .clone()
                .or_else(|| environment("THREAD_D1_API_URL"))
                .unwrap_or_else(|| thread_storage::D1Config::CLOUDFLARE_API.to_owned()),
            d1_token: environment("CF_API_TOKEN"),
            // The server keeps serving from memory, and says why.
            fallback_memory: true,
        };
        (arguments, problem)
    }

    /// What the walk of the workspace skips.
    pub(crate) fn load_options(&self) -> LoadOptions {
        let mut options = LoadOptions::default();
        options.excluded_dirs.extend(self.exclude.iter().cloned());
        if let Some(size) = self.max_file_size {
            options.max_file_size = size;
        }
        if let Some(respect) = self.respect_gitignore {
            options.respect_gitignore = respect;
        }
        options
    }

    /// The severity of diagnostics with `code`: the user's, else `default`; `None` turns
    /// them off.
    pub(crate) fn severity(&self, code: &str, default: DiagnosticSeverity) -> Option<DiagnosticSeverity> {
        match self.severities.get(code).map(String::as_str) {
            None => Some(default),
            Some("error") => Some(DiagnosticSeverity::ERROR),
            Some("warning") => Some(DiagnosticSeverity::WARNING),
            Some("information" | "info") => Some(DiagnosticSeverity::INFORMATION),
            Some("hint") => Some(DiagnosticSeverity::HINT),
            // `off`; anything else was refused when the settings were read.
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_and_bad_ones_fall_back_with_a_reason() {
        let options = serde_json::json!({
            "store": "memory", "exclude": ["build"], "maxFileSize": 1000,
            "severities": { "import-cycle": "off", "unresolved-import": "warning" }, "debounce": 25,
        });
        let (settings, problems) = Settings::from_options(Some(&options));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(settings.debounce, 25);
        assert_eq!(settings.store_args().0.store, StoreKind::Memory);
        let load = settings.load_options();
        assert!(load.excluded_dirs.contains(&"build".to_owned()) && load.max_file_size == 1000);
        assert_eq!(settings.severity("import-cycle", DiagnosticSeverity::WARNING), None);
        assert_eq!(
            settings.severity("unresolved-import", DiagnosticSeverity::ERROR),
            Some(DiagnosticSeverity::WARNING)
        );
        assert_eq!(settings.severity("broken-import", DiagnosticSeverity::ERROR), Some(DiagnosticSeverity::ERROR));

        // One bad value costs only itself; the problems name what was wrong.
        let options = serde_json::json!({
            "maxFileSize": "big", "store": "memory", "exlude": ["gen"],
            "severities": { "import-cycle": "of", "unresolved-import": "hint", "unresolved-imports": "off" },
        });
        let (settings, problems) = Settings::from_options(Some(&options));
        assert_eq!(problems.len(), 4, "{problems:?}");
        for (problem, named) in problems.iter().zip(["exlude", "maxFileSize", "\"of\"", "unresolved-imports"]) {
            assert!(problem.contains(named), "{problem} should name {named}");
        }
        assert_eq!(settings.store.as_deref(), Some("memory"), "the valid settings are kept");
        assert_eq!(settings.load_options().max_file_size, LoadOptions::default().max_file_size);
        assert_eq!(
            settings.severity("import-cycle", DiagnosticSeverity::WARNING),
            Some(DiagnosticSeverity::WARNING),
            "a misspelt severity keeps the default, never turns the diagnostic off"
        );
        assert_eq!(settings.severity("unresolved-import", DiagnosticSeverity::ERROR), Some(DiagnosticSeverity::HINT));
        let (arguments, problem) = Settings { store: Some("mongo".into()), ..Settings::default() }.store_args();
        assert!(arguments.store == StoreKind::Sqlite && problem.is_some());

        let blank = serde_json::json!({ "store": "", "database": " ", "d1": { "accountId": "" } });
        let (settings, problems) = Settings::from_options(Some(&blank));
        assert!(problems.is_empty() && settings.store.is_none() && settings.database.is_none());
        assert!(settings.d1.account_id.is_none());
    }

    #[test]
    fn changed_settings_are_found_under_thread_or_bare_and_compared() {
        let nested = Settings::from_change(&serde_json::json!({ "thread": { "exclude": ["gen"] } }));
        let nested = nested.0.expect("settings under `thread`");
        let bare = Settings::from_change(&serde_json::json!({ "severities": { "impact": "off" } }));
        let bare = bare.0.expect("bare settings");
        assert!(Settings::from_change(&serde_json::Value::Null).0.is_none());
        assert!(Settings::from_change(&serde_json::json!({ "thread": {} })).0.is_none());
        let (soon, problems) = Settings::from_change(&serde_json::json!({ "thread": { "debounce": "soon" } }));
        assert!(soon.is_some_and(|settings| settings.debounce == 0) && problems.len() == 1, "{problems:?}");
        assert!(nested.indexes_differently(&Settings::default()));
        assert!(!bare.indexes_differently(&Settings::default()), "severities need no new index");
        let sqlite = Settings { store: Some("sqlite".into()), ..Settings::default() };
        assert!(sqlite.indexes_differently(&Settings { store: Some("memory".into()), ..Settings::default() }));
    }
}
