//! The stored state's hrefs by their comparison key ([`href::normalize`]), and whether a
//! stored href is its own key.
//!
//! A sync keys every member by its normalised URL several times over (the stored state's
//! ETags when it starts, each listing row, each multiget row). Server hrefs resolved against
//! the request URL are nearly always plain `http(s)://host[:port]/path` with nothing to
//! normalise: `href::normalize` recognises those by their bytes ([`href::is_plain_url`])
//! instead of parsing them (parsing each was about a fifth of the client's work in an initial
//! sync of 1,000 events).

use crate::href;
use crate::string_map::StringMap;

/// Whether `stored` is its own key (`href::normalize(stored) == stored`), without making the key
/// when it is plain.
pub(crate) fn is_own_key(stored: &str) -> bool {
    if href::is_plain_url(stored) {
        !stored.ends_with('/')
    } else {
        href::normalize(stored) == stored
    }
}

/// [`is_own_key`] for the members of one collection. A stored href that starts with the
/// collection's URL, when that URL is plain and ends with `/`, needs only the part after it
/// checked: its scheme, host, port and leading path segments are the collection's, already
/// plain ([`href::is_plain_path`] reads a path segment by segment). Most of a state is such
/// hrefs, so a sync's start checks about a fifth of each one's bytes instead of all of them
/// (it runs on every member of the stored state, for every sync). Any other href, and one
/// whose part is not plain, is checked whole.
pub(crate) struct OwnKeys<'a> {
    prefix: Option<&'a str>,
}

impl<'a> OwnKeys<'a> {
    /// The check for the members of `collection_url`.
    pub(crate) fn within(collection_url: &'a str) -> Self {
        let plain = collection_url.ends_with('/') && href::is_plain_url(collection_url);
        OwnKeys {
            prefix: plain.then_some(collection_url),
        }
    }

    /// Whether `stored` is its own key: [`is_own_key`]'s answer.
    pub(crate) fn is_own(&self, stored: &str) -> bool {
        match self.prefix.and_then(|p| stored.strip_prefix(p)) {
            // Plain whole: its own key. (Not plain is not the answer: `normalize` gives some
            // other hrefs back as they are, `a b.ics` among them.)
            Some(rest) if !rest.is_empty() && !rest.ends_with('/') && href::is_plain_path(rest) => {
                true
            }
            _ => is_own_key(stored),
        }
    }
}

/// The stored state's hrefs by their key, for the ETags a sync compares with.
///
/// A map of every key to its stored href would copy each URL of the state twice (2.3 MiB for
/// a 10,000-member state, made before an incremental sync could send its request, and before
/// each batch of a batched one); instead a stored href that is its own key (nearly all) is
/// looked up where it is, and only the others are mapped. Where two stored hrefs have one key,
/// the last in the state's order counts, as it did in the map of all.
#[derive(Debug)]
pub(crate) struct OldKeys {
    /// Key -> stored href, for stored hrefs that are not their own key.
    renamed: StringMap,
}

impl OldKeys {
    /// Every href of `etags`.
    #[cfg(test)]
    pub(crate) fn all(etags: &StringMap) -> OldKeys {
        Self::build(etags, "", &mut Vec::new())
    }

    /// Every href of `etags`, after taking out of it the hrefs that another spelling of the
    /// same member shadows (an app that wrote a member's ETag under its own spelling of the
    /// URL beside the server's). A sync compares and updates only the spelling that counts, so
    /// a shadowed one would outlive the member's deletion and stand in the returned state for
    /// a member the server no longer has. Dropping it loses nothing: the spelling that counts
    /// speaks for the member, and if its ETag is the older one the sync fetches the member.
    /// `collection_url` is the state's collection (any URL, or empty: the hrefs are checked
    /// the same, [`OwnKeys`] only faster).
    pub(crate) fn all_without_shadowed(etags: &mut StringMap, collection_url: &str) -> OldKeys {
        let mut shadowed = Vec::new();
        let keys = Self::build(etags, collection_url, &mut shadowed);
        for stored in &shadowed {
            etags.remove(stored);
        }
        keys
    }

    /// The keys of `etags`; the stored hrefs shadowed by another with the same key are pushed
    /// to `shadowed`.
    fn build(etags: &StringMap, collection_url: &str, shadowed: &mut Vec<String>) -> OldKeys {
        let own = OwnKeys::within(collection_url);
        let mut renamed = StringMap::new();
        for stored in etags.keys() {
            if own.is_own(stored) {
                // A later href that is its own key wins over an earlier one with that key
                // (`stored` then answers the key itself).
                if let Some(earlier) = renamed.remove(stored) {
                    shadowed.push(earlier);
                }
            } else if let Some(earlier) = renamed.insert(href::normalize(stored), stored.clone()) {
                shadowed.push(earlier);
            }
        }
        // A key stored as itself before a later spelling took it over (`renamed` holds only
        // hrefs that are not their own key).
        for key in renamed.keys() {
            if etags.contains_key(key) {
                shadowed.push(key.clone());
            }
        }
        OldKeys { renamed }
    }

    /// The stored href whose key is `key`, if `etags` (the state's) has one.
    pub(crate) fn stored<'a>(&'a self, key: &'a str, etags: &StringMap) -> Option<&'a str> {
        match self.renamed.get(key) {
            Some(stored) => Some(stored),
            None => (etags.contains_key(key) && is_own_key(key)).then_some(key),
        }
    }

