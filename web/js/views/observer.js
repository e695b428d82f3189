// @ts-check
/**
 * The observer view (`/game/<id>` for an observer seat): public information only, exactly
 * what the observer's SeatView carries: the map, round, phase and countdown, tension, the
 * plenary (read only), event cards and Control's notes, public agreements, the public picture
 * of the indices with their explanations, and the public parts of the turn reports.
 *
 * Test ids: `observer`, `public-indices`, `briefing`, `public-agreements`, `public-agreement`
 * (`data-agreement-id`, `data-status`), `projector-link`, `game-ended`, `after-link`, plus the
 * components' (`clock`, `connection-status`, `tension-meter`, `map`, `channels`, `messages`,
 * `message`, `reports`, `turn-report`, `chart`, `explain-<index id>`).
 * @module views/observer
 */

import { h, replace } from '../dom.js';
import { factionName, roundLabel, statusText, endingText, clauseText, andList, firedName, firedText } from '../format.js';
import { t } from '../i18n.js';
import { createClock, createConnectionStatus } from '../components/clock.js';
import { createTensionMeter } from '../components/charts.js';
import { createChannels } from '../components/channels.js';
import { createReports } from '../components/report.js';
import { explainIndex, explainedEntries } from '../components/explain.js';
import { loadMap, fullScreenToggle } from '../components/loadmap.js';
import { ensureStyles, statusClass, afterLink } from './viewkit.js';

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

  const clock = createClock({ store, compact: true });
  const conn = createConnectionStatus(store);
  replace(ctx.header, clock.el, conn.el);

  const tension = createTensionMeter(store);
  const channels = createChannels({ store, readOnly: true });
  const reports = createReports({ store });
  const indicesBox = h('div', { class: 'explain-list', 'data-testid': 'public-indices' });
  const briefingBox = h('div', { 'data-testid': 'briefing' });
  const agreementsBox = h('div', { 'data-testid': 'public-agreements' });
  const endBanner = h('div', { class: 'panel ended', 'data-testid': 'game-ended', hidden: true });
  const mapBox = h('div', { class: 'map-box' }, h('p', { class: 'muted', 'data-testid': 'map-placeholder' }, t('facilitator.loadingMap')));
  /** @type {{el: Element, list?: HTMLElement, legendEl?: HTMLElement | null, update: (view: any) => void} | null} */
  let map = null;

  /** @param {string} id @param {string} heading @param {...any} body */
  const sec = (id, heading, ...body) => h('section', { id, class: 'panel', 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, heading), ...body);

  const mapFull = fullScreenToggle(() => mapSec);
  const mapSec = sec('obs-map', t('facilitator.map'), mapFull.button, mapBox);
  mapSec.classList.add('area-map');
  replace(root, h('div', { class: 'observer', 'data-testid': 'observer' },
    h('div', { class: 'panel observer-bar' },
      h('h1', null, t('facilitator.observer.title', { name: store.you?.name || '' })),
      tension.el,
      h('a', { href: `/game/${gameId}/projector`, target: '_blank', rel: 'noopener', class: 'button small', 'data-testid': 'projector-link' },
        t('facilitator.observer.projector'), h('span', { class: 'visually-hidden' }, t('facilitator.newTab')))),
    endBanner,
    h('p', { class: 'hint' }, t('facilitator.observer.hint')),
    h('div', { class: 'observer-grid' },
      h('div', { class: 'observer-col' },
        mapSec,
        sec('obs-indices', t('facilitator.observer.picture'), h('p', { class: 'hint' }, t('facilitator.observer.pictureHint')), indicesBox)),
      h('div', { class: 'observer-col' },
        sec('obs-plenary', t('facilitator.plenary'), channels.el),
        sec('obs-briefing', t('facilitator.eventsNotes'), briefingBox),
        sec('obs-agreements', t('facilitator.publicAgreements'), agreementsBox))),
    sec('obs-reports', t('facilitator.reports.public'), reports.el)));

  let idxKey = '';
  function updateIndices() {
    const ix = store.view.indices?.[0];
    const key = JSON.stringify(ix?.values || null);
    if (key === idxKey) return;
    idxKey = key;
    const open = new Set([...indicesBox.querySelectorAll('details[open]')].map((d) => d.getAttribute('data-testid')));
    replace(indicesBox, ix
      ? explainedEntries(ix).map((e) => explainIndex(e, { headline: e.id === 'deterrence_balance', open: open.has(`explain-${e.id}`) }))
      : h('p', { class: 'muted' }, t('facilitator.noIndices')));
  }

  let briefKey = '';
  function updateBriefing() {
    const v = store.view;
    const key = JSON.stringify([v.round, v.briefings.length, v.annotations.length]);
    if (key === briefKey) return;
    briefKey = key;
    /** @param {any} b */
    const card = (b) => h('article', { class: 'event-card' },
      h('h3', null, firedName(b[1]), b[1].injected ? h('span', { class: 'tag' }, t('facilitator.injected')) : null),
      h('p', { class: 'muted small' }, roundLabel(b[0])),
      h('p', null, firedText(b[1])));
    const now = v.briefings.filter((/** @type {any} */ b) => b[0] === v.round);
    const earlier = v.briefings.filter((/** @type {any} */ b) => b[0] !== v.round).reverse();
    replace(briefingBox,
      now.length ? now.map(card) : h('p', { class: 'muted' }, t('facilitator.observer.noEvent', { round: roundLabel(v.round) })),
      v.annotations.length ? h('div', { class: 'notes' }, h('h3', null, t('facilitator.observer.notes')),
        h('ul', null, [...v.annotations].reverse().map((/** @type {any} */ n) => h('li', null, h('span', { class: 'muted small' }, `${roundLabel(n[0])}: `), n[1])))) : null,
      earlier.length ? h('details', null, h('summary', null, t('facilitator.observer.earlier', { count: earlier.length })), earlier.map(card)) : null);
  }

  let agrKey = '';
  function updateAgreements() {
    const v = store.view;
    const key = JSON.stringify(v.agreements);
    if (key === agrKey) return;
    agrKey = key;
    const list = v.agreements.filter((/** @type {any} */ a) => a.terms.public || v.phase === 'ended');
    replace(agreementsBox, list.length ? list.map((/** @type {any} */ a) => h('article', {
      class: ['agreement', `status-${a.status.status}`], 'data-testid': 'public-agreement',
      'data-agreement-id': String(a.id), 'data-status': a.status.status,
    },
    h('div', { class: 'proposal-head' }, h('h3', null, a.terms.title), h('span', { class: ['tag', statusClass(a.status)] }, statusText(a.status))),
    h('p', { class: 'small muted' }, t('facilitator.observer.agreementLine', { parties: andList(a.terms.parties.map(factionName)), signed: roundLabel(a.signed_round), until: roundLabel(a.until_round) })),
    h('ol', { class: 'clauses' }, a.terms.clauses.map((/** @type {any} */ c) => h('li', null, clauseText(c))))))
      : h('p', { class: 'muted' }, t('facilitator.noPublicAgreement')));
  }

  function updateAll() {
    const v = store.view;
    clock.update();
    conn.update();
    tension.update();
    channels.update();
    reports.update();
    updateIndices();
    updateBriefing();
    updateAgreements();
    if (map) {
      try { map.update(v); } catch (e) { console.error(e); }
    }
    endBanner.hidden = v.phase !== 'ended';
    if (v.phase === 'ended') replace(endBanner, h('h2', null, t('facilitator.gameOver')), h('p', null, endingText(v.ending)), h('p', null, afterLink(gameId)));
  }

  const unfollow = store.follow(() => conn.update(), updateAll);

  let alive = true;
  loadMap(mapBox, { scenario: sc, legend: 'html' }, () => store.view, () => alive, (m) => { map = m; });

  updateAll();
  return {
    unmount() {
      alive = false;
      unfollow();
      mapFull.destroy();
      clock.destroy();
    },
  };
}
