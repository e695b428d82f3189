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
import { t } from '../i18n.js';

/** A round's label, or "round n" where the scenario has none. @param {string[]} labels @param {number} r */
const roundName = (labels, r) => labels[r] ?? t('desk.chart.round', { n: r + 1 });

/** Okabe–Ito, readable on white. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C6D1F'];

/** Tension's own colour: no faction's (bluish green, Okabe–Ito). */
export const TENSION_COLOUR = '#009E73';

/** Point markers, one per series in turn, so lines differ in print and without colour. */
const MARKERS = ['circle', 'square', 'triangle', 'diamond'];

/**
 * @typedef {object} Series
 * @property {string} name
 * @property {Array<[number, number]>} points `[round, value]`, rounds 0-based
 * @property {string} [colour]
 * @property {boolean} [dashed] a plain dash ("5 4")
 * @property {string} [dash] an SVG dash pattern, e.g. "2 3" (wins over `dashed`)
 * @property {string} [marker] circle | square | triangle | diamond (default: by position)
 */

let chartId = 0;

/** Roughly how wide a legend entry's text is at 12 px (Cyrillic letters are wider). @param {string} s */
const textWidth = (s) => {
  let w = 0;
  for (const ch of s) w += ch >= '\u0400' && ch <= '\u04ff' ? 7.3 : 6.9;
  return w;
};

/**
 * A point marker of `kind` at (x, y).
 * @param {string} kind @param {number} x @param {number} y @param {string} colour @param {SVGElement} [tip]
 */
function marker(kind, x, y, colour, tip) {
  const a = { fill: colour, stroke: '#fff', 'stroke-width': 1, class: 'chart-point' };
  const X = x.toFixed(1);
  const Y = y.toFixed(1);
  switch (kind) {
    case 'square': return svg('rect', { ...a, x: (x - 3.5).toFixed(1), y: (y - 3.5).toFixed(1), width: 7, height: 7 }, tip);
    case 'triangle': return svg('path', { ...a, d: `M${X} ${(y - 4.5).toFixed(1)} L${(x + 4.2).toFixed(1)} ${(y + 3.3).toFixed(1)} L${(x - 4.2).toFixed(1)} ${(y + 3.3).toFixed(1)} Z` }, tip);
    case 'diamond': return svg('path', { ...a, d: `M${X} ${(y - 4.8).toFixed(1)} L${(x + 4.8).toFixed(1)} ${Y} L${X} ${(y + 4.8).toFixed(1)} L${(x - 4.8).toFixed(1)} ${Y} Z` }, tip);
    default: return svg('circle', { ...a, cx: X, cy: Y, r: 3.8 }, tip);
  }
}

/**
 * A line chart of values over the rounds; with only one round of data, a bar per series with
 * its value written (a lone dot on an eight-year axis says little). Each series has its colour,
 * its dash pattern and its marker shape, so that it reads in print and for colour-blind
 * readers; the legend wraps its entries onto as many rows as they need.
 * @param {{title: string, series: Series[], yMin?: number, yMax?: number, labels?: string[],
 *   width?: number, height?: number, digits?: number, unit?: string}} opts
 * @returns {SVGSVGElement}
 */
