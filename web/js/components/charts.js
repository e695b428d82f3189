// @ts-check
/**
 * SVG line charts, drawn in code (no library, no images).
 *
 * `lineChart({title, series, yMin?, yMax?, labels, ...})` returns an `<svg role="img">` with a
 * `<title>` and a `<desc>` listing the latest values, gridlines, axes with the round labels,
 * one polyline per series with a dot (and a tooltip `<title>`) per point, and a legend.
 * Styling comes from `css/app.css` (`.chart …`); colours come from the series (e.g. the
 * scenario's faction colours) or a colour-blind-safe palette.
 *
 * Test id: `chart` (plus `data-title`).
 *
 * Also here: `createTensionMeter(store)`, the tension meter (`role="meter"`, test id `tension-meter`).
 * @module components/charts
 */

import { svg, h } from '../dom.js';
import { num } from '../format.js';

/** Okabe–Ito, readable on white. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C6D1F'];

/**
 * @typedef {object} Series
 * @property {string} name
 * @property {Array<[number, number]>} points `[round, value]`, rounds 0-based
 * @property {string} [colour]
 * @property {boolean} [dashed]
 */

let chartId = 0;

/**
 * @param {{title: string, series: Series[], yMin?: number, yMax?: number, labels?: string[],
 *   width?: number, height?: number, digits?: number, unit?: string}} opts
 * @returns {SVGSVGElement}
 */
