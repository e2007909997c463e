//! Parsing plaintexts straight into a binding's own values. The core parses (and
//! decides: grammar, WAMP-JSON binaries, map keys, the plaintext's shape); a
//! [`ValueBuilder`] only makes values, so a large payload is never held twice.
//! [`ValueTree`] builds the core's own [`Value`].

use crate::error::{err, Error, ErrorCode, Result};
use crate::plaintext::json_writer::{decode_base64, json_binary};
use crate::plaintext::limits::{failure_or, keep_failure, too_deep, MAX_DEPTH};
use crate::plaintext::serializer::Serializer;
use crate::plaintext::value::Value;
use serde::de::{self, Deserialize, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Makes a binding's values as the core parses them. A builder that fails for its
/// own reasons (an allocation in its runtime) returns any error and keeps its cause.
pub trait ValueBuilder {
    /// A value.
    type Value;
    /// A map key.
    type Key;
    /// Null.
    fn null(&mut self) -> Result<Self::Value>;
    /// A boolean.
    fn bool(&mut self, b: bool) -> Result<Self::Value>;
    /// A signed integer.
    fn i64(&mut self, i: i64) -> Result<Self::Value>;
    /// An unsigned integer above `i64::MAX`.
    fn u64(&mut self, u: u64) -> Result<Self::Value>;
    /// A float.
    fn f64(&mut self, f: f64) -> Result<Self::Value>;
    /// A string.
    fn str(&mut self, s: &str) -> Result<Self::Value>;
    /// Binary.
    fn bytes(&mut self, b: &[u8]) -> Result<Self::Value>;
    /// A WAMP-JSON binary string's base64 (after the U+0000): decoded and handed
    /// to [`ValueBuilder::bytes`], unless a builder that does not need the bytes
    /// overrides this. Bad base64 is `InvalidBase64`.
    fn json_binary(&mut self, base64: &str) -> Result<Self::Value> {
        self.bytes(&decode_base64(base64)?)
    }
    /// A list of values made by this builder.
    fn list(&mut self, items: Vec<Self::Value>) -> Result<Self::Value>;
    /// A map key.
    fn key(&mut self, k: &str) -> Result<Self::Key>;
    /// A map, entries in their wire order.
    fn map(&mut self, entries: Vec<(Self::Key, Self::Value)>) -> Result<Self::Value>;
    /// Whether [`ValueBuilder::big_int`] makes values (a language with integers of
    /// any size); otherwise JSON integers beyond 64 bits are `UnsupportedValue`.
    fn takes_big_ints(&self) -> bool {
        false
    }
    /// A JSON integer beyond 64 bits, as its decimal text (`-?[0-9]+`), exactly.
    fn big_int(&mut self, decimal: &str) -> Result<Self::Value> {
        err(
            ErrorCode::UnsupportedValue,
            format!(
                "an integer of {} digits does not fit 64 bits",
                decimal.len()
            ),
        )
    }
}

/// Builds the core's [`Value`].
pub struct ValueTree;

impl ValueBuilder for ValueTree {
    type Value = Value;
    type Key = String;
    fn null(&mut self) -> Result<Value> {
        Ok(Value::Null)
    }
    fn bool(&mut self, b: bool) -> Result<Value> {
        Ok(Value::Bool(b))
    }
    fn i64(&mut self, i: i64) -> Result<Value> {
        Ok(Value::Int(i))
    }
    fn u64(&mut self, u: u64) -> Result<Value> {
        Ok(Value::from_u64(u))
    }
    fn f64(&mut self, f: f64) -> Result<Value> {
        Ok(Value::Float(f))
    }
    fn str(&mut self, s: &str) -> Result<Value> {
        Ok(Value::String(s.to_owned()))
    }
    fn bytes(&mut self, b: &[u8]) -> Result<Value> {
        Ok(Value::Bytes(b.to_vec()))
    }
    fn list(&mut self, items: Vec<Value>) -> Result<Value> {
        Ok(Value::List(items))
    }
    fn key(&mut self, k: &str) -> Result<String> {
        Ok(k.to_owned())
    }
    fn map(&mut self, entries: Vec<(String, Value)>) -> Result<Value> {
        Ok(Value::Map(entries))
    }
}

/// Parse state shared by the seeds: the builder, whether strings follow the
/// WAMP-JSON binary convention, and the first core error (kept with its code,
/// while serde only carries a message).
pub(crate) struct Ctx<'b, B> {
    pub(crate) builder: &'b mut B,
    pub(crate) json: bool,
    pub(crate) failure: Option<Error>,
    /// Lists and maps open around the value being parsed: every reader stops at
    /// [`MAX_DEPTH`], before the recursion can exhaust a thread's stack.
    pub(crate) depth: usize,
    /// A JSON number parsed as an integral float of 64-bit magnitude or more: it
    /// may have been an integer too wide for 64 bits (serde_json reads those as
    /// floats), so the text is checked by [`json_numbers`] after the parse.
    pub(crate) wide_float: bool,
    /// Strings starting with [`BIG_INT_MARK`] are big integers (set only when
    /// parsing text rewritten by [`marked_big_ints`]).
    pub(crate) big_ints: bool,
}

