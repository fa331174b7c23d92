//! Loops and storms, with the in-memory fakes counting every AWS call: the guardrail's own
//! events cost nothing, repeated and piled-up drift costs one write, and concurrent
//! invocations (one instance or several, with other writers in between) end compliant.

// A test states its expectations with unwrap, expect and panic (see clippy.toml); clippy does not
// count the helper functions outside `#[test]` as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use glue_encryption_guardrail::app::config::EnforcementMode::Remediate;
use glue_encryption_guardrail::app::error::GuardrailError;
use glue_encryption_guardrail::app::guardrail::Guardrail;
use glue_encryption_guardrail::core::record::{AuditRecord, Outcome, WriteStatus};
use glue_encryption_guardrail::core::settings::{CatalogEncryptionMode, CatalogSettings};
use serde_json::Value;
use support::*;

const DRIFT: &str = "put-encryption-disabled.json";

fn disabled() -> CatalogSettings {
    settings("DISABLED", None, false, None)
}

/// Every kind of drift, and what the catalog must look like once it is fixed.
fn drifts() -> Vec<(&'static str, CatalogSettings)> {
    let mut service_role = settings(
        "SSE-KMS-WITH-SERVICE-ROLE",
        Some(OTHER_KEY),
        true,
        Some(OUR_KEY),
    );
    service_role
        .encryption_at_rest
        .catalog_encryption_service_role =
        Some("arn:aws:iam::123456789012:role/GlueKeyUser".into());
    vec![
        ("disabled", disabled()),
        (
            "passwords off",
            settings("SSE-KMS", Some(OUR_KEY), false, None),
        ),
        (
            "SSE-KMS without a key",
            settings("SSE-KMS", None, true, Some(OUR_KEY)),
        ),
        (
            "another customer key",
            settings("SSE-KMS", Some(OTHER_KEY), true, Some(OTHER_KEY)),
        ),
        (
            "the AWS managed key",
            settings("SSE-KMS", Some("alias/aws/glue"), true, Some(OUR_KEY)),
        ),
        (
            "a wrong-case mode",
            settings("sse-kms", Some(OUR_KEY), true, Some(OUR_KEY)),
        ),
        ("the service-role mode with another key", service_role),
    ]
}

/// Compliant in the sense the policy means (no service role configured): SSE-KMS and our key's
/// ARN in both.
fn is_compliant(s: &CatalogSettings) -> bool {
    s.encryption_at_rest.catalog_encryption_mode == CatalogEncryptionMode::SseKms
        && s.encryption_at_rest.sse_aws_kms_key_id.as_deref() == Some(OUR_KEY)
        && s.connection_password_encryption
            .return_connection_password_encrypted
        && s.connection_password_encryption.aws_kms_key_id.as_deref() == Some(OUR_KEY)
}

fn outcomes(records: &[AuditRecord]) -> Vec<Outcome> {
    records.iter().map(|r| r.outcome).collect()
}

fn count(records: &[AuditRecord], outcome: Outcome) -> usize {
    records.iter().filter(|r| r.outcome == outcome).count()
}

#[tokio::test]
async fn a_burst_of_a_thousand_own_write_events_costs_no_aws_call() {
    // given: a drifted catalog, and the guardrail's own events in every shape it might see
    // them: its write, its write of other settings, and other events from its role
    let world = World::new(disabled());
    let guardrail = world.guardrail(Remediate);
    let own = event("put-by-guardrail-itself.json");
    let mut shapes = vec![own.clone()];
    let mut disabling = own.clone();
    disabling["detail"]["requestParameters"]["dataCatalogEncryptionSettings"]["encryptionAtRest"]
        ["catalogEncryptionMode"] = "DISABLED".into();
    shapes.push(disabling);
    for other in [
        "unrelated-glue-create-database.json",
        "scheduled-reconcile.json",
    ] {
        let mut e = event(other);
        e["detail"]["userIdentity"] = own["detail"]["userIdentity"].clone();
        shapes.push(e);
    }

    // when
    for i in 0..1000 {
        let mut e = shapes[i % shapes.len()].clone();
        e["detail"]["eventID"] = Value::from(format!("own-{i}"));
        let record = guardrail.handle(&e, invocation()).await.unwrap();
        assert_eq!(
            (record.outcome, record.reason_code),
            (Outcome::Skipped, "own_write"),
            "event {i}"
        );
    }

    // then: not one call to Glue, SSM or KMS, and one record per event
    assert_eq!(world.aws_calls(), 0);
    assert_eq!(world.catalog.gets(), 0);
    assert!(world.catalog.puts().is_empty());
    assert_eq!(world.audit.records().len(), 1000);
    assert_eq!(
        world.catalog.current(),
        disabled(),
        "left for a real trigger"
    );
}

