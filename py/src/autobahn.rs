//! `wampe2e.autobahn.KeyRing`: the interface of Autobahn|Python's cryptobox
//! `KeyRing` (constructor, `set_key`, `generate_key`, `generate_key_hex`,
//! `rotate_key`, `encode`, `decode`) as a native subclass of `wampe2e.KeyRing`, so
//! that each `encode` / `decode` an Autobahn session makes is one native call and
//! the same keyring works with `seal_payload` and the rest.

use crate::error::{to_py, KeyNotFoundError};
use crate::{open, seal, set_entry, KeyRing};
use pyo3::exceptions::{PyImportError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyString, PyTuple};
use wampe2e::{Dialect, Envelope, Error, ErrorCode, KeyRing as CoreKeyRing, Role};

/// Autobahn's `autobahn.wamp.types.EncodedPayload`, imported on first use.
static ENCODED_PAYLOAD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn encoded_payload(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    ENCODED_PAYLOAD
        .get_or_try_init(py, || {
            py.import("autobahn.wamp.types")
                .and_then(|m| m.getattr("EncodedPayload"))
                .map(Bound::unbind)
                .map_err(|e| {
                    let err = PyImportError::new_err(
                        "wampe2e.autobahn.KeyRing.encode/decode need the 'autobahn' package: pip install autobahn",
                    );
                    err.set_cause(py, Some(e));
                    err
                })
        })
        .map(|c| c.bind(py))
}

fn role(is_originating: bool) -> Role {
    if is_originating {
        Role::Originator
    } else {
        Role::Responder
    }
}

/// Cryptobox key pairs mapped from URI prefixes, used by an Autobahn session to
/// encrypt and decrypt payloads transparently (`session.set_payload_codec(ring)`).
/// A `wampe2e.KeyRing` with Autobahn's methods added: one keyring, usable with
/// every `wampe2e` function too.
#[pyclass(module = "wampe2e.autobahn", name = "KeyRing", extends = KeyRing, subclass, frozen)]
pub(crate) struct AutobahnKeyRing;

#[pymethods]
impl AutobahnKeyRing {
    /// A keyring; `default_key` (a `Key` or one secret, `str` or `bytes`, for both
    /// roles) serves URIs no prefix matches.
    #[new]
    #[pyo3(signature = (default_key=None))]
    fn new(default_key: Option<&Bound<'_, PyAny>>) -> PyResult<PyClassInitializer<Self>> {
        let ring = CoreKeyRing::new();
        if let Some(key) = default_key {
            set_entry(&ring, "", key, false)?;
        }
        Ok(PyClassInitializer::from(KeyRing(ring)).add_subclass(AutobahnKeyRing))
    }

    /// A new key pair as base64 `(priv_key, pub_key)`.
    fn generate_key(&self) -> PyResult<(String, String)> {
        crate::generate_keypair()
    }

    /// A new key pair as hex `(priv_key, pub_key)`.
    fn generate_key_hex(&self) -> PyResult<(String, String)> {
        crate::generate_keypair_hex()
    }

    /// Sets the key for URIs starting with `uri` ("" = default); a `str` or `bytes`
    /// is one secret for both roles; `None` removes the entry.
    fn set_key(
        slf: PyRef<'_, Self>,
        uri: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let Ok(uri) = uri.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "uri: expected str, got {}",
                uri.get_type().name()?
            )));
        };
        set_entry(&slf.as_super().0, &uri.to_cow()?, key, false)
    }

    /// Replaces this peer's secrets for `uri` with fresh ones and returns the new
    /// base64 `(originator_pub, responder_pub)` (None for keys this peer does not own).
    fn rotate_key(slf: PyRef<'_, Self>, uri: &str) -> PyResult<(Option<String>, Option<String>)> {
        let r = slf.as_super().0.rotate(uri).map_err(to_py)?;
        Ok((
            r.originator_public.map(|p| p.to_base64()),
            r.responder_public.map(|p| p.to_base64()),
        ))
    }

    /// Encrypts into an `EncodedPayload`, or returns None when the keyring has no
    /// key for `uri` (the payload then travels unencrypted, as with Autobahn). A
    /// key entry that lacks this role's keys raises `KeyIncompleteError`.
    #[pyo3(signature = (is_originating, uri, args=None, kwargs=None))]
    fn encode<'py>(
        slf: PyRef<'py, Self>,
        py: Python<'py>,
        is_originating: bool,
        uri: &str,
        args: Option<&Bound<'py, PyAny>>,
        kwargs: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let class = encoded_payload(py)?;
        match seal(
            py,
            &slf.as_super().0,
            role(is_originating),
            uri,
            args,
            kwargs,
            Dialect::Cryptobox,
        ) {
            Ok(env) => class
                .call1((
                    PyBytes::new(py, &env.payload),
                    intern!(py, "cryptobox"),
                    intern!(py, "json"),
                ))
                .map(Some),
            // No key: the payload travels unencrypted, as with Autobahn. A key entry
            // that cannot seal for this role is a misconfiguration: it fails closed.
            Err(e) if e.is_instance_of::<KeyNotFoundError>(py) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Decrypts an `EncodedPayload` into `(uri, args, kwargs)`; the payload must have
    /// been sealed for `uri` (`UriMismatchError` otherwise).
    fn decode<'py>(
        slf: PyRef<'py, Self>,
        py: Python<'py>,
        is_originating: bool,
        uri: &str,
        encoded_payload: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let algo = encoded_payload.getattr(intern!(py, "enc_algo"))?;
        if !algo.eq(intern!(py, "cryptobox"))? {
            return Err(to_py(Error::new(
                ErrorCode::UnknownScheme,
                format!("enc_algo {} is not 'cryptobox'", algo.repr()?),
            )));
        }
        let serializer = encoded_payload.getattr(intern!(py, "enc_serializer"))?;
        if !serializer.eq(intern!(py, "json"))? {
            return Err(to_py(Error::new(
                ErrorCode::UnknownSerializer,
                format!(
                    "enc_serializer {}: cryptobox uses 'json'",
                    serializer.repr()?
                ),
            )));
        }
        let payload: Vec<u8> = encoded_payload.getattr(intern!(py, "payload"))?.extract()?;
        let envelope = Envelope {
            dialect: Dialect::Cryptobox,
            key_id: None,
            payload,
        };
        open(py, &slf.as_super().0, role(is_originating), uri, &envelope)
    }
}
