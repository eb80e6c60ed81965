//! Go resolution: go.mod module paths, package directories, test files, prefix collisions.

use crate::fixture::check;

#[test]
fn in_module_packages_are_edges_to_every_non_test_file() {
    check(
        r#"
//- /go.mod
module example.com/proj

go 1.21
//- /main.go
package main

import (
	"fmt"
	"example.com/proj/util"
	u2 "example.com/proj/util"
	. "example.com/proj/dot"
	_ "example.com/proj/blank"
	"example.com/projx/other"
	"example.com/proj/missing"
	"github.com/pkg/errors"
)
//- /util/a.go
package util
//- /util/b.go
package util
import "example.com/proj"
//- /util/a_test.go
package util
//- /dot/dot.go
package dot
//- /blank/blank.go
package blank
//- /proj.go
package main
"#,
        r#"
        main.go -> blank/blank.go (import)
        main.go -> dot/dot.go (import)
        main.go -> util/a.go (import)
        main.go -> util/b.go (import)
        main.go:9 example.com/projx/other: external
        main.go:10 example.com/proj/missing: unresolved
        main.go:11 github.com/pkg/errors: external
        main.go:4 fmt: external
        util/b.go -> main.go (import)
        util/b.go -> proj.go (import)
        "#,
    );
}

#[test]
fn external_test_packages_see_internal_test_files() {
    check(
        r#"
//- /go.mod
module example.com/m
//- /lib/lib.go
package lib
//- /lib/export_test.go
package lib
//- /lib/lib_test.go
package lib_test
import "example.com/m/lib"
//- /other/other_test.go
package other
import "example.com/m/lib"
"#,
        r#"
        lib/lib_test.go -> lib/export_test.go (import)
        lib/lib_test.go -> lib/lib.go (import)
        other/other_test.go -> lib/lib.go (import)
        "#,
    );
}

#[test]
fn nested_modules_own_their_directories() {
    check(
        r#"
//- /go.mod
module example.com/root
//- /tools/go.mod
module example.com/root/tools
//- /tools/gen/gen.go
package gen
//- /main.go
package main
import "example.com/root/tools/gen"
"#,
        "main.go -> tools/gen/gen.go (import)",
    );
}
