//! WAMP messages that carry payloads, as a router sees them: where the
//! Options/Details dict, the URI and the Arguments sit in each message type.

use crate::dialects::{Dialect, Envelope};
use crate::error::{err, ErrorCode, Result};
use crate::keys::keyring::Role;
use crate::plaintext::value::{Map, Value};
use std::str::FromStr;

/// The WAMP message types that carry application payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `[16, Request, Options, Topic, Arguments]`
    Publish,
    /// `[36, Subscription, Publication, Details, Arguments]`
    Event,
    /// `[48, Request, Options, Procedure, Arguments]`
    Call,
    /// `[68, Request, Registration, Details, Arguments]`
    Invocation,
    /// `[70, Request, Options, Arguments]`
    Yield,
    /// `[50, Request, Details, Arguments]`
    Result,
    /// `[8, RequestType, Request, Details, Error, Arguments]`
    Error,
}

struct Layout {
    code: i64,
    attributes: usize,
    uri: Option<usize>,
    arguments: usize,
}

impl MessageType {
    /// Every payload-carrying type.
    pub const ALL: [MessageType; 7] = [
        MessageType::Publish,
        MessageType::Event,
        MessageType::Call,
        MessageType::Invocation,
        MessageType::Yield,
        MessageType::Result,
        MessageType::Error,
    ];

    fn layout(self) -> Layout {
        let (code, attributes, uri, arguments) = match self {
            MessageType::Publish => (16, 2, Some(3), 4),
            MessageType::Event => (36, 3, None, 4),
            MessageType::Call => (48, 2, Some(3), 4),
            MessageType::Invocation => (68, 3, None, 4),
            MessageType::Yield => (70, 2, None, 3),
            MessageType::Result => (50, 2, None, 3),
            MessageType::Error => (8, 3, Some(4), 5),
        };
        Layout {
            code,
            attributes,
            uri,
            arguments,
        }
    }

    /// The WAMP message code.
    pub fn code(self) -> i64 {
        self.layout().code
    }

    /// The upper-case WAMP name.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Publish => "PUBLISH",
            MessageType::Event => "EVENT",
            MessageType::Call => "CALL",
            MessageType::Invocation => "INVOCATION",
            MessageType::Yield => "YIELD",
            MessageType::Result => "RESULT",
            MessageType::Error => "ERROR",
        }
    }

    /// Who seals this message's payload: the originator for PUBLISH/CALL (and the
    /// EVENT/INVOCATION the router makes of them), the responder for YIELD/ERROR/RESULT.
    pub fn sealing_role(self) -> Role {
        match self {
            MessageType::Publish
            | MessageType::Event
            | MessageType::Call
            | MessageType::Invocation => Role::Originator,
            MessageType::Yield | MessageType::Result | MessageType::Error => Role::Responder,
        }
    }

    /// Who opens it: the other side.
    pub fn opening_role(self) -> Role {
        match self.sealing_role() {
            Role::Originator => Role::Responder,
            Role::Responder => Role::Originator,
        }
    }

    /// Whether the message itself names the URI (PUBLISH, CALL, ERROR).
    pub fn carries_uri(self) -> bool {
        self.layout().uri.is_some()
    }
}

impl FromStr for MessageType {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        MessageType::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                crate::Error::new(
                    ErrorCode::InvalidArgument,
                    format!("{s:?} is not one of publish, event, call, invocation, yield, result, error"),
                )
            })
    }
}

/// Builds the message a router would see for `envelope` (request and
/// registration ids are placeholders of 1; `uri` is used where the type carries one).
pub fn build_message(kind: MessageType, uri: &str, envelope: &Envelope) -> Value {
    let attrs: Map = envelope
        .attributes()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .collect();
    let payload = Value::Bytes(envelope.payload.clone());
    let arguments = if envelope.dialect.payload_in_list() {
        Value::List(vec![payload])
    } else {
        payload
    };
    let id = Value::Int(1);
    let code = Value::Int(kind.code());
    let uri = Value::String(uri.to_owned());
    let attrs = Value::Map(attrs);
    Value::List(match kind {
        MessageType::Publish | MessageType::Call => vec![code, id, attrs, uri, arguments],
        MessageType::Event | MessageType::Invocation => {
            vec![code, id.clone(), id, attrs, arguments]
        }
        MessageType::Yield | MessageType::Result => vec![code, id, attrs, arguments],
        MessageType::Error => vec![
            code,
            Value::Int(MessageType::Invocation.code()),
            id,
            attrs,
            uri,
            arguments,
        ],
    })
}

/// A payload-carrying message taken apart.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMessage {
    /// The message type.
    pub kind: MessageType,
    /// The URI, where the message type carries one.
    pub uri: Option<String>,
    /// The envelope from the attributes and the Arguments.
    pub envelope: Envelope,
}

/// Takes apart a message as received (e.g. parsed from WAMP-JSON).
pub fn parse_message(message: &Value) -> Result<ParsedMessage> {
    let Value::List(items) = message else {
        return err(ErrorCode::InvalidMessage, "a WAMP message is a list");
    };
    let code = match items.first() {
        Some(Value::Int(c)) => *c,
        _ => return err(ErrorCode::InvalidMessage, "message type code is missing"),
    };
    let kind = MessageType::ALL
        .iter()
        .copied()
        .find(|t| t.code() == code)
        .ok_or_else(|| {
            crate::Error::new(
                ErrorCode::InvalidMessage,
                format!("message type {code} carries no payload"),
            )
        })?;
    let layout = kind.layout();
    let attrs = match items.get(layout.attributes) {
        Some(Value::Map(m)) => m,
        _ => {
            return err(
                ErrorCode::InvalidMessage,
                format!(
                    "{}: element {} must be the Options/Details dict",
                    kind.name(),
                    layout.attributes
                ),
            )
        }
    };
    let uri = match layout.uri.map(|i| items.get(i)) {
        None => None,
        Some(Some(Value::String(u))) => Some(u.clone()),
        Some(_) => {
            return err(
                ErrorCode::InvalidMessage,
                format!("{}: URI missing", kind.name()),
            )
        }
    };
    let get = |name: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_str())
    };
    // Validate the attributes first so the payload-shape check knows the dialect.
    let probe = Envelope::from_attributes(get, Vec::new())?;
    if items.len() != layout.arguments + 1 {
        return err(
            ErrorCode::InvalidEnvelope,
            format!(
                "{}: an encrypted payload is the only argument (found {} elements)",
                kind.name(),
                items.len()
            ),
        );
    }
    let payload = match (probe.dialect, items.get(layout.arguments)) {
        (Dialect::Cryptobox, Some(Value::Bytes(b))) => b.clone(),
        (Dialect::Passthru { .. }, Some(Value::List(l))) => match l.as_slice() {
            [Value::Bytes(b)] => b.clone(),
            _ => {
                return err(
                    ErrorCode::InvalidEnvelope,
                    "ppt payload must be Arguments = [binary]",
                )
            }
        },
        _ => {
            return err(
                ErrorCode::InvalidEnvelope,
                "payload is not where the dialect puts it (enc: bare binary, ppt: [binary])",
            )
        }
    };
    Ok(ParsedMessage {
        kind,
        uri,
        envelope: Envelope { payload, ..probe },
    })
}
