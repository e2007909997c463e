//! Sealing and opening application payloads: `{"uri", "args", "kwargs"}` serialized,
//! encrypted with the key the keyring selects, and bound to the message URI.

use crate::cipher::{Cipher, CipherKey};
use crate::dialects::{Dialect, Envelope};
use crate::error::{err, ErrorCode, Result};
use crate::keyring::{KeyEntry, KeyMaterial, KeyRing, Role};
use crate::serializer::{Serializer, MAX_DEPTH};
use crate::value::{Map, Value};
use serde::ser::{Serialize, SerializeMap};

/// An opened payload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    /// The URI the payload was sealed for (`None` only where the key entry allows it).
    pub uri: Option<String>,
    /// Positional arguments.
    pub args: Option<Vec<Value>>,
    /// Keyword arguments.
    pub kwargs: Option<Map>,
}

/// `args` as a binding receives them: a list, or null/absent for none.
/// `what` names the argument in the `InvalidArgument` error.
pub fn args_from_value(what: &str, value: Option<Value>) -> Result<Option<Vec<Value>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(other) => err(
            ErrorCode::InvalidArgument,
            format!(
                "{what}: expected a JSON array or null, got a {}",
                other.kind()
            ),
        ),
    }
}

/// `kwargs` as a binding receives them: a map, or null/absent for none.
pub fn kwargs_from_value(what: &str, value: Option<Value>) -> Result<Option<Map>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Map(m)) => Ok(Some(m)),
        Some(other) => err(
            ErrorCode::InvalidArgument,
            format!(
                "{what}: expected a JSON object or null, got a {}",
                other.kind()
            ),
        ),
    }
}

/// [`args_from_value`] from WAMP-JSON text (`None` text: no args).
pub fn args_from_json(what: &str, text: Option<&str>) -> Result<Option<Vec<Value>>> {
    let value = text
        .map(|t| crate::serializer::read_json(t.as_bytes()))
        .transpose()?;
    args_from_value(what, value)
}

/// [`kwargs_from_value`] from WAMP-JSON text (`None` text: no kwargs).
pub fn kwargs_from_json(what: &str, text: Option<&str>) -> Result<Option<Map>> {
    let value = text
        .map(|t| crate::serializer::read_json(t.as_bytes()))
        .transpose()?;
    kwargs_from_value(what, value)
}

/// The plaintext map, serialized without building a [`Value`] first.
struct Plaintext<'a> {
    uri: Option<&'a str>,
    args: Option<&'a [Value]>,
    kwargs: Option<&'a Map>,
}

impl Serialize for Plaintext<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("uri", &self.uri)?;
        m.serialize_entry("args", &self.args)?;
        m.serialize_entry("kwargs", &self.kwargs.map(MapRef))?;
        m.end()
    }
}

struct MapRef<'a>(&'a Map);

impl Serialize for MapRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Plaintext<'_> {
    fn depth(&self) -> usize {
        let args = self
            .args
            .map_or(0, |a| 1 + a.iter().map(Value::depth).max().unwrap_or(0));
        let kwargs = self.kwargs.map_or(0, |m| {
            1 + m.iter().map(|(_, v)| v.depth()).max().unwrap_or(0)
        });
        1 + args.max(kwargs)
    }

    /// Appends the serialized plaintext to `out`. JSON is written exactly as
    /// Autobahn|Python writes it: `{"uri":...,"args":...,"kwargs":...}`.
    fn write(&self, serializer: Serializer, out: &mut Vec<u8>) -> Result<()> {
        if self.depth() > MAX_DEPTH {
            return err(
                ErrorCode::UnsupportedValue,
                format!("payload nests deeper than {MAX_DEPTH} levels"),
            );
        }
        match serializer {
            Serializer::Json => {
                use crate::serializer::{write_json_list, write_json_map, write_json_str};
                out.extend_from_slice(b"{\"uri\":");
                match self.uri {
                    Some(u) => write_json_str(u, out),
                    None => out.extend_from_slice(b"null"),
                }
                out.extend_from_slice(b",\"args\":");
                match self.args {
                    Some(a) => write_json_list(a, out).map_err(|e| e.within("args"))?,
                    None => out.extend_from_slice(b"null"),
                }
                out.extend_from_slice(b",\"kwargs\":");
                match self.kwargs {
                    Some(m) => write_json_map(m, out).map_err(|e| e.within("kwargs"))?,
                    None => out.extend_from_slice(b"null"),
                }
                out.push(b'}');
                Ok(())
            }
            Serializer::Cbor | Serializer::Msgpack => serializer.write_binary(self, out),
        }
    }
}

