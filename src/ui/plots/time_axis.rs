//! Time on the x axis: plot x is seconds since the Unix epoch (`ts_ns / 1e9`) on every time plot.
//! Grid marks fall on calendar boundaries (minutes, hours, days, months, years) and tick labels
//! show only as much of the date as the spacing needs.

use egui_plot::{GridInput, GridMark};

const MINUTE: f64 = 60.0;
const HOUR: f64 = 3_600.0;
const DAY: f64 = 86_400.0;
/// Mean month length, for comparing calendar steps with fixed ones.
const MONTH: f64 = 30.436_875 * DAY;
/// 1970-01-01 was a Thursday: weeks start 4 days later, on Mondays.
const MONDAY_OFFSET: f64 = 4.0 * DAY;
/// A step that would need more marks than this over the visible range is skipped.
const MAX_MARKS: f64 = 2_000.0;

/// Plot x of a timestamp.
pub fn ts_to_x(ts_ns: i64) -> f64 {
    ts_ns as f64 / 1e9
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Seconds, counted from the epoch (plus an offset, for weeks).
    Fixed(f64, f64),
    /// Calendar months, aligned to multiples of the step since year 0.
    Months(i64),
}

impl Step {
    fn seconds(self) -> f64 {
        match self {
            Step::Fixed(s, _) => s,
            Step::Months(m) => m as f64 * MONTH,
        }
    }
}

const STEPS: [Step; 27] = [
    Step::Fixed(1.0, 0.0),
    Step::Fixed(5.0, 0.0),
    Step::Fixed(15.0, 0.0),
    Step::Fixed(30.0, 0.0),
    Step::Fixed(MINUTE, 0.0),
    Step::Fixed(5.0 * MINUTE, 0.0),
    Step::Fixed(15.0 * MINUTE, 0.0),
    Step::Fixed(30.0 * MINUTE, 0.0),
    Step::Fixed(HOUR, 0.0),
    Step::Fixed(3.0 * HOUR, 0.0),
    Step::Fixed(6.0 * HOUR, 0.0),
    Step::Fixed(12.0 * HOUR, 0.0),
    Step::Fixed(DAY, 0.0),
    Step::Fixed(2.0 * DAY, 0.0),
    Step::Fixed(7.0 * DAY, MONDAY_OFFSET),
    Step::Months(1),
    Step::Months(3),
    Step::Months(6),
    Step::Months(12),
    Step::Months(24),
    Step::Months(60),
    Step::Months(120),
    Step::Months(240),
    Step::Months(600),
    Step::Months(1_200),
    Step::Months(6_000),
    Step::Months(12_000),
];

/// Grid spacer for `Plot::x_grid_spacer`: three levels of calendar-aligned marks. The finest is
/// at least `base_step_size` apart (egui_plot's minimum, 8 points); the middle one at least ten
/// times that, so its date labels fit (egui_plot labels marks 60+ points apart); the coarsest
/// at least four times the middle.
pub fn time_grid(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite() && hi > lo && input.base_step_size > 0.0) {
        return Vec::new();
    }
    let at_least = |min: f64| {
        STEPS
            .iter()
            .copied()
            .find(|s| s.seconds() >= min)
            .unwrap_or(STEPS[STEPS.len() - 1])
    };
    let fine = at_least(input.base_step_size);
    let labelled = at_least(10.0 * input.base_step_size);
    let coarse = at_least(4.0 * labelled.seconds());
    let mut marks = Vec::new();
    for step in [fine, labelled, coarse] {
        if (hi - lo) / step.seconds() <= MAX_MARKS {
            push_marks(step, lo, hi, &mut marks);
        }
    }
    // Where levels coincide, keep the coarsest (it decides line strength and label format).
    marks.sort_by(|a, b| a.value.total_cmp(&b.value).then(b.step_size.total_cmp(&a.step_size)));
    marks.dedup_by(|later, earlier| later.value == earlier.value);
    marks
}

fn push_marks(step: Step, lo: f64, hi: f64, out: &mut Vec<GridMark>) {
    let step_size = step.seconds();
    match step {
        Step::Fixed(s, offset) => {
            let mut k = ((lo - offset) / s).ceil();
            while k * s + offset <= hi {
                out.push(GridMark {
                    value: k * s + offset,
                    step_size,
                });
                k += 1.0;
            }
        }
        Step::Months(m) => {
            let Some(start) = month_index(lo) else { return };
            let mut idx = start.div_euclid(m) * m;
            while let Some(value) = month_start(idx) {
                if value > hi {
                    break;
                }
                if value >= lo {
                    out.push(GridMark { value, step_size });
                }
                idx += m;
            }
        }
    }
}

fn datetime(x: f64) -> Option<chrono::NaiveDateTime> {
    if !x.is_finite() || x.abs() > 1e13 {
        return None;
    }
    let secs = x.floor();
    let nanos = ((x - secs) * 1e9).round().min(999_999_999.0) as u32;
    chrono::DateTime::from_timestamp(secs as i64, nanos).map(|d| d.naive_utc())
}

/// Months since year 0 of the month containing `x`.
fn month_index(x: f64) -> Option<i64> {
    use chrono::Datelike as _;
    let d = datetime(x)?;
    Some(i64::from(d.year()) * 12 + i64::from(d.month0()))
}

