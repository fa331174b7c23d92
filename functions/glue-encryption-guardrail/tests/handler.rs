//! The handler, wired to in-memory fakes: what it reads, what it writes, what it records.

mod support;

use glue_encryption_guardrail::app::config::Config;
use glue_encryption_guardrail::app::config::EnforcementMode::{Detect, Remediate};
use glue_encryption_guardrail::app::error::GuardrailError;
use glue_encryption_guardrail::app::guardrail::{DEADLINE_MARGIN, Invocation};
use glue_encryption_guardrail::core::metrics::emf_document;
use glue_encryption_guardrail::core::policy::Violation;
use glue_encryption_guardrail::core::record::{Outcome, WriteStatus};
use glue_encryption_guardrail::core::settings::CatalogEncryptionMode;
use glue_encryption_guardrail::ports::{AwsError, AwsErrorKind};
use std::time::Duration;
use support::*;

const DRIFT: &str = "put-encryption-disabled.json";

type Spoil = fn(&mut glue_encryption_guardrail::core::key::KeyDescription);

#[tokio::test]
async fn a_compliant_catalog_is_left_alone() {
    let world = World::new(compliant());
    let record = world
        .guardrail(Remediate)
        .handle(&event("put-compliant.json"), invocation())
        .await
        .unwrap();

    assert_eq!(record.outcome, Outcome::Compliant);
    assert!(record.violations.is_empty());
    assert!(world.catalog.puts().is_empty());
    assert_eq!(record.write, WriteStatus::NotAttempted);
    assert_eq!(world.audit.records(), vec![record]);
}

#[tokio::test]
async fn a_disabled_catalog_is_remediated_with_one_write_of_both_settings() {
    let world = World::new(settings("DISABLED", None, false, None));
    let record = world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();

    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(
        record.violations,
        vec![
            Violation::MetadataEncryptionDisabled,
            Violation::PasswordEncryptionDisabled
        ]
    );
    assert_eq!(world.catalog.puts(), vec![compliant()]);
    assert_eq!(world.catalog.current(), compliant());
    assert_eq!(record.before, Some(settings("DISABLED", None, false, None)));
    assert_eq!(record.after, Some(compliant()));
    assert_eq!(record.expected_key_arn.as_deref(), Some(OUR_KEY));
    assert_eq!(record.catalog_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        record.trigger.caller_arn.as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/DataEngineer/alice")
    );
    assert_eq!(world.audit.records().len(), 1);
}

#[tokio::test]
async fn every_kind_of_drift_is_written_back_with_the_key_arn() {
    let drifts = [
        (
            settings("DISABLED", None, false, None),
            vec![
                Violation::MetadataEncryptionDisabled,
                Violation::PasswordEncryptionDisabled,
            ],
        ),
        (
            settings("SSE-KMS", Some(OUR_KEY), false, None),
            vec![Violation::PasswordEncryptionDisabled],
        ),
        (
            settings("SSE-KMS", None, true, Some(OUR_KEY)),
            vec![Violation::MetadataKeyMissing],
        ),
        (
            settings("SSE-KMS", Some(OTHER_KEY), true, Some(OTHER_KEY)),
            vec![
                Violation::MetadataKeyNotExpected,
                Violation::PasswordKeyNotExpected,
            ],
        ),
        (
            settings("SSE-KMS", Some("alias/aws/glue"), true, None),
            vec![
                Violation::MetadataKeyNotPinned,
                Violation::PasswordKeyMissing,
            ],
        ),
        (
            settings("SSE-KMS", Some(OUR_ALIAS), true, Some(OUR_ALIAS)),
            vec![
                Violation::MetadataKeyNotPinned,
                Violation::PasswordKeyNotPinned,
            ],
        ),
        (
            settings(
                "SSE-KMS-WITH-SERVICE-ROLE",
                Some(OUR_KEY),
                true,
                Some(OUR_KEY),
            ),
            vec![Violation::MetadataServiceRoleNotExpected],
        ),
        (
            settings("sse-kms", Some(OUR_KEY), true, Some(OUR_KEY)),
            vec![Violation::MetadataEncryptionModeUnknown],
        ),
    ];
    for (before, violations) in drifts {
        let world = World::new(before.clone());
        let record = world
            .guardrail(Remediate)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap();
        assert_eq!(record.outcome, Outcome::Remediated, "{before:?}");
        assert_eq!(record.violations, violations, "{before:?}");
        assert_eq!(world.catalog.puts(), vec![compliant()], "{before:?}");
    }
}

