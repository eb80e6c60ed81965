//! `thread-lsp check`: the rules of `thread.toml` against the workspace, as text, JSON,
//! SARIF 2.1.0 or GitHub workflow annotations.
//!
//! Exit codes: 0 when no violation is new, 1 when some are (or an `ignore` entry matches
//! nothing), 2 when the rules or the command line cannot be used.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Value, json};
use thread_engine::Snapshot;
use thread_engine::rules::{CONFIG_FILE, CheckOutcome, RulesConfig, Violation, check};

use crate::baseline::{self, KnownViolation};
use crate::cli::{CheckArgs, CheckFormat};
use crate::indexing::{Saved, index_and_save};
use crate::summary::report_problems;

/// Exit code for rules or arguments that cannot be used.
const UNUSABLE: u8 = 2;

pub(crate) fn run(arguments: &CheckArgs) -> anyhow::Result<ExitCode> {
    let config_path = arguments.config.clone().unwrap_or_else(|| arguments.walk.dir.join(CONFIG_FILE));
    let config = match read_config(&config_path) {
        Ok(config) => config,
        Err(message) => return Ok(unusable(&message)),
    };
    let baseline_path = config.baseline.as_ref().map(|file| config_dir(&config_path).join(file));
    if arguments.update_baseline && baseline_path.is_none() {
        return Ok(unusable(&format!(
            "--update-baseline needs a baseline file: add `baseline = \"thread-baseline.json\"` to {}",
            config_path.display()
        )));
    }
    let Saved { report, .. } = index_and_save(&arguments.store, &arguments.walk)?;
    report_problems(&report);
    let outcome = check(&report.snapshot, &config);
    if !outcome.refusals.is_empty() {
        let mut message = String::new();
        for refusal in &outcome.refusals {
            let _ = writeln!(message, "rule {:?} refused: {}", config.rules[refusal.rule].name, refusal.message);
        }
        return Ok(unusable(message.trim_end()));
    }
    for (rule, warning) in &outcome.warnings {
        tracing::warn!("rule {:?}: {warning}", config.rules[*rule].name);
    }

    let findings = Findings::new(&report.snapshot, &config, &outcome);
    let known = match &baseline_path {
        // A broken baseline is the user's to fix, like a broken thread.toml.
        Some(path) if !arguments.update_baseline => match baseline::read(path) {
            Ok(known) => known,
            Err(error) => return Ok(unusable(&format!("{error:#}"))),
        },
        _ => BTreeSet::new(),
    };
    if arguments.update_baseline {
        let path = baseline_path.as_deref().unwrap_or(Path::new(""));
        baseline::write(path, findings.all.iter().map(|finding| finding.key.clone()).collect())?;
        let _ = writeln!(std::io::stderr(), "recorded {} violations in {}", findings.all.len(), path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let split = findings.split(&known);
    let rendered = match arguments.format {
        CheckFormat::Text => text(&config, &split, baseline_path.as_deref()),
        CheckFormat::Json => {
            let mut text = serde_json::to_string_pretty(&json_report(&config, &split)).context("encoding JSON")?;
            text.push('\n');
            text
        }
        CheckFormat::Sarif => {
            let root = std::fs::canonicalize(&arguments.walk.dir).unwrap_or_else(|_| arguments.walk.dir.clone());
            let mut text = serde_json::to_string_pretty(&sarif(&config, &split, &root, baseline_path.as_deref()))
                .context("encoding SARIF")?;
            text.push('\n');
            text
        }
        CheckFormat::Github => github(&config, &split),
    };
    std::io::stdout().lock().write_all(rendered.as_bytes()).context("writing the report")?;
    let failed = !split.new.is_empty() || !outcome.unmatched_ignores.is_empty();
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn unusable(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {message}");
    ExitCode::from(UNUSABLE)
}

fn config_dir(config_path: &Path) -> PathBuf {
    config_path.parent().map(Path::to_owned).unwrap_or_default()
}

fn read_config(path: &Path) -> Result<RulesConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::NotFound {
            format!("no rules: {} does not exist (the README's \"Thread in CI\" shows its format)", path.display())
        } else {
            format!("reading {}: {error}", path.display())
        }
    })?;
    RulesConfig::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
}

