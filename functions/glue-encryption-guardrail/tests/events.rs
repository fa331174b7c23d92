//! Every sample in `events/` parses to the trigger its name promises.

mod support;

use glue_encryption_guardrail::core::trigger::{
    Decision, SkipReason, TriggerKind, Whoami, classify,
};
use support::*;

fn me() -> Whoami<'static> {
    Whoami {
        own_session_arn: Some(GUARDRAIL_SESSION),
        account: Some(ACCOUNT),
        region: REGION,
    }
}

#[test]
fn every_sample_event_classifies_as_named() {
    let evaluate = [
        "put-encryption-disabled.json",
        "put-password-encryption-off.json",
        "put-other-customer-key.json",
        "put-sse-kms-without-key.json",
        "put-compliant.json",
    ];
    for file in evaluate {
        let c = classify(&event(file), me());
        assert_eq!(c.decision, Decision::Evaluate, "{file}");
        assert_eq!(c.summary.kind, TriggerKind::ApiCall, "{file}");
        assert_eq!(
            c.summary.event_name.as_deref(),
            Some("PutDataCatalogEncryptionSettings")
        );
    }

    let schedule = classify(&event("scheduled-reconcile.json"), me());
    assert_eq!(
        (schedule.summary.kind, schedule.decision),
        (TriggerKind::Schedule, Decision::Evaluate)
    );

    let failed = classify(&event("put-failed-access-denied.json"), me());
    assert_eq!(
        failed.decision,
        Decision::Skip(SkipReason::FailedCall {
            error_code: "AccessDeniedException".into()
        })
    );

    let own = classify(&event("put-by-guardrail-itself.json"), me());
    assert_eq!(own.decision, Decision::Skip(SkipReason::OwnWrite));

    let other = classify(&event("unrelated-glue-create-database.json"), me());
    assert_eq!(
        other.decision,
        Decision::Skip(SkipReason::OtherApi {
            event_name: "CreateDatabase".into()
        })
    );
}

#[test]
fn every_sample_event_file_is_covered() {
    let dir = format!("{}/../../events", env!("CARGO_MANIFEST_DIR"));
    let files = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .count();
    assert_eq!(
        files, 9,
        "a new sample needs a line in every_sample_event_classifies_as_named"
    );
}

#[test]
fn another_accounts_catalog_is_skipped() {
    let mut e = event("put-encryption-disabled.json");
    e["detail"]["requestParameters"]["catalogId"] = "210987654321".into();
    assert_eq!(
        classify(&e, me()).decision,
        Decision::Skip(SkipReason::OtherAccount {
            account: "210987654321".into()
        })
    );
}

#[test]
fn an_event_from_another_account_or_region_is_skipped() {
    let mut e = event("scheduled-reconcile.json");
    e["account"] = "210987654321".into();
    assert!(matches!(
        classify(&e, me()).decision,
        Decision::Skip(SkipReason::OtherAccount { .. })
    ));

    let mut e = event("put-encryption-disabled.json");
    e["region"] = "eu-west-1".into();
    assert_eq!(
        classify(&e, me()).decision,
        Decision::Skip(SkipReason::OtherRegion {
            region: "eu-west-1".into()
        })
    );
}

#[test]
fn an_event_from_another_account_that_names_our_catalog_is_evaluated() {
    // Delivered with another account in the envelope (a central event bus), but the call
    // acted on our catalog: by its recipient, or by the catalogId it named.
    let mut by_recipient = event("put-encryption-disabled.json");
    by_recipient["account"] = "210987654321".into();
    assert_eq!(classify(&by_recipient, me()).decision, Decision::Evaluate);

    let mut by_request = by_recipient.clone();
    by_request["detail"]["recipientAccountId"] = "210987654321".into();
    by_request["detail"]["requestParameters"]["catalogId"] = ACCOUNT.into();
    assert_eq!(classify(&by_request, me()).decision, Decision::Evaluate);

    // Nothing in it names ours: another account's call on its own catalog.
    let mut theirs = by_recipient;
    theirs["detail"]["recipientAccountId"] = "210987654321".into();
    assert_eq!(
        classify(&theirs, me()).decision,
        Decision::Skip(SkipReason::OtherAccount {
            account: "210987654321".into()
        })
    );
}

