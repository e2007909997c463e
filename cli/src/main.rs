//! The `wampe2e` command: generate keys, seal and open WAMP payloads, inspect
//! envelopes, and a walkthrough demo. Exit codes: 0 success, 1 a wampe2e error
//! (its code name is printed), 2 a usage error.
//!
//! Keys travel in one key-file format, a JSON object with any of the fields
//! [`KEY_FIELDS`]: `keygen` writes it, `public` derives the half to hand to peers,
//! and every command reads it with `--key-file` (repeatable; unknown fields refused).
//!
//! GS1 group sessions (`wampe2e identity`, `wampe2e group`, in `gs1.rs`) keep one
//! peer's state in a private JSON state file between invocations.

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::Read;
use std::process::ExitCode;
use wampe2e::message::{build_message, parse_message, MessageType};
use wampe2e::plaintext::builder::read_json;
use wampe2e::{
    open_payload, seal_payload, BoxKey, Cipher, DataKey, Dialect, Error, ErrorCode, KeyEntry,
    KeyPair, KeyRing, Role, SecretKey, Serializer, SymmetricKey, Value,
};

mod demo;
mod gs1;

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
    /// Generate a key file: an X25519 key pair for one role, or a symmetric data key.
    ///
    /// Prints a key file (JSON) that --key-file reads. Keep it; hand peers only
    /// what `wampe2e public` prints from it.
    Keygen {
        /// Whose key pair: originator (publisher/caller) or responder (subscriber/callee).
        #[arg(long, value_enum, required_unless_present = "data")]
        role: Option<RoleArg>,
        /// Generate a 32-byte symmetric data key (ppt dialect) instead of a key pair.
        #[arg(long, conflicts_with_all = ["from_ed25519", "role"], requires = "key_id")]
        data: bool,
        /// The data key's id, sent as `ppt_keyid` (with --data).
        #[arg(long, requires = "data")]
        key_id: Option<String>,
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
    /// Print the public half of key files: what to hand to peers.
    ///
    /// For each `*_priv` field the matching `*_pub`; `*_pub` fields as they are.
    /// Shared secrets and data keys have no public half and are refused.
    Public {
        /// A key file (repeatable).
        #[arg(long, value_name = "FILE", required = true, action = ArgAction::Append)]
        key_file: Vec<String>,
    },
    /// Seal args/kwargs and print the WAMP message the router would see.
    Seal(SealArgs),
    /// Open a sealed WAMP message (JSON, from the argument or stdin) and print uri/args/kwargs.
    ///
    /// Which keys: a subscriber or callee opens PUBLISH/EVENT/CALL/INVOCATION with its
    /// own responder_priv and the publisher's or caller's originator_pub; a publisher or
    /// caller opens YIELD/RESULT/ERROR with its own originator_priv and the other side's
    /// responder_pub. A data key needs only data_key: its id is read from `ppt_keyid`.
    Open(OpenArgs),
    /// Decode a sealed message's envelope attributes without any keys.
    Inspect {
        /// The WAMP message as JSON; read from stdin when absent.
        message: Option<String>,
    },
    /// Walk through publisher → router → subscriber in-process, showing what each sees.
    Demo,
    /// GS1 identities (Ed25519): generate one, derive one from a WAMP-cryptosign seed.
    #[command(subcommand)]
    Identity(gs1::IdentityCommand),
    /// GS1 group sessions (docs/gs1.md): seal, open, key requests, from a state file.
    ///
    /// Each command reads one peer's state file and writes it back. Unlike a
    /// long-running GS1 peer, whose outbound state is never persisted, the state
    /// file IS this peer's memory between commands: keep it private (mode 0600),
    /// never copy it, never restore an older copy (a sender would reuse chain
    /// indices). Binary values (envelopes, requests, responses, hashes) are hex.
    #[command(subcommand)]
    Group(gs1::GroupCommand),
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    /// Caller or publisher.
    Originator,
    /// Callee or subscriber.
    Responder,
}

