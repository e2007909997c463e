//! GS1 group sessions (`wampe2e::group`, docs/gs1.md) for Python: `Identity`,
//! `Group`, the `Held` queue and the values they return. Conversion only: every
//! check, every key and every decision is the core's.

use crate::error::to_py;
use crate::stream::{self, maybe_detached, values};
use crate::KeyArg;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString, PyTuple};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use wampe2e::group::envelope::{self, Arrived, Attr, Route, WireDialect};
use wampe2e::group::{
    self as core, fetch_error_code as core_fetch_error_code, HeldLimits, IdentityKey, Kind, Params,
    TrustEntry,
};
use wampe2e::{Error, ErrorCode, Map, MessageKind, Value};

/// Milliseconds since the Unix epoch: the clock every time-dependent call is given
/// unless the caller passes `now_ms`.
fn now(now_ms: Option<u64>) -> u64 {
    now_ms.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A GS1 kind from the core's name (`"event"`, `"call"`, `"result"`,
/// `"progress"`, `"error"`).
fn kind(name: &str) -> PyResult<Kind> {
    name.parse().map_err(to_py)
}

/// The wire dialect named by a `dialect` argument (`"enc"` or `"ppt"`).
fn dialect(name: &str) -> PyResult<WireDialect> {
    match name {
        "enc" => Ok(WireDialect::Enc),
        "ppt" => Ok(WireDialect::Ppt),
        other => Err(to_py(Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "dialect: expected \"enc\" or \"ppt\" (got {} characters)",
                other.chars().count()
            ),
        ))),
    }
}

fn dialect_name(d: WireDialect) -> &'static str {
    match d {
        WireDialect::Enc => "enc",
        WireDialect::Ppt => "ppt",
    }
}

fn fixed<const N: usize>(what: &str, b: &[u8]) -> PyResult<[u8; N]> {
    <[u8; N]>::try_from(b).map_err(|_| {
        to_py(Error::new(
            ErrorCode::InvalidArgument,
            format!("{what}: expected {N} bytes, got {}", b.len()),
        ))
    })
}

/// A public identity key from `bytes` (32 raw) or `str` (64 hex digits or base64).
fn identity_key(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<IdentityKey> {
    KeyArg::of(what, obj)?.with(what, |input| IdentityKey::from_input(what, input))
}

fn identity_keys(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<IdentityKey>> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected an iterable of public keys, got a single {}",
            stream::type_name(obj)
        )));
    }
    obj.try_iter()?
        .map(|k| identity_key(what, &k?))
        .collect::<PyResult<Vec<_>>>()
}

/// A core value as the Python object Autobahn would give (bytes for binary).
fn py_value<'py>(py: Python<'py>, v: Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::UInt(u) => u.into_pyobject(py)?.into_any(),
        Value::Float(f) => PyFloat::new(py, f).into_any(),
        Value::String(s) => PyString::new(py, &s).into_any(),
        Value::Bytes(b) => PyBytes::new(py, &b).into_any(),
        Value::List(items) => PyList::new(
            py,
            items
                .into_iter()
                .map(|i| py_value(py, i))
                .collect::<PyResult<Vec<_>>>()?,
        )?
        .into_any(),
        Value::Map(entries) => py_map(py, entries)?.into_any(),
    })
}

fn py_map(py: Python<'_>, entries: Map) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in entries {
        d.set_item(k, py_value(py, v)?)?;
    }
    Ok(d)
}

/// The §13.1 plaintext parsed for `uri` (the core checks the URI inside) as
/// `(args list or None, kwargs dict or None)`.
fn payload(py: Python<'_>, uri: &str, plaintext: &[u8]) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
    let p = core::parse_payload(uri, plaintext).map_err(to_py)?;
    let args = match p.args {
        Some(a) => py_value(py, Value::List(a))?.unbind(),
        None => py.None(),
    };
    let kwargs = match p.kwargs {
        Some(m) => py_map(py, m)?.into_any().unbind(),
        None => py.None(),
    };
    Ok((args, kwargs))
}

// ------------------------------------------------------------------ Identity

/// A GS1 identity (an Ed25519 key pair, docs/gs1.md §5). The seed never leaves:
/// neither `repr` nor any attribute shows it.
#[pyclass(module = "wampe2e", frozen)]
pub(crate) struct Identity(pub(crate) core::Identity);

#[pymethods]
impl Identity {
    /// A fresh identity from the operating system's RNG.
    #[staticmethod]
    fn generate() -> PyResult<Identity> {
        core::Identity::generate().map(Identity).map_err(to_py)
    }

    /// The identity of a 32-byte seed (`bytes`, or hex/base64 `str`).
    #[staticmethod]
    fn from_seed(seed: &Bound<'_, PyAny>) -> PyResult<Identity> {
        KeyArg::of("seed", seed)?
            .with("seed", |input| core::Identity::from_input("seed", input))
            .map(Identity)
    }

