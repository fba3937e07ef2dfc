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
    /// Most bytes the aliases of one file may add once expanded: each replayed node's share of
    /// the tree and its text. Counted before the tree is built, so an alias bomb is refused
    /// before it takes memory.
    pub max_alias_bytes: usize,
    /// Most components in one model (all files together).
    pub max_components: usize,
    /// Most flows in one model.
    pub max_flows: usize,
    /// Most boundaries in one model.
    pub max_boundaries: usize,
    /// Deepest nesting of boundaries: every stage reads each boundary's chain of enclosing
    /// ones, so a chain of n boundaries costs n times its depth. 4,096 bounds that near 0.6 s
    /// (10,000 was 3.5 s) and lets through the 4,000 nested OTM trust zones the importer's scale
    /// test writes.
    pub max_boundary_depth: usize,
    /// Most data assets in one model.
    pub max_data: usize,
    /// Most runtimes in one model.
    pub max_runtimes: usize,
    /// Most manual threats in one model.
    pub max_threats: usize,
    /// Most team controls in one model.
    pub max_controls: usize,
    /// Most decisions in one model.
    pub max_decisions: usize,
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
            max_alias_bytes: 16 * 1024 * 1024,
            max_components: 200_000,
            max_flows: 1_000_000,
            max_boundaries: 50_000,
            max_boundary_depth: 4096,
            max_data: 100_000,
            max_runtimes: 100_000,
            max_threats: 100_000,
            max_controls: 10_000,
            max_decisions: 200_000,
        }
    }
}
