//! Sealing and opening application payloads: `{"uri", "args", "kwargs"}` serialized,
//! encrypted with the key the keyring selects, and bound to the message URI.

use crate::crypto::cipher::{Cipher, CipherKey};
use crate::dialects::{Dialect, Envelope, EnvelopeRef};
use crate::error::{err, ErrorCode, Result};
use crate::keys::keyring::{KeyEntry, KeyMaterial, KeyRing, Role};
use crate::keys::reflection::SealMarks;
use crate::plaintext::builder::{parse_plaintext, Opened, ValueBuilder, ValueTree};
use crate::plaintext::json_writer::{write_json_plaintext, WriteJson};
use crate::plaintext::limits::{too_deep, MAX_DEPTH};
use crate::plaintext::serializer::Serializer;
use crate::plaintext::value::{Map, Value};
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

impl Payload {
    /// The payload of a parsed plaintext: `args` must be a list and `kwargs` a
    /// map (`InvalidPayload`).
    pub(crate) fn from_opened(opened: Opened<Value>) -> Result<Payload> {
        let args = match opened.args {
            None => None,
            Some(Value::List(l)) => Some(l),
            Some(other) => {
                return err(
                    ErrorCode::InvalidPayload,
                    format!("args is a {}", other.kind()),
                )
            }
        };
        let kwargs = match opened.kwargs {
            None => None,
            Some(Value::Map(m)) => Some(m),
            Some(other) => {
                return err(
                    ErrorCode::InvalidPayload,
                    format!("kwargs is a {}", other.kind()),
                )
            }
        };
        Ok(Payload {
            uri: opened.uri,
            args,
            kwargs,
        })
    }
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
        .map(|t| crate::plaintext::builder::read_json(t.as_bytes()))
        .transpose()?;
    args_from_value(what, value)
}

/// [`kwargs_from_value`] from WAMP-JSON text (`None` text: no kwargs).
pub fn kwargs_from_json(what: &str, text: Option<&str>) -> Result<Option<Map>> {
    let value = text
        .map(|t| crate::plaintext::builder::read_json(t.as_bytes()))
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
        match serializer {
            Serializer::Json => write_json_plaintext(
                out,
                None,
                self.uri,
                self.args.as_ref().map(|a| a as &dyn WriteJson),
                self.kwargs.map(|m| m as &dyn WriteJson),
            ),
            Serializer::Cbor | Serializer::Msgpack => {
                if self.depth() > MAX_DEPTH {
                    return too_deep("payload");
                }
                serializer.write_binary(self, out)
            }
        }
    }
}

/// The JSON plaintext of a payload as [`serialize_plaintext`] writes it, but with
/// its binaries out of band, appended to `side` (see
/// [`JsonWriter::with_side_binaries`]: not WAMP-JSON, for bindings).
///
/// [`JsonWriter::with_side_binaries`]: crate::plaintext::json_writer::JsonWriter::with_side_binaries
pub fn json_plaintext_with_side_binaries(
    uri: &str,
    args: Option<&[Value]>,
    kwargs: Option<&Map>,
    side: &mut Vec<u8>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_json_plaintext(
        &mut out,
        Some(side),
        Some(uri),
        args.as_ref().map(|a| a as &dyn WriteJson),
        kwargs.map(|m| m as &dyn WriteJson),
    )?;
    Ok(out)
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

/// Picks the key state for sealing or opening as `role` in `dialect`.
fn cipher_key(entry: &KeyEntry, role: Role, dialect: Dialect) -> Result<CipherKey<'_>> {
    match (&entry.material, dialect) {
        (KeyMaterial::Box(b), Dialect::Cryptobox) => Ok(CipherKey::XSalsa(b.box_for(role)?)),
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
            Ok(CipherKey::XSalsa(b.box_for(role)?))
        }
        (KeyMaterial::Symmetric(_), Dialect::Cryptobox) => err(
            ErrorCode::WrongKeyKind,
            "cryptobox (enc_*) needs a key pair; the entry holds a symmetric data key",
        ),
        (KeyMaterial::Symmetric(s), Dialect::Passthru { cipher, .. }) => Ok(match cipher {
            Cipher::XSalsa20Poly1305 => CipherKey::XSalsa(&s.secretbox),
            Cipher::Aes256Gcm => CipherKey::Aes(&s.aes),
        }),
    }
}

