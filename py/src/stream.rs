//! Python objects written straight through the core's JSON writer, and plaintexts
//! parsed straight into Python objects: a payload is never copied into an
//! intermediate value tree. What is accepted and how it is written stay the
//! core's decisions (`JsonWriter`, `ValueBuilder`); this module maps types.
//!
//! Accepted: None, bool, int (64 bits), float, str, bytes/bytearray/memoryview,
//! list/tuple, dict with str keys (subclasses too). Anything else is a `TypeError`
//! naming the type and where it sits (e.g. `args[2]["when"]`).

use crate::convert::type_name;
use crate::text::utf8;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use std::cell::RefCell;
use wampe2e::json_writer::JsonWriter;
use wampe2e::{Error, ErrorCode, WriteJson};

/// A Python value that writes itself as WAMP-JSON. A Python exception raised on
/// the way is kept in `raised`; the core error carries its message and path.
pub struct PyJson<'a, 'py> {
    pub obj: &'a Bound<'py, PyAny>,
    pub raised: &'a RefCell<Option<PyErr>>,
}

impl WriteJson for PyJson<'_, '_> {
    fn write_json(&self, w: &mut JsonWriter<'_>) -> wampe2e::Result<()> {
        write(self.obj, w, self.raised)
    }
}

/// Keeps a Python exception and returns a core error with its message (the
/// caller re-raises the kept exception's type with the located message).
fn raise(raised: &RefCell<Option<PyErr>>, e: PyErr) -> Error {
    let msg = Python::attach(|py| e.value(py).to_string());
    raised.replace(Some(e));
    Error::new(ErrorCode::UnsupportedValue, msg)
}

fn write(
    obj: &Bound<'_, PyAny>,
    w: &mut JsonWriter<'_>,
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
    w: &mut JsonWriter<'_>,
    raised: &RefCell<Option<PyErr>>,
) -> wampe2e::Result<()> {
    if let Ok(i) = obj.extract::<i64>() {
        w.i64(i);
        return Ok(());
    }
    match obj.extract::<u64>() {
        Ok(u) => {
            w.u64(u);
            Ok(())
        }
        Err(_) => Err(raise(
            raised,
            PyOverflowError::new_err("int does not fit in 64 bits"),
        )),
    }
}

fn list<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    w: &mut JsonWriter<'_>,
    raised: &RefCell<Option<PyErr>>,
) -> wampe2e::Result<()> {
    w.begin_list()?;
    for (i, item) in items.enumerate() {
        write(&item, w, raised).map_err(|e| e.within(&format!("[{i}]")))?;
    }
    w.end_list();
    Ok(())
}

fn dict(
    d: &Bound<'_, PyDict>,
    w: &mut JsonWriter<'_>,
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
        write(&v, w, raised).map_err(|e| e.within(&format!("[{key:?}]")))?;
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

impl<'py> wampe2e::builder::ValueBuilder for PyBuilder<'py> {
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
