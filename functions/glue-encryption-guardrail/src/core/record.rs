//! Pure core: the audit record. Every invocation ends in exactly one, which says what was found,
//! what was done and why. It is also the invocation's response, and its notification's text.

use super::action::EnforcementMode;
use super::exemption::Exemption;
use super::policy::{Violation, codes};
use super::settings::CatalogSettings;
use super::trigger::TriggerSummary;
use serde::Serialize;

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
