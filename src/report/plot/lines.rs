//! Line charts over simulated time: one line per series (a pool, a priority class, a MIG
//! profile), x in hours.

use super::{FONT, axis_top, colour, downsample, err};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    /// (hours, value), hours increasing.
    pub points: Vec<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub struct Lines {
    pub x_label: String,
    pub y_label: String,
    /// Fixed y range top (e.g. 1 for shares); None = fitted to the data.
    pub y_max: Option<f64>,
    /// Show y values as percentages (the data are 0..=1 shares).
    pub percent: bool,
    pub series: Vec<Series>,
}

impl Lines {
    /// A chart of `series` over hours, each downsampled to [`super::MAX_POINTS`].
    pub fn new(y_label: &str, y_max: Option<f64>, percent: bool, series: Vec<Series>) -> Self {
        let series = series
            .into_iter()
            .map(|s| Series {
                points: downsample(&s.points, super::MAX_POINTS),
                name: s.name,
            })
            .collect();
        Lines {
            x_label: "simulated time (h)".into(),
            y_label: y_label.into(),
            y_max,
            percent,
            series,
        }
    }

    pub(super) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let x_max = pts.clone().map(|p| p.0).fold(0.0, f64::max).max(1e-9);
        let x_min = pts.clone().map(|p| p.0).fold(x_max, f64::min).min(x_max);
        let y_top = self
            .y_max
            .unwrap_or_else(|| axis_top(pts.map(|p| p.1).fold(0.0, f64::max)));
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(x_min..x_max, 0.0..y_top)
            .map_err(err)?;
        let percent = self.percent;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .y_label_formatter(&|v| {
                if percent {
                    format!("{:.0} %", v * 100.0)
                } else {
                    super::tick(*v)
                }
            })
            .x_label_formatter(&|v| super::tick(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        for (i, s) in self.series.iter().enumerate() {
            let c = colour(i);
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))
                .map_err(err)?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        if !self.series.is_empty() {
            super::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}
