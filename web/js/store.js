// @ts-check
/**
 * The state of one game as this seat sees it, kept up to date over the WebSocket.
 *
 * `load()` fetches the summary (`GET /api/games/{id}`) and the scenario, then opens the
 * {@link Connection} with `last_seq` set, so the socket only carries what happened since.
 * Events are folded into `view` exactly as docs/protocol.md §6 says; the parts events do not
 * carry (indices, builds, scores, order warnings, agreement statuses set at adjudication) are
 * refreshed from the summary, debounced, after the events that change them.
 *
 * Events (CustomEvent):
 * - `change`: detail `{kind: 'view' | 'event' | 'status' | 'you', event?: any, seq?: number}`,
 *   after every change, synchronously. Views usually prefer {@link GameStore#subscribe}, which
 *   batches changes into one call per animation frame.
 * - `seat`: the seat of this token changed (Control moved it): re-route to the right view.
 * @module store
 */

import * as api from './api.js';
import { Connection } from './connection.js';
import { roundLabel, setScenario } from './format.js';
import { updateSeat } from './session.js';
import { t } from './i18n.js';

/** @typedef {import('../../clients/typescript/protocol').SeatView} SeatView */
/** @typedef {import('../../clients/typescript/protocol').SeatEvent} SeatEvent */
/** @typedef {import('../../clients/typescript/protocol').Indices} Indices */
/** @typedef {import('../../clients/typescript/protocol').Proposal} Proposal */
/** @typedef {import('../../clients/typescript/protocol').FiredEvent} FiredEvent */
/**
 * What the store keeps as `view`: the SeatView of docs/protocol.md §7 (the generated
 * `clients/typescript/protocol.d.ts`), loosened where the client goes beyond it: views read a
 * perspective of `indices` by an index id taken from the scenario, and `paused` leaves the time
 * that was left in `remaining_ms`.
 * @typedef {Omit<SeatView, 'indices'> & {indices: Array<Indices & Record<string, any>>, remaining_ms?: number | null}} View
 */

/** Events after which the model's outputs (indices, builds, scores, warnings) may have changed. */
const REFRESH_AFTER = new Set([
  'round_began', 'adjudicated', 'event_injected', 'overridden', 'agreement_signed',
  'game_ended', 'phase_changed', 'resumed', 'bot_set',
]);

/** How many recent events are kept to re-apply on top of an older summary. */
const KEEP_EVENTS = 512;

export class GameStore extends EventTarget {
  /**
   * @param {{gameId: string, token: string, scenarioId?: string}} opts `scenarioId`: the
   *   scenario this game is believed to use (e.g. remembered from an earlier visit), fetched
   *   at the same time as the summary.
   */
  constructor({ gameId, token, scenarioId }) {
    super();
    this.gameId = gameId;
    this.token = token;
    this.scenarioHint = scenarioId || null;
    /** @type {import('./api.js').You | null} */
    this.you = null;
    /** Sequence number of the last event the view includes. */
    this.seq = 0;
    /** @type {View} the SeatView (§7); set by `load()`, before which no view reads it */
    this.view = /** @type {any} */ (null);
    /** @type {any} the scenario (`GET /api/scenarios/{id}`) */
    this.scenario = null;
    /** @type {string | null} the join code, when the summary carries it */
    this.joinCode = null;
    /** @type {Connection | null} */
    this.connection = null;
    /** @type {Array<{seat_id: string, name: string, connected: boolean, captain: boolean}>}
     *  the seat's team when it has more than one member (the `team` frame) */
    this.team = [];
    /** @type {import('./connection.js').ConnStatus} */
    this.status = 'idle';
    /** @type {Array<{seq: number, event: SeatEvent}>} */
    this.recent = [];
    /** `recent` holds every event applied after this sequence (the base it was folded onto). */
    this.recentFrom = 0;
    /** Bumped whenever the view is replaced wholesale (a welcome with a view), so a summary
     *  requested before that cannot overwrite it. */
    this.epoch = 0;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.refreshTimer = null;
    this.refreshing = false;
    this.refreshAgain = false;
    this.stopped = false;
  }

  /** The faction this seat plays, or null (Control, observer). */
  get faction() {
    const s = this.you?.seat;
    return s && s.role === 'faction' ? s.faction : null;
  }

