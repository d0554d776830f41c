//! Walk-forward fold planning over a sorted bar timestamp slice, and
//! walk-forward efficiency.
//!
//! Rules:
//! - Window lengths are bar counts ("500", "500b") or UTC calendar periods
//!   ("30d", "4w", "6m"/"6mo", "2y"); see `WindowLen::parse`.
//! - The first train window starts at row 0. After each train window,
//!   `embargo_bars` rows belong to no window, then the test window starts.
//! - Test windows are consecutive and do not overlap: each starts where the
//!   previous one ended (step = test length). A fold's train window ends
//!   `embargo_bars` rows before its test window starts, so it overlaps the
//!   previous fold's test window, as walk-forward retraining intends.
//! - Rolling: the train window holds `train` worth of bars ending at the
//!   train end; for a calendar length, the bars at or after
//!   (time of the first row after the train window − train). Anchored: the
//!   train window always starts at row 0 and grows.
//! - Only complete windows count. A bar window needs all its rows; a calendar
//!   window [t, t + L) needs the data to reach t + L, i.e. a bar at or after
//!   it. A trailing stretch shorter than one test window is left untested.

use std::fmt;
use std::ops::Range;

use serde::Serialize;
use thiserror::Error;

use crate::calendar;

/// Why folds could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WalkForwardError {
    /// A window length string that is not a bar count or a period.
    #[error(
        "walk-forward {field} length '{input}' does not parse: write a bar count (500 or 500b) or a period (30d, 4w, 6m or 6mo, 2y)"
    )]
    Parse {
        /// "train" or "test".
        field: &'static str,
        /// The string given.
        input: String,
    },
    /// A zero-length window.
    #[error("walk-forward {field} length is zero; give at least 1 bar or 1 day")]
    ZeroLength {
        /// "train" or "test".
        field: &'static str,
    },
    /// No timestamps.
    #[error("no timestamps to plan walk-forward folds over; load data first")]
    Empty,
    /// Timestamps out of order.
    #[error("timestamps must be sorted: row {row} is earlier than row {}; sort the data by time", .row - 1)]
    Unsorted {
        /// First row earlier than its predecessor.
        row: usize,
    },
    /// The first train window does not fit.
    #[error(
        "walk-forward train window of {train} is longer than the data ({rows} rows); shorten train or load more data"
    )]
    TrainTooLong {
        /// Train length.
        train: WindowLen,
        /// Rows available.
        rows: usize,
    },
    /// Train fits but no complete test window follows it.
    #[error(
        "walk-forward plan has zero folds: after the first train window ({train}) and the embargo ({embargo} bars) no complete test window of {test} fits in {rows} rows; shorten train or test, lower the embargo, or load more data"
    )]
    NoFolds {
        /// Train length.
        train: WindowLen,
        /// Test length.
        test: WindowLen,
        /// Embargo bars.
        embargo: usize,
        /// Rows available.
        rows: usize,
    },
}

/// Length of a train or test window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WindowLen {
    /// A number of rows.
    Bars(usize),
    /// UTC calendar days.
    Days(u32),
    /// Weeks of 7 days.
    Weeks(u32),
    /// Calendar months, day of month clamped (Jan 31 + 1 = Feb 28/29).
    Months(u32),
    /// Calendar years (12 months).
    Years(u32),
}

