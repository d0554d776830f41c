//! The editors driven like a user would: find widgets by their accessible name, click, type, and
//! check the model. Every `run` also checks that each input widget has a name.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use super::{broker_editor_ui, strategy_editor_ui};
use ml4t_data::SignalInfo;
use ml4t_engine::execution::{BrokerConfig, CashRule, FillTiming};
use ml4t_engine::strategy::rules::{Cmp, Rule, SignalStrategy, Sizer};

pub(super) struct State {
    pub(super) strategy: SignalStrategy,
    signals: Vec<SignalInfo>,
    n_assets: usize,
    pub(super) changes: usize,
}

fn signals() -> Vec<SignalInfo> {
    vec![
        SignalInfo {
            name: "ml_pred".into(),
            min: 0.0,
            mean: 0.5,
            max: 1.0,
            nan_count: 0,
        },
        SignalInfo {
            name: "vol_20".into(),
            min: 0.01,
            mean: 0.02,
            max: 0.05,
            nan_count: 19,
        },
    ]
}

pub(super) fn editor(strategy: SignalStrategy, n_assets: usize) -> Harness<'static, State> {
    let state = State {
        strategy,
        signals: signals(),
        n_assets,
        changes: 0,
    };
    let mut harness = Harness::builder().with_size(egui::vec2(1000.0, 900.0)).build_ui_state(
        |ui, s: &mut State| {
            if strategy_editor_ui(ui, &mut s.strategy, &s.signals, s.n_assets) {
                s.changes += 1;
            }
        },
        state,
    );
    harness.run();
    harness
}

pub(super) fn click(harness: &mut Harness<'_, State>, label: &str) {
    harness.get_by_label(label).click();
    harness.run();
}

/// Opens the combo box `combo` and picks `choice`.
pub(super) fn pick(harness: &mut Harness<'_, State>, combo: &str, choice: &str) {
    click(harness, combo);
    click(harness, choice);
}

fn entry<'h>(harness: &'h Harness<'_, State>) -> &'h [Rule] {
    &harness.state().strategy.entry
}

fn exit<'h>(harness: &'h Harness<'_, State>) -> &'h [Rule] {
    &harness.state().strategy.exit
}

fn valid() -> SignalStrategy {
    SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.8))
}

#[test]
fn editor_add_entry_rule_button_adds_a_row() {
    let mut h = editor(SignalStrategy::new(), 3);
    click(&mut h, "Add entry rule");
    assert_eq!(entry(&h), [Rule::signal_above("ml_pred", 0.5)]);
    assert!(h.state().changes > 0);
    assert!(h.query_by_label("entry rule 1 kind").is_some());
}

#[test]
fn editor_kind_combo_switches_the_row_and_keeps_its_parameters() {
    let mut h = editor(valid(), 3);
    pick(&mut h, "entry rule 1 kind", "crosses below");
    assert_eq!(entry(&h), [Rule::cross_below("ml_pred", 0.8)]);
    pick(&mut h, "entry rule 1 kind", "compare columns");
    assert_eq!(entry(&h), [Rule::compare("ml_pred", Cmp::Lt, "vol_20")]);
    pick(&mut h, "entry rule 1 comparator", ">=");
    pick(&mut h, "entry rule 1 second column", "close");
    assert_eq!(entry(&h), [Rule::compare("ml_pred", Cmp::Ge, "close")]);
}

#[test]
fn editor_column_combo_offers_signals_and_prices() {
    let mut h = editor(valid(), 3);
    pick(&mut h, "entry rule 1 column", "vol_20");
    assert_eq!(entry(&h), [Rule::signal_above("vol_20", 0.8)]);
    click(&mut h, "entry rule 1 column");
    for column in ["ml_pred", "open", "high", "low", "close", "volume"] {
        assert!(h.query_by_label(column).is_some(), "{column} offered");
    }
}

#[test]
fn editor_checkbox_switches_a_row_off_and_on() {
    let mut h = editor(valid().entry(Rule::NotInPosition), 3);
    click(&mut h, "entry rule 1 enabled");
    assert_eq!(
        entry(&h)[0],
        Rule::Disabled(Box::new(Rule::signal_above("ml_pred", 0.8)))
    );
    // A switched-off row can still be edited, and stays off.
    pick(&mut h, "entry rule 1 kind", "signal below");
    assert_eq!(
        entry(&h)[0],
        Rule::Disabled(Box::new(Rule::signal_below("ml_pred", 0.8)))
    );
    click(&mut h, "entry rule 1 enabled");
    assert_eq!(entry(&h)[0], Rule::signal_below("ml_pred", 0.8));
}

