// @ts-check
/**
 * A class's connection to `/ws` (docs/protocol.md §12): `hello` with the teacher's token (the
 * class console and projector) or a waiting student's. No commands go over it: class-wide
 * commands are `POST /api/classes/{id}/command`.
 *
 * Reconnects by itself with backoff (0.5 s → 10 s) and pings every 20 s. Events (all
 * `CustomEvent`s):
 * - `status`: detail `'connecting' | 'open' | 'reconnecting' | 'rejected' | 'closed'`.
 * - `welcome`: the `class_welcome` frame (first, and again when the class starts).
 * - `roster`: `class_roster` (`{students}`): the roster changed; read it again.
 * - `table`: `class_table` (`{table, game_id, seq, status}`).
 * - `started`: a waiting student's class started (close 4000): their token now opens a seat.
 * @module classfeed
 */

import { t } from './i18n.js';

const PING_MS = 20000;
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10000;

export class ClassFeed extends EventTarget {
  /** @param {{token: string, url?: string}} opts */
  constructor({ token, url }) {
    super();
    this.token = token;
    this.url = url || `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
    this.status = 'idle';
    this.reason = '';
    /** @type {WebSocket | null} */
    this.ws = null;
    this.stopped = false;
    this.attempt = 0;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.retryTimer = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.pingTimer = null;
    this.onOnline = () => { if (this.status === 'reconnecting') this.open(); };
    window.addEventListener('online', this.onOnline);
  }

  /** @param {string} status @param {string} [reason] */
  setStatus(status, reason = '') {
    this.status = status;
    this.reason = reason;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  start() {
    this.stopped = false;
    this.open();
  }

  open() {
    if (this.stopped) return;
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting', this.reason);
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.retry(t('classes.feed.unreachable'));
      return;
    }
    this.ws = ws;
    let rejected = false;
    let started = false;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'hello', token: this.token }));
      this.pingTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
      }, PING_MS);
    };
    ws.onmessage = (m) => {
      /** @type {any} */
      let f;
      try { f = JSON.parse(String(m.data)); } catch { return; }
      switch (f.type) {
        case 'class_welcome':
          this.attempt = 0;
          this.setStatus('open');
          this.dispatchEvent(new CustomEvent('welcome', { detail: f }));
          break;
        case 'class_roster':
          this.dispatchEvent(new CustomEvent('roster', { detail: f }));
          break;
        case 'class_table':
          this.dispatchEvent(new CustomEvent('table', { detail: f }));
          break;
        case 'welcome':
          // A student's token that opens a seat already: the class has started.
          started = true;
          ws.close(1000);
          break;
        case 'error':
          if (f.code === 'bad_token') rejected = true;
          if (f.code === 'seat_changed') started = true;
          if (!['seat_changed', 'bad_token'].includes(f.code)) this.reason = f.message;
          break;
        default:
          break;
      }
    };
    ws.onclose = (ev) => {
      if (this.pingTimer) { clearInterval(this.pingTimer); this.pingTimer = null; }
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (rejected || ev.code === 1008 && /bad token/.test(ev.reason)) {
        this.stopped = true;
        this.setStatus('rejected', t('classes.feed.rejected'));
        return;
      }
      if (started || ev.code === 4000) {
        this.stopped = true;
        this.dispatchEvent(new CustomEvent('started'));
        return;
      }
      this.retry(ev.reason || t('classes.feed.lost'));
    };
  }

  /** @param {string} reason */
  retry(reason) {
    if (this.stopped) return;
    this.attempt += 1;
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.attempt - 1));
    this.setStatus('reconnecting', reason);
    this.retryTimer = setTimeout(() => this.open(), base / 2 + Math.random() * base / 2);
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try { ws.close(1000); } catch { /* already closed */ }
    }
    this.setStatus('closed');
  }
}
