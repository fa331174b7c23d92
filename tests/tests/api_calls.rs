//! The AWS calls the guardrail makes per event, counted at the SDK by an interceptor on its
//! own clients, against moto's server. Each call is latency, money and throttling budget
//! shared with the customer's own workloads, so these counts are exact, not upper bounds.
//!
//! "Warm" means the same guardrail handled an event before, so its key cache (the SSM
//! parameter and the `kms:DescribeKey` answer) is fresh; "cold" means a new guardrail, as
//! after a cold start.

use glue_encryption_guardrail::audit::Outcome;
use glue_encryption_guardrail::config::EnforcementMode::{self, Detect, Remediate};
use guardrail_system_tests::*;

const GET: &str = "glue:GetDataCatalogEncryptionSettings";
const PUT: &str = "glue:PutDataCatalogEncryptionSettings";
const PARAMETER_READ: &str = "ssm:GetParameter";
const DESCRIBE_KEY: &str = "kms:DescribeKey";

/// The calls one operation list adds up to, per operation.
fn calls(operations: &[&str]) -> std::collections::BTreeMap<String, usize> {
    let mut calls = std::collections::BTreeMap::new();
    for operation in operations {
        *calls.entry((*operation).to_owned()).or_insert(0) += 1;
    }
    calls
}

/// An emulator holding the guardrail's key and parameter, and the key's ARN.
async fn seeded() -> Result<(Emulator, String), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    Ok((emulator, key))
}

/// Handles `file` with `guardrail` and returns the outcome and the calls it made; the
/// counter is left at zero.
async fn handle(
    guardrail: &EmulatedGuardrail<'_>,
    counter: &CallCounter,
    file: &str,
) -> Result<(Outcome, CallCounts), Error> {
    let record = guardrail.handle(&event(file)?, invocation()).await?;
    Ok((record.outcome, counter.take()))
}

/// A guardrail that has already handled one event on a compliant catalog, so its key cache
/// is warm; the counter starts at zero.
async fn warm<'a>(
    emulator: &Emulator,
    key: &str,
    mode: EnforcementMode,
    audit: &'a RecordingAudit,
    counter: &CallCounter,
) -> Result<EmulatedGuardrail<'a>, Error> {
    emulator.set_catalog(&compliant(key)).await?;
    let guardrail = emulator.counted_guardrail(mode, audit, counter);
    let (outcome, _) = handle(&guardrail, counter, "put-compliant.json").await?;
    assert_eq!(outcome, Outcome::Compliant);
    Ok(guardrail)
}

#[tokio::test]
async fn skipped_events_make_no_aws_call_even_on_a_cold_start() -> Result<(), Error> {
    let (emulator, key) = seeded().await?;
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = emulator.counted_guardrail(Remediate, &audit, &counter);

    for file in [
        "put-by-guardrail-itself.json",
        "put-failed-access-denied.json",
        "unrelated-glue-create-database.json",
    ] {
        let (outcome, counts) = handle(&guardrail, &counter, file).await?;
        assert_eq!(outcome, Outcome::Skipped, "{file}");
        assert_eq!(counts, CallCounts::default(), "{file}");
    }
    Ok(())
}

#[tokio::test]
async fn a_compliant_catalog_costs_one_read_when_warm() -> Result<(), Error> {
    let (emulator, key) = seeded().await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = warm(&emulator, &key, Remediate, &audit, &counter).await?;

    let (outcome, counts) = handle(&guardrail, &counter, "put-compliant.json").await?;

    assert_eq!(outcome, Outcome::Compliant);
    assert_eq!(counts.calls, calls(&[GET]));
    assert_eq!(counts.attempts, counts.calls);
    Ok(())
}

#[tokio::test]
async fn drift_costs_a_read_a_write_and_a_read_back_when_warm() -> Result<(), Error> {
    let (emulator, key) = seeded().await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = warm(&emulator, &key, Remediate, &audit, &counter).await?;
    let event = event("put-encryption-disabled.json")?;
    emulator.apply_request(&event, &key).await?;

    let (outcome, counts) = handle(&guardrail, &counter, "put-encryption-disabled.json").await?;

    assert_eq!(outcome, Outcome::Remediated);
    assert_eq!(counts.calls, calls(&[GET, PUT, GET]));
    assert_eq!(counts.attempts, counts.calls);
    Ok(())
}

#[tokio::test]
async fn a_cold_start_adds_one_parameter_read_and_one_key_lookup_to_drift() -> Result<(), Error> {
    let (emulator, key) = seeded().await?;
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = emulator.counted_guardrail(Remediate, &audit, &counter);

    let (outcome, counts) = handle(&guardrail, &counter, "put-encryption-disabled.json").await?;

    assert_eq!(outcome, Outcome::Remediated);
    assert_eq!(
        counts.calls,
        calls(&[PARAMETER_READ, DESCRIBE_KEY, GET, PUT, GET])
    );
    assert_eq!(counts.attempts, counts.calls);
    Ok(())
}

#[tokio::test]
async fn a_scheduled_tick_on_a_cold_start_reads_the_catalog_parameter_and_key() -> Result<(), Error>
{
    let (emulator, key) = seeded().await?;
    emulator.set_catalog(&compliant(&key)).await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = emulator.counted_guardrail(Remediate, &audit, &counter);

    let (outcome, counts) = handle(&guardrail, &counter, "scheduled-reconcile.json").await?;

    assert_eq!(outcome, Outcome::Compliant);
    assert_eq!(counts.calls, calls(&[PARAMETER_READ, DESCRIBE_KEY, GET]));
    assert_eq!(counts.attempts, counts.calls);
    Ok(())
}

#[tokio::test]
async fn detect_mode_reads_drift_once_and_writes_nothing() -> Result<(), Error> {
    let (emulator, key) = seeded().await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = warm(&emulator, &key, Detect, &audit, &counter).await?;
    let event = event("put-encryption-disabled.json")?;
    emulator.apply_request(&event, &key).await?;

    let (outcome, counts) = handle(&guardrail, &counter, "put-encryption-disabled.json").await?;

    assert_eq!(outcome, Outcome::DriftDetected);
    assert_eq!(counts.calls, calls(&[GET]));
    assert_eq!(counts.attempts, counts.calls);
    Ok(())
}

#[tokio::test]
async fn a_key_named_by_alias_in_the_catalog_is_looked_up_once_per_ttl() -> Result<(), Error> {
    // given a compliant catalog whose at-rest key is named by an alias of our key
    let (emulator, key) = seeded().await?;
    emulator.create_alias("alias/glue-catalog", &key).await?;
    let mut settings = compliant(&key);
    settings.encryption_at_rest.sse_aws_kms_key_id = Some("alias/glue-catalog".into());
    emulator.set_catalog(&settings).await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = emulator.counted_guardrail(Remediate, &audit, &counter);

    // when it handles two ticks
    let (first, cold) = handle(&guardrail, &counter, "scheduled-reconcile.json").await?;
    let (second, warm) = handle(&guardrail, &counter, "scheduled-reconcile.json").await?;

    // then the alias costs one DescribeKey, on the first tick only
    assert_eq!((first, second), (Outcome::Compliant, Outcome::Compliant));
    assert_eq!(
        cold.calls,
        calls(&[GET, PARAMETER_READ, DESCRIBE_KEY, DESCRIBE_KEY])
    );
    assert_eq!(warm.calls, calls(&[GET]));
    Ok(())
}
