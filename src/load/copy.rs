//! `COPY … FROM STDIN` in PostgreSQL's text format, for the rows of records a page archives
//! for the first time: they cannot exist yet, so they need no `ON CONFLICT` check and no
//! speculative insertion, and `COPY` inserts them in batches. A value is written in the same
//! text form the `UNNEST` path casts from ([`pg_text`]), escaped for the format: backslash,
//! tab, newline and carriage return are written as `\\`, `\t`, `\n`, `\r`, and SQL NULL as
//! `\N`. Each line is one row, its fields separated by tabs.

use sqlx::{Postgres, Transaction};

use super::{last_per_id, mapped_columns, pg_text, quote_ident, LoadError};
use crate::mapping::mapper::LoadRow;
use crate::mapping::Cell;
use crate::schema::catalogue::TableId;

/// Appends `value` (NULL for `None`) and a tab.
pub(super) fn field(out: &mut Vec<u8>, value: Option<&str>) {
    value_of(out, value);
    out.push(b'\t');
}

/// Appends `value` (NULL for `None`) and the end of the row.
pub(super) fn last(out: &mut Vec<u8>, value: Option<&str>) {
    value_of(out, value);
    out.push(b'\n');
}

/// Appends `bytes` as a `bytea` in hex form, and a tab.
pub(super) fn bytea(out: &mut Vec<u8>, bytes: &[u8]) {
    // `\x` introduces the hex form; its backslash is escaped for the format.
    out.extend_from_slice(b"\\\\x");
    out.extend_from_slice(hex::encode(bytes).as_bytes());
    out.push(b'\t');
}

fn value_of(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.extend_from_slice(b"\\N"),
        Some(text) => escaped(out, text),
    }
}

fn escaped(out: &mut Vec<u8>, text: &str) {
    // Copies the runs between the bytes to escape whole (record bodies are kilobytes of JSON
    // whose string escapes all start with a backslash).
    let mut rest = text.as_bytes();
    while let Some(at) = rest
        .iter()
        .position(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        let (run, tail) = rest.split_at(at);
        out.extend_from_slice(run);
        let Some((special, after)) = tail.split_first() else {
            rest = tail;
            break;
        };
        out.extend_from_slice(match special {
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => b"\\\\",
        });
        rest = after;
    }
    out.extend_from_slice(rest);
}

fn cell(out: &mut Vec<u8>, value: Option<&Cell>) {
    match value {
        Some(Cell::Text(text)) => escaped(out, text),
        Some(other) => value_of(out, pg_text(other).as_deref()),
        None => value_of(out, None),
    }
}

/// The column list and the `COPY` data of `rows` for `table`, with `nation` and `run_id`: the
/// same columns and values as the upsert of the `UNNEST` path. A repeated `source_id` keeps
/// its last row.
pub(super) fn rows<'a>(
    table: TableId,
    rows: impl IntoIterator<Item = &'a LoadRow>,
    nation: &str,
    run_id: i64,
) -> Result<(String, Vec<u8>), LoadError> {
    let mapped = mapped_columns(table);
    let mut columns = vec![
        "nation".to_owned(),
        "run_id".to_owned(),
        quote_ident("source_id")?,
        quote_ident("raw_sha256")?,
    ];
    for (_, column) in &mapped {
        columns.push(quote_ident(column.name)?);
    }
    let run_id = run_id.to_string();
    let by_id = last_per_id(rows);
    let mut data = Vec::with_capacity(by_id.len() * 64 * columns.len());
    for (id, row) in by_id {
        field(&mut data, Some(nation));
        field(&mut data, Some(&run_id));
        field(&mut data, Some(id));
        value_of(&mut data, row.raw_sha256.as_deref());
        for (index, _) in &mapped {
            data.push(b'\t');
            cell(&mut data, row.cells.get(*index));
        }
        data.push(b'\n');
    }
    Ok((columns.join(", "), data))
}

/// Runs `statement` (a `COPY … FROM STDIN`) with `data`; returns the rows it wrote.
pub(super) async fn send(
    tx: &mut Transaction<'_, Postgres>,
    statement: &str,
    data: Vec<u8>,
) -> sqlx::Result<u64> {
    let mut copy = tx.copy_in_raw(statement).await?;
    if let Err(err) = copy.send(data).await {
        // Leave the connection usable for the rollback that follows; the first error is the
        // one worth reporting.
        let _ = copy.abort("nb-exodus could not send the rows").await;
        return Err(err);
    }
    copy.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_for_the_text_format() {
        let mut out = Vec::new();
        field(&mut out, Some("a\tb\\c\nd\re"));
        field(&mut out, None);
        bytea(&mut out, &[0, 0xff]);
        last(&mut out, Some("plain"));
        assert_eq!(out, b"a\\tb\\\\c\\nd\\re\t\\N\t\\\\x00ff\tplain\n".to_vec());
    }

    #[test]
    fn rows_have_the_columns_of_the_upsert_and_keep_the_last_row_per_key() {
        let table = TableId::named("core.email_addresses").expect("a table of the catalogue");
        let row = |id: &str, addr: &str| LoadRow {
            source_id: id.into(),
            raw_sha256: Some("ab".repeat(32)),
            cells: table
                .table()
                .engine_columns()
                .map(|c| match c.name {
                    "source_id" => Cell::Text(id.into()),
                    "person_source_id" => Cell::Text("1".into()),
                    "address" => Cell::Text(addr.into()),
                    "is_primary" => Cell::Bool(true),
                    _ => Cell::Null,
                })
                .collect(),
        };
        let rows = [row("1:email1", "old@x.org"), row("1:email1", "a\tb@x.org")];
        let (columns, data) = rows_of(table, &rows);
        assert!(
            columns.starts_with("nation, run_id, \"source_id\", \"raw_sha256\", "),
            "{columns}"
        );
        let text = String::from_utf8(data).expect("utf-8");
        assert_eq!(text.lines().count(), 1, "{text}");
        let fields: Vec<&str> = text.trim_end_matches('\n').split('\t').collect();
        assert_eq!(fields.len(), columns.split(", ").count());
        assert_eq!(&fields[..3], ["n", "7", "1:email1"]);
        let at = |name: &str| {
            let i = columns
                .split(", ")
                .position(|c| c == format!("\"{name}\""))
                .expect("column");
            fields[i]
        };
        assert_eq!(at("address"), "a\\tb@x.org");
        assert_eq!(at("is_primary"), "true");
        assert_eq!(at("is_bad"), "\\N");
    }

    fn rows_of(table: TableId, rows: &[LoadRow]) -> (String, Vec<u8>) {
        super::rows(table, rows, "n", 7).expect("valid identifiers")
    }
}
