//! `threatforge serve`: the local dashboard (the `threatforge-serve` crate); here only the
//! arguments, the socket and the address printed for the user.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::path::Path;

use threatforge_analysis::ProjectOptions;
use threatforge_serve::{Base, Config, random_token};

use super::diff::load_base;
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
    let base = match &args.base {
        Some(rev) => Some(base(rev, &path, &args, &today)?),
        None => None,
    };
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
    let urls = addresses(addr, token.as_deref());
    let config = Config {
        model: path.clone(),
        options: ProjectOptions {
            root: args.inputs.root.clone(),
            extra_rules: args.inputs.rules.clone(),
            today: Some(today),
            cel: args.inputs.limits.cel(),
            limits: args.inputs.limits.model.limits(),
            for_summary: false,
        },
        addr,
        token,
        csrf: random_token()?,
        base,
    };
    // One address a line, this machine's first: a script reads the first line.
    write_output(None, &(urls.join("\n") + "\n"))?;
    let url = &urls[0];
    eprint(&format!(
        "Serving {} at {url} (Ctrl-C stops). Decisions taken in the pages are written into the \
         model's files.\n",
        threatforge_model::escape::line(&path.display().to_string())
    ));
    if addr.ip().is_unspecified() {
        let note = if urls.len() > 1 {
            "Teammates open one of the other addresses above (with its token).".to_owned()
        } else {
            "No network address of this machine was found besides loopback: teammates open \
             http://<this machine's name or address>:PORT/ with the token above."
                .replace("PORT", &addr.port().to_string())
        };
        eprint(&format!("{note}\n"));
    }
    if args.open {
        // The server is bound already, so the page finds it; a machine without a browser
        // (a server, a container) is told, not stopped.
        if let Err(e) = open::that_detached(url) {
            eprint(&format!(
                "cannot open a browser ({e}); open {url} yourself\n"
            ));
        }
    }
    threatforge_serve::run(config, listener)?;
    Ok(crate::exit::OK)
}

/// The model at `rev`, for the overview's changes; an invalid one stops the server before it
/// starts, with its diagnostics, as `diff` stops.
fn base(rev: &str, model: &Path, args: &ServeArgs, today: &str) -> Result<Base, String> {
    let base = load_base(rev, model, &args.inputs.rules, today, &args.inputs.limits)?;
    if base.analyzed.has_errors() {
        let mut rendered = String::new();
        for d in base.analyzed.diagnostics() {
            rendered.push_str(&threatforge_model::render_diagnostic(
                d,
                base.analyzed.sources(),
                threatforge_model::Style::Plain,
            ));
            rendered.push('\n');
        }
        return Err(format!("the model at {rev} is invalid:\n{rendered}"));
    }
    Ok(Base {
        rev: rev.to_owned(),
        note: base
            .note
            .as_ref()
            .map(|n| n.line(|p| format!("`{}`", p.escape_debug()))),
        analyzed: std::sync::Arc::new(base.analyzed),
    })
}

/// The addresses to print: on loopback the bound one; bound to every address (`0.0.0.0`,
/// `[::]`), loopback first (this machine), then each of the machine's network addresses, which
/// a teammate can reach; with the token when there is one.
fn addresses(addr: SocketAddr, token: Option<&str>) -> Vec<String> {
    let url = |ip: IpAddr| {
        let base = format!("http://{}/", SocketAddr::new(ip, addr.port()));
        match token {
            Some(token) => format!("{base}?token={token}"),
            None => base,
        }
    };
    if !addr.ip().is_unspecified() {
        return vec![url(addr.ip())];
    }
    let v6 = addr.is_ipv6();
    let loopback = if v6 {
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        // A v4 socket is not reached on v6; link-local v6 needs a zone a URL cannot carry well.
        .filter(|ip| !ip.is_loopback() && (v6 || ip.is_ipv4()))
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local()))
        .collect();
    ips.sort();
    ips.dedup();
    std::iter::once(loopback).chain(ips).map(url).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_names_a_reachable_host_and_the_token() {
        let loopback: SocketAddr = "127.0.0.1:7878".parse().expect("address");
        assert_eq!(addresses(loopback, None), ["http://127.0.0.1:7878/"]);
        let any: SocketAddr = "0.0.0.0:7878".parse().expect("address");
        let urls = addresses(any, Some("t0k"));
        assert_eq!(urls[0], "http://127.0.0.1:7878/?token=t0k");
        for url in &urls {
            assert!(!url.contains("0.0.0.0"), "{url}");
            assert!(url.ends_with(":7878/?token=t0k"), "{url}");
            assert!(!url.contains('['), "a v4 socket lists v4 addresses: {url}");
        }
        let any6: SocketAddr = "[::]:7878".parse().expect("address");
        assert_eq!(addresses(any6, None)[0], "http://[::1]:7878/");
    }
}
