//! Pure core: the EventBridge event, as much of it as the guardrail reads.
//!
//! The function is handed every event as JSON bytes. Building a whole `serde_json::Value` of a
//! CloudTrail record (fifty-odd keys, each one an allocation) only to read a dozen strings out
//! of it costs more than the rest of the pure core together, so the event is parsed straight
//! into the fields [`classify`](super::trigger::classify) reads, and every other key is skipped
//! without being copied.
//!
//! Parsing never refuses valid JSON: a payload that is not an object, a field of an unexpected
//! type, a duplicated key (the last one counts, as in `Value`) all read as what they are, and
//! the judgement on them is `classify`'s, with a reason. Only bytes that are not JSON fail.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// An EventBridge event: the envelope's fields and, for a CloudTrail record, its `detail`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerEvent {
    /// Whether the payload is a JSON object at all; nothing else is an event.
    pub is_object: bool,
    pub source: Option<String>,
    /// `detail-type`.
    pub detail_type: Option<String>,
    pub id: Option<String>,
    pub time: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub detail: Option<Detail>,
}

/// A CloudTrail record's fields that the guardrail reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    /// `eventID`.
    pub event_id: Option<String>,
    pub event_time: Option<String>,
    pub aws_region: Option<String>,
    pub recipient_account_id: Option<String>,
    /// `errorCode`, as text whatever its JSON type; `None` when absent, null or empty. Any
    /// other value means the call failed.
    pub error_code: Option<String>,
    pub user_identity: Option<UserIdentity>,
    pub request_parameters: Option<RequestParameters>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserIdentity {
    pub arn: Option<String>,
    pub invoked_by: Option<String>,
    /// `sessionContext.sessionIssuer.arn`: the role behind an assumed-role session.
    pub session_issuer_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestParameters {
    pub catalog_id: Option<String>,
}

impl TriggerEvent {
    /// Parses the bytes Lambda hands the function. Fails only when they are not JSON.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

impl From<&Value> for TriggerEvent {
    /// The same reading of an event already parsed to a `Value` (tests, tools).
    fn from(value: &Value) -> Self {
        // Reading a `Value` cannot fail: every field accepts every JSON type.
        Self::deserialize(value).unwrap_or_default()
    }
}

/// What [`classify`](super::trigger::classify) and the handler take as an event: the typed
/// event the runtime deserializes, or a JSON value, read the same way.
pub trait AsTrigger {
    fn as_trigger(&self) -> Cow<'_, TriggerEvent>;
}

impl AsTrigger for TriggerEvent {
    fn as_trigger(&self) -> Cow<'_, TriggerEvent> {
        Cow::Borrowed(self)
    }
}

impl AsTrigger for Value {
    fn as_trigger(&self) -> Cow<'_, TriggerEvent> {
        Cow::Owned(TriggerEvent::from(self))
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialization: one lenient visitor; objects are read key by key.

/// An object whose keys are read one at a time into `Self`; unknown keys are skipped.
trait Fields: Default {
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

/// `Fields` for a struct: each JSON key, the field it fills, and how the value is read.
macro_rules! fields {
    ($type:ty { $($key:literal => $field:ident: $read:ident),+ $(,)? }) => {
        impl Fields for $type {
            fn field<'de, A: MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<(), A::Error> {
                match key {
                    $($key => self.$field = $read(map)?,)+
                    _ => skip(map)?,
                }
                Ok(())
            }
        }
    };
}

fields!(TriggerEvent {
    "source" => source: text,
    "detail-type" => detail_type: text,
    "id" => id: text,
    "time" => time: text,
    "account" => account: text,
    "region" => region: text,
    "detail" => detail: object,
});

fields!(Detail {
    "eventSource" => event_source: text,
    "eventName" => event_name: text,
    "eventID" => event_id: text,
    "eventTime" => event_time: text,
    "awsRegion" => aws_region: text,
    "recipientAccountId" => recipient_account_id: text,
    "errorCode" => error_code: any_as_text,
    "userIdentity" => user_identity: object,
    "requestParameters" => request_parameters: object,
});

fields!(UserIdentity {
    "arn" => arn: text,
    "invokedBy" => invoked_by: text,
    "sessionContext" => session_issuer_arn: issuer_arn,
});

fields!(RequestParameters {
    "catalogId" => catalog_id: text,
});

/// `sessionContext`, read only for its issuer.
#[derive(Default)]
struct SessionContext {
    issuer: Option<SessionIssuer>,
}

#[derive(Default)]
struct SessionIssuer {
    arn: Option<String>,
}

fields!(SessionContext {
    "sessionIssuer" => issuer: object,
});

fields!(SessionIssuer {
    "arn" => arn: text,
});

/// `sessionContext.sessionIssuer.arn`.
fn issuer_arn<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<String>, A::Error> {
    Ok(object::<_, SessionContext>(map)?
        .and_then(|context| context.issuer)
        .and_then(|issuer| issuer.arn))
}

/// The next value as text whatever its JSON type: a number or a boolean as written, an object
/// or an array as `(an object)` or `(an array)` (skipped, never built: no depth of nesting can
/// fail the parse), null or an empty string as `None`.
fn any_as_text<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<String>, A::Error> {
    map.next_value::<Lenient<AnyText>>()
        .map(|text| text.0.map(|t| t.0))
}

/// The next value as text: `None` when it is not a string.
fn text<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<String>, A::Error> {
    map.next_value::<Lenient<String>>().map(|text| text.0)
}

/// The next value as `T`: `None` when it is not an object.
fn object<'de, A: MapAccess<'de>, T: Fields>(map: &mut A) -> Result<Option<T>, A::Error> {
    map.next_value::<Lenient<T>>().map(|object| object.0)
}

fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(drop)
}

impl<'de> Deserialize<'de> for TriggerEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let event = Lenient::<Self>::deserialize(deserializer)?.0;
        Ok(event.map_or_else(Self::default, |event| Self {
            is_object: true,
            ..event
        }))
    }
}

