//! End-to-end tests of `wampe2e identity` and `wampe2e group` (GS1): a script
//! driving a whole exchange between two peers through their state files.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const T0: &str = "1700000000000";

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wampe2e"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdin.take().unwrap());
    child.wait_with_output().unwrap()
}

fn ok_text(args: &[&str]) -> String {
    let out = run(args, &[]);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn ok(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok_text(args)).unwrap()
}

/// Runs a command that must fail with exit status 1 and `code` on stderr.
fn fails(args: &[&str], code: &str) {
    let out = run(args, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(code), "{args:?}: expected {code}, got {err}");
}

fn field(v: &serde_json::Value, k: &str) -> String {
    v[k].as_str().unwrap().to_owned()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wampe2e-gs1-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn p(dir: &Path, f: &str) -> String {
    dir.join(f).to_str().unwrap().to_owned()
}

#[cfg(unix)]
fn mode(path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// alice (sender) and bob (receiver) with identities, state files and the
/// entry `com.example.`; returns (alice state, bob state, alice pk, bob pk).
fn peers(dir: &Path) -> (String, String, String, String) {
    let mut out = Vec::new();
    for who in ["alice", "bob"] {
        let id = p(dir, &format!("{who}.id"));
        let info = ok(&["identity", "new", "--out", &id]);
        #[cfg(unix)]
        assert_eq!(mode(&id), 0o600);
        let public = ok_text(&["identity", "public", &id]);
        assert_eq!(field(&info, "public"), public);
        assert_eq!(
            field(&info, "key_procedure"),
            format!("wampe2e.key.{public}")
        );
        let state = p(dir, &format!("{who}.state"));
        ok(&["group", "init", "--identity", &id, "--state", &state]);
        #[cfg(unix)]
        assert_eq!(mode(&state), 0o600);
        out.push((state, public));
    }
    let (a, b) = (out[0].1.clone(), out[1].1.clone());
    for (state, _) in &out {
        let e = ok(&[
            "group",
            "entry",
            "--state",
            state,
            "--prefix",
            "com.example.",
            "--sender",
            &a,
            "--receiver",
            &b,
        ]);
        assert_eq!(e["senders"][0], a.as_str());
    }
    (out[0].0.clone(), out[1].0.clone(), a, b)
}

#[test]
fn a_script_drives_a_whole_exchange() {
    let dir = temp_dir("exchange");
    let (alice, bob, a, _) = peers(&dir);
    let topic = "com.example.topic";

    // alice seals two events.
    let seal = |args: &str| {
        ok(&[
            "group",
            "seal",
            "--state",
            &alice,
            "--now-ms",
            T0,
            "--uri",
            topic,
            "--args",
            args,
            "--kwargs",
            r#"{"k":"v"}"#,
        ])
    };
    let e1 = seal(r#"[1,"one"]"#);
    let e2 = seal("[2]");
    assert_eq!(
        (e1["index"].as_u64(), e2["index"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(e1["key_id"], e2["key_id"]);
    assert_eq!(e1["key_id"], e1["session_id"]);
    let (env1, env2, key_id) = (
        field(&e1, "envelope"),
        field(&e2, "envelope"),
        field(&e1, "key_id"),
    );

    // bob does not hold the session: he asks alice's key procedure for it.
    let open = |env: &str| -> Vec<String> {
        vec![
            "group".into(),
            "open".into(),
            "--state".into(),
            bob.clone(),
            "--now-ms".into(),
            T0.into(),
            "--uri".into(),
            topic.into(),
            "--key-id".into(),
            key_id.clone(),
            env.into(),
        ]
    };
    fails(&args(&open(&env1)), "WAMPE2E_UNKNOWN_SESSION");
    let req = ok(&[
        "group",
        "keyreq",
        "--state",
        &bob,
        "--now-ms",
        T0,
        "--target",
        &a,
        "--prefix",
        "com.example.",
        "--session",
        &key_id,
        "--from",
        "0",
    ]);
    assert_eq!(field(&req, "procedure"), format!("wampe2e.key.{a}"));
    let resp = ok(&[
        "group",
        "keyresp",
        "--state",
        &alice,
        "--now-ms",
        T0,
        &field(&req, "request"),
    ]);
    let accepted = ok(&[
        "group",
        "accept",
        "--state",
        &bob,
        "--now-ms",
        T0,
        "--request-hash",
        &field(&req, "request_hash"),
        &field(&resp, "response"),
    ]);
    assert_eq!(field(&accepted, "session_id"), key_id);
    assert_eq!(accepted["index"], 0);

    let o1 = ok(&args(&open(&env1)));
    assert_eq!(o1["uri"], topic);
    assert_eq!(o1["args"], serde_json::json!([1, "one"]));
    assert_eq!(o1["kwargs"], serde_json::json!({"k": "v"}));
    assert_eq!(field(&o1, "sender"), a);
    let o2 = ok(&args(&open(&env2)));
    assert_eq!(o2["args"], serde_json::json!([2]));
    assert_eq!(o2["index"], 1);

    // A replay is refused, also by a later invocation (the state file remembers).
    fails(&args(&open(&env1)), "WAMPE2E_REPLAYED");
    fails(&args(&open(&env2)), "WAMPE2E_REPLAYED");

    // A flipped byte in the ciphertext: the signature fails; nothing is burned.
    let e3 = seal("[3]");
    let mut env3 = field(&e3, "envelope").into_bytes();
    let at = env3.len() - 64 * 2 - 2; // the last ciphertext byte
    env3[at] = if env3[at] == b'0' { b'1' } else { b'0' };
    fails(
        &args(&open(std::str::from_utf8(&env3).unwrap())),
        "WAMPE2E_BAD_SIGNATURE",
    );
    let o3 = ok(&args(&open(&field(&e3, "envelope"))));
    assert_eq!(o3["args"], serde_json::json!([3]));

    // Another URI than the one signed.
    let e4 = seal("[4]");
    let mut wrong = open(&field(&e4, "envelope"));
    wrong[7] = "com.example.other".into();
    fails(&args(&wrong), "WAMPE2E_BAD_SIGNATURE");

    // The response cannot be accepted twice; an unknown request is unsolicited.
    fails(
        &[
            "group",
            "accept",
            "--state",
            &bob,
            "--now-ms",
            T0,
            "--request-hash",
            &field(&req, "request_hash"),
            &field(&resp, "response"),
        ],
        "WAMPE2E_UNSOLICITED",
    );
    // A stale request is refused by the sender.
    let late = (T0.parse::<u64>().unwrap() + 3_600_000).to_string();
    fails(
        &[
            "group",
            "keyresp",
            "--state",
            &alice,
            "--now-ms",
            &late,
            &field(&req, "request"),
        ],
        "WAMPE2E_KEY_REQUEST_STALE",
    );
}

#[test]
fn calls_and_replies() {
    let dir = temp_dir("calls");
    let (alice, bob, a, b) = peers(&dir);
    let proc_ = "com.example.add";
    let call = ok(&[
        "group", "seal", "--state", &alice, "--now-ms", T0, "--uri", proc_, "--call", "--args",
        "[1,2]",
    ]);
    let call_hash = field(&call, "call_hash");
    // bob asks for alice's current session (no --session): it starts at the next
    // index, so he asks for this one explicitly.
    let req = ok(&[
        "group",
        "keyreq",
        "--state",
        &bob,
        "--now-ms",
        T0,
        "--target",
        &a,
        "--prefix",
        "com.example.",
        "--session",
        &field(&call, "session_id"),
    ]);
    let resp = ok(&[
        "group",
        "keyresp",
        "--state",
        &alice,
        "--now-ms",
        T0,
        &field(&req, "request"),
    ]);
    ok(&[
        "group",
        "accept",
        "--state",
        &bob,
        "--now-ms",
        T0,
        "--request-hash",
        &field(&req, "request_hash"),
        &field(&resp, "response"),
    ]);
    let inv = ok(&[
        "group",
        "open",
        "--state",
        &bob,
        "--now-ms",
        T0,
        "--uri",
        proc_,
        "--call",
        &field(&call, "envelope"),
    ]);
    assert_eq!(inv["args"], serde_json::json!([1, 2]));
    let token = field(&inv, "invocation");

    let progress = ok(&[
        "group",
        "reply",
        "--state",
        &bob,
        "--invocation",
        &token,
        "--progress",
        "--args",
        "[0.5]",
    ]);
    let result = ok(&[
        "group",
        "reply",
        "--state",
        &bob,
        "--invocation",
        &field(&progress, "invocation"),
        "--args",
        "[3]",
    ]);
    // The final reply finished the invocation.
    fails(
        &[
            "group",
            "reply",
            "--state",
            &bob,
            "--invocation",
            &field(&result, "invocation"),
            "--args",
            "[4]",
        ],
        "WAMPE2E_INVALID_ARGUMENT",
    );
    // Out of order: the result before the progress.
    fails(
        &[
            "group",
            "open-reply",
            "--state",
            &alice,
            "--call-hash",
            &call_hash,
            &field(&result, "reply"),
        ],
        "WAMPE2E_OUT_OF_ORDER",
    );
    let p = ok(&[
        "group",
        "open-reply",
        "--state",
        &alice,
        "--call-hash",
        &call_hash,
        "--progress",
        &field(&progress, "reply"),
    ]);
    assert_eq!(
        (p["kind"].as_str(), p["seq"].as_u64()),
        (Some("progress"), Some(0))
    );
    assert_eq!(field(&p, "callee"), b);
    let r = ok(&[
        "group",
        "open-reply",
        "--state",
        &alice,
        "--call-hash",
        &call_hash,
        &field(&result, "reply"),
    ]);
    assert_eq!(r["args"], serde_json::json!([3]));
    assert_eq!(r["uri"], proc_);
    // The call is over.
    fails(
        &[
            "group",
            "open-reply",
            "--state",
            &alice,
            "--call-hash",
            &call_hash,
            &field(&result, "reply"),
        ],
        "WAMPE2E_UNSOLICITED",
    );
}

#[test]
fn identities_and_state_files_are_checked() {
    let dir = temp_dir("files");
    // From a cryptosign seed: the argument or the environment, never the seed itself.
    let seed = "01".repeat(32);
    let from_arg: serde_json::Value = ok(&["identity", "from-cryptosign", &seed]);
    let out = run(
        &["identity", "from-cryptosign"],
        &[("WAMPE2E_CRYPTOSIGN_SEED", &seed)],
    );
    assert!(out.status.success());
    let from_env: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_arg, from_env);
    assert_eq!(from_arg["gs1_identity"], 1);
    assert_ne!(field(&from_arg, "seed"), seed);
    // --help never shows the variable's value.
    let out = run(
        &["identity", "from-cryptosign", "--help"],
        &[("WAMPE2E_CRYPTOSIGN_SEED", &seed)],
    );
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("WAMPE2E_CRYPTOSIGN_SEED") && !help.contains(&seed),
        "{help}"
    );
    fails(
        &["identity", "from-cryptosign", "zz"],
        "WAMPE2E_INVALID_KEY",
    );

    let (alice, _, _, _) = peers(&dir);
    // Files are never overwritten by init or --out.
    fails(
        &[
            "group",
            "init",
            "--identity",
            &p(&dir, "alice.id"),
            "--state",
            &alice,
        ],
        "WAMPE2E_INVALID_ARGUMENT",
    );
    fails(
        &["identity", "new", "--out", &p(&dir, "alice.id")],
        "WAMPE2E_INVALID_ARGUMENT",
    );
    // A corrupted state file is refused with a code; so is one others can read.
    let text = std::fs::read_to_string(&alice).unwrap();
    let bad = p(&dir, "bad.state");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["params"]["share_backlog"] = serde_json::json!(1u64 << 20);
    write_private(&bad, &v.to_string());
    fails(
        &[
            "group",
            "seal",
            "--state",
            &bad,
            "--uri",
            "com.example.t",
            "--args",
            "[]",
        ],
        "WAMPE2E_MALFORMED",
    );
    write_private(&bad, "{not json");
    fails(
        &[
            "group",
            "seal",
            "--state",
            &bad,
            "--uri",
            "com.example.t",
            "--args",
            "[]",
        ],
        "WAMPE2E_INVALID_JSON",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let open = p(&dir, "open.state");
        std::fs::write(&open, &text).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        fails(
            &[
                "group",
                "seal",
                "--state",
                &open,
                "--uri",
                "com.example.t",
                "--args",
                "[]",
            ],
            "chmod 600",
        );
    }
    // A URI no entry covers; a key request to an identity that is not a sender.
    fails(
        &[
            "group",
            "seal",
            "--state",
            &alice,
            "--uri",
            "org.other.t",
            "--args",
            "[]",
        ],
        "WAMPE2E_KEY_NOT_FOUND",
    );
    fails(
        &[
            "group",
            "keyreq",
            "--state",
            &alice,
            "--target",
            &"ab".repeat(32),
            "--prefix",
            "com.example.",
        ],
        "WAMPE2E_UNTRUSTED_SENDER",
    );
    // Usage errors exit 2.
    assert_eq!(run(&["group", "seal"], &[]).status.code(), Some(2));
    assert_eq!(
        run(
            &["group", "entry", "--state", &alice, "--prefix", "x", "--remove", "--sender", "y"],
            &[]
        )
        .status
        .code(),
        Some(2)
    );
}

fn write_private(path: &str, text: &str) {
    let _ = std::fs::remove_file(path);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).unwrap().write_all(text.as_bytes()).unwrap();
}
