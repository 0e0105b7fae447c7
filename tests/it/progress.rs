//! The progress display end to end (issue 10): the real binary against the simulator, its
//! output piped to files (log lines: per-stream rate and ETA in a fixed order, the
//! reconciliation phase with its counts and changes, the final summary, `--json` alone on
//! stdout), and in a terminal under tmux (bars in stream order, then the reconciliation
//! phase) when tmux is installed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nb_exodus::simulator::{RunningSimulator, SimulatorConfig};

use crate::migrate::sim_with;
use crate::support::db::TestDb;

/// The streams in the order every display shows them.
/// The resources in registry order (the order of bars, log lines and summaries).
static ORDER: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| nb_exodus::resource::names().collect());

/// Small pages at a pace that makes the main pass last several seconds, past the first
/// progress lines (every 5 s).
const PACED: [&str; 4] = ["--page-size", "20", "--rate-limit", "30/1s"];

fn nation() -> RunningSimulator {
    sim_with(SimulatorConfig {
        people: 1000,
        rate_limit: None,
        ..SimulatorConfig::default()
    })
}

/// `nb-exodus migrate` of the simulated nation into `db_url`, logging at info.
fn migrate(sim: &RunningSimulator, db_url: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nb-exodus"));
    cmd.env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .env("NATIONBUILDER_API_TOKEN", &sim.config().token)
        .args(["migrate", "--nation", "testnation", "--api-base"])
        .arg(sim.base_url())
        .args(["--database-url", db_url])
        .args(extra);
    cmd
}

/// Runs `cmd` with stdout and stderr piped to files; its exit code, stdout and stderr.
fn run_to_files(mut cmd: Command) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let status = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .status()
        .unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    (status.code(), read(&out), read(&err))
}