#[derive(Clone, Copy, ValueEnum)]
enum MessageArg {
    Publish,
    Call,
    Yield,
    Error,
}

#[derive(Clone, Copy, ValueEnum)]
enum DialectArg {
    /// Autobahn|Python / Crossbar.io `enc_*` (cryptobox over JSON).
    Cryptobox,
    /// WAMP spec Payload Passthru Mode `ppt_*`.
    Ppt,
}

#[derive(Clone, Copy, ValueEnum)]
enum SerializerArg {
    Cbor,
    Msgpack,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CipherArg {
    Xsalsa20poly1305,
    Aes256gcm,
}

/// The fields of a key file, also the names of the key flags (`--originator-priv`, ...).
const KEY_FIELDS: [&str; 7] = [
    "originator_priv",
    "originator_pub",
    "responder_priv",
    "responder_pub",
    "shared_key",
    "data_key",
    "key_id",
];

#[derive(Args)]
struct KeyArgs {
    /// Originator (publisher/caller) secret key, base64 or hex. Secrets also come
    /// from the environment ($WAMPE2E_ORIGINATOR_PRIV, ...) or --key-file: other
    /// users of the machine can read a process's arguments.
    #[arg(long, env = "WAMPE2E_ORIGINATOR_PRIV", hide_env_values = true)]
    originator_priv: Option<String>,
    /// Originator public key, base64 or hex.
    #[arg(long)]
    originator_pub: Option<String>,
    /// Responder (subscriber/callee) secret key, base64 or hex ($WAMPE2E_RESPONDER_PRIV).
    #[arg(long, env = "WAMPE2E_RESPONDER_PRIV", hide_env_values = true)]
    responder_priv: Option<String>,
    /// Responder public key, base64 or hex.
    #[arg(long)]
    responder_pub: Option<String>,
    /// One secret for both roles, as Autobahn's `KeyRing("<key>")` ($WAMPE2E_SHARED_KEY).
    #[arg(long, env = "WAMPE2E_SHARED_KEY", hide_env_values = true)]
    shared_key: Option<String>,
    /// A symmetric data key (ppt dialect), base64 or hex ($WAMPE2E_DATA_KEY).
    #[arg(long, env = "WAMPE2E_DATA_KEY", hide_env_values = true)]
    data_key: Option<String>,
    /// The data key's id (`ppt_keyid`): seal needs it; open reads it from the message.
    #[arg(long)]
    key_id: Option<String>,
    /// A key file as `wampe2e keygen` and `wampe2e public` print it: a JSON object with
    /// any of the fields above (originator_priv, ..., data_key, key_id); repeatable.
    #[arg(long, value_name = "FILE", action = ArgAction::Append)]
    key_file: Vec<String>,
    /// Accept plaintexts that carry no uri (off by default).
    #[arg(long)]
    allow_missing_uri: bool,
}

#[derive(Args)]
struct SealArgs {
    /// The topic, procedure or error URI.
    #[arg(long)]
    uri: String,
    /// The message to build.
    #[arg(long, value_enum, default_value = "publish")]
    message: MessageArg,
    /// Override the role (default: originator for publish/call, responder for yield/error).
    #[arg(long, value_enum)]
    role: Option<RoleArg>,
    /// The wire dialect.
    #[arg(long, value_enum, default_value = "cryptobox")]
    dialect: DialectArg,
    /// The ppt serializer [default: cbor] (cryptobox is always JSON).
    #[arg(long, value_enum)]
    serializer: Option<SerializerArg>,
    /// The ppt cipher [default: xsalsa20poly1305] (cryptobox is always xsalsa20poly1305).
    #[arg(long, value_enum)]
    cipher: Option<CipherArg>,
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
        Command::Keygen {
            role,
            data,
            key_id,
            from_ed25519,
        } => keygen(role, data, key_id.as_deref(), from_ed25519.as_deref()),
        Command::Public { key_file } => public(&key_file),
        Command::Seal(a) => seal(&a),
        Command::Open(a) => open(&a),
        Command::Inspect { message } => inspect(message),
        Command::Demo => demo::run(),
        Command::Identity(c) => gs1::identity(&c),
        Command::Group(c) => gs1::group(&c),
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
    wampe2e::plaintext::serializer::to_json_string(v)
}

fn obj(pairs: &[(&str, String)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
            .collect(),
    )
}

fn keygen(
    role: Option<RoleArg>,
    data: bool,
    key_id: Option<&str>,
    from_ed25519: Option<&str>,
) -> Result<String, Error> {
    if data {
        let id = key_id.unwrap_or_default();
        let k = DataKey::generate()?;
        let encoded = k.to_base64().to_string();
        // The core's check of the id (not empty), before anything is printed.
        SymmetricKey::new(id, k)?;
        return to_json(&obj(&[("data_key", encoded), ("key_id", id.to_owned())]));
    }
    let pair = match from_ed25519 {
        Some(seed) => KeyPair::from_ed25519_seed_encoded("--from-ed25519", seed)?,
        None => KeyPair::generate()?,
    };
    let (priv_name, pub_name) = match role {
        Some(RoleArg::Responder) => ("responder_priv", "responder_pub"),
        _ => ("originator_priv", "originator_pub"),
    };
    to_json(&obj(&[
        (priv_name, pair.secret.to_base64().to_string()),
        (pub_name, pair.public.to_base64()),
    ]))
}

/// The public half of key files: what a peer may be given.
fn public(files: &[String]) -> Result<String, Error> {
    let fields = read_key_files(files)?;
    let mut out: Vec<(&str, String)> = Vec::new();
    for (name, value) in &fields {
        let public = match name.as_str() {
            "originator_priv" | "responder_priv" => {
                let pub_name = if name == "originator_priv" {
                    "originator_pub"
                } else {
                    "responder_pub"
                };
                (
                    pub_name,
                    SecretKey::from_encoded(name, value)?
                        .public_key()
                        .to_base64(),
                )
            }
            "originator_pub" => ("originator_pub", value.clone()),
            "responder_pub" => ("responder_pub", value.clone()),
            other => {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    format!(
                        "{other}: a secret shared by all its holders has no public half; \
                         hand it over out of band"
                    ),
                ))
            }
        };
        if let Some((_, seen)) = out.iter().find(|(n, _)| *n == public.0) {
            if *seen != public.1 {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    format!("{}: the key files disagree", public.0),
                ));
            }
        } else {
            out.push(public);
        }
    }
    to_json(&obj(&out))
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

