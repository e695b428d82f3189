// Generates web/js/mapdata.js: country outlines of Europe and Central Asia, projected and
// simplified, for the Détente map (web/js/components/map.js).
//
//   cd web/tools/map && npm ci && node generate.mjs
//
// Source: Natural Earth 1:50m admin-0 countries (public domain) as TopoJSON, from the npm
// package world-atlas (ISC licence). Not part of the served client (web/tools is not embedded).
//
// Steps: simplify the topology (shared borders are simplified once, so neighbours still meet),
// project with d3's Lambert conformal conic, clip to the view box, round to 0.1 unit, drop
// specks, and write compact relative SVG paths. Then import the written module and check its
// plain-JS forward projection against d3's for a set of cities (prints the max error).

import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, resolve } from 'node:path';
import { geoConicConformal, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import { presimplify, simplify, sphericalTriangleArea } from 'topojson-simplify';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = resolve(here, '../../js/mapdata.js');
const require = (p) => JSON.parse(readFileSync(resolve(here, 'node_modules', p), 'utf8'));
const atlasPkg = require('world-atlas/package.json');
const topology = require('world-atlas/countries-50m.json');

// ---- Parameters -------------------------------------------------------------------------
const WIDTH = 1000;
const LON0 = 35; // central meridian
const PARALLELS = [40, 60]; // standard parallels
// Points that must be inside the view: the Atlantic coasts, North Cape, the Urals, Central
// Asia with Kyrgyzstan and Tajikistan, the Afghan border and Kabul, Tehran, Crete, the Levant.
const MUST_SEE = [
  [-11, 52], [-10, 36.6], [-6.5, 35.2], [25.8, 71.2], [60, 68.5], [80.2, 42.8],
  [75.2, 36.8], [69.2, 33.5], [51.4, 33.5], [34.5, 31], [25, 33.5], [13, 36.5],
];
const MIN_WEIGHT_PX2 = 0.6; // drop points whose triangle (with its neighbours) is under this many square units
const MIN_RING_AREA = 6; // drop rings (islets) smaller than this many square units
const PRECISION = 10; // coordinates in tenths of a unit

// ---- ISO 3166-1 numeric -> alpha-3 (Natural Earth adm0_a3 for the ones without a code) ------
const ALPHA3 = {
  '008': 'ALB', '012': 'DZA', '020': 'AND', '031': 'AZE', '040': 'AUT', '051': 'ARM',
  '056': 'BEL', '070': 'BIH', '100': 'BGR', '112': 'BLR', '191': 'HRV', '196': 'CYP',
  '203': 'CZE', '208': 'DNK', '233': 'EST', '234': 'FRO', '246': 'FIN', '248': 'ALA',
  '250': 'FRA', '268': 'GEO', '276': 'DEU', '292': 'GIB', '300': 'GRC', '348': 'HUN',
  '352': 'ISL', '372': 'IRL', '380': 'ITA', '398': 'KAZ', '417': 'KGZ', '428': 'LVA',
  '438': 'LIE', '440': 'LTU', '442': 'LUX', '470': 'MLT', '492': 'MCO', '498': 'MDA',
  '499': 'MNE', '528': 'NLD', '578': 'NOR', '616': 'POL', '620': 'PRT', '642': 'ROU',
  '643': 'RUS', '674': 'SMR', '688': 'SRB', '703': 'SVK', '705': 'SVN', '724': 'ESP',
  '752': 'SWE', '756': 'CHE', '762': 'TJK', '792': 'TUR', '795': 'TKM', '804': 'UKR',
  '807': 'MKD', '826': 'GBR', '831': 'GGY', '832': 'JEY', '833': 'IMN', '860': 'UZB',
  '336': 'VAT', '004': 'AFG', '364': 'IRN', '368': 'IRQ', '760': 'SYR', '422': 'LBN',
  '376': 'ISR', '275': 'PSE', '400': 'JOR', '682': 'SAU', '818': 'EGY', '434': 'LBY',
  '788': 'TUN', '504': 'MAR', '586': 'PAK', '356': 'IND', '156': 'CHN', '496': 'MNG',
  '414': 'KWT', '048': 'BHR', '634': 'QAT', '784': 'ARE', '512': 'OMN', '744': 'SJM',
  '304': 'GRL', '732': 'ESH', '478': 'MRT', '466': 'MLI', '562': 'NER', '148': 'TCD',
  '729': 'SDN', '887': 'YEM', '524': 'NPL', '064': 'BTN',
};
const NO_ID = { Kosovo: 'KOS', 'N. Cyprus': 'CYN', 'Siachen Glacier': 'KAS' };
// Shorter or period-correct display names where Natural Earth's differ.
const NAMES = {
  BIH: 'Bosnia and Herzegovina', CZE: 'Czech Republic', MKD: 'Macedonia (FYROM)',
  CYN: 'Northern Cyprus', MDA: 'Moldova', RUS: 'Russia', GBR: 'United Kingdom',
};

// ---- Projection ---------------------------------------------------------------------------
const must = { type: 'MultiPoint', coordinates: MUST_SEE };
const projection = geoConicConformal().rotate([-LON0, 0]).parallels(PARALLELS).fitWidth(WIDTH - 20, must);
{
  // centre with a 10-unit margin
  const [[x0, y0], [x1, y1]] = geoPath(projection).bounds(must);
  const [tx, ty] = projection.translate();
  projection.translate([tx - x0 + 10, ty - y0 + 10]);
  var HEIGHT = Math.ceil(y1 - y0 + 20);
}
projection.clipExtent([[0, 0], [WIDTH, HEIGHT]]);

// ---- Simplify on the topology (shared arcs stay shared) ------------------------------------
const pre = presimplify(topology, sphericalTriangleArea);
const k = projection.scale();
// Weights are spherical triangle areas (steradians); a square unit of the view box is about
// 1/k^2 steradians near the standard parallels (k = the projection scale, units per radian).
const minWeight = MIN_WEIGHT_PX2 / (k * k);
const simple = simplify(pre, minWeight);

// ---- Project, clip, round, encode ------------------------------------------------------------
/** Records the rings d3 draws, rounded to integers in PRECISION units. */
function ringRecorder() {
  /** @type {number[][][]} */
  const rings = [];
  /** @type {number[][]} */
  let cur = [];
  const push = (x, y) => {
    const p = [Math.round(x * PRECISION), Math.round(y * PRECISION)];
    const last = cur[cur.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) cur.push(p);
  };
  return {
    rings,
    moveTo(x, y) { cur = []; rings.push(cur); push(x, y); },
    lineTo(x, y) { push(x, y); },
    closePath() {},
    arc() {},
  };
}

function ringArea(r) {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += r[j][0] * r[i][1] - r[i][0] * r[j][1];
  return Math.abs(a / 2) / (PRECISION * PRECISION);
}

function num(v) {
  // v in tenths -> shortest decimal text
  const s = (v / PRECISION).toString();
  return s.replace(/^(-?)0\./, '$1.');
}

function encode(rings) {
  let d = '';
  for (const r of rings) {
    let [px, py] = r[0];
    d += `M${num(px)} ${num(py)}l`;
    let first = true;
    for (let i = 1; i < r.length; i++) {
      const dx = r[i][0] - px, dy = r[i][1] - py;
      px = r[i][0]; py = r[i][1];
      for (const v of [dx, dy]) {
        const t = num(v);
        d += first || t.startsWith('-') ? t : ' ' + t;
        first = false;
      }
    }
    d += 'z';
  }
  return d;
}

const countries = {};
let dropped = [];
for (const geom of simple.objects.countries.geometries) {
  const name = geom.properties.name;
  const code = geom.id ? ALPHA3[geom.id] : NO_ID[name];
  const rec = ringRecorder();
  geoPath(projection, rec)(feature(simple, geom));
  const rings = rec.rings.filter((r) => r.length >= 3 && ringArea(r) >= MIN_RING_AREA);
  if (!rings.length) continue;
  if (!code) { dropped.push(`${geom.id} ${name}`); continue; }
  countries[code] = { name: NAMES[code] || name, d: encode(rings) };
}
if (dropped.length) {
  console.error('No alpha-3 code for these countries in view; add them to ALPHA3:', dropped);
  process.exit(1);
}

// ---- Write the module ---------------------------------------------------------------------
const [tx, ty] = projection.translate();
const PROJ = { type: 'conicConformal', lon0: LON0, parallels: PARALLELS, scale: k, translate: [tx, ty] };

// d3's projection centre is [0, 0] here (no .center()), so screen = translate + scale * (x, -y)
// of the raw projection, with lambda rotated by -lon0.
const projectSrc = `/**
 * Forward Lambert conformal conic, the same formula as d3-geo's geoConicConformal with
 * rotate([-lon0, 0]) and parallels(parallels), followed by scale and translate.
 * @param {number} lon degrees east
 * @param {number} lat degrees north
 * @returns {[number, number]} view-box coordinates
 */
export function project(lon, lat) {
  const rad = Math.PI / 180;
  const halfPi = Math.PI / 2;
  const tany = (/** @type {number} */ y) => Math.tan((halfPi + y) / 2);
  const y0 = PROJECTION.parallels[0] * rad;
  const y1 = PROJECTION.parallels[1] * rad;
  const cy0 = Math.cos(y0);
  const n = y0 === y1 ? Math.sin(y0) : Math.log(cy0 / Math.cos(y1)) / Math.log(tany(y1) / tany(y0));
  const f = (cy0 * Math.pow(tany(y0), n)) / n;
  let x = (lon - PROJECTION.lon0) * rad;
  x = ((((x + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI; // wrap to [-pi, pi)
  let y = lat * rad;
  if (f > 0) { if (y < -halfPi + 1e-6) y = -halfPi + 1e-6; } else if (y > halfPi - 1e-6) y = halfPi - 1e-6;
  const r = f / Math.pow(tany(y), n);
  const rx = r * Math.sin(n * x);
  const ry = f - r * Math.cos(n * x);
  return [PROJECTION.translate[0] + PROJECTION.scale * rx, PROJECTION.translate[1] - PROJECTION.scale * ry];
}
`;

const body = Object.entries(countries)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([c, v]) => `  ${c}: { name: ${JSON.stringify(v.name)}, d: ${JSON.stringify(v.d)} },`)
  .join('\n');