/// The key id a sealed envelope names (`ppt_keyid`; never sent in the `enc_*` dialect).
fn sending_key_id(entry: &KeyEntry, dialect: Dialect) -> Option<String> {
    match (&entry.material, dialect) {
        (_, Dialect::Cryptobox) => None,
        (KeyMaterial::Box(b), Dialect::Passthru { .. }) => {
            b.originator_public().map(|p| p.key_id())
        }
        (KeyMaterial::Symmetric(s), Dialect::Passthru { .. }) => Some(s.key_id().to_owned()),
    }
}

/// A seal with its key chosen and checked but its plaintext not yet written, for
/// bindings that write the plaintext straight from their own values
/// ([`Sealer::json_plaintext`]) and may release a lock around [`Sealer::seal`].
pub struct Sealer<'u> {
    entry: std::sync::Arc<KeyEntry>,
    role: Role,
    uri: &'u str,
    dialect: Dialect,
    marks: std::sync::Arc<SealMarks>,
}

/// A plaintext written by a [`Sealer`], with room for the cipher's nonce and tag.
pub struct SealBuffer(Vec<u8>);

impl SealBuffer {
    /// Plaintext bytes plus the cipher's header.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true: the header is always there.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'u> Sealer<'u> {
    /// Selects the key for `uri` (longest prefix, then default) and `role`, as
    /// [`seal_payload`] does; its errors come here, before any plaintext is written.
    pub fn new(keyring: &KeyRing, role: Role, uri: &'u str, dialect: Dialect) -> Result<Self> {
        let entry = keyring.select_or_err(uri)?;
        cipher_key(&entry, role, dialect)?;
        Ok(Sealer {
            entry,
            role,
            uri,
            dialect,
            marks: keyring.marks().clone(),
        })
    }

    fn buffer(&self, body_hint: usize) -> Result<Vec<u8>> {
        Ok(cipher_key(&self.entry, self.role, self.dialect)?.new_buffer(body_hint))
    }

    /// The JSON plaintext `{"uri":…,"args":…,"kwargs":…}`, written as Autobahn|Python
    /// writes it, from values that write themselves; `args` must write a list and
    /// `kwargs` a map. Only for dialects whose serializer is JSON (`InvalidArgument` otherwise).
    pub fn json_plaintext(
        &self,
        args: Option<&dyn WriteJson>,
        kwargs: Option<&dyn WriteJson>,
        body_hint: usize,
    ) -> Result<SealBuffer> {
        let mut buf = self.json_buffer(body_hint)?;
        write_json_plaintext(&mut buf, None, Some(self.uri), args, kwargs)?;
        Ok(SealBuffer(buf))
    }

    /// The buffer a JSON plaintext is written into; `InvalidArgument` unless the
    /// dialect's serializer is JSON.
    fn json_buffer(&self, body_hint: usize) -> Result<Vec<u8>> {
        if self.dialect.serializer() != Serializer::Json {
            return err(
                ErrorCode::InvalidArgument,
                format!(
                    "streamed plaintexts are JSON; the dialect uses {}",
                    self.dialect.serializer().as_str()
                ),
            );
        }
        self.buffer(body_hint.max(64))
    }

    /// The plaintext of `args`/`kwargs` values in the dialect's serializer.
    pub fn plaintext(&self, args: Option<&[Value]>, kwargs: Option<&Map>) -> Result<SealBuffer> {
        let mut buf = self.buffer(256)?;
        Plaintext {
            uri: Some(self.uri),
            args,
            kwargs,
        }
        .write(self.dialect.serializer(), &mut buf)?;
        Ok(SealBuffer(buf))
    }

