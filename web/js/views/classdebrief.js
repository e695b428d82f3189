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
import { t as tr, errorText } from '../i18n.js';

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
  // A branch beside its original (`/game/<id>/compare`), in the same form as a class's tables.
  const compare = ctx.compareGameId || null;
  let alive = true;
  const body = h('div', null, h('p', { class: 'loading' }, tr('classes.debrief.loading')));
  replace(root, h('div', { class: 'class-debrief', 'data-testid': 'class-debrief' }, body));

  /** @param {any} t */
  const tableName = (t) => (compare ? tr(t.table === 0 ? 'branches.original' : 'branches.branch') : tr('classes.table', { table: t.table + 1 }));
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
      h('h2', { id: 'db-cmp-h' }, tr('classes.debrief.sideBySide')),
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': tr('classes.debrief.sideBySideRegion') }, h('table', { class: 'table', 'data-testid': 'debrief-comparison' },
      h('caption', { class: 'visually-hidden' }, tr('classes.debrief.sideBySide')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, tr('classes.debrief.colTable')),
        h('th', { scope: 'col' }, tr('classes.debrief.colEnding')),
        factions.map((/** @type {string} */ f) => h('th', { scope: 'col' }, swatch(f), tr('classes.debrief.colScore', { faction: factionName(f) }))),
        h('th', { scope: 'col' }, tr('classes.debrief.colSigned')),
        h('th', { scope: 'col' }, tr('classes.debrief.colKept')),
        h('th', { scope: 'col' }, tr('classes.debrief.colBroken')),
        h('th', { scope: 'col' }, tr('classes.debrief.colUndetected')),
        h('th', { scope: 'col' }, tr('classes.debrief.colCrises')))),
      h('tbody', null, d.tables.map((/** @type {any} */ t) => h('tr', { 'data-testid': 'debrief-row', 'data-table': String(t.table) },
        h('th', { scope: 'row' }, t.title || tableName(t)),
        h('td', null, t.phase === 'ended' ? endingText(t.ending) : tr('classes.debrief.stillPlaying', { count: t.rounds.length })),
        factions.map((/** @type {string} */ f) => h('td', { class: 'num' }, t.scores[f] == null ? '–' : num(t.scores[f], 1))),
        h('td', { class: 'num' }, String(t.agreements.length)),
        h('td', { class: 'num' }, String(kept(t))),
        h('td', { class: 'num' }, String(broken(t))),
        h('td', { class: 'num' }, t.phase === 'ended' || d.reader === 'teacher' ? String(hidden(t)) : tr('classes.debrief.hiddenUntilEnd')),
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
      h('h2', { id: 'db-charts-h' }, tr('classes.debrief.overRounds')),
      labels.length === 0 ? h('p', { class: 'muted' }, tr('classes.debrief.noRounds')) : h('div', { class: 'charts debrief-charts' },
        overlay(tr('classes.debrief.chartTension'), (r) => r.tension),
        factions.map((/** @type {string} */ f) => overlay(tr('classes.debrief.chartBalance', { faction: factionName(f) }), (r) => r.balance[f])),
        d.tables.some((/** @type {any} */ t) => t.rounds.some((/** @type {any} */ r) => r.technical_balance != null))
          ? overlay(tr('classes.debrief.chartTechnical'), (r) => r.technical_balance) : null));

    const diff = d.first_difference;
    const difference = h('section', { class: 'panel', 'data-testid': 'debrief-difference', 'aria-labelledby': 'db-diff-h' },
      h('h2', { id: 'db-diff-h' }, tr('classes.debrief.difference')),
      !diff ? h('p', { class: 'muted' }, d.tables.length < 2 ? tr('classes.debrief.oneTable')
        : played === 0 ? tr('classes.debrief.notPlayedEverywhere')
          : tr('classes.debrief.sameOrders'))
        : [h('p', null, tr('classes.debrief.differed', { label: diff.label, round: diff.round + 1 })),
          h('ul', null, diff.tables.map((/** @type {[number, any[]]} */ [n, orders]) => h('li', null,
            h('strong', null, tr('classes.debrief.tableLabel', { table: n + 1 })),
            orders.length ? andList(orders.map((o) => `${factionName(o.faction)} — ${o.name}${o.quantity > 1 ? ` ×${o.quantity}` : ''}`)) : tr('classes.debrief.nothingElse'))))]);

    const tables = d.tables.map((/** @type {any} */ t) => h('section', { class: 'panel', 'data-testid': 'debrief-table', 'data-table': String(t.table), 'aria-labelledby': `db-t-${t.table}` },
      h('h2', { id: `db-t-${t.table}` }, t.title || tableName(t)),
      h('h3', null, tr('classes.debrief.agreements')),
      t.agreements.length ? h('ul', { class: 'plain-list' }, t.agreements.map((/** @type {any} */ a) => h('li', { class: 'agreement-line' },
        h('strong', null, a.title), tr('classes.debrief.signedIn', { parties: andList(a.parties.map(factionName)), round: a.signed_round + 1 }),
        h('span', { class: ['tag', statusClass(a.status)] }, statusText(a.status)))))
        : h('p', { class: 'muted' }, tr('classes.debrief.noAgreement')),
      h('h3', null, tr('classes.debrief.breaches')),
      t.breaches.length ? h('ul', { class: 'plain-list' }, t.breaches.map((/** @type {any} */ b) => h('li', { 'data-testid': 'debrief-breach', 'data-detected': String(b.detected) },
        tr('classes.debrief.breach', { round: b.round + 1, faction: factionName(b.by), title: b.agreement_title, what: b.what }),
        b.detected ? h('span', { class: 'tag danger' }, tr('classes.debrief.detected')) : h('span', { class: 'tag warn' }, tr('classes.debrief.undetected')))))
        : h('p', { class: 'muted' }, tr('classes.debrief.noBreach'))));

    replace(body,
      h('div', { class: 'panel after-head' },
        h('h1', null, tr('classes.debrief.title', { name: d.name, count: d.tables.length })),
        h('p', { 'data-testid': 'debrief-status' }, ended === d.tables.length ? tr('classes.debrief.allEnded')
          : tr(d.reader === 'teacher' ? 'classes.debrief.someEndedTeacher' : 'classes.debrief.someEndedStudent', { ended, count: d.tables.length })),
        h('p', { class: 'no-print' },
          h('button', { type: 'button', class: 'button', 'data-testid': 'debrief-print', onclick: () => window.print() }, tr('classes.debrief.print')), ' ',
          compare ? h('a', { href: `/game/${compare}/after`, 'data-link': true, class: 'button subtle' }, tr('branches.backToAfter'))
            : d.reader === 'teacher' ? h('a', { href: `/class/${classId}`, 'data-link': true, class: 'button subtle' }, tr('classes.debrief.back')) : null)),
      comparison, charts, difference, ...tables);
  }

  (async () => {
    try {
      const d = compare ? await api.compareGame(compare, token) : await api.classDebrief(classId, token);
      if (!alive) return;
      if (!getScenario() || getScenario().id !== d.scenario) {
        try { setScenario(await api.scenario(d.scenario)); } catch { /* names fall back to ids */ }
      }
      if (alive) render(d);
    } catch (e) {
      if (alive) replace(body, h('section', { class: 'panel notice' }, h('h1', null, tr('classes.debrief.loadFailed')), h('p', null, errorText(/** @type {any} */ (e)) || String(e))));
    }
  })();

  return { unmount() { alive = false; } };
}
