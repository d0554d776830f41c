//! The reference execution of rules: a plain walk of the rule tree at every bar, with no masks and
//! no skipping. Works on any feed (live included); the compiled rules must give its trades.

use super::column::Column;
use super::compile::{AssetState, PosRule, rank_rows};
use super::orders::RuleOrders;
use super::{Cmp, Rule, RuleError, SignalStrategy};
use crate::execution::Fill;
use crate::market::{Bar, BarSlice};
use crate::strategy::{Context, Strategy, StrategyResult};
use crate::types::Side;

#[derive(Debug, Clone)]
enum Node {
    Above(Column, f64),
    Below(Column, f64),
    Between(Column, f64, f64),
    Cross {
        column: Column,
        x: f64,
        above: bool,
        slot: usize,
    },
    Compare(Column, Cmp, Column),
    Pos(PosRule),
    Rank {
        slot: usize,
    },
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
}

/// A [`SignalStrategy`] interpreted bar by bar.
#[derive(Debug, Clone)]
pub struct InterpretedRules {
    /// Long and short entries ("all of"); a side the direction does not trade never enters.
    entry: Vec<Node>,
    short_entry: Vec<Node>,
    /// The exits evaluated at the close (empty: never).
    exit: Vec<Node>,
    short_exit: Vec<Node>,
    orders: RuleOrders,
    /// Per cross rule: the column and each asset's value on its previous bar.
    cross: Vec<(Column, Vec<f64>)>,
    /// Per top/bottom-N rule: column, N, top?, and this timestamp's marks.
    ranks: Vec<(Column, usize, bool, Vec<u8>)>,
    state: Vec<AssetState>,
    values: Vec<f64>,
    scratch: Vec<usize>,
}

impl InterpretedRules {
    pub(super) fn new(s: &SignalStrategy, signal_names: &[String]) -> Result<Self, RuleError> {
        let mut me = InterpretedRules {
            entry: Vec::new(),
            short_entry: Vec::new(),
            exit: Vec::new(),
            short_exit: Vec::new(),
            orders: RuleOrders::new(s, signal_names, 0)?,
            cross: Vec::new(),
            ranks: Vec::new(),
            state: Vec::new(),
            values: Vec::new(),
            scratch: Vec::new(),
        };
        let (long, short) = s.exit_plans()?;
        let resolve = |me: &mut Self, rules: &[Rule]| -> Result<Vec<Node>, RuleError> {
            super::active(rules)
                .map(|r| me.resolve(r, signal_names))
                .collect::<Option<_>>()
                .ok_or(RuleError::NoEntry)
        };
        if s.direction.trades_long() {
            me.entry = resolve(&mut me, &s.entry)?;
            me.exit = resolve(&mut me, &long.at_close)?;
        }
        if s.direction.trades_short() {
            me.short_entry = resolve(&mut me, &s.short_entry)?;
            me.short_exit = resolve(&mut me, &short.at_close)?;
        }
        Ok(me)
    }

    fn resolve(&mut self, rule: &Rule, names: &[String]) -> Option<Node> {
        let col = |c: &str| Column::resolve(c, names);
        Some(match rule {
            Rule::SignalAbove(c, x) => Node::Above(col(c)?, *x),
            Rule::SignalBelow(c, x) => Node::Below(col(c)?, *x),
            Rule::SignalBetween(c, lo, hi) => Node::Between(col(c)?, *lo, *hi),
            Rule::CrossAbove(c, x) | Rule::CrossBelow(c, x) => {
                self.cross.push((col(c)?, Vec::new()));
                Node::Cross {
                    column: col(c)?,
                    x: *x,
                    above: matches!(rule, Rule::CrossAbove(..)),
                    slot: self.cross.len() - 1,
                }
            }
            Rule::Compare(a, op, b) => Node::Compare(col(a)?, *op, col(b)?),
            Rule::TopN(c, n) | Rule::BottomN(c, n) => {
                self.ranks
                    .push((col(c)?, *n, matches!(rule, Rule::TopN(..)), Vec::new()));
                Node::Rank {
                    slot: self.ranks.len() - 1,
                }
            }
            Rule::All(v) => Node::All(
                super::active(v)
                    .map(|r| self.resolve(r, names))
                    .collect::<Option<_>>()?,
            ),
            Rule::Any(v) => Node::Any(
                super::active(v)
                    .map(|r| self.resolve(r, names))
                    .collect::<Option<_>>()?,
            ),
            Rule::Not(r) => Node::Not(Box::new(self.resolve(r, names)?)),
            other => Node::Pos(PosRule::of(other)?),
        })
    }

