//! The trade table: one row per closed trade, sortable by any column, filterable by asset. Only
//! the rows in view are laid out (`ScrollArea::show_rows`), so 100k trades scroll smoothly.

use eframe::egui;
use egui::{Button, Grid, RichText, ScrollArea, Ui};

use super::plots::{BAD, GOOD, fmt_value, time_axis::format_instant, time_axis::ts_to_x};
use ml4t_engine::execution::Trade;
use ml4t_engine::types::Side;

/// A column of the trade table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum TradeColumn {
    Asset,
    Side,
    Qty,
    EntryTime,
    EntryPrice,
    /// Exit time ascending is closing order, the order the run reports trades in.
    #[default]
    ExitTime,
    ExitPrice,
    Pnl,
    ReturnPct,
    BarsHeld,
}

impl TradeColumn {
    pub const ALL: [TradeColumn; 10] = [
        TradeColumn::Asset,
        TradeColumn::Side,
        TradeColumn::Qty,
        TradeColumn::EntryTime,
        TradeColumn::EntryPrice,
        TradeColumn::ExitTime,
        TradeColumn::ExitPrice,
        TradeColumn::Pnl,
        TradeColumn::ReturnPct,
        TradeColumn::BarsHeld,
    ];

    pub fn title(self) -> &'static str {
        match self {
            TradeColumn::Asset => "asset",
            TradeColumn::Side => "side",
            TradeColumn::Qty => "qty",
            TradeColumn::EntryTime => "entry time",
            TradeColumn::EntryPrice => "entry price",
            TradeColumn::ExitTime => "exit time",
            TradeColumn::ExitPrice => "exit price",
            TradeColumn::Pnl => "pnl",
            TradeColumn::ReturnPct => "return %",
            TradeColumn::BarsHeld => "bars held",
        }
    }

    /// Column width in points (fixed, so the header and the lazily drawn rows line up).
    fn width(self) -> f32 {
        match self {
            TradeColumn::Side => 48.0,
            TradeColumn::EntryTime | TradeColumn::ExitTime => 150.0,
            TradeColumn::BarsHeld => 72.0,
            _ => 88.0,
        }
    }
}

/// Sort order of the trade table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct TradeSort {
    pub column: TradeColumn,
    pub descending: bool,
}

impl TradeSort {
    /// The order after clicking `column`'s header: the same column flips direction, another one
    /// sorts ascending.
    pub fn clicked(self, column: TradeColumn) -> Self {
        if self.column == column {
            TradeSort {
                column,
                descending: !self.descending,
            }
        } else {
            TradeSort {
                column,
                descending: false,
            }
        }
    }
}

/// Indices into `trades` of the rows to show: those of asset `filter` (all if `None`), in `sort`
/// order; ties keep closing order. `asset_names[i]` names `AssetId(i)`.
pub fn trade_order(trades: &[Trade], asset_names: &[String], filter: Option<&str>, sort: TradeSort) -> Vec<usize> {
    let name = |t: &Trade| asset_names.get(t.asset.index()).map_or("", String::as_str);
    let mut idx: Vec<usize> = (0..trades.len())
        .filter(|&i| filter.is_none_or(|f| name(&trades[i]) == f))
        .collect();
    let key = |t: &Trade| -> f64 {
        match sort.column {
            TradeColumn::Asset => 0.0,
            TradeColumn::Side => t.side.sign(),
            TradeColumn::Qty => t.qty,
            TradeColumn::EntryTime => t.entry_ts.0 as f64,
            TradeColumn::EntryPrice => t.entry_price,
            TradeColumn::ExitTime => t.exit_ts.0 as f64,
            TradeColumn::ExitPrice => t.exit_price,
            TradeColumn::Pnl => t.pnl_net,
            TradeColumn::ReturnPct => t.return_pct(),
            TradeColumn::BarsHeld => t.holding_bars() as f64,
        }
    };
    idx.sort_by(|&a, &b| {
        let (ta, tb) = (&trades[a], &trades[b]);
        let ord = match sort.column {
            TradeColumn::Asset => name(ta).cmp(name(tb)),
            _ => key(ta).total_cmp(&key(tb)),
        };
        if sort.descending { ord.reverse() } else { ord }
    });
    idx
}

/// What the user did in the table.
#[derive(Debug, Clone, PartialEq)]
pub enum TradeAction {
    Sort(TradeColumn),
    /// Index into the run's trades.
    Select(usize),
    /// Show only this asset's trades (`None`: all assets).
    Filter(Option<String>),
}

