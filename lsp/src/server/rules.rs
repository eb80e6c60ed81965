//! Architecture rules in the editor: the rules of `thread.toml` checked against every
//! new graph, their violations as `rule-violation` diagnostics on the import that starts
//! each chain, and `thread.toml`'s own problems as diagnostics on it.

use std::collections::{BTreeMap, BTreeSet};

use thread_engine::FileId;
use thread_engine::rules::{CONFIG_FILE, RulesConfig, Violation, check, import_span};
use thread_engine::snapshot::{FileEntry, Snapshot};
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, Position, Range,
};

use super::diagnostics::{diagnostic, file_uri};
use super::documents::{Encoding, range};

/// The rules of one workspace folder and what they found in its newest graph.
#[derive(Default)]
pub(crate) struct LiveRules {
    /// The rules, when `thread.toml` exists and reads well.
    config: Option<RulesConfig>,
    /// Why `thread.toml` cannot be read: (zero-based line, message).
    unreadable: Option<(u32, String)>,
    /// What checking its rules against the tree found wrong with them (a refused rule,
    /// a group that matches no file, a stale `ignore` entry): (line, message).
    rule_problems: Vec<(u32, String)>,
    /// Each importing file's violations, from the last check.
    by_file: BTreeMap<FileId, Vec<Violation>>,
}

impl LiveRules {
    /// True when `path` is the rules file.
    pub(crate) fn is_config(path: &str) -> bool {
        path == CONFIG_FILE
    }

    /// Takes `thread.toml`'s text: `Ok(None)` when there is none, `Err` when it exists
    /// and cannot be read. Returns true when the file's own diagnostics changed.
    pub(crate) fn load(&mut self, text: Result<Option<String>, String>) -> bool {
        let before = self.unreadable.take();
        self.config = match text.map(|text| text.map(|text| RulesConfig::parse(&text))) {
            Ok(None) => None,
            Ok(Some(Ok(config))) => Some(config),
            Ok(Some(Err(error))) => {
                self.unreadable = Some((error.line.unwrap_or(0), error.message));
                None
            }
            Err(message) => {
                self.unreadable = Some((0, message));
                None
            }
        };
        before != self.unreadable
    }

    /// Forgets the violations found so far: they name files by the ids of a host that is
    /// gone (a new host numbers files afresh). Every file is published again after.
    pub(crate) fn forget_files(&mut self) {
        self.by_file.clear();
    }

    /// Checks the rules against `snapshot`; returns the paths whose violations changed,
    /// `thread.toml` among them when a rule was refused or a group matches nothing.
    pub(crate) fn check(&mut self, snapshot: &Snapshot) -> BTreeSet<String> {
        let mut by_file: BTreeMap<FileId, Vec<Violation>> = BTreeMap::new();
        let mut problems: Vec<(u32, String)> = Vec::new();
        if let Some(config) = &self.config {
            let outcome = check(snapshot, config);
            for violation in outcome.violations {
                by_file.entry(violation.from).or_default().push(violation);
            }
            let line_of = |rule: usize| config.rules.get(rule).map_or(0, |rule| rule.line);
            let name_of = |rule: usize| config.rules.get(rule).map_or("", |rule| rule.name.as_str());
            for refusal in outcome.refusals {
                problems.push((
                    line_of(refusal.rule),
                    format!("rule {:?} refused: {}", name_of(refusal.rule), refusal.message),
                ));
            }
            for (rule, warning) in outcome.warnings {
                problems.push((line_of(rule), format!("rule {:?}: {warning}", name_of(rule))));
            }
            for (rule, entry) in outcome.unmatched_ignores {
                problems.push((
                    line_of(rule),
                    format!("rule {:?}: ignore entry {entry:?} matches no import any more", name_of(rule)),
                ));
            }
        }
        let mut changed: BTreeSet<String> = BTreeSet::new();
        for file in self.by_file.keys().chain(by_file.keys()) {
            if self.by_file.get(file) != by_file.get(file) {
                changed.insert(snapshot.path(*file).to_owned());
            }
        }
        if problems != self.rule_problems {
            changed.insert(CONFIG_FILE.to_owned());
        }
        self.by_file = by_file;
        self.rule_problems = problems;
        changed
    }

    /// True when `file` has violations to report (its text is needed for positions).
    pub(crate) fn reports_on(&self, file: &FileEntry) -> bool {
        self.by_file.contains_key(&file.id)
    }

    /// `file`'s rule violations, on the import that starts each chain.
    pub(crate) fn diagnostics_for(
        &self,
        snapshot: &Snapshot,
        root: &std::path::Path,
        file: &FileEntry,
        text: &str,
        encoding: Encoding,
        severity: DiagnosticSeverity,
    ) -> Vec<Diagnostic> {
        let Some(config) = &self.config else { return Vec::new() };
        let Some(violations) = self.by_file.get(&file.id) else { return Vec::new() };
        violations
            .iter()
            .filter_map(|violation| {
                // The span now, not at the last check: an edit above the import moves it.
                // An import that is gone makes the violation stale until the next check.
                let span = import_span(snapshot, violation.from, *violation.chain.get(1)?)?;
                let message = violation.describe(snapshot, config);
                // Each later step of the chain: the line of its import of the next file
                // (that file's text is not read, so the column is left at 0), and the end.
                let related = violation.chain[1..]
                    .iter()
                    .enumerate()
                    .filter_map(|(step, id)| {
                        let uri = file_uri(root, snapshot.path(*id))?;
                        let next = violation.chain.get(step + 2).copied();
                        let line =
                            next.and_then(|next| import_span(snapshot, *id, next)).map_or(0, |span| span.start.line);
                        let start = Position { line, character: 0 };
                        let message = match next {
                            Some(next) => format!("{} imports {}", snapshot.path(*id), snapshot.path(next)),
                            None => format!("{} must not be reached", snapshot.path(*id)),
                        };
                        Some(DiagnosticRelatedInformation {
                            location: Location { uri, range: Range { start, end: start } },
                            message,
                        })
                    })
                    .collect();
                Some(diagnostic(range(text, &span, encoding), severity, "rule-violation", message, related))
            })
            .collect()
    }

    /// `thread.toml`'s own problems, on their lines.
    pub(crate) fn config_diagnostics(&self) -> Vec<Diagnostic> {
        self.unreadable
            .iter()
            .chain(&self.rule_problems)
            .map(|(line, message)| {
                let start = Position { line: *line, character: 0 };
                let end = Position { line: *line, character: u32::MAX };
                diagnostic(Range { start, end }, DiagnosticSeverity::ERROR, "rules-config", message.clone(), Vec::new())
            })
            .collect()
    }
}
