//! `wampe2e._native`: the Python binding of the wampe2e core. Conversion only:
//! every decision is the core's.

mod autobahn;
mod error;
mod group;
mod inbound;
mod stream;
mod text;

use error::to_py;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyModule, PyString, PyTuple};
use stream::{args_object, kwargs_object};
use wampe2e::{
    BoxKey, Cipher, DataKey, Dialect, Envelope as CoreEnvelope, Error, ErrorCode, KeyEntry,
    KeyInput, KeyPair, KeyRing as CoreKeyRing, PublicKey, Role, Sealer, SecretKey, Serializer,
    SymmetricKey, WriteJson,
};

/// Payloads at least this large are sealed/opened with the GIL released.
pub(crate) const DETACH_THRESHOLD: usize = 16 * 1024;
/// Opened payloads at least this large make each short map key once.
const KEY_CACHE_THRESHOLD: usize = 2 * 1024;

fn role(s: &str) -> PyResult<Role> {
    match s {
        "originator" => Ok(Role::Originator),
        "responder" => Ok(Role::Responder),
        other => Err(to_py(Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "role: expected \"originator\" or \"responder\" (got {} characters)",
                other.chars().count()
            ),
        ))),
    }
}

fn dialect(name: &str, serializer: &str, cipher: &str) -> PyResult<Dialect> {
    match name {
        "cryptobox" => Ok(Dialect::Cryptobox),
        "ppt" => Ok(Dialect::Passthru {
            serializer: serializer.parse::<Serializer>().map_err(to_py)?,
            cipher: cipher.parse::<Cipher>().map_err(to_py)?,
        }),
        other => Err(to_py(Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "dialect: expected \"cryptobox\" or \"ppt\" (got {} characters)",
                other.chars().count()
            ),
        ))),
    }
}

