//! How GitHub's contents API serves a file, by size. From GitHub's REST docs, "Get repository
//! content" (https://docs.github.com/rest/repos/contents#get-repository-content): files of
//! 1 MB or less come inline (base64 `content`); between 1 and 100 MB the JSON object has an
//! empty `content` and `encoding: "none"`, and the bytes come only through the raw media type
//! (`application/vnd.github.raw+json`); above 100 MB the endpoint does not serve the file.

use base64::Engine;
use octocrab::models::repos::Content;

/// The largest file the contents API serves (through the raw media type).
pub const MAX_RAW_BYTES: u64 = 100 * 1024 * 1024;

/// What the JSON answer of the contents API says about where the bytes are.
#[derive(Debug, PartialEq, Eq)]
pub enum Served<'a> {
    /// Base64 in `content` (1 MB or less).
    Inline(&'a str),
    /// `content` empty with `encoding: "none"`: to be fetched with the raw media type.
    Raw,
    /// Larger than the API serves (bytes).
    TooLarge(u64),
    /// A directory, a submodule or a symlink to outside the repository: no content.
    NotAFile,
}

impl<'a> Served<'a> {
    pub fn of(item: &'a Content) -> Served<'a> {
        // A file's object always has `content` (maybe empty); a directory listing's entries
        // and submodules have none.
        let Some(content) = item.content.as_deref() else {
            return Served::NotAFile;
        };
        let size = u64::try_from(item.size).unwrap_or(0);
        if size > MAX_RAW_BYTES {
            return Served::TooLarge(size);
        }
        if item.encoding.as_deref() == Some("none") || (content.is_empty() && size > 0) {
            // A file past 1 MB: never read as empty.
            return Served::Raw;
        }
        Served::Inline(content)
    }
}

/// The bytes of inline base64 content (GitHub wraps it in lines).
pub fn decode(encoded: &str) -> Result<Vec<u8>, String> {
    let mut bytes = encoded.as_bytes().to_vec();
    bytes.retain(|b| !b.is_ascii_whitespace());
    base64::engine::general_purpose::STANDARD
        .decode(bytes)
        .map_err(|e| format!("bad base64 content: {e}"))
}

/// Why a file is not read.
pub fn too_large(path: &str, size: u64) -> String {
    format!(
        "{path} is {:.1} MB; GitHub's contents API serves files up to 100 MB",
        size as f64 / (1024.0 * 1024.0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &str, size: u64, encoding: Option<&str>, content: Option<&str>) -> Content {
        let value = serde_json::json!({
            "name": "f", "path": "f", "sha": "0", "size": size, "url": "https://api.github.com/f", "type": kind,
            "encoding": encoding, "content": content,
            "_links": {"self": "https://api.github.com/f", "git": null, "html": null},
        });
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn files_past_one_megabyte_are_fetched_raw_never_read_as_empty() {
        let small = item("file", 3, Some("base64"), Some("YWJj\n"));
        assert_eq!(Served::of(&small), Served::Inline("YWJj\n"));
        assert_eq!(decode("YWJj\n").as_deref(), Ok(&b"abc"[..]));
        let big = item("file", 1_500_000, Some("none"), Some(""));
        assert_eq!(Served::of(&big), Served::Raw);
        let no_encoding = item("file", 1_500_000, None, Some(""));
        assert_eq!(Served::of(&no_encoding), Served::Raw);
        let empty = item("file", 0, Some("base64"), Some(""));
        assert_eq!(Served::of(&empty), Served::Inline(""));
        let huge = item("file", MAX_RAW_BYTES + 1, Some("none"), Some(""));
        assert_eq!(Served::of(&huge), Served::TooLarge(MAX_RAW_BYTES + 1));
        assert!(too_large("model.bin", 150 * 1024 * 1024).contains("150.0 MB"));
        let listed = item("file", 10, None, None);
        assert_eq!(Served::of(&listed), Served::NotAFile);
    }
}