/// Everything the table draws.
pub struct TradeTable<'a> {
    pub trades: &'a [Trade],
    pub asset_names: &'a [String],
    /// Rows to show, as indices into `trades` (see [`trade_order`]).
    pub order: &'a [usize],
    pub sort: TradeSort,
    pub filter: Option<&'a str>,
    pub selected: Option<usize>,
    /// Height of the scrolling rows.
    pub height: f32,
}

/// Filter combo, header and rows; returns what was clicked.
pub fn trades_ui(ui: &mut Ui, table: &TradeTable<'_>) -> Option<TradeAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let shown = match table.filter {
            Some(f) => format!("{} of {} trades ({f})", table.order.len(), table.trades.len()),
            None => format!("{} of {} trades", table.order.len(), table.trades.len()),
        };
        ui.label(shown);
        egui::ComboBox::new("trade_filter", "asset filter")
            .selected_text(table.filter.unwrap_or("all assets"))
            .show_ui(ui, |ui| {
                if ui.selectable_label(table.filter.is_none(), "all assets").clicked() {
                    action = Some(TradeAction::Filter(None));
                }
                for name in table.asset_names {
                    let on = table.filter == Some(name.as_str());
                    if ui.selectable_label(on, name.as_str()).clicked() {
                        action = Some(TradeAction::Filter(Some(name.clone())));
                    }
                }
            });
    });
    if table.trades.is_empty() {
        ui.weak("no trades");
        return action;
    }
    ScrollArea::horizontal().id_salt("trade_table_h").show(ui, |ui| {
        header_ui(ui, table.sort, &mut action);
        if table.order.is_empty() {
            ui.weak("no trades for this asset");
            return;
        }
        let row_h = ui.spacing().interact_size.y;
        ScrollArea::vertical()
            .id_salt("trade_rows")
            .max_height(table.height)
            .auto_shrink([true, true])
            .show_rows(ui, row_h, table.order.len(), |ui, rows| {
                Grid::new("trade_rows_grid")
                    .num_columns(TradeColumn::ALL.len())
                    .start_row(rows.start)
                    .striped(true)
                    .show(ui, |ui| {
                        for k in rows {
                            let i = table.order[k];
                            if row_ui(ui, table, i, row_h) {
                                action = Some(TradeAction::Select(i));
                            }
                            ui.end_row();
                        }
                    });
            });
    });
    action
}

fn header_ui(ui: &mut Ui, sort: TradeSort, action: &mut Option<TradeAction>) {
    Grid::new("trade_header")
        .num_columns(TradeColumn::ALL.len())
        .show(ui, |ui| {
            for col in TradeColumn::ALL {
                let sorted = sort.column == col;
                let button = Button::selectable(sorted, RichText::new(col.title()).strong());
                let hint = match (sorted, sort.descending) {
                    (true, false) => format!("Sorted by {}, ascending; click to reverse", col.title()),
                    (true, true) => format!("Sorted by {}, descending; click to reverse", col.title()),
                    (false, _) => format!("Sort by {}", col.title()),
                };
                let response = ui.add_sized([col.width(), ui.spacing().interact_size.y], button);
                if sorted {
                    sort_arrow(ui, response.rect, sort.descending);
                }
                if response.on_hover_text(hint).clicked() {
                    *action = Some(TradeAction::Sort(col));
                }
            }
            ui.end_row();
        });
}

/// A small triangle at the right of a header cell (the default fonts have no arrow glyphs).
pub(super) fn sort_arrow(ui: &Ui, rect: egui::Rect, descending: bool) {
    let c = egui::pos2(rect.right() - 8.0, rect.center().y);
    let (tip, base) = if descending { (3.5, -3.5) } else { (-3.5, 3.5) };
    let points = vec![
        c + egui::vec2(-4.0, base),
        c + egui::vec2(4.0, base),
        c + egui::vec2(0.0, tip),
    ];
    let color = ui.visuals().strong_text_color();
    ui.painter()
        .add(egui::Shape::convex_polygon(points, color, egui::Stroke::NONE));
}

/// One row of selectable cells; true if any was clicked.
fn row_ui(ui: &mut Ui, table: &TradeTable<'_>, i: usize, row_h: f32) -> bool {
    let t = &table.trades[i];
    let selected = table.selected == Some(i);
    let mut clicked = false;
    for col in TradeColumn::ALL {
        let text = cell_text(t, col, table.asset_names);
        let mut rich = RichText::new(text);
        if matches!(col, TradeColumn::Pnl | TradeColumn::ReturnPct) {
            rich = rich.color(if t.pnl_net > 0.0 { GOOD } else { BAD });
        }
        clicked |= ui
            .add_sized([col.width(), row_h], Button::selectable(selected, rich).truncate())
            .clicked();
    }
    clicked
}

