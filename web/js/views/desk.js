// @ts-check
/**
 * The faction desk (`/game/<id>` for a faction seat): clock and connection state in the page
 * header; resources, the tension meter and Ready; the map; the faction's perceived indices
 * (each explaining itself); the briefing; channels; negotiation; orders; turn reports.
 *
 * The sections are laid out by phase: the current phase's tools come first, in the wide column
 * (briefing and map in the briefing, negotiation in the negotiation, orders in the orders phase,
 * the turn report in the review); "what to do now" (components/guide.js) sits above them.
 *
 * Test ids: `desk` (`data-phase`), `desk-bar`, `connection-status` (`data-status`), `connection-banner`, `budget`,
 * `capital`, `tension-meter`, `ready` (`data-state`: `ready` | `not-ready`), `ready-status`, `ready-error`,
 * `indices`, `briefing`, `map`, `map-placeholder`, `game-ended`, `after-link`, `review-note`, `lobby-note`,
 * and those of the components it holds (clock, guide, channels, proposals, orders, report).
 * @module views/desk
 */

import { h, replace, errorBox, showError } from '../dom.js';
import { factionName, factionColour, num, endingText, roundLabel, phaseName, actionName, firedName, firedText } from '../format.js';
import { createClock, createConnectionStatus, createConnectionBanner } from '../components/clock.js';
import { createTensionMeter } from '../components/charts.js';
import { createChannels } from '../components/channels.js';
import { createProposals } from '../components/proposals.js';
import { createOrders } from '../components/orders.js';
import { createReports } from '../components/report.js';
import { explainIndex, explainedEntries } from '../components/explain.js';
import { loadMap, fullScreenToggle } from '../components/loadmap.js';
import { createGuide } from '../components/guide.js';
import { tNodes } from '../components/tnodes.js';
import { t, has } from '../i18n.js';

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  const store = /** @type {import('../store.js').GameStore} */ (ctx.store);
  const me = /** @type {string} */ (store.faction);
  const sc = store.scenario;

  const clock = createClock({ store, compact: true });
  const conn = createConnectionStatus(store);
  const banner = createConnectionBanner(store);
  replace(ctx.header, clock.el, conn.el);

  // ---- top bar ----
  const budget = h('span', { class: 'stat-value num', 'data-testid': 'budget' });
  const capital = h('span', { class: 'stat-value num', 'data-testid': 'capital' });
  const score = h('span', { class: 'stat-value num', 'data-testid': 'game-score' });
  const tension = createTensionMeter(store);
  const readyBtn = h('button', { type: 'button', class: 'button primary', 'data-testid': 'ready' }, t('desk.ready'));
  const readyStatus = h('span', { class: 'ready-status small', 'data-testid': 'ready-status', role: 'status' });
  const readyErr = errorBox('ready-error');
  const guide = createGuide({ store });
  const endBanner = h('div', { class: 'panel ended', 'data-testid': 'game-ended', hidden: true });
  const reviewNote = h('p', { class: 'panel review-note', 'data-testid': 'review-note', hidden: true });
  const lobbyNote = h('div', { class: 'panel review-note', 'data-testid': 'lobby-note', role: 'status', hidden: true },
    h('h2', null, t('desk.lobby.title')),
    h('p', null, t('desk.lobby.text')));
  const title = h('h1', { class: 'desk-title' });
  const swatch = h('span', { class: 'swatch big', 'aria-hidden': 'true' });
  swatch.style.setProperty('--swatch', factionColour(me));

  // Whether this seat's Ready stands: its own mark in a team of several, the faction's when
  // it plays alone.
  const isTeam = () => (store.team || []).length > 1;
  const myReady = () => {
    const v = store.view;
    if (isTeam()) return (v.members_ready?.[me] || []).some((/** @type {any} */ m) => m.member === store.you?.seat_id);
    return v.ready.includes(me);
  };

  // While Ready is on its way, and for a moment after its events are in the view (the ack comes
  // first), the button ignores clicks: the last Ready ends the phase, and a double click would
  // otherwise declare this faction Ready in the next phase too. It is never disabled meanwhile,
  // so the focus stays on it.
  /** @type {'' | 'sending' | 'settling'} */
  let readyBusy = '';
  readyBtn.addEventListener('click', async () => {
    const v = store.view;
    if (readyBusy || v.phase === 'ended' || v.phase === 'lobby') return;
    showError(readyErr, null);
    const withdraw = myReady();
    readyBusy = 'sending';
    updateBar();
    const started = Date.now();
    try {
      const ack = await store.command({ type: withdraw ? 'withdraw_ready' : 'ready' });
      await store.caughtUp(ack.seq);
      readyBusy = 'settling';
      updateBar();
      const wait = 800 - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    } catch (x) {
      showError(readyErr, /** @type {any} */ (x));
    } finally {
      readyBusy = '';
      updateBar();
    }
  });

  const bar = h('div', { class: 'desk-bar panel', 'data-testid': 'desk-bar' },
    h('div', { class: 'desk-who' }, swatch, title),
    h('div', { class: 'stats', role: 'group', 'aria-label': t('desk.resources') },
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, t('desk.budget')), budget),
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, t('desk.capital')), capital),
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, t('desk.gameScore')), score)),
    tension.el,
    h('div', { class: 'ready-box' }, readyBtn, readyStatus, readyErr));

  const nav = h('nav', { class: 'desk-nav', 'aria-label': t('desk.nav') });

  // ---- sections ----
  const mapBox = h('div', { class: 'map-box' }, h('p', { class: 'muted', 'data-testid': 'map-placeholder' }, t('desk.map.loading')));
  /** @type {{el: Element, list?: HTMLElement, legendEl?: HTMLElement | null, update: (view: any) => void} | null} */
  let map = null;
  const indicesBox = h('div', { class: 'explain-list', 'data-testid': 'indices' });
  const briefingBox = h('div', { 'data-testid': 'briefing' });
  const channels = createChannels({ store });
  const proposals = createProposals({ store });
  const orders = createOrders({ store });
  const reports = createReports({ store });

  /** @param {string} id @param {string} heading @param {string} cls @param {...any} body */
  const sec = (id, heading, cls, ...body) => h('section', { id, class: ['panel', cls], 'aria-labelledby': `${id}-h`, tabindex: '-1' },
    h('h2', { id: `${id}-h` }, heading), ...body);

  // The map fills the screen on demand (a phone, or reading it from the back of the room).
  const mapFull = fullScreenToggle(() => sections.map);
  const sections = {
    map: sec('sec-map', t('desk.sec.map'), 'area-map', mapFull.button, mapBox),
    indices: sec('sec-indices', t('desk.sec.indices', { faction: factionName(me) }), 'area-indices',
      h('p', { class: 'hint' }, t('desk.indices.hint')),
      indicesBox),
    briefing: sec('sec-briefing', t('desk.sec.briefing'), 'area-briefing', briefingBox),
    channels: sec('sec-channels', t('desk.sec.channels'), 'area-channels', channels.el),
    negotiation: sec('sec-negotiation', t('desk.sec.negotiation'), 'area-negotiation', proposals.el),
    orders: sec('sec-orders', t('desk.sec.orders'), 'area-orders', orders.el),
    report: sec('sec-report', t('desk.sec.report'), 'area-report', reports.el),
  };
  /** Per phase: the wide column (its tools first, then the map), then the side column. */
  /** @type {Record<string, [Array<keyof typeof sections>, Array<keyof typeof sections>]>} */
  const LAYOUT = {
    lobby: [['map', 'briefing'], ['channels', 'indices', 'negotiation', 'orders', 'report']],
    briefing: [['briefing', 'map'], ['indices', 'channels', 'negotiation', 'orders', 'report']],
    negotiation: [['negotiation', 'map'], ['channels', 'indices', 'briefing', 'orders', 'report']],
    orders: [['orders', 'map'], ['indices', 'negotiation', 'channels', 'briefing', 'report']],
    review: [['report', 'map'], ['indices', 'channels', 'briefing', 'negotiation', 'orders']],
    ended: [['report', 'map'], ['indices', 'channels', 'briefing', 'negotiation', 'orders']],
  };
  const mainCol = h('div', { class: 'desk-col wide' });
  const sideCol = h('div', { class: 'desk-col side' });
  const grid = h('div', { class: 'desk-grid' }, mainCol, sideCol);
  const deskEl = h('div', { class: 'desk', 'data-testid': 'desk', 'data-faction': me },
    banner.el, bar, lobbyNote, endBanner, reviewNote, guide.el, nav, grid);
  replace(root, deskEl);

  let laidOut = '';
  /** Puts the phase's tools first. Moves only when the phase changes, keeping the focus. */
  function layout() {
    const phase = store.view.phase in LAYOUT ? store.view.phase : 'briefing';
    if (phase === laidOut) return;
    laidOut = phase;
    deskEl.dataset.phase = phase;
    const focused = document.activeElement;
    const [main, side] = LAYOUT[phase];
    mainCol.replaceChildren(...main.map((k) => sections[k]));
    sideCol.replaceChildren(...side.map((k) => sections[k]));
    replace(nav, [...main, ...side].map((k) => h('a', { href: `#${sections[k].id}` }, sections[k].querySelector('h2')?.textContent || k)));
    if (focused instanceof HTMLElement && focused !== document.activeElement && document.contains(focused)) focused.focus({ preventScroll: true });
  }

  function updateBar() {
    const v = store.view;
    const you = store.you;
    replace(title, factionName(me), h('span', { class: 'muted desk-name' }, ` · ${you?.name || ''}`));
    const purse = v.purses[me] || { budget: 0, capital: 0 };
    budget.textContent = num(purse.budget);
    capital.textContent = num(purse.capital);
    score.textContent = v.scores?.[me] !== undefined ? num(v.scores[me], 1) : '–';
    const teamReady = v.ready.includes(me);
    const mine = myReady();
    const ended = v.phase === 'ended';
    const lobby = v.phase === 'lobby';
    lobbyNote.hidden = !lobby;
    readyBtn.disabled = ended || lobby;
    readyBtn.setAttribute('aria-disabled', readyBusy ? 'true' : 'false');
    readyBtn.dataset.state = mine ? 'ready' : 'not-ready';
    readyBtn.classList.toggle('primary', !mine);
    readyBtn.classList.toggle('secondary', mine);
    readyBtn.textContent = ended ? t('desk.ready.gameOver') : lobby ? t('desk.ready.waiting')
      : readyBusy === 'sending' ? t('desk.ready.sending') : mine ? t('desk.ready.takeBack')
        : has(`desk.ready.end.${v.phase}`) ? t(`desk.ready.end.${v.phase}`) : t('desk.ready.end', { phase: phaseName(v.phase).toLowerCase() });
    let status = '';
    if (!ended && !lobby) {
      const others = sc.factions.filter((/** @type {any} */ f) => f.id !== me && !v.ready.includes(f.id)).length;
      if (teamReady) status = others ? t('desk.ready.status.waitingFactions', { count: others }) : t('desk.ready.status.ready');
      else if (mine && v.team_ready === 'captain') status = t('desk.ready.status.captain');
      else if (mine) {
        const marks = new Set((v.members_ready?.[me] || []).map((/** @type {any} */ m) => m.member));
        const waiting = (store.team || []).filter((m) => m.connected && !marks.has(m.seat_id)).map((m) => m.name);
        status = waiting.length ? t('desk.ready.status.waitingFor', { names: waiting.join(', ') }) : t('desk.ready.status.you');
      }
    }
    readyStatus.textContent = status;
    readyStatus.title = status;
    tension.update();
    endBanner.hidden = !ended;
    const last = v.reports?.[v.reports.length - 1];
    reviewNote.hidden = !(v.phase === 'review' && last && last.round === v.round);
    if (!reviewNote.hidden) {
      replace(reviewNote, ...tNodes('desk.reviewNote', {
        round: last.label, link: h('a', { href: '#sec-report' }, t('desk.reviewNote.link')),
      }));
    }
    if (ended) {
      replace(endBanner, h('h2', null, t('desk.ended.title')), h('p', null, endingText(v.ending)),
        h('p', null, h('a', { href: `/game/${store.gameId}/after`, 'data-link': true, class: 'button primary', 'data-testid': 'after-link' }, t('desk.ended.after'))));
    }
  }

  let lastIndicesKey = '';
  function updateIndices() {
    const v = store.view;
    const ix = v.indices?.[0];
    const key = JSON.stringify(ix?.values || null);
    if (key === lastIndicesKey) return;
    lastIndicesKey = key;
    const open = new Set([...indicesBox.querySelectorAll('details[open]')].map((d) => d.getAttribute('data-testid')));
    replace(indicesBox, ix
      ? explainedEntries(ix).map((e) => explainIndex(e, { headline: e.id === 'deterrence_balance', open: open.has(`explain-${e.id}`) }))
      : h('p', { class: 'muted' }, t('desk.indices.none')));
  }

  let lastBriefingKey = '';
  function updateBriefing() {
    const v = store.view;
    const key = JSON.stringify([v.round, v.briefings.length, v.annotations.length, v.builds]);
    if (key === lastBriefingKey) return;
    lastBriefingKey = key;
    const now = v.briefings.filter((/** @type {any} */ b) => b[0] === v.round);
    const earlier = v.briefings.filter((/** @type {any} */ b) => b[0] !== v.round).reverse();
    const notes = v.annotations;
    const others = (v.builds || []).filter((/** @type {any} */ b) => b.faction !== me);
    /** @param {any} b */
    const card = (b) => h('article', { class: 'event-card' },
      h('h3', null, firedName(b[1]), b[1].injected ? h('span', { class: 'tag' }, t('desk.briefing.injected')) : null),
      h('p', { class: 'muted small' }, roundLabel(b[0])),
      h('p', null, firedText(b[1])));
    replace(briefingBox,
      now.length ? now.map(card) : h('p', { class: 'muted' }, t('desk.briefing.noEvent', { round: roundLabel(v.round) })),
      notes.length ? h('div', { class: 'notes' }, h('h3', null, t('desk.briefing.notes')),
        h('ul', null, [...notes].reverse().map((/** @type {any} */ n) => h('li', null, h('span', { class: 'muted small' }, `${roundLabel(n[0])}: `), n[1])))) : null,
      others.length ? h('div', { class: 'notes', 'data-testid': 'others-builds' }, h('h3', null, t('desk.briefing.othersBuilds')),
        h('ul', null, others.map((/** @type {any} */ b) => h('li', null, t('desk.briefing.build', {
          faction: factionName(b.faction), action: actionName(b.action), quantity: b.quantity > 1 ? ` × ${num(b.quantity)}` : '', round: roundLabel(b.due_round),
        }))))) : null,
      earlier.length ? h('details', null, h('summary', null, t('desk.briefing.earlier', { count: earlier.length })), earlier.map(card)) : null);
  }

  function updateAll() {
    layout();
    updateBar();
    guide.update();
    updateIndices();
    updateBriefing();
    clock.update();
    conn.update();
    banner.update();
    channels.update();
    proposals.update();
    orders.update();
    reports.update();
    if (map) {
      try { map.update(store.view); } catch (e) { console.error(e); }
    }
  }

  const unfollow = store.follow(() => {
    conn.update();
    banner.update();
  }, updateAll);

  let alive = true;
  loadMap(mapBox, { scenario: sc, legend: 'html' }, () => store.view, () => alive, (m) => { map = m; });

  updateAll();
  // For the browser tests' timing: the desk is drawn with the game's state.
  try { performance.mark('detente:desk-ready'); } catch { /* old browsers */ }

  return {
    unmount() {
      alive = false;
      unfollow();
      mapFull.destroy();
      clock.destroy();
      banner.destroy();
      channels.destroy();
    },
  };
}
