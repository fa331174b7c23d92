//! Pure core: an operator's exemption of this account and region from remediation.
//!
//! An exemption is a small JSON document, `{"expires": "2027-01-31T00:00:00Z", "reason": "…"}`,
//! kept in an SSM parameter of the stack's. While it is in force the guardrail still evaluates
//! and reports the catalog, but never writes it; once `expires` has passed, it stops applying by
//! itself. Both fields are required, so that every exemption says why and for how long.

use serde::Serialize;

/// A parsed exemption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exemption {
    /// As the operator wrote it (RFC 3339, UTC).
    pub expires: String,
    pub reason: String,
    /// Seconds since the Unix epoch.
    #[serde(skip)]
    pub expires_at: u64,
}

impl Exemption {
    /// Parses the parameter's value, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Raw {
            expires: Option<String>,
            reason: Option<String>,
        }
        let raw: Raw = serde_json::from_str(text)
            .map_err(|e| format!("not a JSON object with \"expires\" and \"reason\": {e}"))?;
        let expires = raw.expires.ok_or("\"expires\" is missing")?;
        let reason = raw
            .reason
            .filter(|r| !r.trim().is_empty())
            .ok_or("\"reason\" is missing or empty")?;
        let expires_at = parse_utc(&expires).ok_or_else(|| {
            format!("\"expires\" is {expires:?}, not a UTC time like 2027-01-31T00:00:00Z")
        })?;
        Ok(Self {
            expires,
            reason,
            expires_at,
        })
    }

    /// Whether the exemption is still in force at `now` (seconds since the Unix epoch).
    pub fn is_active(&self, now: u64) -> bool {
        now < self.expires_at
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (fractional seconds allowed) into seconds since the epoch.
fn parse_utc(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = text.get(range)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':'
        && matches!(b[b.len() - 1], b'Z' | b'z');
    if !shape {
        return None;
    }
    let fraction = b.get(20..b.len() - 1).unwrap_or_default();
    if b.len() > 20
        && (b[19] != b'.' || fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit))
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    if year < 1970 || day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days_since_epoch(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days from 1970-01-01 to the given civil date (Howard Hinnant's algorithm).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_parse_to_epoch_seconds() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(parse_utc("2026-11-22T02:16:00Z"), Some(1_795_313_760));
        assert_eq!(parse_utc("2024-02-29T23:59:59.999Z"), Some(1_709_251_199));
    }

    #[test]
    fn malformed_times_are_refused() {
        for text in [
            "",
            "2026-11-22",
            "2026-11-22T02:16:00",
            "2026-11-22T02:16:00+01:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-1-22T02:16:00Z",
            "2026-11-22T02:16:00.Z",
        ] {
            assert_eq!(parse_utc(text), None, "{text}");
        }
    }

    #[test]
    fn an_exemption_needs_an_expiry_and_a_reason() {
        let ok =
            Exemption::parse(r#"{"expires":"2027-01-31T00:00:00Z","reason":"Terraform owns it"}"#);
        assert_eq!(
            ok.as_ref().map(|e| e.reason.as_str()),
            Ok("Terraform owns it")
        );
        for bad in [
            "",
            "true",
            r#"{"reason":"x"}"#,
            r#"{"expires":"2027-01-31T00:00:00Z"}"#,
            r#"{"expires":"2027-01-31T00:00:00Z","reason":" "}"#,
            r#"{"expires":"next year","reason":"x"}"#,
        ] {
            assert!(Exemption::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_exemption_stops_applying_when_it_expires() {
        let e = Exemption::parse(r#"{"expires":"1970-01-01T00:01:40Z","reason":"r"}"#).unwrap();
        assert!(e.is_active(99));
        assert!(!e.is_active(100));
    }
}
