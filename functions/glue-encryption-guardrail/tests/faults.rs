//! Faults, in process: the REAL adapters (`GlueCatalog`, `SsmParameters`, `KmsKeys`) over SDK
//! clients whose HTTP layer is `aws-smithy-mocks`, wired into the real `Guardrail`.
//!
//! Every mocked client gets the guardrail's own `retry_config()` and `timeout_config()`, so the
//! attempt counts asserted here are the ones the deployed function makes. Each client also gets
//! its own retry partition: the SDK keeps one retry token bucket per partition for the whole
//! process, and tests that share it would drain each other's retry quota.
//!
//! Error answers are sent as wire responses (status, `__type` body) rather than modeled errors,
//! so the SDK's own error parsing and retry classification run as they do against AWS.

// A test states its expectations with unwrap, expect and panic (see clippy.toml); clippy does not
// count the helper functions outside `#[test]` as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use aws_sdk_glue::config::retry::RetryPartition;
use aws_sdk_glue::operation::put_data_catalog_encryption_settings::PutDataCatalogEncryptionSettingsInput;
use aws_sdk_glue::types as glue;
use aws_sdk_kms::operation::describe_key::{DescribeKeyError, DescribeKeyOutput};
use aws_sdk_kms::types as kms;
use aws_sdk_ssm::operation::get_parameter::GetParameterOutput;
use aws_smithy_mocks::{MockResponse, Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::timeout::TimeoutConfig;
use glue_encryption_guardrail::adapters::glue::GlueCatalog;
use glue_encryption_guardrail::adapters::kms::KmsKeys;
use glue_encryption_guardrail::adapters::ssm::SsmParameters;
use glue_encryption_guardrail::adapters::{
    ATTEMPT_TIMEOUT, MAX_ATTEMPTS, OPERATION_TIMEOUT, retry_config, timeout_config,
};
use glue_encryption_guardrail::app::config::{
    Config, EnforcementMode, GUARDRAIL_ROLE_ARN, KMS_KEY_PARAMETER,
};
use glue_encryption_guardrail::app::error::GuardrailError;
use glue_encryption_guardrail::app::guardrail::Guardrail;
use glue_encryption_guardrail::core::policy::Violation;
use glue_encryption_guardrail::core::record::{AuditRecord, Outcome, WriteStatus};
use glue_encryption_guardrail::core::settings::CatalogEncryptionMode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const DRIFT: &str = "put-encryption-disabled.json";
const GET: &str = "glue:GetDataCatalogEncryptionSettings";
const PUT: &str = "glue:PutDataCatalogEncryptionSettings";
const MAX: usize = MAX_ATTEMPTS as usize;

// ---------------------------------------------------------------------------------------------
// Wire answers
// ---------------------------------------------------------------------------------------------

/// An awsJson1.1 error answer, as Glue, SSM and KMS send it.
fn aws_json_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = format!(r#"{{"__type":"{code}","message":"{message}"}}"#);
    let mut response = HttpResponse::new(StatusCode::try_from(status).unwrap(), body.into());
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.1");
    response
}

/// A status with no body: what a load balancer, or the emulator's denied call, looks like to
/// the SDK.
fn bare(status: u16) -> HttpResponse {
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty())
}

/// A `200` whose JSON body the SDK's real deserializer must read.
fn ok_json(body: &str) -> HttpResponse {
    let mut response =
        HttpResponse::new(StatusCode::try_from(200).unwrap(), body.to_owned().into());
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.1");
    response
}

fn throttling() -> HttpResponse {
    aws_json_error(400, "ThrottlingException", "Rate exceeded")
}
fn too_many_requests() -> HttpResponse {
    aws_json_error(429, "TooManyRequestsException", "Too many requests")
}
fn internal_error() -> HttpResponse {
    aws_json_error(500, "InternalServiceException", "Internal service error")
}
fn unavailable() -> HttpResponse {
    bare(503)
}

/// A transient fault, the error code the invocation fails with once retries run out.
type Fault = (&'static str, fn() -> HttpResponse, &'static str);

const TRANSIENT_GLUE_FAULTS: [Fault; 4] = [
    ("ThrottlingException (400)", throttling, "aws_throttled"),
    (
        "TooManyRequestsException (429)",
        too_many_requests,
        "aws_throttled",
    ),
    (
        "InternalServiceException (500)",
        internal_error,
        "aws_server_error",
    ),
    ("bare 503", unavailable, "aws_server_error"),
];

// ---------------------------------------------------------------------------------------------
// A mocked Glue that remembers what was written
// ---------------------------------------------------------------------------------------------

fn glue_settings(
    mode: glue::CatalogEncryptionMode,
    key: Option<&str>,
    passwords: bool,
    password_key: Option<&str>,
) -> glue::DataCatalogEncryptionSettings {
    glue::DataCatalogEncryptionSettings::builder()
        .encryption_at_rest(
            glue::EncryptionAtRest::builder()
                .catalog_encryption_mode(mode)
                .set_sse_aws_kms_key_id(key.map(str::to_owned))
                .build()
                .unwrap(),
        )
        .connection_password_encryption(
            glue::ConnectionPasswordEncryption::builder()
                .return_connection_password_encrypted(passwords)
                .set_aws_kms_key_id(password_key.map(str::to_owned))
                .build(),
        )
        .build()
}

fn glue_disabled() -> glue::DataCatalogEncryptionSettings {
    glue_settings(glue::CatalogEncryptionMode::Disabled, None, false, None)
}

fn glue_compliant() -> glue::DataCatalogEncryptionSettings {
    glue_settings(
        glue::CatalogEncryptionMode::Ssekms,
        Some(OUR_KEY),
        true,
        Some(OUR_KEY),
    )
}

