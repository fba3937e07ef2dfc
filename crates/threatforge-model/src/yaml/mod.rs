//! YAML (and JSON, its subset) into typed model values, with positions.

pub(crate) mod aliases;
pub(crate) mod de;
pub(crate) mod fast;
pub(crate) mod node;