#[tokio::test]
async fn our_key_named_by_its_bare_id_is_compliant() {
    let world = World::new(settings(
        "SSE-KMS",
        Some(OUR_KEY_ID),
        true,
        Some(OUR_KEY_ID),
    ));
    let record = world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();
    assert_eq!(record.outcome, Outcome::Compliant);
    assert!(world.catalog.puts().is_empty());
}

/// `kms:UpdateAlias` can re-point an alias without any Glue event: a catalog that names our key
/// by an alias is not pinned to it, and is written back with the ARN. The alias, a string chosen
/// by whoever changed the catalog, is never looked up.
#[tokio::test]
async fn an_alias_of_our_key_in_the_catalog_is_drift_and_never_looked_up() {
    let world = World::new(settings("SSE-KMS", Some(OUR_ALIAS), true, Some(OUR_ALIAS)));
    let record = world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();

    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(
        record.violations,
        [
            Violation::MetadataKeyNotPinned,
            Violation::PasswordKeyNotPinned
        ]
    );
    assert_eq!(world.catalog.puts(), vec![compliant()]);
    assert_eq!(
        *world.keys.calls.lock().unwrap(),
        [OUR_KEY],
        "only the parameter's key is described"
    );
}

/// The catalog's mode is configuration, not something the guardrail keeps from the drift.
#[tokio::test]
async fn the_service_role_mode_is_required_only_when_configured() {
    const ROLE: &str = "arn:aws:iam::123456789012:role/GlueCatalogKeyUser";
    let in_role_mode = |role: &str| {
        let mut s = compliant();
        s.encryption_at_rest.catalog_encryption_mode = CatalogEncryptionMode::SseKmsWithServiceRole;
        s.encryption_at_rest.catalog_encryption_service_role = Some(role.into());
        s
    };
    let cases = [
        // (configured role, catalog before, violations, settings written)
        (None, compliant(), vec![], None),
        (
            None,
            in_role_mode(ROLE),
            vec![Violation::MetadataServiceRoleNotExpected],
            Some(compliant()),
        ),
        (Some(ROLE), in_role_mode(ROLE), vec![], None),
        (
            Some(ROLE),
            compliant(),
            vec![Violation::MetadataServiceRoleNotExpected],
            Some(in_role_mode(ROLE)),
        ),
        (
            Some(ROLE),
            in_role_mode("arn:aws:iam::123456789012:role/SomeoneElse"),
            vec![Violation::MetadataServiceRoleNotExpected],
            Some(in_role_mode(ROLE)),
        ),
    ];
    for (configured, before, violations, written) in cases {
        let world = World::new(before.clone());
        let config = Config {
            catalog_service_role_arn: configured.map(str::to_owned),
            ..deployed_config()
        };
        let guardrail = world.guardrail_with(config);
        let record = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
        assert_eq!(record.violations, violations, "{configured:?} {before:?}");
        assert_eq!(
            world.catalog.puts(),
            written.into_iter().collect::<Vec<_>>(),
            "{configured:?} {before:?}"
        );
    }
}

#[tokio::test]
async fn a_parameter_holding_an_alias_is_written_as_the_key_arn() {
    let world = World::new(settings("DISABLED", None, false, None));
    world.parameters.set(OUR_ALIAS);
    world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();
    assert_eq!(world.catalog.puts(), vec![compliant()]);
}

