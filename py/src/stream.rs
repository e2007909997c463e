//! Python objects written straight through the core's JSON writer (or, for the
//! CBOR/MessagePack dialects, into core values), and plaintexts parsed straight into
//! Python objects: a JSON payload is never copied into an intermediate value tree.
//! What is accepted and how it is written stay the core's decisions (`JsonWriter`,
//! `ValueBuilder`); this module maps types, with one walker for both destinations.
//!
//! Accepted: None, bool, int (64 bits), float, str, bytes/bytearray/memoryview,
//! list/tuple, dict with str keys (subclasses too). Anything else is a `TypeError`
//! naming the type and where it sits (e.g. `args[2]["when"]`).

use crate::text::utf8;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use std::cell::RefCell;
use wampe2e::plaintext::json_writer::JsonWriter;
use wampe2e::plaintext::limits::MAX_DEPTH;
use wampe2e::{Error, ErrorCode, Map, Value, WriteJson};

/// The Python type name of `obj`, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// `args` as given to `encode`/`seal_payload`: None, a list or a tuple (`TypeError`
/// otherwise); `None` when there are none.
pub fn args_object<'a, 'py>(
    obj: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<Option<&'a Bound<'py, PyAny>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) if o.is_instance_of::<PyList>() || o.is_instance_of::<PyTuple>() => Ok(Some(o)),
        Some(o) => Err(PyTypeError::new_err(format!(
            "args: expected a list or tuple, got {}",
            type_name(o)
        ))),
    }
}

/// `kwargs`: None or a dict (`TypeError` otherwise).
pub fn kwargs_object<'a, 'py>(
    obj: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<Option<&'a Bound<'py, PyDict>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => o.cast::<PyDict>().map(Some).map_err(|_| {
            PyTypeError::new_err(format!("kwargs: expected a dict, got {}", type_name(o)))
        }),
    }
}

/// Where a walk of Python objects goes: the core's JSON writer, or core values.
pub trait Sink {
    fn null(&mut self);
    fn bool(&mut self, b: bool);
    fn i64(&mut self, i: i64);
    fn u64(&mut self, u: u64);
    /// An int beyond 64 bits as its decimal text; `None` where the format has no
    /// such integers (CBOR and MessagePack as wampe2e writes them).
    fn big_int(&mut self, decimal: &str) -> Option<wampe2e::Result<()>>;
    fn f64(&mut self, f: f64) -> wampe2e::Result<()>;
    fn str(&mut self, s: &str) -> wampe2e::Result<()>;
    fn bytes(&mut self, b: &[u8]);
    fn begin_list(&mut self) -> wampe2e::Result<()>;
    fn end_list(&mut self);
    fn begin_map(&mut self) -> wampe2e::Result<()>;
    fn key(&mut self, k: &str);
    fn end_map(&mut self);
}

impl Sink for JsonWriter<'_> {
    fn null(&mut self) {
        JsonWriter::null(self)
    }
    fn bool(&mut self, b: bool) {
        JsonWriter::bool(self, b)
    }
    fn i64(&mut self, i: i64) {
        JsonWriter::i64(self, i)
    }
    fn u64(&mut self, u: u64) {
        JsonWriter::u64(self, u)
    }
    fn big_int(&mut self, decimal: &str) -> Option<wampe2e::Result<()>> {
        Some(JsonWriter::big_int(self, decimal))
    }
    fn f64(&mut self, f: f64) -> wampe2e::Result<()> {
        JsonWriter::f64(self, f)
    }
    fn str(&mut self, s: &str) -> wampe2e::Result<()> {
        JsonWriter::str(self, s)
    }
    fn bytes(&mut self, b: &[u8]) {
        JsonWriter::bytes(self, b)
    }
    fn begin_list(&mut self) -> wampe2e::Result<()> {
        JsonWriter::begin_list(self)
    }
    fn end_list(&mut self) {
        JsonWriter::end_list(self)
    }
    fn begin_map(&mut self) -> wampe2e::Result<()> {
        JsonWriter::begin_map(self)
    }
    fn key(&mut self, k: &str) {
        JsonWriter::key(self, k)
    }
    fn end_map(&mut self) {
        JsonWriter::end_map(self)
    }
}

/// Core values for the CBOR/MessagePack dialects (their writers take values), with
/// the same nesting limit as the JSON writer, counting the plaintext map around.
pub struct ValueSink {
    stack: Vec<(Value, Option<String>)>,
    root: Option<Value>,
    /// String and binary bytes seen, to decide whether releasing the GIL pays.
    pub size: usize,
}

impl ValueSink {
    pub fn new() -> Self {
        ValueSink {
            stack: Vec::new(),
            root: None,
            size: 0,
        }
    }