/// The `key=value` fields of a log line (values without spaces, or in double quotes).
fn fields(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].rsplit(' ').next().unwrap_or("").to_string();
        let after = &rest[eq + 1..];
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                (&quoted[..end], &quoted[(end + 1).min(quoted.len())..])
            }
            None => {
                let end = after.find(' ').unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        out.push((key, value.to_string()));
        rest = tail;
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A count as the display writes it: digits with thousands separators.
fn is_count(s: &str) -> bool {
    let groups: Vec<&str> = s.split(',').collect();
    !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
}

/// `1,048/s` or `2.5/s`: an integer, or one decimal below ten.
fn is_rate(s: &str) -> bool {
    let Some(n) = s.strip_suffix("/s") else {
        return false;
    };
    match n.split_once('.') {
        Some((whole, tenth)) => {
            whole.len() == 1
                && whole.chars().all(|c| c.is_ascii_digit())
                && tenth.len() == 1
                && tenth.chars().all(|c| c.is_ascii_digit())
        }
        None => is_count(n) && n.replace(',', "").parse::<u64>().unwrap() >= 10,
    }
}

/// `45s`, `3m20s`, `2h05m`.
fn is_eta(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    if let Some(secs) = s.strip_suffix('s') {
        return match secs.split_once('m') {
            Some((m, s)) => digits(m) && s.len() == 2 && digits(s),
            None => digits(secs),
        };
    }
    s.strip_suffix('m')
        .and_then(|t| t.split_once('h'))
        .is_some_and(|(h, m)| digits(h) && m.len() == 2 && digits(m))
}

/// Whether `stream` is read per owner (a list's members), so the API gives no total for it.
fn nested(stream: &str) -> bool {
    nb_exodus::resource::Resource::named(stream)
        .and_then(|r| r.def().v2)
        .is_some_and(|b| b.nested.is_some())
}

/// The position of `stream` in [`ORDER`].
fn rank(stream: &str) -> usize {
    ORDER
        .iter()
        .position(|s| *s == stream)
        .unwrap_or_else(|| panic!("unknown stream {stream}"))
}

/// The first 23 characters of a log line (`2026-12-02T15:44:38.997`) as milliseconds of the
/// day.
fn millis(line: &str) -> u64 {
    let t = &line[11..23];
    let n = |r: std::ops::Range<usize>| t[r].parse::<u64>().unwrap();
    ((n(0..2) * 60 + n(3..5)) * 60 + n(6..8)) * 1000 + n(9..12)
}

#[test]
fn the_checks_of_this_file_know_good_from_bad() {
    assert!(is_rate("1,048/s") && is_rate("523/s") && is_rate("2.5/s") && is_rate("10/s"));
    assert!(!is_rate("1,048.3269604112/s") && !is_rate("12.5/s") && !is_rate("5/s"));
    assert!(is_eta("45s") && is_eta("3m20s") && is_eta("2h05m"));
    assert!(!is_eta("0.5s") && !is_eta("3m 20s") && !is_eta("eta"));
    let f = fields(r#"INFO reconciling stream=people step="sweeping ids: 3,000/3,000""#);
    assert_eq!(field(&f, "stream"), Some("people"));
    assert_eq!(field(&f, "step"), Some("sweeping ids: 3,000/3,000"));
}

/// A run piped to a file logs, per stream and in stream order, its records, a well-formed rate
/// and an ETA; then the reconciliation phase, stream by stream, with counts and what it
/// changed; and the summary. A second run, after changes at the source, says what
/// reconciliation changed — and with `--json`, stdout holds the one JSON document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_piped_run_logs_rates_etas_reconciliation_and_the_summary() {
    let sim = nation();
    let db = TestDb::new().await;
    let (code, stdout, stderr) = run_to_files(migrate(&sim, db.url(), &PACED));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no terminal codes in a file:\n{stderr}"
    );

    // The streams start in stream order, whichever task runs first.
    let started: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" stream started "))
        .filter_map(|l| field(&fields(l), "stream").map(|_| l))
        .map(|l| {
            ORDER
                .iter()
                .copied()
                .find(|s| l.contains(&format!("stream={s} ")))
                .unwrap()
        })
        .collect();
    assert_eq!(started, *ORDER, "{stderr}");

    // Progress lines: well-formed figures; each tick's lines in stream order.
    let exporting: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" exporting "))
        .collect();
    assert!(!exporting.is_empty(), "no progress line:\n{stderr}");
    let mut with_eta = 0;
    let mut tick: Vec<(u64, usize)> = Vec::new();
    for line in &exporting {
        let f = fields(line);
        let stream = field(&f, "stream").expect("a stream");
        let records = field(&f, "records").expect("records");
        // A collection read per owner (a list's members) has no API total of its own; the
        // API's total comes with a stream's first page, so a stream started but still waiting
        // for it (more likely the more resources share the run's slots) shows none yet.
        match records.split_once('/') {
            Some((done, total)) => assert!(is_count(done) && is_count(total), "{line}"),
            None if nested(stream) => assert!(is_count(records), "{line}"),
            None => assert_eq!(records, "0", "the API's total, for v2: {line}"),
        }
        if let Some(rate) = field(&f, "rate") {
            assert!(is_rate(rate), "{line}");
        }
        if let Some(eta) = field(&f, "eta") {
            assert!(is_eta(eta), "{line}");
            assert!(
                field(&f, "rate").is_some(),
                "an ETA comes from a rate: {line}"
            );
            with_eta += 1;
        }
        // A tick's lines are written together; ticks are five seconds apart.
        let at = millis(line);
        if tick.last().is_some_and(|(t, _)| at - t > 1000) {
            tick.clear();
        }
        if let Some((_, last)) = tick.last() {
            assert!(rank(stream) > *last, "not in stream order:\n{stderr}");
        }
        tick.push((at, rank(stream)));
    }
    assert!(with_eta > 0, "no ETA in any progress line:\n{stderr}");

    // The reconciliation phase, after every stream was read.
    let lines: Vec<&str> = stderr.lines().collect();
    let phase = lines
        .iter()
        .position(|l| l.contains(" reconciliation: ") && l.contains("round=1"))
        .unwrap_or_else(|| panic!("no reconciliation phase:\n{stderr}"));
    for stream in ORDER.iter() {
        let done = lines
            .iter()
            .position(|l| l.contains(" stream done ") && l.contains(&format!("stream={stream} ")))
            .unwrap_or_else(|| panic!("{stream} never done:\n{stderr}"));
        assert!(
            done < phase,
            "{stream} was still read during reconciliation"
        );
        let swept = lines[phase..]
            .iter()
            .map(|l| fields(l))
            .filter(|f| field(f, "stream") == Some(stream))
            .filter_map(|f| field(&f, "step").map(str::to_string))
            // A collection read per owner has no total to sweep against.
            .any(|step| {
                step.starts_with("sweeping ids: ") && (step.contains('/') || nested(stream))
            });
        assert!(swept, "no sweep count for {stream}:\n{stderr}");
        let reconciled = lines[phase..]
            .iter()
            .find(|l| l.contains(" reconciled ") && l.contains(&format!("stream={stream} ")))
            .unwrap_or_else(|| panic!("{stream} not reconciled:\n{stderr}"));
        let f = fields(reconciled);
        for key in ["new", "updated", "deleted_at_source"] {
            assert_eq!(field(&f, key), Some("0"), "{reconciled}");
        }
    }

    // The summary, on stdout, in stream order.
    assert!(
        stdout.starts_with("nation testnation: run 1 took "),
        "{stdout}"
    );
    let per_stream: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("; reconciliation: 0 new, 0 updated, 0 deleted at source"))
        .collect();
    let order: Vec<&str> = per_stream
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(order, *ORDER, "{stdout}");
    assert!(stdout.contains("\nnext: nb-exodus verify "), "{stdout}");

    // Changes at the source: the next run's reconciliation finds them and says so; with
    // --json the summary is the one document on stdout and the log stays on stderr.
    let gone = 7;
    assert!(sim.delete_person(gone));
    sim.create_person();
    let (code, stdout, stderr) = run_to_files(migrate(&sim, db.url(), &["--json"]));
    assert_eq!(code, Some(0), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    assert_eq!(doc["run"]["people"]["new"], 1, "{doc}");
    assert_eq!(doc["run"]["people"]["deleted"], 1, "{doc}");
    assert_eq!(doc["run"]["people"]["reconciled"], true, "{doc}");
    let people = stderr
        .lines()
        .find(|l| l.contains(" reconciled ") && l.contains("stream=people "))
        .unwrap_or_else(|| panic!("people not reconciled:\n{stderr}"));
    let f = fields(people);
    assert_eq!(field(&f, "new"), Some("1"), "{people}");
    assert_eq!(field(&f, "deleted_at_source"), Some("1"), "{people}");
    assert!(
        stderr.contains(r#"stream=people step="confirming deletions: 1/1""#),
        "{stderr}"
    );
    drop(db);
    sim.shutdown().await;
}

/// tmux, when installed, on a private socket.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(script: &Path) -> Option<Tmux> {
        let socket = format!("nbx-progress-test-{}", std::process::id());
        // Tall enough for the final screen: a reconciliation line, a summary line and a status
        // line per resource, plus headers, so the registry can grow without scrolling the
        // reconciliation's last line off the pane.
        let rows = (3 * nb_exodus::resource::names().count() + 14)
            .max(40)
            .to_string();
        let started = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-x", "160", "-y", &rows])
            .arg(script)
            .status()
            .ok()?;
        started.success().then_some(Tmux { socket })
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen once `ready` holds (or panics after a minute, with the screen).
    fn wait_for(&self, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// The lines of `screen` that start with a stream's name, as ranks in [`ORDER`] (the lines of
/// the inventory table printed before the run, which start with the names too, left out: the
/// screen from the table's last line on).
fn stream_lines(screen: &str) -> Vec<usize> {
    let after_inventory = match screen.rfind("main pass: ") {
        Some(at) => &screen[at..],
        None => screen,
    };
    after_inventory
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|w| ORDER.iter().position(|s| *s == w))
        .collect()
}

/// In a terminal the same run is bars: one per stream in stream order with rate and ETA, then
/// the reconciliation phase below them, then the summary. Skipped (with a note) without tmux.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_a_terminal_shows_bars_then_reconciliation() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("note: tmux is not installed; the terminal display was not checked");
        return;
    }
    let sim = nation();
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("run.sh");
    let cmd = migrate(&sim, db.url(), &PACED);
    let mut text = String::from("#!/bin/sh\n");
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            text.push_str(&format!(
                "export {}='{}'\n",
                k.to_string_lossy(),
                v.to_string_lossy()
            ));
        }
    }
    text.push_str("unset DATABASE_URL\n'");
    text.push_str(&cmd.get_program().to_string_lossy());
    text.push('\'');
    for arg in cmd.get_args() {
        text.push_str(&format!(" '{}'", arg.to_string_lossy()));
    }
    text.push_str("\necho \"exit $?\"\nsleep 120\n");
    std::fs::write(&script, text).unwrap();
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(&script)
        .status()
        .unwrap();
    let Some(tmux) = Tmux::start(&script) else {
        eprintln!("note: tmux could not start a session; the terminal display was not checked");
        return;
    };

    let n = ORDER.len();
    let main = tmux.wait_for(|s| s.contains(" · eta ") && stream_lines(s).len() >= n);
    assert_eq!(stream_lines(&main), (0..n).collect::<Vec<_>>(), "{main}");
    assert!(main.contains('█'), "{main}");
    let counters = format!(
        "{:<w$} retries ",
        "requests",
        w = nb_exodus::resource::name_width()
    );
    assert!(main.contains(&counters), "{main}");
    for line in main.lines().filter(|l| l.contains(" · eta ")) {
        let figures: Vec<&str> = line.split(" · ").collect();
        assert!(is_rate(figures[1].trim()), "{line}");
        assert!(
            is_eta(figures[2].trim().trim_start_matches("eta ")),
            "{line}"
        );
    }

    let reconciling = tmux.wait_for(|s| s.contains("reconciliation, round 1:"));
    let ranks = stream_lines(&reconciling);
    assert_eq!(ranks[..n], (0..n).collect::<Vec<_>>(), "{reconciling}");
    assert!(ranks[n..].is_sorted(), "{reconciling}");

    let end = tmux.wait_for(|s| s.contains("exit 0"));
    assert!(
        end.contains(&format!(
            "reconciliation, round 1: {n} of {n} resources done"
        )),
        "{end}"
    );
    for stream in ORDER.iter() {
        assert!(
            end.contains(&format!(
                "{stream:<w$} done: 0 new, 0 updated, 0 deleted at source",
                w = nb_exodus::resource::name_width()
            )),
            "{end}"
        );
    }
    assert!(end.contains("nation testnation: run 1 took "), "{end}");
    assert!(end.contains("next: nb-exodus verify"), "{end}");
    drop(tmux);
    drop(db);
    sim.shutdown().await;
}