/// Reads and merges key files: a JSON object of [`KEY_FIELDS`] with string values.
/// Unknown fields, and a field two files give different values, are refused.
fn read_key_files(paths: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for path in paths {
        let what = format!("--key-file {path}");
        let text = std::fs::read(path)
            .map_err(|e| Error::new(ErrorCode::InvalidArgument, format!("{what}: {e}")))?;
        let Value::Map(map) = read_json(&text).map_err(|e| e.within(&what))? else {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("{what}: not a JSON object"),
            ));
        };
        for (name, value) in map {
            if !KEY_FIELDS.contains(&name.as_str()) {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    format!(
                        "{what}: unknown field {name:?} (a key file has {})",
                        KEY_FIELDS.join(", ")
                    ),
                ));
            }
            let Some(value) = value.as_str().map(str::to_owned) else {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    format!("{what}: {name} is not a string"),
                ));
            };
            match fields.iter().find(|(n, _)| *n == name) {
                Some((_, seen)) if *seen != value => {
                    return Err(Error::new(
                        ErrorCode::InvalidArgument,
                        format!("{what}: {name} differs from an earlier --key-file"),
                    ))
                }
                Some(_) => {}
                None => fields.push((name, value)),
            }
        }
    }
    Ok(fields)
}

/// Builds a one-entry keyring (default key) from the key flags and/or key files.
/// `envelope_key_id` is the received message's `ppt_keyid`, used when no key id is given.
fn keyring(k: &KeyArgs, envelope_key_id: Option<&str>) -> Result<KeyRing, Error> {
    let file = read_key_files(&k.key_file)?;
    let pick = |flag: &Option<String>, name: &str| -> Option<String> {
        flag.clone()
            .or_else(|| file.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
    };
    let originator_priv = pick(&k.originator_priv, "originator_priv");
    let originator_pub = pick(&k.originator_pub, "originator_pub");
    let responder_priv = pick(&k.responder_priv, "responder_priv");
    let responder_pub = pick(&k.responder_pub, "responder_pub");
    let shared = pick(&k.shared_key, "shared_key");
    let data = pick(&k.data_key, "data_key");
    let key_id = pick(&k.key_id, "key_id").or_else(|| envelope_key_id.map(str::to_owned));

    let mut entry: KeyEntry = if let Some(data) = data {
        let id = key_id.ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidArgument,
                "data_key needs key_id (--key-id or the key file's key_id), sent as ppt_keyid",
            )
        })?;
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

