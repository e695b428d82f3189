// @ts-check
/**
 * Small helpers shared by the console, projector, observer and after-action views (helper C's
 * views): their stylesheet, faction colours that match the map, and the public parts of a view.
 *
 * Not a routed view: main.js only mounts `desk`, `console`, `observer`, `projector`, `after`.
 * @module views/viewkit
 */

import { h } from '../dom.js';
import { factionColour, factionName, getScenario, num } from '../format.js';
import { serverInfo } from '../api.js';
import { t } from '../i18n.js';
import { tNodes } from '../components/tnodes.js';

/** The base of join links, from the server once it has said (`GET /api/server`). */
let joinBase = '';
/** @type {{public_url: string | null, join_base: string, reachable: string[]} | null} */
let reach = null;

/**
 * Asks the server where students can reach it (once per page); join links use the answer.
 * @returns {Promise<typeof reach>}
 */
export async function loadReach() {
  if (reach) return reach;
  try {
    reach = await serverInfo();
    joinBase = reach.join_base;
  } catch {
    reach = null;
  }
  return reach;
}

/** Whether this page was opened on an address only this computer can reach. */
export function onLoopback() {
  const host = location.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * A plain warning when students cannot reach the address this page was opened on, with the
 * address they can use (or how to serve the class); null when there is nothing to say.
 * @param {typeof reach} info
 */
export function reachWarning(info) {
  if (!info || info.public_url || !onLoopback()) return null;
  if (info.reachable.length) {
    return h('div', { class: 'panel reach-warning', role: 'note', 'data-testid': 'reach-warning' },
      h('strong', null, t('facilitator.reach.cannotOpen', { host: location.host })),
      tNodes('facilitator.reach.useInstead', { address: h('code', null, info.join_base) }),
      info.reachable.length > 1 ? t('facilitator.reach.others', { list: info.reachable.slice(1).join(', ') }) : null);
  }
  return h('div', { class: 'panel reach-warning danger', role: 'alert', 'data-testid': 'reach-warning' },
    h('strong', null, t('facilitator.reach.cannotJoin')),
    tNodes('facilitator.reach.loopbackOnly', { command: h('code', null, `detente serve --addr 0.0.0.0:${location.port || '80'}`), host: location.host }));
}

/** Adds `<link rel="stylesheet" href="/css/views.css">` to the head once (CSP: style-src 'self'). */
export function ensureStyles() {
  if (document.querySelector('link[data-views-css]')) return;
  if (document.querySelector('link[href="/css/views.css"]')) return;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: '/css/views.css', 'data-views-css': 'true' }));
}

/**
 * A faction's colour, the same as the map's.
 * @param {string} f
 */
export function colourOf(f) {
  return factionColour(f);
}

/**
 * A colour swatch for a faction (decorative).
 * @param {string} f
 */
export function swatch(f) {
  const s = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  s.style.setProperty('--swatch', colourOf(f));
  return s;
}

/**
 * A faction's name with its swatch.
 * @param {string} f
 */
export function factionLabel(f) {
  return h('span', { class: 'faction-label' }, swatch(f), factionName(f));
}

/** The scenario's faction ids, in order. @returns {string[]} */
export function factionIds() {
  return (getScenario()?.factions || []).map((/** @type {any} */ f) => f.id);
}

/**
 * The parts of a view everyone may see, whatever the seat (for the projector, which may run
 * under Control's token): public variables, the plenary, public agreements, event cards,
 * annotations, the public indices if the view carries them, and the public report parts.
 * @param {any} view
 * @returns {any}
 */
export function publicView(view) {
  if (!view) return view;
  if (view.seat?.role === 'observer') return view;
  const sc = getScenario();
  const publicVars = new Set((sc?.variables || []).filter((/** @type {any} */ v) => v.visibility === 'public').map((/** @type {any} */ v) => v.id));
  /** @type {Record<string, number>} */
  const vars = {};
  for (const [k, x] of Object.entries(view.vars || {})) if (publicVars.has(k)) vars[k] = x;
  return {
    ...view,
    vars,
    purses: {},
    orders: {},
    builds: (view.builds || []).filter((/** @type {any} */ b) => !b.covert),
    messages: (view.messages || []).filter((/** @type {any} */ m) => m.channel?.kind === 'plenary'),
    proposals: [],
    agreements: (view.agreements || []).filter((/** @type {any} */ a) => a.terms?.public),
    indices: (view.indices || []).filter((/** @type {any} */ i) => i.perspective?.kind === 'public'),
    reports: (view.reports || []).map((/** @type {any} */ r) => ({ ...r, factions: {}, control: null })),
    scores: {},
    overrides: [],
    order_warnings: {},
  };
}

/**
 * The agreement status as a short tag class: ok (in force), warn (pending), danger (broken), ''.
 * @param {any} st
 */
export function statusClass(st) {
  switch (st?.status) {
    case 'in_force': return 'ok';
    case 'pending_ratification': return 'warn';
    case 'broken': return 'danger';
    default: return '';
  }
}

/**
 * A link to the after-action page (shown once the game has ended).
 * @param {string} gameId
 */
export function afterLink(gameId) {
  return h('a', { href: `/game/${gameId}/after`, 'data-link': true, class: 'button primary', 'data-testid': 'after-link' },
    t('facilitator.afterLink'));
}

/**
 * A link that opens a seat on any device: its token rides in the fragment, which browsers never
 * send to a server or put in a Referer.
 * @param {string} token @param {boolean} [projector] open the projector view
 */
export function seatLink(token, projector = false) {
  return `${joinBase || location.origin}/seat${projector ? '?view=projector' : ''}#${encodeURIComponent(token)}`;
}

/**
 * The join link of a code, on this server.
 * @param {string} code
 */
export function joinLink(code) {
  return `${joinBase || location.origin}/join/${encodeURIComponent(code)}`;
}

/**
 * A tension meter for a value read elsewhere (a class's table): the same look as the desk's.
 * @param {number} level tension @param {number} crisis the crisis threshold @param {string} label
 * @param {string} testid
 */
export function tensionGauge(level, crisis, label, testid) {
  const tv = (getScenario()?.variables || []).find((/** @type {any} */ v) => v.id === 'tension');
  const min = tv?.min ?? 0;
  const max = tv?.max ?? 100;
  const fill = h('span', { class: 'meter-fill' });
  fill.style.setProperty('--pct', `${Math.max(0, Math.min(100, ((level - min) / (max - min)) * 100))}%`);
  const mark = h('span', { class: 'meter-mark', 'aria-hidden': 'true' });
  mark.style.setProperty('--at', `${((crisis - min) / (max - min)) * 100}%`);
  const bar = h('span', {
    class: 'meter', role: 'meter', 'aria-label': label, 'aria-valuemin': String(min), 'aria-valuemax': String(max),
    'aria-valuenow': String(Math.round(level * 10) / 10), 'aria-valuetext': t('facilitator.gauge.valueText', { value: num(level, 1), max: num(max, 0), crisis: num(crisis, 0) }),
    'data-level': level >= crisis * 0.85 ? 'high' : level >= crisis * 0.6 ? 'raised' : 'low',
  }, fill, mark);
  return h('div', { class: 'tension', 'data-testid': testid },
    h('span', { class: 'stat-label', 'aria-hidden': 'true' }, t('facilitator.gauge.tension')), bar,
    h('span', { class: 'meter-value num' }, t('facilitator.gauge.value', { value: num(level, 1), crisis: num(crisis, 0) })));
}
