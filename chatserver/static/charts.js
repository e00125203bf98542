// Plain SVG charts for the dashboard: a line over time and labelled bars.
//
// No chart library: two small functions that return an <svg> (scaled by its
// viewBox) with role="img" and an aria-label summing it up; the dashboard
// puts a data table beside each for screen readers and exact numbers.

import { svg } from "./dom.js";

const W = 480;
const H = 200;
const PAD = { top: 12, right: 12, bottom: 26, left: 40 };

function niceMax(value) {
  if (value <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

function yAxis(max, plotH) {
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + plotH - (plotH * i) / 4;
    const value = (max * i) / 4;
    parts.push(svg("line", { class: "axis", x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
    parts.push(svg("text", { x: PAD.left - 6, y: y + 4, "text-anchor": "end" },
      Number.isInteger(value) ? value : value.toFixed(1)));
  }
  return parts;
}

/** "−45 s", "−3 min": how far back the left edge of a line chart is. */
function ago(ms) {
  const s = Math.round(ms / 1000);
  return s < 120 ? `−${s} s` : `−${Math.round(s / 60)} min`;
}

/**
 * A line chart of `points` ([{t: ms, v: number}]): the time since the first point,
 * from 30 s up to `maxSpanMs`, so that a page opened a minute ago shows a line too.
 */
export function lineChart(points, { label, maxSpanMs = 10 * 60 * 1000 }) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const now = points.length ? points[points.length - 1].t : Date.now();
  const first = points.length ? points[0].t : now;
  const spanMs = Math.min(maxSpanMs, Math.max(30000, now - first));
  const max = niceMax(Math.max(0, ...points.map((p) => p.v)));
  const x = (t) => PAD.left + plotW * (1 - (now - t) / spanMs);
  const y = (v) => PAD.top + plotH - (plotH * v) / max;
  const shown = points.filter((p) => now - p.t <= spanMs);
  const line = shown.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join("");
  const area = shown.length > 1
    ? `${line}L${x(shown[shown.length - 1].t).toFixed(1)},${y(0)}L${x(shown[0].t).toFixed(1)},${y(0)}Z`
    : "";
  const last = shown.length ? shown[shown.length - 1].v : 0;
  return svg("svg", {
    class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `${label}: now ${last}, highest ${Math.max(0, ...shown.map((p) => p.v))} since ${ago(spanMs).slice(1)} ago`,
  },
  yAxis(max, plotH),
  svg("text", { x: PAD.left, y: H - 6 }, ago(spanMs)),
  svg("text", { x: W - PAD.right, y: H - 6, "text-anchor": "end" }, "now"),
  area ? svg("path", { class: "area", d: area }) : null,
  line ? svg("path", { class: "line", d: line }) : null);
}

/** Vertical bars, one per row ({label, value, alt}), with the value above each. */
export function barChart(rows, { label }) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(0, ...rows.map((r) => r.value)));
  const slot = plotW / Math.max(1, rows.length);
  const barW = Math.max(4, Math.min(48, slot * 0.7));
  const bars = rows.flatMap((row, i) => {
    const cx = PAD.left + slot * i + slot / 2;
    const hgt = (plotH * row.value) / max;
    const top = PAD.top + plotH - hgt;
    return [
      svg("rect", { class: row.alt ? "bar alt" : "bar", x: cx - barW / 2, y: top, width: barW, height: Math.max(0, hgt) }),
      svg("text", { class: "value", x: cx, y: Math.max(PAD.top + 10, top - 3), "text-anchor": "middle" },
        Number.isInteger(row.value) ? row.value : row.value.toFixed(1)),
      svg("text", { x: cx, y: H - 8, "text-anchor": "middle" }, row.short || row.label),
    ];
  });
  const summary = rows.map((r) => `${r.label} ${r.value}`).join(", ");
  return svg("svg", {
    class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${label}: ${summary || "no data"}`,
  }, yAxis(max, plotH), bars);
}

/** Horizontal bars, for rows with long labels (end reasons). */
export function hbarChart(rows, { label }) {
  const labelW = 150;
  const rowH = 22;
  const height = Math.max(1, rows.length) * rowH + 8;
  const plotW = W - labelW - 50;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const parts = rows.flatMap((row, i) => {
    const y = 4 + i * rowH;
    const width = (plotW * row.value) / max;
    return [
      svg("text", { x: labelW - 8, y: y + 15, "text-anchor": "end" }, row.label),
      svg("rect", { class: row.alt ? "bar alt" : "bar", x: labelW, y: y + 3, width: Math.max(0, width), height: rowH - 8 }),
      svg("text", { class: "value", x: labelW + width + 6, y: y + 15 }, row.value),
    ];
  });
  const summary = rows.map((r) => `${r.label} ${r.value}`).join(", ");
  return svg("svg", {
    class: "chart", viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": `${label}: ${summary || "no data"}`,
  }, parts);
}
