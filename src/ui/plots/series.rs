//! Series derived from a run for plotting, computed once per run (or per asset) and kept in egui's
//! temporary memory, one slot per kind, so a new run replaces the old data instead of piling up.

use eframe::egui;
use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;

use super::time_axis::ts_to_x;
use crate::ui::RunView;
use ml4t_engine::execution::Fill;
use ml4t_engine::market::Bars;
use ml4t_engine::results::RunResult;
use ml4t_engine::results::Stretch;
use ml4t_engine::types::{AssetId, SignalId};

/// Equity of an equal-weight buy and hold of all assets in `bars`, one value per distinct
/// timestamp: the engine's benchmark ([`ml4t_engine::results::analysis::benchmark::equal_weight`]),
/// so the plot and the analysis compare against the same series.
pub fn buy_and_hold(bars: &Bars, initial_cash: f64) -> Vec<f64> {
    ml4t_engine::results::analysis::benchmark::equal_weight(bars, initial_cash)
}

/// Drawdown in percent below the running peak, which starts at the initial cash (as in the
/// metrics, so the plot's deepest point is the "max drawdown" card). [`RunSeries::new`] computes
/// the same in its pass over the curve; this is the reference it is tested against.
#[cfg(test)]
pub fn drawdown_pct(initial_cash: f64, equity: &[f64]) -> Vec<f64> {
    let mut peak = initial_cash;
    equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            if peak > 0.0 { (e / peak - 1.0) * 100.0 } else { 0.0 }
        })
        .collect()
}

/// Gross exposure as percent of equity (NaN where equity is not positive); the reference for
/// [`RunSeries::new`].
#[cfg(test)]
pub fn exposure_pct(gross: &[f64], equity: &[f64]) -> Vec<f64> {
    gross
        .iter()
        .zip(equity)
        .map(|(&g, &e)| if e > 0.0 { g / e * 100.0 } else { f64::NAN })
        .collect()
}

/// Whether a fill opens (or adds to) a position and whether it closes (or reduces) one; a
/// reversal through zero does both.
pub fn fill_kind(fill: &Fill) -> (bool, bool) {
    let after = fill.position_after;
    let before = after - fill.side.sign() * fill.qty;
    let flips = before != 0.0 && after != 0.0 && before.signum() != after.signum();
    let opens = after != 0.0 && (flips || after.abs() > before.abs());
    let closes = before != 0.0 && (flips || after.abs() < before.abs());
    (opens, closes)
}

/// The whole run's series on the equity timestamps (x in seconds). Built on the run's worker
/// thread while the metrics are computed (see [`RunView::series`]), so a new result reaches the
/// window with its plot data ready.
#[derive(Debug, Default)]
pub struct RunSeries {
    pub xs: Vec<f64>,
    pub equity: Vec<f64>,
    pub drawdown_pct: Vec<f64>,
    pub exposure_pct: Vec<f64>,
}

impl RunSeries {
    /// One pass over the stored curve (a flat stretch is one value repeated), the timestamps
    /// from their arithmetic runs: the same values as [`drawdown_pct`] and [`exposure_pct`] of
    /// the materialised columns, without materialising them first.
    pub fn new(result: &RunResult) -> Self {
        let curve = &result.equity;
        let n = curve.len();
        let mut xs = Vec::with_capacity(n);
        for (first, step, count) in curve.times().runs() {
            xs.extend((0..count as i64).map(|k| ts_to_x(first.wrapping_add(step.wrapping_mul(k)))));
        }
        let (mut equity, mut dd, mut exposure) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut peak = result.initial_cash;
        let drawdown = |peak: f64, e: f64| if peak > 0.0 { (e / peak - 1.0) * 100.0 } else { 0.0 };
        let share = |g: f64, e: f64| if e > 0.0 { g / e * 100.0 } else { f64::NAN };
        curve.for_each_stretch(|stretch| match stretch {
            Stretch::Held { equity: es, gross } => {
                equity.extend_from_slice(es);
                for (&e, &g) in es.iter().zip(gross) {
                    peak = peak.max(e);
                    dd.push(drawdown(peak, e));
                    exposure.push(share(g, e));
                }
            }
            Stretch::Flat { cash, n } if n > 0 => {
                peak = peak.max(cash);
                equity.extend(std::iter::repeat_n(cash, n));
                dd.extend(std::iter::repeat_n(drawdown(peak, cash), n));
                exposure.extend(std::iter::repeat_n(share(0.0, cash), n));
            }
            Stretch::Flat { .. } => {}
        });
        RunSeries {
            xs,
            equity,
            drawdown_pct: dd,
            exposure_pct: exposure,
        }
    }
}

/// Buy and hold on the data's own timestamps: depends on the data and the initial cash only, so
/// it is kept across runs ([`bench_key`]).
#[derive(Debug, Default)]
pub struct BenchSeries {
    pub xs: Vec<f64>,
    pub values: Vec<f64>,
}

impl BenchSeries {
    pub fn new(bars: &Bars, initial_cash: f64) -> Self {
        BenchSeries {
            xs: bars.timestamps().map(|t| ts_to_x(t.0)).collect(),
            values: buy_and_hold(bars, initial_cash),
        }
    }
}

