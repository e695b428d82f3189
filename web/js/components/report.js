// @ts-check
/**
 * Turn reports: what happened at each adjudication and why, with charts of indices and scores
 * over the rounds.
 *
 * - `renderReport(report, {seat})` → one report (`SeatReport`) as an `<article>`: orders,
 *   completed builds, breaches, agreements, changes with causes, indices (each explained), the
 *   tension working, score cards and purse. It reads the parts the seat may see: a faction its
 *   own part plus the public one, Control (and everyone after the end) everything.
 * - `reportCharts(reports, {seat})` → an element with SVG line charts over the rounds.
 * - `createReports({store})` → `{el, update()}`: the charts, a round picker and the chosen report
 *   (the newest by default, and again whenever a new one arrives).
 *
 * Test ids: `reports`, `report-round-<n>` (picker buttons, 0-based round), `turn-report`
 * (`data-round`), `report-orders`, `report-completed`, `report-breaches`, `report-agreements`,
 * `report-changes`, `report-indices`, `report-tension`, `score-card`, `report-charts`, `chart`.
 * @module components/report
 */

import { h, replace } from '../dom.js';
import { factionName, factionColour, varName, num, pct, signed, roundLabel, getScenario } from '../format.js';
import { t } from '../i18n.js';
import { tNodes } from './tnodes.js';
import { explainIndex, explainScore, explainedEntries } from './explain.js';
import { lineChart, TENSION_COLOUR } from './charts.js';

/**
 * @param {any} report a SeatReport
 * @param {{seat: any}} opts
 * @returns {HTMLElement}
 */
export function renderReport(report, { seat }) {
  const me = seat?.role === 'faction' ? seat.faction : null;
  const pub = report.public;
  const ctl = report.control;
  const mine = me ? report.factions[me] : null;
  const everything = !!ctl; // Control, or anyone after the end

  /** @type {any[]} */
  let orders;
  /** @type {any[]} */
  let completed;
  /** @type {any[]} */
  let breaches;
  /** @type {any[]} */
  let agreements;
  /** @type {any[]} */
  let changes;
  if (everything) {
    ({ orders, completed, breaches, agreements, changes } = ctl);
  } else if (mine) {
    orders = [...mine.orders, ...pub.orders.filter((/** @type {any} */ o) => o.faction !== me)];
    completed = [...mine.completed, ...pub.completed.filter((/** @type {any} */ o) => o.faction !== me)];
    breaches = uniqueBy([...mine.breaches, ...pub.breaches], (b) => `${b.agreement}:${b.clause}:${b.by}:${b.what}`);
    agreements = mine.agreements;
    changes = mine.changes;
  } else {
    ({ orders, completed, breaches, agreements, changes } = pub);
  }

  const indices = everything ? ctl.technical : mine ? mine.indices : pub.indices;
  const tension = everything ? ctl.tension : pub.tension;
  const cards = everything
    ? Object.values(report.factions).map((/** @type {any} */ f) => f.score)
    : mine ? [mine.score] : [];

  return h('article', { class: 'turn-report', 'data-testid': 'turn-report', 'data-round': String(report.round), 'aria-labelledby': `tr-${report.round}-h` },
    h('h3', { id: `tr-${report.round}-h` }, t('desk.report.title', { label: report.label })),
    pub.crisis ? h('p', { class: 'error', role: 'status' }, t('desk.report.crisis', { value: num(tension.value, 1) })) : null,

    section('report-orders', t('desk.report.orders'), orders.length
      ? h('table', { class: 'table compact' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('desk.report.col.faction')), h('th', { scope: 'col' }, t('desk.report.col.action')), h('th', { scope: 'col', class: 'num' }, t('desk.report.col.qty')),
          h('th', { scope: 'col', class: 'num' }, t('desk.report.col.cost')), h('th', { scope: 'col' }, t('desk.report.col.effect')))),
        h('tbody', null, orders.map((o) => h('tr', null,
          h('td', null, factionCell(o.faction)),
          h('td', null, o.name, o.covert ? h('span', { class: 'tag' }, t('desk.report.covert')) : null),
          h('td', { class: 'num' }, num(o.quantity)),
          h('td', { class: 'num' }, `${num(o.budget)} / ${num(o.capital)}`),
          h('td', null, o.completes_round === report.round ? t('desk.report.now') : roundLabel(o.completes_round))))))
      : h('p', { class: 'muted' }, t('desk.report.noOrders'))),

    completed.length ? section('report-completed', t('desk.report.completed'), h('ul', null, completed.map((o) =>
      h('li', null, factionCell(o.faction), ` ${o.name}${o.quantity > 1 ? ` × ${num(o.quantity)}` : ''}`)))) : null,

    section('report-breaches', t('desk.report.breaches'), breaches.length
      ? h('ul', { class: 'breaches' }, breaches.map((b) => h('li', { class: b.detected ? 'detected' : 'undetected' },
        ...tNodes('desk.report.breach', { faction: h('strong', null, factionName(b.by)), clause: b.clause, title: b.agreement_title, what: b.what }),
        h('span', { class: ['tag', b.detected ? 'danger' : ''] }, b.detected ? t('desk.report.detected') : t('desk.report.undetected')),
        h('span', { class: 'muted small' }, t('desk.report.chance', { chance: pct(b.detection_probability, 0) })))))
      : h('p', { class: 'muted' }, t('desk.report.noBreach'))),

    agreements.length ? section('report-agreements', t('desk.report.agreements'), h('ul', null, agreements.map((a) =>
      h('li', null, h('strong', null, a.title), a.public ? '' : t('desk.report.private'), `: ${factionsInNote(a.note)}`)))) : null,

    section('report-changes', t('desk.report.changes'), changes.length
      ? h('table', { class: 'table compact' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('desk.report.col.variable')), h('th', { scope: 'col', class: 'num' }, t('desk.report.col.before')), h('th', { scope: 'col', class: 'num' }, t('desk.report.col.after')),
          h('th', { scope: 'col', class: 'num' }, t('desk.report.col.change')), h('th', { scope: 'col' }, t('desk.report.col.cause')))),
        h('tbody', null, changes.map((c) => h('tr', null,
          h('td', null, varName(c.var)),
          h('td', { class: 'num' }, num(c.before)),
          h('td', { class: 'num' }, num(c.after)),
          h('td', { class: 'num' }, signed(c.after - c.before)),
          h('td', null, c.cause)))))
      : h('p', { class: 'muted' }, t('desk.report.noChange'))),

    section('report-indices', everything ? t('desk.report.indices.technical') : me ? t('desk.report.indices.faction', { faction: factionName(me) }) : t('desk.report.indices.public'),
      h('div', { class: 'explain-list' }, explainedEntries(indices).map((e) => explainIndex(e, { headline: e.id === 'deterrence_balance' })))),

    section('report-tension', t('desk.report.tension'), explainIndex(tension, { testid: 'explain-tension-report' })),

    cards.length ? section('report-scores', cards.length > 1 ? t('desk.report.scores') : t('desk.report.yourScore'), h('div', { class: 'explain-list' },
      cards.map((c) => explainScore(c)),
      mine ? h('p', { class: 'small' }, t('desk.report.purse', { budget: num(mine.purse.budget), capital: num(mine.purse.capital) })) : null)) : null,

    everything && ctl.rolls?.length ? section('report-rolls', t('desk.report.rolls'), h('ul', { class: 'small' }, ctl.rolls.map((/** @type {string} */ r) => h('li', null, r)))) : null);
}

