//! The server's settings, from `initializationOptions` (and later
//! `workspace/didChangeConfiguration`): which store, what to walk, how severe each
//! diagnostic is. Unknown keys are ignored with a warning; a malformed value falls back
//! to its default, and the user is told.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use thread_engine::LoadOptions;
use tower_lsp_server::ls_types::DiagnosticSeverity;

use crate::cli::{StoreArgs, StoreKind};

/// Everything a client may set. Field names are camelCase on the wire.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Settings {
    /// `sqlite` (default), `memory`, `postgres` or `d1`.
    #[serde(deserialize_with = "non_empty")]
    pub(crate) store: Option<String>,
    /// The SQLite database file.
    #[serde(deserialize_with = "non_empty")]
    pub(crate) database: Option<PathBuf>,
    /// The directory for per-workspace SQLite databases.
    #[serde(deserialize_with = "non_empty")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// The PostgreSQL URL; `DATABASE_URL` when absent.
    #[serde(deserialize_with = "non_empty")]
    pub(crate) database_url: Option<String>,
    /// This workspace's name in a shared PostgreSQL database.
    #[serde(deserialize_with = "non_empty")]
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

/// An optional text setting, with an empty or blank value read as unset: editors
/// often send `""` for a setting the user left alone.
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
#[serde(rename_all = "camelCase", default)]
pub(crate) struct D1Settings {
    #[serde(deserialize_with = "non_empty")]
    pub(crate) account_id: Option<String>,
    #[serde(deserialize_with = "non_empty")]
    pub(crate) database_id: Option<String>,
    #[serde(deserialize_with = "non_empty")]
    pub(crate) api_url: Option<String>,
}

impl Settings {
    /// Reads `initializationOptions`; returns the settings and what was wrong with them.
    pub(crate) fn from_options(options: Option<&serde_json::Value>) -> (Settings, Option<String>) {
        let Some(options) = options.filter(|options| !options.is_null()) else {
            return (Settings::default(), None);
        };
        match Settings::deserialize(options) {
            Ok(settings) => (settings, None),
            Err(error) => (Settings::default(), Some(format!("Thread ignored its initializationOptions: {error}"))),
        }
    }

    /// Reads the settings `workspace/didChangeConfiguration` carries: Thread's own under
    /// a `thread` key, as editors group them, or the object itself. `None` when it
    /// carries none (the server then asks with `workspace/configuration`), or when they
    /// are malformed, with the reason.
    pub(crate) fn from_change(settings: &serde_json::Value) -> Result<Option<Settings>, String> {
        let ours = settings.get("thread").unwrap_or(settings);
        if ours.is_null() || ours.as_object().is_some_and(serde_json::Map::is_empty) {
            return Ok(None);
        }
        Settings::deserialize(ours)
            .map(Some)
            .map_err(|error| format!("Thread kept its settings: the new ones are malformed: {error}"))
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
        let (settings, problem) = Settings::from_options(Some(&options));
        assert!(problem.is_none());
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

        let (settings, problem) = Settings::from_options(Some(&serde_json::json!({ "maxFileSize": "big" })));
        assert!(problem.is_some_and(|problem| problem.contains("maxFileSize") || problem.contains("invalid type")));
        assert!(settings.store.is_none());
        let (arguments, problem) = Settings { store: Some("mongo".into()), ..Settings::default() }.store_args();
        assert!(arguments.store == StoreKind::Sqlite && problem.is_some());

        let blank = serde_json::json!({ "store": "", "database": " ", "d1": { "accountId": "" } });
        let (settings, problem) = Settings::from_options(Some(&blank));
        assert!(problem.is_none() && settings.store.is_none() && settings.database.is_none());
        assert!(settings.d1.account_id.is_none());
    }

    #[test]
    fn changed_settings_are_found_under_thread_or_bare_and_compared() {
        let nested = Settings::from_change(&serde_json::json!({ "thread": { "exclude": ["gen"] } }));
        let nested = nested.ok().flatten().expect("settings under `thread`");
        let bare = Settings::from_change(&serde_json::json!({ "severities": { "impact": "off" } }));
        let bare = bare.ok().flatten().expect("bare settings");
        assert!(matches!(Settings::from_change(&serde_json::Value::Null), Ok(None)));
        assert!(matches!(Settings::from_change(&serde_json::json!({ "thread": {} })), Ok(None)));
        assert!(Settings::from_change(&serde_json::json!({ "thread": { "debounce": "soon" } })).is_err());
        assert!(nested.indexes_differently(&Settings::default()));
        assert!(!bare.indexes_differently(&Settings::default()), "severities need no new index");
        let sqlite = Settings { store: Some("sqlite".into()), ..Settings::default() };
        assert!(sqlite.indexes_differently(&Settings { store: Some("memory".into()), ..Settings::default() }));
    }
}
