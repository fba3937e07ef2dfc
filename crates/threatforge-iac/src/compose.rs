//! Docker Compose (v2, v3 and the Compose Specification): services, images, published ports,
//! networks, `depends_on`, `links`, and environment variables that name other services.

use serde_json::Value;
use threatforge_model::{BoundaryKind, Exposure};

use crate::error::IacError;
use crate::inventory::{
    Evidence, Found, Inventory, Link, Origin, protocol_of_technology, technology_of_image,
    url_hosts,
};
use crate::text::{Lines, scalar, short, str_at, truthy, yaml_documents};

pub(crate) fn read(file: &str, text: &str, inventory: &mut Inventory) -> Result<(), IacError> {
    let documents = yaml_documents(file, text)?;
    let Some(document) = documents.first() else {
        return Ok(());
    };
    let Some(services) = document.get("services").and_then(Value::as_object) else {
        return Err(IacError::at(file, 1, 1, "has no `services:` mapping")
            .with_help("a Compose file lists its containers under `services:`"));
    };
    let lines = Lines::new(text);
    let services_line = lines.find("services:", 1);
    let first = inventory.components.len();
    let has_networks = document
        .get("networks")
        .and_then(Value::as_object)
        .is_some()
        || services.values().any(|s| s.get("networks").is_some());

    for (name, service) in services {
        let reference = format!("compose:{name}");
        let line = lines.find_key(name, services_line);
        let origin = Origin {
            file: file.to_owned(),
            line,
        };
        let image = str_at(service, &["image"]);
        let technology = match image.and_then(technology_of_image) {
            Some((technology, why)) => Evidence::new(technology, why),
            None if service.get("build").is_some() => Evidence::new(
                "backend-service",
                "built from source here (`build:`); say what it is",
            ),
            None => Evidence::new(
                "backend-service",
                match image {
                    Some(image) => format!("image `{}` is not one threatforge knows", short(image)),
                    None => "no image and no build".to_owned(),
                },
            ),
        };
        let exposure = Some(match published_port(service) {
            Some(port) => Evidence::new(
                Exposure::Internet,
                format!(
                    "publishes port {} on every interface of the host",
                    short(&port)
                ),
            ),
            None => Evidence::new(Exposure::Internal, "publishes no port on the host"),
        });
        let mut controls = Vec::new();
        let mut lacks = Vec::new();
        if truthy(service.get("privileged")) == Some(true) {
            lacks.push(Evidence::new(
                "container-hardening",
                "runs `privileged: true`",
            ));
        } else if let Some(user) = service.get("user").and_then(scalar) {
            let root = user == "root"
                || user == "0"
                || user.starts_with("0:")
                || user.starts_with("root:");
            if root {
                lacks.push(Evidence::new("container-hardening", "runs as `user: root`"));
            } else if truthy(service.get("read_only")) == Some(true) {
                controls.push(Evidence::new(
                    "container-hardening",
                    "runs as a non-root user with a read-only file system",
                ));
            }
        }
        let zone = has_networks.then(|| {
            let network = first_network(service).unwrap_or_else(|| "default".to_owned());
            format!("compose-network:{network}")
        });
        inventory.components.push(Found {
            reference,
            name: name.clone(),
            technology,
            exposure,
            public_protocol: None,
            controls,
            lacks,
            zone,
            origin,
            notes: Vec::new(),
        });
    }

    if has_networks {
        let mut networks: Vec<String> = inventory.components[first..]
            .iter()
            .filter_map(|c| c.zone.clone())
            .collect();
        networks.dedup();
        for key in networks {
            let name = key.trim_start_matches("compose-network:").to_owned();
            inventory.zone(crate::inventory::Zone {
                key,
                name: format!("{name} network"),
                kind: BoundaryKind::Network,
                parent: None,
                why: format!("Compose network `{}`", short(&name)),
            });
        }
    }

    for (name, service) in services {
        let source = format!("compose:{name}");
        let line = lines.find_key(name, services_line);
        let origin = Origin {
            file: file.to_owned(),
            line,
        };
        let mut link = |target: &str, protocol: Option<&'static str>, why: String| {
            if services.contains_key(target) {
                let protocol = protocol.or_else(|| {
                    services
                        .get(target)
                        .and_then(|s| str_at(s, &["image"]))
                        .and_then(technology_of_image)
                        .and_then(|(t, _)| protocol_of_technology(t))
                });
                inventory.link(Link {
                    source: source.clone(),
                    target: format!("compose:{target}"),
                    protocol,
                    why,
                    origin: origin.clone(),
                });
            }
        };
        for dependency in names(service.get("depends_on")) {
            link(
                &dependency,
                None,
                format!("`{name}` depends_on `{}`", short(&dependency)),
            );
        }
        for linked in names(service.get("links")) {
            let target = linked.split(':').next().unwrap_or(&linked).to_owned();
            link(
                &target,
                None,
                format!("`{name}` links `{}`", short(&target)),
            );
        }
        for (key, value) in environment(service.get("environment")) {
            for (host, protocol) in url_hosts(&value) {
                link(
                    &host,
                    protocol,
                    format!(
                        "environment variable {} of `{name}` names `{}`",
                        short(&key),
                        short(&host)
                    ),
                );
            }
            let value = value.trim().to_ascii_lowercase();
            if services.contains_key(&value) {
                link(
                    &value,
                    None,
                    format!(
                        "environment variable {} of `{name}` names `{}`",
                        short(&key),
                        short(&value)
                    ),
                );
            }
        }
    }
    Ok(())
}