    /// Encrypts a plaintext written by this sealer under a fresh OS-random nonce,
    /// marked (see [`crate::keys::reflection`]) so that the ciphertext is refused if the
    /// router sends it back to this keyring in the same role (`Reflected`).
    ///
    /// Errors: `PayloadTooLarge`, `RandomFailed`, `KeyExhausted` (AES-256-GCM).
    pub fn seal(&self, plaintext: SealBuffer) -> Result<Envelope> {
        let mut buf = plaintext.0;
        let key = cipher_key(&self.entry, self.role, self.dialect)?;
        if let (KeyMaterial::Symmetric(s), Cipher::Aes256Gcm) =
            (&self.entry.material, self.dialect.cipher())
        {
            s.count_aes_seal()?;
        }
        let cipher = self.dialect.cipher();
        key.seal_in_place(&mut buf, |nonce| self.marks.mark(self.role, cipher, nonce))?;
        self.marks.sealed(self.role, cipher, &buf);
        Ok(Envelope {
            dialect: self.dialect,
            key_id: sending_key_id(&self.entry, self.dialect),
            payload: buf,
        })
    }
}

/// Seals the JSON text of a message `[uri, args, kwargs]` (e.g. a JavaScript
/// `JSON.stringify` result) in a JSON dialect: the same plaintext and envelope as
/// sealing its values, in one pass over the text (see
/// [`crate::plaintext::json_writer::JsonText::message_plaintext`]). Non-JSON dialects are
/// `InvalidArgument` (read the parts with `JsonText::message` instead).
///
/// Errors: those of [`seal_payload`], and `InvalidJson` / `InvalidBase64` for the text.
pub fn seal_json_message(
    keyring: &KeyRing,
    role: Role,
    text: &str,
    dialect: Dialect,
) -> Result<Envelope> {
    let mut sealer = None;
    let plaintext = crate::plaintext::json_writer::JsonText::message_plaintext(text, |uri| {
        let s = Sealer::new(keyring, role, uri, dialect)?;
        let buffer = s.json_buffer(text.len() + 32)?;
        sealer = Some(s);
        Ok(buffer)
    })?;
    match sealer {
        Some(s) => s.seal(SealBuffer(plaintext)),
        None => err(ErrorCode::InvalidJson, "json: no message"),
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
    let sealer = Sealer::new(keyring, role, uri, dialect)?;
    let plaintext = sealer.plaintext(args, kwargs)?;
    sealer.seal(plaintext)
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
    let sealer = Sealer::new(keyring, role, uri, dialect)?;
    let mut buf = sealer.buffer(plaintext.len())?;
    buf.extend_from_slice(plaintext);
    sealer.seal(SealBuffer(buf))
}

/// Finds the entry that opens `envelope` on `uri`: the keyring's selection for
/// `uri`. A `ppt_keyid` authorizes nothing by itself: on a URI whose entry is a data
/// key it must name that key; only on a URI that no entry covers does it select a
/// key-id-only data key ([`KeyRing::add_symmetric_key`]). (A key-pair entry's box
/// authenticates the peer; its key id is informational.)
fn opening_entry(
    keyring: &KeyRing,
    uri: &str,
    envelope: EnvelopeRef<'_>,
) -> Result<std::sync::Arc<KeyEntry>> {
    let key_id = match (envelope.dialect, envelope.key_id) {
        (Dialect::Passthru { .. }, Some(id)) => Some(id),
        _ => None,
    };
    match (keyring.select(uri), key_id) {
        (Some(entry), Some(id)) => match &entry.material {
            KeyMaterial::Symmetric(s) if s.key_id() != id => err(
                ErrorCode::KeyNotFound,
                format!(
                    "ppt_keyid {id:?} is not the data key of the entry for {uri:?} (a key id only selects the URI's own key)"
                ),
            ),
            _ => Ok(entry),
        },
        (Some(entry), None) => Ok(entry),
        (None, Some(id)) => keyring.by_key_id(id).ok_or_else(|| {
            crate::Error::new(
                ErrorCode::KeyNotFound,
                format!("no key for URI {uri:?} and no data key with ppt_keyid {id:?}"),
            )
        }),
        (None, None) => keyring.select_or_err(uri),
    }
}

/// Decrypts with the entry for `uri` into the buffer `alloc` returns for the
/// plaintext's length, refusing a ciphertext this keyring sealed in the same role
/// (`Reflected`). The buffer holds no plaintext when this fails.
fn decrypt<B: AsMut<[u8]>>(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: EnvelopeRef<'_>,
    alloc: impl FnOnce(usize) -> B,
) -> Result<(B, bool)> {
    let entry = opening_entry(keyring, uri, envelope)?;
    let key = cipher_key(&entry, role, envelope.dialect)?;
    let cipher = envelope.dialect.cipher();
    let mut plain = alloc(cipher.plaintext_len(envelope.payload)?);
    key.open_into(envelope.payload, plain.as_mut())?;
    if let Err(e) = keyring.marks().check(role, cipher, envelope.payload) {
        crate::crypto::wipe_bytes(plain.as_mut());
        return Err(e);
    }
    Ok((plain, entry.allow_missing_uri))
}

/// Decrypts `envelope` received on `uri` as `role`, without interpreting the plaintext.
pub fn open_bytes<'e>(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: impl Into<EnvelopeRef<'e>>,
) -> Result<Vec<u8>> {
    decrypt(keyring, role, uri, envelope.into(), |n| vec![0; n]).map(|(plain, _)| plain)
}