/**
 * @param {string} testid
 * @param {string} title
 * @param {any} body
 */
function section(testid, title, body) {
  // A table may be wider than a phone: it scrolls inside its own box, which the keyboard can
  // reach (focusable, named by its heading).
  const id = `rs-${++sectionIds}`;
  const wide = body instanceof HTMLTableElement;
  return h('section', { class: 'report-section', 'data-testid': testid },
    h('h4', { id }, title),
    wide ? h('div', { class: 'table-scroll', tabindex: '0', role: 'group', 'aria-labelledby': id }, body) : body);
}
let sectionIds = 0;

/**
 * Server notes name factions by id ("broken by russia: …"): show their names.
 * @param {string} note
 */
function factionsInNote(note) {
  const ids = new Set((getScenario()?.factions || []).map((/** @type {any} */ f) => f.id));
  return note.replace(/\b(by|to|from) ([a-z_]+)\b/g, (m, w, id) => (ids.has(id) ? `${w} ${factionName(id)}` : m));
}

/** @param {string} f */
function factionCell(f) {
  const s = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  s.style.setProperty('--swatch', factionColour(f));
  return h('span', null, s, factionName(f));
}

/**
 * @template T
 * @param {T[]} xs
 * @param {(x: T) => string} key
 */
function uniqueBy(xs, key) {
  const seen = new Set();
  return xs.filter((x) => {
    const k = key(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Charts of the indices, tension and scores over the rounds.
 * @param {any[]} reports SeatReports, oldest first
 * @param {{seat: any, width?: number}} opts
 * @returns {HTMLElement}
 */
export function reportCharts(reports, { seat, width = 460 }) {
  const sc = getScenario();
  const labels = (sc?.rounds || []).map((/** @type {any} */ r) => r.label);
  const me = seat?.role === 'faction' ? seat.faction : null;
  /** @param {any} r */
  const indicesOf = (r) => (r.control ? r.control.technical : me && r.factions[me] ? r.factions[me].indices : r.public.indices);
  const perceives = me && sc?.factions?.find((/** @type {any} */ f) => f.id === me)?.perceives_threat;

  /** @param {string} id @param {string} name @param {(v: any) => number} get @param {object} [extra] */
  const series = (id, name, get, extra = {}) => ({
    name, ...extra,
    points: /** @type {Array<[number, number]>} */ (reports.map((r) => [r.round, get(r)]).filter((p) => Number.isFinite(p[1]))),
  });

  const headline = lineChart({
    title: t('desk.report.chart.headline'), labels, yMin: 0, yMax: 100, width, digits: 1,
    series: [
      series('deterrence_balance', t('desk.report.chart.balance'), (r) => indicesOf(r)?.values?.deterrence_balance, { colour: '#0072B2' }),
      series('tension', t('desk.report.chart.tension'), (r) => (r.control ? r.control.tension.value : r.public.tension.value), { colour: TENSION_COLOUR, dash: '6 3', marker: 'square' }),
    ],
  });
  const idx = lineChart({
    title: t('desk.report.chart.indices'), labels, yMin: 0, yMax: 1, width,
    series: [
      series('stability', t('desk.report.chart.stability'), (r) => indicesOf(r)?.values?.stability),
      series('retaliation_russia', t('desk.report.chart.retaliationRussia'), (r) => indicesOf(r)?.values?.retaliation_russia),
      series('retaliation_us', t('desk.report.chart.retaliationUs'), (r) => indicesOf(r)?.values?.retaliation_us),
      perceives
        ? series('perceived_engageability', t('desk.report.chart.perceivedEngageability'), (r) => indicesOf(r)?.values?.perceived_engageability)
        : series('engageability', t('desk.report.chart.engageability'), (r) => indicesOf(r)?.values?.engageability),
      series('coverage', t('desk.report.chart.coverage'), (r) => indicesOf(r)?.values?.coverage),
      series('border_security', t('desk.report.chart.border'), (r) => indicesOf(r)?.values?.border_security),
    ],
  });
  /** @type {Set<string>} */
  const scored = new Set();
  for (const r of reports) for (const f of Object.keys(r.factions || {})) scored.add(f);
  const scoreSeries = [];
  for (const f of scored) {
    if (me && scored.size === 1) {
      scoreSeries.push(series(`${f}-round`, t('desk.report.chart.roundScore'), (r) => r.factions[f]?.score?.round_score, { colour: factionColour(f) }));
      scoreSeries.push(series(`${f}-game`, t('desk.report.chart.gameScore'), (r) => r.factions[f]?.score?.game_score, { colour: factionColour(f), dashed: true }));
    } else {
      scoreSeries.push(series(`${f}-game`, `${factionName(f)}`, (r) => r.factions[f]?.score?.game_score, { colour: factionColour(f) }));
    }
  }
  const scores = scoreSeries.length
    ? lineChart({ title: scored.size === 1 && me ? t('desk.report.chart.scoreOf', { faction: factionName(me) }) : t('desk.report.chart.gameScores'), labels, yMin: 0, yMax: 100, width, digits: 1, series: scoreSeries })
    : null;
  return h('div', { class: 'charts', 'data-testid': 'report-charts' }, headline, idx, scores);
}

/**
 * @param {{store: import('../store.js').GameStore}} opts
 * @returns {{el: HTMLElement, update: () => void}}
 */
export function createReports({ store }) {
  /** @type {number | null} */
  let chosen = null;
  let lastCount = -1;
  let lastKey = '';
  const picker = h('div', { class: 'round-picker', role: 'group', 'aria-label': t('desk.report.chooseRound') });
  const body = h('div', { class: 'report-body' });
  const charts = h('div', { class: 'report-charts-box' });
  const el = h('div', { class: 'reports', 'data-testid': 'reports' }, charts, picker, body);

  function update() {
    const v = store.view;
    if (!v) return;
    const reports = v.reports || [];
    const key = JSON.stringify([reports.length, reports.map((/** @type {any} */ r) => r.round), !!reports[0]?.control, store.you?.seat]);
    if (reports.length !== lastCount) {
      chosen = reports.length ? reports[reports.length - 1].round : null;
      lastCount = reports.length;
    }
    if (key === lastKey) return;
    lastKey = key;
    const seat = store.you?.seat || v.seat;
    if (!reports.length) {
      replace(charts);
      replace(picker);
      replace(body, h('p', { class: 'muted' }, t('desk.report.first')));
      return;
    }
    render(reports, seat);
  }

  /** @param {any[]} reports @param {any} seat */
  function render(reports, seat) {
    replace(charts, reportCharts(reports, { seat }));
    replace(picker, reports.map((r) => h('button', {
      type: 'button', class: ['button', 'small', r.round === chosen && 'selected'], 'aria-pressed': r.round === chosen ? 'true' : 'false',
      'data-testid': `report-round-${r.round}`,
      onclick: () => {
        chosen = r.round;
        render(reports, seat);
        // The picker was redrawn: keep the keyboard on the round just chosen.
        const again = picker.querySelector(`[data-testid="report-round-${r.round}"]`);
        if (again instanceof HTMLElement) again.focus();
      },
    }, r.label)));
    const r = reports.find((x) => x.round === chosen) || reports[reports.length - 1];
    replace(body, renderReport(r, { seat }));
  }

  update();
  return { el, update };
}
