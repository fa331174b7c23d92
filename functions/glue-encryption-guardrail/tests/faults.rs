//! Faults, in process: the REAL adapters (`GlueCatalog`, `SsmParameters`, `KmsKeys`) over SDK
//! clients whose HTTP layer is `aws-smithy-mocks`, wired into the real `Guardrail`.
//!
//! Every mocked client gets the guardrail's own `retry_config()` and `timeout_config()`, so the
//! attempt counts asserted here are the ones the deployed function makes. Each client also gets
//! its own retry partition: the SDK keeps one retry token bucket per partition for the whole
//! process, and tests that share it would drain each other's retry quota.
//!
//! Every test runs on Tokio's paused clock: when every task waits on a timer, time jumps to the
//! next one. Retry backoffs and timeouts then take no wall-clock time, and the attempt counts do
//! not depend on how busy the machine is.
//!
//! Error answers are sent as wire responses (status, `__type` body) rather than modeled errors,
//! so the SDK's own error parsing and retry classification run as they do against AWS.
//!
//! The faults are tables: a [`Fault`] is a wire answer and what the guardrail must make of it,
//! and a test puts each row in front of one [`Call`] of a remediation, with every other call
//! answered by a healthy service ([`Aws`]). A new fault is one row.

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
use aws_smithy_mocks::{MockResponse, Rule, RuleBuilder, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
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
use std::time::Duration;
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
fn ssm_internal_error() -> HttpResponse {
    aws_json_error(500, "InternalServerError", "internal error")
}
fn kms_internal_error() -> HttpResponse {
    aws_json_error(500, "KMSInternalException", "internal error")
}
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
fn not_json() -> HttpResponse {
    ok_json("{\"DataCatalogEncryptionSettings\": [not json")
}
fn bare_429() -> HttpResponse {
    bare(429)
}
/// The large HTML error page a proxy may answer with.
fn html_page() -> String {
    format!("<html>{}</html>", "Service Unavailable ".repeat(5_000))
}
fn html_503() -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(503).unwrap(),
        SdkBody::from(html_page()),
    )
}

// ---------------------------------------------------------------------------------------------
// Faults: one row each
// ---------------------------------------------------------------------------------------------

/// A wire answer, and what the guardrail must make of a call that meets it on every attempt.
#[derive(Clone, Copy)]
struct Fault {
    name: &'static str,
    answer: fn() -> HttpResponse,
    /// The attempts one call makes: `MAX` when the SDK retries the answer, 1 when it does not.
    attempts: usize,
    /// The error code the invocation fails with.
    code: &'static str,
    /// Whether a retry can succeed without anyone changing anything.
    transient: bool,
    /// What the error and the audit record say; `{action}` stands for the call's IAM action.
    says: &'static [&'static str],
    /// What a write that met it may have done.
    write: WriteStatus,
}

impl Fault {
    /// Throttling: the SDK retries it, and a write that met it was answered, so it changed
    /// nothing.
    const fn throttled(name: &'static str, answer: fn() -> HttpResponse) -> Self {
        Self {
            name,
            answer,
            attempts: MAX,
            code: "aws_throttled",
            transient: true,
            says: &["{action}"],
            write: WriteStatus::Refused,
        }
    }

    /// A server error: the SDK retries it, and Glue may have applied a write that met it.
    const fn server_error(name: &'static str, answer: fn() -> HttpResponse) -> Self {
        Self {
            code: "aws_server_error",
            write: WriteStatus::Unknown,
            ..Self::throttled(name, answer)
        }
    }

    /// A way to be denied: tried once, and the error names the permission the call needs.
    const fn denied(name: &'static str, answer: fn() -> HttpResponse) -> Self {
        Self {
            attempts: 1,
            code: "access_denied",
            transient: false,
            says: &["needs {action}"],
            ..Self::throttled(name, answer)
        }
    }
}

const TRANSIENT_GLUE_FAULTS: [Fault; 4] = [
    Fault::throttled("ThrottlingException (400)", throttling),
    Fault::throttled("TooManyRequestsException (429)", too_many_requests),
    Fault::server_error("InternalServiceException (500)", internal_error),
    Fault::server_error("bare 503", unavailable),
];

const DENIALS: [Fault; 3] = [
    Fault::denied("AccessDeniedException", access_denied_exception),
    Fault::denied("bare 403", bare_403),
    Fault::denied("403 with an XML body", xml_403),
];

