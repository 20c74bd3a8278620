//! b24bridge: serves legacy Bitrix24 REST (v2) integrations from REST 3.0.
//!
//! The modules follow a request's path: [`route`] decides where a path goes, [`redact`]
//! keeps secrets out of everything printed.

#![forbid(unsafe_code)]

pub mod emulator;
pub mod redact;
pub mod route;
