//! Payload values: what WAMP `args`/`kwargs` can hold, lossless through every serializer.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// An ordered string-keyed map, as WAMP `kwargs` and dictionaries are.
pub type Map = Vec<(String, Value)>;

/// One payload value.
///
/// Integers that fit `i64` are always [`Value::Int`]; [`Value::UInt`] holds only
/// values above `i64::MAX`, so each integer has exactly one representation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON `null`, CBOR/MessagePack nil.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A double-precision float.
    Float(f64),
    /// UTF-8 text.
    String(String),
    /// Binary data (WAMP-JSON carries it as `"\u0000" + base64`).
    Bytes(Vec<u8>),
    /// An ordered list.
    List(Vec<Value>),
    /// A map with string keys, in insertion order.
    Map(Map),
}

impl Value {
    /// An integer from a `u64`, normalised to [`Value::Int`] where it fits.
    pub fn from_u64(n: u64) -> Value {
        match i64::try_from(n) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::UInt(n),
        }
    }

    /// The value under `key` if this is a map holding it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// How deeply lists and maps nest inside this value (a scalar is 0).
    pub fn depth(&self) -> usize {
        match self {
            Value::List(l) => 1 + l.iter().map(Value::depth).max().unwrap_or(0),
            Value::Map(m) => 1 + m.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// A short name of the variant, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::UInt(_) => "integer",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }
}

impl Serialize for Value {
    /// Binary values serialize as byte strings (CBOR/MessagePack); the JSON
    /// serializer in [`crate::plaintext::serializer`] applies the WAMP-JSON convention instead.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::Float(f) => s.serialize_f64(*f),
            Value::String(t) => s.serialize_str(t),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),*) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Value { Value::$variant(v.into()) }
        })*
    };
}
value_from!(bool => Bool, i64 => Int, i32 => Int, f64 => Float, String => String, &str => String, Vec<u8> => Bytes, Vec<Value> => List);
