// @ts-check
/**
 * The map of Europe and Central Asia: countries shaded by bloc (NATO, Russia, CSTO, others)
 * and the scenario's map features (EPAA sites, radars, ships, Iskander deployments with their
 * range ring, capitals, infrastructure), shown or hidden as the seat's view changes.
 *
 * Usage:
 *   const map = createMap({scenario});       // scenario = GET /api/scenarios/{id}
 *   container.append(map.el, map.list);      // map.list: visually hidden text alternative
 *   map.update(view);                        // on every view change (cheap: toggles only)
 *
 * Styling lives in css/map.css (no inline styles: the CSP forbids them).
 * @module components/map
 */

import { svg, h, uniqueId } from '../dom.js';
import { FACTION_COLOURS, num } from '../format.js';
import { VIEW, COUNTRIES, project } from '../mapdata.js';
import { t, has, locale, CATALOGUES } from '../i18n.js';

/**
 * @typedef {{id: string, name: string, label?: string | null, lat: number, lon: number, kind: string,
 *   faction?: string | null, shown_when?: string | null, range_km?: number | null,
 *   source?: string}} MapFeature
 * @typedef {{id: string, name: string, colour?: string}} ScenarioFaction
 * @typedef {{id: string, name: string}} ScenarioVariable
 * @typedef {{id?: string, factions?: ScenarioFaction[], variables?: ScenarioVariable[],
 *   map?: MapFeature[]}} ScenarioLike
 * @typedef {{vars?: Record<string, number>} | null | undefined} ViewLike
 */

/**
 * NATO's 28 members in 2013 (after the 2009 accession of Albania and Croatia; Montenegro joined
 * only in 2017). Source: NATO, "Member countries", nato.int (official list, as of 2013).
 * ISO 3166-1 alpha-3. USA and CAN are outside the map's area.
 */
export const NATO_2013 = [
  'ALB', 'BEL', 'BGR', 'CAN', 'HRV', 'CZE', 'DNK', 'EST', 'FRA', 'DEU', 'GRC', 'HUN', 'ISL', 'ITA',
  'LVA', 'LTU', 'LUX', 'NLD', 'NOR', 'POL', 'PRT', 'ROU', 'SVK', 'SVN', 'ESP', 'TUR', 'GBR', 'USA',
];

/**
 * CSTO members in 2013. Source: Collective Security Treaty Organization, "Member states",
 * odkb-csto.org (official list, as of 2013). Uzbekistan had suspended its membership in
 * June 2012 and is not counted. Russia is drawn in its own faction's colour.
 */
export const CSTO_2013 = ['ARM', 'BLR', 'KAZ', 'KGZ', 'RUS', 'TJK'];

/** Faction colours: one palette for the whole client, defined in format.js. */
export { FACTION_COLOURS };

/**
 * Country names written on the map for orientation: [ISO alpha-3, text, lon, lat of the label].
 * Small countries with markers nearby (Belarus, Tajikistan) are left to their markers' titles.
 * The text is the English one; the map writes `desk.map.label.<ISO>` from the catalogue.
 */
const COUNTRY_LABELS = /** @type {[string, string, number, number][]} */ ([
  ['RUS', 'RUSSIA', 47, 61.5], ['KAZ', 'KAZAKHSTAN', 69, 50.6], ['UKR', 'UKRAINE', 32, 49.2],
  ['POL', 'POLAND', 19.4, 51.9], ['DEU', 'GERMANY', 10.3, 51.6], ['FRA', 'FRANCE', 2.4, 46.9],
  ['ESP', 'SPAIN', -3.7, 40.1], ['ITA', 'ITALY', 12.6, 43.2], ['GBR', 'UK', -1.9, 52.7],
  ['NOR', 'NORWAY', 8.4, 60.9], ['SWE', 'SWEDEN', 16.2, 64], ['FIN', 'FINLAND', 26.5, 63.3],
  ['ROU', 'ROMANIA', 25.3, 46.2], ['TUR', 'TURKEY', 33, 39.3], ['IRN', 'IRAN', 55.5, 33.8],
  ['AFG', 'AFGHANISTAN', 65.3, 34.4], ['UZB', 'UZBEKISTAN', 63.5, 42], ['TKM', 'TURKMENISTAN', 59, 39.2],
  ['KGZ', 'KYRGYZSTAN', 73.6, 41.3], ['ARM', 'ARMENIA', 44.9, 40.3], ['GRC', 'GREECE', 22, 39.6],
]);

