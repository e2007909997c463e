//! Plaintext serializers: JSON (byte-compatible with Autobahn|Python), CBOR and MessagePack.

use crate::error::{err, ErrorCode, Result};
use crate::value::{Map, Value};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Deserialize;
use std::str::FromStr;

/// Deepest list/map nesting accepted for serialization (parsers allow at least this much).
pub const MAX_DEPTH: usize = 100;

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
    pub fn write(self, value: &Value, out: &mut Vec<u8>) -> Result<()> {
        if value.depth() > MAX_DEPTH {
            return err(
                ErrorCode::UnsupportedValue,
                format!("value nests deeper than {MAX_DEPTH} levels"),
            );
        }
        match self {
            Serializer::Json => write_json(value, out),
            Serializer::Cbor | Serializer::Msgpack => self.write_binary(value, out),
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

    /// Parses one complete value; trailing bytes are an error.
    pub fn read(self, bytes: &[u8]) -> Result<Value> {
        match self {
            Serializer::Json => read_json(bytes),
            Serializer::Cbor => {
                let mut rest = bytes;
                let v: Value = ciborium::from_reader(&mut rest)
                    .or_else(|e| err(ErrorCode::InvalidCbor, format!("cbor: {e}")))?;
                if !rest.is_empty() {
                    return err(
                        ErrorCode::InvalidCbor,
                        format!("cbor: {} trailing bytes", rest.len()),
                    );
                }
                Ok(v)
            }
            Serializer::Msgpack => {
                let mut rest = bytes;
                let v = {
                    let mut de = rmp_serde::Deserializer::new(&mut rest);
                    Value::deserialize(&mut de)
                        .or_else(|e| err(ErrorCode::InvalidMsgpack, format!("msgpack: {e}")))?
                };
                if !rest.is_empty() {
                    return err(
                        ErrorCode::InvalidMsgpack,
                        format!("msgpack: {} trailing bytes", rest.len()),
                    );
                }
                Ok(v)
            }
        }
    }
}

impl FromStr for Serializer {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "json" => Ok(Serializer::Json),
            "cbor" => Ok(Serializer::Cbor),
            "msgpack" => Ok(Serializer::Msgpack),
            other => err(
                ErrorCode::UnknownSerializer,
                format!("serializer {other:?} is not json, cbor or msgpack"),
            ),
        }
    }
}

/// Parses WAMP-JSON text: strings starting with U+0000 are base64 binaries.
pub fn read_json(bytes: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(bytes).or_else(|e| {
        err(
            ErrorCode::InvalidUtf8,
            format!("json: invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let mut v: Value = serde_json::from_str(text)
        .or_else(|e| err(ErrorCode::InvalidJson, format!("json: {e}")))?;
    decode_json_binaries(&mut v)?;
    Ok(v)
}

fn decode_json_binaries(v: &mut Value) -> Result<()> {
    match v {
        Value::String(s) if s.starts_with('\0') => {
            let raw = s.get(1..).unwrap_or("");
            let bytes = BASE64.decode(raw).or_else(|e| {
                err(
                    ErrorCode::InvalidBase64,
                    format!("json binary string: {e} (length {})", raw.len()),
                )
            })?;
            *v = Value::Bytes(bytes);
        }
        Value::List(l) => l.iter_mut().try_for_each(decode_json_binaries)?,
        Value::Map(m) => m
            .iter_mut()
            .try_for_each(|(_, v)| decode_json_binaries(v))?,
        _ => {}
    }
    Ok(())
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
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::UInt(u) => out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes()),
        Value::Float(f) => write_python_float(*f, out)?,
        Value::String(s) => {
            if s.starts_with('\0') {
                return err(
                    ErrorCode::UnsupportedValue,
                    "a string starting with U+0000 would be read back as binary in JSON",
                );
            }
            write_json_str(s, out);
        }
        Value::Bytes(b) => {
            out.extend_from_slice(b"\"\\u0000");
            let start = out.len();
            out.resize(start + b.len().div_ceil(3) * 4, 0);
            let written = BASE64
                .encode_slice(b, out.get_mut(start..).unwrap_or_default())
                .or_else(|e| err(ErrorCode::UnsupportedValue, format!("base64: {e}")))?;
            out.truncate(start + written);
            out.push(b'"');
        }
        Value::List(l) => write_json_list(l, out)?,
        Value::Map(m) => write_json_map(m, out)?,
    }
    Ok(())
}

/// Writes a JSON array of values (see [`write_json`]).
pub(crate) fn write_json_list(items: &[Value], out: &mut Vec<u8>) -> Result<()> {
    out.push(b'[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json(v, out).map_err(|e| e.within(&format!("[{i}]")))?;
    }
    out.push(b']');
    Ok(())
}

/// Writes a JSON object (see [`write_json`]).
pub(crate) fn write_json_map(map: &Map, out: &mut Vec<u8>) -> Result<()> {
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json_str(k, out);
        out.push(b':');
        write_json(v, out).map_err(|e| e.within(&format!("[{k:?}]")))?;
    }
    out.push(b'}');
    Ok(())
}

/// Python's JSON string escaping with `ensure_ascii=False`.
pub(crate) fn write_json_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(run_start..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        run_start = i + 1;
    }
    out.extend_from_slice(bytes.get(run_start..).unwrap_or_default());
    out.push(b'"');
}