#[test]
fn editor_remove_duplicate_and_move_rows() {
    let mut h = editor(valid().entry(Rule::NotInPosition), 3);
    click(&mut h, "Duplicate entry rule 1");
    let above = Rule::signal_above("ml_pred", 0.8);
    assert_eq!(entry(&h), [above.clone(), above.clone(), Rule::NotInPosition]);
    click(&mut h, "Move entry rule 3 up");
    assert_eq!(entry(&h), [above.clone(), Rule::NotInPosition, above.clone()]);
    click(&mut h, "Move entry rule 1 down");
    assert_eq!(entry(&h), [Rule::NotInPosition, above.clone(), above.clone()]);
    click(&mut h, "Remove entry rule 1");
    assert_eq!(entry(&h), [above.clone(), above]);
}

#[test]
fn editor_any_group_with_two_rows() {
    let mut h = editor(valid(), 3);
    click(&mut h, "Add exit ANY group");
    click(&mut h, "Add rule to exit rule 1");
    assert_eq!(
        exit(&h),
        [Rule::any([
            Rule::signal_above("ml_pred", 0.5),
            Rule::signal_above("ml_pred", 0.5)
        ])]
    );
    pick(&mut h, "exit rule 1.2 kind", "stop loss");
    pick(&mut h, "exit rule 1.1 kind", "signal below");
    assert_eq!(
        exit(&h),
        [Rule::any([Rule::signal_below("ml_pred", 0.5), Rule::stop_loss(0.05)])]
    );
    // Rows inside the group have their own buttons.
    click(&mut h, "Remove exit rule 1.1");
    assert_eq!(exit(&h), [Rule::any([Rule::stop_loss(0.05)])]);
}

#[test]
fn editor_group_can_be_folded() {
    let mut h = editor(valid().exit(Rule::any([Rule::stop_loss(0.05)])), 3);
    assert!(h.query_by_label("exit rule 1.1 kind").is_some());
    click(&mut h, "Fold exit rule 1");
    assert!(h.query_by_label("exit rule 1.1 kind").is_none());
    click(&mut h, "Fold exit rule 1");
    assert!(h.query_by_label("exit rule 1.1 kind").is_some());
}

#[test]
fn editor_not_edits_its_rule_in_place() {
    let mut h = editor(valid().entry(Rule::not(Rule::InPosition)), 3);
    // The rule of a NOT has no on/off or remove of its own.
    assert!(h.query_by_label("entry rule 2.1 enabled").is_none());
    assert!(h.query_by_label("Remove entry rule 2.1").is_none());
    pick(&mut h, "entry rule 2.1 kind", "max holding bars");
    assert_eq!(entry(&h)[1], Rule::not(Rule::max_holding_bars(10)));
}

#[test]
fn editor_stop_loss_typed_in_percent_is_stored_as_fraction() {
    let mut h = editor(valid().exit(Rule::stop_loss(0.02)), 3);
    assert_eq!(h.get_by_label("exit rule 1 percent").value().as_deref(), Some("2.0 %"));
    click(&mut h, "exit rule 1 percent");
    h.get_by_label("exit rule 1 percent").type_text("5");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(exit(&h), [Rule::stop_loss(0.05)]);
}

#[test]
fn editor_sizer_kind_and_column() {
    let mut h = editor(valid(), 3);
    pick(&mut h, "sizer kind", "volatility target");
    assert_eq!(h.state().strategy.sizer, Sizer::volatility_target("ml_pred", 0.5));
    pick(&mut h, "sizer column", "vol_20");
    assert_eq!(h.state().strategy.sizer, Sizer::volatility_target("vol_20", 0.5));
    pick(&mut h, "sizer kind", "confidence scaled");
    assert_eq!(h.state().strategy.sizer, Sizer::confidence_scaled("vol_20", 1.0, 0.95));
}

#[test]
fn editor_shows_ranking_on_single_asset_under_the_row() {
    let h = editor(SignalStrategy::new().entry(Rule::top_n("ml_pred", 1)), 1);
    assert!(h.query_by_label_contains("the data has a single asset").is_some());
}

#[test]
fn editor_shows_nan_threshold_and_unknown_column() {
    let nan = SignalStrategy::new().entry(Rule::signal_above("ml_pred", f64::NAN));
    let h = editor(nan, 3);
    assert!(h.query_by_label_contains("must be a finite number").is_some());
    let unknown = SignalStrategy::new().entry(Rule::signal_above("nope", 1.0));
    let h = editor(unknown, 3);
    assert!(h.query_by_label_contains("unknown column 'nope'").is_some());
}

#[test]
fn editor_shows_empty_group_and_missing_entry() {
    let h = editor(valid().exit(Rule::All(vec![])), 3);
    assert!(h.query_by_label_contains("an empty group").is_some());
    let mut h = editor(valid(), 3);
    assert!(h.query_by_label_contains("no (enabled) entry rule").is_none());
    click(&mut h, "entry rule 1 enabled");
    assert!(h.query_by_label_contains("no (enabled) entry rule").is_some());
}

