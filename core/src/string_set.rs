//! [`StringSet`]: a sorted set of strings (hrefs, tokens, keys), kept in the same
//! `BTreeMap<String, usize>` the core's keyed lists index with.
//!
//! Why not a `BTreeSet<String>`: every key and value type of a B-tree is its own copy of the
//! tree's code (search, insertion and splitting, iteration, drop) in the WebAssembly modules.
//! `BTreeSet<String>` is a `BTreeMap<String, SetValZST>`, a copy of about 6 KB beside the
//! keyed lists' `BTreeMap<String, usize>`; this set stores each string with a 0 in that map
//! type instead (4 bytes more an entry on wasm32, 8 natively, no allocation), so the module
//! carries one copy.
//!
//! It has the `BTreeSet` methods the core and its callers use; iteration is in byte order of
//! the strings, as a `BTreeSet<String>`'s. It serialises as a sequence of strings.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A sorted set of strings (see the module docs): a `BTreeSet<String>` with the core's map
/// type underneath.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StringSet {
    map: BTreeMap<String, usize>,
}

impl StringSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `value`; `true` if it was not in the set.
    pub fn insert(&mut self, value: String) -> bool {
        self.map.insert(value, 0).is_none()
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: &str) -> bool {
        self.map.contains_key(value)
    }

    /// Removes `value`; `true` if it was in the set.
    pub fn remove(&mut self, value: &str) -> bool {
        self.map.remove(value).is_some()
    }

    /// How many strings the set holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The strings, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.map.keys())
    }

    /// Keeps only the strings `keep` accepts, in one pass that builds the set anew from them
    /// (in order, so each insertion lands at the end) rather than removing the others one by
    /// one: the map's removal and rebalancing code stays out of the WebAssembly modules. A
    /// set that keeps every string is left as it is (`keep` may be asked twice about a string).
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        if self.map.keys().all(|s| keep(s)) {
            return;
        }
        for (s, zero) in std::mem::take(&mut self.map) {
            if keep(&s) {
                self.map.insert(s, zero);
            }
        }
    }

    /// Removes every string.
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

impl std::fmt::Debug for StringSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The strings of a [`StringSet`] by reference, in order ([`StringSet::iter`]).
#[derive(Clone, Debug)]
pub struct Iter<'a>(std::collections::btree_map::Keys<'a, String, usize>);

impl<'a> Iterator for Iter<'a> {
    type Item = &'a String;

    fn next(&mut self) -> Option<&'a String> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back()
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The strings of a [`StringSet`] taken out, in order.
#[derive(Debug)]
pub struct IntoIter(std::collections::btree_map::IntoKeys<String, usize>);

impl Iterator for IntoIter {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<String> {
        self.0.next_back()
    }
}

impl ExactSizeIterator for IntoIter {}

impl IntoIterator for StringSet {
    type Item = String;
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(self.map.into_keys())
    }
}

impl<'a> IntoIterator for &'a StringSet {
    type Item = &'a String;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Extend<String> for StringSet {
    fn extend<I: IntoIterator<Item = String>>(&mut self, iter: I) {
        for s in iter {
            self.insert(s);
        }
    }
}

impl FromIterator<String> for StringSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut set = StringSet::new();
        set.extend(iter);
        set
    }
}

impl<const N: usize> From<[String; N]> for StringSet {
    fn from(strings: [String; N]) -> Self {
        strings.into_iter().collect()
    }
}

impl Serialize for StringSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for StringSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Ok(Vec::<String>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::StringSet;
    use std::collections::BTreeSet;

    /// The same answers as a `BTreeSet<String>` for a run of inserts, removals and lookups.
    #[test]
    fn behaves_as_a_btreeset() {
        let mut set = StringSet::new();
        let mut oracle = BTreeSet::new();
        // A fixed pseudo-random walk over a small key space, so that keys repeat.
        let mut x: u32 = 12345;
        for _ in 0..2000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let key = format!("/c/{}", (x >> 16) % 97);
            match (x >> 8) % 5 {
                0..=2 => assert_eq!(set.insert(key.clone()), oracle.insert(key)),
                3 => assert_eq!(set.remove(&key), oracle.remove(&key)),
                _ => {
                    let odd = |k: &str| k.len() % 2 == 1 || k.ends_with('7');
                    set.retain(|k| !(odd(k) && k.ends_with(&key[key.len() - 1..])));
                    oracle.retain(|k| !(odd(k) && k.ends_with(&key[key.len() - 1..])));
                }
            }
            assert_eq!(set.contains("/c/5"), oracle.contains("/c/5"));
            assert_eq!(set.len(), oracle.len());
        }
        assert!(set.iter().eq(oracle.iter()));
        assert!(set.iter().rev().eq(oracle.iter().rev()));
        assert!(set.clone().into_iter().eq(oracle.clone()));
        assert_eq!(format!("{set:?}"), format!("{oracle:?}"));
        set.clear();
        assert!(set.is_empty());
    }

    #[test]
    fn serialises_as_a_sorted_sequence() {
        let set: StringSet = ["b".to_owned(), "a".to_owned(), "b".to_owned()]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["a","b"]"#);
        let back: StringSet = serde_json::from_str(r#"["b","a","a"]"#).unwrap();
        assert_eq!(back, set);
        assert!(serde_json::from_str::<StringSet>(r#"{"a":1}"#).is_err());
    }
}