    /// The GS1 identity derived (HKDF, §5) from a WAMP-cryptosign seed; peers pin
    /// its public key, not the cryptosign one.
    #[staticmethod]
    fn from_cryptosign_seed(seed: &Bound<'_, PyAny>) -> PyResult<Identity> {
        KeyArg::of("seed", seed)?
            .with("seed", |input| {
                input
                    .decode("seed")
                    .map(|s| core::Identity::from_cryptosign_seed(&s))
            })
            .map(Identity)
    }

    /// The 32-byte public key.
    #[getter]
    fn public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.public().as_bytes())
    }

    /// `hex(public_key)`.
    #[getter]
    fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }

    /// This identity's key procedure, `<base>.<fingerprint>`.
    #[pyo3(signature = (base=core::DEFAULT_KEY_PROCEDURE_BASE))]
    fn key_procedure(&self, base: &str) -> String {
        self.0.key_procedure(base)
    }

    fn __repr__(&self) -> String {
        format!("Identity(fingerprint={:?})", self.0.fingerprint())
    }
}

// ------------------------------------------------------------ returned values

/// A sealed event or call: `envelope` is the whole payload, `key_id` the
/// `enc_key` attribute; `call_hash` names a call's pending record.
#[pyclass(module = "wampe2e", frozen, get_all)]
pub(crate) struct Sealed {
    envelope: Py<PyBytes>,
    session_id: Py<PyBytes>,
    index: u32,
    key_id: String,
    call_hash: Option<Py<PyBytes>>,
}

#[pymethods]
impl Sealed {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Sealed(key_id={:?}, index={}, {} bytes, call={})",
            self.key_id,
            self.index,
            self.envelope.bind(py).as_bytes().len(),
            self.call_hash.is_some()
        )
    }
}

/// The callee's record of a call it opened: pass it to every `Group.seal_reply`
/// for that call. Holds no secret.
#[pyclass(module = "wampe2e", frozen)]
pub(crate) struct Invocation(Mutex<core::Invocation>);

#[pymethods]
impl Invocation {
    /// The caller's authenticated identity (its public key).
    #[getter]
    fn caller<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, lock(&self.0).caller.as_bytes())
    }

    /// `hex(caller)`.
    #[getter]
    fn caller_fingerprint(&self) -> String {
        lock(&self.0).caller.fingerprint()
    }

    /// The procedure the call was signed for.
    #[getter]
    fn call_uri(&self) -> String {
        lock(&self.0).call_uri.clone()
    }

    /// `SHA256(call envelope)`.
    #[getter]
    fn call_hash<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &lock(&self.0).call_hash)
    }

    /// The sequence number of the next reply.
    #[getter]
    fn next_seq(&self) -> u32 {
        lock(&self.0).next_seq
    }

    /// Whether its result or error has been sealed.
    #[getter]
    fn finished(&self) -> bool {
        lock(&self.0).finished
    }

    fn __repr__(&self) -> String {
        let i = lock(&self.0);
        format!(
            "Invocation(call_uri={:?}, caller={:?}, next_seq={}, finished={})",
            i.call_uri,
            i.caller.fingerprint(),
            i.next_seq,
            i.finished
        )
    }
}

/// An opened event or call: the authenticated `sender`, its session and index,
/// the payload (`uri`, `args`, `kwargs`), and for a call its `invocation`.
#[pyclass(module = "wampe2e", frozen, get_all)]
pub(crate) struct Opened {
    sender: Py<PyBytes>,
    sender_fingerprint: String,
    session_id: Py<PyBytes>,
    index: u32,
    timestamp_ms: u64,
    uri: String,
    args: Py<PyAny>,
    kwargs: Py<PyAny>,
    invocation: Option<Py<Invocation>>,
}

#[pymethods]
impl Opened {
    fn __repr__(&self) -> String {
        format!(
            "Opened(uri={:?}, sender={:?}, index={})",
            self.uri, self.sender_fingerprint, self.index
        )
    }
}

/// An opened reply: the `callee` that signed it, its `kind` ("result",
/// "progress" or "error"), `seq`, the `uri` it was signed and sealed for (the
/// call's procedure, or the error URI), and the payload.
#[pyclass(module = "wampe2e", frozen, get_all)]
pub(crate) struct OpenedReply {
    callee: Py<PyBytes>,
    callee_fingerprint: String,
    kind: &'static str,
    seq: u32,
    uri: String,
    args: Py<PyAny>,
    kwargs: Py<PyAny>,
}

#[pymethods]
impl OpenedReply {
    fn __repr__(&self) -> String {
        format!(
            "OpenedReply(kind={:?}, uri={:?}, callee={:?}, seq={})",
            self.kind, self.uri, self.callee_fingerprint, self.seq
        )
    }
}

