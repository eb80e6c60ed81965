//! A compact, versioned binary encoding of [`FileFacts`], and of a file's
//! [`FileResolution`].
//!
//! The stores keep each file's facts this way, so that a warm start needs no parsing, and
//! its resolution after them, so that it needs no resolving. The format is
//! length-prefixed LEB128 throughout, with a leading version (the facts' format version,
//! the resolver's revision); a decoder meeting another version or a truncated buffer says
//! so rather than guessing.

use crate::facts::{
    Call, CfgPath, Definition, DefinitionKind, Evidence, FileFacts, Import, ImportKind, ImportedName, Local, Position,
    Span,
};
use crate::resolve::{FileResolution, RESOLVER_REVISION, Resolution, Target, Usage, UsedName};

/// The format version written first in every encoding of facts. Bump it with any change
/// to their encoding. A resolution's encoding needs no bump: this file's text is part of
/// the [`RESOLVER_REVISION`].
pub const FORMAT_VERSION: u32 = 5;

/// Why a buffer does not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The buffer was written by another version of its format.
    #[error("the buffer was encoded with version {found}, this build reads version {expected}")]
    Version {
        /// The version found in the buffer.
        found: u32,
        /// The version this build reads: [`FORMAT_VERSION`] for facts, [`RESOLVER_REVISION`]
        /// for a resolution.
        expected: u32,
    },
    /// The buffer ends early or holds an impossible value.
    #[error("the encoded buffer is corrupt at byte {offset}")]
    Corrupt {
        /// Where decoding stopped.
        offset: usize,
    },
}

/// Encodes `facts`.
pub fn encode(facts: &FileFacts) -> Vec<u8> {
    let mut out =
        Writer(Vec::with_capacity(64 + 48 * (facts.imports.len() + facts.definitions.len() + facts.calls.len())));
    out.uint(u64::from(FORMAT_VERSION));
    out.uint(facts.imports.len() as u64);
    for import in &facts.imports {
        out.str(&import.specifier);
        out.uint(import.kind as u64);
        out.uint(import.names.len() as u64);
        for name in &import.names {
            out.str(&name.name);
            out.opt_str(name.alias.as_deref());
            out.span(&name.span);
        }
        out.opt_str(import.alias.as_deref());
        out.uint(u64::from(import.wildcard));
        out.span(&import.span);
        out.uint(import.scope.len() as u64);
        for scope in &import.scope {
            out.str(scope);
        }
        out.opt_str(import.path_attribute.as_deref());
        out.uint(import.cfg_path_attributes.len() as u64);
        for cfg_path in &import.cfg_path_attributes {
            out.str(&cfg_path.predicate);
            out.str(&cfg_path.path);
        }
        out.uint(import.cfg.len() as u64);
        for predicate in &import.cfg {
            out.str(predicate);
        }
    }
    out.uint(facts.definitions.len() as u64);
    for definition in &facts.definitions {
        out.str(&definition.name);
        out.uint(definition.kind as u64);
        out.opt_str(definition.owner.as_deref());
        out.uint(u64::from(definition.exported));
        out.str(&definition.signature);
        out.span(&definition.span);
        out.span(&definition.name_span);
        out.uint(definition.bases.len() as u64);
        for base in &definition.bases {
            out.str(base);
        }
        out.opt_str(definition.returns.as_deref());
        out.uint(u64::from(definition.default_export));
    }
    out.uint(facts.calls.len() as u64);
    for call in &facts.calls {
        out.str(&call.callee);
        out.str(&call.name);
        out.uint(call.caller.map_or(0, |caller| caller as u64 + 1));
        out.span(&call.span);
    }
    out.uint(facts.locals.len() as u64);
    for local in &facts.locals {
        out.str(&local.name);
        match &local.evidence {
            None => out.uint(0),
            Some(Evidence::Annotation(text)) => {
                out.uint(1);
                out.str(text);
            }
            Some(Evidence::Construction(text)) => {
                out.uint(2);
                out.str(text);
            }
        }
        out.uint(local.scope.map_or(0, |scope| scope as u64 + 1));
        out.span(&local.span);
    }
    out.opt_str(facts.package.as_deref());
    out.uint(facts.syntax_errors.len() as u64);
    for span in &facts.syntax_errors {
        out.span(span);
    }
    out.uint(u64::from(facts.imports_only));
    out.0
}