#[tokio::test]
async fn the_same_drift_event_delivered_fifty_times_is_fixed_with_one_write() {
    let world = World::new(disabled());
    let guardrail = world.guardrail(Remediate);
    let drift = event(DRIFT);

    for _ in 0..50 {
        guardrail.handle(&drift, invocation()).await.unwrap();
    }

    let records = world.audit.records();
    assert_eq!(count(&records, Outcome::Remediated), 1);
    assert_eq!(count(&records, Outcome::Compliant), 49);
    assert_eq!(records[0].outcome, Outcome::Remediated);
    assert_eq!(world.catalog.puts(), vec![compliant()], "one write");
    // reads: 50 looks and one read-back; the key is resolved once and cached
    assert_eq!(world.catalog.gets(), 51);
    assert_eq!(world.parameters.calls(), 1);
    assert_eq!(world.keys.calls(), 1);
    assert_eq!(world.aws_calls(), 51 + 1 + 1 + 1);
}

#[tokio::test]
async fn each_drift_between_invocations_is_fixed_with_one_write() {
    let world = World::new(compliant());
    let guardrail = world.guardrail(Remediate);

    for (i, (name, drift)) in drifts().into_iter().enumerate() {
        // given: someone drifts the catalog
        *world.catalog.settings.lock().unwrap() = Some(drift.clone());

        // when: their event arrives, twice
        let first = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
        let again = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();

        // then: one write fixes it, and the duplicate finds nothing to do
        assert_eq!(first.outcome, Outcome::Remediated, "{name}");
        assert_eq!(again.outcome, Outcome::Compliant, "{name}");
        assert_eq!(world.catalog.puts().len(), i + 1, "{name}: one write");
        assert!(is_compliant(&world.catalog.current()), "{name}");
    }
    // one parameter read for all of them, and one key check per write: the cold start's,
    // then a fresh one right before each later write
    assert_eq!(world.parameters.calls(), 1);
    assert_eq!(world.keys.calls(), drifts().len());
}

#[tokio::test]
async fn several_drifts_at_once_then_their_events_cost_one_write() {
    // given: several writes land before the first of their events is handled
    let world = World::new(compliant());
    let guardrail = world.guardrail(Remediate);
    for (_, drift) in drifts() {
        *world.catalog.settings.lock().unwrap() = Some(drift);
    }
    let events = [
        "put-encryption-disabled.json",
        "put-password-encryption-off.json",
        "put-other-customer-key.json",
        "put-sse-kms-without-key.json",
        "put-compliant.json",
        "put-encryption-disabled.json",
        "put-other-customer-key.json",
    ];

    // when: their events arrive, out of order and one of them twice
    for file in events {
        guardrail.handle(&event(file), invocation()).await.unwrap();
    }

    // then: the catalog as it is, not as each request asked, decides; one write fixes it
    let records = world.audit.records();
    assert_eq!(
        outcomes(&records),
        [vec![Outcome::Remediated], vec![Outcome::Compliant; 6]].concat()
    );
    assert_eq!(world.catalog.puts().len(), 1);
    assert!(is_compliant(&world.catalog.current()));
}

