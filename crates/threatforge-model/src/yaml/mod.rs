//! YAML (and JSON, its subset) into typed model values, with positions.

pub mod de;
pub mod fast;
pub mod node;
