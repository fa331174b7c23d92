//! The handler, wired to in-memory fakes: what it reads, what it writes, what it records.

mod support;

use glue_encryption_guardrail::audit::Outcome;
use glue_encryption_guardrail::config::EnforcementMode::{Detect, Remediate};
use glue_encryption_guardrail::core::policy::Violation;
use glue_encryption_guardrail::core::settings::CatalogEncryptionMode;
use glue_encryption_guardrail::error::GuardrailError;
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
    assert!(!record.settings_written);
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
                Violation::MetadataKeyNotExpected,
                Violation::PasswordKeyMissing,
            ],
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
async fn keys_named_by_id_or_alias_of_our_key_are_compliant() {
    for named in [OUR_KEY_ID, OUR_ALIAS] {
        let world = World::new(settings("SSE-KMS", Some(named), true, Some(named)));
        let record = world
            .guardrail(Remediate)
            .handle(&event(DRIFT), invocation())
            .await
            .unwrap();
        assert_eq!(record.outcome, Outcome::Compliant, "{named}");
        assert!(world.catalog.puts().is_empty());
    }
}

#[tokio::test]
async fn the_service_role_mode_is_kept_with_its_role() {
    let mut before = settings(
        "SSE-KMS-WITH-SERVICE-ROLE",
        Some(OTHER_KEY),
        true,
        Some(OUR_KEY),
    );
    before.encryption_at_rest.catalog_encryption_service_role =
        Some("arn:aws:iam::123456789012:role/GlueKeyUser".into());
    let world = World::new(before);
    world
        .guardrail(Remediate)
        .handle(&event(DRIFT), invocation())
        .await
        .unwrap();

    let written = &world.catalog.puts()[0].encryption_at_rest;
    assert_eq!(
        written.catalog_encryption_mode,
        CatalogEncryptionMode::SseKmsWithServiceRole
    );
    assert_eq!(
        written.catalog_encryption_service_role.as_deref(),
        Some("arn:aws:iam::123456789012:role/GlueKeyUser")
    );
    assert_eq!(written.sse_aws_kms_key_id.as_deref(), Some(OUR_KEY));
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
    assert!(record.settings_written);
    assert_eq!(
        record.after,
        Some(settings("SSE-KMS", Some(OTHER_KEY), true, Some(OUR_KEY)))
    );
}

#[tokio::test]
async fn warm_invocations_cost_one_call_when_compliant_and_three_when_drifted() {
    let world = World::new(compliant());
    let guardrail = world.guardrail(Remediate);
    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(world.aws_calls(), 3, "cold: parameter, key, read");

    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(world.aws_calls(), 4, "warm compliant: read");

    *world.catalog.settings.lock().unwrap() = Some(settings("DISABLED", None, false, None));
    guardrail.handle(&event(DRIFT), invocation()).await.unwrap();
    assert_eq!(world.aws_calls(), 7, "warm drift: read, write, read back");
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

/// A catalog whose reads take `delay`.
struct SlowCatalog {
    inner: FakeCatalog,
    delay: Duration,
}

impl glue_encryption_guardrail::ports::CatalogStore for SlowCatalog {
    async fn get_settings(
        &self,
    ) -> Result<
        glue_encryption_guardrail::core::settings::CatalogSettings,
        glue_encryption_guardrail::error::AwsError,
    > {
        tokio::time::sleep(self.delay).await;
        self.inner.get_settings().await
    }
    async fn put_settings(
        &self,
        settings: &glue_encryption_guardrail::core::settings::CatalogSettings,
    ) -> Result<(), glue_encryption_guardrail::error::AwsError> {
        self.inner.put_settings(settings).await
    }
}

#[tokio::test]
async fn an_invocation_that_runs_out_of_time_still_ends_in_its_record() {
    // given a catalog read slower than the time left before Lambda's deadline
    use glue_encryption_guardrail::handler::{DEADLINE_MARGIN, Guardrail, Invocation};
    let world = World::new(settings("DISABLED", None, false, None));
    let slow = SlowCatalog {
        inner: FakeCatalog::with(settings("DISABLED", None, false, None)),
        delay: Duration::from_millis(500),
    };
    let config = glue_encryption_guardrail::config::Config {
        guardrail_role_arn: Some(GUARDRAIL_ROLE.into()),
        ..glue_encryption_guardrail::config::Config::new(PARAMETER)
    };
    let guardrail = Guardrail::new(
        config,
        REGION.into(),
        &slow,
        &world.parameters,
        &world.keys,
        &world.clock,
        &world.audit,
    );
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
