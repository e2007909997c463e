//! The `wampe2e` command: generate keys, seal and open WAMP payloads, inspect
//! envelopes, and a walkthrough demo. Exit codes: 0 success, 1 a wampe2e error
//! (its code name is printed), 2 a usage error.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Read;
use std::process::ExitCode;
use wampe2e::message::{build_message, parse_message, MessageType};
use wampe2e::serializer::read_json;
use wampe2e::{
    open_payload, seal_payload, BoxKey, Cipher, DataKey, Dialect, Error, ErrorCode, KeyEntry,
    KeyPair, KeyRing, Role, SecretKey, Serializer, SymmetricKey, Value,
};

mod demo;

#[derive(Parser)]
#[command(
    name = "wampe2e",
    version,
    about = "End-to-end encryption of WAMP payloads"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate an X25519 key pair (or a symmetric data key) and print it as JSON.
    Keygen {
        /// Generate a 32-byte symmetric data key instead of a key pair.
        #[arg(long, conflicts_with = "from_ed25519")]
        data: bool,
        /// Derive the X25519 pair from this Ed25519 (WAMP-cryptosign) seed, base64 or hex
        /// (or from $WAMPE2E_ED25519_SEED: other users can read a process's arguments).
        #[arg(
            long,
            value_name = "SEED",
            env = "WAMPE2E_ED25519_SEED",
            hide_env_values = true
        )]
        from_ed25519: Option<String>,
    },
    /// Seal args/kwargs and print the WAMP message the router would see.
    Seal(SealArgs),
    /// Open a sealed WAMP message (JSON, from the argument or stdin) and print uri/args/kwargs.
    Open(OpenArgs),
    /// Decode a sealed message's envelope attributes without any keys.
    Inspect {
        /// The WAMP message as JSON; read from stdin when absent.
        message: Option<String>,
    },
    /// Walk through publisher → router → subscriber in-process, showing what each sees.
    Demo,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    /// Caller or publisher.
    Originator,
    /// Callee or subscriber.
    Responder,
}

#[derive(Clone, Copy, ValueEnum)]
enum DialectArg {
    /// Autobahn|Python / Crossbar.io `enc_*` (cryptobox over JSON).
    Cryptobox,
    /// WAMP spec Payload Passthru Mode `ppt_*`.
    Ppt,
}

#[derive(Args)]
struct KeyArgs {
    /// Originator (caller/publisher) secret key, base64 or hex. Secrets also come
    /// from the environment ($WAMPE2E_ORIGINATOR_PRIV, ...) or --key-file: other
    /// users of the machine can read a process's arguments.
    #[arg(long, env = "WAMPE2E_ORIGINATOR_PRIV", hide_env_values = true)]
    originator_priv: Option<String>,
    /// Originator public key, base64 or hex.
    #[arg(long)]
    originator_pub: Option<String>,
    /// Responder (callee/subscriber) secret key, base64 or hex ($WAMPE2E_RESPONDER_PRIV).
    #[arg(long, env = "WAMPE2E_RESPONDER_PRIV", hide_env_values = true)]
    responder_priv: Option<String>,
    /// Responder public key, base64 or hex.
    #[arg(long)]
    responder_pub: Option<String>,
    /// One secret for both roles, as Autobahn's `KeyRing("<key>")` ($WAMPE2E_SHARED_KEY).
    #[arg(long, env = "WAMPE2E_SHARED_KEY", hide_env_values = true)]
    shared_key: Option<String>,
    /// A symmetric data key (ppt dialect), base64 or hex; needs --key-id ($WAMPE2E_DATA_KEY).
    #[arg(
        long,
        requires = "key_id",
        env = "WAMPE2E_DATA_KEY",
        hide_env_values = true
    )]
    data_key: Option<String>,
    /// The id of --data-key, sent as `ppt_keyid`.
    #[arg(long)]
    key_id: Option<String>,
    /// A JSON file with any of the fields above (originator_priv, ..., data_key, key_id).
    #[arg(long, value_name = "FILE")]
    key_file: Option<String>,
    /// Accept plaintexts that carry no uri (off by default).
    #[arg(long)]
    allow_missing_uri: bool,
}

