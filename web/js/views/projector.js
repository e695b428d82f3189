// @ts-check
/**
 * The projector view (`/game/<id>/projector`) for a classroom screen: large type, the map,
 * round, phase and countdown, the tension meter, the latest plenary messages, event cards and
 * Control's notes, public agreements, the public deterrence balance, and the join code with its
 * QR code. It runs with whatever seat opened it (Control or an observer) but shows only public
 * information: it draws from {@link publicView}, never from orders, purses, proposals or
 * private channels.
 *
 * Test ids: `projector`, `join-code`, `qr`, `map` (helper B's map), `headlines`, `headline`,
 * `event-cards`, `public-agreements`, `public-agreement`, `public-balance`, and the clock's
 * and tension meter's (`clock`, `round`, `phase`, `countdown`, `tension-meter`); `after-link`
 * once the game has ended.
 * @module views/projector
 */

import { h, replace } from '../dom.js';
import { qrUrl } from '../api.js';
import { factionName, roundLabel, timeOfDay, statusText, endingText, num, andList, seatLabel, firedName, firedText } from '../format.js';
import { t } from '../i18n.js';
import { createClock, createConnectionStatus } from '../components/clock.js';
import { createTensionMeter } from '../components/charts.js';
import { loadMap } from '../components/loadmap.js';
import { ensureStyles, publicView, swatch, statusClass, afterLink, joinLink, loadReach, reachWarning } from './viewkit.js';
import { tNodes } from '../components/tnodes.js';

