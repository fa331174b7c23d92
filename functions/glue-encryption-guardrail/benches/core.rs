//! The pure core's throughput on one core: the bytes Lambda hands the function, parsed to a
//! `serde_json::Value` (as `LambdaEvent<Value>` does), classified, and, when the event is worth
//! a look, the catalog's settings evaluated against the policy. No I/O: the settings are the
//! ones the catalog read would have returned.
//!
//! `make bench` reads criterion's estimates from `target/criterion/core/*/new/estimates.json`.
//! The `prototype/*` benchmarks measure a possible change, not the shipped code: parsing only
//! the fields `classify` reads into borrowed, typed fields instead of building a whole `Value`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use glue_encryption_guardrail::core::policy::evaluate;
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
    role_arn: Some(
        "arn:aws:iam::123456789012:role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F",
    ),
    account: Some("123456789012"),
    region: "us-east-1",
};

/// The event as EventBridge delivers it: compact JSON, no indentation.
fn compact(pretty: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&serde_json::from_slice::<Value>(pretty)?)
}

/// Parse, classify and evaluate one event; returns the number of violations found.
fn parse_classify_evaluate(bytes: &[u8], settings: &CatalogSettings) -> usize {
    let Ok(event) = serde_json::from_slice::<Value>(bytes) else {
        return usize::MAX;
    };
    let classified = classify(&event, ME);
    match classified.decision {
        Decision::Evaluate => evaluate(settings, |key| key == KEY).len(),
        Decision::Skip(reason) => black_box(reason.code()).len(),
    }
}

fn core(c: &mut Criterion) {
    let drifted = CatalogSettings::unencrypted();
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
            b.iter(|| parse_classify_evaluate(black_box(bytes), black_box(&drifted)));
        });
    }

    // The typical event, step by step.
    let (name, typical) = &events[0];
    group.bench_function(format!("parse/{name}"), |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(typical)).ok());
    });
    if let Ok(event) = serde_json::from_slice::<Value>(typical) {
        group.bench_function(format!("classify/{name}"), |b| {
            b.iter(|| classify(black_box(&event), ME));
        });
    }
    group.bench_function("evaluate/unencrypted", |b| {
        b.iter(|| evaluate(black_box(&drifted), |key| key == KEY));
    });
    group.bench_function(format!("prototype/typed-parse/{name}"), |b| {
        b.iter(|| serde_json::from_slice::<prototype::Event<'_>>(black_box(typical)).ok());
    });
    for (name, bytes) in &events {
        group.bench_function(format!("prototype/pipeline/{name}"), |b| {
            b.iter(|| prototype::parse_classify_evaluate(black_box(bytes), black_box(&drifted)));
        });
    }
    group.finish();
}

/// A prototype of a faster trigger parser: only the fields `classify` reads, borrowed from the
/// input where JSON escapes allow. It keeps the core's promise never to fail on a field of the
/// wrong type: a field that is not what is expected reads as absent. (It is not wired into
/// `classify`; it measures what parsing would cost if it were.)
mod prototype {
    use super::{KEY, ME};
    use glue_encryption_guardrail::core::policy::evaluate;
    use glue_encryption_guardrail::core::settings::CatalogSettings;
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde::{Deserialize, de::value::MapAccessDeserializer};
    use std::borrow::Cow;
    use std::fmt;
    use std::marker::PhantomData;

