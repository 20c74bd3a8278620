//! Decoding of v2 requests (being written on the `decode` branch; this holds the limits).

pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
pub const DEFAULT_MAX_VARS: usize = 10_000;
pub const DEFAULT_MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    pub max_body_bytes: usize,
    pub max_vars: usize,
    pub max_depth: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_vars: DEFAULT_MAX_VARS,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DecodeError {
    #[error("request body is larger than limits.max_body_bytes = {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("request has more than limits.max_vars = {limit} variables")]
    TooManyVariables { limit: usize },
    #[error("request nests deeper than limits.max_depth = {limit}")]
    TooDeep { limit: usize },
    #[error("JSON body is invalid: {0}")]
    InvalidJson(String),
    #[error("multipart body is invalid: {0}")]
    InvalidMultipart(String),
}
