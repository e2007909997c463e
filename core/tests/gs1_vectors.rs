//! Replays `tests/vectors/gs1.json` (written by the independent Python
//! implementation `tests/vectors/gen_gs1.py` from `docs/gs1.md`, §15) through
//! `wampe2e::group`: every identity, every chain step, the wire examples, and every
//! step of every scenario, comparing every output byte and every expected error code.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use wampe2e::group::testing::{self, OutboundState};
use wampe2e::group::{
    parse_payload, ChainKey, Group, Identity, IdentityKey, Kind, Params, Share, TrustEntry,
    DEFAULT_KEY_PROCEDURE_BASE,
};
use wampe2e::Result;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/gs1.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(
        v.as_str()
            .unwrap_or_else(|| panic!("not a hex string: {v}")),
    )
    .unwrap()
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    bytes(v)
        .try_into()
        .unwrap_or_else(|_| panic!("not {N} bytes: {v}"))
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

fn kind(v: &Value) -> Kind {
    Kind::from_u8(num(v) as u8).unwrap()
}

fn key(v: &Value) -> IdentityKey {
    IdentityKey::from_bytes(&arr(v))
}

/// Collects every disagreement, so that one run reports them all.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    checked: usize,
}

impl Report {
    fn eq(&mut self, id: &str, what: &str, got: &[u8], want: &Value) {
        self.checked += 1;
        if got != bytes(want).as_slice() {
            self.failures.push(format!(
                "{id}: {what}: got {}, want {}",
                hex::encode(got),
                want.as_str().unwrap_or("?")
            ));
        }
    }

    /// Checks a result against the step's `expect`; returns the value on success.
    fn outcome<T>(&mut self, step: &Value, r: Result<T>) -> Option<T> {
        let id = step["id"].as_str().unwrap_or("?");
        let expect = step["expect"].as_str().unwrap();
        self.checked += 1;
        match (r, expect) {
            (Ok(v), "ok") => Some(v),
            (Ok(_), want) => {
                self.failures.push(format!("{id}: succeeded, want {want}"));
                None
            }
            (Err(e), "ok") => {
                self.failures
                    .push(format!("{id}: failed with {e}, want ok"));
                None
            }
            (Err(e), want) => {
                if e.code().name() != want {
                    self.failures
                        .push(format!("{id}: failed with {e}, want {want}"));
                }
                None
            }
        }
    }
}

struct World {
    ids: HashMap<String, Identity>,
    groups: HashMap<String, Group>,
    /// call envelope (hex) → call URI, from `call_pending` steps.
    call_uris: HashMap<String, String>,
}

impl World {
    fn new(v: &Value, scenario: &Value) -> World {
        let mut ids = HashMap::new();
        for i in v["identities"].as_array().unwrap() {
            ids.insert(
                i["name"].as_str().unwrap().to_owned(),
                Identity::from_seed(&arr(&i["seed"])),
            );
        }
        let p = &v["params"];
        let params = Params {
            max_messages: num(&p["max_messages"]) as u32,
            max_age_ms: num(&p["max_age_ms"]),
            max_skew_ms: num(&p["max_skew_ms"]),
            grace_ms: num(&p["grace_ms"]),
            ..Params::default()
        };
        let mut groups = HashMap::new();
        for (name, config) in scenario["config"].as_object().unwrap() {
            let g = Group::with_params(ids[name].clone(), params).unwrap();
            for e in config["entries"].as_array().unwrap() {
                let set = |k: &str| -> Vec<IdentityKey> {
                    e[k].as_array().unwrap().iter().map(key).collect()
                };
                g.set_entry(TrustEntry::new(
                    e["prefix"].as_str().unwrap(),
                    set("senders"),
                    set("receivers"),
                ));
            }
            groups.insert(name.clone(), g);
        }
        World {
            ids,
            groups,
            call_uris: HashMap::new(),
        }
    }

    fn group(&self, step: &Value) -> &Group {
        &self.groups[step["peer"].as_str().unwrap()]
    }

    fn identity(&self, step: &Value) -> &Identity {
        &self.ids[step["peer"].as_str().unwrap()]
    }

