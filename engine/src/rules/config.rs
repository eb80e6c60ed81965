//! `thread.toml`: the architecture rules of a workspace, parsed and checked for sense
//! before any graph is looked at.

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::Deserialize;

/// The file at the workspace root that holds the rules.
pub const CONFIG_FILE: &str = "thread.toml";

/// A `thread.toml` that cannot be used: what is wrong and, where known, on which line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|line| format!("line {}: ", line + 1)).unwrap_or_default())]
pub struct ConfigError {
    /// Zero-based line of the offending entry, when known.
    pub line: Option<u32>,
    /// What is wrong, naming the rule and key.
    pub message: String,
}

/// The rules of one workspace.
#[derive(Debug, Clone)]
pub struct RulesConfig {
    /// The baseline file, relative to `thread.toml`'s directory: violations recorded
    /// there are known, not failures.
    pub baseline: Option<String>,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name, unique in the file.
    pub name: String,
    /// What it forbids.
    pub kind: RuleKind,
    /// True when a chain of imports counts; false for direct imports only.
    pub indirect: bool,
    /// Imports exempted from the rule: each removes the matching edges before checking.
    pub ignore: Vec<IgnoredImport>,
    /// The zero-based line of its `[[rules]]` table.
    pub line: u32,
}

/// What a rule forbids. Each group is a set of workspace-relative globs; a file belongs
/// to at most one group of a rule.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// Highest first: a file of a lower layer must not reach one of a higher layer.
    Layers(Vec<FileGroup>),
    /// Files of `from` must not reach files of `to`.
    Forbidden {
        /// The importers.
        from: FileGroup,
        /// What they must not reach.
        to: FileGroup,
    },
    /// No module reaches another.
    Independence(Vec<FileGroup>),
    /// No import cycle among these files.
    Acyclic(FileGroup),
}

impl RuleKind {
    /// The kind as written in `thread.toml`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RuleKind::Layers(_) => "layers",
            RuleKind::Forbidden { .. } => "forbidden",
            RuleKind::Independence(_) => "independence",
            RuleKind::Acyclic(_) => "acyclic",
        }
    }
}

/// A set of globs naming files, as written.
#[derive(Debug, Clone)]
pub struct FileGroup {
    /// The globs as the user wrote them.
    pub patterns: Vec<String>,
    matchers: Vec<GlobMatcher>,
}

impl FileGroup {
    /// True when `path` (workspace-relative, forward slashes) matches one of the globs.
    pub fn contains(&self, path: &str) -> bool {
        self.matchers.iter().any(|matcher| matcher.is_match(path))
    }

    /// The globs joined for a message.
    pub fn describe(&self) -> String {
        self.patterns.join(" | ")
    }
}

/// `"A -> B"`: imports from files matching `A` of files matching `B`.
#[derive(Debug, Clone)]
pub struct IgnoredImport {
    /// As written.
    pub text: String,
    /// The importers.
    pub from: FileGroup,
    /// The imported files.
    pub to: FileGroup,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    baseline: Option<String>,
    #[serde(default)]
    rules: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<String>,
    kind: Option<String>,
    indirect: Option<bool>,
    #[serde(default)]
    ignore: Vec<String>,
    layers: Option<Vec<OneOrMany>>,
    modules: Option<Vec<OneOrMany>>,
    from: Option<OneOrMany>,
    to: Option<OneOrMany>,
    paths: Option<OneOrMany>,
}

/// A glob, or a list of globs.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

impl RulesConfig {
    /// Parses `thread.toml`'s text. Every problem is an error naming the rule and key;
    /// nothing is guessed.
    pub fn parse(text: &str) -> Result<RulesConfig, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| ConfigError {
            line: error.span().map(|span| line_of(text, span.start)),
            message: error.message().trim_end().to_owned(),
        })?;
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.rules.len());
        for (index, spanned) in raw.rules.into_iter().enumerate() {
            let line = line_of(text, spanned.span().start);
            let rule = build_rule(index, line, spanned.into_inner())?;
            if rules.iter().any(|earlier| earlier.name == rule.name) {
                return Err(ConfigError { line: Some(line), message: format!("two rules are named {:?}", rule.name) });
            }
            rules.push(rule);
        }
        Ok(RulesConfig { baseline: raw.baseline, rules })
    }
}

