// @ts-check
/**
 * The after-action page (`/game/<id>/after`): how the game ended and the final scores; charts
 * of every index (the technical truth, each faction's perception and the public picture),
 * tension and every faction's round and game scores over the rounds; a timeline of the rounds
 * (event cards, builds completed, agreements signed, kept and broken, breaches, Control's notes
 * and overrides); the agreements table; every turn report. Once the game has ended the server
 * shows everyone everything, so this page shows every faction. A print layout (css/views.css,
 * `@media print`) and a Print button.
 *
 * Test ids: `after-action`, `print`, `back-to-game`, `ending`, `final-scores`, `final-score`
 * (`data-faction`), `after-charts`, `chart` (`data-title`, from components/charts.js),
 * `timeline`, `timeline-round` (`data-round`), `timeline-item` (`data-kind` = event | note |
 * override | completed | signed | agreement | breach | crisis), `agreements-table`,
 * `agreement-row` (`data-agreement-id`, `data-status`), `after-reports`, `after-report`
 * (`data-round`), and those of the turn report (`turn-report`, …).
 * @module views/after
 */

import { h, replace } from '../dom.js';
import {
  factionName, varName, num, pct, roundLabel, statusText, endingText, clauseText, andList, firedName, firedText, indexName,
} from '../format.js';
import { t } from '../i18n.js';
import { lineChart, TENSION_COLOUR } from '../components/charts.js';
import { renderReport } from '../components/report.js';
import { explainedEntries } from '../components/explain.js';
import { loadClass } from '../session.js';
import { ensureStyles, colourOf, factionLabel, factionIds, statusClass } from './viewkit.js';
import { tNodes } from '../components/tnodes.js';
import { moderationList } from '../components/moderation.js';
import { playedBy } from '../components/agents.js';
import { branchNote } from '../components/branch.js';

