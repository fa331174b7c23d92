//! Entrypoint layer: the audit record. Every invocation ends in exactly one, which says what
//! was found, what was done and why. It is also the invocation's response.

use crate::config::EnforcementMode;
use crate::core::exemption::{Exemption, ExemptionState};
use crate::core::policy::Violation;
use crate::core::policy::codes;
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
    /// The catalog drifted, but an exemption in force keeps the guardrail from writing.
    Exempt,
    /// The event was not worth a look; no catalog call was made.
    Skipped,
    /// The invocation could not finish; nothing was written unless `after` says so.
    Failed,
}

impl Outcome {
    /// The stable code, as serialized; also the reason code of every outcome but a skip or a
    /// failure, which say why.
    pub fn code(self) -> &'static str {
        match self {
            Self::Compliant => "compliant",
            Self::Remediated => "remediated",
            Self::DriftDetected => "drift_detected",
            Self::Exempt => "exempt",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
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

/// What became of the invocation's write of the catalog's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteStatus {
    /// No write was sent.
    #[default]
    NotAttempted,
    /// Glue answered the write with an error: it changed nothing.
    Refused,
    /// The write was sent but no answer came (it timed out, the connection broke, the service
    /// failed, or the invocation's deadline interrupted it): Glue may have applied it. The
    /// next evaluation reads the catalog and settles it.
    Unknown,
    /// Glue acknowledged the write.
    Confirmed,
}

/// What became of the catalog's Security Hub finding (`SECURITY_HUB_FINDINGS=enabled`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingPublication {
    /// `published`, or `failed`: the outcome and the write stand either way.
    pub status: PublicationStatus,
    /// The `Compliance.Status` the finding was given.
    pub compliance: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationStatus {
    Published,
    Failed,
}

/// Whether the invocation's notification went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notification {
    /// Nothing to tell, or no topic configured.
    #[default]
    None,
    Sent,
    /// Publishing failed; the outcome stands regardless.
    Failed,
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
    /// What became of the write of the catalog's settings.
    pub write: WriteStatus,
    /// The exemption found, when the catalog drifted and the parameter held one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Exemption>,
    pub notification: Notification,
    /// The Security Hub finding, when findings are on and the invocation published one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<FindingPublication>,
    /// Whether this was the first invocation of a new execution environment.
    pub cold_start: bool,
    pub trigger: TriggerSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorSummary>,
    pub request_id: String,
}

