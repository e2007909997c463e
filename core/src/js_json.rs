//! JSON text for JavaScript hosts (the Node addon, the WebAssembly build): the
//! paths on which a JS binding hands payload values over as one `JSON.stringify`
//! string and gets opened payloads back as text for `JSON.parse`, because a JS
//! engine builds and reads JSON far faster than a binding converts values one
//! property at a time across its boundary.
//!
//! What the text means is still decided here: [`seal_json_text`] parses it with the
//! core's rules and writes the core's own plaintext; [`open_json_text`] decrypts and
//! checks as [`crate::open_payload`] does, and returns text only where `JSON.parse`
//! of it gives exactly the values converting directly would (see [`Opened`]).

use crate::dialects::ATTRIBUTE_NAMES;
use crate::error::{err, ErrorCode};
use crate::plaintext::builder::ValueBuilder;
use crate::plaintext::json_writer::{JsonText, JsonWriter};
use crate::{Dialect, Envelope, EnvelopeRef, KeyRing, Payload, Role, Serializer, WriteJson};

/// The role of a compact code, as the JS wrapper sends it: 0 originator, 1 responder.
/// Errors: `InvalidArgument`.
pub fn role_of_code(code: u32) -> crate::Result<Role> {
    match code {
        0 => Ok(Role::Originator),
        1 => Ok(Role::Responder),
        other => err(
            ErrorCode::InvalidArgument,
            format!("role code {other} is not 0 or 1"),
        ),
    }
}

/// The compact code of a dialect: its index in [`Dialect::ALL`].
pub fn dialect_code(dialect: Dialect) -> crate::Result<u32> {
    Dialect::ALL
        .iter()
        .position(|d| *d == dialect)
        .and_then(|i| u32::try_from(i).ok())
        .map_or_else(
            || err(ErrorCode::InvalidArgument, "dialect without a compact code"),
            Ok,
        )
}

/// The dialect of a compact code (see [`dialect_code`]). Errors: `InvalidArgument`.
pub fn dialect_of_code(code: u32) -> crate::Result<Dialect> {
    usize::try_from(code)
        .ok()
        .and_then(|i| Dialect::ALL.get(i).copied())
        .map_or_else(
            || {
                err(
                    ErrorCode::InvalidArgument,
                    format!("dialect code {code} is unknown"),
                )
            },
            Ok,
        )
}

/// A received envelope from its attribute values in the order of
/// [`ATTRIBUTE_NAMES`] (the wrapper reads them by name; absent ones `None`),
/// borrowing them and the payload.
pub fn envelope_ref_of_attributes<'a, S: std::ops::Deref<Target = str>>(
    attrs: &'a [Option<S>; 7],
    payload: &'a [u8],
) -> crate::Result<EnvelopeRef<'a>> {
    let get = |name: &str| {
        ATTRIBUTE_NAMES
            .iter()
            .zip(attrs)
            .find(|(n, _)| **n == name)
            .and_then(|(_, v)| v.as_deref())
    };
    EnvelopeRef::from_attributes(get, payload)
}

/// [`envelope_ref_of_attributes`], owned (for work done after the call returns).
pub fn envelope_of_attributes<S: std::ops::Deref<Target = str>>(
    attrs: [Option<S>; 7],
    payload: &[u8],
) -> crate::Result<Envelope> {
    envelope_ref_of_attributes(&attrs, payload).map(EnvelopeRef::to_envelope)
}

/// Seals the JSON text of `[uri, args, kwargs]` (`JSON.stringify` output): JSON dialects written straight from
/// the text in one pass, others through the core's values.
pub fn seal_json_text(
    keyring: &KeyRing,
    role: Role,
    message: &str,
    dialect: Dialect,
) -> crate::Result<Envelope> {
    if dialect.serializer() == Serializer::Json {
        return crate::seal_json_message(keyring, role, message, dialect);
    }
    let (uri, [args, kwargs]) = JsonText::message(message)?;
    let value = |t: Option<JsonText<'_>>| {
        t.map(|t| crate::plaintext::builder::read_json(t.0.as_bytes()))
            .transpose()
    };
    let args = crate::args_from_value("args", value(args)?)?;
    let kwargs = crate::kwargs_from_value("kwargs", value(kwargs)?)?;
    crate::seal_payload(
        keyring,
        role,
        uri,
        args.as_deref(),
        kwargs.as_ref(),
        dialect,
    )
}

/// Opens `envelope`: JSON text when `JSON.parse` of it means the same as converting
/// the core's values directly (binaries aside), else those values.
pub fn open_json_text<'e>(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: impl Into<EnvelopeRef<'e>>,
) -> crate::Result<Opened> {
    let envelope = envelope.into();
    let decrypted = crate::decrypt_payload(keyring, role, uri, envelope)?;
    if envelope.dialect.serializer() == Serializer::Json {
        let mut check = JsonEquivalence::default();
        let checked = decrypted.parse_with(uri, &mut check);
        if !check.differs && checked?.uri.is_some() {
            if !check.binaries {
                return String::from_utf8(decrypted.into_plaintext())
                    .map(Opened::Json)
                    .map_err(|_| {
                        crate::Error::new(crate::ErrorCode::InvalidUtf8, "plaintext is not UTF-8")
                    });
            }
            // Transcoded with the binaries out of band (else, below, as values).
            let text = std::str::from_utf8(decrypted.plaintext()).unwrap_or_default();
            if let Some(opened) = json_with_side_binaries(true, |side| {
                let mut out = Vec::with_capacity(text.len());
                let mut w = JsonWriter::with_side_binaries(&mut out, 0, side);
                JsonText(text).write_json(&mut w)?;
                if !w.is_complete() {
                    return Err(crate::Error::new(
                        crate::ErrorCode::InvalidJson,
                        "json: not one value",
                    ));
                }
                Ok(out)
            }) {
                return Ok(opened);
            }
        }
    }
    let p = decrypted.parse_payload(uri)?;
    Ok(match as_json_text(&p) {
        Some(opened) => opened,
        None => Opened::Values(p),
    })
}