    fn eval(&self, node: &Node, bar: &Bar<'_>, i: usize, qty: f64, avg: f64, st: &AssetState) -> bool {
        match node {
            Node::Above(c, x) => c.value(bar) > *x,
            Node::Below(c, x) => c.value(bar) < *x,
            Node::Between(c, lo, hi) => {
                let v = c.value(bar);
                *lo <= v && v <= *hi
            }
            Node::Cross { column, x, above, slot } => {
                let prev = self.cross[*slot].1[bar.asset().index()];
                let cur = column.value(bar);
                if *above {
                    cur > *x && prev <= *x
                } else {
                    cur < *x && prev >= *x
                }
            }
            Node::Compare(a, op, b) => op.holds(a.value(bar), b.value(bar)),
            Node::Pos(p) => p.holds(qty, avg, bar.close(), st),
            Node::Rank { slot } => self.ranks[*slot].3[i] != 0,
            Node::All(v) => v.iter().all(|n| self.eval(n, bar, i, qty, avg, st)),
            Node::Any(v) => v.iter().any(|n| self.eval(n, bar, i, qty, avg, st)),
            Node::Not(n) => !self.eval(n, bar, i, qty, avg, st),
        }
    }
}

impl InterpretedRules {
    /// Top/bottom-N marks of this timestamp's bars.
    fn prepare_ranks(&mut self, bars: &BarSlice<'_>) {
        let mut ranks = std::mem::take(&mut self.ranks);
        for (column, n, top, marks) in &mut ranks {
            self.values.clear();
            self.values.extend(bars.iter().map(|b| column.value(&b)));
            marks.clear();
            marks.resize(bars.len(), 0);
            rank_rows(&self.values, *n, *top, &mut self.scratch, marks);
        }
        self.ranks = ranks;
    }

    /// Each asset's values for cross rules at the next timestamp.
    fn remember_previous(&mut self, bars: &BarSlice<'_>) {
        for (column, prev) in &mut self.cross {
            for bar in bars.iter() {
                prev[bar.asset().index()] = column.value(&bar);
            }
        }
    }

    /// A hybrid's filter on any feed: whether "all of the entry rules" hold on each bar of this
    /// timestamp, with the position state advanced exactly as the compiled filter does.
    pub(crate) fn filter_timestamp(&mut self, ctx: &Context<'_>, bars: &BarSlice<'_>, out: &mut Vec<bool>) {
        self.prepare_ranks(bars);
        out.clear();
        for (i, bar) in bars.iter().enumerate() {
            let asset = bar.asset();
            let qty = ctx.position(asset);
            let st = &mut self.state[asset.index()];
            st.on_bar(qty, bar.close());
            let st = *st;
            let avg = ctx.position_info(asset).avg_price;
            out.push(self.entry.iter().all(|n| self.eval(n, &bar, i, qty, avg, &st)));
        }
        self.remember_previous(bars);
    }
}

impl Strategy for InterpretedRules {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        let n = ctx.assets().len();
        self.state = vec![AssetState::default(); n];
        self.orders.reset(n);
        for (_, prev) in &mut self.cross {
            *prev = vec![f64::NAN; n];
        }
        Ok(())
    }

    fn on_fill(&mut self, _ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        if let Some(st) = self.state.get_mut(fill.asset.index()) {
            st.on_fill(fill);
        }
        self.orders.on_fill(fill);
        Ok(())
    }

    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        self.prepare_ranks(bars);
        for (i, bar) in bars.iter().enumerate() {
            let asset = bar.asset();
            let qty = ctx.position(asset);
            let mut st = self.state[asset.index()];
            let all = |list: &[Node], qty: f64, avg: f64, st: &AssetState| {
                !list.is_empty() && list.iter().all(|n| self.eval(n, &bar, i, qty, avg, st))
            };
            if qty == 0.0 {
                if self.orders.entry_waiting(ctx, asset) {
                    continue;
                }
                let long = self.orders.trades_long() && all(&self.entry, 0.0, f64::NAN, &st);
                let short = !long && self.orders.trades_short() && all(&self.short_entry, 0.0, f64::NAN, &st);
                if long || short {
                    self.orders.enter(ctx, &bar, if long { Side::Buy } else { Side::Sell });
                }
            } else {
                st.on_bar(qty, bar.close());
                let avg = ctx.position_info(asset).avg_price;
                let exit = if qty > 0.0 { &self.exit } else { &self.short_exit };
                let exits = all(exit, qty, avg, &st);
                self.orders.manage(ctx, &bar, qty);
                if exits {
                    self.orders.exit(ctx, asset, qty);
                }
            }
            self.state[asset.index()] = st;
        }
        self.remember_previous(bars);
        self.orders.expire(ctx);
        Ok(())
    }
}