const HEADLINES = 5;

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
  const code = store.joinCode || '';

  // The clock (round, phase, deadline) and tension are public for every seat.
  const clock = createClock({ store });
  const conn = createConnectionStatus(store);
  replace(ctx.header, conn.el);
  const tension = createTensionMeter(store);

  const joinBox = code
    ? h('div', { class: 'projector-join' },
      h('img', { src: qrUrl(code), alt: t('facilitator.projector.qrAlt', { code }), width: '180', height: '180', 'data-testid': 'qr' }),
      h('div', null,
        h('p', { class: 'stat-label', id: 'pj-code-label' }, t('facilitator.projector.joinWith')),
        h('p', { class: 'join-code-big', 'data-testid': 'join-code', 'aria-labelledby': 'pj-code-label' }, code),
        h('p', { class: 'small', 'data-testid': 'join-url' }, joinLink(code))))
    : h('p', { class: 'muted' }, t('facilitator.projector.noCode'));

  const reachBox = h('div', { 'data-testid': 'reach' });
  loadReach().then((info) => {
    const url = joinBox.querySelector('[data-testid="join-url"]');
    if (url && code) url.textContent = joinLink(code);
    replace(reachBox, reachWarning(info));
  });
  const balance = h('p', { class: 'projector-balance', 'data-testid': 'public-balance' });
  const headlines = h('ol', { class: 'headlines', 'data-testid': 'headlines', 'aria-live': 'polite' });
  const cards = h('div', { 'data-testid': 'event-cards' });
  const agreements = h('ul', { class: 'plain-list', 'data-testid': 'public-agreements' });
  const ended = h('div', { class: 'panel ended', hidden: true });
  const lobby = h('div', { class: 'panel projector-lobby', 'data-testid': 'projector-lobby', hidden: true },
    h('h2', null, t('facilitator.projector.joinNow')),
    h('p', null, code ? t('facilitator.projector.scan', { code }) : t('facilitator.projector.begins')));
  const mapBox = h('div', { class: 'map-box projector-map' }, h('p', { class: 'muted' }, t('facilitator.loadingMap')));
  /** @type {{el: Element, update: (view: any) => void, list?: HTMLElement} | null} */
  let map = null;

  replace(root, h('div', { class: 'projector', 'data-testid': 'projector' },
    h('div', { class: 'panel projector-top' },
      h('h1', null, store.view?.title || sc.title),
      store.view?.title ? h('p', { class: 'muted' }, sc.title) : null,
      clock.el, tension.el),
    reachBox, lobby, ended,
    h('div', { class: 'projector-grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'pj-map-h' }, h('h2', { id: 'pj-map-h', class: 'visually-hidden' }, t('facilitator.map')), mapBox),
      h('div', null,
        h('section', { class: 'panel', 'aria-labelledby': 'pj-join-h' }, h('h2', { id: 'pj-join-h', class: 'visually-hidden' }, t('facilitator.projector.joinThis')), joinBox),
        h('section', { class: 'panel', 'aria-labelledby': 'pj-plenary-h' }, h('h2', { id: 'pj-plenary-h' }, t('facilitator.plenary')), headlines),
        h('section', { class: 'panel', 'aria-labelledby': 'pj-events-h' }, h('h2', { id: 'pj-events-h' }, t('facilitator.eventsNotes')), cards),
        h('section', { class: 'panel', 'aria-labelledby': 'pj-agr-h' }, h('h2', { id: 'pj-agr-h' }, t('facilitator.publicAgreements')), agreements, balance)))));

  let lastKey = '';
  function update() {
    const v = publicView(store.view);
    if (!v) return;
    clock.update();
    tension.update();
    conn.update();
    lobby.hidden = v.phase !== 'lobby';
    if (map) map.update(v);
    const key = JSON.stringify([v.messages.length, v.briefings.length, v.annotations.length, v.agreements, v.reports.length, v.phase, v.round]);
    if (key === lastKey) return;
    lastKey = key;

    const msgs = v.messages.slice(-HEADLINES).reverse();
    replace(headlines, msgs.length ? msgs.map((/** @type {any} */ m) => h('li', { 'data-testid': 'headline' },
      m.from?.role === 'faction' ? swatch(m.from.faction) : null,
      h('span', { class: 'headline-author' }, m.author),
      h('span', { class: 'muted' }, t('facilitator.projector.headlineMeta', {
        who: m.from?.role === 'faction' ? factionName(m.from.faction) : m.from?.role === 'control' ? seatLabel(m.from) : '', time: timeOfDay(m.at_ms),
      })),
      m.text)) : h('li', { class: 'muted' }, t('facilitator.projector.noMessages')));

    /** @type {Array<{round: number, node: HTMLElement}>} */
    const items = [];
    v.briefings.forEach((/** @type {any} */ b) => items.push({
      round: b[0],
      node: h('article', { class: 'headline-card event-card' },
        h('h3', null, firedName(b[1]), b[1].injected ? h('span', { class: 'tag' }, t('facilitator.injected')) : null),
        h('p', { class: 'muted' }, roundLabel(b[0])),
        h('p', null, firedText(b[1]))),
    }));
    v.annotations.forEach((/** @type {any} */ a) => items.push({
      round: a[0],
      node: h('article', { class: 'headline-card event-card' }, h('h3', null, t('facilitator.projector.note')), h('p', { class: 'muted' }, roundLabel(a[0])), h('p', null, a[1])),
    }));
    const recent = items.filter((x) => x.round >= v.round - 1).slice(-4).reverse();
    replace(cards, recent.length ? recent.map((x) => x.node) : h('p', { class: 'muted' }, t('facilitator.projector.noEvents')));

    const agr = [...v.agreements].reverse().slice(0, 6);
    replace(agreements, agr.length ? agr.map((/** @type {any} */ a) => h('li', { class: 'agreement-line', 'data-testid': 'public-agreement', 'data-status': a.status.status },
      h('strong', null, a.terms.title), ' — ', andList(a.terms.parties.map(factionName)), ' ',
      h('span', { class: ['tag', statusClass(a.status)] }, statusText(a.status)))) : h('li', { class: 'muted' }, t('facilitator.noPublicAgreement')));

    const last = v.reports[v.reports.length - 1];
    const db = last?.public?.indices?.values?.deterrence_balance ?? v.indices?.[0]?.values?.deterrence_balance;
    replace(balance, db === undefined ? '' : tNodes('facilitator.projector.balance', { value: h('strong', null, num(db, 1)) }));
    balance.hidden = db === undefined;

    ended.hidden = v.phase !== 'ended';
    if (v.phase === 'ended') replace(ended, h('h2', null, t('facilitator.gameOver')), h('p', null, endingText(v.ending)), h('p', null, afterLink(gameId)));
  }

  const unsubscribe = store.subscribe(() => update());
  let alive = true;
  loadMap(
    mapBox,
    { scenario: sc, legend: 'svg', title: t('facilitator.projector.mapTitle') },
    () => publicView(store.view),
    () => alive,
    (m) => { map = m; },
  );

  update();
  return {
    unmount() {
      alive = false;
      unsubscribe();
      clock.destroy();
    },
  };
}
