//! In-memory fakes of the ports, recording every call, for the handler tests.
#![allow(dead_code)]
// Test support states its expectations the way the tests do (see clippy.toml); clippy does not
// count helper functions outside `#[test]` as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use glue_encryption_guardrail::app::config::{Config, EnforcementMode};
use glue_encryption_guardrail::app::guardrail::{Guardrail, Invocation};
use glue_encryption_guardrail::core::key::KeyDescription;
use glue_encryption_guardrail::core::record::AuditRecord;
use glue_encryption_guardrail::core::settings::{
    CatalogEncryptionMode, CatalogSettings, ConnectionPasswordEncryption, EncryptionAtRest,
};
use glue_encryption_guardrail::ports::AuditSink;
use glue_encryption_guardrail::ports::Clock;
use glue_encryption_guardrail::ports::{AwsError, AwsErrorKind};
use glue_encryption_guardrail::ports::{
    CatalogReader, CatalogWriter, KeyDirectory, ParameterStore,
};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const PARAMETER: &str = "/glue-encryption-guardrail/kms-key-arn";
pub const OUR_KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
pub const OUR_KEY: &str =
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
pub const OUR_ALIAS: &str = "alias/glue-catalog";
pub const OTHER_KEY: &str =
    "arn:aws:kms:us-east-1:123456789012:key/9f8e7d6c-5b4a-4321-8fed-cba987654321";
pub const GUARDRAIL_ROLE: &str =
    "arn:aws:iam::123456789012:role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F";
/// The function's name, which Lambda also gives the execution role's session.
pub const FUNCTION_NAME: &str = "glue-encryption-guardrail";
/// The function's own session: the caller of its writes, as `put-by-guardrail-itself.json`
/// names it.
pub const GUARDRAIL_SESSION: &str = "arn:aws:sts::123456789012:assumed-role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F/glue-encryption-guardrail";

pub fn key(arn: &str) -> KeyDescription {
    KeyDescription {
        arn: arn.to_owned(),
        key_id: arn.rsplit('/').next().unwrap_or_default().to_owned(),
        state: "Enabled".into(),
        spec: Some("SYMMETRIC_DEFAULT".into()),
        usage: Some("ENCRYPT_DECRYPT".into()),
        manager: Some("CUSTOMER".into()),
    }
}

pub fn settings(
    mode: &str,
    key: Option<&str>,
    passwords: bool,
    password_key: Option<&str>,
) -> CatalogSettings {
    CatalogSettings {
        encryption_at_rest: EncryptionAtRest {
            catalog_encryption_mode: CatalogEncryptionMode::parse(mode),
            sse_aws_kms_key_id: key.map(str::to_owned),
            catalog_encryption_service_role: None,
        },
        connection_password_encryption: ConnectionPasswordEncryption {
            return_connection_password_encrypted: passwords,
            aws_kms_key_id: password_key.map(str::to_owned),
        },
    }
}

pub fn compliant() -> CatalogSettings {
    settings("SSE-KMS", Some(OUR_KEY), true, Some(OUR_KEY))
}

pub fn denied(action: &'static str) -> AwsError {
    AwsError {
        action,
        kind: AwsErrorKind::AccessDenied,
        code: Some("AccessDeniedException".into()),
        message: "denied".into(),
    }
}

pub fn throttled(action: &'static str) -> AwsError {
    AwsError {
        action,
        kind: AwsErrorKind::Throttled,
        code: Some("ThrottlingException".into()),
        message: "Rate exceeded".into(),
    }
}

/// A catalog in memory. `concurrent_write` simulates another writer that lands right after ours.
#[derive(Default)]
pub struct FakeCatalog {
    pub settings: Mutex<Option<CatalogSettings>>,
    pub gets: Mutex<usize>,
    pub puts: Mutex<Vec<CatalogSettings>>,
    pub get_errors: Mutex<VecDeque<AwsError>>,
    pub put_error: Mutex<Option<AwsError>>,
    pub concurrent_write: Mutex<Option<CatalogSettings>>,
}

impl FakeCatalog {
    pub fn with(settings: CatalogSettings) -> Self {
        let catalog = Self::default();
        *catalog.settings.lock().unwrap() = Some(settings);
        catalog
    }
    pub fn gets(&self) -> usize {
        *self.gets.lock().unwrap()
    }
    pub fn puts(&self) -> Vec<CatalogSettings> {
        self.puts.lock().unwrap().clone()
    }
    pub fn current(&self) -> CatalogSettings {
        self.settings
            .lock()
            .unwrap()
            .clone()
            .unwrap_or_else(CatalogSettings::unencrypted)
    }
}

impl CatalogReader for FakeCatalog {
    async fn get_settings(&self) -> Result<CatalogSettings, AwsError> {
        *self.gets.lock().unwrap() += 1;
        if let Some(e) = self.get_errors.lock().unwrap().pop_front() {
            return Err(e);
        }
        Ok(self.current())
    }
}

