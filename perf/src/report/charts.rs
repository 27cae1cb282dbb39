//! Inline SVG charts for the HTML reports, drawn with plotters' SVG backend into a `String`.
//!
//! plotters measures text with `ab_glyph`, which needs a registered font: DejaVu Sans Mono is
//! embedded from `perf/assets/` (licence alongside) and registered as the CSS generic family
//! `monospace`, so the browser renders the labels with metrics close to the ones used for layout.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{PerfError, Result};
use crate::measure::timeline::TimelinePoint;

/// Family name the charts use (a CSS generic family, always resolvable offline).
pub const FONT_FAMILY: &str = "monospace";
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSansMono.ttf");
static REGISTER: Once = Once::new();

const SERIES_COLOURS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

fn register_font() {
    REGISTER.call_once(|| {
        if plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_err() {
            tracing::warn!("embedded chart font could not be registered; charts will lack text");
        }
    });
}

fn err(chart: &'static str) -> impl Fn(String) -> PerfError {
    move |message| PerfError::Chart { chart, message }
}

/// Runs a drawing closure on an SVG canvas of `size` and returns the SVG text.
fn svg<F>(chart: &'static str, size: (u32, u32), draw: F) -> Result<String>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String>,
{
    register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(chart)(e.to_string()))?;
        draw(&root).map_err(err(chart))?;
        root.present().map_err(|e| err(chart)(e.to_string()))?;
    }
    Ok(out)
}

fn font(size: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().into()
}

/// A named series of `(x, y)` points.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// `x = log10(1 / (1 - p))`, capped at six nines.
fn nines(p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0 - 1e-6);
    (1.0 / (1.0 - p)).log10()
}

fn nines_label(x: f64) -> String {
    let p = 1.0 - 10f64.powf(-x);
    let pct = p * 100.0;
    if pct < 99.0 {
        format!("{pct:.0}%")
    } else {
        let digits = (x.round() as usize).saturating_sub(2);
        format!("{pct:.*}%", digits)
    }
}

/// Latency by percentile on a log `1/(1-p)` x-axis and a log millisecond y-axis.
///
/// `series` are curves `(percentile 0..1, ms)`; `markers` (e.g. the baseline's p50/p90/p99/p999/max)
/// are drawn as labelled crosses.
pub fn latency_by_percentile(title: &str, series: &[Series], markers: &[Series]) -> Result<String> {
    let all = series.iter().chain(markers).flat_map(|s| s.points.iter());
    let (mut y_min, mut y_max, mut x_max) = (f64::MAX, 0f64, 2f64);
    for (p, ms) in all {
        y_min = y_min.min(ms.max(0.001));
        y_max = y_max.max(*ms);
        x_max = x_max.max(nines(*p).ceil());
    }
    if y_max <= 0.0 {
        y_min = 0.1;
        y_max = 1.0;
    }
    let y_range = (y_min * 0.8).max(0.001)..(y_max * 1.25).max(y_min * 2.0);
    svg("latency_by_percentile", (900, 420), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, font(18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max.min(6.0), y_range.log_scale())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms, log)")
            .x_labels(x_max.min(6.0) as usize + 1)
            .x_label_formatter(&|x| nines_label(*x))
            .label_style(font(12))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, s) in series.iter().enumerate() {
            let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|(p, v)| (nines(*p), v.max(0.001)))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        for (i, s) in markers.iter().enumerate() {
            let colour = SERIES_COLOURS[(i + 3) % SERIES_COLOURS.len()];
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|(p, v)| (nines(*p), v.max(0.001)))
                .collect();
            chart
                .draw_series(
                    pts.into_iter()
                        .map(|p| Cross::new(p, 6, colour.stroke_width(2))),
                )
                .map_err(|e| e.to_string())?
                .label(s.label.clone())
                .legend(move |(x, y)| Cross::new((x + 10, y), 5, colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(font(12))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())
    })
}

