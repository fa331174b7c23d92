//! A minimal local Lambda Runtime API: enough of it to run the real function binary as Lambda
//! does, hand it events one at a time and time what happens.
//!
//! It speaks HTTP/1.1 on a loopback port and serves the four endpoints a runtime uses
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>):
//! `GET /2018-06-01/runtime/invocation/next`, `POST …/invocation/{id}/response`,
//! `POST …/invocation/{id}/error` and `POST /2018-06-01/runtime/init/error`. Responses must
//! be buffered (`Content-Length`); streaming responses are not supported.

use crate::Error;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INVOCATION: &str = "/2018-06-01/runtime/invocation/";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";
/// The ARN the runtime API says the function was invoked as; its account is the emulator's.
pub const FUNCTION_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:glue-encryption-guardrail";
/// How long an invocation may take before [`RuntimeApi::invoke`] gives up: the function's
/// timeout in the template.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Request heads and bodies larger than this are refused.
const MAX_BYTES: usize = 6 * 1024 * 1024;

/// How an invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// `POST …/response`: the handler's result.
    Response(Vec<u8>),
    /// `POST …/error`: the handler failed; the error type and the error body.
    Error { error_type: String, body: Vec<u8> },
}

/// One invocation, seen from the runtime API.
#[derive(Debug, Clone)]
pub struct Invoked {
    pub ending: Ending,
    /// From handing the event out (the answer to `next`) to receiving the result: the time
    /// Lambda bills as the invocation's duration.
    pub latency: Duration,
}

struct Pending {
    event: Vec<u8>,
    done: oneshot::Sender<Invoked>,
}

struct State {
    queue: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    in_flight: Mutex<HashMap<String, (Instant, oneshot::Sender<Invoked>)>>,
    /// When the function first asked for an event, or why it could not.
    first_poll: watch::Sender<Option<Result<Instant, String>>>,
    next_id: Mutex<u64>,
}

/// A runtime API on a free loopback port; it stops when dropped.
pub struct RuntimeApi {
    address: SocketAddr,
    events: mpsc::Sender<Pending>,
    first_poll: watch::Receiver<Option<Result<Instant, String>>>,
    server: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    pub async fn start() -> Result<Self, Error> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (events, queue) = mpsc::channel(1);
        let (first_poll_tx, first_poll) = watch::channel(None);
        let state = Arc::new(State {
            queue: tokio::sync::Mutex::new(queue),
            in_flight: Mutex::new(HashMap::new()),
            first_poll: first_poll_tx,
            next_id: Mutex::new(0),
        });
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, Arc::clone(&state)));
            }
        });
        Ok(Self {
            address,
            events,
            first_poll,
            server,
        })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`: `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// Waits until the function asks for its first event and says when that was; fails when
    /// the function reports an init error instead, or `limit` passes.
    pub async fn first_poll(&self, limit: Duration) -> Result<Instant, Error> {
        let mut first_poll = self.first_poll.clone();
        let seen = tokio::time::timeout(limit, first_poll.wait_for(Option::is_some))
            .await
            .map_err(|_| format!("the function did not ask for an event within {limit:?}"))??;
        match seen.clone() {
            Some(Ok(at)) => Ok(at),
            Some(Err(init_error)) => {
                Err(format!("the function failed to start: {init_error}").into())
            }
            None => Err("the runtime API stopped".into()),
        }
    }

    /// Hands `event` to the function at its next `next` request and waits for the result.
    pub async fn invoke(&self, event: &[u8]) -> Result<Invoked, Error> {
        let (done, result) = oneshot::channel();
        let pending = Pending {
            event: event.to_vec(),
            done,
        };
        self.events
            .send(pending)
            .await
            .map_err(|_| "the runtime API stopped")?;
        Ok(tokio::time::timeout(INVOKE_TIMEOUT, result)
            .await
            .map_err(|_| format!("no result within {INVOKE_TIMEOUT:?}"))??)
    }
}