    fn step(&mut self, r: &mut Report, s: &Value) {
        let id = s["id"].as_str().unwrap();
        match s["op"].as_str().unwrap() {
            "seal" => {
                let reply_secret = s["reply_secret"]
                    .as_str()
                    .map(|_| arr::<32>(&s["reply_secret"]));
                let out = testing::seal_with(
                    self.identity(s),
                    s["uri"].as_str().unwrap(),
                    kind(&s["kind"]),
                    arr(&s["session_id"]),
                    num(&s["index"]) as u32,
                    &arr(&s["chain_key"]),
                    num(&s["timestamp_ms"]),
                    arr(&s["nonce"]),
                    reply_secret.as_ref(),
                    &bytes(&s["plaintext"]),
                );
                if let Some(out) = r.outcome(s, out) {
                    match (out.reply_public, s["reply_public"].is_null()) {
                        (Some(p), false) => r.eq(id, "reply_public", &p, &s["reply_public"]),
                        (None, true) => {}
                        (got, _) => r.failures.push(format!("{id}: reply_public {got:?}")),
                    }
                    r.eq(
                        id,
                        "secretbox_key",
                        &out.secretbox_key[..],
                        &s["secretbox_key"],
                    );
                    r.eq(id, "header", &out.header, &s["header"]);
                    r.eq(id, "signature", &out.signature, &s["signature"]);
                    r.eq(id, "envelope", &out.envelope, &s["envelope"]);
                }
            }
            "open" => {
                let uri = s["uri"].as_str().unwrap();
                let out = self.group(s).open(
                    uri,
                    kind(&s["kind"]),
                    opt_str(&s["key_id"]),
                    &bytes(&s["envelope"]),
                    num(&s["now_ms"]),
                );
                if let Some(out) = r.outcome(s, out) {
                    r.eq(id, "plaintext", &out.plaintext, &s["plaintext"]);
                    if let Err(e) = parse_payload(uri, &out.plaintext) {
                        r.failures
                            .push(format!("{id}: plaintext does not parse for {uri:?}: {e}"));
                    }
                }
            }
            "accept_share" => {
                let f = &s["share"];
                let share = Share {
                    sender: key(&f["sender"]),
                    requester: key(&f["requester"]),
                    session_id: arr(&f["session_id"]),
                    index: num(&f["index"]) as u32,
                    chain_key: ChainKey::from_bytes(&arr(&f["chain_key"])),
                    created_ms: num(&f["created_ms"]),
                    not_after_ms: num(&f["not_after_ms"]),
                    prefix: f["prefix"].as_str().unwrap().to_owned(),
                };
                r.eq(
                    id,
                    "share_bytes",
                    &share.encode().unwrap(),
                    &s["share_bytes"],
                );
                match Share::parse(&bytes(&s["share_bytes"])) {
                    Ok(parsed) if parsed == share => {}
                    other => r
                        .failures
                        .push(format!("{id}: share_bytes parse to {other:?}")),
                }
                let out = testing::accept_share(self.group(s), &share, num(&s["now_ms"]));
                r.outcome(s, out);
            }
            "key_request" => {
                let out = testing::key_request_with(
                    self.group(s),
                    &key(&s["target"]),
                    arr(&s["session_id"]),
                    num(&s["from_index"]) as u32,
                    s["prefix"].as_str().unwrap(),
                    &arr(&s["reply_secret"]),
                    num(&s["timestamp_ms"]),
                );
                if let Some(out) = r.outcome(s, out) {
                    r.eq(id, "reply_public", &out.reply_public, &s["reply_public"]);
                    r.eq(id, "request", &out.request, &s["request"]);
                    r.eq(id, "request_hash", &out.request_hash, &s["request_hash"]);
                }
            }
            "answer_key_request" => {
                let t = &s["session"];
                let g = self.group(s);
                testing::set_outbound_session(
                    g,
                    &OutboundState {
                        prefix: t["prefix"].as_str().unwrap().to_owned(),
                        session_id: arr(&t["session_id"]),
                        base: num(&t["base"]) as u32,
                        chain_key_base: arr(&t["chain_key_base"]),
                        next: num(&t["next"]) as u32,
                        created_ms: num(&t["created_ms"]),
                        not_after_ms: num(&t["not_after_ms"]),
                    },
                );
                let out = testing::answer_key_request_with(
                    g,
                    &bytes(&s["request"]),
                    num(&s["now_ms"]),
                    &arr(&s["ephemeral_secret"]),
                );
                if let Some(out) = r.outcome(s, out) {
                    r.eq(id, "share_bytes", &out.share_bytes, &s["share_bytes"]);
                    r.eq(id, "sealed", &out.sealed, &s["sealed"]);
                    r.eq(id, "response", &out.response, &s["response"]);
                }
            }
            "accept_key_response" => {
                let hash = wampe2e_sha256(&bytes(&s["request"]));
                let out = self.group(s).accept_key_response(
                    &hash,
                    &bytes(&s["response"]),
                    num(&s["now_ms"]),
                );
                if let Some(out) = r.outcome(s, out) {
                    r.eq(id, "session_id", &out.session_id, &s["session_id"]);
                }
            }
            "call_pending" => {
                let call_uri = s["call_uri"].as_str().unwrap();
                testing::add_pending_call(
                    self.group(s),
                    &bytes(&s["call_envelope"]),
                    call_uri,
                    &arr(&s["reply_secret"]),
                );
                self.call_uris.insert(
                    s["call_envelope"].as_str().unwrap().to_owned(),
                    call_uri.to_owned(),
                );
                r.outcome(s, Ok(()));
            }
            "seal_reply" => {
                let out = testing::seal_reply_with(
                    self.identity(s),
                    &bytes(&s["call_envelope"]),
                    s["call_uri"].as_str().unwrap(),
                    kind(&s["kind"]),
                    num(&s["seq"]) as u32,
                    opt_str(&s["error_uri"]),
                    &arr(&s["ephemeral_secret"]),
                    arr(&s["nonce"]),
                    &bytes(&s["plaintext"]),
                );
                if let Some(out) = r.outcome(s, out) {
                    r.eq(
                        id,
                        "ephemeral_public",
                        &out.ephemeral_public,
                        &s["ephemeral_public"],
                    );
                    r.eq(id, "reply_key", &out.reply_key[..], &s["reply_key"]);
                    r.eq(id, "header", &out.header, &s["header"]);
                    r.eq(id, "signature", &out.signature, &s["signature"]);
                    r.eq(id, "envelope", &out.envelope, &s["envelope"]);
                }
            }
            "open_reply" => {
                let call = bytes(&s["call_envelope"]);
                let k = kind(&s["kind"]);
                let error_uri = opt_str(&s["error_uri"]);
                let out = self.group(s).open_reply(
                    &wampe2e_sha256(&call),
                    k,
                    error_uri,
                    opt_str(&s["key_id"]),
                    &bytes(&s["envelope"]),
                );
                if let Some(out) = r.outcome(s, out) {
                    r.eq(id, "plaintext", &out.plaintext, &s["plaintext"]);
                    let call_uri = self.call_uris.get(s["call_envelope"].as_str().unwrap());
                    let reply_uri = match (k, error_uri, call_uri) {
                        (Kind::Error, Some(u), _) => u,
                        (_, _, Some(u)) => u.as_str(),
                        _ => "",
                    };
                    if let Err(e) = parse_payload(reply_uri, &out.plaintext) {
                        r.failures.push(format!(
                            "{id}: plaintext does not parse for {reply_uri:?}: {e}"
                        ));
                    }
                }
            }
            other => r.failures.push(format!("{id}: unknown op {other:?}")),
        }
    }
}

