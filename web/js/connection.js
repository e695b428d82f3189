// @ts-check
/**
 * The WebSocket connection to `/ws` (docs/protocol.md §3–4, §9–10).
 *
 * - Sends `hello {token, last_seq}` at once; `last_seq` only while it holds state.
 * - Reconnects by itself with exponential backoff and jitter (0.5 s → 10 s), at once when the
 *   browser comes back online, and resumes from the last sequence it saw.
 * - `send(command)` gives every command a fresh UUID and keeps it until its `ack` or `error`.
 *   Commands still unanswered when the socket drops are sent again after the next `welcome`
 *   with the SAME id, so the server runs each exactly once. `unavailable` (retryable) answers
 *   are retried with the same id after a backoff.
 * - Stays well under the server's rate limit (20 frames/s) and pings every 20 s; a socket that
 *   does not answer a ping within 10 s is treated as dead.
 *
 * Events (all `CustomEvent`s):
 * - `status`: detail is `'connecting' | 'open' | 'reconnecting' | 'closed' | 'rejected'`
 *   (`closed`: stopped, or a fatal close; `rejected`: the token is no longer valid). The reason
 *   for `closed` / `rejected` / `reconnecting` is in `conn.reason`, in words of the page's
 *   language, and as a stable key in `conn.reasonCode` (`lost`, `offline`, `busy`, ...: the
 *   `common.conn.<code>` messages; empty for a reason the server gave).
 * - `welcome`: detail is the welcome frame (`{game_id, you, seq, view?}`), on every welcome.
 * - `resync`: detail is `{seq, view, you}`, when a welcome carries a full view: replace the state.
 * - `event`: detail is `{seq, event}` (a SeatEvent, §6), in increasing `seq`.
 * - `seatchanged`: Control moved this seat (close 4000); the connection reconnects for a new view.
 * - `servererror`: detail is an `error` frame that concerns no command of ours.
 * @module connection
 */

import { newCommandId } from './session.js';
import { t } from './i18n.js';

/** @typedef {'idle'|'connecting'|'open'|'reconnecting'|'closed'|'rejected'} ConnStatus */
/** @typedef {{code: string, message: string, retryable?: boolean}} CommandError */
/** @typedef {import('../../clients/typescript/protocol').ClientFrame} ClientFrame */
/** @typedef {import('../../clients/typescript/protocol').ServerFrame} ServerFrame */
/** @typedef {import('../../clients/typescript/protocol').Command} Command */
/** @typedef {import('../../clients/typescript/protocol').SeatInfo} SeatInfo */

/**
 * @typedef {object} Pending
 * @property {string} id
 * @property {Command} command
 * @property {(v: {seq: number}) => void} resolve
 * @property {(e: CommandError) => void} reject
 * @property {number} socket the socket generation it was last sent on (0: not yet sent)
 * @property {number} retries
 */

const PING_MS = 20000;
const PONG_TIMEOUT_MS = 10000;
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10000;
/** Frames per second we allow ourselves (server: 20/s on average, bursts of 40). */
const MAX_FRAMES_PER_S = 10;

