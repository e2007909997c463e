//! Python objects ↔ payload values. Anything a WAMP payload cannot carry is a
//! `TypeError` naming the offending type and where it sits (e.g. `args[2]["when"]`).

use crate::error::to_py;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use wampe2e::serializer::MAX_DEPTH;
use wampe2e::{Error, ErrorCode, Map, Value};

/// Where a value sits, innermost segment last (built while unwinding an error).
struct Located {
    err: PyErr,
    path: Vec<String>,
}

type Conv<T> = Result<T, Located>;

fn here(err: PyErr) -> Located {
    Located {
        err,
        path: Vec::new(),
    }
}

fn at<T>(r: Conv<T>, segment: impl FnOnce() -> String) -> Conv<T> {
    r.map_err(|mut l| {
        l.path.push(segment());
        l
    })
}

/// Sums string and bytes lengths while converting, to decide whether releasing the GIL pays.
pub struct Sizer(pub usize);

fn value(obj: &Bound<'_, PyAny>, size: &mut Sizer, depth: usize) -> Conv<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Int(i));
        }
        return obj
            .extract::<u64>()
            .map(Value::from_u64)
            .map_err(|_| here(PyOverflowError::new_err("int does not fit in 64 bits")));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let s = s.to_cow().map_err(here)?;
        size.0 += s.len();
        return Ok(Value::String(s.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        size.0 += b.as_bytes().len();
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        size.0 += b.len();
        return Ok(Value::Bytes(b.to_vec()));
    }
    if obj.is_instance_of::<PyMemoryView>() {
        let bytes: Vec<u8> = obj
            .call_method0("tobytes")
            .and_then(|b| b.extract())
            .map_err(here)?;
        size.0 += bytes.len();
        return Ok(Value::Bytes(bytes));
    }
    let is_container = obj.is_instance_of::<PyList>()
        || obj.is_instance_of::<PyTuple>()
        || obj.is_instance_of::<PyDict>();
    if is_container && depth >= MAX_DEPTH {
        return Err(here(to_py(Error::new(
            ErrorCode::UnsupportedValue,
            format!("value nests deeper than {MAX_DEPTH} levels (a cycle?)"),
        ))));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return list(l.iter(), size, depth + 1);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return list(t.iter(), size, depth + 1);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return dict(d, size, depth + 1).map(Value::Map);
    }
    Err(here(PyTypeError::new_err(format!(
        "{} cannot be carried in a WAMP payload",
        type_name(obj)
    ))))
}

/// The Python type name of `obj`, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

fn list<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    size: &mut Sizer,
    depth: usize,
) -> Conv<Value> {
    let mut out = Vec::with_capacity(items.size_hint().0);
    for (i, item) in items.enumerate() {
        out.push(at(value(&item, size, depth), || format!("[{i}]"))?);
    }
    Ok(Value::List(out))
}

fn dict(d: &Bound<'_, PyDict>, size: &mut Sizer, depth: usize) -> Conv<Map> {
    let mut out = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        let key: String = match k.cast::<PyString>() {
            Ok(s) => s.to_cow().map_err(here)?.into_owned(),
            Err(_) => {
                return Err(here(PyTypeError::new_err(format!(
                    "dict key of type {} (WAMP dict keys are str)",
                    type_name(&k)
                ))))
            }
        };
        let converted = at(value(&v, size, depth), || format!("[{key:?}]"))?;
        out.push((key, converted));
    }
    Ok(out)
}

fn finish<T>(r: Conv<T>, root: &str) -> PyResult<T> {
    r.map_err(|l| {
        let path: String = l.path.iter().rev().map(String::as_str).collect();
        Python::attach(|py| {
            let msg = l
                .err
                .value(py)
                .str()
                .map(|s| s.to_string())
                .unwrap_or_default();
            let located = format!("{root}{path}: {msg}");
            if l.err.is_instance_of::<PyOverflowError>(py) {
                PyOverflowError::new_err(located)
            } else if l.err.is_instance_of::<PyTypeError>(py) {
                PyTypeError::new_err(located)
            } else {
                l.err
            }
        })
    })
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

/// `args` converted to values (see [`args_object`]).
pub fn args_from_py(
    obj: Option<&Bound<'_, PyAny>>,
    size: &mut Sizer,
) -> PyResult<Option<Vec<Value>>> {
    let Some(o) = args_object(obj)? else {
        return Ok(None);
    };
    match finish(value(o, size, 1), "args")? {
        Value::List(l) => Ok(Some(l)),
        _ => Ok(None),
    }
}

/// `kwargs` converted to values (see [`kwargs_object`]).
pub fn kwargs_from_py(obj: Option<&Bound<'_, PyAny>>, size: &mut Sizer) -> PyResult<Option<Map>> {
    match kwargs_object(obj)? {
        None => Ok(None),
        Some(d) => finish(dict(d, size, 2), "kwargs").map(Some),
    }
}
