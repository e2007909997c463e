//! Plaintext serializers: JSON (byte-compatible with Autobahn|Python), CBOR and MessagePack.
//! The formats and writing values in them; reading them ([`Serializer::read`],
//! `read_json`) is the parsers', in [`crate::plaintext::builder`], which build on
//! this module.

use crate::error::{err, Error, ErrorCode, Result};
use crate::plaintext::json_writer::{JsonWriter, WriteJson};
use crate::plaintext::limits::{too_deep, MAX_DEPTH};
use crate::plaintext::value::{Map, Value};
use std::str::FromStr;

/// A payload serializer, named as on the wire (`enc_serializer` / `ppt_serializer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Serializer {
    /// `"json"`: WAMP-JSON, binary as `"\u0000" + base64`.
    Json,
    /// `"cbor"`: RFC 8949.
    Cbor,
    /// `"msgpack"`: MessagePack.
    Msgpack,
}

impl Serializer {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Serializer::Json => "json",
            Serializer::Cbor => "cbor",
            Serializer::Msgpack => "msgpack",
        }
    }

    /// Appends the serialization of `value` to `out`.
    /// Nesting deeper than [`MAX_DEPTH`] is `UnsupportedValue` (the JSON writer checks
    /// it as it goes; the binary writers are given the depth checked first).
    pub fn write(self, value: &Value, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Serializer::Json => write_json(value, out),
            Serializer::Cbor | Serializer::Msgpack => {
                if value.depth() > MAX_DEPTH {
                    return too_deep("value");
                }
                self.write_binary(value, out)
            }
        }
    }

    /// Appends any serde value as CBOR or MessagePack (JSON is written by
    /// [`write_json`], which keeps Autobahn's exact form).
    pub(crate) fn write_binary(
        self,
        value: &impl serde::Serialize,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        match self {
            Serializer::Cbor => ciborium::into_writer(value, out)
                .or_else(|e| err(ErrorCode::UnsupportedValue, format!("cbor: {e}"))),
            Serializer::Msgpack => rmp_serde::encode::write(out, value)
                .or_else(|e| err(ErrorCode::UnsupportedValue, format!("msgpack: {e}"))),
            Serializer::Json => err(
                ErrorCode::InvalidArgument,
                "json is not a binary serializer",
            ),
        }
    }
}

impl FromStr for Serializer {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "json" => Ok(Serializer::Json),
            "cbor" => Ok(Serializer::Cbor),
            "msgpack" => Ok(Serializer::Msgpack),
            other => err(
                ErrorCode::UnknownSerializer,
                format!(
                    "serializer: not json, cbor or msgpack ({} characters)",
                    other.chars().count()
                ),
            ),
        }
    }
}

/// [`write_json`] into a `String` (WAMP-JSON text, as bindings hand it out).
pub fn to_json_string(v: &Value) -> Result<String> {
    let mut out = Vec::new();
    write_json(v, &mut out)?;
    String::from_utf8(out).or_else(|_| err(ErrorCode::InvalidUtf8, "json output"))
}

/// Writes WAMP-JSON exactly as Autobahn|Python's `json.dumps(separators=(",", ":"),
/// ensure_ascii=False)` does, so sealed plaintexts are byte-identical to Autobahn's.
pub fn write_json(v: &Value, out: &mut Vec<u8>) -> Result<()> {
    write_value(&mut JsonWriter::new(out, 0), v)
}

impl WriteJson for &[Value] {
    fn write_json(&self, w: &mut JsonWriter<'_>) -> Result<()> {
        w.begin_list()?;
        for (i, v) in self.iter().enumerate() {
            write_value(w, v).map_err(|e| e.within(&format!("[{i}]")))?;
        }
        w.end_list();
        Ok(())
    }
}

impl WriteJson for Map {
    fn write_json(&self, w: &mut JsonWriter<'_>) -> Result<()> {
        w.begin_map()?;
        for (k, v) in self {
            w.key(k);
            write_value(w, v).map_err(|e| e.within(&format!("[{k:?}]")))?;
        }
        w.end_map();
        Ok(())
    }
}

/// Writes `v` through `w`; errors name where the offending value sits.
pub(crate) fn write_value(w: &mut JsonWriter<'_>, v: &Value) -> Result<()> {
    match v {
        Value::Null => w.null(),
        Value::Bool(b) => w.bool(*b),
        Value::Int(i) => w.i64(*i),
        Value::UInt(u) => w.u64(*u),
        Value::Float(f) => w.f64(*f)?,
        Value::String(s) => w.str(s)?,
        Value::Bytes(b) => w.bytes(b),
        Value::List(l) => {
            w.begin_list()?;
            for (i, v) in l.iter().enumerate() {
                write_value(w, v).map_err(|e| e.within(&format!("[{i}]")))?;
            }
            w.end_list();
        }
        Value::Map(m) => {
            w.begin_map()?;
            for (k, v) in m {
                w.key(k);
                write_value(w, v).map_err(|e| e.within(&format!("[{k:?}]")))?;
            }
            w.end_map();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::plaintext::json_writer::{
        write_json_str, write_python_float, write_python_float_from_digits,
    };

    fn py(f: f64) -> String {
        let mut out = Vec::new();
        write_python_float(f, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_match_python_repr() {
        // Expected strings are Python 3 `repr(float)` outputs.
        let cases = [
            (21.5, "21.5"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (-2.5e-300, "-2.5e-300"),
            (std::f64::consts::PI, "3.141592653589793"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (1234.5678, "1234.5678"),
        ];
        for (f, want) in cases {
            assert_eq!(py(f), want, "{f:e}");
        }
    }

    #[test]
    fn ryu_fast_path_agrees_with_the_digit_formatter() {
        // Random bit patterns (all magnitudes) and decimal-looking values near the
        // 1e-4 and 1e16 boundaries, where the two notations meet.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut values = Vec::new();
        for i in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(f64::from_bits(x));
            values.push(f64::from(i) / 1000.0);
            values.push(f64::from(i % 1000) * 10f64.powi(i32::try_from(i % 40).unwrap() - 20));
        }
        for f in values.into_iter().filter(|f| f.is_finite()) {
            let mut fast = Vec::new();
            write_python_float(f, &mut fast);
            let mut general = Vec::new();
            write_python_float_from_digits(ryu::Buffer::new().format_finite(f), &mut general);
            assert_eq!(fast, general, "{f:e}");
        }
    }

    #[test]
    fn non_finite_floats_are_rejected_in_json() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = Serializer::Json
                .write(&Value::Float(f), &mut Vec::new())
                .unwrap_err();
            assert_eq!(e.code(), ErrorCode::UnsupportedValue);
        }
    }

    #[test]
    fn json_strings_escape_like_python() {
        let mut out = Vec::new();
        write_json_str("a\"b\\c\nd\u{1}é€\u{7f}", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é€\u{7f}\""
        );
    }

    #[test]
    fn too_deep_is_rejected() {
        let mut v = Value::Null;
        for _ in 0..=MAX_DEPTH {
            v = Value::List(vec![v]);
        }
        let e = Serializer::Cbor.write(&v, &mut Vec::new()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsupportedValue);
    }
}
