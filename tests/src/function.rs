//! The function binary, run as Lambda runs it: a process with Lambda's environment and the
//! template's configuration, served events by a local [`RuntimeApi`], its AWS calls answered by
//! the [`Emulator`]. Used by the end-to-end tests (debug binary) and `make bench` (release).

use crate::runtime_api::{Ending, RuntimeApi};
use crate::{EXEMPTION, Emulator, Error, FUNCTION_NAME, GUARDRAIL_ROLE, PARAMETER, REGION};
use glue_encryption_guardrail::app::config::EnforcementMode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the function may take to ask for its first event.
const START_LIMIT: Duration = Duration::from_secs(10);

/// The function binary cargo built next to the running test or tool: `target/<profile>/
/// glue-encryption-guardrail`. `cargo test --workspace` builds it with the tests.
pub fn sibling_binary() -> Result<PathBuf, Error> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test>-<hash>, or target/<profile>/<tool>.
    for dir in exe.ancestors().skip(1).take(2) {
        let candidate = dir.join("glue-encryption-guardrail");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "no glue-encryption-guardrail binary near {}: build it with `cargo test --workspace` \
         or `cargo build -p glue-encryption-guardrail`",
        exe.display()
    )
    .into())
}

/// How to start the function.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub mode: EnforcementMode,
    /// Added to (or replacing) the environment Lambda and the template give the function.
    pub env: &'a [(&'a str, &'a str)],
    /// Removed from that environment.
    pub without: &'a [&'a str],
    /// Where the function's standard output (its logs and audit records) goes; discarded when
    /// `None`.
    pub stdout: Option<&'a Path>,
}

impl<'a> Launch<'a> {
    pub fn new(binary: &'a Path, mode: EnforcementMode) -> Self {
        Self {
            binary,
            mode,
            env: &[],
            without: &[],
            stdout: None,
        }
    }
}

/// A running function process; killed when dropped.
pub struct Function {
    child: Child,
    api: RuntimeApi,
    /// Process start until it asked for its first event.
    pub cold_start: Duration,
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Function {
    /// Starts the function and waits until it asks for its first event. Fails, with the exit
    /// status, when the process ends before that (a configuration error ends it at init).
    pub async fn start(launch: Launch<'_>, emulator: &Emulator) -> Result<Self, Error> {
        let api = RuntimeApi::start().await?;
        let address = api.address();
        let mode = match launch.mode {
            EnforcementMode::Remediate => "remediate",
            EnforcementMode::Detect => "detect",
        };
        let mut env: Vec<(&str, &str)> = vec![
            ("AWS_LAMBDA_RUNTIME_API", &address),
            ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/glue-encryption-guardrail",
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "local"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
            ("AWS_REGION", REGION),
            ("AWS_DEFAULT_REGION", REGION),
            ("AWS_ENDPOINT_URL", &emulator.endpoint),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "testing"),
            ("KMS_KEY_PARAMETER", PARAMETER),
            ("ENFORCEMENT_MODE", mode),
            ("GUARDRAIL_ROLE_ARN", GUARDRAIL_ROLE),
            ("KEY_CACHE_TTL_SECONDS", "300"),
            ("EXEMPTION_PARAMETER", EXEMPTION),
            ("TZ", ":UTC"),
            ("LANG", "en_US.UTF-8"),
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ];
        env.retain(|(name, _)| {
            !launch.without.contains(name) && !launch.env.iter().any(|(n, _)| n == name)
        });
        env.extend(launch.env.iter().copied());

        let stdout = match launch.stdout {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::null(),
        };
        let mut command = Command::new(launch.binary);
        // Nothing of this process's environment leaks in.
        command
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::null());
        let started = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("{}: {e}", launch.binary.display()))?;
        let mut function = Self {
            child,
            api,
            cold_start: Duration::ZERO,
        };
        let first_poll = function.first_poll().await?;
        function.cold_start = first_poll.saturating_duration_since(started);
        Ok(function)
    }

    /// The first `next` request, or the process's exit, whichever comes first.
    async fn first_poll(&mut self) -> Result<Instant, Error> {
        let limit = Instant::now() + START_LIMIT;
        loop {
            // The runtime API timestamps the request itself; this loop only decides when to
            // stop waiting.
            if let Ok(at) = self.api.first_poll(Duration::from_millis(20)).await {
                return Ok(at);
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("the function exited before its first event: {status}").into());
            }
            if Instant::now() > limit {
                return Err(format!(
                    "the function did not ask for an event within {START_LIMIT:?}"
                )
                .into());
            }
        }
    }

    /// Invokes the function with `event`; returns the response (the audit record) and the
    /// invocation's duration. A function error is an error here.
    pub async fn invoke(&self, event: &[u8]) -> Result<(Value, Duration), Error> {
        let invoked = self.api.invoke(event).await?;
        match invoked.ending {
            Ending::Response(body) => Ok((serde_json::from_slice(&body)?, invoked.latency)),
            Ending::Error { error_type, body } => Err(format!(
                "the function failed ({error_type}): {}",
                String::from_utf8_lossy(&body)
            )
            .into()),
        }
    }

    /// Invokes the function with a sample event from `events/` and checks the outcome it
    /// reports; returns the invocation's duration.
    pub async fn invoke_expecting(&self, file: &str, outcome: &str) -> Result<Duration, Error> {
        let bytes = serde_json::to_vec(&crate::event(file)?)?;
        let (record, latency) = self.invoke(&bytes).await?;
        let got = record.get("outcome").and_then(Value::as_str);
        if got != Some(outcome) {
            return Err(format!("{file}: expected outcome {outcome}, got {record}").into());
        }
        Ok(latency)
    }

    /// The process's peak resident set so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> Result<u64, Error> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or("no VmHWM in /proc/PID/status")?;
        Ok(kib * 1024)
    }
}