/// A key request made by `Group.key_request`: `request` is the one binary argument
/// of the CALL to the sender's key procedure; `request_hash` names it.
#[pyclass(module = "wampe2e", frozen, get_all)]
pub(crate) struct KeyRequest {
    request: Py<PyBytes>,
    request_hash: Py<PyBytes>,
}

#[pymethods]
impl KeyRequest {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "KeyRequest({} bytes)",
            self.request.bind(py).as_bytes().len()
        )
    }
}

/// A key fetch `Held.hold` asks for: CALL `procedure` with `request` as its one
/// binary argument, then `Group.accept_key_response(request_hash, <the RESULT's
/// binary>)` and `Held.release(request_hash)` (or `Held.fail`).
#[pyclass(module = "wampe2e", frozen, get_all)]
pub(crate) struct Fetch {
    procedure: String,
    request: Py<PyBytes>,
    request_hash: Py<PyBytes>,
    sender: Py<PyBytes>,
    session_id: Py<PyBytes>,
}

#[pymethods]
impl Fetch {
    fn __repr__(&self) -> String {
        format!("Fetch(procedure={:?})", self.procedure)
    }
}

// --------------------------------------------------------------------- Group

/// One peer's GS1 state (docs/gs1.md): its identity, trust entries, outbound
/// sessions, the sessions it holds, pending key requests and calls. Thread-safe.
/// Times are milliseconds since the Unix epoch; `now_ms=None` is the system clock.
#[pyclass(module = "wampe2e", frozen)]
pub(crate) struct Group(pub(crate) core::Group);

#[pymethods]
impl Group {
    #[new]
    #[pyo3(signature = (identity, max_messages=None, max_age_ms=None, max_skew_ms=None, grace_ms=None, share_backlog=None))]
    fn new(
        identity: &Identity,
        max_messages: Option<u32>,
        max_age_ms: Option<u64>,
        max_skew_ms: Option<u64>,
        grace_ms: Option<u64>,
        share_backlog: Option<u32>,
    ) -> PyResult<Group> {
        let d = Params::default();
        let params = Params {
            max_messages: max_messages.unwrap_or(d.max_messages),
            max_age_ms: max_age_ms.unwrap_or(d.max_age_ms),
            max_skew_ms: max_skew_ms.unwrap_or(d.max_skew_ms),
            grace_ms: grace_ms.unwrap_or(d.grace_ms),
            share_backlog: share_backlog.unwrap_or(d.share_backlog),
        };
        core::Group::with_params(identity.0.clone(), params)
            .map(Group)
            .map_err(to_py)
    }