export class Connection extends EventTarget {
  /**
   * @param {{gameId: string, token: string, lastSeq?: number | null, url?: string}} opts
   */
  constructor({ gameId, token, lastSeq = null, url }) {
    super();
    this.gameId = gameId;
    this.token = token;
    /** Highest sequence included in the state we hold; null: we hold none (hello gets a view). */
    this.lastSeq = lastSeq;
    this.url = url || `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
    /** @type {ConnStatus} */
    this.status = 'idle';
    /** Why the connection is not open (a person can read it, in the page's language). */
    this.reason = '';
    /** Why, as a stable key (`common.conn.<code>`), or '' (none, or the server's own words). */
    this.reasonCode = '';
    /** @type {WebSocket | null} */
    this.ws = null;
    this.generation = 0;
    this.attempt = 0;
    this.stopped = true;
    /** @type {Map<string, Pending>} */
    this.pending = new Map();
    /** Replies come in the order frames were sent: command ids, or 'ping'. */
    /** @type {string[]} */
    this.inflight = [];
    /** @type {Array<{tag: string, text: string}>} */
    this.outbox = [];
    /** @type {CommandError | null} a connection-level refusal (bad_token) before a close */
    this.fatal = null;
    /** @type {number[]} */
    this.sentTimes = [];
    this.welcomed = false;
    /** @type {SeatInfo | null} */
    this.you = null;
    /** @type {ReturnType<typeof setTimeout> | null} */ this.retryTimer = null;
    /** @type {ReturnType<typeof setInterval> | null} */ this.pingTimer = null;
    /** @type {ReturnType<typeof setTimeout> | null} */ this.pongTimer = null;
    /** @type {ReturnType<typeof setTimeout> | null} */ this.flushTimer = null;
    this.onOnline = () => {
      if (!this.stopped && this.status === 'reconnecting') this.reconnectNow();
    };
  }

  /** Opens the connection (and keeps it open until `stop()`). */
  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.open();
  }

  /** Closes the connection for good; unanswered commands are rejected with `stopped`. */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    this.clearTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try { ws.close(1000, 'bye'); } catch { /* already closed */ }
    }
    for (const p of this.pending.values()) p.reject({ code: 'stopped', message: t('common.conn.closed') });
    this.pending.clear();
    this.setStatus('closed', 'disconnected');
  }

  /**
   * Sends a game command (§5). Resolves with the ack's `{seq}`; rejects with the server's
   * `{code, message, retryable}`. Safe to call while disconnected: the command waits.
   * @param {Command} command e.g. `{type: 'ready'}`
   * @param {{id?: string}} [opts] an explicit id (to retry a command after `unavailable` yourself)
   * @returns {Promise<{seq: number}>}
   */
  send(command, opts = {}) {
    if (this.status === 'rejected' || (this.stopped && this.status === 'closed')) {
      return Promise.reject({ code: 'offline', message: this.reason || t('common.conn.notConnected') });
    }
    const id = opts.id || newCommandId();
    return new Promise((resolve, reject) => {
      /** @type {Pending} */
      const p = { id, command, resolve, reject, socket: 0, retries: 0 };
      this.pending.set(id, p);
      if (this.status === 'open' && this.welcomed) this.transmit(p);
    });
  }

  /** Number of commands sent but not yet answered. */
  get pendingCount() {
    return this.pending.size;
  }

  // ---- internals ----

  /**
   * @param {ConnStatus} status
   * @param {string} [code] why, as a `common.conn.<code>` key ('' for the server's own words)
   * @param {string} [text] the words, when they are not just `common.conn.<code>`
   */
  setStatus(status, code = '', text) {
    const reason = text !== undefined ? text : code ? t(`common.conn.${code}`) : '';
    const changed = status !== this.status || reason !== this.reason;
    this.status = status;
    this.reason = reason;
    this.reasonCode = code;
    if (changed) this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  clearTimers() {
    for (const t of [this.retryTimer, this.pongTimer, this.flushTimer]) if (t) clearTimeout(t);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = this.pongTimer = this.flushTimer = this.pingTimer = null;
  }

  open() {
    if (this.stopped) return;
    this.clearTimers();
    this.generation += 1;
    const gen = this.generation;
    this.welcomed = false;
    this.inflight = [];
    this.outbox = [];
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting', this.reasonCode, this.reason);
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.scheduleReconnect('cannotOpen');
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (gen !== this.generation) return;
      /** @type {ClientFrame} */
      const hello = { type: 'hello', token: this.token };
      if (this.lastSeq !== null && this.lastSeq !== undefined) hello.last_seq = this.lastSeq;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (m) => {
      if (gen !== this.generation) return;
      let frame;
      try {
        frame = JSON.parse(String(m.data));
      } catch {
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = (ev) => {
      if (gen !== this.generation) return;
      this.ws = null;
      this.onClose(ev.code, ev.reason);
    };
    ws.onerror = () => { /* a close follows */ };
  }

  /** @param {ServerFrame} f */
  onFrame(f) {
    switch (f.type) {
      case 'welcome': {
        const first = !this.welcomed;
        this.welcomed = true;
        this.attempt = 0;
        this.you = f.you;
        if (f.view) {
          this.lastSeq = f.seq;
          this.dispatchEvent(new CustomEvent('resync', { detail: { seq: f.seq, view: f.view, you: f.you } }));
        }
        this.dispatchEvent(new CustomEvent('welcome', { detail: f }));
        if (first) {
          this.setStatus('open');
          this.startPinging();
          // Re-send, with their original ids, the commands this socket has not carried yet.
          for (const p of this.pending.values()) if (p.socket !== this.generation) this.transmit(p);
        }
        break;
      }
      case 'event':
        if (typeof f.seq === 'number' && (this.lastSeq === null || f.seq > this.lastSeq)) this.lastSeq = f.seq;
        this.dispatchEvent(new CustomEvent('event', { detail: { seq: f.seq, event: f.event } }));
        break;
      case 'ack': {
        this.dropInflight(f.id);
        const p = this.pending.get(f.id);
        if (p) {
          this.pending.delete(f.id);
          p.resolve({ seq: f.seq });
        }
        break;
      }
      case 'error': {
        let id = f.id;
        if (id) this.dropInflight(id);
        else if (this.inflight.length && this.inflight[0] !== 'ping' && f.code === 'bad_frame') {
          id = this.inflight.shift();
        }
        const p = id ? this.pending.get(id) : undefined;
        if (p) {
          if (f.retryable && p.retries < 6) {
            p.retries += 1;
            p.socket = 0;
            const delay = Math.min(30000, 1000 * 2 ** (p.retries - 1));
            setTimeout(() => {
              if (this.pending.has(p.id) && this.status === 'open' && p.socket === 0) this.transmit(p);
            }, delay);
          } else {
            this.pending.delete(p.id);
            p.reject({ code: f.code, message: f.message, retryable: !!f.retryable });
          }
        } else {
          if (f.code === 'bad_token') this.fatal = { code: f.code, message: f.message };
          this.dispatchEvent(new CustomEvent('servererror', { detail: f }));
        }
        break;
      }
      case 'team':
        this.dispatchEvent(new CustomEvent('team', { detail: f }));
        break;
      case 'pong':
        this.dropInflight('ping');
        if (this.pongTimer) clearTimeout(this.pongTimer);
        this.pongTimer = null;
        break;
      default:
        break;
    }
  }

  /** @param {string} id */
  dropInflight(id) {
    const i = this.inflight.indexOf(id);
    if (i >= 0) this.inflight.splice(i, 1);
  }

  /** @param {Pending} p */
  transmit(p) {
    p.socket = this.generation;
    this.enqueue(JSON.stringify({ type: 'command', id: p.id, command: p.command }), p.id);
  }

  /**
   * Queues a frame; frames leave at most MAX_FRAMES_PER_S per second.
   * @param {string} text
   * @param {string} tag command id or 'ping'
   */
  enqueue(text, tag) {
    this.outbox.push({ tag, text });
    this.flush();
  }

  flush() {
    if (this.flushTimer) return;
    const now = performance.now();
    this.sentTimes = this.sentTimes.filter((t) => now - t < 1000);
    while (this.outbox.length && this.sentTimes.length < MAX_FRAMES_PER_S) {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      const { tag, text } = /** @type {{tag: string, text: string}} */ (this.outbox.shift());
      ws.send(text);
      this.inflight.push(tag);
      this.sentTimes.push(now);
    }
    if (this.outbox.length) {
      const wait = 1000 - (now - this.sentTimes[0]) + 5;
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.flush();
      }, Math.max(5, wait));
    }
  }

  startPinging() {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.enqueue(JSON.stringify({ type: 'ping' }), 'ping');
      if (this.pongTimer) clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => {
        // No answer: the socket is dead (sleep, network change). Start again.
        if (this.ws) {
          const ws = this.ws;
          this.ws = null;
          try { ws.close(4002, 'no pong'); } catch { /* ignore */ }
          this.generation += 1;
          this.scheduleReconnect('noAnswer');
        }
      }, PONG_TIMEOUT_MS);
    }, PING_MS);
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  onClose(code, reason) {
    this.clearTimers();
    if (this.stopped) return;
    if (code === 4000) {
      // Control moved this seat: reconnect with the same token for a whole new view.
      this.lastSeq = null;
      this.dispatchEvent(new CustomEvent('seatchanged', { detail: { reason } }));
      this.attempt = 0;
      this.setStatus('reconnecting', 'seatChanged');
      this.open();
      return;
    }
    if ((code === 1008 && /token/i.test(reason)) || (this.fatal && this.fatal.code === 'bad_token')) {
      this.rejectAll('bad_token', t('common.conn.seatInvalid'));
      this.setStatus('rejected', 'seatInvalid');
      this.stopped = true;
      return;
    }
    if (code === 1002 || (code >= 4001 && code !== 4002 && code < 5000)) {
      const why = reason || t('common.conn.serverClosed', { code: String(code) });
      this.rejectAll('closed', why);
      this.setStatus('closed', reason ? '' : 'serverClosed', why);
      this.stopped = true;
      return;
    }
    let why = 'lost';
    if (code === 1001) why = reason === 'unavailable' ? 'busy' : 'restarting';
    else if (code === 1008 && /rate/i.test(reason)) {
      why = 'rateLimited';
      this.attempt = Math.max(this.attempt, 3);
    } else if (!navigator.onLine) why = 'offline';
    this.scheduleReconnect(why);
  }

  /** @param {string} code @param {string} message */
  rejectAll(code, message) {
    for (const p of this.pending.values()) p.reject({ code, message });
    this.pending.clear();
  }

  /** @param {string} why a `common.conn.<why>` key */
  scheduleReconnect(why) {
    if (this.stopped) return;
    this.clearTimers();
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.setStatus('reconnecting', why);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  /** Skips the wait before the next attempt. */
  reconnectNow() {
    if (this.stopped) return;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.open();
    }
  }
}