impl AuditRecord {
    /// What became of the finding, when one was published or tried.
    pub fn finding_status(&self) -> Option<PublicationStatus> {
        self.security_hub.as_ref().map(|f| f.status)
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

/// The subject and body of the notification for a record: what happened to which catalog,
/// who caused it, and the settings before and after.
pub fn notification_text(record: &AuditRecord) -> (String, String) {
    let catalog = record.catalog_id.as_deref().unwrap_or("unknown account");
    let what = match record.outcome {
        Outcome::Remediated => "encryption drift fixed",
        Outcome::DriftDetected => "encryption drift detected",
        Outcome::Failed => "guardrail failed",
        Outcome::Exempt => "encryption drift on an exempt catalog",
        _ if record.finding_status() == Some(PublicationStatus::Failed) => {
            "Security Hub finding not published"
        }
        Outcome::Compliant => "catalog compliant",
        Outcome::Skipped => "event skipped",
    };
    let finding = match &record.security_hub {
        None => "not published".to_owned(),
        Some(f) => match &f.error {
            None => format!("published ({})", f.compliance),
            Some(error) => format!("not published: {error}"),
        },
    };
    let subject = format!("Glue Data Catalog {catalog} ({}): {what}", record.region);
    let settings = |s: &Option<CatalogSettings>| {
        s.as_ref()
            .and_then(|s| serde_json::to_string_pretty(s).ok())
            .unwrap_or_else(|| "(not read)".into())
    };
    let trigger = &record.trigger;
    let message = format!(
        "{subject}\n\n\
         What happened: {}\n\
         Catalog:       {catalog} in {}\n\
         Caused by:     {} ({})\n\
         Event id:      {}\n\
         Violations:    {}\n\
         Expected key:  {}\n\
         Security Hub:  {finding}\n\n\
         Before:\n{}\n\n\
         After:\n{}\n\n\
         Request id: {}\n",
        record.reason,
        record.region,
        trigger.caller_arn.as_deref().unwrap_or("unknown"),
        trigger.event_name.as_deref().unwrap_or("unknown event"),
        trigger.event_id.as_deref().unwrap_or("none"),
        codes(&record.violations),
        record.expected_key_arn.as_deref().unwrap_or("not resolved"),
        settings(&record.before),
        settings(&record.after),
        record.request_id,
    );
    (subject, message)
}

/// The CloudWatch namespace of the guardrail's metrics.
pub const METRICS_NAMESPACE: &str = "GlueEncryptionGuardrail";

/// The audit record as a CloudWatch Embedded Metric Format document: the record itself, plus
/// the `_aws` directive and one member per metric. CloudWatch Logs extracts the metrics from
/// the log line, so they cost no API call, and every metric counts exactly the audit records.
///
/// Every record carries the same fixed metrics, 0 or 1, dimensioned by `enforcement_mode`;
/// each violation adds a metric named by its code; a skip adds `Skips` dimensioned by
/// `enforcement_mode` and `reason_code`.
pub fn emf_document(record: &AuditRecord, timestamp_ms: u64) -> serde_json::Value {
    let failed = record.outcome == Outcome::Failed;
    let mut metrics: Vec<(&str, u8)> = vec![
        ("Evaluations", u8::from(record.before.is_some())),
        ("DriftFound", u8::from(!record.violations.is_empty())),
        (
            "Remediations",
            u8::from(record.outcome == Outcome::Remediated),
        ),
        (
            "RemediationFailures",
            u8::from(
                failed
                    && (!record.violations.is_empty() || record.write != WriteStatus::NotAttempted),
            ),
        ),
        ("Failures", u8::from(failed)),
        ("Exemptions", u8::from(record.outcome == Outcome::Exempt)),
        (
            "ExemptionsIgnored",
            u8::from(
                record
                    .exemption
                    .as_ref()
                    .is_some_and(|e| e.state == ExemptionState::Ignored),
            ),
        ),
        (
            "WritesUnknown",
            u8::from(record.write == WriteStatus::Unknown),
        ),
        (
            "FindingsPublished",
            u8::from(record.finding_status() == Some(PublicationStatus::Published)),
        ),
        (
            "FindingFailures",
            u8::from(record.finding_status() == Some(PublicationStatus::Failed)),
        ),
        (
            "NotificationFailures",
            u8::from(record.notification == Notification::Failed),
        ),
        ("ColdStarts", u8::from(record.cold_start)),
    ];
    metrics.extend(record.violations.iter().map(|v| (v.code(), 1)));

    let definitions = |names: &[&str]| -> Vec<serde_json::Value> {
        names
            .iter()
            .map(|name| serde_json::json!({ "Name": name, "Unit": "Count" }))
            .collect()
    };
    let names: Vec<&str> = metrics.iter().map(|(name, _)| *name).collect();
    let mut directives = vec![serde_json::json!({
        "Namespace": METRICS_NAMESPACE,
        "Dimensions": [["enforcement_mode"]],
        "Metrics": definitions(&names),
    })];
    if record.outcome == Outcome::Skipped {
        directives.push(serde_json::json!({
            "Namespace": METRICS_NAMESPACE,
            "Dimensions": [["enforcement_mode", "reason_code"]],
            "Metrics": definitions(&["Skips"]),
        }));
        metrics.push(("Skips", 1));
    }

    let mut document = match serde_json::to_value(record) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    for (name, value) in metrics {
        document.insert(name.to_owned(), value.into());
    }
    document.insert(
        "_aws".into(),
        serde_json::json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": directives }),
    );
    serde_json::Value::Object(document)
}

/// Writes each record as one JSON line on standard output, which Lambda sends to CloudWatch
/// Logs, in Embedded Metric Format. The record is written whole, as JSON, rather than through
/// `tracing`, so that its nested `before` and `after` stay objects a Logs Insights query can
/// read, and so that the one line is both the audit trail and the metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutAudit;

impl AuditSink for StdoutAudit {
    fn record(&self, record: &AuditRecord) {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut line = match serde_json::to_vec(&emf_document(record, now_ms)) {
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
