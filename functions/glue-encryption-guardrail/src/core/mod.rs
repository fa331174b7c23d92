//! Pure core: parse a trigger, evaluate settings against the policy, choose the action, plan the
//! remediation, and record it all. No I/O, no SDK types, no environment, no clock.

pub mod action;
pub mod arn;
pub mod event;
pub mod exemption;
pub mod finding;
pub mod key;
pub mod metrics;
pub mod policy;
pub mod record;
pub mod settings;
pub mod trigger;
