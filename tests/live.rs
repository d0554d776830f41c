//! Live paper trading end to end, over real WebSockets on 127.0.0.1 (ports picked by the OS):
//! parity with the backtest (rules preset, Rust callback, multi-asset), a server outage mid-stream,
//! a paper process killed and restarted on its journal, a clean stop resumed from the journal,
//! a silent server, and bad messages that are logged and skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ml4t_engine::feed::DataFeed;
use ml4t_engine::market::{BarSlice, Bars};
use ml4t_engine::results::RunResult;
use ml4t_engine::results::compare::compare;
use ml4t_engine::results::json::{ResultJson, RunLabel};
use ml4t_engine::strategy::Strategy;
use ml4t_engine::strategy::reference::MlThreshold;
use ml4t_engine::types::{SignalId, TimestampNs};
use ml4t_engine::{Engine, backtest};
use ml4t_live::journal::{JOURNAL_FILE, TimestampRecord};
use ml4t_live::{
    FeedEvent, LiveFeed, LiveFeedConfig, PaperConfig, PaperEvent, PaperRun, ReplayOptions, ReplayServer,
    SignalComputer, run_paper, run_paper_computing, serve,
};
use ml4t_preset::Preset;
use tungstenite::Message;

/// Upper bound for any one run in these tests.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// The preset, its data, and its backtest (compiled rules over the whole file).
fn backtest_preset(name: &str) -> (Preset, Arc<Bars>, RunResult) {
    let path = fixture(&format!("presets/{name}.ron"));
    let p = ml4t_preset::load(&path).unwrap();
    let bars = Arc::new(p.load_data(&path).unwrap().bars);
    let run = ml4t_preset::run::run(&p, &path, &bars, &mut Engine::new()).unwrap();
    (p, bars, run)
}

fn feed_config(url: &str, bars: &Bars) -> LiveFeedConfig {
    let mut c = LiveFeedConfig::new(url, bars.assets().to_vec(), bars.signal_names().to_vec());
    c.exit_at_end = true;
    c.read_timeout = Duration::from_secs(10);
    c.heartbeat = Duration::from_secs(2);
    c.backoff_initial = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(200);
    c.max_attempts = 100;
    c
}

fn server(bars: &Arc<Bars>, opts: ReplayOptions) -> ReplayServer {
    serve(bars.clone(), opts).unwrap()
}

/// Runs `f` on a thread and waits at most [`RUN_TIMEOUT`] for it.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(RUN_TIMEOUT)
        .unwrap_or_else(|_| panic!("{what} did not finish within {RUN_TIMEOUT:?}"))
}

/// A [`PaperEvent`] callback that can be moved to the run's thread.
type OnEvent = Box<dyn FnMut(&PaperEvent<'_>) + Send>;

/// A paper run of `strategy` on `url` (in-process), bounded in time.
fn paper<S: Strategy + Send + 'static>(config: PaperConfig, mut strategy: S, on_event: Option<OnEvent>) -> PaperRun {
    bounded("the paper run", move || {
        let cb = on_event.map(|mut f| Box::new(move |e: &PaperEvent<'_>| f(e)) as Box<dyn FnMut(&PaperEvent<'_>)>);
        run_paper(config, &mut strategy, cb).unwrap()
    })
}

fn paper_config(feed: LiveFeedConfig, p: &Preset, journal: Option<PathBuf>) -> PaperConfig {
    PaperConfig {
        feed,
        broker: ml4t_preset::run::broker_config(p),
        journal,
        strategy_id: serde_json::to_string(&p.strategy).unwrap(),
    }
}

fn rules(p: &Preset, bars: &Bars) -> Box<dyn Strategy + Send> {
    ml4t_preset::run::build_live_strategy(
        &p.strategy,
        bars.signal_names(),
        bars.assets().len(),
        Path::new("live.ron"),
    )
    .unwrap()
}

