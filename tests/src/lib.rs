//! Test harness: moto's server on a free loopback port, real SDK clients pointed at it over
//! HTTP, and helpers that seed the state a scenario needs.
//!
//! Each [`Emulator`] is its own moto process, so tests share no state and run in parallel; the
//! process is killed when the `Emulator` is dropped, also when a test fails.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_glue::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_glue::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use glue_encryption_guardrail::adapters::clock::SystemClock;
use glue_encryption_guardrail::adapters::{
    self, glue::GlueCatalog, kms::KmsKeys, securityhub::SecurityHubFindings, ssm::SsmParameters,
};
use glue_encryption_guardrail::app::config::{Config, EnforcementMode};
use glue_encryption_guardrail::app::guardrail::{Guardrail, Invocation};
use glue_encryption_guardrail::core::record::AuditRecord;
use glue_encryption_guardrail::core::settings::{
    CatalogEncryptionMode, CatalogSettings, ConnectionPasswordEncryption, EncryptionAtRest,
};
use glue_encryption_guardrail::ports::AuditSink;
use glue_encryption_guardrail::ports::{CatalogReader, CatalogWriter};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// moto's default account, which the sample events use too.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// The stack the scenarios play: the names below are the ones template.yaml gives a stack of
/// this name, so that the requests they record can be checked against its policies.
pub const STACK_NAME: &str = "glue-encryption-guardrail";
/// The parameter the guardrail reads in every scenario (the stack's KmsKeyParameter).
pub const PARAMETER: &str = "/glue-encryption-guardrail/glue-encryption-guardrail/kms-key-arn";
/// The stack's exemption parameter.
pub const EXEMPTION: &str = "/glue-encryption-guardrail/glue-encryption-guardrail/exemption";
/// The execution role the sample `put-by-guardrail-itself.json` event names.
pub const GUARDRAIL_ROLE: &str =
    "arn:aws:iam::123456789012:role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F";
/// The function's name, which Lambda also gives its role's session.
pub const FUNCTION_NAME: &str = "glue-encryption-guardrail";
/// The key ARN the sample events use for "the guardrail's key"; scenarios swap in the real one.
pub const SAMPLE_KEY: &str =
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Reads a sample event from `events/`.
pub fn event(name: &str) -> Result<Value, Error> {
    let path = workspace().join("events").join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// A moto server of our own, and SDK configuration that talks to it.
pub struct Emulator {
    process: Child,
    pub endpoint: String,
    pub sdk: SdkConfig,
    /// The requests the guardrails wired to this emulator made, for the policy evaluation.
    pub requests: RequestLog,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        // A test's thread carries the test's name.
        let scenario = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        if let Err(e) = self.requests.write(&scenario) {
            eprintln!("could not write the requests of {scenario}: {e}");
        }
    }
}

/// Reads the server's standard error until it names the port it listens on; the rest of its
/// output (a line per request) is read and dropped, so the pipe never fills.
async fn listening_port(process: &mut Child, limit: Duration) -> Result<u16, Error> {
    let stderr = process.stderr.take().ok_or("no standard error to read")?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
        let mut seen = Vec::new();
        let answer = loop {
            let Some(line) = lines.next() else {
                break Err(format!("exited without listening: {}", seen.join(" | ")));
            };
            match port_in(&line) {
                Some(port) => break Ok(port),
                None if seen.len() < 20 => seen.push(line),
                None => {}
            }
        };
        let _ = tx.send(answer);
        // Keep reading, so that the server never blocks on a full pipe.
        lines.for_each(drop);
    });
    match tokio::time::timeout(limit, rx).await {
        Ok(Ok(answer)) => Ok(answer?),
        Ok(Err(_)) => Err("its output reader stopped".into()),
        Err(_) => Err(format!("named no port within {limit:?}").into()),
    }
}

/// The port in werkzeug's start-up line, ` * Running on http://127.0.0.1:PORT`.
fn port_in(line: &str) -> Option<u16> {
    let (_, address) = line.split_once("Running on http://127.0.0.1:")?;
    let digits: String = address.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|port| *port != 0)
}

