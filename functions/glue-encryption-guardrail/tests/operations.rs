//! Operations: exemptions, notifications and the metrics embedded in the audit record.
// Helpers outside #[test] functions state expectations the way the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use glue_encryption_guardrail::app::config::{Config, EnforcementMode};
use glue_encryption_guardrail::app::guardrail::Guardrail;
use glue_encryption_guardrail::core::exemption::ExemptionState;
use glue_encryption_guardrail::core::metrics::emf_document;
use glue_encryption_guardrail::core::record::{Notification, Outcome};
use glue_encryption_guardrail::ports::AwsError;
use glue_encryption_guardrail::ports::Clock;
use glue_encryption_guardrail::ports::Notifier;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use support::*;

const EXEMPTION: &str = "/glue-encryption-guardrail/exemption";
const DRIFT: &str = "put-encryption-disabled.json";
/// 2026-11-22T00:00:00Z.
const NOW: u64 = 1_795_305_600;

/// A clock at [`NOW`].
struct FixedClock(Instant);

impl Clock for FixedClock {
    fn now(&self) -> Instant {
        self.0
    }
    fn unix_now(&self) -> u64 {
        NOW
    }
}

#[derive(Clone, Default)]
struct RecordingNotifier {
    sent: Arc<Mutex<Vec<(String, String)>>>,
    fail: bool,
}

impl Notifier for RecordingNotifier {
    fn publish<'a>(
        &'a self,
        subject: &'a str,
        message: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>> {
        Box::pin(async move {
            self.sent
                .lock()
                .unwrap()
                .push((subject.to_owned(), message.to_owned()));
            if self.fail {
                return Err(throttled("sns:Publish"));
            }
            Ok(())
        })
    }
}

fn guardrail<'a>(
    world: &'a World,
    clock: &'a FixedClock,
    mode: EnforcementMode,
) -> Guardrail<&'a FakeCatalog, &'a FakeParameters, &'a FakeKeys, &'a MemoryAudit, &'a FixedClock> {
    let config = Config {
        enforcement_mode: mode,
        exemption_parameter: Some(EXEMPTION.into()),
        ..deployed_config()
    };
    Guardrail::new(
        config,
        REGION.into(),
        &world.catalog,
        &world.parameters,
        &world.keys,
        clock,
        &world.audit,
    )
}

fn exempt_until(world: &World, expires: &str) {
    set_exemption(
        world,
        &format!(
            r#"{{"expires":"{expires}","reason":"catalog managed by the data platform's Terraform"}}"#
        ),
    );
}

fn set_exemption(world: &World, value: &str) {
    world
        .parameters
        .values
        .lock()
        .unwrap()
        .insert(EXEMPTION.into(), value.into());
}

