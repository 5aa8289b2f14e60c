//! Text and JSON output: tables, discovery and collection listings, names of kinds and methods.

use davkit::{Collection, CollectionKind, Discovery, SyncMethod};
use serde::Serialize;

pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        // davkit's types are plain data; this cannot happen, but never panic over output.
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

pub(crate) fn kind_name(kind: CollectionKind) -> &'static str {
    match kind {
        CollectionKind::Calendar => "calendar",
        CollectionKind::AddressBook => "address book",
        CollectionKind::Other => "other",
    }
}

pub(crate) fn method_name(method: SyncMethod) -> &'static str {
    match method {
        SyncMethod::SyncCollection => "sync-collection",
        SyncMethod::CtagUnchanged => "ctag unchanged",
        SyncMethod::EtagListing => "etag listing",
    }
}

pub(crate) fn yes_no(present: bool) -> String {
    if present { "yes" } else { "-" }.to_owned()
}

pub(crate) fn print_discovery(found: &Discovery) {
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(", ")
        }
    };
    println!(
        "principal:          {}",
        found.principal.as_deref().unwrap_or("-")
    );
    println!("calendar homes:     {}", list(&found.calendar_home_sets));
    println!("address book homes: {}", list(&found.addressbook_home_sets));
    println!();
    print_collections(&found.collections);
}

pub(crate) fn print_collections(collections: &[Collection]) {
    let rows = collections
        .iter()
        .map(|c| {
            vec![
                kind_name(c.kind).to_owned(),
                c.display_name.clone().unwrap_or_else(|| "-".into()),
                c.url.clone(),
                if c.components.is_empty() {
                    "-".to_owned()
                } else {
                    c.components.join(",")
                },
                yes_no(c.ctag.is_some()),
                yes_no(c.sync_token.is_some()),
            ]
        })
        .collect();
    print_table(
        &["KIND", "NAME", "URL", "COMPONENTS", "CTAG", "SYNC-TOKEN"],
        rows,
    );
    println!("({})", count(collections.len(), "collection"));
}

/// Prints rows in left-aligned columns separated by two spaces.
pub(crate) fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    println!("{}", format_table(headers, &rows));
}

pub(crate) fn format_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out.trim_end().to_owned()
    };
    let mut lines = vec![line(headers.to_vec())];
    for row in rows {
        lines.push(line(row.iter().map(String::as_str).collect()));
    }
    lines.join("\n")
}

/// `n` with the noun, plural unless `n` is 1: "1 object", "3 objects".
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_by_characters() {
        let rows = vec![
            vec!["일정".to_owned(), "x".to_owned()],
            vec!["ab".to_owned(), "y".to_owned()],
        ];
        assert_eq!(
            format_table(&["NAME", "URL"], &rows),
            "NAME  URL\n일정    x\nab    y"
        );
    }

    #[test]
    fn counts_are_plural_unless_one() {
        assert_eq!(count(0, "object"), "0 objects");
        assert_eq!(count(1, "object"), "1 object");
        assert_eq!(count(2, "collection"), "2 collections");
    }
}