impl WindowLen {
    /// Parse "500"/"500b" (bars), "30d", "4w", "6m"/"6mo", "2y"; case and
    /// surrounding spaces ignored. `field` ("train" or "test") names the
    /// input in errors.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, WalkForwardError> {
        let s = input.trim().to_ascii_lowercase();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (digits, unit) = s.split_at(split);
        let parse_err = || WalkForwardError::Parse {
            field,
            input: input.to_owned(),
        };
        let len = match unit.trim() {
            "" | "b" => WindowLen::Bars(digits.parse().map_err(|_| parse_err())?),
            u => {
                let n: u32 = digits.parse().map_err(|_| parse_err())?;
                match u {
                    "d" => WindowLen::Days(n),
                    "w" => WindowLen::Weeks(n),
                    "m" | "mo" => WindowLen::Months(n),
                    "y" => WindowLen::Years(n),
                    _ => return Err(parse_err()),
                }
            }
        };
        if len.is_zero() {
            return Err(WalkForwardError::ZeroLength { field });
        }
        Ok(len)
    }

    fn is_zero(self) -> bool {
        matches!(
            self,
            Self::Bars(0) | Self::Days(0) | Self::Weeks(0) | Self::Months(0) | Self::Years(0)
        )
    }

    /// `ts_ns` moved by this calendar length (`sign` = ±1); `None` for bar
    /// lengths and on overflow.
    fn shift(self, ts_ns: i64, sign: i64) -> Option<i64> {
        match self {
            Self::Bars(_) => None,
            Self::Days(n) => calendar::add_days_ns(ts_ns, sign * i64::from(n)),
            Self::Weeks(n) => calendar::add_days_ns(ts_ns, sign * 7 * i64::from(n)),
            Self::Months(n) => calendar::add_months_ns(ts_ns, sign * i64::from(n)),
            Self::Years(n) => calendar::add_months_ns(ts_ns, sign * 12 * i64::from(n)),
        }
    }

    /// End row (exclusive) of the complete window starting at row `start`.
    fn end_from(self, ts: &[i64], start: usize) -> Option<usize> {
        match self {
            Self::Bars(n) => start.checked_add(n).filter(|&end| end <= ts.len()),
            _ => {
                let target = self.shift(ts[start], 1)?;
                let end = ts.partition_point(|&t| t < target);
                (end < ts.len()).then_some(end)
            }
        }
    }

    /// Start row of the window that ends (exclusive) at row `end` < len.
    fn start_before(self, ts: &[i64], end: usize) -> usize {
        match self {
            Self::Bars(n) => end.saturating_sub(n),
            _ => match self.shift(ts[end], -1) {
                Some(target) => ts.partition_point(|&t| t < target),
                None => 0,
            },
        }
    }
}

impl fmt::Display for WindowLen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match *self {
            Self::Bars(n) => (n as u64, "bar"),
            Self::Days(n) => (u64::from(n), "day"),
            Self::Weeks(n) => (u64::from(n), "week"),
            Self::Months(n) => (u64::from(n), "month"),
            Self::Years(n) => (u64::from(n), "year"),
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// Rolling or anchored training windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum WindowMode {
    /// Fixed-length train window that moves with the test window.
    #[default]
    Rolling,
    /// Train window always starts at row 0.
    Anchored,
}

/// A walk-forward plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WalkForwardSpec {
    /// Train window length (the first one's, when anchored).
    pub train: WindowLen,
    /// Test window length, also the step between folds.
    pub test: WindowLen,
    /// Rolling or anchored.
    pub mode: WindowMode,
    /// Rows after each train window used by neither train nor test.
    pub embargo_bars: usize,
}

impl WalkForwardSpec {
    /// Spec from the two length strings, e.g. `("2y", "6m", Rolling, 5)`.
    pub fn parse(train: &str, test: &str, mode: WindowMode, embargo_bars: usize) -> Result<Self, WalkForwardError> {
        Ok(Self {
            train: WindowLen::parse("train", train)?,
            test: WindowLen::parse("test", test)?,
            mode,
            embargo_bars,
        })
    }
}

/// One fold: row ranges into the timestamp slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fold {
    /// Training rows.
    pub train: Range<usize>,
    /// Test rows; starts `embargo_bars` after `train.end`.
    pub test: Range<usize>,
}

