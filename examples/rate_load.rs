//! A fixed-rate (open-loop) HTTP/1.1 load generator for the load benchmark's latency run.
//!
//! ```sh
//! cargo run --release --example rate_load -- --url http://127.0.0.1:8080/rest/1/x/user.current \
//!     --rate 2000 --duration 8 --connections 32 --body 'a=1' \
//!     --content-type application/x-www-form-urlencoded
//! ```
//!
//! wrk keeps a fixed number of requests in flight, so its latencies grow with the queue it
//! builds itself; at a fixed rate the latencies show what the server adds. Each of the
//! `--connections` keep-alive connections sends its share of the requests on a fixed
//! schedule (connection `i` sends request `j` at `t0 + (j·C + i) / rate`). A request's
//! latency is counted from its scheduled time when the connection was still busy with the
//! previous answer at that time (the server's slowness delayed it: coordinated omission is
//! corrected), and from the moment it was written otherwise (the generator's own timer
//! slack, up to a millisecond with tokio, is not the server's). It only targets loopback
//! addresses, stops after `--duration` seconds (at most 10), and prints one JSON line.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

struct Args {
    addr: SocketAddr,
    path: String,
    rate: f64,
    duration: Duration,
    connections: usize,
    method: Method,
    body: Bytes,
    content_type: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut rate = 2000.0;
    let mut duration = 8.0;
    let mut connections = 32;
    let mut body = None;
    let mut content_type = None;
    let mut method = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => url = Some(value()?),
            "--rate" => rate = value()?.parse().map_err(|e| format!("--rate: {e}"))?,
            "--duration" => duration = value()?.parse().map_err(|e| format!("--duration: {e}"))?,
            "--connections" => {
                connections = value()?
                    .parse()
                    .map_err(|e| format!("--connections: {e}"))?
            }
            "--body" => body = Some(value()?),
            "--content-type" => content_type = Some(value()?),
            "--method" => {
                method = Some(
                    value()?
                        .parse::<Method>()
                        .map_err(|e| format!("--method: {e}"))?,
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let url = url.ok_or("--url is required")?;
    let rest = url
        .strip_prefix("http://")
        .ok_or("--url must be http://127.0.0.1:PORT/...")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = authority
        .parse()
        .map_err(|e| format!("--url host must be an IP:port ({e})"))?;
    if !addr.ip().is_loopback() {
        return Err("only loopback targets are allowed".into());
    }
    if !(rate > 0.0 && rate <= 100_000.0) {
        return Err("--rate must be in (0, 100000]".into());
    }
    if !(duration > 0.0 && duration <= 10.0) {
        return Err("--duration must be in (0, 10] seconds".into());
    }
    if connections == 0 || connections > 1000 {
        return Err("--connections must be in 1..=1000".into());
    }
    let method = method.unwrap_or(if body.is_some() {
        Method::POST
    } else {
        Method::GET
    });
    Ok(Args {
        addr,
        path: path.to_owned(),
        rate,
        duration: Duration::from_secs_f64(duration),
        connections,
        method,
        body: Bytes::from(body.unwrap_or_default()),
        content_type,
    })
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    late: u64,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(args: &Args) -> Result<Sender, String> {
    let stream = tokio::net::TcpStream::connect(args.addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn connection(
    args: &Args,
    mut sender: Sender,
    index: usize,
    t0: Instant,
) -> Result<Tally, String> {
    let mut tally = Tally::default();
    let interval = args.connections as f64 / args.rate;
    let offset = index as f64 / args.rate;
    let mut busy_until = t0;
    for j in 0u64.. {
        let scheduled = t0 + Duration::from_secs_f64(offset + j as f64 * interval);
        if scheduled >= t0 + args.duration {
            break;
        }
        tokio::time::sleep_until(scheduled.into()).await;
        let sent = Instant::now();
        // Busy at the scheduled time: the server held us up, so its delay counts.
        let start = if busy_until > scheduled {
            tally.late += 1;
            scheduled
        } else {
            sent
        };
        let mut request = Request::builder()
            .method(args.method.clone())
            .uri(&args.path)
            .header(http::header::HOST, args.addr.to_string());
        if let Some(ct) = &args.content_type {
            request = request.header(http::header::CONTENT_TYPE, ct);
        }
        let request = request
            .body(Full::new(args.body.clone()))
            .map_err(|e| e.to_string())?;
        if sender.ready().await.is_err() {
            tally.errors += 1;
            break;
        }
        let ok = match sender.send_request(request).await {
            Ok(response) => {
                let ok = response.status().is_success();
                ok && response.into_body().collect().await.is_ok()
            }
            Err(_) => false,
        };
        let done = Instant::now();
        busy_until = done;
        if ok {
            let us = done.duration_since(start).as_micros();
            tally
                .latencies_us
                .push(u32::try_from(us).unwrap_or(u32::MAX));
        } else {
            tally.errors += 1;
        }
    }
    Ok(tally)
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("rate_load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime starts");
    let args = std::sync::Arc::new(args);
    let result = runtime.block_on(async {
        // Every connection is open before the clock starts: connecting is not the load.
        let mut senders = Vec::with_capacity(args.connections);
        for _ in 0..args.connections {
            senders.push(connect(&args).await?);
        }
        let t0 = Instant::now() + Duration::from_millis(20);
        let tasks: Vec<_> = senders
            .into_iter()
            .enumerate()
            .map(|(i, sender)| {
                let args = args.clone();
                tokio::spawn(async move { connection(&args, sender, i, t0).await })
            })
            .collect();
        let mut all = Tally::default();
        for task in tasks {
            match task.await {
                Ok(Ok(t)) => {
                    all.latencies_us.extend(t.latencies_us);
                    all.errors += t.errors;
                    all.late += t.late;
                }
                Ok(Err(e)) => return Err(e),
                Err(e) => return Err(e.to_string()),
            }
        }
        let elapsed = t0.elapsed().as_secs_f64();
        Ok((all, elapsed))
    });
    let (mut all, elapsed) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rate_load: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    all.latencies_us.sort_unstable();
    let l = &all.latencies_us;
    let out = serde_json::json!({
        "target_rate": args.rate,
        "achieved_rate": (l.len() as f64 + all.errors as f64) / elapsed,
        "requests": l.len(),
        "errors": all.errors,
        "late": all.late,
        "p50_us": percentile(l, 50.0),
        "p90_us": percentile(l, 90.0),
        "p99_us": percentile(l, 99.0),
        "p999_us": percentile(l, 99.9),
        "max_us": l.last().copied().unwrap_or(0),
    });
    println!("{out}");
    std::process::ExitCode::SUCCESS
}
