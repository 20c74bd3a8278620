//! b24bridge: serves legacy Bitrix24 REST (v2) integrations from REST 3.0.
//!
//! The modules follow a call's path through the bridge:
//!
//! 1. [`listener`] accepts connections (TLS optional) and drains them on shutdown;
//!    [`server`] wires a running bridge together; `service` is its one infallible handler.
//! 2. [`route`] decides from the path alone where a request goes (webhook or OAuth v2
//!    call, REST 3.0 pass-through, probes, refused).
//! 3. [`decode`] reads v2 parameters as the PHP server did; `decode::value` is PHP's
//!    view of a value (names without case, `"5"` as 5, `Y`/`N`, lists and maps alike).
//! 4. [`rules`] holds the rewrite rules as data, validated at start-up.
//! 5. [`translate`] is pure: a v2 call becomes REST 3.0 requests and their answers a v2
//!    answer (`translate::filter` is where `>=ID` becomes `["id", ">=", …]`).
//! 6. `execute` sends a translated call's requests; `batch` runs a v2 batch over
//!    translated and passed-through commands; `forward` passes a call through untouched.
//! 7. [`upstream`] is the one client that talks to the portal.
//!
//! Beside the path: [`config`] (raw → validated → immutable settings), `answers` (every
//! answer the bridge makes itself), `error` (failures with their v2 code and status),
//! `identity` (who calls; idempotency keys), [`schema`] (what a portal offers),
//! `redact` (secrets out of logs), and the operator's commands: [`commands`], [`check`],
//! [`explain`], [`demo`], [`healthcheck`].

#![forbid(unsafe_code)]

pub mod listener;
pub mod server;
mod service;
mod shadow;

pub mod route;

pub mod decode;

pub mod rules;

pub mod translate;

mod batch;
mod execute;
mod forward;

pub mod upstream;

mod answers;
pub mod body;
pub mod clock;
pub mod config;
mod error;
mod headers;
mod identity;
pub mod logging;
mod memory;
pub mod metrics;
mod php_json;
mod redact;
pub mod schema;
pub mod tls;

pub mod check;
pub mod commands;
pub mod demo;
pub mod explain;
pub mod fuzzing;
pub mod healthcheck;
pub mod report;