impl Emulator {
    /// Starts moto's server on a free loopback port and waits until it answers.
    /// `MOTO_SERVER` names the executable; by default the one `make setup` installs.
    pub async fn start() -> Result<Self, Error> {
        let program = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join(".venv/bin/moto_server"));
        if !program.exists() {
            return Err(format!(
                "{} not found: run `make setup` (or set MOTO_SERVER)",
                program.display()
            )
            .into());
        }
        // Port 0: the server binds a free port itself and names it, so no other test can take
        // the port between its choice and the bind.
        let mut process = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let port = match listening_port(&mut process, Duration::from_secs(60)).await {
            Ok(port) => port,
            Err(e) => {
                let _ = process.kill();
                let _ = process.wait();
                return Err(format!("{}: {e}", program.display()).into());
            }
        };
        let endpoint = format!("http://127.0.0.1:{port}");
        // The guardrail's own retry strategy, but roomier timeouts: moto answers its first
        // call to each service only after importing that service's code, which on a loaded
        // two-core machine can take longer than the deployed 4 s budget. The deployed budget
        // itself is tested against mocked slow answers in the function crate's faults.rs.
        let sdk = adapters::configure(aws_config::defaults(BehaviorVersion::latest()))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .operation_timeout(Duration::from_secs(120))
                    .build(),
            )
            .region(Region::new(REGION))
            .endpoint_url(&endpoint)
            .credentials_provider(aws_sdk_kms::config::Credentials::new(
                "testing", "testing", None, None, "emulator",
            ))
            .load()
            .await;
        let emulator = Self {
            process,
            endpoint,
            sdk,
            requests: RequestLog::default(),
        };
        emulator.wait_until_ready(Duration::from_secs(60)).await?;
        emulator.warm_up().await?;
        Ok(emulator)
    }

    /// moto loads a service's code on that service's first request: SSM's takes most of a
    /// second on an idle machine, and several on a loaded one. The function binary calls
    /// with the deployed budget (4 s per call), so the services every scenario uses are loaded
    /// here, before any guardrail calls them.
    async fn warm_up(&self) -> Result<(), Error> {
        let (ssm, kms) = tokio::join!(
            self.ssm().describe_parameters().send(),
            self.kms().list_keys().send()
        );
        ssm?;
        kms?;
        Ok(())
    }

    async fn wait_until_ready(&self, limit: Duration) -> Result<(), Error> {
        let started = Instant::now();
        loop {
            // Any answer from Glue means the server is up.
            if self
                .glue()
                .get_data_catalog_encryption_settings()
                .send()
                .await
                .is_ok()
            {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(
                    format!("moto did not answer on {} within {limit:?}", self.endpoint).into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn glue(&self) -> aws_sdk_glue::Client {
        aws_sdk_glue::Client::new(&self.sdk)
    }

    pub fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.sdk)
    }

    pub fn kms(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.sdk)
    }

    /// Creates a key and returns its ARN. Usage is always given, as real KMS always reports it.
    pub async fn create_key(&self, spec: KeySpec, usage: KeyUsageType) -> Result<String, Error> {
        let out = self
            .kms()
            .create_key()
            .key_spec(spec)
            .key_usage(usage)
            .description("glue-encryption-guardrail test key")
            .send()
            .await?;
        out.key_metadata()
            .and_then(|k| k.arn())
            .map(str::to_owned)
            .ok_or_else(|| "CreateKey returned no ARN".into())
    }

    /// Creates the symmetric encrypt/decrypt key Glue can use.
    pub async fn create_glue_key(&self) -> Result<String, Error> {
        self.create_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt)
            .await
    }

    pub async fn create_alias(&self, alias: &str, key_arn: &str) -> Result<(), Error> {
        self.kms()
            .create_alias()
            .alias_name(alias)
            .target_key_id(key_arn)
            .send()
            .await?;
        Ok(())
    }

    pub async fn put_parameter(&self, name: &str, value: &str) -> Result<(), Error> {
        self.ssm()
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send()
            .await?;
        Ok(())
    }

    /// A Glue key, the parameter pointing at it, and the exemption parameter holding `none`:
    /// the state a deployed stack leaves.
    pub async fn seed_key_and_parameter(&self) -> Result<String, Error> {
        let key = self.create_glue_key().await?;
        self.put_parameter(PARAMETER, &key).await?;
        self.put_parameter(EXEMPTION, "none").await?;
        self.requests.set_stack_key(&key);
        Ok(key)
    }

    pub async fn set_catalog(&self, settings: &CatalogSettings) -> Result<(), Error> {
        self.catalog().put_settings(settings).await?;
        Ok(())
    }

    pub async fn catalog_settings(&self) -> Result<CatalogSettings, Error> {
        Ok(self.catalog().get_settings().await?)
    }

    /// Makes the catalog what the event's request asked for, as if the call it records had
    /// just happened, with the sample key ARN replaced by `key_arn`.
    pub async fn apply_request(
        &self,
        event: &Value,
        key_arn: &str,
    ) -> Result<CatalogSettings, Error> {
        let settings = requested_settings(event, key_arn)
            .ok_or("the event carries no dataCatalogEncryptionSettings")?;
        self.set_catalog(&settings).await?;
        Ok(settings)
    }

    fn catalog(&self) -> GlueCatalog {
        GlueCatalog::new(self.glue())
    }

    /// The guardrail, wired to real SDK clients against this emulator.
    pub fn guardrail<'a>(
        &self,
        mode: EnforcementMode,
        audit: &'a RecordingAudit,
    ) -> EmulatedGuardrail<'a> {
        self.guardrail_with(
            Config {
                enforcement_mode: mode,
                ..deployed_config()
            },
            audit,
        )
    }

    /// The guardrail configured as `config` says, its requests recorded for the policy
    /// evaluation as those of a stack with the matching parameters.
    pub fn guardrail_with<'a>(
        &self,
        config: Config,
        audit: &'a RecordingAudit,
    ) -> EmulatedGuardrail<'a> {
        self.wire(config, audit, None)
    }

    /// The guardrail, its clients' requests recorded and, when given, counted by `counter`.
    fn wire<'a>(
        &self,
        config: Config,
        audit: &'a RecordingAudit,
        counter: Option<&CallCounter>,
    ) -> EmulatedGuardrail<'a> {
        let recorder = self.requests.recorder(deployment(&config));
        macro_rules! client {
            ($sdk:ident) => {{
                let mut builder =
                    $sdk::config::Builder::from(&self.sdk).interceptor(recorder.clone());
                if let Some(counter) = counter {
                    builder = builder.interceptor(counter.clone());
                }
                $sdk::Client::from_conf(builder.build())
            }};
        }
        Guardrail::new(
            config,
            REGION.into(),
            GlueCatalog::new(client!(aws_sdk_glue)),
            SsmParameters::new(client!(aws_sdk_ssm)),
            KmsKeys::new(client!(aws_sdk_kms)),
            SystemClock,
            audit,
        )
    }

    /// The guardrail as [`Emulator::guardrail_with`] wires it, publishing its verdicts as
    /// Security Hub findings through `securityhub` (a stack with SecurityHubFindings=Enabled).
    pub fn guardrail_with_findings<'a>(
        &self,
        config: Config,
        audit: &'a RecordingAudit,
        securityhub: &SdkConfig,
    ) -> EmulatedGuardrail<'a> {
        let client = self.securityhub(securityhub, &config, None);
        self.guardrail_with(config, audit)
            .with_findings(SecurityHubFindings::new(client))
    }

    /// A Security Hub client on `sdk`, its requests recorded as those of a stack configured as
    /// `config` with findings on, and counted by `counter` when given.
    fn securityhub(
        &self,
        sdk: &SdkConfig,
        config: &Config,
        counter: Option<&CallCounter>,
    ) -> aws_sdk_securityhub::Client {
        let mut deployment = deployment(config);
        deployment
            .parameters
            .insert("SecurityHubFindings".into(), "Enabled".into());
        let mut builder = aws_sdk_securityhub::config::Builder::from(sdk)
            .interceptor(self.requests.recorder(deployment));
        if let Some(counter) = counter {
            builder = builder.interceptor(counter.clone());
        }
        aws_sdk_securityhub::Client::from_conf(builder.build())
    }

    /// Every Security Hub finding the emulator holds.
    pub async fn findings(
        &self,
    ) -> Result<Vec<aws_sdk_securityhub::types::AwsSecurityFinding>, Error> {
        let out = aws_sdk_securityhub::Client::new(&self.sdk)
            .get_findings()
            .send()
            .await?;
        Ok(out.findings().to_vec())
    }

    /// An SNS client whose requests are recorded as those of a stack configured as `config`,
    /// with notifications to its alarm topic (parameters AlarmEmail and Notifications).
    pub fn notifying_sns(&self, config: &Config) -> aws_sdk_sns::Client {
        let mut deployment = deployment(config);
        deployment
            .parameters
            .insert("AlarmEmail".into(), "security@example.com".into());
        deployment
            .parameters
            .insert("Notifications".into(), "Enabled".into());
        let sns = aws_sdk_sns::config::Builder::from(&self.sdk)
            .interceptor(self.requests.recorder(deployment))
            .build();
        aws_sdk_sns::Client::from_conf(sns)
    }
}

