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
use crate::git_changes;
use crate::indexing::{Layers, Saved, index_and_save, leave_to_exit};
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
    let Saved { host, report, .. } = index_and_save(&arguments.store, &arguments.walk, Layers::Imports)?;
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
    if !matches!(arguments.format, CheckFormat::Text) {
        // The other formats are for machines; a stale entry still fails the run, so say why.
        for (rule, entry) in split.unmatched_ignores {
            let _ = writeln!(
                std::io::stderr(),
                "rule {:?}: ignore entry {entry:?} matches no import any more; remove it",
                config.rules[*rule].name
            );
        }
    }
    // Annotations and code scanning name files from the repository's top, not from DIR.
    let repository = || git_changes::repository_of(&arguments.walk.dir);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match arguments.format {
        CheckFormat::Text => out.write_all(text(&config, &split, baseline_path.as_deref()).as_bytes()),
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &json_report(&config, &split)).context("encoding JSON")?;
            out.write_all(b"\n")
        }
        CheckFormat::Sarif => {
            let repository = repository();
            let (root, prefix) = match repository {
                Some((top, prefix)) => (top, prefix),
                None => (
                    std::fs::canonicalize(&arguments.walk.dir).unwrap_or_else(|_| arguments.walk.dir.clone()),
                    String::new(),
                ),
            };
            let report = sarif(&config, &split, &root, &prefix, baseline_path.as_deref());
            serde_json::to_writer_pretty(&mut out, &report).context("encoding SARIF")?;
            out.write_all(b"\n")
        }
        CheckFormat::Github => {
            let prefix = repository().map(|(_, prefix)| prefix).unwrap_or_default();
            out.write_all(github(&config, &split, &prefix).as_bytes())
        }
    }
    .and_then(|()| out.flush())
    .context("writing the report")?;
    let failed = !split.new.is_empty() || !outcome.unmatched_ignores.is_empty();
    drop(split);
    leave_to_exit((host, report, findings));
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
    /// The violation in words (`Violation::describe`).
    message: String,
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
                message: violation.describe(snapshot, config),
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

fn text(config: &RulesConfig, split: &Split<'_>, baseline: Option<&Path>) -> String {
    let mut out = String::new();
    for finding in &split.new {
        let _ = writeln!(out, "{}:{}:{}: {}", finding.key.from, finding.line, finding.column, finding.message);
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
        "{} new violation{} of {} rule{} ({} rule{} checked)",
        split.new.len(),
        if split.new.len() == 1 { "" } else { "s" },
        rules_broken.len(),
        if rules_broken.len() == 1 { "" } else { "s" },
        config.rules.len(),
        if config.rules.len() == 1 { "" } else { "s" }
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

/// One violation in the JSON report, borrowed from its finding.
#[derive(serde::Serialize)]
struct FindingJson<'a> {
    rule: &'a str,
    kind: &'a str,
    from: &'a str,
    to: &'a str,
    chain: &'a [String],
    line: u32,
    column: u32,
}

impl<'a> FindingJson<'a> {
    fn of(config: &'a RulesConfig, finding: &'a Finding) -> FindingJson<'a> {
        FindingJson {
            rule: &finding.key.rule,
            kind: config.rules[finding.rule].kind.as_str(),
            from: &finding.key.from,
            to: &finding.key.to,
            chain: &finding.chain,
            line: finding.line,
            column: finding.column,
        }
    }
}

#[derive(serde::Serialize)]
struct UnmatchedIgnoreJson<'a> {
    rule: &'a str,
    ignore: &'a str,
}

/// The JSON report, serialised as it is borrowed: a large report is never built as a
/// tree of values first.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    violations: Vec<FindingJson<'a>>,
    baselined: Vec<FindingJson<'a>>,
    fixed: &'a [KnownViolation],
    unmatched_ignores: Vec<UnmatchedIgnoreJson<'a>>,
}

fn json_report<'a>(config: &'a RulesConfig, split: &'a Split<'a>) -> JsonReport<'a> {
    JsonReport {
        violations: split.new.iter().map(|finding| FindingJson::of(config, finding)).collect(),
        baselined: split.known.iter().map(|finding| FindingJson::of(config, finding)).collect(),
        fixed: &split.fixed,
        unmatched_ignores: split
            .unmatched_ignores
            .iter()
            .map(|(rule, entry)| UnmatchedIgnoreJson { rule: &config.rules[*rule].name, ignore: entry })
            .collect(),
    }
}

/// The rules' SARIF ids: each name in lower case with runs of other characters as one
/// `-`; a name that leaves nothing, or the same as an earlier rule's, gets `rule-N`
/// (N its position), so that no two rules share an id.
fn sarif_rule_ids(config: &RulesConfig) -> Vec<String> {
    let mut ids: Vec<String> = Vec::with_capacity(config.rules.len());
    for (index, rule) in config.rules.iter().enumerate() {
        let mut id = String::new();
        for c in rule.name.chars() {
            if c.is_ascii_alphanumeric() {
                id.push(c.to_ascii_lowercase());
            } else if !id.ends_with('-') && !id.is_empty() {
                id.push('-');
            }
        }
        while id.ends_with('-') {
            id.pop();
        }
        if id.is_empty() || ids.contains(&id) {
            id = format!("rule-{}", index + 1);
        }
        ids.push(id);
    }
    ids
}

