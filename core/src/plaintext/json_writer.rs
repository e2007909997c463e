//! A streaming writer of WAMP-JSON exactly as Autobahn|Python writes it
//! (`json.dumps(separators=(",", ":"), ensure_ascii=False)`, binary as
//! `"\u0000" + base64`). [`crate::plaintext::serializer::write_json`] drives it from a
//! [`crate::Value`]; bindings drive it straight from their own values, so a large
//! payload is never copied into an intermediate tree.

use crate::error::{err, Error, ErrorCode, Result};
use crate::plaintext::limits::{failure_or, keep_failure, too_deep, MAX_DEPTH};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

/// What was written at the writer's outermost level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    /// Nothing yet.
    Nothing,
    /// A scalar (null, bool, number, string, binary).
    Scalar,
    /// A list.
    List,
    /// A map.
    Map,
}

/// Writes one JSON value into a buffer, call by call: scalars, `begin_list` …
/// `end_list`, `begin_map` (`key`, value)* `end_map`. Commas and colons are placed
/// by the writer; nesting beyond [`MAX_DEPTH`] and values JSON cannot carry are
/// `UnsupportedValue` errors. Calls out of that order (a key outside a map, a map
/// value without its key, a second value at the outermost level) leave the writer
/// incomplete ([`JsonWriter::is_complete`]), which its users refuse.
pub struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Open containers, relative to where this writer started.
    depth: usize,
    /// Containers already open around this writer (they count toward the depth limit).
    base_depth: usize,
    /// Bit `d` set: the container at depth `d` has no element yet.
    empty: u128,
    /// Bit `d` set: the container at depth `d` is a map.
    maps: u128,
    after_key: bool,
    root: RootKind,
    roots: usize,
    misused: bool,
    /// Where binaries go when written out of band ([`JsonWriter::with_side_binaries`]).
    side: Option<&'a mut Vec<u8>>,
}

impl<'a> JsonWriter<'a> {
    /// A writer appending to `out`, inside `enclosing` already open containers.
    pub fn new(out: &'a mut Vec<u8>, enclosing: usize) -> Self {
        JsonWriter {
            out,
            depth: 0,
            base_depth: enclosing,
            empty: 0,
            maps: 0,
            after_key: false,
            root: RootKind::Nothing,
            roots: 0,
            misused: false,
            side: None,
        }
    }

    /// A writer whose binaries go out of band: their bytes are appended to `side`,
    /// and the text holds `"\u0000start-end"` (their byte range in `side`, decimal)
    /// instead of `"\u0000" + base64`. Not WAMP-JSON: for a binding that hands the
    /// text to its own JSON parser and takes binaries from `side`, rather than
    /// decoding base64 a second time.
    pub fn with_side_binaries(
        out: &'a mut Vec<u8>,
        enclosing: usize,
        side: &'a mut Vec<u8>,
    ) -> Self {
        JsonWriter {
            side: Some(side),
            ..JsonWriter::new(out, enclosing)
        }
    }

    /// What was written at the outermost level.
    pub fn root(&self) -> RootKind {
        self.root
    }

    /// Whether exactly one value was written, every container begun was ended, and
    /// the calls came in order.
    pub fn is_complete(&self) -> bool {
        self.depth == 0 && !self.after_key && self.roots == 1 && !self.misused
    }

    fn bit(&self) -> u128 {
        1u128 << (self.depth % 128)
    }

    fn in_map(&self) -> bool {
        self.depth > 0 && self.maps & self.bit() != 0
    }

    fn before_value(&mut self, kind: RootKind) {
        if self.after_key {
            self.after_key = false;
        } else if self.in_map() {
            self.misused = true;
            self.separate();
        } else if self.depth > 0 {
            self.separate();
        } else {
            self.roots += 1;
            if self.root == RootKind::Nothing {
                self.root = kind;
            }
        }
    }

    fn separate(&mut self) {
        let bit = self.bit();
        if self.empty & bit != 0 {
            self.empty &= !bit;
        } else {
            self.out.push(b',');
        }
    }

