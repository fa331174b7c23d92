//! The built function binary, run as Lambda runs it: Lambda's environment, a local Lambda
//! Runtime API handing it events one at a time, moto answering its AWS calls. What the other
//! suites check on the library, checked here on the process: its wiring in `main.rs`, its
//! responses, and the audit records it writes to standard output (CloudWatch Logs).
//!
//! The binary is the one `cargo test --workspace` builds beside these tests.

use glue_encryption_guardrail::app::config::EnforcementMode::{Detect, Remediate};
use guardrail_system_tests::function::{Function, Launch, sibling_binary};
use guardrail_system_tests::*;
use serde_json::Value;
use std::path::PathBuf;

/// A file for the function's standard output, unique to `test`.
fn log_file(test: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lambda-process-{test}.log"))
}

/// The audit records among the lines the function wrote.
fn audit_records(log: &std::path::Path) -> Result<Vec<Value>, Error> {
    let text = std::fs::read_to_string(log)?;
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("type").and_then(Value::as_str) == Some("audit"))
        .collect())
}

fn field<'a>(record: &'a Value, name: &str) -> &'a str {
    record.get(name).and_then(Value::as_str).unwrap_or_default()
}

#[tokio::test]
async fn the_binary_fixes_drift_and_logs_one_audit_record_per_invocation() -> Result<(), Error> {
    // given a drifted catalog and the function started as Lambda starts it
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;
    let binary = sibling_binary()?;
    let log = log_file("drift");
    let launch = Launch {
        stdout: Some(&log),
        ..Launch::new(&binary, Remediate)
    };
    let function = Function::start(launch, &emulator).await?;

    // when it is handed the drift, its own write coming back, and a payload that is no event
    let drift = serde_json::to_vec(&event("put-encryption-disabled.json")?)?;
    let (fixed, _) = function.invoke(&drift).await?;
    let own = serde_json::to_vec(&event("put-by-guardrail-itself.json")?)?;
    let (own_write, _) = function.invoke(&own).await?;
    let (not_an_event, _) = function.invoke(b"[1, 2, 3]").await?;
    // valid JSON nested past serde_json's recursion limit, in the field a failed call sets
    let deep = format!(
        r#"{{"source":"aws.glue","detail-type":"AWS API Call via CloudTrail","detail":{{"eventSource":"glue.amazonaws.com","eventName":"PutDataCatalogEncryptionSettings","errorCode":{}"x"{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (deep_error, _) = function.invoke(deep.as_bytes()).await?;

    // then the catalog is fixed with the key ARN, and each response says what happened
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    assert_eq!(field(&fixed, "outcome"), "remediated", "{fixed}");
    assert_eq!(field(&own_write, "outcome"), "skipped", "{own_write}");
    assert_eq!(field(&own_write, "reason_code"), "own_write", "{own_write}");
    assert_eq!(field(&not_an_event, "outcome"), "skipped", "{not_an_event}");
    assert_eq!(
        field(&not_an_event, "reason_code"),
        "not_an_event",
        "{not_an_event}"
    );
    assert_eq!(field(&deep_error, "reason_code"), "failed_call");
    // and standard output holds exactly one audit record per invocation, the response's own
    let records = audit_records(&log)?;
    let outcomes: Vec<&str> = records.iter().map(|r| field(r, "outcome")).collect();
    assert_eq!(
        outcomes,
        ["remediated", "skipped", "skipped", "skipped"],
        "{records:?}"
    );
    let request_ids: Vec<&str> = records.iter().map(|r| field(r, "request_id")).collect();
    assert!(
        request_ids.iter().all(|id| !id.is_empty()) && request_ids[0] != request_ids[1],
        "{request_ids:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_binary_in_detect_mode_reports_and_writes_nothing() -> Result<(), Error> {
    // given a drifted catalog and the function in detect mode
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let drifted = emulator
        .apply_request(&event("put-other-customer-key.json")?, &key)
        .await?;
    let binary = sibling_binary()?;
    let function = Function::start(Launch::new(&binary, Detect), &emulator).await?;

    // when it handles the event
    function
        .invoke_expecting("put-other-customer-key.json", "drift_detected")
        .await?;

    // then the catalog is as the event left it
    assert_eq!(emulator.catalog_settings().await?, drifted);
    Ok(())
}

#[tokio::test]
async fn a_payload_that_is_not_json_is_an_error_and_the_function_serves_on() -> Result<(), Error> {
    // given the function, running
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    emulator.set_catalog(&compliant(&key)).await?;
    let binary = sibling_binary()?;
    let function = Function::start(Launch::new(&binary, Remediate), &emulator).await?;

    // when it is handed bytes that are not JSON: the runtime cannot deserialize them
    let garbage = function.invoke(b"{not json").await;

    // then the invocation fails with an error response, not a crash, and the next one works
    let err = garbage.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("the function failed"), "{err}");
    function
        .invoke_expecting("put-compliant.json", "compliant")
        .await?;
    Ok(())
}

/// Lambda would retry an error twice, and each attempt would be recorded and notified again;
/// a failure no retry can fix ends in its record, as a response.
#[tokio::test]
async fn a_failure_no_retry_can_fix_is_a_recorded_response_not_an_error() -> Result<(), Error> {
    // given a drifted catalog and no key parameter in the account
    let emulator = Emulator::start().await?;
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, SAMPLE_KEY)
        .await?;
    let binary = sibling_binary()?;
    let function = Function::start(Launch::new(&binary, Remediate), &emulator).await?;

    // when the drift comes in
    let drift = serde_json::to_vec(&event("put-encryption-disabled.json")?)?;
    let (record, _) = function.invoke(&drift).await?;

    // then the response is its failed record, with the cause
    assert_eq!(field(&record, "outcome"), "failed", "{record}");
    assert_eq!(
        field(&record, "reason_code"),
        "parameter_not_found",
        "{record}"
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_key_parameter_setting_stops_the_function_at_init() -> Result<(), Error> {
    // given the function's environment without KMS_KEY_PARAMETER
    let emulator = Emulator::start().await?;
    let binary = sibling_binary()?;
    let log = log_file("init");
    let launch = Launch {
        without: &["KMS_KEY_PARAMETER"],
        stdout: Some(&log),
        ..Launch::new(&binary, Remediate)
    };

    // when it starts
    let started = Function::start(launch, &emulator).await;

    // then it exits before asking for an event, and its log names the missing setting
    let err = started.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("exited before its first event"), "{err}");
    let text = std::fs::read_to_string(&log)?;
    assert!(
        text.contains("invalid configuration") && text.contains("KMS_KEY_PARAMETER"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn the_binary_publishes_its_verdict_to_security_hub_only_when_switched_on()
-> Result<(), Error> {
    for (switch, findings) in [("enabled", 1), ("disabled", 0)] {
        // given a drifted catalog and the function with the switch set
        let emulator = Emulator::start().await?;
        let key = emulator.seed_key_and_parameter().await?;
        emulator
            .apply_request(&event("put-encryption-disabled.json")?, &key)
            .await?;
        // Security Hub's code loaded in moto before the function calls it with its budget.
        emulator.findings().await?;
        let binary = sibling_binary()?;
        let env = [("SECURITY_HUB_FINDINGS", switch)];
        let launch = Launch {
            env: &env,
            ..Launch::new(&binary, Remediate)
        };
        let function = Function::start(launch, &emulator).await?;

        // when it fixes the drift, then sees the catalog compliant
        let drift = serde_json::to_vec(&event("put-encryption-disabled.json")?)?;
        let (fixed, _) = function.invoke(&drift).await?;
        let tick = serde_json::to_vec(&event("scheduled-reconcile.json")?)?;
        let (compliant, _) = function.invoke(&tick).await?;

        // then, switched on, one PASSED finding; switched off, none and no mention
        assert_eq!(field(&fixed, "outcome"), "remediated", "{switch}");
        assert_eq!(field(&compliant, "outcome"), "compliant", "{switch}");
        let found = emulator.findings().await?;
        assert_eq!(found.len(), findings, "{switch}: {found:?}");
        match found.first() {
            Some(finding) => {
                assert_eq!(
                    finding
                        .compliance()
                        .and_then(|c| c.status())
                        .map(|s| s.as_str()),
                    Some("PASSED")
                );
                assert_eq!(
                    compliant["security_hub"]["status"].as_str(),
                    Some("published")
                );
            }
            None => assert!(compliant.get("security_hub").is_none(), "{compliant}"),
        }
    }
    Ok(())
}