/// The template parameters that give the function `config`.
fn deployment(config: &Config) -> Deployment {
    let mut parameters = std::collections::BTreeMap::new();
    let mode = match config.enforcement_mode {
        EnforcementMode::Remediate => "remediate",
        EnforcementMode::Detect => "detect",
    };
    parameters.insert("EnforcementMode".to_owned(), mode.to_owned());
    if let Some(role) = &config.catalog_service_role_arn {
        let name = role
            .split_once(":role/")
            .map_or(role.as_str(), |(_, name)| name);
        parameters.insert("CatalogServiceRoleName".to_owned(), name.to_owned());
    }
    Deployment { parameters }
}

/// The configuration template.yaml gives the function (with the default parameters), and the
/// function name Lambda sets.
pub fn deployed_config() -> Config {
    Config {
        guardrail_role_arn: Some(GUARDRAIL_ROLE.into()),
        function_name: Some(FUNCTION_NAME.into()),
        key_cache_ttl: Duration::from_secs(300),
        exemption_parameter: Some(EXEMPTION.into()),
        ..Config::new(PARAMETER)
    }
}

pub type EmulatedGuardrail<'a> =
    Guardrail<GlueCatalog, SsmParameters, KmsKeys, &'a RecordingAudit, SystemClock>;

/// The invocation context a deployed function in [`ACCOUNT`] sees.
pub fn invocation() -> Invocation<'static> {
    Invocation {
        request_id: "emulator-test",
        account: Some(ACCOUNT),
        time_left: None,
    }
}