#[tokio::test]
async fn concurrent_invocations_of_one_instance_end_compliant_with_at_most_one_write_each() {
    // given: eight deliveries of a drift event, handled concurrently by one instance whose
    // catalog calls interleave
    const N: usize = 8;
    let world = World::new(disabled());
    let guardrail = world.instance(Interleaved(&world.catalog));
    let drift = event(DRIFT);

    // when
    let results = join_all(
        (0..N)
            .map(|_| guardrail.handle(&drift, invocation()))
            .collect(),
    )
    .await;

    // then: all succeed, the catalog is compliant, and the writes are bounded. The bound is N:
    // an invocation writes at most once, and only when its own read saw drift; with every read
    // interleaved before the first write lands, all N may write (the same settings), which is
    // the worst case and what this interleaving produces.
    let records: Vec<AuditRecord> = results.into_iter().map(Result::unwrap).collect();
    let puts = world.catalog.puts();
    assert!((1..=N).contains(&puts.len()), "{} writes", puts.len());
    assert!(
        puts.len() > 1,
        "the interleaving must let reads race the first write, or this proves nothing"
    );
    assert!(
        puts.iter().all(|p| *p == compliant()),
        "only the fix is written"
    );
    assert_eq!(
        puts.len(),
        records
            .iter()
            .filter(|r| r.write == WriteStatus::Confirmed)
            .count()
    );
    assert!(
        records
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Remediated | Outcome::Compliant))
    );
    assert!(is_compliant(&world.catalog.current()));

    // and once they are done, the next look writes nothing
    let next = guardrail.handle(&drift, invocation()).await.unwrap();
    assert_eq!(next.outcome, Outcome::Compliant);
    assert_eq!(world.catalog.puts().len(), puts.len());
}

/// A guardrail instance whose catalog calls interleave with others'.
type Instance<'a> = Guardrail<
    Interleaved<'a, FakeCatalog>,
    &'a FakeParameters,
    &'a FakeKeys,
    &'a MemoryAudit,
    &'a ManualClock,
>;

/// Another writer: waits `delay` scheduler turns, drifts the catalog, and then (as EventBridge
/// would) triggers `instance` with its event; a failed invocation is retried twice, as Lambda
/// retries an asynchronous invocation.
async fn writer(
    world: &World,
    instance: &Instance<'_>,
    delay: usize,
    drift: CatalogSettings,
) -> Vec<Result<AuditRecord, GuardrailError>> {
    for _ in 0..delay {
        tokio::task::yield_now().await;
    }
    *world.catalog.settings.lock().unwrap() = Some(drift);
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let result = instance.handle(&event(DRIFT), invocation()).await;
        let done = result.is_ok();
        attempts.push(result);
        if done {
            break;
        }
    }
    attempts
}

#[tokio::test]
async fn several_instances_and_other_writers_interleaved_leave_the_catalog_compliant() {
    // given: three instances (each with its own key cache) sharing one catalog, and seven other
    // writers, each drifting the catalog at a different moment and then triggering an instance
    let world = World::new(compliant());
    let instances = [
        world.instance(Interleaved(&world.catalog)),
        world.instance(Interleaved(&world.catalog)),
        world.instance(Interleaved(&world.catalog)),
    ];
    let writers: Vec<_> = drifts()
        .into_iter()
        .enumerate()
        .map(|(i, (_, drift))| writer(&world, &instances[i % 3], i * 3 % 7, drift))
        .collect();

    // when
    let attempts: Vec<_> = join_all(writers).await.into_iter().flatten().collect();

    // then: every failure was a concurrent write seen by the read-back (transient), and every
    // writer's trigger ended in success within Lambda's two retries
    let invocations = attempts.len();
    for result in &attempts {
        if let Err(e) = result {
            assert!(
                matches!(e, GuardrailError::VerificationFailed { .. }) && e.is_transient(),
                "{e}"
            );
        }
    }
    assert_eq!(attempts.iter().filter(|r| r.is_ok()).count(), 7);
    assert!(
        invocations > 7,
        "the interleaving must overwrite at least one fix before its read-back"
    );
    // the last write is always a fix: each drift is followed by a read that sees it
    assert!(
        is_compliant(&world.catalog.current()),
        "{:?}",
        world.catalog.current()
    );
    // bounded: at most one write per invocation (retries included), at least one in all
    let puts = world.catalog.puts();
    assert!(
        (1..=invocations).contains(&puts.len()),
        "{} writes in {invocations} invocations",
        puts.len()
    );
    assert!(puts.iter().all(is_compliant));
    let records = world.audit.records();
    assert_eq!(
        records.len(),
        invocations,
        "one audit record per invocation"
    );
    assert_eq!(
        puts.len(),
        records
            .iter()
            .filter(|r| r.write == WriteStatus::Confirmed)
            .count()
    );

    // and a scheduled reconcile afterwards finds nothing to do
    let before = puts.len();
    let tick = instances[0]
        .handle(&event("scheduled-reconcile.json"), invocation())
        .await
        .unwrap();
    assert_eq!(tick.outcome, Outcome::Compliant);
    assert_eq!(world.catalog.puts().len(), before);
}
