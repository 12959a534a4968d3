//! The chart: auth requests per second over the hour, one line per policy, the fault shaded.
//! An SVG written by hand: a few paths and labels.

use std::fmt::Write;

use crate::measure::{bucket_means, BUCKET_S};
use crate::report::Row;
use crate::scenario::{DURATION_S, FAULT_START_S};

const WIDTH: f64 = 1100.0;
const HEIGHT: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 470.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const COLORS: [&str; 9] = ["#1f77b4", "#17becf", "#2ca02c", "#9467bd", "#8c564b", "#d62728", "#bcbd22", "#ff7f0e", "#7f7f7f"];

/// The chart of `rows` (one scenario), requests per second per million visitors on a log scale,
/// each point the mean of `BUCKET_S` seconds.
pub fn svg(title: &str, rows: &[&Row], fault_end_s: u64) -> String {
    let series: Vec<Vec<f64>> = rows
        .iter()
        .map(|row| bucket_means(&row.requests[..DURATION_S as usize]).into_iter().map(|rate| row.per_million(rate)).collect())
        .collect();
    let top = series.iter().flatten().copied().fold(1.0, f64::max);
    let (low_exp, high_exp) = (1i32, top.log10().ceil().max(2.0) as i32);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |second: f64| LEFT + second / DURATION_S as f64 * plot_w;
    let y = |rate: f64| {
        let exp = rate.max(10f64.powi(low_exp)).log10();
        TOP + plot_h - (exp - f64::from(low_exp)) / f64::from(high_exp - low_exp) * plot_h
    };
    let mut out = String::new();
    let _ = writeln!(out, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#);
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(out, r#"<text x="{LEFT}" y="22" font-size="15">{}</text>"#, escape(title));
    if fault_end_s > FAULT_START_S {
        let (from, to) = (x(FAULT_START_S as f64), x(fault_end_s as f64));
        let _ = writeln!(out, r##"<rect x="{from:.1}" y="{TOP}" width="{:.1}" height="{plot_h}" fill="#f2c4c4"/>"##, to - from);
    }
    for exp in low_exp..=high_exp {
        let at = y(10f64.powi(exp));
        let _ = writeln!(out, r##"<line x1="{LEFT}" x2="{:.1}" y1="{at:.1}" y2="{at:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##, LEFT + plot_w, LEFT - 6.0, at + 4.0, 10u64.pow(exp as u32));
    }
    for minute in (0..=DURATION_S / 60).step_by(10) {
        let at = x((minute * 60) as f64);
        let _ = writeln!(out, r##"<line x1="{at:.1}" x2="{at:.1}" y1="{TOP}" y2="{:.1}" stroke="#ddd"/><text x="{at:.1}" y="{:.1}" text-anchor="middle">{minute}</text>"##, TOP + plot_h, TOP + plot_h + 16.0);
    }
    let _ = writeln!(out, r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">minutes</text>"#, LEFT + plot_w / 2.0, HEIGHT - 10.0);
    let _ = writeln!(out, r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">auth requests per second per million visitors (log)</text>"#, TOP + plot_h / 2.0);
    for (i, (row, points)) in rows.iter().zip(&series).enumerate() {
        let color = COLORS[i % COLORS.len()];
        let path: Vec<String> = points.iter().enumerate().map(|(j, &rate)| format!("{:.1},{:.1}", x(((j * BUCKET_S) + BUCKET_S / 2) as f64), y(rate))).collect();
        let _ = writeln!(out, r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#, path.join(" "));
        let legend_y = TOP + 10.0 + i as f64 * 20.0;
        let legend_x = LEFT + plot_w + 15.0;
        let _ = writeln!(out, r#"<line x1="{legend_x:.1}" x2="{:.1}" y1="{legend_y:.1}" y2="{legend_y:.1}" stroke="{color}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"#, legend_x + 20.0, legend_x + 26.0, legend_y + 4.0, escape(row.policy));
    }
    out.push_str("</svg>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The same numbers per second, as CSV: `second` then one column per policy (requests per
/// second per million visitors).
pub fn csv(rows: &[&Row]) -> String {
    let mut out = String::from("second");
    for row in rows {
        let _ = write!(out, ",\"{}\"", row.policy.replace('"', "'"));
    }
    out.push('\n');
    for second in 0..DURATION_S as usize {
        let _ = write!(out, "{second}");
        for row in rows {
            let _ = write!(out, ",{:.0}", row.per_million(f64::from(row.requests[second])));
        }
        out.push('\n');
    }
    out
}