#[tokio::test]
async fn an_exempt_catalog_is_evaluated_and_reported_but_never_written() {
    let world = World::new(settings("DISABLED", None, false, None));
    exempt_until(&world, "2026-12-31T00:00:00Z");
    let clock = FixedClock(Instant::now());

    let record = guardrail(&world, &clock, EnforcementMode::Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();

    assert_eq!(record.outcome, Outcome::Exempt);
    assert_eq!(record.violations.len(), 2);
    assert!(
        record.reason.contains("2026-12-31T00:00:00Z"),
        "{}",
        record.reason
    );
    assert!(record.reason.contains("Terraform"), "{}", record.reason);
    assert!(world.catalog.puts().is_empty());
}

#[tokio::test]
async fn an_expired_exemption_stops_applying_by_itself() {
    let world = World::new(settings("DISABLED", None, false, None));
    exempt_until(&world, "2026-11-21T23:59:59Z");
    let clock = FixedClock(Instant::now());

    let record = guardrail(&world, &clock, EnforcementMode::Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();

    assert_eq!(record.outcome, Outcome::Remediated);
    let exemption = record.exemption.unwrap();
    assert_eq!(exemption.state, ExemptionState::Expired);
    assert_eq!(exemption.expires.as_deref(), Some("2026-11-21T23:59:59Z"));
    assert_eq!(world.catalog.puts(), vec![compliant()]);
}

/// An exemption weakens the guardrail, so one it cannot trust does not hold: the catalog is
/// remediated and the record says why the exemption was ignored.
#[tokio::test]
async fn an_exemption_that_is_malformed_too_long_or_unreadable_is_ignored_and_the_catalog_fixed() {
    type Spoil = fn(&World);
    let cases: [(&str, Spoil, &str); 4] = [
        (
            "malformed",
            |w| set_exemption(w, "until further notice"),
            "not \"none\" nor a JSON object",
        ),
        (
            "no reason",
            |w| set_exemption(w, r#"{"expires":"2026-12-01T00:00:00Z"}"#),
            "\"reason\" is missing",
        ),
        (
            "91 days",
            |w| exempt_until(w, "2027-02-21T00:00:00Z"),
            "more than 90 days from now",
        ),
        (
            "unreadable",
            |w| {
                exempt_until(w, "2026-12-31T00:00:00Z");
                *w.parameters.error.lock().unwrap() = Some(denied("ssm:GetParameter"));
            },
            "could not be read: ssm:GetParameter was denied",
        ),
    ];
    for (name, spoil, problem) in cases {
        // given a drifted catalog, a key already checked (so that only the exemption lookup
        // meets the spoiled parameter store), and an exemption the guardrail cannot trust
        let world = World::new(compliant());
        let clock = FixedClock(Instant::now());
        let g = guardrail(&world, &clock, EnforcementMode::Remediate);
        g.handle(&event(DRIFT), invocation()).await.unwrap();
        *world.catalog.settings.lock().unwrap() = Some(settings("DISABLED", None, false, None));
        spoil(&world);

        // when the drift comes in
        let record = g.handle(&event(DRIFT), invocation()).await.unwrap();

        // then the catalog is fixed, and the record says the exemption was ignored and why
        assert_eq!(record.outcome, Outcome::Remediated, "{name}");
        assert_eq!(world.catalog.puts(), vec![compliant()], "{name}");
        let exemption = record.exemption.clone().unwrap();
        assert_eq!(exemption.state, ExemptionState::Ignored, "{name}");
        let found = exemption.problem.unwrap_or_default();
        assert!(found.contains(problem), "{name}: {found}");
        assert!(
            record.reason.contains("the exemption was ignored"),
            "{name}: {}",
            record.reason
        );
        let m = metrics(&emf_document(&record, 0));
        assert_eq!(value(&m, "ExemptionsIgnored"), Some(1), "{name}");
    }
}

#[tokio::test]
async fn the_stacks_none_means_no_exemption() {
    let world = World::new(settings("DISABLED", None, false, None));
    set_exemption(&world, "none");
    let clock = FixedClock(Instant::now());

    let record = guardrail(&world, &clock, EnforcementMode::Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();

    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(record.exemption, None);
    assert!(!record.reason.contains("exemption"), "{}", record.reason);
}

#[tokio::test]
async fn exempt_drift_is_notified_like_detected_drift() {
    let world = World::new(settings("DISABLED", None, false, None));
    exempt_until(&world, "2026-12-31T00:00:00Z");
    let clock = FixedClock(Instant::now());
    let notifier = RecordingNotifier::default();
    let g = guardrail(&world, &clock, EnforcementMode::Remediate).with_notifier(notifier.clone());

    let record = g.handle(&event(DRIFT), invocation()).await.unwrap();

    assert_eq!(record.outcome, Outcome::Exempt);
    assert_eq!(record.notification, Notification::Sent);
    let sent = notifier.sent.lock().unwrap().clone();
    assert_eq!(
        sent.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        ["Glue Data Catalog 123456789012 (us-east-1): encryption drift on an exempt catalog"]
    );
    assert!(sent[0].1.contains("Terraform"), "{}", sent[0].1);
}

#[tokio::test]
async fn a_compliant_catalog_never_pays_for_the_exemption_lookup() {
    let world = World::new(compliant());
    let clock = FixedClock(Instant::now());
    let g = guardrail(&world, &clock, EnforcementMode::Remediate);
    g.handle(&event(DRIFT), invocation()).await.unwrap();
    g.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(
        world.parameters.calls(),
        1,
        "the key parameter once, no exemption lookup"
    );
}

#[tokio::test]
async fn a_remediation_is_notified_with_catalog_caller_before_after_and_event() {
    let world = World::new(settings("DISABLED", None, false, None));
    let notifier = RecordingNotifier::default();
    let g = world
        .guardrail(EnforcementMode::Remediate)
        .with_notifier(notifier.clone());

    let record = g.handle(&event(DRIFT), invocation()).await.unwrap();

    assert_eq!(record.notification, Notification::Sent);
    let sent = notifier.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let (subject, message) = &sent[0];
    assert_eq!(
        subject,
        "Glue Data Catalog 123456789012 (us-east-1): encryption drift fixed"
    );
    for expected in [
        "arn:aws:sts::123456789012:assumed-role/DataEngineer/alice",
        "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b",
        "\"catalog_encryption_mode\": \"DISABLED\"",
        "\"catalog_encryption_mode\": \"SSE-KMS\"",
        OUR_KEY,
    ] {
        assert!(
            message.contains(expected),
            "{expected} missing from:\n{message}"
        );
    }
}

#[tokio::test]
async fn detected_drift_and_failures_are_notified_and_skips_are_not() {
    let world = World::new(settings("DISABLED", None, false, None));
    let notifier = RecordingNotifier::default();
    let detect = world
        .guardrail(EnforcementMode::Detect)
        .with_notifier(notifier.clone());
    detect.handle(&event(DRIFT), invocation()).await.unwrap();
    detect
        .handle(&event("put-by-guardrail-itself.json"), invocation())
        .await
        .unwrap();
    world.parameters.values.lock().unwrap().clear();
    let failing = world
        .guardrail(EnforcementMode::Remediate)
        .with_notifier(notifier.clone());
    failing
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    let subjects: Vec<String> = notifier
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(
        subjects,
        [
            "Glue Data Catalog 123456789012 (us-east-1): encryption drift detected",
            "Glue Data Catalog 123456789012 (us-east-1): guardrail failed",
        ]
    );
}

#[tokio::test]
async fn a_failed_notification_never_stops_the_remediation() {
    let world = World::new(settings("DISABLED", None, false, None));
    let notifier = RecordingNotifier {
        fail: true,
        ..RecordingNotifier::default()
    };
    let g = world
        .guardrail(EnforcementMode::Remediate)
        .with_notifier(notifier);

    let record = g.handle(&event(DRIFT), invocation()).await.unwrap();

    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(record.notification, Notification::Failed);
    assert_eq!(world.catalog.current(), compliant());
    let doc = emf_document(&record, 0);
    assert_eq!(doc["NotificationFailures"], 1);
}

/// The metric names a document declares, with the value each has at the root.
fn metrics(doc: &Value) -> Vec<(String, Vec<Vec<String>>, u64)> {
    let mut out = Vec::new();
    for directive in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
        assert_eq!(directive["Namespace"], "GlueEncryptionGuardrail");
        let dims: Vec<Vec<String>> =
            serde_json::from_value(directive["Dimensions"].clone()).unwrap();
        for set in &dims {
            for dim in set {
                assert!(
                    doc[dim].is_string(),
                    "dimension {dim} must be a string member of the root"
                );
            }
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            assert_eq!(metric["Unit"], "Count");
            let name = metric["Name"].as_str().unwrap().to_owned();
            let value = doc[&name]
                .as_u64()
                .unwrap_or_else(|| panic!("{name} has no value at the root"));
            out.push((name, dims.clone(), value));
        }
    }
    out
}

fn value(metrics: &[(String, Vec<Vec<String>>, u64)], name: &str) -> Option<u64> {
    metrics
        .iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, _, v)| *v)
}

#[tokio::test]
async fn the_audit_record_is_a_valid_embedded_metric_document() {
    let world = World::new(settings("SSE-KMS", None, false, None));
    let g = world.guardrail(EnforcementMode::Remediate);
    let first = g.handle(&event(DRIFT), invocation()).await.unwrap();
    let second = g.handle(&event(DRIFT), invocation()).await.unwrap();

    // The document is what the sink writes: parse it back from its JSON text.
    let text = serde_json::to_string(&emf_document(&first, 1_795_305_600_000)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["_aws"]["Timestamp"], 1_795_305_600_000u64);
    assert_eq!(
        doc["outcome"], "remediated",
        "the record itself is still there"
    );
    let m = metrics(&doc);
    assert_eq!(value(&m, "Evaluations"), Some(1));
    assert_eq!(value(&m, "DriftFound"), Some(1));
    assert_eq!(value(&m, "Remediations"), Some(1));
    assert_eq!(value(&m, "RemediationFailures"), Some(0));
    assert_eq!(value(&m, "ColdStarts"), Some(1));
    assert_eq!(value(&m, "metadata_key_missing"), Some(1));
    assert_eq!(value(&m, "password_encryption_disabled"), Some(1));
    assert_eq!(value(&m, "Skips"), None);
    assert!(
        m.iter()
            .all(|(_, dims, _)| dims == &[vec!["enforcement_mode".to_owned()]])
    );

    let m = metrics(&emf_document(&second, 0));
    assert_eq!(
        value(&m, "ColdStarts"),
        Some(0),
        "only the first invocation is a cold start"
    );
    assert_eq!(value(&m, "DriftFound"), Some(0));
}

#[tokio::test]
async fn skips_are_counted_by_reason_and_failures_by_kind() {
    let world = World::new(settings("DISABLED", None, false, None));
    let g = world.guardrail(EnforcementMode::Remediate);
    let skip = g
        .handle(&event("put-by-guardrail-itself.json"), invocation())
        .await
        .unwrap();
    let m = metrics(&emf_document(&skip, 0));
    assert_eq!(value(&m, "Skips"), Some(1));
    assert_eq!(value(&m, "Evaluations"), Some(0));
    let skips = m.iter().find(|(n, _, _)| n == "Skips").unwrap();
    assert_eq!(
        skips.1,
        vec![vec![
            "enforcement_mode".to_owned(),
            "reason_code".to_owned()
        ]]
    );

    *world.catalog.put_error.lock().unwrap() =
        Some(denied("glue:PutDataCatalogEncryptionSettings"));
    g.handle(&event(DRIFT), invocation()).await.unwrap_err();
    let failed = world.audit.records().pop().unwrap();
    let m = metrics(&emf_document(&failed, 0));
    assert_eq!(value(&m, "Failures"), Some(1));
    assert_eq!(value(&m, "RemediationFailures"), Some(1));
    assert_eq!(value(&m, "Remediations"), Some(0));
}

#[tokio::test]
async fn exemptions_are_counted() {
    let world = World::new(settings("DISABLED", None, false, None));
    exempt_until(&world, "2026-12-31T00:00:00Z");
    let clock = FixedClock(Instant::now());
    let record = guardrail(&world, &clock, EnforcementMode::Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();
    let m = metrics(&emf_document(&record, 0));
    assert_eq!(value(&m, "Exemptions"), Some(1));
    assert_eq!(value(&m, "ExemptionsIgnored"), Some(0));
    assert_eq!(value(&m, "DriftFound"), Some(1));
}