/// The cache key of a data set's benchmark: the data's identity and the initial cash.
pub fn bench_key(bars: &Bars, initial_cash: f64) -> u64 {
    sub_key((bars.id(), initial_cash.to_bits()))
}

/// One asset's rows, times and closes: depends on the data only, so it is kept across runs
/// ([`asset_key`]).
#[derive(Debug, Default)]
pub struct AssetData {
    /// Its rows in `Bars`, in time order.
    pub rows: Vec<usize>,
    pub xs: Vec<f64>,
    pub close: Vec<f64>,
}

impl AssetData {
    pub fn new(bars: &Bars, asset: AssetId) -> Self {
        let rows = bars.rows_of(asset);
        let (ts, closes) = (bars.ts(), bars.close());
        AssetData {
            xs: rows.iter().map(|&r| ts_to_x(ts[r])).collect(),
            close: rows.iter().map(|&r| closes[r]).collect(),
            rows,
        }
    }
}

/// The cache key of an asset's data (and of lines drawn from it alone: its close, a signal).
pub fn asset_key(bars: &Bars, asset: AssetId) -> u64 {
    sub_key((bars.id(), asset.0))
}

/// One asset's prices (kept across runs), and this run's fill markers and position.
#[derive(Debug, Default)]
pub struct AssetSeries {
    pub data: Arc<AssetData>,
    /// `[x, fill price]` of opening and closing fills, in time order.
    pub entries: Vec<[f64; 2]>,
    pub exits: Vec<[f64; 2]>,
    /// Signed position after each fill as a step line from the first to the last timestamp.
    pub position_xs: Vec<f64>,
    pub position: Vec<f64>,
}

impl AssetSeries {
    pub fn new(run: &RunView, asset: AssetId, data: Arc<AssetData>) -> Self {
        let bars = &run.bars;
        let (mut entries, mut exits) = (Vec::new(), Vec::new());
        let (mut position_xs, mut position) = (Vec::new(), Vec::new());
        let span = bars.time_range().map(|(a, b)| (ts_to_x(a.0), ts_to_x(b.0)));
        let mut held = 0.0;
        if let Some((first, _)) = span {
            position_xs.push(first);
            position.push(0.0);
        }
        for f in run.result.fills.iter().filter(|f| f.asset == asset) {
            let x = ts_to_x(f.ts.0);
            let (opens, closes) = fill_kind(f);
            if opens {
                entries.push([x, f.price]);
            }
            if closes {
                exits.push([x, f.price]);
            }
            position_xs.extend([x, x]);
            position.extend([held, f.position_after]);
            held = f.position_after;
        }
        if let Some((_, last)) = span {
            position_xs.push(last.max(position_xs.last().copied().unwrap_or(last)));
            position.push(held);
        }
        AssetSeries {
            data,
            entries,
            exits,
            position_xs,
            position,
        }
    }
}

/// A signal column over an asset's rows.
pub fn signal_values(bars: &Bars, rows: &[usize], signal: SignalId) -> Vec<f64> {
    let col = bars.signal_column(signal);
    rows.iter().map(|&r| col.get(r).copied().unwrap_or(f64::NAN)).collect()
}

/// Identifies a run cheaply (no pass over its data): which allocations and sizes it has, and
/// values that differ between runs on the same data.
pub fn run_key(run: &RunView) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    (Arc::as_ptr(&run.bars) as usize).hash(&mut h);
    (run.result.trades.as_ptr() as usize).hash(&mut h);
    (
        run.bars.len(),
        run.result.equity.len(),
        run.result.trades.len(),
        run.result.fills.len(),
    )
        .hash(&mut h);
    run.result.final_equity().to_bits().hash(&mut h);
    run.elapsed_ms.to_bits().hash(&mut h);
    h.finish()
}

