//! Ports: everything the application needs from the world, as small traits over domain types,
//! and the one error type they fail with. The adapters implement them; the tests use in-memory
//! fakes.

use crate::core::finding::Finding;
use crate::core::key::KeyDescription;
use crate::core::record::AuditRecord;
use crate::core::settings::CatalogSettings;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// What kind of failure an AWS call ended in, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// Throttled: the SDK already backed off and retried.
    Throttled,
    /// A 5xx answer from the service.
    ServerError,
    /// No answer in time.
    Timeout,
    /// The request never reached the service (DNS, connection, TLS).
    Unreachable,
    /// The caller lacks a permission.
    AccessDenied,
    /// The service rejected the request as invalid.
    Rejected,
}

impl AwsErrorKind {
    /// Whether trying again later can succeed without anyone changing anything.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::Throttled | Self::ServerError | Self::Timeout | Self::Unreachable
        )
    }
}

/// A failed AWS call, without SDK types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The IAM action, e.g. `glue:PutDataCatalogEncryptionSettings`: the permission to check
    /// when the call is denied.
    pub action: &'static str,
    pub kind: AwsErrorKind,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    /// What failed, naming `who` (the function's execution role, an operator's credentials)
    /// as the one that needs the permission when the call was denied.
    pub fn describe(&self, who: &str) -> String {
        let code = self.code.as_deref().unwrap_or("no error code");
        match self.kind {
            AwsErrorKind::AccessDenied => format!(
                "{} was denied ({code}): {who} needs {} on this resource: {}",
                self.action, self.action, self.message
            ),
            _ => format!("{} failed ({code}): {}", self.action, self.message),
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("the execution role"))
    }
}

impl std::error::Error for AwsError {}

/// The time source, injectable so tests can move time.
pub trait Clock: Send + Sync {
    /// Monotonic time, for cache ages.
    fn now(&self) -> Instant;
    /// Wall-clock time in seconds since the Unix epoch, for expiries.
    fn unix_now(&self) -> u64 {
        u64::try_from(self.utc_now().as_second()).unwrap_or(0)
    }
    /// Wall-clock time, for the timestamps of findings.
    fn utc_now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

impl<T: Clock> Clock for &T {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn unix_now(&self) -> u64 {
        (**self).unix_now()
    }
    fn utc_now(&self) -> jiff::Timestamp {
        (**self).utc_now()
    }
}

/// Where audit records go.
pub trait AuditSink: Send + Sync {
    fn record(&self, record: &AuditRecord);
}

impl<T: AuditSink> AuditSink for &T {
    fn record(&self, record: &AuditRecord) {
        (**self).record(record);
    }
}

/// Reads the account's Glue Data Catalog settings in this region. The read-only paths (the
/// inspection, the audit CLI) hold only this.
pub trait CatalogReader {
    /// `glue:GetDataCatalogEncryptionSettings`.
    fn get_settings(&self) -> impl Future<Output = Result<CatalogSettings, AwsError>> + Send;
}

/// Writes the account's Glue Data Catalog settings in this region.
pub trait CatalogWriter {
    /// `glue:PutDataCatalogEncryptionSettings`, always with both sub-settings.
    fn put_settings(
        &self,
        settings: &CatalogSettings,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// SSM Parameter Store.
pub trait ParameterStore {
    /// `ssm:GetParameter`: the value, or `None` when the parameter does not exist.
    fn get_parameter(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;
}

/// KMS.
pub trait KeyDirectory {
    /// `kms:DescribeKey`: the key a reference names, or `None` when there is no such key.
    fn describe_key(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<KeyDescription>, AwsError>> + Send;
}

/// Where notifications go (SNS). Object-safe, since a deployment may have none.
pub trait Notifier: Send + Sync {
    /// `sns:Publish`.
    fn publish<'a>(
        &'a self,
        subject: &'a str,
        message: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>>;
}

/// Security Hub. Object-safe, since it is switched on by configuration.
pub trait FindingsHub: Send + Sync {
    /// `securityhub:GetFindings` for the finding `id` of `product_arn`: its `CreatedAt`, or
    /// `None` when there is no such finding yet.
    fn created_at<'a>(
        &'a self,
        product_arn: &'a str,
        id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<String>, AwsError>> + Send + 'a>>;

    /// `securityhub:BatchImportFindings` of one finding: created, or updated by its id.
    fn import<'a>(
        &'a self,
        finding: &'a Finding,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>>;
}

// Borrowed ports work too, so a caller can keep hold of what it lends the handler.

impl<T: CatalogReader + Sync> CatalogReader for &T {
    fn get_settings(&self) -> impl Future<Output = Result<CatalogSettings, AwsError>> + Send {
        (**self).get_settings()
    }
}

impl<T: CatalogWriter + Sync> CatalogWriter for &T {
    fn put_settings(
        &self,
        settings: &CatalogSettings,
    ) -> impl Future<Output = Result<(), AwsError>> + Send {
        (**self).put_settings(settings)
    }
}

impl<T: ParameterStore + Sync> ParameterStore for &T {
    fn get_parameter(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send {
        (**self).get_parameter(name)
    }
}

impl<T: KeyDirectory + Sync> KeyDirectory for &T {
    fn describe_key(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<KeyDescription>, AwsError>> + Send {
        (**self).describe_key(reference)
    }
}

impl<T: Notifier> Notifier for &T {
    fn publish<'a>(
        &'a self,
        subject: &'a str,
        message: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>> {
        (**self).publish(subject, message)
    }
}

impl<T: FindingsHub + ?Sized> FindingsHub for std::sync::Arc<T> {
    fn created_at<'a>(
        &'a self,
        product_arn: &'a str,
        id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<String>, AwsError>> + Send + 'a>> {
        (**self).created_at(product_arn, id)
    }

    fn import<'a>(
        &'a self,
        finding: &'a Finding,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>> {
        (**self).import(finding)
    }
}
