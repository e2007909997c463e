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
fn keygen_prints_base64_hex_and_key_id() {
    let k = ok(&["keygen"], None);
    assert_eq!(field(&k, "secret_hex").len(), 64);
    assert_eq!(field(&k, "public_base64").len(), 44);
    let id = field(&k, "key_id");
    assert!(id.starts_with("0x") && id.len() == 42, "{id}");
    let d = ok(&["keygen", "--data"], None);
    assert_eq!(field(&d, "data_key_hex").len(), 64);
    let seed = "0101010101010101010101010101010101010101010101010101010101010101";
    let a = ok(&["keygen", "--from-ed25519", seed], None);
    let b = ok(&["keygen", "--from-ed25519", seed], None);
    assert_eq!(a, b, "conversion is deterministic");
    // Secrets can stay off the command line (other users can read it).
    let from_env = Command::new(env!("CARGO_BIN_EXE_wampe2e"))
        .args(["keygen"])
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
    let o = ok(&["keygen"], None);
    let r = ok(&["keygen"], None);
    let (op, opub, rp, rpub) = (
        field(&o, "secret_base64"),
        field(&o, "public_hex"),
        field(&r, "secret_hex"),
        field(&r, "public_base64"),
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

#[test]
fn payload_from_stdin_and_key_file() {
    let d = ok(&["keygen", "--data"], None);
    let dir = std::env::temp_dir().join(format!("wampe2e-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys.json");
    std::fs::write(
        &file,
        format!(
            "{{\"data_key\":\"{}\",\"key_id\":\"kid-1\"}}",
            field(&d, "data_key_base64")
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();
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
            f,
        ],
        Some("{\"args\":[\"\\u0000AQI=\"],\"kwargs\":{\"a\":1}}"),
    );
    assert_eq!(msg[0], 48);
    assert_eq!(msg[2]["ppt_keyid"], "kid-1");
    assert_eq!(msg[2]["ppt_cipher"], "aes256gcm");
    let got = ok(&["open", "--key-file", f], Some(&msg.to_string()));
    assert_eq!(
        got["args"],
        serde_json::json!(["\u{0}AQI="]),
        "binary stays binary"
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