/// A key argument as Python gave it: `str` (base64 or hex) or `bytes`
/// (32 raw bytes, or the base64/hex text's ASCII, as Autobahn accepts); the core
/// decodes it (`wampe2e::KeyInput`). Errors name the argument and the type, never
/// the content.
pub(crate) enum KeyArg<'py> {
    Text(Bound<'py, PyString>),
    Bytes(Bound<'py, PyBytes>),
}

impl<'py> KeyArg<'py> {
    pub(crate) fn of(what: &str, obj: &Bound<'py, PyAny>) -> PyResult<KeyArg<'py>> {
        if let Ok(s) = obj.cast::<PyString>() {
            Ok(KeyArg::Text(s.clone()))
        } else if let Ok(b) = obj.cast::<PyBytes>() {
            Ok(KeyArg::Bytes(b.clone()))
        } else {
            Err(PyTypeError::new_err(format!(
                "{what}: expected str or bytes (32 raw bytes, or base64/hex), got {}",
                obj.get_type().name()?
            )))
        }
    }

    /// Runs `f` on the key as the core's input (text that is not UTF-8, e.g. with
    /// lone surrogates, is `InvalidKeyError` without the character).
    pub(crate) fn with<T>(
        &self,
        what: &str,
        f: impl FnOnce(KeyInput<'_>) -> wampe2e::Result<T>,
    ) -> PyResult<T> {
        match self {
            KeyArg::Text(s) => match s.to_cow() {
                Ok(text) => f(KeyInput::Text(&text)).map_err(to_py),
                Err(_) => Err(to_py(Error::new(
                    ErrorCode::InvalidKey,
                    format!("{what}: text that is not valid UTF-8"),
                ))),
            },
            KeyArg::Bytes(b) => f(KeyInput::Bytes(b.as_bytes())).map_err(to_py),
        }
    }
}

/// A key-pair entry, as Autobahn's `Key`: the keys this peer has, each `str`
/// (base64 or hex) or `bytes` (raw, or base64/hex). Validated on construction
/// (mismatched or malformed keys raise here).
#[pyclass(module = "wampe2e", frozen)]
pub(crate) struct Key(BoxKey);

impl Key {
    pub(crate) fn box_key(&self) -> BoxKey {
        self.0.clone()
    }
}

#[pymethods]
impl Key {
    #[new]
    #[pyo3(signature = (originator_priv=None, originator_pub=None, responder_priv=None, responder_pub=None))]
    fn new<'py>(
        originator_priv: Option<&Bound<'py, PyAny>>,
        originator_pub: Option<&Bound<'py, PyAny>>,
        responder_priv: Option<&Bound<'py, PyAny>>,
        responder_pub: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let arg = |what: &'static str, o: Option<&Bound<'py, PyAny>>| {
            o.filter(|o| !o.is_none())
                .map(|o| KeyArg::of(what, o))
                .transpose()
        };
        let parts = [
            arg("originator_priv", originator_priv)?,
            arg("originator_pub", originator_pub)?,
            arg("responder_priv", responder_priv)?,
            arg("responder_pub", responder_pub)?,
        ];
        let secret = |i: usize, what: &str| -> PyResult<Option<SecretKey>> {
            parts
                .get(i)
                .and_then(Option::as_ref)
                .map(|k| k.with(what, |input| SecretKey::from_input(what, input)))
                .transpose()
        };
        let public = |i: usize, what: &str| -> PyResult<Option<PublicKey>> {
            parts
                .get(i)
                .and_then(Option::as_ref)
                .map(|k| k.with(what, |input| PublicKey::from_input(what, input)))
                .transpose()
        };
        BoxKey::new(
            secret(0, "originator_priv")?,
            public(1, "originator_pub")?,
            secret(2, "responder_priv")?,
            public(3, "responder_pub")?,
        )
        .map(Key)
        .map_err(to_py)
    }

    /// The originator public key (base64), if known.
    #[getter]
    fn originator_pub(&self) -> Option<String> {
        self.0.originator_public().map(|p| p.to_base64())
    }

    /// The responder public key (base64), if known.
    #[getter]
    fn responder_pub(&self) -> Option<String> {
        self.0.responder_public().map(|p| p.to_base64())
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// Sets `ring`'s entry for `prefix` from `key`: a `Key`, one secret (`str` or
/// `bytes`) for both roles, or `None` to remove the entry.
pub(crate) fn set_entry(
    ring: &CoreKeyRing,
    prefix: &str,
    key: &Bound<'_, PyAny>,
    allow_missing_uri: bool,
) -> PyResult<()> {
    let mut entry: KeyEntry = if key.is_none() {
        ring.remove(prefix);
        return Ok(());
    } else if let Ok(k) = key.cast::<Key>() {
        k.get().box_key().into()
    } else if key.is_instance_of::<PyString>() || key.is_instance_of::<PyBytes>() {
        let secret = KeyArg::of("secret", key)?
            .with("secret", |input| SecretKey::from_input("secret", input))?;
        BoxKey::from_shared_secret(secret).map_err(to_py)?.into()
    } else {
        return Err(PyTypeError::new_err(format!(
            "key: expected None, str, bytes or wampe2e.Key, got {}",
            key.get_type().name()?
        )));
    };
    entry.allow_missing_uri = allow_missing_uri;
    ring.set(prefix, entry);
    Ok(())
}

/// A sealed payload and the attributes for the message's Options/Details.
#[pyclass(module = "wampe2e", frozen)]
struct Envelope(CoreEnvelope);

#[pymethods]
impl Envelope {
    /// An envelope from a received message's Options/Details and its payload bytes.
    #[new]
    fn new(attributes: &Bound<'_, PyDict>, payload: Vec<u8>) -> PyResult<Self> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in attributes.iter() {
            if let (Ok(k), Ok(v)) = (k.extract::<String>(), v.extract::<String>()) {
                pairs.push((k, v));
            }
        }
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        CoreEnvelope::from_attributes(get, payload)
            .map(Envelope)
            .map_err(to_py)
    }

    /// The attributes to merge into Options/Details.
    #[getter]
    fn attributes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.0.attributes() {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// The sealed bytes.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.payload)
    }

    /// True when the payload travels as Arguments = [payload] (ppt), False when bare (cryptobox).
    #[getter]
    fn payload_in_list(&self) -> bool {
        self.0.dialect.payload_in_list()
    }

    fn __repr__(&self) -> String {
        format!(
            "Envelope({:?}, {} bytes)",
            self.0.attributes(),
            self.0.payload.len()
        )
    }
}

/// A thread-safe keyring: URI prefixes (longest character prefix wins, "" is the
/// default) and key ids mapped to key entries.
/// `wampe2e.autobahn.KeyRing` is this class with Autobahn's methods added, so
/// either works with every function here.
#[pyclass(module = "wampe2e", frozen, subclass)]
pub(crate) struct KeyRing(pub(crate) CoreKeyRing);

#[pymethods]
impl KeyRing {
    #[new]
    fn new() -> Self {
        KeyRing(CoreKeyRing::new())
    }

    /// Sets the entry for `prefix` ("" = default): a `Key`, one secret (`str` or
    /// `bytes`) for both roles, or `None` to remove it.
    #[pyo3(signature = (prefix, key, allow_missing_uri=false))]
    fn set_key(
        &self,
        prefix: &str,
        key: &Bound<'_, PyAny>,
        allow_missing_uri: bool,
    ) -> PyResult<()> {
        set_entry(&self.0, prefix, key, allow_missing_uri)
    }

    /// Sets an entry whose one secret (`str` or `bytes`) serves both roles
    /// (Autobahn's `KeyRing("<key>")`).
    fn set_shared_key(&self, prefix: &str, secret: &Bound<'_, PyAny>) -> PyResult<()> {
        let secret = KeyArg::of("secret", secret)?
            .with("secret", |input| SecretKey::from_input("secret", input))?;
        self.0
            .set(prefix, BoxKey::from_shared_secret(secret).map_err(to_py)?);
        Ok(())
    }

    /// Adds a symmetric data key (`str` or `bytes`) known by `key_id`; with a prefix
    /// it is also that prefix's entry.
    #[pyo3(signature = (key_id, key, prefix=None))]
    fn set_data_key(
        &self,
        key_id: &str,
        key: &Bound<'_, PyAny>,
        prefix: Option<&str>,
    ) -> PyResult<()> {
        let key = KeyArg::of("key", key)?.with("key", |input| DataKey::from_input("key", input))?;
        let entry = SymmetricKey::new(key_id, key).map_err(to_py)?;
        match prefix {
            Some(p) => self.0.set(p, entry),
            None => self.0.add_symmetric_key(entry),
        }
        Ok(())
    }

    /// Removes the entry for exactly `prefix`; returns whether there was one.
    fn remove(&self, prefix: &str) -> bool {
        self.0.remove(prefix)
    }

    /// Removes a data key added without a prefix; returns whether there was one.
    fn remove_key_id(&self, key_id: &str) -> bool {
        self.0.remove_key_id(key_id)
    }

    /// Whether messages on `uri` must arrive encrypted (the keyring has a key for it).
    fn expects_sealed(&self, uri: &str) -> bool {
        self.0.expects_sealed(uri)
    }

    /// The inbound decision for an arriving EVENT / INVOCATION / RESULT / ERROR
    /// (`kind`): `(True, uri)` to open the payload for `uri`, `(False, uri)` to
    /// deliver the plaintext; raises `UnexpectedPlaintextError` or
    /// `PatternMismatchError` for a message to refuse.
    #[pyo3(signature = (kind, local_uri, match_=None, router_uri=None, sealed=false, request_sealed=false, strict=true))]
    #[allow(clippy::too_many_arguments)]
    fn inbound(
        &self,
        kind: &str,
        local_uri: &str,
        match_: Option<&str>,
        router_uri: Option<&str>,
        sealed: bool,
        request_sealed: bool,
        strict: bool,
    ) -> PyResult<(bool, String)> {
        inbound::decide(
            &self.0,
            kind,
            local_uri,
            match_,
            router_uri,
            sealed,
            request_sealed,
            strict,
        )
    }

    /// Replaces this peer's secrets in the entry for `prefix` with fresh ones; returns
    /// the new (originator_pub, responder_pub) in base64, None for parts not owned.
    fn rotate(&self, prefix: &str) -> PyResult<(Option<String>, Option<String>)> {
        let r = self.0.rotate(prefix).map_err(to_py)?;
        Ok((
            r.originator_public.map(|p| p.to_base64()),
            r.responder_public.map(|p| p.to_base64()),
        ))
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// Seals args/kwargs for a message on `uri` as `role` ("originator"/"responder").
#[pyfunction]
#[pyo3(signature = (keyring, role, uri, args=None, kwargs=None, dialect="cryptobox", serializer="cbor", cipher="xsalsa20poly1305"))]
#[allow(clippy::too_many_arguments)]
fn seal_payload(
    py: Python<'_>,
    keyring: &KeyRing,
    role: &str,
    uri: &str,
    args: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyAny>>,
    dialect: &str,
    serializer: &str,
    cipher: &str,
) -> PyResult<Envelope> {
    let role = self::role(role)?;
    let dialect = self::dialect(dialect, serializer, cipher)?;
    seal(py, &keyring.0, role, uri, args, kwargs, dialect).map(Envelope)
}

fn seal(
    py: Python<'_>,
    keyring: &CoreKeyRing,
    role: Role,
    uri: &str,
    args: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyAny>>,
    dialect: Dialect,
) -> PyResult<CoreEnvelope> {
    if dialect.serializer() == Serializer::Json {
        return seal_streamed(py, keyring, role, uri, args, kwargs, dialect);
    }
    let (args, kwargs, size) = stream::values(args, kwargs)?;
    let run = || {
        wampe2e::seal_payload(
            keyring,
            role,
            uri,
            args.as_deref(),
            kwargs.as_ref(),
            dialect,
        )
    };
    stream::maybe_detached(py, size, run).map_err(to_py)
}

/// JSON dialects: Python objects written straight into the plaintext buffer, then
/// sealed (with the GIL released for large payloads).
fn seal_streamed(
    py: Python<'_>,
    keyring: &CoreKeyRing,
    role: Role,
    uri: &str,
    args: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyAny>>,
    dialect: Dialect,
) -> PyResult<CoreEnvelope> {
    let args = args_object(args)?;
    let kwargs = kwargs_object(kwargs)?.map(|d| d.as_any());
    let sealer = Sealer::new(keyring, role, uri, dialect).map_err(to_py)?;
    let raised = std::cell::RefCell::new(None);
    let args = args.map(|obj| stream::PyJson {
        obj,
        raised: &raised,
    });
    let kwargs = kwargs.map(|obj| stream::PyJson {
        obj,
        raised: &raised,
    });
    let plaintext = sealer
        .json_plaintext(
            args.as_ref().map(|a| a as &dyn WriteJson),
            kwargs.as_ref().map(|k| k as &dyn WriteJson),
            256,
        )
        .map_err(|e| stream::located(e, &raised))?;
    let size = plaintext.len();
    stream::maybe_detached(py, size, || sealer.seal(plaintext)).map_err(to_py)
}

/// Pauses Python's cyclic garbage collector while a large payload's objects are
/// made: it would otherwise walk the half-built containers again and again (none
/// of them can be garbage yet). The GIL is held throughout, so no other thread
/// runs meanwhile; the collector is re-enabled on drop, also on errors.
struct GcPause<'py>(Option<Bound<'py, PyModule>>);

impl<'py> GcPause<'py> {
    fn new(py: Python<'py>, large: bool) -> PyResult<Self> {
        if !large {
            return Ok(GcPause(None));
        }
        let gc = py.import("gc")?;
        if !gc.call_method0("isenabled")?.is_truthy()? {
            return Ok(GcPause(None));
        }
        gc.call_method0("disable")?;
        Ok(GcPause(Some(gc)))
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = self.0.take() {
            if let Err(e) = gc.call_method0("enable") {
                e.write_unraisable(gc.py(), None);
            }
        }
    }
}

fn open<'py>(
    py: Python<'py>,
    keyring: &CoreKeyRing,
    role: Role,
    uri: &str,
    envelope: &CoreEnvelope,
) -> PyResult<Bound<'py, PyTuple>> {
    let run = || wampe2e::decrypt_payload(keyring, role, uri, envelope);
    let decrypted = stream::maybe_detached(py, envelope.payload.len(), run).map_err(to_py)?;
    let mut builder = stream::PyBuilder::new(py, decrypted.len() >= KEY_CACHE_THRESHOLD);
    let pause = GcPause::new(py, decrypted.len() >= DETACH_THRESHOLD)?;
    let opened = decrypted.parse_with(uri, &mut builder);
    drop(pause);
    let opened = opened.map_err(|e| builder.raised.take().unwrap_or_else(|| to_py(e)))?;
    let none = || py.None().into_bound(py);
    PyTuple::new(
        py,
        [
            opened.uri.into_pyobject(py)?.into_any(),
            opened.args.unwrap_or_else(none),
            opened.kwargs.unwrap_or_else(none),
        ],
    )
}

/// Opens `envelope` received on `uri` as `role`; returns (uri, args, kwargs).
#[pyfunction]
fn open_payload<'py>(
    py: Python<'py>,
    keyring: &KeyRing,
    role: &str,
    uri: &str,
    envelope: &Envelope,
) -> PyResult<Bound<'py, PyTuple>> {
    open(py, &keyring.0, self::role(role)?, uri, &envelope.0)
}

