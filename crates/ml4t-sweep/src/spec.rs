//! The values of one parameter: `a:b:n` (n values from a to b inclusive, evenly spaced) or an
//! explicit list `v1,v2,...`.

/// Parsed values spec.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSpec {
    /// `a:b:n`.
    Range { from: f64, to: f64, n: usize },
    /// `v1,v2,...` in the order given.
    List(Vec<f64>),
}

/// Grid values are rounded to this many decimals, so that `0.05:0.45:5` gives 0.15 and not
/// 0.15000000000000002 (the same rounding as the vectorbt benchmark's `np.round(linspace, 10)`).
const DECIMALS: f64 = 1e10;

/// Rounds to [`DECIMALS`].
pub fn round_value(x: f64) -> f64 {
    let r = (x * DECIMALS).round() / DECIMALS;
    if r.is_finite() { r } else { x }
}

impl ValueSpec {
    /// Parses `text`; the error says what is wrong (the caller adds the path).
    pub fn parse(text: &str) -> Result<ValueSpec, String> {
        let text = text.trim();
        let num = |s: &str| -> Result<f64, String> {
            let s = s.trim();
            match s.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(format!("'{s}' is not a finite number")),
            }
        };
        if text.contains(':') {
            let parts: Vec<&str> = text.split(':').collect();
            let [a, b, n] = parts.as_slice() else {
                return Err("a range has three parts a:b:n".into());
            };
            let n: usize = n
                .trim()
                .parse()
                .map_err(|_| format!("the count '{}' is not a whole number", n.trim()))?;
            if n == 0 {
                return Err("the count must be at least 1".into());
            }
            let (from, to) = (num(a)?, num(b)?);
            if n == 1 && from != to {
                return Err("one value from a range of two different ends is ambiguous; use a:a:1 or a list".into());
            }
            return Ok(ValueSpec::Range { from, to, n });
        }
        let values = text.split(',').map(num).collect::<Result<Vec<_>, _>>()?;
        if values.is_empty() {
            return Err("no values".into());
        }
        Ok(ValueSpec::List(values))
    }

    /// The grid values: a range gives `from + (to - from) * i / (n - 1)` (the last is `to`
    /// exactly), rounded to 10 decimals.
    pub fn values(&self) -> Vec<f64> {
        match self {
            ValueSpec::List(v) => v.clone(),
            ValueSpec::Range { from, n: 1, .. } => vec![*from],
            ValueSpec::Range { from, to, n } => {
                let step = (to - from) / (*n - 1) as f64;
                (0..*n)
                    .map(|i| {
                        if i + 1 == *n {
                            *to
                        } else {
                            round_value(from + step * i as f64)
                        }
                    })
                    .collect()
            }
        }
    }

    /// A value drawn with `u` uniform in [0, 1): anywhere in a range, one of a list's values.
    pub fn sample(&self, u: f64) -> f64 {
        match self {
            ValueSpec::List(v) => v[((u * v.len() as f64) as usize).min(v.len() - 1)],
            ValueSpec::Range { from, to, .. } => round_value(from + (to - from) * u),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn spec_range_is_inclusive_and_evenly_spaced() {
        let v = ValueSpec::parse("0.05:0.45:5").unwrap().values();
        assert_eq!(v, vec![0.05, 0.15, 0.25, 0.35, 0.45]);
        let v = ValueSpec::parse("0.55:0.95:10").unwrap().values();
        assert_eq!(v.len(), 10);
        assert_eq!(v[0], 0.55);
        assert_eq!(v[9], 0.95);
        assert_eq!(v[1], 0.5944444444);
        assert_eq!(ValueSpec::parse("10:1:4").unwrap().values(), vec![10.0, 7.0, 4.0, 1.0]);
        assert_eq!(ValueSpec::parse("3:3:1").unwrap().values(), vec![3.0]);
    }

    #[test]
    fn spec_list_keeps_order() {
        assert_eq!(ValueSpec::parse(" 0.3, 0.1,2").unwrap().values(), vec![0.3, 0.1, 2.0]);
        assert_eq!(ValueSpec::parse("5").unwrap().values(), vec![5.0]);
    }

    #[test]
    fn spec_rejects_malformed_text() {
        for bad in [
            "", "1:2", "1:2:0", "1:2:x", "a,b", "1:2:3:4", "0.1,,0.2", "1:2:1", "nan", "1,inf",
        ] {
            assert!(ValueSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spec_samples_stay_in_range() {
        let r = ValueSpec::parse("1:2:3").unwrap();
        assert_eq!(r.sample(0.0), 1.0);
        assert_eq!(r.sample(0.5), 1.5);
        let l = ValueSpec::parse("4,5,6").unwrap();
        assert_eq!(l.sample(0.0), 4.0);
        assert_eq!(l.sample(0.999), 6.0);
    }
}
