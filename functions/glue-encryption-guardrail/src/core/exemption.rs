//! Pure core: an operator's exemption of this account and region from remediation.
//!
//! The stack owns an SSM parameter that holds `none` until an operator puts a small JSON document
//! in it, `{"expires": "2027-01-31T00:00:00Z", "reason": "…"}`. While that is in force the
//! guardrail still evaluates and reports the catalog, but never writes it; once `expires` has
//! passed, it stops applying by itself. Both fields are required, so that every exemption says
//! why and for how long, and `expires` may lie at most `EXEMPTION_MAX_DAYS` ahead.
//!
//! An exemption weakens the guardrail, so it fails closed: one that is malformed, too long, or
//! cannot be read is ignored, the catalog is remediated, and the record says why.

use serde::Serialize;

/// The value that means "no exemption": what the stack puts in the parameter.
pub const NO_EXEMPTION: &str = "none";

/// What the exemption parameter said, as far as the guardrail is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExemptionState {
    /// In force: the catalog is reported, not written.
    Active,
    /// Its time has passed: it no longer applies.
    Expired,
    /// Malformed, too long or unreadable: it does not apply, and `problem` says why.
    Ignored,
}

/// An exemption as the audit record shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exemption {
    pub state: ExemptionState,
    /// As the operator wrote it, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why it was ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Exemption {
    /// An exemption that does not apply, for `problem`.
    pub fn ignored(problem: String) -> Self {
        Self {
            state: ExemptionState::Ignored,
            expires: None,
            reason: None,
            problem: Some(problem),
        }
    }

    /// Whether it keeps the guardrail from writing.
    pub fn is_active(&self) -> bool {
        self.state == ExemptionState::Active
    }
}

/// Judges the parameter's value at `now` (seconds since the Unix epoch): `None` when it holds
/// [`NO_EXEMPTION`], otherwise what the exemption is worth.
pub fn assess(text: &str, now: u64, max_days: u32) -> Option<Exemption> {
    let text = text.trim();
    if text == NO_EXEMPTION {
        return None;
    }
    let (expires, reason, expires_at) = match parse(text) {
        Ok(parsed) => parsed,
        Err(problem) => return Some(Exemption::ignored(problem)),
    };
    let latest = now.saturating_add(u64::from(max_days) * 86_400);
    let (state, problem) = if expires_at > latest {
        (
            ExemptionState::Ignored,
            Some(format!(
                "\"expires\" is {expires}, more than {max_days} days from now \
                 (EXEMPTION_MAX_DAYS); an exemption must be renewed, not open-ended"
            )),
        )
    } else if expires_at <= now {
        (ExemptionState::Expired, None)
    } else {
        (ExemptionState::Active, None)
    };
    Some(Exemption {
        state,
        expires: Some(expires),
        reason: Some(reason),
        problem,
    })
}

/// `expires`, `reason` and the expiry in seconds since the Unix epoch, or what is wrong.
fn parse(text: &str) -> Result<(String, String, u64), String> {
    #[derive(serde::Deserialize)]
    struct Raw {
        expires: Option<String>,
        reason: Option<String>,
    }
    let raw: Raw = serde_json::from_str(text).map_err(|e| {
        format!("not {NO_EXEMPTION:?} nor a JSON object with \"expires\" and \"reason\": {e}")
    })?;
    let expires = raw.expires.ok_or("\"expires\" is missing")?;
    let reason = raw
        .reason
        .filter(|r| !r.trim().is_empty())
        .ok_or("\"reason\" is missing or empty")?;
    // RFC 3339 with an explicit offset (`Z` or `+01:00`): a time without one is ambiguous.
    let expires_at = expires
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| u64::try_from(t.as_second()).ok())
        .ok_or_else(|| {
            format!("\"expires\" is {expires:?}, not an RFC 3339 time like 2027-01-31T00:00:00Z")
        })?;
    Ok((expires, reason, expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-22T00:00:00Z.
    const NOW: u64 = 1_795_305_600;

    fn exemption(expires: &str) -> String {
        format!(r#"{{"expires":"{expires}","reason":"Terraform owns it"}}"#)
    }

    fn state(text: &str) -> Option<ExemptionState> {
        assess(text, NOW, 90).map(|e| e.state)
    }

    #[test]
    fn none_means_no_exemption() {
        assert_eq!(assess("none", NOW, 90), None);
        assert_eq!(assess(" none\n", NOW, 90), None);
    }

    #[test]
    fn an_exemption_applies_until_it_expires() {
        assert_eq!(
            state(&exemption("2026-11-22T00:00:01Z")),
            Some(ExemptionState::Active)
        );
        assert_eq!(
            state(&exemption("2026-11-22T00:00:00Z")),
            Some(ExemptionState::Expired)
        );
        let active = assess(&exemption("2026-12-31T00:00:00Z"), NOW, 90);
        assert_eq!(
            active.as_ref().and_then(|e| e.reason.as_deref()),
            Some("Terraform owns it")
        );
        assert!(active.is_some_and(|e| e.is_active()));
    }

    #[test]
    fn offsets_and_fractions_are_understood() {
        // 2026-11-22T01:00:00+01:00 is midnight UTC: expired at NOW.
        assert_eq!(
            state(&exemption("2026-11-22T01:00:00+01:00")),
            Some(ExemptionState::Expired)
        );
        assert_eq!(
            state(&exemption("2026-11-22T01:00:01.5+01:00")),
            Some(ExemptionState::Active)
        );
    }

    #[test]
    fn an_exemption_longer_than_the_maximum_is_ignored() {
        // 90 days after NOW is 2027-02-20T00:00:00Z.
        assert_eq!(
            state(&exemption("2027-02-20T00:00:00Z")),
            Some(ExemptionState::Active)
        );
        let too_long = assess(&exemption("2027-02-20T00:00:01Z"), NOW, 90);
        assert_eq!(
            too_long.as_ref().map(|e| e.state),
            Some(ExemptionState::Ignored)
        );
        assert!(
            too_long
                .and_then(|e| e.problem)
                .is_some_and(|p| p.contains("more than 90 days"))
        );
        assert_eq!(
            assess(&exemption("2027-11-22T00:00:00Z"), NOW, 365).map(|e| e.state),
            Some(ExemptionState::Active)
        );
    }

    #[test]
    fn a_malformed_exemption_is_ignored_with_its_problem() {
        for (text, problem) in [
            ("", "JSON object"),
            ("until further notice", "JSON object"),
            ("true", "JSON object"),
            (r#"{"reason":"x"}"#, "\"expires\" is missing"),
            (r#"{"expires":"2026-12-01T00:00:00Z"}"#, "\"reason\""),
            (
                r#"{"expires":"2026-12-01T00:00:00Z","reason":" "}"#,
                "\"reason\"",
            ),
            (r#"{"expires":"next year","reason":"x"}"#, "RFC 3339"),
            (
                r#"{"expires":"2026-12-01T00:00:00","reason":"x"}"#,
                "RFC 3339",
            ),
            (
                r#"{"expires":"2026-13-01T00:00:00Z","reason":"x"}"#,
                "RFC 3339",
            ),
            (
                r#"{"expires":"1969-12-31T23:59:59Z","reason":"x"}"#,
                "RFC 3339",
            ),
        ] {
            let assessed = assess(text, NOW, 90);
            assert_eq!(
                assessed.as_ref().map(|e| e.state),
                Some(ExemptionState::Ignored),
                "{text}"
            );
            let found = assessed.and_then(|e| e.problem).unwrap_or_default();
            assert!(found.contains(problem), "{text}: {found}");
        }
    }
}
