//! Source files of a model and positions inside them.
//!
//! Every value that a diagnostic may point at carries a [`Span`]: a file id and a byte range.
//! Lines and columns are computed from the text when a diagnostic is rendered, so spans stay
//! small and cheap to copy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub len: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, len: usize) -> Self {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(len).unwrap_or(0),
        }
    }

    pub fn end(&self) -> u32 {
        self.start.saturating_add(self.len)
    }
}

/// One loaded file: the path as the user should see it, and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path shown in diagnostics: relative to the working directory when possible.
    pub display: String,
    /// Canonical absolute path, used to detect include cycles and confinement.
    pub path: PathBuf,
    pub text: Arc<str>,
    line_starts: Vec<u32>,
    /// Characters before each `CHARS_BLOCK`-byte block of the text: a column is then counted from
    /// the nearest block, not from the start of its line, so that locating every span of a
    /// minified file (one line of megabytes) stays linear.
    chars_before_block: Vec<u32>,
}

/// Bytes between two entries of `chars_before_block`.
const CHARS_BLOCK: usize = 1024;

/// Whether a byte starts a character (is not a UTF-8 continuation byte).
fn starts_char(b: u8) -> bool {
    b & 0xC0 != 0x80
}

impl SourceFile {
    pub fn new(display: String, path: PathBuf, text: Arc<str>) -> Self {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        let mut chars_before_block = Vec::with_capacity(text.len() / CHARS_BLOCK + 1);
        let mut chars = 0u32;
        for block in text.as_bytes().chunks(CHARS_BLOCK) {
            chars_before_block.push(chars);
            let in_block = block.iter().filter(|&&b| starts_char(b)).count();
            chars = chars.saturating_add(u32::try_from(in_block).unwrap_or(u32::MAX));
        }
        // The end of a text whose length is a multiple of the block is a block start too.
        chars_before_block.push(chars);
        SourceFile {
            display,
            path,
            text,
            line_starts,
            chars_before_block,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let end = (offset as usize).min(self.text.len());
        // An offset inside a character has no column of its own: the line's first.
        let column = if self.text.is_char_boundary(end) && start <= end {
            self.chars_before(end) - self.chars_before(start)
        } else {
            0
        };
        (line + 1, column + 1)
    }

    /// Characters before a byte offset (a character boundary), counted from the nearest block.
    fn chars_before(&self, offset: usize) -> usize {
        let block = offset / CHARS_BLOCK;
        let Some(&counted) = self.chars_before_block.get(block) else {
            return self.text.chars().count();
        };
        let counted = counted as usize;
        let from = (block * CHARS_BLOCK).min(offset);
        #[cfg(test)]
        tests::SCANNED.with(|n| n.set(n.get() + (offset - from)));
        let rest = self.text.as_bytes()[from..offset]
            .iter()
            .filter(|&&b| starts_char(b))
            .count();
        counted + rest
    }

    /// Byte offset of a 1-based line and column (in characters).
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let start = start as usize;
        let rest = self.text.get(start..).unwrap_or("");
        let within = rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        start + within
    }

    /// 0-based index of the line that holds a byte offset (the last line past the end).
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        self.line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// Byte range of a 0-based line, its line break included, or `None` past the last line.
    pub fn line_range(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(line)? as usize;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next as usize);
        Some(start..end)
    }
}

/// All files that make up a model, in the order they were loaded.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    /// `file:line:column` of a span.
    pub fn locate(&self, span: Span) -> Location {
        match self.get(span.file) {
            Some(file) => {
                let (line, column) = file.line_col(span.start);
                Location {
                    file: file.display.clone(),
                    line,
                    column,
                }
            }
            None => Location {
                file: String::from("<unknown>"),
                line: 0,
                column: 0,
            },
        }
    }
}

/// A human position: file, 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    std::thread_local! {
        /// Bytes `chars_before` examined past its block's count: the work of locating spans.
        pub(super) static SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Minified JSON and flow-style YAML put a whole model on one line; every span of it is
    /// located (for diagnostics, SARIF, reports), so a column counted from the start of the line
    /// would make locating them all quadratic in the file's size.
    #[test]
    fn locating_every_span_of_one_long_line_is_linear() {
        let text = "{\"id\":\"c\u{e7}\"},".repeat(400_000);
        let file = SourceFile::new(
            "m.json".into(),
            PathBuf::from("/m.json"),
            text.as_str().into(),
        );
        let offsets: Vec<usize> = (0..text.len())
            .step_by(97)
            .filter(|&o| text.is_char_boundary(o))
            .collect();
        SCANNED.with(|n| n.set(0));
        for &offset in &offsets {
            let (line, column) = file.line_col(offset as u32);
            assert_eq!(line, 1);
            assert!(column <= offset + 1);
        }
        let scanned = SCANNED.with(std::cell::Cell::get);
        // At most one block per offset; counted from the line's start it would be about
        // offsets * len / 2, some 2e11 bytes here.
        assert!(
            scanned <= offsets.len() * CHARS_BLOCK,
            "{scanned} bytes examined for {} offsets",
            offsets.len()
        );
        assert_eq!(
            file.line_col(text.len() as u32),
            (1, text.chars().count() + 1)
        );
    }

    #[test]
    fn line_and_column_count_characters() {
        let file = SourceFile::new(
            "m.yaml".into(),
            PathBuf::from("/m.yaml"),
            "ab\nçd: x\n".into(),
        );
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(3), (2, 1));
        // 'ç' is two bytes but one column.
        assert_eq!(file.line_col(6), (2, 3));
        assert_eq!(file.offset_of(2, 3), 6);
    }

    /// The column as counted from the start of its line, the obvious way.
    fn column_by_counting(text: &str, offset: usize) -> usize {
        let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        text.get(start..offset).map_or(0, |s| s.chars().count()) + 1
    }

    #[test]
    fn the_end_of_a_text_of_whole_blocks_has_its_column() {
        let text = "a".repeat(CHARS_BLOCK * 2);
        let file = SourceFile::new("m".into(), PathBuf::from("/m"), text.as_str().into());
        assert_eq!(file.line_col(text.len() as u32), (1, text.len() + 1));
    }

    proptest::proptest! {
        #[test]
        fn columns_agree_with_counting_from_the_line_start(
            text in "(?s)[a-z\n\u{e7}\u{1f600}: ]{0,3000}",
            picks in proptest::collection::vec(0usize..4000, 1..20),
        ) {
            let file = SourceFile::new("m".into(), PathBuf::from("/m"), text.as_str().into());
            for pick in picks {
                let offset = pick.min(text.len());
                if !text.is_char_boundary(offset) {
                    continue;
                }
                let (_, column) = file.line_col(offset as u32);
                proptest::prop_assert_eq!(column, column_by_counting(&text, offset));
            }
        }
    }

    #[test]
    fn lines_by_offset() {
        let file = SourceFile::new("m.yaml".into(), PathBuf::from("/m.yaml"), "ab\ncd\n".into());
        assert_eq!(file.line_index(0), 0);
        assert_eq!(file.line_index(2), 0);
        assert_eq!(file.line_index(3), 1);
        assert_eq!(file.line_index(6), 2);
        assert_eq!(file.line_index(99), 2);
        assert_eq!(file.line_range(0), Some(0..3));
        assert_eq!(file.line_range(1), Some(3..6));
        assert_eq!(file.line_range(2), Some(6..6));
        assert_eq!(file.line_range(3), None);
    }
}
