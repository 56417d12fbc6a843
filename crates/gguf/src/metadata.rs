//! The metadata of a GGUF file and its typed getters.

use std::collections::BTreeMap;

use crate::value::Value;
use crate::{ALIGNMENT_KEY, DEFAULT_ALIGNMENT};

/// The key/value metadata of a GGUF file, with the file's format version.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    /// GGUF format version of the file (2 or 3).
    pub version: u32,
    entries: BTreeMap<String, Value>,
}

impl Metadata {
    /// Empty metadata for a file of format `version`.
    pub fn new(version: u32) -> Self {
        Metadata {
            version,
            entries: BTreeMap::new(),
        }
    }

    /// Set `key`, returning the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.entries.insert(key.into(), value.into())
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }

    /// A string value.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// An integer of any width that fits a `u32`.
    pub fn get_u32(&self, key: &str) -> Option<u32> {
        self.get(key).and_then(Value::as_u32)
    }

    /// An integer of any width that fits a `u64`.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Value::as_u64)
    }

    /// A float (or an integer) as `f32`.
    pub fn get_f32(&self, key: &str) -> Option<f32> {
        self.get(key).and_then(Value::as_f32)
    }

    /// A boolean.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }

    /// An array of strings (`None` if any element is not a string).
    pub fn get_str_array(&self, key: &str) -> Option<Vec<&str>> {
        self.array_of(key, Value::as_str)
    }

    /// An array of integers that all fit `u32`.
    pub fn get_u32_array(&self, key: &str) -> Option<Vec<u32>> {
        self.array_of(key, Value::as_u32)
    }

    /// An array of integers that all fit `i32`.
    pub fn get_i32_array(&self, key: &str) -> Option<Vec<i32>> {
        self.array_of(key, Value::as_i32)
    }

    /// An array of floats (or integers) as `f32`.
    pub fn get_f32_array(&self, key: &str) -> Option<Vec<f32>> {
        self.array_of(key, Value::as_f32)
    }

    fn array_of<'a, T>(&'a self, key: &str, f: impl Fn(&'a Value) -> Option<T>) -> Option<Vec<T>> {
        self.get(key)?.as_array()?.iter().map(f).collect()
    }

    /// Tensor data alignment: `general.alignment`, or 32 when absent.
    pub fn alignment(&self) -> u64 {
        self.get(ALIGNMENT_KEY)
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_ALIGNMENT)
    }

    /// Every entry, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_getters() {
        let mut m = Metadata::new(3);
        m.insert("a.u8", 5u8);
        m.insert("a.neg", -5i64);
        m.insert("a.f", 1e4f32);
        m.insert("a.s", "llama");
        m.insert("a.b", true);
        m.insert("a.toks", vec!["x", "y"]);
        m.insert("a.ids", vec![1i32, 2]);
        m.insert(
            "a.mixed",
            Value::Array(vec![Value::U8(1), Value::from("z")]),
        );
        assert_eq!(m.get_u32("a.u8"), Some(5));
        assert_eq!(m.get_u32("a.neg"), None);
        assert_eq!(m.get_f32("a.f"), Some(1e4));
        assert_eq!(m.get_str("a.s"), Some("llama"));
        assert_eq!(m.get_str("a.u8"), None);
        assert_eq!(m.get_bool("a.b"), Some(true));
        assert_eq!(m.get_str_array("a.toks"), Some(vec!["x", "y"]));
        assert_eq!(m.get_u32_array("a.ids"), Some(vec![1, 2]));
        assert_eq!(m.get_f32_array("a.ids"), Some(vec![1.0, 2.0]));
        assert_eq!(m.get_u32_array("a.mixed"), None);
        assert_eq!(m.get_u32("missing"), None);
        assert_eq!(m.alignment(), 32);
        assert_eq!(m.iter().next().map(|(k, _)| k), Some("a.b"));
        assert_eq!(m.len(), 8);
    }
}
