//! `threatforge serve`: the local dashboard (the `threatforge-serve` crate); here only the
//! arguments, the socket and the address printed for the user.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;

use threatforge_analysis::ProjectOptions;
use threatforge_serve::{Config, random_token};

use super::find_model;
use crate::cli::ServeArgs;
use crate::terminal::{eprint, write_output};

pub(super) fn run(args: ServeArgs) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    if path == Path::new("-") {
        return Err(
            "serve needs a model file: it watches the file and writes decisions into it, which \
             standard input cannot be"
                .to_owned(),
        );
    }
    let today = args.inputs.today()?;
    let asked = args
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], args.port)));
    // Beyond loopback anyone on the network could reach the server: it then takes a token that
    // only the one who started it has seen.
    let token = if asked.ip().is_loopback() {
        None
    } else {
        Some(random_token()?)
    };
    let listener = TcpListener::bind(asked).map_err(|e| {
        format!("cannot listen on {asked}: {e}; give another --port (0 takes any free one)")
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let url = match &token {
        Some(token) => format!("http://{addr}/?token={token}"),
        None => format!("http://{addr}/"),
    };
    let config = Config {
        model: path.clone(),
        options: ProjectOptions {
            root: args.inputs.root.clone(),
            extra_rules: args.inputs.rules.clone(),
            today: Some(today),
            cel: args.inputs.limits.cel(),
            limits: args.inputs.limits.model.limits(),
        },
        addr,
        token,
        csrf: random_token()?,
    };
    write_output(None, &format!("{url}\n"))?;
    eprint(&format!(
        "Serving {} at {url} (Ctrl-C stops). Decisions taken in the pages are written into the \
         model's files.\n",
        threatforge_model::escape::line(&path.display().to_string())
    ));
    threatforge_serve::run(config, listener)?;
    Ok(crate::exit::OK)
}
