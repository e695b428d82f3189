// @ts-check
/**
 * What-if branches in the console (docs/protocol.md, `POST /api/games/{id}/branch`): the
 * Branch panel (a point this game has reached, a title, the same people or not), and the note
 * a branch's own pages show about where it came from.
 *
 * Test ids: `branch-panel`, `branch-point`, `branch-title`, `branch-same-people`,
 * `branch-create`, `branch-error`, `branch-result`, `branch-open`, `branch-person-link`,
 * `branch-note`.
 * @module components/branch
 */

import * as api from '../api.js';
import { h, replace, errorBox, showError, uniqueId } from '../dom.js';
import { factionName, phaseName, roundLabel } from '../format.js';
import { saveSeat, loadSeat } from '../session.js';
import { t } from '../i18n.js';
import { seatLink } from '../views/viewkit.js';

const PHASES = ['briefing', 'negotiation', 'orders', 'review'];

/**
 * The points a branch may start from: every phase of every round the game has reached.
 * @param {any} view
 * @returns {Array<{round: number, phase: string}>}
 */
export function branchPoints(view) {
  /** @type {Array<{round: number, phase: string}>} */
  const out = [];
  if (!view || view.phase === 'lobby') return out;
  for (let r = 0; r <= view.round; r++) {
    for (const phase of PHASES) {
      if (r === view.round && view.phase !== 'ended' && PHASES.indexOf(phase) > PHASES.indexOf(view.phase)) break;
      out.push({ round: r, phase });
    }
  }
  return out;
}

/**
 * The console's Branch panel.
 * @param {{store: import('../store.js').GameStore, navigate: (path: string) => void}} opts
 * @returns {{el: HTMLElement, update: () => void}}
 */
export function createBranchPanel({ store, navigate }) {
  const pointId = uniqueId('branch-point');
  const titleId = uniqueId('branch-title');
  const sameId = uniqueId('branch-same');
  const point = /** @type {HTMLSelectElement} */ (h('select', { id: pointId, 'data-testid': 'branch-point' }));
  const title = /** @type {HTMLInputElement} */ (h('input', { id: titleId, maxlength: '60', 'data-testid': 'branch-title' }));
  const same = /** @type {HTMLInputElement} */ (h('input', { id: sameId, type: 'checkbox', checked: true, 'data-testid': 'branch-same-people' }));
  const create = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'button', 'data-testid': 'branch-create' }, t('branches.create')));
  const err = errorBox('branch-error');
  const result = h('div', { 'data-testid': 'branch-result', role: 'status' });
  const form = h('form', { class: 'stack-form' },
    h('label', { for: pointId }, t('branches.point')), point,
    h('label', { for: titleId }, t('branches.titleLabel')), title,
    h('div', { class: 'choice' }, same, h('label', { for: sameId }, t('branches.samePeople'))),
    h('div', { class: 'actions' }, create), err);
  const el = h('details', { class: 'panel', id: 'sec-branch', 'data-testid': 'branch-panel' },
    h('summary', null, h('h2', { class: 'inline' }, t('branches.title'))),
    h('p', { class: 'hint' }, t('branches.hint')),
    form, result);

  let pointsKey = '';
  function update() {
    const points = branchPoints(store.view);
    const key = JSON.stringify(points);
    if (key === pointsKey) return;
    pointsKey = key;
    const chosen = point.value;
    replace(point, points.map((p) => {
      const value = `${p.round}:${p.phase}`;
      return h('option', { value, selected: value === chosen },
        t('branches.pointOption', { round: roundLabel(p.round), phase: phaseName(p.phase) }));
    }));
    if (!chosen && points.length) point.value = `${points[points.length - 1].round}:briefing`;
    create.disabled = !points.length;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    const [round, phase] = point.value.split(':');
    const own = store.view.title || '';
    const label = roundLabel(Number(round));
    create.disabled = true;
    try {
      const r = await api.branchGame(store.gameId, store.token, {
        round: Number(round), phase,
        title: title.value.trim() || (own ? t('branches.titleDefault', { title: own, round: label }).slice(0, 60) : undefined),
        same_people: same.checked,
      });
      const mine = loadSeat(store.gameId);
      saveSeat(r.game_id, {
        token: r.control_token, seat_id: r.control_seat_id, seat: { role: 'control' },
        name: mine?.name || store.you?.name || '', join_code: r.join_code,
        title: title.value.trim() || undefined,
      });
      const open = h('a', { href: `/game/${r.game_id}`, class: 'button primary small', 'data-testid': 'branch-open',
        onclick: (/** @type {MouseEvent} */ ev) => { ev.preventDefault(); navigate(`/game/${r.game_id}`); } }, t('branches.open'));
      replace(result,
        h('p', null, t('branches.created', { code: r.join_code }), ' ', open),
        r.seats.length ? h('ul', { class: 'plain-list small' }, r.seats.map((/** @type {any} */ s) => {
          const id = uniqueId('branch-link');
          return h('li', null, h('label', { for: id }, t('branches.personLink', { name: s.name, faction: factionName(s.faction) })), ' ',
            h('input', { id, type: 'text', readOnly: true, value: seatLink(s.seat_token), class: 'join-link-input', 'data-testid': 'branch-person-link' }));
        })) : null);
    } catch (x) {
      showError(err, /** @type {any} */ (x));
    } finally {
      create.disabled = false;
    }
  });

  update();
  return { el, update };
}

/**
 * On a branch's pages: where it came from, with a link to the original game when this browser
 * holds a seat there. Null for a game that is not a branch.
 * @param {any} view
 */
export function branchNote(view) {
  const b = view?.branch;
  if (!b) return null;
  const held = loadSeat(b.parent);
  return h('p', { class: 'notice small', 'data-testid': 'branch-note' },
    t('branches.note', { round: roundLabel(b.round), phase: phaseName(b.phase) }),
    held ? [' ', h('a', { href: `/game/${b.parent}`, 'data-link': true }, t('branches.parentLink'))] : null);
}
