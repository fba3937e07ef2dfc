//! A streaming writer's output kept in memory: for the entry points that return a report as
//! text (tests, the dashboard, `render`), and for parts rendered on another core while the
//! sink is busy.

/// What `write` writes, as bytes.
pub(crate) fn as_bytes(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    write(&mut out)?;
    Ok(out)
}

/// What `write` writes, as text. Writing into memory fails only where a defect would, and every
/// writer of a report writes text.
pub(crate) fn as_text(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> String {
    let mut out = Vec::new();
    let _ = write(&mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
