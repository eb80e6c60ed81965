//! TypeScript/JavaScript resolution: every import form, extension and index probing,
//! tsconfig `baseUrl`/`paths`/`extends`, workspace packages.

use crate::fixture::check;

#[test]
fn import_forms_and_probing() {
    check(
        r#"
//- /src/app.ts
import def, { a as b } from './lib';
import * as ns from "./ns";
import type { T } from './types';
import './side-effect.js';
import x = require('./legacy');
export * from './all';
export { y } from './re';
export * as star from './star';
const lazy = () => import('./lazy');
const r = require('./cjs');
import Widget from './components';
import data from './data.json';
import './styles.css';
import React from 'react';
import { readFile } from 'node:fs';
import missing from './missing';
//- /src/lib.ts
//- /src/ns/index.ts
//- /src/types.d.ts
//- /src/side-effect.ts
//- /src/legacy.js
//- /src/all.mts
//- /src/re.tsx
//- /src/star.ts
//- /src/lazy.mjs
//- /src/cjs.cjs
//- /src/components/index.tsx
"#,
        r#"
        src/app.ts -> src/all.mts (reexport)
        src/app.ts -> src/cjs.cjs (import)
        src/app.ts -> src/components/index.tsx (import)
        src/app.ts -> src/lazy.mjs (dynamic)
        src/app.ts -> src/legacy.js (import)
        src/app.ts -> src/lib.ts (import)
        src/app.ts -> src/ns/index.ts (import)
        src/app.ts -> src/re.tsx (reexport)
        src/app.ts -> src/side-effect.ts (import)
        src/app.ts -> src/star.ts (reexport)
        src/app.ts -> src/types.d.ts (type)
        src/app.ts:14 react: external
        src/app.ts:15 node:fs: external
        src/app.ts:16 ./missing: unresolved
        "#,
    );
}

#[test]
fn tsconfig_paths_base_url_and_extends() {
    check(
        r#"
//- /tsconfig.base.json
{
  // comments and trailing commas are allowed
  "compilerOptions": {
    "baseUrl": "./src",
    "paths": { "@app/*": ["app/*", "fallback/*"], "@config": ["config/index.ts"], },
  },
}
//- /tsconfig.json
{ "extends": "./tsconfig.base.json", "compilerOptions": { "strict": true } }
//- /src/main.ts
import { a } from '@app/feature';
import { b } from '@app/only-fallback';
import { c } from '@config';
import { d } from 'shared/util';
import { e } from '@app/nothing';
//- /src/app/feature.ts
//- /src/fallback/only-fallback.ts
//- /src/config/index.ts
//- /src/shared/util.ts
"#,
        r#"
        src/main.ts -> src/app/feature.ts (import)
        src/main.ts -> src/config/index.ts (import)
        src/main.ts -> src/fallback/only-fallback.ts (import)
        src/main.ts -> src/shared/util.ts (import)
        src/main.ts:5 @app/nothing: external
        "#,
    );
}

#[test]
fn nearest_config_wins() {
    check(
        r#"
//- /tsconfig.json
{ "compilerOptions": { "baseUrl": "." } }
//- /packages/web/jsconfig.json
{ "compilerOptions": { "baseUrl": "lib" } }
//- /packages/web/main.js
import util from 'util2';
//- /packages/web/lib/util2.js
//- /util2.ts
//- /root.ts
import util from 'util2';
"#,
        r#"
        packages/web/main.js -> packages/web/lib/util2.js (import)
        root.ts -> util2.ts (import)
        "#,
    );
}

#[test]
fn workspace_packages_by_exports_main_and_source_fallback() {
    check(
        r#"
//- /packages/core/package.json
{ "name": "@acme/core", "exports": { ".": { "types": "./src/index.ts", "default": "./dist/index.js" }, "./feature/*": "./src/features/*.ts" } }
//- /packages/core/src/index.ts
//- /packages/core/src/features/login.ts
//- /packages/legacy/package.json
{ "name": "legacy-lib", "main": "dist/main.js" }
//- /packages/legacy/src/main.js
//- /packages/core-extra/package.json
{ "name": "@acme/core-extra" }
//- /packages/core-extra/index.ts
//- /apps/web/main.ts
import core from '@acme/core';
import { login } from '@acme/core/feature/login';
import legacy from 'legacy-lib';
import extra from '@acme/core-extra';
import nope from '@acme/core/feature/nope';
"#,
        r#"
        apps/web/main.ts -> packages/core-extra/index.ts (import)
        apps/web/main.ts -> packages/core/src/features/login.ts (import)
        apps/web/main.ts -> packages/core/src/index.ts (import)
        apps/web/main.ts -> packages/legacy/src/main.js (import)
        apps/web/main.ts:5 @acme/core/feature/nope: unresolved
        "#,
    );
}