impl CatalogWriter for FakeCatalog {
    async fn put_settings(&self, settings: &CatalogSettings) -> Result<(), AwsError> {
        self.puts.lock().unwrap().push(settings.clone());
        if let Some(e) = self.put_error.lock().unwrap().clone() {
            return Err(e);
        }
        let landed = self
            .concurrent_write
            .lock()
            .unwrap()
            .take()
            .unwrap_or_else(|| settings.clone());
        *self.settings.lock().unwrap() = Some(landed);
        Ok(())
    }
}

/// Parameter Store in memory.
#[derive(Default)]
pub struct FakeParameters {
    pub values: Mutex<HashMap<String, String>>,
    pub calls: Mutex<usize>,
    pub error: Mutex<Option<AwsError>>,
}

impl FakeParameters {
    pub fn with(value: &str) -> Self {
        let p = Self::default();
        p.set(value);
        p
    }
    pub fn set(&self, value: &str) {
        self.values
            .lock()
            .unwrap()
            .insert(PARAMETER.into(), value.into());
    }
    pub fn calls(&self) -> usize {
        *self.calls.lock().unwrap()
    }
}

impl ParameterStore for FakeParameters {
    async fn get_parameter(&self, name: &str) -> Result<Option<String>, AwsError> {
        *self.calls.lock().unwrap() += 1;
        if let Some(e) = self.error.lock().unwrap().clone() {
            return Err(e);
        }
        Ok(self.values.lock().unwrap().get(name).cloned())
    }
}

/// KMS in memory: every key reference it knows, and the key it names.
#[derive(Default)]
pub struct FakeKeys {
    pub keys: Mutex<HashMap<String, KeyDescription>>,
    pub calls: Mutex<Vec<String>>,
    pub error: Mutex<Option<AwsError>>,
}

impl FakeKeys {
    /// Knows our key by ARN, id and alias, and another customer key by ARN.
    pub fn standard() -> Self {
        let keys = Self::default();
        keys.add(&[OUR_KEY, OUR_KEY_ID, OUR_ALIAS], key(OUR_KEY));
        keys.add(&[OTHER_KEY], key(OTHER_KEY));
        let mut aws_managed =
            key("arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
        aws_managed.manager = Some("AWS".into());
        keys.add(&["alias/aws/glue"], aws_managed);
        keys
    }
    pub fn add(&self, names: &[&str], description: KeyDescription) {
        let mut keys = self.keys.lock().unwrap();
        for name in names {
            keys.insert((*name).to_owned(), description.clone());
        }
    }
    pub fn calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

impl KeyDirectory for FakeKeys {
    async fn describe_key(&self, reference: &str) -> Result<Option<KeyDescription>, AwsError> {
        self.calls.lock().unwrap().push(reference.to_owned());
        if let Some(e) = self.error.lock().unwrap().clone() {
            return Err(e);
        }
        Ok(self.keys.lock().unwrap().get(reference).cloned())
    }
}

#[derive(Default)]
pub struct MemoryAudit {
    pub records: Mutex<Vec<AuditRecord>>,
}

impl MemoryAudit {
    pub fn records(&self) -> Vec<AuditRecord> {
        self.records.lock().unwrap().clone()
    }
}

impl AuditSink for MemoryAudit {
    fn record(&self, record: &AuditRecord) {
        self.records.lock().unwrap().push(record.clone());
    }
}

pub struct ManualClock(pub Mutex<Instant>);

impl Default for ManualClock {
    fn default() -> Self {
        Self(Mutex::new(Instant::now()))
    }
}

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

/// A guardrail wired to fakes, which the test keeps hold of.
#[derive(Default)]
pub struct World {
    pub catalog: FakeCatalog,
    pub parameters: FakeParameters,
    pub keys: FakeKeys,
    pub audit: MemoryAudit,
    pub clock: ManualClock,
}

pub type FakeGuardrail<'a> =
    Guardrail<&'a FakeCatalog, &'a FakeParameters, &'a FakeKeys, &'a MemoryAudit, &'a ManualClock>;

impl World {
    pub fn new(catalog: CatalogSettings) -> Self {
        Self {
            catalog: FakeCatalog::with(catalog),
            parameters: FakeParameters::with(OUR_KEY),
            keys: FakeKeys::standard(),
            ..Self::default()
        }
    }

    pub fn guardrail(&self, mode: EnforcementMode) -> FakeGuardrail<'_> {
        self.guardrail_with(Config {
            enforcement_mode: mode,
            ..deployed_config()
        })
    }

    /// The guardrail configured as `config` says, over this world's fakes.
    pub fn guardrail_with(&self, config: Config) -> FakeGuardrail<'_> {
        Guardrail::new(
            config,
            REGION.into(),
            &self.catalog,
            &self.parameters,
            &self.keys,
            &self.clock,
            &self.audit,
        )
    }

