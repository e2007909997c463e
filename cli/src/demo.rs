//! `wampe2e demo`: an in-process publisher → router → subscriber walkthrough that
//! prints what the router sees next to what the subscriber gets.

use crate::to_json;
use wampe2e::message::{build_message, parse_message, MessageType};
use wampe2e::{
    open_payload, seal_payload, BoxKey, DataKey, Dialect, Error, KeyPair, KeyRing, Role,
    SymmetricKey, Value,
};

const TOPIC: &str = "com.example.sensor.temperature";

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head}…")
    }
}

/// Runs the walkthrough and returns its transcript.
pub fn run() -> Result<String, Error> {
    let mut out = String::new();
    let mut say = |line: String| {
        out.push_str(&line);
        out.push('\n');
    };

    let publisher = KeyPair::generate()?;
    let subscriber = KeyPair::generate()?;
    say("== wampe2e demo: cryptobox (Autobahn|Python / Crossbar.io dialect) ==".into());
    say(format!(
        "publisher  public key: {}",
        publisher.public.to_base64()
    ));
    say(format!(
        "subscriber public key: {}",
        subscriber.public.to_base64()
    ));

    // Each peer holds its own secret and the other's public key.
    let pub_ring = KeyRing::new();
    pub_ring.set(
        "com.example.",
        BoxKey::new(
            Some(publisher.secret.clone()),
            None,
            None,
            Some(subscriber.public),
        )?,
    );
    let sub_ring = KeyRing::new();
    sub_ring.set(
        "com.example.",
        BoxKey::new(
            None,
            Some(publisher.public),
            Some(subscriber.secret.clone()),
            None,
        )?,
    );

    let args = vec![
        Value::from(21.5),
        Value::from("celsius"),
        Value::Map(vec![("room".into(), Value::from("lab-3"))]),
    ];
    let kwargs = vec![("sensor".to_owned(), Value::from("s-17"))];
    say(String::new());
    say(format!(
        "1. publisher publishes to {TOPIC}: args={} kwargs={}",
        to_json(&Value::List(args.clone()))?,
        to_json(&Value::Map(kwargs.clone()))?
    ));
    let envelope = seal_payload(
        &pub_ring,
        Role::Originator,
        TOPIC,
        Some(&args),
        Some(&kwargs),
        Dialect::Cryptobox,
    )?;
    let publish = build_message(MessageType::Publish, TOPIC, &envelope);

    say(String::new());
    say("2. the router sees (WAMP-JSON, binary as \\u0000 + base64):".into());
    say(format!("   {}", shorten(&to_json(&publish)?, 160)));
    say(format!(
        "   URI in clear, payload = {} opaque bytes (24 nonce + 16 tag + {} ciphertext)",
        envelope.payload.len(),
        envelope.payload.len() - 40
    ));

    // The router turns PUBLISH into EVENT, forwarding the attributes and the payload as-is.
    let event = build_message(
        MessageType::Event,
        TOPIC,
        &parse_message(&publish)?.envelope,
    );
    let received = parse_message(&event)?;
    let opened = open_payload(&sub_ring, Role::Responder, TOPIC, &received.envelope)?;
    say(String::new());
    say("3. the subscriber receives the EVENT and opens it:".into());
    say(format!(
        "   uri={} args={} kwargs={}",
        opened.uri.as_deref().unwrap_or("-"),
        to_json(&Value::List(opened.args.unwrap_or_default()))?,
        to_json(&Value::Map(opened.kwargs.unwrap_or_default()))?
    ));

    say(String::new());
    say("4. what a hostile router cannot do:".into());
    let replay = open_payload(
        &sub_ring,
        Role::Responder,
        "com.example.door.open",
        &received.envelope,
    );
    say(format!(
        "   replay onto com.example.door.open -> {}",
        replay
            .err()
            .map_or("accepted (BUG)".into(), |e| e.code().name().to_owned())
    ));
    let eavesdropper = KeyRing::new();
    eavesdropper.set(
        "",
        BoxKey::new(
            None,
            Some(publisher.public),
            Some(KeyPair::generate()?.secret),
            None,
        )?,
    );
    let snoop = open_payload(&eavesdropper, Role::Responder, TOPIC, &received.envelope);
    say(format!(
        "   open with another key           -> {}",
        snoop
            .err()
            .map_or("accepted (BUG)".into(), |e| e.code().name().to_owned())
    ));
    let mut tampered = received.envelope.clone();
    if let Some(b) = tampered.payload.last_mut() {
        *b ^= 1;
    }
    let flipped = open_payload(&sub_ring, Role::Responder, TOPIC, &tampered);
    say(format!(
        "   flip one ciphertext bit         -> {}",
        flipped
            .err()
            .map_or("accepted (BUG)".into(), |e| e.code().name().to_owned())
    ));

    say(String::new());
    say(
        "== payload passthru mode (WAMP spec, wampy.js / nexus / Bondy): cbor + aes256gcm =="
            .into(),
    );
    let shared = KeyRing::new();
    shared.set(
        "com.example.",
        SymmetricKey::new("team-key-2026", DataKey::generate()?)?,
    );
    let dialect = Dialect::Passthru {
        serializer: wampe2e::Serializer::Cbor,
        cipher: wampe2e::Cipher::Aes256Gcm,
    };
    let call_args = vec![
        Value::from(2),
        Value::from(3),
        Value::Bytes(vec![0xde, 0xad]),
    ];
    let env = seal_payload(
        &shared,
        Role::Originator,
        "com.example.add",
        Some(&call_args),
        None,
        dialect,
    )?;
    let call = build_message(MessageType::Call, "com.example.add", &env);
    say(format!(
        "   router sees: {}",
        shorten(&to_json(&call)?, 160)
    ));
    let got = open_payload(
        &shared,
        Role::Responder,
        "com.example.add",
        &parse_message(&call)?.envelope,
    )?;
    say(format!(
        "   callee gets: args={}",
        to_json(&Value::List(got.args.unwrap_or_default()))?
    ));
    Ok(out.trim_end().to_owned())
}
