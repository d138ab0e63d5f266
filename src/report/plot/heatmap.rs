//! Heatmaps: a grid of cells coloured by value, light (low) to dark (high). Used for the
//! per-GPU busy fraction over time (rows: GPUs or groups of GPUs, columns: time) and for a
//! sweep figure over two sweep axes (rows and columns: axis values, each cell labelled).

use super::{FONT, err};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[derive(Clone, Debug)]
pub struct Heatmap {
    pub x_label: String,
    pub y_label: String,
    /// Column and row labels (rows top to bottom).
    pub columns: Vec<String>,
    pub rows: Vec<String>,
    /// `values[row][column]`; None = no value (drawn hatched grey).
    pub values: Vec<Vec<Option<f64>>>,
    /// The colour scale's ends (values outside are clamped).
    pub range: (f64, f64),
    /// Write each cell's value in it (small grids only).
    pub cell_text: bool,
    pub percent: bool,
}

const ROW_MAX_PX: u32 = 40;

impl Heatmap {
    pub(super) fn height(&self) -> u32 {
        (110 + ROW_MAX_PX * self.rows.len().max(1) as u32).min(560)
    }

    fn shade(&self, v: f64) -> RGBColor {
        let (lo, hi) = self.range;
        let t = if hi > lo {
            ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        // Light yellow -> teal -> dark blue.
        let stops = [
            (255.0, 247.0, 188.0),
            (65.0, 182.0, 196.0),
            (8.0, 29.0, 88.0),
        ];
        let (a, b, u) = if t < 0.5 {
            (stops[0], stops[1], t * 2.0)
        } else {
            (stops[1], stops[2], t * 2.0 - 1.0)
        };
        let mix = |x: f64, y: f64| (x + (y - x) * u).round() as u8;
        RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    pub fn format(&self, v: f64) -> String {
        if self.percent {
            format!("{:.0} %", v * 100.0)
        } else if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.3}")
        }
    }

    pub(super) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let nc = self.columns.len().max(1) as i32;
        let nr = self.rows.len().max(1) as i32;
        let (legend, plot) = area.split_vertically(30);
        let (lo, hi) = self.range;
        legend
            .draw(&Text::new(
                format!(
                    "colour: {} (light) to {} (dark)",
                    self.format(lo),
                    self.format(hi)
                ),
                (80, 8),
                (FONT, 13).into_font(),
            ))
            .map_err(err)?;
        let columns = self.columns.clone();
        let rows = self.rows.clone();
        let label_every_c = (self.columns.len() / 12).max(1) as i32;
        let label_every_r = (self.rows.len() / 16).max(1) as i32;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(170)
            // A segmented 0..n-1 has n segments, one per column (row).
            .build_cartesian_2d((0..nc - 1).into_segmented(), (0..nr - 1).into_segmented())
            .map_err(err)?;
        let x_fmt = move |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) if *i % label_every_c == 0 => {
                columns.get(*i as usize).cloned().unwrap_or_default()
            }
            _ => String::new(),
        };
        let y_fmt = move |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) if (nr - 1 - *i) % label_every_r == 0 => rows
                .get((nr - 1 - *i) as usize)
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nc as usize + 1)
            .y_labels(nr as usize + 1)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(err)?;
        let mut cells = Vec::new();
        for (r, row) in self.values.iter().enumerate() {
            let y = nr - 1 - r as i32;
            for (c, v) in row.iter().enumerate() {
                let c = c as i32;
                let style = match v {
                    Some(v) => self.shade(*v).filled(),
                    None => RGBColor(225, 225, 225).filled(),
                };
                cells.push(Rectangle::new(
                    [
                        (SegmentValue::Exact(c), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(c + 1), SegmentValue::Exact(y + 1)),
                    ],
                    style,
                ));
            }
        }
        chart.draw_series(cells).map_err(err)?;
        if self.cell_text {
            let mut texts = Vec::new();
            for (r, row) in self.values.iter().enumerate() {
                let y = nr - 1 - r as i32;
                for (c, v) in row.iter().enumerate() {
                    let Some(v) = v else { continue };
                    let (lo, hi) = self.range;
                    let dark = hi > lo && (v - lo) / (hi - lo) > 0.55;
                    let colour: &RGBColor = if dark { &WHITE } else { &BLACK };
                    let style = TextStyle::from((FONT, 12).into_font())
                        .color(colour)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    texts.push(Text::new(
                        self.format(*v),
                        (SegmentValue::CenterOf(c as i32), SegmentValue::CenterOf(y)),
                        style,
                    ));
                }
            }
            chart.draw_series(texts).map_err(err)?;
        }
        Ok(())
    }
}
