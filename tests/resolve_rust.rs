//! Rust resolution: crate roots, the mod tree (`foo.rs` vs `foo/mod.rs`, inline modules,
//! `#[path]`), `crate`/`self`/`super` paths, use trees, workspace crates, externals.

use crate::fixture::check;

#[test]
fn mod_tree_and_use_paths() {
    check(
        r#"
//- /Cargo.toml
[package]
name = "app"
[dependencies]
serde = "1"
//- /src/lib.rs
mod flat;
pub mod nested;
#[path = "elsewhere/custom.rs"]
mod custom;
mod inline {
    mod deep;
    use super::flat::Item;
}
mod missing;
pub use crate::nested::{self, child::Thing};
use std::collections::HashMap;
use serde::Serialize;
//- /src/flat.rs
use crate::nested::child::*;
use super::custom;
use self::sub::X;
mod sub;
//- /src/flat/sub.rs
use super::super::nested::child::{Thing as T, other::Y};
//- /src/nested/mod.rs
pub mod child;
//- /src/nested/child.rs
use crate::inline::deep::Z;
use unknown_crate::Q;
//- /src/elsewhere/custom.rs
//- /src/inline/deep.rs
"#,
        r#"
        src/flat.rs -> src/elsewhere/custom.rs (import)
        src/flat.rs -> src/flat/sub.rs (import)
        src/flat.rs -> src/flat/sub.rs (mod)
        src/flat.rs -> src/nested/child.rs (import)
        src/flat/sub.rs -> src/nested/child.rs (import)
        src/lib.rs -> src/elsewhere/custom.rs (mod)
        src/lib.rs -> src/flat.rs (import)
        src/lib.rs -> src/flat.rs (mod)
        src/lib.rs -> src/inline/deep.rs (mod)
        src/lib.rs -> src/nested/child.rs (reexport)
        src/lib.rs -> src/nested/mod.rs (mod)
        src/lib.rs -> src/nested/mod.rs (reexport)
        src/lib.rs:9 missing: unresolved
        src/lib.rs:11 std::collections::HashMap: external
        src/lib.rs:12 serde::Serialize: external
        src/nested/child.rs -> src/inline/deep.rs (import)
        src/nested/child.rs:2 unknown_crate::Q: unresolved
        src/nested/mod.rs -> src/nested/child.rs (mod)
        "#,
    );
}

#[test]
fn workspace_crates_bins_and_extern_crate() {
    check(
        r#"
//- /Cargo.toml
[workspace]
members = ["core", "cli"]
//- /core/Cargo.toml
[package]
name = "my-core"
[lib]
path = "src/core.rs"
//- /core/src/core.rs
pub mod model;
//- /core/src/model.rs
//- /cli/Cargo.toml
[package]
name = "cli"
[dependencies]
my-core = { path = "../core" }
//- /cli/src/main.rs
extern crate my_core as core_alias;
use my_core::model::Model;
use ::my_core::Thing;
mod args;
//- /cli/src/args.rs
use crate::Cli;
//- /cli/src/bin/tool.rs
use cli_helpers::X;
use my_core::model;
//- /cli/tests/it.rs
use my_core;
"#,
        r#"
        cli/src/args.rs -> cli/src/main.rs (import)
        core/src/core.rs -> core/src/model.rs (mod)
        cli/src/bin/tool.rs -> core/src/model.rs (import)
        cli/src/bin/tool.rs:1 cli_helpers::X: unresolved
        cli/src/main.rs -> cli/src/args.rs (mod)
        cli/src/main.rs -> core/src/core.rs (import)
        cli/src/main.rs -> core/src/model.rs (import)
        cli/tests/it.rs -> core/src/core.rs (import)
        "#,
    );
}

#[test]
fn local_items_and_enum_variants_are_not_imports_of_other_files() {
    check(
        r#"
//- /Cargo.toml
[package]
name = "x"
//- /src/main.rs
use std::cmp::Ordering;
use Ordering::*;
enum Mode { A, B }
use Mode::A;
"#,
        "src/main.rs:1 std::cmp::Ordering: external",
    );
}

