//! Checking rules against one snapshot of the graph.
//!
//! The semantics follow import-linter, so that the two agree on the same contracts:
//! - a chain *starts* at the last file of its importing group and *ends* at the first
//!   file of a group it must not reach: files of the rule's groups are never inside a
//!   chain (`api/a → api/b → db/x` is `api/b`'s violation, not `api/a`'s);
//! - one violation per (from, to) pair of files, with a shortest chain;
//! - an `ignore` entry removes the imports it matches before the rule is checked.

use std::collections::VecDeque;

use thread_extractors::Span;

use crate::ids::FileId;
use crate::rules::config::{FileGroup, Rule, RuleKind, RulesConfig};
use crate::scc::cyclic_components;
use crate::snapshot::{Snapshot, to_id};

/// One violating pair of files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Index of the rule in [`RulesConfig::rules`].
    pub rule: usize,
    /// The file whose import starts the chain.
    pub from: FileId,
    /// The file it must not reach. For `acyclic`, `from` again: the chain is a cycle.
    pub to: FileId,
    /// A shortest chain of imports, `from` first and `to` last.
    pub chain: Vec<FileId>,
    /// Where `from` writes the import that starts the chain.
    pub span: Span,
}

impl Violation {
    /// The violation in words, the same in every output: `a must not reach b (rule
    /// "name"): a → c → b`, or `import cycle (rule "name"): a → b → a`.
    pub fn describe(&self, snapshot: &Snapshot, config: &RulesConfig) -> String {
        let name = config.rules.get(self.rule).map_or("", |rule| rule.name.as_str());
        let chain: Vec<&str> = self.chain.iter().map(|file| snapshot.path(*file)).collect();
        if self.from == self.to {
            format!("import cycle (rule {name:?}): {}", chain.join(" → "))
        } else {
            format!(
                "{} must not reach {} (rule {name:?}): {}",
                snapshot.path(self.from),
                snapshot.path(self.to),
                chain.join(" → ")
            )
        }
    }
}

/// A rule that cannot be checked against this tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Index of the rule.
    pub rule: usize,
    /// Why, naming the file and its groups.
    pub message: String,
}

/// What checking every rule found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Sorted by rule, then `from` path, then `to` path.
    pub violations: Vec<Violation>,
    /// (rule, the `ignore` entry as written): entries no import matches any more.
    pub unmatched_ignores: Vec<(usize, String)>,
    /// Rules refused because a file sits in two of their groups.
    pub refusals: Vec<Refusal>,
    /// (rule, message): groups that match no file; probably a typo.
    pub warnings: Vec<(usize, String)>,
}

/// Checks every rule of `config` against `snapshot`.
pub fn check(snapshot: &Snapshot, config: &RulesConfig) -> CheckOutcome {
    let graph = ImportGraph::of(snapshot);
    let mut outcome = CheckOutcome::default();
    for (index, rule) in config.rules.iter().enumerate() {
        check_rule(snapshot, &graph, index, rule, &mut outcome);
    }
    outcome.violations.sort_by(|a, b| {
        (a.rule, snapshot.path(a.from), snapshot.path(a.to)).cmp(&(b.rule, snapshot.path(b.from), snapshot.path(b.to)))
    });
    outcome
}

/// The file graph as successor lists indexed by file id.
struct ImportGraph {
    successors: Vec<Vec<FileId>>,
    files: Vec<FileId>,
}

impl ImportGraph {
    fn of(snapshot: &Snapshot) -> ImportGraph {
        let successors =
            snapshot.successors().into_iter().map(|targets| targets.into_iter().map(to_id).collect()).collect();
        ImportGraph { successors, files: snapshot.files().map(|file| file.id).collect() }
    }

    fn successors(&self, file: FileId) -> &[FileId] {
        self.successors.get(file.index()).map_or(&[], Vec::as_slice)
    }
}

