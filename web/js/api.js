// @ts-check
/**
 * REST calls to the Détente server (docs/protocol.md §2). Every function returns the parsed
 * JSON body, or throws an {@link ApiError} carrying the server's `{code, message}`.
 * @module api
 */

import { t, locale } from './i18n.js';

/** An HTTP error from the API: `status` is the HTTP status, `code` and `message` the server's. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * Milliseconds to add to `Date.now()` to get the server's clock, estimated from the HTTP
 * `Date` header of the last response (1 s resolution; only corrected when off by over 1.5 s).
 */
export let clockOffsetMs = 0;

/** The server's current time in Unix ms. */
export function serverNow() {
  return Date.now() + clockOffsetMs;
}

/** @param {Response} res */
function noteClock(res) {
  const d = res.headers.get('date');
  if (!d) return;
  const t = Date.parse(d);
  if (Number.isNaN(t)) return;
  // The header is truncated to the second: the server's clock is in [t, t + 1000).
  const off = t + 500 - Date.now();
  if (Math.abs(off) > 1500) clockOffsetMs = off;
  else clockOffsetMs = 0;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {{body?: any, token?: string | null}} [opts]
 * @returns {Promise<any>}
 */
async function call(method, path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'offline', t('error.network'));
  }
  noteClock(res);
  const text = await res.text();
  /** @type {any} */
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const code = (data && data.code) || `http_${res.status}`;
    const message = (data && data.message) || text || res.statusText || `HTTP ${res.status}`;
    throw new ApiError(res.status, code, message);
  }
  return data;
}

/**
 * `POST /api/games`: creates a game. Needs the admin token when the server has one (401 otherwise).
 * @param {{scenario?: string, name?: string, preset?: string,
 *   deadlines?: {briefing: number, negotiation: number, orders: number, review: number},
 *   bots?: Record<string, 'hawk'|'pragmatist'|'dove'>, team_sizes?: Record<string, number>, seed?: number}} body
 * @param {string} [adminToken]
 * @returns {Promise<{game_id: string, join_code: string, control_token: string, control_seat_id: string}>}
 */
export function createGame(body, adminToken) {
  return call('POST', '/api/games', { body, token: adminToken || null });
}

/**
 * `POST /api/join`: joins a game by its code; returns a new seat and its token (shown once).
 * @param {{code: string, name: string, faction?: string, observer?: boolean}} body
 * @returns {Promise<{game_id: string, seat_id: string, seat_token: string, seat: Seat, name: string}>}
 */
export function join(body) {
  return call('POST', '/api/join', { body });
}

/**
 * `GET /api/games/{id}`: the game as the token's seat sees it.
 * @param {string} gameId
 * @param {string} token
 * @returns {Promise<{game_id: string, seq: number, you: You, view: any, join_code?: string}>}
 */
export function summary(gameId, token) {
  return call('GET', `/api/games/${encodeURIComponent(gameId)}`, { token });
}

/**
 * `GET /api/games/{id}/reports`: the turn reports the seat may read, oldest first.
 * @param {string} gameId
 * @param {string} token
 * @returns {Promise<any[]>}
 */
export function reports(gameId, token) {
  return call('GET', `/api/games/${encodeURIComponent(gameId)}/reports`, { token });
}

/**
 * `GET /api/games/{id}/messages`: earlier messages of one channel (a view carries the latest
 * 200 of each), oldest first.
 * @param {string} gameId
 * @param {string} token
 * @param {string} channel the channel's key (`plenary`, `bilateral-a-b`, `team-f`, `control-f`)
 * @param {number} before messages before this id
 * @returns {Promise<any[]>}
 */
export function earlierMessages(gameId, token, channel, before) {
  const q = `channel=${encodeURIComponent(channel)}&before=${before}`;
  return call('GET', `/api/games/${encodeURIComponent(gameId)}/messages?${q}`, { token });
}

/**
 * `GET /api/games/{id}/export` (Control only).
 * @param {string} gameId
 * @param {string} token
 */
export function exportGame(gameId, token) {
  return call('GET', `/api/games/${encodeURIComponent(gameId)}/export`, { token });
}

/**
 * `GET /api/scenarios?lang=<locale>`: ids, titles, factions, rounds, presets (titles and
 * summaries in the page's language where the server has them).
 * @returns {Promise<Array<{id: string, title: string, summary: string, factions: string[],
 *   rounds: string[], presets: string[], default_preset: string}>>}
 */
