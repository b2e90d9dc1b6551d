//! OAB generator log (`<install>\Logging\OABGeneratorLog\*.log`). Its column layout is not
//! published, so lines are searched as text: the one message that matters names a temporary
//! file path in quotes.

use regex::bytes::Regex;
use std::sync::LazyLock;

static DOWNLOAD_FAILED: LazyLock<Regex> = LazyLock::new(|| {
    // `-u`: `.` matches any byte, so invalid UTF-8 in the path cannot hide the message.
    Regex::new(r"(?i-u)Download failed and temporary file (.*?) needs to be removed")
        .expect("valid regex")
});

/// The literal a line must contain to be looked at.
pub const LITERAL: &str = "Download failed and temporary file";

/// The path (quotes kept, as logged) of a `Download failed and temporary file '<path>' needs to be
/// removed` message.
pub fn failed_download_path(line: &[u8]) -> Option<String> {
    DOWNLOAD_FAILED
        .captures(line)
        .and_then(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_path() {
        let l = b"2021-03-03T01:02:03.000Z,x,Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\a.aspx' needs to be removed";
        assert_eq!(
            failed_download_path(l).unwrap(),
            "'C:\\inetpub\\wwwroot\\aspnet_client\\a.aspx'"
        );
        assert!(failed_download_path(b"Download succeeded").is_none());
        assert_eq!(
            failed_download_path(
                b"Download failed and temporary file 'C:\\a\x80.aspx' needs to be removed"
            )
            .unwrap(),
            "'C:\\a\u{fffd}.aspx'"
        );
    }
}