type GetOutput = aws_sdk_glue::operation::get_data_catalog_encryption_settings::GetDataCatalogEncryptionSettingsOutput;
type PutOutput = aws_sdk_glue::operation::put_data_catalog_encryption_settings::PutDataCatalogEncryptionSettingsOutput;

/// Glue's catalog settings and every Put request that reached it.
#[derive(Clone)]
struct MockGlue {
    stored: Arc<Mutex<glue::DataCatalogEncryptionSettings>>,
    puts: Arc<Mutex<Vec<PutDataCatalogEncryptionSettingsInput>>>,
}

impl MockGlue {
    fn with(settings: glue::DataCatalogEncryptionSettings) -> Self {
        Self {
            stored: Arc::new(Mutex::new(settings)),
            puts: Arc::default(),
        }
    }

    fn stored(&self) -> glue::DataCatalogEncryptionSettings {
        self.stored.lock().unwrap().clone()
    }

    fn puts(&self) -> Vec<PutDataCatalogEncryptionSettingsInput> {
        self.puts.lock().unwrap().clone()
    }

    fn get_output(&self) -> impl Fn() -> GetOutput + Send + Sync + 'static {
        let stored = self.stored.clone();
        move || {
            GetOutput::builder()
                .data_catalog_encryption_settings(stored.lock().unwrap().clone())
                .build()
        }
    }

    /// Records the request when the rule is chosen (once per operation, however many attempts).
    fn record_put(
        &self,
    ) -> impl Fn(&PutDataCatalogEncryptionSettingsInput) -> bool + Send + Sync + 'static {
        let puts = self.puts.clone();
        move |input| {
            puts.lock().unwrap().push(input.clone());
            true
        }
    }

    /// Applies the last recorded Put, as Glue would on a successful answer.
    fn put_output(&self) -> impl Fn() -> PutOutput + Send + Sync + 'static {
        let (stored, puts) = (self.stored.clone(), self.puts.clone());
        move || {
            if let Some(settings) = puts
                .lock()
                .unwrap()
                .last()
                .and_then(|p| p.data_catalog_encryption_settings().cloned())
            {
                *stored.lock().unwrap() = settings;
            }
            PutOutput::builder().build()
        }
    }

    /// Answers every Get with the stored settings.
    fn get_rule(&self) -> Rule {
        mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
            .sequence()
            .output(self.get_output())
            .repeatedly()
            .build()
    }

    /// One Get operation whose first `n` attempts meet `fault`, then the stored settings.
    fn get_fault_then_ok(&self, fault: fn() -> HttpResponse, n: usize) -> Rule {
        mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
            .sequence()
            .http_response(fault)
            .times(n)
            .output(self.get_output())
            .build()
    }

    /// One Get operation whose `n` attempts all meet `fault`.
    fn get_fault(&self, fault: fn() -> HttpResponse, n: usize) -> Rule {
        mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
            .sequence()
            .http_response(fault)
            .times(n)
            .build()
    }

    /// Accepts every Put and stores it.
    fn put_rule(&self) -> Rule {
        mock!(aws_sdk_glue::Client::put_data_catalog_encryption_settings)
            .match_requests(self.record_put())
            .sequence()
            .output(self.put_output())
            .repeatedly()
            .build()
    }

    /// One Put operation whose first `n` attempts meet `fault`, then accepted.
    fn put_fault_then_ok(&self, fault: fn() -> HttpResponse, n: usize) -> Rule {
        mock!(aws_sdk_glue::Client::put_data_catalog_encryption_settings)
            .match_requests(self.record_put())
            .sequence()
            .http_response(fault)
            .times(n)
            .output(self.put_output())
            .build()
    }

    /// One Put operation whose `n` attempts all meet `fault`; nothing is stored.
    fn put_fault(&self, fault: fn() -> HttpResponse, n: usize) -> Rule {
        mock!(aws_sdk_glue::Client::put_data_catalog_encryption_settings)
            .match_requests(self.record_put())
            .sequence()
            .http_response(fault)
            .times(n)
            .build()
    }
}

// ---------------------------------------------------------------------------------------------
// SSM and KMS
// ---------------------------------------------------------------------------------------------

/// The parameter names and key references the guardrail asked for.
#[derive(Clone, Default)]
struct Asked(Arc<Mutex<Vec<String>>>);

impl Asked {
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn push(&self, value: Option<&str>) {
        self.0
            .lock()
            .unwrap()
            .push(value.unwrap_or("<none>").to_owned());
    }
}

fn parameter_output(value: &str) -> impl Fn() -> GetParameterOutput + Send + Sync + 'static {
    let value = value.to_owned();
    move || {
        GetParameterOutput::builder()
            .parameter(
                aws_sdk_ssm::types::Parameter::builder()
                    .name(PARAMETER)
                    .value(value.clone())
                    .build(),
            )
            .build()
    }
}

/// GetParameter answers `value`, recording the name asked for and whether decryption was.
fn ssm_rule(value: &str, names: &Asked, decrypted: &Asked) -> Rule {
    let (names, decrypted) = (names.clone(), decrypted.clone());
    mock!(aws_sdk_ssm::Client::get_parameter)
        .match_requests(move |input| {
            names.push(input.name());
            decrypted.push(input.with_decryption().map(|d| d.to_string()).as_deref());
            true
        })
        .sequence()
        .output(parameter_output(value))
        .repeatedly()
        .build()
}