/// Keeps every audit record, in order.
#[derive(Debug, Default)]
pub struct RecordingAudit(Mutex<Vec<AuditRecord>>);

impl RecordingAudit {
    pub fn records(&self) -> Vec<AuditRecord> {
        self.0.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl AuditSink for RecordingAudit {
    fn record(&self, record: &AuditRecord) {
        if let Ok(mut records) = self.0.lock() {
            records.push(record.clone());
        }
    }
}

/// The settings an event's request asked for (lowerCamel CloudTrail names), with the sample
/// key ARN replaced by `key_arn`.
pub fn requested_settings(event: &Value, key_arn: &str) -> Option<CatalogSettings> {
    let settings = event.pointer("/detail/requestParameters/dataCatalogEncryptionSettings")?;
    let key = |pointer: &str| {
        settings.pointer(pointer).and_then(Value::as_str).map(|k| {
            if k == SAMPLE_KEY {
                key_arn.to_owned()
            } else {
                k.to_owned()
            }
        })
    };
    Some(CatalogSettings {
        encryption_at_rest: EncryptionAtRest {
            catalog_encryption_mode: CatalogEncryptionMode::parse(
                settings
                    .pointer("/encryptionAtRest/catalogEncryptionMode")
                    .and_then(Value::as_str)
                    .unwrap_or("DISABLED"),
            ),
            sse_aws_kms_key_id: key("/encryptionAtRest/sseAwsKmsKeyId"),
            catalog_encryption_service_role: key("/encryptionAtRest/catalogEncryptionServiceRole"),
        },
        connection_password_encryption: ConnectionPasswordEncryption {
            return_connection_password_encrypted: settings
                .pointer("/connectionPasswordEncryption/returnConnectionPasswordEncrypted")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            aws_kms_key_id: key("/connectionPasswordEncryption/awsKmsKeyId"),
        },
    })
}

/// The settings a compliant catalog has: both sub-settings with `key_arn`.
pub fn compliant(key_arn: &str) -> CatalogSettings {
    CatalogSettings {
        encryption_at_rest: EncryptionAtRest {
            catalog_encryption_mode: CatalogEncryptionMode::SseKms,
            sse_aws_kms_key_id: Some(key_arn.to_owned()),
            catalog_encryption_service_role: None,
        },
        connection_password_encryption: ConnectionPasswordEncryption {
            return_connection_password_encrypted: true,
            aws_kms_key_id: Some(key_arn.to_owned()),
        },
    }
}

pub mod function;
pub mod requests;
pub mod runtime_api;

use requests::{Deployment, RequestLog};

/// One SDK operation, named as IAM names it: `glue:GetDataCatalogEncryptionSettings` (the
/// SDK's service name, `Glue`, `SSM` or `KMS`, lower-cased).
pub type Operation = String;

/// Counts the AWS calls a guardrail's SDK clients make, per operation: an SDK interceptor
/// registered on each client. A *call* is one operation the guardrail asked for (counted in
/// `read_before_serialization`, once per call); an *attempt* is one HTTP request the SDK sent
/// for it (`read_before_attempt`), so retries show up as attempts beyond the calls.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<CallCounts>>);

/// What a [`CallCounter`] has seen since it was created or last taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub calls: BTreeMap<Operation, usize>,
    pub attempts: BTreeMap<Operation, usize>,
}

impl CallCounts {
    /// Calls in all, over every operation.
    pub fn total_calls(&self) -> usize {
        self.calls.values().sum()
    }