/// Same trades, fills, equity curve and counts: the live run is the backtest.
fn assert_same_run(what: &str, live: &RunResult, expected: &RunResult) {
    let label = RunLabel::default();
    let diffs = compare(
        &ResultJson::from_run(live, &label, None),
        &ResultJson::from_run(expected, &label, None),
    );
    assert!(diffs.is_empty(), "{what}: {}", diffs.join("\n"));
    assert_eq!(
        (live.timestamps, live.bars),
        (expected.timestamps, expected.bars),
        "{what}: timestamps and bars (a lost or repeated bar shows here)"
    );
    let key = |r: &RunResult| {
        r.fills
            .iter()
            .map(|f| (f.ts, f.asset, f.side, f.qty, f.price, f.commission, f.bar_index))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(live), key(expected), "{what}: fills");
    assert_eq!(live.equity.ts(), expected.equity.ts(), "{what}: equity timestamps");
    assert_eq!(live.equity.equity(), expected.equity.equity(), "{what}: equity curve");
    assert!(!expected.trades.is_empty(), "{what}: the scenario trades");
}

fn events() -> (std::sync::mpsc::SyncSender<FeedEvent>, Receiver<FeedEvent>) {
    sync_channel(100_000)
}

#[test]
fn live_parity_with_backtest_rules_and_callback() {
    let (p, bars, expected) = backtest_preset("S2");
    let srv = server(&bars, ReplayOptions::default());

    // The preset's rules, interpreted bar by bar on the live feed.
    let live = paper(
        paper_config(feed_config(&srv.url(), &bars), &p, None),
        rules(&p, &bars),
        None,
    );
    assert_same_run("S2 rules", &live.result, &expected);

    // A Rust callback strategy: the same code runs in the backtest and live.
    let s2 = || MlThreshold::scenario("S2").unwrap();
    let expected_cb = backtest(&bars, &mut s2(), p.broker).unwrap();
    let live_cb = paper(
        PaperConfig {
            strategy_id: "MlThreshold S2".into(),
            ..paper_config(feed_config(&srv.url(), &bars), &p, None)
        },
        s2(),
        None,
    );
    assert_same_run("S2 callback", &live_cb.result, &expected_cb);
    assert_same_run("S2 callback vs rules", &live_cb.result, &expected);
}

#[test]
fn live_parity_multi_asset_s3() {
    let (p, bars, expected) = backtest_preset("S3");
    assert_eq!(bars.assets().len(), 5);
    let srv = server(&bars, ReplayOptions::default());
    let live = paper(
        paper_config(feed_config(&srv.url(), &bars), &p, None),
        rules(&p, &bars),
        None,
    );
    assert_same_run("S3", &live.result, &expected);
}

/// Resting intrabar exits (bracket, trailing stop), short sales, expiring limit entries and a
/// long/short rebalance on the live feed: the same fills, exit reasons and equity as the
/// backtest.
#[test]
fn live_parity_intrabar_exits_shorts_and_limit_entries() {
    for name in ["S4", "S4T", "S5L", "S6LS"] {
        let (p, bars, expected) = backtest_preset(name);
        let srv = server(&bars, ReplayOptions::default());
        let live = paper(
            paper_config(feed_config(&srv.url(), &bars), &p, None),
            rules(&p, &bars),
            None,
        );
        assert_same_run(name, &live.result, &expected);
        assert_eq!(live.result.notes, expected.notes, "{name}: fill kinds");
        assert!(!live.result.notes.fill_kinds.is_empty(), "{name}: fill kinds recorded");
    }
}

#[test]
fn live_server_stopped_mid_stream_and_restarted() {
    let (p, bars, expected) = backtest_preset("S3");
    // 1234 = 246 timestamps of 5 bars and 4 bars of the next: the outage splits a timestamp.
    let first = server(
        &bars,
        ReplayOptions {
            stop_after_bars: Some(1234),
            ..ReplayOptions::default()
        },
    );
    let port = first.port();
    let (tx, rx) = events();
    let mut feed = feed_config(&first.url(), &bars);
    feed.events = Some(tx);
    let config = paper_config(feed, &p, None);
    let strategy = rules(&p, &bars);
    let run = std::thread::spawn(move || paper(config, strategy, None));

    assert!(first.wait_stopped(RUN_TIMEOUT), "the drill stop did not happen");
    drop(first);
    // The same port again: the client keeps retrying it.
    let second = server(
        &bars,
        ReplayOptions {
            port,
            ..ReplayOptions::default()
        },
    );
    let live = run.join().unwrap();
    drop(second);
    assert_same_run("S3 across a server restart", &live.result, &expected);

    let log: Vec<FeedEvent> = rx.try_iter().collect();
    let connects: Vec<_> = log
        .iter()
        .filter_map(|e| match e {
            FeedEvent::Connected { resume_after, .. } => Some(*resume_after),
            _ => None,
        })
        .collect();
    assert_eq!(connects.len(), 2, "{log:#?}");
    assert_eq!(connects[0], None);
    // Resumed after the last complete timestamp (#245, the 246th), not inside the split one.
    let ts245 = bars.timestamps().nth(245).unwrap();
    assert_eq!(connects[1], Some(ts245), "{log:#?}");
    assert!(
        log.iter().any(|e| matches!(e, FeedEvent::Disconnected { .. })),
        "{log:#?}"
    );
    assert!(log.iter().any(|e| matches!(e, FeedEvent::Retrying { .. })), "{log:#?}");
    assert!(!log.iter().any(|e| matches!(e, FeedEvent::Rejected { .. })), "{log:#?}");
}