fn key_metadata(arn: &str) -> kms::KeyMetadata {
    kms::KeyMetadata::builder()
        .key_id(arn.rsplit('/').next().unwrap())
        .arn(arn)
        .key_state(kms::KeyState::Enabled)
        .key_spec(kms::KeySpec::SymmetricDefault)
        .key_usage(kms::KeyUsageType::EncryptDecrypt)
        .key_manager(kms::KeyManagerType::Customer)
        .build()
        .unwrap()
}

/// DescribeKey knows our key by ARN, id and alias, and the other key by ARN; anything else is
/// `NotFoundException`. Records every reference asked for. (A computed answer: never used for a
/// call that is retried, since the mock cannot recompute on a retry.)
fn kms_rule(described: &Asked) -> Rule {
    let described = described.clone();
    mock!(aws_sdk_kms::Client::describe_key).then_compute_response(move |input| {
        described.push(input.key_id());
        match input.key_id() {
            Some(OUR_KEY | OUR_KEY_ID | OUR_ALIAS) => MockResponse::Output(
                DescribeKeyOutput::builder()
                    .key_metadata(key_metadata(OUR_KEY))
                    .build(),
            ),
            Some(OTHER_KEY) => MockResponse::Output(
                DescribeKeyOutput::builder()
                    .key_metadata(key_metadata(OTHER_KEY))
                    .build(),
            ),
            _ => MockResponse::Error(DescribeKeyError::NotFoundException(
                kms::error::NotFoundException::builder()
                    .message("not found")
                    .build(),
            )),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Clients and the guardrail
// ---------------------------------------------------------------------------------------------

static PARTITIONS: AtomicUsize = AtomicUsize::new(0);

fn partition() -> RetryPartition {
    RetryPartition::new(format!(
        "faults-{}",
        PARTITIONS.fetch_add(1, Ordering::Relaxed)
    ))
}

/// The guardrail's retry and timeout configuration, the mocked HTTP layer, and `rules` (the
/// first one that matches and is not used up answers).
macro_rules! client {
    ($sdk:ident, $rules:expr) => {
        client!($sdk, $rules, timeout_config())
    };
    ($sdk:ident, $rules:expr, $timeouts:expr) => {{
        let (partition, timeouts) = (partition(), $timeouts);
        mock_client!($sdk, RuleMode::MatchAny, $rules, move |c| c
            .retry_config(retry_config())
            .timeout_config(timeouts.clone())
            .retry_partition(partition.clone()))
    }};
}

type Real<'a> = Guardrail<GlueCatalog, SsmParameters, KmsKeys, &'a MemoryAudit, &'a ManualClock>;

/// The deployed defaults (remediate, a 300 s key cache) with the parameter and role set.
fn config() -> Config {
    let config = Config::from_lookup(|name| {
        match name {
            KMS_KEY_PARAMETER => Some(PARAMETER),
            GUARDRAIL_ROLE_ARN => Some(GUARDRAIL_ROLE),
            _ => None,
        }
        .map(str::to_owned)
    })
    .unwrap();
    assert_eq!(config.enforcement_mode, EnforcementMode::Remediate);
    assert_eq!(config.key_cache_ttl, Duration::from_secs(300));
    config
}

fn real<'a>(
    glue: aws_sdk_glue::Client,
    ssm: aws_sdk_ssm::Client,
    kms: aws_sdk_kms::Client,
    clock: &'a ManualClock,
    audit: &'a MemoryAudit,
) -> Real<'a> {
    Guardrail::new(
        config(),
        REGION.into(),
        GlueCatalog::new(glue),
        SsmParameters::new(ssm),
        KmsKeys::new(kms),
        clock,
        audit,
    )
}

/// SSM holding our key's ARN, and KMS knowing it.
fn healthy_ssm_and_kms() -> (aws_sdk_ssm::Client, aws_sdk_kms::Client) {
    let ssm = client!(
        aws_sdk_ssm,
        [&ssm_rule(OUR_KEY, &Asked::default(), &Asked::default())]
    );
    let kms = client!(aws_sdk_kms, [&kms_rule(&Asked::default())]);
    (ssm, kms)
}

/// The one audit record, which must say `failed` with `code`, and that no write was sent.
fn the_failure(audit: &MemoryAudit, code: &str) -> AuditRecord {
    the_failed_write(audit, code, WriteStatus::NotAttempted)
}

/// The one audit record, which must say `failed` with `code`, and `write` of the write.
fn the_failed_write(audit: &MemoryAudit, code: &str, write: WriteStatus) -> AuditRecord {
    let records = audit.records();
    assert_eq!(records.len(), 1, "exactly one audit record");
    let record = records.into_iter().next().unwrap();
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.reason_code, code);
    assert_eq!(record.error.as_ref().map(|e| e.code), Some(code));
    assert_eq!(record.write, write, "{code}");
    record
}

// ---------------------------------------------------------------------------------------------
// Throttling and 5xx
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn glue_throttling_and_5xx_on_get_are_retried_until_an_attempt_succeeds() {
    for (name, fault, _) in TRANSIENT_GLUE_FAULTS {
        // given: the first read meets the fault twice, then answers
        let aws = MockGlue::with(glue_disabled());
        let flaky_get = aws.get_fault_then_ok(fault, MAX - 1);
        let glue = client!(aws_sdk_glue, [&flaky_get, &aws.get_rule(), &aws.put_rule()]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

        // when
        let record = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));

        // then: the SDK retried within the one call, and the drift was fixed
        assert_eq!(flaky_get.num_calls(), MAX, "{name}: attempts");
        assert_eq!(record.outcome, Outcome::Remediated, "{name}");
        assert_eq!(aws.puts().len(), 1, "{name}");
        assert_eq!(aws.stored(), glue_compliant(), "{name}");
        assert_eq!(audit.records().len(), 1);
    }
}

