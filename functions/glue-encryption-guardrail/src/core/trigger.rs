//! Pure core: what woke the guardrail, and whether it is worth a look at the catalog.
//!
//! The event is only a trigger: nothing here reads the requested settings, because the request
//! says what someone asked for, not what the catalog is. It takes any event the parser
//! ([`super::event`]) read and never fails; an event it does not understand is a skip with a
//! reason.

use super::event::{AsTrigger, Detail};
use serde::Serialize;
use std::fmt;

/// The one API whose CloudTrail events the guardrail acts on.
pub const WATCHED_EVENT_NAME: &str = "PutDataCatalogEncryptionSettings";
const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";
const SCHEDULE_DETAIL_TYPE: &str = "Scheduled Event";

/// Event text copied into the audit record is cut to this many bytes, so an oversized event
/// cannot flood the logs.
const MAX_FIELD_BYTES: usize = 256;

/// What the guardrail knows of itself when it classifies an event.
#[derive(Debug, Clone, Copy)]
pub struct Whoami<'a> {
    /// The function's own session, `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/FUNCTION`:
    /// events whose caller is exactly this session are the guardrail's own writes. Any other
    /// session of the same role (another function, a person) is evaluated like anyone else.
    pub own_session_arn: Option<&'a str>,
    /// The account the function runs in, when known.
    pub account: Option<&'a str>,
    /// The region the function runs in.
    pub region: &'a str,
}

/// The kind of trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// A CloudTrail record of an API call, delivered by EventBridge.
    ApiCall,
    /// A scheduled reconcile tick.
    Schedule,
    /// Anything else.
    Other,
}

/// Who and what triggered an invocation, as recorded in the audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggerSummary {
    pub kind: TriggerKind,
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub caller_arn: Option<String>,
    pub event_time: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
}

/// Why an event is not worth a look at the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The payload is not a JSON object.
    NotAnEvent,
    /// Neither a CloudTrail record of a Glue call nor a scheduled tick.
    UnsupportedEvent { source: String, detail_type: String },
    /// A CloudTrail record of another Glue API.
    OtherApi { event_name: String },
    /// The call failed (`errorCode` is set), so it changed nothing.
    FailedCall { error_code: String },
    /// The guardrail's own write coming back as an event.
    OwnWrite,
    /// Neither the request, the recipient nor the event's account is ours.
    OtherAccount { account: String },
    /// The event comes from another region.
    OtherRegion { region: String },
}

impl SkipReason {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAnEvent => "not_an_event",
            Self::UnsupportedEvent { .. } => "unsupported_event",
            Self::OtherApi { .. } => "other_api",
            Self::FailedCall { .. } => "failed_call",
            Self::OwnWrite => "own_write",
            Self::OtherAccount { .. } => "other_account",
            Self::OtherRegion { .. } => "other_region",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnEvent => write!(f, "the payload is not an EventBridge event object"),
            Self::UnsupportedEvent {
                source,
                detail_type,
            } => write!(
                f,
                "unsupported event: source {source:?}, detail-type {detail_type:?}"
            ),
            Self::OtherApi { event_name } => write!(
                f,
                "CloudTrail event for {event_name:?}, not {WATCHED_EVENT_NAME}"
            ),
            Self::FailedCall { error_code } => {
                write!(
                    f,
                    "the call failed with {error_code}, so it changed nothing"
                )
            }
            Self::OwnWrite => write!(f, "the guardrail's own write"),
            Self::OtherAccount { account } => write!(
                f,
                "concerns account {account}; the guardrail guards its own catalog only"
            ),
            Self::OtherRegion { region } => write!(
                f,
                "comes from {region}; the guardrail guards its own region only"
            ),
        }
    }
}

/// The verdict on an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Read the catalog and evaluate it.
    Evaluate,
    /// Do nothing, for this reason.
    Skip(SkipReason),
}

/// An event, summarized and judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub summary: TriggerSummary,
    pub decision: Decision,
}

