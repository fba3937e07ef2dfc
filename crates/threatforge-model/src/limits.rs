//! Bounds on the work one model may cause, shared by the YAML parser and the loader.

/// Bounds on the work a model may cause. The defaults leave room for models of 50,000 components.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest single file, in bytes.
    pub max_file_bytes: u64,
    /// Largest sum of all files of a model, in bytes.
    pub max_total_bytes: u64,
    /// Most files in one model (the root and its includes).
    pub max_files: usize,
    /// Deepest chain of includes below the root file. Files are read recursively, one level of
    /// recursion per include; a debug build's 2 MiB thread stack overflows at about 280 levels.
    pub max_include_depth: usize,
    /// Deepest nesting of YAML collections.
    pub max_depth: usize,
    /// Most YAML nodes in one file, aliases expanded.
    pub max_nodes: usize,
    /// Most alias uses in one file.
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 * 1024 * 1024,
            max_total_bytes: 256 * 1024 * 1024,
            max_files: 512,
            max_include_depth: 32,
            max_depth: 32,
            max_nodes: 8_000_000,
            max_aliases: 10_000,
        }
    }
}