const TECHNICAL_COLOUR = '#000000';
const PUBLIC_COLOUR = '#6b6b6b';
/** Each faction's perception: its colour, and its own dash and marker (print, colour-blind). */
const PERCEPTION_STYLE = [{ dash: '7 3', marker: 'square' }, { dash: '2 3', marker: 'triangle' }, { dash: '9 3 2 3', marker: 'diamond' }];
/** A change smaller than this share of an index's scale counts as "moved little". */
const LITTLE = 0.05;

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  ensureStyles();
  const store = /** @type {import('../store.js').GameStore} */ (ctx.store);
  const sc = store.scenario;
  const gameId = store.gameId;

  const body = h('div');
  const printBtn = h('button', { type: 'button', class: 'button primary no-print', 'data-testid': 'print', onclick: () => window.print() }, t('facilitator.links.print'));
  replace(ctx.header, h('a', { href: `/game/${gameId}`, 'data-link': true, class: 'button small no-print', 'data-testid': 'back-to-game' }, t('facilitator.after.back')));
  const el = h('div', { class: 'after', 'data-testid': 'after-action' }, body);
  replace(root, el);

  /** Printing shows every report: fills and opens those of the current rendering. */
  /** @type {Array<() => void>} */
  let printFillers = [];
  const onBeforePrint = () => { for (const f of printFillers) f(); };
  window.addEventListener('beforeprint', onBeforePrint);

  let lastKey = '';
  function render() {
    const v = store.view;
    if (!v) return;
    const key = JSON.stringify([store.seq, v.phase, v.reports.length, !!v.reports[0]?.control]);
    if (key === lastKey) return;
    lastKey = key;
    printFillers = [];
    replace(body, ...build(v));
  }

  /** @param {any} v */
  function build(v) {
    const factions = factionIds();
    const reports = [...v.reports].sort((a, b) => a.round - b.round);
    const labels = sc.rounds.map((/** @type {any} */ r) => r.label);
    const ended = v.phase === 'ended';

    // ---- head: title, ending, print ----
    const head = h('section', { class: 'panel after-sec first', 'aria-labelledby': 'aa-h' },
      h('div', { class: 'after-head' },
        h('div', null,
          h('h1', { id: 'aa-h' }, t('facilitator.after.title')),
          h('p', { class: 'muted' }, `${sc.title} · ${t('facilitator.after.adjudicated', { done: reports.length, count: v.rounds })}`),
          h('p', { class: 'after-ending', 'data-testid': 'ending' }, ended ? endingText(v.ending) : t('facilitator.after.running')),
          store.classOf && loadClass(store.classOf.class_id)
            ? h('p', { class: 'no-print' }, h('a', { href: `/class/${store.classOf.class_id}/debrief`, 'data-link': true, 'data-testid': 'class-debrief-link' }, t('facilitator.after.compare')))
            : null,
          h('p', { class: 'no-print' }, h('a', { href: `/game/${store.gameId}/replay`, 'data-link': true, 'data-testid': 'replay-link-after' }, t('replay.open'))),
          v.branch ? [branchNote(v), h('p', { class: 'no-print' }, h('a', { href: `/game/${store.gameId}/compare`, 'data-link': true, 'data-testid': 'branch-compare-link' }, t('branches.compare')))] : null),
        printBtn));

    // ---- final scores ----
    const last = reports[reports.length - 1];
    /** @type {Array<{f: string, game: number | undefined, round: number | undefined}>} */
    const rows = factions.map((f) => ({
      f,
      game: v.scores?.[f] ?? last?.factions?.[f]?.score?.game_score,
      round: last?.factions?.[f]?.score?.round_score,
    }));
    const best = Math.max(...rows.map((r) => (Number.isFinite(r.game) ? /** @type {number} */ (r.game) : -Infinity)));
    const scores = h('section', { class: 'panel after-sec first', 'aria-labelledby': 'aa-scores-h' },
      h('h2', { id: 'aa-scores-h' }, t('facilitator.after.scores')),
      rows.some((r) => r.game !== undefined)
        ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('facilitator.after.scoresTable') }, h('table', { class: 'table compact scores-table', 'data-testid': 'final-scores' },
          h('caption', { class: 'visually-hidden' }, t('facilitator.after.scores')),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('facilitator.faction')), h('th', { scope: 'col', class: 'num' }, t('facilitator.gameScore')),
            h('th', { scope: 'col', class: 'num' }, t('facilitator.after.lastRound')), h('th', { scope: 'col' }, t('facilitator.playedBy')))),
          h('tbody', null, rows.map((r) => h('tr', { 'data-testid': 'final-score', 'data-faction': r.f },
            h('th', { scope: 'row', class: r.game === best ? 'winner' : null }, factionLabel(r.f), r.game === best ? t('facilitator.after.highest') : ''),
            h('td', { class: ['num', r.game === best && 'winner'] }, r.game === undefined ? '–' : num(r.game, 1)),
            h('td', { class: 'num' }, r.round === undefined ? '–' : num(r.round, 1)),
            h('td', null, playedBy(v, r.f)))))))
        : h('p', { class: 'muted' }, t('facilitator.after.noScores')),
      h('p', { class: 'hint' }, t('facilitator.after.scoresHint')));

    // ---- what changed most, then the charts, most changed first ----
    const charts = h('div', { class: 'charts', 'data-testid': 'after-charts' });
    const calm = h('div', { class: 'charts' });
    /** @type {Array<{name: string, from: number, to: number, scale: number, digits: number}>} */
    const changes = [];
    if (reports.length) {
      /** @param {(r: any) => number | undefined} get */
      const pts = (get) => /** @type {Array<[number, number]>} */ (reports.map((r) => [r.round, get(r)]).filter((p) => Number.isFinite(p[1])));
      /** The picture this seat reads: the truth for Control and after the end, else its own or the public one. @param {any} r */
      const picture = (r) => r.control?.technical || (store.faction && r.factions?.[store.faction]?.indices) || r.public.indices;
      /** @param {string} name @param {Array<[number, number]>} p @param {number} scale @param {number} digits */
      const change = (name, p, scale, digits) => {
        if (p.length >= 2) changes.push({ name, from: p[0][1], to: p[p.length - 1][1], scale, digits });
      };
      /** @type {Array<{chart: SVGSVGElement, moved: number}>} */
      const drawn = [];
      const tension = pts((r) => (r.control ? r.control.tension.value : r.public.tension.value));
      change(t('facilitator.gauge.tension'), tension, 100, 1);
      drawn.push({
        moved: Infinity,
        chart: lineChart({ title: t('facilitator.after.chart.tension'), labels, yMin: 0, yMax: 100, digits: 1, series: [{ name: t('facilitator.gauge.tension'), colour: TENSION_COLOUR, points: tension }] }),
      });
      drawn.push({
        moved: Infinity,
        chart: lineChart({
          title: t('facilitator.after.chart.gameScore'), labels, yMin: 0, yMax: 100, digits: 1,
          series: factions.map((f) => ({ name: factionName(f), colour: colourOf(f), points: pts((r) => r.factions?.[f]?.score?.game_score) })).filter((x) => x.points.length),
        }),
      });
      drawn.push({
        moved: Infinity,
        chart: lineChart({
          title: t('facilitator.after.chart.roundScore'), labels, yMin: 0, yMax: 100, digits: 1,
          series: factions.map((f) => ({ name: factionName(f), colour: colourOf(f), points: pts((r) => r.factions?.[f]?.score?.round_score) })).filter((x) => x.points.length),
        }),
      });
      /** @type {Array<[string, string]>} */
      const ids = explainedEntries(reports[0].control?.technical || reports[0].public.indices).map((e) => [e.id, indexName(e)]);
      for (const [id, name] of ids) {
        const series = [];
        if (reports.some((r) => r.control)) series.push({ name: t('facilitator.after.chart.technical'), colour: TECHNICAL_COLOUR, marker: 'circle', points: pts((r) => r.control?.technical?.values?.[id]) });
        factions.forEach((f, i) => {
          const p = pts((r) => r.factions?.[f]?.indices?.values?.[id]);
          if (p.length) series.push({ name: t('facilitator.after.chart.sees', { faction: factionName(f) }), colour: colourOf(f), ...PERCEPTION_STYLE[i % PERCEPTION_STYLE.length], points: p });
        });
        series.push({ name: t('facilitator.after.chart.public'), colour: PUBLIC_COLOUR, dash: '4 4', marker: 'circle', points: pts((r) => r.public?.indices?.values?.[id]) });
        const all = series.flatMap((x) => x.points.map((p) => p[1]));
        const unit = id === 'deterrence_balance' ? { yMin: 0, yMax: 100, digits: 1 } : all.every((x) => x >= 0 && x <= 1) ? { yMin: 0, yMax: 1, digits: 2 } : { yMin: 0 };
        const scale = id === 'deterrence_balance' ? 100 : all.every((x) => x >= 0 && x <= 1) ? 1 : Math.max(1, ...all.map(Math.abs));
        const mine = pts((r) => picture(r)?.values?.[id]);
        change(name, mine, scale, unit.digits ?? 2);
        const moved = Math.max(0, ...series.map((x) => (x.points.length ? Math.abs(x.points[x.points.length - 1][1] - x.points[0][1]) / scale : 0)));
        drawn.push({ moved, chart: lineChart({ title: name, labels, series: series.filter((x) => x.points.length), ...unit }) });
      }
      drawn.sort((a, b) => b.moved - a.moved);
      for (const d of drawn) (d.moved >= LITTLE || reports.length < 2 ? charts : calm).append(d.chart);
    }
    changes.sort((a, b) => Math.abs(b.to - b.from) / b.scale - Math.abs(a.to - a.from) / a.scale);
    const top = changes.filter((c) => Math.abs(c.to - c.from) / c.scale >= LITTLE).slice(0, 5);
    const changedSec = h('section', { class: 'panel after-sec first', 'aria-labelledby': 'aa-changed-h', 'data-testid': 'changed-most' },
      h('h2', { id: 'aa-changed-h' }, t('facilitator.after.changed')),
      top.length
        ? h('ul', { class: 'changed-list' }, top.map((c) => {
          const d = c.to - c.from;
          return h('li', { 'data-testid': 'changed' },
            h('strong', null, c.name), `: ${num(c.from, c.digits)} → ${num(c.to, c.digits)} `,
            h('span', { class: d > 0 ? 'up' : 'down' }, `(${d > 0 ? '▲ +' : '▼ −'}${num(Math.abs(d), c.digits)})`),
            t('facilitator.after.changedSpan', {
              from: labels[reports[0].round] ?? t('facilitator.after.firstRound'),
              to: labels[reports[reports.length - 1].round] ?? t('facilitator.after.lastRoundShort'),
            }));
        }))
        : h('p', { class: 'muted' }, reports.length < 2 ? t('facilitator.after.changedLater') : t('facilitator.after.changedNone', { share: pct(LITTLE) })),
      h('p', { class: 'hint' }, store.role === 'faction' && !reports[0]?.control ? t('facilitator.after.asPerceived') : t('facilitator.after.asTruth')));
    const chartSec = h('section', { class: 'panel after-sec', 'aria-labelledby': 'aa-charts-h' },
      h('h2', { id: 'aa-charts-h' }, t('facilitator.after.charts')),
      h('p', { class: 'hint' }, t('facilitator.after.chartsHint')),
      reports.length ? charts : h('p', { class: 'muted' }, t('facilitator.after.noRounds')),
      calm.childElementCount ? h('details', { class: 'calm-charts', 'data-testid': 'calm-charts' },
        h('summary', null, t('facilitator.after.calm', { count: calm.childElementCount })), calm) : null);

    // ---- timeline ----
    const maxRound = Math.max(v.round, ...reports.map((r) => r.round));
    const timeline = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
    for (let r = 0; r <= maxRound; r++) {
      const rep = reports.find((x) => x.round === r);
      const part = rep ? rep.control || rep.public : null;
      /** @type {HTMLElement[]} */
      const items = [];
      /** @param {string} kind @param {string} label @param {...any} content */
      const item = (kind, label, ...content) => items.push(h('li', { class: `tl-${kind}`, 'data-testid': 'timeline-item', 'data-kind': kind },
        h('span', { class: 'tl-kind' }, label), ' ', ...content));
      for (const b of v.briefings.filter((/** @type {any} */ x) => x[0] === r)) {
        item('event', b[1].injected ? t('facilitator.tl.eventControl') : t('facilitator.tl.event'), h('strong', null, firedName(b[1])), `: ${firedText(b[1])}`);
      }
      for (const a of v.annotations.filter((/** @type {any} */ x) => x[0] === r)) item('note', t('facilitator.tl.note'), a[1]);
      for (const o of (v.overrides || []).filter((/** @type {any} */ x) => x[0] === r)) {
        item('override', t('facilitator.tl.override'), `${varName(o[1])}: ${o[2] === null ? '–' : num(o[2])} → ${num(o[3])}. `, h('q', null, o[4]));
      }
      for (const a of v.agreements.filter((/** @type {any} */ x) => x.signed_round === r)) {
        item('signed', t('facilitator.tl.signed'), h('strong', null, a.terms.title), t('facilitator.tl.signedText', {
          parties: andList(a.terms.parties.map(factionName)), private: a.terms.public ? '' : t('facilitator.tl.private'), until: untilLabel(a.until_round, v.rounds),
        }));
      }
      if (part) {
        for (const o of part.completed) item('completed', t('facilitator.tl.completed'), factionLabel(o.faction), `${o.name}${o.quantity > 1 ? ` × ${o.quantity}` : ''}${o.covert ? t('facilitator.covert') : ''}`);
        for (const b of part.breaches) {
          item('breach', t('facilitator.tl.breach'), ...tNodes('facilitator.tl.breachText', {
            by: h('strong', null, factionName(b.by)), clause: String(b.clause), title: b.agreement_title, what: b.what, detected: b.detected ? t('facilitator.tl.detected') : t('facilitator.tl.notDetected'),
          }));
        }
        for (const a of part.agreements) item(/broken/i.test(a.note) ? 'broken' : /kept|expired|ended/i.test(a.note) ? 'kept' : 'agreement', t('facilitator.tl.agreement'), h('strong', null, a.title), `: ${a.note}`);
        if (rep.public.crisis) item('crisis', t('facilitator.tl.crisis'), t('facilitator.tl.crisisText', { value: num(rep.public.tension.value, 1) }));
        const sc2 = factions.filter((f) => rep.factions?.[f]?.score).map((f) => `${factionName(f)} ${num(rep.factions[f].score.round_score, 1)}`);
        if (sc2.length) item('scores', t('facilitator.tl.scores'), t('facilitator.tl.scoresText', { list: sc2.join(' · '), tension: num((rep.control || rep.public).tension.value, 1) }));
      }
      timeline.append(h('li', { class: 'timeline-round', 'data-testid': 'timeline-round', 'data-round': String(r) },
        h('h3', null, `${roundLabel(r)}${rep ? '' : t('facilitator.tl.notAdjudicated')}`),
        items.length ? h('ul', null, items) : h('p', { class: 'muted small' }, t('facilitator.tl.nothing'))));
    }
    const timelineSec = h('section', { class: 'panel after-sec', 'aria-labelledby': 'aa-tl-h' },
      h('h2', { id: 'aa-tl-h' }, t('facilitator.tl.title')), timeline);

    // ---- agreements ----
    const agreements = [...v.agreements].sort((a, b) => a.signed_round - b.signed_round);
    /** Breaches per agreement, from every report part this seat can read. @type {Map<number, any[]>} */
    const breachesOf = new Map();
    for (const r of reports) {
      const parts = [r.control, r.public, ...Object.values(r.factions || {})].filter(Boolean);
      const seen = new Set();
      for (const p of parts) {
        for (const b of p.breaches || []) {
          const k = `${b.agreement}:${b.clause}:${b.by}:${b.what}`;
          if (seen.has(k)) continue;
          seen.add(k);
          const list = breachesOf.get(b.agreement) || [];
          list.push({ ...b, round: r.round });
          breachesOf.set(b.agreement, list);
        }
      }
    }
    const agrSec = h('section', { class: 'panel after-sec', 'aria-labelledby': 'aa-agr-h' },
      h('h2', { id: 'aa-agr-h' }, t('facilitator.agreements.title')),
      agreements.length ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('facilitator.agreements.tableLabel') },
        h('table', { class: 'table', 'data-testid': 'agreements-table' },
          h('caption', { class: 'visually-hidden' }, t('facilitator.after.agreementsCaption')),
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('facilitator.agreements.agreement')), h('th', { scope: 'col' }, t('facilitator.parties')),
            h('th', { scope: 'col' }, t('facilitator.agreements.signed')), h('th', { scope: 'col' }, t('facilitator.agreements.until')), h('th', { scope: 'col' }, t('facilitator.after.outcome')))),
          h('tbody', null, agreements.map((a) => h('tr', { 'data-testid': 'agreement-row', 'data-agreement-id': String(a.id), 'data-status': a.status.status },
            h('td', null, h('strong', null, a.terms.title), a.terms.public ? '' : t('facilitator.private'),
              h('ol', { class: 'clauses small' }, a.terms.clauses.map((/** @type {any} */ c) => h('li', null, clauseText(c))))),
            h('td', null, a.terms.parties.map((/** @type {string} */ f) => factionLabel(f))),
            h('td', null, roundLabel(a.signed_round)),
            h('td', null, untilLabel(a.until_round, v.rounds)),
            h('td', null, h('span', { class: ['tag', statusClass(a.status) || ((breachesOf.get(a.id) || []).length ? 'danger' : '')] },
              outcome(a.status, breachesOf.get(a.id) || []))))))))
        : h('p', { class: 'muted' }, t('facilitator.after.noAgreements')));

    // ---- turn reports ----
    const seat = store.you?.seat || v.seat;
    const reportList = h('div', { class: 'report-list', 'data-testid': 'after-reports' }, reports.map((r) => {
      const d = h('details', { 'data-testid': 'after-report', 'data-round': String(r.round) }, h('summary', null, t('facilitator.after.report', { label: r.label })));
      let filled = false;
      const fill = () => {
        if (filled) return;
        filled = true;
        d.append(renderReport(r, { seat }));
      };
      d.addEventListener('toggle', () => { if (d.open) fill(); });
      printFillers.push(() => { fill(); d.open = true; });
      return d;
    }));
    const reportsSec = h('section', { class: 'panel after-sec', 'aria-labelledby': 'aa-rep-h' },
      h('h2', { id: 'aa-rep-h' }, t('facilitator.nav.reports')), reports.length ? reportList : h('p', { class: 'muted' }, t('facilitator.after.noReports')));

    // ---- moderation: what the facilitators hid or muted, with their reasons ----
    const modSec = (v.moderation || []).length ? h('section', { class: 'panel after-sec', 'aria-labelledby': 'aa-mod-h', 'data-testid': 'after-moderation' },
      h('h2', { id: 'aa-mod-h' }, t('moderation.afterTitle')),
      h('p', { class: 'hint' }, t('moderation.afterHint')),
      moderationList(v, null)) : null;

    return [head, changedSec, scores, chartSec, timelineSec, agrSec, modSec, reportsSec];
  }

  const unsubscribe = store.subscribe(() => render());
  render();
  try { performance.mark('detente:after-ready'); } catch { /* old browsers */ }
  return {
    unmount() {
      unsubscribe();
      window.removeEventListener('beforeprint', onBeforePrint);
    },
  };
}