#[tokio::test]
async fn glue_throttling_and_5xx_on_put_are_retried_until_an_attempt_succeeds() {
    for (name, fault, _) in TRANSIENT_GLUE_FAULTS {
        let aws = MockGlue::with(glue_disabled());
        let flaky_put = aws.put_fault_then_ok(fault, MAX - 1);
        let glue = client!(aws_sdk_glue, [&aws.get_rule(), &flaky_put, &aws.put_rule()]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

        let record = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));

        assert_eq!(flaky_put.num_calls(), MAX, "{name}: attempts");
        assert_eq!(aws.puts().len(), 1, "{name}: one Put operation");
        assert_eq!(record.outcome, Outcome::Remediated, "{name}");
        assert_eq!(record.write, WriteStatus::Confirmed, "{name}");
        assert_eq!(aws.stored(), glue_compliant(), "{name}");
    }
}

#[tokio::test]
async fn glue_faults_on_get_that_outlast_the_retries_fail_the_invocation_transiently() {
    for (name, fault, code) in TRANSIENT_GLUE_FAULTS {
        // given: every attempt the SDK may make meets the fault, and one more is ready
        let aws = MockGlue::with(glue_disabled());
        let failing_get = aws.get_fault(fault, MAX + 1);
        let put = aws.put_rule();
        let glue = client!(aws_sdk_glue, [&failing_get, &put]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

        let err = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();

        assert_eq!(
            failing_get.num_calls(),
            MAX,
            "{name}: MAX_ATTEMPTS, no more"
        );
        assert_eq!(err.code(), code, "{name}");
        assert!(err.is_transient(), "{name}: Lambda's retry can succeed");
        assert!(err.to_string().contains(GET), "{name}: {err}");
        let record = the_failure(&audit, code);
        assert_eq!(record.error.map(|e| e.transient), Some(true));
        assert_eq!(put.num_calls(), 0, "{name}: nothing written");
        assert_eq!(aws.stored(), glue_disabled());
    }
}

#[tokio::test]
async fn glue_faults_on_put_that_outlast_the_retries_fail_the_invocation_transiently() {
    for (name, fault, code) in TRANSIENT_GLUE_FAULTS {
        let aws = MockGlue::with(glue_disabled());
        let failing_put = aws.put_fault(fault, MAX + 1);
        let get = aws.get_rule();
        let glue = client!(aws_sdk_glue, [&get, &failing_put]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

        let err = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();

        assert_eq!(
            failing_put.num_calls(),
            MAX,
            "{name}: MAX_ATTEMPTS, no more"
        );
        assert_eq!(aws.puts().len(), 1, "{name}: one Put operation");
        assert_eq!(err.code(), code, "{name}");
        assert!(err.is_transient(), "{name}");
        assert!(err.to_string().contains(PUT), "{name}: {err}");
        // A throttled write was answered, so it changed nothing; after a server error Glue
        // may have applied it.
        let write = match code {
            "aws_throttled" => WriteStatus::Refused,
            _ => WriteStatus::Unknown,
        };
        let record = the_failed_write(&audit, code, write);
        assert_eq!(
            record.after, None,
            "{name}: no read-back after a failed write"
        );
        assert_eq!(get.num_calls(), 1, "{name}: the first read only");
        assert_eq!(aws.stored(), glue_disabled(), "{name}: nothing written");
    }
}

// ---------------------------------------------------------------------------------------------
// Access denied
// ---------------------------------------------------------------------------------------------

fn access_denied_exception() -> HttpResponse {
    aws_json_error(
        400,
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/guardrail/fn is not authorized",
    )
}
fn bare_403() -> HttpResponse {
    bare(403)
}
/// What the emulator sends with IAM enforcement on: an XML body a JSON protocol cannot parse.
fn xml_403() -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(403).unwrap(),
        SdkBody::from(
            "<?xml version=\"1.0\"?><ErrorResponse><Error><Code>AccessDenied</Code>\
             <Message>not authorized</Message></Error></ErrorResponse>",
        ),
    )
}