/// CBOR/MessagePack payloads as the core's JSON text, when `JSON.parse` of it
/// means the same as converting directly (binaries aside, see [`Opened`]).
fn as_json_text(p: &Payload) -> Option<Opened> {
    let uri = p.uri.as_deref()?;
    let mut check = JsonEquivalence::default();
    let equivalent = p
        .args
        .iter()
        .flatten()
        .chain(p.kwargs.iter().flatten().map(|(_, v)| v))
        .all(|v| crate::plaintext::builder::replay(v, &mut check).is_ok());
    if !equivalent || check.differs {
        return None;
    }
    json_with_side_binaries(check.binaries, |side| {
        crate::json_plaintext_with_side_binaries(uri, p.args.as_deref(), p.kwargs.as_ref(), side)
    })
}

/// JSON text written by `write`, its binaries (if it has any) out of band in the
/// side buffer `write` is given (see [`Opened::JsonWithBinaries`]).
fn json_with_side_binaries(
    binaries: bool,
    write: impl FnOnce(&mut Vec<u8>) -> crate::Result<Vec<u8>>,
) -> Option<Opened> {
    let mut side = Vec::new();
    let text = String::from_utf8(write(&mut side).ok()?).ok()?;
    Some(if binaries {
        Opened::JsonWithBinaries(text, side)
    } else {
        Opened::Json(text)
    })
}

/// Largest integer JS numbers hold exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// Binaries up to this many bytes in all come out of band with the JSON text (see
/// [`Opened::JsonWithBinaries`]); more come as the binding's values. Measured against those
/// (one binary argument): 0.7 of their time at 64 B, 0.8 at 1 KiB, 0.95 at 4 KiB,
/// 1.1 at 16 KiB (the text is parsed twice, once to check it, once to write it).
const OUT_OF_BAND_LIMIT: usize = 4096;

/// Parses without building anything, noting whether `JSON.parse` of the text gives
/// the same JS values as converting directly: not for integers beyond 2^53 (those
/// become `BigInt`), nor for binaries beyond [`OUT_OF_BAND_LIMIT`], where it stops the
/// parse. Binaries are counted (the wrapper gets them out of band); WAMP-JSON ones
/// are decoded, and so checked, once, when the text is written for the wrapper.
#[derive(Default)]
struct JsonEquivalence {
    differs: bool,
    binary_bytes: usize,
    binaries: bool,
}

impl JsonEquivalence {
    fn binary(&mut self, len: usize) -> crate::Result<()> {
        self.binaries = true;
        self.binary_bytes = self.binary_bytes.saturating_add(len);
        if self.binary_bytes > OUT_OF_BAND_LIMIT {
            return self.differ();
        }
        Ok(())
    }

    fn differ(&mut self) -> crate::Result<()> {
        self.differs = true;
        Err(crate::Error::new(
            crate::ErrorCode::InvalidArgument,
            "not read alike by JSON.parse",
        ))
    }
}

impl ValueBuilder for JsonEquivalence {
    type Value = ();
    type Key = ();
    fn null(&mut self) -> crate::Result<()> {
        Ok(())
    }
    fn bool(&mut self, _: bool) -> crate::Result<()> {
        Ok(())
    }
    fn i64(&mut self, i: i64) -> crate::Result<()> {
        if i.unsigned_abs() <= MAX_SAFE {
            return Ok(());
        }
        self.differ()
    }
    fn u64(&mut self, _: u64) -> crate::Result<()> {
        self.differ()
    }
    fn f64(&mut self, _: f64) -> crate::Result<()> {
        Ok(())
    }
    fn str(&mut self, _: &str) -> crate::Result<()> {
        Ok(())
    }
    fn bytes(&mut self, b: &[u8]) -> crate::Result<()> {
        self.binary(b.len())
    }
    fn json_binary(&mut self, base64: &str) -> crate::Result<()> {
        // Not decoded here: writing the text with side binaries decodes (and checks)
        // it once; bad base64 then falls back to the values path and its error.
        let padding = base64.bytes().rev().take(2).filter(|&b| b == b'=').count();
        self.binary((base64.len() / 4 * 3).saturating_sub(padding))
    }
    fn list(&mut self, _: Vec<()>) -> crate::Result<()> {
        Ok(())
    }
    fn key(&mut self, _: &str) -> crate::Result<()> {
        Ok(())
    }
    fn map(&mut self, _: Vec<((), ())>) -> crate::Result<()> {
        Ok(())
    }
}

/// An opened payload as the wrapper reads it.
pub enum Opened {
    /// JSON text that `JSON.parse` reads as converting directly would.
    Json(String),
    /// The same, but binaries are strings `"\u0000start-end"` naming their byte
    /// range in the side buffer (the core's [`JsonWriter::with_side_binaries`]), which
    /// the wrapper turns into `Buffer`s. Cheaper than base64 for JS to decode again,
    /// and than N-API `Buffer`s (each with its own backing store) when small.
    JsonWithBinaries(String, Vec<u8>),
    /// The core's values, converted through N-API.
    Values(Payload),
}
