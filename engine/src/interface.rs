//! A file's interface: the names other files can take from it, each with a fingerprint of
//! what it is. Dependents depend on these and nothing else, which is what makes early
//! cutoff sound: an edit that leaves the interface alone cannot change any dependent.

use std::collections::{BTreeMap, BTreeSet};

use thread_extractors::{Family, FileFacts, ImportKind, Lang};

use crate::fingerprint::{Fingerprint, FingerprintBuilder};

/// The names a file offers to importers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interface {
    /// Name → fingerprint of its kind, signature, visibility and, for types, its methods.
    pub names: BTreeMap<String, Fingerprint>,
    /// The file also offers names no one can list (glob re-exports, CommonJS): a name not
    /// in [`Interface::names`] may still exist, so it is never reported missing.
    pub open: bool,
    /// The fingerprint of the whole interface.
    pub fingerprint: Fingerprint,
}

/// Which names changed between two interfaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterfaceChange {
    /// Nothing: early cutoff.
    None,
    /// These names were added, removed or changed.
    Names(BTreeSet<String>),
    /// Everything may have changed (the file appeared, vanished or opened up).
    All,
}

impl Interface {
    /// Derives the interface of a file from its own facts alone.
    ///
    /// Which definitions count follows each language's visibility: Rust child modules see
    /// their ancestors' private items and Python has no privacy, so both offer every
    /// top-level definition and import; TypeScript/JavaScript and Go offer exports only.
    ///
    /// It reads no position: a version of the file whose facts are the same apart from
    /// positions keeps its interface ([`crate::symbols::SymbolTable::serves`]).
    pub fn of(lang: Lang, facts: &FileFacts) -> Interface {
        let family = lang.family();
        let exports_only = matches!(family, Family::EcmaScript | Family::Go);
        // Each name's parts, in the order they are hashed: definitions, then imports, each
        // in source order. One hasher serves every name; a hasher per name in a map of
        // hashers moved kilobytes on every insertion.
        let mut parts: Vec<(String, Part<'_>)> = Vec::new();
        let mut open = false;

        for definition in &facts.definitions {
            if exports_only && !definition.exported {
                continue;
            }
            // Methods belong to their owner's entry: a changed method changes the type.
            let name = definition.owner.as_deref().unwrap_or(&definition.name);
            parts.push((name.to_owned(), Part::Definition(definition)));
        }
        for import in &facts.imports {
            let offered = match family {
                Family::Rust => import.kind != ImportKind::Mod,
                Family::Python => true,
                Family::EcmaScript => import.kind == ImportKind::Reexport,
                Family::Go => false,
            };
            if !offered {
                continue;
            }
            if import.wildcard && import.alias.is_none() {
                open = true;
                continue;
            }
            for name in offered_names(family, import) {
                parts.push((name, Part::Import(&import.specifier)));
            }
        }
        // A script with no ES exports at all is CommonJS (or has no interface); either
        // way its names cannot be listed.
        if family == Family::EcmaScript && parts.is_empty() {
            open = true;
        }

        // A stable sort keeps each name's parts in the order above.
        parts.sort_by(|a, b| a.0.cmp(&b.0));
        let mut builder = FingerprintBuilder::default();
        let mut names: BTreeMap<String, Fingerprint> = BTreeMap::new();
        for group in parts.chunk_by(|a, b| a.0 == b.0) {
            builder.reset();
            for (_, part) in group {
                match part {
                    Part::Definition(definition) => builder
                        .str(definition.kind.as_str())
                        .str(definition.owner.as_deref().map_or("", |_| definition.name.as_str()))
                        .u64(u64::from(definition.exported))
                        .str(&definition.signature),
                    Part::Import(specifier) => builder.str("import").str(specifier),
                };
            }
            names.insert(group[0].0.clone(), builder.finish());
        }
        let mut whole = FingerprintBuilder::default();
        whole.u64(u64::from(open));
        for (name, fingerprint) in &names {
            whole.str(name).bytes(&fingerprint.0);
        }
        Interface { names, open, fingerprint: whole.finish() }
    }

    /// True when an importer asking for `name` finds it.
    pub fn provides(&self, lang: Lang, name: &str) -> bool {
        // Default exports are not modelled as names; every ES module may have one.
        self.open || self.names.contains_key(name) || (lang.family() == Family::EcmaScript && name == "default")
    }

    /// What changed from `old` to `new`.
    pub fn change(old: &Interface, new: &Interface) -> InterfaceChange {
        if old.fingerprint == new.fingerprint {
            return InterfaceChange::None;
        }
        if old.open != new.open {
            return InterfaceChange::All;
        }
        let mut changed = BTreeSet::new();
        for (name, fingerprint) in &old.names {
            if new.names.get(name) != Some(fingerprint) {
                changed.insert(name.clone());
            }
        }
        for name in new.names.keys() {
            if !old.names.contains_key(name) {
                changed.insert(name.clone());
            }
        }
        InterfaceChange::Names(changed)
    }
}

/// What one definition or import adds to a name's fingerprint.
enum Part<'a> {
    Definition(&'a thread_extractors::Definition),
    Import(&'a str),
}

/// The local names an import binds that the importing file in turn offers.
fn offered_names(family: Family, import: &thread_extractors::Import) -> Vec<String> {
    if let Some(alias) = &import.alias {
        return vec![alias.clone()];
    }
    if !import.names.is_empty() {
        return import.names.iter().map(|name| name.alias.clone().unwrap_or_else(|| name.name.clone())).collect();
    }
    let separator = if family == Family::Rust { "::" } else { "." };
    let specifier = import.specifier.trim_start_matches('.');
    let name = match family {
        // `import a.b` binds `a`.
        Family::Python => specifier.split(separator).next(),
        _ => specifier.rsplit(separator).next(),
    };
    name.filter(|name| !name.is_empty()).map(str::to_owned).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use thread_extractors::extract;

    fn interface(lang: Lang, source: &str) -> Interface {
        Interface::of(lang, &extract(lang, source.as_bytes()).expect("extracts"))
    }

    #[test]
    fn a_body_edit_keeps_the_interface_and_a_signature_edit_names_the_symbol() {
        let before = interface(Lang::TypeScript, "export function f(a: number) { return a; }\nexport const g = 1;\n");
        let body = interface(Lang::TypeScript, "export function f(a: number) { return a + 1; }\nexport const g = 1;\n");
        let signature =
            interface(Lang::TypeScript, "export function f(a: string) { return a; }\nexport const g = 1;\n");
        assert_eq!(Interface::change(&before, &body), InterfaceChange::None);
        assert_eq!(Interface::change(&before, &signature), InterfaceChange::Names(BTreeSet::from(["f".to_owned()])));
    }

    #[test]
    fn glob_reexports_open_the_interface() {
        let open = interface(Lang::TypeScript, "export * from './a';\n");
        assert!(open.open && open.provides(Lang::TypeScript, "anything"));
        let rust = interface(Lang::Rust, "pub use crate::a::{b, c as d};\nfn private() {}\n");
        assert!(
            rust.provides(Lang::Rust, "b") && rust.provides(Lang::Rust, "d") && rust.provides(Lang::Rust, "private")
        );
        assert!(!rust.provides(Lang::Rust, "c"));
    }
}
