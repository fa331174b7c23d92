//! Entrypoint layer: the audit record. Every invocation ends in exactly one, which says what
//! was found, what was done and why. It is also the invocation's response.

use crate::config::EnforcementMode;
use crate::core::policy::Violation;
use crate::core::settings::CatalogSettings;
use crate::core::trigger::TriggerSummary;
use crate::error::GuardrailError;
use serde::Serialize;
use std::io::Write;

/// What the invocation ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The catalog meets the policy; nothing was written.
    Compliant,
    /// The catalog drifted; both settings were re-applied and verified.
    Remediated,
    /// The catalog drifted; detect mode reported it and wrote nothing.
    DriftDetected,
    /// The event was not worth a look; no catalog call was made.
    Skipped,
    /// The invocation could not finish; nothing was written unless `after` says so.
    Failed,
}

/// The failure behind a `failed` outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorSummary {
    pub code: &'static str,
    pub message: String,
    /// Whether a retry can succeed without anyone changing anything.
    pub transient: bool,
}

impl From<&GuardrailError> for ErrorSummary {
    fn from(e: &GuardrailError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            transient: e.is_transient(),
        }
    }
}

/// One invocation's audit record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Always `"audit"`: what a Logs Insights query filters on.
    #[serde(rename = "type")]
    pub record_type: &'static str,
    pub outcome: Outcome,
    /// A sentence a person can read.
    pub reason: String,
    /// The stable code behind the reason: a violation summary, a skip reason or an error code.
    pub reason_code: &'static str,
    pub catalog_id: Option<String>,
    pub region: String,
    pub enforcement_mode: EnforcementMode,
    pub violations: Vec<Violation>,
    pub expected_key_arn: Option<String>,
    pub before: Option<CatalogSettings>,
    pub after: Option<CatalogSettings>,
    /// Whether this invocation wrote the catalog's settings.
    pub settings_written: bool,
    pub trigger: TriggerSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorSummary>,
    pub request_id: String,
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

/// Writes each record as one JSON line on standard output, which Lambda sends to CloudWatch
/// Logs. The record is written whole, as JSON, rather than through `tracing`, so that its
/// nested `before` and `after` stay objects a Logs Insights query can read.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutAudit;

impl AuditSink for StdoutAudit {
    fn record(&self, record: &AuditRecord) {
        let mut line = match serde_json::to_vec(record) {
            Ok(line) => line,
            Err(e) => {
                tracing::error!(error = %e, "could not serialize the audit record");
                return;
            }
        };
        line.push(b'\n');
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
            tracing::error!(error = %e, "could not write the audit record");
        }
    }
}