  /** 'faction' | 'control' | 'observer' */
  get role() {
    return this.you?.seat?.role || 'observer';
  }

  /**
   * Fetches the summary and the scenario (retrying while the server is unreachable), then
   * opens the socket. Rejects with an ApiError for a token the server does not know (401).
   */
  async load() {
    let attempt = 0;
    for (;;) {
      try {
        // The scenario we expect, fetched alongside the summary; checked against it below.
        if (this.scenarioHint) api.scenario(this.scenarioHint).catch(() => null);
        const s = await api.summary(this.gameId, this.token);
        this.acceptSummary(s, true);
        // In the reader's language (the page's), which may differ from the game's: the names
        // the engine and the bots wrote into the log stay in the game's language.
        const sc = await api.scenario(this.view.scenario);
        this.scenario = sc;
        setScenario(sc);
        break;
      } catch (e) {
        const err = /** @type {any} */ (e);
        if (this.stopped) throw e;
        const transient = err.status === 0 || err.status >= 500;
        if (!transient) throw e;
        attempt += 1;
        this.setStatus('reconnecting');
        await new Promise((r) => setTimeout(r, Math.min(10000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2)));
      }
    }
    this.connect();
    this.emit({ kind: 'view' });
  }

  /** Opens the WebSocket (called by `load()`). */
  connect() {
    if (this.connection) return;
    const c = new Connection({ gameId: this.gameId, token: this.token, lastSeq: this.seq });
    this.connection = c;
    c.addEventListener('status', (e) => this.setStatus(/** @type {CustomEvent} */ (e).detail));
    c.addEventListener('resync', (e) => {
      const d = /** @type {CustomEvent} */ (e).detail;
      this.view = d.view;
      this.seq = d.seq;
      this.recent = [];
      this.recentFrom = d.seq;
      this.epoch += 1;
      this.setYou(d.you);
      this.emit({ kind: 'view' });
      this.scheduleRefresh();
    });
    c.addEventListener('welcome', (e) => this.setYou(/** @type {CustomEvent} */ (e).detail.you));
    c.addEventListener('team', (e) => {
      this.team = /** @type {CustomEvent} */ (e).detail.members;
      this.emit({ kind: 'team' });
    });
    c.addEventListener('event', (e) => {
      const { seq, event } = /** @type {CustomEvent} */ (e).detail;
      this.applyEvent(seq, event);
    });
    c.start();
  }

  /** Closes the socket and stops refreshing. */
  stop() {
    this.stopped = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.connection?.stop();
    this.connection = null;
  }

  /**
   * Sends a command (§5) over the connection. Resolves with `{seq}` on ack; rejects with the
   * server's `{code, message}`.
   * @param {any} command
   * @returns {Promise<{seq: number}>}
   */
  command(command) {
    if (!this.connection) return Promise.reject({ code: 'offline', message: t('common.conn.notConnected') });
    return this.connection.send(command);
  }