#[test]
fn editor_every_rule_kind_renders_with_named_widgets() {
    let every_kind = vec![
        Rule::signal_above("ml_pred", 0.8),
        Rule::signal_below("ml_pred", 0.2),
        Rule::signal_between("ml_pred", 0.2, 0.4),
        Rule::cross_above("close", 101.5),
        Rule::cross_below("vol_20", 0.03),
        Rule::compare("close", Cmp::Le, "ml_pred"),
        Rule::stop_loss(0.03),
        Rule::take_profit(0.2),
        Rule::trailing_stop(0.04),
        Rule::max_holding_bars(7),
        Rule::top_n("ml_pred", 3),
        Rule::bottom_n("vol_20", 2),
        Rule::InPosition,
        Rule::NotInPosition,
        Rule::all([Rule::InPosition, Rule::Disabled(Box::new(Rule::stop_loss(0.1)))]),
        Rule::any([Rule::not(Rule::any([Rule::InPosition]))]),
        Rule::not(Rule::signal_above("gone", 0.9)),
    ];
    let strategy = SignalStrategy {
        entry: every_kind,
        sizer: Sizer::confidence_scaled("ml_pred", 2.0, 0.5),
        ..SignalStrategy::default()
    };
    // `run` panics on an unnamed input widget or a glyph no font has.
    let h = editor(strategy.clone(), 3);
    assert_eq!(h.state().strategy, strategy, "drawing alone changes nothing");
    assert_eq!(h.state().changes, 0);
}

/// Typing in one row must not lose focus when a message appears above it.
#[test]
fn editor_focus_stays_in_the_row_when_a_message_appears_above() {
    let mut h = editor(valid().entry(Rule::signal_below("ml_pred", 0.9)), 3);
    click(&mut h, "entry rule 2 threshold");
    assert!(h.get_by_label("entry rule 2 threshold").is_focused());
    h.state_mut().strategy.entry[0] = Rule::signal_above("nope", 0.8);
    h.run();
    assert!(h.query_by_label_contains("unknown column 'nope'").is_some());
    assert!(h.get_by_label("entry rule 2 threshold").is_focused());
    h.get_by_label("entry rule 2 threshold").type_text("0.25");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(entry(&h)[1], Rule::signal_below("ml_pred", 0.25));
}

fn broker_editor(broker: BrokerConfig) -> Harness<'static, (BrokerConfig, usize)> {
    let mut harness = Harness::builder().with_size(egui::vec2(800.0, 600.0)).build_ui_state(
        |ui, (b, changes): &mut (BrokerConfig, usize)| {
            if broker_editor_ui(ui, b) {
                *changes += 1;
            }
        },
        (broker, 0),
    );
    harness.run();
    harness
}

#[test]
fn broker_editor_switches_cash_rule_fill_timing_and_short() {
    let mut h = broker_editor(BrokerConfig::default());
    assert!(h.query_by_label_contains("Optimistic").is_none());
    h.get_by_label("Reject the order").click();
    h.run();
    assert_eq!(h.state().0.cash_rule, CashRule::Reject);
    h.get_by_label("Same bar's close (optimistic)").click();
    h.run();
    assert_eq!(h.state().0.fill_timing, FillTiming::SameClose);
    assert!(
        h.query_by_label_contains("Optimistic: the fill uses the close")
            .is_some()
    );
    h.get_by_label("Allow short selling").click();
    h.run();
    assert!(h.state().0.allow_short);
    assert_eq!(h.state().1, 3);
}

#[test]
fn broker_editor_commission_percent_is_typed_in_percent() {
    let mut h = broker_editor(BrokerConfig::default());
    assert_eq!(
        h.get_by_label("Commission, % of notional").value().as_deref(),
        Some("0.10 %")
    );
    h.get_by_label("Commission, % of notional").click();
    h.run();
    h.get_by_label("Commission, % of notional").type_text("0.25");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().0.commission.percent, 0.0025);
}

#[test]
fn broker_editor_volume_cap_and_invalid_cash() {
    let mut h = broker_editor(BrokerConfig {
        initial_cash: -5.0,
        ..BrokerConfig::default()
    });
    assert!(
        h.query_by_label_contains("initial_cash must be a positive number")
            .is_some()
    );
    assert_eq!(h.state().0.initial_cash, -5.0, "drawing does not clamp");
    h.get_by_label("Cap fills at a share of the bar's volume").click();
    h.run();
    assert_eq!(h.state().0.max_volume_fraction, Some(0.1));
    assert!(h.query_by_label("Volume cap percent").is_some());
}
