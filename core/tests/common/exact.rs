//! Type- and bit-exact comparison of payload values.
//!
//! The derived `PartialEq` of [`Value`] keeps variants apart (`Int(1)`, `UInt`,
//! `Float(1.0)` and `Bool(true)` differ) but compares floats as IEEE numbers:
//! `-0.0 == 0.0` and `NaN != NaN`. A round trip that turned `-0.0` into `0.0`, or
//! one NaN into another, would pass it. [`Exact`] compares floats by their bits,
//! and prints them with their bits, so every round trip and vector test sees the
//! value exactly as it went in.

use wampe2e::{Map, Value};

/// A value (or list, or map) compared bit-exactly: same variants, same order,
/// floats by `to_bits`.
pub struct Exact<'a, T: ?Sized>(pub &'a T);

/// Whether `a` and `b` are the same value bit for bit.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::UInt(x), Value::UInt(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => same_list(x, y),
        (Value::Map(x), Value::Map(y)) => same_map(x, y),
        _ => false,
    }
}

/// [`same`] for lists, element by element.
pub fn same_list(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

/// [`same`] for maps: the same keys in the same order with the same values.
pub fn same_map(a: &Map, b: &Map) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
}

impl PartialEq for Exact<'_, Value> {
    fn eq(&self, other: &Self) -> bool {
        same(self.0, other.0)
    }
}

impl PartialEq for Exact<'_, [Value]> {
    fn eq(&self, other: &Self) -> bool {
        same_list(self.0, other.0)
    }
}

impl PartialEq for Exact<'_, Vec<Value>> {
    fn eq(&self, other: &Self) -> bool {
        same_list(self.0, other.0)
    }
}

impl PartialEq for Exact<'_, Map> {
    fn eq(&self, other: &Self) -> bool {
        same_map(self.0, other.0)
    }
}

impl<T> PartialEq for Exact<'_, Option<T>>
where
    for<'b> Exact<'b, T>: PartialEq,
{
    fn eq(&self, other: &Self) -> bool {
        match (self.0, other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Exact(a) == Exact(b),
            _ => false,
        }
    }
}

/// Debug output that shows what [`same`] compares: floats with their bits.
fn fmt_value(v: &Value, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    match v {
        Value::Float(x) => write!(f, "Float({x:?} = {:#018x})", x.to_bits()),
        Value::List(l) => fmt_list(l, f),
        Value::Map(m) => fmt_map(m, f),
        other => write!(f, "{other:?}"),
    }
}

fn fmt_list(l: &[Value], f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str("[")?;
    for (i, v) in l.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        fmt_value(v, f)?;
    }
    f.write_str("]")
}

fn fmt_map(m: &Map, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str("{")?;
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{k:?}: ")?;
        fmt_value(v, f)?;
    }
    f.write_str("}")
}

impl std::fmt::Debug for Exact<'_, Value> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_value(self.0, f)
    }
}

impl std::fmt::Debug for Exact<'_, [Value]> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_list(self.0, f)
    }
}

impl std::fmt::Debug for Exact<'_, Vec<Value>> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_list(self.0, f)
    }
}

impl std::fmt::Debug for Exact<'_, Map> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_map(self.0, f)
    }
}

impl<T> std::fmt::Debug for Exact<'_, Option<T>>
where
    for<'b> Exact<'b, T>: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(v) => write!(f, "Some({:?})", Exact(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_what_derived_equality_does_not() {
        assert_eq!(Value::Float(-0.0), Value::Float(0.0));
        assert!(!same(&Value::Float(-0.0), &Value::Float(0.0)));
        assert_ne!(Value::Float(f64::NAN), Value::Float(f64::NAN));
        assert!(same(&Value::Float(f64::NAN), &Value::Float(f64::NAN)));
        let other_nan = f64::from_bits(f64::NAN.to_bits() | 1);
        assert!(!same(&Value::Float(f64::NAN), &Value::Float(other_nan)));
        for (a, b) in [
            (Value::Int(1), Value::Float(1.0)),
            (Value::Int(1), Value::Bool(true)),
            (Value::Int(0), Value::Null),
            (Value::UInt(u64::MAX), Value::Float(u64::MAX as f64)),
            (Value::String("a".into()), Value::Bytes(b"a".to_vec())),
            (Value::List(vec![]), Value::Map(vec![])),
        ] {
            assert!(!same(&a, &b), "{a:?} {b:?}");
        }
        let ab = vec![("a".into(), Value::Null), ("b".into(), Value::Null)];
        let ba = vec![("b".into(), Value::Null), ("a".into(), Value::Null)];
        assert!(!same_map(&ab, &ba));
        assert_eq!(
            format!("{:?}", Exact(&Value::Float(-0.0))),
            "Float(-0.0 = 0x8000000000000000)"
        );
    }
}
