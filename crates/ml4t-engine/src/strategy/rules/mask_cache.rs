//! Threshold masks shared between compilations of many rule sets over the same [`Bars`]: a
//! parameter sweep compiles hundreds of strategies that differ in a few numbers, and every
//! `ml_pred > 0.8` among them is the same mask.

use std::sync::{Mutex, MutexGuard};

use super::Rule;
use super::bitmask::BitMask;
use super::column::Column;
use crate::market::{Bars, BarsId};

/// Masks of threshold comparisons (`SignalAbove`, `SignalBelow`, `SignalBetween`) keyed by
/// column, comparison and value, for one [`Bars`]. Thread-safe; compile through
/// [`SignalStrategy::compile_cached`](super::SignalStrategy::compile_cached). A cache used with
/// other data forgets what it held (masks are only valid for the data they were computed on).
#[derive(Debug, Default)]
pub struct MaskCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    source: Option<BarsId>,
    masks: Vec<(Column, Rule, BitMask)>,
    builds: usize,
}

impl MaskCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many masks were computed (not served from the cache) so far.
    pub fn builds(&self) -> usize {
        self.lock().builds
    }

    /// How many masks the cache holds.
    pub fn len(&self) -> usize {
        self.lock().masks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cache, emptied first if it holds masks of other data. A panic elsewhere while the lock
    /// was held cannot leave a half-written entry (entries are pushed whole), so a poisoned lock is
    /// still usable.
    pub(super) fn for_bars(&self, bars: &Bars) -> MutexGuard<'_, Inner> {
        let mut inner = self.lock();
        if inner.source != Some(bars.id()) {
            inner.masks.clear();
            inner.source = Some(bars.id());
        }
        inner
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    pub(super) fn get(&self, column: Column, rule: &Rule) -> Option<&BitMask> {
        self.masks
            .iter()
            .find(|(c, r, _)| *c == column && r == rule)
            .map(|(_, _, m)| m)
    }

    pub(super) fn insert(&mut self, column: Column, rule: Rule, mask: BitMask) {
        self.builds += 1;
        self.masks.push((column, rule, mask));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::BarColumns;
    use crate::strategy::rules::{SignalStrategy, Sizer};
    use crate::types::AssetId;

    fn bars(pred: &[f64]) -> Bars {
        let mut c = BarColumns::with_capacity(pred.len(), 1);
        for (t, &p) in pred.iter().enumerate() {
            c.push(t as i64, AssetId(0), 10.0, 11.0, 9.0, 10.0, 100.0, &[p]);
        }
        Bars::new(vec!["A".into()], vec!["ml_pred".into()], c).unwrap()
    }

    fn s0(entry: f64, exit: f64) -> SignalStrategy {
        SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", entry))
            .exit(Rule::signal_below("ml_pred", exit))
            .sizer(Sizer::fixed_quantity(1.0))
    }

    #[test]
    fn mask_cache_builds_each_threshold_once() {
        let b = bars(&[0.1, 0.9, 0.5, 0.3, 0.85]);
        let cache = MaskCache::new();
        // A 3 x 2 grid: 3 entry thresholds + 2 exit thresholds = 5 distinct masks, not 12.
        let mut compiled = Vec::new();
        for e in [0.6, 0.7, 0.8] {
            for x in [0.2, 0.4] {
                compiled.push(s0(e, x).compile_cached(&b, &cache).unwrap());
            }
        }
        assert_eq!(cache.builds(), 5);
        assert_eq!(cache.len(), 5);
        // Served from the cache, the compiled rules are those of a plain compilation.
        assert_eq!(
            format!("{:?}", compiled[5]),
            format!("{:?}", s0(0.8, 0.4).compile(&b).unwrap())
        );
        // Other data: the cache starts over.
        let other = bars(&[0.9, 0.1]);
        s0(0.6, 0.2).compile_cached(&other, &cache).unwrap();
        assert_eq!(cache.builds(), 7);
        assert_eq!(cache.len(), 2);
    }
}
