//! The direction, exit-fill, entry-order and margin controls and the Portfolio editor, driven
//! like a user would; every edit must survive a save and a load of the preset.

use eframe::egui;
use egui_kittest::kittest::Queryable as _;

use super::tests::{State, click, editor, pick};
use ml4t_engine::strategy::rebalance::{Rebalance, RebalanceEvery, Weighting};
use ml4t_engine::strategy::rules::{Direction, EntryOrder, ExitFills, Rule, SignalStrategy};

type Harness = egui_kittest::Harness<'static, State>;

/// Clicks the drag value `label`, types `text` and confirms, as a user edits a number.
fn type_into(h: &mut Harness, label: &str, text: &str) {
    click(h, label);
    h.get_by_label(label).type_text(text);
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
}

/// Saves `strategy` in a preset file and loads it back.
fn round_trip(strategy: &SignalStrategy) -> SignalStrategy {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.ron");
    let preset = ml4t_preset::Preset::new("t", "data.parquet", strategy.clone());
    ml4t_preset::save(&preset, &path).unwrap();
    let back = ml4t_preset::load(&path).unwrap();
    back.strategy.rules().cloned().unwrap()
}

#[test]
fn editor_long_short_lists_exit_fills_entry_order_and_margin_round_trip() {
    let mut h = editor(SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.8)), 3);
    // Long only: no short lists.
    assert!(h.query_by_label("Add short entry rule").is_none());
    click(&mut h, "Long-short");
    assert_eq!(h.state().strategy.direction, Direction::LongShort);
    // Going short needs a short entry rule: the list says so until one is added.
    assert!(h.query_by_label_contains("has no (enabled) short entry rule").is_some());
    click(&mut h, "Add short entry rule");
    pick(&mut h, "short entry rule 1 kind", "signal below");
    click(&mut h, "Add short exit rule");
    pick(&mut h, "short exit rule 1 kind", "stop loss");
    let s = &h.state().strategy;
    assert_eq!(s.short_entry.len(), 1);
    assert!(matches!(s.short_entry[0], Rule::SignalBelow(..)));
    assert_eq!(s.short_exit, [Rule::stop_loss(0.05)]);
    assert!(h.query_by_label_contains("has no (enabled) short entry rule").is_none());

    click(&mut h, "Intrabar");
    assert_eq!(h.state().strategy.exit_fills, ExitFills::Intrabar);

    pick(&mut h, "entry order kind", "Limit");
    type_into(&mut h, "entry order offset", "1");
    type_into(&mut h, "entry order valid bars", "3");
    assert_eq!(
        h.state().strategy.entry_order,
        EntryOrder::Limit {
            offset: 0.01,
            valid_bars: 3
        }
    );
    // Another kind keeps the offset and the validity.
    pick(&mut h, "entry order kind", "Stop (breakout)");
    assert_eq!(
        h.state().strategy.entry_order,
        EntryOrder::Stop {
            offset: 0.01,
            valid_bars: 3
        }
    );

    click(&mut h, "initial margin check");
    type_into(&mut h, "initial margin percent", "25");
    assert_eq!(h.state().strategy.initial_margin, Some(0.25));

    let edited = h.state().strategy.clone();
    assert_eq!(round_trip(&edited), edited);

    // Short only hides the long lists but keeps their rules.
    click(&mut h, "Short");
    assert_eq!(h.state().strategy.direction, Direction::ShortOnly);
    assert!(h.query_by_label("Add entry rule").is_none());
    assert_eq!(h.state().strategy.entry.len(), 1);
    assert_eq!(round_trip(&h.state().strategy).direction, Direction::ShortOnly);
    click(&mut h, "Next open");
    click(&mut h, "Long");
    pick(&mut h, "entry order kind", "Market");
    click(&mut h, "initial margin check");
    let s = &h.state().strategy;
    assert_eq!(
        (s.direction, s.exit_fills, s.entry_order, s.initial_margin),
        (Direction::Long, ExitFills::NextOpen, EntryOrder::Market, None)
    );
    assert!(h.state().changes >= 14, "every edit reported ({})", h.state().changes);
}

#[test]
fn editor_invalid_entry_order_offset_is_shown_under_the_settings() {
    let mut s = SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.8));
    s.entry_order = EntryOrder::Limit {
        offset: 1.5,
        valid_bars: 1,
    };
    let h = editor(s, 3);
    assert!(
        h.query_by_label_contains("the offset must be a fraction in [0, 1)")
            .is_some()
    );
}