    /// The same work as the shipped pipeline: parse, copy the summary's six fields into owned
    /// strings for the audit record, judge the event as `classify` does, evaluate.
    pub fn parse_classify_evaluate<'b>(bytes: &'b [u8], settings: &CatalogSettings) -> usize {
        let Ok(event) = serde_json::from_slice::<Event<'b>>(bytes) else {
            return usize::MAX;
        };
        let detail = event.detail.0.as_ref();
        let text = |t: &Text<'_>| t.0.clone().map(Cow::into_owned);
        let field = |f: for<'x> fn(&'x Detail<'b>) -> &'x Text<'b>| -> Option<String> {
            detail.and_then(|d| text(f(d)))
        };
        let identity = detail.and_then(|d| d.user_identity.0.as_ref());
        let issuer = identity
            .and_then(|i| i.session_context.0.as_ref())
            .and_then(|c| c.session_issuer.0.as_ref())
            .and_then(|s| s.arn.0.as_deref());
        let event_name = field(|d| &d.event_name);
        let summary = [
            field(|d| &d.event_id).or_else(|| text(&event.id)),
            event_name.clone(),
            identity
                .and_then(|i| i.arn.0.as_deref().or(i.invoked_by.0.as_deref()))
                .or(issuer)
                .map(str::to_owned),
            field(|d| &d.event_time).or_else(|| text(&event.time)),
            text(&event.account).or_else(|| field(|d| &d.recipient_account_id)),
            text(&event.region).or_else(|| field(|d| &d.aws_region)),
        ];
        let source = event.source.0.as_deref();
        let detail_type = event.detail_type.0.as_deref();
        let api_call = source == Some("aws.glue")
            && detail_type == Some("AWS API Call via CloudTrail")
            && field(|d| &d.event_source).as_deref() == Some("glue.amazonaws.com");
        let schedule = source == Some("aws.events") && detail_type == Some("Scheduled Event");
        let catalog_id = detail
            .and_then(|d| d.request_parameters.0.as_ref())
            .and_then(|r| r.catalog_id.0.as_deref());
        let error_code = detail.and_then(|d| d.error_code.0.as_deref());
        let skip = if !(api_call || schedule) {
            true
        } else if api_call {
            event_name.as_deref() != Some("PutDataCatalogEncryptionSettings")
                || (ME.role_arn.is_some() && issuer == ME.role_arn)
                || error_code.is_some_and(|c| !c.is_empty())
                || catalog_id.is_some_and(|c| !c.is_empty() && Some(c) != ME.account)
        } else {
            false
        } || summary[4].as_deref().is_some_and(|a| Some(a) != ME.account)
            || summary[5].as_deref().is_some_and(|r| r != ME.region);
        let found = summary.iter().flatten().count();
        if skip {
            found
        } else {
            found + evaluate(settings, |key| key == KEY).len()
        }
    }

    /// A string field: `None` when absent or not a string (a number, object, array or null).
    #[derive(Debug, Default)]
    pub struct Text<'a>(pub Option<Cow<'a, str>>);

    impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct TextVisitor<'a>(PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
                type Value = Text<'a>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                    Ok(Text(Some(Cow::Borrowed(v))))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                    Ok(Text(Some(Cow::Owned(v.to_owned()))))
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                    Ok(Text(None))
                }
                fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                    Ok(Text(None))
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                    Ok(Text(None))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                    Ok(Text(None))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(Text(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Text(None))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Text(None))
                }
            }
            deserializer.deserialize_any(TextVisitor(PhantomData))
        }
    }

    /// An object field: `None` when absent or not an object.
    #[derive(Debug)]
    pub struct Object<T>(pub Option<T>);

    impl<T> Default for Object<T> {
        fn default() -> Self {
            Self(None)
        }
    }

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct ObjectVisitor<T>(PhantomData<T>);
            impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
                type Value = Object<T>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                    T::deserialize(MapAccessDeserializer::new(map)).map(|t| Object(Some(t)))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Object(None))
                }
                fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                    Ok(Object(None))
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                    Ok(Object(None))
                }
                fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                    Ok(Object(None))
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                    Ok(Object(None))
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                    Ok(Object(None))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(Object(None))
                }
            }
            deserializer.deserialize_any(ObjectVisitor(PhantomData))
        }
    }

    /// The EventBridge envelope: what `classify` reads of it.
    #[derive(Debug, Deserialize)]
    pub struct Event<'a> {
        #[serde(default, borrow)]
        pub source: Text<'a>,
        #[serde(default, borrow, rename = "detail-type")]
        pub detail_type: Text<'a>,
        #[serde(default, borrow)]
        pub id: Text<'a>,
        #[serde(default, borrow)]
        pub time: Text<'a>,
        #[serde(default, borrow)]
        pub account: Text<'a>,
        #[serde(default, borrow)]
        pub region: Text<'a>,
        #[serde(default, borrow)]
        pub detail: Object<Detail<'a>>,
    }

    /// The CloudTrail record: what `classify` reads of it.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Detail<'a> {
        #[serde(default, borrow)]
        pub event_source: Text<'a>,
        #[serde(default, borrow)]
        pub event_name: Text<'a>,
        #[serde(default, borrow, rename = "eventID")]
        pub event_id: Text<'a>,
        #[serde(default, borrow)]
        pub event_time: Text<'a>,
        #[serde(default, borrow)]
        pub aws_region: Text<'a>,
        #[serde(default, borrow)]
        pub recipient_account_id: Text<'a>,
        #[serde(default, borrow)]
        pub error_code: Text<'a>,
        #[serde(default, borrow)]
        pub user_identity: Object<UserIdentity<'a>>,
        #[serde(default, borrow)]
        pub request_parameters: Object<RequestParameters<'a>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct UserIdentity<'a> {
        #[serde(default, borrow)]
        pub arn: Text<'a>,
        #[serde(default, borrow)]
        pub invoked_by: Text<'a>,
        #[serde(default, borrow)]
        pub session_context: Object<SessionContext<'a>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SessionContext<'a> {
        #[serde(default, borrow)]
        pub session_issuer: Object<SessionIssuer<'a>>,
    }

    #[derive(Debug, Deserialize)]
    pub struct SessionIssuer<'a> {
        #[serde(default, borrow)]
        pub arn: Text<'a>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct RequestParameters<'a> {
        #[serde(default, borrow)]
        pub catalog_id: Text<'a>,
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = core
}
criterion_main!(benches);
