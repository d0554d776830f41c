//! The rule compiler: stateless conditions become bit masks over all rows, computed once with
//! plain column loops; position-dependent conditions stay as a small tree evaluated per bar; and
//! stretches where nothing can happen are skipped in one scan (`Strategy::skip_quiet`).

use super::bitmask::{BitMask, pack_chunk};
use super::column::Column;
use super::mask_cache::MaskCache;
use super::orders::RuleOrders;
use super::{Rule, RuleError, SignalStrategy};
use crate::execution::Fill;
use crate::market::{Bar, BarSlice, Bars, BarsId};
use crate::strategy::{Context, Strategy, StrategyResult};
use crate::types::{AssetId, Side};

/// Per-asset state of the position-dependent rules (shared with the interpreter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AssetState {
    /// Bars seen in the current position, the entry bar included.
    held: u32,
    /// Highest close since entry.
    high: f64,
    /// Lowest close since entry (a short's trailing stop).
    low: f64,
}

impl Default for AssetState {
    fn default() -> Self {
        AssetState {
            held: 0,
            high: f64::NEG_INFINITY,
            low: f64::INFINITY,
        }
    }
}

impl AssetState {
    /// A fill that opens (or flips) a position starts a new holding period.
    #[inline]
    pub(crate) fn on_fill(&mut self, fill: &Fill) {
        let before = fill.position_after - fill.side.sign() * fill.qty;
        if fill.position_after != 0.0 && (before == 0.0 || before.signum() != fill.position_after.signum()) {
            *self = AssetState::default();
        }
    }

    /// Each bar of the asset while it holds a position.
    #[inline]
    pub(crate) fn on_bar(&mut self, qty: f64, close: f64) {
        if qty != 0.0 {
            self.held += 1;
            self.high = self.high.max(close);
            self.low = self.low.min(close);
        }
    }
}

/// Conditions on the position, evaluated per bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PosRule {
    InPosition,
    NotInPosition,
    StopLoss(f64),
    TakeProfit(f64),
    TrailingStop(f64),
    MaxHoldingBars(u32),
}

impl PosRule {
    pub(super) fn of(rule: &Rule) -> Option<PosRule> {
        Some(match *rule {
            Rule::InPosition => PosRule::InPosition,
            Rule::NotInPosition => PosRule::NotInPosition,
            Rule::StopLoss(p) => PosRule::StopLoss(p),
            Rule::TakeProfit(p) => PosRule::TakeProfit(p),
            Rule::TrailingStop(p) => PosRule::TrailingStop(p),
            Rule::MaxHoldingBars(n) => PosRule::MaxHoldingBars(n),
            _ => return None,
        })
    }

    /// `qty` signed, `avg` the average entry price, `close` this bar's close.
    #[inline]
    pub(super) fn holds(self, qty: f64, avg: f64, close: f64, st: &AssetState) -> bool {
        // Same expression as Context::unrealized_pnl_pct, so both agree to the bit.
        let pnl = || {
            let r = close / avg - 1.0;
            if qty > 0.0 { r } else { -r }
        };
        match self {
            PosRule::InPosition => qty != 0.0,
            PosRule::NotInPosition => qty == 0.0,
            PosRule::StopLoss(p) => qty != 0.0 && pnl() < -p,
            PosRule::TakeProfit(p) => qty != 0.0 && pnl() > p,
            PosRule::TrailingStop(p) if qty > 0.0 => close < st.high * (1.0 - p),
            PosRule::TrailingStop(p) => qty < 0.0 && close > st.low * (1.0 + p),
            PosRule::MaxHoldingBars(n) => qty != 0.0 && st.held >= n,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Const(bool),
    /// Index into the condition's masks.
    Mask(usize),
    Pos(PosRule),
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
}

/// A rule list compiled for one data set: precomputed masks plus a per-bar remainder.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledCondition {
    cond: Cond,
    masks: Vec<BitMask>,
}

enum Node {
    Static(BitMask),
    Dynamic(Cond),
}

impl CompiledCondition {
    /// Compiles "all of `rules`"; an empty list means `empty` (true for filters, false for exits).
    pub fn new(rules: &[Rule], bars: &Bars, empty: bool) -> Self {
        Self::with_prep(rules, bars, empty, &mut Prep::new(&[rules], bars))
    }