    /// Attempts in all, over every operation.
    pub fn total_attempts(&self) -> usize {
        self.attempts.values().sum()
    }
}

impl CallCounter {
    /// The counts so far, leaving the counter at zero.
    pub fn take(&self) -> CallCounts {
        self.0
            .lock()
            .map(|mut counts| std::mem::take(&mut *counts))
            .unwrap_or_default()
    }

    fn count(&self, cfg: &ConfigBag, attempt: bool) {
        let operation = cfg.load::<Metadata>().map_or_else(
            || "unknown:Unknown".to_owned(),
            |m| format!("{}:{}", m.service().to_ascii_lowercase(), m.name()),
        );
        if let Ok(mut counts) = self.0.lock() {
            let map = if attempt {
                &mut counts.attempts
            } else {
                &mut counts.calls
            };
            *map.entry(operation).or_default() += 1;
        }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    // Once per call. (`read_before_execution` would be too, but a client's interceptors see it
    // before the operation has put its name in the config bag.)
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.count(cfg, false);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.count(cfg, true);
        Ok(())
    }
}

impl Emulator {
    /// The guardrail exactly as [`Emulator::guardrail`] wires it, with fresh clients (so a cold
    /// key cache) whose every call and attempt `counter` counts. The emulator's own clients,
    /// which tests use to seed state, are not counted.
    pub fn counted_guardrail<'a>(
        &self,
        mode: EnforcementMode,
        audit: &'a RecordingAudit,
        counter: &CallCounter,
    ) -> EmulatedGuardrail<'a> {
        let config = Config {
            enforcement_mode: mode,
            ..deployed_config()
        };
        self.wire(config, audit, Some(counter))
    }

    /// [`Emulator::counted_guardrail`] with Security Hub findings on, its calls counted too.
    pub fn counted_guardrail_with_findings<'a>(
        &self,
        mode: EnforcementMode,
        audit: &'a RecordingAudit,
        counter: &CallCounter,
    ) -> EmulatedGuardrail<'a> {
        let config = Config {
            enforcement_mode: mode,
            ..deployed_config()
        };
        let client = self.securityhub(&self.sdk, &config, Some(counter));
        self.wire(config, audit, Some(counter))
            .with_findings(SecurityHubFindings::new(client))
    }
}

impl Emulator {
    /// SDK configuration for `region` on this same emulator, with the same credentials. moto
    /// keeps Glue, SSM and KMS state per region (and per account), so each region is a
    /// catalog of its own.
    pub fn sdk_in(&self, region: &str) -> SdkConfig {
        self.sdk
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::port_in;

    #[test]
    fn the_port_is_read_from_werkzeugs_start_up_line_only() {
        assert_eq!(port_in(" * Running on http://127.0.0.1:42327"), Some(42327));
        assert_eq!(port_in(" * Running on http://127.0.0.1:0"), None);
        assert_eq!(port_in("Press CTRL+C to quit"), None);
        assert_eq!(port_in(" * Running on http://[::1]:5000"), None);
    }
}
