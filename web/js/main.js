// @ts-check
/**
 * The client's entry point and router (History API).
 *
 * Routes:
 * - `/`                     landing (create / join / your games)
 * - `/join/<CODE>`          landing with the join code filled in
 * - `/game/<id>`            the desk (faction seat), console (Control) or observer view, by the seat
 * - `/game/<id>/projector`  projector view
 * - `/game/<id>/after`      after-action page
 * - `/game/<id>/compare`    a branch beside the game it branched from
 * - `/game/<id>/replay`     the game step by step, as each seat saw it
 * - `/class/<id>`           the class console (the teacher's token) or a student's waiting room
 * - `/class/<id>/projector` the class projector (the teacher's token)
 * - `/class/<id>/debrief`   the debrief across the class's tables (teacher or student)
 *
 * A view is a module `views/<name>.js` exporting `mount(root, ctx) -> {unmount()}` with
 * `ctx = {gameId, store, navigate, header}`: `store` is a loaded {@link GameStore} (null on the
 * landing page), `navigate(path)` changes route, `header` is an element in the page header the
 * view may fill (it is emptied when the view unmounts).
 * @module main
 */

import { h, replace, clear } from './dom.js';
import { GameStore } from './store.js';
import { loadSeat, forgetSeat, updateSeat, saveSeat, loadClass, PROJECTOR } from './session.js';
import * as api from './api.js';
import { t, errorText, locale, setLocale, LOCALES, LOCALE_NAMES } from './i18n.js';

/**
 * @typedef {object} ViewContext
 * @property {string | null} gameId
 * @property {GameStore | null} store
 * @property {(path: string, opts?: {replace?: boolean}) => void} navigate
 * @property {HTMLElement} header
 * @property {string | null} [code] join code from a `/join/<CODE>` link
 * @property {string} [classId] the class of a `/class/<id>` route
 * @property {string} [classToken] the token this browser holds for that class (or, with
 *   `compareGameId`, the game's seat token)
 * @property {string} [compareGameId] a branch to show beside the game it branched from
 * @property {import('./session.js').SavedClass} [savedClass]
 */
/** @typedef {{unmount: () => void}} Mounted */

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
const header = /** @type {HTMLElement} */ (document.getElementById('header-slot'));

// The page's own words (index.html keeps English for a browser without JavaScript).
{
  const skip = document.querySelector('.skip-link');
  if (skip) skip.textContent = t('common.skip');
  const loading = root.querySelector('.loading');
  if (loading) loading.textContent = t('common.loading');
}

/**
 * The language switch in the page header, beside the views' slot (so a view emptying the slot
 * keeps it). The choice is kept on this device; the page reloads to draw everything again.
 */
function languageSwitch() {
  const select = h('select', {
    id: 'locale-switch', 'data-testid': 'locale-switch',
    onchange: () => {
      const loc = /** @type {import('./i18n.js').Locale} */ (select.value);
      if (loc === locale()) return;
      setLocale(loc);
      location.reload();
    },
  }, LOCALES.map((loc) => h('option', { value: loc, lang: loc, selected: loc === locale() }, LOCALE_NAMES[loc])));
  return h('div', { class: 'locale-switch' },
    h('label', { for: 'locale-switch', class: 'visually-hidden' }, t('common.locale.label')),
    select);
}
document.getElementById('app-header')?.appendChild(languageSwitch());

/** @type {Mounted | null} */
let current = null;
/** @type {GameStore | null} */
let store = null;
let routeToken = 0;
/** Views mounted so far on this page. */
let mounted = 0;
/** The path the current view was routed for. */
let routedPath = '';

/**
 * Goes to a path of the client.
 * @param {string} path
 * @param {{replace?: boolean}} [opts]
 */
export function navigate(path, opts = {}) {
  if (opts.replace) history.replaceState(null, '', path);
  else if (path !== location.pathname) history.pushState(null, '', path);
  route();
}

function unmountCurrent() {
  if (current) {
    try { current.unmount(); } catch (e) { console.error(e); }
    current = null;
  }
  clear(header);
}

function stopStore() {
  if (store) {
    store.stop();
    store = null;
  }
}

/**
 * Loads a view module and mounts it, or shows a message when the module is missing.
 * @param {string} name
 * @param {ViewContext} ctx
 * @param {number} token
 */
