//! Wait-time CDFs: the share of the jobs that arrived which had started within a wait, per
//! group (priority class or workload class). Jobs that never started (still pending at the
//! horizon, or unschedulable) are censored, not dropped: each curve stops at the started share
//! below 1, and a dashed stub at the right edge marks the never-started share.

use super::{FONT, colour, err};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Clone, Debug)]
pub struct CdfSeries {
    pub name: String,
    /// (wait in hours, share of all arrived jobs started within it), both increasing.
    pub steps: Vec<(f64, f64)>,
    /// Jobs that arrived (started + never started).
    pub arrived: u64,
    /// Of them, never started.
    pub censored: u64,
}

impl CdfSeries {
    /// From the waits of the started jobs (`sorted_ms` increasing) and the count that never
    /// started. At most `max` steps are kept (evenly by rank), always the last.
    pub fn new(name: &str, sorted_ms: &[u64], censored: u64, max: usize) -> Self {
        let started = sorted_ms.len() as u64;
        let arrived = started + censored;
        let mut steps = Vec::new();
        if arrived > 0 && started > 0 {
            let every = sorted_ms.len().div_ceil(max.max(1)).max(1);
            for (i, &ms) in sorted_ms.iter().enumerate() {
                let last = i + 1 == sorted_ms.len();
                // The last job of a run of equal waits carries the step's height.
                let end_of_run = last || sorted_ms[i + 1] != ms;
                if end_of_run && ((i + 1) % every == 0 || last) {
                    steps.push((ms as f64 / 3_600_000.0, (i + 1) as f64 / arrived as f64));
                }
            }
        }
        CdfSeries {
            name: name.into(),
            steps,
            arrived,
            censored,
        }
    }

    /// Share of the arrived jobs that started (the height the curve stops at).
    pub fn started_share(&self) -> f64 {
        if self.arrived == 0 {
            0.0
        } else {
            (self.arrived - self.censored) as f64 / self.arrived as f64
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cdf {
    pub series: Vec<CdfSeries>,
}

impl Cdf {
    pub(super) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let x_max = self
            .series
            .iter()
            .flat_map(|s| s.steps.iter().map(|p| p.0))
            .fold(0.0, f64::max);
        let x_top = super::axis_top(x_max);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_top, 0.0..1.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("wait before first start (h)")
            .y_desc("share of arrived jobs started")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
            .x_label_formatter(&|v| super::tick(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        for (i, s) in self.series.iter().enumerate() {
            let c = colour(i);
            // A step function from (0, 0): horizontal to the next wait, then up.
            let mut path = vec![(0.0, 0.0)];
            for &(x, y) in &s.steps {
                let prev = path.last().map_or(0.0, |p: &(f64, f64)| p.1);
                path.push((x, prev));
                path.push((x, y));
            }
            let top = s.started_share();
            path.push((x_top, top));
            let label = if s.censored > 0 {
                format!(
                    "{} ({:.1} % never started)",
                    s.name,
                    100.0 * s.censored as f64 / s.arrived as f64
                )
            } else {
                s.name.clone()
            };
            chart
                .draw_series(LineSeries::new(path, c.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            if s.censored > 0 {
                // The censored share: a dashed stub from the curve's end up to 100 %.
                let x = x_top * (0.985 - 0.01 * i as f64);
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(x, top), (x, 1.0)],
                        4,
                        3,
                        c.stroke_width(2),
                    ))
                    .map_err(err)?;
            }
        }
        if !self.series.is_empty() {
            super::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn censored_jobs_keep_the_curve_below_one() {
        // 3 started with waits 0, 0, 2 h and 1 never started: 4 arrived; steps at 0 h -> 2/4
        // and 2 h -> 3/4; the curve stops at 3/4 = 75 %.
        let s = CdfSeries::new("x", &[0, 0, 7_200_000], 1, 100);
        assert_eq!(s.steps, vec![(0.0, 0.5), (2.0, 0.75)]);
        assert_eq!(s.arrived, 4);
        assert_eq!(s.started_share(), 0.75);
    }

    #[test]
    fn nothing_arrived_is_empty() {
        let s = CdfSeries::new("x", &[], 0, 100);
        assert!(s.steps.is_empty());
        assert_eq!(s.started_share(), 0.0);
    }
}
