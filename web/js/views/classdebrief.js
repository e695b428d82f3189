// @ts-check
/**
 * The debrief across a class's tables (`/class/<id>/debrief`, the teacher's or a student's
 * token): one page that compares the tables — how each ended, the scores, agreements signed,
 * kept and broken (undetected breaches revealed once a game has ended), crises, tension and each
 * faction's perceived deterrence balance over the rounds overlaid, and where the tables' choices
 * first differed. Printable. What it shows of each table is what the server's view function
 * lets this reader see (`GET /api/classes/{id}/debrief`).
 *
 * Test ids: `class-debrief`, `debrief-print`, `debrief-status`, `debrief-comparison`,
 * `debrief-row` (`data-table`), `debrief-charts`, `chart` (`data-title`), `debrief-difference`,
 * `debrief-table` (`data-table`), `debrief-breach` (`data-detected`).
 * @module views/classdebrief
 */

import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { setScenario, getScenario, factionName, num, statusText, endingText, andList } from '../format.js';
import { lineChart, PALETTE } from '../components/charts.js';
import { ensureStyles, statusClass, swatch } from './viewkit.js';

/** Per table: its own colour, dash and marker, so the overlaid lines read in print too. */
const TABLE_STYLE = [
  { dash: '', marker: 'circle' }, { dash: '7 3', marker: 'square' }, { dash: '2 3', marker: 'triangle' },
  { dash: '9 3 2 3', marker: 'diamond' },
];

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  ensureStyles();
  const classId = /** @type {string} */ (ctx.classId);
  const token = /** @type {string} */ (ctx.classToken);
  let alive = true;
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the debrief…'));
  replace(root, h('div', { class: 'class-debrief', 'data-testid': 'class-debrief' }, body));

  /** @param {any} t */
  const tableName = (t) => `Table ${t.table + 1}`;
  /** @param {number} i */
  const style = (i) => ({ colour: PALETTE[i % PALETTE.length], ...TABLE_STYLE[i % TABLE_STYLE.length] });

  /** @param {any} d */
  function render(d) {
    const factions = (getScenario()?.factions || []).map((/** @type {any} */ f) => f.id);
    const ended = d.tables.filter((/** @type {any} */ t) => t.phase === 'ended').length;
    const labels = d.tables.reduce((/** @type {string[]} */ acc, /** @type {any} */ t) => (t.rounds.length > acc.length ? t.rounds.map((/** @type {any} */ r) => r.label) : acc), []);
    const kept = (/** @type {any} */ t) => t.agreements.filter((/** @type {any} */ a) => ['in_force', 'expired'].includes(a.status.status)).length;
    const broken = (/** @type {any} */ t) => t.agreements.filter((/** @type {any} */ a) => a.status.status === 'broken').length;
    const hidden = (/** @type {any} */ t) => t.breaches.filter((/** @type {any} */ b) => !b.detected).length;

    const comparison = h('section', { class: 'panel', 'aria-labelledby': 'db-cmp-h' },
      h('h2', { id: 'db-cmp-h' }, 'The tables side by side'),
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'The tables side by side (scrolls sideways)' }, h('table', { class: 'table', 'data-testid': 'debrief-comparison' },
      h('caption', { class: 'visually-hidden' }, 'The tables side by side'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Table'),
        h('th', { scope: 'col' }, 'How it ended'),
        factions.map((/** @type {string} */ f) => h('th', { scope: 'col' }, swatch(f), `${factionName(f)} score`)),
        h('th', { scope: 'col' }, 'Agreements signed'),
        h('th', { scope: 'col' }, 'Kept'),
        h('th', { scope: 'col' }, 'Broken'),
        h('th', { scope: 'col' }, 'Undetected breaches'),
        h('th', { scope: 'col' }, 'Crises'))),
      h('tbody', null, d.tables.map((/** @type {any} */ t) => h('tr', { 'data-testid': 'debrief-row', 'data-table': String(t.table) },
        h('th', { scope: 'row' }, t.title || tableName(t)),
        h('td', null, t.phase === 'ended' ? endingText(t.ending) : `still playing (${t.rounds.length} round${t.rounds.length === 1 ? '' : 's'} so far)`),
        factions.map((/** @type {string} */ f) => h('td', { class: 'num' }, t.scores[f] == null ? '–' : num(t.scores[f], 1))),
        h('td', { class: 'num' }, String(t.agreements.length)),
        h('td', { class: 'num' }, String(kept(t))),
        h('td', { class: 'num' }, String(broken(t))),
        h('td', { class: 'num' }, t.phase === 'ended' || d.reader === 'teacher' ? String(hidden(t)) : 'hidden until the end'),
        h('td', { class: 'num' }, String(t.crises))))))));

    /** @param {string} title @param {(r: any) => number | null | undefined} pick */
    const overlay = (title, pick) => lineChart({
      title, labels, yMin: 0, yMax: 100, digits: 1,
      series: d.tables.map((/** @type {any} */ t, /** @type {number} */ i) => ({
        name: t.title || tableName(t), ...style(i),
        points: t.rounds.map((/** @type {any} */ r) => [r.round, pick(r)]).filter((/** @type {any} */ p) => p[1] != null),
      })).filter((/** @type {any} */ s) => s.points.length),
    });
    const played = Math.min(...d.tables.map((/** @type {any} */ t) => t.rounds.length));
    const charts = h('section', { class: 'panel', 'data-testid': 'debrief-charts', 'aria-labelledby': 'db-charts-h' },
      h('h2', { id: 'db-charts-h' }, 'Over the rounds, table by table'),
      labels.length === 0 ? h('p', { class: 'muted' }, 'No round has been adjudicated yet: the lines start after the first orders phase.') : h('div', { class: 'charts debrief-charts' },
        overlay('Tension', (r) => r.tension),
        factions.map((/** @type {string} */ f) => overlay(`Deterrence balance as ${factionName(f)} sees it`, (r) => r.balance[f])),
        d.tables.some((/** @type {any} */ t) => t.rounds.some((/** @type {any} */ r) => r.technical_balance != null))
          ? overlay('Deterrence balance (the technical truth)', (r) => r.technical_balance) : null));

    const diff = d.first_difference;
    const difference = h('section', { class: 'panel', 'data-testid': 'debrief-difference', 'aria-labelledby': 'db-diff-h' },
      h('h2', { id: 'db-diff-h' }, 'Where the tables\' choices first differed'),
      !diff ? h('p', { class: 'muted' }, d.tables.length < 2 ? 'One table: nothing to compare.'
        : played === 0 ? 'No round has been played at every table yet.'
          : 'The tables gave the same orders in every round they all played (as far as you may see them).')
        : [h('p', null, `In ${diff.label} (round ${diff.round + 1}), the orders were not the same at every table. What each table ordered that not every table did:`),
          h('ul', null, diff.tables.map((/** @type {[number, any[]]} */ [n, orders]) => h('li', null,
            h('strong', null, `Table ${n + 1}: `),
            orders.length ? andList(orders.map((o) => `${factionName(o.faction)} — ${o.name}${o.quantity > 1 ? ` ×${o.quantity}` : ''}`)) : 'nothing the others did not also order')))]);

    const tables = d.tables.map((/** @type {any} */ t) => h('section', { class: 'panel', 'data-testid': 'debrief-table', 'data-table': String(t.table), 'aria-labelledby': `db-t-${t.table}` },
      h('h2', { id: `db-t-${t.table}` }, t.title || tableName(t)),
      h('h3', null, 'Agreements'),
      t.agreements.length ? h('ul', { class: 'plain-list' }, t.agreements.map((/** @type {any} */ a) => h('li', { class: 'agreement-line' },
        h('strong', null, a.title), ` — ${andList(a.parties.map(factionName))}, signed in round ${a.signed_round + 1} `,
        h('span', { class: ['tag', statusClass(a.status)] }, statusText(a.status)))))
        : h('p', { class: 'muted' }, 'No agreement signed.'),
      h('h3', null, 'Breaches'),
      t.breaches.length ? h('ul', { class: 'plain-list' }, t.breaches.map((/** @type {any} */ b) => h('li', { 'data-testid': 'debrief-breach', 'data-detected': String(b.detected) },
        `Round ${b.round + 1}: ${factionName(b.by)} broke “${b.agreement_title}” (${b.what}) — `,
        b.detected ? h('span', { class: 'tag danger' }, 'detected') : h('span', { class: 'tag warn' }, 'undetected at the time'))))
        : h('p', { class: 'muted' }, 'No breach found.')));

    replace(body,
      h('div', { class: 'panel after-head' },
        h('h1', null, `${d.name}: debrief across ${d.tables.length} tables`),
        h('p', { 'data-testid': 'debrief-status' }, ended === d.tables.length ? 'Every table has ended.'
          : `${ended} of ${d.tables.length} tables have ended. A table still playing shows ${d.reader === 'teacher' ? 'everything to you, its Control' : 'only its public side'} until it ends.`),
        h('p', { class: 'no-print' },
          h('button', { type: 'button', class: 'button', 'data-testid': 'debrief-print', onclick: () => window.print() }, 'Print'), ' ',
          d.reader === 'teacher' ? h('a', { href: `/class/${classId}`, 'data-link': true, class: 'button subtle' }, 'Back to the class console') : null)),
      comparison, charts, difference, ...tables);
  }

  (async () => {
    try {
      const d = await api.classDebrief(classId, token);
      if (!alive) return;
      if (!getScenario() || getScenario().id !== d.scenario) {
        try { setScenario(await api.scenario(d.scenario)); } catch { /* names fall back to ids */ }
      }
      if (alive) render(d);
    } catch (e) {
      if (alive) replace(body, h('section', { class: 'panel notice' }, h('h1', null, 'The debrief could not be loaded'), h('p', null, `${/** @type {any} */ (e).message || e}`)));
    }
  })();

  return { unmount() { alive = false; } };
}
