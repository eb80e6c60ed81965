//! Module resolution.
