//! The one body type every response and upstream request uses, and small constructors.

use std::future::Future as _;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A streamed or buffered body; pass-through streams, local answers are buffered.
pub type Body = BoxBody<Bytes, BoxError>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

pub fn empty() -> Body {
    full(Bytes::new())
}

/// A JSON answer with the content type the v2 server uses.
pub fn json_response(status: StatusCode, bytes: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(full(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A streamed body that must end when `sleep` fires, and holds `guard` until it ends (a
/// slot of the portal connection cap). Past the deadline it fails, so hyper cuts the answer
/// off visibly (a short `Content-Length` body or a chunked one without its last chunk)
/// rather than leaving the client waiting.
///
/// The timer is the caller's: the portal client hands over the one it waited for the head
/// with, reset to the body's deadline, so an answer costs one timer, not two. The inner
/// body's errors are boxed here, so it is wrapped and boxed once.
pub fn with_deadline<B, G>(body: B, sleep: std::pin::Pin<Box<tokio::time::Sleep>>, guard: G) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + Sync + Unpin + 'static,
    B::Error: Into<BoxError>,
    G: Send + Sync + Unpin + 'static,
{
    Deadline {
        inner: body,
        sleep,
        guard: Some(guard),
    }
    .boxed()
}

struct Deadline<B, G> {
    inner: B,
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    guard: Option<G>,
}

/// Why a streamed answer was cut.
#[derive(Debug, thiserror::Error)]
#[error("the portal's answer did not finish within client.body_timeout")]
pub struct BodyDeadline;

impl<B, G> http_body::Body for Deadline<B, G>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
    G: Unpin,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        use std::task::Poll;
        let this = self.get_mut();
        match std::pin::Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.guard = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(frame)) => Poll::Ready(Some(frame.map_err(Into::into))),
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.guard = None;
                    Poll::Ready(Some(Err(Box::new(BodyDeadline))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
