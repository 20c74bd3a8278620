//! b24bridge: serves legacy Bitrix24 REST (v2) integrations from REST 3.0.
//!
//! Modules follow a request's path: [`listener`] accepts it, [`route`] decides where its
//! path goes, [`decode`] reads v2 parameters as the PHP server does, [`forward`] passes
//! calls through to the portal via [`upstream`], and [`service`] ties these together
//! behind one infallible handler. [`config`] loads and validates settings; [`redact`]
//! keeps secrets out of everything printed; [`error`] gives every failure its v2 shape;
//! [`healthcheck`] is the probe containers run against the bridge itself.

#![forbid(unsafe_code)]

pub mod batch;
pub mod body;
pub mod clock;
pub mod config;
pub mod decode;
pub mod demo;
pub mod emulate;
pub mod emulator;
pub mod error;
pub mod execute;
pub mod explain;
pub mod forward;
pub mod headers;
pub mod healthcheck;
pub mod identity;
pub mod listener;
pub mod logging;
pub mod redact;
pub mod route;
pub mod rules;
pub mod schema;
pub mod server;
pub mod service;
pub mod tls;
pub mod translate;
pub mod upstream;
