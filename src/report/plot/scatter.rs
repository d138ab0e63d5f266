//! Scatter of sweep points on two figures (cost against p95 wait), the Pareto front drawn as
//! a line through the non-dominated points and dominated points greyed, each point optionally
//! with a confidence interval on both axes.

use super::{FONT, axis_top, err};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Clone, Debug)]
pub struct Point {
    pub label: String,
    pub x: f64,
    pub y: f64,
    /// 95 % confidence half-widths (replicated points).
    pub x_ci: Option<f64>,
    pub y_ci: Option<f64>,
    pub front: bool,
}

#[derive(Clone, Debug)]
pub struct Scatter {
    pub x_label: String,
    pub y_label: String,
    pub points: Vec<Point>,
}

impl Scatter {
    pub(super) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let hi = |f: fn(&Point) -> f64, ci: fn(&Point) -> Option<f64>| {
            self.points
                .iter()
                .map(|p| f(p) + ci(p).unwrap_or(0.0))
                .fold(0.0, f64::max)
        };
        let x_top = axis_top(hi(|p| p.x, |p| p.x_ci));
        let y_top = axis_top(hi(|p| p.y, |p| p.y_ci));
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..x_top, 0.0..y_top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .x_label_formatter(&|v| super::tick(*v))
            .y_label_formatter(&|v| super::tick(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        let grey = RGBColor(175, 175, 175);
        let front_c = RGBColor(213, 94, 0);
        for p in &self.points {
            let c = if p.front { front_c } else { grey };
            if let Some(h) = p.x_ci {
                chart
                    .draw_series(LineSeries::new(vec![(p.x - h, p.y), (p.x + h, p.y)], c))
                    .map_err(err)?;
            }
            if let Some(h) = p.y_ci {
                chart
                    .draw_series(LineSeries::new(vec![(p.x, p.y - h), (p.x, p.y + h)], c))
                    .map_err(err)?;
            }
        }
        let mut front: Vec<&Point> = self.points.iter().filter(|p| p.front).collect();
        front.sort_by(|a, b| a.x.total_cmp(&b.x));
        chart
            .draw_series(LineSeries::new(
                front.iter().map(|p| (p.x, p.y)),
                front_c.stroke_width(2),
            ))
            .map_err(err)?
            .label("Pareto front (no point is better on both)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], front_c.stroke_width(2))
            });
        chart
            .draw_series(
                self.points
                    .iter()
                    .filter(|p| !p.front)
                    .map(|p| Circle::new((p.x, p.y), 4, grey.filled())),
            )
            .map_err(err)?
            .label("dominated point")
            .legend(move |(x, y)| Circle::new((x + 9, y), 4, grey.filled()));
        chart
            .draw_series(
                front
                    .iter()
                    .map(|p| Circle::new((p.x, p.y), 5, front_c.filled())),
            )
            .map_err(err)?;
        let style = TextStyle::from((FONT, 11).into_font());
        chart
            .draw_series(front.iter().map(|p| {
                EmptyElement::at((p.x, p.y)) + Text::new(p.label.clone(), (7, -14), style.clone())
            }))
            .map_err(err)?;
        super::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