/// A request, as much of it as the runtime API needs.
struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// Serves one connection: the runtime client keeps it alive across requests.
async fn serve(stream: TcpStream, state: Arc<State>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    while let Ok(Some(request)) = read_request(&mut reader).await {
        let answer = route(request, &state, &mut writer).await;
        if answer.is_err() {
            return;
        }
    }
}

async fn read_request(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> Result<Option<Request>, Error> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    let mut head_bytes = line.len();
    loop {
        line.clear();
        let read = reader.read_line(&mut line).await?;
        head_bytes += read;
        if read == 0 || head_bytes > MAX_BYTES {
            return Err("incomplete or oversized request head".into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    if headers.contains_key("transfer-encoding") {
        return Err("chunked (streaming) bodies are not supported".into());
    }
    let length: usize = match headers.get("content-length") {
        Some(length) => length.parse()?,
        None => 0,
    };
    if length > MAX_BYTES {
        return Err("oversized request body".into());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
    }))
}

async fn route(
    request: Request,
    state: &State,
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
) -> Result<(), Error> {
    let received = Instant::now();
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", NEXT) => {
            state.first_poll.send_if_modified(|first| {
                let unset = first.is_none();
                if unset {
                    *first = Some(Ok(received));
                }
                unset
            });
            let Some(pending) = state.queue.lock().await.recv().await else {
                return Err("no more events".into());
            };
            let request_id = {
                let mut next_id = state.next_id.lock().map_err(|_| "poisoned")?;
                *next_id += 1;
                format!("00000000-0000-4000-8000-{:012}", *next_id)
            };
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)?
                .saturating_add(INVOKE_TIMEOUT)
                .as_millis();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Lambda-Runtime-Aws-Request-Id: {request_id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: {FUNCTION_ARN}\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n\r\n",
                pending.event.len()
            );
            let handed_out = Instant::now();
            state
                .in_flight
                .lock()
                .map_err(|_| "poisoned")?
                .insert(request_id, (handed_out, pending.done));
            writer.write_all(head.as_bytes()).await?;
            writer.write_all(&pending.event).await?;
            Ok(())
        }
        ("POST", INIT_ERROR) => {
            let error = format!(
                "{}: {}",
                request
                    .headers
                    .get("lambda-runtime-function-error-type")
                    .map_or("unknown", String::as_str),
                String::from_utf8_lossy(&request.body)
            );
            state.first_poll.send_replace(Some(Err(error)));
            accepted(writer).await
        }
        ("POST", path) if path.starts_with(INVOCATION) => {
            let rest = &path[INVOCATION.len()..];
            let ending = match rest.split_once('/') {
                Some((id, "response")) => Some((id, Ending::Response(request.body))),
                Some((id, "error")) => Some((
                    id,
                    Ending::Error {
                        error_type: request
                            .headers
                            .get("lambda-runtime-function-error-type")
                            .cloned()
                            .unwrap_or_default(),
                        body: request.body,
                    },
                )),
                _ => None,
            };
            let Some((id, ending)) = ending else {
                return not_found(writer).await;
            };
            let in_flight = state.in_flight.lock().map_err(|_| "poisoned")?.remove(id);
            let Some((handed_out, done)) = in_flight else {
                return not_found(writer).await;
            };
            let _ = done.send(Invoked {
                ending,
                latency: received.saturating_duration_since(handed_out),
            });
            accepted(writer).await
        }
        _ => not_found(writer).await,
    }
}

async fn accepted(writer: &mut tokio::net::tcp::OwnedWriteHalf) -> Result<(), Error> {
    let body = br#"{"status":"OK"}"#;
    let head = format!(
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).await?;
    writer.write_all(body).await?;
    Ok(())
}

async fn not_found(writer: &mut tokio::net::tcp::OwnedWriteHalf) -> Result<(), Error> {
    writer
        .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        .await?;
    Ok(())
}