/// A fresh X25519 key pair as (secret, public) in base64.
#[pyfunction]
fn generate_keypair() -> PyResult<(String, String)> {
    let p = KeyPair::generate().map_err(to_py)?;
    Ok((p.secret.to_base64().to_string(), p.public.to_base64()))
}

/// A fresh X25519 key pair as (secret, public) in hex.
#[pyfunction]
fn generate_keypair_hex() -> PyResult<(String, String)> {
    let p = KeyPair::generate().map_err(to_py)?;
    Ok((p.secret.to_hex().to_string(), p.public.to_hex()))
}

/// A fresh 32-byte symmetric data key in base64.
#[pyfunction]
fn generate_data_key() -> PyResult<String> {
    Ok(DataKey::generate().map_err(to_py)?.to_base64().to_string())
}

/// The X25519 key pair (secret, public; base64) of an Ed25519 (WAMP-cryptosign) seed.
#[pyfunction]
fn ed25519_to_x25519(seed: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    let p = KeyArg::of("seed", seed)?.with("seed", |input| {
        KeyPair::from_ed25519_seed_input("seed", input)
    })?;
    Ok((p.secret.to_base64().to_string(), p.public.to_base64()))
}

/// The public key (base64) of a secret key (base64 or hex).
#[pyfunction]
fn public_key(secret: &Bound<'_, PyAny>) -> PyResult<String> {
    let secret = KeyArg::of("secret", secret)?
        .with("secret", |input| SecretKey::from_input("secret", input))?;
    Ok(secret.public_key().to_base64())
}

