//! Application: one invocation, wired from the core's decisions and the ports' I/O.

pub mod config;
pub mod error;
pub mod findings;
pub mod guardrail;
pub mod inspect;
pub mod lookups;
