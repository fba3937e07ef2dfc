//! Finding and reading the inputs: each path given is a root; a directory is walked for the
//! files threatforge reads, and every file is opened through the model crate's confinement, so
//! a link out of its root, a FIFO or a file over the cap is refused.

use std::path::{Path, PathBuf};

use threatforge_model::{Refused, read_confined};

use crate::error::IacError;
use crate::inventory::{Inventory, Source};
use crate::{compose, hcl, k8s, terraform};

/// Bounds on one scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// The largest file read, in bytes.
    pub max_file_bytes: u64,
    /// The most bytes read over all files.
    pub max_total_bytes: u64,
    /// The most files read.
    pub max_files: usize,
    /// The most directory entries looked at while walking.
    pub max_entries: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_file_bytes: 16 * 1024 * 1024,
            max_total_bytes: 256 * 1024 * 1024,
            max_files: 5_000,
            max_entries: 200_000,
        }
    }
}

/// What a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Compose,
    Kubernetes,
    TerraformJson,
    TerraformSource,
}

/// Reads every path (a file or a directory) into one inventory.
pub fn scan(paths: &[PathBuf], options: &ScanOptions) -> Result<Inventory, IacError> {
    let mut inventory = Inventory::default();
    let mut budget = Budget {
        bytes: options.max_total_bytes,
        files: options.max_files,
        entries: options.max_entries,
    };
    let mut sources = Deferred::default();
    for path in paths {
        let shown = path.display().to_string();
        let metadata = std::fs::metadata(path)
            .map_err(|e| IacError::new(&shown, format!("cannot read it: {e}")))?;
        let root = std::fs::canonicalize(path)
            .map_err(|e| IacError::new(&shown, format!("cannot read it: {e}")))?;
        if metadata.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files, &mut budget.entries, &shown)?;
            for file in files {
                let name = file.display().to_string();
                let Some(kind) = kind_by_name(&file) else {
                    continue;
                };
                let text = read(&file, &root, options, &mut budget)?;
                // Under a directory, a YAML or JSON file that is none of ours is someone
                // else's (CI settings, package manifests): skipped, not refused.
                if let Some(kind) = kind_by_content(kind, &text) {
                    read_into(kind, name, text, &mut inventory, &mut sources)?;
                }
            }
        } else {
            let Some(parent) = root.parent() else {
                return Err(IacError::new(&shown, "is not a file"));
            };
            let text = read(path, parent, options, &mut budget)?;
            let by_name = kind_by_name(path).unwrap_or(Kind::Kubernetes);
            let kind = kind_by_content(by_name, &text).ok_or_else(|| {
                IacError::new(
                    &shown,
                    "is neither a Docker Compose file, Kubernetes manifests, Terraform source, \
                     nor the output of `terraform show -json`",
                )
                .with_help(
                    "give Compose files (named `compose.yaml` or `docker-compose*.yml`), \
                     rendered Kubernetes YAML (`helm template`, `kustomize build`), Terraform \
                     source (`*.tf`), or \
                     `terraform show -json PLANFILE > plan.json`",
                )
            })?;
            read_into(kind, shown, text, &mut inventory, &mut sources)?;
        }
    }
    if !sources.manifests.is_empty() {
        inventory.saw(Source::Kubernetes);
        k8s::read(&sources.manifests, &mut inventory)?;
    }
    if !sources.terraform.is_empty() {
        hcl::read(&sources.terraform, &mut inventory)?;
    }
    Ok(inventory)
}

/// Files read together once all are in: a Service in one manifest is named in another, and a
/// Terraform module is every `.tf` file of its directory.
#[derive(Default)]
struct Deferred {
    manifests: Vec<(String, String)>,
    terraform: Vec<(String, String)>,
}

struct Budget {
    bytes: u64,
    files: usize,
    entries: usize,
}