fn month_start(idx: i64) -> Option<f64> {
    let year = i32::try_from(idx.div_euclid(12)).ok()?;
    let month = u32::try_from(idx.rem_euclid(12)).ok()? + 1;
    let date = chrono::NaiveDate::from_ymd_opt(year, month, 1)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() as f64)
}

/// Tick label: the year for yearly marks (and for January on monthly ones), year-month for monthly ones, the date for daily ones,
/// and the time of day (or the date, at midnight) below a day.
pub fn format_tick(x: f64, step_size: f64) -> String {
    use chrono::Datelike as _;
    let Some(d) = datetime(x) else {
        return String::new();
    };
    let new_year = is_midnight(x) && d.month() == 1 && d.day() == 1;
    let fmt = if step_size >= 11.0 * MONTH || (new_year && step_size >= 0.9 * MONTH) {
        "%Y"
    } else if step_size >= 0.9 * MONTH {
        "%Y-%m"
    } else if step_size >= DAY || is_midnight(x) {
        "%Y-%m-%d"
    } else if step_size >= MINUTE {
        "%H:%M"
    } else {
        "%H:%M:%S"
    };
    d.format(fmt).to_string()
}

/// Full label for hover text: the date, plus the time unless it is midnight.
pub fn format_instant(x: f64) -> String {
    let Some(d) = datetime(x) else {
        return String::new();
    };
    if is_midnight(x) {
        d.format("%Y-%m-%d").to_string()
    } else if x.fract() == 0.0 {
        d.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        d.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}

fn is_midnight(x: f64) -> bool {
    x.rem_euclid(DAY) == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(text: &str) -> f64 {
        let ts = ml4t_engine::types::TimestampNs::parse(text).unwrap();
        ts_to_x(ts.0)
    }

    #[test]
    fn format_tick_by_step() {
        let t = x("2021-03-01");
        assert_eq!(format_tick(t, 12.0 * MONTH), "2021");
        assert_eq!(format_tick(t, MONTH), "2021-03");
        assert_eq!(format_tick(t, DAY), "2021-03-01");
        assert_eq!(format_tick(x("2021-03-01T14:30"), HOUR), "14:30");
        assert_eq!(format_tick(t, HOUR), "2021-03-01", "midnight shows the date");
        assert_eq!(format_tick(x("2021-03-01T14:30:05"), 5.0), "14:30:05");
        assert_eq!(format_tick(f64::NAN, DAY), "");
    }

    #[test]
    fn format_instant_date_or_time() {
        assert_eq!(format_instant(x("2021-03-01")), "2021-03-01");
        assert_eq!(format_instant(x("2021-03-01T09:30")), "2021-03-01 09:30:00");
        assert_eq!(format_instant(f64::INFINITY), "");
    }

    #[test]
    fn time_grid_months_align_to_calendar() {
        let (lo, hi) = (x("2020-01-15"), x("2021-01-15"));
        // Marks at least 20 days apart: the finest level is monthly.
        let marks = time_grid(GridInput {
            bounds: (lo, hi),
            base_step_size: 20.0 * DAY,
        });
        let monthly: Vec<_> = marks.iter().filter(|m| m.step_size == MONTH).collect();
        assert_eq!(monthly.first().map(|m| m.value), Some(x("2020-02-01")));
        // Levels: 1 month, 12 months (>= 200 days, labelled), 5 years.
        let new_year = marks.iter().find(|m| m.value == x("2021-01-01")).unwrap();
        assert_eq!(new_year.step_size, 12.0 * MONTH);
        assert_eq!(format_tick(new_year.value, new_year.step_size), "2021");
        assert_eq!(format_tick(x("2020-07-01"), 6.0 * MONTH), "2020-07");
        assert!(
            marks.windows(2).all(|w| w[0].value < w[1].value),
            "sorted, no duplicates"
        );
    }

    #[test]
    fn time_grid_labelled_level_is_ten_base_steps() {
        // About 22 points a day (two months on a wide plot): 8 points = 0.36 days.
        let (lo, hi) = (x("2000-03-01"), x("2000-05-01"));
        let marks = time_grid(GridInput {
            bounds: (lo, hi),
            base_step_size: 0.36 * DAY,
        });
        let steps: Vec<f64> = marks.iter().map(|m| m.step_size).collect();
        assert!(steps.contains(&(12.0 * HOUR)) && steps.contains(&(7.0 * DAY)) && steps.contains(&MONTH));
        let monday = marks.iter().find(|m| m.step_size == 7.0 * DAY).unwrap();
        assert_eq!(format_tick(monday.value, monday.step_size), "2000-03-06");
    }

    #[test]
    fn time_grid_degenerate_and_huge_ranges() {
        let empty = |bounds| {
            time_grid(GridInput {
                bounds,
                base_step_size: 1.0,
            })
        };
        assert!(empty((f64::INFINITY, f64::NEG_INFINITY)).is_empty());
        assert!(empty((5.0, 5.0)).is_empty());
        // A tiny step over a long range never produces more than MAX_MARKS per level.
        let marks = time_grid(GridInput {
            bounds: (0.0, 1e9),
            base_step_size: 1e-3,
        });
        assert!(marks.len() <= 3 * MAX_MARKS as usize);
    }
}