    /// This peer's public key.
    #[getter]
    fn public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.public().as_bytes())
    }

    /// `hex(public_key)`.
    #[getter]
    fn fingerprint(&self) -> String {
        self.0.public().fingerprint()
    }

    /// This peer's key procedure, `<base>.<fingerprint>`.
    #[pyo3(signature = (base=core::DEFAULT_KEY_PROCEDURE_BASE))]
    fn key_procedure(&self, base: &str) -> String {
        self.0.public().key_procedure(base)
    }

    /// The parameters as a dict.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = self.0.params();
        let d = PyDict::new(py);
        d.set_item("max_messages", p.max_messages)?;
        d.set_item("max_age_ms", p.max_age_ms)?;
        d.set_item("max_skew_ms", p.max_skew_ms)?;
        d.set_item("grace_ms", p.grace_ms)?;
        d.set_item("share_backlog", p.share_backlog)?;
        Ok(d)
    }

    /// Sets the entry for `prefix`: who may seal (`senders`) and who may get keys
    /// and reply (`receivers`), each an iterable of public keys (32 `bytes`, or
    /// hex/base64 `str`). Dropping a receiver rotates the prefix's session.
    fn set_entry(
        &self,
        prefix: &str,
        senders: &Bound<'_, PyAny>,
        receivers: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let senders = identity_keys("senders", senders)?;
        let receivers = identity_keys("receivers", receivers)?;
        self.0
            .set_entry(TrustEntry::new(prefix, senders, receivers));
        Ok(())
    }

    /// Removes the entry for exactly `prefix`; returns whether there was one.
    fn remove_entry(&self, prefix: &str) -> bool {
        self.0.remove_entry(prefix)
    }

    /// The prefix of the entry that governs `uri` (longest prefix), or None.
    fn select(&self, uri: &str) -> Option<String> {
        self.0.select(uri).map(|e| e.prefix)
    }

    /// The entry for exactly `prefix` as `(senders, receivers)` lists of public
    /// keys, or None.
    #[allow(clippy::type_complexity)]
    fn entry<'py>(
        &self,
        py: Python<'py>,
        prefix: &str,
    ) -> Option<(Vec<Bound<'py, PyBytes>>, Vec<Bound<'py, PyBytes>>)> {
        self.0.entry(prefix).map(|e| {
            let keys = |s: &std::collections::BTreeSet<IdentityKey>| {
                s.iter()
                    .map(|k| PyBytes::new(py, k.as_bytes()))
                    .collect::<Vec<_>>()
            };
            (keys(&e.senders), keys(&e.receivers))
        })
    }

    /// Sets the authorization callback `authorize(requester_public_key: bytes,
    /// prefix: str) -> bool`, asked after the receivers check when a key request is
    /// answered (docs/gs1.md §6); None admits every receiver. A callback that raises
    /// refuses (the exception is reported as unraisable). Changing it does not
    /// rotate: call `rotate(prefix)` when it stops admitting someone.
    #[pyo3(signature = (authorize))]
    fn set_authorize(&self, authorize: Option<Py<PyAny>>) {
        let callback = authorize.map(|f| -> core::Authorize {
            std::sync::Arc::new(move |requester: &IdentityKey, prefix: &str| {
                Python::attach(|py| {
                    let answer = f
                        .bind(py)
                        .call1((PyBytes::new(py, requester.as_bytes()), prefix))
                        .and_then(|r| r.is_truthy());
                    answer.unwrap_or_else(|e| {
                        e.write_unraisable(py, Some(f.bind(py)));
                        false
                    })
                })
            })
        });
        self.0.set_authorize(callback);
    }

    /// Marks the current session of exactly `prefix` for rotation; returns whether
    /// there was one.
    fn rotate(&self, prefix: &str) -> bool {
        self.0.rotate(prefix)
    }

    /// The current session of exactly `prefix` as a dict (`session_id`, `next`,
    /// `base`, `created_ms`, `not_after_ms`), or None.
    fn current_session<'py>(
        &self,
        py: Python<'py>,
        prefix: &str,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(s) = self.0.current_session(prefix) else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("session_id", PyBytes::new(py, &s.session_id))?;
        d.set_item("next", s.next)?;
        d.set_item("base", s.base)?;
        d.set_item("created_ms", s.created_ms)?;
        d.set_item("not_after_ms", s.not_after_ms)?;
        Ok(Some(d))
    }

    /// Session records held, calls awaiting their final reply, key requests
    /// awaiting their response.
    #[getter]
    fn sessions_held(&self) -> usize {
        self.0.sessions_held()
    }

    #[getter]
    fn pending_calls(&self) -> usize {
        self.0.pending_calls()
    }

    #[getter]
    fn pending_key_requests(&self) -> usize {
        self.0.pending_key_requests()
    }

    /// Seals `args`/`kwargs` as an event (`kind="event"`) or call (`"call"`) on `uri`.
    #[pyo3(signature = (uri, args=None, kwargs=None, kind="event", now_ms=None))]
    fn seal(
        &self,
        py: Python<'_>,
        uri: &str,
        args: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyAny>>,
        kind: &str,
        now_ms: Option<u64>,
    ) -> PyResult<Sealed> {
        let kind = self::kind(kind)?;
        let (args, kwargs, size) = values(args, kwargs)?;
        let now_ms = now(now_ms);
        let s = maybe_detached(py, size, || {
            self.0
                .seal_payload(uri, kind, args.as_deref(), kwargs.as_ref(), now_ms)
        })
        .map_err(to_py)?;
        Ok(Sealed {
            key_id: s.key_id(),
            envelope: PyBytes::new(py, &s.envelope).unbind(),
            session_id: PyBytes::new(py, &s.session_id).unbind(),
            index: s.index,
            call_hash: s.call_hash.map(|h| PyBytes::new(py, &h).unbind()),
        })
    }

    /// Opens an event or call `envelope` that arrived for `uri` (`key_id`: the
    /// `enc_key` attribute, if any). `UnknownSessionError`: hold it and fetch the key.
    #[pyo3(signature = (uri, envelope, kind="event", key_id=None, now_ms=None))]
    fn open(
        &self,
        py: Python<'_>,
        uri: &str,
        envelope: &[u8],
        kind: &str,
        key_id: Option<&str>,
        now_ms: Option<u64>,
    ) -> PyResult<Opened> {
        let kind = self::kind(kind)?;
        let now_ms = now(now_ms);
        let o = maybe_detached(py, envelope.len(), || {
            self.0.open(uri, kind, key_id, envelope, now_ms)
        })
        .map_err(to_py)?;
        let (args, kwargs) = payload(py, uri, &o.plaintext)?;
        let invocation = o
            .invocation
            .map(|i| Py::new(py, Invocation(Mutex::new(i))))
            .transpose()?;
        Ok(Opened {
            sender: PyBytes::new(py, o.sender.as_bytes()).unbind(),
            sender_fingerprint: o.sender.fingerprint(),
            session_id: PyBytes::new(py, &o.session_id).unbind(),
            index: o.index,
            timestamp_ms: o.timestamp_ms,
            uri: uri.to_owned(),
            args,
            kwargs,
            invocation,
        })
    }

    /// Seals a reply to `invocation`: `kind` "result", "progress" or "error"
    /// (`error_uri` required for an error). Returns the envelope.
    #[pyo3(signature = (invocation, args=None, kwargs=None, kind="result", error_uri=None))]
    fn seal_reply<'py>(
        &self,
        py: Python<'py>,
        invocation: &Invocation,
        args: Option<&Bound<'py, PyAny>>,
        kwargs: Option<&Bound<'py, PyAny>>,
        kind: &str,
        error_uri: Option<&str>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let kind = self::kind(kind)?;
        let (args, kwargs, size) = values(args, kwargs)?;
        let env = maybe_detached(py, size, || {
            let mut inv = lock(&invocation.0);
            self.0
                .seal_reply_payload(&mut inv, kind, error_uri, args.as_deref(), kwargs.as_ref())
        })
        .map_err(to_py)?;
        Ok(PyBytes::new(py, &env))
    }

    /// Opens a reply to the pending call `call_hash`; a final one ends the call.
    /// The payload is parsed for the URI the reply was sealed for (the core's
    /// record of the call: its procedure, or `error_uri` for an error), returned as
    /// `uri`. `procedure`, if given, must be a result's or progress's URI
    /// (`UriMismatchError`); it is not needed.
    #[pyo3(signature = (call_hash, envelope, kind="result", error_uri=None, key_id=None, procedure=None))]
    #[allow(clippy::too_many_arguments)]
    fn open_reply(
        &self,
        py: Python<'_>,
        call_hash: &[u8],
        envelope: &[u8],
        kind: &str,
        error_uri: Option<&str>,
        key_id: Option<&str>,
        procedure: Option<&str>,
    ) -> PyResult<OpenedReply> {
        let kind = self::kind(kind)?;
        let call_hash = fixed::<32>("call_hash", call_hash)?;
        let r = maybe_detached(py, envelope.len(), || {
            self.0
                .open_reply(&call_hash, kind, error_uri, key_id, envelope)
        })
        .map_err(to_py)?;
        let (args, kwargs) = payload(py, &r.uri, &r.plaintext)?;
        if let Some(given) = procedure.filter(|p| r.kind != Kind::Error && *p != r.uri) {
            return Err(to_py(Error::new(
                ErrorCode::UriMismatch,
                format!("procedure {given:?}: the reply was sealed for {:?}", r.uri),
            )));
        }
        Ok(OpenedReply {
            callee: PyBytes::new(py, r.callee.as_bytes()).unbind(),
            callee_fingerprint: r.callee.fingerprint(),
            kind: r.kind.name(),
            seq: r.seq,
            uri: r.uri,
            args,
            kwargs,
        })
    }

    /// Forgets a pending call (timed out or cancelled); returns whether it was pending.
    fn forget_call(&self, call_hash: &[u8]) -> PyResult<bool> {
        Ok(self.0.forget_call(&fixed::<32>("call_hash", call_hash)?))
    }

    /// A signed key request to `target` for its session `session_id` (None: its
    /// current one) from `from_index` on, for this peer's entry `prefix`.
    #[pyo3(signature = (target, prefix, session_id=None, from_index=0, now_ms=None))]
    fn key_request(
        &self,
        py: Python<'_>,
        target: &Bound<'_, PyAny>,
        prefix: &str,
        session_id: Option<&[u8]>,
        from_index: u32,
        now_ms: Option<u64>,
    ) -> PyResult<KeyRequest> {
        let target = identity_key("target", target)?;
        let session_id = match session_id {
            Some(s) => fixed::<16>("session_id", s)?,
            None => [0; 16],
        };
        let r = self
            .0
            .key_request(&target, session_id, from_index, prefix, now(now_ms))
            .map_err(to_py)?;
        Ok(KeyRequest {
            request: PyBytes::new(py, &r.request).unbind(),
            request_hash: PyBytes::new(py, &r.request_hash).unbind(),
        })
    }

    /// Answers a key request that reached this peer's key procedure: the key
    /// response (the RESULT's one binary), or the refusal's exception.
    #[pyo3(signature = (request, now_ms=None))]
    fn answer_key_request<'py>(
        &self,
        py: Python<'py>,
        request: &[u8],
        now_ms: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let r = self
            .0
            .answer_key_request(request, now(now_ms))
            .map_err(to_py)?;
        Ok(PyBytes::new(py, &r))
    }

    /// Accepts the response to the pending request `request_hash`: the session is
    /// then held. Returns a dict (`sender`, `session_id`, `prefix`, `index`,
    /// `not_after_ms`).
    #[pyo3(signature = (request_hash, response, now_ms=None))]
    fn accept_key_response<'py>(
        &self,
        py: Python<'py>,
        request_hash: &[u8],
        response: &[u8],
        now_ms: Option<u64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let h = fixed::<32>("request_hash", request_hash)?;
        let a = self
            .0
            .accept_key_response(&h, response, now(now_ms))
            .map_err(to_py)?;
        let d = PyDict::new(py);
        d.set_item("sender", PyBytes::new(py, a.sender.as_bytes()))?;
        d.set_item("session_id", PyBytes::new(py, &a.session_id))?;
        d.set_item("prefix", a.prefix)?;
        d.set_item("index", a.index)?;
        d.set_item("not_after_ms", a.not_after_ms)?;
        Ok(d)
    }

    /// Cancels a pending key request; returns whether it was pending.
    fn cancel_key_request(&self, request_hash: &[u8]) -> PyResult<bool> {
        Ok(self
            .0
            .cancel_key_request(&fixed::<32>("request_hash", request_hash)?))
    }

    /// The core's inbound decision (docs/gs1.md §12.1) for a message a GS1 entry
    /// may cover: "open" (a GS1 envelope: `open`, or `open_reply` for an answer to
    /// our GS1 call), "plain" (deliver the plaintext), "exempt" (a key procedure
    /// URI) or "keyring" (no entry covers it: the keyring decides). `kind` is
    /// "event", "invocation", "result" or "error"; `uri` the resolved URI (topic,
    /// procedure, the procedure called, the error URI); `arrived` what
    /// `gs1_read_attributes` returned (or its first item); `answers_gs1_call` that
    /// a RESULT/ERROR answers a call sealed with GS1; `base` the key procedure
    /// base (None: `wampe2e.key`). Raises `UnexpectedPlaintextError` (strict) and
    /// `InvalidEnvelopeError` (another dialect) for a message to refuse.
    #[pyo3(signature = (kind, uri, arrived, answers_gs1_call=false, strict=true, base=None))]
    fn route(
        &self,
        kind: &str,
        uri: &str,
        arrived: &Bound<'_, PyAny>,
        answers_gs1_call: bool,
        strict: bool,
        base: Option<&str>,
    ) -> PyResult<&'static str> {
        let kind = kind.parse::<MessageKind>().map_err(to_py)?;
        let arrived = arrived_of(arrived)?;
        let r = envelope::route(&self.0, kind, uri, &arrived, answers_gs1_call, strict, base)
            .map_err(to_py)?;
        Ok(match r {
            Route::Open => "open",
            Route::Plain => "plain",
            Route::Exempt => "exempt",
            Route::Keyring => "keyring",
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Group(fingerprint={:?}, entries={}, sessions_held={}, pending_calls={}, pending_key_requests={})",
            self.0.public().fingerprint(),
            self.0.entries().len(),
            self.0.sessions_held(),
            self.0.pending_calls(),
            self.0.pending_key_requests()
        )
    }
}