/// Formats a float as Python's `repr` does: shortest round-trip digits, fixed
/// notation for decimal exponents in [-4, 16), otherwise `d.ddde+XX`.
fn write_python_float(f: f64, out: &mut Vec<u8>) -> Result<()> {
    if !f.is_finite() {
        return err(
            ErrorCode::UnsupportedValue,
            format!("{f} is not representable in JSON"),
        );
    }
    let mut buf = ryu::Buffer::new();
    let shortest = buf.format_finite(f);
    let (negative, body) = match shortest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, shortest),
    };
    // Split ryu's output into its significant digits and a decimal exponent
    // `decpt` such that value = 0.DIGITS * 10^decpt.
    let (mantissa, exp10) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut decpt = exp10 + i32::try_from(int_part.len()).unwrap_or(0);
    let leading_zeros = digits.len() - digits.trim_start_matches('0').len();
    if leading_zeros == digits.len() {
        // zero
        out.extend_from_slice(if negative { b"-0.0" } else { b"0.0" });
        return Ok(());
    }
    digits.drain(..leading_zeros);
    decpt -= i32::try_from(leading_zeros).unwrap_or(0);
    let trimmed_len = digits.trim_end_matches('0').len();
    digits.truncate(trimmed_len);

    if negative {
        out.push(b'-');
    }
    let ndigits = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if (-4 < decpt) && (decpt <= 16) {
        if decpt <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(
                b'0',
                usize::try_from(-decpt).unwrap_or(0),
            ));
            out.extend_from_slice(digits.as_bytes());
        } else if decpt >= ndigits {
            out.extend_from_slice(digits.as_bytes());
            out.extend(std::iter::repeat_n(
                b'0',
                usize::try_from(decpt - ndigits).unwrap_or(0),
            ));
            out.extend_from_slice(b".0");
        } else {
            let (a, b) = digits.split_at(usize::try_from(decpt).unwrap_or(0));
            out.extend_from_slice(a.as_bytes());
            out.push(b'.');
            out.extend_from_slice(b.as_bytes());
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.extend_from_slice(first.as_bytes());
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest.as_bytes());
        }
        let e = decpt - 1;
        out.extend_from_slice(if e < 0 { b"e-" } else { b"e+" });
        let abs = e.unsigned_abs();
        if abs < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(itoa::Buffer::new().format(abs).as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(f: f64) -> String {
        let mut out = Vec::new();
        write_python_float(f, &mut out).unwrap();
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
    fn json_binary_convention() {
        let v = Value::List(vec![Value::Bytes(vec![1, 2, 3, 255])]);
        let mut out = Vec::new();
        Serializer::Json.write(&v, &mut out).unwrap();
        assert_eq!(out, b"[\"\\u0000AQID/w==\"]");
        assert_eq!(Serializer::Json.read(&out).unwrap(), v);
        let bad = Serializer::Json.read(b"[\"\\u0000!!\"]").unwrap_err();
        assert_eq!(bad.code(), ErrorCode::InvalidBase64);
    }

    #[test]
    fn parse_errors_are_distinct() {
        assert_eq!(
            Serializer::Json.read(b"{").unwrap_err().code(),
            ErrorCode::InvalidJson
        );
        assert_eq!(
            Serializer::Json.read(b"\"\xff\"").unwrap_err().code(),
            ErrorCode::InvalidUtf8
        );
        assert_eq!(
            Serializer::Cbor.read(&[0xff]).unwrap_err().code(),
            ErrorCode::InvalidCbor
        );
        assert_eq!(
            Serializer::Cbor.read(&[0x01, 0x01]).unwrap_err().code(),
            ErrorCode::InvalidCbor
        );
        assert_eq!(
            Serializer::Msgpack.read(&[0xc1]).unwrap_err().code(),
            ErrorCode::InvalidMsgpack
        );
        assert_eq!(
            Serializer::Msgpack.read(&[0x01, 0x01]).unwrap_err().code(),
            ErrorCode::InvalidMsgpack
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