#[tokio::test]
async fn detect_mode_reports_drift_and_writes_nothing() {
    let world = World::new(settings("SSE-KMS", Some(OTHER_KEY), true, Some(OUR_KEY)));
    let record = world
        .guardrail(Detect)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();

    assert_eq!(record.outcome, Outcome::DriftDetected);
    assert_eq!(record.violations, vec![Violation::MetadataKeyNotExpected]);
    assert!(world.catalog.puts().is_empty());
    assert_eq!(record.after, record.before);
}

#[tokio::test]
async fn the_guardrails_own_write_costs_no_aws_call() {
    let world = World::new(settings("DISABLED", None, false, None));
    let guardrail = world.guardrail(Remediate);
    for _ in 0..100 {
        let record = guardrail
            .handle(&event("put-by-guardrail-itself.json"), invocation())
            .await
            .unwrap();
        assert_eq!(
            (record.outcome, record.reason_code),
            (Outcome::Skipped, "own_write")
        );
    }
    assert_eq!(world.aws_calls(), 0);
    assert_eq!(world.audit.records().len(), 100);
}

#[tokio::test]
async fn skipped_events_make_no_aws_call_and_say_why() {
    let cases = [
        ("put-failed-access-denied.json", "failed_call"),
        ("put-by-guardrail-itself.json", "own_write"),
        ("unrelated-glue-create-database.json", "other_api"),
    ];
    for (file, code) in cases {
        let world = World::new(settings("DISABLED", None, false, None));
        let record = world
            .guardrail(Remediate)
            .handle(&event(file), invocation())
            .await
            .unwrap();
        assert_eq!(
            (record.outcome, record.reason_code),
            (Outcome::Skipped, code),
            "{file}"
        );
        assert!(!record.reason.is_empty());
        assert_eq!(world.aws_calls(), 0, "{file}");
        assert_eq!(world.audit.records().len(), 1);
    }
}

#[tokio::test]
async fn bad_input_is_a_recorded_skip() {
    for payload in [
        serde_json::json!(null),
        serde_json::json!("text"),
        serde_json::json!([1, 2]),
        serde_json::json!({}),
    ] {
        let world = World::new(settings("DISABLED", None, false, None));
        let record = world
            .guardrail(Remediate)
            .handle(&payload, invocation())
            .await
            .unwrap();
        assert_eq!(record.outcome, Outcome::Skipped, "{payload}");
        assert_eq!(world.aws_calls(), 0);
        assert_eq!(world.audit.records().len(), 1);
    }
}

#[tokio::test]
async fn an_unusable_key_fails_loudly_and_writes_nothing() {
    let spoilers: [(&str, Spoil); 5] = [
        ("key_not_enabled", |k| k.state = "Disabled".into()),
        ("key_not_enabled", |k| k.state = "PendingDeletion".into()),
        ("key_not_symmetric", |k| k.spec = Some("RSA_2048".into())),
        ("key_not_encrypt_decrypt", |k| {
            k.usage = Some("SIGN_VERIFY".into())
        }),
        ("key_in_other_region", |k| {
            k.arn = k.arn.replace("us-east-1", "eu-west-1")
        }),
    ];
    for (code, spoil) in spoilers {
        let world = World::new(settings("DISABLED", None, false, None));
        let mut bad = key(OUR_KEY);
        spoil(&mut bad);
        world.keys.add(&[OUR_KEY], bad);

        let err = world
            .guardrail(Remediate)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();

        assert_eq!(err.code(), code);
        assert!(world.catalog.puts().is_empty(), "{code}");
        let records = world.audit.records();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].outcome, Outcome::Failed);
        assert_eq!(records[0].reason_code, code);
        assert!(
            records[0].reason.contains(PARAMETER),
            "{}",
            records[0].reason
        );
    }
}