/**
 * The last round of an agreement: its label, or "the end of the game" past the last round.
 * @param {number} r
 * @param {number} rounds
 */
function untilLabel(r, rounds) {
  return r >= rounds ? t('facilitator.after.endOfGame') : roundLabel(r);
}

/**
 * What became of an agreement, in words (kept when it ran its course unbroken).
 * @param {any} st
 * @param {any[]} breaches its breaches (with `round`), detected or not
 */
function outcome(st, breaches) {
  if (st?.status !== 'broken' && breaches.length) {
    // Breaches nobody detected leave the agreement formally standing.
    const who = andList([...new Set(breaches.map((b) => factionName(b.by)))]);
    const when = andList([...new Set(breaches.map((b) => roundLabel(b.round)))]);
    return t('facilitator.outcome.brokenBy', {
      who, when,
      detected: breaches.some((b) => b.detected) ? t('facilitator.outcome.detected') : t('facilitator.outcome.undetected'),
      status: st?.status === 'expired' ? t('facilitator.outcome.ranItsCourse') : statusText(st).toLowerCase(),
    });
  }
  switch (st?.status) {
    case 'expired': return t('facilitator.outcome.kept');
    case 'in_force': return t('facilitator.outcome.inForce');
    default: return statusText(st);
  }
}
