//! Shared by the examples: the tests' helpers (`tests/common`: the review's
//! mixture and the ladder a test checks, batch means, the grid quadrature),
//! and the figures' boilerplate. A directory without `main.rs`: Cargo does
//! not build it as an example of its own.
#![allow(dead_code, unused_imports)] // each example uses a part

#[path = "../../tests/common/mod.rs"]
mod tests_common;
pub use tests_common::*;

use plotters::coord::Shift;
use plotters::coord::ranged1d::AsRangedCoord;
use plotters::prelude::*;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A figure's drawing area.
pub type Area = DrawingArea<SVGBackend<'static>, Shift>;
/// A chart with axes of coordinate types `X` and `Y`.
pub type Chart<'c, X, Y> = ChartContext<'c, SVGBackend<'static>, Cartesian2d<X, Y>>;

/// A white SVG figure of `size` pixels, written to `path` (in
/// `target/figures/`) by `present`.
pub fn figure(path: &'static str, size: (u32, u32)) -> Result<Area> {
    std::fs::create_dir_all("target/figures")?;
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root)
}

/// A chart on `area` with the examples' layout: a sans-serif caption of
/// `font` px, margins of 10 px, 30 px for the x labels and `y_labels` px for
/// the y labels, over `x` × `y`.
pub fn chart<'c, X: AsRangedCoord, Y: AsRangedCoord>(
    area: &Area,
    caption: impl AsRef<str>,
    font: u32,
    y_labels: u32,
    x: X,
    y: Y,
) -> Result<Chart<'c, X::CoordDescType, Y::CoordDescType>> {
    Ok(ChartBuilder::on(area)
        .caption(caption, ("sans-serif", font))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(y_labels)
        .build_cartesian_2d(x, y)?)
}

/// (x, f(x)) at 601 evenly spaced x from `lo` to `hi`.
pub fn curve(lo: f64, hi: f64, f: impl Fn(f64) -> f64) -> impl Iterator<Item = (f64, f64)> {
    (0..=600)
        .map(move |i| lo + i as f64 * (hi - lo) / 600.0)
        .map(move |x| (x, f(x)))
}

/// `points` as a line of `color`, `width` px wide, labelled in the legend.
pub fn line<CT: CoordTranslate<From = (f64, f64)>>(
    c: &mut ChartContext<'_, SVGBackend<'static>, CT>,
    points: impl IntoIterator<Item = (f64, f64)>,
    color: RGBColor,
    width: u32,
    label: &str,
) -> Result<()> {
    c.draw_series(LineSeries::new(points, color.stroke_width(width)))?
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 15, y)], color.stroke_width(width)));
    Ok(())
}

/// The legend: black border, white background, at `position`.
pub fn legend<CT: CoordTranslate>(
    c: &mut ChartContext<'_, SVGBackend<'static>, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    c.configure_series_labels()
        .position(position)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    Ok(())
}