/// The serialized plaintext of a payload, exactly as [`seal_payload`] encrypts it
/// (for test vectors and for libraries that want to inspect it).
pub fn serialize_plaintext(
    serializer: Serializer,
    uri: &str,
    args: Option<&[Value]>,
    kwargs: Option<&Map>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    Plaintext {
        uri: Some(uri),
        args,
        kwargs,
    }
    .write(serializer, &mut out)?;
    Ok(out)
}

/// Picks the key state for sealing `uri` as `role` in `dialect`, and the key id to send.
fn sealing_key<'e>(
    entry: &'e KeyEntry,
    role: Role,
    dialect: Dialect,
) -> Result<(CipherKey<'e>, Option<String>)> {
    match (&entry.material, dialect) {
        (KeyMaterial::Box(b), Dialect::Cryptobox) => {
            Ok((CipherKey::XSalsa(b.box_for(role)?), None))
        }
        (KeyMaterial::Box(b), Dialect::Passthru { cipher, .. }) => {
            if cipher != Cipher::XSalsa20Poly1305 {
                return err(
                    ErrorCode::WrongKeyKind,
                    format!(
                        "{} needs a symmetric data key; the entry holds a key pair",
                        cipher.as_str()
                    ),
                );
            }
            Ok((
                CipherKey::XSalsa(b.box_for(role)?),
                b.originator_public().map(|p| p.key_id()),
            ))
        }
        (KeyMaterial::Symmetric(_), Dialect::Cryptobox) => err(
            ErrorCode::WrongKeyKind,
            "cryptobox (enc_*) needs a key pair; the entry holds a symmetric data key",
        ),
        (KeyMaterial::Symmetric(s), Dialect::Passthru { cipher, .. }) => {
            let key = match cipher {
                Cipher::XSalsa20Poly1305 => CipherKey::XSalsa(&s.secretbox),
                Cipher::Aes256Gcm => CipherKey::Aes(&s.aes),
            };
            Ok((key, Some(s.key_id().to_owned())))
        }
    }
}

/// Seals `args`/`kwargs` for a message on `uri` with the key the keyring selects
/// for `uri` (longest prefix, then default) and `role`.
///
/// Errors: `KeyNotFound`, `KeyIncomplete`, `WrongKeyKind`, `UnsupportedValue`,
/// `PayloadTooLarge`, `RandomFailed`.
pub fn seal_payload(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    args: Option<&[Value]>,
    kwargs: Option<&Map>,
    dialect: Dialect,
) -> Result<Envelope> {
    let entry = keyring.select_or_err(uri)?;
    let (key, key_id) = sealing_key(&entry, role, dialect)?;
    let mut buf = key.new_buffer(256);
    Plaintext {
        uri: Some(uri),
        args,
        kwargs,
    }
    .write(dialect.serializer(), &mut buf)?;
    key.seal_in_place(&mut buf)?;
    Ok(Envelope {
        dialect,
        key_id,
        payload: buf,
    })
}

/// Seals bytes the caller serialized itself (no URI binding inside: the caller
/// owns the plaintext format). Key selection as in [`seal_payload`].
pub fn seal_bytes(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    plaintext: &[u8],
    dialect: Dialect,
) -> Result<Envelope> {
    let entry = keyring.select_or_err(uri)?;
    let (key, key_id) = sealing_key(&entry, role, dialect)?;
    let mut buf = key.new_buffer(plaintext.len());
    buf.extend_from_slice(plaintext);
    key.seal_in_place(&mut buf)?;
    Ok(Envelope {
        dialect,
        key_id,
        payload: buf,
    })
}