/// Summarizes and judges an EventBridge event. Never fails and never panics: missing fields,
/// fields of the wrong type and unknown events all end in a decision.
pub fn classify(event: &(impl AsTrigger + ?Sized), me: Whoami<'_>) -> Classified {
    let event = event.as_trigger();
    let detail = event.detail.as_ref();
    let at = |field: fn(&Detail) -> &Option<String>| detail.and_then(|d| field(d).as_deref());
    let identity = detail.and_then(|d| d.user_identity.as_ref());
    let issuer = identity.and_then(|i| i.session_issuer_arn.as_deref());
    let caller = identity.and_then(|i| i.arn.as_deref());

    let source = event.source.as_deref().unwrap_or_default();
    let detail_type = event.detail_type.as_deref().unwrap_or_default();
    let event_name = at(|d| &d.event_name);
    let kind = match (detail_type, source) {
        (CLOUDTRAIL_DETAIL_TYPE, "aws.glue")
            if at(|d| &d.event_source) == Some("glue.amazonaws.com") =>
        {
            TriggerKind::ApiCall
        }
        (SCHEDULE_DETAIL_TYPE, "aws.events") => TriggerKind::Schedule,
        _ => TriggerKind::Other,
    };
    let recipient = at(|d| &d.recipient_account_id);
    let account = event.account.as_deref().or(recipient);
    let region = event.region.as_deref().or_else(|| at(|d| &d.aws_region));
    let caller_arn = caller
        .or(issuer)
        .or_else(|| identity.and_then(|i| i.invoked_by.as_deref()));

    let summary = TriggerSummary {
        kind,
        event_id: clip(at(|d| &d.event_id).or(event.id.as_deref())),
        event_name: clip(match kind {
            TriggerKind::Schedule => Some(SCHEDULE_DETAIL_TYPE),
            _ => event_name,
        }),
        caller_arn: clip(caller_arn),
        event_time: clip(at(|d| &d.event_time).or(event.time.as_deref())),
        account: clip(account),
        region: clip(region),
    };

    let decision = if !event.is_object {
        Decision::Skip(SkipReason::NotAnEvent)
    } else {
        let seen = Seen {
            kind,
            source,
            detail_type,
            event_name,
            account: event.account.as_deref(),
            recipient,
            region,
            caller,
            catalog_id: detail
                .and_then(|d| d.request_parameters.as_ref())
                .and_then(|r| r.catalog_id.as_deref()),
            error_code: error_code(detail),
        };
        skip_reason(&seen, me).map_or(Decision::Evaluate, Decision::Skip)
    };
    Classified { summary, decision }
}

/// The fields of an event that decide whether to skip it.
struct Seen<'a> {
    kind: TriggerKind,
    source: &'a str,
    detail_type: &'a str,
    event_name: Option<&'a str>,
    /// The envelope's `account`.
    account: Option<&'a str>,
    /// `detail.recipientAccountId`: the account whose resources the call acted on.
    recipient: Option<&'a str>,
    region: Option<&'a str>,
    /// `detail.userIdentity.arn`.
    caller: Option<&'a str>,
    catalog_id: Option<&'a str>,
    error_code: Option<String>,
}

/// The reasons to skip, cheapest and most certain first. The loop guard comes before anything
/// else so that the guardrail's own writes cost nothing at all, whatever kind of event carries
/// them: an event whose caller is the function's own session is never a reason to act.
///
/// A skip must be certain: reading our own catalog is cheap and safe, while a wrong skip leaves
/// drift until the next scheduled tick. So an event is skipped as another account's only when
/// nothing in it says it concerns ours.
fn skip_reason(seen: &Seen<'_>, me: Whoami<'_>) -> Option<SkipReason> {
    let clipped = |value: &str| clip(Some(value)).unwrap_or_default();
    if me.own_session_arn.is_some() && seen.caller == me.own_session_arn {
        return Some(SkipReason::OwnWrite);
    }
    match seen.kind {
        TriggerKind::Other => {
            return Some(SkipReason::UnsupportedEvent {
                source: clipped(seen.source),
                detail_type: clipped(seen.detail_type),
            });
        }
        TriggerKind::ApiCall => {
            if seen.event_name != Some(WATCHED_EVENT_NAME) {
                return Some(SkipReason::OtherApi {
                    event_name: clipped(seen.event_name.unwrap_or_default()),
                });
            }
            if let Some(error_code) = &seen.error_code {
                return Some(SkipReason::FailedCall {
                    error_code: clip(Some(error_code)).unwrap_or_default(),
                });
            }
            if let Some(theirs) = other_account(seen, me) {
                return Some(SkipReason::OtherAccount {
                    account: clipped(theirs),
                });
            }
        }
        TriggerKind::Schedule => {
            if let (Some(mine), Some(theirs)) = (me.account, seen.account)
                && mine != theirs
            {
                return Some(SkipReason::OtherAccount {
                    account: clipped(theirs),
                });
            }
        }
    }
    match seen.region {
        Some(region) if region != me.region => Some(SkipReason::OtherRegion {
            region: clipped(region),
        }),
        _ => None,
    }
}

/// The other account whose catalog a CloudTrail record of a call concerns, when it is not ours.
/// A request that names a `catalogId` acted on that catalog; without one, on its recipient's
/// (the caller's own account's). The envelope's account counts only when the record names
/// neither: EventBridge may deliver another account's event (a central bus), and such an event
/// that names our catalog concerns us.
fn other_account<'a>(seen: &Seen<'a>, me: Whoami<'_>) -> Option<&'a str> {
    let mine = me.account?;
    let concerned = seen
        .catalog_id
        .filter(|id| !id.is_empty())
        .or(seen.recipient)
        .or(seen.account)?;
    (concerned != mine).then_some(concerned)
}

/// `detail.errorCode`, when the call failed. Any non-null, non-empty value counts: a failed
/// call changed nothing, whatever the code's type.
fn error_code(detail: Option<&Detail>) -> Option<String> {
    detail?.error_code.clone()
}

/// Copies event text for the audit record, cut at [`MAX_FIELD_BYTES`] on a character boundary.
fn clip(value: Option<&str>) -> Option<String> {
    let value = value?;
    if value.len() <= MAX_FIELD_BYTES {
        return Some(value.to_owned());
    }
    let mut end = MAX_FIELD_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{}…", &value[..end]))
}
