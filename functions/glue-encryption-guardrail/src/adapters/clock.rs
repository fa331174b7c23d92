//! Adapter: the system's clocks.

use crate::ports::Clock;
use std::time::Instant;

/// The system clock: monotonic time for cache ages, wall-clock time for expiries.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}