    fn open(&mut self, bracket: u8, kind: RootKind) -> Result<()> {
        if self.base_depth + self.depth >= MAX_DEPTH {
            return too_deep("value");
        }
        self.before_value(kind);
        self.out.push(bracket);
        self.depth += 1;
        self.empty |= self.bit();
        if kind == RootKind::Map {
            self.maps |= self.bit();
        } else {
            self.maps &= !self.bit();
        }
        Ok(())
    }

    fn close(&mut self, bracket: u8, kind: RootKind) {
        let is_map = self.in_map();
        if self.depth == 0 || self.after_key || is_map != (kind == RootKind::Map) {
            self.misused = true;
        }
        self.out.push(bracket);
        self.depth = self.depth.saturating_sub(1);
    }

    /// `null`.
    pub fn null(&mut self) {
        self.before_value(RootKind::Scalar);
        self.out.extend_from_slice(b"null");
    }

    /// `true` / `false`.
    pub fn bool(&mut self, b: bool) {
        self.before_value(RootKind::Scalar);
        self.out
            .extend_from_slice(if b { b"true" } else { b"false" });
    }

    /// A signed integer.
    pub fn i64(&mut self, i: i64) {
        self.before_value(RootKind::Scalar);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
    }

    /// An unsigned integer.
    pub fn u64(&mut self, u: u64) {
        self.before_value(RootKind::Scalar);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
    }

