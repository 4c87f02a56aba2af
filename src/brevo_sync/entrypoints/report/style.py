"""The report page's one stylesheet, inlined: readable on a phone, tidy on paper."""

from __future__ import annotations

CSS = """
:root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --card: #ffffff; --bg: #f3f4f6;
  --blue: #2563eb; --amber: #f59e0b; --red: #dc2626; --green: #059669; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 16px; }
header.top { padding: 8px 0 16px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 0 0 10px; }
h3 { font-size: 0.95rem; margin: 14px 0 6px; color: var(--muted); font-weight: 600; }
.meta { color: var(--muted); font-size: 0.9rem; margin: 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px;
  margin-bottom: 16px; }
.kpi { background: var(--card); border-radius: 10px; padding: 12px 14px;
  box-shadow: 0 1px 2px rgba(0,0,0,.06); }
.kpi .label { color: var(--muted); font-size: 0.8rem; text-transform: uppercase;
  letter-spacing: .03em; }
.kpi .value { font-size: 1.15rem; font-weight: 650; font-variant-numeric: tabular-nums;
  white-space: pre; }
.kpi .note { color: var(--muted); font-size: 0.8rem; }
.multi { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 400px), 1fr));
  gap: 4px 28px; }
.multi > div { min-width: 0; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 480px), 1fr));
  gap: 16px; }
section.card { background: var(--card); border-radius: 12px; padding: 16px; margin-bottom: 16px;
  box-shadow: 0 1px 3px rgba(0,0,0,.07); min-width: 0; }
.sub { color: var(--muted); font-size: 0.85rem; margin: -6px 0 10px; }
svg.chart { width: 100%; max-width: 600px; height: auto; display: block; margin: 4px auto 10px; }
svg text { font-family: inherit; fill: var(--ink); }
svg .axis, svg .legend { font-size: 11px; fill: var(--muted); }
svg .label { font-size: 12.5px; }
svg .value { font-size: 11.5px; font-weight: 600; }
svg .inbar { font-size: 11.5px; font-weight: 700; fill: #fff; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .s0 { fill: var(--blue); }
svg .s1 { fill: var(--amber); }
svg .s2 { fill: var(--green); }
svg .marker { stroke: var(--red); stroke-width: 2.5; }
svg .line { fill: none; stroke: var(--blue); stroke-width: 2.5; }
svg .dot { fill: var(--blue); stroke: #fff; stroke-width: 1.5; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 0.78rem; text-transform: uppercase;
  letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: pre; }
td.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.8rem;
  white-space: nowrap; }
.empty { color: var(--muted); font-style: italic; margin: 6px 0; }
.missing { border-left: 4px solid var(--amber); padding: 8px 12px; background: #fffbeb; }
footer { color: var(--muted); font-size: 0.8rem; padding: 8px 0 24px; }
@media (max-width: 640px) {
  main { padding: 10px; }
  h1 { font-size: 1.3rem; }
  section.card { padding: 12px; border-radius: 10px; }
  .kpis { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .kpi .value { font-size: 1.05rem; }
  /* Wide tables become one card per row: each cell labelled by its column. */
  table.stack thead { display: none; }
  table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: 6px 0; }
  table.stack td { display: flex; justify-content: space-between; gap: 12px; border: 0;
    padding: 2px 0; text-align: right; }
  table.stack td::before { content: attr(data-label); color: var(--muted); text-align: left;
    font-size: 0.78rem; text-transform: uppercase; }
}
@media print {
  @page { size: A4; margin: 12mm; }
  body { background: #fff; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  section.card, .kpi { box-shadow: none; border: 1px solid var(--line); }
  /* Long sections may run over a page; a chart, a card or a table row never splits. */
  .kpi, svg.chart, .multi > div, tr { break-inside: avoid; }
  h2, h3, .sub { break-after: avoid; }
  .grid2 { display: block; }
  .multi { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .scroll { overflow: visible; }
  svg.chart { max-height: 9cm; }
  footer { padding-bottom: 0; }
}
"""