export function scenarios() {
  return call('GET', `/api/scenarios?lang=${encodeURIComponent(locale())}`);
}

/** @type {Map<string, Promise<any>>} */
const scenarioCache = new Map();

/**
 * `GET /api/scenarios/{id}?lang=<lang>`: the whole scenario (factions, actions, clause kinds,
 * variables, events, model, scoring, map), its texts in `lang` (default: the page's language)
 * where the scenario has that language. Cached for the page's lifetime (the locale is fixed
 * per page load).
 * @param {string} id
 * @param {string} [lang]
 * @returns {Promise<any>}
 */
export function scenario(id, lang = locale()) {
  const key = `${id}?lang=${lang}`;
  let p = scenarioCache.get(key);
  if (!p) {
    p = call('GET', `/api/scenarios/${encodeURIComponent(id)}?lang=${encodeURIComponent(lang)}`);
    p.catch(() => scenarioCache.delete(key));
    scenarioCache.set(key, p);
  }
  return p;
}

/**
 * `GET /api/games/{id}/seats` (Control token): every seat and its open sockets.
 * @param {string} gameId
 * @param {string} token
 * @returns {Promise<Array<{seat_id: string, name: string, seat: Seat, connected: number}>>}
 */
export function seats(gameId, token) {
  return call('GET', `/api/games/${encodeURIComponent(gameId)}/seats`, { token });
}

/**
 * `PUT /api/games/{id}/seats/{seat_id}` (Control token): moves a seat to a faction or to observers.
 * @param {string} gameId
 * @param {string} token
 * @param {string} seatId
 * @param {{faction: string} | {observer: true}} body
 */
export function setSeat(gameId, token, seatId, body) {
  return call('PUT', `/api/games/${encodeURIComponent(gameId)}/seats/${encodeURIComponent(seatId)}`, { body, token });
}

/**
 * `GET /api/join/{code}`: the game or class behind a join code (`kind`: game | class): a
 * game's title, scenario and seats per faction; a class's name and research use.
 * @param {string} code
 */
export function joinPreview(code) {
  return call('GET', `/api/join/${encodeURIComponent(code)}`);
}

/**
 * `GET /api/seat`: the game and seat a token opens (from a recovery or projector link).
 * @param {string} token
 */
export function tokenSeat(token) {
  return call('GET', '/api/seat', { token });
}

/**
 * `POST /api/games/{id}/links` (Control): a new co-facilitator or projector seat and its token.
 * @param {string} gameId @param {string} token @param {{kind: 'facilitator' | 'projector' | 'replay', name?: string}} body
 */
export function newLink(gameId, token, body) {
  return call('POST', `/api/games/${encodeURIComponent(gameId)}/links`, { body, token });
}

/**
 * `POST /api/games/{id}/branch` (Control): a new game from the start of a past round (or a
 * phase in it) of this one.
 * @param {string} gameId @param {string} token
 * @param {{round: number, phase?: string, title?: string, same_people?: boolean, name?: string}} body
 */
export function branchGame(gameId, token, body) {
  return call('POST', `/api/games/${encodeURIComponent(gameId)}/branch`, { body, token });
}

/**
 * `POST /api/games/{id}/agents` (Control): an outside agent plays `faction`; its seat token,
 * shown once.
 * @param {string} gameId @param {string} token
 * @param {{faction: string, name: string, approve_chat?: boolean}} body
 * @returns {Promise<{seat_id: string, faction: string, name: string, approve_chat: boolean, token: string}>}
 */
export function addAgent(gameId, token, body) {
  return call('POST', `/api/games/${encodeURIComponent(gameId)}/agents`, { body, token });
}

/**
 * `DELETE /api/games/{id}/agents/{faction}` (Control): revokes the agent's seat; people may
 * play the faction again.
 * @param {string} gameId @param {string} token @param {string} faction
 * @returns {Promise<{faction: string, seats: string[]}>}
 */
export function revokeAgent(gameId, token, faction) {
  return call('DELETE', `/api/games/${encodeURIComponent(gameId)}/agents/${encodeURIComponent(faction)}`, { token });
}

/**
 * `GET /api/games/{id}/replay`: the game at a past step as one seat saw it, and every step.
 * @param {string} gameId @param {string} token @param {{at?: number, as?: string}} [q]
 */