    /// An integer beyond 64 bits as its decimal text (`-?[0-9]+`, no leading zero),
    /// for languages with integers of any size (Python's `json` writes them so);
    /// any other text is `UnsupportedValue`.
    pub fn big_int(&mut self, decimal: &str) -> Result<()> {
        let digits = decimal.strip_prefix('-').unwrap_or(decimal);
        let canonical = !digits.is_empty()
            && digits.bytes().all(|c| c.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !canonical {
            return err(
                ErrorCode::UnsupportedValue,
                "an integer's decimal text is not -?[0-9]+",
            );
        }
        self.before_value(RootKind::Scalar);
        self.out.extend_from_slice(decimal.as_bytes());
        Ok(())
    }

    /// A float in Python's `repr`; NaN and infinities are `UnsupportedValue`.
    pub fn f64(&mut self, f: f64) -> Result<()> {
        if !f.is_finite() {
            return err(
                ErrorCode::UnsupportedValue,
                format!("{f} is not representable in JSON"),
            );
        }
        self.before_value(RootKind::Scalar);
        write_python_float(f, self.out);
        Ok(())
    }

    /// A string; one starting with U+0000 is `UnsupportedValue` (it would read back as binary).
    pub fn str(&mut self, s: &str) -> Result<()> {
        if s.starts_with('\0') {
            return err(
                ErrorCode::UnsupportedValue,
                "a string starting with U+0000 would be read back as binary in JSON",
            );
        }
        self.before_value(RootKind::Scalar);
        write_json_str(s, self.out);
        Ok(())
    }

    /// Binary, as `"\u0000" + base64` (or out of band, see
    /// [`JsonWriter::with_side_binaries`]).
    pub fn bytes(&mut self, b: &[u8]) {
        self.before_value(RootKind::Scalar);
        self.out.extend_from_slice(b"\"\\u0000");
        if let Some(side) = self.side.as_deref_mut() {
            let start = side.len();
            side.extend_from_slice(b);
            let range = format!("{start}-{}\"", side.len());
            self.out.extend_from_slice(range.as_bytes());
            return;
        }
        let start = self.out.len();
        self.out.resize(start + b.len().div_ceil(3) * 4, 0);
        let written = self
            .out
            .get_mut(start..)
            .map_or(0, |dst| BASE64.encode_slice(b, dst).unwrap_or(0));
        self.out.truncate(start + written);
        self.out.push(b'"');
    }

    /// Opens a list.
    pub fn begin_list(&mut self) -> Result<()> {
        self.open(b'[', RootKind::List)
    }

    /// Closes the innermost list.
    pub fn end_list(&mut self) {
        self.close(b']', RootKind::List);
    }

    /// Opens a map.
    pub fn begin_map(&mut self) -> Result<()> {
        self.open(b'{', RootKind::Map)
    }

    /// The next key of the innermost map; its value follows.
    pub fn key(&mut self, k: &str) {
        if !self.in_map() || self.after_key {
            self.misused = true;
        }
        self.separate();
        write_json_str(k, self.out);
        self.out.push(b':');
        self.after_key = true;
    }

    /// Closes the innermost map.
    pub fn end_map(&mut self) {
        self.close(b'}', RootKind::Map);
    }
}

/// A binding's value that writes itself as WAMP-JSON, so a payload can be sealed
/// straight from the binding's objects (see [`crate::Sealer::json_plaintext`]).
pub trait WriteJson {
    /// Writes exactly one value through `w`.
    fn write_json(&self, w: &mut JsonWriter<'_>) -> Result<()>;
}

/// Appends `{"uri":…,"args":…,"kwargs":…}` as Autobahn|Python writes it; `args` must
/// write a list and `kwargs` a map. With `side`, binaries go out of band (see
/// [`JsonWriter::with_side_binaries`]).
pub(crate) fn write_json_plaintext(
    out: &mut Vec<u8>,
    mut side: Option<&mut Vec<u8>>,
    uri: Option<&str>,
    args: Option<&dyn WriteJson>,
    kwargs: Option<&dyn WriteJson>,
) -> Result<()> {
    out.extend_from_slice(b"{\"uri\":");
    match uri {
        Some(u) => JsonWriter::new(out, 1).str(u)?,
        None => out.extend_from_slice(b"null"),
    }
    for (key, part, want, name) in [
        (&b",\"args\":"[..], args, RootKind::List, "args"),
        (&b",\"kwargs\":"[..], kwargs, RootKind::Map, "kwargs"),
    ] {
        out.extend_from_slice(key);
        let Some(part) = part else {
            out.extend_from_slice(b"null");
            continue;
        };
        let mut w = match side.as_deref_mut() {
            Some(side) => JsonWriter::with_side_binaries(out, 1, side),
            None => JsonWriter::new(out, 1),
        };
        part.write_json(&mut w).map_err(|e| e.within(name))?;
        check_json_part(&w, want, name)?;
    }
    out.push(b'}');
    Ok(())
}

/// Checks that `w` wrote one `want` (a list for `args`, a map for `kwargs`).
pub(crate) fn check_json_part(w: &JsonWriter<'_>, want: RootKind, name: &str) -> Result<()> {
    if w.root() == want && w.is_complete() {
        return Ok(());
    }
    let kind = if want == RootKind::List {
        "list"
    } else {
        "map"
    };
    err(
        ErrorCode::InvalidArgument,
        format!("{name}: expected one {kind}"),
    )
}

/// Decodes a WAMP-JSON binary string (`"\u0000" + base64`).
pub(crate) fn json_binary(s: &str) -> Result<Vec<u8>> {
    decode_base64(s.get(1..).unwrap_or(""))
}

/// The base64 of a WAMP-JSON binary string (after the U+0000).
pub(crate) fn decode_base64(base64: &str) -> Result<Vec<u8>> {
    BASE64.decode(base64).or_else(|e| {
        err(
            ErrorCode::InvalidBase64,
            format!("json binary string: {e} (length {})", base64.len()),
        )
    })
}

/// WAMP-JSON text (e.g. a JavaScript `JSON.stringify` result) written through a
/// [`JsonWriter`] value by value, as the core writes values: floats in Python's
/// repr, binaries re-encoded, the same checks; parsing errors are `InvalidJson`,
/// bad binaries `InvalidBase64`. No value tree is built.
#[derive(Clone, Copy)]
pub struct JsonText<'a>(pub &'a str);

impl<'a> JsonText<'a> {
    /// The elements of the JSON text `[uri, args, kwargs]` (`null` is `None`), for
    /// bindings that hand a message over as one string (each string crossing their
    /// boundary costs). A URI with JSON escapes in it is `InvalidJson` (WAMP URIs
    /// have none).
    pub fn message(text: &'a str) -> Result<(&'a str, [Option<JsonText<'a>>; 2])> {
        type Raw<'r> = Option<&'r serde_json::value::RawValue>;
        let (uri, args, kwargs): (&str, Raw<'_>, Raw<'_>) = serde_json::from_str(text)
            .or_else(|e| err(ErrorCode::InvalidJson, format!("json: {e}")))?;
        Ok((
            uri,
            [
                args.map(|a| JsonText(a.get())),
                kwargs.map(|k| JsonText(k.get())),
            ],
        ))
    }
}

impl<'a> JsonText<'a> {
    /// The JSON plaintext `{"uri":…,"args":…,"kwargs":…}` of the message text
    /// `[uri, args, kwargs]`, written in one pass: `start` is given the URI (first in
    /// the text) and returns the buffer to write into (a [`crate::Sealer`]'s, chosen
    /// by the URI); `args` and `kwargs` are then transcoded as they are parsed. The
    /// same rules and errors as [`JsonText::message`] and writing each part through
    /// [`WriteJson`]; `start`'s errors come back as they are.
    pub fn message_plaintext(
        text: &'a str,
        start: impl FnOnce(&'a str) -> Result<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        let mut failure = None;
        let mut de = serde_json::Deserializer::from_str(text);
        let written = serde::de::Deserializer::deserialize_seq(
            &mut de,
            MessageVisitor {
                start,
                failure: &mut failure,
            },
        )
        .and_then(|out| de.end().map(|()| out));
        written.map_err(|e| failure_or(failure, ErrorCode::InvalidJson, "json", e))
    }
}

/// Reads `[uri, args, kwargs]`, writing the plaintext as it goes.
struct MessageVisitor<'f, F> {
    start: F,
    failure: &'f mut Option<Error>,
}

impl<'de, F: FnOnce(&'de str) -> Result<Vec<u8>>> serde::de::Visitor<'de>
    for MessageVisitor<'_, F>
{
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a message [uri, args, kwargs]")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Vec<u8>, A::Error> {
        use serde::de::Error as _;
        let length = |n| A::Error::invalid_length(n, &"a message [uri, args, kwargs]");
        let uri: &'de str = seq.next_element()?.ok_or_else(|| length(0))?;
        let mut out = (self.start)(uri).map_err(|e| keep_failure(self.failure, e))?;
        out.extend_from_slice(b"{\"uri\":");
        let written = JsonWriter::new(&mut out, 1).str(uri);
        written.map_err(|e| keep_failure(self.failure, e))?;
        for (i, (key, want, name)) in [
            (&b",\"args\":"[..], RootKind::List, "args"),
            (&b",\"kwargs\":"[..], RootKind::Map, "kwargs"),
        ]
        .into_iter()
        .enumerate()
        {
            out.extend_from_slice(key);
            let start = out.len();
            let mut w = JsonWriter::new(&mut out, 1);
            let present = seq.next_element_seed(Transcode {
                w: &mut w,
                failure: &mut *self.failure,
            });
            let checked = check_json_part(&w, want, name);
            match present {
                Ok(Some(())) => {}
                Ok(None) => return Err(length(i + 1)),
                Err(e) => {
                    if let Some(f) = self.failure.take() {
                        *self.failure = Some(f.within(name));
                    }
                    return Err(e);
                }
            }
            // A part may also be null.
            if let Err(e) = checked {
                if out.get(start..) != Some(&b"null"[..]) {
                    return Err(keep_failure(self.failure, e));
                }
            }
        }
        if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
            return Err(length(4));
        }
        out.push(b'}');
        Ok(out)
    }
}

