//! `wampe2e identity` and `wampe2e group`: GS1 group sessions (docs/gs1.md) from
//! the command line, one peer's state in a JSON file between invocations.
//!
//! The state file is the peer's memory ([`wampe2e::group::state`]): the identity
//! seed, the chain keys of its sessions, what it has opened. It is written with
//! mode 0600 (a file others can read is refused), replaced atomically after
//! every command that changes it and before anything is printed, and must never
//! be copied or restored from an older copy: a sender would seal at indices it
//! has used before, a receiver open again what it has opened.

use crate::{hex_of, read_args_kwargs, read_input, to_json};
use clap::{ArgAction, Args, Subcommand};
use std::io::Write;
use wampe2e::group::{
    parse_payload, Group, GroupState, Identity, IdentityKey, Invocation, Kind, Params, TrustEntry,
    DEFAULT_KEY_PROCEDURE_BASE,
};
use wampe2e::plaintext::builder::read_json;
use wampe2e::{Error, ErrorCode, KeyInput, Payload, Value};

const STATE_HELP: &str = "The group state file (JSON, mode 0600) that `group init` made: this \
peer's whole GS1 state, secrets included. Never copy it or restore an older copy \
(a sender would reuse chain indices); one command at a time per file";

#[derive(Subcommand)]
pub(crate) enum IdentityCommand {
    /// Generate a GS1 identity (an Ed25519 key pair) and print or write its file.
    ///
    /// The file is JSON: {"gs1_identity": 1, "seed", "public", "key_procedure"}.
    /// Keep it private; peers pin only what `wampe2e identity public` prints.
    New {
        /// Write the identity file here (mode 0600, refused if it exists) and print
        /// only its public part.
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
    },
    /// The GS1 identity of a WAMP-cryptosign seed (docs/gs1.md §5: derived with
    /// HKDF, never the cryptosign key itself).
    FromCryptosign {
        /// The cryptosign seed, 64 hex digits or base64 (or $WAMPE2E_CRYPTOSIGN_SEED:
        /// other users can read a process's arguments).
        #[arg(
            value_name = "SEED",
            env = "WAMPE2E_CRYPTOSIGN_SEED",
            hide_env_values = true
        )]
        seed: String,
        /// Write the identity file here (mode 0600, refused if it exists).
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
    },
    /// Print the public key (hex) of an identity file: what peers pin.
    Public {
        /// An identity file.
        file: String,
    },
}

#[derive(Args)]
pub(crate) struct StateArgs {
    #[arg(long, value_name = "FILE", help = STATE_HELP)]
    state: String,
    /// The clock, milliseconds since the Unix epoch (default: the system clock).
    #[arg(long, value_name = "MS")]
    now_ms: Option<u64>,
}

#[derive(Args)]
pub(crate) struct ReplyKindArgs {
    /// A progressive result (not final).
    #[arg(long, conflicts_with = "error")]
    progress: bool,
    /// An error reply, with its error URI.
    #[arg(long, value_name = "URI")]
    error: Option<String>,
}