    /// The value written (null if none).
    pub fn finish(self) -> Value {
        self.root.unwrap_or(Value::Null)
    }

    fn push(&mut self, v: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(v),
            Some((Value::List(items), _)) => items.push(v),
            Some((Value::Map(entries), key)) => {
                entries.push((key.take().unwrap_or_default(), v));
            }
            Some(_) => {}
        }
    }

    fn open(&mut self, container: Value) -> wampe2e::Result<()> {
        // The plaintext map encloses args and kwargs: one level already open.
        if 1 + self.stack.len() >= MAX_DEPTH {
            return wampe2e::plaintext::limits::too_deep("value");
        }
        self.stack.push((container, None));
        Ok(())
    }

    fn close(&mut self) {
        if let Some((v, _)) = self.stack.pop() {
            self.push(v);
        }
    }
}

impl Sink for ValueSink {
    fn null(&mut self) {
        self.push(Value::Null)
    }
    fn bool(&mut self, b: bool) {
        self.push(Value::Bool(b))
    }
    fn i64(&mut self, i: i64) {
        self.push(Value::Int(i))
    }
    fn u64(&mut self, u: u64) {
        self.push(Value::from_u64(u))
    }
    fn big_int(&mut self, _decimal: &str) -> Option<wampe2e::Result<()>> {
        None
    }
    fn f64(&mut self, f: f64) -> wampe2e::Result<()> {
        self.push(Value::Float(f));
        Ok(())
    }
    fn str(&mut self, s: &str) -> wampe2e::Result<()> {
        self.size += s.len();
        self.push(Value::String(s.to_owned()));
        Ok(())
    }
    fn bytes(&mut self, b: &[u8]) {
        self.size += b.len();
        self.push(Value::Bytes(b.to_vec()))
    }
    fn begin_list(&mut self) -> wampe2e::Result<()> {
        self.open(Value::List(Vec::new()))
    }
    fn end_list(&mut self) {
        self.close()
    }
    fn begin_map(&mut self) -> wampe2e::Result<()> {
        self.open(Value::Map(Map::new()))
    }
    fn key(&mut self, k: &str) {
        if let Some((_, key)) = self.stack.last_mut() {
            *key = Some(k.to_owned());
        }
    }
    fn end_map(&mut self) {
        self.close()
    }
}

/// Walks `obj` into core values (see [`walk`]); errors as the Python exception to
/// raise, located under `name`.
pub fn to_value(obj: &Bound<'_, PyAny>, name: &str, sink: &mut ValueSink) -> PyResult<()> {
    let raised = RefCell::new(None);
    walk(obj, sink, &raised).map_err(|e| located(e.within(name), &raised))
}

/// A Python value that writes itself as WAMP-JSON. A Python exception raised on
/// the way is kept in `raised`; the core error carries its message and path.
pub struct PyJson<'a, 'py> {
    pub obj: &'a Bound<'py, PyAny>,
    pub raised: &'a RefCell<Option<PyErr>>,
}

impl WriteJson for PyJson<'_, '_> {
    fn write_json(&self, w: &mut JsonWriter<'_>) -> wampe2e::Result<()> {
        walk(self.obj, w, self.raised)
    }
}

/// Keeps a Python exception and returns a core error with its message (the
/// caller re-raises the kept exception's type with the located message).
fn raise(raised: &RefCell<Option<PyErr>>, e: PyErr) -> Error {
    let msg = Python::attach(|py| e.value(py).to_string());
    raised.replace(Some(e));
    Error::new(ErrorCode::UnsupportedValue, msg)
}

/// Walks a Python object into `w`, exact types first.
fn walk(
    obj: &Bound<'_, PyAny>,
    w: &mut impl Sink,
    raised: &RefCell<Option<PyErr>>,
) -> wampe2e::Result<()> {
    // Exact types first: they are what payloads are made of, and cheapest to test.
    if let Ok(s) = obj.cast_exact::<PyString>() {
        return w.str(&utf8(s).map_err(|e| raise(raised, e))?);
    }
    if obj.is_exact_instance_of::<PyInt>() {
        return int(obj, w, raised);
    }
    if let Ok(f) = obj.cast_exact::<PyFloat>() {
        return w.f64(f.value());
    }
    if let Ok(d) = obj.cast_exact::<PyDict>() {
        return dict(d, w, raised);
    }
    if let Ok(l) = obj.cast_exact::<PyList>() {
        return list(l.iter(), w, raised);
    }
    if obj.is_none() {
        w.null();
        return Ok(());
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        w.bool(b.is_true());
        return Ok(());
    }
    if obj.is_instance_of::<PyInt>() {
        return int(obj, w, raised);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return w.f64(f.value());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return w.str(&utf8(s).map_err(|e| raise(raised, e))?);
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        w.bytes(b.as_bytes());
        return Ok(());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        w.bytes(&b.to_vec());
        return Ok(());
    }
    if obj.is_instance_of::<PyMemoryView>() {
        let bytes: Vec<u8> = obj
            .call_method0("tobytes")
            .and_then(|b| b.extract())
            .map_err(|e| raise(raised, e))?;
        w.bytes(&bytes);
        return Ok(());
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return list(l.iter(), w, raised);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return list(t.iter(), w, raised);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return dict(d, w, raised);
    }
    Err(raise(
        raised,
        PyTypeError::new_err(format!(
            "{} cannot be carried in a WAMP payload",
            type_name(obj)
        )),
    ))
}

