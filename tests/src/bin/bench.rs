//! `make bench`: measures the guardrail and prints one Markdown table.
//!
//! - AWS calls per scenario: the guardrail in this process, its SDK clients counted by an
//!   interceptor ([`CallCounter`]), against moto's server.
//! - Invoke latency, cold start and peak memory: the release function binary, run as Lambda
//!   runs it, against a local Lambda Runtime API ([`RuntimeApi`]) and the same moto server.
//! - Pure core throughput: criterion's estimates, read from `--criterion DIR`.
//! - Package size: the files `--bootstrap` and `--zip` name.
//!
//! Every figure is measured on each run; nothing is hard-coded but the targets.

use glue_encryption_guardrail::app::config::EnforcementMode::{self, Detect, Remediate};
use glue_encryption_guardrail::core::record::Outcome;
use guardrail_system_tests::function::{Function, Launch};
use guardrail_system_tests::{
    CallCounter, CallCounts, Emulator, Error, REGION, RecordingAudit, compliant, event, invocation,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const USAGE: &str = "usage: bench --function PATH [--bootstrap PATH] [--zip PATH] [--criterion DIR] \
                     [--invokes N] [--starts N] [--mixed N]";

/// What to measure, from the command line.
struct Args {
    /// The release function binary (native), for latency, cold start and memory.
    function: PathBuf,
    /// The arm64 `bootstrap` and its zip, for the package size.
    bootstrap: Option<PathBuf>,
    zip: Option<PathBuf>,
    /// criterion's output folder (`target/criterion`).
    criterion: Option<PathBuf>,
    /// Warm invocations per latency scenario.
    invokes: usize,
    /// Cold starts per cold scenario.
    starts: usize,
    /// Events in the peak-memory run.
    mixed: usize,
}

impl Args {
    fn parse() -> Result<Self, Error> {
        let mut args = std::env::args().skip(1);
        let mut function = None;
        let mut parsed = Self {
            function: PathBuf::new(),
            bootstrap: None,
            zip: None,
            criterion: None,
            invokes: 200,
            starts: 20,
            mixed: 500,
        };
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            match flag.as_str() {
                "--function" => function = Some(PathBuf::from(value)),
                "--bootstrap" => parsed.bootstrap = Some(PathBuf::from(value)),
                "--zip" => parsed.zip = Some(PathBuf::from(value)),
                "--criterion" => parsed.criterion = Some(PathBuf::from(value)),
                "--invokes" => parsed.invokes = value.parse()?,
                "--starts" => parsed.starts = value.parse()?,
                "--mixed" => parsed.mixed = value.parse()?,
                _ => return Err(format!("unknown argument {flag}\n{USAGE}").into()),
            }
        }
        parsed.function = function.ok_or(USAGE)?;
        if parsed.invokes == 0 || parsed.starts == 0 || parsed.mixed == 0 {
            return Err("--invokes, --starts and --mixed must be at least 1".into());
        }
        Ok(parsed)
    }
}

/// One row of the table.
struct Row {
    measure: &'static str,
    scenario: String,
    result: String,
    target: String,
    /// `None` when there is no target.
    met: Option<bool>,
}

impl Row {
    fn new(measure: &'static str, scenario: impl Into<String>, result: impl Into<String>) -> Self {
        Self {
            measure,
            scenario: scenario.into(),
            result: result.into(),
            target: "—".into(),
            met: None,
        }
    }