impl WriteJson for JsonText<'_> {
    fn write_json(&self, w: &mut JsonWriter<'_>) -> Result<()> {
        let mut failure = None;
        let mut de = serde_json::Deserializer::from_str(self.0);
        let written = serde::de::DeserializeSeed::deserialize(
            Transcode {
                w,
                failure: &mut failure,
            },
            &mut de,
        )
        .and_then(|()| de.end());
        written.map_err(|e| failure_or(failure, ErrorCode::InvalidJson, "json", e))
    }
}

/// Writes each value as serde_json parses it.
struct Transcode<'t, 'w> {
    w: &'t mut JsonWriter<'w>,
    failure: &'t mut Option<Error>,
}

impl Transcode<'_, '_> {
    fn done<E: serde::de::Error>(self, r: Result<()>) -> std::result::Result<(), E> {
        r.map_err(|e| keep_failure(self.failure, e))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Transcode<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Transcode<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a WAMP-JSON value")
    }
    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        self.w.null();
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, b: bool) -> std::result::Result<(), E> {
        self.w.bool(b);
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, i: i64) -> std::result::Result<(), E> {
        self.w.i64(i);
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, u: u64) -> std::result::Result<(), E> {
        match i64::try_from(u) {
            Ok(i) => self.w.i64(i),
            Err(_) => self.w.u64(u),
        }
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, f: f64) -> std::result::Result<(), E> {
        let r = self.w.f64(f);
        self.done(r)
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<(), E> {
        let r = if s.starts_with('\0') {
            json_binary(s).map(|b| self.w.bytes(&b))
        } else {
            self.w.str(s)
        };
        self.done(r)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        let opened = self.w.begin_list();
        if opened.is_err() {
            return self.done(opened);
        }
        while seq
            .next_element_seed(Transcode {
                w: &mut *self.w,
                failure: &mut *self.failure,
            })?
            .is_some()
        {}
        self.w.end_list();
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<(), A::Error> {
        let opened = self.w.begin_map();
        if opened.is_err() {
            return self.done(opened);
        }
        while map.next_key_seed(KeyWrite(&mut *self.w))?.is_some() {
            map.next_value_seed(Transcode {
                w: &mut *self.w,
                failure: &mut *self.failure,
            })?;
        }
        self.w.end_map();
        Ok(())
    }
}

/// A map key, written as it is parsed.
struct KeyWrite<'t, 'w>(&'t mut JsonWriter<'w>);

impl<'de> serde::de::DeserializeSeed<'de> for KeyWrite<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for KeyWrite<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string map key")
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<(), E> {
        self.0.key(s);
        Ok(())
    }
}