#[tokio::test]
async fn a_bad_parameter_fails_with_its_cause_and_writes_nothing() {
    let cases: [(Option<&str>, &str); 5] = [
        (None, "parameter_not_found"),
        (Some("   "), "parameter_empty"),
        (Some("the glue key"), "parameter_not_key_reference"),
        (Some("alias/nobody-made-this"), "key_not_found"),
        (Some("alias/aws/glue"), "key_aws_managed"),
    ];
    for (value, code) in cases {
        let world = World::new(settings("DISABLED", None, false, None));
        world.parameters.values.lock().unwrap().clear();
        if let Some(value) = value {
            world.parameters.set(value);
        }
        let err = world
            .guardrail(Remediate)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{value:?}");
        assert!(!err.is_transient());
        assert!(world.catalog.puts().is_empty());
        assert_eq!(
            world.audit.records()[0].error.as_ref().map(|e| e.code),
            Some(code)
        );
    }
}

#[tokio::test]
async fn denied_writes_name_the_missing_permission() {
    let world = World::new(settings("DISABLED", None, false, None));
    *world.catalog.put_error.lock().unwrap() =
        Some(denied("glue:PutDataCatalogEncryptionSettings"));

    let err = world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    assert_eq!(err.code(), "access_denied");
    assert!(
        err.to_string()
            .contains("needs glue:PutDataCatalogEncryptionSettings"),
        "{err}"
    );
    assert_eq!(world.catalog.puts().len(), 1, "one attempt, no loop");
}

#[tokio::test]
async fn a_concurrent_writer_is_reported_as_such() {
    let world = World::new(settings("DISABLED", None, false, None));
    *world.catalog.concurrent_write.lock().unwrap() =
        Some(settings("SSE-KMS", Some(OTHER_KEY), true, Some(OUR_KEY)));

    let err = world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    assert!(
        matches!(err, GuardrailError::VerificationFailed { ref violations } if violations == &[Violation::MetadataKeyNotExpected])
    );
    assert!(err.is_transient());
    let record = &world.audit.records()[0];
    assert_eq!(record.write, WriteStatus::Confirmed);
    assert_eq!(
        record.after,
        Some(settings("SSE-KMS", Some(OTHER_KEY), true, Some(OUR_KEY)))
    );
}

#[tokio::test]
async fn warm_invocations_cost_one_call_when_compliant_and_four_when_drifted() {
    let world = World::new(compliant());
    let guardrail = world.guardrail(Remediate);
    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(world.aws_calls(), 3, "cold: parameter, key, read");

    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(world.aws_calls(), 4, "warm compliant: read");

    *world.catalog.settings.lock().unwrap() = Some(settings("DISABLED", None, false, None));
    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(
        world.aws_calls(),
        8,
        "warm drift: read, key check, write, read back"
    );
    assert_eq!(world.keys.calls(), 2, "the key was described again");
}

#[tokio::test]
async fn a_cold_drift_writes_with_the_key_it_just_checked_without_a_second_look() {
    let world = World::new(settings("DISABLED", None, false, None));
    world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();
    assert_eq!(
        world.aws_calls(),
        5,
        "read, parameter, key, write, read back"
    );
    assert_eq!(world.keys.calls(), 1);
}

