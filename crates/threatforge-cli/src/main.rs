//! The `threatforge` command line: the top of the pipeline (model -> analysis -> outputs).

mod cli;
mod commands;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, as documented in the README.
pub mod exit {
    /// Clean: the model is valid and the gate, if any, passed.
    pub const OK: u8 = 0;
    /// The risk gate failed.
    pub const GATE_FAILED: u8 = 1;
    /// The input is invalid or the usage is wrong.
    pub const INVALID: u8 = 2;
}

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    let args = cli::Cli::parse();
    let term = terminal::Terminal::new(args.color);
    let code = match on_worker_thread(|| commands::run(args.command, &term)) {
        Ok(code) => code,
        Err(message) => {
            term.error(&message);
            exit::INVALID
        }
    };
    ExitCode::from(code)
}

/// Gives every block of 128 KiB or more a mapping of its own, returned to the system when freed.
///
/// Why: glibc starts at that threshold but raises it, up to 32 MiB, each time such a block is
/// freed, so that after the load (whose chunks of parsed YAML come and go) the analysis's large
/// lists come from the arenas, and once freed stay resident between the small blocks that
/// outlive them. At 50,000 components the peak resident set was 405 MB for a live heap of 347
/// MB; with the threshold fixed it is 388 MB, in the same time (BENCHMARKS.md). Other C
/// libraries and platforms keep their allocator's own policy.
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` sets one documented tunable of glibc's allocator and touches no
        // memory of ours; it runs before any other thread exists.
        let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
        // 1 on success; on failure the allocator keeps its default, which only costs memory.
        debug_assert_eq!(set, 1, "glibc refused the mmap threshold");
    }
}

/// Runs `work` on a thread of the pool that the analysis runs on, not on the main thread.
///
/// Why: the allocator gives each thread its own arena and keeps what a thread frees for that
/// arena. Loading a model frees about twice what it keeps (the parse's node tree); loaded on
/// the main thread, that memory sat idle while the pool's threads grew their own arenas for the
/// analysis. Loaded on a pool thread, the analysis on that thread reuses it (at 50,000
/// components the peak fell from 498 MB to 432 MB). If the pool cannot start, `work` runs here.
fn on_worker_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}