fn read(
    path: &Path,
    root: &Path,
    options: &ScanOptions,
    budget: &mut Budget,
) -> Result<String, IacError> {
    let shown = path.display().to_string();
    if budget.files == 0 {
        return Err(IacError::new(
            &shown,
            format!("more than {} files to read", options.max_files),
        )
        .with_help("name the directories of the deployment rather than the whole repository"));
    }
    budget.files -= 1;
    let cap = options.max_file_bytes.min(budget.bytes);
    let (_, text) = read_confined(path, root, cap).map_err(|refused| {
        let help = refused.help();
        let message = match refused {
            Refused::TooLarge(_) => format!(
                "is larger than {} bytes (or than what is left of the {} bytes all inputs may have)",
                options.max_file_bytes, options.max_total_bytes
            ),
            refused => refused.message(&shown, "the directory given"),
        };
        IacError::new(&shown, message).with_help(help)
    })?;
    budget.bytes = budget.bytes.saturating_sub(text.len() as u64);
    Ok(text)
}

/// The files under `dir` with an extension threatforge reads, sorted, without following links
/// (a link to a file is listed and then refused by the confinement if it leads out), skipping
/// `.git`, `.terraform` (provider and module caches) and `node_modules`.
fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    entries_left: &mut usize,
    shown: &str,
) -> Result<(), IacError> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut here: Vec<_> = entries.flatten().collect();
        here.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in here {
            if *entries_left == 0 {
                return Err(
                    IacError::new(shown, "has too many files to walk").with_help(
                        "name the directories of the deployment rather than the whole repository",
                    ),
                );
            }
            *entries_left -= 1;
            let name = entry.file_name();
            if matches!(name.to_str(), Some(".git" | ".terraform" | "node_modules")) {
                continue;
            }
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                subdirs.push(entry.path());
            } else if kind_by_name(&entry.path()).is_some() {
                files.push(entry.path());
            }
        }
        // Reversed onto the stack so that directories are visited in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

fn kind_by_name(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let extension = name.rsplit('.').next()?;
    match extension {
        "tf" => Some(Kind::TerraformSource),
        "json" => Some(Kind::TerraformJson),
        "yaml" | "yml" if name.starts_with("docker-compose") || name.starts_with("compose") => {
            Some(Kind::Compose)
        }
        "yaml" | "yml" => Some(Kind::Kubernetes),
        _ => None,
    }
}

/// What a text is, given what its name suggests; `None` when it is not ours after all.
fn kind_by_content(by_name: Kind, text: &str) -> Option<Kind> {
    let has_line = |prefix: &str| text.lines().any(|l| l.starts_with(prefix));
    match by_name {
        Kind::TerraformJson => {
            // On a character boundary: a multi-byte character across byte 4096 must not panic.
            let mut end = text.len().min(4096);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let head = &text[..end];
            (head.contains("\"format_version\"")
                && (text.contains("\"planned_values\"") || text.contains("\"values\"")))
            .then_some(Kind::TerraformJson)
        }
        Kind::Compose => Some(Kind::Compose),
        Kind::TerraformSource => Some(Kind::TerraformSource),
        Kind::Kubernetes if has_line("apiVersion:") && has_line("kind:") => Some(Kind::Kubernetes),
        Kind::Kubernetes if has_line("services:") => Some(Kind::Compose),
        _ => None,
    }
}

fn read_into(
    kind: Kind,
    file: String,
    text: String,
    inventory: &mut Inventory,
    deferred: &mut Deferred,
) -> Result<(), IacError> {
    match kind {
        Kind::Compose => {
            inventory.saw(Source::Compose);
            compose::read(&file, &text, inventory)
        }
        Kind::Kubernetes => {
            deferred.manifests.push((file, text));
            Ok(())
        }
        Kind::TerraformJson => terraform::read(&file, &text, inventory),
        Kind::TerraformSource => {
            deferred.terraform.push((file, text));
            Ok(())
        }
    }
}
