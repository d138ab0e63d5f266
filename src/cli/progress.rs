//! The progress bar of simulated time on standard error for `run`, `run --seeds` and `size`
//! (`sweep` counts finished runs with a bar of its own): the library reports each run's share
//! of the horizon through [`Progress`], this draws it. The bar appears only once a run has
//! taken about a second, and never with `--quiet` or when standard error is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use slicesim::sim::progress::Progress;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs shorter than this never show a bar.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Bar positions per run (per mille of its horizon).
const STEPS: u64 = 1000;

struct State {
    /// Per seed, the per mille of its horizon done.
    done: BTreeMap<u64, u64>,
    started: Instant,
    shown: bool,
}

/// A bar over `runs` runs of simulated time, with the ETA; `label` says what runs.
#[derive(Clone)]
pub struct SimBar {
    bar: ProgressBar,
    state: Arc<Mutex<State>>,
    enabled: bool,
}

impl SimBar {
    pub fn new(quiet: bool, runs: usize, label: &str) -> Self {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            Some(STEPS * runs.max(1) as u64),
            ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} {bar:30} {percent:>3}% simulated, {elapsed} elapsed, ETA {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(label.to_string());
        SimBar {
            bar,
            state: Arc::new(Mutex::new(State {
                done: BTreeMap::new(),
                started: Instant::now(),
                shown: false,
            })),
            enabled,
        }
    }

    /// The callback to put in `RunOptions::progress` (none when the bar is never shown).
    pub fn progress(&self) -> Option<Progress> {
        if !self.enabled {
            return None;
        }
        let me = self.clone();
        Some(Progress::new(move |seed, fraction| {
            me.update(seed, fraction)
        }))
    }

    /// Starts over for the next batch of runs (`size`: the next probe), with a new label.
    pub fn restart(&self, label: &str) {
        if let Ok(mut st) = self.state.lock() {
            st.done.clear();
        }
        self.bar.set_message(label.to_string());
        self.bar.set_position(0);
        self.bar.reset_eta();
    }

    fn update(&self, seed: u64, fraction: f64) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        st.done.insert(seed, (fraction * STEPS as f64) as u64);
        if !st.shown && st.started.elapsed() >= SHOW_AFTER {
            st.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_position(st.done.values().sum());
    }

    /// Removes the bar from the terminal (before the results are printed).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
