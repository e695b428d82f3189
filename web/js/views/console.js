// @ts-check
/**
 * The Control console (`/game/<id>` for Control): the join code with a link to the projector
 * and a copyable join link; the clock and connection in the page header; game controls
 * (advance, pause, resume, extend, end); seats with their connection state, movable between
 * factions and observers; bots per faction; event cards (inject, scheduled ones on/off);
 * overrides with a reason; notes; the technical truth beside each faction's perception; every
 * channel; proposals, agreements and order drafts; turn reports.
 *
 * Test ids: `console`, `lobby`, `lobby-how`, `lobby-factions` (`li[data-faction]`), `start-game`,
 * `start-error`, `join-code`, `join-link`, `copy-join-link`, `projector-link`, `seat-list`,
 * `seat-row` (`data-seat-id`, `data-role`, `data-faction`, `data-connected`), `seat-status`,
 * `seat-select`, `seat-assign`, `seat-error`, `seats-error`; `advance`, `pause`, `resume`,
 * `extend` (`data-minutes` = 1 | 5 | custom), `extend-minutes`, `controls-error`; `end-game`,
 * `end-game-note`, `end-game-confirm`, `end-game-cancel`, `end-game-error`; `bot-<faction>`
 * (select), `set-bot` (`data-faction`), `bot-error-<faction>`; `inject-event-select`,
 * `inject-event`, `inject-error`; `scheduled-<event id>` (checkbox), `scheduled-error`;
 * `override-var`, `override-value`, `override-reason`, `override`, `override-error`,
 * `overrides`; `annotate-text`, `annotate`, `annotate-error`, `annotations`; `truth-table`,
 * `explain-<perspective>-<index id>`; `control-proposals`, `control-agreements`,
 * `control-orders`; and those of the components (clock, tension meter, channels, reports).
 * @module views/console
 */

import { h, replace, errorBox, showError, uniqueId } from '../dom.js';
import * as api from '../api.js';
import {
  factionName, varName, num, roundLabel, temperamentName, statusText, clauseText, actionName,
  endingText, seatLabel, varValue, andList, indexName,
} from '../format.js';
import { t, has, formatDate } from '../i18n.js';
import { createClock, createConnectionStatus } from '../components/clock.js';
import { createTensionMeter } from '../components/charts.js';
import { createChannels } from '../components/channels.js';
import { createReports } from '../components/report.js';
import { explainIndex, explainedEntries, indexValue } from '../components/explain.js';
import { ensureStyles, factionLabel, statusClass, afterLink, joinLink, seatLink, loadReach, reachWarning } from './viewkit.js';
import { tNodes } from '../components/tnodes.js';
import { moderationList } from '../components/moderation.js';
import { createBranchPanel, branchNote } from '../components/branch.js';
import { createAgentsPanel, createHeldQueue, playedBy } from '../components/agents.js';