fn wampe2e_sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

#[test]
fn format_and_params_are_the_pages() {
    let v = vectors();
    assert_eq!(v["format"], "wampe2e-gs1-vectors/1");
    let p = &v["params"];
    let d = Params::default();
    assert_eq!(num(&p["max_skew_ms"]), d.max_skew_ms);
    assert_eq!(num(&p["grace_ms"]), d.grace_ms);
    assert_eq!(num(&p["max_messages"]), u64::from(d.max_messages));
    assert_eq!(num(&p["max_age_ms"]), d.max_age_ms);
    assert_eq!(num(&p["window"]), wampe2e::group::WINDOW);
    assert_eq!(num(&p["max_skipped"]), wampe2e::group::MAX_SKIPPED as u64);
    assert_eq!(num(&p["max_jump"]), wampe2e::group::MAX_JUMP);
    assert_eq!(num(&p["max_sessions"]), wampe2e::group::MAX_SESSIONS as u64);
}

#[test]
fn identities_derived_from_cryptosign_seeds() {
    let v = vectors();
    let ids = v["cryptosign_identities"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    for i in ids {
        let id = Identity::from_cryptosign_seed(&arr(&i["cryptosign_seed"]));
        assert_eq!(id.seed().to_vec(), bytes(&i["seed"]), "{i}");
        assert_eq!(id.public().as_bytes().to_vec(), bytes(&i["public"]), "{i}");
        let plain = Identity::from_seed(&arr(&i["cryptosign_seed"]));
        assert_eq!(
            plain.public().as_bytes().to_vec(),
            bytes(&i["cryptosign_public"])
        );
        assert_ne!(id.public(), plain.public());
    }
}

#[test]
fn identities() {
    let v = vectors();
    let ids = v["identities"].as_array().unwrap();
    assert!(ids.len() >= 6);
    for i in ids {
        let id = Identity::from_seed(&arr(&i["seed"]));
        assert_eq!(id.public().as_bytes().to_vec(), bytes(&i["public"]), "{i}");
        assert_eq!(id.fingerprint(), i["public"].as_str().unwrap());
        assert_eq!(
            id.key_procedure(DEFAULT_KEY_PROCEDURE_BASE),
            i["key_procedure"].as_str().unwrap()
        );
    }
}

#[test]
fn chains() {
    let v = vectors();
    let chains = v["chains"].as_array().unwrap();
    assert!(!chains.is_empty());
    for c in chains {
        let sender = key(&c["sender"]);
        let sid: [u8; 16] = arr(&c["session_id"]);
        let steps = c["steps"].as_array().unwrap();
        let mut ck = ChainKey::from_bytes(&arr(&steps[0]["chain_key"]));
        for s in steps {
            let i = num(&s["index"]) as u32;
            assert_eq!(ck.to_bytes().to_vec(), bytes(&s["chain_key"]), "CK_{i}");
            assert_eq!(
                ck.message_key_material().to_vec(),
                bytes(&s["message_key"]),
                "MK_{i}"
            );
            let k = ck.message_key(&sid, &sender, i).unwrap();
            assert_eq!(k.to_bytes().to_vec(), bytes(&s["secretbox_key"]), "K_{i}");
            ck = ck.next();
        }
    }
}

#[test]
fn wire() {
    let v = vectors();
    let scenarios = v["scenarios"].as_array().unwrap();
    let e_s0 = scenarios
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .find(|s| s["id"] == "e.s0")
        .unwrap();
    let wire = v["wire"].as_array().unwrap();
    assert_eq!(wire.len(), 2);
    for w in wire {
        let env = bytes(&w["envelope"]);
        assert_eq!(w["envelope"], e_s0["envelope"]);
        let sid = hex::encode(&env[35..51]);
        let binary = format!("\u{0}{}", BASE64.encode(&env));
        let uri = e_s0["uri"].clone();
        let want = match w["dialect"].as_str().unwrap() {
            "enc" => {
                json!([16, 1, {"enc_algo": "x_wampe2e_gs1", "enc_serializer": "cbor", "enc_key": sid}, uri, binary])
            }
            "ppt" => {
                json!([16, 1, {"ppt_scheme": "x_wampe2e", "ppt_serializer": "cbor", "ppt_cipher": "x_gs1", "ppt_keyid": sid}, uri, [binary]])
            }
            d => panic!("unknown dialect {d}"),
        };
        assert_eq!(w["message"], want);
    }
}

#[test]
fn scenarios() {
    let v = vectors();
    let mut report = Report::default();
    let mut ids = std::collections::HashSet::new();
    let mut steps = 0;
    for scenario in v["scenarios"].as_array().unwrap() {
        let mut world = World::new(&v, scenario);
        for step in scenario["steps"].as_array().unwrap() {
            assert!(
                ids.insert(step["id"].as_str().unwrap().to_owned()),
                "{step}"
            );
            world.step(&mut report, step);
            steps += 1;
        }
    }
    assert!(
        report.failures.is_empty(),
        "{} of {} checks over {steps} steps disagree:\n{}",
        report.failures.len(),
        report.checked,
        report.failures.join("\n")
    );
    assert_eq!(steps, 96);
    println!("{steps} steps, {} checks", report.checked);
}
