//! Plots of a run and of a sweep, drawn with `plotters`: SVG text for `report.html` and
//! `sweep.html`, PNG bytes on request (`run --png`). One file per plot family; this file holds
//! what they share: the chart enum, the embedded font, the two renderers and downsampling.
//!
//! Text is laid out with DejaVu Sans, embedded from `assets/fonts/` and registered once, so no
//! system font library is needed. SVG text names the family `sans-serif`, which any browser has.

pub mod bars;
pub mod cdf;
pub mod heatmap;
pub mod lines;
pub mod run;
pub mod scatter;

use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

/// The font every label is laid out with.
pub const FONT: &str = "sans-serif";
const FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// Width and height of every chart, pixels.
pub const SIZE: (u32, u32) = (900, 380);
/// Long series are averaged down to at most this many points per plot.
pub const MAX_POINTS: usize = 300;

static FONT_ONCE: Once = Once::new();

fn register_font() {
    FONT_ONCE.call_once(|| {
        // The bytes are a valid TrueType file shipped with the crate (checked by a test).
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// A chart of one of the families below.
#[derive(Clone, Debug)]
pub enum Chart {
    Lines(lines::Lines),
    Cdf(cdf::Cdf),
    Bars(bars::Bars),
    Heatmap(heatmap::Heatmap),
    Scatter(scatter::Scatter),
}

/// One plot of a report: a stable id (file name of its PNG, anchor in the HTML), a title and
/// the chart.
#[derive(Clone, Debug)]
pub struct Plot {
    pub id: String,
    pub title: String,
    /// One sentence on what the plot shows and how to read it.
    pub note: String,
    pub chart: Chart,
}

impl Chart {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        area.fill(&WHITE).map_err(err)?;
        match self {
            Chart::Lines(c) => c.draw(area),
            Chart::Cdf(c) => c.draw(area),
            Chart::Bars(c) => c.draw(area),
            Chart::Heatmap(c) => c.draw(area),
            Chart::Scatter(c) => c.draw(area),
        }?;
        area.present().map_err(err)
    }

    fn size(&self) -> (u32, u32) {
        match self {
            Chart::Bars(b) => (SIZE.0, b.height()),
            Chart::Heatmap(h) => (SIZE.0, h.height()),
            _ => SIZE,
        }
    }

    /// The chart as an SVG document (no XML declaration, so it can be inlined in HTML).
    pub fn svg(&self) -> Result<String, String> {
        register_font();
        let mut text = String::new();
        {
            let area = SVGBackend::with_string(&mut text, self.size()).into_drawing_area();
            self.draw(&area)?;
        }
        Ok(text)
    }

    /// The chart as PNG bytes (8-bit RGB).
    pub fn png(&self) -> Result<Vec<u8>, String> {
        register_font();
        let (w, h) = self.size();
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            self.draw(&area)?;
        }
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Best);
            let mut w = enc.write_header().map_err(|e| format!("png: {e}"))?;
            w.write_image_data(&rgb).map_err(|e| format!("png: {e}"))?;
        }
        Ok(bytes)
    }
}

/// A drawing error as text.
fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("plot: {e:?}")
}

/// A line colour per series index, from a palette readable on white and by most colour-blind
/// readers (Okabe-Ito), cycling.
pub fn colour(i: usize) -> RGBColor {
    const P: [(u8, u8, u8); 8] = [
        (0, 114, 178),
        (230, 159, 0),
        (0, 158, 115),
        (204, 121, 167),
        (86, 180, 233),
        (213, 94, 0),
        (240, 228, 66),
        (0, 0, 0),
    ];
    let (r, g, b) = P[i % P.len()];
    RGBColor(r, g, b)
}

/// Averages consecutive points of `(x, y)` (x increasing) in groups so at most `max` remain;
/// each group becomes (mean x, mean y). Series with `max` points or fewer are returned as they are.
pub fn downsample(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max == 0 {
        return points.to_vec();
    }
    let group = points.len().div_ceil(max);
    points
        .chunks(group)
        .map(|c| {
            let n = c.len() as f64;
            (
                c.iter().map(|p| p.0).sum::<f64>() / n,
                c.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

/// An axis tick label: no decimals from 10 up, otherwise up to two, trailing zeros dropped.
pub fn tick(v: f64) -> String {
    if v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The upper end of an axis showing values up to `max`: a little headroom, never 0.
pub fn axis_top(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.08
    } else {
        1.0
    }
}

/// The legend every chart uses: series labels at `pos`, on a translucent white box.
pub(super) fn legend<'a, DB, CT>(
    chart: &mut plotters::chart::ChartContext<'a, DB, CT>,
    pos: plotters::chart::SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(pos)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsample_averages_groups() {
        // 10 points, at most 4: groups of ceil(10/4) = 3 -> (0,1,2) (3,4,5) (6,7,8) (9):
        // means of x = 1, 4, 7, 9 and y = 2x.
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 2.0 * i as f64)).collect();
        let d = downsample(&pts, 4);
        assert_eq!(d, vec![(1.0, 2.0), (4.0, 8.0), (7.0, 14.0), (9.0, 18.0)]);
        assert_eq!(downsample(&pts, 10), pts);
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(20.0), "20");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(0.0), "0");
    }

    #[test]
    fn embedded_font_is_a_font() {
        assert!(ab_glyph_check());
    }

    fn ab_glyph_check() -> bool {
        plotters::style::register_font("check", FontStyle::Normal, FONT_BYTES).is_ok()
    }
}
