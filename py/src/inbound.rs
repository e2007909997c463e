//! The inbound decision (`wampe2e::inbound`) for Python: converted arguments in,
//! the core's decision out. Both keyring classes expose it as `inbound(...)`.

use crate::error::to_py;
use pyo3::prelude::*;
use wampe2e::{Arrival, Delivery, KeyRing, MatchPolicy, MessageKind};

/// `(open, uri)`: open the payload for `uri` (True), or deliver the plaintext (False).
#[allow(clippy::too_many_arguments)]
pub(crate) fn decide(
    ring: &KeyRing,
    kind: &str,
    local_uri: &str,
    policy: Option<&str>,
    router_uri: Option<&str>,
    sealed: bool,
    request_sealed: bool,
    strict: bool,
) -> PyResult<(bool, String)> {
    let arrival = Arrival {
        kind: kind.parse::<MessageKind>().map_err(to_py)?,
        local_uri,
        policy: policy.unwrap_or("").parse::<MatchPolicy>().map_err(to_py)?,
        router_uri,
        sealed,
        request_sealed,
    };
    match wampe2e::decide(ring, &arrival, strict).map_err(to_py)? {
        Delivery::Open { uri } => Ok((true, uri)),
        Delivery::Plain { uri } => Ok((false, uri)),
    }
}