  /**
   * Resolves once the view includes sequence `seq` (e.g. an ack's: its events have been
   * applied), or after `timeoutMs` (a seat does not see every event, so it may never get
   * exactly that one).
   * @param {number} seq
   * @param {number} [timeoutMs]
   * @returns {Promise<void>}
   */
  caughtUp(seq, timeoutMs = 2000) {
    if (this.seq >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.removeEventListener('change', check);
        resolve();
      };
      const check = () => { if (this.seq >= seq || this.stopped) done(); };
      const timer = setTimeout(done, timeoutMs);
      this.addEventListener('change', check);
    });
  }

  /**
   * What a view follows: `onStatus` when only the connection's status changed or the browser
   * went on- or offline, `onChange` (as {@link GameStore#subscribe}) for anything else.
   * @param {() => void} onStatus
   * @param {(kinds: Set<string>, events: any[]) => void} onChange
   * @returns {() => void} stops both
   */
  follow(onStatus, onChange) {
    const unsubscribe = this.subscribe((kinds, events) => {
      if (kinds.has('status') && kinds.size === 1) onStatus();
      else onChange(kinds, events);
    });
    window.addEventListener('online', onStatus);
    window.addEventListener('offline', onStatus);
    return () => {
      unsubscribe();
      window.removeEventListener('online', onStatus);
      window.removeEventListener('offline', onStatus);
    };
  }

  /**
   * Calls `fn` at most once per animation frame after changes, with the set of change kinds.
   * @param {(kinds: Set<string>, events: any[]) => void} fn
   * @returns {() => void} unsubscribe
   */
  subscribe(fn) {
    /** @type {Set<string>} */
    let kinds = new Set();
    /** @type {any[]} */
    let events = [];
    let scheduled = false;
    /** @param {Event} e */
    const listener = (e) => {
      const d = /** @type {CustomEvent} */ (e).detail;
      kinds.add(d.kind);
      if (d.event) events.push(d.event);
      if (scheduled) return;
      scheduled = true;
      const run = () => {
        scheduled = false;
        const k = kinds;
        const ev = events;
        kinds = new Set();
        events = [];
        fn(k, ev);
      };
      if (document.hidden) setTimeout(run, 50);
      else requestAnimationFrame(run);
    };
    this.addEventListener('change', listener);
    return () => this.removeEventListener('change', listener);
  }

  // ---- internals ----

  /** @param {{kind: string, event?: any, seq?: number}} detail */
  emit(detail) {
    this.dispatchEvent(new CustomEvent('change', { detail }));
  }

  /** @param {import('./connection.js').ConnStatus} s */
  setStatus(s) {
    this.status = s;
    this.emit({ kind: 'status' });
  }

  /** @param {any} you */
  setYou(you) {
    if (!you) return;
    const before = this.you ? JSON.stringify(this.you.seat) : null;
    this.you = you;
    if (before !== null && before !== JSON.stringify(you.seat)) {
      updateSeat(this.gameId, { seat: you.seat });
      this.emit({ kind: 'you' });
      this.dispatchEvent(new CustomEvent('seat', { detail: you }));
    }
  }

  /**
   * @param {any} s summary response
   * @param {boolean} first
   * @returns {boolean} whether the summary was taken
   */
  acceptSummary(s, first) {
    if (s.join_code) this.joinCode = s.join_code;
    /** The class this game is a table of: `{class_id, table}`, or null. */
    this.classOf = s.class || null;
    if (first) {
      this.view = s.view;
      this.seq = s.seq;
      this.recentFrom = s.seq;
      this.you = s.you;
      return true;
    }
    if (s.seq >= this.seq) {
      this.view = s.view;
      this.seq = s.seq;
    } else if (s.seq >= this.recentFrom) {
      // The summary is older than what we hold: re-apply the events it lacks.
      let v = s.view;
      for (const r of this.recent) if (r.seq > s.seq) v = fold(v, r.event);
      this.view = v;
    } else {
      // Older than the base of the events we kept (e.g. a welcome with a view came in while
      // it was on its way): it cannot be brought up to date, and would roll the view back.
      return false;
    }
    // Resume from here next time. Not while the connection holds no state on purpose (after a
    // seat change it must ask for a whole view, without last_seq).
    if (this.connection && this.connection.lastSeq !== null && this.connection.lastSeq < this.seq) {
      this.connection.lastSeq = this.seq;
    }
    this.setYou(s.you);
    return true;
  }

  /**
   * @param {number} seq
   * @param {SeatEvent} event
   */
  applyEvent(seq, event) {
    if (!this.view || seq <= this.seq) return;
    this.view = fold(this.view, event);
    this.seq = seq;
    this.recent.push({ seq, event });
    if (this.recent.length > KEEP_EVENTS) {
      const dropped = this.recent.splice(0, this.recent.length - KEEP_EVENTS);
      this.recentFrom = dropped[dropped.length - 1].seq;
    }
    this.emit({ kind: 'event', event, seq });
    if (REFRESH_AFTER.has(event.type)) this.scheduleRefresh(event.type === 'game_ended' ? 0 : 250);
  }

  /**
   * Re-reads the summary soon (debounced) for the parts of the view events do not carry.
   * @param {number} [delay]
   */
  scheduleRefresh(delay = 250) {
    if (this.stopped) return;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refresh();
    }, delay);
  }

  /** Re-reads the summary now. */
  async refresh() {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    const epoch = this.epoch;
    try {
      const s = await api.summary(this.gameId, this.token);
      if (this.stopped) return;
      // A welcome with a view replaced the state meanwhile (it also asked for a new summary).
      if (epoch !== this.epoch) return;
      if (this.acceptSummary(s, false)) this.emit({ kind: 'view' });
    } catch {
      // The socket will bring us back up to date; try again after the next event.
    } finally {
      this.refreshing = false;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.scheduleRefresh();
      }
    }
  }
}

