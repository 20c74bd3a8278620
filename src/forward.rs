//! Pass-through: a request goes to the portal untouched and its answer comes back untouched.
//!
//! Bodies are streamed both ways; only hop-by-hop headers change, `Host` becomes the
//! portal's and the client's address is appended to `X-Forwarded-For`. The request body is
//! bounded by `limits.max_body_bytes`, checked against `Content-Length` before any byte is
//! read and enforced while streaming.

use std::net::SocketAddr;

use http::{header, Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::body::Body;
use crate::error::BridgeError;
use crate::headers;
use crate::upstream::UpstreamClient;

/// Forwards a request to the same path on the portal, streaming its body.
pub async fn forward(
    client: &UpstreamClient,
    request: Request<Incoming>,
    peer: SocketAddr,
    max_body_bytes: usize,
) -> Result<Response<Body>, BridgeError> {
    check_declared_length(&request, max_body_bytes)?;
    let (parts, body) = request.into_parts();
    forward_parts(
        client,
        parts,
        Limited::new(body, max_body_bytes).boxed(),
        peer,
    )
    .await
}

/// Refuses a body whose declared length is over the limit, before reading any of it.
pub fn check_declared_length<B>(
    request: &Request<B>,
    max_body_bytes: usize,
) -> Result<(), BridgeError> {
    if declared_length(request).is_some_and(|len| len > max_body_bytes as u64) {
        return Err(BridgeError::BodyTooLarge {
            limit: max_body_bytes,
        });
    }
    Ok(())
}

/// Forwards a request whose body was already read (a translated call falling back to v2).
pub async fn forward_buffered(
    client: &UpstreamClient,
    parts: http::request::Parts,
    body: bytes::Bytes,
    peer: SocketAddr,
) -> Result<Response<Body>, BridgeError> {
    forward_parts(client, parts, crate::body::full(body), peer).await
}

async fn forward_parts(
    client: &UpstreamClient,
    mut parts: http::request::Parts,
    body: Body,
    peer: SocketAddr,
) -> Result<Response<Body>, BridgeError> {
    // The target as parsed already, on the portal's scheme and authority: no reparse.
    let upstream = client.upstream();
    let mut uri = std::mem::take(&mut parts.uri).into_parts();
    uri.scheme = Some(upstream.scheme.clone());
    uri.authority = Some(upstream.authority.clone());
    if uri.path_and_query.is_none() {
        uri.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    parts.uri =
        http::Uri::from_parts(uri).map_err(|e| BridgeError::UpstreamProtocol(e.to_string()))?;
    headers::remove_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST);
    headers::append_forwarded_for(&mut parts.headers, peer.ip());
    let response = client.send(Request::from_parts(parts, body)).await?;
    let (mut parts, body) = response.into_parts();
    headers::remove_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(parts, body))
}

fn declared_length<B>(request: &Request<B>) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