    fn with_prep(rules: &[Rule], bars: &Bars, empty: bool, prep: &mut Prep) -> Self {
        let mut c = CompiledCondition {
            cond: Cond::Const(empty),
            masks: Vec::new(),
        };
        let rules: Vec<Rule> = super::active(rules).cloned().collect();
        if rules.is_empty() {
            return c;
        }
        let node = c.build_group(&rules, true, bars, prep);
        c.cond = c.finish(node);
        c
    }

    fn finish(&mut self, node: Node) -> Cond {
        match node {
            Node::Dynamic(d) => d,
            Node::Static(m) if m.all() => Cond::Const(true),
            Node::Static(m) if m.none() => Cond::Const(false),
            Node::Static(m) => {
                self.masks.push(m);
                Cond::Mask(self.masks.len() - 1)
            }
        }
    }

    fn build_group(&mut self, rules: &[Rule], all: bool, bars: &Bars, prep: &mut Prep) -> Node {
        let mut acc: Option<BitMask> = None;
        let mut dynamic = Vec::new();
        for r in super::active(rules) {
            match self.build(r, bars, prep) {
                Node::Static(m) => {
                    acc = Some(match acc {
                        None => m,
                        Some(mut a) => {
                            if all {
                                a.and_with(&m);
                            } else {
                                a.or_with(&m);
                            }
                            a
                        }
                    })
                }
                Node::Dynamic(d) => dynamic.push(d),
            }
        }
        if dynamic.is_empty() {
            return Node::Static(acc.unwrap_or_else(|| BitMask::filled(bars.len(), all)));
        }
        if let Some(m) = acc {
            let c = self.finish(Node::Static(m));
            dynamic.insert(0, c);
        }
        Node::Dynamic(match dynamic.len() {
            1 => dynamic.remove(0),
            _ if all => Cond::All(dynamic),
            _ => Cond::Any(dynamic),
        })
    }

    fn build(&mut self, rule: &Rule, bars: &Bars, prep: &mut Prep) -> Node {
        if let Some(m) = prep.take(rule) {
            return Node::Static(m);
        }
        let col = |name: &str| Column::resolve(name, bars.signal_names());
        let none = || Node::Static(BitMask::filled(bars.len(), false));
        // Monomorphised per comparison, so each column loop compiles branch-free.
        fn map(c: Option<Column>, bars: &Bars, f: impl Fn(f64) -> bool) -> Node {
            match c {
                Some(c) => Node::Static(BitMask::from_values(c.values(bars), f)),
                None => Node::Static(BitMask::filled(bars.len(), false)),
            }
        }
        match rule {
            Rule::SignalAbove(c, x) => map(col(c), bars, |v| v > *x),
            Rule::SignalBelow(c, x) => map(col(c), bars, |v| v < *x),
            Rule::SignalBetween(c, lo, hi) => map(col(c), bars, |v| *lo <= v && v <= *hi),
            Rule::CrossAbove(c, x) | Rule::CrossBelow(c, x) => {
                let Some(column) = col(c) else {
                    return none();
                };
                let prev = prep.prev_row.get_or_insert_with(|| previous_rows(bars));
                let v = column.values(bars);
                let above = matches!(rule, Rule::CrossAbove(..));
                Node::Static(BitMask::from_fn(bars.len(), |r| {
                    let p = prev[r];
                    p != u32::MAX && crossed(above, v[p as usize], v[r], *x)
                }))
            }
            Rule::Compare(a, op, b) => match (col(a), col(b)) {
                (Some(a), Some(b)) => Node::Static(BitMask::from_pairs(a.values(bars), b.values(bars), |x, y| {
                    op.holds(x, y)
                })),
                _ => none(),
            },
            Rule::TopN(c, n) | Rule::BottomN(c, n) => {
                let Some(column) = col(c) else {
                    return none();
                };
                let v = column.values(bars);
                let top = matches!(rule, Rule::TopN(..));
                let mut mask = BitMask::filled(bars.len(), false);
                let (mut scratch, mut marks) = (Vec::new(), Vec::new());
                for w in bars.timestamp_starts().windows(2) {
                    marks.clear();
                    marks.resize(w[1] - w[0], 0u8);
                    rank_rows(&v[w[0]..w[1]], *n, top, &mut scratch, &mut marks);
                    for (i, _) in marks.iter().enumerate().filter(|(_, m)| **m != 0) {
                        mask.set(w[0] + i);
                    }
                }
                Node::Static(mask)
            }
            Rule::All(v) => self.build_group(v, true, bars, prep),
            Rule::Any(v) => self.build_group(v, false, bars, prep),
            Rule::Not(r) => match self.build(r, bars, prep) {
                Node::Static(mut m) => {
                    m.invert();
                    Node::Static(m)
                }
                Node::Dynamic(d) => Node::Dynamic(Cond::Not(Box::new(d))),
            },
            other => match PosRule::of(other) {
                Some(p) => Node::Dynamic(Cond::Pos(p)),
                None => none(),
            },
        }
    }