fn int(
    obj: &Bound<'_, PyAny>,
    w: &mut impl Sink,
    raised: &RefCell<Option<PyErr>>,
) -> wampe2e::Result<()> {
    if let Ok(i) = obj.extract::<i64>() {
        w.i64(i);
        return Ok(());
    }
    if let Ok(u) = obj.extract::<u64>() {
        w.u64(u);
        return Ok(());
    }
    // Beyond 64 bits: exact in JSON (as Python's json writes it), refused elsewhere.
    let decimal = obj
        .str()
        .and_then(|s| s.to_cow().map(|c| c.into_owned()))
        .map_err(|e| raise(raised, e))?;
    match w.big_int(&decimal) {
        Some(written) => written,
        None => Err(raise(
            raised,
            PyOverflowError::new_err(
                "int does not fit in 64 bits (the JSON serializers carry it; CBOR and MessagePack do not)",
            ),
        )),
    }
}

fn list<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    w: &mut impl Sink,
    raised: &RefCell<Option<PyErr>>,
) -> wampe2e::Result<()> {
    w.begin_list()?;
    for (i, item) in items.enumerate() {
        walk(&item, w, raised).map_err(|e| e.within(&format!("[{i}]")))?;
    }
    w.end_list();
    Ok(())
}

fn dict(
    d: &Bound<'_, PyDict>,
    w: &mut impl Sink,
    raised: &RefCell<Option<PyErr>>,
) -> wampe2e::Result<()> {
    w.begin_map()?;
    for (k, v) in d.iter() {
        let Ok(key) = k.cast::<PyString>() else {
            return Err(raise(
                raised,
                PyTypeError::new_err(format!(
                    "dict key of type {} (WAMP dict keys are str)",
                    type_name(&k)
                )),
            ));
        };
        let key = utf8(key).map_err(|e| raise(raised, e))?;
        w.key(&key);
        walk(&v, w, raised).map_err(|e| e.within(&format!("[{key:?}]")))?;
    }
    w.end_map();
    Ok(())
}

/// A core error from writing Python values, as the Python exception to raise: a
/// kept `TypeError`/`OverflowError` (or other) with the core's located message,
/// else the core error's own exception class.
pub fn located(e: Error, raised: &RefCell<Option<PyErr>>) -> PyErr {
    match raised.take() {
        Some(kept) => Python::attach(|py| {
            if kept.is_instance_of::<PyOverflowError>(py) {
                PyOverflowError::new_err(e.message().to_owned())
            } else if kept.is_instance_of::<PyTypeError>(py) {
                PyTypeError::new_err(e.message().to_owned())
            } else {
                kept
            }
        }),
        None => crate::error::to_py(e),
    }
}

/// Longest map key kept in [`PyBuilder`]'s key cache.
const CACHED_KEY_LEN: usize = 32;
/// Slots of the key cache (a power of two).
const KEY_SLOTS: usize = 64;

/// Makes Python objects as the core parses a plaintext: binary as `bytes`, maps as
/// `dict` (insertion order kept), lists as `list`, as Autobahn returns them. Map
/// keys repeat across a payload's records, so short ones are made once per payload
/// (a direct-mapped cache: a slot per key hash, a collision just replaces).
pub struct PyBuilder<'py> {
    py: Python<'py>,
    pub raised: Option<PyErr>,
    cache_keys: bool,
    keys: Vec<Option<(Box<str>, Bound<'py, PyString>)>>,
}

/// A cheap hash of a short key (for the cache slot, not for security: a collision
/// costs a lookup, never a wrong key, since the slot's key is compared in full).
fn key_slot(k: &str) -> usize {
    let mut h: u64 = k.len() as u64;
    for &b in k.as_bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 32;
    usize::try_from(h % KEY_SLOTS as u64).unwrap_or(0)
}