/// The cache may hold a key that was disabled or scheduled for deletion since it was checked.
#[tokio::test]
async fn a_key_disabled_since_it_was_cached_is_never_written() {
    for state in ["Disabled", "PendingDeletion"] {
        // given a warm cache that says the key is usable
        let world = World::new(compliant());
        let guardrail = world.guardrail(Remediate);
        guardrail.handle(&event(DRIFT), invocation()).await.unwrap();

        // when the key is disabled, and then the catalog drifts
        let mut disabled = key(OUR_KEY);
        disabled.state = state.into();
        world.keys.add(&[OUR_KEY], disabled);
        *world.catalog.settings.lock().unwrap() = Some(settings("DISABLED", None, false, None));
        let err = guardrail
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();

        // then nothing is written, the failure names the key's state, and the next invocation
        // asks SSM and KMS again rather than trust the cache
        assert_eq!(err.code(), "key_not_enabled", "{state}");
        assert!(err.to_string().contains(state), "{err}");
        assert!(world.catalog.puts().is_empty(), "{state}");
        let record = world.audit.records().pop().unwrap();
        assert_eq!(record.write, WriteStatus::NotAttempted);
        let parameter_reads = world.parameters.calls();
        let _ = guardrail.handle(&event(DRIFT), invocation()).await;
        assert_eq!(world.parameters.calls(), parameter_reads + 1, "{state}");
    }
}

/// A write that got no answer may still have been applied: the record says so, and the metric
/// counts it, rather than claim nothing was written.
#[tokio::test]
async fn a_write_that_got_no_answer_is_recorded_as_unknown() {
    let cases = [
        (AwsErrorKind::Timeout, WriteStatus::Unknown),
        (AwsErrorKind::Unreachable, WriteStatus::Unknown),
        (AwsErrorKind::ServerError, WriteStatus::Unknown),
        (AwsErrorKind::Throttled, WriteStatus::Refused),
        (AwsErrorKind::AccessDenied, WriteStatus::Refused),
        (AwsErrorKind::Rejected, WriteStatus::Refused),
    ];
    for (kind, write) in cases {
        let world = World::new(settings("DISABLED", None, false, None));
        *world.catalog.put_error.lock().unwrap() = Some(AwsError {
            kind,
            ..denied("glue:PutDataCatalogEncryptionSettings")
        });
        world
            .guardrail(Remediate)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap_err();
        let record = world.audit.records().pop().unwrap();
        assert_eq!(record.write, write, "{kind:?}");
        let doc = emf_document(&record, 0);
        assert_eq!(
            doc["WritesUnknown"],
            u8::from(write == WriteStatus::Unknown),
            "{kind:?}"
        );
        assert_eq!(doc["RemediationFailures"], 1, "{kind:?}");
    }
}
#[tokio::test]
async fn a_changed_parameter_takes_effect_after_the_ttl() {
    let world = World::new(compliant());
    let guardrail = world.guardrail(Remediate);
    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();

    world.parameters.set(OTHER_KEY);
    let record = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(record.outcome, Outcome::Compliant, "still within the TTL");

    world.clock.advance(Duration::from_secs(301));
    let record = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(record.expected_key_arn.as_deref(), Some(OTHER_KEY));
}

#[tokio::test]
async fn a_cached_key_carries_on_through_an_ssm_outage_until_the_ttl_ends() {
    let world = World::new(compliant());
    let guardrail = world.guardrail(Remediate);
    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    *world.parameters.error.lock().unwrap() = Some(throttled("ssm:GetParameter"));

    let record = guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(record.outcome, Outcome::Compliant);

    world.clock.advance(Duration::from_secs(301));
    let err = guardrail
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "aws_throttled");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_failed_read_is_recorded_and_retryable() {
    let world = World::new(compliant());
    world
        .catalog
        .get_errors
        .lock()
        .unwrap()
        .push_back(throttled("glue:GetDataCatalogEncryptionSettings"));

    let err = world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap_err();

    assert_eq!(err.code(), "aws_throttled");
    let record = &world.audit.records()[0];
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.error.as_ref().map(|e| e.transient), Some(true));
    assert!(world.catalog.puts().is_empty());
}