// The commands of `wampe2e group` (its help text is on `Command::Group` in main.rs).
#[derive(Subcommand)]
pub(crate) enum GroupCommand {
    /// Create a state file for an identity (refused if the file exists).
    Init {
        /// The identity file (`wampe2e identity new --out FILE`).
        #[arg(long, value_name = "FILE")]
        identity: String,
        #[command(flatten)]
        state: StateArgs,
        /// Rotate after this many messages [default: 10000].
        #[arg(long)]
        max_messages: Option<u32>,
        /// Rotate after this age [default: 3600000].
        #[arg(long, value_name = "MS")]
        max_age_ms: Option<u64>,
        /// Clock tolerance [default: 300000].
        #[arg(long, value_name = "MS")]
        max_skew_ms: Option<u64>,
        /// How long a superseded session keeps opening [default: 600000].
        #[arg(long, value_name = "MS")]
        grace_ms: Option<u64>,
        /// How far back a share may start [default: 64].
        #[arg(long)]
        share_backlog: Option<u32>,
    },
    /// Set (or --remove) the trust entry of a URI prefix: who may send, who may receive.
    Entry {
        #[command(flatten)]
        state: StateArgs,
        /// The URI prefix.
        #[arg(long)]
        prefix: String,
        /// An identity (public key, hex or base64) trusted to send; repeatable.
        #[arg(long, value_name = "PK", action = ArgAction::Append)]
        sender: Vec<String>,
        /// An identity authorized to receive; repeatable.
        #[arg(long, value_name = "PK", action = ArgAction::Append)]
        receiver: Vec<String>,
        /// Remove the entry (and its current session) instead.
        #[arg(long, conflicts_with_all = ["sender", "receiver"])]
        remove: bool,
    },
    /// Seal an event (or --call) and print its envelope, key id, session and index.
    Seal {
        #[command(flatten)]
        state: StateArgs,
        /// The topic or procedure.
        #[arg(long)]
        uri: String,
        /// Seal a call (prints its call_hash, which `open-reply` takes).
        #[arg(long)]
        call: bool,
        /// Positional arguments as a JSON list ({"args","kwargs"} on stdin when
        /// neither is given).
        #[arg(long)]
        args: Option<String>,
        /// Keyword arguments as a JSON object.
        #[arg(long)]
        kwargs: Option<String>,
    },
    /// Open an event (or --call) envelope: prints uri/args/kwargs and the sender
    /// (for a call, the invocation token `reply` takes).
    Open {
        #[command(flatten)]
        state: StateArgs,
        /// The URI it arrived on.
        #[arg(long)]
        uri: String,
        /// It is a call (INVOCATION).
        #[arg(long)]
        call: bool,
        /// The key id attribute (enc_key / ppt_keyid), if the message had one.
        #[arg(long)]
        key_id: Option<String>,
        /// The envelope (hex); read from stdin when absent.
        envelope: Option<String>,
    },
    /// Make a key request to a sender (the argument of a CALL to its key procedure).
    Keyreq {
        #[command(flatten)]
        state: StateArgs,
        /// The sender asked (its public key).
        #[arg(long, value_name = "PK")]
        target: String,
        /// The entry prefix (exactly as configured).
        #[arg(long)]
        prefix: String,
        /// The session wanted (32 hex digits) [default: the sender's current one].
        #[arg(long, value_name = "HEX")]
        session: Option<String>,
        /// The lowest index wanted.
        #[arg(long, value_name = "N", default_value_t = 0)]
        from: u32,
    },
    /// Answer a key request (as the sender): prints the key response.
    Keyresp {
        #[command(flatten)]
        state: StateArgs,
        /// The request (hex); read from stdin when absent.
        request: Option<String>,
    },
    /// Accept the key response to a pending key request: the session then opens.
    Accept {
        #[command(flatten)]
        state: StateArgs,
        /// The request_hash `keyreq` printed.
        #[arg(long, value_name = "HEX")]
        request_hash: String,
        /// The response (hex); read from stdin when absent.
        response: Option<String>,
    },
    /// Seal a reply (result, --progress or --error URI) to an opened call.
    Reply {
        #[command(flatten)]
        state: StateArgs,
        /// The invocation token `open --call` (or the previous `reply`) printed.
        #[arg(long, value_name = "TOKEN")]
        invocation: String,
        #[command(flatten)]
        kind: ReplyKindArgs,
        /// Positional arguments as a JSON list.
        #[arg(long)]
        args: Option<String>,
        /// Keyword arguments as a JSON object.
        #[arg(long)]
        kwargs: Option<String>,
    },
    /// Open a reply (result, --progress or --error URI) to a call this peer sealed.
    OpenReply {
        #[command(flatten)]
        state: StateArgs,
        /// The call_hash `seal --call` printed.
        #[arg(long, value_name = "HEX")]
        call_hash: String,
        #[command(flatten)]
        kind: ReplyKindArgs,
        /// The reply (hex); read from stdin when absent.
        reply: Option<String>,
    },
}

/// Text that held a secret, overwritten before it is freed (best effort: the
/// CLI has no `zeroize` dependency; `black_box` keeps the writes).
pub(crate) struct Secret(pub(crate) String);

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

