//! Security Hub findings, with an in-memory hub: one finding per catalog, upserted after every
//! verdict, its first sighting kept, and never at the catalog's expense.

// Helpers outside #[test] functions state expectations the way the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use glue_encryption_guardrail::app::config::EnforcementMode::{self, Detect, Remediate};
use glue_encryption_guardrail::app::guardrail::Guardrail;
use glue_encryption_guardrail::core::metrics::emf_document;
use glue_encryption_guardrail::core::record::{Notification, Outcome, PublicationStatus};
use glue_encryption_guardrail::ports::Notifier;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const DRIFT: &str = "put-encryption-disabled.json";

type HubGuardrail<'a> =
    Guardrail<&'a FakeCatalog, &'a FakeParameters, &'a FakeKeys, &'a MemoryAudit, &'a ManualClock>;

fn with_hub<'a>(world: &'a World, hub: &Arc<FakeHub>, mode: EnforcementMode) -> HubGuardrail<'a> {
    world.guardrail(mode).with_findings(Arc::clone(hub))
}

#[tokio::test]
async fn without_the_switch_no_finding_is_published() {
    let world = World::new(settings("DISABLED", None, false, None));
    let record = world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();
    assert_eq!(record.security_hub, None);
    let json = serde_json::to_value(&record).unwrap();
    assert!(json.get("security_hub").is_none());
    assert_eq!(emf_document(&record, 0)["FindingsPublished"], 0);
}

#[tokio::test]
async fn detected_drift_is_one_failed_finding_and_the_fix_turns_it_passed() {
    // given a drifted catalog and the guardrail in detect mode
    let world = World::new(settings("DISABLED", None, false, None));
    let hub = Arc::new(FakeHub::default());
    let detect = with_hub(&world, &hub, Detect);

    // when it reports the drift
    let record = detect.handle(&event(DRIFT), invocation()).await.unwrap();

    // then one FAILED finding, HIGH, names the catalog and the violations
    assert_eq!(record.outcome, Outcome::DriftDetected);
    let published = record.security_hub.unwrap();
    assert_eq!(
        (published.status, published.compliance),
        (PublicationStatus::Published, "FAILED")
    );
    let failed = hub.the_finding();
    assert_eq!((failed.compliance, failed.severity), ("FAILED", "HIGH"));
    assert_eq!(
        failed.resource_id,
        "arn:aws:glue:us-east-1:123456789012:catalog"
    );
    assert!(failed.product_fields.contains(&(
        "glue-encryption-guardrail/violations".into(),
        "metadata_encryption_disabled, password_encryption_disabled".into()
    )));

    // and when remediate mode fixes it, the same finding turns PASSED, first sighting kept
    world.clock.advance(Duration::from_secs(60));
    let fix = with_hub(&world, &hub, Remediate);
    let record = fix.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(record.outcome, Outcome::Remediated);
    let passed = hub.the_finding();
    assert_eq!(passed.id, failed.id);
    assert_eq!(
        (passed.compliance, passed.severity),
        ("PASSED", "INFORMATIONAL")
    );
    assert_eq!(passed.created_at, failed.created_at);
    assert_eq!(passed.first_observed_at, failed.first_observed_at);
}

#[tokio::test]
async fn repeated_evaluations_keep_one_finding_read_once_and_moving_forward() {
    let world = World::new(compliant());
    let hub = Arc::new(FakeHub::default());
    let guardrail = with_hub(&world, &hub, Remediate);

    let mut updates = Vec::new();
    for _ in 0..5 {
        guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
        updates.push(hub.the_finding().updated_at);
    }

    let finding = hub.the_finding();
    assert_eq!(hub.imports(), 5);
    assert_eq!(
        hub.reads(),
        1,
        "the finding is read once per execution environment"
    );
    assert_eq!(finding.created_at, finding.first_observed_at);
    assert!(
        updates.windows(2).all(|w| w[0] < w[1]),
        "UpdatedAt strictly increases: {updates:?}"
    );
    assert!(finding.created_at <= updates[0]);

    // A new execution environment finds the finding and keeps its first sighting.
    let created = finding.created_at.clone();
    let cold = with_hub(&world, &hub, Remediate);
    cold.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(hub.reads(), 2);
    assert_eq!(hub.the_finding().created_at, created);
}

#[tokio::test]
async fn skips_publish_nothing() {
    let world = World::new(compliant());
    let hub = Arc::new(FakeHub::default());
    let record = with_hub(&world, &hub, Remediate)
        .handle(&event("put-by-guardrail-itself.json"), invocation())
        .await
        .unwrap();
    assert_eq!(record.outcome, Outcome::Skipped);
    assert_eq!((hub.reads(), hub.imports()), (0, 0));
}