async function mountView(name, ctx, token) {
  let mod;
  try {
    mod = await import(`./views/${name}.js`);
  } catch (e) {
    if (token !== routeToken) return;
    console.error(e);
    replace(root, h('section', { class: 'panel notice' },
      h('h1', null, t('common.page.viewMissing.title')),
      h('p', null, t('common.page.viewMissing.body', { name })),
      h('p', null, h('a', { href: '/', 'data-link': true }, t('common.page.backToStart')))));
    return;
  }
  if (token !== routeToken) return;
  clear(root);
  unmountCurrent();
  current = mod.mount(root, ctx);
  const title = root.querySelector('h1');
  document.title = title && title.textContent ? `${title.textContent} · Détente` : 'Détente';
  // After a change of route (not the first page load), move focus to the new content so
  // keyboard and screen-reader users start there.
  if (mounted > 0 && !root.contains(document.activeElement)) root.focus({ preventScroll: true });
  mounted += 1;
}

/** Which view a seat gets at `/game/<id>`. @param {string} role */
function viewForRole(role) {
  if (role === 'faction') return 'desk';
  if (role === 'control') return 'console';
  return 'observer';
}

/**
 * Shows a message instead of a view (e.g. no seat, bad token).
 * @param {string} title
 * @param {...(string | Node)} body
 */
function message(title, ...body) {
  unmountCurrent();
  replace(root, h('section', { class: 'panel notice', 'data-testid': 'notice' },
    h('h1', null, title), ...body.map((b) => (typeof b === 'string' ? h('p', null, b) : b))));
  document.title = `${title} · Détente`;
}

