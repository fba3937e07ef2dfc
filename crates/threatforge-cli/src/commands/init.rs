//! `threatforge init`: a commented starter model.

use std::path::Path;

use crate::cli::InitArgs;
use crate::terminal::{eprint, write_output};

pub(super) const STARTER: &str = include_str!("../../templates/starter.yaml");

pub(super) fn run(args: InitArgs) -> Result<u8, String> {
    let to_stdout = args.path == Path::new("-");
    if !to_stdout && args.path.exists() && !args.force {
        return Err(format!(
            "`{}` already exists; use --force to overwrite it",
            args.path.display()
        ));
    }
    write_output(Some(&args.path), STARTER)?;
    if !to_stdout {
        eprint(&format!(
            "wrote {}; edit it, then run `threatforge check {}`\n",
            args.path.display(),
            args.path.display()
        ));
    }
    Ok(crate::exit::OK)
}