export function lineChart(opts) {
  const { title, labels = [], width = 460, digits = 2 } = opts;
  const series = opts.series.map((s, i) => ({
    ...s,
    // Bars of one round carry their own colour only when it means something (a faction's,
    // tension's); otherwise one neutral colour, so no bar looks like a faction.
    barColour: s.colour || '#1f4f8f',
    colour: s.colour || PALETTE[i % PALETTE.length],
    dash: s.dash || (s.dashed ? '5 4' : null),
    marker: s.marker || MARKERS[i % MARKERS.length],
    points: s.points.filter((p) => Number.isFinite(p[1])).sort((a, b) => a[0] - b[0]),
  }));
  chartId += 1;
  const id = `chart-${chartId}`;
  const rounds = new Set(series.flatMap((s) => s.points.map((p) => p[0])));
  const single = rounds.size === 1;

  // Legend entries flow left to right and wrap: none is cut short or runs into the next.
  const left = 44;
  const right = 14;
  const w = width - left - right;
  /** @type {{s: typeof series[number], x: number, row: number}[]} */
  const legend = [];
  let lx = 0;
  let row = 0;
  for (const s of single ? [] : series) {
    const need = 24 + textWidth(s.name) + 14;
    if (lx > 0 && lx + need > w) {
      row += 1;
      lx = 0;
    }
    legend.push({ s, x: lx, row });
    lx += need;
  }
  const legendRows = legend.length ? row + 1 : 0;
  const barRow = 22;
  const plotH = single ? series.length * barRow + 8 : 150;
  const m = { top: 26 + legendRows * 18, right, bottom: single ? 22 : 30, left };
  const height = opts.height || m.top + plotH + m.bottom;
  const hgt = height - m.top - m.bottom;

  const all = series.flatMap((s) => s.points.map((p) => p[1]));
  let yMin = opts.yMin ?? Math.min(0, ...all);
  let yMax = opts.yMax ?? Math.max(1, ...all);
  if (opts.yMin === undefined && all.length) yMin = Math.min(yMin, ...all);
  if (opts.yMax === undefined && all.length) yMax = niceCeil(Math.max(...all));
  if (yMax <= yMin) yMax = yMin + 1;
  const maxRound = Math.max(labels.length - 1, ...series.flatMap((s) => s.points.map((p) => p[0])), 1);

  const desc = series.map((s) => {
    const last = s.points[s.points.length - 1];
    return last ? t('desk.chart.latest', { name: s.name, value: num(last[1], digits), round: roundName(labels, last[0]) }) : t('desk.chart.noData', { name: s.name });
  }).join('; ');

  const root = /** @type {SVGSVGElement} */ (svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`,
    'data-testid': 'chart', 'data-title': title, 'data-form': single ? 'bars' : 'lines', preserveAspectRatio: 'xMidYMid meet',
  },
  svg('title', { id: `${id}-t` }, title),
  svg('desc', { id: `${id}-d` }, desc || t('desk.chart.noDataYet'))));

  root.appendChild(svg('text', { x: m.left, y: 16, class: 'chart-title' }, title));

  if (single) {
    // One round: a bar per series, from yMin, with its name and value.
    const round = [...rounds][0];
    const nameW = Math.min(Math.max(170, Math.round(width * 0.45)), Math.max(...series.map((s) => textWidth(s.name))) + 8);
    const x0 = 8 + nameW;
    const bw = width - x0 - 60;
    root.appendChild(svg('text', { x: width - m.right, y: 16, class: 'chart-tick', 'text-anchor': 'end' }, roundName(labels, round)));
    series.forEach((s, i) => {
      const v = s.points[0]?.[1];
      const yy = m.top + i * barRow;
      root.appendChild(svg('text', { x: x0 - 6, y: yy + 14, class: 'chart-legend', 'text-anchor': 'end' }, s.name.length > 28 ? `${s.name.slice(0, 27)}…` : s.name));
      root.appendChild(svg('rect', { x: x0, y: yy + 3, width: bw, height: 14, class: 'chart-track' }));
      if (v !== undefined) {
        const len = Math.max(0, Math.min(1, (v - yMin) / (yMax - yMin))) * bw;
        root.appendChild(svg('rect', { x: x0, y: yy + 3, width: len.toFixed(1), height: 14, fill: s.barColour },
          svg('title', null, `${s.name}, ${labels[round] ?? ''}: ${num(v, digits)}`)));
      }
      root.appendChild(svg('text', { x: x0 + bw + 6, y: yy + 14, class: 'chart-value' }, v === undefined ? '–' : num(v, digits)));
    });
    root.appendChild(svg('text', { x: x0, y: height - 6, class: 'chart-tick' }, num(yMin, digits > 1 ? 0 : 0)));
    root.appendChild(svg('text', { x: x0 + bw, y: height - 6, class: 'chart-tick', 'text-anchor': 'end' }, num(yMax, yMax - yMin <= 2 ? 1 : 0)));
    return root;
  }

  /** @param {number} r */
  const x = (r) => m.left + (maxRound === 0 ? 0 : (r / maxRound) * w);
  /** @param {number} v */
  const y = (v) => m.top + hgt - ((v - yMin) / (yMax - yMin)) * hgt;

  // Legend: a line sample with the series' dash and marker, then its name.
  for (const e of legend) {
    const ex = m.left + e.x;
    const ey = 30 + e.row * 18;
    root.appendChild(svg('line', { x1: ex, y1: ey - 4, x2: ex + 20, y2: ey - 4, stroke: e.s.colour, 'stroke-width': 2.5, 'stroke-dasharray': e.s.dash }));
    root.appendChild(marker(e.s.marker, ex + 10, ey - 4, e.s.colour));
    root.appendChild(svg('text', { x: ex + 24, y: ey, class: 'chart-legend' }, e.s.name));
  }

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
  for (const s of series) {
    const pts = s.points;
    if (pts.length > 1) {
      root.appendChild(svg('polyline', {
        points: pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' '),
        fill: 'none', stroke: s.colour, 'stroke-width': 2.5, 'stroke-linejoin': 'round',
        'stroke-dasharray': s.dash,
      }));
    }
    for (const p of pts) {
      root.appendChild(marker(s.marker, x(p[0]), y(p[1]), s.colour,
        svg('title', null, `${s.name}, ${roundName(labels, p[0])}: ${num(p[1], digits)}`)));
    }
  }
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
    class: 'meter', role: 'meter', 'aria-label': t('desk.tension'), 'aria-valuemin': String(min), 'aria-valuemax': String(max),
    'data-testid': 'tension-meter',
  }, fill, mark);
  const el = h('div', { class: 'tension' }, h('span', { class: 'stat-label', 'aria-hidden': 'true' }, t('desk.tension')), bar, value);
  function update() {
    const level = store.view?.vars?.tension ?? 0;
    const pct = Math.max(0, Math.min(100, ((level - min) / (max - min)) * 100));
    fill.style.setProperty('--pct', `${pct}%`);
    bar.setAttribute('aria-valuenow', String(Math.round(level * 10) / 10));
    bar.setAttribute('aria-valuetext', t('desk.tension.valueText', { value: num(level, 1), max: num(max, 0), crisis: num(crisis, 0) }));
    bar.dataset.level = level >= crisis * 0.85 ? 'high' : level >= crisis * 0.6 ? 'raised' : 'low';
    value.textContent = t('desk.tension.value', { value: num(level, 1), crisis: num(crisis, 0) });
  }
  update();
  return { el, update };
}

