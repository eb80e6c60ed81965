//! Blake3 fingerprints: of a file's bytes, of its interface, and of the extractor that
//! turns the one into facts.

use std::fmt;
use std::sync::OnceLock;

use thread_extractors::{EXTRACTOR_REVISION, Lang, codec, query_sources};

use crate::flow::Reading;

/// A 128-bit Blake3 digest. Wide enough that a collision is not a practical concern,
/// narrow enough to key maps and store as hex text (D1 loses integers above 2^53).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub [u8; 16]);

impl Fingerprint {
    /// The fingerprint of a file's content, over its raw bytes.
    pub fn of_bytes(bytes: &[u8]) -> Fingerprint {
        Fingerprint::from_hash(&blake3::hash(bytes))
    }

    fn from_hash(hash: &blake3::Hash) -> Fingerprint {
        let mut digest = [0; 16];
        digest.copy_from_slice(&hash.as_bytes()[..16]);
        Fingerprint(digest)
    }

    /// Lower-case hex, 32 characters.
    pub fn to_hex(self) -> String {
        self.to_string()
    }

    /// Parses what [`Fingerprint::to_hex`] wrote.
    pub fn from_hex(hex: &str) -> Option<Fingerprint> {
        if hex.len() != 32 || !hex.is_ascii() {
            return None;
        }
        let mut digest = [0; 16];
        for (index, byte) in digest.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * index..2 * index + 2], 16).ok()?;
        }
        Some(Fingerprint(digest))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Builds a fingerprint from structured parts. Every part is length-prefixed, so
/// `("ab", "c")` and `("a", "bc")` differ.
#[derive(Default)]
pub struct FingerprintBuilder(blake3::Hasher);

impl FingerprintBuilder {
    /// Adds a string.
    pub fn str(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    /// Adds bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Adds a number.
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.0.update(&value.to_le_bytes());
        self
    }

    /// Empties the builder, to build another fingerprint without a new hasher.
    pub fn reset(&mut self) -> &mut Self {
        self.0.reset();
        self
    }

    /// The fingerprint of everything added.
    pub fn finish(&self) -> Fingerprint {
        Fingerprint::from_hash(&self.0.finalize())
    }
}

/// The fingerprint of the extractor for `lang`: its query sources, its revision and the
/// facts format. Cached facts are keyed by it, so changing a query invalidates them.
pub fn extractor_fingerprint(lang: Lang) -> Fingerprint {
    static CACHE: [OnceLock<Fingerprint>; Lang::ALL.len()] = [const { OnceLock::new() }; Lang::ALL.len()];
    *CACHE[lang as usize].get_or_init(|| {
        let mut builder = FingerprintBuilder::default();
        builder
            .str(lang.id())
            .str(lang.grammar_version())
            .u64(u64::from(EXTRACTOR_REVISION))
            .u64(u64::from(codec::FORMAT_VERSION));
        for source in query_sources(lang) {
            builder.str(source);
        }
        builder.finish()
    })
}

/// The fingerprint of every extractor together. Stores keep it next to the facts they
/// hold and drop those facts when it changes, so a new extractor never trusts old facts.
pub fn extractors_fingerprint() -> Fingerprint {
    let mut builder = FingerprintBuilder::default();
    for lang in Lang::ALL {
        builder.bytes(&extractor_fingerprint(lang).0);
    }
    builder.finish()
}

/// The key under which the facts of `content` in `lang`, read as `reading` says, are
/// cached: the content fingerprint combined with the extractor's and the reading.
pub fn analysis_key(content: Fingerprint, lang: Lang, reading: Reading) -> Fingerprint {
    let mut builder = FingerprintBuilder::default();
    builder.bytes(&content.0).bytes(&extractor_fingerprint(lang).0);
    if reading.for_lang(lang) == Reading::Imports {
        builder.bytes(b"imports only");
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let fingerprint = Fingerprint::of_bytes(b"fn main() {}");
        assert_eq!(Fingerprint::from_hex(&fingerprint.to_hex()), Some(fingerprint));
        assert_eq!(Fingerprint::from_hex("zz"), None);
        assert_eq!(Fingerprint::from_hex(&"é".repeat(16)), None);
    }

    #[test]
    fn the_analysis_key_depends_on_content_and_language() {
        let content = Fingerprint::of_bytes(b"x = 1\n");
        let key = |content, lang| analysis_key(content, lang, Reading::Everything);
        assert_ne!(key(content, Lang::Python), key(content, Lang::Rust));
        assert_ne!(key(content, Lang::Python), key(Fingerprint::of_bytes(b"x = 2\n"), Lang::Python));
        // Imports read alone are other facts, where a language reads them alone.
        assert_ne!(key(content, Lang::Python), analysis_key(content, Lang::Python, Reading::Imports));
        assert_eq!(key(content, Lang::Rust), analysis_key(content, Lang::Rust, Reading::Imports));
    }
}
