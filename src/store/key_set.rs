//! Strings kept in one buffer, as a set or as keys of a map.
//!
//! An import batch remembers which message keys, references and buyers it read from the
//! store (about 30,000 strings per batch), and an import run which thread each message it
//! stored went to (100,000 keys for 100,000 messages). As `HashSet<String>` and
//! `HashMap<String, i64>` those were an allocation per string, and with their page faults and
//! hashing an eighth of the writer's time; here each is one growing buffer and a table of
//! where each string starts.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

/// A map from strings to small values.
pub struct KeyMap<V> {
    text: String,
    /// Where each key is in `text` (start, length), and its value.
    table: HashTable<(usize, usize, V)>,
    hasher: RandomState,
}

impl<V> Default for KeyMap<V> {
    fn default() -> Self {
        KeyMap {
            text: String::new(),
            table: HashTable::new(),
            hasher: RandomState::default(),
        }
    }
}

impl<V: Copy> KeyMap<V> {
    /// Sets the value of `key`, added if new.
    pub fn insert(&mut self, key: &str, value: V) {
        let KeyMap {
            text,
            table,
            hasher,
        } = self;
        let hash = hasher.hash_one(key);
        if let Some(entry) =
            table.find_mut(hash, |&(start, len, _)| &text[start..start + len] == key)
        {
            entry.2 = value;
            return;
        }
        let start = text.len();
        text.push_str(key);
        table.insert_unique(hash, (start, key.len(), value), |&(start, len, _)| {
            hasher.hash_one(&text[start..start + len])
        });
    }

    pub fn get(&self, key: &str) -> Option<V> {
        self.table
            .find(self.hasher.hash_one(key), |&(start, len, _)| {
                &self.text[start..start + len] == key
            })
            .map(|&(_, _, value)| value)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Forgets `key` (its text stays in the buffer until `clear`).
    pub fn remove(&mut self, key: &str) {
        let hash = self.hasher.hash_one(key);
        let text = &self.text;
        if let Ok(entry) = self
            .table
            .find_entry(hash, |&(start, len, _)| &text[start..start + len] == key)
        {
            entry.remove();
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.table.clear();
    }

    /// Every key, once each, sorted.
    pub fn sorted_keys(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .table
            .iter()
            .map(|&(start, len, _)| &self.text[start..start + len])
            .collect();
        all.sort_unstable();
        all
    }
}

/// A set of strings.
#[derive(Default)]
pub struct KeySet(KeyMap<()>);

impl KeySet {
    pub fn insert(&mut self, key: &str) {
        self.0.insert(key, ());
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains(key)
    }

    /// Every string, once each, sorted.
    pub fn sorted(&self) -> Vec<&str> {
        self.0.sorted_keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_holds_each_string_once_and_only_those() {
        let mut set = KeySet::default();
        for key in ["b@x", "a@x", "", "b@x", "ab@x", "a", "b@x"] {
            set.insert(key);
        }
        assert_eq!(set.sorted(), vec!["", "a", "a@x", "ab@x", "b@x"]);
        for key in ["", "a", "a@x", "ab@x", "b@x"] {
            assert!(set.contains(key), "{key}");
        }
        for key in ["b", "x", "a@", "@x", "ab", "b@x "] {
            assert!(!set.contains(key), "{key}");
        }
    }

    #[test]
    fn a_map_updates_forgets_and_clears() {
        let mut map = KeyMap::default();
        map.insert("a@x", 1);
        map.insert("b@x", 2);
        map.insert("a@x", 3);
        assert_eq!(
            (map.get("a@x"), map.get("b@x"), map.len()),
            (Some(3), Some(2), 2)
        );
        map.remove("a@x");
        map.remove("never@x");
        assert_eq!(
            (map.get("a@x"), map.get("b@x"), map.len()),
            (None, Some(2), 1)
        );
        map.insert("a@x", 4);
        assert_eq!(map.get("a@x"), Some(4));
        map.clear();
        assert_eq!((map.get("a@x"), map.get("b@x"), map.len()), (None, None, 0));
    }

    #[test]
    fn stays_right_as_it_grows() {
        let mut map = KeyMap::default();
        for i in 0..20_000i64 {
            map.insert(&format!("m{i}@example.test"), i);
        }
        assert_eq!(map.len(), 20_000);
        assert!((0..20_000).all(|i| map.get(&format!("m{i}@example.test")) == Some(i)));
        assert!(!map.contains("m20000@example.test"));
    }
}
