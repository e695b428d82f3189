// @ts-check
/**
 * The class console (`/class/<id>`, the teacher's token): the class code with its link and QR
 * code; before Start the roster, the seating plan and pins, and Start; after Start every
 * table at a glance (phase, round, countdown, tension and crises, agreements, who is
 * connected, who is Ready), one clock for the whole class (pause, resume, extend, inject an
 * event, a message to every table) or for one table, and a link to each table's own console.
 *
 * Live over the class's WebSocket ({@link ClassFeed}): the roster as students join, each
 * table's status as it changes. Class-wide commands are `POST /api/classes/{id}/command`.
 *
 * Test ids: `class-console`, `class-code`, `class-qr`, `class-students`, `class-student`,
 * `class-plan`, `class-start`, `class-clock`, `class-pause-all`, `class-resume-all`,
 * `class-extend-all`, `class-inject-all`, `class-message-all`, `class-command-result`,
 * `class-tables`, `class-table` (`data-table`, `data-phase`, `data-paused`), `table-countdown`,
 * `table-tension`, `table-faction` (`data-faction`, `data-connected`, `data-ready`),
 * `table-console-link`, `class-projector-link`, `class-feed-status`.
 * @module views/classroom
 */

import { h, replace, errorBox, showError, uniqueId } from '../dom.js';
import * as api from '../api.js';
import { ClassFeed } from '../classfeed.js';
import { newCommandId } from '../session.js';
import { t as tr, errorText } from '../i18n.js';
import {
  setScenario, getScenario, factionName, phaseName, countdownText, msUntil, statusText,
  andList, timeOfDay, temperamentName,
} from '../format.js';
import { ensureStyles, swatch, statusClass, seatLink, joinLink, loadReach, reachWarning, tensionGauge } from './viewkit.js';

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  ensureStyles();
  const classId = /** @type {string} */ (ctx.classId);
  const token = /** @type {string} */ (ctx.classToken);
  let alive = true;
  /** @type {any} */
  let lobby = null;
  /** @type {Map<number, any>} table -> its latest class_table frame */
  const tables = new Map();
  /** @type {Map<number, HTMLElement>} */
  const cards = new Map();

  const feedStatus = h('span', { class: 'conn', 'data-testid': 'class-feed-status', role: 'status' });
  replace(ctx.header, feedStatus);
  const title = h('h1', null, tr('classes.console.title'));
  const debriefLink = h('a', { href: `/class/${classId}/debrief`, 'data-link': true, class: 'button', 'data-testid': 'class-debrief-link', hidden: true }, tr('classes.console.debriefLink'));
  const subtitle = h('p', { class: 'muted' });
  const codeBox = h('div', { class: 'projector-join' });
  const reachBox = h('div');
  const studentsBox = h('section', { class: 'panel', 'aria-labelledby': 'cls-students-h', 'data-testid': 'class-students' });
  const planBox = h('section', { class: 'panel', 'aria-labelledby': 'cls-plan-h', 'data-testid': 'class-plan' });
  const startErr = errorBox('class-start-error');
  const startBtn = h('button', { type: 'button', class: 'button primary', 'data-testid': 'class-start' }, tr('classes.console.start'));
  const startBox = h('section', { class: 'panel', 'aria-labelledby': 'cls-start-h' },
    h('h2', { id: 'cls-start-h' }, tr('classes.console.startHeading')),
    h('p', null, tr('classes.console.startHelp')),
    startErr, h('div', { class: 'actions' }, startBtn));
  const before = h('div', { class: 'class-before' }, studentsBox, planBox, startBox);

  const clockBox = h('section', { class: 'panel', 'aria-labelledby': 'cls-clock-h', 'data-testid': 'class-clock' });
  const tablesBox = h('div', { class: 'class-tables', 'data-testid': 'class-tables' });
  const researchBox = h('section', { class: 'panel', 'aria-labelledby': 'cls-research-h', 'data-testid': 'class-research', hidden: true });
  const after = h('div', { class: 'class-after', hidden: true }, clockBox,
    h('section', { 'aria-labelledby': 'cls-tables-h' }, h('h2', { id: 'cls-tables-h' }, tr('classes.console.tables')), tablesBox),
    researchBox);

  replace(root, h('div', { class: 'class-console', 'data-testid': 'class-console' },
    h('div', { class: 'panel console-top' },
      h('div', { class: 'console-title' }, title, subtitle),
      codeBox,
      h('p', { class: 'actions' },
        h('a', { href: `/class/${classId}/projector`, target: '_blank', rel: 'noopener', class: 'button', 'data-testid': 'class-projector-link' }, tr('classes.console.projectorLink')),
        debriefLink)),
    reachBox, before, after));

  loadReach().then((info) => { if (alive) replace(reachBox, reachWarning(info)); });

  // ---- The class and its roster ----
  async function reload() {
    try {
      const l = await api.classLobby(classId, token);
      if (!alive) return;
      if (!getScenario() || getScenario().id !== l.scenario) {
        try { setScenario(await api.scenario(l.scenario)); } catch { /* names fall back to ids */ }
      }
      lobby = l;
      render();
    } catch (e) {
      if (alive) showError(startErr, /** @type {any} */ (e));
    }
  }

  function render() {
    if (!lobby) return;
    replace(title, lobby.name);
    const st = lobby.settings;
    replace(subtitle, tr('classes.console.subtitle', {
      scenario: getScenario()?.title || lobby.scenario,
      tables: st.team_size === 1 ? tr('classes.console.tablesOfThree') : tr('classes.console.tablesOfTeams', { count: st.team_size }),
      bots: st.bots_for_gaps ? tr('classes.console.botsFill', { temperament: temperamentName(st.bots_for_gaps) }) : tr('classes.console.noBots'),
      research: st.research_use
        ? tr(st.research_free_text ? 'classes.console.researchWithText' : 'classes.console.researchWithoutText')
        : tr('classes.console.noResearch'),
    }));
    const started = lobby.started_at != null;
    if (!started) {
      replace(codeBox,
        h('img', { src: api.qrUrl(lobby.join_code), alt: tr('classes.qrAlt', { code: lobby.join_code }), width: '140', height: '140', 'data-testid': 'class-qr' }),
        h('div', null,
          h('p', { class: 'stat-label', id: 'cls-code-label' }, tr('classes.console.code')),
          h('p', { class: 'join-code-big', 'data-testid': 'class-code', 'aria-labelledby': 'cls-code-label' }, lobby.join_code),
          h('p', { class: 'small' }, joinLink(lobby.join_code))));
    } else {
      replace(codeBox, h('p', { class: 'muted' }, tr('classes.console.started', {
        time: timeOfDay(lobby.started_at),
        students: tr('classes.console.startedStudents', { count: lobby.students.length }),
        tables: tr('classes.console.startedTables', { count: lobby.games.length }),
      })));
    }
    before.hidden = started;
    after.hidden = !started;
    debriefLink.hidden = !started;
    if (!started) renderBefore();
    else renderAfter();
  }

  /** Where the plan puts each student: id -> {table, faction}. */
  function placeOf() {
    /** @type {Map<string, {table: number, faction: string}>} */
    const at = new Map();
    for (const t of lobby.tables) {
      for (const [f, ids] of Object.entries(t.teams)) for (const id of /** @type {string[]} */ (ids)) at.set(id, { table: t.table, faction: f });
    }
    return at;
  }

  function renderBefore() {
    const at = placeOf();
    const factions = (getScenario()?.factions || []).map((/** @type {any} */ f) => f.id);
    const nTables = Math.max(1, lobby.tables.length);
    replace(studentsBox,
      h('h2', { id: 'cls-students-h' }, tr('classes.console.students', { count: lobby.students.length })),
      lobby.students.length === 0
        ? h('p', { class: 'muted' }, tr('classes.console.noStudents'))
        : h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, tr('classes.console.colName')), h('th', { scope: 'col' }, tr('classes.console.colJoined')),
            h('th', { scope: 'col' }, tr('classes.console.colPlanned')), h('th', { scope: 'col' }, tr('classes.console.colPin')))),
          h('tbody', null, lobby.students.map((/** @type {any} */ s) => {
            const place = at.get(s.id);
            const id = uniqueId('pin');
            const err = errorBox('class-pin-error');
            const select = h('select', { id, class: 'class-pin', 'data-testid': 'class-pin' },
              h('option', { value: '' }, tr('classes.console.pinAnywhere')),
              Array.from({ length: nTables + 1 }, (_, t) => factions.map((/** @type {string} */ f) => h('option', {
                value: `${t}:${f}`, selected: s.pinned && s.pinned.table === t && s.pinned.faction === f,
              }, tr('classes.console.pinOption', { table: t + 1, faction: factionName(f) })))).flat());
            select.addEventListener('change', async () => {
              showError(err, null);
              select.disabled = true;
              const v = /** @type {HTMLSelectElement} */ (select).value;
              const pin = v ? { table: Number(v.split(':')[0]), faction: v.split(':')[1] } : null;
              try {
                lobby = await api.pinStudent(classId, token, s.id, pin);
                if (alive) render();
              } catch (e) {
                showError(err, /** @type {any} */ (e));
                select.disabled = false;
              }
            });
            return h('tr', { 'data-testid': 'class-student' },
              h('th', { scope: 'row', class: 'seat-name' }, s.name),
              h('td', null, timeOfDay(s.joined_at)),
              h('td', null, place ? [`${tr('classes.table', { table: place.table + 1 })}, `, swatch(place.faction), factionName(place.faction)] : '–'),
              h('td', null, h('label', { for: id, class: 'visually-hidden' }, tr('classes.console.pinLabel', { name: s.name })), select, err));
          })))));
    replace(planBox,
      h('h2', { id: 'cls-plan-h' }, tr('classes.console.plan', { count: lobby.tables.length })),
      lobby.tables.length === 0 ? h('p', { class: 'muted' }, tr('classes.console.noTables'))
        : h('div', { class: 'class-plan-grid' }, lobby.tables.map((/** @type {any} */ t) => h('div', { class: 'class-plan-table' },
          h('h3', null, tr('classes.table', { table: t.table + 1 })),
          h('ul', { class: 'plain-list' }, factions.map((/** @type {string} */ f) => {
            const names = (t.teams[f] || []).map((/** @type {string} */ id) => lobby.students.find((/** @type {any} */ s) => s.id === id)?.name || '?');
            return h('li', null, swatch(f), h('strong', null, `${factionName(f)}: `),
              names.length ? names.join(', ') : h('span', { class: 'muted' }, lobby.settings.bots_for_gaps ? tr('classes.console.aBot', { temperament: temperamentName(lobby.settings.bots_for_gaps) }) : tr('classes.nobody')));
          }))))));
    startBtn.disabled = lobby.students.length === 0;
  }

  startBtn.addEventListener('click', async () => {
    showError(startErr, null);
    startBtn.disabled = true;
    try {
      lobby = await api.startClass(classId, token);
      if (alive) render();
    } catch (e) {
      showError(startErr, /** @type {any} */ (e));
      startBtn.disabled = false;
    }
  });

  // ---- After Start: the class clock ----
  const clockResult = h('p', { class: 'small', 'data-testid': 'class-command-result', 'aria-live': 'polite' });
  const clockErr = errorBox('class-clock-error');
  const extendInput = h('input', { id: 'cls-extend', type: 'number', min: '1', max: '120', step: '1', value: '5', class: 'narrow', inputmode: 'numeric' });
  const eventSelect = h('select', { id: 'cls-event' });
  const messageInput = h('input', { id: 'cls-message', maxlength: '2000', placeholder: tr('classes.clock.messagePlaceholder') });
  /** @type {HTMLButtonElement[]} */
  const clockButtons = [];

  /**
   * Gives one command at every table (or one), and says how each answered.
   * @param {any} command @param {string} what @param {number[]} [only]
   */
  async function classWide(command, what, only) {
    showError(clockErr, null);
    clockButtons.forEach((b) => { b.disabled = true; });
    try {
      const r = await api.classCommand(classId, token, { id: newCommandId().slice(0, 36), command, tables: only });
      const ok = r.tables.filter((t) => t.ack != null).length;
      const refused = r.tables.filter((t) => t.error);
      replace(clockResult, tr('classes.clock.result', { what, ok, count: r.tables.length }),
        refused.length ? tr('classes.clock.refused', {
          list: refused.map((t) => tr('classes.clock.refusedAt', { table: t.table + 1, error: errorText(t.error).replace(/\.$/, '') })).join('; '),
        }) : '');
      return true;
    } catch (e) {
      showError(clockErr, /** @type {any} */ (e));
      return false;
    } finally {
      clockButtons.forEach((b) => { b.disabled = false; });
    }
  }

  /** @param {string} label @param {string} testid @param {() => void} onclick */
  const clockButton = (label, testid, onclick) => {
    const b = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button', 'data-testid': testid, onclick }, label));
    clockButtons.push(b);
    return b;
  };
  const eventForm = h('form', { class: 'class-clock-row' },
    h('label', { for: 'cls-event' }, tr('classes.clock.event')), eventSelect,
    clockButton(tr('classes.clock.injectAll'), 'class-inject-all', () => {
      const ev = /** @type {HTMLSelectElement} */ (eventSelect).value;
      if (ev) classWide({ type: 'inject_event', event: ev }, tr('classes.clock.injected'));
    }));
  const messageForm = h('form', { class: 'class-clock-row', 'data-testid': 'class-message-form' },
    h('label', { for: 'cls-message' }, tr('classes.clock.messageAll')), messageInput,
    clockButton(tr('classes.clock.send'), 'class-message-all', () => messageForm.requestSubmit()));
  messageForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = /** @type {HTMLInputElement} */ (messageInput).value.trim();
    if (!text) { showError(clockErr, tr('classes.clock.writeFirst')); messageInput.focus(); return; }
    if (await classWide({ type: 'chat', channel: { kind: 'plenary' }, text }, tr('classes.clock.posted'))) {
      /** @type {HTMLInputElement} */ (messageInput).value = '';
    }
  });
  eventForm.addEventListener('submit', (e) => e.preventDefault());
  replace(clockBox,
    h('h2', { id: 'cls-clock-h' }, tr('classes.clock.heading')),
    h('p', { class: 'muted small' }, tr('classes.clock.help')),
    h('div', { class: 'actions' },
      clockButton(tr('classes.clock.pauseAll'), 'class-pause-all', () => classWide({ type: 'pause' }, tr('classes.clock.paused'))),
      clockButton(tr('classes.clock.resumeAll'), 'class-resume-all', () => classWide({ type: 'resume' }, tr('classes.clock.resumed'))),
      h('span', { class: 'inline-form' },
        h('label', { for: 'cls-extend' }, tr('classes.clock.minutes')), extendInput,
        clockButton(tr('classes.clock.extendAll'), 'class-extend-all', () => {
          const min = Number(/** @type {HTMLInputElement} */ (extendInput).value);
          if (!Number.isInteger(min) || min < 1 || min > 120) { showError(clockErr, tr('classes.clock.extendRange')); extendInput.focus(); return; }
          classWide({ type: 'extend_deadline', seconds: min * 60 }, tr('classes.clock.extended', { minutes: min }));
        }))),
    eventForm, messageForm, clockErr, clockResult);

  function fillEvents() {
    const evs = getScenario()?.events || [];
    if (eventSelect.childElementCount === evs.length + 1) return;
    replace(eventSelect, h('option', { value: '' }, tr('classes.clock.chooseEvent')),
      evs.map((/** @type {any} */ e) => h('option', { value: e.id }, e.name)));
  }

  function renderResearch() {
    researchBox.hidden = !lobby.settings.research_use;
    if (researchBox.hidden || researchBox.childElementCount) return;
    const err = errorBox('class-research-error');
    const base = `/api/classes/${encodeURIComponent(classId)}/research`;
    /** @param {string} path @param {string} file */
    const get = (path, file) => api.download(path, token, file).catch((e) => showError(err, e));
    replace(researchBox,
      h('h2', { id: 'cls-research-h' }, tr('classes.research.heading')),
      h('p', { class: 'muted small' }, lobby.settings.research_free_text
        ? tr('classes.research.withText')
        : tr('classes.research.withoutText')),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button', 'data-testid': 'research-json', onclick: () => get(base, `class-${lobby.join_code}.json`) }, tr('classes.research.json')),
        lobby.games.map((/** @type {any} */ g) => h('button', {
          type: 'button', class: 'button subtle', 'data-testid': 'research-csv',
          onclick: () => get(`${base}?format=csv&table=${g.table}`, `class-${lobby.join_code}-table-${g.table + 1}.csv`),
        }, tr('classes.research.csv', { table: g.table + 1 })))),
      err);
  }

  function renderAfter() {
    fillEvents();
    renderResearch();
    for (const g of lobby.games) {
      if (!cards.has(g.table)) {
        const card = h('article', { class: 'panel class-table', 'data-testid': 'class-table', 'data-table': String(g.table) },
          h('p', { class: 'muted' }, tr('classes.card.waiting', { table: g.table + 1 })));
        cards.set(g.table, card);
      }
    }
    replace(tablesBox, [...cards.keys()].sort((a, b) => a - b).map((t) => /** @type {HTMLElement} */ (cards.get(t))));
    for (const t of tables.keys()) renderTable(t);
  }

  /** @param {number} t */
  function renderTable(t) {
    const card = cards.get(t);
    const frame = tables.get(t);
    if (!card || !frame || !lobby) return;
    const s = frame.status;
    const game = lobby.games.find((/** @type {any} */ g) => g.table === t);
    card.dataset.phase = s.phase;
    card.dataset.paused = String(s.paused);
    const countdown = h('span', { class: 'clock-countdown', 'data-testid': 'table-countdown', 'data-deadline': s.deadline_at ?? '', role: 'timer', 'aria-label': tr('classes.card.timeLeft', { table: t + 1 }) });
    replace(card,
      h('h3', null, s.title || tr('classes.table', { table: t + 1 })),
      h('p', { class: 'class-table-clock' },
        h('span', { class: 'clock-round' }, tr('classes.roundOf', { label: s.round_label, round: s.round + 1, count: s.rounds })), ' ',
        h('span', { class: 'clock-phase', 'data-phase': s.phase }, phaseName(s.phase)), ' ',
        countdown,
        s.paused ? h('span', { class: 'tag warn' }, tr('classes.card.paused', { time: countdownText(s.paused_remaining ?? 0) })) : null),
      tensionGauge(s.tension, s.crisis_threshold, tr('classes.tensionAt', { table: t + 1 }), 'table-tension'),
      s.crises ? h('p', null, h('span', { class: 'tag danger' }, tr('classes.card.crises', { count: s.crises }))) : null,
      h('ul', { class: 'plain-list' }, s.factions.map((/** @type {any} */ f) => h('li', {
        'data-testid': 'table-faction', 'data-faction': f.faction, 'data-connected': String(f.connected), 'data-ready': String(f.ready),
      },
      swatch(f.faction), h('strong', null, factionName(f.faction)), ': ',
      f.bot ? tr('classes.card.bot', { temperament: temperamentName(f.bot) })
        : f.players === 0 ? h('span', { class: 'muted' }, tr('classes.nobody'))
          : h('span', { class: ['seat-status', f.connected > 0 ? 'on' : 'off'] }, h('span', { class: 'dot', 'aria-hidden': 'true' }),
            tr('classes.card.connected', { connected: f.connected, players: f.players })),
      f.ready ? h('span', { class: 'tag ok' }, tr('classes.card.ready')) : null))),
      s.agreements.length
        ? h('ul', { class: 'plain-list' }, s.agreements.map((/** @type {any} */ a) => h('li', { class: 'agreement-line' },
          h('strong', null, a.title), ` — ${andList(a.parties.map(factionName))} `,
          h('span', { class: ['tag', statusClass(a.status)] }, statusText(a.status)))))
        : h('p', { class: 'muted small' }, tr('classes.card.noAgreement')),
      s.headline ? h('p', { class: 'small' }, h('span', { class: 'muted' }, `${s.headline.author}: `), s.headline.text) : null,
      s.ending ? h('p', null, h('a', { href: `/game/${frame.game_id}/after`, target: '_blank', rel: 'noopener' }, tr('classes.card.afterAction'))) : null,
      h('div', { class: 'actions' },
        game ? h('a', { href: seatLink(game.control_token), target: '_blank', rel: 'noopener', class: 'button small', 'data-testid': 'table-console-link' }, tr('classes.card.openConsole', { table: t + 1 })) : null,
        s.phase !== 'ended' && s.phase !== 'lobby'
          ? h('button', { type: 'button', class: 'button small subtle', onclick: () => classWide({ type: s.paused ? 'resume' : 'pause' }, s.paused ? tr('classes.clock.tableResumed', { table: t + 1 }) : tr('classes.clock.tablePaused', { table: t + 1 }), [t]) },
            s.paused ? tr('classes.card.resume', { table: t + 1 }) : tr('classes.card.pause', { table: t + 1 }))
          : null));
    tick();
  }

  function tick() {
    for (const [t, frame] of tables) {
      const el = cards.get(t)?.querySelector('[data-testid="table-countdown"]');
      if (!el) continue;
      const s = frame.status;
      const text = s.phase === 'ended' ? tr('classes.ended') : s.paused ? '' : s.deadline_at == null ? tr('classes.card.noDeadline') : countdownText(msUntil(s.deadline_at));
      if (el.textContent !== text) el.textContent = text;
    }
  }
  const ticker = setInterval(tick, 500);

  // ---- Live ----
  const feed = new ClassFeed({ token });
  feed.addEventListener('status', () => {
    const on = feed.status === 'open';
    feedStatus.dataset.status = on ? 'connected' : feed.status === 'rejected' ? 'rejected' : feed.status === 'closed' ? 'offline' : 'reconnecting';
    replace(feedStatus, h('span', { class: 'conn-dot', 'aria-hidden': 'true' }),
      on ? tr('classes.console.live') : feed.status === 'rejected' ? tr('classes.console.linkInvalid') : feed.status === 'closed' ? tr('classes.console.closed') : tr('classes.console.reconnecting'));
  });
  feed.addEventListener('welcome', () => reload());
  let rosterTimer = /** @type {ReturnType<typeof setTimeout> | null} */ (null);
  feed.addEventListener('roster', () => {
    // One read for a burst of joins.
    if (rosterTimer) return;
    rosterTimer = setTimeout(() => { rosterTimer = null; reload(); }, 200);
  });
  feed.addEventListener('table', (e) => {
    const f = /** @type {CustomEvent} */ (e).detail;
    const old = tables.get(f.table);
    if (old && old.seq > f.seq) return;
    tables.set(f.table, f);
    renderTable(f.table);
  });
  feed.start();

  return {
    unmount() {
      alive = false;
      clearInterval(ticker);
      if (rosterTimer) clearTimeout(rosterTimer);
      feed.stop();
    },
  };
}