/// A way to be denied.
type Denial = (&'static str, fn() -> HttpResponse);

const DENIALS: [Denial; 3] = [
    ("AccessDeniedException", access_denied_exception),
    ("bare 403", bare_403),
    ("403 with an XML body", xml_403),
];

#[tokio::test]
async fn a_denied_write_is_tried_once_and_names_the_missing_permission() {
    for (name, denial) in DENIALS {
        // given: Put is denied, and would be denied again if the SDK asked again
        let aws = MockGlue::with(glue_disabled());
        let denied_put = aws.put_fault(denial, MAX + 1);
        let glue = client!(aws_sdk_glue, [&aws.get_rule(), &denied_put]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

        let err = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();

        assert_eq!(denied_put.num_calls(), 1, "{name}: one attempt, no retry");
        assert_eq!(err.code(), "access_denied", "{name}: {err}");
        assert!(!err.is_transient(), "{name}");
        assert!(
            err.to_string().contains(&format!("needs {PUT}")),
            "{name}: {err}"
        );
        let record = the_failed_write(&audit, "access_denied", WriteStatus::Refused);
        assert!(record.reason.contains(PUT), "{name}");
        assert_eq!(aws.stored(), glue_disabled(), "{name}");
    }
}

#[tokio::test]
async fn a_denied_read_of_any_service_is_tried_once_and_names_its_permission() {
    for (name, denial) in DENIALS {
        // Glue read denied
        let aws = MockGlue::with(glue_disabled());
        let denied_get = aws.get_fault(denial, MAX + 1);
        let glue = client!(aws_sdk_glue, [&denied_get, &aws.put_rule()]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());
        let err = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();
        assert_eq!(denied_get.num_calls(), 1, "{name}");
        assert_eq!(err.code(), "access_denied", "{name}");
        assert!(err.to_string().contains(&format!("needs {GET}")), "{err}");
        assert!(aws.puts().is_empty());

        // SSM denied
        let aws = MockGlue::with(glue_disabled());
        let glue = client!(aws_sdk_glue, [&aws.get_rule(), &aws.put_rule()]);
        let denied_ssm = mock!(aws_sdk_ssm::Client::get_parameter)
            .sequence()
            .http_response(denial)
            .times(MAX + 1)
            .build();
        let ssm = client!(aws_sdk_ssm, [&denied_ssm]);
        let kms = client!(aws_sdk_kms, [&kms_rule(&Asked::default())]);
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());
        let err = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();
        assert_eq!(denied_ssm.num_calls(), 1, "{name}");
        assert_eq!(err.code(), "access_denied", "{name}");
        assert!(err.to_string().contains("needs ssm:GetParameter"), "{err}");
        assert!(aws.puts().is_empty());

        // KMS denied
        let aws = MockGlue::with(glue_disabled());
        let glue = client!(aws_sdk_glue, [&aws.get_rule(), &aws.put_rule()]);
        let ssm = client!(
            aws_sdk_ssm,
            [&ssm_rule(OUR_KEY, &Asked::default(), &Asked::default())]
        );
        let denied_kms = mock!(aws_sdk_kms::Client::describe_key)
            .sequence()
            .http_response(denial)
            .times(MAX + 1)
            .build();
        let kms = client!(aws_sdk_kms, [&denied_kms]);
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());
        let err = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();
        assert_eq!(denied_kms.num_calls(), 1, "{name}");
        assert_eq!(err.code(), "access_denied", "{name}");
        assert!(err.to_string().contains("needs kms:DescribeKey"), "{err}");
        assert!(aws.puts().is_empty());
        assert_eq!(audit.records().len(), 1);
    }
}

// ---------------------------------------------------------------------------------------------
// SSM and KMS unavailable
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ssm_unavailable_with_a_cold_cache_fails_and_writes_nothing() {
    let aws = MockGlue::with(glue_disabled());
    let put = aws.put_rule();
    let glue = client!(aws_sdk_glue, [&aws.get_rule(), &put]);
    let ssm_down = mock!(aws_sdk_ssm::Client::get_parameter)
        .sequence()
        .http_response(|| aws_json_error(500, "InternalServerError", "internal error"))
        .times(MAX + 1)
        .build();
    let ssm = client!(aws_sdk_ssm, [&ssm_down]);
    let kms_rule = kms_rule(&Asked::default());
    let kms = client!(aws_sdk_kms, [&kms_rule]);
    let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

    let err = real(glue, ssm, kms, &clock, &audit)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    assert_eq!(ssm_down.num_calls(), MAX);
    assert_eq!(err.code(), "aws_server_error");
    assert!(err.is_transient());
    assert!(err.to_string().contains("ssm:GetParameter"), "{err}");
    assert_eq!(kms_rule.num_calls(), 0, "no key to describe");
    assert_eq!(put.num_calls(), 0, "nothing written");
    the_failure(&audit, "aws_server_error");
}

#[tokio::test]
async fn kms_unavailable_with_a_cold_cache_fails_and_writes_nothing() {
    let aws = MockGlue::with(glue_disabled());
    let put = aws.put_rule();
    let glue = client!(aws_sdk_glue, [&aws.get_rule(), &put]);
    let ssm = client!(
        aws_sdk_ssm,
        [&ssm_rule(OUR_KEY, &Asked::default(), &Asked::default())]
    );
    let kms_down = mock!(aws_sdk_kms::Client::describe_key)
        .sequence()
        .http_response(|| aws_json_error(500, "KMSInternalException", "internal error"))
        .times(MAX + 1)
        .build();
    let kms = client!(aws_sdk_kms, [&kms_down]);
    let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

    let err = real(glue, ssm, kms, &clock, &audit)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    assert_eq!(kms_down.num_calls(), MAX);
    assert_eq!(err.code(), "aws_server_error");
    assert!(err.to_string().contains("kms:DescribeKey"), "{err}");
    assert_eq!(put.num_calls(), 0, "nothing written");
    the_failure(&audit, "aws_server_error");
}

