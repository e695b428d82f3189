// @ts-check
/**
 * A number with its working: an index (`Explained`: `{id, name, formula, inputs, value,
 * source}`) or a score card, shown as a `<details>` whose summary is the name and value and
 * whose body is the formula, the inputs (symbol, name, value, source) and the source.
 *
 * Test ids: `explain-<id>` on the `<details>`, `score-card` on a score card.
 * @module components/explain
 */

import { h } from '../dom.js';
import { num, factionName } from '../format.js';

/**
 * How to print an index value: the headline balance is 0–100, shares are 0–1.
 * @param {string} id
 * @param {number} value
 */
export function indexValue(id, value) {
  if (id === 'deterrence_balance' || id === 'tension' || Math.abs(value) >= 10) return num(value, 1);
  return num(value, 2);
}

/**
 * @param {any} ex an `Explained`
 * @param {{open?: boolean, label?: string, testid?: string, headline?: boolean}} [opts]
 * @returns {HTMLDetailsElement}
 */
export function explainIndex(ex, opts = {}) {
  return h('details', {
    class: ['explain', opts.headline && 'headline'], open: !!opts.open,
    'data-testid': opts.testid || `explain-${ex.id}`,
  },
  h('summary', null,
    h('span', { class: 'explain-name' }, opts.label || ex.name),
    h('span', { class: 'explain-value num' }, indexValue(ex.id, ex.value))),
  h('div', { class: 'explain-body' },
    h('p', { class: 'formula' }, h('code', null, ex.formula)),
    ex.inputs && ex.inputs.length
      ? h('table', { class: 'table compact inputs' },
        h('caption', { class: 'visually-hidden' }, `Inputs of ${ex.name}`),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Symbol'), h('th', { scope: 'col' }, 'Input'),
          h('th', { scope: 'col', class: 'num' }, 'Value'), h('th', { scope: 'col' }, 'Source'))),
        h('tbody', null, ex.inputs.map((/** @type {any} */ i) => h('tr', null,
          h('td', null, h('code', null, i.symbol)),
          h('td', null, i.name),
          h('td', { class: 'num' }, num(i.value, 3)),
          h('td', { class: 'source' }, i.source)))))
      : null,
    ex.source ? h('p', { class: 'source' }, 'Source: ', ex.source) : null));
}

/**
 * A faction's score card: objectives with weights and values, bonus, penalty, round and game score.
 * @param {any} card a `ScoreCard`
 * @param {{open?: boolean}} [opts]
 * @returns {HTMLDetailsElement}
 */
export function explainScore(card, opts = {}) {
  return h('details', { class: 'explain score', open: !!opts.open, 'data-testid': 'score-card' },
    h('summary', null,
      h('span', { class: 'explain-name' }, `${factionName(card.faction)}: round score`),
      h('span', { class: 'explain-value num' }, num(card.round_score, 1)),
      h('span', { class: 'muted small' }, ` (game score ${num(card.game_score, 1)})`)),
    h('div', { class: 'explain-body' },
      h('table', { class: 'table compact' },
        h('caption', { class: 'visually-hidden' }, 'Objectives'),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Objective'), h('th', { scope: 'col', class: 'num' }, 'Weight'),
          h('th', { scope: 'col', class: 'num' }, 'Value'), h('th', { scope: 'col' }, 'Formula'))),
        h('tbody', null, card.objectives.map((/** @type {any} */ o) => h('tr', null,
          h('td', null, objectiveName(o.id)),
          h('td', { class: 'num' }, num(o.weight, 2)),
          h('td', { class: 'num' }, num(o.value, 2)),
          h('td', null, h('code', null, o.formula))))),
        h('tfoot', null,
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, 'Weighted'), h('td', { class: 'num' }, num(card.weighted, 1)), h('td')),
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, 'Stability bonus'), h('td', { class: 'num' }, num(card.bonus, 1)), h('td')),
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, 'Crisis penalty'), h('td', { class: 'num' }, num(card.penalty, 1)), h('td')),
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, 'Round score'), h('td', { class: 'num' }, num(card.round_score, 1)), h('td')),
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, 'Game score'), h('td', { class: 'num' }, num(card.game_score, 1)), h('td')))),
      h('p', { class: 'formula' }, h('code', null, card.formula)),
      card.source ? h('p', { class: 'source' }, 'Source: ', card.source) : null));
}

const OBJECTIVES = /** @type {Record<string, string>} */ ({
  retaliation_russia: 'Russia’s assured retaliation',
  retaliation_us: 'US assured retaliation',
  stability: 'First-strike stability',
  low_threat: 'Low perceived threat',
  status: 'Status',
  coverage: 'Coverage of NATO Europe',
  cohesion: 'Alliance cohesion',
  border_security: 'Afghan border security',
  autonomy: 'CSTO autonomy',
  readiness: 'CSTO rapid-reaction readiness',
  homeland_defence: 'Defence of the United States',
  allied_security: 'Security of NATO’s eastern allies',
  low_tension: 'Low tension',
});

/** @param {string} id */
export function objectiveName(id) {
  return OBJECTIVES[id] || id;
}

/** The explained entries of an `Indices`, headline first. @param {any} indices */
export function explainedEntries(indices) {
  if (!indices) return [];
  const order = ['deterrence_balance', 'stability', 'retaliation_russia', 'retaliation_us', 'perceived_engageability',
    'engageability', 'guarantee_credit', 'upgrade_headroom', 'expected_intercepts', 'kill_probability',
    'objects_per_warhead', 'coverage', 'homeland_defence', 'border_security'];
  /** @type {any[]} */
  const out = [];
  for (const id of order) {
    const e = indices[id];
    if (e && typeof e === 'object' && 'formula' in e) out.push(e);
  }
  return out;
}