/// Python's JSON string escaping with `ensure_ascii=False`.
pub(crate) fn write_json_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs escaping (most strings, wholly).
        while let Some(word) = bytes
            .get(i..i + 8)
            .and_then(|c| <[u8; 8]>::try_from(c).ok())
        {
            if needs_escape(u64::from_le_bytes(word)) {
                break;
            }
            i += 8;
        }
        let end = (i + 8).min(bytes.len());
        while i < end {
            let b = bytes.get(i).copied().unwrap_or(0);
            i += 1;
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
            out.extend_from_slice(bytes.get(run_start..i - 1).unwrap_or_default());
            if escape.is_empty() {
                // Control characters are below 0x20: "\u00" and two lowercase hex digits.
                out.extend_from_slice(b"\\u00");
                out.push(b'0' + (b >> 4));
                out.push(HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0'));
            } else {
                out.extend_from_slice(escape);
            }
            run_start = i;
        }
    }
    out.extend_from_slice(bytes.get(run_start..).unwrap_or_default());
    out.push(b'"');
}

/// Whether any of the eight bytes of `w` is `"`, `\` or below 0x20 (the bit tricks
/// of "determine if a word has a byte less than n": exact for "any").
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    (below(w, 0x20) | below(quote, 1) | below(backslash, 1)) != 0
}

const HEX: [u8; 16] = *b"0123456789abcdef";

/// Formats a finite float as Python's `repr` does: shortest round-trip digits, fixed
/// notation for decimal exponents in [-4, 16), otherwise `d.ddde+XX`.
pub(crate) fn write_python_float(f: f64, out: &mut Vec<u8>) {
    let mut buf = ryu::Buffer::new();
    let shortest = buf.format_finite(f);
    // ryu writes fixed notation (with ".0" for integral values) exactly as Python
    // does wherever both use it, i.e. whenever it wrote no exponent and |f| >= 1e-4.
    if !shortest.contains('e') && (f == 0.0 || f.abs() >= 1e-4) {
        out.extend_from_slice(shortest.as_bytes());
        return;
    }
    write_python_float_from_digits(shortest, out);
}