/// Modules hidden in pass-through macros, `cfg_attr` paths (every candidate file, Thread
/// being cfg-blind) and `#[path]` with `..`, other attributes between, and inline
/// parents. Each has a decoy at the place a wrong rule would look.
#[test]
fn macro_items_cfg_attr_and_path_attributes() {
    check(
        r#"
//- /Cargo.toml
[package]
name = "app"
//- /src/lib.rs
cfg_fs! {
    pub mod fs;
    cfg_net! { pub mod net; }
}
#[cfg_attr(libc, path = "backend/libc/mod.rs")]
#[cfg_attr(linux_raw, path = "backend/linux_raw/mod.rs")]
mod backend;
mod outer {
    #[path = "p.rs"]
    mod inner;
}
mod walker;
//- /src/fs.rs
use crate::net::Socket;
//- /src/net.rs
//- /src/backend/libc/mod.rs
mod io;
//- /src/backend/libc/io.rs
//- /src/backend/linux_raw/mod.rs
mod io;
//- /src/backend/linux_raw/io.rs
//- /src/backend/io.rs
//- /src/outer/p.rs
//- /src/p.rs
//- /src/walker.rs
mod outer {
    #[path = "q.rs"]
    mod inner;
}
//- /src/walker/outer/q.rs
//- /src/outer/q.rs
//- /src/bin/tool.rs
#[path = "../../shared/common.rs"]
#[allow(dead_code)]
mod common;
//- /src/bin/tool/common.rs
//- /shared/common.rs
"#,
        r#"
        src/backend/libc/mod.rs -> src/backend/libc/io.rs (mod)
        src/backend/linux_raw/mod.rs -> src/backend/linux_raw/io.rs (mod)
        src/bin/tool.rs -> shared/common.rs (mod)
        src/fs.rs -> src/net.rs (import)
        src/lib.rs -> src/backend/libc/mod.rs (mod)
        src/lib.rs -> src/backend/linux_raw/mod.rs (mod)
        src/lib.rs -> src/fs.rs (mod)
        src/lib.rs -> src/net.rs (mod)
        src/lib.rs -> src/outer/p.rs (mod)
        src/lib.rs -> src/walker.rs (mod)
        src/walker.rs -> src/walker/outer/q.rs (mod)
        "#,
    );
}