/// Where [`open_bytes_into`] left the plaintext.
#[derive(PartialEq, Eq)]
pub enum OpenedBytes {
    /// In the first this many bytes of the caller's buffer.
    Written(usize),
    /// In a buffer of its own: the caller's was too short.
    Allocated(Vec<u8>),
}

impl std::fmt::Debug for OpenedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenedBytes::Written(n) => write!(f, "Written({n})"),
            OpenedBytes::Allocated(v) => write!(f, "Allocated({} bytes)", v.len()),
        }
    }
}

/// [`open_bytes`] into `out` when the plaintext fits (bindings decrypt straight
/// into memory their host allocated); else into a buffer of its own.
pub fn open_bytes_into<'e>(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: impl Into<EnvelopeRef<'e>>,
    out: &mut [u8],
) -> Result<OpenedBytes> {
    /// The caller's buffer cut to the plaintext's length, or a new one.
    enum Target<'o> {
        Caller(&'o mut [u8]),
        Own(Vec<u8>),
    }
    impl AsMut<[u8]> for Target<'_> {
        fn as_mut(&mut self) -> &mut [u8] {
            match self {
                Target::Caller(b) => b,
                Target::Own(v) => v,
            }
        }
    }
    let (target, _) = decrypt(keyring, role, uri, envelope.into(), |n| {
        match out.get_mut(..n) {
            Some(b) => Target::Caller(b),
            None => Target::Own(vec![0; n]),
        }
    })?;
    Ok(match target {
        Target::Caller(b) => OpenedBytes::Written(b.len()),
        Target::Own(v) => OpenedBytes::Allocated(v),
    })
}

/// Opens `envelope` received on `uri` as `role`: decrypts, parses, and checks
/// that the plaintext was sealed for `uri` (a router replaying a ciphertext onto
/// another URI is caught with `UriMismatch`).
///
/// Errors: `KeyNotFound`, `KeyIncomplete`, `WrongKeyKind`, `TruncatedCiphertext`,
/// `DecryptionFailed`, `Reflected`, `PayloadTooLarge`, `InvalidUtf8`/`InvalidJson`/
/// `InvalidCbor`/`InvalidMsgpack`/`InvalidBase64`, `InvalidPayload`, `UnsupportedValue`
/// (nesting deeper than `MAX_DEPTH`), `UriMismatch`, `MissingUri`.
pub fn open_payload(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: &Envelope,
) -> Result<Payload> {
    open_payload_and_plaintext(keyring, role, uri, envelope).map(|(p, _)| p)
}