async function route() {
  routedPath = location.pathname;
  routeToken += 1;
  const token = routeToken;
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter(Boolean);

  if (parts.length === 0 || parts[0] === 'join') {
    stopStore();
    let code = null;
    if (parts[0] === 'join' && parts[1]) {
      try { code = decodeURIComponent(parts[1]); } catch { code = null; } // a mangled link: no code
    }
    await mountView('landing', { gameId: null, store: null, navigate, header, code }, token);
    return;
  }

  if (parts[0] === 'brief') {
    // The printable faction briefs, made from a scenario: no seat needed.
    stopStore();
    await mountView('brief', { gameId: null, store: null, navigate, header }, token);
    return;
  }

  if (parts[0] === 'seat') {
    // A recovery, co-facilitator or projector link: /seat#<token> (the fragment never reaches
    // a server log or a Referer). Save the seat it opens, forget the fragment, go to the game.
    stopStore();
    const linkToken = decodeURIComponent(location.hash.replace(/^#/, ''));
    const wantView = new URLSearchParams(location.search).get('view');
    const wantProjector = wantView === 'projector';
    const wantReplay = wantView === 'replay';
    history.replaceState(null, '', '/seat');
    if (!linkToken) {
      message(t('common.page.linkIncomplete.title'), t('common.page.linkIncomplete.body'),
        h('p', null, h('a', { href: '/', 'data-link': true }, t('common.page.backToStart'))));
      return;
    }
    try {
      const r = await api.tokenSeat(linkToken);
      if (token !== routeToken) return;
      const projectorSeat = wantProjector && r.you.seat.role === 'observer';
      // A replay link keeps a seat this browser already holds in the game (any seat replays an
      // ended game).
      if (!(wantReplay && loadSeat(r.game_id))) {
        saveSeat(projectorSeat ? PROJECTOR + r.game_id : r.game_id, {
          token: linkToken, seat_id: r.you.seat_id, seat: r.you.seat, name: r.you.name, join_code: r.join_code,
        });
      }
      navigate(`/game/${r.game_id}${wantProjector ? '/projector' : wantReplay ? '/replay' : ''}`, { replace: true });
    } catch (e) {
      if (token !== routeToken) return;
      message(t('common.page.linkNoSeat.title'), errorText(/** @type {any} */ (e)) || String(e),
        h('p', null, h('a', { href: '/', 'data-link': true }, t('common.page.backToStart'))));
    }
    return;
  }

  if (parts[0] === 'class' && parts[1]) {
    stopStore();
    const classId = parts[1];
    const saved = loadClass(classId);
    if (!saved) {
      message(t('common.page.notInClass.title'), t('common.page.notInClass.body'),
        h('p', null, h('a', { href: '/', 'data-link': true }, t('common.page.notInClass.join'))));
      return;
    }
    const ctx = { gameId: null, store: null, navigate, header, classId, classToken: saved.token, savedClass: saved };
    if (parts[2] === 'debrief') await mountView('classdebrief', ctx, token);
    else if (saved.role === 'teacher') await mountView(parts[2] === 'projector' ? 'classprojector' : 'classroom', ctx, token);
    else await mountView('classwait', ctx, token);
    return;
  }

  if (parts[0] === 'game' && parts[1]) {
    const gameId = parts[1];
    const sub = parts[2] || '';
    const saved = (sub === 'projector' && loadSeat(PROJECTOR + gameId)) || loadSeat(gameId);
    if (!saved) {
      stopStore();
      message(t('common.page.noSeat.title'), t('common.page.noSeat.body'),
        h('p', null, h('a', { href: '/', 'data-link': true }, t('common.page.noSeat.join'))));
      return;
    }
    if (!store || store.gameId !== gameId || store.token !== saved.token) {
      stopStore();
      unmountCurrent();
      replace(root, h('p', { class: 'loading', 'data-testid': 'loading' }, t('common.page.loadingGame')));
      const s = new GameStore({ gameId, token: saved.token, scenarioId: saved.scenario_id });
      store = s;
      // Fetch the view's code while the game loads (the seat saved here says which view).
      if (!sub) {
        const guess = viewForRole(saved.seat?.role || 'observer');
        import(`./views/${guess}.js`).catch(() => null);
        if (guess === 'desk') import('./components/map.js').catch(() => null);
      }
      const waiting = () => {
        if (s.status === 'reconnecting' && !s.view) {
          replace(root, h('p', { class: 'loading', 'data-testid': 'loading', role: 'status' },
            t('common.page.unreachable')));
        }
      };
      s.addEventListener('change', waiting);
      try {
        await s.load();
      } catch (e) {
        const err = /** @type {any} */ (e);
        if (token !== routeToken || store !== s) return;
        stopStore();
        if (err.status === 401) {
          message(t('common.page.seatInvalid.title'), t('common.page.seatInvalid.body'),
            h('p', null, h('button', {
              type: 'button', class: 'button',
              onclick: () => { forgetSeat(gameId); navigate('/'); },
            }, t('common.page.seatInvalid.forget'))));
        } else {
          message(t('common.page.loadFailed.title'), errorText(err) || String(err),
            h('p', null, h('button', { type: 'button', class: 'button', onclick: () => route() }, t('common.page.tryAgain'))));
        }
        return;
      }
      s.removeEventListener('change', waiting);
      if (s.view && saved.scenario_id !== s.view.scenario) updateSeat(gameId, { scenario_id: s.view.scenario });
      if (token !== routeToken) return;
      s.addEventListener('seat', () => {
        // Control moved this seat: show the view that goes with the new seat.
        if (store === s && !/\/(projector|after|compare|replay)$/.test(location.pathname)) route();
      });
    }
    const s = store;
    if (!s) return;
    let name = viewForRole(s.role);
    if (sub === 'projector') name = 'projector';
    else if (sub === 'after') name = 'after';
    else if (sub === 'replay') name = 'replay';
    else if (sub === 'compare') {
      await mountView('classdebrief', { gameId, store: s, navigate, header, compareGameId: gameId, classToken: s.token }, token);
      return;
    }
    await mountView(name, { gameId, store: s, navigate, header }, token);
    return;
  }

  stopStore();
  message(t('common.page.notFound.title'), h('p', null, h('a', { href: '/', 'data-link': true }, t('common.page.goToStart'))));
}

// Same-origin links marked data-link (or any link to a client route) change route without a reload.
document.addEventListener('click', (e) => {
  const a = /** @type {HTMLElement} */ (e.target)?.closest?.('a');
  if (!a || !(a instanceof HTMLAnchorElement)) return;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target && a.target !== '_self') return;
  if (a.origin !== location.origin || a.hasAttribute('download')) return;
  const p = a.pathname;
  if (p === location.pathname && a.hash) return; // an anchor on this page
  if (!(p === '/' || p.startsWith('/game/') || p.startsWith('/class/') || p.startsWith('/join/') || p === '/brief')) return;
  e.preventDefault();
  navigate(p + a.search + a.hash);
});

// Back/forward. A jump to an anchor on the same page (#sec-orders) also fires popstate: the
// route has not changed then, so the view stays (and keeps what the person was typing).
window.addEventListener('popstate', () => {
  if (location.pathname !== routedPath) route();
});

route();
