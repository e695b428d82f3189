// @ts-check
/**
 * Names, labels and numbers for display. Names come from the current scenario, which the
 * store registers with `setScenario()`; without one, ids are shown as they are.
 * @module format
 */

import { serverNow } from './api.js';
import { t, has, locale, formatNumber, formatDate, intlLocale } from './i18n.js';

/** @type {any} */
let scenario = null;
/** @type {Map<string, any>} */ let factions = new Map();
/** @type {Map<string, any>} */ let variables = new Map();
/** @type {Map<string, any>} */ let actions = new Map();
/** @type {Map<string, any>} */ let clauseKinds = new Map();
/** @type {Map<string, any>} */ let events = new Map();

/**
 * Registers the scenario the names come from (`GET /api/scenarios/{id}`).
 * @param {any} s
 */
export function setScenario(s) {
  scenario = s;
  factions = new Map((s?.factions || []).map((/** @type {any} */ f) => [f.id, f]));
  variables = new Map((s?.variables || []).map((/** @type {any} */ v) => [v.id, v]));
  actions = new Map((s?.actions || []).map((/** @type {any} */ a) => [a.id, a]));
  clauseKinds = new Map((s?.clause_kinds || []).map((/** @type {any} */ k) => [k.id, k]));
  events = new Map((s?.events || []).map((/** @type {any} */ e) => [e.id, e]));
}

/** The registered scenario, or null. */
export function getScenario() {
  return scenario;
}

/** @param {string} id */
export function faction(id) { return factions.get(id) || null; }
/** @param {string} id */
export function variable(id) { return variables.get(id) || null; }
/** @param {string} id */
export function action(id) { return actions.get(id) || null; }
/** @param {string} id */
export function clauseKind(id) { return clauseKinds.get(id) || null; }
/** @param {string} id */
export function eventCard(id) { return events.get(id) || null; }

/** @param {string} id e.g. `us_nato` → "US/NATO" */
export function factionName(id) {
  return factions.get(id)?.name || id;
}

/**
 * The faction's colour from the scenario (CSS colour), or a neutral grey.
 * @param {string} id
 */
export function factionColour(id) {
  return FACTION_COLOURS[id] || factions.get(id)?.colour || '#6b7280';
}

/**
 * Faction colours used everywhere in the client (map, channels, charts): the Okabe–Ito
 * palette, safe for the common forms of colour blindness. Factions are also told apart without
 * colour (names in labels and titles; CSTO countries hatched on the map). Factions not listed
 * here (other scenarios) fall back to the scenario's colour.
 */
export const FACTION_COLOURS = /** @type {Record<string, string>} */ ({
  us_nato: '#0072b2',
  russia: '#d55e00',
  csto: '#cc79a7',
});

/** @param {string} id */
export function varName(id) {
  return variables.get(id)?.name || id;
}

/** @param {string} id */
export function actionName(id) {
  return actions.get(id)?.name || id;
}

/** @param {string} kind */
export function clauseName(kind) {
  return clauseKinds.get(kind)?.name || kind;
}

/** @param {string} id */
export function eventName(id) {
  return events.get(id)?.name || id;
}

/**
 * A fired event card's name and text: the scenario's, in the client's language, where the
 * scenario has the card (the log keeps the words of the game's language), else as fired.
 * @param {any} fired a FiredEvent `{id, name, text}`
 */
export function firedName(fired) {
  return events.get(fired.id)?.name || fired.name;
}

/** @param {any} fired a FiredEvent */
export function firedText(fired) {
  return events.get(fired.id)?.text || fired.text;
}

/**
 * An explained index's name: the server's (English), or in another language the catalogue's
 * by the index's id (`common.index.<id>`) where it has one.
 * @param {{id: string, name: string}} ex
 */
export function indexName(ex) {
  const key = `common.index.${ex.id}`;
  return locale() !== 'en' && has(key) ? t(key) : ex.name;
}

const PHASES = new Set(['lobby', 'briefing', 'negotiation', 'orders', 'review', 'ended']);

/** @param {string} phase */
export function phaseName(phase) {
  return PHASES.has(phase) ? t(`common.phase.${phase}`) : phase;
}

/**
 * The label of a round (0-based), e.g. "2013".
 * @param {number} round
 */
export function roundLabel(round) {
  return scenario?.rounds?.[round]?.label || t('common.round', { n: String(round + 1) });
}

const TEMPERAMENTS = new Set(['hawk', 'pragmatist', 'dove']);

/** @param {string | null | undefined} temperament */
export function temperamentName(temperament) {
  if (!temperament) return t('common.temperament.people');
  if (TEMPERAMENTS.has(temperament)) return t(`common.temperament.${temperament}`);
  return temperament[0].toUpperCase() + temperament.slice(1);
}

/**
 * A seat as words: "Russia", "Control", "Observer".
 * @param {import('./api.js').Seat | any} seat
 */
export function seatLabel(seat) {
  if (!seat) return '';
  if (seat.role === 'faction') return factionName(seat.faction);
  if (seat.role === 'control') return t('common.seat.control');
  if (seat.role === 'observer') return t('common.seat.observer');
  if (seat.role === 'system') return t('common.seat.system');
  return String(seat.role);
}

/**
 * A number for display in the current locale: up to `digits` decimals, trailing zeros dropped,
 * grouped ("1,234.5"; in Russian "1 234,5").
 * @param {number | null | undefined} x
 * @param {number} [digits]
 */
export function num(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  const r = Number(x.toFixed(digits));
  return formatNumber(r, digits);
}

/** @type {Map<string, Intl.NumberFormat>} */
const pctFormats = new Map();

