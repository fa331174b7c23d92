//! The AWS calls the guardrail makes per event, counted at the SDK by an interceptor on its
//! own clients, against moto's server. Each call is latency, money and throttling budget
//! shared with the customer's own workloads, so these counts are exact, not upper bounds.
//!
//! "Warm" means the same guardrail handled a drift before, so its cache (the key parameter, the
//! `kms:DescribeKey` answer and the exemption parameter) is fresh; "cold" means a new
//! guardrail, as after a cold start. The guardrail is configured as the template configures it,
//! exemption parameter included.

use glue_encryption_guardrail::app::config::EnforcementMode::{self, Detect, Remediate};
use glue_encryption_guardrail::core::record::Outcome;
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

/// A guardrail that has already handled a drift, so its cache is warm, and a compliant
/// catalog; the counter starts at zero.
async fn warm<'a>(
    emulator: &Emulator,
    key: &str,
    mode: EnforcementMode,
    audit: &'a RecordingAudit,
    counter: &CallCounter,
) -> Result<EmulatedGuardrail<'a>, Error> {
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, key)
        .await?;
    let guardrail = emulator.counted_guardrail(mode, audit, counter);
    let (outcome, _) = handle(&guardrail, counter, "put-encryption-disabled.json").await?;
    assert_ne!(outcome, Outcome::Compliant);
    emulator.set_catalog(&compliant(key)).await?;
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
async fn the_first_drift_after_the_cache_window_also_reads_the_exemption() -> Result<(), Error> {
    // given a guardrail warmed on a compliant catalog only: it never needed the exemption
    let (emulator, key) = seeded().await?;
    emulator.set_catalog(&compliant(&key)).await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = emulator.counted_guardrail(Remediate, &audit, &counter);
    handle(&guardrail, &counter, "put-compliant.json").await?;
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;

    // when a drift comes in
    let (outcome, counts) = handle(&guardrail, &counter, "put-encryption-disabled.json").await?;

    // then it costs the exemption parameter on top of the warm drift's four calls
    assert_eq!(outcome, Outcome::Remediated);
    assert_eq!(
        counts.calls,
        calls(&[GET, PARAMETER_READ, DESCRIBE_KEY, PUT, GET])
    );
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
async fn drift_costs_a_read_a_key_check_a_write_and_a_read_back_when_warm() -> Result<(), Error> {
    let (emulator, key) = seeded().await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = warm(&emulator, &key, Remediate, &audit, &counter).await?;
    let event = event("put-encryption-disabled.json")?;
    emulator.apply_request(&event, &key).await?;

    let (outcome, counts) = handle(&guardrail, &counter, "put-encryption-disabled.json").await?;

    // The cached key is described again right before the write: it may have been disabled
    // or scheduled for deletion since.
    assert_eq!(outcome, Outcome::Remediated);
    assert_eq!(counts.calls, calls(&[GET, DESCRIBE_KEY, PUT, GET]));
    assert_eq!(counts.attempts, counts.calls);
    Ok(())
}

#[tokio::test]
async fn a_cold_start_adds_the_parameters_and_one_key_lookup_to_drift() -> Result<(), Error> {
    let (emulator, key) = seeded().await?;
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = emulator.counted_guardrail(Remediate, &audit, &counter);

    let (outcome, counts) = handle(&guardrail, &counter, "put-encryption-disabled.json").await?;

    assert_eq!(outcome, Outcome::Remediated);
    // The key parameter, then (for drift only) the exemption parameter; the key described
    // during the invocation needs no second look before the write.
    assert_eq!(
        counts.calls,
        calls(&[PARAMETER_READ, PARAMETER_READ, DESCRIBE_KEY, GET, PUT, GET])
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
async fn a_key_named_by_alias_in_the_catalog_is_never_looked_up() -> Result<(), Error> {
    // given a warm guardrail, and a catalog that names our key by an alias
    let (emulator, key) = seeded().await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = warm(&emulator, &key, Remediate, &audit, &counter).await?;
    emulator.create_alias("alias/glue-catalog", &key).await?;
    let mut settings = compliant(&key);
    settings.encryption_at_rest.sse_aws_kms_key_id = Some("alias/glue-catalog".into());
    emulator.set_catalog(&settings).await?;

    // when a tick looks
    let (outcome, counts) = handle(&guardrail, &counter, "scheduled-reconcile.json").await?;

    // then the alias is drift judged from its text: the one DescribeKey is the key check
    // before the write, on the key ARN
    assert_eq!(outcome, Outcome::Remediated);
    assert_eq!(counts.calls, calls(&[GET, DESCRIBE_KEY, PUT, GET]));
    let described: Vec<_> = emulator
        .requests
        .requests()
        .into_iter()
        .filter(|r| r.action == DESCRIBE_KEY)
        .map(|r| r.resource)
        .collect();
    assert_eq!(described, [key]);
    Ok(())
}

const IMPORT: &str = "securityhub:BatchImportFindings";
const FINDING_READ: &str = "securityhub:GetFindings";

#[tokio::test]
async fn with_findings_on_a_verdict_costs_one_import_more_and_a_first_read_per_environment()
-> Result<(), Error> {
    // given a drifted catalog and a new guardrail with Security Hub findings on
    let (emulator, key) = seeded().await?;
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;
    let audit = RecordingAudit::default();
    let counter = CallCounter::default();
    let guardrail = emulator.counted_guardrail_with_findings(Remediate, &audit, &counter);

    // cold: the finding is read once, to keep its first sighting
    let (outcome, cold) = handle(&guardrail, &counter, "put-encryption-disabled.json").await?;
    assert_eq!(outcome, Outcome::Remediated);
    assert_eq!(
        cold.calls,
        calls(&[
            GET,
            PARAMETER_READ,
            DESCRIBE_KEY,
            PARAMETER_READ,
            PUT,
            GET,
            FINDING_READ,
            IMPORT
        ])
    );

    // warm and compliant: the read of the catalog and the import
    let (outcome, compliant) = handle(&guardrail, &counter, "put-compliant.json").await?;
    assert_eq!(outcome, Outcome::Compliant);
    assert_eq!(compliant.calls, calls(&[GET, IMPORT]));

    // warm drift: the four calls of a fix and the import
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;
    let (outcome, drift) = handle(&guardrail, &counter, "put-encryption-disabled.json").await?;
    assert_eq!(outcome, Outcome::Remediated);
    assert_eq!(drift.calls, calls(&[GET, DESCRIBE_KEY, PUT, GET, IMPORT]));
    Ok(())
}