// ---------------------------------------------------------------------- Held

/// Messages held while their session's key is fetched (docs/gs1.md §11.6, the
/// core's `group::Held`): any Python object per message, released in the
/// sender's order. Thread-safe (one lock).
#[pyclass(module = "wampe2e", frozen)]
pub(crate) struct Held {
    group: Py<Group>,
    inner: Mutex<core::Held<Py<PyAny>>>,
}

fn items(py: Python<'_>, v: Vec<Py<PyAny>>) -> PyResult<Bound<'_, PyList>> {
    PyList::new(py, v)
}

#[pymethods]
impl Held {
    #[new]
    #[pyo3(signature = (group, max_per_session=256, max_total=4096, max_wait_ms=10_000, base=core::DEFAULT_KEY_PROCEDURE_BASE))]
    fn new(
        group: Py<Group>,
        max_per_session: usize,
        max_total: usize,
        max_wait_ms: u64,
        base: &str,
    ) -> PyResult<Held> {
        let limits = HeldLimits {
            max_per_session,
            max_total,
            max_wait_ms,
        };
        let inner = core::Held::new(limits, Some(base)).map_err(to_py)?;
        Ok(Held {
            group,
            inner: Mutex::new(inner),
        })
    }

    /// Holds `item`, the message whose `envelope` of `kind` arrived for `uri` and
    /// that `Group.open` refused with `UnknownSessionError`. Returns the `Fetch`
    /// to make now, or None when a fetch of its session is under way. Raises
    /// (`HoldOverflowError`, a recent fetch's error, ...) when it is not held.
    #[pyo3(signature = (uri, kind, envelope, item, now_ms=None))]
    fn hold(
        &self,
        py: Python<'_>,
        uri: &str,
        kind: &str,
        envelope: &[u8],
        item: Py<PyAny>,
        now_ms: Option<u64>,
    ) -> PyResult<Option<Fetch>> {
        let kind = self::kind(kind)?;
        let group = &self.group.get().0;
        let r = lock(&self.inner)
            .hold(group, uri, kind, envelope, item, now(now_ms))
            .map_err(to_py)?;
        Ok(match r {
            core::Hold::Waiting => None,
            core::Hold::Fetch(f) => Some(Fetch {
                procedure: f.procedure,
                request: PyBytes::new(py, &f.request).unbind(),
                request_hash: PyBytes::new(py, &f.request_hash).unbind(),
                sender: PyBytes::new(py, f.sender.as_bytes()).unbind(),
                session_id: PyBytes::new(py, &f.session_id).unbind(),
            }),
        })
    }

    /// The items held behind the fetch `request_hash`, in the sender's order, once
    /// its response was accepted (empty if it is no longer under way).
    fn release<'py>(&self, py: Python<'py>, request_hash: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let h = fixed::<32>("request_hash", request_hash)?;
        let v = lock(&self.inner).release(&h);
        items(py, v)
    }

    /// Ends the fetch `request_hash` with the error `code` (a number, e.g.
    /// `fetch_error_code(error_uri)` or `KeyRefusedError.code`) and returns its
    /// items, to be reported with that code.
    #[pyo3(signature = (request_hash, code, now_ms=None))]
    fn fail<'py>(
        &self,
        py: Python<'py>,
        request_hash: &[u8],
        code: u32,
        now_ms: Option<u64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let h = fixed::<32>("request_hash", request_hash)?;
        let code = error_code(code)?;
        let group = &self.group.get().0;
        let v = lock(&self.inner).fail(group, &h, code, now(now_ms));
        items(py, v)
    }

    /// Ends every fetch older than `max_wait_ms` with `KeyFetchFailed`; returns
    /// their items.
    #[pyo3(signature = (now_ms=None))]
    fn expire<'py>(&self, py: Python<'py>, now_ms: Option<u64>) -> PyResult<Bound<'py, PyList>> {
        let group = &self.group.get().0;
        let v = lock(&self.inner).expire(group, now(now_ms));
        items(py, v)
    }

    /// Whether the fetch `request_hash` is under way.
    fn is_fetching(&self, request_hash: &[u8]) -> PyResult<bool> {
        let h = fixed::<32>("request_hash", request_hash)?;
        Ok(lock(&self.inner).is_fetching(&h))
    }

    /// Fetches under way.
    #[getter]
    fn fetches(&self) -> usize {
        lock(&self.inner).fetches()
    }

    fn __len__(&self) -> usize {
        lock(&self.inner).len()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", lock(&self.inner))
    }
}