const out = `// @ts-check
// GENERATED by web/tools/map/generate.mjs - do not edit by hand. Regenerate with:
//   cd web/tools/map && npm ci && node generate.mjs
// Source: Natural Earth 1:50m Cultural Vectors, Admin 0 - Countries (public domain,
// naturalearthdata.com), as TopoJSON from the npm package world-atlas ${atlasPkg.version} (ISC licence,
// Mike Bostock). Projected with d3-geo's Lambert conformal conic, simplified with topojson-simplify.
// Borders are Natural Earth's de facto ones and imply no position on any dispute.

/** The view box: 0 0 width height. */
export const VIEW = { width: ${WIDTH}, height: ${HEIGHT} };

/** The projection that made the paths; project() below applies it to a lon/lat. */
export const PROJECTION = {
  type: 'conicConformal',
  lon0: ${LON0},
  parallels: /** @type {[number, number]} */ ([${PARALLELS.join(', ')}]),
  scale: ${k},
  translate: /** @type {[number, number]} */ ([${tx}, ${ty}]),
};

${projectSrc}
/**
 * Country outlines in view, keyed by ISO 3166-1 alpha-3 (Natural Earth's adm0_a3 where ISO has
 * none: KOS Kosovo, CYN Northern Cyprus). d is an SVG path in view-box units.
 * @type {Record<string, {name: string, d: string}>}
 */
export const COUNTRIES = {
${body}
};
`;
writeFileSync(OUT, out);

