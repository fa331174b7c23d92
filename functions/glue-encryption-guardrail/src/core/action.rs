//! Pure core: what to do about an evaluated catalog. The policy's verdict, the exemption (already
//! judged at the invocation's time) and the enforcement mode go in; one action and the reason
//! for it come out, the way an authorizer returns a decision with its reasons.

use super::exemption::{Exemption, ExemptionState};
use super::policy::{Violation, codes};
use serde::Serialize;

/// Whether the guardrail fixes drift or only reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcementMode {
    /// Re-apply both settings, then verify.
    #[default]
    Remediate,
    /// Report drift; never write.
    Detect,
}

/// What to do about the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// Nothing is wrong; nothing to write.
    LeaveAlone,
    /// Drift, but an exemption in force: report it, write nothing.
    HoldForExemption,
    /// Drift in detect mode: report it, write nothing.
    Report,
    /// Drift: write both settings back, then verify.
    Remediate,
}

/// The action and the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    /// Why, for a person: the violations, and what the mode or the exemption made of them.
    pub reason: String,
}

/// Chooses the action for a catalog with `violations`. An exemption counts only while it is
/// active; one that was ignored is named in the reason, so the record says why it did not hold.
pub fn choose(
    violations: &[Violation],
    exemption: Option<&Exemption>,
    mode: EnforcementMode,
) -> Action {
    if violations.is_empty() {
        return Action {
            kind: ActionKind::LeaveAlone,
            reason: "metadata and connection passwords are encrypted with the expected key, \
                     pinned by its ARN"
                .into(),
        };
    }
    let drift = format!("drift found ({})", codes(violations));
    if let Some(exemption) = exemption.filter(|e| e.is_active()) {
        return Action {
            kind: ActionKind::HoldForExemption,
            reason: format!(
                "{drift}; exempt until {} ({}), so nothing is written",
                exemption.expires.as_deref().unwrap_or("?"),
                exemption.reason.as_deref().unwrap_or("?"),
            ),
        };
    }
    let ignored = match exemption {
        Some(Exemption {
            state: ExemptionState::Ignored,
            problem,
            ..
        }) => format!(
            "; the exemption was ignored: {}",
            problem.as_deref().unwrap_or("?")
        ),
        Some(Exemption {
            state: ExemptionState::Expired,
            expires,
            ..
        }) => format!(
            "; the exemption expired at {}",
            expires.as_deref().unwrap_or("?")
        ),
        _ => String::new(),
    };
    match mode {
        EnforcementMode::Detect => Action {
            kind: ActionKind::Report,
            reason: format!("{drift}; detect mode writes nothing{ignored}"),
        },
        EnforcementMode::Remediate => Action {
            kind: ActionKind::Remediate,
            reason: format!(
                "{drift}; re-applied both settings with the expected key's ARN and verified \
                 them{ignored}"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::exemption::assess;

    /// 2026-11-22T00:00:00Z.
    const NOW: u64 = 1_795_305_600;
    const DRIFT: &[Violation] = &[Violation::MetadataEncryptionDisabled];

    fn exemption(expires: &str) -> Option<Exemption> {
        assess(
            &format!(r#"{{"expires":"{expires}","reason":"Terraform owns it"}}"#),
            NOW,
            90,
        )
    }

    /// Every verdict × exemption × mode, with the action each must give.
    #[test]
    fn every_verdict_exemption_and_mode_gives_one_action() {
        use ActionKind as A;
        use EnforcementMode as M;
        let exemptions = [
            ("none", None),
            ("active", exemption("2026-12-01T00:00:00Z")),
            ("expired", exemption("2026-11-01T00:00:00Z")),
            ("too long", exemption("2030-01-01T00:00:00Z")),
            ("malformed", assess("until further notice", NOW, 90)),
        ];
        let cases = [
            // (violations, exemption, mode, action)
            (false, "none", M::Remediate, A::LeaveAlone),
            (false, "active", M::Remediate, A::LeaveAlone),
            (false, "none", M::Detect, A::LeaveAlone),
            (true, "none", M::Remediate, A::Remediate),
            (true, "none", M::Detect, A::Report),
            (true, "active", M::Remediate, A::HoldForExemption),
            (true, "active", M::Detect, A::HoldForExemption),
            (true, "expired", M::Remediate, A::Remediate),
            (true, "expired", M::Detect, A::Report),
            (true, "too long", M::Remediate, A::Remediate),
            (true, "malformed", M::Remediate, A::Remediate),
            (true, "malformed", M::Detect, A::Report),
        ];
        for (drifted, name, mode, kind) in cases {
            let violations = if drifted { DRIFT } else { &[] };
            let exemption = exemptions
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, e)| e.as_ref());
            let action = choose(violations, exemption, mode);
            assert_eq!(action.kind, kind, "{drifted} {name} {mode:?}");
        }
    }

    #[test]
    fn the_reason_names_the_drift_and_what_became_of_the_exemption() {
        let held = choose(
            DRIFT,
            exemption("2026-12-01T00:00:00Z").as_ref(),
            EnforcementMode::Remediate,
        );
        assert!(held.reason.contains("metadata_encryption_disabled"));
        assert!(held.reason.contains("2026-12-01T00:00:00Z"));
        assert!(held.reason.contains("Terraform owns it"));

        let fixed = choose(
            DRIFT,
            exemption("2030-01-01T00:00:00Z").as_ref(),
            EnforcementMode::Remediate,
        );
        assert!(
            fixed
                .reason
                .contains("the exemption was ignored: \"expires\" is 2030-01-01T00:00:00Z"),
            "{}",
            fixed.reason
        );

        let reported = choose(
            DRIFT,
            exemption("2026-11-01T00:00:00Z").as_ref(),
            EnforcementMode::Detect,
        );
        assert!(
            reported.reason.ends_with(
                "detect mode writes nothing; the exemption expired at 2026-11-01T00:00:00Z"
            ),
            "{}",
            reported.reason
        );
    }
}