impl std::ops::Deref for Secret {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

fn wipe(s: &mut String) {
    let mut b = std::mem::take(s).into_bytes();
    b.fill(0);
    std::hint::black_box(&b);
}

fn invalid<T>(message: String) -> Result<T, Error> {
    Err(Error::new(ErrorCode::InvalidArgument, message))
}

/// Bytes from hex (whitespace around it ignored).
fn unhex(what: &str, text: &str) -> Result<Vec<u8>, Error> {
    let t = text.trim().as_bytes();
    let digit = |c: u8| (c as char).to_digit(16);
    t.chunks(2)
        .map(|p| match p {
            [a, b] => match (digit(*a), digit(*b)) {
                (Some(a), Some(b)) => Ok((a * 16 + b) as u8),
                _ => invalid(format!("{what}: not hex")),
            },
            _ => invalid(format!("{what}: odd number of hex digits")),
        })
        .collect()
}

fn unhex_n<const N: usize>(what: &str, text: &str) -> Result<[u8; N], Error> {
    let v = unhex(what, text)?;
    <[u8; N]>::try_from(v.as_slice())
        .or_else(|_| invalid(format!("{what}: expected {} hex digits", 2 * N)))
}

fn identity_key(what: &str, text: &str) -> Result<IdentityKey, Error> {
    IdentityKey::from_input(what, KeyInput::Text(text.trim()))
}

fn now(arg: Option<u64>) -> u64 {
    arg.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    })
}

fn io_error(what: &str, e: &std::io::Error) -> Error {
    Error::new(ErrorCode::InvalidArgument, format!("{what}: {e}"))
}

/// Writes a new private file (mode 0600 on Unix); refused if it exists.
fn write_new_private(path: &str, text: &[u8]) -> Result<(), Error> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).map_err(|e| io_error(path, &e))?;
    f.write_all(text)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_error(path, &e))
}

/// Reads a private file: refused when others may read it (Unix).
fn read_private(path: &str) -> Result<Secret, Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return invalid(format!(
                "{path}: readable by others (mode {mode:o}); it holds secrets: chmod 600 {path}"
            ));
        }
    }
    let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Secret(s)),
        Err(e) => {
            let mut b = e.into_bytes();
            b.fill(0);
            std::hint::black_box(&b);
            Err(Error::new(
                ErrorCode::InvalidUtf8,
                format!("{path}: not UTF-8"),
            ))
        }
    }
}

fn load(s: &StateArgs) -> Result<Group, Error> {
    let text = read_private(&s.state)?;
    let what = format!("--state {}", s.state);
    let state = GroupState::from_json(&text).map_err(|e| e.within(&what))?;
    Group::from_state(&state).map_err(|e| e.within(&what))
}

/// Replaces the state file atomically: a private temporary file, then a rename.
fn save(s: &StateArgs, g: &Group) -> Result<(), Error> {
    let text = g.export_state().to_json()?;
    let tmp = format!("{}.tmp", s.state);
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&tmp, &e)),
    }
    write_new_private(&tmp, text.as_bytes())?;
    std::fs::rename(&tmp, &s.state).map_err(|e| io_error(&s.state, &e))
}

fn identity_file(id: &Identity) -> Secret {
    let seed = Secret(hex_of(&id.seed()[..]));
    // Hex and URI characters only: nothing to escape.
    Secret(format!(
        "{{\"gs1_identity\": 1, \"seed\": \"{}\", \"public\": \"{}\", \"key_procedure\": \"{}\"}}",
        &*seed,
        id.fingerprint(),
        id.key_procedure(DEFAULT_KEY_PROCEDURE_BASE)
    ))
}

fn public_info(id: &Identity) -> Result<String, Error> {
    to_json(&Value::Map(vec![
        ("public".into(), Value::String(id.fingerprint())),
        (
            "key_procedure".into(),
            Value::String(id.key_procedure(DEFAULT_KEY_PROCEDURE_BASE)),
        ),
    ]))
}

fn emit_identity(id: &Identity, out: Option<&str>) -> Result<String, Error> {
    let text = identity_file(id);
    match out {
        None => Ok(text.0.clone()),
        Some(path) => {
            write_new_private(path, text.as_bytes())?;
            public_info(id)
        }
    }
}

