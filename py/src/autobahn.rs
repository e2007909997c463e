//! `wampe2e.autobahn.KeyRing`: the interface of Autobahn|Python's cryptobox
//! `KeyRing` (constructor, `set_key`, `generate_key`, `generate_key_hex`,
//! `rotate_key`, `encode`, `decode`) as a native class, so that each `encode` /
//! `decode` an Autobahn session makes is one native call.

use crate::error::{to_py, KeyNotFoundError};
use crate::{open, seal, Key};
use pyo3::exceptions::{PyImportError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyString, PyTuple};
use wampe2e::{
    BoxKey, Dialect, Envelope, Error, ErrorCode, KeyRing as CoreKeyRing, Role, SecretKey,
};

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
#[pyclass(module = "wampe2e.autobahn", name = "KeyRing", subclass, frozen)]
pub struct AutobahnKeyRing(CoreKeyRing);

#[pymethods]
impl AutobahnKeyRing {
    /// A keyring; `default_key` (a `Key` or one base64/hex secret for both roles)
    /// serves URIs no prefix matches.
    #[new]
    #[pyo3(signature = (default_key=None))]
    fn new(default_key: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let ring = AutobahnKeyRing(CoreKeyRing::new());
        if let Some(key) = default_key {
            if !key.is_none() {
                ring.set(&PyString::new(key.py(), ""), key)?;
            }
        }
        Ok(ring)
    }

    /// A new key pair as base64 `(priv_key, pub_key)`.
    fn generate_key(&self) -> PyResult<(String, String)> {
        crate::generate_keypair()
    }

    /// A new key pair as hex `(priv_key, pub_key)`.
    fn generate_key_hex(&self) -> PyResult<(String, String)> {
        crate::generate_keypair_hex()
    }

    /// Sets the key for URIs starting with `uri` ("" = default); a str is one secret
    /// for both roles; `None` removes the entry.
    fn set_key(&self, uri: &Bound<'_, PyAny>, key: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set(uri, key)
    }

    /// Replaces this peer's secrets for `uri` with fresh ones and returns the new
    /// base64 `(originator_pub, responder_pub)` (None for keys this peer does not own).
    fn rotate_key(&self, uri: &str) -> PyResult<(Option<String>, Option<String>)> {
        let r = self.0.rotate(uri).map_err(to_py)?;
        Ok((
            r.originator_public.map(|p| p.to_base64()),
            r.responder_public.map(|p| p.to_base64()),
        ))
    }

    /// Whether messages on `uri` must arrive encrypted (the keyring has a key for it).
    fn expects_sealed(&self, uri: &str) -> bool {
        self.0.expects_sealed(uri)
    }

    /// The inbound decision (see `wampe2e.KeyRing.inbound`); `attach` calls it.
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
        crate::inbound::decide(
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

    /// Encrypts into an `EncodedPayload`, or returns None when the keyring has no
    /// key for `uri` (the payload then travels unencrypted, as with Autobahn). A
    /// key entry that lacks this role's keys raises `KeyIncompleteError`.
    #[pyo3(signature = (is_originating, uri, args=None, kwargs=None))]
    fn encode<'py>(
        &self,
        py: Python<'py>,
        is_originating: bool,
        uri: &str,
        args: Option<&Bound<'py, PyAny>>,
        kwargs: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let class = encoded_payload(py)?;
        match seal(
            py,
            &self.0,
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
        &self,
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
        open(py, &self.0, role(is_originating), uri, &envelope)
    }
}

impl AutobahnKeyRing {
    fn set(&self, uri: &Bound<'_, PyAny>, key: &Bound<'_, PyAny>) -> PyResult<()> {
        let Ok(uri) = uri.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "uri: expected str, got {}",
                uri.get_type().name()?
            )));
        };
        let uri = uri.to_cow()?;
        if key.is_none() {
            self.0.remove(&uri);
        } else if let Ok(secret) = key.cast::<PyString>() {
            let secret = SecretKey::from_encoded("secret", &secret.to_cow()?).map_err(to_py)?;
            self.0
                .set(&uri, BoxKey::from_shared_secret(secret).map_err(to_py)?);
        } else if let Ok(k) = key.cast::<Key>() {
            self.0.set(&uri, k.get().box_key()?);
        } else {
            return Err(PyTypeError::new_err(format!(
                "key: expected None, str or wampe2e.autobahn.Key, got {}",
                key.get_type().name()?
            )));
        }
        Ok(())
    }
}