    /// Every (key, stored href) pair, one per key.
    pub(crate) fn pairs(&self, etags: &StringMap) -> Vec<(String, String)> {
        // A loop, not `filter_map` and `collect`: an adapter chain is its own copy of
        // iteration code in the WebAssembly module.
        let mut out = Vec::new();
        for stored in etags.keys() {
            let key = href::normalize(stored);
            if self.stored(&key, etags) == Some(stored.as_str()) {
                out.push((key, stored.clone()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The keys of a state with hrefs that are their own key, hrefs that are not, and two
    /// hrefs with one key: the same stored href per key as a map of all (last wins), and the
    /// same pairs.
    #[test]
    fn old_keys_as_a_map_of_all() {
        let etags: StringMap = [
            "http://h.example/a.ics",
            "http://h.example/b%20c.ics",
            "http://H.example/d.ics",
            "http://h.example/d.ics",
            "http://h.example/e.ics",
            "http://h.example/e.ics/",
            "http://h.example:80/f.ics",
        ]
        .iter()
        .map(|h| (h.to_string(), "\"1\"".to_string()))
        .collect();
        let map: BTreeMap<String, String> = etags
            .keys()
            .map(|k| (href::normalize(k), k.clone()))
            .collect();
        let keys = OldKeys::all(&etags);
        for (key, stored) in &map {
            assert_eq!(keys.stored(key, &etags), Some(stored.as_str()), "{key}");
        }
        for absent in ["http://h.example/x.ics", "http://h.example/b%20c.ics"] {
            assert_eq!(
                keys.stored(absent, &etags),
                map.get(absent).map(String::as_str)
            );
        }
        let mut pairs = keys.pairs(&etags);
        pairs.sort();
        let mut want: Vec<(String, String)> = map.clone().into_iter().collect();
        want.sort();
        assert_eq!(pairs, want);

        // Without the shadowed spellings: exactly the hrefs that count are left, one per key,
        // and they are looked up as before.
        let mut cleaned = etags.clone();
        let keys = OldKeys::all_without_shadowed(&mut cleaned, "http://h.example/");
        let mut left: Vec<&String> = cleaned.keys().collect();
        left.sort();
        let mut counted: Vec<&String> = map.values().collect();
        counted.sort();
        assert_eq!(left, counted);
        for (key, stored) in &map {
            assert_eq!(keys.stored(key, &cleaned), Some(stored.as_str()), "{key}");
        }
        let mut pairs = keys.pairs(&cleaned);
        pairs.sort();
        assert_eq!(pairs, want);
    }

    /// An app that recorded its own write under its own spelling of the URL (`@`) beside the
    /// server's (`%40`), the two ETags differing: the spelling that counts stays, the other
    /// goes, whichever order they come in.
    #[test]
    fn a_shadowed_spelling_is_dropped() {
        for (first, second) in [
            (
                "http://h.example/c/p10%40x.vcf",
                "http://h.example/c/p10@x.vcf",
            ),
            (
                "http://h.example/c/p10@x.vcf",
                "http://h.example/c/p10%40x.vcf",
            ),
        ] {
            let mut etags = StringMap::new();
            etags.insert(first.to_string(), "\"old\"".to_string());
            etags.insert(second.to_string(), "\"new\"".to_string());
            etags.insert("http://h.example/c/a.vcf".to_string(), "\"1\"".to_string());
            let counts = OldKeys::all(&etags)
                .stored("http://h.example/c/p10@x.vcf", &etags)
                .map(str::to_owned);
            let keys = OldKeys::all_without_shadowed(&mut etags, "http://h.example/c/");
            assert_eq!(etags.len(), 2);
            let stored = keys.stored("http://h.example/c/p10@x.vcf", &etags);
            assert_eq!(stored.map(str::to_owned), counts);
            assert!(stored.is_some_and(|s| etags.contains_key(s)));
        }
    }

    /// `OwnKeys` gives `is_own_key`'s answer for every href, within every collection URL,
    /// plain or not.
    #[test]
    fn own_keys_within_a_collection_answer_as_is_own_key() {
        let collections = [
            "",
            "http://h.example/c/",
            "http://h.example/c",
            "http://127.0.0.1:5232/alice/c/",
            "https://h.example:443/c/",
            "http://H.example/c/",
            "http://h.example/c%20d/",
            "http://h.example/",
        ];
        let tails = [
            "",
            "a.ics",
            "a.ics/",
            ".",
            "..",
            "./a",
            "../a",
            "a/../b",
            "a/./b",
            "...",
            ".a",
            "a%20b.ics",
            "a b.ics",
            "a@b.vcf",
            "a?x=1",
            "a#f",
            "sub/a.ics",
            "sub//a.ics",
            "/a",
            "é.ics",
            "a;b=c",
            "~u/a",
        ];
        let mut hrefs: Vec<String> = Vec::new();
        for base in collections
            .iter()
            .chain(["http://h.example/d/", "/c/", "c/"].iter())
        {
            for tail in tails {
                hrefs.push(format!("{base}{tail}"));
            }
        }
        let mut checked = 0;
        for c in collections {
            let own = OwnKeys::within(c);
            for h in &hrefs {
                assert_eq!(own.is_own(h), is_own_key(h), "{c:?} {h:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, collections.len() * hrefs.len());
        assert!(OwnKeys::within("http://h.example/c/").prefix.is_some());
        assert!(OwnKeys::within("http://h.example:80/c/").prefix.is_none());
    }
}