/// Decodes what [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<FileFacts, DecodeError> {
    let (facts, used) = decode_prefix(bytes)?;
    if used != bytes.len() {
        return Err(DecodeError::Corrupt { offset: used });
    }
    Ok(facts)
}

/// Decodes the facts at the start of `bytes`, and says how many bytes they took: a store
/// may keep more after them (see [`encode_resolution`]).
pub fn decode_prefix(bytes: &[u8]) -> Result<(FileFacts, usize), DecodeError> {
    let mut input = Reader { bytes, offset: 0 };
    input.version(FORMAT_VERSION)?;
    let mut facts = FileFacts::default();
    let count = input.len()?;
    facts.imports.reserve_exact(count.min(bytes.len()));
    for _ in 0..count {
        let specifier = input.str()?;
        let kind = input.import_kind()?;
        let count = input.len()?;
        let mut names = Vec::with_capacity(count);
        for _ in 0..count {
            names.push(ImportedName { name: input.str()?, alias: input.opt_str()?, span: input.span()? });
        }
        facts.imports.push(Import {
            specifier,
            kind,
            names,
            alias: input.opt_str()?,
            wildcard: input.bool()?,
            span: input.span()?,
            scope: (0..input.len()?).map(|_| input.str()).collect::<Result<_, _>>()?,
            path_attribute: input.opt_str()?,
            cfg_path_attributes: (0..input.len()?)
                .map(|_| Ok(CfgPath { predicate: input.str()?, path: input.str()? }))
                .collect::<Result<_, DecodeError>>()?,
            cfg: (0..input.len()?).map(|_| input.str()).collect::<Result<_, _>>()?,
        });
    }
    let count = input.len()?;
    facts.definitions.reserve_exact(count.min(bytes.len()));
    for _ in 0..count {
        facts.definitions.push(Definition {
            name: input.str()?,
            kind: input.definition_kind()?,
            owner: input.opt_str()?,
            exported: input.bool()?,
            signature: input.str()?,
            span: input.span()?,
            name_span: input.span()?,
            bases: (0..input.len()?).map(|_| input.str()).collect::<Result<_, _>>()?,
            returns: input.opt_str()?,
            default_export: input.bool()?,
        });
    }
    let count = input.len()?;
    facts.calls.reserve_exact(count.min(bytes.len()));
    for _ in 0..count {
        let callee = input.str()?;
        let name = input.str()?;
        let caller = match input.uint()? {
            0 => None,
            index => Some(input.index(index - 1)?),
        };
        facts.calls.push(Call { callee, name, caller, span: input.span()? });
    }
    let count = input.len()?;
    facts.locals.reserve_exact(count.min(bytes.len()));
    for _ in 0..count {
        let name = input.str()?;
        let evidence = match input.uint()? {
            0 => None,
            1 => Some(Evidence::Annotation(input.str()?)),
            2 => Some(Evidence::Construction(input.str()?)),
            _ => return Err(input.corrupt()),
        };
        let scope = match input.uint()? {
            0 => None,
            index => Some(input.index(index - 1)?),
        };
        facts.locals.push(Local { name, evidence, scope, span: input.span()? });
    }
    facts.package = input.opt_str()?;
    let count = input.len()?;
    facts.syntax_errors.reserve_exact(count.min(bytes.len()));
    for _ in 0..count {
        facts.syntax_errors.push(input.span()?);
    }
    facts.imports_only = match input.uint()? {
        0 => false,
        1 => true,
        _ => return Err(input.corrupt()),
    };
    Ok((facts, input.offset))
}