    /// Every AWS call the guardrail made, across the three services.
    pub fn aws_calls(&self) -> usize {
        self.catalog.gets()
            + self.catalog.puts().len()
            + self.parameters.calls()
            + self.keys.calls()
    }
}

/// The configuration the template gives the function (with no exemption parameter), and the
/// function name Lambda sets.
pub fn deployed_config() -> Config {
    Config {
        guardrail_role_arn: Some(GUARDRAIL_ROLE.into()),
        function_name: Some(FUNCTION_NAME.into()),
        key_cache_ttl: Duration::from_secs(300),
        ..Config::new(PARAMETER)
    }
}

pub fn invocation() -> Invocation<'static> {
    Invocation {
        request_id: "test-request",
        account: Some(ACCOUNT),
        time_left: None,
    }
}

/// Reads a sample event from the workspace's `events/` folder.
pub fn event(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Concurrency helpers (storms.rs)
// ---------------------------------------------------------------------------------------------

/// A catalog that yields to the scheduler before and after every call, so invocations joined
/// on one task interleave at each AWS call, as they would across concurrent Lambda instances.
pub struct Interleaved<'a, T>(pub &'a T);

impl<T: CatalogReader + Sync> CatalogReader for Interleaved<'_, T> {
    async fn get_settings(&self) -> Result<CatalogSettings, AwsError> {
        tokio::task::yield_now().await;
        let result = self.0.get_settings().await;
        tokio::task::yield_now().await;
        result
    }
}

impl<T: CatalogWriter + Sync> CatalogWriter for Interleaved<'_, T> {
    async fn put_settings(&self, settings: &CatalogSettings) -> Result<(), AwsError> {
        tokio::task::yield_now().await;
        let result = self.0.put_settings(settings).await;
        tokio::task::yield_now().await;
        result
    }
}

impl World {
    /// Another guardrail instance (its own key cache) over this world's services, reaching
    /// the catalog through `catalog`.
    pub fn instance<G: CatalogReader + CatalogWriter + Sync>(
        &self,
        catalog: G,
    ) -> Guardrail<G, &FakeParameters, &FakeKeys, &MemoryAudit, &ManualClock> {
        let config = Config::from_lookup(|name| {
            match name {
                "KMS_KEY_PARAMETER" => Some(PARAMETER),
                "GUARDRAIL_ROLE_ARN" => Some(GUARDRAIL_ROLE),
                "AWS_LAMBDA_FUNCTION_NAME" => Some(FUNCTION_NAME),
                _ => None,
            }
            .map(str::to_owned)
        })
        .unwrap();
        Guardrail::new(
            config,
            REGION.into(),
            catalog,
            &self.parameters,
            &self.keys,
            &self.clock,
            &self.audit,
        )
    }
}

/// Polls every future in turn until all are done, on the current task; outputs in order.
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

// ---------------------------------------------------------------------------------------------
// Security Hub (findings.rs)
// ---------------------------------------------------------------------------------------------

/// Security Hub in memory: one finding per id, upserted; every read and import recorded.
#[derive(Default)]
pub struct FakeHub {
    pub findings: Mutex<HashMap<String, glue_encryption_guardrail::core::finding::Finding>>,
    pub reads: Mutex<usize>,
    pub imports: Mutex<usize>,
    pub error: Mutex<Option<AwsError>>,
}

impl FakeHub {
    pub fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }
    pub fn imports(&self) -> usize {
        *self.imports.lock().unwrap()
    }
    /// The only finding there is.
    pub fn the_finding(&self) -> glue_encryption_guardrail::core::finding::Finding {
        let findings = self.findings.lock().unwrap();
        assert_eq!(findings.len(), 1, "exactly one finding");
        findings.values().next().cloned().unwrap()
    }
}

impl glue_encryption_guardrail::ports::FindingsHub for FakeHub {
    fn created_at<'a>(
        &'a self,
        _product_arn: &'a str,
        id: &'a str,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<String>, AwsError>> + Send + 'a>,
    > {
        Box::pin(async move {
            *self.reads.lock().unwrap() += 1;
            if let Some(e) = self.error.lock().unwrap().clone() {
                return Err(e);
            }
            Ok(self
                .findings
                .lock()
                .unwrap()
                .get(id)
                .map(|f| f.created_at.clone()))
        })
    }

    fn import<'a>(
        &'a self,
        finding: &'a glue_encryption_guardrail::core::finding::Finding,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AwsError>> + Send + 'a>>
    {
        Box::pin(async move {
            *self.imports.lock().unwrap() += 1;
            if let Some(e) = self.error.lock().unwrap().clone() {
                return Err(e);
            }
            self.findings
                .lock()
                .unwrap()
                .insert(finding.id.clone(), finding.clone());
            Ok(())
        })
    }
}