#[test]
fn live_clean_stop_then_resume_from_journal() {
    let (p, bars, expected) = backtest_preset("S2");
    let srv = server(&bars, ReplayOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let journal = Some(dir.path().to_path_buf());

    // First run: stopped cleanly (as Ctrl+C does) once timestamp #700 is committed.
    let feed = feed_config(&srv.url(), &bars);
    let stop = feed.stop.clone();
    let fills_first = Arc::new(Mutex::new(Vec::new()));
    let sink = fills_first.clone();
    let first = paper(
        paper_config(feed, &p, journal.clone()),
        rules(&p, &bars),
        Some(Box::new(move |e: &PaperEvent<'_>| match e {
            PaperEvent::Fill { fill, .. } => sink.lock().unwrap().push(**fill),
            PaperEvent::Timestamp { index: 700, .. } => stop.store(true, Ordering::Relaxed),
            PaperEvent::Timestamp { .. } => {}
        })),
    );
    assert_eq!(first.result.timestamps, 701);
    assert_eq!(first.replayed_timestamps, 0);

    // Second run on the journal: replays 701 timestamps, then goes live after the 701st.
    let fills_second = Arc::new(Mutex::new(Vec::new()));
    let sink = fills_second.clone();
    let second = paper(
        paper_config(feed_config(&srv.url(), &bars), &p, journal.clone()),
        rules(&p, &bars),
        Some(Box::new(move |e: &PaperEvent<'_>| {
            if let PaperEvent::Fill {
                fill, replayed: false, ..
            } = e
            {
                sink.lock().unwrap().push(**fill);
            }
        })),
    );
    assert_eq!(second.replayed_timestamps, 701);
    assert_eq!(second.replayed_fills, fills_first.lock().unwrap().len());
    assert_same_run("S2 stopped and resumed", &second.result, &expected);
    // Every fill reported exactly once over the two runs.
    let mut reported = fills_first.lock().unwrap().clone();
    reported.extend(fills_second.lock().unwrap().iter().copied());
    assert_eq!(reported, expected.fills);

    // A third start on the complete journal replays everything and adds nothing.
    let third = paper(
        paper_config(feed_config(&srv.url(), &bars), &p, journal),
        rules(&p, &bars),
        None,
    );
    assert_eq!(third.replayed_timestamps, bars.n_timestamps());
    assert_same_run("S2 replayed whole", &third.result, &expected);
}

/// A model that computes `ml_pred` as the file has it, counting its calls; it raises the feed's
/// stop flag at its `stop_at`-th call.
struct FileModel {
    bars: Arc<Bars>,
    names: Vec<String>,
    calls: usize,
    stop_at: Option<(usize, Arc<std::sync::atomic::AtomicBool>)>,
}

impl SignalComputer for FileModel {
    fn names(&self) -> &[String] {
        &self.names
    }

