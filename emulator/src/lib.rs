//! b24emu: an in-memory Bitrix24 portal answering the tasks methods in legacy REST (v2)
//! and REST 3.0 from one store: the independent test oracle of b24bridge.
//!
//! Data path: [`server`] (HTTP, TLS, faults, counters) → [`route`] → [`php`] (reading v2
//! requests as PHP does) → credentials ([`Emulator::authenticate_webhook`],
//! [`Emulator::authenticate_token`]) → [`v2`] / [`v3`] method handlers → [`store`]. The
//! handlers are synchronous and pure; answers are written by [`phpjson`].
//!
//! See README.md for what is emulated and every choice made where the documentation is
//! silent or contradicts itself.

pub mod bbcode;
pub mod clock;
mod emulator;
pub mod php;
pub mod phpjson;
pub mod route;
mod server;
pub mod store;
mod tls;
pub mod v2;
pub mod v3;

pub use emulator::{
    method_key, Answer, ApiVersion, Caller, Emulator, RequestCounts, ServedBy, TOKENS, WEBHOOKS,
};
pub use server::{start, EmulatorOptions, Faults, RateLimit, RunningEmulator, MAX_BODY_BYTES};
pub use tls::tls_config;