/// One violation with its paths resolved, ready for every format.
struct Finding {
    key: KnownViolation,
    rule: usize,
    chain: Vec<String>,
    /// One-based.
    line: u32,
    /// One-based, in bytes.
    column: u32,
}

struct Findings {
    all: Vec<Finding>,
    unmatched_ignores: Vec<(usize, String)>,
}

/// The findings split by the baseline.
struct Split<'a> {
    new: Vec<&'a Finding>,
    known: Vec<&'a Finding>,
    /// Baseline entries that no longer occur.
    fixed: Vec<KnownViolation>,
    unmatched_ignores: &'a [(usize, String)],
}

impl Findings {
    fn new(snapshot: &Snapshot, config: &RulesConfig, outcome: &CheckOutcome) -> Findings {
        let all = outcome
            .violations
            .iter()
            .map(|violation: &Violation| Finding {
                key: KnownViolation {
                    rule: config.rules[violation.rule].name.clone(),
                    from: snapshot.path(violation.from).to_owned(),
                    to: snapshot.path(violation.to).to_owned(),
                },
                rule: violation.rule,
                chain: violation.chain.iter().map(|file| snapshot.path(*file).to_owned()).collect(),
                line: violation.span.start.line + 1,
                column: violation.span.start.column + 1,
            })
            .collect();
        Findings { all, unmatched_ignores: outcome.unmatched_ignores.clone() }
    }

    fn split(&self, known: &BTreeSet<KnownViolation>) -> Split<'_> {
        let (known_now, new): (Vec<&Finding>, Vec<&Finding>) =
            self.all.iter().partition(|finding| known.contains(&finding.key));
        let current: BTreeSet<&KnownViolation> = self.all.iter().map(|finding| &finding.key).collect();
        let fixed = known.iter().filter(|entry| !current.contains(entry)).cloned().collect();
        Split { new, known: known_now, fixed, unmatched_ignores: &self.unmatched_ignores }
    }
}

fn describe(chain: &[String]) -> String {
    chain.join(" → ")
}

fn message(config: &RulesConfig, finding: &Finding) -> String {
    let rule = &config.rules[finding.rule];
    if finding.key.from == finding.key.to {
        format!("import cycle ({}): {}", rule.name, describe(&finding.chain))
    } else {
        format!("{} reaches {} ({}): {}", finding.key.from, finding.key.to, rule.name, describe(&finding.chain))
    }
}

fn text(config: &RulesConfig, split: &Split<'_>, baseline: Option<&Path>) -> String {
    let mut out = String::new();
    for finding in &split.new {
        let _ = writeln!(out, "{}:{}:{}: {}", finding.key.from, finding.line, finding.column, message(config, finding));
    }
    for (rule, entry) in split.unmatched_ignores {
        let _ = writeln!(
            out,
            "rule {:?}: ignore entry {entry:?} matches no import any more; remove it",
            config.rules[*rule].name
        );
    }
    let rules_broken: BTreeSet<usize> = split.new.iter().map(|finding| finding.rule).collect();
    let _ = write!(
        out,
        "{} new violation{} of {} rule{} ({} rules checked)",
        split.new.len(),
        if split.new.len() == 1 { "" } else { "s" },
        rules_broken.len(),
        if rules_broken.len() == 1 { "" } else { "s" },
        config.rules.len()
    );
    if let Some(path) = baseline {
        let _ = write!(out, "; {} known in {}", split.known.len(), path.display());
        if !split.fixed.is_empty() {
            let _ = write!(out, ", {} fixed since (run with --update-baseline to forget them)", split.fixed.len());
        }
    }
    out.push('\n');
    out
}

fn finding_json(config: &RulesConfig, finding: &Finding) -> Value {
    json!({
        "rule": finding.key.rule,
        "kind": config.rules[finding.rule].kind.as_str(),
        "from": finding.key.from,
        "to": finding.key.to,
        "chain": finding.chain,
        "line": finding.line,
        "column": finding.column,
    })
}

fn json_report(config: &RulesConfig, split: &Split<'_>) -> Value {
    json!({
        "violations": split.new.iter().map(|finding| finding_json(config, finding)).collect::<Vec<_>>(),
        "baselined": split.known.iter().map(|finding| finding_json(config, finding)).collect::<Vec<_>>(),
        "fixed": split.fixed,
        "unmatched_ignores": split.unmatched_ignores.iter().map(|(rule, entry)| json!({
            "rule": config.rules[*rule].name,
            "ignore": entry,
        })).collect::<Vec<_>>(),
    })
}

