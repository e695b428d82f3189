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
import { t as tr, has, errorText } from '../i18n.js';

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
  /**
   * A debrief message: in a comparison of a branch, its own words where they differ (games,
   * not tables), else the class debrief's.
   * @param {string} key @param {Record<string, any>} [params]
   */
  const dt = (key, params) => tr(compare && has(`branches.cmp.${key}`) ? `branches.cmp.${key}` : `classes.debrief.${key}`, params);
  let alive = true;
  const body = h('div', null, h('p', { class: 'loading' }, dt('loading')));
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
      h('h2', { id: 'db-cmp-h' }, dt('sideBySide')),
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': dt('sideBySideRegion') }, h('table', { class: 'table', 'data-testid': 'debrief-comparison' },
      h('caption', { class: 'visually-hidden' }, dt('sideBySide')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, dt('colTable')),
        h('th', { scope: 'col' }, dt('colEnding')),
        factions.map((/** @type {string} */ f) => h('th', { scope: 'col' }, swatch(f), dt('colScore', { faction: factionName(f) }))),
        h('th', { scope: 'col' }, dt('colSigned')),
        h('th', { scope: 'col' }, dt('colKept')),
        h('th', { scope: 'col' }, dt('colBroken')),
        h('th', { scope: 'col' }, dt('colUndetected')),
        h('th', { scope: 'col' }, dt('colCrises')))),
      h('tbody', null, d.tables.map((/** @type {any} */ t) => h('tr', { 'data-testid': 'debrief-row', 'data-table': String(t.table) },
        h('th', { scope: 'row' }, t.title || tableName(t)),
        h('td', null, t.phase === 'ended' ? endingText(t.ending) : dt('stillPlaying', { count: t.rounds.length })),
        factions.map((/** @type {string} */ f) => h('td', { class: 'num' }, t.scores[f] == null ? '–' : num(t.scores[f], 1))),
        h('td', { class: 'num' }, String(t.agreements.length)),
        h('td', { class: 'num' }, String(kept(t))),
        h('td', { class: 'num' }, String(broken(t))),
        h('td', { class: 'num' }, t.phase === 'ended' || d.reader === 'teacher' ? String(hidden(t)) : dt('hiddenUntilEnd')),
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
      h('h2', { id: 'db-charts-h' }, dt('overRounds')),
      labels.length === 0 ? h('p', { class: 'muted' }, dt('noRounds')) : h('div', { class: 'charts debrief-charts' },
        overlay(dt('chartTension'), (r) => r.tension),
        factions.map((/** @type {string} */ f) => overlay(dt('chartBalance', { faction: factionName(f) }), (r) => r.balance[f])),
        d.tables.some((/** @type {any} */ t) => t.rounds.some((/** @type {any} */ r) => r.technical_balance != null))
          ? overlay(dt('chartTechnical'), (r) => r.technical_balance) : null));

    const diff = d.first_difference;
    const difference = h('section', { class: 'panel', 'data-testid': 'debrief-difference', 'aria-labelledby': 'db-diff-h' },
      h('h2', { id: 'db-diff-h' }, dt('difference')),
      !diff ? h('p', { class: 'muted' }, d.tables.length < 2 ? dt('oneTable')
        : played === 0 ? dt('notPlayedEverywhere')
          : dt('sameOrders'))
        : [h('p', null, dt('differed', { label: diff.label, round: diff.round + 1 })),
          h('ul', null, diff.tables.map((/** @type {[number, any[]]} */ [n, orders]) => h('li', null,
            h('strong', null, dt('tableLabel', { table: n + 1 })),
            orders.length ? andList(orders.map((o) => `${factionName(o.faction)} — ${o.name}${o.quantity > 1 ? ` ×${o.quantity}` : ''}`)) : dt('nothingElse'))))]);

    const tables = d.tables.map((/** @type {any} */ t) => h('section', { class: 'panel', 'data-testid': 'debrief-table', 'data-table': String(t.table), 'aria-labelledby': `db-t-${t.table}` },
      h('h2', { id: `db-t-${t.table}` }, t.title || tableName(t)),
      h('h3', null, dt('agreements')),
      t.agreements.length ? h('ul', { class: 'plain-list' }, t.agreements.map((/** @type {any} */ a) => h('li', { class: 'agreement-line' },
        h('strong', null, a.title), dt('signedIn', { parties: andList(a.parties.map(factionName)), round: a.signed_round + 1 }),
        h('span', { class: ['tag', statusClass(a.status)] }, statusText(a.status)))))
        : h('p', { class: 'muted' }, dt('noAgreement')),
      h('h3', null, dt('breaches')),
      t.breaches.length ? h('ul', { class: 'plain-list' }, t.breaches.map((/** @type {any} */ b) => h('li', { 'data-testid': 'debrief-breach', 'data-detected': String(b.detected) },
        dt('breach', { round: b.round + 1, faction: factionName(b.by), title: b.agreement_title, what: b.what }),
        b.detected ? h('span', { class: 'tag danger' }, dt('detected')) : h('span', { class: 'tag warn' }, dt('undetected')))))
        : h('p', { class: 'muted' }, dt('noBreach'))));

    replace(body,
      h('div', { class: 'panel after-head' },
        h('h1', null, dt('title', { name: d.name, count: d.tables.length })),
        h('p', { 'data-testid': 'debrief-status' }, ended === d.tables.length ? dt('allEnded')
          : tr(d.reader === 'teacher' ? 'classes.debrief.someEndedTeacher' : 'classes.debrief.someEndedStudent', { ended, count: d.tables.length })),
        h('p', { class: 'no-print' },
          h('button', { type: 'button', class: 'button', 'data-testid': 'debrief-print', onclick: () => window.print() }, dt('print')), ' ',
          compare ? h('a', { href: `/game/${compare}/after`, 'data-link': true, class: 'button subtle' }, tr('branches.backToAfter'))
            : d.reader === 'teacher' ? h('a', { href: `/class/${classId}`, 'data-link': true, class: 'button subtle' }, dt('back')) : null)),
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
      if (alive) replace(body, h('section', { class: 'panel notice' }, h('h1', null, dt('loadFailed')), h('p', null, errorText(/** @type {any} */ (e)) || String(e))));
    }
  })();

  return { unmount() { alive = false; } };
}