    #[inline]
    fn eval(&self, c: &Cond, row: usize, qty: f64, avg: f64, close: f64, st: &AssetState) -> bool {
        match c {
            Cond::Const(b) => *b,
            Cond::Mask(i) => self.masks[*i].get(row),
            Cond::Pos(p) => p.holds(qty, avg, close, st),
            Cond::All(v) => v.iter().all(|c| self.eval(c, row, qty, avg, close, st)),
            Cond::Any(v) => v.iter().any(|c| self.eval(c, row, qty, avg, close, st)),
            Cond::Not(c) => !self.eval(c, row, qty, avg, close, st),
        }
    }

    /// Whether the condition holds at `row` for a position of `qty` at average price `avg`.
    #[inline]
    pub(crate) fn holds(&self, row: usize, qty: f64, avg: f64, close: f64, st: &AssetState) -> bool {
        // A lone mask (the usual compiled threshold rule) without the recursive walk.
        if let Cond::Mask(i) = self.cond {
            return self.masks[i].get(row);
        }
        self.eval(&self.cond, row, qty, avg, close, st)
    }

    /// Whether a stateless condition holds at `row` (the position does not matter).
    #[inline]
    pub(crate) fn holds_at(&self, row: usize) -> bool {
        match self.cond {
            Cond::Mask(i) => self.masks[i].get(row),
            Cond::Const(b) => b,
            _ => {
                debug_assert!(false, "holds_at on a condition that reads the position");
                false
            }
        }
    }

    /// The row mask, when the whole condition is stateless.
    fn as_mask(&self) -> Option<&BitMask> {
        match self.cond {
            Cond::Mask(i) => Some(&self.masks[i]),
            _ => None,
        }
    }

    /// A constant condition's value.
    fn as_const(&self) -> Option<bool> {
        match self.cond {
            Cond::Const(b) => Some(b),
            _ => None,
        }
    }

    /// Whether it reads the position state (and so cannot be decided by masks alone).
    pub fn is_stateless(&self) -> bool {
        matches!(self.cond, Cond::Mask(_) | Cond::Const(_))
    }

    /// First row at or after `from` where a stateless condition holds (None = never).
    pub(crate) fn next_row(&self, from: usize, n: usize) -> Option<usize> {
        match (self.as_const(), self.as_mask()) {
            (Some(true), _) => (from < n).then_some(from),
            (Some(false), _) => None,
            (_, Some(m)) => m.next_set(from),
            _ => (from < n).then_some(from),
        }
    }
}

/// Work shared by the conditions compiled together (a strategy's entry and exit): each asset's
/// previous row (cross rules), and the masks of every threshold comparison, computed in one
/// pass per column for all the thresholds on it (`ml_pred > 0.8` and `ml_pred < 0.4` read
/// `ml_pred` once). Memory bandwidth is what a column pass costs.
struct Prep {
    prev_row: Option<Vec<u32>>,
    thresholds: Vec<(Rule, BitMask)>,
}

impl Prep {
    fn new(lists: &[&[Rule]], bars: &Bars) -> Prep {
        Self::cached(lists, bars, None)
    }

