// @ts-check
/**
 * Round, phase and a live countdown to the phase's deadline.
 *
 * `createClock({store})` returns `{el, update(), destroy()}`. `update()` re-reads the store's
 * view (call it on every store change); the countdown ticks by itself every half second. Phase
 * changes are announced to screen readers through a polite live region.
 *
 * Test ids: `clock`, `round`, `phase`, `countdown`.
 *
 * Also here: `createConnectionStatus(store)`, the connection indicator (test id
 * `connection-status`, `data-status` = connected | connecting | reconnecting | offline | rejected).
 * @module components/clock
 */

import { h, replace } from '../dom.js';
import { phaseName, roundLabel, countdownText, msUntil } from '../format.js';
import { t } from '../i18n.js';

/**
 * @param {{store: import('../store.js').GameStore, compact?: boolean}} opts
 * @returns {{el: HTMLElement, update: () => void, destroy: () => void}}
 */
export function createClock({ store, compact = false }) {
  const round = h('span', { class: 'clock-round', 'data-testid': 'round' });
  const phase = h('span', { class: 'clock-phase', 'data-testid': 'phase' });
  const countdown = h('span', { class: 'clock-countdown', role: 'timer', 'aria-label': t('desk.clock.timeLeft'), 'data-testid': 'countdown' });
  const announce = h('span', { class: 'visually-hidden', 'aria-live': 'polite' });
  const el = h('div', { class: ['clock', compact && 'compact'], 'data-testid': 'clock' }, round, phase, countdown, announce);
  let lastPhase = '';

  function tick() {
    const v = store.view;
    if (!v) return;
    let text;
    countdown.classList.remove('urgent', 'paused');
    if (v.phase === 'ended') text = '';
    else if (v.phase === 'lobby') text = t('desk.clock.waiting');
    else if (v.paused) {
      text = t('desk.clock.paused');
      countdown.classList.add('paused');
    } else if (v.deadline_at == null) text = t('desk.clock.noDeadline');
    else {
      const ms = msUntil(v.deadline_at);
      text = countdownText(ms);
      if (ms < 30000) countdown.classList.add('urgent');
    }
    if (countdown.textContent !== text) countdown.textContent = text;
    countdown.hidden = !text;
  }

  function update() {
    const v = store.view;
    if (!v) return;
    const rl = v.round_label || roundLabel(v.round);
    replace(round, compact ? rl : t('desk.clock.roundOf', { label: rl, n: v.round + 1, total: v.rounds }));
    replace(phase, phaseName(v.phase));
    phase.dataset.phase = v.phase;
    const key = `${v.round}:${v.phase}`;
    if (lastPhase && key !== lastPhase) replace(announce, t('desk.clock.phaseAnnounce', { label: rl, phase: phaseName(v.phase) }));
    lastPhase = key;
    tick();
  }

  const timer = setInterval(tick, 500);
  update();
  return { el, update, destroy: () => clearInterval(timer) };
}

/**
 * A connection indicator for the page header: "Connected", "Reconnecting…", "Offline".
 * @param {import('../store.js').GameStore} store
 * @returns {{el: HTMLElement, update: () => void}}
 */
export function createConnectionStatus(store) {
  const el = h('span', { class: 'conn', role: 'status', 'data-testid': 'connection-status' });
  function update() {
    const s = store.status;
    const reason = store.connection?.reason || '';
    /** @type {[string, string]} */
    let [state, text] = ['connecting', t('desk.conn.connecting')];
    if (s === 'open') [state, text] = ['connected', t('desk.conn.connected')];
    else if (s === 'reconnecting') [state, text] = navigator.onLine ? ['reconnecting', t('desk.conn.reconnecting')] : ['offline', t('desk.conn.offline')];
    else if (s === 'rejected') [state, text] = ['rejected', t('desk.conn.rejected')];
    else if (s === 'closed') [state, text] = ['offline', t('desk.conn.offline')];
    el.dataset.status = state;
    el.title = reason;
    replace(el, h('span', { class: 'conn-dot', 'aria-hidden': 'true' }), text,
      reason && state !== 'connected' ? h('span', { class: 'visually-hidden' }, `: ${reason}`) : null);
  }
  update();
  return { el, update };
}


/**
 * A banner that explains a connection problem: shown after the connection has been down for a
 * few seconds ("your actions will be sent when it is back"), and at once for a fatal close (the
 * seat is no longer valid, or the server refused the client), with what to do.
 *
 * Test id: `connection-banner` (`data-status`).
 * @param {import('../store.js').GameStore} store
 * @returns {{el: HTMLElement, update: () => void, destroy: () => void}}
 */
export function createConnectionBanner(store) {
  const el = h('div', { class: 'conn-banner', role: 'alert', hidden: true, 'data-testid': 'connection-banner' });
  /** @type {number | null} */
  let downSince = null;
  function update() {
    const s = store.status;
    const reason = store.connection?.reason || '';
    if (s === 'open' || s === 'idle' || s === 'connecting') {
      downSince = null;
      el.hidden = true;
      return;
    }
    el.dataset.status = s;
    /** @type {any[]} */
    let content;
    let show = true;
    if (s === 'rejected') {
      content = [h('strong', null, t('desk.conn.banner.rejected')),
        reason ? `${reason[0].toUpperCase()}${reason.slice(1)}. ` : '',
        h('a', { href: '/', 'data-link': true }, t('desk.conn.banner.joinAgain'))];
    } else if (s === 'closed') {
      content = [h('strong', null, t('desk.conn.banner.closed')), reason ? `${reason}. ` : '', t('desk.conn.banner.reload')];
    } else {
      if (downSince === null) downSince = Date.now();
      show = Date.now() - downSince > 4000;
      const pending = store.connection?.pendingCount || 0;
      const head = navigator.onLine ? t('desk.conn.banner.reconnecting') : t('desk.conn.banner.offline');
      const code = store.connection?.reasonCode || '';
      const said = code === 'lost' || code === 'offline' || reason === 'connection lost' || reason === 'offline';
      const why = reason && !said ? `(${reason}) ` : '';
      const tail = pending ? t('desk.conn.banner.pending', { count: pending }) : t('desk.conn.banner.nothingPending');
      content = [h('strong', null, head), why, tail];
    }
    // Only touch the live region when the words change, so it is not re-announced every second.
    const key = `${s}|${content.map((c) => (typeof c === 'string' ? c : c.textContent)).join('')}`;
    if (el.dataset.key !== key) {
      el.dataset.key = key;
      replace(el, ...content);
    }
    el.hidden = !show;
  }
  const timer = setInterval(update, 1000);
  update();
  return { el, update, destroy: () => clearInterval(timer) };
}