/// A rule's SARIF id: its name in lower case, runs of other characters as one `-`.
fn sarif_rule_id(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    while id.ends_with('-') {
        id.pop();
    }
    if id.is_empty() { "rule".to_owned() } else { id }
}

fn sarif_location(path: &str, line: Option<(u32, u32)>) -> Value {
    let mut physical = json!({"artifactLocation": {"uri": path, "uriBaseId": "ROOT"}});
    if let Some((line, column)) = line {
        physical["region"] = json!({"startLine": line, "startColumn": column});
    }
    json!({"physicalLocation": physical})
}

fn sarif(config: &RulesConfig, split: &Split<'_>, root: &Path, baseline: Option<&Path>) -> Value {
    let rules: Vec<Value> = config
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": sarif_rule_id(&rule.name),
                "shortDescription": {"text": rule.name},
                "fullDescription": {"text": format!("A {} rule of thread.toml{}.", rule.kind.as_str(),
                    if rule.indirect { "; chains of imports count" } else { "; direct imports only" })},
                "defaultConfiguration": {"level": "error"},
                "properties": {"kind": rule.kind.as_str()},
            })
        })
        .collect();
    let result = |finding: &Finding, suppressed: bool| {
        let mut result = json!({
            "ruleId": sarif_rule_id(&finding.key.rule),
            "ruleIndex": finding.rule,
            "level": "error",
            "message": {"text": message(config, finding)},
            "locations": [sarif_location(&finding.key.from, Some((finding.line, finding.column)))],
            "partialFingerprints": {
                "threadViolation/v1": blake3::hash(format!("{}\0{}\0{}", finding.key.rule, finding.key.from, finding.key.to).as_bytes()).to_hex().to_string(),
            },
            "codeFlows": [{"threadFlows": [{"locations": finding.chain.windows(2).map(|step| json!({
                "location": {
                    "physicalLocation": sarif_location(&step[0], None)["physicalLocation"],
                    "message": {"text": format!("imports {}", step[1])},
                },
            })).chain(std::iter::once(json!({"location": sarif_location(finding.chain.last().map_or("", String::as_str), None)}))).collect::<Vec<_>>()}]}],
        });
        if suppressed {
            result["suppressions"] = json!([{
                "kind": "external",
                "justification": format!("recorded in {}", baseline.map(|path| path.display().to_string()).unwrap_or_default()),
            }]);
        }
        result
    };
    let results: Vec<Value> = split
        .new
        .iter()
        .map(|finding| result(finding, false))
        .chain(split.known.iter().map(|finding| result(finding, true)))
        .collect();
    let mut root_uri = format!("file://{}", root.display());
    if !root_uri.ends_with('/') {
        root_uri.push('/');
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "Thread",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": {"ROOT": {"uri": root_uri}},
            "results": results,
        }],
    })
}

/// GitHub Actions workflow commands: one `::error` annotation per new violation.
fn github(config: &RulesConfig, split: &Split<'_>) -> String {
    let mut out = String::new();
    for finding in &split.new {
        let _ = writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            escape_property(&finding.key.from),
            finding.line,
            finding.column,
            escape_property(&config.rules[finding.rule].name),
            escape_data(&message(config, finding))
        );
    }
    for (rule, entry) in split.unmatched_ignores {
        let _ = writeln!(
            out,
            "::error title={}::{}",
            escape_property(&config.rules[*rule].name),
            escape_data(&format!("ignore entry {entry:?} matches no import any more; remove it"))
        );
    }
    out
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_slugs() {
        assert_eq!(sarif_rule_id("core stays below ui"), "core-stays-below-ui");
        assert_eq!(sarif_rule_id("  API → DB!! "), "api-db");
        assert_eq!(sarif_rule_id("→"), "rule");
    }

    #[test]
    fn annotations_escape_what_github_reads_as_syntax() {
        assert_eq!(escape_property("a,b:c%"), "a%2Cb%3Ac%25");
        assert_eq!(escape_data("x\ny"), "x%0Ay");
    }
}