#[tokio::test]
async fn the_audit_record_serializes_with_its_documented_fields() {
    let world = World::new(settings("DISABLED", None, false, None));
    let record = world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();
    let json = serde_json::to_value(&record).unwrap();

    assert_eq!(json["type"], "audit");
    assert_eq!(json["outcome"], "remediated");
    assert_eq!(
        json["violations"],
        serde_json::json!([
            "metadata_encryption_disabled",
            "password_encryption_disabled"
        ])
    );
    assert_eq!(
        json["before"]["encryption_at_rest"]["catalog_encryption_mode"],
        "DISABLED"
    );
    assert_eq!(
        json["after"]["connection_password_encryption"]["aws_kms_key_id"],
        OUR_KEY
    );
    assert_eq!(
        json["trigger"]["event_name"],
        "PutDataCatalogEncryptionSettings"
    );
    assert_eq!(
        json["trigger"]["event_id"],
        "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b"
    );
    assert_eq!(json["enforcement_mode"], "remediate");
}

/// A catalog whose reads take `delay`, and whose writes take `put_delay`. The tests that use it
/// pause Tokio's clock, so the race against the deadline is decided by the figures, not by how
/// busy the machine is.
struct SlowCatalog {
    inner: FakeCatalog,
    delay: Duration,
    put_delay: Duration,
}

impl glue_encryption_guardrail::ports::CatalogReader for SlowCatalog {
    async fn get_settings(
        &self,
    ) -> Result<
        glue_encryption_guardrail::core::settings::CatalogSettings,
        glue_encryption_guardrail::ports::AwsError,
    > {
        tokio::time::sleep(self.delay).await;
        self.inner.get_settings().await
    }
}

impl glue_encryption_guardrail::ports::CatalogWriter for SlowCatalog {
    async fn put_settings(
        &self,
        settings: &glue_encryption_guardrail::core::settings::CatalogSettings,
    ) -> Result<(), glue_encryption_guardrail::ports::AwsError> {
        tokio::time::sleep(self.put_delay).await;
        self.inner.put_settings(settings).await
    }
}

#[tokio::test(start_paused = true)]
async fn an_invocation_that_runs_out_of_time_still_ends_in_its_record() {
    // given a catalog read slower than the time left before Lambda's deadline
    let world = World::new(settings("DISABLED", None, false, None));
    let slow = SlowCatalog {
        inner: FakeCatalog::with(settings("DISABLED", None, false, None)),
        delay: Duration::from_millis(500),
        put_delay: Duration::ZERO,
    };
    let guardrail = world.instance(&slow);
    let invocation = Invocation {
        time_left: Some(DEADLINE_MARGIN + Duration::from_millis(20)),
        ..invocation()
    };

    // when it handles a drift event
    let err = guardrail
        .handle(&event(DRIFT), invocation)
        .await
        .unwrap_err();

    // then it stops in time, writes nothing, and records why
    assert_eq!(err.code(), "out_of_time");
    assert!(err.is_transient());
    assert!(slow.inner.puts().is_empty());
    let records = world.audit.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].outcome, records[0].reason_code),
        (Outcome::Failed, "out_of_time")
    );

    // and with time enough, the same guardrail finishes the job
    let roomy = Invocation {
        time_left: Some(Duration::from_secs(30)),
        ..invocation
    };
    let record = guardrail.handle(&event(DRIFT), roomy).await.unwrap();
    assert_eq!(record.outcome, Outcome::Remediated);
}

#[tokio::test(start_paused = true)]
async fn a_write_the_deadline_interrupts_is_recorded_as_unknown() {
    // given a write slower than the time left before Lambda's deadline
    let world = World::new(settings("DISABLED", None, false, None));
    let slow = SlowCatalog {
        inner: FakeCatalog::with(settings("DISABLED", None, false, None)),
        delay: Duration::ZERO,
        put_delay: Duration::from_millis(500),
    };
    let guardrail = world.instance(&slow);
    let invocation = Invocation {
        time_left: Some(DEADLINE_MARGIN + Duration::from_millis(50)),
        ..invocation()
    };

    // when the deadline cuts the write short
    let err = guardrail
        .handle(&event(DRIFT), invocation)
        .await
        .unwrap_err();

    // then the record says the write was sent and may have landed
    assert_eq!(err.code(), "out_of_time");
    let record = world.audit.records().pop().unwrap();
    assert_eq!(record.write, WriteStatus::Unknown);
    assert_eq!(emf_document(&record, 0)["WritesUnknown"], 1);
}