/// Encodes where a file's imports lead and the questions that decided it, under
/// [`RESOLVER_REVISION`]: a store keeps it after the file's facts, so that a warm start
/// does not resolve every file again.
pub fn encode_resolution(resolution: &FileResolution) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(16 + 24 * resolution.resolutions.len() + 9 * resolution.probes.len()));
    out.uint(u64::from(RESOLVER_REVISION));
    out.uint(resolution.resolutions.len() as u64);
    for item in &resolution.resolutions {
        out.uint(item.import as u64);
        out.uint(item.kind as u64);
        match &item.target {
            Target::File(path) => {
                out.uint(0);
                out.str(path);
            }
            Target::External => out.uint(1),
            Target::Unresolved => out.uint(2),
            Target::NoFile => out.uint(3),
        }
        match &item.usage {
            Usage::Module => out.uint(0),
            Usage::Names(names) => {
                out.uint(1 + names.len() as u64);
                for used in names {
                    out.str(&used.name);
                    out.span(&used.span);
                }
            }
        }
    }
    out.uint(resolution.probes.len() as u64);
    for probe in &resolution.probes {
        out.uint(*probe);
    }
    out.0
}

/// Decodes [`encode_resolution`]'s bytes. A resolution of another [`RESOLVER_REVISION`]
/// is refused with [`DecodeError::Version`]: this build might resolve differently.
pub fn decode_resolution(bytes: &[u8]) -> Result<FileResolution, DecodeError> {
    let mut input = Reader { bytes, offset: 0 };
    input.version(RESOLVER_REVISION)?;
    let mut resolution = FileResolution::default();
    let count = input.len()?;
    resolution.resolutions.reserve_exact(count);
    for _ in 0..count {
        let import = input.uint()?;
        let import = input.index(import)?;
        let kind = input.import_kind()?;
        let target = match input.uint()? {
            0 => Target::File(input.str()?),
            1 => Target::External,
            2 => Target::Unresolved,
            3 => Target::NoFile,
            _ => return Err(input.corrupt()),
        };
        let usage = match input.len()? {
            0 => Usage::Module,
            count => {
                let mut names = Vec::with_capacity(count - 1);
                for _ in 1..count {
                    names.push(UsedName { name: input.str()?, span: input.span()? });
                }
                Usage::Names(names)
            }
        };
        resolution.resolutions.push(Resolution { import, kind, target, usage });
    }
    let count = input.len()?;
    resolution.probes.reserve_exact(count);
    for _ in 0..count {
        resolution.probes.push(input.uint()?);
    }
    if input.offset != bytes.len() {
        return Err(input.corrupt());
    }
    Ok(resolution)
}

struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.0.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    fn str(&mut self, text: &str) {
        self.uint(text.len() as u64);
        self.0.extend_from_slice(text.as_bytes());
    }

    fn opt_str(&mut self, text: Option<&str>) {
        match text {
            None => self.uint(0),
            Some(text) => {
                self.uint(text.len() as u64 + 1);
                self.0.extend_from_slice(text.as_bytes());
            }
        }
    }

    fn span(&mut self, span: &Span) {
        for value in
            [span.start.line, span.start.column, span.end.line, span.end.column, span.start_byte, span.end_byte]
        {
            self.uint(u64::from(value));
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl Reader<'_> {
    /// Reads the leading version, refusing any but `expected`.
    fn version(&mut self, expected: u32) -> Result<(), DecodeError> {
        let found = self.uint()?;
        if found != u64::from(expected) {
            return Err(DecodeError::Version { found: u32::try_from(found).unwrap_or(u32::MAX), expected });
        }
        Ok(())
    }

    fn corrupt(&self) -> DecodeError {
        DecodeError::Corrupt { offset: self.offset }
    }

    fn uint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.offset).ok_or_else(|| self.corrupt())?;
            self.offset += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.corrupt())
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let value = self.uint()?;
        u32::try_from(value).map_err(|_| self.corrupt())
    }

    /// A count, bounded by the bytes left so a corrupt length cannot allocate wildly.
    fn len(&mut self) -> Result<usize, DecodeError> {
        let value = self.uint()?;
        usize::try_from(value).ok().filter(|&len| len <= self.bytes.len() - self.offset).ok_or_else(|| self.corrupt())
    }

    fn index(&self, value: u64) -> Result<usize, DecodeError> {
        usize::try_from(value).map_err(|_| self.corrupt())
    }

    fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.uint()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.corrupt()),
        }
    }

    /// A string of `len` bytes, as a `String` or a `SmolStr`, whichever the field holds.
    fn raw_str<T: for<'text> From<&'text str>>(&mut self, len: usize) -> Result<T, DecodeError> {
        let end = self.offset.checked_add(len).filter(|&end| end <= self.bytes.len()).ok_or_else(|| self.corrupt())?;
        let text = std::str::from_utf8(&self.bytes[self.offset..end]).map_err(|_| self.corrupt())?;
        self.offset = end;
        Ok(T::from(text))
    }

    fn str<T: for<'text> From<&'text str>>(&mut self) -> Result<T, DecodeError> {
        let len = self.len()?;
        self.raw_str(len)
    }

    fn opt_str<T: for<'text> From<&'text str>>(&mut self) -> Result<Option<T>, DecodeError> {
        match self.len()? {
            0 => Ok(None),
            len => self.raw_str(len - 1).map(Some),
        }
    }

    fn span(&mut self) -> Result<Span, DecodeError> {
        Ok(Span {
            start: Position { line: self.u32()?, column: self.u32()? },
            end: Position { line: self.u32()?, column: self.u32()? },
            start_byte: self.u32()?,
            end_byte: self.u32()?,
        })
    }

    fn import_kind(&mut self) -> Result<ImportKind, DecodeError> {
        let value = self.uint()?;
        ImportKind::ALL.into_iter().find(|kind| *kind as u64 == value).ok_or_else(|| self.corrupt())
    }

    fn definition_kind(&mut self) -> Result<DefinitionKind, DecodeError> {
        let value = self.uint()?;
        DefinitionKind::ALL.into_iter().find(|kind| *kind as u64 == value).ok_or_else(|| self.corrupt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lang, extract};

    #[test]
    fn round_trips_real_facts_and_rejects_damage() {
        let source = b"use crate::a::{b, c as d};\npub fn f() { g(); }\nfn \xff broken(";
        let facts = extract(Lang::Rust, source).expect("extracts");
        let bytes = encode(&facts);
        assert_eq!(decode(&bytes), Ok(facts));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "a buffer cut at {cut} must not decode");
        }
        let mut other_version = bytes.clone();
        other_version[0] = 9;
        assert_eq!(decode(&other_version), Err(DecodeError::Version { found: 9, expected: FORMAT_VERSION }));
    }

    #[test]
    fn round_trips_a_resolution_and_refuses_another_revision() {
        let facts = extract(Lang::Python, b"from .a import b, c\nimport os\nimport pkg.missing\n").expect("extracts");
        let used = |index: usize| UsedName {
            name: facts.imports[0].names[index].name.clone(),
            span: facts.imports[0].names[index].span,
        };
        let resolution = FileResolution {
            resolutions: vec![
                Resolution {
                    import: 0,
                    kind: ImportKind::Import,
                    target: Target::File("pkg/a.py".to_owned()),
                    usage: Usage::Names(vec![used(0), used(1)]),
                },
                Resolution { import: 1, kind: ImportKind::Import, target: Target::External, usage: Usage::Module },
                Resolution { import: 2, kind: ImportKind::Import, target: Target::Unresolved, usage: Usage::Module },
                Resolution {
                    import: 2,
                    kind: ImportKind::Import,
                    target: Target::NoFile,
                    usage: Usage::Names(Vec::new()),
                },
            ],
            probes: vec![0, 1 << 40, u64::MAX],
        };
        let bytes = encode_resolution(&resolution);
        assert_eq!(decode_resolution(&bytes), Ok(resolution));
        for cut in 0..bytes.len() {
            assert!(decode_resolution(&bytes[..cut]).is_err(), "a buffer cut at {cut} must not decode");
        }
        // Facts followed by a resolution, as a store keeps them.
        let mut both = encode(&facts);
        let facts_length = both.len();
        both.extend_from_slice(&bytes);
        assert_eq!(decode_prefix(&both), Ok((facts, facts_length)));
        let mut other_revision = bytes;
        other_revision[0] = 0;
        assert_eq!(
            decode_resolution(&other_revision),
            Err(DecodeError::Version { found: 0, expected: RESOLVER_REVISION })
        );
    }
}