    fn compute(&mut self, slice: &BarSlice<'_>, out: &mut [f64]) -> Result<(), String> {
        let col = self
            .bars
            .signal_column(self.bars.signal_id("ml_pred").ok_or("no ml_pred")?);
        for (b, v) in slice.iter().zip(out.iter_mut()) {
            let first = self.bars.ts().partition_point(|&t| t < b.ts().0);
            let row = (first..self.bars.len())
                .find(|&r| self.bars.asset_ids()[r] == b.asset())
                .ok_or("bar not in the file")?;
            *v = col[row];
        }
        self.calls += 1;
        if let Some((at, stop)) = &self.stop_at
            && self.calls == *at
        {
            stop.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[test]
fn live_computed_signals_are_journaled_and_replayed_not_recomputed() {
    let (p, bars, expected) = backtest_preset("S2");
    let srv = server(&bars, ReplayOptions::default());
    let dir = tempfile::tempdir().unwrap();
    // The feed reads the file's other signals; the model supplies ml_pred, after them.
    let own: Vec<String> = bars
        .signal_names()
        .iter()
        .filter(|s| *s != "ml_pred")
        .cloned()
        .collect();
    let mut all = own.clone();
    all.push("ml_pred".into());
    let run = |stop_at: Option<usize>| {
        let mut feed = feed_config(&srv.url(), &bars);
        feed.signals = own.clone();
        let mut model = FileModel {
            bars: bars.clone(),
            names: vec!["ml_pred".into()],
            calls: 0,
            stop_at: stop_at.map(|n| (n, feed.stop.clone())),
        };
        let config = paper_config(feed, &p, Some(dir.path().to_path_buf()));
        let mut strategy = ml4t_preset::run::build_live_strategy(&p.strategy, &all, 1, Path::new("live.ron")).unwrap();
        bounded("a run with computed signals", move || {
            let run = run_paper_computing(config, strategy.as_mut(), None, &mut model).unwrap();
            (run, model.calls)
        })
    };
    let (first, calls) = run(Some(700));
    assert_eq!(
        (first.result.timestamps, calls, first.replayed_timestamps),
        (700, 700, 0)
    );

    let (second, calls) = run(None);
    assert_eq!(second.replayed_timestamps, 700);
    assert_eq!(
        calls,
        bars.n_timestamps() - 700,
        "journaled timestamps are not computed again"
    );
    assert_same_run("S2 with ml_pred computed live", &second.result, &expected);
    // The run's bars: the journal's and the live ones, with the computed column.
    let seen = second.bars.unwrap();
    assert_eq!(seen.signal_names(), all.as_slice());
    assert_eq!(
        seen.signal_column(seen.signal_id("ml_pred").unwrap()),
        bars.signal_column(bars.signal_id("ml_pred").unwrap())
    );
}

#[test]
fn live_journal_refuses_another_strategy() {
    let (p, bars, _) = backtest_preset("S2");
    let srv = server(&bars, ReplayOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let mut feed = feed_config(&srv.url(), &bars);
    let stop = feed.stop.clone();
    stop.store(true, Ordering::Relaxed); // no live bars: just write the header
    feed.exit_at_end = true;
    paper(
        paper_config(feed, &p, Some(dir.path().to_path_buf())),
        rules(&p, &bars),
        None,
    );
    let config = PaperConfig {
        strategy_id: "something else".into(),
        ..paper_config(feed_config(&srv.url(), &bars), &p, Some(dir.path().to_path_buf()))
    };
    let mut s = rules(&p, &bars);
    let e = run_paper(config, &mut s, None).unwrap_err().to_string();
    assert!(e.contains("another setup") && e.contains("the strategy"), "{e}");
}

/// Kills the child when dropped (a failed assertion must not leave processes behind).
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a child's stdout, read on a thread.
fn lines_of(child: &mut Child) -> Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_line(rx: &Receiver<String>, what: &str) -> String {
    rx.recv_timeout(RUN_TIMEOUT)
        .unwrap_or_else(|_| panic!("no line from {what} within {RUN_TIMEOUT:?}"))
}

fn ml4t() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ml4t"));
    c.current_dir(root());
    c
}

#[test]
fn live_paper_process_killed_and_restarted_on_its_journal() {
    let (_, bars, expected) = backtest_preset("S2");
    let help = ml4t().args(["replay", "--help"]).output().unwrap();
    assert!(
        help.status.success(),
        "{} has no replay subcommand: not this build (another build shares the target folder?)",
        env!("CARGO_BIN_EXE_ml4t")
    );
    // The real replay server, paced so that the kill lands mid-run.
    let mut replay = Proc(
        ml4t()
            .args(["replay", "--data", "tests/fixtures/data/syn_2k.parquet", "--port", "0"])
            .args(["--rate", "2000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let replay_out = lines_of(&mut replay.0);
    let banner = next_line(&replay_out, "ml4t replay");
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("ws://"))
        .unwrap_or_else(|| panic!("no URL in '{banner}'"))
        .to_owned();

    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let json = dir.path().join("paper.json");
    let paper_args = |json: Option<&Path>| {
        let mut c = ml4t();
        c.args([
            "paper",
            "--preset",
            "tests/fixtures/presets/S2.ron",
            "--url",
            &url,
            "--exit-at-end",
        ])
        .arg("--journal")
        .arg(&journal);
        if let Some(j) = json {
            c.arg("--json").arg(j);
        }
        c
    };

    // First run: killed (SIGKILL) after its fifth fill.
    let mut first = Proc(
        paper_args(None)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = lines_of(&mut first.0);
    let mut fills = 0;
    while fills < 5 {
        if next_line(&out, "ml4t paper").starts_with("fill ") {
            fills += 1;
        }
    }
    assert!(
        first.0.try_wait().unwrap().is_none(),
        "the first run ended before the kill"
    );
    first.0.kill().unwrap();
    let status = first.0.wait().unwrap();
    assert!(!status.success());
    let committed = read_journal(&journal.join(JOURNAL_FILE));
    assert!(
        committed.len() > 10 && committed.len() < bars.n_timestamps(),
        "killed after {} of {} timestamps",
        committed.len(),
        bars.n_timestamps()
    );

    // Second run on the journal, to the end of the stream.
    let mut again = paper_args(Some(&json));
    again.stderr(Stdio::piped());
    let output = bounded("the restarted paper run", move || again.output().unwrap());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("journal: {} timestamps", committed.len())),
        "{stdout}"
    );
    let ours: ResultJson = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let label = RunLabel::default();
    let diffs = compare(&ours, &ResultJson::from_run(&expected, &label, None));
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert_eq!((ours.timestamps, ours.bars), (expected.timestamps, expected.bars));

    // The journal holds every timestamp and every fill exactly once.
    let records = read_journal(&journal.join(JOURNAL_FILE));
    assert_eq!(records.len(), bars.n_timestamps());
    assert!(records.iter().enumerate().all(|(i, r)| r.index == i));
    let journaled: Vec<_> = records.iter().flat_map(|r| r.fills.iter().copied()).collect();
    assert_eq!(journaled, expected.fills);
}

fn read_journal(path: &Path) -> Vec<TimestampRecord> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?; // a torn last line is skipped
            serde_json::from_value(v).ok()
        })
        .collect()
}

/// A scripted WebSocket server for one connection per script: reads the client's resume
/// request, hands it to `check`, sends the messages, then waits (bounded) for the client to go.
fn scripted_server(scripts: Vec<(Vec<Message>, Duration)>) -> (String, std::thread::JoinHandle<Vec<Option<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let t = std::thread::spawn(move || {
        let mut resumes = Vec::new();
        for (messages, silence) in scripts {
            let (stream, _) = listener.accept().unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut ws = tungstenite::accept(stream).unwrap();
            let hello = ws.read().unwrap();
            let resume: serde_json::Value = serde_json::from_str(hello.to_text().unwrap()).unwrap();
            resumes.push(resume["after"].as_str().map(str::to_owned));
            for m in messages {
                ws.send(m).unwrap();
            }
            // Silent (neither reading nor writing) for a while, then read until the client leaves.
            std::thread::sleep(silence);
            let until = Instant::now() + Duration::from_secs(5);
            while Instant::now() < until {
                if ws.read().is_err() {
                    break;
                }
            }
        }
        resumes
    });
    (url, t)
}

fn text(s: &str) -> Message {
    Message::text(s.to_owned())
}

fn bar_msg(ts: &str, asset: &str, close: f64, extra: &str) -> Message {
    text(&format!(
        "{{\"type\":\"bar\",\"timestamp\":\"{ts}\",\"asset\":\"{asset}\",\"open\":{close},\"high\":{},\"low\":{},\
         \"close\":{close},\"volume\":100,\"signals\":{{\"s\":0.5{extra}}}}}",
        close + 1.0,
        close - 1.0
    ))
}

/// One timestamp as the feed yielded it: time, asset names, closes, signal `s`.
type Yielded = (TimestampNs, Vec<String>, Vec<f64>, Vec<f64>);

/// Drains a live feed to its end.
fn drain(mut feed: LiveFeed) -> Vec<Yielded> {
    bounded("draining the feed", move || {
        let mut out = Vec::new();
        while let Some(slice) = feed.next_timestamp().unwrap() {
            out.push((
                slice.ts(),
                slice.iter().map(|b| b.asset_name().to_owned()).collect(),
                slice.iter().map(|b| b.close()).collect(),
                slice.iter().map(|b| b.signal(SignalId(0))).collect(),
            ));
        }
        out
    })
}

fn two_asset_config(url: &str) -> LiveFeedConfig {
    let mut c = LiveFeedConfig::new(url, vec!["A".into(), "B".into()], vec!["s".into()]);
    c.exit_at_end = true;
    c.backoff_initial = Duration::from_millis(10);
    c.max_attempts = 20;
    c
}

#[test]
fn live_feed_logs_and_skips_bad_messages() {
    let t1 = "2024-01-02T09:31:00";
    let t2 = "2024-01-02T09:32:00";
    let script = vec![
        bar_msg(t1, "A", 10.0, ""),
        text("this is not JSON"),
        text(&format!(
            "{{\"type\":\"bar\",\"timestamp\":\"{t1}\",\"asset\":\"B\",\"open\":\"ten\",\"high\":11,\"low\":9,\"close\":10}}"
        )),
        text(&format!(
            "{{\"type\":\"bar\",\"timestamp\":\"{t1}\",\"asset\":\"B\",\"open\":10,\"high\":11,\"low\":9,\"close\":10,\
             \"signals\":{{\"s\":\"high\"}}}}"
        )),
        bar_msg(t1, "ZZZ", 10.0, ""),
        text("{\"type\":\"quote\",\"bid\":1}"),
        text("[1,2,3]"),
        Message::Binary(vec![1u8, 2, 3].into()),
        bar_msg(t1, "A", 10.5, ""),
        bar_msg("yesterday", "B", 10.0, ""),
        bar_msg(t1, "B", 20.0, ""),
        text(&format!("{{\"type\":\"end_of_timestamp\",\"timestamp\":\"{t1}\"}}")),
        bar_msg("2024-01-02T09:30:00", "A", 10.0, ""),
        bar_msg(t1, "B", 20.0, ""),
        text(&format!(
            "{{\"type\":\"bar\",\"timestamp\":\"{t2}\",\"asset\":\"A\",\"open\":10,\"high\":9,\"low\":11,\"close\":10}}"
        )),
        bar_msg(t2, "B", 21.0, ",\"unknown_signal\":1"),
        text(&format!(
            "{{\"type\":\"bar\",\"timestamp\":\"{t2}\",\"asset\":\"A\",\"open\":11,\"high\":12,\"low\":10,\"close\":11,\
             \"signals\":{{\"s\":null}}}}"
        )),
        text("{\"type\":\"end_of_stream\"}"),
    ];
    let (url, server) = scripted_server(vec![(script, Duration::ZERO)]);
    let (tx, rx) = events();
    let mut config = two_asset_config(&url);
    config.events = Some(tx);
    let got = drain(LiveFeed::connect(config).unwrap());
    let resumes = server.join().unwrap();
    assert_eq!(resumes, vec![None]);

    let t1n = TimestampNs::parse(t1).unwrap();
    let t2n = TimestampNs::parse(t2).unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, t1n);
    assert_eq!(got[0].1, vec!["A", "B"]);
    assert_eq!(got[0].2, vec![10.0, 20.0]);
    assert_eq!(got[1].0, t2n);
    assert_eq!(got[1].1, vec!["A", "B"]);
    assert_eq!(got[1].2, vec![11.0, 21.0]);
    assert!(got[1].3[0].is_nan() && got[1].3[1] == 0.5);