/// Lambda retries a failed asynchronous invocation twice. A failure no retry can fix would then
/// be recorded and notified three times; it ends in its record instead, and only failures a
/// retry can fix are returned to Lambda as errors.
#[tokio::test]
async fn only_failures_a_retry_can_fix_are_returned_to_lambda_as_errors() {
    // a missing parameter: recorded, not retried
    let world = World::new(settings("DISABLED", None, false, None));
    world.parameters.values.lock().unwrap().clear();
    let record = world
        .guardrail(Remediate)
        .invoke(&event(DRIFT), invocation())
        .await
        .unwrap();
    assert_eq!(
        (record.outcome, record.reason_code),
        (Outcome::Failed, "parameter_not_found")
    );
    assert_eq!(emf_document(&record, 0)["Failures"], 1);

    // a denied write: recorded, not retried
    let world = World::new(settings("DISABLED", None, false, None));
    *world.catalog.put_error.lock().unwrap() =
        Some(denied("glue:PutDataCatalogEncryptionSettings"));
    let record = world
        .guardrail(Remediate)
        .invoke(&event(DRIFT), invocation())
        .await
        .unwrap();
    assert_eq!(record.reason_code, "access_denied");

    // throttling: returned, so that Lambda retries it
    let world = World::new(compliant());
    world
        .catalog
        .get_errors
        .lock()
        .unwrap()
        .push_back(throttled("glue:GetDataCatalogEncryptionSettings"));
    let err = world
        .guardrail(Remediate)
        .invoke(&event(DRIFT), invocation())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "aws_throttled");
    assert_eq!(world.audit.records().len(), 1, "recorded all the same");
}

#[tokio::test]
async fn another_session_of_the_guardrails_role_is_evaluated_like_anyone() {
    // given a catalog switched off by some other session of the execution role
    let world = World::new(settings("DISABLED", None, false, None));
    let mut e = event("put-by-guardrail-itself.json");
    e["detail"]["userIdentity"]["arn"] =
        "arn:aws:sts::123456789012:assumed-role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F/mallory"
            .into();

    // when its event comes in
    let record = world
        .guardrail(Remediate)
        .handle(&e, invocation())
        .await
        .unwrap();

    // then it is fixed, and the record names that session as the caller
    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(world.catalog.current(), compliant());
    assert!(
        record
            .trigger
            .caller_arn
            .as_deref()
            .is_some_and(|c| c.ends_with("/mallory"))
    );
}

#[tokio::test]
async fn without_its_own_session_the_guardrail_evaluates_its_own_write_for_one_read() {
    // given a guardrail that does not know its function name (outside Lambda), warm
    let world = World::new(compliant());
    let config = Config {
        function_name: None,
        ..deployed_config()
    };
    let guardrail = world.guardrail_with(config);
    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    let before = world.aws_calls();

    // when its own write comes back
    let record = guardrail
        .handle(&event("put-by-guardrail-itself.json"), invocation())
        .await
        .unwrap();

    // then it is evaluated, found compliant, and costs one read
    assert_eq!(record.outcome, Outcome::Compliant);
    assert_eq!(world.aws_calls() - before, 1);
}

#[test]
fn outcome_codes_match_their_serialized_form() {
    for outcome in [
        Outcome::Compliant,
        Outcome::Remediated,
        Outcome::DriftDetected,
        Outcome::Exempt,
        Outcome::Skipped,
        Outcome::Failed,
    ] {
        assert_eq!(
            serde_json::to_value(outcome).unwrap(),
            serde_json::Value::from(outcome.code())
        );
    }
}