    /// As [`Prep::new`], taking the masks `cache` already holds and adding the ones it lacks.
    fn cached(lists: &[&[Rule]], bars: &Bars, cache: Option<&MaskCache>) -> Prep {
        let mut by_column: Vec<(Column, Vec<Rule>)> = Vec::new();
        let mut leaves = Vec::new();
        for list in lists {
            threshold_leaves(list, &mut leaves);
        }
        for rule in leaves {
            let (Rule::SignalAbove(name, _) | Rule::SignalBelow(name, _) | Rule::SignalBetween(name, _, _)) = rule
            else {
                continue;
            };
            let Some(column) = Column::resolve(name, bars.signal_names()) else {
                continue;
            };
            match by_column.iter_mut().find(|(c, _)| *c == column) {
                Some((_, rules)) if !rules.contains(rule) => rules.push(rule.clone()),
                Some(_) => {}
                None => by_column.push((column, vec![rule.clone()])),
            }
        }
        let mut thresholds = Vec::new();
        let mut cache = cache.map(|c| c.for_bars(bars));
        for (column, mut rules) in by_column {
            if let Some(cache) = cache.as_deref() {
                rules.retain(|rule| match cache.get(column, rule) {
                    Some(mask) => {
                        thresholds.push((rule.clone(), mask.clone()));
                        false
                    }
                    None => true,
                });
                if rules.is_empty() {
                    continue;
                }
            }
            let masks = BitMask::many_from_values(column.values(bars), rules.len(), |k, chunk| match rules[k] {
                Rule::SignalAbove(_, x) => pack_chunk(chunk, |v| v > x),
                Rule::SignalBelow(_, x) => pack_chunk(chunk, |v| v < x),
                Rule::SignalBetween(_, lo, hi) => pack_chunk(chunk, |v| lo <= v && v <= hi),
                _ => 0,
            });
            if let Some(cache) = cache.as_deref_mut() {
                for (rule, mask) in rules.iter().zip(&masks) {
                    cache.insert(column, rule.clone(), mask.clone());
                }
            }
            thresholds.extend(rules.into_iter().zip(masks));
        }
        Prep {
            prev_row: None,
            thresholds,
        }
    }

    /// The precomputed mask of a threshold rule (each is handed out once).
    fn take(&mut self, rule: &Rule) -> Option<BitMask> {
        let i = self.thresholds.iter().position(|(r, _)| r == rule)?;
        Some(self.thresholds.swap_remove(i).1)
    }
}

/// The enabled threshold comparisons anywhere in `rules` (groups and negations included).
fn threshold_leaves<'a>(rules: &'a [Rule], out: &mut Vec<&'a Rule>) {
    for rule in super::active(rules) {
        match rule {
            Rule::SignalAbove(..) | Rule::SignalBelow(..) | Rule::SignalBetween(..) => out.push(rule),
            Rule::All(v) | Rule::Any(v) => threshold_leaves(v, out),
            Rule::Not(r) => threshold_leaves(std::slice::from_ref(&**r), out),
            _ => {}
        }
    }
}

#[inline]
fn crossed(above: bool, prev: f64, cur: f64, x: f64) -> bool {
    if above {
        cur > x && prev <= x
    } else {
        cur < x && prev >= x
    }
}

/// For each row, the row of the same asset's previous bar (u32::MAX for its first bar).
fn previous_rows(bars: &Bars) -> Vec<u32> {
    let mut last = vec![u32::MAX; bars.assets().len()];
    bars.asset_ids()
        .iter()
        .enumerate()
        .map(|(r, a)| std::mem::replace(&mut last[a.index()], r as u32))
        .collect()
}