/// What a field is read as: text or an object, and for [`AnyText`] any value. Any other JSON
/// type reads as absent.
trait Readable: Sized {
    fn from_text(_: &str) -> Option<Self> {
        None
    }

    /// A number or a boolean, as written.
    fn from_scalar(_: &dyn fmt::Display) -> Option<Self> {
        None
    }

    /// An array, whose elements are skipped without being built.
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn from_object<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl Readable for String {
    fn from_text(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

/// Any JSON value as text: see [`any_as_text`].
struct AnyText(String);

impl Readable for AnyText {
    fn from_text(text: &str) -> Option<Self> {
        (!text.is_empty()).then(|| Self(text.to_owned()))
    }

    fn from_scalar(value: &dyn fmt::Display) -> Option<Self> {
        Some(Self(value.to_string()))
    }

    fn from_object<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Some(Self("(an object)".into())))
    }

    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Some(Self("(an array)".into())))
    }
}

impl<T: Fields> Readable for T {
    fn from_object<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut fields = T::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            fields.field(&key.0, &mut map)?;
        }
        Ok(Some(fields))
    }
}

/// Any JSON value, read as `T` when it has `T`'s type and as `None` otherwise.
struct Lenient<T>(Option<T>);

impl<'de, T: Readable> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: Readable> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Lenient(T::from_text(v)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::from_object(map).map(Lenient)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::from_seq(seq).map(Lenient)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Lenient(T::from_scalar(&v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Lenient(T::from_scalar(&v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Lenient(T::from_scalar(&v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Lenient(T::from_scalar(&v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Lenient(None))
    }
}