/// The run timeline in three stacked panels: throughput (records/s and requests/s), requests in
/// flight, and complexity budget remaining with 429s marked.
pub fn timeline(points: &[TimelinePoint]) -> Result<String> {
    let secs = points.len().max(1) as f64;
    svg("timeline", (900, 620), |root| {
        let panels = root.split_evenly((3, 1));
        let max_rate = points
            .iter()
            .map(|p| p.records_confirmed.max(p.requests) as f64)
            .fold(1.0, f64::max);
        let mut c = panel(
            &panels[0],
            "throughput per second",
            secs,
            max_rate * 1.1,
            "per s",
        )?;
        let rec: Vec<_> = points
            .iter()
            .map(|p| (p.second as f64, p.records_confirmed as f64))
            .collect();
        let req: Vec<_> = points
            .iter()
            .map(|p| (p.second as f64, p.requests as f64))
            .collect();
        line(&mut c, rec, "records confirmed", SERIES_COLOURS[0])?;
        line(&mut c, req, "requests", SERIES_COLOURS[1])?;
        legend(&mut c)?;

        let max_in_flight = points.iter().map(|p| p.in_flight).fold(1.0, f64::max);
        let mut c = panel(
            &panels[1],
            "requests in flight (average)",
            secs,
            max_in_flight * 1.1,
            "requests",
        )?;
        let inf: Vec<_> = points
            .iter()
            .map(|p| (p.second as f64, p.in_flight))
            .collect();
        line(&mut c, inf, "in flight", SERIES_COLOURS[2])?;
        legend(&mut c)?;

        let max_budget = points
            .iter()
            .filter_map(|p| p.budget_remaining)
            .max()
            .unwrap_or(1)
            .max(1) as f64
            / 1e6;
        let mut c = panel(
            &panels[2],
            "budget remaining (M points) and 429s",
            secs,
            max_budget * 1.1,
            "M points",
        )?;
        let budget: Vec<_> = points
            .iter()
            .filter_map(|p| {
                p.budget_remaining
                    .map(|b| (p.second as f64, b as f64 / 1e6))
            })
            .collect();
        line(&mut c, budget, "budget remaining", SERIES_COLOURS[4])?;
        let throttled: Vec<_> = points
            .iter()
            .filter(|p| p.throttled > 0)
            .map(|p| (p.second as f64, 0.0))
            .collect();
        let red = SERIES_COLOURS[3];
        c.draw_series(
            throttled
                .into_iter()
                .map(|p| TriangleMarker::new(p, 6, red.filled())),
        )
        .map_err(|e| e.to_string())?
        .label("429 in this second")
        .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 5, red.filled()));
        legend(&mut c)
    })
}

type Panel<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn panel<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    x_max: f64,
    y_max: f64,
    y_desc: &str,
) -> std::result::Result<Panel<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(15))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max.max(1e-9))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("second")
        .y_desc(y_desc)
        .label_style(font(11))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

