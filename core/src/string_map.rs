//! [`StringMap`]: a sorted map of strings to strings (a sync state's hrefs to ETags), indexed
//! by the same `BTreeMap<String, usize>` the core's keyed lists and [`StringSet`] use.
//!
//! Why not a `BTreeMap<String, String>`: every key and value type of a B-tree is its own copy
//! of the tree's code (search, insertion and splitting, iteration, drop) in the WebAssembly
//! modules, about 7 KB beside the `BTreeMap<String, usize>` they link anyway. Here the values
//! sit in a `Vec`, in the order their keys were first inserted, and the index maps each key
//! to its slot, so the modules carry one B-tree copy.
//!
//! As in the keyed lists, [`remove`](StringMap::remove) empties the slot and keeps the key in
//! the index (no removal and rebalancing code in the modules); inserting the key again fills
//! the slot, and once the holes outnumber the values the map is built anew without them. [`retain`](StringMap::retain) builds the map anew from what it keeps, holes
//! gone. Iteration is in byte order of the keys, as a `BTreeMap<String, String>`'s, and skips
//! the holes. It serialises as a JSON object (a map), as `BTreeMap` does.
//!
//! [`StringSet`]: crate::StringSet

use std::collections::BTreeMap;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A sorted map of strings to strings (see the module docs): a `BTreeMap<String, String>`
/// with the core's index type underneath.
#[derive(Clone, Default)]
pub struct StringMap {
    /// Each key ever inserted since the last rebuild, to its slot in `values`.
    index: BTreeMap<String, usize>,
    /// The values by slot; `None` where the key was removed.
    values: Vec<Option<String>>,
    /// How many slots hold a value.
    len: usize,
}

impl StringMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value of `key`, returning the one it replaces.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        let next = self.values.len();
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            self.values.push(None);
        }
        let old = self.values[i].replace(value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// The value of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.values.get(*self.index.get(key)?)?.as_ref()
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Takes the value of `key` out, if any (see the module docs). When the holes outnumber
    /// the values (and there are more than a few), the map is built anew without them, so a
    /// state kept in memory across many syncs holds what it has, not every href it ever had;
    /// the rebuild costs what the removals since the last one did.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = *self.index.get(key)?;
        let old = self.values.get_mut(i)?.take();
        if old.is_some() {
            self.len -= 1;
            if self.values.len() > 2 * self.len + 32 {
                self.compact();
            }
        }
        old
    }

    /// The map built anew without its holes (one function, not inlined into every removal).
    #[cold]
    #[inline(never)]
    fn compact(&mut self) {
        for (k, v) in std::mem::take(self) {
            self.insert(k, v);
        }
    }

    /// How many keys have a value.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no key has a value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The keys and values, in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            index: self.index.iter(),
            values: &self.values,
        }
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> {
        self.iter().map(|(k, _)| k)
    }

    /// The values, in their keys' order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> {
        self.iter().map(|(_, v)| v)
    }

    /// Keeps only the entries `keep` accepts, building the map anew from them (in key order,
    /// so each insertion lands at the end of the index) rather than removing the others. A map
    /// that keeps every entry is left as it is (`keep` may be asked twice about an entry).
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        if self.iter().all(|(k, v)| keep(k, v)) {
            return;
        }
        for (k, v) in std::mem::take(self) {
            if keep(&k, &v) {
                self.insert(k, v);
            }
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        *self = StringMap::new();
    }
}

impl PartialEq for StringMap {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for StringMap {}

impl std::fmt::Debug for StringMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The entries of a [`StringMap`] by reference, in key order ([`StringMap::iter`]).
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    index: std::collections::btree_map::Iter<'a, String, usize>,
    values: &'a [Option<String>],
}

impl<'a> Iter<'a> {
    fn value(&self, i: usize) -> Option<&'a String> {
        self.values.get(i)?.as_ref()
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a String);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (k, &i) = self.index.next()?;
            if let Some(v) = self.value(i) {
                return Some((k, v));
            }
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            let (k, &i) = self.index.next_back()?;
            if let Some(v) = self.value(i) {
                return Some((k, v));
            }
        }
    }
}

/// The entries of a [`StringMap`] taken out, in key order.
#[derive(Debug)]
pub struct IntoIter {
    index: std::collections::btree_map::IntoIter<String, usize>,
    values: Vec<Option<String>>,
}

impl Iterator for IntoIter {
    type Item = (String, String);

    fn next(&mut self) -> Option<(String, String)> {
        loop {
            let (k, i) = self.index.next()?;
            if let Some(v) = self.values.get_mut(i).and_then(Option::take) {
                return Some((k, v));
            }
        }
    }
}