/// Erases the strings of a parsed JSON value (it held a seed).
fn scrub(v: &mut Value) {
    match v {
        Value::String(s) => wipe(s),
        Value::List(l) => l.iter_mut().for_each(scrub),
        Value::Map(m) => m.iter_mut().for_each(|(_, v)| scrub(v)),
        _ => {}
    }
}

fn read_identity(path: &str) -> Result<Identity, Error> {
    let text = read_private(path)?;
    let what = format!("identity file {path}");
    let mut v = read_json(text.as_bytes()).map_err(|e| e.within(&what))?;
    let r = (|| {
        if !matches!(v.get("gs1_identity"), Some(Value::Int(1) | Value::UInt(1))) {
            return invalid(format!("{what}: not a GS1 identity file (gs1_identity: 1)"));
        }
        let Some(seed) = v.get("seed").and_then(Value::as_str) else {
            return invalid(format!("{what}: no seed"));
        };
        let id = Identity::from_input(&format!("{what}: seed"), KeyInput::Text(seed))?;
        match v.get("public").and_then(Value::as_str) {
            Some(p) if p == id.fingerprint() => Ok(id),
            _ => invalid(format!("{what}: public does not match the seed")),
        }
    })();
    scrub(&mut v);
    r
}

pub(crate) fn identity(cmd: &IdentityCommand) -> Result<String, Error> {
    match cmd {
        IdentityCommand::New { out } => emit_identity(&Identity::generate()?, out.as_deref()),
        IdentityCommand::FromCryptosign { seed, out } => {
            let seed = KeyInput::Text(seed.trim()).decode("SEED")?;
            emit_identity(&Identity::from_cryptosign_seed(&seed), out.as_deref())
        }
        IdentityCommand::Public { file } => Ok(read_identity(file)?.fingerprint()),
    }
}

fn kind_of(call: bool) -> Kind {
    if call {
        Kind::Call
    } else {
        Kind::Event
    }
}

fn reply_kind(k: &ReplyKindArgs) -> (Kind, Option<&str>) {
    match (&k.error, k.progress) {
        (Some(u), _) => (Kind::Error, Some(u.as_str())),
        (None, true) => (Kind::Progress, None),
        (None, false) => (Kind::Result, None),
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Event => "event",
        Kind::Call => "call",
        Kind::Result => "result",
        Kind::Progress => "progress",
        Kind::Error => "error",
    }
}