/// The calls of a remediation on a cold start, ordered as the guardrail makes them (the
/// read-back after the write aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Call {
    GlueGet,
    SsmGetParameter,
    KmsDescribeKey,
    GluePut,
}

impl Call {
    const ALL: [Call; 4] = [
        Call::GlueGet,
        Call::SsmGetParameter,
        Call::KmsDescribeKey,
        Call::GluePut,
    ];

    /// The IAM action the call needs.
    fn action(self) -> &'static str {
        match self {
            Call::GlueGet => GET,
            Call::SsmGetParameter => "ssm:GetParameter",
            Call::KmsDescribeKey => "kms:DescribeKey",
            Call::GluePut => PUT,
        }
    }

    /// One operation of this call whose first `n` attempts meet `answer`; then, if `recovers`,
    /// the healthy answer.
    fn meeting(
        self,
        glue: &MockGlue,
        answer: fn() -> HttpResponse,
        n: usize,
        recovers: bool,
    ) -> Rule {
        match self {
            Call::GlueGet => faults_then(
                mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings),
                answer,
                n,
                recovers.then(|| glue.get_output()),
            ),
            Call::GluePut => faults_then(
                mock!(aws_sdk_glue::Client::put_data_catalog_encryption_settings)
                    .match_requests(glue.record_put()),
                answer,
                n,
                recovers.then(|| glue.put_output()),
            ),
            Call::SsmGetParameter => faults_then(
                mock!(aws_sdk_ssm::Client::get_parameter),
                answer,
                n,
                recovers.then(|| parameter_output(OUR_KEY)),
            ),
            Call::KmsDescribeKey => faults_then(
                mock!(aws_sdk_kms::Client::describe_key),
                answer,
                n,
                recovers.then_some(our_key_output),
            ),
        }
    }
}