#[derive(Args)]
struct SealArgs {
    /// The topic, procedure or error URI.
    #[arg(long)]
    uri: String,
    /// The message to build: publish, call, yield or error.
    #[arg(long, default_value = "publish")]
    message: String,
    /// Override the role (default: originator for publish/call, responder for yield/error).
    #[arg(long, value_enum)]
    role: Option<RoleArg>,
    /// The wire dialect.
    #[arg(long, value_enum, default_value = "cryptobox")]
    dialect: DialectArg,
    /// ppt serializer: cbor, msgpack or json.
    #[arg(long, default_value = "cbor")]
    serializer: String,
    /// ppt cipher: xsalsa20poly1305 or aes256gcm.
    #[arg(long, default_value = "xsalsa20poly1305")]
    cipher: String,
    /// Positional arguments as a JSON list.
    #[arg(long)]
    args: Option<String>,
    /// Keyword arguments as a JSON object.
    #[arg(long)]
    kwargs: Option<String>,
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Args)]
struct OpenArgs {
    /// The URI the message arrived on; required for EVENT, INVOCATION, YIELD and RESULT,
    /// which do not carry one.
    #[arg(long)]
    uri: Option<String>,
    /// Override the role (default: responder for publish/event/call/invocation, else originator).
    #[arg(long, value_enum)]
    role: Option<RoleArg>,
    /// The WAMP message as JSON; read from stdin when absent.
    message: Option<String>,
    #[command(flatten)]
    keys: KeyArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen { data, from_ed25519 } => keygen(data, from_ed25519.as_deref()),
        Command::Seal(a) => seal(&a),
        Command::Open(a) => open(&a),
        Command::Inspect { message } => inspect(message),
        Command::Demo => demo::run(),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wampe2e: error: {e}");
            ExitCode::from(1)
        }
    }
}

fn to_json(v: &Value) -> Result<String, Error> {
    wampe2e::serializer::to_json_string(v)
}

fn obj(pairs: &[(&str, String)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
            .collect(),
    )
}

fn keygen(data: bool, from_ed25519: Option<&str>) -> Result<String, Error> {
    if data {
        let k = DataKey::generate()?;
        return to_json(&obj(&[
            ("data_key_base64", k.to_base64().to_string()),
            ("data_key_hex", hex_of(k.as_bytes())),
        ]));
    }
    let pair = match from_ed25519 {
        Some(seed) => KeyPair::from_ed25519_seed_encoded("--from-ed25519", seed)?,
        None => KeyPair::generate()?,
    };
    to_json(&obj(&[
        ("secret_base64", pair.secret.to_base64().to_string()),
        ("secret_hex", pair.secret.to_hex().to_string()),
        ("public_base64", pair.public.to_base64()),
        ("public_hex", pair.public.to_hex()),
        ("key_id", pair.public.key_id()),
    ]))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_input(arg: Option<&str>) -> Result<String, Error> {
    match arg {
        Some(s) => Ok(s.to_owned()),
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::new(ErrorCode::InvalidUtf8, format!("stdin: {e}")))?;
            Ok(s)
        }
    }
}

/// Builds a one-entry keyring (default key) from the key flags and/or key file.
fn keyring(k: &KeyArgs) -> Result<KeyRing, Error> {
    let file = match &k.key_file {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| {
                Error::new(
                    ErrorCode::InvalidArgument,
                    format!("--key-file {path}: {e}"),
                )
            })?;
            read_json(&text)?
        }
        None => Value::Null,
    };
    let pick = |flag: &Option<String>, name: &str| -> Option<String> {
        flag.clone()
            .or_else(|| file.get(name).and_then(Value::as_str).map(str::to_owned))
    };
    let originator_priv = pick(&k.originator_priv, "originator_priv");
    let originator_pub = pick(&k.originator_pub, "originator_pub");
    let responder_priv = pick(&k.responder_priv, "responder_priv");
    let responder_pub = pick(&k.responder_pub, "responder_pub");
    let shared = pick(&k.shared_key, "shared_key");
    let data = pick(&k.data_key, "data_key");
    let key_id = pick(&k.key_id, "key_id");

    let mut entry: KeyEntry = if let Some(data) = data {
        let id = key_id
            .ok_or_else(|| Error::new(ErrorCode::InvalidArgument, "data_key needs key_id"))?;
        SymmetricKey::new(&id, DataKey::from_encoded("data_key", &data)?)?.into()
    } else if let Some(shared) = shared {
        BoxKey::from_shared_secret(SecretKey::from_encoded("shared_key", &shared)?)?.into()
    } else {
        BoxKey::from_encoded(
            originator_priv.as_deref(),
            originator_pub.as_deref(),
            responder_priv.as_deref(),
            responder_pub.as_deref(),
        )?
        .into()
    };
    entry.allow_missing_uri = k.allow_missing_uri;
    let ring = KeyRing::new();
    ring.set("", entry);
    Ok(ring)
}