/**
 * Folds one SeatEvent into a SeatView (docs/protocol.md §6, "effect on the view"). Returns a
 * new top-level object; nested arrays that change are copied.
 * @param {View} view
 * @param {SeatEvent} ev
 * @returns {View}
 */
export function fold(view, ev) {
  const v = { ...view };
  /** @param {number} id @param {(p: Proposal) => Proposal} f */
  const mapProposal = (id, f) => {
    v.proposals = v.proposals.map((/** @type {any} */ p) => (p.id === id ? f({ ...p }) : p));
  };
  /** @param {Record<string, any>} purses */
  const setPurses = (purses) => {
    if (purses) v.purses = { ...v.purses, ...purses };
  };
  switch (ev.type) {
    case 'round_began':
      v.round = ev.round;
      v.round_label = roundLabel(ev.round);
      v.phase = 'briefing';
      v.deadline_at = ev.deadline_at;
      v.vars = ev.vars;
      setPurses(ev.purses);
      v.ready = [];
      v.members_ready = {};
      v.orders = {};
      v.briefings = [...v.briefings, ...ev.fired.map((f) => /** @type {[number, FiredEvent]} */ ([ev.round, f]))];
      break;
    case 'phase_changed':
      if (v.round !== ev.round) v.round_label = roundLabel(ev.round);
      v.round = ev.round;
      v.phase = ev.phase;
      v.deadline_at = ev.deadline_at;
      v.ready = [];
      v.members_ready = {};
      break;
    case 'chat_posted':
      v.messages = [...v.messages, ev.message];
      break;
    case 'proposal_made':
      v.proposals = [...v.proposals.filter((/** @type {any} */ p) => p.id !== ev.proposal.id), ev.proposal];
      break;
    case 'proposal_accepted':
      mapProposal(ev.proposal, (p) => ({ ...p, accepted_by: [...new Set([...p.accepted_by, ev.by])].sort() }));
      break;
    case 'proposal_rejected':
      mapProposal(ev.proposal, (p) => ({ ...p, status: { status: 'rejected', by: ev.by, reason: ev.reason } }));
      break;
    case 'proposal_countered':
      mapProposal(ev.proposal, (p) => ({ ...p, status: { status: 'countered', by: ev.by, counter: ev.counter } }));
      break;
    case 'proposal_withdrawn':
      mapProposal(ev.proposal, (p) => ({ ...p, status: { status: 'withdrawn' } }));
      break;
    case 'proposals_expired': {
      const ids = new Set(ev.proposals);
      v.proposals = v.proposals.map((/** @type {any} */ p) => (ids.has(p.id) ? { ...p, status: { status: 'expired' } } : p));
      break;
    }
    case 'agreement_signed':
      mapProposal(ev.agreement.proposal, (p) => ({ ...p, status: { status: 'signed', agreement: ev.agreement.id } }));
      v.agreements = [...v.agreements.filter((/** @type {any} */ a) => a.id !== ev.agreement.id), ev.agreement];
      setPurses(ev.purses);
      break;
    case 'order_submitted':
      v.orders = { ...v.orders, [ev.faction]: [...(v.orders[ev.faction] || []), ev.order] };
      break;
    case 'order_amended':
      v.orders = {
        ...v.orders,
        [ev.faction]: (v.orders[ev.faction] || []).map((/** @type {any} */ o) => (o.id === ev.order ? { ...o, quantity: ev.quantity } : o)),
      };
      break;
    case 'order_withdrawn':
      v.orders = { ...v.orders, [ev.faction]: (v.orders[ev.faction] || []).filter((/** @type {any} */ o) => o.id !== ev.order) };
      break;
    case 'faction_ready':
      if (!v.ready.includes(ev.faction)) v.ready = [...v.ready, ev.faction];
      break;
    case 'start_set':
      v.start = ev.start;
      break;
    case 'ready_withdrawn':
      v.ready = v.ready.filter((/** @type {string} */ f) => f !== ev.faction);
      break;
    case 'member_ready': {
      const marks = (v.members_ready?.[ev.faction] || []).filter((/** @type {any} */ m) => m.member !== ev.member);
      v.members_ready = { ...v.members_ready, [ev.faction]: [...marks, { member: ev.member, name: ev.name }] };
      break;
    }
    case 'member_ready_withdrawn':
      v.members_ready = {
        ...v.members_ready,
        [ev.faction]: (v.members_ready?.[ev.faction] || []).filter((/** @type {any} */ m) => m.member !== ev.member),
      };
      break;
    case 'paused':
      v.paused = true;
      v.deadline_at = null;
      v.remaining_ms = ev.remaining_ms;
      break;
    case 'resumed':
      v.paused = false;
      v.deadline_at = ev.deadline_at;
      break;
    case 'deadline_extended':
      v.deadline_at = ev.deadline_at;
      break;
    case 'event_injected':
      v.vars = ev.vars;
      v.briefings = [...v.briefings, [v.round, ev.fired]];
      break;
    case 'overridden': {
      // The event carries no old value; Control's vars are the true ones, so it is the one before.
      const old = v.vars?.[ev.var] ?? null;
      v.vars = { ...v.vars, [ev.var]: ev.new };
      if (v.seat?.role === 'control') v.overrides = [...v.overrides, [ev.round, ev.var, old, ev.new, ev.reason]];
      break;
    }
    case 'bot_set': {
      const bots = { ...v.bots };
      if (ev.temperament) bots[ev.faction] = ev.temperament;
      else delete bots[ev.faction];
      v.bots = bots;
      break;
    }
    case 'agent_set': {
      const agents = { ...(v.agents || {}) };
      if (ev.agent) agents[ev.faction] = ev.agent;
      else delete agents[ev.faction];
      v.agents = agents;
      break;
    }
    case 'chat_held':
      v.held = [...(v.held || []), ev.held];
      break;
    case 'held_message_decided':
      v.held = (v.held || []).map((/** @type {any} */ m) => (m.faction === ev.faction && m.id === ev.held ? { ...m, decision: ev.decision } : m));
      break;
    case 'annotated':
      v.annotations = [...v.annotations, [ev.round, ev.text]];
      break;
    case 'branched': {
      v.branch = ev.branch;
      v.bots = ev.bots;
      // A faction a bot plays in the branch is no agent's.
      const agents = { ...(v.agents || {}) };
      for (const f of Object.keys(ev.bots || {})) delete agents[f];
      v.agents = agents;
      v.paused = true;
      v.deadline_at = null;
      v.ready = [];
      v.members_ready = {};
      break;
    }
    case 'message_hidden': {
      const same = (/** @type {any} */ m) => m.id === ev.message && JSON.stringify(m.channel) === JSON.stringify(ev.channel);
      const control = view.seat?.role === 'control';
      v.messages = v.messages.map((/** @type {any} */ m) => (same(m) ? { ...m, hidden: true, text: control ? m.text : '' } : m));
      v.moderation = [...(v.moderation || []), {
        kind: 'hide_message', round: ev.round, at_ms: ev.at_ms, by: ev.by, reason: ev.reason, channel: ev.channel, message: ev.message,
      }];
      break;
    }
    case 'member_muted':
      v.moderation = [...(v.moderation || []), {
        kind: 'mute', round: ev.round, at_ms: ev.at_ms, by: ev.by, reason: ev.reason, faction: ev.faction, member: ev.member, name: ev.name, until_ms: ev.until_ms,
      }];
      break;
    case 'member_unmuted':
      v.moderation = [...(v.moderation || []), {
        kind: 'unmute', round: ev.round, at_ms: ev.at_ms, by: ev.by, reason: '', faction: ev.faction, member: ev.member, name: ev.name,
      }];
      break;
    case 'adjudicated':
      v.reports = [...v.reports.filter((/** @type {any} */ r) => r.round !== ev.report.round), ev.report];
      v.vars = ev.vars;
      setPurses(ev.purses);
      v.orders = {};
      v.ready = [];
      v.members_ready = {};
      break;
    case 'game_ended':
      v.phase = 'ended';
      v.deadline_at = null;
      v.ending = ev.ending;
      break;
    default:
      break;
  }
  return v;
}