#[tokio::test]
async fn ssm_and_kms_outages_within_the_cache_ttl_cost_reads_nothing_and_block_every_write() {
    // given: SSM and KMS answer once, then are down for good
    let aws = MockGlue::with(glue_compliant());
    let put = aws.put_rule();
    let glue = client!(aws_sdk_glue, [&aws.get_rule(), &put]);
    let ssm_once = mock!(aws_sdk_ssm::Client::get_parameter)
        .sequence()
        .output(parameter_output(OUR_KEY))
        .http_response(unavailable)
        .repeatedly()
        .build();
    let kms_once = mock!(aws_sdk_kms::Client::describe_key)
        .sequence()
        .output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(key_metadata(OUR_KEY))
                .build()
        })
        .http_response(unavailable)
        .repeatedly()
        .build();
    let ssm = client!(aws_sdk_ssm, [&ssm_once]);
    let kms = client!(aws_sdk_kms, [&kms_once]);
    let (clock, audit) = (ManualClock::default(), MemoryAudit::default());
    let guardrail = real(glue, ssm, kms, &clock, &audit);

    // when: a cold start caches the key, then both services go down
    let first = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(first.outcome, Outcome::Compliant);
    let second = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();

    // then: within the TTL a compliant catalog is judged without asking SSM or KMS again
    assert_eq!(second.outcome, Outcome::Compliant);
    assert_eq!((ssm_once.num_calls(), kms_once.num_calls()), (1, 1));

    // but a drift is never fixed with a key nobody could check during the invocation
    *aws.stored.lock().unwrap() = glue_disabled();
    let err = guardrail
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "aws_server_error");
    assert!(err.to_string().contains("kms:DescribeKey"), "{err}");
    assert_eq!(kms_once.num_calls(), 1 + MAX, "KMS retried, then given up");
    assert_eq!(ssm_once.num_calls(), 1);
    assert_eq!(put.num_calls(), 0, "no write with an unchecked key");
    assert_eq!(aws.stored(), glue_disabled());

    // and after the TTL the outage fails even a read-only evaluation
    clock.advance(Duration::from_secs(301));
    let err = guardrail
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "aws_server_error");
    assert_eq!(ssm_once.num_calls(), 1 + MAX, "SSM retried, then given up");
    assert_eq!(put.num_calls(), 0);
    assert_eq!(audit.records().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// The exact requests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_write_carries_both_settings_and_the_key_arn_and_no_catalog_id() {
    // The parameter names the key by alias, padded as a hand-edited parameter might be.
    for parameter_value in [OUR_ALIAS, OUR_KEY, " alias/glue-catalog\n"] {
        let aws = MockGlue::with(glue_disabled());
        let glue = client!(aws_sdk_glue, [&aws.get_rule(), &aws.put_rule()]);
        let (names, decrypted, described) = (Asked::default(), Asked::default(), Asked::default());
        let ssm = client!(
            aws_sdk_ssm,
            [&ssm_rule(parameter_value, &names, &decrypted)]
        );
        let kms = client!(aws_sdk_kms, [&kms_rule(&described)]);
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

        let record = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap();
        assert_eq!(record.outcome, Outcome::Remediated);

        // GetParameter asks for the configured name, without decryption
        assert_eq!(names.all(), vec![PARAMETER.to_owned()]);
        assert_ne!(decrypted.all(), vec!["true".to_owned()]);
        // DescribeKey is asked for the parameter's value, trimmed
        assert_eq!(described.all(), vec![parameter_value.trim().to_owned()]);

        let puts = aws.puts();
        assert_eq!(puts.len(), 1, "{parameter_value:?}");
        let put = &puts[0];
        assert_eq!(put.catalog_id(), None, "never another account's catalog");
        let settings = put.data_catalog_encryption_settings().unwrap();
        let at_rest = settings
            .encryption_at_rest()
            .expect("the at-rest setting is always written");
        let passwords = settings
            .connection_password_encryption()
            .expect("the password setting is always written");
        assert_eq!(
            at_rest.catalog_encryption_mode(),
            &glue::CatalogEncryptionMode::Ssekms
        );
        assert_eq!(at_rest.sse_aws_kms_key_id(), Some(OUR_KEY), "the key ARN");
        assert_eq!(at_rest.catalog_encryption_service_role(), None);
        assert!(passwords.return_connection_password_encrypted());
        assert_eq!(passwords.aws_kms_key_id(), Some(OUR_KEY), "the key ARN");
    }
}

#[tokio::test]
async fn the_write_names_a_service_role_only_when_one_is_configured() {
    let configured = "arn:aws:iam::123456789012:role/GlueCatalogKeyUser";
    let theirs = "arn:aws:iam::123456789012:role/SomeoneElse";
    for (service_role, mode, role) in [
        (None, glue::CatalogEncryptionMode::Ssekms, None),
        (
            Some(configured),
            glue::CatalogEncryptionMode::Ssekmswithservicerole,
            Some(configured),
        ),
    ] {
        // given a catalog in service-role mode with a role of somebody else's choosing
        let mut before = glue_compliant();
        before.encryption_at_rest = Some(
            glue::EncryptionAtRest::builder()
                .catalog_encryption_mode(glue::CatalogEncryptionMode::Ssekmswithservicerole)
                .sse_aws_kms_key_id(OUR_KEY)
                .catalog_encryption_service_role(theirs)
                .build()
                .unwrap(),
        );
        let aws = MockGlue::with(before);
        let glue = client!(aws_sdk_glue, [&aws.get_rule(), &aws.put_rule()]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());
        let config = Config {
            catalog_service_role_arn: service_role.map(str::to_owned),
            ..config()
        };
        let guardrail = Guardrail::new(
            config,
            REGION.into(),
            GlueCatalog::new(glue),
            SsmParameters::new(ssm),
            KmsKeys::new(kms),
            &clock,
            &audit,
        );

        // when
        let record = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();

        // then the role is the configured one, or none
        assert_eq!(
            record.violations,
            [Violation::MetadataServiceRoleNotExpected],
            "{service_role:?}"
        );
        let puts = aws.puts();
        let at_rest = puts[0]
            .data_catalog_encryption_settings()
            .and_then(|s| s.encryption_at_rest())
            .unwrap();
        assert_eq!(at_rest.catalog_encryption_mode(), &mode);
        assert_eq!(at_rest.catalog_encryption_service_role(), role);
        assert_eq!(at_rest.sse_aws_kms_key_id(), Some(OUR_KEY));
    }
}

