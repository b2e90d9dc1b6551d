//! Mislabelled local time, proven by the data itself: Sysmon writes the true UTC time of each
//! event into its `UtcTime` field, whatever the export did to the record's own time. When, for
//! one host, `UtcTime` minus the record time is the same whole or half hour on (nearly) every
//! Sysmon event, the record times are local time labelled as UTC and are shifted back.

use crate::model::Timestamp;
use std::collections::{BTreeMap, HashMap};

const HALF_HOUR_MS: i64 = 30 * 60 * 1000;
/// How far a record's time may trail Sysmon's own time and still count (logging delay).
const SLACK_MS: i64 = 5 * 60 * 1000;
/// Fewer Sysmon events than this prove nothing.
const MIN_SAMPLES: u64 = 3;
/// Share of the samples (in thousandths) that must agree on one offset.
const AGREE_PER_MILLE: u64 = 950;

/// The offsets seen, per host.
#[derive(Debug, Default)]
pub struct Samples {
    by_host: HashMap<String, HostSamples>,
}

#[derive(Debug, Default)]
struct HostSamples {
    /// Half hours (UtcTime minus record time) → events.
    buckets: BTreeMap<i64, u64>,
    all: u64,
}

/// What was decided for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Record times are this many ms behind UTC (add it to correct them), on `events` Sysmon
    /// events out of `of`.
    Shift { ms: i64, events: u64, of: u64 },
    /// The offsets disagree: nothing corrected, and the report says so.
    Inconsistent { of: u64, seen: Vec<(i64, u64)> },
}

impl Samples {
    /// One Sysmon event of `host`: the record's time as labelled, and its `UtcTime`.
    pub fn add(&mut self, host: &str, labelled: Timestamp, utc: Timestamp) {
        let delta = utc.0 - labelled.0;
        let k = (delta as f64 / HALF_HOUR_MS as f64).round() as i64;
        if self.by_host.len() >= super::MAX_NAMES && !self.by_host.contains_key(host) {
            return; // a crafted export naming endless hosts: the first ones decide
        }
        let h = self.by_host.entry(host.to_string()).or_default();
        h.all += 1;
        if (delta - k * HALF_HOUR_MS).abs() <= SLACK_MS {
            *h.buckets.entry(k).or_default() += 1;
        }
    }

    /// Per host with a non-zero offset (or doubtful samples), what to do.
    pub fn decide(&self) -> BTreeMap<String, Decision> {
        let mut out = BTreeMap::new();
        for (host, h) in &self.by_host {
            if h.all < MIN_SAMPLES {
                continue;
            }
            let Some((&k, &n)) = h.buckets.iter().max_by_key(|(_, n)| **n) else {
                continue;
            };
            if n * 1000 >= h.all * AGREE_PER_MILLE {
                if k != 0 {
                    out.insert(
                        host.clone(),
                        Decision::Shift {
                            ms: k * HALF_HOUR_MS,
                            events: n,
                            of: h.all,
                        },
                    );
                }
            } else if h.buckets.keys().any(|k| *k != 0) {
                out.insert(
                    host.clone(),
                    Decision::Inconsistent {
                        of: h.all,
                        seen: h
                            .buckets
                            .iter()
                            .map(|(k, n)| (k * HALF_HOUR_MS, *n))
                            .collect(),
                    },
                );
            }
        }
        out
    }
}

/// `UTC-5`, `UTC+5:30` for a local time that is `shift_ms` behind UTC.
pub fn zone_name(shift_ms: i64) -> String {
    let local = -shift_ms;
    let sign = if local < 0 { '-' } else { '+' };
    let mins = local.abs() / 60_000;
    match mins % 60 {
        0 => format!("UTC{sign}{}", mins / 60),
        m => format!("UTC{sign}{}:{m:02}", mins / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_leading(s.as_bytes()).unwrap()
    }

    #[test]
    fn a_consistent_five_hours_is_a_shift_a_mix_is_not() {
        let mut s = Samples::default();
        for sec in 10..20 {
            // written 0-3 s after the event, labelled local time as UTC
            s.add(
                "mx",
                t(&format!("2021-03-14T01:40:{sec}.900Z")),
                t(&format!("2021-03-14 06:40:{:02}.100", sec - 1)),
            );
        }
        assert_eq!(
            s.decide()["mx"],
            Decision::Shift {
                ms: 5 * 3600 * 1000,
                events: 10,
                of: 10
            }
        );
        assert_eq!(zone_name(5 * 3600 * 1000), "UTC-5");
        assert_eq!(zone_name(-(5 * 3600 + 1800) * 1000), "UTC+5:30");
        for _ in 0..10 {
            s.add("mx", t("2021-03-14T06:40:10Z"), t("2021-03-14 06:40:10"));
        }
        assert!(matches!(
            s.decide()["mx"],
            Decision::Inconsistent { of: 20, .. }
        ));
        let mut ok = Samples::default();
        for _ in 0..10 {
            ok.add("a", t("2021-03-14T06:40:10Z"), t("2021-03-14 06:40:09"));
        }
        assert!(ok.decide().is_empty(), "true UTC: nothing to say");
    }
}