export function replay(gameId, token, q = {}) {
  const query = new URLSearchParams();
  if (q.at !== undefined) query.set('at', String(q.at));
  if (q.as) query.set('as', q.as);
  const qs = query.toString();
  return call('GET', `/api/games/${encodeURIComponent(gameId)}/replay${qs ? `?${qs}` : ''}`, { token });
}

/**
 * `GET /api/server`: where students' devices can reach this server.
 * @returns {Promise<{public_url: string | null, join_base: string, reachable: string[]}>}
 */
export function serverInfo() {
  return call('GET', '/api/server');
}

/**
 * `POST /api/classes`: creates a class. Needs the admin token when the server has one.
 * @param {{name: string, scenario?: string, teacher?: string, preset?: string, team_size?: number,
 *   deadlines?: {briefing: number, negotiation: number, orders: number, review: number},
 *   bots_for_gaps?: 'hawk'|'pragmatist'|'dove', research_use?: boolean, research_free_text?: boolean}} body
 * @param {string} [adminToken]
 * @returns {Promise<{class_id: string, join_code: string, teacher_token: string}>}
 */
export function createClass(body, adminToken) {
  return call('POST', '/api/classes', { body, token: adminToken || null });
}

/**
 * `POST /api/classes/join`: a student joins a class by its code, with a name.
 * @param {{code: string, name: string}} body
 * @returns {Promise<{class_id: string, student_id: string, student_token: string, name: string,
 *   class_name: string, research_use: boolean, research_free_text: boolean}>}
 */
export function joinClass(body) {
  return call('POST', '/api/classes/join', { body });
}

/**
 * `GET /api/classes/{id}` (teacher): the roster, the seating plan, and the tables once started.
 * @param {string} classId @param {string} token
 */
export function classLobby(classId, token) {
  return call('GET', `/api/classes/${encodeURIComponent(classId)}`, { token });
}

/**
 * `PUT /api/classes/{id}/students/{student}` (teacher, before Start): pins a student to a
 * table and faction, or unpins them (`null`).
 * @param {string} classId @param {string} token @param {string} studentId
 * @param {{table: number, faction: string} | null} pin
 */
export function pinStudent(classId, token, studentId, pin) {
  return call('PUT', `/api/classes/${encodeURIComponent(classId)}/students/${encodeURIComponent(studentId)}`, { body: { pin }, token });
}

/**
 * `POST /api/classes/{id}/start` (teacher): creates the tables and seats every student.
 * @param {string} classId @param {string} token
 */
export function startClass(classId, token) {
  return call('POST', `/api/classes/${encodeURIComponent(classId)}/start`, { token });
}

/**
 * `POST /api/classes/{id}/command` (teacher): one Control command at every table (or those
 * listed); answers each table's ack or error.
 * @param {string} classId @param {string} token
 * @param {{id: string, command: any, tables?: number[]}} body
 * @returns {Promise<{tables: Array<{table: number, game_id: string, ack?: number,
 *   error?: {code: string, message: string, retryable: boolean}}>}>}
 */
export function classCommand(classId, token, body) {
  return call('POST', `/api/classes/${encodeURIComponent(classId)}/command`, { body, token });
}

/**
 * `GET /api/classes/{id}/debrief` (the teacher's or a student's token): the tables compared.
 * @param {string} classId @param {string} token
 */
export function classDebrief(classId, token) {
  return call('GET', `/api/classes/${encodeURIComponent(classId)}/debrief`, { token });
}

/**
 * `GET /api/games/{id}/compare`: a branch beside the game it branched from, in the form of a
 * class's debrief.
 * @param {string} gameId @param {string} token
 */
export function compareGame(gameId, token) {
  return call('GET', `/api/games/${encodeURIComponent(gameId)}/compare`, { token });
}

/**
 * Downloads a file the server gives only with a token (a research export): fetched with the
 * token, then saved under `filename` through a temporary object URL.
 * @param {string} path @param {string} token @param {string} filename
 */
export async function download(path, token, filename) {
  let res;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'offline', t('error.network'));
  }
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data?.code || `http_${res.status}`, data?.message || res.statusText);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * URL of the SVG QR code of a join link (for `<img src>`).
 * @param {string} code
 */
export function qrUrl(code) {
  return `/api/join/${encodeURIComponent(code)}/qr.svg`;
}

/**
 * @typedef {{role: 'faction', faction: string} | {role: 'control'} | {role: 'observer'}} Seat
 * @typedef {{seat_id: string, seat: Seat, name: string}} You
 */