impl<'py> PyBuilder<'py> {
    /// A builder; `cache_keys` for payloads large enough to repeat their keys.
    pub fn new(py: Python<'py>, cache_keys: bool) -> Self {
        PyBuilder {
            py,
            raised: None,
            cache_keys,
            keys: Vec::new(),
        }
    }

    fn made<T>(&mut self, r: PyResult<T>) -> wampe2e::Result<T> {
        r.map_err(|e| {
            self.raised = Some(e);
            Error::new(ErrorCode::InvalidPayload, "building a Python object failed")
        })
    }
}

impl<'py> wampe2e::plaintext::builder::ValueBuilder for PyBuilder<'py> {
    type Value = Bound<'py, PyAny>;
    type Key = Bound<'py, PyString>;

    fn null(&mut self) -> wampe2e::Result<Self::Value> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn bool(&mut self, b: bool) -> wampe2e::Result<Self::Value> {
        Ok(PyBool::new(self.py, b).to_owned().into_any())
    }
    fn i64(&mut self, i: i64) -> wampe2e::Result<Self::Value> {
        let Ok(v) = i.into_pyobject(self.py);
        Ok(v.into_any())
    }
    fn u64(&mut self, u: u64) -> wampe2e::Result<Self::Value> {
        let Ok(v) = u.into_pyobject(self.py);
        Ok(v.into_any())
    }
    fn f64(&mut self, f: f64) -> wampe2e::Result<Self::Value> {
        Ok(PyFloat::new(self.py, f).into_any())
    }
    fn takes_big_ints(&self) -> bool {
        true
    }
    fn big_int(&mut self, decimal: &str) -> wampe2e::Result<Self::Value> {
        let r = self.py.get_type::<PyInt>().call1((decimal,));
        self.made(r)
    }
    fn str(&mut self, s: &str) -> wampe2e::Result<Self::Value> {
        Ok(PyString::new(self.py, s).into_any())
    }
    fn bytes(&mut self, b: &[u8]) -> wampe2e::Result<Self::Value> {
        Ok(PyBytes::new(self.py, b).into_any())
    }
    fn list(&mut self, items: Vec<Self::Value>) -> wampe2e::Result<Self::Value> {
        let r = PyList::new(self.py, items).map(|l| l.into_any());
        self.made(r)
    }
    fn key(&mut self, k: &str) -> wampe2e::Result<Self::Key> {
        if !self.cache_keys || k.len() > CACHED_KEY_LEN {
            return Ok(PyString::new(self.py, k));
        }
        if self.keys.is_empty() {
            self.keys.resize_with(KEY_SLOTS, || None);
        }
        let Some(slot) = self.keys.get_mut(key_slot(k)) else {
            return Ok(PyString::new(self.py, k));
        };
        if let Some((cached, obj)) = slot {
            if **cached == *k {
                return Ok(obj.clone());
            }
        }
        let made = PyString::new(self.py, k);
        *slot = Some((k.into(), made.clone()));
        Ok(made)
    }
    fn map(&mut self, entries: Vec<(Self::Key, Self::Value)>) -> wampe2e::Result<Self::Value> {
        let d = PyDict::new(self.py);
        for (k, v) in entries {
            let r = d.set_item(k, v);
            self.made(r)?;
        }
        Ok(d.into_any())
    }
}

/// `args` and `kwargs` as the core's values (TypeError for other containers).
/// Also returns the string and binary bytes seen, to decide whether releasing
/// the GIL pays.
#[allow(clippy::type_complexity)]
pub(crate) fn values(
    args: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Option<Vec<Value>>, Option<Map>, usize)> {
    let (args, kwargs) = (args_object(args)?, kwargs_object(kwargs)?);
    let mut size = 0;
    let mut to_value = |obj: &Bound<'_, PyAny>, name: &str| -> PyResult<Value> {
        let mut sink = ValueSink::new();
        to_value(obj, name, &mut sink)?;
        size += sink.size;
        Ok(sink.finish())
    };
    let args = match args.map(|o| to_value(o, "args")).transpose()? {
        Some(Value::List(l)) => Some(l),
        _ => None,
    };
    let kwargs = match kwargs.map(|d| to_value(d.as_any(), "kwargs")).transpose()? {
        Some(Value::Map(m)) => Some(m),
        _ => None,
    };
    Ok((args, kwargs, size))
}

/// Runs `f` with the GIL released when `size` bytes make it worth it.
pub(crate) fn maybe_detached<T: Send>(
    py: Python<'_>,
    size: usize,
    f: impl FnOnce() -> T + Send,
) -> T {
    if size >= crate::DETACH_THRESHOLD {
        py.detach(f)
    } else {
        f()
    }
}