fn build_rule(index: usize, line: u32, raw: RawRule) -> Result<Rule, ConfigError> {
    let fail = |message: String| ConfigError { line: Some(line), message };
    let name = raw
        .name
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| fail(format!("rule {} has no `name`", index + 1)))?;
    let context = format!("rule {name:?}");
    let kind_name = raw
        .kind
        .ok_or_else(|| fail(format!("{context} has no `kind` (layers, forbidden, independence or acyclic)")))?;
    let required = |value: Option<OneOrMany>, key: &str| -> Result<FileGroup, ConfigError> {
        let value = value.ok_or_else(|| fail(format!("{context}: kind {kind_name:?} needs `{key}`")))?;
        file_group(value.into_vec(), &format!("{context}, `{key}`")).map_err(&fail)
    };
    let groups = |value: Option<Vec<OneOrMany>>, key: &str, at_least: usize| -> Result<Vec<FileGroup>, ConfigError> {
        let value = value.ok_or_else(|| fail(format!("{context}: kind {kind_name:?} needs `{key}`")))?;
        if value.len() < at_least {
            return Err(fail(format!("{context}: `{key}` needs at least {at_least} entries")));
        }
        value
            .into_iter()
            .enumerate()
            .map(|(position, entry)| {
                file_group(entry.into_vec(), &format!("{context}, `{key}` entry {}", position + 1))
            })
            .collect::<Result<_, _>>()
            .map_err(&fail)
    };
    // Keys that belong to another kind are mistakes, not decoration.
    let unexpected = |present: &[(&str, bool)]| -> Result<(), ConfigError> {
        match present.iter().find(|(_, is_present)| *is_present) {
            Some((key, _)) => Err(fail(format!("{context}: `{key}` does not apply to kind {kind_name:?}"))),
            None => Ok(()),
        }
    };
    let (layers, modules, from, to, paths) =
        (raw.layers.is_some(), raw.modules.is_some(), raw.from.is_some(), raw.to.is_some(), raw.paths.is_some());
    let kind = match kind_name.as_str() {
        "layers" => {
            unexpected(&[("modules", modules), ("from", from), ("to", to), ("paths", paths)])?;
            RuleKind::Layers(groups(raw.layers, "layers", 2)?)
        }
        "independence" => {
            unexpected(&[("layers", layers), ("from", from), ("to", to), ("paths", paths)])?;
            RuleKind::Independence(groups(raw.modules, "modules", 2)?)
        }
        "forbidden" => {
            unexpected(&[("layers", layers), ("modules", modules), ("paths", paths)])?;
            RuleKind::Forbidden { from: required(raw.from, "from")?, to: required(raw.to, "to")? }
        }
        "acyclic" => {
            unexpected(&[("layers", layers), ("modules", modules), ("from", from), ("to", to)])?;
            if raw.indirect.is_some() {
                return Err(fail(format!("{context}: `indirect` does not apply to kind \"acyclic\"")));
            }
            RuleKind::Acyclic(required(raw.paths, "paths")?)
        }
        other => {
            return Err(fail(format!(
                "{context}: unknown kind {other:?}; expected layers, forbidden, independence or acyclic"
            )));
        }
    };
    let ignore = raw
        .ignore
        .into_iter()
        .map(|text| ignored_import(&text).map_err(|message| fail(format!("{context}, `ignore` {text:?}: {message}"))))
        .collect::<Result<_, _>>()?;
    Ok(Rule { name, kind, indirect: raw.indirect.unwrap_or(true), ignore, line })
}

fn ignored_import(text: &str) -> Result<IgnoredImport, String> {
    let (from, to) = text.split_once("->").ok_or("expected \"FROM -> TO\"")?;
    let (from, to) = (from.trim(), to.trim());
    if from.is_empty() || to.is_empty() {
        return Err("expected \"FROM -> TO\"".to_owned());
    }
    Ok(IgnoredImport {
        text: text.to_owned(),
        from: file_group(vec![from.to_owned()], "its importer")?,
        to: file_group(vec![to.to_owned()], "its imported file")?,
    })
}