#[test]
fn the_loop_guard_trusts_only_the_functions_own_session() {
    let own = event("put-by-guardrail-itself.json");
    assert_eq!(
        classify(&own, me()).decision,
        Decision::Skip(SkipReason::OwnWrite)
    );

    // Another session of the same role: another function created with it, or a person who
    // may pass it. Evaluated like anyone else.
    let mut other_session = own.clone();
    other_session["detail"]["userIdentity"]["arn"] =
        "arn:aws:sts::123456789012:assumed-role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F/mallory"
            .into();
    assert_eq!(classify(&other_session, me()).decision, Decision::Evaluate);

    // Without its own session configured, the guardrail evaluates its own writes too.
    let unconfigured = Whoami {
        own_session_arn: None,
        ..me()
    };
    assert_eq!(classify(&own, unconfigured).decision, Decision::Evaluate);
}

#[test]
fn the_request_is_never_needed_to_decide() {
    let mut e = event("put-encryption-disabled.json");
    e["detail"]
        .as_object_mut()
        .unwrap()
        .remove("requestParameters");
    assert_eq!(classify(&e, me()).decision, Decision::Evaluate);
    e["detail"]["requestParameters"] = serde_json::json!("garbage");
    assert_eq!(classify(&e, me()).decision, Decision::Evaluate);
}

#[test]
fn oversized_fields_are_clipped_in_the_summary() {
    let mut e = event("put-encryption-disabled.json");
    e["detail"]["eventID"] = "é".repeat(10_000).into();
    let summary = classify(&e, me()).summary;
    assert!(summary.event_id.unwrap().len() <= 260);
}

/// The runtime deserializes the payload before the handler runs: a payload its type refuses
/// ends the invocation with no audit record. `aws_lambda_events`' EventBridge envelope refuses
/// payloads that the guardrail reads and records (a skip with its reason, or an evaluation),
/// which is why the function parses events with its own lenient reader (core/event.rs).
#[tokio::test]
async fn the_typed_eventbridge_envelope_would_lose_payloads_that_end_in_a_record() {
    use aws_lambda_events::eventbridge::EventBridgeEvent;
    use glue_encryption_guardrail::core::event::TriggerEvent;
    let drift = serde_json::to_string(&event("put-encryption-disabled.json")).unwrap();
    let cases = [
        // a scheduled tick whose time is not RFC 3339 (EventBridge's own format, but nothing
        // in the guardrail reads it)
        r#"{"source":"aws.events","detail-type":"Scheduled Event","time":"yesterday","detail":{}}"#
            .to_owned(),
        // an event without detail-type: recorded as an unsupported event
        r#"{"source":"aws.glue","detail":{}}"#.to_owned(),
        // a CloudTrail record without detail: recorded as another API's event
        r#"{"source":"aws.glue","detail-type":"AWS API Call via CloudTrail"}"#.to_owned(),
        // a duplicated key: the last one counts, as in serde_json::Value
        drift.replacen('{', r#"{"region":"eu-west-1","#, 1),
        // not an object at all
        "[1, 2, 3]".to_owned(),
    ];
    for payload in cases {
        assert!(
            serde_json::from_str::<EventBridgeEvent>(&payload).is_err(),
            "the envelope reads {payload}"
        );
        let event = TriggerEvent::from_slice(payload.as_bytes()).unwrap();
        let world = World::new(compliant());
        world
            .guardrail(glue_encryption_guardrail::app::config::EnforcementMode::Remediate)
            .handle(&event, invocation())
            .await
            .unwrap();
        assert_eq!(world.audit.records().len(), 1, "{payload}");
    }
}