/**
 * A share (0–1) as a percentage, "42%" (in Russian "42 %"), with exactly `digits` decimals.
 * @param {number | null | undefined} x
 * @param {number} [digits]
 */
export function pct(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  const key = `${intlLocale()}:${digits}`;
  let f = pctFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(intlLocale(), { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
    pctFormats.set(key, f);
  }
  return t('common.percent', { value: f.format(Number((x * 100).toFixed(digits))) });
}

/**
 * A signed difference, "+3.2" / "−1".
 * @param {number} d
 * @param {number} [digits]
 */
export function signed(d, digits = 2) {
  if (d > 0) return `+${num(d, digits)}`;
  if (d < 0) return `−${num(-d, digits)}`;
  return '±0';
}

/**
 * A value with the variable's unit, e.g. "3 ships".
 * @param {string} varId
 * @param {number} value
 */
export function varValue(varId, value) {
  const v = variables.get(varId);
  const unit = v?.unit ? ` ${v.unit}` : '';
  return `${num(value, 2)}${unit}`;
}

/**
 * Time left as "m:ss" (or "h:mm:ss"); "0:00" when past.
 * @param {number} ms
 */
export function countdownText(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/**
 * Milliseconds until a server timestamp (Unix ms), using the server's clock estimate.
 * @param {number} at
 */
export function msUntil(at) {
  return at - serverNow();
}

/**
 * Time of day of a server timestamp, "14:05".
 * @param {number} atMs
 */
export function timeOfDay(atMs) {
  return formatDate(atMs, { hour: '2-digit', minute: '2-digit' });
}

/**
 * A stable string key for a channel (for maps, test ids and unread counts):
 * `plenary`, `bilateral-russia-us_nato`, `team-russia`, `control-russia`.
 * @param {any} ch
 */
export function channelKey(ch) {
  switch (ch.kind) {
    case 'plenary': return 'plenary';
    case 'bilateral': return `bilateral-${[...ch.factions].sort().join('-')}`;
    case 'team': return `team-${ch.faction}`;
    case 'control': return `control-${ch.faction}`;
    default: return String(ch.kind);
  }
}

/**
 * A channel's name as seen from a seat: for Russia, the Russia–US/NATO bilateral is
 * "US/NATO", its team channel "Team" and its Control channel "Control".
 * @param {any} ch
 * @param {import('./api.js').Seat | any} [seat]
 */
export function channelLabel(ch, seat) {
  const own = seat && seat.role === 'faction' ? seat.faction : null;
  switch (ch.kind) {
    case 'plenary': return t('common.channel.plenary');
    case 'bilateral': {
      const [a, b] = ch.factions;
      if (own === a) return factionName(b);
      if (own === b) return factionName(a);
      return t('common.channel.bilateral', { a: factionName(a), b: factionName(b) });
    }
    case 'team': return own === ch.faction ? t('common.channel.team') : t('common.channel.teamOf', { faction: factionName(ch.faction) });
    case 'control': return own === ch.faction ? t('common.channel.control') : t('common.channel.controlOf', { faction: factionName(ch.faction) });
    default: return String(ch.kind);
  }
}

/** @type {Map<string, Intl.ListFormat>} */
const listFormats = new Map();

/**
 * A list in words: "Russia, CSTO and US/NATO" (in Russian "Россия, ОДКБ и США/НАТО").
 * @param {string[]} items
 */
export function andList(items) {
  if (items.length <= 1) return items.join('');
  let f = listFormats.get(intlLocale());
  if (!f) {
    f = new Intl.ListFormat(intlLocale(), { style: 'long', type: 'conjunction' });
    listFormats.set(intlLocale(), f);
  }
  return f.format(items);
}

/**
 * A clause as a sentence, e.g. "Russia: No Iskander in Kaliningrad (Deploy an Iskander-M
 * brigade to Kaliningrad)" or "US/NATO: Budget transfer of 50 to Russia".
 * @param {any} c a clause `{kind, by, action?, var?, max?, to?, amount?}`
 */
export function clauseText(c) {
  let s = `${factionName(c.by)}: ${clauseName(c.kind)}`;
  /** @type {string[]} */
  const details = [];
  if (c.action) details.push(actionName(c.action));
  if (c.var) details.push(t('common.clause.varMax', { var: varName(c.var), max: num(c.max ?? 0) }));
  if (c.to) details.push(t('common.clause.transfer', { amount: num(c.amount ?? 0), faction: factionName(c.to) }));
  if (details.length) s += ` — ${details.join('; ')}`;
  return s;
}

/**
 * A proposal or agreement status as words.
 * @param {any} st `{status, ...}`
 */
export function statusText(st) {
  if (!st) return '';
  switch (st.status) {
    case 'open':
    case 'signed':
    case 'withdrawn':
    case 'expired':
    case 'pending_ratification':
    case 'in_force':
    case 'lapsed':
      return t(`common.status.${st.status}`);
    case 'rejected': return st.reason
      ? t('common.status.rejectedWhy', { faction: factionName(st.by), reason: st.reason })
      : t('common.status.rejected', { faction: factionName(st.by) });
    case 'countered': return t('common.status.countered', { faction: factionName(st.by) });
    case 'broken': return t('common.status.broken', { faction: factionName(st.by), round: roundLabel(st.round) });
    default: return String(st.status);
  }
}

/**
 * How the game ended, in words.
 * @param {any} ending
 */
export function endingText(ending) {
  if (!ending) return '';
  switch (ending.reason) {
    case 'last_round': return t('common.ending.last_round');
    case 'crisis': return t('common.ending.crisis', { tension: num(ending.tension, 1) });
    case 'control': return ending.note ? t('common.ending.controlNote', { note: ending.note }) : t('common.ending.control');
    default: return String(ending.reason);
  }
}