// ---------------------------------------------------------------------------------------------
// Settings Glue returns that the guardrail does not expect
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_or_wrong_case_modes_and_extra_fields_from_glue_are_remediated() {
    let passwords = format!(
        r#""ConnectionPasswordEncryption":{{"ReturnConnectionPasswordEncrypted":true,"AwsKmsKeyId":"{OUR_KEY}","Future":[1,2]}}"#
    );
    let at_rest = |mode: &str| {
        format!(
            r#""EncryptionAtRest":{{"CatalogEncryptionMode":"{mode}","SseAwsKmsKeyId":"{OUR_KEY}","SomethingNew":{{"x":null}}}}"#
        )
    };
    let cases = [
        ("sse-kms", at_rest("sse-kms")),
        ("Sse-Kms", at_rest("Sse-Kms")),
        ("SSE-S3", at_rest("SSE-S3")),
        ("SSE-KMS ", at_rest("SSE-KMS ")),
        ("", at_rest("")),
        (
            "SSE-KMS-WITH-SERVICE-ROLÉ",
            at_rest("SSE-KMS-WITH-SERVICE-ROLÉ"),
        ),
        (
            "(missing)",
            format!(r#""EncryptionAtRest":{{"SseAwsKmsKeyId":"{OUR_KEY}"}}"#),
        ),
    ];
    for (mode, at_rest) in cases {
        // given: Glue answers the first read with an undocumented mode and unknown fields
        let body = format!(
            r#"{{"DataCatalogEncryptionSettings":{{{at_rest},{passwords},"Extra":"x"}},"AlsoExtra":42}}"#
        );
        let aws = MockGlue::with(glue_disabled());
        let odd_get = mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
            .sequence()
            .http_response(move || ok_json(&body))
            .build();
        let glue = client!(aws_sdk_glue, [&odd_get, &aws.get_rule(), &aws.put_rule()]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

        let record = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));

        // then: a clear violation, fixed with one write of a documented mode
        assert_eq!(
            record.violations,
            vec![Violation::MetadataEncryptionModeUnknown],
            "{mode:?}"
        );
        assert_eq!(record.outcome, Outcome::Remediated, "{mode:?}");
        let before = record
            .before
            .unwrap()
            .encryption_at_rest
            .catalog_encryption_mode;
        assert!(
            matches!(before, CatalogEncryptionMode::Unknown(_)),
            "{mode:?}: {before:?}"
        );
        if mode != "(missing)" {
            assert_eq!(before.as_str(), mode, "the audit record keeps it verbatim");
        }
        assert_eq!(aws.puts().len(), 1, "{mode:?}");
        assert_eq!(aws.stored(), glue_compliant(), "{mode:?}");
    }
}

#[tokio::test]
async fn a_catalog_glue_reports_with_no_settings_at_all_is_remediated() {
    for body in [
        "{}",
        r#"{"DataCatalogEncryptionSettings":{}}"#,
        r#"{"DataCatalogEncryptionSettings":null}"#,
    ] {
        let aws = MockGlue::with(glue_disabled());
        let odd_get = mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
            .sequence()
            .http_response(move || ok_json(body))
            .build();
        let glue = client!(aws_sdk_glue, [&odd_get, &aws.get_rule(), &aws.put_rule()]);
        let (ssm, kms) = healthy_ssm_and_kms();
        let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

        let record = real(glue, ssm, kms, &clock, &audit)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"));

        assert_eq!(
            record.violations,
            vec![
                Violation::MetadataEncryptionDisabled,
                Violation::PasswordEncryptionDisabled
            ],
            "{body}"
        );
        assert_eq!(record.outcome, Outcome::Remediated, "{body}");
        assert_eq!(aws.stored(), glue_compliant(), "{body}");
    }
}

#[tokio::test]
async fn a_malformed_answer_from_glue_fails_without_writing() {
    let aws = MockGlue::with(glue_disabled());
    let garbage = mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
        .sequence()
        .http_response(|| ok_json("{\"DataCatalogEncryptionSettings\": [not json"))
        .times(MAX + 1)
        .build();
    let put = aws.put_rule();
    let glue = client!(aws_sdk_glue, [&garbage, &put]);
    let (ssm, kms) = healthy_ssm_and_kms();
    let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

    let err = real(glue, ssm, kms, &clock, &audit)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    // A 200 the SDK cannot read is not retried; the invocation fails and Lambda retries it.
    assert_eq!(garbage.num_calls(), 1);
    assert_eq!(err.code(), "aws_rejected");
    assert!(err.to_string().contains(GET), "{err}");
    assert!(err.to_string().contains("failed to parse JSON"), "{err}");
    assert_eq!(put.num_calls(), 0);
    the_failure(&audit, "aws_rejected");
}

#[tokio::test]
async fn a_bare_429_is_not_retried_by_the_sdk_but_fails_as_transient_throttling() {
    // The SDK retries throttling by error code (ThrottlingException, TooManyRequestsException,
    // ...) and 500/502/503/504 by status; a 429 with no code is neither. Glue always sends a
    // code; a proxy might not. The guardrail still calls it throttling, so Lambda retries.
    let aws = MockGlue::with(glue_disabled());
    let get = aws.get_fault(|| bare(429), MAX + 1);
    let glue = client!(aws_sdk_glue, [&get, &aws.put_rule()]);
    let (ssm, kms) = healthy_ssm_and_kms();
    let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

    let err = real(glue, ssm, kms, &clock, &audit)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    assert_eq!(get.num_calls(), 1);
    assert_eq!(err.code(), "aws_throttled");
    assert!(err.is_transient());
    assert!(aws.puts().is_empty());
    the_failure(&audit, "aws_throttled");
}