/**
 * Marker kinds, in legend order. Their words are in the catalogue: `desk.map.kind.<kind>` in the
 * legend, `desk.map.count.<kind>` (a count of them) in the summary.
 */
const KINDS = /** @type {const} */ (['site', 'radar', 'ship', 'missile', 'member', 'infrastructure']);

/**
 * A country's name in the current language (`desk.map.country.<ISO>`), else the map data's.
 * @param {string} iso
 * @param {string} name
 */
function countryName(iso, name) {
  const key = `desk.map.country.${iso}`;
  return has(key) ? t(key) : name;
}

/**
 * A map feature's text from the scenario in the current language: the catalogue's
 * (`desk.map.place.<id>`, `desk.map.placeName.<id>`) where the scenario still carries the English
 * text the catalogue translates, else the scenario's own (already translated, or another map).
 * @param {string} key
 * @param {string} text
 */
function placeText(key, text) {
  if (locale() === 'en' || !has(key) || CATALOGUES.desk.en[key] !== text) return text;
  return t(key);
}

/**
 * The marker shape for a kind, centred on 0,0 (about 18 units across).
 * @param {string} kind
 * @returns {SVGElement}
 */
function shape(kind) {
  switch (kind) {
    case 'site':
      return svg('rect', { class: 'map-shape', x: -6, y: -6, width: 12, height: 12 });
    case 'radar':
      return svg('path', { class: 'map-shape', d: 'M0-8L8 6H-8z' });
    case 'ship':
      return svg('path', { class: 'map-shape', d: 'M-10-1H10L6 6H-6zM-3-1V-6H3V-1z' });
    case 'missile':
      return svg('circle', { class: 'map-shape', r: 6 });
    case 'member':
      return svg('path', { class: 'map-shape', d: starPath(8.5, 3.6) });
    case 'infrastructure':
      return svg('rect', { class: 'map-shape', x: -8, y: -3, width: 16, height: 6 });
    default:
      return svg('circle', { class: 'map-shape', r: 5 });
  }
}

/**
 * @param {number} outer
 * @param {number} inner
 */
function starPath(outer, inner) {
  let d = '';
  for (let i = 0; i < 10; i++) {
    const r = i % 2 ? inner : outer;
    const a = (Math.PI / 5) * i - Math.PI / 2;
    d += `${i ? 'L' : 'M'}${(r * Math.cos(a)).toFixed(1)} ${(r * Math.sin(a)).toFixed(1)}`;
  }
  return d + 'z';
}

/**
 * The point at a great-circle distance and bearing from a start point (spherical Earth).
 * @param {number} lon degrees
 * @param {number} lat degrees
 * @param {number} km distance
 * @param {number} bearing degrees clockwise from north
 * @returns {[number, number]} [lon, lat]
 */
export function destination(lon, lat, km, bearing) {
  const rad = Math.PI / 180;
  const d = km / 6371.0088;
  const p1 = lat * rad;
  const l1 = lon * rad;
  const b = bearing * rad;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [l2 / rad, p2 / rad];
}

/**
 * SVG path of the ring at `km` around a point: 90 great-circle points, projected.
 * @param {number} lon
 * @param {number} lat
 * @param {number} km
 */
