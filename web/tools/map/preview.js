// @ts-check
// Development preview of the map component (web/tools is not embedded in the binary).
// Serve with `detente serve --web-dir web` and open /tools/map/preview.html. The scenario comes
// from GET /api/scenarios/missile-defence-2013, or else from fixture-scenario.json (not committed),
// made from the repository root with:
//   python3 -c "import tomllib,json; d=tomllib.load(open('server/scenarios/missile-defence-2013.toml','rb'));
//     json.dump({k: d[k] for k in ('factions','variables','map')}, open('web/tools/map/fixture-scenario.json','w'))"
import { createMap } from '../../js/components/map.js';
import { h } from '../../js/dom.js';

const STATES = /** @type {Record<string, Record<string, number>>} */ ({
  none: {},
  initial: { tpy2_radar: 1, aegis_ships_med: 1, isaf_presence: 1 },
  escalated: {
    tpy2_radar: 1, aegis_ships_med: 3, rota_destroyers: 4, deveselu_built: 1, redzikowo_built: 1,
    redzikowo_iib: 1, north_sea_iib_ships: 2, nato_infrastructure: 2, iskander_kaliningrad: 2,
    voronezh_kaliningrad: 1, ru_systems_belarus: 1, nato_transit: 1, isaf_presence: 1,
  },
});

async function loadScenario() {
  for (const url of ['/api/scenarios/missile-defence-2013', 'fixture-scenario.json']) {
    try {
      const r = await fetch(url);
      if (r.ok) return await r.json();
    } catch { /* next */ }
  }
  throw new Error('no scenario: run the server, or make fixture-scenario.json (see generate.mjs)');
}

const params = new URLSearchParams(location.search);
const root = /** @type {HTMLElement} */ (document.getElementById('map'));
if (params.get('width')) root.style.setProperty('--w', `${params.get('width')}px`);
const scenario = await loadScenario();
const t0 = performance.now();
const legend = /** @type {'svg' | 'html' | 'none'} */ (params.get('legend') || 'svg');
const map = createMap({ scenario, legend });
root.append(map.el, map.list);
if (map.legendEl) root.append(map.legendEl);
const t1 = performance.now();
const summary = /** @type {HTMLElement} */ (document.getElementById('summary'));
function show(/** @type {string} */ name) {
  const t = performance.now();
  map.update({ vars: STATES[name] });
  summary.textContent = `state ${name}: update ${(performance.now() - t).toFixed(2)} ms, create ${(t1 - t0).toFixed(1)} ms\n` +
    `${map.el.getAttribute('aria-label')}\n\n${[...map.list.querySelectorAll('li:not([hidden])')].map((li) => li.textContent).join('\n')}`;
}
const buttons = /** @type {HTMLElement} */ (document.getElementById('buttons'));
for (const name of Object.keys(STATES)) buttons.append(h('button', { type: 'button', onclick: () => show(name) }, name));
show(params.get('state') || 'initial');
document.body.dataset.ready = '1';
