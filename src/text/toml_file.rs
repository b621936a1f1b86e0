//! Reading the TOML files a seller writes (the config, template files): every error names the
//! file, the line and the key, so a typo is found without guessing.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// What kind of file this is, for the message: "config", "template".
    pub what: &'static str,
    pub file: PathBuf,
    /// 1-based; `None` when the problem is not tied to a line (e.g. the file cannot be read).
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.what, self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileError {}

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// An error about `file`, located by a byte span of `text`.
pub fn error_at(
    what: &'static str,
    file: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    key: Option<String>,
    message: String,
) -> FileError {
    FileError {
        what,
        file: file.to_path_buf(),
        line: span.map(|s| line_of(text, s.start)),
        key,
        message,
    }
}

/// Parses `text` (the contents of `file`) into `T`, naming line and key on failure.
pub fn parse<T: DeserializeOwned>(
    what: &'static str,
    text: &str,
    file: &Path,
) -> Result<T, FileError> {
    let de = toml::de::Deserializer::parse(text)
        .map_err(|e| error_at(what, file, text, e.span(), None, e.message().to_string()))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        // Spanned<T> adds a private field name to the path.
        let path = e
            .path()
            .to_string()
            .replace(".$__serde_spanned_private_value", "");
        let inner = e.into_inner();
        let key = (path != "." && !path.is_empty()).then_some(path);
        error_at(
            what,
            file,
            text,
            inner.span(),
            key,
            inner.message().to_string(),
        )
    })
}

/// Reads `file` as UTF-8 text.
pub fn read(what: &'static str, file: &Path) -> Result<String, FileError> {
    let bytes = std::fs::read(file).map_err(|e| FileError {
        what,
        file: file.to_path_buf(),
        line: None,
        key: None,
        message: format!("cannot read: {e}"),
    })?;
    String::from_utf8(bytes).map_err(|e| FileError {
        what,
        file: file.to_path_buf(),
        line: None,
        key: None,
        message: format!("not UTF-8 text ({e})"),
    })
}