/// The WAMP spec key id of a public key (base64 or hex).
#[pyfunction]
fn key_id(public: &Bound<'_, PyAny>) -> PyResult<String> {
    let public = KeyArg::of("public", public)?
        .with("public", |input| PublicKey::from_input("public", input))?;
    Ok(public.key_id())
}

/// Seals bytes the caller serialized itself (no URI binding inside) for `uri` as `role`.
#[pyfunction]
#[pyo3(signature = (keyring, role, uri, plaintext, dialect="cryptobox", serializer="cbor", cipher="xsalsa20poly1305"))]
#[allow(clippy::too_many_arguments)]
fn seal_bytes(
    py: Python<'_>,
    keyring: &KeyRing,
    role: &str,
    uri: &str,
    plaintext: &[u8],
    dialect: &str,
    serializer: &str,
    cipher: &str,
) -> PyResult<Envelope> {
    let role = self::role(role)?;
    let dialect = self::dialect(dialect, serializer, cipher)?;
    let run = || wampe2e::seal_bytes(&keyring.0, role, uri, plaintext, dialect);
    stream::maybe_detached(py, plaintext.len(), run)
        .map(Envelope)
        .map_err(to_py)
}

/// Decrypts `envelope` received on `uri` as `role` into its plaintext bytes, unparsed.
#[pyfunction]
fn open_bytes<'py>(
    py: Python<'py>,
    keyring: &KeyRing,
    role: &str,
    uri: &str,
    envelope: &Envelope,
) -> PyResult<Bound<'py, PyBytes>> {
    let role = self::role(role)?;
    let run = || wampe2e::open_bytes(&keyring.0, role, uri, &envelope.0);
    let plain = stream::maybe_detached(py, envelope.0.payload.len(), run).map_err(to_py)?;
    Ok(PyBytes::new(py, &plain))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    m.add_class::<Key>()?;
    m.add_class::<KeyRing>()?;
    m.add_class::<Envelope>()?;
    group::register(m)?;
    // Named `KeyRing` in `wampe2e.autobahn`; here beside the core binding's `KeyRing`.
    m.add(
        "AutobahnKeyRing",
        m.py().get_type::<autobahn::AutobahnKeyRing>(),
    )?;
    m.add_function(wrap_pyfunction!(seal_payload, m)?)?;
    m.add_function(wrap_pyfunction!(open_payload, m)?)?;
    m.add_function(wrap_pyfunction!(seal_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(open_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(generate_keypair, m)?)?;
    m.add_function(wrap_pyfunction!(generate_keypair_hex, m)?)?;
    m.add_function(wrap_pyfunction!(generate_data_key, m)?)?;
    m.add_function(wrap_pyfunction!(ed25519_to_x25519, m)?)?;
    m.add_function(wrap_pyfunction!(public_key, m)?)?;
    m.add_function(wrap_pyfunction!(key_id, m)?)?;
    m.add("__version__", wampe2e::VERSION)?;
    Ok(())
}
