// @ts-check
/**
 * The class projector (`/class/<id>/projector`, on the teacher's screen): before Start the class
 * code, its QR code and how many have joined; after, every table side by side with its round,
 * phase and countdown, tension, latest plenary message and public agreements. Public
 * information only: it draws from the tables' `class_table` statuses, which carry nothing else.
 *
 * Test ids: `class-projector`, `class-projector-code`, `class-projector-count`,
 * `projector-table` (`data-table`), `projector-table-countdown`, `projector-table-tension`.
 * @module views/classprojector
 */

import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { ClassFeed } from '../classfeed.js';
import { setScenario, getScenario, factionName, phaseName, countdownText, msUntil, statusText, andList } from '../format.js';
import { ensureStyles, swatch, statusClass, joinLink, tensionGauge } from './viewkit.js';
import { t as tr } from '../i18n.js';

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  ensureStyles();
  const token = /** @type {string} */ (ctx.classToken);
  const saved = /** @type {import('../session.js').SavedClass} */ (ctx.savedClass);
  let alive = true;
  /** @type {Map<number, any>} */
  const tables = new Map();
  const title = h('h1', null, saved.class_name);
  const joinBox = h('div', { class: 'projector-join' });
  const grid = h('div', { class: 'class-projector-grid' });
  replace(root, h('div', { class: 'projector class-projector', 'data-testid': 'class-projector' },
    h('div', { class: 'panel projector-top' }, title), joinBox, grid));

  /** @param {any} w the class_welcome frame */
  async function welcome(w) {
    replace(title, w.name);
    if (!getScenario()) {
      try {
        const l = await api.classLobby(w.class_id, token);
        setScenario(await api.scenario(l.scenario));
      } catch { /* names fall back to ids */ }
    }
    if (!alive) return;
    const code = saved.join_code || '';
    joinBox.hidden = w.started;
    if (!w.started) {
      replace(joinBox, h('section', { class: 'panel projector-lobby' },
        h('div', { class: 'projector-join' },
          code ? h('img', { src: api.qrUrl(code), alt: tr('classes.qrAlt', { code }), width: '220', height: '220' }) : null,
          h('div', null,
            h('h2', null, tr('classes.projector.join')),
            h('p', { class: 'join-code-big', 'data-testid': 'class-projector-code' }, code),
            h('p', { class: 'small' }, code ? joinLink(code) : ''),
            h('p', { 'data-testid': 'class-projector-count' }, tr('classes.projector.joined', { count: w.students }))))));
    }
    render();
  }

  function render() {
    replace(grid, [...tables.keys()].sort((a, b) => a - b).map((t) => {
      const s = tables.get(t).status;
      const agreements = s.agreements.slice(-3).reverse();
      return h('section', { class: 'panel projector-table', 'data-testid': 'projector-table', 'data-table': String(t), 'aria-labelledby': `pt-${t}` },
        h('h2', { id: `pt-${t}` }, s.title || tr('classes.table', { table: t + 1 })),
        h('p', { class: 'clock' },
          h('span', { class: 'clock-round' }, tr('classes.roundOf', { label: s.round_label, round: s.round + 1, count: s.rounds })), ' ',
          h('span', { class: 'clock-phase', 'data-phase': s.phase }, phaseName(s.phase)), ' ',
          h('span', { class: 'clock-countdown', 'data-testid': 'projector-table-countdown', role: 'timer' })),
        tensionGauge(s.tension, s.crisis_threshold, tr('classes.tensionAt', { table: t + 1 }), 'projector-table-tension'),
        s.headline ? h('p', { class: 'headline' }, h('span', { class: 'headline-author' }, `${s.headline.author}: `), s.headline.text)
          : h('p', { class: 'muted' }, tr('classes.projector.noPlenary')),
        agreements.length ? h('ul', { class: 'plain-list' }, agreements.map((/** @type {any} */ a) => h('li', null,
          h('strong', null, a.title), ` — ${andList(a.parties.map(factionName))} `,
          h('span', { class: ['tag', statusClass(a.status)] }, statusText(a.status))))) : null,
        h('p', { class: 'small' }, s.factions.map((/** @type {any} */ f) => h('span', { class: 'faction-label' }, swatch(f.faction), factionName(f.faction), f.ready ? ' ✓' : ''))));
    }));
    tick();
  }

  function tick() {
    for (const [t, f] of tables) {
      const el = grid.querySelector(`[data-table="${t}"] [data-testid="projector-table-countdown"]`);
      if (!el) continue;
      const s = f.status;
      const text = s.phase === 'ended' ? tr('classes.ended') : s.paused ? tr('classes.projector.paused') : s.deadline_at == null ? '' : countdownText(msUntil(s.deadline_at));
      if (el.textContent !== text) el.textContent = text;
    }
  }
  const ticker = setInterval(tick, 500);

  const feed = new ClassFeed({ token });
  feed.addEventListener('welcome', (e) => welcome(/** @type {CustomEvent} */ (e).detail));
  feed.addEventListener('roster', (e) => {
    const n = /** @type {CustomEvent} */ (e).detail.students;
    const count = root.querySelector('[data-testid="class-projector-count"]');
    if (count) count.textContent = tr('classes.projector.joined', { count: n });
  });
  feed.addEventListener('table', (e) => {
    const f = /** @type {CustomEvent} */ (e).detail;
    const old = tables.get(f.table);
    if (old && old.seq > f.seq) return;
    tables.set(f.table, f);
    render();
  });
  feed.start();
  return {
    unmount() {
      alive = false;
      clearInterval(ticker);
      feed.stop();
    },
  };
}
