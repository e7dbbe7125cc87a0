//! The CLI's one CSV writer: lines and cells as the `csv` crate writes them by default, and
//! the cell of a JSON value. Every CSV path (headers, typed rows, rows read off
//! `Serialize`) writes through here.

use std::borrow::Cow;
use std::io;

/// One CSV line, as the `csv` crate writes it by default (`,`, `"` doubled inside quotes,
/// quotes only when needed, `\n` at the end).
pub(super) fn csv_line<'a>(
    cells: impl IntoIterator<Item = &'a str>,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let start = out.len();
    for (n, cell) in cells.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        csv_cell(cell, out);
    }
    end_line(start, out);
    Ok(())
}

/// Ends the line that started at `start`; a line with nothing in it is one empty quoted
/// cell, as the `csv` crate writes it, so that it is not read as no record at all.
pub(super) fn end_line(start: usize, out: &mut Vec<u8>) {
    if out.len() == start {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

/// One cell: quoted (with its quotes doubled) when it holds a delimiter, a quote or a line
/// break, as it is, otherwise.
pub(super) fn csv_cell(cell: &str, out: &mut Vec<u8>) {
    let bytes = cell.as_bytes();
    if !bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    let mut parts = bytes.split(|b| *b == b'"');
    if let Some(first) = parts.next() {
        out.extend_from_slice(first);
    }
    for part in parts {
        out.extend_from_slice(b"\"\"");
        out.extend_from_slice(part);
    }
    out.push(b'"');
}

/// The cell of a value's JSON text.
pub(super) fn cell_of_json(text: &str) -> Cow<'_, str> {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        if !inner.contains('\\') {
            // Nothing escaped: the text between the quotes is the string.
            return Cow::Borrowed(inner);
        }
        if let Ok(unescaped) = serde_json::from_str::<String>(text) {
            return Cow::Owned(unescaped);
        }
    }
    if text == "null" {
        return Cow::Borrowed("");
    }
    Cow::Borrowed(text)
}