/// Globs are workspace-relative: `*` stays within one directory, `**` crosses them.
fn file_group(patterns: Vec<String>, context: &str) -> Result<FileGroup, String> {
    if patterns.is_empty() {
        return Err(format!("{context} is empty"));
    }
    let matchers = patterns
        .iter()
        .map(|pattern| {
            let normalised = pattern.trim_start_matches("./");
            if normalised.starts_with('/') {
                return Err(format!("{context}: {pattern:?} must be relative to the workspace root"));
            }
            GlobBuilder::new(normalised)
                .literal_separator(true)
                .build()
                .map(|glob: Glob| glob.compile_matcher())
                .map_err(|error| format!("{context}: {error}"))
        })
        .collect::<Result<_, _>>()?;
    Ok(FileGroup { patterns, matchers })
}

fn line_of(text: &str, offset: usize) -> u32 {
    let before = text.get(..offset).unwrap_or(text);
    u32::try_from(before.matches('\n').count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        RulesConfig::parse(text).map(|_| ()).expect_err("refused").to_string()
    }

    #[test]
    fn reads_every_kind() {
        let config = RulesConfig::parse(
            r#"
baseline = "thread-baseline.json"

[[rules]]
name = "core stays below ui"
kind = "layers"
layers = ["src/ui/**", ["src/app/**", "src/cli/**"], "src/core/**"]
ignore = ["src/core/a.py -> src/ui/b.py"]

[[rules]]
name = "api never reaches the database"
kind = "forbidden"
from = ["src/api/**"]
to = "src/db/**"
indirect = false

[[rules]]
name = "plugins"
kind = "independence"
modules = ["plugins/a/**", "plugins/b/**"]

[[rules]]
name = "no cycles"
kind = "acyclic"
paths = ["src/core/**"]
"#,
        )
        .expect("valid");
        assert_eq!(config.baseline.as_deref(), Some("thread-baseline.json"));
        assert_eq!(config.rules.len(), 4);
        let RuleKind::Layers(layers) = &config.rules[0].kind else { panic!("layers") };
        assert!(layers[1].contains("src/cli/main.py") && layers[1].contains("src/app/x/y.py"));
        assert!(!layers[0].contains("src/uix/a.py"));
        assert!(config.rules[0].indirect && !config.rules[1].indirect);
        assert!(config.rules[0].ignore[0].from.contains("src/core/a.py"));
        assert_eq!(config.rules[1].line, 9);
    }

    #[test]
    fn a_star_stays_in_its_directory() {
        let group = file_group(vec!["src/*.py".to_owned()], "test").expect("glob");
        assert!(group.contains("src/a.py"));
        assert!(!group.contains("src/sub/a.py"));
    }

    #[test]
    fn refuses_what_it_cannot_use_and_says_where() {
        assert!(
            error("[[rules]]\nname = \"x\"\nkind = \"layer\"\n").contains("line 1: rule \"x\": unknown kind \"layer\"")
        );
        assert!(error("[[rules]]\nname = \"x\"\nkind = \"forbidden\"\nfrom = \"a/**\"\n").contains("needs `to`"));
        assert!(error("[[rules]]\nname = \"x\"\nkind = \"layers\"\nlayers = [\"a/**\"]\n").contains("at least 2"));
        assert!(error("[[rules]]\nname = \"x\"\nkind = \"layers\"\nlayrs = []\n").contains("unknown field `layrs`"));
        assert!(
            error("[[rules]]\nname = \"x\"\nkind = \"acyclic\"\npaths = \"a/**\"\nfrom = \"b\"\n")
                .contains("`from` does not apply")
        );
        assert!(error("[[rules]]\nname = \"x\"\nkind = \"acyclic\"\npaths = \"a/[**\"\n").contains("`paths`"));
        assert!(
            error("[[rules]]\nname = \"x\"\nkind = \"acyclic\"\npaths = \"a\"\nignore = [\"a b\"]\n")
                .contains("FROM -> TO")
        );
        let duplicate = "[[rules]]\nname = \"x\"\nkind = \"acyclic\"\npaths = \"a\"\n\n[[rules]]\nname = \"x\"\nkind = \"acyclic\"\npaths = \"b\"\n";
        assert!(error(duplicate).starts_with("line 6: two rules are named \"x\""), "{}", error(duplicate));
        assert!(error("[[rules]]\nkind = \"acyclic\"\n").contains("rule 1 has no `name`"));
    }
}