/// Exits with clap's usage error (code 2).
fn usage_error(message: &str) -> ! {
    Cli::command()
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

fn seal(a: &SealArgs) -> Result<String, Error> {
    let kind = match a.message {
        MessageArg::Publish => MessageType::Publish,
        MessageArg::Call => MessageType::Call,
        MessageArg::Yield => MessageType::Yield,
        MessageArg::Error => MessageType::Error,
    };
    let dialect = match a.dialect {
        DialectArg::Cryptobox => {
            if a.serializer.is_some() || a.cipher.is_some() {
                usage_error(
                    "--serializer and --cipher are for --dialect ppt \
                     (cryptobox is always JSON with xsalsa20poly1305)",
                );
            }
            Dialect::Cryptobox
        }
        DialectArg::Ppt => Dialect::Passthru {
            serializer: match a.serializer {
                None | Some(SerializerArg::Cbor) => Serializer::Cbor,
                Some(SerializerArg::Msgpack) => Serializer::Msgpack,
                Some(SerializerArg::Json) => Serializer::Json,
            },
            cipher: match a.cipher {
                None | Some(CipherArg::Xsalsa20poly1305) => Cipher::XSalsa20Poly1305,
                Some(CipherArg::Aes256gcm) => Cipher::Aes256Gcm,
            },
        },
    };
    let (args, kwargs) = read_args_kwargs(&a.args, &a.kwargs)?;
    let ring = keyring(&a.keys, None)?;
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

/// `--args` and `--kwargs`, or `{"args": [...], "kwargs": {...}}` on stdin when
/// neither is given.
#[allow(clippy::type_complexity)]
fn read_args_kwargs(
    args: &Option<String>,
    kwargs: &Option<String>,
) -> Result<(Option<Vec<Value>>, Option<wampe2e::Map>), Error> {
    let (args, kwargs) = if args.is_none() && kwargs.is_none() {
        let input = read_json(read_input(None)?.as_bytes()).map_err(|e| e.within("stdin"))?;
        (input.get("args").cloned(), input.get("kwargs").cloned())
    } else {
        let parse = |text: &Option<String>, what: &str| {
            text.as_deref()
                .map(|t| read_json(t.as_bytes()).map_err(|e| e.within(what)))
                .transpose()
        };
        (parse(args, "--args")?, parse(kwargs, "--kwargs")?)
    };
    Ok((
        wampe2e::args_from_value("args", args)?,
        wampe2e::kwargs_from_value("kwargs", kwargs)?,
    ))
}

fn open(a: &OpenArgs) -> Result<String, Error> {
    let message = read_json(read_input(a.message.as_deref())?.as_bytes())
        .map_err(|e| e.within("the message"))?;
    let parsed = parse_message(&message)?;
    let uri = a.uri.clone().or(parsed.uri).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("{} carries no URI: pass --uri", parsed.kind.name()),
        )
    })?;
    let ring = keyring(&a.keys, parsed.envelope.key_id.as_deref())?;
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
