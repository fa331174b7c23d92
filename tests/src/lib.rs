//! Test harness: moto's server on a free loopback port, real SDK clients pointed at it over
//! HTTP, and helpers that seed the state a scenario needs.
//!
//! Each [`Emulator`] is its own moto process, so tests share no state and run in parallel; the
//! process is killed when the `Emulator` is dropped, also when a test fails.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use glue_encryption_guardrail::adapters::{
    self, glue::GlueCatalog, kms::KmsKeys, ssm::SsmParameters,
};
use glue_encryption_guardrail::audit::{AuditRecord, AuditSink};
use glue_encryption_guardrail::config::{Config, EnforcementMode};
use glue_encryption_guardrail::core::settings::{
    CatalogEncryptionMode, CatalogSettings, ConnectionPasswordEncryption, EncryptionAtRest,
};
use glue_encryption_guardrail::handler::{Guardrail, Invocation};
use glue_encryption_guardrail::keys::SystemClock;
use glue_encryption_guardrail::ports::CatalogStore;
use serde_json::Value;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// moto's default account, which the sample events use too.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// The parameter the guardrail reads in every scenario.
pub const PARAMETER: &str = "/glue-encryption-guardrail/kms-key-arn";
/// The execution role the sample `put-by-guardrail-itself.json` event names.
pub const GUARDRAIL_ROLE: &str =
    "arn:aws:iam::123456789012:role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F";
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
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
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
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let process = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let sdk = adapters::configure(aws_config::defaults(BehaviorVersion::latest()))
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
        };
        emulator.wait_until_ready(Duration::from_secs(60)).await?;
        Ok(emulator)
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

    /// A Glue key, and the parameter pointing at it: the state a deployed stack leaves.
    pub async fn seed_key_and_parameter(&self) -> Result<String, Error> {
        let key = self.create_glue_key().await?;
        self.put_parameter(PARAMETER, &key).await?;
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
        let config = Config {
            kms_key_parameter: PARAMETER.into(),
            enforcement_mode: mode,
            guardrail_role_arn: Some(GUARDRAIL_ROLE.into()),
            key_cache_ttl: Duration::from_secs(300),
        };
        Guardrail::new(
            config,
            REGION.into(),
            self.catalog(),
            SsmParameters::new(self.ssm()),
            KmsKeys::new(self.kms()),
            SystemClock,
            audit,
        )
    }
}

pub type EmulatedGuardrail<'a> =
    Guardrail<GlueCatalog, SsmParameters, KmsKeys, &'a RecordingAudit, SystemClock>;

/// The invocation context a deployed function in [`ACCOUNT`] sees.
pub fn invocation() -> Invocation<'static> {
    Invocation {
        request_id: "emulator-test",
        account: Some(ACCOUNT),
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