/// Marks the `n` highest (`top`) or lowest non-NaN values of one timestamp's rows; ties go to
/// the earlier row (lower asset id, i.e. name order). Shared with the interpreter.
///
/// A selection, not a sort: the order (value, then row) is total, so the `n` first rows under
/// it are one set, found in one pass for a small `n` and by `select_nth_unstable_by` (linear
/// time) otherwise (2,000 assets: a sort per timestamp was the whole cost of a top-N run).
pub(super) fn rank_rows(values: &[f64], n: usize, top: bool, scratch: &mut Vec<usize>, out: &mut [u8]) {
    // `i` ranks before `j`: a better value, or an equal one on an earlier row.
    let before = |i: usize, j: usize| {
        let o = values[i].total_cmp(&values[j]);
        (if top { o.reverse() } else { o }).then(i.cmp(&j))
    };
    scratch.clear();
    if n == 0 {
        return;
    }
    if n <= SMALL_N {
        // One pass keeping the best `n` so far in order: a later row joins only with a strictly
        // better value than the worst kept (on a tie the earlier row ranks first), which for
        // most rows is one comparison.
        for (j, v) in values.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            if scratch.len() == n {
                let worst = scratch[n - 1];
                if before(j, worst) != std::cmp::Ordering::Less {
                    continue;
                }
                scratch.pop();
            }
            let at = scratch.partition_point(|&i| before(i, j) == std::cmp::Ordering::Less);
            scratch.insert(at, j);
        }
    } else {
        scratch.extend((0..values.len()).filter(|&i| !values[i].is_nan()));
        if n < scratch.len() {
            scratch.select_nth_unstable_by(n - 1, |&i, &j| before(i, j));
            scratch.truncate(n);
        }
    }
    for &i in scratch.iter() {
        out[i] = 1;
    }
}

/// Up to this many ranks are selected in one pass over the rows; more, by partial selection.
const SMALL_N: usize = 32;

/// A [`SignalStrategy`] compiled for one [`Bars`]: runs at vectorised speed on that data only.
#[derive(Debug, Clone)]
pub struct CompiledRules {
    /// Long and short entries; a side the direction does not trade is constant false.
    entry: CompiledCondition,
    short_entry: CompiledCondition,
    /// The exits evaluated at the close (resting exits are orders, see [`RuleOrders`]).
    exit: CompiledCondition,
    short_exit: CompiledCondition,
    orders: RuleOrders,
    state: Vec<AssetState>,
    /// Rows to visit at the current timestamp (reused).
    visit: Vec<usize>,
    /// The data the masks were computed for.
    source: BarsId,
}

impl CompiledRules {
    pub(super) fn new(s: &SignalStrategy, bars: &Bars) -> Result<Self, RuleError> {
        Self::cached(s, bars, None)
    }

    /// As [`CompiledRules::new`], taking threshold masks from `cache` and adding the ones it lacks.
    pub(super) fn cached(s: &SignalStrategy, bars: &Bars, cache: Option<&MaskCache>) -> Result<Self, RuleError> {
        let (long, short) = s.exit_plans()?;
        let none: &[Rule] = &[];
        let (entry, exit) = if s.direction.trades_long() {
            (s.entry.as_slice(), long.at_close.as_slice())
        } else {
            (none, none)
        };
        let (short_entry, short_exit) = if s.direction.trades_short() {
            (s.short_entry.as_slice(), short.at_close.as_slice())
        } else {
            (none, none)
        };
        let mut prep = Prep::cached(&[entry, exit, short_entry, short_exit], bars, cache);
        let entry_cond = |rules: &[Rule], on: bool, prep: &mut Prep| {
            if on {
                CompiledCondition::with_prep(rules, bars, true, prep)
            } else {
                CompiledCondition::with_prep(&[], bars, false, prep)
            }
        };
        Ok(CompiledRules {
            entry: entry_cond(entry, s.direction.trades_long(), &mut prep),
            short_entry: entry_cond(short_entry, s.direction.trades_short(), &mut prep),
            exit: CompiledCondition::with_prep(exit, bars, false, &mut prep),
            short_exit: CompiledCondition::with_prep(short_exit, bars, false, &mut prep),
            orders: RuleOrders::new(s, bars.signal_names(), bars.assets().len())?,
            state: vec![AssetState::default(); bars.assets().len()],
            visit: Vec::new(),
            source: bars.id(),
        })
    }

