//! A guardrail that keeps an AWS Glue Data Catalog encrypted with the organization's own KMS
//! key: metadata at rest and connection passwords, re-applied and verified whenever they drift.
//!
//! Three floors, arrows pointing inward:
//!
//! - [`core`]: pure. The trigger, the policy, the action, the audit record, the finding: every
//!   decision, with its reasons. No I/O, no SDK types, no environment, no clock.
//! - [`ports`] and [`adapters`]: what the application needs from the world, as traits over the
//!   core's types, and their implementations over the AWS SDK (one adapter per service).
//! - [`app`]: one invocation, wired: configuration, the cached lookups, the inspection it
//!   shares with the read-only audit CLI, and the guardrail that runs trigger → read →
//!   verdict → write → verify → record.

pub mod adapters;
pub mod app;
pub mod core;
pub mod ports;
