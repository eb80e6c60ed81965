//! Keeps the stream of messages from the editor well-formed before the LSP framework
//! reads it. The framework stops reading its input for good after one message it
//! cannot decode (a body that is not JSON, or JSON that is not JSON-RPC), which would
//! leave the server deaf. Here each framed body is checked first; one that would not
//! decode is replaced by a `$/thread/malformedMessage` notification, which the server
//! reports to the user and otherwise ignores, so the stream stays in step.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tower_lsp_server::jsonrpc::{Request, Response};

/// The method the replacement notification carries.
pub(crate) const MALFORMED: &str = "$/thread/malformedMessage";

/// Frames past this size are refused as malformed rather than buffered.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Reads `input` on a task of its own and returns the checked stream.
pub(crate) fn checked(input: impl AsyncRead + Unpin + Send + 'static) -> DuplexStream {
    let (reader, mut writer) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut input = BufReader::new(input);
        loop {
            let body = match read_frame(&mut input).await {
                Ok(Some(body)) => body,
                Ok(None) => break,
                Err(problem) => replacement(&problem),
            };
            let body = if decodes(&body) { body } else { replacement("the body is not a JSON-RPC message") };
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            if writer.write_all(header.as_bytes()).await.is_err() || writer.write_all(&body).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    reader
}

/// One frame's body; `Ok(None)` at the end of the input. A frame whose headers make no
/// sense is an error, after which reading resumes at the next blank line.
async fn read_frame(input: &mut (impl AsyncBufReadExt + Unpin)) -> Result<Option<Vec<u8>>, String> {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        match input.read_line(&mut line).await {
            Ok(0) => return if saw_header { Err("the input ended inside a header".to_owned()) } else { Ok(None) },
            Ok(_) => {}
            Err(error) => return Err(format!("unreadable header: {error}")),
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !saw_header {
                continue;
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let length = length.ok_or("a frame without a valid Content-Length")?;
    if length > MAX_BODY_BYTES {
        // Skip it without holding it in memory.
        let mut skipped = input.take(length as u64);
        let _ = tokio::io::copy(&mut skipped, &mut tokio::io::sink()).await;
        return Err(format!("a frame of {length} bytes, over the {MAX_BODY_BYTES}-byte limit"));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).await.map_err(|error| format!("the input ended inside a body: {error}"))?;
    Ok(Some(body))
}

fn decodes(body: &[u8]) -> bool {
    serde_json::from_slice::<Request>(body).is_ok() || serde_json::from_slice::<Response>(body).is_ok()
}

fn replacement(problem: &str) -> Vec<u8> {
    serde_json::json!({ "jsonrpc": "2.0", "method": MALFORMED, "params": { "problem": problem } })
        .to_string()
        .into_bytes()
}
