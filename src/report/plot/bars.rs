//! Horizontal stacked bars: one row per item (a pool, a class, a namespace), one coloured
//! segment per part (allocated, idle). Each row is labelled at its end with its name and total,
//! so long names never collide with an axis.

use super::{FONT, colour, err};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    /// One value per part of [`Bars::parts`] (0 where the part does not apply).
    pub values: Vec<f64>,
}

impl Row {
    pub fn total(&self) -> f64 {
        self.values.iter().sum()
    }
}

#[derive(Clone, Debug)]
pub struct Bars {
    pub x_label: String,
    /// Names of the parts each row is split into, in stacking order.
    pub parts: Vec<String>,
    pub rows: Vec<Row>,
    /// Prefix of the totals written beside the rows (e.g. "$").
    pub unit_prefix: String,
}

const ROW_PX: u32 = 34;

impl Bars {
    /// Height of the chart: the rows, the legend and the axis.
    pub(super) fn height(&self) -> u32 {
        110 + ROW_PX * self.rows.len().max(1) as u32
    }

    /// Sum over every row and part (what the chart adds up to).
    pub fn total(&self) -> f64 {
        self.rows.iter().map(Row::total).sum()
    }

    pub(super) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let n = self.rows.len().max(1) as f64;
        let max = self.rows.iter().map(Row::total).fold(0.0, f64::max);
        // Room right of the longest bar for its label.
        let x_top = if max > 0.0 { max * 1.45 } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(12)
            .build_cartesian_2d(0.0..x_top, 0.0..n)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(self.x_label.as_str())
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .x_label_formatter(&|v| super::tick(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        for (p, part) in self.parts.iter().enumerate() {
            let c = if self.parts.len() == 2 && p == 1 {
                RGBColor(150, 150, 150)
            } else {
                colour(p)
            };
            let rects: Vec<Rectangle<(f64, f64)>> = self
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.values.get(p).copied().unwrap_or(0.0) > 0.0)
                .map(|(i, r)| {
                    let x0: f64 = r.values[..p].iter().sum();
                    let x1 = x0 + r.values[p];
                    let y = n - 1.0 - i as f64;
                    Rectangle::new([(x0, y + 0.18), (x1, y + 0.82)], c.filled())
                })
                .collect();
            chart
                .draw_series(rects)
                .map_err(err)?
                .label(part.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        }
        // Beside the bar's end; inside it (white, right-aligned) when the bar is long.
        let outside =
            TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let inside = TextStyle::from((FONT, 13).into_font())
            .color(&WHITE)
            .pos(Pos::new(HPos::Right, VPos::Center));
        let labels: Vec<_> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let y = n - 1.0 - i as f64 + 0.5;
                let text = format!("{}  {}{:.2}", r.name, self.unit_prefix, r.total());
                let long = r.total() > 0.55 * x_top;
                let (style, dx) = if long {
                    (inside.clone(), -6)
                } else {
                    (outside.clone(), 6)
                };
                EmptyElement::at((r.total(), y)) + Text::new(text, (dx, 0), style)
            })
            .collect();
        chart.draw_series(labels).map_err(err)?;
        super::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}