/// The first published port (`"8080:80"`, `"127.0.0.1:5432:5432"` is not, `{ published: 80 }`).
fn published_port(service: &Value) -> Option<String> {
    let ports = service.get("ports")?.as_array()?;
    ports.iter().find_map(|port| match port {
        Value::Object(long) => {
            let published = long.get("published").and_then(scalar)?;
            let host_ip = long.get("host_ip").and_then(Value::as_str).unwrap_or("");
            (!is_loopback(host_ip)).then_some(published)
        }
        other => {
            let short = scalar(other)?;
            let parts: Vec<&str> = short.rsplitn(3, ':').collect();
            match parts.as_slice() {
                // "80" alone publishes an ephemeral host port on every interface.
                [_] => Some(short.clone()),
                [_, published] => Some((*published).to_owned()),
                [_, published, ip] => (!is_loopback(ip)).then(|| (*published).to_owned()),
                _ => None,
            }
        }
    })
}

fn is_loopback(ip: &str) -> bool {
    ip.starts_with("127.") || ip == "localhost" || ip == "::1" || ip == "[::1]"
}

fn first_network(service: &Value) -> Option<String> {
    match service.get("networks")? {
        Value::Array(list) => list.first().and_then(Value::as_str).map(str::to_owned),
        Value::Object(map) => map.keys().next().cloned(),
        _ => None,
    }
}

/// Service names of `depends_on` or `links`: a list, or a mapping (the long syntax).
fn names(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(list)) => list.iter().filter_map(scalar).collect(),
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// `environment:` as a list of `KEY=value` or a mapping.
fn environment(value: Option<&Value>) -> Vec<(String, String)> {
    match value {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|entry| entry.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), scalar(v)?)))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory(text: &str) -> Inventory {
        let mut inventory = Inventory::default();
        read("compose.yaml", text, &mut inventory).expect("reads");
        inventory
    }

    #[test]
    fn ports_bound_to_loopback_are_not_published_to_the_internet() {
        let inv = inventory(
            "services:\n  a: { image: nginx, ports: [\"8080:80\"] }\n  b: { image: postgres, ports: [\"127.0.0.1:5432:5432\"] }\n  c: { image: redis, ports: [{ target: 6379, published: 6379, host_ip: 127.0.0.1 }] }\n",
        );
        let exposures: Vec<Exposure> = inv
            .components
            .iter()
            .map(|c| c.exposure.as_ref().expect("known").value)
            .collect();
        assert_eq!(
            exposures,
            [Exposure::Internet, Exposure::Internal, Exposure::Internal]
        );
    }

    #[test]
    fn flows_come_from_depends_on_links_and_environment_without_the_secrets() {
        let inv = inventory(
            "services:\n  web:\n    build: .\n    depends_on: { cache: { condition: service_started } }\n    links: [\"db:database\"]\n    environment:\n      DATABASE_URL: postgres://app:hunter2@db:5432/app\n      CACHE_HOST: cache\n  db: { image: postgres:16 }\n  cache: { image: redis:7 }\n",
        );
        let links: Vec<(String, String, Option<&str>)> = inv
            .links
            .iter()
            .map(|l| (l.source.clone(), l.target.clone(), l.protocol))
            .collect();
        assert_eq!(
            links,
            [
                (
                    "compose:web".to_owned(),
                    "compose:cache".to_owned(),
                    Some("redis")
                ),
                (
                    "compose:web".to_owned(),
                    "compose:db".to_owned(),
                    Some("postgres")
                ),
            ]
        );
        assert!(inv.links.iter().all(|l| !l.why.contains("hunter2")));
    }

    #[test]
    fn a_file_without_services_is_refused_with_a_position() {
        let mut inventory = Inventory::default();
        let error = read("compose.yaml", "version: '3'\n", &mut inventory).expect_err("refused");
        assert_eq!((error.line, error.column), (Some(1), Some(1)));
    }
}
