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
import { num, factionName, indexName } from '../format.js';
import { t, has } from '../i18n.js';

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
    h('span', { class: 'explain-name' }, opts.label || indexName(ex)),
    h('span', { class: 'explain-value num' }, indexValue(ex.id, ex.value))),
  h('div', { class: 'explain-body' },
    h('p', { class: 'formula' }, h('code', null, ex.formula)),
    ex.inputs && ex.inputs.length
      ? h('table', { class: 'table compact inputs' },
        h('caption', { class: 'visually-hidden' }, t('desk.explain.inputsOf', { name: indexName(ex) })),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('desk.explain.symbol')), h('th', { scope: 'col' }, t('desk.explain.input')),
          h('th', { scope: 'col', class: 'num' }, t('desk.explain.value')), h('th', { scope: 'col' }, t('desk.explain.source')))),
        h('tbody', null, ex.inputs.map((/** @type {any} */ i) => h('tr', null,
          h('td', null, h('code', null, i.symbol)),
          h('td', null, i.name),
          h('td', { class: 'num' }, num(i.value, 3)),
          h('td', { class: 'source' }, i.source)))))
      : null,
    ex.source ? h('p', { class: 'source' }, t('desk.explain.sourceLead'), ex.source) : null));
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
      h('span', { class: 'explain-name' }, t('desk.explain.roundScoreOf', { faction: factionName(card.faction) })),
      h('span', { class: 'explain-value num' }, num(card.round_score, 1)),
      h('span', { class: 'muted small' }, t('desk.explain.gameScoreNote', { score: num(card.game_score, 1) }))),
    h('div', { class: 'explain-body' },
      h('table', { class: 'table compact' },
        h('caption', { class: 'visually-hidden' }, t('desk.explain.objectives')),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('desk.explain.objective')), h('th', { scope: 'col', class: 'num' }, t('desk.explain.weight')),
          h('th', { scope: 'col', class: 'num' }, t('desk.explain.value')), h('th', { scope: 'col' }, t('desk.explain.formula')))),
        h('tbody', null, card.objectives.map((/** @type {any} */ o) => h('tr', null,
          h('td', null, objectiveName(o.id)),
          h('td', { class: 'num' }, num(o.weight, 2)),
          h('td', { class: 'num' }, num(o.value, 2)),
          h('td', null, h('code', null, o.formula))))),
        h('tfoot', null,
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, t('desk.explain.weighted')), h('td', { class: 'num' }, num(card.weighted, 1)), h('td')),
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, t('desk.explain.bonus')), h('td', { class: 'num' }, num(card.bonus, 1)), h('td')),
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, t('desk.explain.penalty')), h('td', { class: 'num' }, num(card.penalty, 1)), h('td')),
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, t('desk.explain.roundScore')), h('td', { class: 'num' }, num(card.round_score, 1)), h('td')),
          h('tr', null, h('th', { scope: 'row', colspan: '2' }, t('desk.explain.gameScore')), h('td', { class: 'num' }, num(card.game_score, 1)), h('td')))),
      h('p', { class: 'formula' }, h('code', null, card.formula)),
      card.source ? h('p', { class: 'source' }, t('desk.explain.sourceLead'), card.source) : null));
}

/**
 * An objective's name (`desk.objective.<id>` in the catalogue), else its id.
 * @param {string} id
 */
export function objectiveName(id) {
  const key = `desk.objective.${id}`;
  return has(key) ? t(key) : id;
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
