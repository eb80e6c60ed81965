//! Python resolution: every import form, source roots, namespace packages, relative imports.

use crate::fixture::check;

#[test]
fn import_forms_and_relative_imports() {
    check(
        r#"
//- /pkg/__init__.py
from .core import engine
//- /pkg/core/__init__.py
//- /pkg/core/engine.py
import os
import pkg.util
import pkg.util as u2
from . import helpers, CONSTANT
from .. import util
from ..util import parse as p
from ...outside import x
from pkg.core.helpers import *
import pkg.missing
from pkg.core import nothing_here
//- /pkg/core/helpers.py
def run():
    import json
    from pkg import util
//- /pkg/util.py
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from pkg.core.engine import Engine
try:
    import numpy
except ImportError:
    numpy = None
"#,
        r#"
        pkg/__init__.py -> pkg/core/engine.py (import)
        pkg/core/engine.py -> pkg/core/__init__.py (import)
        pkg/core/engine.py -> pkg/core/helpers.py (import)
        pkg/core/engine.py -> pkg/util.py (import)
        pkg/core/engine.py:9 pkg.missing: unresolved
        pkg/core/engine.py:1 os: external
        pkg/core/engine.py:7 ...outside: unresolved
        pkg/core/helpers.py -> pkg/util.py (import)
        pkg/core/helpers.py:2 json: external
        pkg/util.py -> pkg/core/engine.py (import)
        pkg/util.py:1 typing: external
        pkg/util.py:5 numpy: external
        "#,
    );
}

#[test]
fn import_a_b_c_depends_on_the_leaf_module_only() {
    check(
        r#"
//- /main.py
import a.b.c
//- /a/__init__.py
//- /a/b/__init__.py
//- /a/b/c.py
"#,
        "main.py -> a/b/c.py (import)",
    );
}

#[test]
fn src_layout_and_pyproject_roots() {
    check(
        r#"
//- /pyproject.toml
[tool.setuptools.packages.find]
where = ["lib"]
//- /lib/alpha/__init__.py
from beta import thing
//- /src/beta/__init__.py
thing = 1
//- /tests/test_alpha.py
import alpha
import beta
"#,
        r#"
        lib/alpha/__init__.py -> src/beta/__init__.py (import)
        tests/test_alpha.py -> lib/alpha/__init__.py (import)
        tests/test_alpha.py -> src/beta/__init__.py (import)
        "#,
    );
}

#[test]
fn setup_cfg_package_dir() {
    check(
        r#"
//- /proj/setup.cfg
[options]
package_dir =
    =code
//- /proj/code/app/__init__.py
from app import models
//- /proj/code/app/models.py
"#,
        "proj/code/app/__init__.py -> proj/code/app/models.py (import)",
    );
}

#[test]
fn namespace_packages_without_init() {
    check(
        r#"
//- /ns/part/mod.py
from ns.part import sibling
from ns.part import not_a_module
import ns.part
//- /ns/part/sibling.py
//- /app.py
from ns import part
import ns.part.mod
"#,
        r#"
        app.py -> ns/part/mod.py (import)
        ns/part/mod.py -> ns/part/sibling.py (import)
        ns/part/mod.py:2 ns.part: unresolved
        "#,
    );
}

#[test]
fn scripts_import_their_neighbours_but_packages_do_not() {
    check(
        r#"
//- /scripts/run.py
import helper
//- /scripts/helper.py
//- /pkg/__init__.py
//- /pkg/mod.py
import sibling
//- /pkg/sibling.py
"#,
        r#"
        scripts/run.py -> scripts/helper.py (import)
        pkg/mod.py:1 sibling: external
        "#,
    );
}
