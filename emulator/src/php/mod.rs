//! Reading a request the way the portal's PHP does: `parse_str` rules for query strings and
//! form bodies, a small `multipart/form-data` reader, JSON bodies, and the merge of query
//! over body. Everything lands in a [`PhpArray`] (an ordered hash with integer and string
//! keys) and leaves as JSON: a PHP array whose keys are exactly `0..n-1` in order becomes a
//! JSON list, any other becomes a JSON object.

mod array;
mod multipart;
mod parse_str;
mod request;

pub use array::{Key, PhpArray, PhpValue};
pub use multipart::read_multipart;
pub use parse_str::{parse_str, parse_str_bytes, url_decode};
pub use request::{read_v2_request, V2Request};
