// @ts-check
/**
 * The faction desk (`/game/<id>` for a faction seat): clock and connection state in the page
 * header; resources, the tension meter and Ready; the map; the faction's perceived indices
 * (each explaining itself); the briefing; channels; negotiation; orders; turn reports.
 *
 * Test ids: `desk`, `connection-status` (`data-status`), `connection-banner`, `budget`, `capital`, `tension-meter`,
 * `ready`, `ready-list`, `ready-error`, `indices`, `briefing`, `map`, `map-placeholder`,
 * `game-ended`, `after-link`, `review-note`, `lobby-note`, and those of the components it holds (clock, channels,
 * proposals, orders, report).
 * @module views/desk
 */

import { h, replace, errorBox, showError } from '../dom.js';
import { factionName, factionColour, num, endingText, roundLabel, temperamentName, phaseName, actionName } from '../format.js';
import { createClock, createConnectionStatus, createConnectionBanner } from '../components/clock.js';
import { createTensionMeter } from '../components/charts.js';
import { createChannels } from '../components/channels.js';
import { createProposals } from '../components/proposals.js';
import { createOrders } from '../components/orders.js';
import { createReports } from '../components/report.js';
import { explainIndex, explainedEntries } from '../components/explain.js';
import { loadMap } from '../components/loadmap.js';

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
  const readyBtn = h('button', { type: 'button', class: 'button primary', 'data-testid': 'ready' }, 'Ready');
  const readyList = h('p', { class: 'ready-list small', 'data-testid': 'ready-list' });
  const readyErr = errorBox('ready-error');
  const endBanner = h('div', { class: 'panel ended', 'data-testid': 'game-ended', hidden: true });
  const reviewNote = h('p', { class: 'panel review-note', 'data-testid': 'review-note', hidden: true });
  const lobbyNote = h('div', { class: 'panel review-note', 'data-testid': 'lobby-note', role: 'status', hidden: true },
    h('h2', null, 'Waiting for the start'),
    h('p', null, 'The game has not started yet: your facilitator presses Start when everyone is seated, and the first briefing and its clock begin then. Meanwhile look at the map and your faction’s picture, and say hello in the plenary channel.'));
  const title = h('h1', { class: 'desk-title' });
  const swatch = h('span', { class: 'swatch big', 'aria-hidden': 'true' });
  swatch.style.setProperty('--swatch', factionColour(me));

  // While Ready is on its way, and until its events are in the view (the ack comes first),
  // the button stays disabled: the last Ready ends the phase, and a double click would
  // otherwise declare this faction Ready in the next phase too.
  let readyBusy = false;
  readyBtn.addEventListener('click', async () => {
    if (readyBusy) return;
    showError(readyErr, null);
    readyBusy = true;
    readyBtn.disabled = true;
    readyBtn.textContent = 'Sending…';
    const started = Date.now();
    try {
      const ack = await store.command({ type: 'ready' });
      await store.caughtUp(ack.seq);
      const wait = 800 - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    } catch (x) {
      showError(readyErr, /** @type {any} */ (x));
    } finally {
      readyBusy = false;
      updateBar();
    }
  });

  const bar = h('div', { class: 'desk-bar panel' },
    h('div', { class: 'desk-who' }, swatch, title),
    h('div', { class: 'stats', role: 'group', 'aria-label': 'Resources' },
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Budget'), budget),
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Capital'), capital),
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, 'Game score'), score)),
    tension.el,
    h('div', { class: 'ready-box' }, readyBtn, readyList, readyErr));

  const nav = h('nav', { class: 'desk-nav', 'aria-label': 'Desk sections' },
    [['sec-map', 'Map'], ['sec-indices', 'Indices'], ['sec-briefing', 'Briefing'], ['sec-channels', 'Channels'],
      ['sec-negotiation', 'Negotiation'], ['sec-orders', 'Orders'], ['sec-report', 'Turn reports']]
      .map(([id, label]) => h('a', { href: `#${id}` }, label)));

  // ---- sections ----
  const mapBox = h('div', { class: 'map-box' }, h('p', { class: 'muted', 'data-testid': 'map-placeholder' }, 'Loading the map…'));
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

  const grid = h('div', { class: 'desk-grid' },
    h('div', { class: 'desk-col' },
      sec('sec-map', 'Map', 'area-map', mapBox),
      sec('sec-indices', `${factionName(me)}’s picture`, 'area-indices',
        h('p', { class: 'hint' }, 'The model as your faction perceives it. Open an index for its formula, inputs and sources.'),
        indicesBox),
      sec('sec-briefing', 'Briefing', 'area-briefing', briefingBox)),
    h('div', { class: 'desk-col' },
      sec('sec-channels', 'Channels', 'area-channels', channels.el),
      sec('sec-orders', 'Orders', 'area-orders', orders.el)),
    h('div', { class: 'desk-col wide' },
      sec('sec-negotiation', 'Negotiation', 'area-negotiation', proposals.el)));

  const reportSec = sec('sec-report', 'Turn reports', 'area-report', reports.el);

  replace(root, h('div', { class: 'desk', 'data-testid': 'desk', 'data-faction': me }, banner.el, bar, lobbyNote, endBanner, reviewNote, nav, grid, reportSec));

  function updateBar() {
    const v = store.view;
    const you = store.you;
    replace(title, factionName(me), h('span', { class: 'muted desk-name' }, ` · ${you?.name || ''}`));
    const purse = v.purses[me] || { budget: 0, capital: 0 };
    budget.textContent = num(purse.budget);
    capital.textContent = num(purse.capital);
    score.textContent = v.scores?.[me] !== undefined ? num(v.scores[me], 1) : '–';
    const isReady = v.ready.includes(me);
    const ended = v.phase === 'ended';
    const lobby = v.phase === 'lobby';
    lobbyNote.hidden = !lobby;
    readyBtn.disabled = isReady || ended || lobby || readyBusy;
    readyBtn.setAttribute('aria-pressed', isReady ? 'true' : 'false');
    readyBtn.textContent = ended ? 'Game over' : lobby ? 'Waiting for the start' : isReady ? 'Ready ✓' : readyBusy ? 'Sending…' : `Ready: end ${phaseName(v.phase).toLowerCase()}`;
    replace(readyList, ended ? null : ['Ready: ', sc.factions.map((/** @type {any} */ f, /** @type {number} */ i) => {
      const r = v.ready.includes(f.id);
      const bot = v.bots?.[f.id];
      return [
        i ? ' · ' : '',
        h('span', { class: r ? 'accepted' : 'waiting', title: bot ? `played by a bot (${temperamentName(bot).toLowerCase()})` : null },
          `${f.name}${bot ? ' (bot)' : ''} `, h('span', { 'aria-hidden': 'true' }, r ? '✓' : '○'),
          h('span', { class: 'visually-hidden' }, r ? ' ready' : ' not ready')),
      ];
    })]);
    tension.update();
    endBanner.hidden = !ended;
    const last = v.reports?.[v.reports.length - 1];
    reviewNote.hidden = !(v.phase === 'review' && last && last.round === v.round);
    if (!reviewNote.hidden) {
      replace(reviewNote, `The turn report for ${last.label} is ready: what happened and why. `,
        h('a', { href: '#sec-report' }, 'Read the turn report'));
    }
    if (ended) {
      replace(endBanner, h('h2', null, 'The game is over'), h('p', null, endingText(v.ending)),
        h('p', null, h('a', { href: `/game/${store.gameId}/after`, 'data-link': true, class: 'button primary', 'data-testid': 'after-link' }, 'Open the after-action report')));
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
      : h('p', { class: 'muted' }, 'No indices yet.'));
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
      h('h3', null, b[1].name, b[1].injected ? h('span', { class: 'tag' }, ' injected by Control') : null),
      h('p', { class: 'muted small' }, roundLabel(b[0])),
      h('p', null, b[1].text));
    replace(briefingBox,
      now.length ? now.map(card) : h('p', { class: 'muted' }, `No event in ${roundLabel(v.round)} so far.`),
      notes.length ? h('div', { class: 'notes' }, h('h3', null, 'Notes from Control'),
        h('ul', null, [...notes].reverse().map((/** @type {any} */ n) => h('li', null, h('span', { class: 'muted small' }, `${roundLabel(n[0])}: `), n[1])))) : null,
      others.length ? h('div', { class: 'notes', 'data-testid': 'others-builds' }, h('h3', null, 'Others’ builds under way'),
        h('ul', null, others.map((/** @type {any} */ b) => h('li', null, `${factionName(b.faction)}: ${actionName(b.action)}${b.quantity > 1 ? ` × ${b.quantity}` : ''}, ready ${roundLabel(b.due_round)}`)))) : null,
      earlier.length ? h('details', null, h('summary', null, `Earlier events (${earlier.length})`), earlier.map(card)) : null);
  }

  function updateAll() {
    updateBar();
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
      clock.destroy();
      banner.destroy();
      channels.destroy();
    },
  };
}