#[tokio::test]
async fn an_unreadable_error_body_is_not_copied_into_the_audit_record() {
    // given: a proxy answers with a large HTML error page
    let page = format!("<html>{}</html>", "Service Unavailable ".repeat(5_000));
    let aws = MockGlue::with(glue_disabled());
    let get = aws.get_fault(
        || {
            HttpResponse::new(
                StatusCode::try_from(503).unwrap(),
                SdkBody::from(format!(
                    "<html>{}</html>",
                    "Service Unavailable ".repeat(5_000)
                )),
            )
        },
        MAX + 1,
    );
    let glue = client!(aws_sdk_glue, [&get, &aws.put_rule()]);
    let (ssm, kms) = healthy_ssm_and_kms();
    let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

    let err = real(glue, ssm, kms, &clock, &audit)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    // then: the error says what failed and how, in a line, not the page
    assert_eq!(err.code(), "aws_server_error");
    let message = err.to_string();
    let start: String = message.chars().take(300).collect();
    assert!(
        message.contains(GET) && message.contains("HTTP 503"),
        "{start}"
    );
    assert!(message.len() < 512, "{} bytes: {start}", message.len());
    assert!(!message.contains("Service Unavailable"), "{start}");
    let record = the_failure(&audit, "aws_server_error");
    let line = serde_json::to_string(&record).unwrap();
    assert!(line.len() < page.len() / 10, "{} bytes", line.len());
}

// ---------------------------------------------------------------------------------------------
// A read-back that disagrees
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_read_back_that_disagrees_is_reported_and_the_next_trigger_reconciles() {
    // given: another writer lands right after the guardrail's write, with another key
    let aws = MockGlue::with(glue_disabled());
    let stored = aws.stored.clone();
    let overwritten_put = mock!(aws_sdk_glue::Client::put_data_catalog_encryption_settings)
        .match_requests(aws.record_put())
        .sequence()
        .output(move || {
            *stored.lock().unwrap() = glue_settings(
                glue::CatalogEncryptionMode::Ssekms,
                Some(OTHER_KEY),
                true,
                Some(OUR_KEY),
            );
            PutOutput::builder().build()
        })
        .build();
    let glue = client!(
        aws_sdk_glue,
        [&aws.get_rule(), &overwritten_put, &aws.put_rule()]
    );
    let (ssm, kms) = healthy_ssm_and_kms();
    let (clock, audit) = (ManualClock::default(), MemoryAudit::default());
    let guardrail = real(glue, ssm, kms, &clock, &audit);

    // when
    let err = guardrail
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    // then: reported as a concurrent write, transient
    assert!(
        matches!(&err, GuardrailError::VerificationFailed { violations } if violations == &[Violation::MetadataKeyNotExpected]),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(err.to_string().contains("concurrently"), "{err}");
    let record = &audit.records()[0];
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(
        record.write,
        WriteStatus::Confirmed,
        "the record says a write happened"
    );

    // and the next trigger (Lambda's retry, or the writer's own event) reconciles
    let next = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(next.outcome, Outcome::Remediated);
    assert_eq!(aws.puts().len(), 2);
    assert_eq!(aws.stored(), glue_compliant());
}

// ---------------------------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------------------------

/// An HTTP client whose requests are never answered.
#[derive(Debug, Clone)]
struct NeverAnswers;

impl HttpConnector for NeverAnswers {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::new(std::future::pending::<Result<HttpResponse, ConnectorError>>())
    }
}

impl HttpClient for NeverAnswers {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

#[tokio::test]
async fn a_glue_call_that_never_answers_times_out_is_retried_and_fails_transiently() {
    // The deployed budget (2 s per attempt, 4 s per call) would make this test take 4 s; the
    // same mechanism is exercised with the budget scaled down 20×.
    let scaled = TimeoutConfig::builder()
        .operation_attempt_timeout(ATTEMPT_TIMEOUT / 20)
        .operation_timeout(OPERATION_TIMEOUT / 20)
        .build();
    let aws = MockGlue::with(glue_disabled());
    // An answer that must travel through the HTTP client, which never delivers it.
    let get = mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
        .then_http_response(|| ok_json("{}"));
    let put = aws.put_rule();
    let glue = {
        let (partition, timeouts) = (partition(), scaled.clone());
        mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&get, &put], move |c| c
            .retry_config(retry_config())
            .timeout_config(timeouts.clone())
            .retry_partition(partition.clone())
            .http_client(NeverAnswers))
    };
    let (ssm, kms) = healthy_ssm_and_kms();
    let (clock, audit) = (ManualClock::default(), MemoryAudit::default());

    let started = Instant::now();
    let err = real(glue, ssm, kms, &clock, &audit)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    let took = started.elapsed();

    assert_eq!(err.code(), "aws_timeout", "{err}");
    assert!(err.is_transient());
    assert!(
        (2..=MAX).contains(&get.num_calls()),
        "a timed-out attempt is retried within the call's budget: {} attempts",
        get.num_calls()
    );
    assert!(
        took < OPERATION_TIMEOUT / 20 + Duration::from_millis(150),
        "the call's budget bounds the wait: {took:?}"
    );
    assert_eq!(put.num_calls(), 0);
    the_failure(&audit, "aws_timeout");
}

#[test]
fn the_sdk_time_budget_fits_inside_the_function_timeout() {
    // template.yaml gives the function 30 s. A remediation makes six sequential calls at most
    // (read, parameter, key, exemption, write, read back; warm, the key check replaces the
    // parameter).
    const FUNCTION_TIMEOUT: Duration = Duration::from_secs(30);
    assert!(ATTEMPT_TIMEOUT < OPERATION_TIMEOUT);
    const {
        assert!(
            MAX_ATTEMPTS >= 2,
            "a throttled call gets at least one retry"
        )
    };
    assert!(OPERATION_TIMEOUT * 6 < FUNCTION_TIMEOUT);
    assert_eq!(retry_config().max_attempts(), MAX_ATTEMPTS);
    let timeouts = timeout_config();
    assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
    assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
}