#[derive(Clone, Default)]
struct Subjects(Arc<Mutex<Vec<String>>>);

impl Notifier for Subjects {
    fn publish<'a>(
        &'a self,
        subject: &'a str,
        _message: &'a str,
    ) -> Pin<
        Box<
            dyn Future<Output = Result<(), glue_encryption_guardrail::ports::AwsError>> + Send + 'a,
        >,
    > {
        Box::pin(async move {
            self.0.lock().unwrap().push(subject.to_owned());
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_refused_publish_never_stops_the_remediation_and_is_told() {
    // given Security Hub refusing (not enabled in the account, say)
    let world = World::new(settings("DISABLED", None, false, None));
    let hub = Arc::new(FakeHub::default());
    *hub.error.lock().unwrap() = Some(denied("securityhub:GetFindings"));
    let subjects = Subjects::default();
    let guardrail = with_hub(&world, &hub, Remediate).with_notifier(subjects.clone());

    // when a drift is fixed, and later a compliant catalog is seen
    let fixed = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    let compliant_record = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();

    // then the fix stands, the failure is recorded, counted and notified
    assert_eq!(fixed.outcome, Outcome::Remediated);
    assert_eq!(world.catalog.current(), compliant());
    let publication = fixed.security_hub.clone().unwrap();
    assert_eq!(publication.status, PublicationStatus::Failed);
    assert!(
        publication
            .error
            .as_deref()
            .is_some_and(|e| e.contains("securityhub:GetFindings was denied")),
        "{publication:?}"
    );
    assert_eq!(emf_document(&fixed, 0)["FindingFailures"], 1);
    assert_eq!(compliant_record.outcome, Outcome::Compliant);
    assert_eq!(compliant_record.notification, Notification::Sent);
    assert_eq!(
        *subjects.0.lock().unwrap(),
        [
            "Glue Data Catalog 123456789012 (us-east-1): encryption drift fixed",
            "Glue Data Catalog 123456789012 (us-east-1): Security Hub finding not published",
        ]
    );
}

#[tokio::test]
async fn a_failure_no_retry_fixes_is_not_available_and_a_passing_one_publishes_nothing() {
    // a missing parameter: nobody can evaluate the catalog until someone fixes the stack
    let world = World::new(settings("DISABLED", None, false, None));
    world.parameters.values.lock().unwrap().clear();
    let hub = Arc::new(FakeHub::default());
    with_hub(&world, &hub, Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    let finding = hub.the_finding();
    assert_eq!(
        (finding.compliance, finding.severity),
        ("NOT_AVAILABLE", "MEDIUM")
    );

    // throttling: the retry will tell; the finding keeps its last verdict meanwhile
    let world = World::new(compliant());
    world
        .catalog
        .get_errors
        .lock()
        .unwrap()
        .push_back(throttled("glue:GetDataCatalogEncryptionSettings"));
    let hub = Arc::new(FakeHub::default());
    let record = with_hub(&world, &hub, Remediate)
        .handle(&event(DRIFT), invocation())
        .await;
    assert!(record.is_err());
    assert_eq!((hub.reads(), hub.imports()), (0, 0));
}

#[tokio::test]
async fn an_exempt_catalog_stays_failed() {
    /// 2026-11-22T00:00:00Z, for an exemption until the end of the year.
    struct November;
    impl glue_encryption_guardrail::ports::Clock for November {
        fn now(&self) -> std::time::Instant {
            std::time::Instant::now()
        }
        fn unix_now(&self) -> u64 {
            1_795_305_600
        }
    }
    let world = World::new(settings("DISABLED", None, false, None));
    world.parameters.values.lock().unwrap().insert(
        "/glue-encryption-guardrail/exemption".into(),
        r#"{"expires":"2026-12-31T00:00:00Z","reason":"Terraform owns it"}"#.into(),
    );
    let hub = Arc::new(FakeHub::default());
    let config = glue_encryption_guardrail::app::config::Config {
        exemption_parameter: Some("/glue-encryption-guardrail/exemption".into()),
        ..deployed_config()
    };
    let guardrail = Guardrail::new(
        config,
        REGION.into(),
        &world.catalog,
        &world.parameters,
        &world.keys,
        November,
        &world.audit,
    )
    .with_findings(Arc::clone(&hub));
    let record = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(record.outcome, Outcome::Exempt);
    assert_eq!(hub.the_finding().compliance, "FAILED");
}