/// Finds the entry that opens `envelope` on `uri`: for passthru, a symmetric key
/// named by `ppt_keyid` first; otherwise the keyring's selection for `uri`.
fn opening_entry(
    keyring: &KeyRing,
    uri: &str,
    envelope: &Envelope,
) -> Result<std::sync::Arc<KeyEntry>> {
    if let (Dialect::Passthru { .. }, Some(id)) = (envelope.dialect, &envelope.key_id) {
        if let Some(e) = keyring.by_key_id(id) {
            return Ok(e);
        }
        let entry = keyring.select_or_err(uri)?;
        if let KeyMaterial::Symmetric(s) = &entry.material {
            if s.key_id() != id {
                return err(
                    ErrorCode::KeyNotFound,
                    format!("no data key with ppt_keyid {id:?}"),
                );
            }
        }
        return Ok(entry);
    }
    keyring.select_or_err(uri)
}

fn opening_key<'e>(entry: &'e KeyEntry, role: Role, dialect: Dialect) -> Result<CipherKey<'e>> {
    sealing_key(entry, role, dialect).map(|(k, _)| k)
}

/// Decrypts `envelope` received on `uri` as `role`, without interpreting the plaintext.
pub fn open_bytes(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: &Envelope,
) -> Result<Vec<u8>> {
    let entry = opening_entry(keyring, uri, envelope)?;
    opening_key(&entry, role, envelope.dialect)?.open(&envelope.payload)
}

/// Opens `envelope` received on `uri` as `role`: decrypts, parses, and checks
/// that the plaintext was sealed for `uri` (a router replaying a ciphertext onto
/// another URI is caught with `UriMismatch`).
///
/// Errors: `KeyNotFound`, `KeyIncomplete`, `WrongKeyKind`, `TruncatedCiphertext`,
/// `DecryptionFailed`, `PayloadTooLarge`, `InvalidUtf8`/`InvalidJson`/`InvalidCbor`/
/// `InvalidMsgpack`/`InvalidBase64`, `InvalidPayload`, `UriMismatch`, `MissingUri`.
pub fn open_payload(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: &Envelope,
) -> Result<Payload> {
    let entry = opening_entry(keyring, uri, envelope)?;
    let plain = opening_key(&entry, role, envelope.dialect)?.open(&envelope.payload)?;
    let value = envelope.dialect.serializer().read(&plain)?;
    let payload = into_payload(value)?;
    match &payload.uri {
        Some(inner) if inner == uri => {}
        // The inner URI is part of the secret plaintext: do not echo it.
        Some(_) => {
            return err(
                ErrorCode::UriMismatch,
                format!("payload was sealed for another URI than {uri:?}"),
            )
        }
        None if entry.allow_missing_uri => {}
        None => {
            return err(
                ErrorCode::MissingUri,
                format!(
                    "payload received on {uri:?} carries no uri and the key entry requires one"
                ),
            )
        }
    }
    Ok(payload)
}

/// Checks the plaintext shape and takes it apart without copying.
fn into_payload(value: Value) -> Result<Payload> {
    let Value::Map(entries) = value else {
        return err(
            ErrorCode::InvalidPayload,
            format!("plaintext is a {}, expected a map", value.kind()),
        );
    };
    let mut payload = Payload::default();
    for (k, v) in entries {
        match (k.as_str(), v) {
            (_, Value::Null) => {}
            ("uri", Value::String(s)) => payload.uri = Some(s),
            ("args", Value::List(l)) => payload.args = Some(l),
            ("kwargs", Value::Map(m)) => payload.kwargs = Some(m),
            ("uri" | "args" | "kwargs", other) => {
                return err(
                    ErrorCode::InvalidPayload,
                    format!("plaintext {k:?} is a {}", other.kind()),
                )
            }
            _ => {}
        }
    }
    Ok(payload)
}
