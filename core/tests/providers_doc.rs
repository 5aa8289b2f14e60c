//! The provider table in `docs/providers.md` is generated from the profiles in the code; this
//! test fails when they disagree. `DAVKIT_BLESS=1 cargo test --test providers_doc` rewrites
//! the table between its markers.

#![allow(clippy::panic)] // test helpers report failures by panicking

use std::path::Path;

use davkit::Profile;

const BEGIN: &str = "<!-- profile-table:begin (generated from core/src/profile.rs; see core/tests/providers_doc.rs) -->";
const END: &str = "<!-- profile-table:end -->";

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn render() -> String {
    let profiles = [
        Profile::generic(),
        Profile::icloud(),
        Profile::google_caldav(),
        Profile::google_carddav(),
        Profile::sogo(),
    ];
    let mut rows: Vec<(&str, Vec<String>)> = vec![
        ("credentials also sent to", Vec::new()),
        ("Bearer (OAuth 2.0) only", Vec::new()),
        ("sync-collection `Depth`", Vec::new()),
        ("empty initial sync token", Vec::new()),
        (
            "`If-None-Match: *` on create (else davkit checks the name is free first)",
            Vec::new(),
        ),
        (
            "`If-Match` honoured (else davkit compares ETags first)",
            Vec::new(),
        ),
        (
            "`If-Match` honoured by DELETE (else davkit compares ETags first)",
            Vec::new(),
        ),
        ("create by POST (RFC 5995)", Vec::new()),
        ("resource named `{UID}.ics` by the server", Vec::new()),
        ("read back after each write", Vec::new()),
        ("vCard version sent", Vec::new()),
        ("MKCALENDAR", Vec::new()),
        ("components stored", Vec::new()),
        ("collection without `resourcetype`", Vec::new()),
        (
            "token sync answers taken as a refused token (besides `valid-sync-token`)",
            Vec::new(),
        ),
        ("MKCOL (address books)", Vec::new()),
        ("PROPPATCH may set", Vec::new()),
        ("alarm actions stored", Vec::new()),
        (
            "`calendar-data` asked in calendar sync reports (else a multiget follows)",
            Vec::new(),
        ),
        (
            "discovery lists the principal (`Depth: 1`; else its home set is listed apart)",
            Vec::new(),
        ),
        (
            "discovery asks OPTIONS for `calendar-auto-schedule` when no PROPFIND answer said",
            Vec::new(),
        ),
    ];
    for p in &profiles {
        let cells = [
            if p.trusted_host_suffixes.is_empty() {
                "-".to_owned()
            } else {
                p.trusted_host_suffixes
                    .iter()
                    .map(|s| format!("`*{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
                    + " (https, each only from a server under it)"
            },
            yes(p.bearer_only).to_owned(),
            p.sync_depth.to_string(),
            yes(p.empty_sync_token).to_owned(),
            yes(p.if_none_match).to_owned(),
            yes(!p.if_match_ignored).to_owned(),
            yes(!p.if_match_ignored && !p.if_match_ignored_on_delete).to_owned(),
            yes(p.create_by_post).to_owned(),
            yes(p.name_by_uid).to_owned(),
            yes(p.reread_after_write).to_owned(),
            if p.vcard3 {
                "3.0".to_owned()
            } else {
                "as given".to_owned()
            },
            yes(p.mkcalendar).to_owned(),
            p.components
                .as_ref()
                .map_or("all".to_owned(), |c| c.join(", ")),
            p.bare_collection
                .map_or("-".to_owned(), |k| format!("taken as {k:?}")),
            p.refused_token_statuses
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            yes(p.mkcol).to_owned(),
            match &p.settable_props {
                None => "any".to_owned(),
                Some(list) if list.is_empty() => "nothing (no PROPPATCH)".to_owned(),
                Some(list) => list
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            p.alarm_actions
                .as_ref()
                .map_or("all".to_owned(), |a| a.join(", ")),
            yes(p.data_in_sync_reports).to_owned(),
            yes(p.principal_listing).to_owned(),
            yes(p.scheduling_options).to_owned(),
        ];
        for (row, cell) in rows.iter_mut().zip(cells) {
            row.1.push(cell);
        }
    }
    let mut out = String::new();
    out.push_str("| knob | ");
    out.push_str(
        &profiles
            .iter()
            .map(|p| format!("`{}`", p.name))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push_str(" |\n|---|");
    out.push_str(&"---|".repeat(profiles.len()));
    out.push('\n');
    for (name, cells) in rows {
        out.push_str(&format!("| {name} | {} |\n", cells.join(" | ")));
    }
    out
}

#[test]
fn provider_table_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/providers.md");
    let doc = std::fs::read_to_string(&path).expect("docs/providers.md");
    let (Some(start), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/providers.md lacks the table markers");
    };
    let current = &doc[start + BEGIN.len()..end];
    let wanted = format!("\n{}", render());
    if std::env::var_os("DAVKIT_BLESS").is_some() {
        let new_doc = format!("{}{}{wanted}{}", &doc[..start], BEGIN, &doc[end..]);
        std::fs::write(&path, new_doc).expect("write docs/providers.md");
        return;
    }
    assert_eq!(
        current, wanted,
        "docs/providers.md is out of date: run DAVKIT_BLESS=1 cargo test -p davkit --test providers_doc"
    );
}
