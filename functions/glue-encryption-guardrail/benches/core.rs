//! The pure core's throughput on one core: the bytes Lambda hands the function, parsed into a
//! `TriggerEvent` (as `LambdaEvent<TriggerEvent>` does), classified, and, when the event is worth
//! a look, the catalog's settings evaluated against the policy. No I/O: the settings are the
//! ones the catalog read would have returned.
//!
//! `make bench` reads criterion's estimates from `target/criterion/core/*/new/estimates.json`.
//! `baseline/value-parse` is what parsing cost when the function took a whole
//! `serde_json::Value`: the figure the typed parse is measured against.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use glue_encryption_guardrail::core::event::TriggerEvent;
use glue_encryption_guardrail::core::key::KeyDescription;
use glue_encryption_guardrail::core::policy::{Policy, evaluate};
use glue_encryption_guardrail::core::settings::CatalogSettings;
use glue_encryption_guardrail::core::trigger::{Decision, Whoami, classify};
use serde_json::Value;
use std::hint::black_box;
use std::time::Duration;

/// The sample events, as the repository keeps them (pretty-printed).
const TYPICAL: (&str, &[u8]) = (
    "put-encryption-disabled",
    include_bytes!("../../../events/put-encryption-disabled.json"),
);
const OWN_WRITE: (&str, &[u8]) = (
    "put-by-guardrail-itself",
    include_bytes!("../../../events/put-by-guardrail-itself.json"),
);
const SCHEDULED: (&str, &[u8]) = (
    "scheduled-reconcile",
    include_bytes!("../../../events/scheduled-reconcile.json"),
);

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ME: Whoami<'static> = Whoami {
    own_session_arn: Some(
        "arn:aws:sts::123456789012:assumed-role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F/glue-encryption-guardrail",
    ),
    account: Some("123456789012"),
    region: "us-east-1",
};

/// The event as EventBridge delivers it: compact JSON, no indentation.
fn compact(pretty: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&serde_json::from_slice::<Value>(pretty)?)
}

/// Parse, classify and evaluate one event; returns the number of violations found.
fn parse_classify_evaluate(bytes: &[u8], settings: &CatalogSettings, policy: &Policy) -> usize {
    let Ok(event) = TriggerEvent::from_slice(bytes) else {
        return usize::MAX;
    };
    let classified = classify(&event, ME);
    match classified.decision {
        Decision::Evaluate => evaluate(settings, policy).len(),
        Decision::Skip(reason) => black_box(reason.code()).len(),
    }
}

fn core(c: &mut Criterion) {
    let drifted = CatalogSettings::unencrypted();
    let key = KeyDescription {
        arn: KEY.into(),
        key_id: KEY.rsplit('/').next().unwrap_or_default().into(),
        state: "Enabled".into(),
        spec: Some("SYMMETRIC_DEFAULT".into()),
        usage: Some("ENCRYPT_DECRYPT".into()),
        manager: Some("CUSTOMER".into()),
    };
    let policy = Policy {
        key: &key,
        service_role: None,
    };
    let mut events = Vec::new();
    for (name, pretty) in [TYPICAL, OWN_WRITE, SCHEDULED] {
        match compact(pretty) {
            Ok(bytes) => events.push((name, bytes)),
            Err(e) => {
                eprintln!("events/{name}.json does not parse: {e}");
                return;
            }
        }
    }

    let mut group = c.benchmark_group("core");
    group.throughput(Throughput::Elements(1));
    for (name, bytes) in &events {
        group.bench_function(format!("pipeline/{name}"), |b| {
            b.iter(|| parse_classify_evaluate(black_box(bytes), black_box(&drifted), &policy));
        });
    }

    // The typical event, step by step.
    let (name, typical) = &events[0];
    group.bench_function(format!("parse/{name}"), |b| {
        b.iter(|| TriggerEvent::from_slice(black_box(typical)).ok());
    });
    if let Ok(event) = TriggerEvent::from_slice(typical) {
        group.bench_function(format!("classify/{name}"), |b| {
            b.iter(|| classify(black_box(&event), ME));
        });
    }
    group.bench_function("evaluate/unencrypted", |b| {
        b.iter(|| evaluate(black_box(&drifted), &policy));
    });
    group.bench_function(format!("baseline/value-parse/{name}"), |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(typical)).ok());
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = core
}
criterion_main!(benches);
