//! Architecture rules against hand-written workspaces. Every rule has decoys: chains that
//! pass through a file of the importing group, cross a third layer, or run the allowed
//! way, so that only the intended semantics pass.

use thread_flow::engine::rules::{CheckOutcome, RulesConfig, check};
use thread_flow::engine::{FileChange, Host, RecocoFlow, Snapshot};

use crate::fixture::parse as parse_fixture;

fn snapshot(fixture: &str) -> Snapshot {
    let mut host = Host::new(RecocoFlow::shared().expect("the ReCoco flow builds"));
    host.apply(parse_fixture(fixture).into_iter().map(|(path, text)| FileChange::write(path, text)).collect());
    host.snapshot()
}

fn run(fixture: &str, rules: &str) -> (Snapshot, CheckOutcome) {
    let snapshot = snapshot(fixture);
    let config = RulesConfig::parse(rules).expect("valid rules");
    let outcome = check(&snapshot, &config);
    (snapshot, outcome)
}

/// `from -> to: chain` per violation, sorted.
fn violations(snapshot: &Snapshot, outcome: &CheckOutcome) -> Vec<String> {
    outcome
        .violations
        .iter()
        .map(|violation| {
            let chain: Vec<&str> = violation.chain.iter().map(|file| snapshot.path(*file)).collect();
            format!("{} -> {}: {}", snapshot.path(violation.from), snapshot.path(violation.to), chain.join(" > "))
        })
        .collect()
}

const LAYERED: &str = r#"
//- /src/__init__.py
//- /src/ui/__init__.py
//- /src/ui/view.py
from src.core import model
//- /src/ui/widget.py
//- /src/app/__init__.py
//- /src/app/service.py
from src.ui import widget
//- /src/core/__init__.py
//- /src/core/model.py
from src.helpers import bridge
//- /src/core/entry.py
from src.core import model
from src.app import service
//- /src/helpers/__init__.py
//- /src/helpers/bridge.py
from src.ui import widget
"#;

const LAYERS: &str = r#"
[[rules]]
name = "core stays below ui"
kind = "layers"
layers = ["src/ui/**", "src/app/**", "src/core/**"]
"#;

#[test]
fn layers_report_each_crossing_once_where_it_leaves_its_layer() {
    let (snapshot, outcome) = run(LAYERED, LAYERS);
    assert_eq!(
        violations(&snapshot, &outcome),
        [
            // app may not import ui.
            "src/app/service.py -> src/ui/widget.py: src/app/service.py > src/ui/widget.py",
            // core may not import app; entry → service → widget is reported at service.
            "src/core/entry.py -> src/app/service.py: src/core/entry.py > src/app/service.py",
            // Through a file of no layer.
            "src/core/model.py -> src/ui/widget.py: src/core/model.py > src/helpers/bridge.py > src/ui/widget.py",
        ]
    );
    // The import that starts the chain: `src.helpers` in `from src.helpers import bridge`.
    let through_helpers = &outcome.violations[2];
    assert_eq!((through_helpers.span.start.line, through_helpers.span.start.column), (0, 5));
    assert!(outcome.refusals.is_empty() && outcome.unmatched_ignores.is_empty() && outcome.warnings.is_empty());
}

#[test]
fn direct_layers_ignore_chains() {
    let rules = LAYERS.replace("kind = \"layers\"", "kind = \"layers\"\nindirect = false");
    let (snapshot, outcome) = run(LAYERED, &rules);
    assert_eq!(
        violations(&snapshot, &outcome),
        [
            "src/app/service.py -> src/ui/widget.py: src/app/service.py > src/ui/widget.py",
            "src/core/entry.py -> src/app/service.py: src/core/entry.py > src/app/service.py",
        ]
    );
}

#[test]
fn an_ignored_import_removes_its_edge_and_a_stale_one_is_reported() {
    let rules = LAYERS.to_owned()
        + "ignore = [\"src/helpers/bridge.py -> src/ui/*.py\", \"src/core/model.py -> src/ui/view.py\"]\n";
    let (snapshot, outcome) = run(LAYERED, &rules);
    assert_eq!(violations(&snapshot, &outcome).len(), 2, "{:?}", violations(&snapshot, &outcome));
    assert_eq!(outcome.unmatched_ignores, [(0, "src/core/model.py -> src/ui/view.py".to_owned())]);
}

