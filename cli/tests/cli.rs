//! End-to-end tests of the `wampe2e` binary: what a user types, what they get.

// Test code: failing loudly is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn wampe2e(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wampe2e"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    let out = wampe2e(args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn field(v: &serde_json::Value, k: &str) -> String {
    v[k].as_str().unwrap().to_owned()
}

#[test]
fn keygen_prints_a_key_file_per_role() {
    let k = ok(&["keygen", "--role", "originator"], None);
    assert_eq!(field(&k, "originator_priv").len(), 44);
    assert_eq!(field(&k, "originator_pub").len(), 44);
    assert_eq!(k.as_object().unwrap().len(), 2, "{k}");
    let r = ok(&["keygen", "--role", "responder"], None);
    assert_eq!(field(&r, "responder_pub").len(), 44);
    assert_eq!(r.as_object().unwrap().len(), 2, "{r}");
    let d = ok(&["keygen", "--data", "--key-id", "team-1"], None);
    assert_eq!(field(&d, "data_key").len(), 44);
    assert_eq!(field(&d, "key_id"), "team-1");
    // A role (or --data with an id) is a usage error to leave out.
    assert_eq!(wampe2e(&["keygen"], None).status.code(), Some(2));
    assert_eq!(wampe2e(&["keygen", "--data"], None).status.code(), Some(2));
    let seed = "0101010101010101010101010101010101010101010101010101010101010101";
    let a = ok(
        &["keygen", "--role", "responder", "--from-ed25519", seed],
        None,
    );
    let b = ok(
        &["keygen", "--role", "responder", "--from-ed25519", seed],
        None,
    );
    assert_eq!(a, b, "conversion is deterministic");
    // Secrets can stay off the command line (other users can read it).
    let from_env = Command::new(env!("CARGO_BIN_EXE_wampe2e"))
        .args(["keygen", "--role", "responder"])
        .env("WAMPE2E_ED25519_SEED", seed)
        .output()
        .unwrap();
    assert!(from_env.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&from_env.stdout).unwrap(),
        a
    );
    let help = wampe2e(&["seal", "--help"], None);
    assert!(String::from_utf8_lossy(&help.stdout).contains("WAMPE2E_ORIGINATOR_PRIV"));
}