    /// The rules as the fused path decides them without callbacks, when they are plain: a
    /// stateless long entry and exit (masks or constants), no short side, and plain orders
    /// (market entries, no resting exits, no margin check). Their per-asset state (holding
    /// counts, extremes, order slots) is then never read, so the fused path need not keep it.
    pub(crate) fn plain(&self) -> Option<PlainRules<'_>> {
        (self.entry.is_stateless()
            && self.exit.is_stateless()
            && self.short_entry.as_const() == Some(false)
            && self.orders.is_plain())
        .then_some(PlainRules { rules: self })
    }

    pub(crate) fn is_source(&self, bars: &Bars) -> bool {
        bars.id() == self.source
    }

    fn entries_stateless(&self) -> bool {
        self.entry.is_stateless() && self.short_entry.is_stateless()
    }

    /// First row at or after `from` where a (stateless) long or short entry holds.
    #[inline]
    fn next_entry_row(&self, from: usize, n: usize) -> Option<usize> {
        match (self.entry.next_row(from, n), self.short_entry.next_row(from, n)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether an entry holds for a flat asset at `row`.
    #[inline]
    fn enters(&self, row: usize, close: f64, st: &AssetState) -> bool {
        self.entry.holds(row, 0.0, f64::NAN, close, st) || self.short_entry.holds(row, 0.0, f64::NAN, close, st)
    }

    /// The exit (at the close) of a position of signed `qty`.
    #[inline]
    fn exit_of(&self, qty: f64) -> &CompiledCondition {
        if qty > 0.0 { &self.exit } else { &self.short_exit }
    }

    /// The rows of `bars` where `on_bar` can do anything, in row order: those of held assets
    /// (exit rules, holding state) and those where a stateless entry holds. Every other row is
    /// a flat asset whose entry does not hold, where `on_bar` does nothing.
    fn rows_to_visit(&mut self, ctx: &Context<'_>, bars: &BarSlice<'_>) {
        let rows = bars.rows();
        let n = bars.source().len();
        self.visit.clear();
        let mut entry = self.next_entry_row(rows.start, n).filter(|&r| r < rows.end);
        for (asset, _) in ctx.positions() {
            let Some(held) = bars.bar_of(asset).map(|b| b.row()) else {
                continue;
            };
            while let Some(r) = entry.filter(|&r| r <= held) {
                if r < held {
                    self.visit.push(r);
                }
                entry = self.next_entry_row(r + 1, n).filter(|&r| r < rows.end);
            }
            self.visit.push(held);
        }
        while let Some(r) = entry {
            self.visit.push(r);
            entry = self.next_entry_row(r + 1, n).filter(|&r| r < rows.end);
        }
    }
}

impl Strategy for CompiledRules {
    /// With many assets per timestamp, visits only the rows where something can happen (see
    /// [`CompiledRules::rows_to_visit`]); the orders are the same, placed in the same order.
    fn on_bars(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        if bars.len() < 2 || !self.entries_stateless() || !self.is_source(bars.source()) {
            for bar in bars.iter() {
                self.on_bar(ctx, bar)?;
            }
            return Ok(());
        }
        self.rows_to_visit(ctx, bars);
        let visit = std::mem::take(&mut self.visit);
        let source = bars.source();
        let result = visit.iter().try_for_each(|&row| self.on_bar(ctx, source.bar(row)));
        self.visit = visit;
        result
    }

    fn on_fill(&mut self, _ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        self.state[fill.asset.index()].on_fill(fill);
        self.orders.on_fill(fill);
        Ok(())
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        if !self.is_source(bar.source()) {
            return Err(
                "these rules were compiled for other data; compile them for this data, or use the \
                        interpreted rules for a live feed"
                    .into(),
            );
        }
        let asset = bar.asset();
        let (row, close) = (bar.row(), bar.close());
        let qty = ctx.position(asset);
        let st = &mut self.state[asset.index()];
        if qty == 0.0 {
            if self.orders.entry_waiting(ctx, asset) {
                return Ok(());
            }
            if self.entry.holds(row, 0.0, f64::NAN, close, st) {
                self.orders.enter(ctx, &bar, Side::Buy);
            } else if self.short_entry.holds(row, 0.0, f64::NAN, close, st) {
                self.orders.enter(ctx, &bar, Side::Sell);
            }
        } else {
            st.on_bar(qty, close);
            let st = *st;
            let exits = self
                .exit_of(qty)
                .holds(row, qty, ctx.position_info(asset).avg_price, close, &st);
            // The resting exits of a position opened at this open go in before a market exit.
            self.orders.manage(ctx, &bar, qty);
            if exits {
                self.orders.exit(ctx, asset, qty);
            }
        }
        Ok(())
    }

    fn on_timestamp(&mut self, ctx: &mut Context<'_>, _bars: &BarSlice<'_>) -> StrategyResult {
        self.orders.expire(ctx);
        Ok(())
    }

    fn fast_forwards(&self) -> bool {
        true
    }

    fn compiled_rules(&mut self) -> Option<&mut CompiledRules> {
        Some(self)
    }

    fn skip_quiet(&mut self, ctx: &Context<'_>, bars: &Bars, next: usize) -> usize {
        if !self.is_source(bars) || self.orders.placing() {
            return 0;
        }
        let n_ts = bars.n_timestamps();
        // Everyone flat and stateless entries: jump straight to the next row where one holds.
        if ctx.positions().next().is_none() && self.entries_stateless() {
            let to = match self.next_entry_row(bars.timestamp_start(next), bars.len()) {
                Some(row) => bars.timestamp_of_row(row, next),
                None => n_ts,
            };
            return to - next;
        }
        let close = bars.close();
        let mut j = next;
        if bars.assets().len() == 1 {
            // One asset in position: one tight loop over its closes.
            let a = AssetId(0);
            let (qty, avg) = (ctx.position(a), ctx.position_info(a).avg_price);
            let mut st = self.state[0];
            if qty == 0.0 {
                while j < n_ts && !self.enters(j, close[j], &st) {
                    j += 1;
                }
                return j - next;
            }
            let exit = self.exit_of(qty);
            while j < n_ts {
                let mut s = st;
                s.on_bar(qty, close[j]);
                if exit.holds(j, qty, avg, close[j], &s) {
                    break;
                }
                st = s;
                j += 1;
            }
            self.state[0] = st;
            return j - next;
        }
        let (entry, short_entry) = (&self.entry, &self.short_entry);
        let (exit, short_exit) = (&self.exit, &self.short_exit);
        scan_quiet(ctx, bars, next, &mut self.state, |row, qty, avg, close, st| {
            if qty == 0.0 {
                entry.holds(row, 0.0, f64::NAN, close, st) || short_entry.holds(row, 0.0, f64::NAN, close, st)
            } else if qty > 0.0 {
                exit.holds(row, qty, avg, close, st)
            } else {
                short_exit.holds(row, qty, avg, close, st)
            }
        })
    }
}

/// Compiled rules that decide from masks alone (see [`CompiledRules::plain`]).
#[derive(Clone, Copy)]
pub(crate) struct PlainRules<'a> {
    rules: &'a CompiledRules,
}