/// A path as a URI reference: every byte but unreserved characters and `/`
/// percent-encoded (`[slug]`, `#`, `%` and spaces are legal in file names, not in URIs).
fn uri_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Where SARIF names a file: relative to the repository's top (`ROOT`).
struct SarifPaths<'a> {
    /// The workspace directory inside the repository (`""` or ending in `/`).
    prefix: &'a str,
}

impl SarifPaths<'_> {
    fn location(&self, path: &str, line: Option<(u32, u32)>) -> Value {
        let uri = uri_path(&format!("{}{path}", self.prefix));
        let mut physical = json!({"artifactLocation": {"uri": uri, "uriBaseId": "ROOT"}});
        if let Some((line, column)) = line {
            physical["region"] = json!({"startLine": line, "startColumn": column});
        }
        json!({"physicalLocation": physical})
    }
}

fn sarif(config: &RulesConfig, split: &Split<'_>, root: &Path, prefix: &str, baseline: Option<&Path>) -> Value {
    let ids = sarif_rule_ids(config);
    let paths = SarifPaths { prefix };
    let rules: Vec<Value> = config
        .rules
        .iter()
        .zip(&ids)
        .map(|(rule, id)| {
            json!({
                "id": id,
                "shortDescription": {"text": rule.name},
                "fullDescription": {"text": format!("A {} rule of thread.toml{}.", rule.kind.as_str(),
                    if rule.indirect { "; chains of imports count" } else { "; direct imports only" })},
                "defaultConfiguration": {"level": "error"},
                "properties": {"kind": rule.kind.as_str()},
            })
        })
        .collect();
    let result = |finding: &Finding, suppressed: bool| {
        let steps = finding.chain.windows(2).map(|step| {
            json!({"location": {
                "physicalLocation": paths.location(&step[0], None)["physicalLocation"],
                "message": {"text": format!("imports {}", step[1])},
            }})
        });
        let last = json!({"location": paths.location(finding.chain.last().map_or("", String::as_str), None)});
        let fingerprint =
            blake3::hash(format!("{}\0{}\0{}", finding.key.rule, finding.key.from, finding.key.to).as_bytes());
        let mut result = json!({
            "ruleId": ids.get(finding.rule),
            "ruleIndex": finding.rule,
            "level": "error",
            "message": {"text": finding.message},
            "locations": [paths.location(&finding.key.from, Some((finding.line, finding.column)))],
            "partialFingerprints": {"threadViolation/v1": fingerprint.to_hex().to_string()},
            "codeFlows": [{"threadFlows": [{"locations": steps.chain(std::iter::once(last)).collect::<Vec<_>>()}]}],
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
    let mut root_uri = format!("file://{}", uri_path(&root.to_string_lossy()));
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

/// GitHub Actions workflow commands: one `::error` annotation per new violation, its
/// file named from the repository's top (`prefix` is the workspace's place in it).
fn github(config: &RulesConfig, split: &Split<'_>, prefix: &str) -> String {
    let mut out = String::new();
    for finding in &split.new {
        let _ = writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            escape_property(&format!("{prefix}{}", finding.key.from)),
            finding.line,
            finding.column,
            escape_property(&config.rules[finding.rule].name),
            escape_data(&finding.message)
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
    fn rule_ids_are_slugs_and_never_shared() {
        let rules = "[[rules]]\nname = \"core stays below ui\"\nkind = \"acyclic\"\npaths = \"a\"\n\n\
            [[rules]]\nname = \"  API → DB!! \"\nkind = \"acyclic\"\npaths = \"a\"\n\n\
            [[rules]]\nname = \"api db\"\nkind = \"acyclic\"\npaths = \"a\"\n\n\
            [[rules]]\nname = \"Слои\"\nkind = \"acyclic\"\npaths = \"a\"\n";
        let config = RulesConfig::parse(rules).expect("rules");
        assert_eq!(sarif_rule_ids(&config), ["core-stays-below-ui", "api-db", "rule-3", "rule-4"]);
    }

    #[test]
    fn uris_encode_what_file_names_allow_and_uris_do_not() {
        assert_eq!(uri_path("app/blog/[slug]/page.tsx"), "app/blog/%5Bslug%5D/page.tsx");
        assert_eq!(uri_path("a b/c#d%e.ts"), "a%20b/c%23d%25e.ts");
        assert_eq!(uri_path("ü.py"), "%C3%BC.py");
    }

    #[test]
    fn annotations_escape_what_github_reads_as_syntax() {
        assert_eq!(escape_property("a,b:c%"), "a%2Cb%3Ac%25");
        assert_eq!(escape_data("x\ny"), "x%0Ay");
    }
}