/// An object key, borrowed from the input unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cloudtrail_record_is_read_into_its_fields() {
        let bytes = br#"{"source":"aws.glue","detail-type":"AWS API Call via CloudTrail",
            "account":"111122223333","region":"eu-west-1","id":"e1","time":"t",
            "detail":{"eventSource":"glue.amazonaws.com","eventName":"PutDataCatalogEncryptionSettings",
              "eventID":"c1","eventTime":"t2","awsRegion":"eu-west-1","recipientAccountId":"111122223333",
              "userIdentity":{"arn":"arn:aws:sts::111122223333:assumed-role/r/s","invokedBy":"x",
                "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/r"}}},
              "requestParameters":{"catalogId":"111122223333","dataCatalogEncryptionSettings":{}},
              "responseElements":null}}"#;
        let event = TriggerEvent::from_slice(bytes).unwrap();
        let detail = event.detail.clone().unwrap();
        let identity = detail.user_identity.clone().unwrap();
        assert!(event.is_object);
        assert_eq!(event.source.as_deref(), Some("aws.glue"));
        assert_eq!(
            event.detail_type.as_deref(),
            Some("AWS API Call via CloudTrail")
        );
        assert_eq!(
            (event.account.as_deref(), event.region.as_deref()),
            (Some("111122223333"), Some("eu-west-1"))
        );
        assert_eq!(
            detail.event_name.as_deref(),
            Some("PutDataCatalogEncryptionSettings")
        );
        assert_eq!(detail.event_id.as_deref(), Some("c1"));
        assert_eq!(detail.error_code, None);
        assert_eq!(
            identity.session_issuer_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/r")
        );
        assert_eq!(
            detail.request_parameters.unwrap().catalog_id.as_deref(),
            Some("111122223333")
        );
    }

    #[test]
    fn fields_of_another_type_read_as_absent_and_the_rest_still_counts() {
        let value = json!({
            "source": 7, "detail-type": ["x"], "region": {"a": 1}, "account": "1",
            "detail": {"eventName": null, "userIdentity": "me", "errorCode": 403,
                       "requestParameters": [1, 2]},
        });
        let event = TriggerEvent::from(&value);
        let detail = event.detail.clone().unwrap();
        assert!(event.is_object);
        assert_eq!(
            (event.source, event.detail_type, event.region),
            (None, None, None)
        );
        assert_eq!(event.account.as_deref(), Some("1"));
        assert_eq!(detail.event_name, None);
        assert_eq!(detail.user_identity, None);
        assert_eq!(detail.request_parameters, None);
        assert_eq!(detail.error_code.as_deref(), Some("403"));
    }

    #[test]
    fn a_payload_that_is_not_an_object_is_read_but_is_no_event() {
        for bytes in [
            &b"[1, {\"source\": \"aws.glue\"}]"[..],
            b"\"aws.glue\"",
            b"null",
            b"3.5",
        ] {
            let event = TriggerEvent::from_slice(bytes).unwrap();
            assert_eq!(event, TriggerEvent::default(), "{bytes:?}");
        }
    }

    #[test]
    fn the_last_of_duplicated_keys_counts_as_in_a_json_value() {
        let bytes = br#"{"region":"a","detail":{"eventName":"X"},"region":"b","detail":5}"#;
        let event = TriggerEvent::from_slice(bytes).unwrap();
        let value: Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(event.region.as_deref(), Some("b"));
        assert_eq!(event.detail, None);
        assert_eq!(event, TriggerEvent::from(&value));
    }

    #[test]
    fn escaped_keys_and_text_are_unescaped() {
        let bytes = br#"{"sourc\u0065":"aws.\u0067lue","detail":{"eventName":"a\"b"}}"#;
        let event = TriggerEvent::from_slice(bytes).unwrap();
        assert_eq!(event.source.as_deref(), Some("aws.glue"));
        assert_eq!(event.detail.unwrap().event_name.as_deref(), Some("a\"b"));
    }

    #[test]
    fn an_error_code_nested_past_any_depth_limit_still_reads() {
        let depth = 100_000;
        let bytes = format!(
            r#"{{"source":"aws.glue","detail":{{"eventName":"X","errorCode":{}1{}}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(
            serde_json::from_str::<Value>(&bytes).is_err(),
            "too deep for a Value"
        );
        let event = TriggerEvent::from_slice(bytes.as_bytes()).unwrap();
        let detail = event.detail.unwrap();
        assert_eq!(detail.event_name.as_deref(), Some("X"));
        assert_eq!(detail.error_code.as_deref(), Some("(an array)"));
    }

    #[test]
    fn bytes_that_are_not_json_are_refused() {
        for bytes in [&b"{not json"[..], b"", b"{\"a\":1} trailing", b"\xff"] {
            assert!(TriggerEvent::from_slice(bytes).is_err(), "{bytes:?}");
        }
    }
}