impl PlainRules<'_> {
    /// Whether a flat asset enters (long) at `row`.
    #[inline]
    pub(crate) fn enters(&self, row: usize) -> bool {
        self.rules.entry.holds_at(row)
    }

    /// Whether a long position exits at `row`.
    #[inline]
    pub(crate) fn exits(&self, row: usize) -> bool {
        self.rules.exit.holds_at(row)
    }

    /// The first row at or after `from` (of `n`) where a flat asset enters (`n`: never).
    #[inline]
    pub(crate) fn next_entry(&self, from: usize, n: usize) -> usize {
        self.rules.entry.next_row(from, n).unwrap_or(n)
    }

    /// The first row at or after `from` (of `n`) where a long position exits (`n`: never).
    #[inline]
    pub(crate) fn next_exit(&self, from: usize, n: usize) -> usize {
        self.rules.exit.next_row(from, n).unwrap_or(n)
    }

    /// The entry quantity for a flat account (see `RuleOrders::plain_entry_qty`).
    #[inline]
    pub(crate) fn entry_qty(&self, cash: f64, price: f64, bar: &Bar<'_>) -> Option<f64> {
        self.rules.orders.plain_entry_qty(cash, price, bar)
    }
}

/// Scans timestamps from `next` until one where `acts(row, qty, avg, close, state)` holds for
/// some asset, advancing each held asset's state over the quiet timestamps (a timestamp's states
/// are committed only when none of its rows acts). Returns the number of quiet timestamps.
pub(crate) fn scan_quiet(
    ctx: &Context<'_>,
    bars: &Bars,
    next: usize,
    state: &mut [AssetState],
    acts: impl Fn(usize, f64, f64, f64, &AssetState) -> bool,
) -> usize {
    let starts = bars.timestamp_starts();
    let (close, assets) = (bars.close(), bars.asset_ids());
    let mut j = next;
    'scan: while j < bars.n_timestamps() {
        let rows = starts[j]..starts[j + 1];
        for r in rows.clone() {
            let a = assets[r];
            let qty = ctx.position(a);
            let mut st = state[a.index()];
            st.on_bar(qty, close[r]);
            if acts(r, qty, ctx.position_info(a).avg_price, close[r], &st) {
                break 'scan;
            }
        }
        for r in rows {
            let a = assets[r];
            state[a.index()].on_bar(ctx.position(a), close[r]);
        }
        j += 1;
    }
    j - next
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The selection marks what a full sort's first `n` would, ties and NaN included.
    #[test]
    fn rank_rows_selects_what_a_sort_would() {
        let mut rnd = crate::test_rng(17);
        for _ in 0..500 {
            let len = rnd(80) as usize;
            let values: Vec<f64> = (0..len)
                .map(|_| match rnd(10) {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    k => (k % 4) as f64 / 2.0,
                })
                .collect();
            for n in [0, 1, 2, 3, 5, 32, 33, 40] {
                for top in [true, false] {
                    let mut sorted: Vec<usize> = (0..len).filter(|&i| !values[i].is_nan()).collect();
                    sorted.sort_by(|&i, &j| {
                        let o = values[i].total_cmp(&values[j]);
                        (if top { o.reverse() } else { o }).then(i.cmp(&j))
                    });
                    let mut want = vec![0u8; len];
                    sorted.iter().take(n).for_each(|&i| want[i] = 1);
                    let mut got = vec![0u8; len];
                    rank_rows(&values, n, top, &mut Vec::new(), &mut got);
                    assert_eq!(got, want, "{values:?} n {n} top {top}");
                }
            }
        }
    }

    #[test]
    fn rank_rows_skips_nan_and_breaks_ties_by_order() {
        let mut out = vec![0u8; 4];
        rank_rows(&[0.5, f64::NAN, 0.9, 0.5], 2, true, &mut Vec::new(), &mut out);
        assert_eq!(out, vec![1, 0, 1, 0]);
        let mut out = vec![0u8; 4];
        rank_rows(&[0.5, f64::NAN, 0.9, 0.5], 2, false, &mut Vec::new(), &mut out);
        assert_eq!(out, vec![1, 0, 0, 1]);
    }

    #[test]
    fn pos_rules_on_hand_computed_positions() {
        let st = AssetState {
            held: 3,
            high: 120.0,
            low: 90.0,
        };
        // long 10 @ 100, close 94: pnl -6 %
        assert!(PosRule::StopLoss(0.05).holds(10.0, 100.0, 94.0, &st));
        assert!(!PosRule::StopLoss(0.07).holds(10.0, 100.0, 94.0, &st));
        assert!(PosRule::TakeProfit(0.15).holds(10.0, 100.0, 116.0, &st));
        // trailing 10 % from 120: below 108
        assert!(PosRule::TrailingStop(0.1).holds(10.0, 100.0, 107.9, &st));
        assert!(!PosRule::TrailingStop(0.1).holds(10.0, 100.0, 108.1, &st));
        assert!(PosRule::MaxHoldingBars(3).holds(10.0, 100.0, 100.0, &st));
        assert!(!PosRule::MaxHoldingBars(4).holds(10.0, 100.0, 100.0, &st));
        assert!(!PosRule::StopLoss(0.05).holds(0.0, f64::NAN, 94.0, &st));
        // short 10 @ 100: close 106 is a 6 % loss, 84 a 16 % gain; trailing 10 % above 90: 99
        assert!(PosRule::StopLoss(0.05).holds(-10.0, 100.0, 106.0, &st));
        assert!(!PosRule::StopLoss(0.05).holds(-10.0, 100.0, 94.0, &st));
        assert!(PosRule::TakeProfit(0.15).holds(-10.0, 100.0, 84.0, &st));
        assert!(PosRule::TrailingStop(0.1).holds(-10.0, 100.0, 99.1, &st));
        assert!(!PosRule::TrailingStop(0.1).holds(-10.0, 100.0, 98.9, &st));
    }
}