/// [`open_payload`], also returning the decrypted plaintext it parsed (for JSON,
/// text a binding may hand to its own JSON parser once the payload checked out).
pub fn open_payload_and_plaintext(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: &Envelope,
) -> Result<(Payload, Vec<u8>)> {
    let decrypted = decrypt_payload(keyring, role, uri, envelope)?;
    let payload = decrypted.parse_payload(uri)?;
    Ok((payload, decrypted.into_plaintext()))
}

/// A decrypted payload not yet parsed: bindings parse it straight into their own
/// values with [`Decrypted::parse_with`], and may release a lock around
/// [`decrypt_payload`] first.
pub struct Decrypted {
    plain: Vec<u8>,
    serializer: Serializer,
    allow_missing_uri: bool,
}

/// A parse error of a decrypted plaintext without the parser's own words: serde,
/// base64 and UTF-8 messages quote the input they choke on, and that input is the
/// secret plaintext (an application may log the error, or send it back through
/// the router). The code and wampe2e's own messages (which quote nothing) stay.
fn withhold_quotes(e: crate::Error) -> crate::Error {
    match e.code() {
        ErrorCode::InvalidJson
        | ErrorCode::InvalidCbor
        | ErrorCode::InvalidMsgpack
        | ErrorCode::InvalidBase64
        | ErrorCode::InvalidUtf8 => crate::Error::new(
            e.code(),
            format!(
                "decrypted plaintext: {} (the parser's details are withheld: they could quote it)",
                e.code().description()
            ),
        ),
        _ => e,
    }
}

/// Decrypts `envelope` received on `uri` as `role` (errors as [`open_payload`]'s,
/// up to decryption).
pub fn decrypt_payload<'e>(
    keyring: &KeyRing,
    role: Role,
    uri: &str,
    envelope: impl Into<EnvelopeRef<'e>>,
) -> Result<Decrypted> {
    let envelope = envelope.into();
    let (plain, allow_missing_uri) = decrypt(keyring, role, uri, envelope, |n| vec![0; n])?;
    Ok(Decrypted {
        plain,
        serializer: envelope.dialect.serializer(),
        allow_missing_uri,
    })
}

impl Drop for Decrypted {
    /// The decrypted plaintext is wiped unless a binding took it
    /// ([`Decrypted::into_plaintext`]).
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.plain);
    }
}

impl Decrypted {
    /// The plaintext's length in bytes.
    pub fn len(&self) -> usize {
        self.plain.len()
    }

    /// The decrypted plaintext.
    pub fn plaintext(&self) -> &[u8] {
        &self.plain
    }

    /// The decrypted plaintext, e.g. JSON text a binding hands to its own parser
    /// after [`Decrypted::parse_with`] checked it.
    pub fn into_plaintext(mut self) -> Vec<u8> {
        std::mem::take(&mut self.plain)
    }

    /// Whether the plaintext is empty (never a valid payload).
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty()
    }

    /// Parses the plaintext into the core's values (see [`Decrypted::parse_with`]).
    pub fn parse_payload(&self, uri: &str) -> Result<Payload> {
        Payload::from_opened(self.parse_with(uri, &mut ValueTree)?)
    }

    /// Parses the plaintext into `builder`'s values and checks that it was sealed
    /// for `uri` (errors as [`open_payload`]'s, after decryption).
    pub fn parse_with<B: ValueBuilder>(
        &self,
        uri: &str,
        builder: &mut B,
    ) -> Result<Opened<B::Value>> {
        let opened =
            parse_plaintext(self.serializer, &self.plain, builder).map_err(withhold_quotes)?;
        match &opened.uri {
            Some(inner) if inner == uri => {}
            // The inner URI is part of the secret plaintext: do not echo it.
            Some(_) => {
                return err(
                    ErrorCode::UriMismatch,
                    format!("payload was sealed for another URI than {uri:?}"),
                )
            }
            None if self.allow_missing_uri => {}
            None => {
                return err(
                    ErrorCode::MissingUri,
                    format!(
                        "payload received on {uri:?} carries no uri and the key entry requires one"
                    ),
                )
            }
        }
        Ok(opened)
    }
}
