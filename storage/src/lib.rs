//! Thread's stores: implementations of [`thread_engine::store::Store`].
//!
//! Each backend is a module. Row and wire types stay private to their backend; the
//! engine sees only batches and stored files.

pub mod memory;

pub use memory::MemoryStore;