    let log: Vec<FeedEvent> = rx.try_iter().collect();
    let reasons: Vec<String> = log
        .iter()
        .filter_map(|e| match e {
            FeedEvent::Rejected { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    let expect = [
        "not JSON",
        "bad bar: invalid type: string \"ten\"",
        "bad bar: invalid type: string \"high\"",
        "unknown asset 'ZZZ'",
        "unknown message type 'quote'",
        "no \"type\"",
        "binary message",
        "duplicate: a second bar of A",
        "cannot read the timestamp 'yesterday'",
        "out of order",
        "duplicate: B at 2024-01-02T09:31:00, a timestamp already complete",
        "high 9 below low 11",
    ];
    assert_eq!(reasons.len(), expect.len(), "{reasons:#?}");
    for (got, want) in reasons.iter().zip(expect) {
        assert!(got.contains(want), "'{got}' should contain '{want}'");
    }
    assert!(log.contains(&FeedEvent::IgnoredSignal {
        name: "unknown_signal".into()
    }));
    assert!(
        log.iter()
            .any(|e| matches!(e, FeedEvent::EndOfStream { timestamps: 2 }))
    );
}

#[test]
fn live_feed_reconnects_after_silence_and_resumes() {
    let t1 = "2024-01-02T09:31:00";
    let t2 = "2024-01-02T09:32:00";
    let t3 = "2024-01-02T09:33:00";
    let end = |t: &str| text(&format!("{{\"type\":\"end_of_timestamp\",\"timestamp\":\"{t}\"}}"));
    let scripts = vec![
        // Complete t1, half of t2, then silence: a hung server.
        (
            vec![
                bar_msg(t1, "A", 10.0, ""),
                bar_msg(t1, "B", 20.0, ""),
                end(t1),
                bar_msg(t2, "A", 11.0, ""),
            ],
            Duration::from_millis(1500),
        ),
        // After the reconnect: t2 again, whole, then t3.
        (
            vec![
                bar_msg(t2, "A", 11.0, ""),
                bar_msg(t2, "B", 21.0, ""),
                end(t2),
                bar_msg(t3, "B", 22.0, ""),
                text("{\"type\":\"end_of_stream\"}"),
            ],
            Duration::ZERO,
        ),
    ];
    let (url, server) = scripted_server(scripts);
    let (tx, rx) = events();
    let mut config = two_asset_config(&url);
    config.events = Some(tx);
    config.heartbeat = Duration::from_millis(100);
    config.read_timeout = Duration::from_millis(500);
    let got = drain(LiveFeed::connect(config).unwrap());
    let resumes = server.join().unwrap();
    assert_eq!(resumes, vec![None, Some(t1.to_owned())]);

    let times: Vec<String> = got.iter().map(|g| g.0.to_iso()).collect();
    assert_eq!(times, vec![t1, t2, t3]);
    assert_eq!(got[1].2, vec![11.0, 21.0]);
    assert_eq!(got[2].1, vec!["B"]);
    let log: Vec<FeedEvent> = rx.try_iter().collect();
    assert!(
        log.iter().any(|e| matches!(
            e,
            FeedEvent::Disconnected { reason, dropped_bars: 1 } if reason.starts_with("no message for")
        )),
        "{log:#?}"
    );
}

#[test]
fn live_parity_hybrid_preset() {
    // A hybrid preset (compiled filter + the S2 script): its filter runs interpreted live.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hybrid.ron");
    let text = format!(
        "(version: 1, name: \"hybrid S2\", data: (path: {:?}),\n strategy: Hybrid(filter: [Any([SignalAbove(\"ml_pred\", 0.8), InPosition])], script: (path: {:?})),\n broker: (initial_cash: 100000.0, commission: (percent: 0.001)))",
        fixture("data/syn_2k.parquet"),
        fixture("scripts/S2.rhai")
    );
    std::fs::write(&path, text).unwrap();
    let p = ml4t_preset::load(&path).unwrap();
    let bars = Arc::new(p.load_data(&path).unwrap().bars);
    let expected = ml4t_preset::run::run(&p, &path, &bars, &mut Engine::new()).unwrap();
    assert_eq!(expected.trades.len(), 69, "the hybrid trades like S2");
    let srv = server(&bars, ReplayOptions::default());
    let strategy =
        ml4t_preset::run::build_live_strategy(&p.strategy, bars.signal_names(), bars.assets().len(), &path).unwrap();
    let live = paper(paper_config(feed_config(&srv.url(), &bars), &p, None), strategy, None);
    assert_same_run("hybrid", &live.result, &expected);
}

/// Does nothing: for tests of what reaches the journal.
struct Idle;

impl Strategy for Idle {}

#[test]
fn live_far_future_bar_is_rejected_and_never_journaled() {
    let (t1, t2) = ("2024-01-02T09:31:00", "2024-01-02T09:32:00");
    let script = vec![
        bar_msg(t1, "A", 10.0, ""),
        bar_msg(t1, "B", 20.0, ""),
        // A wrong year: without a skew limit it completed t1, made t2 "out of order" for good and
        // was journaled, so that a restart kept failing.
        bar_msg("2262-01-01T00:00:00", "A", 10.0, ""),
        bar_msg(t2, "A", 11.0, ""),
        bar_msg(t2, "B", 21.0, ""),
        text("{\"type\":\"end_of_stream\"}"),
    ];
    let (url, server) = scripted_server(vec![(script, Duration::ZERO)]);
    let (tx, rx) = events();
    let mut feed = two_asset_config(&url);
    feed.events = Some(tx);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let config = PaperConfig {
        feed,
        broker: Default::default(),
        journal: Some(journal.clone()),
        strategy_id: "idle".into(),
    };
    let run = paper(config, Idle, None);
    server.join().unwrap();
    assert_eq!(run.result.timestamps, 2);
    let records = read_journal(&journal.join(JOURNAL_FILE));
    let times: Vec<&str> = records.iter().map(|r| r.time.as_str()).collect();
    assert_eq!(times, vec![t1, t2]);
    let rejected: Vec<String> = rx
        .try_iter()
        .filter_map(|e| match e {
            FeedEvent::Rejected { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(rejected[0].contains("ahead of the wall clock"), "{rejected:?}");
}

/// syn_2k's bars under another asset name (a feed that trades GOOG, not A000).
fn renamed(bars: &Bars, name: &str) -> Bars {
    use ml4t_engine::market::BarColumns;
    let n_signals = bars.signal_names().len();
    let mut cols = BarColumns::with_capacity(bars.len(), n_signals);
    let mut signals = vec![0.0; n_signals];
    for r in 0..bars.len() {
        let b = bars.bar(r);
        for (i, s) in signals.iter_mut().enumerate() {
            *s = b.signal(SignalId(i as u32));
        }
        cols.push_bar(&b, &signals);
    }
    Bars::new(vec![name.into()], bars.signal_names().to_vec(), cols).unwrap()
}

#[test]
fn live_paper_feed_of_unknown_assets_stops_with_advice() {
    let (_, bars, _) = backtest_preset("S0");
    let goog = Arc::new(renamed(&bars, "GOOG"));
    let srv = server(&goog, ReplayOptions::default());
    let url = srv.url().to_owned();
    // The preset's data file trades A000; the feed sends GOOG.
    let out = bounded("ml4t paper", move || {
        ml4t()
            .args(["paper", "--preset", "tests/fixtures/presets/S0.ron", "--url", &url])
            .args(["--exit-at-end", "--quiet"])
            .output()
            .unwrap()
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exited 0 with: {stderr}");
    for want in ["the feed sends GOOG", "configured: A000", "--assets GOOG"] {
        assert!(stderr.contains(want), "expected {want:?} in: {stderr}");
    }
}

#[test]
fn live_paper_takes_the_universe_from_the_feed_when_nothing_configures_it() {
    let (_, bars, _) = backtest_preset("S0");
    let goog = Arc::new(renamed(&bars, "GOOG"));
    let srv = server(&goog, ReplayOptions::default());
    let url = srv.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("p.ron");
    let text = std::fs::read_to_string(fixture("presets/S0.ron")).unwrap();
    std::fs::write(&preset, text.replace("../data/syn_2k.parquet", "no_such_file.parquet")).unwrap();
    let json = dir.path().join("paper.json");
    let (preset_arg, json_arg) = (preset.clone(), json.clone());
    let out = bounded("ml4t paper", move || {
        ml4t()
            .args(["paper", "--url", &url, "--exit-at-end", "--quiet", "--preset"])
            .arg(&preset_arg)
            .arg("--json")
            .arg(&json_arg)
            .output()
            .unwrap()
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let result: ResultJson = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(result.assets, vec!["GOOG"]);
    assert_eq!(result.timestamps, bars.n_timestamps());
    assert!(result.n_trades > 0);
}