    fn target(mut self, target: impl Into<String>, met: bool) -> Self {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse()?;
    let mut rows = Vec::new();

    eprintln!("bench: starting the emulator");
    let emulator = Emulator::start().await?;
    // moto's first KMS call imports its crypto modules, which can outlast the SDK's 4 s
    // timeout on a busy machine: try again before giving up.
    let mut seeded = emulator.seed_key_and_parameter().await;
    for _ in 0..3 {
        if seeded.is_ok() {
            break;
        }
        seeded = emulator.seed_key_and_parameter().await;
    }
    let key = seeded?;

    eprintln!("bench: counting AWS calls per scenario");
    rows.extend(api_calls(&emulator, &key).await?);

    eprintln!(
        "bench: invoke latency, {} warm invokes per scenario, {} cold starts per cold scenario",
        args.invokes, args.starts
    );
    let (latency, cold_starts) = latency(&args, &emulator, &key).await?;
    rows.extend(latency);
    rows.push(emulator_read(&emulator, &key, args.invokes).await?);

    if let Some(dir) = &args.criterion {
        rows.extend(core(dir)?);
    }

    let (median, p99) = (percentile(&cold_starts, 50), percentile(&cold_starts, 99));
    rows.push(
        Row::new(
            "Cold start",
            format!(
                "process start → first `GET …/invocation/next`, release {} binary (n = {})",
                std::env::consts::ARCH,
                cold_starts.len()
            ),
            format!("median {}, p99 {}", ms(median), ms(p99)),
        )
        .target("< 30 ms", median < Duration::from_millis(30)),
    );

    rows.extend(cold_start_bounds(&args, &emulator).await?);

    eprintln!("bench: peak memory over {} mixed events", args.mixed);
    rows.push(peak_memory(&args, &emulator, &key).await?);

    rows.extend(package_size(&args)?);

    print_table(&rows);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// AWS calls

/// The catalog a scenario starts from.
#[derive(Clone, Copy)]
enum Catalog {
    Compliant,
    /// As `put-encryption-disabled.json` leaves it: nothing encrypted.
    Drifted,
}

async fn set_catalog(emulator: &Emulator, key: &str, catalog: Catalog) -> Result<(), Error> {
    match catalog {
        Catalog::Compliant => emulator.set_catalog(&compliant(key)).await,
        Catalog::Drifted => emulator
            .apply_request(&event("put-encryption-disabled.json")?, key)
            .await
            .map(drop),
    }
}

struct CallScenario {
    name: &'static str,
    mode: EnforcementMode,
    /// Whether the guardrail handled an event before, so its key cache is fresh.
    warm: bool,
    catalog: Catalog,
    event: &'static str,
    outcome: Outcome,
    target: usize,
    /// Whether Security Hub findings are on.
    findings: bool,
}

const CALL_SCENARIOS: [CallScenario; 9] = [
    CallScenario {
        name: "own-event skip (cold)",
        mode: Remediate,
        warm: false,
        catalog: Catalog::Drifted,
        event: "put-by-guardrail-itself.json",
        outcome: Outcome::Skipped,
        target: 0,
        findings: false,
    },
    CallScenario {
        name: "failed-call skip (cold)",
        mode: Remediate,
        warm: false,
        catalog: Catalog::Drifted,
        event: "put-failed-access-denied.json",
        outcome: Outcome::Skipped,
        target: 0,
        findings: false,
    },
    CallScenario {
        name: "compliant catalog, warm",
        mode: Remediate,
        warm: true,
        catalog: Catalog::Compliant,
        event: "put-compliant.json",
        outcome: Outcome::Compliant,
        target: 1,
        findings: false,
    },
    CallScenario {
        name: "drift, warm",
        mode: Remediate,
        warm: true,
        catalog: Catalog::Drifted,
        event: "put-encryption-disabled.json",
        outcome: Outcome::Remediated,
        target: 4,
        findings: false,
    },
    CallScenario {
        name: "drift, cold",
        mode: Remediate,
        warm: false,
        catalog: Catalog::Drifted,
        event: "put-encryption-disabled.json",
        outcome: Outcome::Remediated,
        target: 6,
        findings: false,
    },
    CallScenario {
        name: "scheduled tick, cold, compliant",
        mode: Remediate,
        warm: false,
        catalog: Catalog::Compliant,
        event: "scheduled-reconcile.json",
        outcome: Outcome::Compliant,
        target: 3,
        findings: false,
    },
    CallScenario {
        name: "detect mode, drift, warm",
        mode: Detect,
        warm: true,
        catalog: Catalog::Drifted,
        event: "put-encryption-disabled.json",
        outcome: Outcome::DriftDetected,
        target: 1,
        findings: false,
    },
    CallScenario {
        name: "compliant catalog, warm, findings on",
        mode: Remediate,
        warm: true,
        catalog: Catalog::Compliant,
        event: "put-compliant.json",
        outcome: Outcome::Compliant,
        target: 2,
        findings: true,
    },
    CallScenario {
        name: "drift, warm, findings on",
        mode: Remediate,
        warm: true,
        catalog: Catalog::Drifted,
        event: "put-encryption-disabled.json",
        outcome: Outcome::Remediated,
        target: 5,
        findings: true,
    },
];

async fn api_calls(emulator: &Emulator, key: &str) -> Result<Vec<Row>, Error> {
    let mut rows = Vec::new();
    for scenario in &CALL_SCENARIOS {
        let audit = RecordingAudit::default();
        let counter = CallCounter::default();
        let guardrail = if scenario.findings {
            emulator.counted_guardrail_with_findings(scenario.mode, &audit, &counter)
        } else {
            emulator.counted_guardrail(scenario.mode, &audit, &counter)
        };
        // Warm: the guardrail has handled a drift, so its key, parameter and exemption
        // answers are cached.
        if scenario.warm {
            set_catalog(emulator, key, Catalog::Drifted).await?;
            guardrail
                .handle(&event("put-encryption-disabled.json")?, invocation())
                .await?;
        }
        set_catalog(emulator, key, scenario.catalog).await?;
        counter.take();
        let record = guardrail
            .handle(&event(scenario.event)?, invocation())
            .await?;
        let counts = counter.take();
        if record.outcome != scenario.outcome {
            return Err(format!(
                "{}: expected {:?}, got {:?} ({})",
                scenario.name, scenario.outcome, record.outcome, record.reason
            )
            .into());
        }
        let calls = counts.total_calls();
        rows.push(
            Row::new("AWS calls", scenario.name, describe(&counts))
                .target(scenario.target.to_string(), calls == scenario.target),
        );
    }
    Ok(rows)
}

/// "3: glue:GetDataCatalogEncryptionSettings ×2, glue:PutDataCatalogEncryptionSettings".
fn describe(counts: &CallCounts) -> String {
    let calls = counts.total_calls();
    if calls == 0 {
        return "0".into();
    }
    let operations: Vec<String> = counts
        .calls
        .iter()
        .map(|(operation, n)| match n {
            1 => format!("`{operation}`"),
            n => format!("`{operation}` ×{n}"),
        })
        .collect();
    let retries = match counts.total_attempts().saturating_sub(calls) {
        0 => String::new(),
        n => format!(" (+{n} retried attempts)"),
    };
    format!("{calls}: {}{retries}", operations.join(", "))
}

// ---------------------------------------------------------------------------------------------
// The function binary under a local runtime API

/// The release function, started as Lambda starts it; `extra` is added to its environment.
async fn start(
    args: &Args,
    emulator: &Emulator,
    mode: EnforcementMode,
    extra: &[(&str, &str)],
) -> Result<Function, Error> {
    let launch = Launch {
        env: extra,
        ..Launch::new(&args.function, mode)
    };
    Function::start(launch, emulator).await
}

/// A warm latency scenario: the event, the catalog before each invoke, the outcome expected.
struct LatencyScenario {
    name: &'static str,
    mode: EnforcementMode,
    catalog: Catalog,
    event: &'static str,
    outcome: &'static str,
}

const WARM_SCENARIOS: [LatencyScenario; 5] = [
    LatencyScenario {
        name: "own-event skip",
        mode: Remediate,
        catalog: Catalog::Compliant,
        event: "put-by-guardrail-itself.json",
        outcome: "skipped",
    },
    LatencyScenario {
        name: "failed-call skip",
        mode: Remediate,
        catalog: Catalog::Compliant,
        event: "put-failed-access-denied.json",
        outcome: "skipped",
    },
    LatencyScenario {
        name: "compliant catalog, warm",
        mode: Remediate,
        catalog: Catalog::Compliant,
        event: "put-compliant.json",
        outcome: "compliant",
    },
    LatencyScenario {
        name: "drift, warm",
        mode: Remediate,
        catalog: Catalog::Drifted,
        event: "put-encryption-disabled.json",
        outcome: "remediated",
    },
    LatencyScenario {
        name: "detect mode, drift, warm",
        mode: Detect,
        catalog: Catalog::Drifted,
        event: "put-encryption-disabled.json",
        outcome: "drift_detected",
    },
];

/// Warm latency per scenario, then cold invokes; returns the rows and every cold start seen.
async fn latency(
    args: &Args,
    emulator: &Emulator,
    key: &str,
) -> Result<(Vec<Row>, Vec<Duration>), Error> {
    let mut rows = Vec::new();
    let mut cold_starts = Vec::new();
    let remediate = start(args, emulator, Remediate, &[]).await?;
    let detect = start(args, emulator, Detect, &[]).await?;
    cold_starts.extend([remediate.cold_start, detect.cold_start]);
    for function in [&remediate, &detect] {
        // Warms the key cache and the connections to the emulator.
        set_catalog(emulator, key, Catalog::Compliant).await?;
        for _ in 0..10 {
            function
                .invoke_expecting("put-compliant.json", "compliant")
                .await?;
        }
    }

    for scenario in &WARM_SCENARIOS {
        let function = match scenario.mode {
            Remediate => &remediate,
            Detect => &detect,
        };
        let mut samples = Vec::with_capacity(args.invokes);
        for _ in 0..args.invokes {
            // Untimed: the catalog as the scenario needs it.
            set_catalog(emulator, key, scenario.catalog).await?;
            samples.push(
                function
                    .invoke_expecting(scenario.event, scenario.outcome)
                    .await?,
            );
        }
        rows.push(latency_row(scenario.name, &samples));
    }
    drop((remediate, detect));

    // Cold: a new process per invoke, its first event.
    let cold = [
        (
            "drift, cold (first invoke)",
            Catalog::Drifted,
            "put-encryption-disabled.json",
            "remediated",
        ),
        (
            "scheduled tick, cold, compliant (first invoke)",
            Catalog::Compliant,
            "scheduled-reconcile.json",
            "compliant",
        ),
    ];
    for (name, catalog, file, outcome) in cold {
        let mut samples = Vec::with_capacity(args.starts);
        for _ in 0..args.starts {
            set_catalog(emulator, key, catalog).await?;
            let function = start(args, emulator, Remediate, &[]).await?;
            cold_starts.push(function.cold_start);
            samples.push(function.invoke_expecting(file, outcome).await?);
        }
        rows.push(latency_row(name, &samples));
    }
    Ok((rows, cold_starts))
}

/// What bounds the cold start: the same binary with the TLS root certificates it loads at
/// start-up limited to the bundle file, and with none at all (what loading them costs).
async fn cold_start_bounds(args: &Args, emulator: &Emulator) -> Result<Vec<Row>, Error> {
    let bundle = "/etc/ssl/certs/ca-certificates.crt";
    let variants: [(&str, [(&str, &str); 2]); 2] = [
        (
            "diagnostic: root certificates from the bundle file only (`SSL_CERT_FILE` set, `SSL_CERT_DIR` empty)",
            [("SSL_CERT_FILE", bundle), ("SSL_CERT_DIR", "/nonexistent")],
        ),
        (
            "diagnostic: no root certificates to load (`SSL_CERT_FILE`, `SSL_CERT_DIR` empty)",
            [
                ("SSL_CERT_FILE", "/nonexistent"),
                ("SSL_CERT_DIR", "/nonexistent"),
            ],
        ),
    ];
    let mut rows = Vec::new();
    for (name, extra) in variants {
        if name.contains("bundle") && !Path::new(bundle).exists() {
            continue;
        }
        let mut samples = Vec::with_capacity(args.starts);
        for _ in 0..args.starts {
            let function = start(args, emulator, Remediate, &extra).await?;
            samples.push(function.cold_start);
        }
        rows.push(Row::new(
            "Cold start",
            format!("{name} (n = {})", samples.len()),
            format!(
                "median {}, p99 {}",
                ms(percentile(&samples, 50)),
                ms(percentile(&samples, 99))
            ),
        ));
    }
    Ok(rows)
}

/// What the emulator itself takes to answer the guardrail's most frequent call: one Glue read
/// as a bare HTTP request from this process, no SDK client in between (the harness is a debug
/// build, whose SDK would add time of its own). moto closes every connection after its answer,
/// so each call pays a new connection, here as in the guardrail. The warm latencies above are
/// mostly this, once per AWS call.
async fn emulator_read(emulator: &Emulator, key: &str, n: usize) -> Result<Row, Error> {
    set_catalog(emulator, key, Catalog::Compliant).await?;
    let host = emulator
        .endpoint
        .strip_prefix("http://")
        .ok_or("the emulator's endpoint is not http://")?;
    let body = "{}";
    // moto picks the service and region from the credential scope; it checks no signature.
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AWSGlue.GetDataCatalogEncryptionSettings\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/glue/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let mut stream = BufReader::new(TcpStream::connect(host).await?);
        stream.write_all(request.as_bytes()).await?;
        // The answer ends where its Content-Length says, not when the server closes.
        let (mut head, mut line, mut length) = (String::new(), String::new(), 0);
        while line != "\r\n" {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                return Err("the emulator closed the connection mid-answer".into());
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse()?;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
        samples.push(started.elapsed());
        let body = String::from_utf8_lossy(&body);
        if !head.starts_with("HTTP/1.1 200") || !body.contains(key) {
            return Err(format!("the emulator's answer to a bare Glue read: {head}{body}").into());
        }
    }
    Ok(Row::new(
        "Invoke latency",
        format!(
            "diagnostic: the emulator alone, one `GetDataCatalogEncryptionSettings` over bare HTTP (n = {n})"
        ),
        format!(
            "median {}, p99 {}",
            ms(percentile(&samples, 50)),
            ms(percentile(&samples, 99))
        ),
    ))
}

fn latency_row(name: &str, samples: &[Duration]) -> Row {
    Row::new(
        "Invoke latency",
        format!("{name} (n = {})", samples.len()),
        format!(
            "median {}, p99 {}",
            ms(percentile(samples, 50)),
            ms(percentile(samples, 99))
        ),
    )
}

/// One release process serving `--mixed` events: drift, compliant, skips and ticks in turn.
async fn peak_memory(args: &Args, emulator: &Emulator, key: &str) -> Result<Row, Error> {
    let mix: [(Option<&str>, &str, &str); 6] = [
        (
            Some("put-encryption-disabled.json"),
            "put-encryption-disabled.json",
            "remediated",
        ),
        (None, "put-compliant.json", "compliant"),
        (None, "put-by-guardrail-itself.json", "skipped"),
        (
            Some("put-other-customer-key.json"),
            "put-other-customer-key.json",
            "remediated",
        ),
        (None, "put-failed-access-denied.json", "skipped"),
        (None, "scheduled-reconcile.json", "compliant"),
    ];
    set_catalog(emulator, key, Catalog::Compliant).await?;
    let function = start(args, emulator, Remediate, &[]).await?;
    let at_start = function.peak_rss()?;
    for (drift, file, outcome) in mix.iter().cycle().take(args.mixed) {
        if let Some(drift) = drift {
            emulator.apply_request(&event(drift)?, key).await?;
        }
        function.invoke_expecting(file, outcome).await?;
    }
    // The process now waits for its next event; its high-water mark covers the whole run.
    let peak = function.peak_rss()?;
    Ok(Row::new(
        "Peak memory (VmHWM)",
        format!(
            "release {} binary over {} mixed events (drift, compliant, skips, ticks)",
            std::env::consts::ARCH,
            args.mixed
        ),
        format!("{} ({} at first poll)", mib(peak), mib(at_start)),
    )
    .target("< 32 MiB", peak < 32 * 1024 * 1024))
}

// ---------------------------------------------------------------------------------------------
// Pure core (criterion) and package size

/// criterion's median estimate for `core/<id>`, in nanoseconds per iteration.
fn criterion_median(dir: &Path, id: &str) -> Result<f64, Error> {
    let path = dir
        .join("core")
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let estimates: Value = serde_json::from_str(&text)?;
    estimates
        .pointer("/median/point_estimate")
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("{}: no median estimate", path.display()).into())
}

fn core(dir: &Path) -> Result<Vec<Row>, Error> {
    let typical = "put-encryption-disabled";
    let size = serde_json::to_vec(&event(&format!("{typical}.json"))?)?.len();
    let per_second = |ns: f64| 1e9 / ns;
    let pipeline = criterion_median(dir, &format!("pipeline/{typical}"))?;
    let parse = criterion_median(dir, &format!("parse/{typical}"))?;
    let classify = criterion_median(dir, &format!("classify/{typical}"))?;
    let evaluate = criterion_median(dir, "evaluate/unencrypted")?;
    let mut rows = vec![
        Row::new(
            "Pure core, one core",
            format!(
                "typical event (`{typical}.json`, {size} B compact): parse → `TriggerEvent` + classify + evaluate"
            ),
            format!(
                "{} events/s ({}: parse {}, classify {}, evaluate {})",
                thousands(per_second(pipeline)),
                us(pipeline),
                us(parse),
                us(classify),
                us(evaluate)
            ),
        )
        .target("≥ 250,000 events/s", per_second(pipeline) >= 250_000.0),
    ];
    for other in ["put-by-guardrail-itself", "scheduled-reconcile"] {
        let ns = criterion_median(dir, &format!("pipeline/{other}"))?;
        rows.push(Row::new(
            "Pure core, one core",
            format!("`{other}.json`: parse + classify (+ evaluate)"),
            format!("{} events/s ({})", thousands(per_second(ns)), us(ns)),
        ));
    }
    let value_parse = criterion_median(dir, &format!("baseline/value-parse/{typical}"))?;
    rows.push(Row::new(
        "Pure core, one core",
        format!(
            "baseline, not shipped: `{typical}.json` parsed to a whole `serde_json::Value` instead"
        ),
        format!(
            "parse {} ({:.1}× the typed parse)",
            us(value_parse),
            value_parse / parse
        ),
    ));
    Ok(rows)
}

fn package_size(args: &Args) -> Result<Vec<Row>, Error> {
    let limit = 8 * 1024 * 1024;
    let mut rows = Vec::new();
    for (path, what) in [
        (
            &args.bootstrap,
            "release arm64 `bootstrap` (cargo lambda build --release --arm64)",
        ),
        (&args.zip, "its deployment zip (deflate)"),
    ] {
        if let Some(path) = path {
            let bytes = std::fs::metadata(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .len();
            rows.push(
                Row::new(
                    "Package size",
                    what,
                    format!("{} ({} bytes)", mib(bytes), thousands(bytes as f64)),
                )
                .target("< 8 MiB", bytes < limit),
            );
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Figures and the table

/// The `p`th percentile, nearest rank.
fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn us(ns: f64) -> String {
    format!("{:.2} µs", ns / 1e3)
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// 312456.7 → "312,457".
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn print_table(rows: &[Row]) {
    println!("| Measure | Scenario | Result | Target | Met |");
    println!("| --- | --- | --- | --- | --- |");
    for row in rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        println!(
            "| {} | {} | {} | {} | {met} |",
            row.measure, row.scenario, row.result, row.target
        );
    }
}