impl<'b, B> Ctx<'b, B> {
    pub(crate) fn new(builder: &'b mut B, json: bool) -> Self {
        Ctx {
            builder,
            json,
            failure: None,
            depth: 0,
            wide_float: false,
            big_ints: false,
        }
    }

    /// Enters a list or map; `UnsupportedValue` beyond [`MAX_DEPTH`].
    fn enter<E: de::Error>(&mut self) -> std::result::Result<(), E> {
        self.depth += 1;
        match self.depth {
            d if d > MAX_DEPTH => too_deep("plaintext").map_err(|e| self.fail(e)),
            _ => Ok(()),
        }
    }
}

impl<B> Ctx<'_, B> {
    fn fail<E: de::Error>(&mut self, e: Error) -> E {
        keep_failure(&mut self.failure, e)
    }

    /// The parse error as a core error: a kept failure first, else `code` with serde's message.
    pub(crate) fn error(&mut self, code: ErrorCode, prefix: &str, e: impl fmt::Display) -> Error {
        failure_or(self.failure.take(), code, prefix, e)
    }
}

/// One value, any kind.
pub(crate) struct ValueSeed<'c, 'b, B>(pub(crate) &'c mut Ctx<'b, B>);

impl<'de, B: ValueBuilder> DeserializeSeed<'de> for ValueSeed<'_, '_, B> {
    type Value = B::Value;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<B::Value, D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! build {
    ($ctx:expr, $call:expr) => {
        match $call {
            Ok(v) => Ok(v),
            Err(e) => Err($ctx.fail(e)),
        }
    };
}

impl<'de, B: ValueBuilder> Visitor<'de> for ValueSeed<'_, '_, B> {
    type Value = B::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a WAMP payload value")
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<B::Value, E> {
        build!(self.0, self.0.builder.null())
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<B::Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<B::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<B::Value, E> {
        build!(self.0, self.0.builder.bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> std::result::Result<B::Value, E> {
        build!(self.0, self.0.builder.i64(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> std::result::Result<B::Value, E> {
        match i64::try_from(u) {
            Ok(i) => build!(self.0, self.0.builder.i64(i)),
            Err(_) => build!(self.0, self.0.builder.u64(u)),
        }
    }
    fn visit_i128<E: de::Error>(self, i: i128) -> std::result::Result<B::Value, E> {
        if let Ok(v) = i64::try_from(i) {
            self.visit_i64(v)
        } else if let Ok(v) = u64::try_from(i) {
            self.visit_u64(v)
        } else {
            Err(E::custom("integer out of 64-bit range"))
        }
    }
    fn visit_u128<E: de::Error>(self, u: u128) -> std::result::Result<B::Value, E> {
        match u64::try_from(u) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom("integer out of 64-bit range")),
        }
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> std::result::Result<B::Value, E> {
        if self.0.json && f.fract() == 0.0 && f.abs() >= 9.2e18 {
            self.0.wide_float = true;
        }
        build!(self.0, self.0.builder.f64(f))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<B::Value, E> {
        if self.0.big_ints {
            if let Some(decimal) = s.strip_prefix(BIG_INT_MARK) {
                return build!(self.0, self.0.builder.big_int(decimal));
            }
        }
        if self.0.json && s.starts_with('\0') {
            return build!(self.0, self.0.builder.json_binary(s.get(1..).unwrap_or("")));
        }
        build!(self.0, self.0.builder.str(s))
    }
    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> std::result::Result<B::Value, E> {
        build!(self.0, self.0.builder.bytes(b))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<B::Value, A::Error> {
        self.0.enter()?;
        // Cap the pre-allocation: the length hint comes from untrusted input.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(ValueSeed(&mut *self.0))? {
            items.push(v);
        }
        self.0.depth -= 1;
        build!(self.0, self.0.builder.list(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<B::Value, A::Error> {
        self.0.enter()?;
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(k) = map.next_key_seed(KeySeed(&mut *self.0))? {
            let v = map.next_value_seed(ValueSeed(&mut *self.0))?;
            entries.push((k, v));
        }
        self.0.depth -= 1;
        build!(self.0, self.0.builder.map(entries))
    }
}

/// A map key: WAMP dictionaries have string keys only.
struct KeySeed<'c, 'b, B>(&'c mut Ctx<'b, B>);

impl<'de, B: ValueBuilder> DeserializeSeed<'de> for KeySeed<'_, '_, B> {
    type Value = B::Key;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<B::Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<B: ValueBuilder> Visitor<'_> for KeySeed<'_, '_, B> {
    type Value = B::Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string map key")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<B::Key, E> {
        build!(self.0, self.0.builder.key(s))
    }
}

/// The parts of an opened plaintext, as the builder made them.
#[derive(Debug)]
pub struct Opened<V> {
    /// The URI the payload was sealed for, if it carries one.
    pub uri: Option<String>,
    /// Positional arguments (a list).
    pub args: Option<V>,
    /// Keyword arguments (a map).
    pub kwargs: Option<V>,
}

/// Which part of the plaintext map a value is.
#[derive(Clone, Copy)]
enum Part {
    Uri,
    Args,
    Kwargs,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Uri => "uri",
            Part::Args => "args",
            Part::Kwargs => "kwargs",
        }
    }
}

enum PartValue<V> {
    Absent,
    Uri(String),
    Built(V),
}

/// A plaintext map key: which part it names, if any (read without allocating).
struct PartName;

impl<'de> DeserializeSeed<'de> for PartName {
    type Value = Option<Part>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Option<Part>, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for PartName {
    type Value = Option<Part>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string map key")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Option<Part>, E> {
        Ok(match s {
            "uri" => Some(Part::Uri),
            "args" => Some(Part::Args),
            "kwargs" => Some(Part::Kwargs),
            _ => None,
        })
    }
}

/// The value of one plaintext part: null (absent), or the kind the part must be.
struct PartSeed<'c, 'b, B>(&'c mut Ctx<'b, B>, Part);

impl<'de, B: ValueBuilder> DeserializeSeed<'de> for PartSeed<'_, '_, B> {
    type Value = PartValue<B::Value>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<B> PartSeed<'_, '_, B> {
    fn wrong<T, E: de::Error>(self, kind: &str) -> std::result::Result<T, E> {
        let e = Error::new(
            ErrorCode::InvalidPayload,
            format!("plaintext {:?} is a {kind}", self.1.name()),
        );
        Err(self.0.fail(e))
    }
}

impl<'de, B: ValueBuilder> Visitor<'de> for PartSeed<'_, '_, B> {
    type Value = PartValue<B::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a plaintext part")
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(PartValue::Absent)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(PartValue::Absent)
    }
    fn visit_some<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        self.wrong("bool")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        self.wrong("integer")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        self.wrong("integer")
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> std::result::Result<Self::Value, E> {
        self.wrong("integer")
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> std::result::Result<Self::Value, E> {
        self.wrong("integer")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        self.wrong("float")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Self::Value, E> {
        if self.0.json && s.starts_with('\0') {
            json_binary(s).map_err(|e| self.0.fail::<E>(e))?;
            return self.wrong("bytes");
        }
        match self.1 {
            Part::Uri => Ok(PartValue::Uri(s.to_owned())),
            _ => self.wrong("string"),
        }
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> std::result::Result<Self::Value, E> {
        self.wrong("bytes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        match self.1 {
            Part::Args => ValueSeed(self.0).visit_seq(seq).map(PartValue::Built),
            _ => self.wrong("list"),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        match self.1 {
            Part::Kwargs => ValueSeed(self.0).visit_map(map).map(PartValue::Built),
            _ => self.wrong("map"),
        }
    }
}

/// Which of `uri`, `args`, `kwargs` a plaintext map had so far: each may appear
/// once. A duplicate is `InvalidPayload`, so that no two parsers (first wins, last
/// wins) can show two receivers different payloads from one sender.
#[derive(Default)]
struct Parts(u8);

impl Parts {
    fn first(&mut self, part: Part) -> Result<()> {
        let (bit, name) = match part {
            Part::Uri => (1, "uri"),
            Part::Args => (2, "args"),
            Part::Kwargs => (4, "kwargs"),
        };
        if self.0 & bit != 0 {
            return err(
                ErrorCode::InvalidPayload,
                format!("plaintext has the key {name:?} twice"),
            );
        }
        self.0 |= bit;
        Ok(())
    }
}

/// The whole plaintext: a map of `uri`, `args`, `kwargs` (null = absent, each at
/// most once, other keys ignored).
pub(crate) struct PlaintextSeed<'c, 'b, B>(pub(crate) &'c mut Ctx<'b, B>);

impl<'de, B: ValueBuilder> DeserializeSeed<'de> for PlaintextSeed<'_, '_, B> {
    type Value = Opened<B::Value>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<B> PlaintextSeed<'_, '_, B> {
    fn not_a_map<T, E: de::Error>(self, kind: &str) -> std::result::Result<T, E> {
        let e = Error::new(
            ErrorCode::InvalidPayload,
            format!("plaintext is a {kind}, expected a map"),
        );
        Err(self.0.fail(e))
    }
}

impl<'de, B: ValueBuilder> Visitor<'de> for PlaintextSeed<'_, '_, B> {
    type Value = Opened<B::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a payload plaintext map")
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        self.not_a_map("null")
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        self.not_a_map("null")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        self.not_a_map("bool")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        self.not_a_map("integer")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        self.not_a_map("integer")
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> std::result::Result<Self::Value, E> {
        self.not_a_map("integer")
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> std::result::Result<Self::Value, E> {
        self.not_a_map("integer")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        self.not_a_map("float")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Self::Value, E> {
        let kind = if self.0.json && s.starts_with('\0') {
            "bytes"
        } else {
            "string"
        };
        self.not_a_map(kind)
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> std::result::Result<Self::Value, E> {
        self.not_a_map("bytes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<Self::Value, A::Error> {
        self.not_a_map("list")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut opened = Opened {
            uri: None,
            args: None,
            kwargs: None,
        };
        let mut seen = Parts::default();
        while let Some(part) = map.next_key_seed(PartName)? {
            let Some(part) = part else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if let Err(e) = seen.first(part) {
                return Err(self.0.fail(e));
            }
            // Null is absent.
            match (part, map.next_value_seed(PartSeed(&mut *self.0, part))?) {
                (_, PartValue::Absent) => {}
                (_, PartValue::Uri(u)) => opened.uri = Some(u),
                (Part::Args, PartValue::Built(v)) => opened.args = Some(v),
                (_, PartValue::Built(v)) => opened.kwargs = Some(v),
            }
        }
        Ok(opened)
    }
}

/// Runs `$seed` (made from `$ctx`) over JSON or MessagePack `$bytes` with trailing
/// bytes refused and errors kept with their codes; `$cbor` handles CBOR (ciborium
/// only deserializes owned types, so CBOR is parsed to a value first).
macro_rules! run_seed {
    ($serializer:expr, $bytes:expr, $ctx:ident, $seed:expr, $cbor:expr) => {
        match $serializer {
            Serializer::Json => {
                let text = json_text($bytes)?;
                let mut de = serde_json::Deserializer::from_str(text);
                let parsed = $seed
                    .deserialize(&mut de)
                    .and_then(|v| de.end().map(|()| v));
                // Never a different value: an integer wider than 64 bits is made
                // exactly by a builder that can (parsing again, the integers
                // marked), else refused; never delivered as the float serde_json
                // made of it. NaN/Infinity (Python's json.dumps writes them) are
                // refused as values, not reported as broken JSON.
                let first = parsed.map_err(|e| $ctx.error(ErrorCode::InvalidJson, "json", e));
                let suspect = match &first {
                    Ok(_) => $ctx.wide_float,
                    Err(e) => e.code() == ErrorCode::InvalidJson,
                };
                // The scan runs only when the parse gave a reason to look.
                let checked = if suspect { json_numbers(text) } else { Ok(()) };
                match checked {
                    Ok(()) => first,
                    Err(e) => {
                        let marked = if $ctx.builder.takes_big_ints() {
                            marked_big_ints(text)
                        } else {
                            None
                        };
                        match marked {
                            Some(marked) => {
                                drop(first);
                                $ctx.failure = None;
                                $ctx.depth = 0;
                                $ctx.big_ints = true;
                                let mut de = serde_json::Deserializer::from_str(&marked);
                                let parsed = $seed
                                    .deserialize(&mut de)
                                    .and_then(|v| de.end().map(|()| v));
                                parsed.map_err(|e| $ctx.error(ErrorCode::InvalidJson, "json", e))
                            }
                            None => Err(e),
                        }
                    }
                }
            }
            Serializer::Msgpack => {
                let mut rest = $bytes;
                let parsed = {
                    let mut de = rmp_serde::Deserializer::new(&mut rest);
                    // Ctx stops at MAX_DEPTH first (with its error code); this is
                    // rmp-serde's own guard, in case it ever recurses without us.
                    de.set_max_depth(2 * MAX_DEPTH);
                    $seed.deserialize(&mut de)
                };
                let parsed =
                    parsed.map_err(|e| $ctx.error(ErrorCode::InvalidMsgpack, "msgpack", e))?;
                trailing(ErrorCode::InvalidMsgpack, "msgpack", rest)?;
                Ok(parsed)
            }
            Serializer::Cbor => $cbor,
        }
    };
}

/// Parses a plaintext map in `serializer` into the builder's values (trailing
/// bytes are an error).
pub fn parse_plaintext<B: ValueBuilder>(
    serializer: Serializer,
    bytes: &[u8],
    builder: &mut B,
) -> Result<Opened<B::Value>> {
    let mut ctx = Ctx::new(builder, serializer == Serializer::Json);
    run_seed!(serializer, bytes, ctx, PlaintextSeed(&mut ctx), {
        let value = Serializer::Cbor.read(bytes)?;
        opened_from_value(value, ctx.builder)
    })
}

/// Parses one complete value in `serializer` (trailing bytes are an error).
pub fn parse_value<B: ValueBuilder>(
    serializer: Serializer,
    bytes: &[u8],
    builder: &mut B,
) -> Result<B::Value> {
    let mut ctx = Ctx::new(builder, serializer == Serializer::Json);
    run_seed!(serializer, bytes, ctx, ValueSeed(&mut ctx), {
        let mut rest = bytes;
        let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut rest, MAX_DEPTH)
            .or_else(|e| match e {
                ciborium::de::Error::RecursionLimitExceeded => too_deep("plaintext"),
                e => err(ErrorCode::InvalidCbor, format!("cbor: {e}")),
            })?;
        trailing(ErrorCode::InvalidCbor, "cbor", rest)?;
        replay(&value, ctx.builder)
    })
}

/// A JSON number serde_json does not read exactly, at its byte offsets.
enum Inexact {
    /// A bare `NaN`, `Infinity` or `-Infinity` token (Python's `json.dumps` writes them).
    NonFinite(usize),
    /// An integer literal beyond 64 bits (serde_json reads it as a float).
    BigInt(usize, usize),
}

/// The [`Inexact`] numbers of a JSON text, in order (strings skipped).
fn inexact_numbers(text: &str) -> Vec<Inexact> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                i += 1;
                while let Some(&c) = b.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                }
            }
            b'N' | b'I' => {
                let rest = b.get(i..).unwrap_or_default();
                if rest.starts_with(b"NaN") || rest.starts_with(b"Infinity") {
                    found.push(Inexact::NonFinite(i));
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while matches!(
                    b.get(i),
                    Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                ) {
                    i += 1;
                }
                let token = text.get(start..i).unwrap_or_default();
                let digits = token.strip_prefix('-').unwrap_or(token);
                if token == "-" && b.get(i..).unwrap_or_default().starts_with(b"Infinity") {
                    found.push(Inexact::NonFinite(start));
                } else if !digits.is_empty()
                    && digits.bytes().all(|c| c.is_ascii_digit())
                    && token.parse::<i64>().is_err()
                    && token.parse::<u64>().is_err()
                {
                    found.push(Inexact::BigInt(start, i));
                }
            }
            _ => i += 1,
        }
    }
    found
}

/// Refuses, as `UnsupportedValue` naming the byte offset (never the text), the
/// numbers of a JSON text wampe2e does not read exactly: integers beyond 64 bits
/// (for builders that cannot make them; from -2^63 to 2^64-1 are carried by all)
/// and the bare `NaN`, `Infinity` and `-Infinity` tokens Python's `json.dumps`
/// writes by default (not JSON; CBOR and MessagePack carry non-finite floats).
pub(crate) fn json_numbers(text: &str) -> Result<()> {
    match inexact_numbers(text).first() {
        None => Ok(()),
        Some(Inexact::NonFinite(at)) => err(
            ErrorCode::UnsupportedValue,
            format!(
                "json: a NaN or Infinity token at byte {at}: not JSON (Python's json writes \
                 it); wampe2e carries non-finite floats in CBOR and MessagePack only"
            ),
        ),
        Some(Inexact::BigInt(start, end)) => {
            let digits = text
                .get(*start..*end)
                .map_or(0, |t| t.trim_start_matches('-').len());
            err(
                ErrorCode::UnsupportedValue,
                format!(
                    "json: an integer of {digits} digits at byte {start} does not fit 64 \
                     bits; wampe2e carries integers from -2^63 to 2^64-1 exactly (and any \
                     size in Python) and refuses wider ones rather than deliver a float"
                ),
            )
        }
    }
}

/// What a string value starts with, in text rewritten by [`marked_big_ints`], when
/// it stands for a big integer: U+0000 (as WAMP-JSON binaries) then U+0001, which
/// base64 never holds.
const BIG_INT_MARK: &str = "\u{0}\u{1}";

/// The JSON text with each integer beyond 64 bits written as a string of
/// [`BIG_INT_MARK`] and its digits, for builders that make big integers; `None`
/// when the text also holds NaN/Infinity tokens, or an escaped U+0001 that could
/// be taken for the mark.
fn marked_big_ints(text: &str) -> Option<String> {
    if text.contains("\\u0001") {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut copied = 0;
    for found in inexact_numbers(text) {
        let Inexact::BigInt(start, end) = found else {
            return None;
        };
        out.push_str(text.get(copied..start)?);
        out.push_str("\"\\u0000\\u0001");
        out.push_str(text.get(start..end)?);
        out.push('"');
        copied = end;
    }
    out.push_str(text.get(copied..)?);
    Some(out)
}

fn json_text(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).or_else(|e| {
        err(
            ErrorCode::InvalidUtf8,
            format!("json: invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })
}

fn trailing(code: ErrorCode, what: &str, rest: &[u8]) -> Result<()> {
    if rest.is_empty() {
        Ok(())
    } else {
        err(code, format!("{what}: {} trailing bytes", rest.len()))
    }
}

/// Hands a core value to a builder, as if it had just been parsed.
pub fn replay<B: ValueBuilder>(v: &Value, b: &mut B) -> Result<B::Value> {
    match v {
        Value::Null => b.null(),
        Value::Bool(x) => b.bool(*x),
        Value::Int(i) => b.i64(*i),
        Value::UInt(u) => b.u64(*u),
        Value::Float(f) => b.f64(*f),
        Value::String(s) => b.str(s),
        Value::Bytes(x) => b.bytes(x),
        Value::List(l) => {
            let items = l.iter().map(|v| replay(v, b)).collect::<Result<Vec<_>>>()?;
            b.list(items)
        }
        Value::Map(m) => {
            let mut entries = Vec::with_capacity(m.len());
            for (k, v) in m {
                entries.push((b.key(k)?, replay(v, b)?));
            }
            b.map(entries)
        }
    }
}

/// [`PlaintextSeed`]'s rules over a parsed value.
fn opened_from_value<B: ValueBuilder>(value: Value, b: &mut B) -> Result<Opened<B::Value>> {
    let Value::Map(entries) = value else {
        return err(
            ErrorCode::InvalidPayload,
            format!("plaintext is a {}, expected a map", value.kind()),
        );
    };
    let mut opened = Opened {
        uri: None,
        args: None,
        kwargs: None,
    };
    let mut seen = Parts::default();
    for (k, v) in entries {
        let part = match k.as_str() {
            "uri" => Some(Part::Uri),
            "args" => Some(Part::Args),
            "kwargs" => Some(Part::Kwargs),
            _ => None,
        };
        if let Some(part) = part {
            seen.first(part)?;
        }
        match (k.as_str(), v) {
            (_, Value::Null) => {}
            ("uri", Value::String(s)) => opened.uri = Some(s),
            ("args", v @ Value::List(_)) => opened.args = Some(replay(&v, b)?),
            ("kwargs", v @ Value::Map(_)) => opened.kwargs = Some(replay(&v, b)?),
            ("uri" | "args" | "kwargs", other) => {
                return err(
                    ErrorCode::InvalidPayload,
                    format!("plaintext {k:?} is a {}", other.kind()),
                )
            }
            _ => {}
        }
    }
    Ok(opened)
}

/// Reading, with the parsers (the formats and writing are in
/// [`crate::plaintext::serializer`], below them).
impl Serializer {
    /// Parses one complete value; trailing bytes are an error.
    pub fn read(self, bytes: &[u8]) -> Result<Value> {
        parse_value(self, bytes, &mut ValueTree)
    }
}

/// Parses WAMP-JSON text: strings starting with U+0000 are base64 binaries.
pub fn read_json(bytes: &[u8]) -> Result<Value> {
    Serializer::Json.read(bytes)
}

/// Any serde format into a [`Value`], built by [`ValueTree`].
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut tree = ValueTree;
        let mut ctx = Ctx::new(&mut tree, false);
        d.deserialize_any(ValueSeed(&mut ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plaintext::json_writer::{JsonText, JsonWriter, WriteJson};
    use crate::plaintext::serializer::to_json_string;
    use crate::plaintext::value::Map;

    fn each_serializer(v: &Value) -> Vec<(Serializer, Vec<u8>)> {
        [Serializer::Json, Serializer::Cbor, Serializer::Msgpack]
            .into_iter()
            .map(|s| {
                let mut out = Vec::new();
                s.write(v, &mut out).unwrap();
                (s, out)
            })
            .collect()
    }

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn json_integers_beyond_64_bits_and_non_finite_tokens_are_refused_not_changed() {
        let ok = br#"{"uri":"a","args":[18446744073709551615,-9223372036854775808,1e300,1.0e19,"1180591620717411303424 NaN"]}"#;
        let opened = parse_plaintext(Serializer::Json, ok, &mut ValueTree).unwrap();
        assert_eq!(
            opened.args.unwrap(),
            Value::List(vec![
                Value::UInt(u64::MAX),
                Value::Int(i64::MIN),
                Value::Float(1e300),
                Value::Float(1e19),
                Value::from("1180591620717411303424 NaN"),
            ])
        );
        for (text, at) in [
            (
                &br#"{"uri":"a","args":[1180591620717411303424]}"#[..],
                "byte 19",
            ),
            (br#"{"uri":"a","args":[18446744073709551616]}"#, "byte 19"),
            (
                br#"{"uri":"a","kwargs":{"x":-9223372036854775809}}"#,
                "byte 25",
            ),
            (br#"{"uri":"a","args":[NaN]}"#, "byte 19"),
            (br#"{"uri":"a","args":[1,Infinity]}"#, "byte 21"),
            (br#"{"uri":"a","args":[-Infinity]}"#, "byte 19"),
        ] {
            let e = parse_plaintext(Serializer::Json, text, &mut ValueTree).unwrap_err();
            assert_eq!(e.code(), ErrorCode::UnsupportedValue, "{}", e.message());
            assert!(e.message().contains(at), "{}", e.message());
            assert!(
                !e.message().contains("1180591620717411303424"),
                "{}",
                e.message()
            );
        }
        // Broken JSON stays InvalidJson.
        let e = parse_plaintext(
            Serializer::Json,
            br#"{"uri":"a","args":[1-2]}"#,
            &mut ValueTree,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidJson);
    }

    /// ValueTree, with big integers as strings `big <digits>`.
    struct BigTree;

    impl ValueBuilder for BigTree {
        type Value = Value;
        type Key = String;
        fn null(&mut self) -> Result<Value> {
            ValueTree.null()
        }
        fn bool(&mut self, b: bool) -> Result<Value> {
            ValueTree.bool(b)
        }
        fn i64(&mut self, i: i64) -> Result<Value> {
            ValueTree.i64(i)
        }
        fn u64(&mut self, u: u64) -> Result<Value> {
            ValueTree.u64(u)
        }
        fn f64(&mut self, f: f64) -> Result<Value> {
            ValueTree.f64(f)
        }
        fn str(&mut self, s: &str) -> Result<Value> {
            ValueTree.str(s)
        }
        fn bytes(&mut self, b: &[u8]) -> Result<Value> {
            ValueTree.bytes(b)
        }
        fn list(&mut self, items: Vec<Value>) -> Result<Value> {
            ValueTree.list(items)
        }
        fn key(&mut self, k: &str) -> Result<String> {
            ValueTree.key(k)
        }
        fn map(&mut self, entries: Vec<(String, Value)>) -> Result<Value> {
            ValueTree.map(entries)
        }
        fn takes_big_ints(&self) -> bool {
            true
        }
        fn big_int(&mut self, decimal: &str) -> Result<Value> {
            Ok(Value::String(format!("big {decimal}")))
        }
    }

    #[test]
    fn builders_that_take_big_ints_get_them_exactly() {
        let text = br#"{"uri":"a","extra":[1e19,2e400,"x"],"args":[1180591620717411303424,"\u0000AAE=",1e300,-99999999999999999999999,"1180591620717411303424"],"kwargs":{"k":18446744073709551616,"f":1.0e19}}"#;
        let opened =
            parse_plaintext(Serializer::Json, text, &mut BigTree).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            opened.args.unwrap(),
            Value::List(vec![
                Value::from("big 1180591620717411303424"),
                Value::Bytes(vec![0, 1]),
                Value::Float(1e300),
                Value::from("big -99999999999999999999999"),
                Value::from("1180591620717411303424"),
            ])
        );
        assert_eq!(
            opened.kwargs.unwrap(),
            map(&[
                ("k", Value::from("big 18446744073709551616")),
                ("f", Value::Float(1e19))
            ])
        );
        // A builder that cannot is refused, as is text where the mark could be
        // forged, or that also holds NaN.
        for (text, builder_takes) in [
            (&br#"{"uri":"a","args":[18446744073709551616]}"#[..], false),
            (
                br#"{"uri":"a","args":[18446744073709551616,"\u0001"]}"#,
                true,
            ),
            (br#"{"uri":"a","args":[18446744073709551616,NaN]}"#, true),
        ] {
            let e = if builder_takes {
                parse_plaintext(Serializer::Json, text, &mut BigTree).unwrap_err()
            } else {
                parse_plaintext(Serializer::Json, text, &mut ValueTree).unwrap_err()
            };
            assert_eq!(e.code(), ErrorCode::UnsupportedValue, "{}", e.message());
        }
    }

    #[test]
    fn plaintext_rules_are_the_same_in_every_serializer() {
        let list = Value::List(vec![Value::Int(1), Value::Bytes(vec![0, 255])]);
        let kw: Map = vec![("k".into(), Value::Float(1.5))];
        let good = map(&[
            ("uri", Value::from("com.x")),
            ("extra", Value::from("ignored")),
            ("args", list.clone()),
            ("kwargs", Value::Map(kw.clone())),
        ]);
        for (s, bytes) in each_serializer(&good) {
            let o = parse_plaintext(s, &bytes, &mut ValueTree).unwrap();
            assert_eq!(o.uri.as_deref(), Some("com.x"), "{s:?}");
            assert_eq!(o.args, Some(list.clone()), "{s:?}");
            assert_eq!(o.kwargs, Some(Value::Map(kw.clone())), "{s:?}");
        }
        let nulls = map(&[
            ("uri", Value::Null),
            ("args", Value::Null),
            ("kwargs", Value::Null),
        ]);
        for (s, bytes) in each_serializer(&nulls) {
            let o = parse_plaintext(s, &bytes, &mut ValueTree).unwrap();
            assert!(
                o.uri.is_none() && o.args.is_none() && o.kwargs.is_none(),
                "{s:?}"
            );
        }
        let bad = [
            list.clone(),
            Value::from("text"),
            map(&[("uri", Value::Int(1))]),
            map(&[("args", Value::Map(vec![]))]),
            map(&[("kwargs", list.clone())]),
            map(&[("uri", Value::Bytes(vec![1]))]),
        ];
        for v in bad {
            for (s, bytes) in each_serializer(&v) {
                let e = parse_plaintext(s, &bytes, &mut ValueTree).unwrap_err();
                assert_eq!(e.code(), ErrorCode::InvalidPayload, "{s:?} {v:?}: {e}");
            }
        }
    }

    /// Fails on strings, as a binding whose runtime runs out of memory would.
    struct FailsOnStrings;

    impl ValueBuilder for FailsOnStrings {
        type Value = ();
        type Key = ();
        fn null(&mut self) -> Result<()> {
            Ok(())
        }
        fn bool(&mut self, _: bool) -> Result<()> {
            Ok(())
        }
        fn i64(&mut self, _: i64) -> Result<()> {
            Ok(())
        }
        fn u64(&mut self, _: u64) -> Result<()> {
            Ok(())
        }
        fn f64(&mut self, _: f64) -> Result<()> {
            Ok(())
        }
        fn str(&mut self, _: &str) -> Result<()> {
            err(ErrorCode::Panic, "builder ran out")
        }
        fn bytes(&mut self, _: &[u8]) -> Result<()> {
            Ok(())
        }
        fn list(&mut self, _: Vec<()>) -> Result<()> {
            Ok(())
        }
        fn key(&mut self, _: &str) -> Result<()> {
            Ok(())
        }
        fn map(&mut self, _: Vec<((), ())>) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn builder_and_binary_errors_keep_their_codes() {
        let v = map(&[
            ("uri", Value::from("u")),
            ("args", Value::List(vec![Value::from("s")])),
        ]);
        for (s, bytes) in each_serializer(&v) {
            let e = parse_plaintext(s, &bytes, &mut FailsOnStrings).unwrap_err();
            assert_eq!(e.code(), ErrorCode::Panic, "{s:?}");
        }
        let bad_b64 = br#"{"uri":"u","args":["\u0000!!"]}"#;
        let e = parse_plaintext(Serializer::Json, bad_b64, &mut ValueTree).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidBase64);
        let trailing = br#"{"uri":"u"} 1"#;
        let e = parse_plaintext(Serializer::Json, trailing, &mut ValueTree).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidJson);
        let e =
            parse_plaintext(Serializer::Json, b"{\"uri\":\"\xff\"}", &mut ValueTree).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidUtf8);
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

    /// JSON text transcoded by `JsonText` is written as its parsed [`Value`] is.
    #[test]
    fn json_text_is_written_as_the_value_would_be() {
        let written = |text: &str| {
            let mut out = Vec::new();
            let mut w = JsonWriter::new(&mut out, 0);
            JsonText(text).write_json(&mut w).unwrap();
            assert!(w.is_complete());
            String::from_utf8(out).unwrap()
        };
        let texts = [
            r#"[1,-2,18446744073709551615,1.0,1e21,1e-7,0.1,-0.0,"a\"\u0001é",true,null]"#,
            r#"{"k":{"n":[[],{}]},"b":"\u0000AAE=","":[1.5e300]}"#,
            "[ 1 , { \"a\" : 2 } ]",
        ];
        for text in texts {
            let via_value = to_json_string(&read_json(text.as_bytes()).unwrap()).unwrap();
            assert_eq!(written(text), via_value, "{text}");
        }
    }
}
