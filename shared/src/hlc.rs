//! Hybrid logical clock stamps: the version of one field of one record.
//!
//! A stamp is wall-clock milliseconds plus a counter. It orders like the wall clock while clocks
//! agree, and still moves forward when they do not: a new stamp is always above the last one
//! this process made and above the stamp it replaces (see [`Clock::after`]). Sync compares
//! stamps field by field: a write with an older stamp never overwrites a newer value.
//!
//! Written as `0001700000000000-00000` (16-digit milliseconds, 5-digit counter), so the text
//! sorts like the value, in JSON and in SQL alike.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::Mutex;

/// One stamp. Ordered by milliseconds, then counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    pub millis: u64,
    pub counter: u32,
}

/// Largest counter; past it the stamp moves to the next millisecond.
const COUNTER_MAX: u32 = 99_999;

impl Hlc {
    pub const ZERO: Hlc = Hlc {
        millis: 0,
        counter: 0,
    };

    /// The next stamp after `self`.
    pub fn successor(self) -> Hlc {
        if self.counter >= COUNTER_MAX {
            Hlc {
                millis: self.millis + 1,
                counter: 0,
            }
        } else {
            Hlc {
                millis: self.millis,
                counter: self.counter + 1,
            }
        }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016}-{:05}", self.millis, self.counter)
    }
}

impl std::str::FromStr for Hlc {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a stamp (16 digits, '-', 5 digits)");
        let (millis, counter) = s.split_once('-').ok_or_else(bad)?;
        if millis.len() != 16 || counter.len() != 5 {
            return Err(bad());
        }
        Ok(Hlc {
            millis: millis.parse().map_err(|_| bad())?,
            counter: counter.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A process's clock: hands out stamps that never go backwards, even if the wall clock does.
#[derive(Debug, Default)]
pub struct Clock {
    last: Mutex<Hlc>,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// A stamp above every stamp this clock gave before, and above `floor` (the stamp of the
    /// value being replaced, which another process may have made with a clock ahead of ours).
    pub fn after(&self, floor: Option<Hlc>) -> Hlc {
        self.at(wall_millis(), floor)
    }

    fn at(&self, wall: u64, floor: Option<Hlc>) -> Hlc {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let base = (*last).max(floor.unwrap_or(Hlc::ZERO));
        let next = if wall > base.millis {
            Hlc {
                millis: wall,
                counter: 0,
            }
        } else {
            base.successor()
        };
        *last = next;
        next
    }
}

fn wall_millis() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_sorts_like_the_value_and_round_trips() {
        let a = Hlc {
            millis: 9,
            counter: 99_999,
        };
        let b = Hlc {
            millis: 10,
            counter: 0,
        };
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
        assert_eq!(a.to_string().parse::<Hlc>(), Ok(a));
        let json = serde_json::to_string(&b).expect("serializes");
        assert_eq!(json, "\"0000000000000010-00000\"");
        assert_eq!(serde_json::from_str::<Hlc>(&json).expect("parses"), b);
        assert!("12-1".parse::<Hlc>().is_err());
        assert!(serde_json::from_str::<Hlc>("\"x\"").is_err());
    }

    #[test]
    fn stamps_never_go_backwards_when_the_wall_clock_does() {
        let clock = Clock::new();
        let first = clock.at(1_000, None);
        assert_eq!(
            first,
            Hlc {
                millis: 1_000,
                counter: 0
            }
        );
        let second = clock.at(900, None);
        assert!(second > first, "{second} > {first}");
        let third = clock.at(1_000, None);
        assert!(third > second);
        assert_eq!(
            clock.at(2_000, None),
            Hlc {
                millis: 2_000,
                counter: 0
            }
        );
    }

    #[test]
    fn a_stamp_is_above_the_one_it_replaces_even_from_a_clock_ahead() {
        let clock = Clock::new();
        let ahead = Hlc {
            millis: 5_000,
            counter: 7,
        };
        let stamp = clock.at(1_000, Some(ahead));
        assert_eq!(
            stamp,
            Hlc {
                millis: 5_000,
                counter: 8
            }
        );
        assert!(clock.at(1_000, None) > stamp);
    }

    #[test]
    fn the_counter_overflows_into_the_next_millisecond() {
        let full = Hlc {
            millis: 1,
            counter: COUNTER_MAX,
        };
        assert_eq!(
            full.successor(),
            Hlc {
                millis: 2,
                counter: 0
            }
        );
    }
}