/// [`write_python_float`] from ryu's shortest digits, for any finite value.
pub(crate) fn write_python_float_from_digits(shortest: &str, out: &mut Vec<u8>) {
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
        return;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut JsonWriter<'_>) -> Result<()>) -> Result<String> {
        let mut out = Vec::new();
        let mut w = JsonWriter::new(&mut out, 0);
        f(&mut w)?;
        assert!(w.is_complete());
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn commas_and_colons_are_placed_by_the_writer() {
        let s = written(|w| {
            w.begin_list()?;
            w.i64(1);
            w.begin_map()?;
            w.key("a");
            w.null();
            w.key("b");
            w.begin_list()?;
            w.end_list();
            w.key("c");
            w.begin_map()?;
            w.end_map();
            w.end_map();
            w.bytes(b"\x00\x01");
            w.str("x")?;
            w.end_list();
            Ok(())
        })
        .unwrap();
        assert_eq!(s, r#"[1,{"a":null,"b":[],"c":{}},"\u0000AAE=","x"]"#);
    }

    #[test]
    fn json_text_errors_and_message_parts() {
        // Written as the parsed value would be: in the builder's tests (which parse).
        let code = |t: &str| written(|w| JsonText(t).write_json(w)).unwrap_err().code();
        assert_eq!(code("[1,"), ErrorCode::InvalidJson);
        assert_eq!(code("[1] 2"), ErrorCode::InvalidJson);
        assert_eq!(code(r#"["\u0000!!"]"#), ErrorCode::InvalidBase64);
        assert_eq!(code(&"[".repeat(101)), ErrorCode::UnsupportedValue);
        let (uri, [a, k]) = JsonText::message(r#"["com.x",[1,{"x":2}],null]"#).unwrap();
        assert_eq!(uri, "com.x");
        assert_eq!(a.map(|t| t.0), Some(r#"[1,{"x":2}]"#));
        assert!(k.is_none());
        assert!(JsonText::message(r#"["com.x",[1]]"#).is_err());
        assert!(JsonText::message(r#"["com.\"x",null,null]"#).is_err());
    }

    /// Byte by byte, as `write_json_str` was before it learned to skip eight at a time.
    fn escaped_byte_by_byte(s: &str) -> Vec<u8> {
        let mut out = vec![b'"'];
        for c in s.chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                c if (c as u32) < 0x20 => {
                    out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
                }
                c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        out.push(b'"');
        out
    }

    proptest::proptest! {
        #[test]
        fn strings_escape_as_byte_by_byte(
            s in proptest::string::string_regex("[a-z\"\\\\\\x00-\\x1f\\x7f é€😀]{0,40}").unwrap(),
            any in proptest::prelude::any::<String>(),
        ) {
            for s in [&s, &any] {
                let mut out = Vec::new();
                write_json_str(s, &mut out);
                proptest::prop_assert_eq!(out, escaped_byte_by_byte(s));
            }
        }
    }

    #[test]
    fn binaries_can_go_out_of_band() {
        let (mut out, mut side) = (Vec::new(), Vec::new());
        let mut w = JsonWriter::with_side_binaries(&mut out, 0, &mut side);
        WriteJson::write_json(
            &JsonText(r#"[1,"\u0000AQI=",{"b":"\u0000","c":"\u0000/w=="}]"#),
            &mut w,
        )
        .unwrap();
        assert!(w.is_complete());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[1,"\u00000-2",{"b":"\u00002-2","c":"\u00002-3"}]"#
        );
        assert_eq!(side, [1, 2, 255]);
    }

    #[test]
    fn a_message_is_written_in_one_pass_as_part_by_part() {
        let one_pass = |t: &str| JsonText::message_plaintext(t, |_| Ok(Vec::new()));
        for text in [
            r#"["com.x",[1,{"x":2.5,"y":"\u0000AQI="}],{"k":[null,true]}]"#,
            r#"["com.x",null,null]"#,
            r#" [ "com.x" , [ ] , { } ] "#,
            r#"["com.é",["é\n"],null]"#,
        ] {
            let (uri, [a, k]) = JsonText::message(text).unwrap();
            let mut part_by_part = Vec::new();
            write_json_plaintext(
                &mut part_by_part,
                None,
                Some(uri),
                a.as_ref().map(|a| a as &dyn WriteJson),
                k.as_ref().map(|k| k as &dyn WriteJson),
            )
            .unwrap();
            assert_eq!(one_pass(text).unwrap(), part_by_part, "{text}");
        }
        let code = |t: &str| one_pass(t).unwrap_err().code();
        assert_eq!(code(r#"["com.x",[1]]"#), ErrorCode::InvalidJson);
        assert_eq!(code(r#"["com.x",[1],null,4]"#), ErrorCode::InvalidJson);
        assert_eq!(code(r#"["com.\"x",null,null]"#), ErrorCode::InvalidJson);
        assert_eq!(code(r#"["com.x",[1],null] x"#), ErrorCode::InvalidJson);
        assert_eq!(code(r#"[null,null,null]"#), ErrorCode::InvalidJson);
        assert_eq!(code(r#"["\u0000x",null,null]"#), ErrorCode::InvalidJson); // escaped
        assert_eq!(
            code(r#"["com.x",{"a":1},null]"#),
            ErrorCode::InvalidArgument
        );
        assert_eq!(code(r#"["com.x",null,[1]]"#), ErrorCode::InvalidArgument);
        assert_eq!(code(r#"["com.x",1,null]"#), ErrorCode::InvalidArgument);
        let e = one_pass(r#"["com.x",null,{"b":"\u0000!!"}]"#).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidBase64);
        assert!(e.message().starts_with("kwargs"), "{}", e.message());
        let deep = format!(r#"["com.x",{}1{},null]"#, "[".repeat(100), "]".repeat(100));
        assert_eq!(code(&deep), ErrorCode::UnsupportedValue);
        // `start` is given the URI first; its errors come back as they are.
        let refused = JsonText::message_plaintext(r#"["com.x",null,null]"#, |uri| {
            assert_eq!(uri, "com.x");
            err(ErrorCode::KeyNotFound, "no key")
        });
        assert_eq!(refused.unwrap_err().code(), ErrorCode::KeyNotFound);
    }

    #[test]
    fn calls_out_of_order_leave_the_writer_incomplete() {
        let cases: [fn(&mut JsonWriter<'_>); 6] = [
            |w| {
                w.null();
                w.null();
            },
            |w| w.key("k"),
            |w| {
                w.begin_map().unwrap();
                w.null();
                w.end_map();
            },
            |w| {
                w.begin_list().unwrap();
                w.key("k");
                w.null();
                w.end_list();
            },
            |w| {
                w.begin_map().unwrap();
                w.key("k");
                w.end_map();
            },
            |w| {
                w.begin_list().unwrap();
                w.end_map();
            },
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let mut out = Vec::new();
            let mut w = JsonWriter::new(&mut out, 0);
            case(&mut w);
            assert!(!w.is_complete(), "case {i}");
        }
    }

    #[test]
    fn depth_counts_enclosing_containers() {
        let mut out = Vec::new();
        let mut w = JsonWriter::new(&mut out, MAX_DEPTH - 1);
        w.begin_list().unwrap();
        assert_eq!(
            w.begin_list().unwrap_err().code(),
            ErrorCode::UnsupportedValue
        );
    }

    #[test]
    fn root_kind_is_the_outermost_value() {
        let mut out = Vec::new();
        let mut w = JsonWriter::new(&mut out, 0);
        assert!(!w.is_complete());
        w.begin_map().unwrap();
        w.key("k");
        w.begin_list().unwrap();
        w.end_list();
        assert!(!w.is_complete());
        w.end_map();
        assert_eq!(w.root(), RootKind::Map);
        assert!(w.is_complete());
    }
}