/// `rule` answering `n` attempts with `answer`, then `healthy` once when there is one.
fn faults_then<I, O, E>(
    rule: RuleBuilder<I, O, E>,
    answer: fn() -> HttpResponse,
    n: usize,
    healthy: Option<impl Fn() -> O + Send + Sync + 'static>,
) -> Rule
where
    I: std::fmt::Debug + Send + Sync + 'static,
    O: std::fmt::Debug + Send + Sync + 'static,
    E: std::fmt::Debug + Send + Sync + std::error::Error + 'static,
{
    let faults = rule.sequence().http_response(answer).times(n);
    match healthy {
        Some(output) => faults.output(output).build(),
        None => faults.build(),
    }
}

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

    /// Accepts every Put and stores it.
    fn put_rule(&self) -> Rule {
        mock!(aws_sdk_glue::Client::put_data_catalog_encryption_settings)
            .match_requests(self.record_put())
            .sequence()
            .output(self.put_output())
            .repeatedly()
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

/// DescribeKey's answer for our key.
fn our_key_output() -> DescribeKeyOutput {
    DescribeKeyOutput::builder()
        .key_metadata(key_metadata(OUR_KEY))
        .build()
}

/// DescribeKey knows our key by ARN, id and alias, and the other key by ARN; anything else is
/// `NotFoundException`. Records every reference asked for. (A computed answer: never used for a
/// call that is retried, since the mock cannot recompute on a retry.)
fn kms_rule(described: &Asked) -> Rule {
    let described = described.clone();
    mock!(aws_sdk_kms::Client::describe_key).then_compute_response(move |input| {
        described.push(input.key_id());
        match input.key_id() {
            Some(OUR_KEY | OUR_KEY_ID | OUR_ALIAS) => MockResponse::Output(our_key_output()),
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

/// What the real guardrail talks to: Glue holding a catalog, SSM holding the key parameter and
/// KMS knowing our key, each answered by its healthy rule unless a rule put in front answers
/// first. Records what SSM and KMS were asked.
struct Aws {
    glue: MockGlue,
    /// Rules that answer before the healthy ones.
    first: Vec<Rule>,
    get: Rule,
    put: Rule,
    ssm: Rule,
    kms: Rule,
    /// The parameter names SSM was asked for, and whether with decryption.
    names: Asked,
    decrypted: Asked,
    /// The key references KMS was asked to describe.
    described: Asked,
    config: Config,
    clock: ManualClock,
    audit: MemoryAudit,
}

impl Aws {
    /// Glue holding `settings`, the parameter holding our key's ARN.
    fn holding(settings: glue::DataCatalogEncryptionSettings) -> Self {
        Self::with_parameter(settings, OUR_KEY)
    }

    /// Glue holding `settings`, the parameter holding `value`.
    fn with_parameter(settings: glue::DataCatalogEncryptionSettings, value: &str) -> Self {
        let glue = MockGlue::with(settings);
        let (names, decrypted, described) = (Asked::default(), Asked::default(), Asked::default());
        Self {
            first: Vec::new(),
            get: glue.get_rule(),
            put: glue.put_rule(),
            ssm: ssm_rule(value, &names, &decrypted),
            kms: kms_rule(&described),
            glue,
            names,
            decrypted,
            described,
            config: config(),
            clock: ManualClock::default(),
            audit: MemoryAudit::default(),
        }
    }

    /// `rule` answers its operation before the healthy service does, until it is used up.
    fn first(mut self, rule: &Rule) -> Self {
        self.first.push(rule.clone());
        self
    }

    /// The rules put in front, then `healthy`. Every client gets every rule put in front: a
    /// rule answers only the operation it mocks.
    fn rules<'a>(&'a self, healthy: &[&'a Rule]) -> Vec<&'a Rule> {
        self.first.iter().chain(healthy.iter().copied()).collect()
    }

    /// The guardrail over these services, with one key cache for all its invocations.
    fn guardrail(&self) -> Real<'_> {
        self.guardrail_over(client!(aws_sdk_glue, self.rules(&[&self.get, &self.put])))
    }

    /// The guardrail over these SSM and KMS, and `glue`.
    fn guardrail_over(&self, glue: aws_sdk_glue::Client) -> Real<'_> {
        let ssm = client!(aws_sdk_ssm, self.rules(&[&self.ssm]));
        let kms = client!(aws_sdk_kms, self.rules(&[&self.kms]));
        Guardrail::new(
            self.config.clone(),
            REGION.into(),
            GlueCatalog::new(glue),
            SsmParameters::new(ssm),
            KmsKeys::new(kms),
            &self.clock,
            &self.audit,
        )
    }

    /// One invocation on the drift event, by a guardrail fresh from a cold start.
    async fn drift(&self) -> Result<AuditRecord, GuardrailError> {
        self.guardrail().handle(&event(DRIFT), invocation()).await
    }
}

/// The one audit record, which must say `failed` with `code`, and `write` of the write.
fn the_failed_write(
    case: &str,
    audit: &MemoryAudit,
    code: &str,
    write: WriteStatus,
) -> AuditRecord {
    let records = audit.records();
    assert_eq!(records.len(), 1, "{case}: exactly one audit record");
    let record = records.into_iter().next().unwrap();
    assert_eq!(record.outcome, Outcome::Failed, "{case}");
    assert_eq!(record.reason_code, code, "{case}");
    assert_eq!(record.error.as_ref().map(|e| e.code), Some(code), "{case}");
    assert_eq!(record.write, write, "{case}: {code}");
    record
}

/// A remediation whose `call` meets `fault` on every attempt but the last: the SDK retries
/// within the one call, and the drift is fixed.
async fn remediation_recovers(call: Call, fault: Fault) {
    let case = format!("{} on {}", fault.name, call.action());
    // given: the call meets the fault until its last attempt, then is answered
    let aws = Aws::holding(glue_disabled());
    let flaky = call.meeting(&aws.glue, fault.answer, MAX - 1, true);
    let aws = aws.first(&flaky);

    // when
    let record = aws.drift().await.unwrap_or_else(|e| panic!("{case}: {e}"));

    // then: the SDK retried within the one call, and the drift was fixed
    assert_eq!(flaky.num_calls(), MAX, "{case}: attempts");
    assert_eq!(record.outcome, Outcome::Remediated, "{case}");
    assert_eq!(record.write, WriteStatus::Confirmed, "{case}");
    assert_eq!(aws.glue.puts().len(), 1, "{case}: one Put operation");
    assert_eq!(aws.glue.stored(), glue_compliant(), "{case}");
    assert_eq!(aws.audit.records().len(), 1, "{case}: one audit record");
}

/// A remediation whose `call` meets `fault` on every attempt (and one more is ready): the
/// invocation makes the fault's attempts, fails with its code, records the failure, stops at
/// that call and leaves the catalog as it was. Returns the record and the error.
async fn remediation_fails(call: Call, fault: Fault) -> (AuditRecord, GuardrailError) {
    let case = format!("{} on {}", fault.name, call.action());
    // given: every attempt the SDK may make meets the fault, and one more is ready
    let aws = Aws::holding(glue_disabled());
    let failing = call.meeting(&aws.glue, fault.answer, MAX + 1, false);
    let aws = aws.first(&failing);

    // when
    let Err(err) = aws.drift().await else {
        panic!("{case}: the invocation succeeded")
    };

    // then: the fault's attempts and no more, and its error
    assert_eq!(failing.num_calls(), fault.attempts, "{case}: attempts");
    assert_eq!(err.code(), fault.code, "{case}: {err}");
    assert_eq!(
        err.is_transient(),
        fault.transient,
        "{case}: can a retry succeed"
    );
    let write = match call {
        Call::GluePut => fault.write,
        _ => WriteStatus::NotAttempted,
    };
    let record = the_failed_write(&case, &aws.audit, fault.code, write);
    assert_eq!(
        record.error.as_ref().map(|e| e.transient),
        Some(fault.transient),
        "{case}"
    );
    for says in fault.says {
        let says = says.replace("{action}", call.action());
        assert!(err.to_string().contains(&says), "{case}: {says:?} in {err}");
        assert!(
            record.reason.contains(&says),
            "{case}: {says:?} in the record"
        );
    }
    assert_eq!(record.after, None, "{case}: no read-back after a failure");

    // and the invocation stopped there: each call before it was answered once, none after it
    // was made, and nothing was written
    for (healthy, rule) in [
        (Call::GlueGet, &aws.get),
        (Call::SsmGetParameter, &aws.ssm),
        (Call::KmsDescribeKey, &aws.kms),
        (Call::GluePut, &aws.put),
    ] {
        let expected = usize::from(healthy < call);
        assert_eq!(rule.num_calls(), expected, "{case}: {healthy:?} answered");
    }
    let put_operations = usize::from(call == Call::GluePut);
    assert_eq!(
        aws.glue.puts().len(),
        put_operations,
        "{case}: Put operations"
    );
    assert_eq!(
        aws.glue.stored(),
        glue_disabled(),
        "{case}: nothing written"
    );
    (record, err)
}

/// A remediation whose first read Glue answers with `body`, which the SDK's own deserializer
/// reads: the drift is fixed with one write, for `violations`. Returns the record.
async fn remediated_after_reading(
    case: &str,
    body: String,
    violations: &[Violation],
) -> AuditRecord {
    // given: Glue answers the first read with `body`
    let aws = Aws::holding(glue_disabled());
    let odd_get = mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
        .sequence()
        .http_response(move || ok_json(&body))
        .build();
    let aws = aws.first(&odd_get);

    // when
    let record = aws.drift().await.unwrap_or_else(|e| panic!("{case}: {e}"));

    // then: a clear violation, fixed with one write of a documented mode
    assert_eq!(record.violations, violations, "{case}");
    assert_eq!(record.outcome, Outcome::Remediated, "{case}");
    assert_eq!(aws.glue.puts().len(), 1, "{case}");
    assert_eq!(aws.glue.stored(), glue_compliant(), "{case}");
    record
}

// ---------------------------------------------------------------------------------------------
// Throttling and 5xx
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn glue_throttling_and_5xx_on_get_or_put_are_retried_until_an_attempt_succeeds() {
    for call in [Call::GlueGet, Call::GluePut] {
        for fault in TRANSIENT_GLUE_FAULTS {
            remediation_recovers(call, fault).await;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn glue_faults_on_get_or_put_that_outlast_the_retries_fail_the_invocation_transiently() {
    for call in [Call::GlueGet, Call::GluePut] {
        for fault in TRANSIENT_GLUE_FAULTS {
            remediation_fails(call, fault).await;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_bare_429_is_not_retried_by_the_sdk_but_fails_as_transient_throttling() {
    // The SDK retries throttling by error code (ThrottlingException, TooManyRequestsException,
    // ...) and 500/502/503/504 by status; a 429 with no code is neither. Glue always sends a
    // code; a proxy might not. The guardrail still calls it throttling, so Lambda retries.
    let bare_429 = Fault {
        attempts: 1,
        ..Fault::throttled("bare 429", bare_429)
    };
    remediation_fails(Call::GlueGet, bare_429).await;
}

// ---------------------------------------------------------------------------------------------
// Access denied
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_denied_call_to_any_service_is_tried_once_and_names_the_permission_it_needs() {
    for call in Call::ALL {
        for denial in DENIALS {
            remediation_fails(call, denial).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SSM and KMS unavailable
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn ssm_or_kms_unavailable_with_a_cold_cache_fails_and_writes_nothing() {
    for (call, fault) in [
        (
            Call::SsmGetParameter,
            Fault::server_error("InternalServerError (500)", ssm_internal_error),
        ),
        (
            Call::KmsDescribeKey,
            Fault::server_error("KMSInternalException (500)", kms_internal_error),
        ),
    ] {
        remediation_fails(call, fault).await;
    }
}

#[tokio::test(start_paused = true)]
async fn ssm_and_kms_outages_within_the_cache_ttl_cost_reads_nothing_and_block_every_write() {
    // given: SSM and KMS answer once, then are down for good
    let ssm_once = mock!(aws_sdk_ssm::Client::get_parameter)
        .sequence()
        .output(parameter_output(OUR_KEY))
        .http_response(unavailable)
        .repeatedly()
        .build();
    let kms_once = mock!(aws_sdk_kms::Client::describe_key)
        .sequence()
        .output(our_key_output)
        .http_response(unavailable)
        .repeatedly()
        .build();
    let aws = Aws::holding(glue_compliant())
        .first(&ssm_once)
        .first(&kms_once);
    let guardrail = aws.guardrail();

    // when: a cold start caches the key, then both services go down
    let first = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(first.outcome, Outcome::Compliant);
    let second = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();

    // then: within the TTL a compliant catalog is judged without asking SSM or KMS again
    assert_eq!(second.outcome, Outcome::Compliant);
    assert_eq!((ssm_once.num_calls(), kms_once.num_calls()), (1, 1));

    // but a drift is never fixed with a key nobody could check during the invocation
    *aws.glue.stored.lock().unwrap() = glue_disabled();
    let err = guardrail
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "aws_server_error");
    assert!(err.to_string().contains("kms:DescribeKey"), "{err}");
    assert_eq!(kms_once.num_calls(), 1 + MAX, "KMS retried, then given up");
    assert_eq!(ssm_once.num_calls(), 1);
    assert_eq!(aws.put.num_calls(), 0, "no write with an unchecked key");
    assert_eq!(aws.glue.stored(), glue_disabled());

    // and after the TTL the outage fails even a read-only evaluation
    aws.clock.advance(Duration::from_secs(301));
    let err = guardrail
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "aws_server_error");
    assert_eq!(ssm_once.num_calls(), 1 + MAX, "SSM retried, then given up");
    assert_eq!(aws.put.num_calls(), 0);
    assert_eq!(aws.audit.records().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// The exact requests
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn the_write_carries_both_settings_and_the_key_arn_and_no_catalog_id() {
    // The parameter names the key by alias, padded as a hand-edited parameter might be.
    for parameter_value in [OUR_ALIAS, OUR_KEY, " alias/glue-catalog\n"] {
        let aws = Aws::with_parameter(glue_disabled(), parameter_value);

        let record = aws.drift().await.unwrap();
        assert_eq!(record.outcome, Outcome::Remediated);

        // GetParameter asks for the configured name, without decryption
        assert_eq!(aws.names.all(), vec![PARAMETER.to_owned()]);
        assert_ne!(aws.decrypted.all(), vec!["true".to_owned()]);
        // DescribeKey is asked for the parameter's value, trimmed
        assert_eq!(aws.described.all(), vec![parameter_value.trim().to_owned()]);

        let puts = aws.glue.puts();
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

#[tokio::test(start_paused = true)]
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
        let mut aws = Aws::holding(before);
        aws.config.catalog_service_role_arn = service_role.map(str::to_owned);

        // when
        let record = aws.drift().await.unwrap();

        // then the role is the configured one, or none
        assert_eq!(
            record.violations,
            [Violation::MetadataServiceRoleNotExpected],
            "{service_role:?}"
        );
        let puts = aws.glue.puts();
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

#[tokio::test(start_paused = true)]
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
        // given an undocumented mode and unknown fields, when and then: remediated
        let body = format!(
            r#"{{"DataCatalogEncryptionSettings":{{{at_rest},{passwords},"Extra":"x"}},"AlsoExtra":42}}"#
        );
        let record = remediated_after_reading(
            &format!("{mode:?}"),
            body,
            &[Violation::MetadataEncryptionModeUnknown],
        )
        .await;

        // and the audit record keeps the mode as Glue sent it
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
    }
}

#[tokio::test(start_paused = true)]
async fn a_catalog_glue_reports_with_no_settings_at_all_is_remediated() {
    for body in [
        "{}",
        r#"{"DataCatalogEncryptionSettings":{}}"#,
        r#"{"DataCatalogEncryptionSettings":null}"#,
    ] {
        remediated_after_reading(
            body,
            body.to_owned(),
            &[
                Violation::MetadataEncryptionDisabled,
                Violation::PasswordEncryptionDisabled,
            ],
        )
        .await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_malformed_answer_from_glue_fails_without_writing() {
    // A 200 the SDK cannot read is not retried; the invocation fails and Lambda retries it.
    let malformed = Fault {
        name: "a 200 that is not JSON",
        answer: not_json,
        attempts: 1,
        code: "aws_rejected",
        transient: false,
        says: &["{action}", "failed to parse JSON"],
        write: WriteStatus::Refused,
    };
    remediation_fails(Call::GlueGet, malformed).await;
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_error_body_is_not_copied_into_the_audit_record() {
    // given: a proxy answers with a large HTML error page
    let html_page_503 = Fault {
        says: &["{action}", "HTTP 503"],
        ..Fault::server_error("503 with a large HTML page", html_503)
    };

    // when
    let (record, err) = remediation_fails(Call::GlueGet, html_page_503).await;

    // then: the error says what failed and how, in a line, not the page
    let message = err.to_string();
    let start: String = message.chars().take(300).collect();
    assert!(message.len() < 512, "{} bytes: {start}", message.len());
    assert!(!message.contains("Service Unavailable"), "{start}");
    let line = serde_json::to_string(&record).unwrap();
    assert!(line.len() < html_page().len() / 10, "{} bytes", line.len());
}

// ---------------------------------------------------------------------------------------------
// A read-back that disagrees
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_read_back_that_disagrees_is_reported_and_the_next_trigger_reconciles() {
    // given: another writer lands right after the guardrail's write, with another key
    let aws = Aws::holding(glue_disabled());
    let stored = aws.glue.stored.clone();
    let overwritten_put = mock!(aws_sdk_glue::Client::put_data_catalog_encryption_settings)
        .match_requests(aws.glue.record_put())
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
    let aws = aws.first(&overwritten_put);
    let guardrail = aws.guardrail();

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
    let record = &aws.audit.records()[0];
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(
        record.write,
        WriteStatus::Confirmed,
        "the record says a write happened"
    );

    // and the next trigger (Lambda's retry, or the writer's own event) reconciles
    let next = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(next.outcome, Outcome::Remediated);
    assert_eq!(aws.glue.puts().len(), 2);
    assert_eq!(aws.glue.stored(), glue_compliant());
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

// On the paused clock the deployed budget runs as it would on Lambda: the first attempt times
// out at ATTEMPT_TIMEOUT, the retry starts after a backoff shorter than the initial backoff
// (100 ms), and OPERATION_TIMEOUT (2 × ATTEMPT_TIMEOUT) cuts the retry off before its own
// attempt timeout would.
#[tokio::test(start_paused = true)]
async fn a_glue_call_that_never_answers_times_out_is_retried_and_fails_transiently() {
    let initial_backoff = Duration::from_millis(100);
    assert_eq!(retry_config().initial_backoff(), initial_backoff);
    assert!(ATTEMPT_TIMEOUT + initial_backoff < OPERATION_TIMEOUT);
    assert!(OPERATION_TIMEOUT <= ATTEMPT_TIMEOUT * 2);
    let aws = Aws::holding(glue_disabled());
    // An answer that must travel through the HTTP client, which never delivers it.
    let get = mock!(aws_sdk_glue::Client::get_data_catalog_encryption_settings)
        .then_http_response(|| ok_json("{}"));
    let glue = {
        let partition = partition();
        mock_client!(
            aws_sdk_glue,
            RuleMode::MatchAny,
            [&get, &aws.put],
            move |c| c
                .retry_config(retry_config())
                .timeout_config(timeout_config())
                .retry_partition(partition.clone())
                .http_client(NeverAnswers)
        )
    };

    let started = tokio::time::Instant::now();
    let err = aws
        .guardrail_over(glue)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    let took = started.elapsed();

    assert_eq!(err.code(), "aws_timeout", "{err}");
    assert!(err.is_transient());
    assert_eq!(
        get.num_calls(),
        2,
        "the attempt that timed out is retried once within the call's budget"
    );
    assert_eq!(took, OPERATION_TIMEOUT, "the call's budget bounds the wait");
    assert_eq!(aws.put.num_calls(), 0);
    the_failed_write(
        "a timeout",
        &aws.audit,
        "aws_timeout",
        WriteStatus::NotAttempted,
    );
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
