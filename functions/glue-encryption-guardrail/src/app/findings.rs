//! Application: the catalog's verdict published to Security Hub as its one finding
//! (`SECURITY_HUB_FINDINGS=enabled`).
//!
//! `CreatedAt` and `FirstObservedAt` must keep the time the finding was first created, while
//! `UpdatedAt` moves on every import. Rather than read the finding before every import, the
//! publisher reads it once per execution environment and remembers its `CreatedAt`: a warm
//! evaluation costs one import and no read. `UpdatedAt` is kept strictly increasing, since
//! Security Hub ignores an update that is not newer than the finding it holds.

use crate::core::finding::{Scope, Verdict, finding};
use crate::ports::AwsError;
use crate::ports::FindingsHub;
use std::sync::Mutex;

/// Publishes findings through a [`FindingsHub`], remembering what it learned of the finding.
pub struct FindingPublisher {
    hub: Box<dyn FindingsHub>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The finding's id and its `CreatedAt`, once known.
    first_seen: Option<(String, String)>,
    /// The last `UpdatedAt` sent.
    last_update: Option<jiff::Timestamp>,
}

impl FindingPublisher {
    pub fn new(hub: impl FindingsHub + 'static) -> Self {
        Self {
            hub: Box::new(hub),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain data: a panic elsewhere cannot leave it inconsistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Creates or updates the finding of the catalog in `scope` with `verdict`, at `now`.
    pub async fn publish(
        &self,
        scope: Scope<'_>,
        verdict: &Verdict<'_>,
        now: jiff::Timestamp,
    ) -> Result<(), AwsError> {
        let id = scope.finding_id();
        let now = now.round(jiff::Unit::Millisecond).unwrap_or(now);
        let updated = {
            let mut state = self.state();
            let updated = match state.last_update {
                Some(last) if now <= last => last + jiff::SignedDuration::from_millis(1),
                _ => now,
            };
            state.last_update = Some(updated);
            rfc3339_millis(updated)
        };
        let known = self
            .state()
            .first_seen
            .as_ref()
            .filter(|(known_id, _)| *known_id == id)
            .map(|(_, created)| created.clone());
        let first_seen = match known {
            Some(created) => created,
            None => {
                let created = self
                    .hub
                    .created_at(&scope.product_arn(), &id)
                    .await?
                    .unwrap_or_else(|| updated.clone());
                self.state().first_seen = Some((id, created.clone()));
                created
            }
        };
        self.hub
            .import(&finding(scope, verdict, &first_seen, &updated))
            .await
    }
}

/// An RFC 3339 UTC time with milliseconds, as ASFF shows its timestamps.
pub fn rfc3339_millis(time: jiff::Timestamp) -> String {
    format!(
        "{}",
        time.round(jiff::Unit::Millisecond)
            .unwrap_or(time)
            .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let t = jiff::Timestamp::from_millisecond(1_795_305_600_123).unwrap_or_default();
        assert_eq!(rfc3339_millis(t), "2026-11-22T00:00:00.123Z");
        let whole = jiff::Timestamp::from_second(1_795_305_600).unwrap_or_default();
        assert_eq!(rfc3339_millis(whole), "2026-11-22T00:00:00.000Z");
    }
}