export function lineChart(opts) {
  const { title, series, labels = [], width = 460, digits = 2 } = opts;
  chartId += 1;
  const id = `chart-${chartId}`;
  const legendRows = Math.ceil(series.length / 3);
  const height = opts.height || 200 + legendRows * 18;
  const m = { top: 26 + legendRows * 18, right: 14, bottom: 30, left: 44 };
  const w = width - m.left - m.right;
  const hgt = height - m.top - m.bottom;

  const all = series.flatMap((s) => s.points.map((p) => p[1])).filter((x) => Number.isFinite(x));
  let yMin = opts.yMin ?? Math.min(0, ...all);
  let yMax = opts.yMax ?? Math.max(1, ...all);
  if (opts.yMin === undefined && all.length) yMin = Math.min(yMin, ...all);
  if (opts.yMax === undefined && all.length) yMax = niceCeil(Math.max(...all));
  if (yMax <= yMin) yMax = yMin + 1;
  const maxRound = Math.max(labels.length - 1, ...series.flatMap((s) => s.points.map((p) => p[0])), 1);
  /** @param {number} r */
  const x = (r) => m.left + (maxRound === 0 ? 0 : (r / maxRound) * w);
  /** @param {number} v */
  const y = (v) => m.top + hgt - ((v - yMin) / (yMax - yMin)) * hgt;

  const desc = series.map((s) => {
    const last = s.points[s.points.length - 1];
    return last ? `${s.name}: ${num(last[1], digits)} in ${labels[last[0]] ?? `round ${last[0] + 1}`}` : `${s.name}: no data`;
  }).join('; ');

  const root = /** @type {SVGSVGElement} */ (svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`,
    'data-testid': 'chart', 'data-title': title, preserveAspectRatio: 'xMidYMid meet',
  },
  svg('title', { id: `${id}-t` }, title),
  svg('desc', { id: `${id}-d` }, desc || 'No data yet')));

  root.appendChild(svg('text', { x: m.left, y: 16, class: 'chart-title' }, title));

  // Legend.
  series.forEach((s, i) => {
    const col = i % 3;
    const row = Math.floor(i / 3);
    const lx = m.left + col * (w / 3);
    const ly = 30 + row * 18;
    const colour = s.colour || PALETTE[i % PALETTE.length];
    root.appendChild(svg('line', { x1: lx, y1: ly - 4, x2: lx + 16, y2: ly - 4, stroke: colour, 'stroke-width': 3, 'stroke-dasharray': s.dashed ? '4 3' : null }));
    root.appendChild(svg('text', { x: lx + 20, y: ly, class: 'chart-legend' }, truncate(s.name, 24)));
  });

  // Grid and y axis.
  const ticks = 4;
  for (let i = 0; i <= ticks; i++) {
    const v = yMin + ((yMax - yMin) * i) / ticks;
    const yy = y(v);
    root.appendChild(svg('line', { x1: m.left, y1: yy, x2: m.left + w, y2: yy, class: 'chart-grid' }));
    root.appendChild(svg('text', { x: m.left - 6, y: yy + 4, class: 'chart-tick', 'text-anchor': 'end' }, num(v, yMax - yMin <= 2 ? 2 : 0)));
  }
  // x axis labels.
  const step = Math.max(1, Math.ceil((maxRound + 1) / 8));
  for (let r = 0; r <= maxRound; r += step) {
    root.appendChild(svg('text', { x: x(r), y: m.top + hgt + 18, class: 'chart-tick', 'text-anchor': 'middle' }, labels[r] ?? String(r + 1)));
  }
  root.appendChild(svg('line', { x1: m.left, y1: m.top + hgt, x2: m.left + w, y2: m.top + hgt, class: 'chart-axis' }));

  // Series.
  series.forEach((s, i) => {
    const colour = s.colour || PALETTE[i % PALETTE.length];
    const pts = s.points.filter((p) => Number.isFinite(p[1])).sort((a, b) => a[0] - b[0]);
    if (pts.length > 1) {
      root.appendChild(svg('polyline', {
        points: pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' '),
        fill: 'none', stroke: colour, 'stroke-width': 2.5, 'stroke-linejoin': 'round',
        'stroke-dasharray': s.dashed ? '5 4' : null,
      }));
    }
    for (const p of pts) {
      root.appendChild(svg('circle', { cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 3.5, fill: colour },
        svg('title', null, `${s.name}, ${labels[p[0]] ?? `round ${p[0] + 1}`}: ${num(p[1], digits)}`)));
    }
  });
  return root;
}

/** @param {number} v */
function niceCeil(v) {
  if (v <= 1) return 1;
  if (v <= 10) return Math.ceil(v);
  if (v <= 100) return Math.ceil(v / 10) * 10;
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / p) * p;
}

/** @param {string} s @param {number} n */
function truncate(s, n) {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/**
 * The tension meter (role="meter").
 * @param {import('../store.js').GameStore} store
 * @returns {{el: HTMLElement, update: () => void}}
 */
export function createTensionMeter(store) {
  const tv = store.scenario.variables.find((/** @type {any} */ v) => v.id === 'tension');
  const min = tv?.min ?? 0;
  const max = tv?.max ?? 100;
  const crisis = store.scenario.crisis_threshold;
  const fill = h('span', { class: 'meter-fill' });
  const mark = h('span', { class: 'meter-mark', 'aria-hidden': 'true' });
  mark.style.setProperty('--at', `${((crisis - min) / (max - min)) * 100}%`);
  const value = h('span', { class: 'meter-value num' });
  const bar = h('span', {
    class: 'meter', role: 'meter', 'aria-label': 'Tension', 'aria-valuemin': String(min), 'aria-valuemax': String(max),
    'data-testid': 'tension-meter',
  }, fill, mark);
  const el = h('div', { class: 'tension' }, h('span', { class: 'stat-label', 'aria-hidden': 'true' }, 'Tension'), bar, value);
  function update() {
    const t = store.view?.vars?.tension ?? 0;
    const pct = Math.max(0, Math.min(100, ((t - min) / (max - min)) * 100));
    fill.style.setProperty('--pct', `${pct}%`);
    bar.setAttribute('aria-valuenow', String(Math.round(t * 10) / 10));
    bar.setAttribute('aria-valuetext', `${num(t, 1)} of ${num(max, 0)}; crisis at ${num(crisis, 0)}`);
    bar.dataset.level = t >= crisis * 0.85 ? 'high' : t >= crisis * 0.6 ? 'raised' : 'low';
    value.textContent = `${num(t, 1)} / crisis ${num(crisis, 0)}`;
  }
  update();
  return { el, update };
}