fn check_rule(snapshot: &Snapshot, graph: &ImportGraph, index: usize, rule: &Rule, outcome: &mut CheckOutcome) {
    let groups: Vec<&FileGroup> = match &rule.kind {
        RuleKind::Layers(layers) => layers.iter().collect(),
        RuleKind::Independence(modules) => modules.iter().collect(),
        RuleKind::Forbidden { from, to } => vec![from, to],
        RuleKind::Acyclic(paths) => vec![paths],
    };
    let membership = match assign_groups(snapshot, graph, &groups) {
        Ok(membership) => membership,
        Err(message) => {
            outcome.refusals.push(Refusal { rule: index, message });
            return;
        }
    };
    for (position, group) in groups.iter().enumerate() {
        if !membership.contains(&Some(position)) {
            outcome.warnings.push((index, format!("{} matches no file", group.describe())));
        }
    }
    let ignored = ignored_edges(snapshot, graph, rule, index, outcome);
    let allowed = |from: FileId, to: FileId| !ignored.contains(&(from, to));
    let group_of = |file: FileId| membership.get(file.index()).copied().flatten();

    if let RuleKind::Acyclic(_) = rule.kind {
        for cycle in cycles_within(graph, &group_of, &allowed, snapshot) {
            let span = import_span(snapshot, cycle[0], cycle[1]).unwrap_or_default();
            outcome.violations.push(Violation { rule: index, from: cycle[0], to: cycle[0], chain: cycle, span });
        }
        return;
    }
    let forbids = |from_group: usize, to_group: usize| match rule.kind {
        RuleKind::Layers(_) => to_group < from_group,
        RuleKind::Independence(_) => to_group != from_group,
        RuleKind::Forbidden { .. } => from_group == 0 && to_group == 1,
        RuleKind::Acyclic(_) => false,
    };
    // Only groups with something they must not reach start searches: not a forbidden
    // rule's `to`, not the highest layer.
    let starts: Vec<bool> = (0..groups.len()).map(|from| (0..groups.len()).any(|to| forbids(from, to))).collect();
    let mut search = Search::new(graph.successors.len());
    for &from in &graph.files {
        let Some(from_group) = group_of(from).filter(|group| starts[*group]) else { continue };
        // Breadth-first through files of no group: shortest chains to every file reached.
        search.start(from);
        while let Some(at) = search.next() {
            for &next in graph.successors(at) {
                if next == from || search.seen(next) || !allowed(at, next) {
                    continue;
                }
                search.reach(next, at);
                match group_of(next) {
                    Some(to_group) if forbids(from_group, to_group) => {
                        let chain = search.chain_to(next);
                        let span = import_span(snapshot, from, chain[1]).unwrap_or_default();
                        outcome.violations.push(Violation { rule: index, from, to: next, chain, span });
                    }
                    Some(_) => {}
                    None if rule.indirect => search.enqueue(next),
                    None => {}
                }
            }
        }
    }
}

/// One breadth-first search after another over the same files, without clearing: a
/// file counts as seen when its stamp is the current round's. Rules run one search per
/// file of their groups, so this is the checker's inner loop.
struct Search {
    round: u32,
    stamp: Vec<u32>,
    parent: Vec<FileId>,
    queue: VecDeque<FileId>,
    from: FileId,
}

impl Search {
    fn new(files: usize) -> Search {
        Search {
            round: 0,
            stamp: vec![0; files],
            parent: vec![FileId(0); files],
            queue: VecDeque::new(),
            from: FileId(0),
        }
    }

    fn start(&mut self, from: FileId) {
        self.round += 1;
        self.queue.clear();
        self.from = from;
        self.reach(from, from);
        self.queue.push_back(from);
    }

    fn next(&mut self) -> Option<FileId> {
        self.queue.pop_front()
    }

    fn seen(&self, file: FileId) -> bool {
        self.stamp.get(file.index()) == Some(&self.round)
    }

    fn reach(&mut self, file: FileId, from: FileId) {
        if let (Some(stamp), Some(parent)) = (self.stamp.get_mut(file.index()), self.parent.get_mut(file.index())) {
            *stamp = self.round;
            *parent = from;
        }
    }