fn line(
    c: &mut Panel<'_, '_>,
    pts: Vec<(f64, f64)>,
    label: &str,
    colour: RGBColor,
) -> std::result::Result<(), String> {
    c.draw_series(LineSeries::new(pts, colour.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    Ok(())
}

fn legend<'a, 'b: 'a>(c: &mut Panel<'a, 'b>) -> std::result::Result<(), String> {
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(font(11))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

/// Horizontal-category bar chart: one bar per `(label, value)`.
pub fn bars(title: &str, y_desc: &str, bars: &[(String, f64)]) -> Result<String> {
    let max = bars.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1e-9);
    let n = bars.len().max(1);
    svg("bars", (900, 360), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, font(18))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..n as f64, 0f64..max * 1.15)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - x.floor() - 0.5).abs() < 0.01 || x.fract() == 0.0 {
                    bars.get(i).map(|(l, _)| l.clone()).unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(y_desc)
            .label_style(font(11))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                Rectangle::new(
                    [(i as f64 + 0.1, 0.0), (i as f64 + 0.9, *v)],
                    SERIES_COLOURS[0].filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// A heatmap of `values[row][col]` (`None` = not run), labelled with the values.
/// `lower_is_better` makes the lowest value the best (green), else the highest.
pub fn heatmap(
    title: &str,
    row_desc: &str,
    col_desc: &str,
    rows: &[String],
    cols: &[String],
    values: &[Vec<Option<f64>>],
    lower_is_better: bool,
) -> Result<String> {
    heatmap_marked(
        title,
        row_desc,
        col_desc,
        rows,
        cols,
        values,
        lower_is_better,
        None,
    )
}

/// [`heatmap`] with one cell (`(row, col)`, e.g. the sweep's recommendation) outlined.
///
/// Colours show the distance from the best cell: green at the best, yellow about 12% off, red
/// 25% or more off (so the near-best region stands out even next to a 3x outlier).
#[allow(clippy::too_many_arguments)]
pub fn heatmap_marked(
    title: &str,
    row_desc: &str,
    col_desc: &str,
    rows: &[String],
    cols: &[String],
    values: &[Vec<Option<f64>>],
    lower_is_better: bool,
    mark: Option<(usize, usize)>,
) -> Result<String> {
    let finite: Vec<f64> = values
        .iter()
        .flatten()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let best = if lower_is_better {
        finite.iter().copied().fold(f64::MAX, f64::min)
    } else {
        finite.iter().copied().fold(f64::MIN, f64::max)
    };
    let (nr, nc) = (rows.len().max(1), cols.len().max(1));
    svg("heatmap", (900, 120 + 50 * nr as u32), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, font(18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..nc as f64, 0f64..nr as f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nc * 2 + 1)
            .y_labels(nr * 2 + 1)
            .x_label_formatter(&|x| centre_label(*x, cols))
            .y_label_formatter(&|y| centre_label(*y, rows))
            .x_desc(col_desc)
            .y_desc(row_desc)
            .label_style(font(12))
            .draw()
            .map_err(|e| e.to_string())?;
        for (r, row) in values.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (x, y) = (c as f64, r as f64);
                let colour = match v {
                    Some(v) => heat_colour(*v, best, lower_is_better),
                    None => RGBColor(230, 230, 230),
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        colour.filled(),
                    )))
                    .map_err(|e| e.to_string())?;
                let text = v.map(crate::textfmt::fmt_num).unwrap_or_else(|| "–".into());
                let centred = font(13).pos(Pos::new(HPos::Center, VPos::Center));
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x + 0.5, y + 0.5),
                        centred,
                    )))
                    .map_err(|e| e.to_string())?;
            }
        }
        if let Some((r, c)) = mark.filter(|(r, c)| *r < nr && *c < nc) {
            let (x, y) = (c as f64, r as f64);
            let (lo, hi) = (0.03, 0.97);
            // A path, not a Rectangle: the SVG backend drops a rectangle's stroke width.
            let outline = vec![
                (x + lo, y + lo),
                (x + hi, y + lo),
                (x + hi, y + hi),
                (x + lo, y + hi),
                (x + lo, y + lo),
            ];
            chart
                .draw_series(std::iter::once(PathElement::new(
                    outline,
                    BLACK.stroke_width(3),
                )))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

fn centre_label(v: f64, labels: &[String]) -> String {
    if (v.fract() - 0.5).abs() < 0.01 {
        labels.get(v.floor() as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// How far off the best cell a value may be before it is fully red (25%).
const HEAT_FULL_RED: f64 = 0.25;

/// Green (at `best`) through yellow to red (25% or more off `best`).
fn heat_colour(v: f64, best: f64, lower_is_better: bool) -> RGBColor {
    let off = if v == best {
        0.0
    } else if !v.is_finite() || !best.is_finite() || best <= 0.0 || v <= 0.0 {
        1.0
    } else if lower_is_better {
        v / best - 1.0
    } else {
        best / v - 1.0
    };
    let t = (off / HEAT_FULL_RED).clamp(0.0, 1.0);
    // Green (90, 190, 100) -> yellow (240, 210, 80) -> red (230, 80, 90).
    let lerp = |a: f64, b: f64, t: f64| (a + (b - a) * t).round() as u8;
    if t < 0.5 {
        let u = t * 2.0;
        RGBColor(
            lerp(90.0, 240.0, u),
            lerp(190.0, 210.0, u),
            lerp(100.0, 80.0, u),
        )
    } else {
        let u = (t - 0.5) * 2.0;
        RGBColor(
            lerp(240.0, 230.0, u),
            lerp(210.0, 80.0, u),
            lerp(80.0, 90.0, u),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_axis_labels() {
        assert_eq!(nines_label(0.0), "0%");
        assert_eq!(nines_label(1.0), "90%");
        assert_eq!(nines_label(2.0), "99%");
        assert_eq!(nines_label(3.0), "99.9%");
        assert!((nines(0.999) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn charts_render_svg_with_text() {
        let curve = Series {
            label: "records".into(),
            points: vec![
                (0.0, 10.0),
                (0.5, 20.0),
                (0.9, 40.0),
                (0.99, 90.0),
                (1.0, 120.0),
            ],
        };
        let svg = latency_by_percentile(
            "latency",
            std::slice::from_ref(&curve),
            std::slice::from_ref(&curve),
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<polyline") || svg.contains("<path"));
        assert!(svg.contains("99%"), "axis labels drawn");
        let points = crate::replay::results::sample_results().timeline;
        let t = timeline(&points).unwrap();
        assert!(t.contains("budget remaining"));
        let b = bars(
            "phases",
            "ms",
            &[("send".into(), 10.0), ("wait".into(), 3.0)],
        )
        .unwrap();
        assert!(b.contains("<rect"));
        let h = heatmap(
            "grid",
            "batch",
            "concurrency",
            &["1".into(), "5".into()],
            &["1".into(), "2".into()],
            &[vec![Some(1.0), Some(2.0)], vec![None, Some(0.5)]],
            true,
        )
        .unwrap();
        assert!(h.contains("0.5"));
        let marked = heatmap_marked(
            "grid",
            "batch",
            "concurrency",
            &["1".into()],
            &["1".into(), "2".into()],
            &[vec![Some(1.0), Some(2.0)]],
            true,
            Some((0, 1)),
        )
        .unwrap();
        assert!(marked.len() > h.len() / 2 && marked.contains("stroke-width=\"3\""));
    }

    #[test]
    fn heat_colours_measure_the_distance_from_the_best() {
        let green = heat_colour(100.0, 100.0, true);
        assert_eq!(green, RGBColor(90, 190, 100));
        assert_eq!(heat_colour(125.0, 100.0, true), RGBColor(230, 80, 90));
        assert_eq!(heat_colour(300.0, 100.0, true), RGBColor(230, 80, 90));
        // Higher is better: 0.8 is 25% off 1.0.
        assert_eq!(heat_colour(1.0, 1.0, false), green);
        assert_eq!(heat_colour(0.8, 1.0, false), RGBColor(230, 80, 90));
        let near = heat_colour(102.0, 100.0, true);
        assert!(near.0 < 120 && near.1 > 185, "{near:?}");
    }
}

/// One job's bar of the job timeline: its label and `(phase, from s, to s)` segments.
#[derive(Debug, Clone)]
pub struct JobBar {
    pub label: String,
    pub segments: Vec<(&'static str, f64, f64)>,
}

const PHASE_COLOURS: [(&str, RGBColor); 3] = [
    ("uploading", RGBColor(255, 127, 14)),
    ("queued", RGBColor(200, 200, 200)),
    ("processing", RGBColor(44, 160, 44)),
];

/// The bulk-import jobs as horizontal bars on the run's time axis (seconds from the run's
/// start, the request timeline's axis): each job's uploading, queued and processing phases, and
/// its end (done) as a black tick; `batches` (seconds with a batch request in flight) shade the
/// bottom row, so the two paths show side by side.
pub fn job_timeline(jobs: &[JobBar], batches: &[(f64, f64)], x_max: f64) -> Result<String> {
    let rows = jobs.len() + 1;
    let height = (80 + 22 * rows as u32).min(1200);
    svg("job_timeline", (900, height), |root| {
        // Row labels are drawn left of zero, inside the plot (one per row, whatever the count):
        // the axis' own labels would pick their own spacing.
        let x_max = x_max.max(1.0);
        let left = -x_max * 0.22;
        let mut chart = ChartBuilder::on(root)
            .caption(
                "jobs (uploading, queued, processing, done) and batches",
                font(15),
            )
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(8)
            .build_cartesian_2d(left..x_max, 0f64..rows as f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("second")
            .x_label_formatter(&|x| {
                if *x < 0.0 {
                    String::new()
                } else {
                    format!("{x:.0}")
                }
            })
            .y_labels(0)
            .disable_y_mesh()
            .label_style(font(11))
            .draw()
            .map_err(|e| e.to_string())?;
        let labels = std::iter::once("batches".to_string())
            .chain(jobs.iter().map(|j| j.label.clone()))
            .enumerate()
            .map(|(i, l)| {
                Text::new(
                    l,
                    (left * 0.98, i as f64 + 0.5),
                    font(10).pos(Pos::new(HPos::Left, VPos::Center)),
                )
            });
        chart.draw_series(labels).map_err(|e| e.to_string())?;
        let batch_colour = SERIES_COLOURS[0];
        chart
            .draw_series(batches.iter().map(|(a, b)| {
                Rectangle::new([(*a, 0.2), (*b, 0.8)], batch_colour.mix(0.7).filled())
            }))
            .map_err(|e| e.to_string())?
            .label("batch request in flight")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 4), (x + 14, y + 4)], batch_colour.filled())
            });
        for (phase, colour) in PHASE_COLOURS {
            let bars = jobs.iter().enumerate().flat_map(|(i, j)| {
                let y = (i + 1) as f64;
                j.segments
                    .iter()
                    .filter(move |s| s.0 == phase)
                    .map(move |s| Rectangle::new([(s.1, y + 0.2), (s.2, y + 0.8)], colour.filled()))
            });
            chart
                .draw_series(bars)
                .map_err(|e| e.to_string())?
                .label(phase)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 14, y + 4)], colour.filled())
                });
        }
        let ends = jobs.iter().enumerate().filter_map(|(i, j)| {
            let end = j.segments.iter().map(|s| s.2).fold(f64::NAN, f64::max);
            end.is_finite().then(|| {
                let y = (i + 1) as f64;
                PathElement::new(
                    vec![(end, y + 0.05), (end, y + 0.95)],
                    BLACK.stroke_width(2),
                )
            })
        });
        chart
            .draw_series(ends)
            .map_err(|e| e.to_string())?
            .label("done")
            .legend(|(x, y)| {
                PathElement::new(vec![(x + 7, y - 6), (x + 7, y + 6)], BLACK.stroke_width(2))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(font(11))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())
    })
}

/// Per-record time (ms, log) against record count (log) for each write path, with the
/// crossover record count marked (a dashed vertical line) and this run's own point.
pub fn path_curves(
    series: &[Series],
    crossover: Option<f64>,
    measured: Option<(f64, f64)>,
) -> Result<String> {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .chain(measured.iter());
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, 1f64, f64::MAX, 0f64);
    for (x, y) in pts.filter(|(x, y)| *x > 0.0 && *y > 0.0) {
        x_min = x_min.min(*x);
        x_max = x_max.max(*x);
        y_min = y_min.min(*y);
        y_max = y_max.max(*y);
    }
    if y_max <= 0.0 {
        (x_min, x_max, y_min, y_max) = (1.0, 10.0, 1.0, 10.0);
    }
    svg("path_curves", (900, 420), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "per-record time by record count, each path (ceiling model)",
                font(15),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                ((x_min * 0.8)..(x_max * 1.25)).log_scale(),
                ((y_min * 0.7)..(y_max * 1.5)).log_scale(),
            )
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("records (log)")
            .y_desc("ms per record (log)")
            .label_style(font(11))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, s) in series.iter().enumerate() {
            let colour = SERIES_COLOURS[i % SERIES_COLOURS.len()];
            chart
                .draw_series(LineSeries::new(s.points.clone(), colour.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        if let Some(n) = crossover {
            let red = SERIES_COLOURS[3];
            let (lo, hi) = (y_min * 0.7, y_max * 1.5);
            let dashes = (0..24).map(move |k| {
                let f = |k: f64| lo * (hi / lo).powf(k / 24.0);
                PathElement::new(
                    vec![(n, f(k as f64)), (n, f(k as f64 + 0.5))],
                    red.stroke_width(2),
                )
            });
            chart
                .draw_series(dashes)
                .map_err(|e| e.to_string())?
                .label(format!("crossover: jobs win from {n:.0} records"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2))
                });
        }
        if let Some(p) = measured {
            chart
                .draw_series(std::iter::once(Cross::new(p, 7, BLACK.stroke_width(2))))
                .map_err(|e| e.to_string())?
                .label("this run (measured)")
                .legend(|(x, y)| Cross::new((x + 10, y), 5, BLACK.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(11))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())
    })
}