fn role_of(arg: Option<RoleArg>, default: Role) -> Role {
    match arg {
        Some(RoleArg::Originator) => Role::Originator,
        Some(RoleArg::Responder) => Role::Responder,
        None => default,
    }
}

fn seal(a: &SealArgs) -> Result<String, Error> {
    let kind: MessageType = a.message.parse()?;
    if !matches!(
        kind,
        MessageType::Publish | MessageType::Call | MessageType::Yield | MessageType::Error
    ) {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "--message {}: peers send publish, call, yield or error",
                a.message
            ),
        ));
    }
    let dialect = match a.dialect {
        DialectArg::Cryptobox => Dialect::Cryptobox,
        DialectArg::Ppt => Dialect::Passthru {
            serializer: a.serializer.parse::<Serializer>()?,
            cipher: a.cipher.parse::<Cipher>()?,
        },
    };
    let (args, kwargs) = if a.args.is_none() && a.kwargs.is_none() {
        // {"args": [...], "kwargs": {...}} on stdin
        let input = read_json(read_input(None)?.as_bytes())?;
        (input.get("args").cloned(), input.get("kwargs").cloned())
    } else {
        let parse =
            |text: &Option<String>| text.as_deref().map(|t| read_json(t.as_bytes())).transpose();
        (parse(&a.args)?, parse(&a.kwargs)?)
    };
    let args = wampe2e::args_from_value("args", args)?;
    let kwargs = wampe2e::kwargs_from_value("kwargs", kwargs)?;
    let ring = keyring(&a.keys)?;
    let role = role_of(a.role, kind.sealing_role());
    let envelope = seal_payload(
        &ring,
        role,
        &a.uri,
        args.as_deref(),
        kwargs.as_ref(),
        dialect,
    )?;
    to_json(&build_message(kind, &a.uri, &envelope))
}

fn open(a: &OpenArgs) -> Result<String, Error> {
    let message = read_json(read_input(a.message.as_deref())?.as_bytes())?;
    let parsed = parse_message(&message)?;
    let uri = a.uri.clone().or(parsed.uri).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("{} carries no URI: pass --uri", parsed.kind.name()),
        )
    })?;
    let ring = keyring(&a.keys)?;
    let role = role_of(a.role, parsed.kind.opening_role());
    let p = open_payload(&ring, role, &uri, &parsed.envelope)?;
    to_json(&Value::Map(vec![
        ("uri".into(), p.uri.map_or(Value::Null, Value::String)),
        ("args".into(), p.args.map_or(Value::Null, Value::List)),
        ("kwargs".into(), p.kwargs.map_or(Value::Null, Value::Map)),
    ]))
}

fn inspect(message: Option<String>) -> Result<String, Error> {
    let message = read_json(read_input(message.as_deref())?.as_bytes())?;
    let parsed = parse_message(&message)?;
    let env = &parsed.envelope;
    let cipher = env.dialect.cipher();
    let nonce_len = cipher.nonce_len();
    let mut fields: Vec<(String, Value)> = vec![
        ("message".into(), Value::from(parsed.kind.name())),
        ("uri".into(), parsed.uri.map_or(Value::Null, Value::String)),
        (
            "dialect".into(),
            Value::from(match env.dialect {
                Dialect::Cryptobox => "cryptobox (enc_*)",
                Dialect::Passthru { .. } => "payload passthru (ppt_*)",
            }),
        ),
    ];
    for (k, v) in env.attributes() {
        fields.push((k.to_owned(), Value::String(v)));
    }
    fields.push((
        "ciphertext_bytes".into(),
        Value::from_u64(env.payload.len() as u64),
    ));
    fields.push((
        "plaintext_bytes".into(),
        Value::from_u64(env.payload.len().saturating_sub(cipher.overhead()) as u64),
    ));
    fields.push((
        "nonce_hex".into(),
        Value::String(hex_of(env.payload.get(..nonce_len).unwrap_or_default())),
    ));
    to_json(&Value::Map(fields))
}
