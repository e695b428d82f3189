// @ts-check
/**
 * The replay viewer (`/game/<id>/replay`): step through a game phase by phase as one seat saw
 * it then — Control's technical truth, a faction's own picture, or the public's — with that
 * moment's picture of the indices, the round's events, what had been said, the agreements and
 * the turn reports so far. Each step is the server's replay of the log up to it, through the
 * same view function as live (`GET /api/games/{id}/replay`). Control may replay a running
 * game; any seat (a shared replay link) an ended one.
 *
 * Test ids: `replay`, `replay-as`, `replay-step`, `replay-first`, `replay-prev`, `replay-next`,
 * `replay-last`, `replay-position`, `replay-index` (with `data-index`, `data-value`),
 * `replay-share`, `replay-link`; inside, the channels' and reports' own ids.
 * @module views/replay
 */

import { h, replace, errorBox, showError, uniqueId } from '../dom.js';
import * as api from '../api.js';
import { factionName, phaseName, roundLabel, firedName, firedText, statusText, indexName } from '../format.js';
import { t, errorText } from '../i18n.js';
import { explainIndex, explainedEntries } from '../components/explain.js';
import { createChannels } from '../components/channels.js';
import { createReports } from '../components/report.js';
import { ensureStyles, factionLabel, seatLink } from './viewkit.js';

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  ensureStyles();
  const store = /** @type {import('../store.js').GameStore} */ (ctx.store);
  const sc = store.scenario;
  const factions = sc.factions.map((/** @type {any} */ f) => f.id);
  const mySeat = store.you?.seat || store.view.seat;
  let alive = true;
  /** @type {string} */
  let as = mySeat?.role === 'faction' ? mySeat.faction : mySeat?.role === 'control' ? 'control' : 'public';
  /** @type {number | undefined} */
  let at;
  /** @type {any[]} */
  let steps = [];
  /** @type {{destroy: () => void} | null} */
  let channelsShown = null;

  const asId = uniqueId('replay-as');
  const stepId = uniqueId('replay-step');
  const asSelect = /** @type {HTMLSelectElement} */ (h('select', { id: asId, 'data-testid': 'replay-as' },
    h('option', { value: 'control' }, t('replay.asControl')),
    h('option', { value: 'public' }, t('replay.asPublic')),
    factions.map((/** @type {string} */ f) => h('option', { value: f }, t('replay.asFaction', { faction: factionName(f) })))));
  asSelect.value = as;
  const stepSelect = /** @type {HTMLSelectElement} */ (h('select', { id: stepId, 'data-testid': 'replay-step' }));
  /** @param {string} testid @param {string} label @param {() => number | undefined} to */
  const stepButton = (testid, label, to) => {
    const b = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button small', 'data-testid': testid }, label));
    b.addEventListener('click', () => { const n = to(); if (n !== undefined) load(n); });
    return b;
  };
  const index = () => steps.findIndex((s) => s.seq === at);
  const first = stepButton('replay-first', t('replay.first'), () => steps[0]?.seq);
  const prev = stepButton('replay-prev', t('replay.prev'), () => steps[Math.max(0, index() - 1)]?.seq);
  const next = stepButton('replay-next', t('replay.next'), () => steps[Math.min(steps.length - 1, index() + 1)]?.seq);
  const last = stepButton('replay-last', t('replay.last'), () => steps[steps.length - 1]?.seq);
  const position = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'replay-position' });
  const err = errorBox('replay-error');
  const body = h('div', null, h('p', { class: 'loading' }, t('replay.loading')));

  // Control may share a read-only link (an observer seat) to the replay.
  const shareBox = h('div', { class: 'no-print' });
  if (mySeat?.role === 'control') {
    const shareErr = errorBox('replay-share-error');
    const share = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button small', 'data-testid': 'replay-share' }, t('replay.share')));
    share.addEventListener('click', async () => {
      share.disabled = true;
      showError(shareErr, null);
      try {
        const r = await api.newLink(store.gameId, store.token, { kind: 'replay' });
        const id = uniqueId('replay-link');
        replace(shareBox, h('p', { class: 'hint' }, t('replay.shareHint')),
          h('label', { for: id }, t('replay.shareLabel')), ' ',
          h('input', { id, type: 'text', readOnly: true, class: 'join-link-input', 'data-testid': 'replay-link',
            value: seatLink(r.token).replace('/seat#', '/seat?view=replay#') }));
      } catch (x) {
        showError(shareErr, /** @type {any} */ (x));
        share.disabled = false;
      }
    });
    replace(shareBox, share, shareErr);
  }

  replace(root, h('div', { class: 'replay', 'data-testid': 'replay' },
    h('section', { class: 'panel' },
      h('h1', null, t('replay.title', { title: store.view.title || sc.title })),
      h('p', { class: 'hint' }, t('replay.hint')),
      h('div', { class: 'inline-form' },
        h('label', { for: asId }, t('replay.as')), asSelect,
        h('label', { for: stepId }, t('replay.step')), stepSelect),
      h('div', { class: 'actions' }, first, prev, next, last),
      position, err, shareBox),
    body));

  asSelect.addEventListener('change', () => { as = asSelect.value; load(at); });
  stepSelect.addEventListener('change', () => load(Number(stepSelect.value)));

  /** Requests made: only the latest one's answer is shown (answers may come out of order). */
  let asked = 0;

  /** @param {number | undefined} seq */
  async function load(seq) {
    showError(err, null);
    const mine = ++asked;
    try {
      const frame = await api.replay(store.gameId, store.token, { at: seq, as });
      if (!alive || mine !== asked) return;
      steps = frame.steps;
      at = frame.seq;
      if (!steps.some((s) => s.seq === at) && steps.length) at = steps[steps.length - 1].seq;
      render(frame);
    } catch (x) {
      if (alive && mine === asked) showError(err, /** @type {any} */ (x));
    }
  }

  /** @param {any} frame */
  function render(frame) {
    const v = frame.view;
    const i = index();
    replace(stepSelect, steps.map((s) => h('option', { value: String(s.seq), selected: s.seq === at },
      t('replay.stepOption', { round: roundLabel(s.round), phase: phaseName(s.phase) }))));
    first.disabled = prev.disabled = i <= 0;
    next.disabled = last.disabled = i < 0 || i >= steps.length - 1;
    const step = steps[i];
    replace(position, step ? t('replay.position', { n: i + 1, count: steps.length, round: roundLabel(step.round), phase: phaseName(step.phase) }) : '');

    // The components read a store: this moment's view, seen by the chosen seat.
    const fake = /** @type {any} */ ({
      gameId: store.gameId, token: store.token, scenario: sc, view: v, you: { seat: v.seat, seat_id: null, name: '' },
    });
    const picture = explainedEntries(v.indices?.[0]);
    const events = (v.briefings || []).filter((/** @type {any} */ b) => b[0] === v.round);
    channelsShown?.destroy();
    const channels = createChannels({ store: fake, readOnly: true });
    channelsShown = channels;
    const reports = createReports({ store: fake });
    reports.update();
    replace(body,
      h('div', { class: 'grid-2' },
        h('section', { class: 'panel', 'aria-labelledby': 'rp-pic-h' },
          h('h2', { id: 'rp-pic-h' }, t('replay.picture')),
          h('ul', { class: 'plain-list' }, picture.map((ex) => h('li', { 'data-testid': 'replay-index', 'data-index': ex.id, 'data-value': String(ex.value) },
            explainIndex(ex, { label: indexName(ex) }))))),
        h('section', { class: 'panel', 'aria-labelledby': 'rp-ev-h' },
          h('h2', { id: 'rp-ev-h' }, t('replay.events')),
          events.length ? events.map((/** @type {any} */ b) => h('div', null, h('h3', null, firedName(b[1])), h('p', null, firedText(b[1]))))
            : h('p', { class: 'muted' }, t('replay.noEvents')),
          h('h2', null, t('replay.agreements')),
          v.agreements.length ? h('ul', { class: 'plain-list' }, v.agreements.map((/** @type {any} */ a) => h('li', null,
            h('strong', null, a.terms.title), ' — ', a.terms.parties.map((/** @type {string} */ f) => factionLabel(f)), ' · ', statusText(a.status))))
            : h('p', { class: 'muted' }, t('replay.noAgreements')))),
      h('section', { class: 'panel', 'aria-labelledby': 'rp-ch-h' }, h('h2', { id: 'rp-ch-h' }, t('replay.channels')), channels.el),
      h('section', { class: 'panel', 'aria-labelledby': 'rp-rep-h' }, h('h2', { id: 'rp-rep-h' }, t('replay.reports')), reports.el));
  }

  load(undefined);
  return { unmount() { alive = false; channelsShown?.destroy(); } };
}
