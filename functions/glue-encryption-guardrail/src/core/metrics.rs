//! Pure core: the metrics, embedded in the audit record itself (CloudWatch Embedded Metric
//! Format), so that they cost no API call and every data point is an audit record.

use super::exemption::ExemptionState;
use super::record::{AuditRecord, Notification, Outcome, PublicationStatus, WriteStatus};

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