#[test]
fn forbidden_chains_may_cross_other_files_but_start_at_the_last_importer() {
    let fixture = r#"
//- /api/__init__.py
//- /api/a.py
from api import b
//- /api/b.py
from db import x
//- /api/c.py
from mid import m
//- /api/d.py
from mid import clean
//- /mid/__init__.py
//- /mid/m.py
from db import y
//- /mid/clean.py
//- /db/__init__.py
//- /db/x.py
//- /db/y.py
from api import d
"#;
    let rules = "[[rules]]\nname = \"api never reaches the database\"\nkind = \"forbidden\"\nfrom = \"api/**\"\nto = \"db/**\"\n";
    let (snapshot, outcome) = run(fixture, rules);
    assert_eq!(
        violations(&snapshot, &outcome),
        ["api/b.py -> db/x.py: api/b.py > db/x.py", "api/c.py -> db/y.py: api/c.py > mid/m.py > db/y.py"]
    );
    let direct = rules.replace("kind", "indirect = false\nkind");
    let (snapshot, outcome) = run(fixture, &direct);
    assert_eq!(violations(&snapshot, &outcome), ["api/b.py -> db/x.py: api/b.py > db/x.py"]);
}

#[test]
fn independent_modules_reach_no_other_module() {
    let fixture = r#"
//- /plugins/a/main.ts
import { shared } from '../../core/shared';
import { b } from '../b/main';
//- /plugins/b/main.ts
export const b = 1;
//- /plugins/c/main.ts
import { shared } from '../../core/shared';
//- /core/shared.ts
import { c } from '../plugins/c/main';
export const shared = 1;
"#;
    let rules = "[[rules]]\nname = \"plugins\"\nkind = \"independence\"\nmodules = [\"plugins/a/**\", \"plugins/b/**\", \"plugins/c/**\"]\n";
    let (snapshot, outcome) = run(fixture, rules);
    assert_eq!(
        violations(&snapshot, &outcome),
        [
            "plugins/a/main.ts -> plugins/b/main.ts: plugins/a/main.ts > plugins/b/main.ts",
            "plugins/a/main.ts -> plugins/c/main.ts: plugins/a/main.ts > core/shared.ts > plugins/c/main.ts",
        ]
    );
}

#[test]
fn acyclic_counts_cycles_inside_its_paths_only() {
    let fixture = r#"
//- /core/a.go
package core
//- /go.mod
module example.com/m
//- /core/x/x.go
package x
import _ "example.com/m/core/y"
//- /core/y/y.go
package y
import _ "example.com/m/core/x"
//- /core/p/p.go
package p
import _ "example.com/m/util"
//- /util/u.go
package u
import _ "example.com/m/core/q"
//- /core/q/q.go
package q
import _ "example.com/m/core/p"
"#;
    let rules = "[[rules]]\nname = \"no cycles in core\"\nkind = \"acyclic\"\npaths = \"core/**\"\n";
    let (snapshot, outcome) = run(fixture, rules);
    // p → util → q → p leaves `core/**`, so it is no cycle of core's.
    assert_eq!(
        violations(&snapshot, &outcome),
        ["core/x/x.go -> core/x/x.go: core/x/x.go > core/y/y.go > core/x/x.go"]
    );
}

#[test]
fn a_file_in_two_groups_refuses_the_rule() {
    let rules =
        "[[rules]]\nname = \"overlap\"\nkind = \"layers\"\nlayers = [\"src/**\", \"src/core/**\", \"nowhere/**\"]\n";
    let (_, outcome) = run(LAYERED, rules);
    assert_eq!(outcome.refusals.len(), 1);
    assert!(outcome.refusals[0].message.contains("matches both src/** and src/core/**"), "{:?}", outcome.refusals);
    assert!(outcome.violations.is_empty());
}

#[test]
fn a_group_that_matches_no_file_is_a_warning() {
    let rules = "[[rules]]\nname = \"typo\"\nkind = \"layers\"\nlayers = [\"src/ui/**\", \"src/cor/**\"]\n";
    let (_, outcome) = run(LAYERED, rules);
    assert_eq!(outcome.warnings, [(0, "src/cor/** matches no file".to_owned())]);
}
