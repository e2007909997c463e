//! The JSON float writer against Python's own `repr` (what Autobahn|Python writes,
//! through `json.dumps`) over `tests/vectors/floats.json`, made by `gen_floats.py`:
//! every power of two, random bit patterns and short decimals, and the values around
//! the fixed/exponent switches. The JSON reader must give back the same bits.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use wampe2e::plaintext::builder::read_json;
use wampe2e::plaintext::json_writer::JsonWriter;
use wampe2e::{Serializer, Value};
use wampe2e_tests::vector_file;

/// `(bits, Python's repr)` from the vector file; at least 10,000 of them.
fn floats() -> Vec<(u64, String)> {
    let doc = vector_file("floats.json");
    let pairs: Vec<(u64, String)> = doc["floats"]
        .as_array()
        .expect("floats.json: a \"floats\" array")
        .iter()
        .map(|p| {
            let bits = u64::from_str_radix(p[0].as_str().unwrap(), 16).unwrap();
            (bits, p[1].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        pairs.len() as u64,
        doc["count"].as_u64().unwrap(),
        "floats.json count"
    );
    assert!(pairs.len() >= 10_000, "only {} floats", pairs.len());
    pairs
}

fn report(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what}: {} of the floats differ from Python, e.g.\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn json_writer_writes_python_repr() {
    let mut failures = Vec::new();
    for (bits, repr) in floats() {
        let f = f64::from_bits(bits);
        let mut out = Vec::new();
        JsonWriter::new(&mut out, 0).f64(f).unwrap();
        if out != repr.as_bytes() {
            failures.push(format!(
                "{bits:016x}: wrote {}, Python {repr}",
                String::from_utf8_lossy(&out)
            ));
        }
    }
    report("JsonWriter::f64", &failures);
}

#[test]
fn value_serializer_writes_python_repr() {
    let mut failures = Vec::new();
    for (bits, repr) in floats() {
        let mut out = Vec::new();
        Serializer::Json
            .write(&Value::Float(f64::from_bits(bits)), &mut out)
            .unwrap();
        if out != repr.as_bytes() {
            failures.push(format!(
                "{bits:016x}: wrote {}, Python {repr}",
                String::from_utf8_lossy(&out)
            ));
        }
    }
    report("Serializer::Json", &failures);
}

#[test]
fn json_reader_reads_python_repr_bit_exactly() {
    let mut failures = Vec::new();
    for (bits, repr) in floats() {
        match read_json(repr.as_bytes()) {
            Ok(Value::Float(f)) if f.to_bits() == bits => {}
            other => failures.push(format!("{repr}: read {other:?}, want bits {bits:016x}")),
        }
    }
    report("read_json", &failures);
}