impl IntoIterator for StringMap {
    type Item = (String, String);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter {
            index: self.index.into_iter(),
            values: self.values,
        }
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a String, &'a String);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Extend<(String, String)> for StringMap {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl FromIterator<(String, String)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut map = StringMap::new();
        map.extend(iter);
        map
    }
}

impl<const N: usize> From<[(String, String); N]> for StringMap {
    fn from(entries: [(String, String); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = StringMap;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of strings to strings")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut entries: A,
            ) -> std::result::Result<StringMap, A::Error> {
                let mut map = StringMap::new();
                while let Some((k, v)) = entries.next_entry::<String, String>()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

#[cfg(test)]
mod tests {
    use super::StringMap;
    use std::collections::BTreeMap;

    /// The same answers and contents as a `BTreeMap<String, String>` through a run of
    /// inserts, removals (holes refilled) and `retain`s.
    #[test]
    fn behaves_as_a_btreemap() {
        let mut map = StringMap::new();
        let mut oracle = BTreeMap::new();
        // A fixed pseudo-random walk over a small key space, so that keys repeat.
        let mut x: u32 = 777;
        for step in 0..3000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let key = format!("/c/{}", (x >> 16) % 89);
            let value = format!("\"{step}\"");
            match (x >> 8) % 7 {
                0..=3 => assert_eq!(
                    map.insert(key.clone(), value.clone()),
                    oracle.insert(key.clone(), value)
                ),
                4 | 5 => assert_eq!(map.remove(&key), oracle.remove(&key)),
                _ => {
                    let digit = &key[key.len() - 1..];
                    map.retain(|k, v| !(k.ends_with(digit) && v.len() % 2 == 0));
                    oracle.retain(|k, v| !(k.ends_with(digit) && v.len() % 2 == 0));
                }
            }
            assert_eq!(map.get("/c/5"), oracle.get("/c/5"));
            assert_eq!(map.contains_key(&key), oracle.contains_key(&key));
            assert_eq!(map.len(), oracle.len());
            assert_eq!(map.is_empty(), oracle.is_empty());
        }
        assert!(map.iter().eq(oracle.iter()));
        assert!(map.iter().rev().eq(oracle.iter().rev()));
        assert!(map.keys().eq(oracle.keys()));
        assert!(map.values().eq(oracle.values()));
        assert!(map.clone().into_iter().eq(oracle.clone()));
        assert_eq!(format!("{map:?}"), format!("{oracle:?}"));
        let rebuilt: StringMap = oracle.clone().into_iter().collect();
        assert_eq!(rebuilt, map);
        map.clear();
        assert!(map.is_empty() && map.iter().next().is_none());
    }

    /// Removals do not leave the map holding every key it ever had: the holes are dropped once
    /// they outnumber the values.
    #[test]
    fn holes_are_bounded() {
        let mut map = StringMap::new();
        for i in 0..10_000 {
            map.insert(format!("/c/{i}"), "1".into());
            if i >= 10 {
                assert_eq!(map.remove(&format!("/c/{}", i - 10)).as_deref(), Some("1"));
            }
            assert!(
                map.values.len() <= 2 * map.len() + 33,
                "{} slots",
                map.values.len()
            );
            assert!(map.index.len() == map.values.len());
        }
        assert_eq!(map.len(), 10);
        assert!(
            map.keys().eq((9990..10_000)
                .map(|i| format!("/c/{i}"))
                .collect::<Vec<_>>()
                .iter())
        );
    }

    /// Two maps with the same entries are equal whatever their holes.
    #[test]
    fn equality_ignores_holes() {
        let mut a = StringMap::new();
        a.insert("x".into(), "1".into());
        a.insert("y".into(), "2".into());
        a.remove("x");
        let b = StringMap::from([("y".to_owned(), "2".to_owned())]);
        assert_eq!(a, b);
        a.insert("x".into(), "3".into());
        assert_ne!(a, b);
    }

    #[test]
    fn serialises_as_a_map() {
        let mut map = StringMap::new();
        map.insert("b".into(), "2".into());
        map.insert("a".into(), "1".into());
        map.insert("gone".into(), "0".into());
        map.remove("gone");
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, r#"{"a":"1","b":"2"}"#);
        let back: StringMap = serde_json::from_str(r#"{"b":"2","a":"0","a":"1"}"#).unwrap();
        assert_eq!(back, map);
        assert!(serde_json::from_str::<StringMap>(r#"["a"]"#).is_err());
        assert!(serde_json::from_str::<StringMap>(r#"{"a":1}"#).is_err());
    }
}