#[test]
fn seal_then_open_in_both_dialects() {
    let o = ok(&["keygen", "--role", "originator"], None);
    let r = ok(&["keygen", "--role", "responder"], None);
    let (op, opub, rp, rpub) = (
        field(&o, "originator_priv"),
        field(&o, "originator_pub"),
        field(&r, "responder_priv"),
        field(&r, "responder_pub"),
    );
    let publisher = ["--originator-priv", &op, "--responder-pub", &rpub];
    let subscriber = ["--originator-pub", &opub, "--responder-priv", &rp];
    for dialect in [
        &["--dialect", "cryptobox"][..],
        &["--dialect", "ppt", "--serializer", "msgpack"][..],
    ] {
        let mut args = vec![
            "seal",
            "--uri",
            "com.example.t",
            "--args",
            "[1,\"two\",{\"three\":3.5}]",
            "--kwargs",
            "{\"k\":null}",
        ];
        args.extend_from_slice(dialect);
        args.extend_from_slice(&publisher);
        let msg = ok(&args, None);
        assert_eq!(msg[0], 16);
        assert_eq!(msg[3], "com.example.t");
        let text = msg.to_string();
        assert!(!text.contains("two"), "plaintext leaked: {text}");

        let mut open = vec!["open"];
        open.extend_from_slice(&subscriber);
        let got = ok(&open, Some(&text));
        assert_eq!(got["args"], serde_json::json!([1, "two", {"three": 3.5}]));
        assert_eq!(got["kwargs"], serde_json::json!({"k": null}));

        let info = ok(&["inspect", &text], None);
        assert_eq!(info["message"], "PUBLISH");
        assert!(info["ciphertext_bytes"].as_u64().unwrap() > 40);
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wampe2e-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `wampe2e args...` and writes its stdout to `dir/file`, returning the path.
fn to_file(dir: &std::path::Path, file: &str, args: &[&str]) -> String {
    let out = wampe2e(args, None);
    assert!(out.status.success(), "{args:?}");
    let path = dir.join(file);
    std::fs::write(&path, &out.stdout).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn payload_from_stdin_and_key_file() {
    let dir = temp_dir("data");
    let f = to_file(
        &dir,
        "keys.json",
        &["keygen", "--data", "--key-id", "kid-1"],
    );
    let msg = ok(
        &[
            "seal",
            "--uri",
            "com.p",
            "--message",
            "call",
            "--dialect",
            "ppt",
            "--cipher",
            "aes256gcm",
            "--key-file",
            &f,
        ],
        Some("{\"args\":[\"\\u0000AQI=\"],\"kwargs\":{\"a\":1}}"),
    );
    assert_eq!(msg[0], 48);
    assert_eq!(msg[2]["ppt_keyid"], "kid-1");
    assert_eq!(msg[2]["ppt_cipher"], "aes256gcm");
    let got = ok(&["open", "--key-file", &f], Some(&msg.to_string()));
    assert_eq!(
        got["args"],
        serde_json::json!(["\u{0}AQI="]),
        "binary stays binary"
    );
    // open takes the key id from the message's ppt_keyid: the data key alone opens it.
    let key = std::fs::read_to_string(&f).unwrap();
    let key: serde_json::Value = serde_json::from_str(&key).unwrap();
    let got = ok(
        &["open", "--data-key", &field(&key, "data_key")],
        Some(&msg.to_string()),
    );
    assert_eq!(got["kwargs"], serde_json::json!({"a": 1}));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn key_files_from_keygen_and_public_work_for_each_side() {
    let dir = temp_dir("pairs");
    let publisher = to_file(&dir, "p.json", &["keygen", "--role", "originator"]);
    let subscriber = to_file(&dir, "s.json", &["keygen", "--role", "responder"]);
    let publisher_pub = to_file(&dir, "p.pub.json", &["public", "--key-file", &publisher]);
    let subscriber_pub = to_file(&dir, "s.pub.json", &["public", "--key-file", &subscriber]);
    let public: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&subscriber_pub).unwrap()).unwrap();
    assert_eq!(
        public.as_object().unwrap().len(),
        1,
        "only responder_pub: {public}"
    );
    assert!(public.get("responder_pub").is_some());

    let msg = ok(
        &[
            "seal",
            "--uri",
            "com.example.t",
            "--args",
            "[7]",
            "--key-file",
            &publisher,
            "--key-file",
            &subscriber_pub,
        ],
        None,
    );
    let got = ok(
        &[
            "open",
            "--key-file",
            &subscriber,
            "--key-file",
            &publisher_pub,
        ],
        Some(&msg.to_string()),
    );
    assert_eq!(got["args"], serde_json::json!([7]));

    // A typo is refused by name, not left to end as KEY_INCOMPLETE.
    let typo = dir.join("typo.json");
    std::fs::write(&typo, "{\"responder_secret\":\"x\"}").unwrap();
    let out = wampe2e(
        &["open", "--key-file", typo.to_str().unwrap()],
        Some(&msg.to_string()),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown field \"responder_secret\"") && err.contains("INVALID_ARGUMENT"),
        "{err}"
    );
    // Secrets shared by all holders have no public half.
    let data = to_file(&dir, "d.json", &["keygen", "--data", "--key-id", "k"]);
    assert_eq!(
        wampe2e(&["public", "--key-file", &data], None)
            .status
            .code(),
        Some(1)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn errors_exit_1_with_code_usage_exits_2() {
    let out = wampe2e(
        &[
            "seal",
            "--uri",
            "u",
            "--args",
            "[]",
            "--responder-pub",
            "nope",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("WAMPE2E_INVALID_KEY") && err.contains("responder_pub"),
        "{err}"
    );

    let out = wampe2e(&["seal"], None);
    assert_eq!(out.status.code(), Some(2));

    // A mistyped choice is a usage error; so are ppt options with cryptobox.
    let key = ["--shared-key", &"00".repeat(32)];
    let out = wampe2e(
        &[
            &[
                "seal",
                "--uri",
                "u",
                "--args",
                "[]",
                "--dialect",
                "ppt",
                "--cipher",
                "aes",
            ][..],
            &key[..],
        ]
        .concat(),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let out = wampe2e(
        &[
            &["seal", "--uri", "u", "--args", "[]", "--serializer", "cbor"][..],
            &key[..],
        ]
        .concat(),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dialect ppt"));

    // JSON errors name the argument.
    let out = wampe2e(
        &[&["seal", "--uri", "u", "--args", "[1,"][..], &key[..]].concat(),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--args: ") && err.contains("WAMPE2E_INVALID_JSON"),
        "{err}"
    );
    let out = wampe2e(
        &[
            &["seal", "--uri", "u", "--args", "[]", "--kwargs", "{"][..],
            &key[..],
        ]
        .concat(),
        None,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kwargs: "));

    let help = String::from_utf8_lossy(&wampe2e(&["open", "--help"], None).stdout).into_owned();
    assert!(
        help.contains("responder_priv") && help.contains("originator_pub"),
        "{help}"
    );

    let out = wampe2e(
        &["open", "--shared-key", &"00".repeat(32)],
        Some("[16,1,{},\"u\",\"x\"]"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WAMPE2E_INVALID_ENVELOPE"));

    let out = wampe2e(&["inspect"], Some("{not json"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WAMPE2E_INVALID_JSON"));

    let out = wampe2e(
        &["open", "--shared-key", &"00".repeat(32)],
        Some("[36,1,1,{\"enc_algo\":\"cryptobox\",\"enc_serializer\":\"json\"},\"\\u0000AAAA\"]"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--uri"));
}

#[test]
fn demo_shows_the_router_view_and_the_attacks_failing() {
    let out = wampe2e(&["demo"], None);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"enc_algo\":\"cryptobox\""));
    assert!(text.contains("replay onto com.example.door.open -> WAMPE2E_URI_MISMATCH"));
    assert!(text.contains("-> WAMPE2E_DECRYPTION_FAILED"));
    assert!(!text.contains("BUG"));
    assert!(text.contains("callee gets: args=[2,3,"));
}