/// Plan the folds of `spec` over bar timestamps `ts_ns` (ns since the Unix
/// epoch, UTC, sorted ascending; equal timestamps allowed).
pub fn plan_folds(ts_ns: &[i64], spec: &WalkForwardSpec) -> Result<Vec<Fold>, WalkForwardError> {
    if ts_ns.is_empty() {
        return Err(WalkForwardError::Empty);
    }
    if let Some(i) = ts_ns.windows(2).position(|w| w[1] < w[0]) {
        return Err(WalkForwardError::Unsorted { row: i + 1 });
    }
    for (field, len) in [("train", spec.train), ("test", spec.test)] {
        if len.is_zero() {
            return Err(WalkForwardError::ZeroLength { field });
        }
    }
    let rows = ts_ns.len();
    let k = spec.embargo_bars;
    let no_folds = || WalkForwardError::NoFolds {
        train: spec.train,
        test: spec.test,
        embargo: k,
        rows,
    };
    let first_train_end = spec.train.end_from(ts_ns, 0).ok_or(WalkForwardError::TrainTooLong {
        train: spec.train,
        rows,
    })?;
    let mut test_start = first_train_end.checked_add(k).ok_or_else(no_folds)?;
    let mut folds = Vec::new();
    while test_start < rows {
        let Some(test_end) = spec.test.end_from(ts_ns, test_start) else {
            break;
        };
        let train_end = test_start - k;
        let train_start = match spec.mode {
            WindowMode::Anchored => 0,
            WindowMode::Rolling => spec.train.start_before(ts_ns, train_end),
        };
        debug_assert!(train_start < train_end && train_end + k == test_start && test_start < test_end);
        folds.push(Fold {
            train: train_start..train_end,
            test: test_start..test_end,
        });
        test_start = test_end;
    }
    if folds.is_empty() {
        return Err(no_folds());
    }
    Ok(folds)
}

