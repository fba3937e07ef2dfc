//! `code:` globs held to the repository: a glob that matches no file there is stale (the code
//! moved or is gone), which `check --code-root` and `drift` report as `code-path-unmatched`.
//!
//! The walk reads directory entries only (no file is opened), never follows a symbolic link (a
//! link could lead out of the repository or into a cycle), skips `.git`, and stops after
//! [`MAX_ENTRIES`]: past that it cannot say a glob matches nothing, so it reports nothing rather
//! than guess.

use std::path::Path;

use globset::{Glob, GlobSetBuilder};

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::model::Model;

/// The most directory entries one walk reads: far above a monorepo's source tree, far below
/// what would make `check` slow.
pub(crate) const MAX_ENTRIES: usize = 500_000;

/// One warning per `code:` glob of `model` that matches no file or directory under `repo`
/// (paths relative to `repo`, with `/`). Invalid globs are `validate`'s to report; they are
/// skipped here.
pub fn unmatched_code_paths(model: &Model, repo: &Path) -> Vec<Diagnostic> {
    let mut builder = GlobSetBuilder::new();
    let mut globs = Vec::new();
    for component in model.components.values() {
        for glob in &component.code {
            if let Ok(compiled) = Glob::new(&glob.value) {
                builder.add(compiled);
                globs.push((component, glob));
            }
        }
    }
    if globs.is_empty() {
        return Vec::new();
    }
    let Ok(set) = builder.build() else {
        return Vec::new();
    };
    let mut matched = vec![false; globs.len()];
    let mut left = globs.len();
    let mut seen = 0usize;
    let mut stack = vec![String::new()];
    let mut hits = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(repo.join(&dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Vec::new();
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name == ".git" {
                continue;
            }
            let path = if dir.is_empty() {
                name.to_owned()
            } else {
                format!("{dir}/{name}")
            };
            set.matches_into(path.as_str(), &mut hits);
            for &i in &hits {
                if !matched[i] {
                    matched[i] = true;
                    left -= 1;
                }
            }
            if left == 0 {
                return Vec::new();
            }
            // `file_type` does not follow links: a link to a directory is not entered.
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    globs
        .iter()
        .zip(matched)
        .filter(|(_, matched)| !matched)
        .map(|((component, glob), _)| {
            Diagnostic::new(
                Code::CodePathUnmatched,
                format!(
                    "code path `{}` of component `{}` matches no file in the repository",
                    glob.value, component.id.value
                ),
            )
            .with_label(glob.span, "matches nothing")
            .with_help(
                "the path is relative to the repository's top; fix it if the code moved, \
                 remove it if the code is gone",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LoadOptions, load_str};

    fn model(dir: &Path, globs: &str) -> Model {
        let text = format!(
            "system: {{ name: s }}\ncomponents:\n  a: {{ technology: api-service, code: {globs} }}\n"
        );
        load_str("m.yaml", &text, dir, &LoadOptions::default()).model
    }

    #[test]
    fn globs_that_match_a_file_or_a_directory_pass_and_the_others_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("services/shop/src")).expect("dirs");
        std::fs::write(dir.path().join("services/shop/src/main.rs"), "").expect("file");
        std::fs::create_dir_all(dir.path().join("deploy")).expect("dir");
        let m = model(
            dir.path(),
            "[services/shop/**, deploy, services/gone/**, \"**/*.py\"]",
        );
        let found: Vec<String> = unmatched_code_paths(&m, dir.path())
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(
            found,
            [
                "code path `services/gone/**` of component `a` matches no file in the repository",
                "code path `**/*.py` of component `a` matches no file in the repository",
            ]
        );
    }

    #[test]
    fn the_git_directory_is_not_the_repository() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join(".git/objects")).expect("dirs");
        let m = model(dir.path(), "[\".git/**\"]");
        assert_eq!(unmatched_code_paths(&m, dir.path()).len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn links_are_not_followed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("secret.txt"), "").expect("file");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).expect("link");
        let m = model(dir.path(), "[out/secret.txt]");
        assert_eq!(unmatched_code_paths(&m, dir.path()).len(), 1);
    }
}
