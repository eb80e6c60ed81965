//! The synthetic workspace generator's known edges against the extracted graph, exactly.

use std::collections::BTreeSet;

use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_flow::engine::{LoadOptions, index_workspace};

#[test]
fn extracted_graph_equals_the_generators_truth() {
    for seed in [1, 2, 3] {
        let workspace = SyntheticWorkspace::generate(SyntheticOptions {
            files_per_language: 60,
            seed,
            ..SyntheticOptions::default()
        });
        let dir = tempfile::tempdir().expect("temp dir");
        workspace.write_to(dir.path()).expect("write workspace");
        let report = index_workspace(dir.path(), &LoadOptions::default()).expect("index");

        let actual: BTreeSet<_> =
            report.graph.edges.iter().map(|edge| (edge.from.clone(), edge.to.clone(), edge.kind)).collect();
        let missing: Vec<_> = workspace.edges.difference(&actual).collect();
        let extra: Vec<_> = actual.difference(&workspace.edges).collect();
        assert!(missing.is_empty() && extra.is_empty(), "seed {seed}: missing {missing:#?}\nextra {extra:#?}");

        // Every unresolved import is one of the generator's deliberate externals.
        for import in &report.graph.unresolved {
            assert!(import.external, "seed {seed}: {import:?} should have resolved");
            assert!(["std::fmt", "os", "node:fs", "fmt"].contains(&import.specifier.as_str()), "{import:?}");
        }
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        assert!(workspace.edges.len() > 400, "only {} edges", workspace.edges.len());
        let sources = workspace
            .files
            .iter()
            .filter(|(path, _)| {
                thread_flow::extractors::resolve::source_language(path.rsplit('/').next().unwrap_or(path)).is_some()
            })
            .count();
        assert_eq!(report.graph.files.len(), sources);
    }
}