// ---- Check the shipped forward formula against d3 ----------------------------------------------
const mod = await import(pathToFileURL(OUT).href + '?t=' + Date.now());
const CITIES = {
  Lisbon: [-9.14, 38.72], Dublin: [-6.26, 53.35], Brussels: [4.42, 50.88], Rota: [-6.35, 36.62],
  Deveselu: [24.41, 44.08], Redzikowo: [17.1, 54.48], Kaliningrad: [20.5, 54.71], Moscow: [37.62, 55.76],
  Minsk: [27.57, 53.9], Kurecik: [37.87, 38.24], Tehran: [51.39, 35.69], Dushanbe: [68.77, 38.56],
  Kabul: [69.17, 34.53], Bishkek: [74.59, 42.87], Astana: [71.45, 51.17], NorthCape: [25.78, 71.17],
  Yerevan: [44.51, 40.18], Ulyanovsk: [48.23, 54.27], Reykjavik: [-21.9, 64.1],
};
let maxErr = 0;
for (const [name, [lon, lat]] of Object.entries(CITIES)) {
  const a = projection([lon, lat]);
  const b = mod.project(lon, lat);
  const e = Math.hypot(a[0] - b[0], a[1] - b[1]);
  if (e > maxErr) maxErr = e;
  if (e > 1e-6) console.log(`  ${name}: d3 ${a} ours ${b} err ${e}`);
}
const raw = Buffer.byteLength(out);
console.log(`wrote ${OUT}`);
console.log(`view ${WIDTH}x${HEIGHT}, ${Object.keys(countries).length} countries`);
console.log(`size ${raw} B raw, ${gzipSync(out, { level: 9 }).length} B gzip`);
console.log(`forward projection max error vs d3 over ${Object.keys(CITIES).length} cities: ${maxErr.toExponential(2)} units`);
if (maxErr > 0.01) { console.error('projection mismatch'); process.exit(1); }