fn error_code(code: u32) -> PyResult<ErrorCode> {
    ErrorCode::from_u32(code).ok_or_else(|| {
        to_py(Error::new(
            ErrorCode::InvalidArgument,
            format!("code: {code} is no wampe2e error code"),
        ))
    })
}

// -------------------------------------------------------------------- wire

/// The §12.1 attributes of a sealed message in `dialect` ("enc" or "ppt"), as a
/// dict in the page's order: with `key_id` (`Sealed.key_id`) for events and
/// calls, without for replies.
#[pyfunction]
#[pyo3(signature = (dialect="enc", key_id=None))]
pub(crate) fn gs1_attributes<'py>(
    py: Python<'py>,
    dialect: &str,
    key_id: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, value) in envelope::attributes(self::dialect(dialect)?, key_id) {
        d.set_item(name, value)?;
    }
    Ok(d)
}

/// One attribute as read off the Python object, owned until the core reads it.
enum Found {
    Absent,
    Str(String),
    NotString,
}

/// What the attributes of an arriving message say (the core's reading, §12.1):
/// `("gs1", dialect, key_id)` for a GS1 envelope (take the payload from the
/// dialect's position), `("other",)` for another dialect (the keyring's), or
/// `("plain",)`. `attrs` is a dict or an object with the attributes as fields
/// (an Autobahn message: `enc_algo`, `enc_serializer`, `enc_key`, `ppt_*`); None
/// is absent. Raises `InvalidEnvelopeError`, `UnknownSerializerError`,
/// `UnknownCipherError`.
#[pyfunction]
pub(crate) fn gs1_read_attributes<'py>(
    py: Python<'py>,
    attrs: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    // The attributes the core reads are those GS1 writes.
    let names: Vec<&'static str> = [WireDialect::Enc, WireDialect::Ppt]
        .into_iter()
        .flat_map(|d| envelope::attributes(d, Some("")))
        .map(|(name, _)| name)
        .collect();
    let dict = attrs.cast::<PyDict>().ok();
    let mut found = Vec::with_capacity(names.len());
    for name in &names {
        let v = match dict {
            Some(d) => d.get_item(name)?,
            None => match attrs.getattr(*name) {
                Ok(v) => Some(v),
                Err(e) if e.is_instance_of::<pyo3::exceptions::PyAttributeError>(py) => None,
                Err(e) => return Err(e),
            },
        };
        found.push(match v {
            None => Found::Absent,
            Some(v) if v.is_none() => Found::Absent,
            Some(v) => match v.cast::<PyString>() {
                Ok(s) => Found::Str(s.to_cow()?.into_owned()),
                Err(_) => Found::NotString,
            },
        });
    }
    let arrived = envelope::read_attributes(|name| {
        let i = names.iter().position(|n| *n == name)?;
        match found.get(i)? {
            Found::Absent => None,
            Found::Str(s) => Some(Attr::Str(s)),
            Found::NotString => Some(Attr::NotString),
        }
    })
    .map_err(to_py)?;
    match arrived {
        Arrived::Plain => PyTuple::new(py, ["plain"]),
        Arrived::Other => PyTuple::new(py, ["other"]),
        Arrived::Gs1 { dialect, key_id } => PyTuple::new(
            py,
            [
                PyString::new(py, "gs1").into_any(),
                PyString::new(py, dialect_name(dialect)).into_any(),
                key_id.into_pyobject(py)?.into_any(),
            ],
        ),
    }
}

