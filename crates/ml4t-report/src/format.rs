//! Text for numbers, dates and HTML.

use ml4t_engine::types::{NS_PER_DAY, TimestampNs};

/// Escapes `&`, `<`, `>`, `"` and `'` for text and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `12.34%`; `-` for `None`.
pub fn pct(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map_or("-".to_owned(), |v| format!("{:.2}%", v * 100.0))
}

/// Two decimals; `-` for `None`.
pub fn num(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map_or("-".to_owned(), |v| format!("{v:.2}"))
}

/// Money with thousands separators and two decimals: `-1,234,567.89`.
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_owned();
    }
    let s = format!("{:.2}", x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if x < 0.0 { "-" } else { "" })
}

/// Compact axis labels: 1.2M, 500k, 12.5, 0.003.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.1}B", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if a >= 100.0 || a == 0.0 || (a >= 1.0 && x.fract() == 0.0) {
        format!("{x:.0}")
    } else if a >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

/// The date alone at midnight (daily bars), else date and time.
pub fn when(ts: TimestampNs) -> String {
    if ts.0.rem_euclid(NS_PER_DAY) == 0 {
        ts.to_date()
    } else {
        ts.to_iso().replace('T', " ")
    }
}

/// A duration in ns as days (or hours/minutes when short).
pub fn span_ns(ns: i64) -> String {
    let days = ns as f64 / NS_PER_DAY as f64;
    if days >= 1.0 {
        format!("{days:.1} d")
    } else if days * 24.0 >= 1.0 {
        format!("{:.1} h", days * 24.0)
    } else {
        format!("{:.0} min", days * 1440.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_hand_checked() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(pct(Some(0.12345)), "12.35%");
        assert_eq!(pct(None), "-");
        assert_eq!(money(-1234567.891), "-1,234,567.89");
        assert_eq!(money(999.0), "999.00");
        assert_eq!(compact(500_000.0), "500k");
        assert_eq!(compact(1_250_000.0), "1.2M");
        assert_eq!(span_ns(NS_PER_DAY * 3 / 2), "1.5 d");
        assert_eq!(span_ns(NS_PER_DAY / 4), "6.0 h");
    }
}