/// Name resolution that a string walk of the path gets wrong, each with its decoy: a
/// private module is no module outside its parent (the parent's re-exported item is
/// meant), glob imports make other modules' children their own (two under different cfgs
/// both count), and a path through a module with one file per cfg reaches every branch,
/// except from inside a branch or under a `#[cfg]` that picks or rules out branches (a
/// branch is chosen by a `cfg_attr` path, or by the `#[cfg]` of one of two declarations).
/// A name a `use` brought in stands for its path.
#[test]
fn private_modules_glob_imported_modules_and_cfg_branches() {
    check(
        r#"
//- /Cargo.toml
[package]
name = "app"
//- /src/lib.rs
mod io;
mod loom;
#[cfg_attr(unix, path = "sys/unix/mod.rs")]
#[cfg_attr(windows, path = "sys/windows/mod.rs")]
mod sys;
mod user;
mod alias;
#[cfg(unix)]
mod unix_only;
#[cfg(all(feature = "x", not(windows)))]
mod not_windows;
#[cfg(unix)]
#[path = "imp/unix.rs"]
mod imp;
#[cfg(windows)]
#[path = "imp/windows.rs"]
mod imp;
//- /src/imp/unix.rs
//- /src/imp/windows.rs
//- /src/unix_only.rs
use crate::sys::fs::File;
use crate::imp::Pipe;
//- /src/not_windows.rs
use crate::sys::fs::File;
//- /src/alias.rs
use crate::loom;
use loom::thread::Builder;
//- /src/io/mod.rs
mod util;
pub use util::copy;
use self::util::helpers::Helper;
//- /src/io/util/mod.rs
mod copy;
pub mod helpers;
pub use copy::copy;
//- /src/io/util/copy.rs
//- /src/io/util/helpers.rs
use super::copy::Inner;
//- /src/loom/mod.rs
#[cfg(not(loom))]
mod std;
#[cfg(not(loom))]
pub(crate) use self::std::*;
#[cfg(loom)]
mod mocked;
#[cfg(loom)]
pub(crate) use self::mocked::*;
//- /src/loom/mocked.rs
pub(crate) mod sync {}
//- /src/loom/std/mod.rs
pub(crate) mod sync {}
pub(crate) mod thread;
//- /src/loom/std/thread.rs
//- /src/loom/thread.rs
//- /src/user.rs
use crate::loom::sync::Arc;
use crate::loom::thread::spawn;
use crate::sys::fs::File;
use crate::imp::Pipe;
//- /src/sys/unix/mod.rs
pub mod fs;
mod helper;
//- /src/sys/unix/fs.rs
use crate::sys::helper::Flags;
//- /src/sys/unix/helper.rs
//- /src/sys/windows/mod.rs
pub mod fs;
mod helper;
//- /src/sys/windows/fs.rs
//- /src/sys/windows/helper.rs
"#,
        r#"
        src/alias.rs -> src/loom/mod.rs (import)
        src/alias.rs -> src/loom/std/thread.rs (import)
        src/io/mod.rs -> src/io/util/helpers.rs (import)
        src/io/mod.rs -> src/io/util/mod.rs (mod)
        src/io/mod.rs -> src/io/util/mod.rs (reexport)
        src/io/util/helpers.rs -> src/io/util/copy.rs (import)
        src/io/util/mod.rs -> src/io/util/copy.rs (mod)
        src/io/util/mod.rs -> src/io/util/copy.rs (reexport)
        src/io/util/mod.rs -> src/io/util/helpers.rs (mod)
        src/lib.rs -> src/alias.rs (mod)
        src/lib.rs -> src/imp/unix.rs (mod)
        src/lib.rs -> src/imp/windows.rs (mod)
        src/lib.rs -> src/io/mod.rs (mod)
        src/lib.rs -> src/loom/mod.rs (mod)
        src/lib.rs -> src/not_windows.rs (mod)
        src/lib.rs -> src/sys/unix/mod.rs (mod)
        src/lib.rs -> src/sys/windows/mod.rs (mod)
        src/lib.rs -> src/unix_only.rs (mod)
        src/lib.rs -> src/user.rs (mod)
        src/loom/mod.rs -> src/loom/mocked.rs (mod)
        src/loom/mod.rs -> src/loom/mocked.rs (reexport)
        src/loom/mod.rs -> src/loom/std/mod.rs (mod)
        src/loom/mod.rs -> src/loom/std/mod.rs (reexport)
        src/loom/std/mod.rs -> src/loom/std/thread.rs (mod)
        src/not_windows.rs -> src/sys/unix/fs.rs (import)
        src/sys/unix/fs.rs -> src/sys/unix/helper.rs (import)
        src/sys/unix/mod.rs -> src/sys/unix/fs.rs (mod)
        src/sys/unix/mod.rs -> src/sys/unix/helper.rs (mod)
        src/sys/windows/mod.rs -> src/sys/windows/fs.rs (mod)
        src/sys/windows/mod.rs -> src/sys/windows/helper.rs (mod)
        src/unix_only.rs -> src/imp/unix.rs (import)
        src/unix_only.rs -> src/sys/unix/fs.rs (import)
        src/user.rs -> src/imp/unix.rs (import)
        src/user.rs -> src/imp/windows.rs (import)
        src/user.rs -> src/loom/mocked.rs (import)
        src/user.rs -> src/loom/std/mod.rs (import)
        src/user.rs -> src/loom/std/thread.rs (import)
        src/user.rs -> src/sys/unix/fs.rs (import)
        src/user.rs -> src/sys/windows/fs.rs (import)
        "#,
    );
}