/// Walk-forward efficiency: annualised out-of-sample return over annualised
/// in-sample return. `None` when the in-sample return is not positive (the
/// ratio then has no "kept x% of the edge" meaning) or an input is not finite.
pub fn walk_forward_efficiency(oos_annual_return: f64, is_annual_return: f64) -> Option<f64> {
    let valid = is_annual_return > 0.0 && is_annual_return.is_finite() && oos_annual_return.is_finite();
    if !valid {
        return None;
    }
    Some(oos_annual_return / is_annual_return)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{NS_PER_DAY, days_from_civil};

    /// `n` consecutive daily timestamps from y-m-d, 00:00 UTC.
    fn daily(y: i64, m: u32, d: u32, n: usize) -> Vec<i64> {
        let d0 = days_from_civil(y, m, d);
        (0..n as i64).map(|i| (d0 + i) * NS_PER_DAY).collect()
    }

    fn spec(train: &str, test: &str, mode: WindowMode, embargo_bars: usize) -> WalkForwardSpec {
        WalkForwardSpec::parse(train, test, mode, embargo_bars).unwrap()
    }

    fn ranges(folds: &[Fold]) -> Vec<(Range<usize>, Range<usize>)> {
        folds.iter().map(|f| (f.train.clone(), f.test.clone())).collect()
    }

    #[test]
    fn window_len_parses_every_unit() {
        assert_eq!(WindowLen::parse("train", "500"), Ok(WindowLen::Bars(500)));
        assert_eq!(WindowLen::parse("train", " 500B "), Ok(WindowLen::Bars(500)));
        assert_eq!(WindowLen::parse("train", "30d"), Ok(WindowLen::Days(30)));
        assert_eq!(WindowLen::parse("train", "4w"), Ok(WindowLen::Weeks(4)));
        assert_eq!(WindowLen::parse("train", "6m"), Ok(WindowLen::Months(6)));
        assert_eq!(WindowLen::parse("train", "6mo"), Ok(WindowLen::Months(6)));
        assert_eq!(WindowLen::parse("train", "2Y"), Ok(WindowLen::Years(2)));
    }

    #[test]
    fn window_len_rejects_bad_strings_naming_the_field() {
        for bad in ["", "abc", "5x", "d", "-3d", "1.5m", "99999999999d"] {
            let err = WindowLen::parse("test", bad).unwrap_err();
            assert_eq!(
                err,
                WalkForwardError::Parse {
                    field: "test",
                    input: bad.to_owned()
                }
            );
            assert!(err.to_string().contains("walk-forward test length"));
        }
        assert_eq!(
            WindowLen::parse("train", "0d"),
            Err(WalkForwardError::ZeroLength { field: "train" })
        );
        assert_eq!(
            WindowLen::parse("train", "0"),
            Err(WalkForwardError::ZeroLength { field: "train" })
        );
    }

    #[test]
    fn window_len_displays_units() {
        assert_eq!(WindowLen::Bars(500).to_string(), "500 bars");
        assert_eq!(WindowLen::Months(1).to_string(), "1 month");
    }

    #[test]
    fn plan_rolling_bars() {
        // 20 rows, train 10, test 3: tests [10,13) [13,16) [16,19); [19,22) is incomplete.
        let ts = daily(2024, 1, 1, 20);
        let folds = plan_folds(&ts, &spec("10", "3b", WindowMode::Rolling, 0)).unwrap();
        assert_eq!(ranges(&folds), vec![(0..10, 10..13), (3..13, 13..16), (6..16, 16..19)]);
    }

    #[test]
    fn plan_anchored_bars() {
        let ts = daily(2024, 1, 1, 20);
        let folds = plan_folds(&ts, &spec("10", "3", WindowMode::Anchored, 0)).unwrap();
        assert_eq!(ranges(&folds), vec![(0..10, 10..13), (0..13, 13..16), (0..16, 16..19)]);
    }

    #[test]
    fn plan_last_test_window_may_end_at_the_last_row() {
        // 19 rows: [16,19) ends exactly at the data's end and counts.
        let ts = daily(2024, 1, 1, 19);
        let folds = plan_folds(&ts, &spec("10", "3", WindowMode::Rolling, 0)).unwrap();
        assert_eq!(folds.last().map(|f| f.test.clone()), Some(16..19));
    }

    #[test]
    fn plan_embargo_leaves_exactly_k_bars_unused() {
        // Train [0,10), embargo rows 10,11, test [12,15); next test [15,18) with
        // train ending at 13 (rows 13,14 embargoed); [18,21) does not fit in 20.
        let ts = daily(2024, 1, 1, 20);
        let folds = plan_folds(&ts, &spec("10", "3", WindowMode::Rolling, 2)).unwrap();
        assert_eq!(ranges(&folds), vec![(0..10, 12..15), (3..13, 15..18)]);
        for f in &folds {
            assert_eq!(f.test.start - f.train.end, 2);
        }
    }

    #[test]
    fn plan_invariants_hold_across_specs() {
        let ts = daily(2023, 1, 1, 450);
        for train in ["50", "90d", "3m", "8w", "1y"] {
            for test in ["7", "30d", "1m", "2w"] {
                for mode in [WindowMode::Rolling, WindowMode::Anchored] {
                    for k in [0, 1, 5] {
                        let s = spec(train, test, mode, k);
                        let folds = plan_folds(&ts, &s).unwrap();
                        assert_eq!(folds[0].train.start, 0);
                        for (i, f) in folds.iter().enumerate() {
                            assert!(f.train.start < f.train.end, "{train}/{test}: empty train");
                            assert!(f.test.start < f.test.end, "{train}/{test}: empty test");
                            // No test window starts before its train window ends (+ embargo).
                            assert_eq!(f.test.start, f.train.end + k);
                            assert!(f.test.end <= ts.len());
                            if let Some(next) = folds.get(i + 1) {
                                assert_eq!(next.test.start, f.test.end, "tests are consecutive");
                            }
                            if mode == WindowMode::Anchored {
                                assert_eq!(f.train.start, 0);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn plan_calendar_month_from_jan_31_ends_on_feb_29_in_leap_year() {
        // Daily from 2024-01-31 (row 0). Train 1m: [Jan 31, Feb 29) = 29 rows.
        // Test 1m from Feb 29: [Feb 29, Mar 29) = rows 29..58.
        // Next test from Mar 29: [Mar 29, Apr 29) = rows 58..89.
        let ts = daily(2024, 1, 31, 100);
        let folds = plan_folds(&ts, &spec("1m", "1mo", WindowMode::Rolling, 0)).unwrap();
        assert_eq!(folds[0].train, 0..29);
        assert_eq!(ts[29], days_from_civil(2024, 2, 29) * NS_PER_DAY);
        assert_eq!(folds[0].test, 29..58);
        assert_eq!(ts[58], days_from_civil(2024, 3, 29) * NS_PER_DAY);
        assert_eq!(folds[1].test, 58..89);
        // Rolling train of fold 1 = bars at or after Mar 29 − 1m = Feb 29 → rows 29..58.
        assert_eq!(folds[1].train, 29..58);
        // Apr 29 + 1m = May 29 is row 119 > 99: only two folds.
        assert_eq!(folds.len(), 2);
    }

    #[test]
    fn plan_calendar_month_from_jan_31_ends_on_feb_28_in_common_year() {
        let ts = daily(2023, 1, 31, 100);
        let folds = plan_folds(&ts, &spec("1m", "30d", WindowMode::Anchored, 0)).unwrap();
        // [Jan 31, Feb 28) = 28 rows.
        assert_eq!(folds[0].train, 0..28);
        assert_eq!(ts[28], days_from_civil(2023, 2, 28) * NS_PER_DAY);
        assert_eq!(folds[0].test, 28..58);
    }

    #[test]
    fn plan_calendar_window_needs_data_past_its_end() {
        // 30 daily rows Jan 1..Jan 30: a 30-day train [Jan 1, Jan 31) has no bar
        // at or after Jan 31, so it is incomplete.
        let ts = daily(2024, 1, 1, 30);
        let err = plan_folds(&ts, &spec("30d", "1", WindowMode::Rolling, 0)).unwrap_err();
        assert_eq!(
            err,
            WalkForwardError::TrainTooLong {
                train: WindowLen::Days(30),
                rows: 30
            }
        );
        assert!(err.to_string().contains("shorten train"));
    }

    #[test]
    fn plan_errors() {
        let ts = daily(2024, 1, 1, 20);
        assert_eq!(
            plan_folds(&ts, &spec("21", "1", WindowMode::Rolling, 0)),
            Err(WalkForwardError::TrainTooLong {
                train: WindowLen::Bars(21),
                rows: 20
            })
        );
        // Train 15 + embargo 3 leaves rows 18, 19: no test window of 3.
        let err = plan_folds(&ts, &spec("15", "3", WindowMode::Rolling, 3)).unwrap_err();
        assert_eq!(
            err,
            WalkForwardError::NoFolds {
                train: WindowLen::Bars(15),
                test: WindowLen::Bars(3),
                embargo: 3,
                rows: 20
            }
        );
        assert!(err.to_string().contains("zero folds"));
        assert_eq!(
            plan_folds(&[], &spec("1", "1", WindowMode::Rolling, 0)),
            Err(WalkForwardError::Empty)
        );
        let unsorted = [0, 2, 1, 3];
        assert_eq!(
            plan_folds(&unsorted, &spec("1", "1", WindowMode::Rolling, 0)),
            Err(WalkForwardError::Unsorted { row: 2 })
        );
        let zero = WalkForwardSpec {
            test: WindowLen::Days(0),
            ..spec("1", "1", WindowMode::Rolling, 0)
        };
        assert_eq!(
            plan_folds(&ts, &zero),
            Err(WalkForwardError::ZeroLength { field: "test" })
        );
    }

    #[test]
    fn walk_forward_efficiency_hand_computed() {
        // 10% a year out of sample against 20% in sample keeps half the edge.
        assert_eq!(walk_forward_efficiency(0.10, 0.20), Some(0.5));
        assert_eq!(walk_forward_efficiency(-0.05, 0.20), Some(-0.25));
        assert_eq!(walk_forward_efficiency(0.10, 0.0), None);
        assert_eq!(walk_forward_efficiency(0.10, -0.1), None);
        assert_eq!(walk_forward_efficiency(f64::NAN, 0.2), None);
    }
}