fn payload_fields(p: Payload) -> Vec<(String, Value)> {
    vec![
        ("uri".into(), p.uri.map_or(Value::Null, Value::String)),
        ("args".into(), p.args.map_or(Value::Null, Value::List)),
        ("kwargs".into(), p.kwargs.map_or(Value::Null, Value::Map)),
    ]
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

/// The invocation token: hex of `call_hash ‖ caller ‖ reply_public ‖
/// u32(next_seq) ‖ finished ‖ call_uri`. It holds no secret.
fn invocation_token(i: &Invocation) -> String {
    let mut b = Vec::with_capacity(101 + i.call_uri.len());
    b.extend_from_slice(&i.call_hash);
    b.extend_from_slice(i.caller.as_bytes());
    b.extend_from_slice(&i.reply_public);
    b.extend_from_slice(&i.next_seq.to_be_bytes());
    b.push(u8::from(i.finished));
    b.extend_from_slice(i.call_uri.as_bytes());
    hex_of(&b)
}

fn parse_invocation(token: &str) -> Result<Invocation, Error> {
    let b = unhex("--invocation", token)?;
    let bad = || invalid("--invocation: not a token that `group open --call` printed".into());
    let (Some(h), Some(c), Some(r), Some(n), Some(f), Some(u)) = (
        b.get(..32),
        b.get(32..64),
        b.get(64..96),
        b.get(96..100),
        b.get(100),
        b.get(101..),
    ) else {
        return bad();
    };
    let (Ok(h), Ok(c), Ok(r), Ok(n)) = (
        <[u8; 32]>::try_from(h),
        <[u8; 32]>::try_from(c),
        <[u8; 32]>::try_from(r),
        <[u8; 4]>::try_from(n),
    ) else {
        return bad();
    };
    let (Ok(uri), 0 | 1) = (std::str::from_utf8(u), *f) else {
        return bad();
    };
    Ok(Invocation {
        call_hash: h,
        call_uri: uri.to_owned(),
        caller: IdentityKey::from_bytes(&c),
        reply_public: r,
        next_seq: u32::from_be_bytes(n),
        finished: *f == 1,
    })
}

pub(crate) fn group(cmd: &GroupCommand) -> Result<String, Error> {
    match cmd {
        GroupCommand::Init {
            identity,
            state,
            max_messages,
            max_age_ms,
            max_skew_ms,
            grace_ms,
            share_backlog,
        } => {
            let id = read_identity(identity)?;
            let d = Params::default();
            let params = Params {
                max_messages: max_messages.unwrap_or(d.max_messages),
                max_age_ms: max_age_ms.unwrap_or(d.max_age_ms),
                max_skew_ms: max_skew_ms.unwrap_or(d.max_skew_ms),
                grace_ms: grace_ms.unwrap_or(d.grace_ms),
                share_backlog: share_backlog.unwrap_or(d.share_backlog),
            };
            let info = public_info(&id)?;
            let g = Group::with_params(id, params)?;
            let text = g.export_state().to_json()?;
            write_new_private(&state.state, text.as_bytes())?;
            Ok(info)
        }
        GroupCommand::Entry {
            state,
            prefix,
            sender,
            receiver,
            remove,
        } => {
            let g = load(state)?;
            if *remove {
                if !g.remove_entry(prefix) {
                    return Err(Error::new(
                        ErrorCode::KeyNotFound,
                        format!("no entry with prefix {prefix:?}"),
                    ));
                }
                save(state, &g)?;
                return to_json(&Value::Map(vec![("removed".into(), s(prefix.clone()))]));
            }
            let keys = |list: &[String], what: &str| -> Result<Vec<IdentityKey>, Error> {
                list.iter().map(|k| identity_key(what, k)).collect()
            };
            let entry = TrustEntry::new(
                prefix,
                keys(sender, "--sender")?,
                keys(receiver, "--receiver")?,
            );
            let list = |set: &std::collections::BTreeSet<IdentityKey>| {
                Value::List(set.iter().map(|k| s(k.fingerprint())).collect())
            };
            let out = Value::Map(vec![
                ("prefix".into(), s(prefix.clone())),
                ("senders".into(), list(&entry.senders)),
                ("receivers".into(), list(&entry.receivers)),
            ]);
            g.set_entry(entry);
            save(state, &g)?;
            to_json(&out)
        }
        GroupCommand::Seal {
            state,
            uri,
            call,
            args,
            kwargs,
        } => {
            let (args, kwargs) = read_args_kwargs(args, kwargs)?;
            let g = load(state)?;
            let sealed = g.seal_payload(
                uri,
                kind_of(*call),
                args.as_deref(),
                kwargs.as_ref(),
                now(state.now_ms),
            )?;
            // Saved before anything is shown: the index is used.
            save(state, &g)?;
            let mut out = vec![
                ("envelope".into(), s(hex_of(&sealed.envelope))),
                ("key_id".into(), s(sealed.key_id())),
                ("session_id".into(), s(hex_of(&sealed.session_id))),
                ("index".into(), Value::from_u64(u64::from(sealed.index))),
            ];
            if let Some(h) = sealed.call_hash {
                out.push(("call_hash".into(), s(hex_of(&h))));
            }
            to_json(&Value::Map(out))
        }
        GroupCommand::Open {
            state,
            uri,
            call,
            key_id,
            envelope,
        } => {
            let envelope = unhex("the envelope", &read_input(envelope.as_deref())?)?;
            let g = load(state)?;
            let opened = g.open(
                uri,
                kind_of(*call),
                key_id.as_deref(),
                &envelope,
                now(state.now_ms),
            )?;
            // Saved first: the index is opened even if its payload does not parse.
            save(state, &g)?;
            let payload = parse_payload(uri, &opened.plaintext)?;
            let mut out = payload_fields(payload);
            out.push(("sender".into(), s(opened.sender.fingerprint())));
            out.push(("session_id".into(), s(hex_of(&opened.session_id))));
            out.push(("index".into(), Value::from_u64(u64::from(opened.index))));
            out.push(("timestamp_ms".into(), Value::from_u64(opened.timestamp_ms)));
            if let Some(inv) = &opened.invocation {
                out.push(("invocation".into(), s(invocation_token(inv))));
            }
            to_json(&Value::Map(out))
        }
        GroupCommand::Keyreq {
            state,
            target,
            prefix,
            session,
            from,
        } => {
            let target = identity_key("--target", target)?;
            let session = match session {
                Some(h) => unhex_n::<16>("--session", h)?,
                None => [0; 16],
            };
            let g = load(state)?;
            let req = g.key_request(&target, session, *from, prefix, now(state.now_ms))?;
            save(state, &g)?;
            to_json(&Value::Map(vec![
                ("request".into(), s(hex_of(&req.request))),
                ("request_hash".into(), s(hex_of(&req.request_hash))),
                (
                    "procedure".into(),
                    s(target.key_procedure(DEFAULT_KEY_PROCEDURE_BASE)),
                ),
            ]))
        }
        GroupCommand::Keyresp { state, request } => {
            let request = unhex("the request", &read_input(request.as_deref())?)?;
            let g = load(state)?;
            let response = g.answer_key_request(&request, now(state.now_ms))?;
            // The answer may have started a session: saved before it is shown.
            save(state, &g)?;
            to_json(&Value::Map(vec![("response".into(), s(hex_of(&response)))]))
        }
        GroupCommand::Accept {
            state,
            request_hash,
            response,
        } => {
            let hash = unhex_n::<32>("--request-hash", request_hash)?;
            let response = unhex("the response", &read_input(response.as_deref())?)?;
            let g = load(state)?;
            let a = g.accept_key_response(&hash, &response, now(state.now_ms))?;
            save(state, &g)?;
            to_json(&Value::Map(vec![
                ("sender".into(), s(a.sender.fingerprint())),
                ("session_id".into(), s(hex_of(&a.session_id))),
                ("prefix".into(), s(a.prefix)),
                ("index".into(), Value::from_u64(u64::from(a.index))),
                ("not_after_ms".into(), Value::from_u64(a.not_after_ms)),
            ]))
        }
        GroupCommand::Reply {
            state,
            invocation,
            kind,
            args,
            kwargs,
        } => {
            let mut inv = parse_invocation(invocation)?;
            let (args, kwargs) = read_args_kwargs(args, kwargs)?;
            let (kind, error_uri) = reply_kind(kind);
            let g = load(state)?;
            let reply =
                g.seal_reply_payload(&mut inv, kind, error_uri, args.as_deref(), kwargs.as_ref())?;
            to_json(&Value::Map(vec![
                ("reply".into(), s(hex_of(&reply))),
                ("invocation".into(), s(invocation_token(&inv))),
            ]))
        }
        GroupCommand::OpenReply {
            state,
            call_hash,
            kind,
            reply,
        } => {
            let hash = unhex_n::<32>("--call-hash", call_hash)?;
            let reply = unhex("the reply", &read_input(reply.as_deref())?)?;
            let (kind, error_uri) = reply_kind(kind);
            let g = load(state)?;
            // The procedure, for the payload's URI (the pending call is gone
            // once its final reply opens).
            let call_hash_hex = hex_of(&hash);
            let call_uri = g
                .export_state()
                .calls
                .into_iter()
                .find(|c| c.call_hash == call_hash_hex)
                .map(|c| c.call_uri);
            let opened = g.open_reply(&hash, kind, error_uri, None, &reply)?;
            let uri = error_uri
                .map(str::to_owned)
                .or(call_uri)
                .unwrap_or_default();
            save(state, &g)?;
            let payload = parse_payload(&uri, &opened.plaintext)?;
            let mut out = payload_fields(payload);
            out.push(("callee".into(), s(opened.callee.fingerprint())));
            out.push(("kind".into(), s(kind_name(opened.kind))));
            out.push(("seq".into(), Value::from_u64(u64::from(opened.seq))));
            to_json(&Value::Map(out))
        }
    }
}
