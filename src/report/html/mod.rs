//! Self-contained HTML pages (`report.html` of a run or a replication, `sweep.html` of a sweep): inline CSS and
//! SVG, no script, no network. Every string that comes from a scenario goes through [`esc`].
//! Figures taken from `summary.json` carry `data-key` (a JSON pointer into it) and `data-fmt`
//! (how the value is shown), so a test — or a reader's tool — can check each against the file.

pub mod replication;
pub mod run;
pub mod sweep;
pub mod tables;

use std::fmt::Write;

/// Text safe in HTML content and in double- or single-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One JSON-pointer token (RFC 6901): `~` as `~0`, `/` as `~1`.
pub fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// How a figure is shown. The test of `report.html` undoes these to compare with the JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    /// A 0..=1 share as a percentage, one decimal: `85.2 %`.
    Pct,
    /// Dollars, two decimals: `$1234.56`.
    Usd,
    /// Seconds shown as hours, two decimals: `1.25 h`.
    Hours,
    /// A count.
    Int,
    /// A number, three decimals.
    Num,
}

impl Fmt {
    pub fn name(self) -> &'static str {
        match self {
            Fmt::Pct => "pct",
            Fmt::Usd => "usd",
            Fmt::Hours => "hours",
            Fmt::Int => "int",
            Fmt::Num => "num",
        }
    }

    pub fn show(self, v: f64) -> String {
        match self {
            Fmt::Pct => format!("{:.1} %", v * 100.0),
            Fmt::Usd => format!("${v:.2}"),
            Fmt::Hours => format!("{:.2} h", v / 3600.0),
            Fmt::Int => format!("{v:.0}"),
            Fmt::Num => format!("{v:.3}"),
        }
    }
}

/// A page under construction.
pub struct Page {
    pub html: String,
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif;margin:0 auto;max-width:1180px;padding:0 20px 40px;color:#1d1d1f;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin:.8em 0 .2em}h2{border-bottom:2px solid #0072b2;padding-bottom:.15em;margin-top:1.8em}
h3{margin:1.2em 0 .3em}
nav a{margin-right:1em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.92em}
th,td{border:1px solid #d0d0d0;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f2f4f7}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:.6em 0}
.card{border:1px solid #d0d0d0;border-radius:6px;padding:.45em .8em;min-width:140px}
.card .v{font-size:1.35em;font-weight:600}.card .l{font-size:.85em;color:#555}
figure{margin:1.2em 0;border:1px solid #e2e2e2;border-radius:6px;padding:8px}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-weight:600;margin-bottom:4px}
.note{color:#444;font-size:.9em;margin:.3em 0}
.holds{color:#0a7a3b;font-weight:600}.not_reached{color:#b3261e;font-weight:600}
.exceeded{color:#0a5a9b;font-weight:600}.not_applicable{color:#666}
.muted{color:#666}
";

impl Page {
    pub fn new(title: &str) -> Self {
        let mut html = String::with_capacity(1 << 20);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            esc(title)
        );
        Page { html }
    }

    pub fn push(&mut self, s: &str) {
        self.html.push_str(s);
    }

    /// `<h2 id=..>` opening a section.
    pub fn section(&mut self, id: &str, title: &str) {
        let _ = writeln!(self.html, "<h2 id=\"{}\">{}</h2>", esc(id), esc(title));
    }

    /// A paragraph of plain text.
    pub fn para(&mut self, class: &str, text: &str) {
        let _ = writeln!(self.html, "<p class=\"{}\">{}</p>", esc(class), esc(text));
    }

    /// A table: header cells (plain text) and rows of already-built cells (see [`cell`], [`fig`]).
    pub fn table(&mut self, id: &str, head: &[&str], rows: &[Vec<String>]) {
        let _ = write!(self.html, "<table id=\"{}\">\n<thead><tr>", esc(id));
        for h in head {
            let _ = write!(self.html, "<th>{}</th>", esc(h));
        }
        self.html.push_str("</tr></thead>\n<tbody>\n");
        for r in rows {
            self.html.push_str("<tr>");
            for c in r {
                self.html.push_str(c);
            }
            self.html.push_str("</tr>\n");
        }
        self.html.push_str("</tbody>\n</table>\n");
    }

    pub fn finish(mut self) -> String {
        self.html.push_str("</body>\n</html>\n");
        self.html
    }
}

/// A text cell.
pub fn cell(text: &str) -> String {
    format!("<td>{}</td>", esc(text))
}

/// A figure cell tied to `summary.json` at `key` (a JSON pointer); `-` for no value.
pub fn fig(key: &str, fmt: Fmt, v: Option<f64>) -> String {
    let shown = v.map_or("-".into(), |v| fmt.show(v));
    format!(
        "<td class=\"n\" data-key=\"{}\" data-fmt=\"{}\">{}</td>",
        esc(key),
        fmt.name(),
        esc(&shown)
    )
}

/// A summary card: a large figure tied to `key` and its label.
pub fn card(key: &str, fmt: Fmt, v: Option<f64>, label: &str) -> String {
    let shown = v.map_or("-".into(), |v| fmt.show(v));
    format!(
        "<div class=\"card\"><div class=\"v\" data-key=\"{}\" data-fmt=\"{}\">{}</div><div class=\"l\">{}</div></div>",
        esc(key),
        fmt.name(),
        esc(&shown),
        esc(label)
    )
}

/// A number cell not taken from the summary (a derived figure).
pub fn num(text: &str) -> String {
    format!("<td class=\"n\">{}</td>", esc(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            token("requests.nvidia.com/gpu~x"),
            "requests.nvidia.com~1gpu~0x"
        );
    }

    proptest::proptest! {
        /// Any text, escaped, has no markup character left and reads back as itself.
        #[test]
        fn escaped_text_has_no_markup_and_reads_back(s in "\\PC*") {
            let e = esc(&s);
            proptest::prop_assert!(!e.contains(['<', '>', '"', '\'']));
            let back = e
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            proptest::prop_assert_eq!(back, s);
        }
    }

    #[test]
    fn formats_undo_to_the_value() {
        assert_eq!(Fmt::Pct.show(0.8526), "85.3 %");
        assert_eq!(Fmt::Usd.show(1234.567), "$1234.57");
        assert_eq!(Fmt::Hours.show(4500.0), "1.25 h");
        assert_eq!(Fmt::Int.show(42.0), "42");
    }
}