function ringPath(lon, lat, km) {
  let d = '';
  for (let i = 0; i < 90; i++) {
    const [x, y] = project(...destination(lon, lat, km, i * 4));
    d += `${i ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
  }
  return d + 'z';
}

/** Graticule every 10 degrees over the map's area. */
function graticulePath() {
  let d = '';
  for (let lat = 30; lat <= 70; lat += 10) {
    for (let lon = -30; lon <= 100; lon += 2) {
      const [x, y] = project(lon, lat);
      d += `${lon === -30 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`;
    }
  }
  for (let lon = -30; lon <= 100; lon += 10) {
    for (let lat = 20; lat <= 80; lat += 2) {
      const [x, y] = project(lon, lat);
      d += `${lat === 20 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`;
    }
  }
  return d;
}

/** @param {number} n */
function fmtCount(n) {
  return num(n, 1);
}

/** @param {number} km */
function fmtKm(km) {
  return t('desk.map.km', { km: Math.round(km) });
}

/**
 * Creates the map for a scenario.
 * @param {{scenario: ScenarioLike, legend?: 'svg' | 'html' | 'none' | boolean, labels?: boolean,
 *   title?: string}} opts
 *   legend: 'svg' (default, or true) draws the legend inside the map, over North Africa;
 *   'html' returns it as `legendEl` (an HTML list with readable text at any map size) to place
 *   yourself; 'none' (or false) draws none;
 *   labels: write the names of the larger countries (default true);
 *   title: the first words of the accessible summary (default "Map of Europe and Central Asia").
 * @returns {{el: SVGSVGElement, list: HTMLElement, legendEl: HTMLElement | null,
 *   update: (view: ViewLike) => void}}
 *   el: the map; list: a visually hidden list of what the map shows (place it next to el);
 *   legendEl: the HTML legend when legend is 'html', else null;
 *   update(view): shows the features whose variable is at least 1 in view.vars.
 */
export function createMap({ scenario, legend = 'svg', labels = true, title = t('desk.map.title') }) {
  const factions = scenario.factions || [];
  const factionName = (/** @type {string | null | undefined} */ id) =>
    (id && factions.find((f) => f.id === id)?.name) || (id ?? t('desk.map.other'));
  const varName = (/** @type {string} */ id) =>
    (scenario.variables || []).find((v) => v.id === id)?.name || id;
  const hatchId = uniqueId('map-hatch');
  const clipId = uniqueId('map-clip');
  const W = VIEW.width;
  const H = VIEW.height;

  // --- Countries ------------------------------------------------------------------------------
  const nato = new Set(NATO_2013);
  const csto = new Set(CSTO_2013);
  const countryPaths = Object.entries(COUNTRIES).map(([iso, c]) => {
    const bloc = iso === 'RUS' ? 'russia' : nato.has(iso) ? 'nato' : csto.has(iso) ? 'csto' : 'none';
    const blocName = bloc === 'none' ? '' : t(`desk.map.bloc.${bloc}`);
    const name = countryName(iso, c.name);
    return svg(
      'path',
      { class: `map-country map-bloc-${bloc}`, d: c.d, 'data-iso': iso, fill: bloc === 'csto' ? `url(#${hatchId})` : null },
      svg('title', null, blocName ? `${name} (${blocName})` : name),
    );
  });

  // --- Features -------------------------------------------------------------------------------
  /** @type {{f: MapFeature, g: SVGElement, ring: SVGElement | null, ringLabel: SVGElement | null,
   *   count: SVGElement, title: SVGElement, li: HTMLElement, last: string}[]} */
  const items = [];
  const ringGroup = svg('g', { class: 'map-rings' });
  const markerGroup = svg('g', { class: 'map-markers' });
  const labelGroup = svg('g', { class: 'map-site-labels' });
  const listEl = h('ul', { class: 'map-list map-sr-only', 'aria-label': t('desk.map.list') });

  /** Where the country names go: [x, y, text]. @type {[number, number, string][]} */
  const countryLabelAt = COUNTRY_LABELS
    .filter(([iso]) => iso in COUNTRIES)
    .map(([iso, text, lon, lat]) => /** @type {[number, number, string]} */ ([...project(lon, lat), has(`desk.map.label.${iso}`) ? t(`desk.map.label.${iso}`) : text]));
  const features = scenario.map || [];
  const positions = spread(features.map((f) => project(f.lon, f.lat)));

  features.forEach((f, i) => {
    const [x, y] = positions[i];
    const fid = f.faction || 'other';
    const known = fid in FACTION_COLOURS;
    const colour = !known && f.faction ? factions.find((fa) => fa.id === f.faction)?.colour : undefined;
    const cls = `map-f-${known ? fid : 'other'}`;

    let ring = null;
    let ringLabel = null;
    if (f.range_km && f.range_km > 0) {
      ring = svg('path', { class: `map-ring ${cls}`, d: ringPath(f.lon, f.lat, f.range_km), stroke: colour });
      ringGroup.append(ring);
      // Label the ring where it is inside the view (south first, then round the compass).
      for (const b of [180, 200, 160, 135, 225, 45, 315, 90, 270, 0]) {
        const [lx, ly] = project(...destination(f.lon, f.lat, f.range_km, b));
        if (lx > 40 && lx < W - 40 && ly > 20 && ly < H - 10) {
          ringLabel = svg('text', { class: `map-ring-label ${cls}`, x: lx.toFixed(1), y: (ly + 4).toFixed(1), 'text-anchor': 'middle' }, fmtKm(f.range_km));
          ringGroup.append(ringLabel);
          break;
        }
      }
    }
    const titleEl = svg('title', null, '');
    // The marker's short name (and its count, "×2"), placed by placeLabels() once the map's
    // drawn size and the markers shown are known.
    const count = svg('text', { class: 'map-count', 'data-testid': 'map-site-label', 'aria-hidden': 'true' }, '');
    labelGroup.append(count);
    const s = shape(f.kind);
    if (colour) s.setAttribute('fill', colour);
    const g = svg('g', {
      class: `map-marker map-kind-${f.kind} ${cls}`,
      transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`,
      'data-feature': f.id,
    }, titleEl, s);
    markerGroup.append(g);
    const li = h('li', null, '');
    listEl.append(li);
    items.push({ f, g, ring, ringLabel, count, title: titleEl, li, last: '' });
  });

  // --- Legend ---------------------------------------------------------------------------------
  const entries = legendEntries(factions, scenario.map || []);
  const legendMode = legend === true ? 'svg' : legend === false ? 'none' : legend;
  const legendGroup = legendMode === 'svg' ? svgLegend(entries, hatchId, H) : null;
  const legendEl = legendMode === 'html' ? htmlLegend(entries) : null;

  const el = /** @type {SVGSVGElement} */ (svg('svg', {
    class: 'map',
    viewBox: `0 0 ${W} ${H}`,
    preserveAspectRatio: 'xMidYMid meet',
    role: 'img',
    'aria-label': title,
    'data-testid': 'map',
  },
  svg('defs', null,
    svg('pattern', { id: hatchId, patternUnits: 'userSpaceOnUse', width: 7, height: 7, patternTransform: 'rotate(45)' },
      svg('rect', { class: 'map-hatch-bg', width: 7, height: 7 }),
      svg('rect', { class: 'map-hatch-line', width: 2.5, height: 7 })),
    svg('clipPath', { id: clipId }, svg('rect', { width: W, height: H }))),
  svg('rect', { class: 'map-sea', width: W, height: H }),
  svg('path', { class: 'map-graticule', d: graticulePath() }),
  svg('g', { class: 'map-countries' }, countryPaths),
  labels ? svg('g', { class: 'map-labels', 'aria-hidden': 'true' }, countryLabelAt
    .map(([x, y, text]) => svg('text', { class: 'map-label', x: x.toFixed(1), y: y.toFixed(1), 'text-anchor': 'middle' }, text))) : null,
  svg('g', { 'clip-path': `url(#${clipId})` }, ringGroup, markerGroup, labelGroup),
  legendGroup,
  svg('rect', { class: 'map-frame', width: W, height: H })));

  let lastLabel = '';
  /** Text size in view-box units (set from the drawn width), and whether labels must move. */
  let textUnits = 14;
  let markScale = 1;
  let relabel = true;

  /** Places the shown markers' names where they overlap the least. */
  function placeSiteLabels() {
    relabel = false;
    const shown = items.map((it, i) => ({ it, at: positions[i] })).filter(({ it }) => it.last !== 'h');
    const r = 9 * markScale;
    const fs = textUnits;
    /** @type {[number, number, number, number, number][]} boxes taken: x0, y0, x1, y1, weight */
    const taken = shown.map(({ at: [x, y] }) => [x - r, y - r, x + r, y + r, 1]);
    // Country names may be covered, but less gladly than a marker or another name.
    if (labels) {
      for (const [x, y, text] of countryLabelAt) {
        const w = text.length * fs * 0.62;
        taken.push([x - w / 2, y - fs * 0.8, x + w / 2, y + fs * 0.2, 0.5]);
      }
    }
    for (const { it, at: [x, y] } of shown) {
      it.count.setAttribute('font-size', fs.toFixed(1));
      // The drawn width when the map is on screen; an estimate (bold text) when it is not.
      let measured = 0;
      try { measured = /** @type {SVGTextElement} */ (it.count).getComputedTextLength(); } catch { /* not rendered */ }
      const w = (measured > 0 ? measured : (it.count.textContent || '').length * fs * 0.62) + 2;
      /** @type {[number, number, string][]} baseline point and anchor */
      const spots = [
        [x + r + 3, y + fs * 0.35, 'start'], [x - r - 3, y + fs * 0.35, 'end'],
        [x, y - r - 4, 'middle'], [x, y + r + fs, 'middle'],
        [x + r + 2, y - r, 'start'], [x + r + 2, y + r + fs * 0.7, 'start'],
        [x - r - 2, y - r, 'end'], [x - r - 2, y + r + fs * 0.7, 'end'],
      ];
      let best = spots[0];
      let bestCost = Infinity;
      /** @type {[number, number, number, number, number]} */
      let bestBox = [0, 0, 0, 0, 1];
      for (const spot of spots) {
        const x0 = spot[2] === 'start' ? spot[0] : spot[2] === 'end' ? spot[0] - w : spot[0] - w / 2;
        /** @type {[number, number, number, number, number]} */
        const box = [x0, spot[1] - fs * 0.8, x0 + w, spot[1] + fs * 0.2, 1];
        let cost = 0;
        for (const t of taken) {
          const ox = Math.min(box[2], t[2]) - Math.max(box[0], t[0]);
          const oy = Math.min(box[3], t[3]) - Math.max(box[1], t[1]);
          if (ox > 0 && oy > 0) cost += ox * oy * t[4];
        }
        // Cut off by the map's edge is worse than any overlap.
        cost += 50 * (Math.max(0, -box[0]) * fs + Math.max(0, box[2] - W) * fs + Math.max(0, -box[1]) * w + Math.max(0, box[3] - H) * w);
        if (cost < bestCost) {
          best = spot;
          bestCost = cost;
          bestBox = box;
        }
        if (cost === 0) break;
      }
      it.count.setAttribute('x', best[0].toFixed(1));
      it.count.setAttribute('y', best[1].toFixed(1));
      it.count.setAttribute('text-anchor', best[2]);
      taken.push(bestBox);
    }
  }

  /** @param {ViewLike} view */
  function update(view) {
    const vars = (view && view.vars) || {};
    /** @type {Map<string, Map<string, number>>} faction -> kind -> count */
    const summary = new Map();
    for (const it of items) {
      const f = it.f;
      const n = f.shown_when ? Number(vars[f.shown_when] ?? 0) : 1;
      const shown = n >= 1;
      const key = shown ? `s${n}` : 'h';
      if (key !== it.last) {
        it.last = key;
        const disp = shown ? null : 'none';
        setDisplay(it.g, disp);
        setDisplay(it.count, disp);
        if (it.ring) setDisplay(it.ring, disp);
        if (it.ringLabel) setDisplay(it.ringLabel, disp);
        it.li.hidden = !shown;
        const multi = shown && n > 1;
        it.count.textContent = `${shortName(f)}${multi ? ` ×${fmtCount(n)}` : ''}`;
        relabel = true;
        let text = `${factionName(f.faction)}: ${placeText(`desk.map.placeName.${f.id}`, f.name)}`;
        if (multi && f.shown_when) text += ` — ${varName(f.shown_when)}: ${fmtCount(n)}`;
        if (f.range_km) text += t('desk.map.range', { km: fmtKm(f.range_km) });
        it.title.textContent = text;
        it.li.textContent = text;
      }
      if (shown) {
        const fk = f.faction || '';
        if (!summary.has(fk)) summary.set(fk, new Map());
        const m = /** @type {Map<string, number>} */ (summary.get(fk));
        m.set(f.kind, (m.get(f.kind) || 0) + (f.kind === 'ship' ? Math.round(n) : 1));
      }
    }
    const parts = [];
    for (const [fk, kinds] of summary) {
      const words = [];
      for (const kind of KINDS) {
        const c = kinds.get(kind);
        if (c) words.push(t(`desk.map.count.${kind}`, { count: c }));
      }
      for (const [kind, c] of kinds) if (!KINDS.some((k) => k === kind)) words.push(`${num(c)} ${kind}`);
      parts.push(`${fk ? factionName(fk) : t('desk.map.others')}: ${words.join(', ')}`);
    }
    const label = t('desk.map.summary', { title, parts: parts.join('; ') });
    if (label !== lastLabel) {
      lastLabel = label;
      el.setAttribute('aria-label', label);
    }
    if (relabel) placeSiteLabels();
  }

  // Markers keep a legible size when the map is drawn small (e.g. a phone): below 800 px wide
  // they are scaled up, at most 1.6 times. Names are written 14 px high on screen wherever the
  // map is 640 px wide or more (a desk, a projector at 1920×1080, full screen), and never
  // below 11 view-box units or above 22 (CSS vars and SVG attributes, no inline style).
  if (typeof ResizeObserver !== 'undefined') {
    let lastKey = '';
    new ResizeObserver((entries) => {
      const width = entries[entries.length - 1].contentRect.width;
      if (!width) return;
      const scale = Math.min(1.6, Math.max(1, 800 / width));
      const units = Math.min(22, Math.max(11, (14 * W) / width));
      const key = `${scale.toFixed(2)} ${units.toFixed(1)}`;
      if (key !== lastKey) {
        lastKey = key;
        markScale = scale;
        textUnits = units;
        el.style.setProperty('--map-mark', scale.toFixed(2));
        el.style.setProperty('--map-text', `${units.toFixed(1)}px`);
        placeSiteLabels();
      }
    }).observe(el);
  }

  update(null);
  return { el, list: listEl, legendEl, update };
}

/** Markers closer than this (view-box units) are pushed apart. */
const MIN_GAP = 16;

/**
 * Moves markers that would overlap apart a little (a few units, i.e. some tens of km), so that
 * neighbours such as Kaliningrad's Iskander and radar, or two features at one site, stay legible.
 * @param {[number, number][]} pts projected positions
 * @returns {[number, number][]}
 */
export function spread(pts) {
  const p = pts.map(([x, y]) => [x, y]);
  for (let iter = 0; iter < 30; iter++) {
    let moved = false;
    for (let i = 0; i < p.length; i++) {
      for (let j = i + 1; j < p.length; j++) {
        let dx = p[j][0] - p[i][0];
        let dy = p[j][1] - p[i][1];
        let d = Math.hypot(dx, dy);
        if (d >= MIN_GAP) continue;
        if (d < 0.01) {
          // Same place: the later one goes down-left, the earlier one up-right.
          dx = -0.7;
          dy = 0.7;
          d = 1;
        }
        const push = (MIN_GAP - d) / 2 + 0.01;
        const ux = dx / d;
        const uy = dy / d;
        p[i][0] -= ux * push;
        p[i][1] -= uy * push;
        p[j][0] += ux * push;
        p[j][1] += uy * push;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return /** @type {[number, number][]} */ (p);
}

/**
 * The short name written beside a marker: its `label`, else its name up to " (" or ",".
 * @param {MapFeature} f
 */
function shortName(f) {
  if (f.label) return placeText(`desk.map.place.${f.id}`, f.label);
  return placeText(`desk.map.placeName.${f.id}`, f.name).split(/ \(|,/)[0];
}

/**
 * @param {Element} el
 * @param {string | null} value
 */
function setDisplay(el, value) {
  if (value) el.setAttribute('display', value);
  else el.removeAttribute('display');
}

/**
 * @typedef {{col: number, text: string, bloc?: string, dot?: string, colour?: string, kind?: string}} LegendEntry
 */

/**
 * What the legend lists: bloc shading and marker colours (column 0), and the marker shapes of
 * the kinds the scenario uses (column 1).
 * @param {ScenarioFaction[]} factions
 * @param {MapFeature[]} features
 * @returns {LegendEntry[]}
 */
function legendEntries(factions, features) {
  const name = (/** @type {string} */ id, /** @type {string} */ dflt) => factions.find((f) => f.id === id)?.name || dflt;
  /** @type {LegendEntry[]} */
  const out = [
    { col: 0, bloc: 'nato', text: t('desk.map.legend.nato') },
    { col: 0, bloc: 'russia', text: name('russia', t('desk.map.bloc.russia')) },
    { col: 0, bloc: 'csto', text: t('desk.map.legend.csto') },
  ];
  for (const [id, colour] of Object.entries(FACTION_COLOURS)) {
    if (factions.some((f) => f.id === id)) out.push({ col: 0, dot: id, colour, text: t('desk.map.marker', { faction: name(id, id) }) });
  }
  const used = new Set(features.map((f) => f.kind));
  for (const kind of KINDS) if (used.has(kind)) out.push({ col: 1, kind, text: t(`desk.map.kind.${kind}`) });
  return out;
}

/**
 * The sample drawing of a legend entry, centred on 0,0.
 * @param {LegendEntry} e
 * @param {string | null} hatchId the CSTO hatch pattern (null: a plain CSTO tint)
 */
function legendSample(e, hatchId) {
  if (e.bloc) {
    return svg('rect', {
      class: `map-country map-bloc-${e.bloc}`, x: -8, y: -6, width: 16, height: 12,
      fill: e.bloc === 'csto' && hatchId ? `url(#${hatchId})` : null,
    });
  }
  if (e.dot) return svg('circle', { class: `map-legend-dot map-f-${e.dot}`, r: 5.5, fill: e.colour });
  return svg('g', { class: `map-marker map-kind-${e.kind} map-f-legend` }, shape(e.kind || ''));
}

/**
 * The legend drawn inside the map, in two columns at the bottom left (over North Africa).
 * @param {LegendEntry[]} entries
 * @param {string} hatchId
 * @param {number} viewHeight
 */
function svgLegend(entries, hatchId, viewHeight) {
  const LINE = 20;
  const COL = 158;
  const rowsOf = [0, 0];
  const cells = entries.map((e) => {
    const r = rowsOf[e.col]++;
    return svg('g', { transform: `translate(${e.col * COL} ${r * LINE})` },
      legendSample(e, hatchId), svg('text', { class: 'map-legend-text', x: 16, y: 5 }, e.text));
  });
  const rows = Math.max(...rowsOf);
  const w = 2 * COL + 4;
  const hgt = rows * LINE + 8;
  return svg('g', { class: 'map-legend', transform: `translate(8 ${viewHeight - hgt - 8})`, 'aria-hidden': 'true' },
    svg('g', { class: 'map-legend-scale' },
      svg('rect', { class: 'map-legend-box', x: 0, y: 0, width: w, height: hgt, rx: 4 }),
      svg('g', { transform: 'translate(14 14)' }, cells)));
}

/**
 * The legend as an HTML list (text at the page's size), each entry with a small drawing.
 * @param {LegendEntry[]} entries
 */
function htmlLegend(entries) {
  return h('ul', { class: 'map-key', 'aria-label': t('desk.map.legend') }, entries.map((e) =>
    h('li', { class: 'map-key-item' },
      e.bloc
        ? h('span', { class: `map-key-swatch map-key-${e.bloc}`, 'aria-hidden': 'true' })
        : svg('svg', { class: 'map-key-icon', viewBox: '-11 -11 22 22', width: 18, height: 18, 'aria-hidden': 'true', focusable: 'false' },
          legendSample(e, null)),
      e.text)));
}
