// @ts-check
/**
 * The client's languages: English and Russian.
 *
 * Every string the client shows comes from a message catalogue in `messages/<area>.js`, which
 * exports `{en: {...}, ru: {...}}` with keys `<area>.<name>`. `t(key, params)` looks the key up
 * in the current locale, falls back to English, then to the key itself (so a missing string is
 * visible, not blank). A message may hold `{name}` placeholders filled from `params`, and may be
 * an object of plural forms (`one`, `few`, `many`, `other`, as `Intl.PluralRules` names them)
 * chosen by `params.count`.
 *
 * The locale is chosen once per page load: the one kept on this device (`localStorage`, set by
 * the switch in the header), else the first of the browser's languages we have, else English.
 * Numbers and dates are written with `Intl` for that locale.
 *
 * The server's error answers carry a stable `code` and an English message that may name details
 * (a price, a limit). `errorText(err)` shows the server's message in English and `error.<code>`
 * from the catalogue in any other locale.
 * @module i18n
 */

import common from './messages/common.js';
import landing from './messages/landing.js';
import classes from './messages/classes.js';
import desk from './messages/desk.js';
import facilitator from './messages/facilitator.js';
import errors from './messages/errors.js';
import moderation from './messages/moderation.js';
import branches from './messages/branches.js';
import replay from './messages/replay.js';
import agents from './messages/agents.js';

/** @typedef {'en' | 'ru'} Locale */
/** @typedef {string | {one?: string, few?: string, many?: string, other: string}} Message */
/** @typedef {{en: Record<string, Message>, ru: Record<string, Message>}} Catalogue */

/** The locales the client has, in the order the switch shows them. */
export const LOCALES = /** @type {const} */ (['en', 'ru']);

/** Each locale's name in its own language, for the switch. */
export const LOCALE_NAMES = /** @type {Record<Locale, string>} */ ({ en: 'English', ru: 'Русский' });

/** Where the device's choice is kept. */
const STORAGE_KEY = 'detente.locale';

/** Every area's catalogue; the browser suite checks that `ru` has every key `en` has. */
export const CATALOGUES = /** @type {Record<string, Catalogue>} */ ({
  common,
  landing,
  classes,
  desk,
  facilitator,
  errors,
  moderation,
  branches,
  replay,
  agents,
});

/** @type {Record<Locale, Record<string, Message>>} */
const MESSAGES = { en: {}, ru: {} };
for (const cat of Object.values(CATALOGUES)) {
  Object.assign(MESSAGES.en, cat.en);
  Object.assign(MESSAGES.ru, cat.ru);
}

/**
 * The locale for this page: the device's choice, else the browser's languages, else English.
 * @returns {Locale}
 */
function chooseLocale() {
  try {
    const kept = localStorage.getItem(STORAGE_KEY);
    if (kept === 'en' || kept === 'ru') return kept;
  } catch {
    // storage may be blocked; fall through to the browser's languages
  }
  const langs = typeof navigator !== 'undefined' ? navigator.languages || [navigator.language] : [];
  for (const lang of langs) {
    const base = String(lang || '').toLowerCase().split('-')[0];
    if (base === 'en' || base === 'ru') return base;
  }
  return 'en';
}

/** @type {Locale} */
let current = chooseLocale();

/** The current locale, `en` or `ru`. */
export function locale() {
  return current;
}

/** The BCP 47 tag used with `Intl` for the current locale. */
export function intlLocale() {
  return current === 'ru' ? 'ru-RU' : 'en-GB';
}

/**
 * Keeps `loc` as this device's choice and makes it current. Views already drawn keep their
 * words; the caller reloads the page (main.js does) so that everything is drawn again.
 * @param {Locale} loc
 */
export function setLocale(loc) {
  current = loc;
  try {
    localStorage.setItem(STORAGE_KEY, loc);
  } catch {
    // not kept, but still used for this page
  }
  if (typeof document !== 'undefined') document.documentElement.lang = loc;
}

/** @type {Map<string, Intl.PluralRules>} */
const pluralRules = new Map();

/**
 * The message for `key` in the current locale, with `{name}` placeholders filled from `params`.
 * @param {string} key e.g. `landing.join.title`
 * @param {Record<string, string | number | null | undefined>} [params]
 */
export function t(key, params) {
  const msg = MESSAGES[current][key] ?? MESSAGES.en[key];
  if (msg === undefined) return key;
  let text;
  if (typeof msg === 'string') {
    text = msg;
  } else {
    const count = Number(params?.count ?? 0);
    let rules = pluralRules.get(current);
    if (!rules) {
      rules = new Intl.PluralRules(intlLocale());
      pluralRules.set(current, rules);
    }
    const form = /** @type {keyof typeof msg} */ (rules.select(count));
    text = msg[form] ?? msg.other;
  }
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    const v = params[name];
    if (v === undefined || v === null) return whole;
    return typeof v === 'number' ? formatNumber(v) : String(v);
  });
}

/**
 * True if the catalogue has `key` (in English, which has every key).
 * @param {string} key
 */
export function has(key) {
  return key in MESSAGES.en;
}

/** @type {Map<string, Intl.NumberFormat>} */
const numberFormats = new Map();

/**
 * A number for display in the current locale, up to `digits` decimals.
 * @param {number} x
 * @param {number} [digits]
 */
export function formatNumber(x, digits = 2) {
  const key = `${current}:${digits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(intlLocale(), { maximumFractionDigits: digits });
    numberFormats.set(key, f);
  }
  return f.format(x);
}

/**
 * A date and time for display in the current locale.
 * @param {number | Date} at Unix ms or a Date
 * @param {Intl.DateTimeFormatOptions} [opts] default: date and time, short
 */
export function formatDate(at, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
  return new Intl.DateTimeFormat(intlLocale(), opts).format(typeof at === 'number' ? new Date(at) : at);
}

/**
 * The words for a server error: in English the server's own message (it may name details);
 * in another locale `error.<code>` from the catalogue (the codes are stable), else the message.
 * @param {{code?: string, message?: string} | string | null | undefined} err
 */
export function errorText(err) {
  if (!err) return '';
  if (typeof err === 'string') return err;
  if (current !== 'en' && err.code && has(`error.${err.code}`)) return t(`error.${err.code}`);
  return err.message || (err.code && has(`error.${err.code}`) ? t(`error.${err.code}`) : t('error.unknown'));
}

if (typeof document !== 'undefined') document.documentElement.lang = current;