fn portfolio() -> SignalStrategy {
    SignalStrategy {
        portfolio: Some(Box::new(Rebalance::default())),
        ..SignalStrategy::default()
    }
}

fn spec(h: &Harness) -> &Rebalance {
    h.state().strategy.portfolio.as_deref().unwrap()
}

#[test]
fn editor_portfolio_settings_round_trip() {
    let mut h = editor(portfolio(), 10);
    // The rule lists make way for the portfolio's settings.
    assert!(h.query_by_label("Add entry rule").is_none());
    type_into(&mut h, "portfolio every k bars", "10");
    assert_eq!(spec(&h).every, RebalanceEvery::Bars(10));
    pick(&mut h, "portfolio rank signal", "vol_20");
    assert_eq!(spec(&h).signal, "vol_20");
    pick(&mut h, "portfolio rank signal", "ml_pred");
    type_into(&mut h, "portfolio long count", "3");
    type_into(&mut h, "portfolio short count", "2");
    assert_eq!((spec(&h).n_long, spec(&h).n_short), (3, 2));
    type_into(&mut h, "portfolio gross exposure", "150");
    type_into(&mut h, "portfolio net exposure", "50");
    assert_eq!((spec(&h).w_long, spec(&h).w_short), (1.0, 0.5));
    assert!(h.query_by_label("long 100 %").is_some());
    assert!(h.query_by_label("· short 50 %").is_some());
    pick(&mut h, "portfolio weighting", "by rank");
    assert_eq!(spec(&h).weighting, Weighting::Rank);
    type_into(&mut h, "portfolio minimum trade shares", "5");
    type_into(&mut h, "portfolio minimum trade notional", "500");
    assert_eq!((spec(&h).min_trade, spec(&h).min_notional), (5.0, 500.0));
    let edited = h.state().strategy.clone();
    assert_eq!(round_trip(&edited), edited);

    // Top fraction instead of a count; inverse-volatility weights on a volatility signal.
    pick(&mut h, "portfolio long unit", "% of ranked");
    assert_eq!(spec(&h).long_fraction, Some(0.1));
    type_into(&mut h, "portfolio long fraction", "20");
    assert_eq!(spec(&h).long_fraction, Some(0.2));
    pick(&mut h, "portfolio weighting", "1 / volatility");
    assert_eq!(spec(&h).weighting, Weighting::InverseVolatility("vol_20".into()));
    pick(&mut h, "portfolio schedule", "monthly");
    assert_eq!(spec(&h).every, RebalanceEvery::Monthly);
    let edited = h.state().strategy.clone();
    assert_eq!(round_trip(&edited), edited);
    pick(&mut h, "portfolio long unit", "# assets");
    assert_eq!(spec(&h).long_fraction, None);
}

#[test]
fn editor_portfolio_problem_is_shown_under_its_settings() {
    let mut s = portfolio();
    if let Some(p) = s.portfolio.as_deref_mut() {
        p.signal = "nope".into();
    }
    let h = editor(s, 10);
    assert!(
        h.query_by_label_contains("rebalance.signal: unknown column 'nope'")
            .is_some()
    );
}

#[test]
fn broker_editor_borrow_fee_round_trips() {
    use super::broker_editor_ui;
    use ml4t_engine::execution::BrokerConfig;
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(800.0, 700.0))
        .build_ui_state(
            |ui, b: &mut BrokerConfig| {
                broker_editor_ui(ui, b);
            },
            BrokerConfig::default(),
        );
    h.run();
    for (label, text) in [("Borrow fee, % a year", "3"), ("Bars per year (borrow fee)", "365")] {
        h.get_by_label(label).click();
        h.run();
        h.get_by_label(label).type_text(text);
        h.run();
        h.key_press(egui::Key::Enter);
        h.run();
    }
    let b = *h.state();
    assert_eq!((b.borrow_rate, b.bars_per_year), (0.03, 365.0));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.ron");
    let mut preset = ml4t_preset::Preset::new("t", "data.parquet", SignalStrategy::default());
    preset.broker = b;
    ml4t_preset::save(&preset, &path).unwrap();
    assert_eq!(ml4t_preset::load(&path).unwrap().broker, b);
}