const TEMPERAMENTS = ['hawk', 'pragmatist', 'dove'];
/** The least time a console button stays disabled after a click (double clicks). */
const MIN_BUSY_MS = 800;
const SEAT_POLL_MS = 5000;
/** In the lobby Control watches people arrive: seats are re-read more often. */
const LOBBY_SEAT_POLL_MS = 2000;

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
  /** @type {string[]} */
  const factions = sc.factions.map((/** @type {any} */ f) => f.id);

  const clock = createClock({ store, compact: true });
  const conn = createConnectionStatus(store);
  replace(ctx.header, clock.el, conn.el);

  /** @type {Array<() => void>} */
  const updaters = [];
  /** Buttons whose command is on its way: they stay disabled whatever the updates say. */
  /** @type {Set<HTMLElement>} */
  const busy = new Set();

  /**
   * Runs a command from a button: disables it, shows the error next to it.
   * @param {HTMLButtonElement | HTMLInputElement} btn
   * @param {HTMLElement} err
   * @param {any} command
   * @returns {Promise<boolean>}
   */
  async function run(btn, err, command) {
    if (busy.has(btn)) return false;
    showError(err, null);
    busy.add(btn);
    // Busy buttons ignore clicks but are not disabled, so that the focus stays on them.
    btn.setAttribute('aria-disabled', 'true');
    const started = Date.now();
    try {
      const ack = await store.command(command);
      // Stay disabled until the command's events are in the view (the ack comes first), and
      // for a moment at least: a double click on "Advance" must not skip a second phase.
      await store.caughtUp(ack.seq);
      const wait = MIN_BUSY_MS - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return true;
    } catch (x) {
      showError(err, /** @type {any} */ (x));
      return false;
    } finally {
      busy.delete(btn);
      btn.removeAttribute('aria-disabled');
      const hadFocus = document.activeElement === btn;
      updateControls();
      // A button the new state turns off (Pause once paused) hands the focus to its group's
      // next live button (Resume).
      if (hadFocus && btn.disabled) {
        const next = /** @type {HTMLElement | null} */ (btn.closest('.actions')?.querySelector('button:not(:disabled)') || null);
        next?.focus();
      }
    }
  }

  /** @param {string} id @param {string} heading @param {...any} body */
  const sec = (id, heading, ...body) => h('section', { id, class: 'panel console-sec', 'aria-labelledby': `${id}-h`, tabindex: '-1' },
    h('h2', { id: `${id}-h` }, heading), ...body);

  // ---- top: title, join code, projector, tension ----
  const code = store.joinCode || '';
  /**
   * A read-only link with Copy (and Print).
   * @param {string} label @param {string} testid @param {string} value @param {boolean} [print]
   */
  const linkField = (label, testid, value, print = false) => {
    const id = uniqueId(testid);
    const input = h('input', { id, type: 'text', readOnly: true, value, class: 'join-link-input', 'data-testid': testid });
    const said = h('span', { class: 'small', role: 'status', 'aria-live': 'polite' });
    const copy = h('button', {
      type: 'button', class: 'button small', 'data-testid': `copy-${testid}`,
      onclick: async () => {
        try { await navigator.clipboard.writeText(input.value); said.textContent = t('facilitator.links.copied'); } catch {
          input.focus(); input.select(); said.textContent = t('facilitator.links.pressCopy');
        }
      },
    }, t('facilitator.links.copy'));
    const printBtn = print ? h('button', {
      type: 'button', class: 'button small', 'data-testid': `print-${testid}`,
      onclick: () => {
        // Print only this link: the rest of the page is hidden by the print stylesheet.
        const box = input.closest('.link-field');
        box?.classList.add('print-this');
        document.body.classList.add('printing-link');
        window.print();
        document.body.classList.remove('printing-link');
        box?.classList.remove('print-this');
      },
    }, t('facilitator.links.print')) : null;
    return { el: h('div', { class: 'link-field' }, h('label', { for: id, class: 'stat-label' }, label), h('div', { class: 'chat-row' }, input, copy, printBtn), said), input };
  };
  const joinField = linkField(t('facilitator.links.join'), 'join-link', code ? joinLink(code) : '');
  const joinInput = joinField.input;
  const tension = createTensionMeter(store);
  // Where students can reach the server: the join link may move to a network address, and a
  // page opened on this computer's own address says so.
  const reachBox = h('div', { 'data-testid': 'reach' });
  loadReach().then((info) => {
    if (code) joinInput.value = joinLink(code);
    recoveryInput.value = seatLink(store.token);
    replace(reachBox, reachWarning(info));
  });
  const endedBox = h('div', { class: 'panel ended', 'data-testid': 'game-ended', hidden: true });

  const top = h('div', { class: 'panel console-top' },
    h('div', { class: 'console-title' },
      h('h1', null, t('facilitator.console.title')),
      h('p', { class: 'muted small', 'data-testid': 'game-title' }, store.view.title ? `${store.view.title} · ${sc.title}` : sc.title)),
    h('div', { class: 'join-box' },
      h('span', { class: 'stat-label', id: 'join-code-label' }, t('facilitator.joinCode')),
      h('span', { class: 'join-code-big', 'data-testid': 'join-code', 'aria-labelledby': 'join-code-label' }, code || '—'),
      h('a', {
        href: `/game/${gameId}/projector`, target: '_blank', rel: 'noopener', class: 'button small', 'data-testid': 'projector-link',
      }, t('facilitator.console.openProjector'), h('span', { class: 'visually-hidden' }, t('facilitator.newTab')))),
    h('div', { class: 'join-link-box' }, joinField.el),
    tension.el);

  // ---- links: recovery, co-facilitators, projector ----
  const recovery = linkField(t('facilitator.links.recovery'), 'recovery-link', seatLink(store.token), true);
  const recoveryInput = recovery.input;
  const linksErr = errorBox('links-error');
  const madeLinks = h('div', { 'data-testid': 'made-links' });
  const coName = h('input', { id: uniqueId('co-name'), maxlength: '40', placeholder: t('facilitator.links.coNamePlaceholder'), 'data-testid': 'co-name' });
  /** @param {'facilitator' | 'projector'} kind @param {HTMLButtonElement} btn */
  async function makeLink(kind, btn) {
    showError(linksErr, null);
    btn.disabled = true;
    try {
      const name = kind === 'facilitator' ? coName.value.trim() || undefined : undefined;
      const r = await api.newLink(gameId, store.token, { kind, name });
      const f = kind === 'projector'
        ? linkField(t('facilitator.links.projector'), 'projector-seat-link', seatLink(r.token, true))
        : linkField(t('facilitator.links.co', { name: r.name }), 'co-link', seatLink(r.token));
      madeLinks.prepend(f.el);
      coName.value = '';
      scheduleSeats(300);
    } catch (x) {
      showError(linksErr, /** @type {any} */ (x));
    } finally {
      btn.disabled = false;
    }
  }
  const coBtn = h('button', { type: 'button', class: 'button small', 'data-testid': 'make-co-link' }, t('facilitator.links.makeCo'));
  coBtn.addEventListener('click', () => makeLink('facilitator', coBtn));
  const pjBtn = h('button', { type: 'button', class: 'button small', 'data-testid': 'make-projector-link' }, t('facilitator.links.makeProjector'));
  pjBtn.addEventListener('click', () => makeLink('projector', pjBtn));
  const linksSec = h('details', { class: 'panel links', id: 'sec-links', 'data-testid': 'links', open: store.view.phase === 'lobby' },
    h('summary', null, h('h2', { class: 'inline' }, t('facilitator.links.title'))),
    h('p', { class: 'hint' }, t('facilitator.links.hint')),
    recovery.el,
    h('div', { class: 'inline-form' }, h('label', { for: coName.id }, t('facilitator.links.coName')), coName, coBtn),
    h('div', { class: 'actions' }, pjBtn),
    linksErr, madeLinks);

  // ---- lobby: who is here, and Start ----
  const lobbyErr = errorBox('start-error');
  const startBtn = h('button', { type: 'button', class: 'button primary big', 'data-testid': 'start-game' }, t('facilitator.lobby.start'));
  startBtn.addEventListener('click', () => run(startBtn, lobbyErr, { type: 'start' }));
  const autoId = uniqueId('auto-start');
  const autoStart = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: autoId, 'data-testid': 'auto-start' }));
  autoStart.addEventListener('change', async () => {
    const want = autoStart.checked ? 'when_seated' : 'lobby';
    showError(lobbyErr, null);
    autoStart.setAttribute('aria-disabled', 'true');
    try {
      // Redrawn once the event is in the view: the ack often comes first, and the view
      // would still say the old start mode (the box would flip back).
      const ack = await store.command({ type: 'set_start', start: want });
      await store.caughtUp(ack.seq);
    } catch (x) {
      showError(lobbyErr, /** @type {any} */ (x));
    } finally {
      autoStart.removeAttribute('aria-disabled');
      drawLobby();
    }
  });
  const lobbyFactions = h('ul', { class: 'lobby-factions', 'data-testid': 'lobby-factions' });
  const lobbyHow = h('p', { 'data-testid': 'lobby-how' });
  const lobbySec = h('section', { class: 'panel lobby', id: 'sec-lobby', 'aria-labelledby': 'sec-lobby-h', 'data-testid': 'lobby', hidden: true },
    h('h2', { id: 'sec-lobby-h' }, t('facilitator.lobby.title')),
    lobbyHow, lobbyFactions,
    h('div', { class: 'actions' }, startBtn), lobbyErr,
    h('div', { class: 'field choice' }, autoStart,
      h('label', { for: autoId }, t('facilitator.lobby.autoStart'))),
    h('p', { class: 'hint' }, t('facilitator.lobby.hint')),
    h('p', { class: 'hint' }, tNodes('facilitator.lobby.briefs', {
      link: h('a', { href: `/brief?scenario=${encodeURIComponent(store.scenario.id)}`, target: '_blank', rel: 'noopener', 'data-testid': 'briefs-link' }, t('facilitator.lobby.briefsLink')),
    })));

  function drawLobby() {
    const v = store.view;
    const inLobby = v.phase === 'lobby';
    lobbySec.hidden = !inLobby;
    if (!inLobby) return;
    const people = (/** @type {string} */ f) => seatList.filter((x) => x.seat.role === 'faction' && x.seat.faction === f);
    const empty = factions.filter((f) => !v.bots?.[f] && people(f).length === 0);
    replace(lobbyFactions, factions.map((f) => {
      const here = people(f);
      const who = v.bots?.[f] ? t('facilitator.lobby.bot', { temperament: temperamentName(v.bots[f]) })
        : here.length ? here.map((x) => x.name).join(', ') : t('facilitator.lobby.nobody');
      return h('li', { 'data-faction': f, class: here.length || v.bots?.[f] ? 'seated' : 'empty' },
        factionLabel(f), ': ', h('span', null, who));
    }));
    const auto = v.start === 'when_seated';
    if (autoStart.getAttribute('aria-disabled') !== 'true') autoStart.checked = auto;
    replace(lobbyHow,
      t('facilitator.lobby.how', { code: code || '—' }),
      empty.length
        ? t('facilitator.lobby.empty', { names: andList(empty.map(factionName)), count: empty.length })
        : t('facilitator.lobby.allSeated'),
      auto ? t('facilitator.lobby.autoOn') : t('facilitator.lobby.autoOff'));
  }
  updaters.push(drawLobby);

  // ---- game controls ----
  const controlsErr = errorBox('controls-error');
  const advanceBtn = h('button', { type: 'button', class: 'button primary', 'data-testid': 'advance' }, t('facilitator.controls.advance'));
  const pauseBtn = h('button', { type: 'button', class: 'button', 'data-testid': 'pause' }, t('facilitator.controls.pause'));
  const resumeBtn = h('button', { type: 'button', class: 'button', 'data-testid': 'resume' }, t('facilitator.controls.resume'));
  advanceBtn.addEventListener('click', () => run(advanceBtn, controlsErr, { type: 'advance_phase' }));
  pauseBtn.addEventListener('click', () => run(pauseBtn, controlsErr, { type: 'pause' }));
  resumeBtn.addEventListener('click', () => run(resumeBtn, controlsErr, { type: 'resume' }));
  /** @param {number} m */
  const extendBtn = (m) => {
    const b = h('button', { type: 'button', class: 'button', 'data-testid': 'extend', 'data-minutes': String(m) },
      t('facilitator.controls.plusMin', { minutes: m }), h('span', { class: 'visually-hidden' }, t('facilitator.controls.plusMinHidden')));
    b.addEventListener('click', () => run(b, controlsErr, { type: 'extend_deadline', seconds: m * 60 }));
    return b;
  };
  const ext1 = extendBtn(1);
  const ext5 = extendBtn(5);
  const customId = uniqueId('extend-min');
  const customMin = h('input', { id: customId, type: 'number', min: '1', max: '1440', step: '1', value: '10', class: 'narrow', 'data-testid': 'extend-minutes' });
  const extCustom = h('button', { type: 'submit', class: 'button', 'data-testid': 'extend', 'data-minutes': 'custom' }, t('facilitator.controls.extend'));
  const extForm = h('form', { class: 'inline-form' },
    h('label', { for: customId }, t('facilitator.controls.extendBy')), customMin, extCustom);
  extForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const m = Number(customMin.value);
    if (!Number.isFinite(m) || m <= 0) {
      showError(controlsErr, t('facilitator.controls.badMinutes'));
      return;
    }
    run(extCustom, controlsErr, { type: 'extend_deadline', seconds: Math.round(m * 60) });
  });
  const readyLine = h('p', { class: 'small', 'data-testid': 'ready-list' });

  // End the game: a confirmation step with an optional note.
  const endErr = errorBox('end-game-error');
  const endBtn = h('button', { type: 'button', class: 'button danger', 'data-testid': 'end-game', 'aria-expanded': 'false' }, t('facilitator.end.button'));
  const noteId = uniqueId('end-note');
  const endNote = h('input', { id: noteId, type: 'text', maxlength: '200', placeholder: t('facilitator.end.notePlaceholder'), 'data-testid': 'end-game-note' });
  const endConfirm = h('button', { type: 'submit', class: 'button danger', 'data-testid': 'end-game-confirm' }, t('facilitator.end.confirm'));
  const endCancel = h('button', { type: 'button', class: 'button', 'data-testid': 'end-game-cancel' }, t('facilitator.end.cancel'));
  const endForm = h('form', { class: 'confirm', hidden: true, 'aria-label': t('facilitator.end.formLabel') },
    h('p', null, h('strong', null, t('facilitator.end.question')), t('facilitator.end.warning')),
    h('label', { for: noteId }, t('facilitator.end.noteLabel')), endNote,
    h('div', { class: 'actions' }, endConfirm, endCancel));
  endBtn.addEventListener('click', () => {
    endForm.hidden = false;
    endBtn.setAttribute('aria-expanded', 'true');
    endNote.focus();
  });
  endCancel.addEventListener('click', () => {
    endForm.hidden = true;
    endBtn.setAttribute('aria-expanded', 'false');
    endBtn.focus();
  });
  endForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const ok = await run(endConfirm, endErr, { type: 'end_game', note: endNote.value.trim() });
    if (ok) {
      endForm.hidden = true;
      endBtn.setAttribute('aria-expanded', 'false');
    }
  });

  const controls = sec('sec-controls', t('facilitator.controls.title'),
    h('div', { class: 'actions' }, advanceBtn, pauseBtn, resumeBtn),
    h('div', { class: 'actions', role: 'group', 'aria-label': t('facilitator.controls.extendGroup') }, ext1, ext5, extForm),
    controlsErr, readyLine,
    h('div', { class: 'end-box' }, endBtn, endForm, endErr));

  function updateControls() {
    const v = store.view;
    const ended = v.phase === 'ended';
    const lobby = v.phase === 'lobby';
    advanceBtn.disabled = ended;
    advanceBtn.textContent = lobby ? t('facilitator.controls.advanceStart') : v.phase === 'orders' ? t('facilitator.controls.advanceAdjudicate')
      : v.phase === 'review' && v.round + 1 >= v.rounds ? t('facilitator.controls.advanceLast') : t('facilitator.controls.advance');
    // No clock runs in the lobby: nothing to pause or extend.
    pauseBtn.disabled = ended || lobby || v.paused;
    resumeBtn.disabled = ended || !v.paused;
    for (const b of [ext1, ext5, extCustom]) b.disabled = ended || lobby || v.paused;
    customMin.disabled = ended || lobby || v.paused;
    endBtn.disabled = ended;
    replace(readyLine, t('facilitator.ready.label'), factions.map((f, i) => {
      const members = (v.members_ready?.[f] || []).map((/** @type {any} */ m) => m.name);
      const r = v.ready.includes(f);
      return [i ? ', ' : '',
        h('span', { class: r ? 'accepted' : 'waiting' }, t(r ? 'facilitator.ready.yes' : 'facilitator.ready.waiting', { faction: factionName(f) })),
        members.length ? h('span', { class: 'muted' }, t('facilitator.ready.members', { names: members.join(', '), count: members.length })) : null];
    }), v.team_ready === 'captain' ? h('span', { class: 'muted' }, t('facilitator.ready.captain')) : null);
    endedBox.hidden = !ended;
    if (ended) {
      replace(endedBox, h('h2', null, t('facilitator.gameOver')), h('p', null, endingText(v.ending)), h('p', null, afterLink(gameId)));
    }
  }
  updaters.push(updateControls);

  // ---- seats ----
  const seatsErr = errorBox('seats-error');
  const seatBody = h('ul', { class: 'seat-list', 'data-testid': 'seat-list', 'aria-label': t('facilitator.seats.listLabel') });
  const seatsUpdated = h('p', { class: 'muted small', 'aria-live': 'off' });
  /** @type {any[]} */
  let seatList = [];
  /** @type {Map<string, string>} seat id -> chosen value in its select, kept across redraws */
  const seatChoice = new Map();
  /** @type {Map<string, any>} seat id -> error to show */
  const seatErrors = new Map();
  let seatsKey = '';

  function drawSeats() {
    const key = JSON.stringify([seatList, [...seatErrors.entries()], store.view.bots]);
    if (key === seatsKey) return;
    seatsKey = key;
    const focusedSeat = /** @type {HTMLElement | null} */ (document.activeElement?.closest?.('[data-seat-id]'));
    const focusedId = focusedSeat?.dataset.seatId;
    const focusedTestid = document.activeElement?.getAttribute('data-testid');
    replace(seatBody, seatList.length ? seatList.map(seatRow) : h('li', { class: 'muted' }, t('facilitator.seats.nobody')));
    drawLobby();
    if (focusedId && focusedTestid) {
      const again = /** @type {HTMLElement | null} */ (seatBody.querySelector(`[data-seat-id="${CSS.escape(focusedId)}"] [data-testid="${focusedTestid}"]`));
      again?.focus();
    }
  }

  /** @param {any} s */
  function seatRow(s) {
    const role = s.seat.role;
    const conn = s.connected > 0;
    const status = h('span', { class: ['seat-status', conn ? 'on' : 'off'], 'data-testid': 'seat-status' },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      conn ? (s.connected > 1 ? t('facilitator.seats.connectedTabs', { count: s.connected }) : t('facilitator.seats.connected')) : t('facilitator.seats.notConnected'));
    let move = null;
    if (role !== 'control') {
      const current = role === 'faction' ? s.seat.faction : 'observer';
      const selId = uniqueId('seat-sel');
      const sel = h('select', { id: selId, 'data-testid': 'seat-select' },
        factions.map((f) => h('option', { value: f, selected: (seatChoice.get(s.seat_id) ?? current) === f },
          store.view.bots?.[f] ? t('facilitator.seats.factionBot', { faction: factionName(f) }) : factionName(f))),
        h('option', { value: 'observer', selected: (seatChoice.get(s.seat_id) ?? current) === 'observer' }, seatLabel({ role: 'observer' })));
      sel.addEventListener('change', () => seatChoice.set(s.seat_id, sel.value));
      const err = errorBox('seat-error');
      const btn = h('button', { type: 'button', class: 'button small', 'data-testid': 'seat-assign' }, t('facilitator.seats.move'));
      btn.addEventListener('click', async () => {
        const to = sel.value;
        if (to === current) return;
        btn.disabled = true;
        seatErrors.delete(s.seat_id);
        try {
          const updated = await api.setSeat(gameId, store.token, s.seat_id, to === 'observer' ? { observer: true } : { faction: to });
          seatList = seatList.map((x) => (x.seat_id === s.seat_id ? updated : x));
          seatChoice.delete(s.seat_id);
        } catch (x) {
          seatErrors.set(s.seat_id, x);
        } finally {
          seatsKey = '';
          drawSeats();
        }
      });
      if (seatErrors.has(s.seat_id)) showError(err, seatErrors.get(s.seat_id));
      move = h('div', { class: 'seat-move' },
        h('span', { class: 'small muted', 'aria-hidden': 'true' }, t('facilitator.seats.moveTo')),
        h('label', { for: selId, class: 'visually-hidden' }, t('facilitator.seats.moveLabel', { name: s.name })), sel, btn, err);
    }
    return h('li', {
      class: 'seat-row', 'data-testid': 'seat-row', 'data-seat-id': s.seat_id, 'data-role': role,
      'data-faction': role === 'faction' ? s.seat.faction : null, 'data-connected': String(s.connected),
    },
    h('div', { class: 'seat-line' },
      h('span', { class: 'seat-name' }, s.name),
      h('span', { class: 'seat-seat' }, role === 'faction' ? factionLabel(s.seat.faction) : seatLabel(s.seat)),
      status),
    move);
  }

  let seatTimer = /** @type {ReturnType<typeof setTimeout> | null} */ (null);
  let seatsLoading = false;
  let alive = true;
  async function loadSeats() {
    if (!alive || seatsLoading) return;
    seatsLoading = true;
    try {
      seatList = await api.seats(gameId, store.token);
      showError(seatsErr, null);
      seatsUpdated.textContent = t('facilitator.seats.updated', { time: formatDate(Date.now(), { timeStyle: 'medium' }) });
      drawSeats();
    } catch (x) {
      showError(seatsErr, /** @type {any} */ (x));
    } finally {
      seatsLoading = false;
    }
  }
  function scheduleSeats(ms = SEAT_POLL_MS) {
    if (seatTimer) clearTimeout(seatTimer);
    seatTimer = setTimeout(async () => {
      await loadSeats();
      if (alive) scheduleSeats(store.view.phase === 'lobby' ? LOBBY_SEAT_POLL_MS : SEAT_POLL_MS);
    }, ms);
  }

  const seatsSec = sec('sec-seats', t('facilitator.seats.title'), seatBody, seatsErr, seatsUpdated,
    h('p', { class: 'hint' }, t('facilitator.seats.hint')));

  // ---- bots ----
  const botRows = factions.map((f) => {
    const selId = uniqueId('bot');
    const sel = h('select', { id: selId, 'data-testid': `bot-${f}` },
      h('option', { value: '' }, t('facilitator.bots.people')),
      TEMPERAMENTS.map((temp) => h('option', { value: temp }, t('facilitator.bots.option', { temperament: temperamentName(temp).toLowerCase() }))));
    const err = errorBox(`bot-error-${f}`);
    const btn = h('button', { type: 'button', class: 'button small', 'data-testid': 'set-bot', 'data-faction': f }, t('facilitator.bots.apply'));
    btn.setAttribute('aria-label', t('facilitator.bots.applyLabel', { faction: factionName(f) }));
    const now = h('span', { class: 'small muted' });
    btn.addEventListener('click', () => run(btn, err, { type: 'set_bot', faction: f, temperament: sel.value || null }));
    let lastBot = '\u0000';
    const update = () => {
      const cur = store.view.bots?.[f] || '';
      if (cur !== lastBot) {
        lastBot = cur;
        sel.value = cur;
      }
      const agent = store.view.agents?.[f];
      now.textContent = agent ? t('agents.playedByAgent', { name: agent.name })
        : cur ? t('facilitator.bots.nowBot', { temperament: temperamentName(cur).toLowerCase() }) : t('facilitator.bots.nowPeople');
    };
    updaters.push(update);
    return h('div', { class: 'bot-row' },
      h('label', { for: selId, class: 'bot-label' }, factionLabel(f)), sel, btn, now, err);
  });
  const botsSec = sec('sec-bots', t('facilitator.bots.title'), ...botRows);

  // ---- events ----
  const injErr = errorBox('inject-error');
  const injId = uniqueId('inject');
  const injSel = h('select', { id: injId, 'data-testid': 'inject-event-select' },
    sc.events.map((/** @type {any} */ e) => h('option', { value: e.id }, t('facilitator.events.option', { name: e.name, kind: has(`facilitator.events.kind.${e.kind}`) ? t(`facilitator.events.kind.${e.kind}`) : e.kind }))));
  const injDesc = h('p', { class: 'small muted' });
  const showInjDesc = () => {
    const e = sc.events.find((/** @type {any} */ x) => x.id === injSel.value);
    replace(injDesc, e ? e.text : '');
  };
  injSel.addEventListener('change', showInjDesc);
  showInjDesc();
  const injBtn = h('button', { type: 'submit', class: 'button', 'data-testid': 'inject-event' }, t('facilitator.events.inject'));
  const injForm = h('form', { class: 'stack-form' }, h('label', { for: injId }, t('facilitator.events.card')), injSel, injDesc, h('div', { class: 'actions' }, injBtn), injErr);
  injForm.addEventListener('submit', (e) => {
    e.preventDefault();
    run(injBtn, injErr, { type: 'inject_event', event: injSel.value });
  });

  // Scheduled events: the view does not carry the switches, so keep what we set (per game).
  const schedKey = `detente.scheduled.${gameId}`;
  /** @type {Record<string, boolean>} */
  let schedState = {};
  try { schedState = JSON.parse(localStorage.getItem(schedKey) || '{}') || {}; } catch { schedState = {}; }
  const saveSched = () => {
    try { localStorage.setItem(schedKey, JSON.stringify(schedState)); } catch { /* ignore */ }
  };
  const schedErr = errorBox('scheduled-error');
  const scheduled = sc.events.filter((/** @type {any} */ e) => e.kind === 'scheduled');
  /** @type {Map<string, HTMLInputElement>} */
  const schedBoxes = new Map();
  const schedList = h('ul', { class: 'plain-list' }, scheduled.map((/** @type {any} */ e) => {
    const id = uniqueId('sched');
    const box = h('input', { id, type: 'checkbox', checked: schedState[e.id] !== false, 'data-testid': `scheduled-${e.id}` });
    schedBoxes.set(e.id, box);
    box.addEventListener('change', async () => {
      const enabled = box.checked;
      const ok = await run(box, schedErr, { type: 'set_scheduled_event', event: e.id, enabled });
      if (ok) {
        schedState[e.id] = enabled;
        saveSched();
      } else box.checked = !enabled;
    });
    return h('li', { class: 'choice' }, box, h('label', { for: id }, `${e.name} — ${roundLabel(Math.max(0, (e.round ?? 1) - 1))}`));
  }));
  const eventsSec = sec('sec-events', t('facilitator.events.title'), injForm,
    h('h3', null, t('facilitator.events.scheduled')),
    h('p', { class: 'hint' }, t('facilitator.events.scheduledHint')),
    schedList, schedErr);

  // ---- override ----
  const ovErr = errorBox('override-error');
  const ovVarId = uniqueId('ov-var');
  const ovValId = uniqueId('ov-val');
  const ovReasonId = uniqueId('ov-reason');
  const ovVar = h('select', { id: ovVarId, 'data-testid': 'override-var' },
    sc.variables.map((/** @type {any} */ v) => h('option', { value: v.id }, v.name)));
  const ovVal = h('input', { id: ovValId, type: 'number', step: 'any', class: 'narrow', required: true, 'data-testid': 'override-value' });
  const ovBounds = h('span', { class: 'small muted', id: uniqueId('ov-bounds') });
  ovVal.setAttribute('aria-describedby', ovBounds.id);
  const ovReason = h('input', { id: ovReasonId, type: 'text', maxlength: '200', required: true, 'data-testid': 'override-reason', placeholder: t('facilitator.override.reasonPlaceholder') });
  const ovBtn = h('button', { type: 'submit', class: 'button', 'data-testid': 'override' }, t('facilitator.override.button'));
  const ovList = h('ul', { class: 'plain-list small', 'data-testid': 'overrides' });
  const setOvBounds = (/** @type {boolean} */ fill) => {
    const v = sc.variables.find((/** @type {any} */ x) => x.id === ovVar.value);
    if (!v) return;
    ovVal.min = String(v.min);
    ovVal.max = String(v.max);
    const cur = store.view.vars?.[v.id];
    replace(ovBounds, t('facilitator.override.bounds', { min: num(v.min), max: num(v.max), unit: v.unit ? ` (${v.unit})` : '', now: cur === undefined ? '–' : num(cur) }),
      ' ', v.visibility === 'public' ? t('facilitator.override.public') : t('facilitator.override.secret', { faction: factionName(v.owner) }));
    if (fill && cur !== undefined) ovVal.value = String(Math.round(cur * 100) / 100);
  };
  ovVar.addEventListener('change', () => setOvBounds(true));
  setOvBounds(true);
  const ovForm = h('form', { class: 'stack-form', novalidate: true },
    h('label', { for: ovVarId }, t('facilitator.override.variable')), ovVar,
    h('label', { for: ovValId }, t('facilitator.override.value')), h('div', null, ovVal, ' ', ovBounds),
    h('label', { for: ovReasonId }, t('facilitator.override.reason')), ovReason,
    h('div', { class: 'actions' }, ovBtn), ovErr);
  ovForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = Number(ovVal.value);
    if (ovVal.value === '' || !Number.isFinite(value)) {
      showError(ovErr, t('facilitator.override.badNumber'));
      return;
    }
    if (!ovReason.value.trim()) {
      showError(ovErr, t('facilitator.override.noReason'));
      ovReason.focus();
      return;
    }
    const ok = await run(ovBtn, ovErr, { type: 'override', var: ovVar.value, value, reason: ovReason.value.trim() });
    if (ok) ovReason.value = '';
  });
  let ovKey = '';
  updaters.push(() => {
    const o = store.view.overrides || [];
    const key = JSON.stringify(o) + JSON.stringify(store.view.vars?.[ovVar.value]);
    if (key === ovKey) return;
    ovKey = key;
    setOvBounds(false);
    replace(ovList, o.length ? [...o].reverse().map((/** @type {any} */ x) => h('li', null,
      h('span', { class: 'muted' }, `${roundLabel(x[0])}: `), `${varName(x[1])} ${x[2] === null ? '–' : num(x[2])} → ${num(x[3])}: `, h('q', null, x[4])))
      : h('li', { class: 'muted' }, t('facilitator.override.none')));
  });
  const overrideSec = sec('sec-override', t('facilitator.override.title'), ovForm, h('h3', null, t('facilitator.override.list')), ovList);

  // ---- annotate ----
  const anErr = errorBox('annotate-error');
  const anId = uniqueId('annotate');
  const anText = h('textarea', { id: anId, rows: '2', maxlength: '2000', 'data-testid': 'annotate-text' });
  const anBtn = h('button', { type: 'submit', class: 'button', 'data-testid': 'annotate' }, t('facilitator.notes.add'));
  const anList = h('ul', { class: 'plain-list small', 'data-testid': 'annotations' });
  const anForm = h('form', { class: 'stack-form' }, h('label', { for: anId }, t('facilitator.notes.label')), anText,
    h('div', { class: 'actions' }, anBtn), anErr);
  anForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!anText.value.trim()) {
      showError(anErr, t('facilitator.notes.empty'));
      return;
    }
    const ok = await run(anBtn, anErr, { type: 'annotate', text: anText.value });
    if (ok) anText.value = '';
  });
  let anKey = -1;
  updaters.push(() => {
    const a = store.view.annotations || [];
    if (a.length === anKey) return;
    anKey = a.length;
    replace(anList, a.length ? [...a].reverse().map((/** @type {any} */ x) => h('li', null, h('span', { class: 'muted' }, `${roundLabel(x[0])}: `), x[1]))
      : h('li', { class: 'muted' }, t('facilitator.notes.none')));
  });
  const annotateSec = sec('sec-annotate', t('facilitator.notes.title'), anForm, anList);

  // ---- moderation: what was hidden and who is muted; Moderate sits under each message ----
  /** @param {any} command @param {HTMLButtonElement} btn @param {HTMLElement} err */
  const moderate = (command, btn, err) => run(btn, err, command);
  const modBox = h('div', { 'data-testid': 'moderation' });
  let modKey = '';
  updaters.push(() => {
    const key = JSON.stringify(store.view.moderation || []) + Math.floor(Date.now() / 60000);
    if (key === modKey) return;
    modKey = key;
    replace(modBox, moderationList(store.view, moderate));
  });
  // ---- what-if branches ----
  const branchPanel = createBranchPanel({ store, navigate: ctx.navigate });
  updaters.push(() => branchPanel.update());
  const agentsPanel = createAgentsPanel({ store, factions });
  updaters.push(() => agentsPanel.update());
  const heldQueue = createHeldQueue({ store, run: (command, btn, err) => run(btn, err, command) });
  updaters.push(() => heldQueue.update());

  const moderationSec = sec('sec-moderation', t('moderation.title'), h('p', { class: 'hint' }, t('moderation.hint')), modBox);

  // ---- truth vs perception ----
  const truthBox = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('facilitator.truth.tableLabel') });
  let truthKey = '';
  updaters.push(() => {
    const ix = store.view.indices || [];
    const key = JSON.stringify(ix.map((/** @type {any} */ i) => i.values));
    if (key === truthKey) return;
    truthKey = key;
    const open = new Set([...truthBox.querySelectorAll('details[open]')].map((d) => d.getAttribute('data-testid')));
    if (!ix.length) {
      replace(truthBox, h('p', { class: 'muted' }, t('facilitator.noIndices')));
      return;
    }
    const persp = ix.map((/** @type {any} */ i) => i.perspective);
    /** @param {any} p */
    const pKey = (p) => (p.kind === 'faction' ? p.faction : p.kind);
    /** @param {any} p */
    const pName = (p) => (p.kind === 'technical' ? t('facilitator.truth.technical') : p.kind === 'public' ? t('facilitator.truth.public') : factionName(p.faction));
    const rows = explainedEntries(ix[0]);
    replace(truthBox, h('table', { class: 'table compact truth-table', 'data-testid': 'truth-table' },
      h('caption', { class: 'visually-hidden' }, t('facilitator.truth.caption')),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('facilitator.truth.index')),
        persp.map((/** @type {any} */ p) => h('th', { scope: 'col', class: p.kind === 'technical' ? 'truth-col' : null },
          p.kind === 'faction' ? factionLabel(p.faction) : pName(p))))),
      h('tbody', null, rows.map((e) => h('tr', null,
        h('th', { scope: 'row' }, indexName(e)),
        ix.map((/** @type {any} */ i) => {
          const ex = i[e.id];
          if (!ex || typeof ex !== 'object') return h('td', { class: 'muted' }, '–');
          const tid = `explain-${pKey(i.perspective)}-${e.id}`;
          const tech = ix[0][e.id]?.value;
          const differs = i.perspective.kind !== 'technical' && Number.isFinite(tech) && Math.abs(ex.value - tech) > 1e-6;
          return h('td', { class: ['truth-cell', i.perspective.kind === 'technical' && 'truth-col', differs && 'differs'] },
            explainIndex(ex, {
              testid: tid, open: open.has(tid),
              label: i.perspective.kind === 'technical' ? t('facilitator.truth.truth') : differs ? t('facilitator.truth.differs') : t('facilitator.truth.same'),
            }));
        }))))));
  });
  const truthSec = sec('sec-truth', t('facilitator.truth.title'),
    h('p', { class: 'hint' }, t('facilitator.truth.hint')),
    h('p', { class: 'hint scroll-hint' }, t('facilitator.truth.scrollHint')),
    truthBox);

  // ---- channels ----
  const channels = createChannels({ store, moderate });
  updaters.push(() => channels.update());
  const channelsSec = sec('sec-channels', t('facilitator.channels'), channels.el);

  // ---- proposals, agreements, orders ----
  const propBox = h('div', { 'data-testid': 'control-proposals' });
  const agrBox = h('div', { 'data-testid': 'control-agreements' });
  const ordBox = h('div', { 'data-testid': 'control-orders' });
  let negKey = '';
  updaters.push(() => {
    const v = store.view;
    const key = JSON.stringify([v.proposals, v.agreements, v.orders, v.builds]);
    if (key === negKey) return;
    negKey = key;
    const props = [...v.proposals].reverse();
    replace(propBox, props.length ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('facilitator.proposals.tableLabel') }, h('table', { class: 'table compact' },
      h('caption', { class: 'visually-hidden' }, t('facilitator.proposals.title')),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('facilitator.proposals.proposal')), h('th', { scope: 'col' }, t('facilitator.proposals.round')),
        h('th', { scope: 'col' }, t('facilitator.parties')), h('th', { scope: 'col' }, t('facilitator.proposals.acceptedBy')), h('th', { scope: 'col' }, t('facilitator.status')))),
      h('tbody', null, props.map((/** @type {any} */ p) => h('tr', { 'data-testid': 'control-proposal', 'data-proposal-id': String(p.id), 'data-status': p.status.status },
        h('td', null, h('details', null, h('summary', null, p.terms.title, p.terms.public ? '' : t('facilitator.private')),
          h('ul', { class: 'clauses' }, p.terms.clauses.map((/** @type {any} */ c) => h('li', null, clauseText(c)))),
          h('p', { class: 'small muted' }, t('facilitator.proposals.by', { faction: factionName(p.proposer), count: p.terms.duration_rounds })))),
        h('td', null, roundLabel(p.round)),
        h('td', null, p.terms.parties.map((/** @type {string} */ f) => factionLabel(f))),
        h('td', null, p.accepted_by.map(factionName).join(', ') || '–'),
        h('td', null, statusText(p.status)))))))
      : h('p', { class: 'muted' }, t('facilitator.proposals.none')));
    replace(agrBox, v.agreements.length ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('facilitator.agreements.tableLabel') }, h('table', { class: 'table compact' },
      h('caption', { class: 'visually-hidden' }, t('facilitator.agreements.title')),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('facilitator.agreements.agreement')), h('th', { scope: 'col' }, t('facilitator.parties')),
        h('th', { scope: 'col' }, t('facilitator.agreements.signed')), h('th', { scope: 'col' }, t('facilitator.agreements.until')), h('th', { scope: 'col' }, t('facilitator.status')))),
      h('tbody', null, v.agreements.map((/** @type {any} */ a) => h('tr', { 'data-testid': 'control-agreement', 'data-agreement-id': String(a.id), 'data-status': a.status.status },
        h('td', null, h('details', null, h('summary', null, a.terms.title, a.terms.public ? '' : t('facilitator.private')),
          h('ol', { class: 'clauses' }, a.terms.clauses.map((/** @type {any} */ c) => h('li', null, clauseText(c)))))),
        h('td', null, a.terms.parties.map((/** @type {string} */ f) => factionLabel(f))),
        h('td', null, roundLabel(a.signed_round)),
        h('td', null, roundLabel(a.until_round)),
        h('td', null, h('span', { class: ['tag', statusClass(a.status)] }, statusText(a.status))))))))
      : h('p', { class: 'muted' }, t('facilitator.agreements.none')));
    const drafts = factions.filter((f) => (v.orders[f] || []).length);
    replace(ordBox,
      drafts.length ? h('ul', { class: 'plain-list' }, drafts.map((f) => h('li', null, factionLabel(f), ': ',
        v.orders[f].map((/** @type {any} */ o) => `${actionName(o.action)}${o.quantity > 1 ? ` × ${o.quantity}` : ''}`).join('; '))))
        : h('p', { class: 'muted' }, t('facilitator.orders.none')),
      v.builds.length ? h('details', null, h('summary', null, t('facilitator.builds.title', { count: v.builds.length })),
        h('ul', { class: 'small' }, v.builds.map((/** @type {any} */ b) => h('li', null, factionLabel(b.faction),
          t('facilitator.builds.item', { action: `${actionName(b.action)}${b.quantity > 1 ? ` × ${b.quantity}` : ''}`, round: roundLabel(b.due_round) }),
          b.covert ? t('facilitator.covert') : '')))) : null);
  });
  const negotiationSec = sec('sec-negotiation', t('facilitator.negotiation.title'),
    h('h3', null, t('facilitator.proposals.title')), propBox, h('h3', null, t('facilitator.agreements.title')), agrBox, h('h3', null, t('facilitator.orders.title')), ordBox);

  // ---- purses and scores ----
  const pursesBox = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('facilitator.state.tableLabel') });
  let purseKey = '';
  updaters.push(() => {
    const v = store.view;
    const key = JSON.stringify([v.purses, v.scores, v.bots, v.agents]);
    if (key === purseKey) return;
    purseKey = key;
    replace(pursesBox, h('table', { class: 'table compact' },
      h('caption', { class: 'visually-hidden' }, t('facilitator.state.caption')),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('facilitator.faction')), h('th', { scope: 'col', class: 'num' }, t('facilitator.state.budget')),
        h('th', { scope: 'col', class: 'num' }, t('facilitator.state.capital')), h('th', { scope: 'col', class: 'num' }, t('facilitator.gameScore')), h('th', { scope: 'col' }, t('facilitator.playedBy')))),
      h('tbody', null, factions.map((f) => h('tr', null,
        h('th', { scope: 'row' }, factionLabel(f)),
        h('td', { class: 'num' }, num(v.purses[f]?.budget)),
        h('td', { class: 'num' }, num(v.purses[f]?.capital)),
        h('td', { class: 'num' }, v.scores?.[f] !== undefined ? num(v.scores[f], 1) : '–'),
        h('td', null, playedBy(v, f)))))));
  });

  // ---- variables (true values) ----
  const varsBox = h('details', { class: 'vars-box' });
  let varsKey = '';
  updaters.push(() => {
    const vars = store.view.vars || {};
    const key = JSON.stringify(vars);
    if (key === varsKey) return;
    varsKey = key;
    const open = varsBox.open;
    replace(varsBox, h('summary', null, t('facilitator.vars.summary', { count: sc.variables.length })),
      h('table', { class: 'table compact' },
        h('caption', { class: 'visually-hidden' }, t('facilitator.vars.caption')),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('facilitator.vars.variable')), h('th', { scope: 'col', class: 'num' }, t('facilitator.vars.value')), h('th', { scope: 'col' }, t('facilitator.vars.seenBy')))),
        h('tbody', null, sc.variables.map((/** @type {any} */ v) => h('tr', null,
          h('td', null, v.name), h('td', { class: 'num' }, vars[v.id] === undefined ? '–' : varValue(v.id, vars[v.id])),
          h('td', null, v.visibility === 'public' ? t('facilitator.vars.everyone') : t('facilitator.vars.only', { faction: factionName(v.owner) })))))));
    varsBox.open = open;
  });
  const stateSec = sec('sec-state', t('facilitator.state.title'), pursesBox, varsBox);

  // ---- reports ----
  const reports = createReports({ store });
  updaters.push(() => reports.update());
  const reportSec = sec('sec-reports', t('facilitator.reports.all'), reports.el);

  const nav = h('nav', { class: 'desk-nav', 'aria-label': t('facilitator.nav.label') },
    [['sec-controls', 'controls'], ['sec-seats', 'seats'], ['sec-truth', 'truth'], ['sec-channels', 'channels'],
      ['sec-negotiation', 'proposals'], ['sec-events', 'events'], ['sec-override', 'override'], ['sec-bots', 'bots'], ['sec-agents', 'agents'],
      ['sec-reports', 'reports']].map(([id, name]) => h('a', { href: `#${id}` }, t(`facilitator.nav.${name}`))));

  replace(root, h('div', { class: 'console', 'data-testid': 'console' },
    branchNote(store.view), top, reachBox, lobbySec, linksSec, branchPanel.el, endedBox, nav,
    h('div', { class: 'console-grid' },
      h('div', { class: 'console-col' }, controls, heldQueue.el, botsSec, agentsPanel.el, eventsSec),
      h('div', { class: 'console-col' }, seatsSec, overrideSec, annotateSec, moderationSec),
      h('div', { class: 'console-col wide' }, channelsSec, stateSec)),
    truthSec, negotiationSec, reportSec));

  function updateAll() {
    clock.update();
    conn.update();
    tension.update();
    for (const u of updaters) {
      try { u(); } catch (e) { console.error(e); }
    }
    drawSeats();
  }

  let lastSeatEventAt = 0;
  const unfollow = store.follow(() => conn.update(), (kinds, events) => {
    updateAll();
    for (const ev of events) {
      if (ev.type === 'scheduled_event_set') {
        schedState[ev.event] = ev.enabled;
        saveSched();
        const box = schedBoxes.get(ev.event);
        if (box) box.checked = ev.enabled;
      }
    }
    // Someone's socket may have come or gone with what happened: re-read the seats soon.
    if (events.length && Date.now() - lastSeatEventAt > 1000) {
      lastSeatEventAt = Date.now();
      scheduleSeats(300);
    }
  });
  updateAll();
  loadSeats();
  scheduleSeats(store.view.phase === 'lobby' ? LOBBY_SEAT_POLL_MS : SEAT_POLL_MS);

  return {
    unmount() {
      alive = false;
      if (seatTimer) clearTimeout(seatTimer);
      unfollow();
      clock.destroy();
    },
  };
}