/// A cache key for something derived from a run: `parts` starts with the run's key.
pub fn sub_key(parts: impl std::hash::Hash) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// The value cached under `id` if it was made for `key`, else `make()` (then cached, replacing
/// whatever the slot held).
pub fn memo<K, T>(ctx: &egui::Context, id: egui::Id, key: K, make: impl FnOnce() -> T) -> Arc<T>
where
    K: PartialEq + Clone + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    if let Some((k, v)) = ctx.data(|d| d.get_temp::<(K, Arc<T>)>(id))
        && k == key
    {
        return v;
    }
    let v = Arc::new(make());
    ctx.data_mut(|d| d.insert_temp(id, (key, Arc::clone(&v))));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml4t_engine::market::BarColumns;
    use ml4t_engine::types::{OrderId, Side, TimestampNs};

    /// Two assets: A closes 10, 11, 12, 13 at t0..t3; B starts at t1 with 20, then 18, and has no
    /// bar at t3.
    fn bars() -> Bars {
        let rows = [
            (0, 0, 10.0),
            (1, 0, 11.0),
            (1, 1, 20.0),
            (2, 0, 12.0),
            (2, 1, 18.0),
            (3, 0, 13.0),
        ];
        let mut c = BarColumns::default();
        for (t, a, close) in rows {
            c.ts.push(t);
            c.asset.push(AssetId(a));
            for col in [&mut c.open, &mut c.high, &mut c.low, &mut c.close] {
                col.push(close);
            }
            c.volume.push(1.0);
        }
        Bars::new(vec!["A".into(), "B".into()], vec![], c).unwrap()
    }

    #[test]
    fn buy_and_hold_hand_computed() {
        // Sleeves of 500. t0: A 1.0, B still cash -> 1000. t1: A 1.1, B 1.0 (just bought) -> 1050.
        // t2: A 1.2, B 0.9 -> 1050. t3: A 1.3, B carried at 0.9 -> 1100.
        let got = buy_and_hold(&bars(), 1000.0);
        assert_eq!(got.len(), 4);
        for (g, e) in got.iter().zip([1000.0, 1050.0, 1050.0, 1100.0]) {
            assert!((g - e).abs() < 1e-9, "{got:?}");
        }
        assert!(buy_and_hold(&Bars::default(), 1000.0).is_empty());
    }

    #[test]
    fn data_keys_change_with_the_data_not_with_its_address_or_contents() {
        // The same contents built twice (a reloaded file) get new keys: the cached benchmark and
        // asset lines are rebuilt, never reused for data they were not made from.
        let (a, b) = (bars(), bars());
        assert_eq!(a, b);
        assert_ne!(bench_key(&a, 1000.0), bench_key(&b, 1000.0));
        assert_ne!(asset_key(&a, AssetId(0)), asset_key(&b, AssetId(0)));
        assert_ne!(bench_key(&a, 1000.0), bench_key(&a, 2000.0), "the cash is in the key");
        // A clone is the same data: its lines can be kept.
        assert_eq!(asset_key(&a, AssetId(1)), asset_key(&a.clone(), AssetId(1)));
        let data = AssetData::new(&a, AssetId(1));
        assert_eq!(data.rows, vec![2, 4]);
        assert_eq!(data.close, vec![20.0, 18.0]);
    }

    #[test]
    fn run_series_equals_the_materialised_columns_to_the_bit() {
        use ml4t_data::{SampleSpec, sample};
        use ml4t_engine::strategy::reference::MlThreshold;
        // A run with flat and held stretches on several assets.
        let bars = sample(&SampleSpec {
            assets: 3,
            bars: 400,
            ..SampleSpec::default()
        })
        .unwrap();
        let mut strategy = MlThreshold::scenario("S3").unwrap();
        let result = ml4t_engine::backtest(&bars, &mut strategy, Default::default()).unwrap();
        let s = RunSeries::new(&result);
        let curve = &result.equity;
        let equity = curve.equity();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let xs: Vec<f64> = curve.ts().iter().map(|&t| ts_to_x(t)).collect();
        assert_eq!(bits(&s.xs), bits(&xs));
        assert_eq!(bits(&s.equity), bits(&equity));
        assert_eq!(bits(&s.drawdown_pct), bits(&drawdown_pct(result.initial_cash, &equity)));
        assert_eq!(
            bits(&s.exposure_pct),
            bits(&exposure_pct(&curve.gross_exposure(), &equity))
        );
        assert!(s.exposure_pct.contains(&0.0) && s.exposure_pct.iter().any(|&x| x > 0.0));
    }

    #[test]
    fn drawdown_and_exposure_pct() {
        let dd = drawdown_pct(100.0, &[90.0, 120.0, 108.0]);
        assert_eq!(dd.len(), 3);
        assert!((dd[0] + 10.0).abs() < 1e-12 && dd[1] == 0.0 && (dd[2] + 10.0).abs() < 1e-12);
        let ex = exposure_pct(&[50.0, 0.0, 10.0], &[100.0, 100.0, 0.0]);
        assert_eq!(&ex[..2], &[50.0, 0.0]);
        assert!(ex[2].is_nan());
    }

    #[test]
    fn fill_kind_open_close_reverse() {
        let fill = |side, qty, after| Fill {
            order_id: OrderId(0),
            asset: AssetId(0),
            side,
            qty,
            price: 1.0,
            commission: 0.0,
            ts: TimestampNs(0),
            bar_index: 0,
            position_after: after,
        };
        assert_eq!(fill_kind(&fill(Side::Buy, 10.0, 10.0)), (true, false));
        assert_eq!(fill_kind(&fill(Side::Buy, 5.0, 15.0)), (true, false));
        assert_eq!(fill_kind(&fill(Side::Sell, 5.0, 10.0)), (false, true));
        assert_eq!(fill_kind(&fill(Side::Sell, 10.0, 0.0)), (false, true));
        assert_eq!(fill_kind(&fill(Side::Sell, 10.0, -10.0)), (true, false), "short entry");
        assert_eq!(fill_kind(&fill(Side::Sell, 20.0, -10.0)), (true, true), "long to short");
        assert_eq!(fill_kind(&fill(Side::Buy, 10.0, 0.0)), (false, true), "short cover");
    }
}