    fn enqueue(&mut self, file: FileId) {
        self.queue.push_back(file);
    }

    /// The path from the search's start to `to`, both included.
    fn chain_to(&self, to: FileId) -> Vec<FileId> {
        let mut chain = vec![to];
        let mut at = to;
        while at != self.from {
            at = self.parent[at.index()];
            chain.push(at);
        }
        chain.reverse();
        chain
    }
}

/// Each file's group, by file index; a file in two groups refuses the rule.
fn assign_groups(
    snapshot: &Snapshot,
    graph: &ImportGraph,
    groups: &[&FileGroup],
) -> Result<Vec<Option<usize>>, String> {
    let mut membership = vec![None; graph.successors.len()];
    for &file in &graph.files {
        let path = snapshot.path(file);
        let mut matching = groups.iter().enumerate().filter(|(_, group)| group.contains(path)).map(|(at, _)| at);
        if let Some(first) = matching.next() {
            if let Some(second) = matching.next() {
                return Err(format!(
                    "{path} matches both {} and {}; a file may sit in one group only",
                    groups[first].describe(),
                    groups[second].describe()
                ));
            }
            membership[file.index()] = Some(first);
        }
    }
    Ok(membership)
}

/// The edges the rule's `ignore` entries remove; entries that match none are recorded.
fn ignored_edges(
    snapshot: &Snapshot,
    graph: &ImportGraph,
    rule: &Rule,
    index: usize,
    outcome: &mut CheckOutcome,
) -> std::collections::BTreeSet<(FileId, FileId)> {
    let mut ignored = std::collections::BTreeSet::new();
    for entry in &rule.ignore {
        let mut matched = false;
        for &from in &graph.files {
            if !entry.from.contains(snapshot.path(from)) {
                continue;
            }
            for &to in graph.successors(from) {
                if entry.to.contains(snapshot.path(to)) {
                    ignored.insert((from, to));
                    matched = true;
                }
            }
        }
        if !matched {
            outcome.unmatched_ignores.push((index, entry.text.clone()));
        }
    }
    ignored
}

/// Where `from` first writes an import that links it to `to`; `None` when no import of
/// it does (any more).
pub fn import_span(snapshot: &Snapshot, from: FileId, to: FileId) -> Option<Span> {
    let file = snapshot.file(from)?;
    file.links
        .iter()
        .filter(|link| link.to == to)
        .filter_map(|link| file.facts.imports.get(link.import).map(|import| import.span))
        .min()
}

/// Each import cycle among the group's files, as a shortest cycle through the first file
/// (by path) of its strongly connected component: `[a, …, a]`.
fn cycles_within(
    graph: &ImportGraph,
    group_of: &impl Fn(FileId) -> Option<usize>,
    allowed: &impl Fn(FileId, FileId) -> bool,
    snapshot: &Snapshot,
) -> Vec<Vec<FileId>> {
    let inside = |file: FileId| group_of(file).is_some();
    // The graph the rule's paths induce, without ignored imports.
    let successors: Vec<Vec<usize>> = (0..graph.successors.len())
        .map(|index| {
            let file = to_id(index);
            if !inside(file) {
                return Vec::new();
            }
            let targets = graph.successors(file).iter().filter(|to| inside(**to) && allowed(file, **to));
            targets.map(|to| to.index()).collect()
        })
        .collect();
    let mut search = Search::new(successors.len());
    let mut cycles = Vec::new();
    for component in cyclic_components(&successors) {
        let Some(start) = component.into_iter().map(to_id).min_by_key(|file| snapshot.path(*file)) else { continue };
        // Breadth-first from the first file; the first edge back to it closes a shortest cycle.
        search.start(start);
        'search: while let Some(at) = search.next() {
            for &next in &successors[at.index()] {
                let next = to_id(next);
                if next == start {
                    let mut cycle = search.chain_to(at);
                    cycle.push(start);
                    cycles.push(cycle);
                    break 'search;
                }
                if !search.seen(next) {
                    search.reach(next, at);
                    search.enqueue(next);
                }
            }
        }
    }
    cycles
}
