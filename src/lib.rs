//! b24bridge: serves legacy Bitrix24 REST (v2) integrations from REST 3.0.
//!
//! The modules follow a request's path: [`route`] decides where a path goes, [`decode`]
//! reads its parameters the way the PHP server did, [`redact`] keeps secrets out of
//! everything printed.

#![forbid(unsafe_code)]

pub mod decode;
pub mod redact;
pub mod route;
