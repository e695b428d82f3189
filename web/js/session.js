// @ts-check
/**
 * The seats this browser holds, kept in localStorage so that a reload (or coming back later)
 * resumes the same seat. One entry per game: the token is the person's identity in that game.
 * @module session
 */

const KEY = 'detente.seats.v1';

/**
 * @typedef {object} SavedSeat
 * @property {string} token seat token, or Control's token
 * @property {string} [seat_id]
 * @property {import('./api.js').Seat} seat
 * @property {string} name
 * @property {string} [join_code]
 * @property {string} [scenario] scenario title, for the "your games" list
 * @property {string} [title] the game's name, for the "your games" list
 * @property {string} [scenario_id] the game's scenario id, remembered to fetch it early
 * @property {number} [saved_at] Unix ms
 */

/** @returns {Record<string, SavedSeat>} */
function readAll() {
  try {
    const raw = localStorage.getItem(KEY);
    const data = raw ? JSON.parse(raw) : {};
    return data && typeof data === 'object' ? data : {};
  } catch {
    return {};
  }
}

/** @param {Record<string, SavedSeat>} all */
function writeAll(all) {
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    // Storage full or disabled: the seat lasts for this page only.
  }
}

/**
 * Saves (or updates) the seat held in a game.
 * @param {string} gameId
 * @param {SavedSeat} seat
 */
export function saveSeat(gameId, seat) {
  const all = readAll();
  all[gameId] = { ...(all[gameId] || {}), ...seat, saved_at: Date.now() };
  writeAll(all);
}

/**
 * Updates fields of a saved seat, if there is one (e.g. the seat after Control moved it).
 * @param {string} gameId
 * @param {Partial<SavedSeat>} patch
 */
export function updateSeat(gameId, patch) {
  const all = readAll();
  if (!all[gameId]) return;
  all[gameId] = { ...all[gameId], ...patch };
  writeAll(all);
}

/**
 * The key a game's projector seat is saved under: apart from the seat this browser plays or
 * runs the game with, so that opening a projector link on Control's computer keeps Control.
 */
export const PROJECTOR = 'projector:';

/**
 * @param {string} gameId
 * @returns {SavedSeat | null}
 */
export function loadSeat(gameId) {
  return readAll()[gameId] || null;
}

/** @param {string} gameId */
export function forgetSeat(gameId) {
  const all = readAll();
  delete all[gameId];
  writeAll(all);
}

/**
 * Every saved seat, newest first.
 * @returns {Array<SavedSeat & {game_id: string}>}
 */
export function listSeats() {
  return Object.entries(readAll())
    .filter(([key]) => !key.startsWith(PROJECTOR))
    .map(([game_id, s]) => ({ ...s, game_id }))
    .sort((a, b) => (b.saved_at || 0) - (a.saved_at || 0));
}

/**
 * A fresh command id (UUID v4). Ids must never repeat for a seat, across reloads too (§9).
 * @returns {string}
 */
export function newCommandId() {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Fallback for non-secure contexts (plain http on a LAN address): crypto.getRandomValues.
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const CLASS_KEY = 'detente.classes.v1';

/**
 * A class this browser runs (the teacher's token) or waits in (a student's token).
 * @typedef {object} SavedClass
 * @property {string} token
 * @property {'teacher' | 'student'} role
 * @property {string} name the person's name
 * @property {string} class_name
 * @property {string} [join_code]
 * @property {string} [student_id]
 * @property {boolean} [research_use]
 * @property {boolean} [research_free_text]
 * @property {number} [saved_at] Unix ms
 */

/** @returns {Record<string, SavedClass>} */
function readClasses() {
  try {
    const raw = localStorage.getItem(CLASS_KEY);
    const data = raw ? JSON.parse(raw) : {};
    return data && typeof data === 'object' ? data : {};
  } catch {
    return {};
  }
}

/**
 * Saves the class this browser runs or waits in.
 * @param {string} classId
 * @param {SavedClass} c
 */
export function saveClass(classId, c) {
  const all = readClasses();
  all[classId] = { ...(all[classId] || {}), ...c, saved_at: Date.now() };
  try {
    localStorage.setItem(CLASS_KEY, JSON.stringify(all));
  } catch {
    // Storage full or disabled: the class lasts for this page only.
  }
}

/** @param {string} classId @returns {SavedClass | null} */
export function loadClass(classId) {
  return readClasses()[classId] || null;
}

/** @param {string} classId */
export function forgetClass(classId) {
  const all = readClasses();
  delete all[classId];
  try { localStorage.setItem(CLASS_KEY, JSON.stringify(all)); } catch { /* as above */ }
}

/**
 * Every saved class, newest first.
 * @returns {Array<SavedClass & {class_id: string}>}
 */
export function listClasses() {
  return Object.entries(readClasses())
    .map(([class_id, c]) => ({ ...c, class_id }))
    .sort((a, b) => (b.saved_at || 0) - (a.saved_at || 0));
}