/// `arrived` for `Group.route`: a tuple from `gs1_read_attributes` or its first item.
fn arrived_of(obj: &Bound<'_, PyAny>) -> PyResult<Arrived> {
    let tuple = obj.cast::<PyTuple>().ok();
    let first = match &tuple {
        Some(t) => t.get_item(0)?,
        None => obj.clone(),
    };
    let name: String = first.extract()?;
    match name.as_str() {
        // `route` asks only whether a GS1 envelope arrived, not where it was.
        "gs1" => Ok(Arrived::Gs1 {
            dialect: WireDialect::Enc,
            key_id: None,
        }),
        "other" => Ok(Arrived::Other),
        "plain" => Ok(Arrived::Plain),
        other => Err(to_py(Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "arrived: expected \"gs1\", \"other\" or \"plain\" (got {} characters)",
                other.chars().count()
            ),
        ))),
    }
}

/// Whether `uri` is a key procedure, `<base>.<something>` (`base` None:
/// `wampe2e.key`): never sealed, and exempt from strictness (docs/gs1.md §5).
#[pyfunction]
#[pyo3(signature = (uri, base=None))]
pub(crate) fn is_key_procedure(uri: &str, base: Option<&str>) -> bool {
    envelope::is_key_procedure(uri, base)
}

/// The URI of a refusal with `code` (a number, or a name such as
/// `"WAMPE2E_KEY_REFUSED"`): `wampe2e.error.key_refused` (docs/gs1.md §11.4).
#[pyfunction]
pub(crate) fn refusal_uri(code: &Bound<'_, PyAny>) -> PyResult<String> {
    let code = if let Ok(name) = code.cast::<PyString>() {
        let name = &*name.to_cow()?;
        ErrorCode::from_name(name).ok_or_else(|| {
            to_py(Error::new(
                ErrorCode::InvalidArgument,
                format!(
                    "code: no wampe2e error code is named so ({} characters)",
                    name.chars().count()
                ),
            ))
        })?
    } else {
        error_code(code.extract()?)?
    };
    Ok(envelope::refusal_uri(code))
}