/// `package.json` `imports` (exact keys before patterns, the longest pattern prefix, the
/// `types` condition first, the nearest `package.json`), triple-slash references, and
/// `./x.js` naming a TypeScript source even where the `.js` file exists. Decoys sit where
/// a wrong rule would look.
#[test]
fn subpath_imports_references_and_js_extensions() {
    check(
        r##"
//- /package.json
{
  "name": "app",
  "imports": {
    "#internal/*": { "types": "./src/internal/*.ts", "default": "./dist/internal/*.js" },
    "#internal/deep/*": "./src/deep/*.ts",
    "#internal/special": "./src/special.ts",
    "#config": { "node": "./src/config.node.ts", "default": "./src/config.ts" },
    "#dep": "lib-pkg"
  }
}
//- /src/main.ts
import { a } from "#internal/a";
import { d } from "#internal/deep/d";
import { s } from "#internal/special";
import { c } from "#config";
import { l } from "#dep";
import { m } from "#missing";
/// <reference path="globals.d.ts" />
/// <reference types="lib-pkg" />
/// <reference types="node" />
import { App } from "./app.js";
//- /src/internal/a.ts
//- /src/internal/a.js
//- /src/internal/deep/d.ts
//- /src/deep/d.ts
//- /src/internal/special.ts
//- /src/special.ts
//- /src/config.node.ts
//- /src/config.ts
//- /src/globals.d.ts
//- /globals.d.ts
//- /src/app.tsx
//- /src/app.js
//- /packages/lib/package.json
{ "name": "lib-pkg", "types": "./index.d.ts", "imports": { "#internal/*": "./own/*.ts" } }
//- /packages/lib/index.d.ts
//- /packages/lib/own/a.ts
//- /packages/lib/use.ts
import { a } from "#internal/a";
"##,
        r#"
        packages/lib/use.ts -> packages/lib/own/a.ts (import)
        src/main.ts -> packages/lib/index.d.ts (import)
        src/main.ts -> packages/lib/index.d.ts (reference)
        src/main.ts -> src/app.tsx (import)
        src/main.ts -> src/config.node.ts (import)
        src/main.ts -> src/deep/d.ts (import)
        src/main.ts -> src/globals.d.ts (reference)
        src/main.ts -> src/internal/a.ts (import)
        src/main.ts -> src/special.ts (import)
        src/main.ts:6 #missing: unresolved
        src/main.ts:9 node: external
        "#,
    );
}

/// Components import each other and TypeScript modules; `./Widget.vue` is that file, not
/// `./Widget.ts` beside it.
#[test]
fn vue_and_svelte_components() {
    check(
        r#"
//- /src/App.vue
<template><Widget /></template>
<script setup lang="ts">
import Widget from './Widget.vue'
import { store } from './store'
</script>
//- /src/Widget.vue
<script>
import Button from './Button.svelte'
</script>
//- /src/Widget.ts
//- /src/Button.svelte
<script lang="ts">
  import { store } from './store';
</script>
//- /src/store.ts
"#,
        r#"
        src/App.vue -> src/Widget.vue (import)
        src/App.vue -> src/store.ts (import)
        src/Button.svelte -> src/store.ts (import)
        src/Widget.vue -> src/Button.svelte (import)
        "#,
    );
}

/// Imports of stylesheets, JSON, images and WebAssembly that exist are edges of kind
/// `asset` to asset nodes; missing ones are no broken imports; `package.json` is an asset
/// node as well as the project file it always was, and `./styles` still names the script
/// beside `styles.css`.
#[test]
fn existing_assets_are_asset_edges() {
    check(
        r#"
//- /package.json
{ "name": "app" }
//- /src/app.ts
import './app.css';
import data from './data.json' with { type: 'json' };
import logo from '../assets/logo.svg';
import init from './pkg/module.wasm';
import missing from './missing.png';
import manifest from '../package.json';
import { styles } from './styles';
//- /src/app.css
//- /src/data.json
[1, 2]
//- /assets/logo.svg
<svg/>
//- /src/pkg/module.wasm
//- /src/styles.ts
//- /src/styles.css
"#,
        r#"
        src/app.ts -> assets/logo.svg (asset)
        src/app.ts -> package.json (asset)
        src/app.ts -> src/app.css (asset)
        src/app.ts -> src/data.json (asset)
        src/app.ts -> src/pkg/module.wasm (asset)
        src/app.ts -> src/styles.ts (import)
        "#,
    );
}
