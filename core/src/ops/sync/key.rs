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
    pub(crate) fn all(etags: &StringMap) -> OldKeys {
        let mut renamed = StringMap::new();
        for stored in etags.keys() {
            if is_own_key(stored) {
                // A later href that is its own key wins over an earlier one with that key
                // (`stored` then answers the key itself).
                renamed.remove(stored);
            } else {
                renamed.insert(href::normalize(stored), stored.clone());
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
        let mut want: Vec<(String, String)> = map.into_iter().collect();
        want.sort();
        assert_eq!(pairs, want);
    }
}