/// The code of a key procedure's refusal URI (`wampe2e.error.key_refused` →
/// `KeyRefusedError.code`), `KeyFetchFailedError.code` for any other error URI.
#[pyfunction]
pub(crate) fn fetch_error_code(error_uri: &str) -> u32 {
    core_fetch_error_code(error_uri).as_u32()
}

/// The exception (an instance of the `Wampe2eError` subclass) for `code`, with `message`.
#[pyfunction]
pub(crate) fn error_for_code(py: Python<'_>, code: u32, message: &str) -> PyResult<Py<PyAny>> {
    let code = error_code(code)?;
    Ok(to_py(Error::new(code, message)).into_value(py).into_any())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Identity>()?;
    m.add_class::<Group>()?;
    m.add_class::<Held>()?;
    m.add_class::<Sealed>()?;
    m.add_class::<Opened>()?;
    m.add_class::<OpenedReply>()?;
    m.add_class::<Invocation>()?;
    m.add_class::<KeyRequest>()?;
    m.add_class::<Fetch>()?;
    m.add_function(wrap_pyfunction!(fetch_error_code, m)?)?;
    m.add_function(wrap_pyfunction!(error_for_code, m)?)?;
    m.add_function(wrap_pyfunction!(gs1_attributes, m)?)?;
    m.add_function(wrap_pyfunction!(gs1_read_attributes, m)?)?;
    m.add_function(wrap_pyfunction!(is_key_procedure, m)?)?;
    m.add_function(wrap_pyfunction!(refusal_uri, m)?)?;
    m.add("GS1_ENC_ALGO", envelope::ENC_ALGO)?;
    m.add("GS1_PPT_SCHEME", envelope::PPT_SCHEME)?;
    m.add("GS1_PPT_CIPHER", envelope::PPT_CIPHER)?;
    m.add("GS1_SERIALIZER", envelope::SERIALIZER)?;
    m.add(
        "DEFAULT_KEY_PROCEDURE_BASE",
        core::DEFAULT_KEY_PROCEDURE_BASE,
    )?;
    Ok(())
}
