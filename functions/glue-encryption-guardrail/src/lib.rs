//! A guardrail that keeps an AWS Glue Data Catalog encrypted with the organization's own KMS
//! key: metadata at rest and connection passwords, re-applied and verified whenever they drift.
//!
//! Layers, arrows pointing inward: [`core`] is pure policy; [`ports`] are the traits it needs
//! from the world and [`adapters`] implement them over the AWS SDK; [`handler`] orchestrates
//! one invocation and writes its [`audit`] record; [`inspect`] is the policy check it shares with
//! the read-only audit CLI (`audit_cli`, behind the `cli` feature).

pub mod adapters;
pub mod audit;
#[cfg(feature = "cli")]
pub mod audit_cli;
pub mod config;
pub mod core;
pub mod error;
pub mod findings;
pub mod handler;
pub mod inspect;
pub mod keys;
pub mod ports;
