//! Opening input files: the one place where threatforge reads a file that a model, an include,
//! a rule directory or an archived revision names.
//!
//! Those files come from whoever wrote the pull request, and threatforge runs in CI beside the
//! project's secrets. So a file is read only when its canonical path is inside the confining
//! root (a symlink to `/proc/self/environ` is refused, not followed), and only when it is a
//! regular file: a FIFO blocks whoever opens it, and `/dev/zero` never ends. What is refused is
//! never read, so no diagnostic can quote it.

use crate::codes::Code;
use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;

/// Why a file was not read.
#[derive(Debug)]
pub enum Refused {
    /// The path does not resolve (missing, a dangling link, a loop).
    Missing(std::io::Error),
    /// The canonical path is outside the confining root.
    Outside {
        /// The path itself is a symbolic link (rather than a `..` or a linked directory).
        link: bool,
        root: PathBuf,
    },
    /// A FIFO, device, directory or socket.
    NotRegular {
        kind: FileKind,
        link: bool,
    },
    /// Larger than the cap, in bytes.
    TooLarge(u64),
    NotUtf8,
    Io(std::io::Error),
}

/// What a non-regular file is, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Directory,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Other,
}

impl FileKind {
    fn of(metadata: &Metadata) -> FileKind {
        if metadata.is_dir() {
            return FileKind::Directory;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            let kind = metadata.file_type();
            if kind.is_fifo() {
                return FileKind::Fifo;
            }
            if kind.is_socket() {
                return FileKind::Socket;
            }
            if kind.is_char_device() {
                return FileKind::CharDevice;
            }
            if kind.is_block_device() {
                return FileKind::BlockDevice;
            }
        }
        FileKind::Other
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Other => "neither a file nor a directory",
        })
    }
}

impl Refused {
    /// The diagnostic code: `file-escape`, `not-regular-file`, `limit-exceeded` or `io-error`.
    pub fn code(&self) -> Code {
        match self {
            Refused::Outside { .. } => Code::FileEscape,
            Refused::NotRegular { .. } => Code::NotRegularFile,
            Refused::TooLarge(_) => Code::LimitExceeded,
            Refused::Missing(_) | Refused::NotUtf8 | Refused::Io(_) => Code::IoError,
        }
    }

    /// What happened, naming the file as the user wrote it (`display`); `root_name` says what
    /// the root is to the user ("the model's root", "the rule directory").
    pub fn message(&self, display: &str, root_name: &str) -> String {
        match self {
            Refused::Missing(e) | Refused::Io(e) => format!("cannot read `{display}`: {e}"),
            Refused::Outside { link: true, .. } => {
                format!("`{display}` is a symbolic link to a file outside {root_name}")
            }
            Refused::Outside { link: false, .. } => {
                format!("`{display}` resolves to a file outside {root_name}")
            }
            Refused::NotRegular { kind, link: true } => {
                format!("`{display}` is not a regular file (a symbolic link to {kind})")
            }
            Refused::NotRegular { kind, link: false } => {
                format!("`{display}` is not a regular file ({kind})")
            }
            Refused::TooLarge(cap) => {
                format!("`{display}` is larger than the limit of {}", size(*cap))
            }
            Refused::NotUtf8 => format!("`{display}` is not UTF-8 text"),
        }
    }

    pub fn help(&self) -> String {
        match self {
            Refused::Missing(_) => "check the path".to_owned(),
            Refused::Outside { root, .. } => format!(
                "threatforge reads only files inside `{}`; put the file itself there, not a link \
                 to it",
                root.display()
            ),
            Refused::NotRegular { .. } => {
                "threatforge opens only regular files, not pipes, devices or directories".to_owned()
            }
            Refused::TooLarge(_) => "check that this is the right file".to_owned(),
            Refused::NotUtf8 => "save the file as UTF-8".to_owned(),
            Refused::Io(_) => "check the file's permissions".to_owned(),
        }
    }

    /// The refusal as an error diagnostic, without a label: the file's text is not read, so
    /// there is nothing of it to point at.
    pub fn diagnostic(&self, display: &str, root_name: &str) -> Diagnostic {
        Diagnostic::new(self.code(), self.message(display, root_name)).with_help(self.help())
    }
}

fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads the text of `path`, which must resolve inside `root` (canonical) and be a regular
/// file of at most `cap` bytes, in UTF-8. Returns the canonical path with the text.
pub fn read_confined(path: &Path, root: &Path, cap: u64) -> Result<(PathBuf, String), Refused> {
    let outside = || Refused::Outside {
        link: is_link(path),
        root: root.to_path_buf(),
    };
    let canonical = match std::fs::canonicalize(path) {
        Ok(canonical) => canonical,
        // A dangling link out of the root is refused as one to a present file would be, so
        // that the answer does not tell what exists out there.
        Err(_) if !leads_inside(path, root) => return Err(outside()),
        Err(e) => return Err(Refused::Missing(e)),
    };
    if !canonical.starts_with(root) {
        return Err(outside());
    }
    let bytes = read_regular(&canonical, cap).map_err(|refused| match refused {
        Refused::NotRegular { kind, .. } => Refused::NotRegular {
            kind,
            link: is_link(path),
        },
        other => other,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Refused::NotUtf8)?;
    Ok((canonical, text))
}

/// Whether `path`, which need not exist, leads inside `root` (canonical): each link on the way
/// is followed as the system would follow it, dangling ones included, and what does not exist
/// is read by its components. For telling a missing file inside the root from one outside it.
pub(crate) fn leads_inside(path: &Path, root: &Path) -> bool {
    use std::path::Component;
    // As many links as Linux follows in one lookup; past that the lookup fails anyway.
    const MAX_LINKS: usize = 40;
    let start = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let mut pending: Vec<PathBuf> = components_reversed(&start);
    let mut resolved = PathBuf::new();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        match part.components().next() {
            Some(Component::ParentDir) => {
                resolved.pop();
            }
            Some(Component::Normal(name)) => {
                let next = resolved.join(name);
                match std::fs::read_link(&next) {
                    Ok(target) if links < MAX_LINKS => {
                        links += 1;
                        // An absolute target starts again from its root component.
                        pending.extend(components_reversed(&target));
                    }
                    _ => resolved = next,
                }
            }
            Some(Component::RootDir) => resolved = PathBuf::from("/"),
            Some(Component::Prefix(prefix)) => resolved = PathBuf::from(prefix.as_os_str()),
            Some(Component::CurDir) | None => {}
        }
    }
    resolved.starts_with(root)
}

fn components_reversed(path: &Path) -> Vec<PathBuf> {
    path.components()
        .rev()
        .map(|c| PathBuf::from(c.as_os_str()))
        .collect()
}

/// Reads at most `cap` bytes of `path`, which must be a regular file (for inputs that the user
/// names outright, such as `import FILE`: no root confines them).
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, Refused> {
    // Checked before opening: opening a FIFO blocks until a writer comes, which is never.
    let metadata = std::fs::metadata(path).map_err(Refused::Missing)?;
    regular(&metadata, path)?;
    let file = open_nonblocking(path).map_err(Refused::Io)?;
    // Checked again on the handle: the path may have been swapped for something else between
    // the two calls.
    let metadata = file.metadata().map_err(Refused::Io)?;
    regular(&metadata, path)?;
    if metadata.len() > cap {
        return Err(Refused::TooLarge(cap));
    }
    let mut bytes = Vec::new();
    // One byte past the cap, so that a file that grows while it is read is still caught, and
    // files whose size the system does not know (`/proc`) are still bounded.
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > cap {
        return Err(Refused::TooLarge(cap));
    }
    Ok(bytes)
}