/// The text of one cell.
pub fn cell_text(t: &Trade, col: TradeColumn, asset_names: &[String]) -> String {
    match col {
        TradeColumn::Asset => asset_names.get(t.asset.index()).cloned().unwrap_or_else(|| "?".into()),
        TradeColumn::Side => match t.side {
            Side::Buy => "long".into(),
            Side::Sell => "short".into(),
        },
        TradeColumn::Qty => fmt_value(t.qty),
        TradeColumn::EntryTime => format_instant(ts_to_x(t.entry_ts.0)),
        TradeColumn::EntryPrice => fmt_value(t.entry_price),
        TradeColumn::ExitTime => format_instant(ts_to_x(t.exit_ts.0)),
        TradeColumn::ExitPrice => fmt_value(t.exit_price),
        TradeColumn::Pnl => format!("{:.2}", t.pnl_net),
        TradeColumn::ReturnPct => format!("{:+.2}%", t.return_pct() * 100.0),
        TradeColumn::BarsHeld => t.holding_bars().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml4t_engine::types::{AssetId, TimestampNs};

    fn trade(asset: u32, exit: i64, pnl: f64) -> Trade {
        Trade {
            asset: AssetId(asset),
            side: Side::Buy,
            qty: 10.0,
            entry_ts: TimestampNs(0),
            entry_price: 10.0,
            entry_bar: 0,
            exit_ts: TimestampNs(exit),
            exit_price: 10.0 + pnl / 10.0,
            exit_bar: exit as usize,
            entry_commission: 0.0,
            exit_commission: 0.0,
            pnl_net: pnl,
        }
    }

    fn names() -> Vec<String> {
        vec!["AAA".into(), "BBB".into()]
    }

    #[test]
    fn trade_order_sorts_and_filters() {
        let trades = [trade(1, 1, 5.0), trade(0, 2, -3.0), trade(1, 3, 9.0), trade(0, 4, 5.0)];
        let by = |column, descending| TradeSort { column, descending };
        assert_eq!(trade_order(&trades, &names(), None, TradeSort::default()), [0, 1, 2, 3]);
        assert_eq!(
            trade_order(&trades, &names(), None, by(TradeColumn::Pnl, false)),
            [1, 0, 3, 2]
        );
        // Ties (trades 0 and 3) keep closing order in both directions.
        assert_eq!(
            trade_order(&trades, &names(), None, by(TradeColumn::Pnl, true)),
            [2, 0, 3, 1]
        );
        assert_eq!(
            trade_order(&trades, &names(), None, by(TradeColumn::ReturnPct, true)),
            [2, 0, 3, 1]
        );
        assert_eq!(
            trade_order(&trades, &names(), None, by(TradeColumn::Asset, false)),
            [1, 3, 0, 2]
        );
        assert_eq!(
            trade_order(&trades, &names(), Some("BBB"), TradeSort::default()),
            [0, 2]
        );
        assert_eq!(
            trade_order(&trades, &names(), Some("AAA"), by(TradeColumn::Pnl, true)),
            [3, 1]
        );
        assert!(trade_order(&trades, &names(), Some("ZZZ"), TradeSort::default()).is_empty());
        assert!(trade_order(&[], &names(), None, TradeSort::default()).is_empty());
    }

    #[test]
    fn sort_click_toggles_or_switches() {
        let s = TradeSort::default();
        let r = s.clicked(TradeColumn::ReturnPct);
        assert_eq!((r.column, r.descending), (TradeColumn::ReturnPct, false));
        assert!(r.clicked(TradeColumn::ReturnPct).descending);
        assert!(
            !r.clicked(TradeColumn::ReturnPct)
                .clicked(TradeColumn::ReturnPct)
                .descending
        );
        assert!(!r.clicked(TradeColumn::Pnl).descending);
    }

    #[test]
    fn cell_text_formats() {
        let t = trade(1, 86_400_000_000_000, 5.0);
        let text = |c| cell_text(&t, c, &names());
        assert_eq!(text(TradeColumn::Asset), "BBB");
        assert_eq!(text(TradeColumn::Side), "long");
        assert_eq!(text(TradeColumn::ExitTime), "1970-01-02");
        assert_eq!(text(TradeColumn::ReturnPct), "+5.00%");
        assert_eq!(text(TradeColumn::Pnl), "5.00");
    }
}
