//! Architecture rules over the file graph: layers, forbidden dependencies, independent
//! modules and acyclic areas, written in `thread.toml` and checked against a snapshot.
//!
//! [`config`] parses and validates the rules; [`check`](check::check) evaluates them.
//! Both are pure: the CLI and the server read the file and the snapshot, and print.

pub mod check;
pub mod config;

pub use check::{CheckOutcome, Refusal, Violation, check, import_span};
pub use config::{CONFIG_FILE, ConfigError, FileGroup, IgnoredImport, Rule, RuleKind, RulesConfig};