fn regular(metadata: &Metadata, path: &Path) -> Result<(), Refused> {
    if metadata.is_file() {
        Ok(())
    } else {
        Err(Refused::NotRegular {
            kind: FileKind::of(metadata),
            link: is_link(path),
        })
    }
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Opens for reading without blocking: if a FIFO is swapped in after the check, the open
/// returns at once (and the handle's check refuses it) instead of waiting for a writer.
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(dir: &tempfile::TempDir) -> PathBuf {
        std::fs::canonicalize(dir.path()).expect("canonical temp dir")
    }

    #[test]
    fn a_regular_file_inside_the_root_is_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("m.yaml"), "system: {}\n").expect("write");
        let (canonical, text) =
            read_confined(&dir.path().join("m.yaml"), &root(&dir), 100).expect("read");
        assert_eq!(text, "system: {}\n");
        assert_eq!(canonical, root(&dir).join("m.yaml"));
    }

    #[test]
    fn the_cap_is_exact() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.yaml");
        std::fs::write(&path, "12345").expect("write");
        assert!(read_confined(&path, &root(&dir), 5).is_ok());
        let refused = read_confined(&path, &root(&dir), 4).expect_err("too large");
        assert!(matches!(refused, Refused::TooLarge(4)), "{refused:?}");
        assert_eq!(refused.code(), Code::LimitExceeded);
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.yaml");
        std::fs::write(&path, [b'a', 0xff, 0xfe]).expect("write");
        let refused = read_confined(&path, &root(&dir), 100).expect_err("not utf-8");
        assert!(matches!(refused, Refused::NotUtf8), "{refused:?}");
    }

    #[test]
    fn a_path_outside_the_root_is_refused_before_it_is_read() {
        let outer = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(outer.path().join("root")).expect("mkdir");
        std::fs::write(outer.path().join("secret.yaml"), "SECRET").expect("write");
        let root = root(&outer).join("root");
        let refused = read_confined(&root.join("../secret.yaml"), &root, 100).expect_err("outside");
        assert!(
            matches!(refused, Refused::Outside { link: false, .. }),
            "{refused:?}"
        );
        assert_eq!(refused.code(), Code::FileEscape);
        let message = refused.message("../secret.yaml", "the model's root");
        assert_eq!(
            message,
            "`../secret.yaml` resolves to a file outside the model's root"
        );
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let refused =
            read_confined(&dir.path().join("nope.yaml"), &root(&dir), 100).expect_err("missing");
        assert!(matches!(refused, Refused::Missing(_)), "{refused:?}");
        assert_eq!(refused.code(), Code::IoError);
    }

    #[test]
    fn a_directory_is_not_a_regular_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("d.yaml")).expect("mkdir");
        let refused =
            read_confined(&dir.path().join("d.yaml"), &root(&dir), 100).expect_err("directory");
        assert!(
            matches!(
                refused,
                Refused::NotRegular {
                    kind: FileKind::Directory,
                    link: false
                }
            ),
            "{refused:?}"
        );
        assert_eq!(
            refused.message("d.yaml", "the model's root"),
            "`d.yaml` is not a regular file (a directory)"
        );
    }

    #[cfg(unix)]
    mod unix {
        use super::*;
        use std::os::unix::fs::symlink;

        const SECRET: &str = "ghp_planted_secret_in_a_file";

        #[test]
        fn a_symlink_leaving_the_root_is_refused_and_its_target_never_quoted() {
            let outer = tempfile::tempdir().expect("temp dir");
            let root_dir = root(&outer).join("root");
            std::fs::create_dir(&root_dir).expect("mkdir");
            std::fs::write(outer.path().join("secret"), SECRET).expect("write");
            let link = root_dir.join("rule.yaml");
            symlink(outer.path().join("secret"), &link).expect("symlink");
            let refused = read_confined(&link, &root_dir, 100).expect_err("outside");
            assert!(
                matches!(refused, Refused::Outside { link: true, .. }),
                "{refused:?}"
            );
            let d = refused.diagnostic("rules/rule.yaml", "the model's root");
            assert_eq!(d.code, "file-escape");
            assert_eq!(
                d.message,
                "`rules/rule.yaml` is a symbolic link to a file outside the model's root"
            );
            let help = d.help.clone().unwrap_or_default();
            assert!(help.contains(&root_dir.display().to_string()), "{help}");
            assert!(!format!("{d:?}").contains(SECRET));

            let environ = root_dir.join("env.yaml");
            symlink("/proc/self/environ", &environ).expect("symlink");
            let refused = read_confined(&environ, &root_dir, 100).expect_err("outside");
            assert_eq!(refused.code(), Code::FileEscape);
        }

        #[test]
        fn a_dangling_link_out_of_the_root_is_refused_like_a_present_one() {
            let outer = tempfile::tempdir().expect("temp dir");
            let root_dir = root(&outer).join("root");
            std::fs::create_dir(&root_dir).expect("mkdir");
            // Two hops and a missing directory: root/a -> root/b -> outer/gone/file.
            symlink(outer.path().join("gone/file"), root_dir.join("b")).expect("symlink");
            symlink("b", root_dir.join("a")).expect("symlink");
            let refused = read_confined(&root_dir.join("a"), &root_dir, 100).expect_err("outside");
            assert!(
                matches!(refused, Refused::Outside { link: true, .. }),
                "{refused:?}"
            );
            // A dangling link that stays inside is only missing.
            symlink("nothing-here", root_dir.join("c")).expect("symlink");
            let refused = read_confined(&root_dir.join("c"), &root_dir, 100).expect_err("missing");
            assert!(matches!(refused, Refused::Missing(_)), "{refused:?}");
        }

        #[test]
        fn links_are_followed_where_they_lead_even_to_nothing() {
            let outer = tempfile::tempdir().expect("temp dir");
            let root_dir = root(&outer).join("root");
            std::fs::create_dir_all(root_dir.join("sub")).expect("mkdir");
            symlink(outer.path(), root_dir.join("out")).expect("symlink");
            symlink("sub", root_dir.join("in")).expect("symlink");
            symlink("../../elsewhere", root_dir.join("sub/up")).expect("symlink");
            let inside = [
                "in/missing.yaml",
                "sub/../missing.yaml",
                "out/root/missing.yaml",
            ];
            for path in inside {
                assert!(leads_inside(&root_dir.join(path), &root_dir), "{path}");
            }
            let outside = [
                "out/missing.yaml",
                "in/../../missing.yaml",
                "in/up/missing.yaml",
                "out/../missing.yaml",
            ];
            for path in outside {
                assert!(!leads_inside(&root_dir.join(path), &root_dir), "{path}");
            }
            // A loop of links ends after as many hops as the system follows, and is judged
            // where it ended (inside, here: such a file is only missing).
            symlink("loop-b", root_dir.join("loop-a")).expect("symlink");
            symlink("loop-a", root_dir.join("loop-b")).expect("symlink");
            assert!(leads_inside(&root_dir.join("loop-a"), &root_dir));
        }

        #[test]
        fn a_symlink_to_a_regular_file_inside_the_root_is_read() {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
            std::fs::write(dir.path().join("sub/real.yaml"), "x: 1\n").expect("write");
            symlink("sub/real.yaml", dir.path().join("link.yaml")).expect("symlink");
            let (canonical, text) =
                read_confined(&dir.path().join("link.yaml"), &root(&dir), 100).expect("read");
            assert_eq!(text, "x: 1\n");
            assert_eq!(canonical, root(&dir).join("sub/real.yaml"));
        }

        fn mkfifo(path: &Path) {
            let status = std::process::Command::new("mkfifo")
                .arg(path)
                .status()
                .expect("run mkfifo");
            assert!(status.success(), "mkfifo {}", path.display());
        }

        /// Each of these would block forever if it were opened, and the test with it.
        #[test]
        fn a_fifo_is_refused_without_being_opened() {
            let dir = tempfile::tempdir().expect("temp dir");
            let fifo = dir.path().join("m.yaml");
            mkfifo(&fifo);
            let refused = read_confined(&fifo, &root(&dir), 100).expect_err("fifo");
            assert!(
                matches!(
                    refused,
                    Refused::NotRegular {
                        kind: FileKind::Fifo,
                        link: false
                    }
                ),
                "{refused:?}"
            );
            assert_eq!(refused.code(), Code::NotRegularFile);
            assert_eq!(
                refused.message("m.yaml", "the model's root"),
                "`m.yaml` is not a regular file (a FIFO)"
            );

            let link = dir.path().join("link.yaml");
            symlink("m.yaml", &link).expect("symlink");
            let refused = read_confined(&link, &root(&dir), 100).expect_err("fifo");
            assert!(
                matches!(
                    refused,
                    Refused::NotRegular {
                        kind: FileKind::Fifo,
                        link: true
                    }
                ),
                "{refused:?}"
            );
            assert!(matches!(
                read_regular(&fifo, 100),
                Err(Refused::NotRegular { .. })
            ));
        }

        #[test]
        fn devices_are_refused_without_being_read() {
            let dev = Path::new("/dev");
            for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
                let refused = read_confined(Path::new(device), dev, 1024).expect_err(device);
                assert!(
                    matches!(
                        refused,
                        Refused::NotRegular {
                            kind: FileKind::CharDevice,
                            ..
                        }
                    ),
                    "{device}: {refused:?}"
                );
            }
        }

        #[cfg(target_os = "linux")]
        #[test]
        fn files_of_unknown_size_are_read_only_to_the_cap() {
            // `/proc` files report a size of 0; the cap still bounds what is read.
            let refused = read_regular(Path::new("/proc/self/maps"), 8).expect_err("over the cap");
            assert!(matches!(refused, Refused::TooLarge(8)), "{refused:?}");
        }
    }
}
