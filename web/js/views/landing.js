// @ts-check
/**
 * Landing page: create a game as Control, join one with a code (or a /join/<CODE> link) as a
 * faction or an observer, and resume the games this browser holds a seat in.
 * @module views/landing
 */

import { h, replace, errorBox, showError, uniqueId } from '../dom.js';
import * as api from '../api.js';
import { saveSeat, listSeats, forgetSeat, saveClass, listClasses, forgetClass } from '../session.js';
import { researchNote, MODERATION_NOTE } from './classwait.js';
import { seatLabel, setScenario, getScenario, phaseName, roundLabel } from '../format.js';

const TEMPERAMENTS = ['hawk', 'pragmatist', 'dove'];
const PHASES = /** @type {const} */ (['briefing', 'negotiation', 'orders', 'review']);

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  let alive = true;
  /** @type {any[]} */
  let list = [];
  /** @type {Map<string, any>} */
  const full = new Map();

  const intro = h('section', { class: 'intro', 'aria-labelledby': 'landing-title' },
    h('h1', { id: 'landing-title' }, 'Détente'),
    h('p', { class: 'lead' }, 'A negotiation wargame about missile defence in Europe, 2013–2020. Russia, US/NATO and the CSTO negotiate, sign agreements and give orders, round after round; Control runs the clock.'));

  // ---- Join ----
  const joinErr = errorBox('join-error');
  const factionErr = errorBox('join-faction-error');
  const codeInput = h('input', {
    id: 'join-code', name: 'code', required: true, autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', maxlength: '12', class: 'code-input', 'data-testid': 'join-code',
    'aria-describedby': 'join-code-hint', value: ctx.code || '',
  });
  const nameInput = h('input', {
    id: 'join-name', name: 'name', required: true, maxlength: '40', autocomplete: 'nickname',
    'data-testid': 'join-name',
  });
  const factionBox = h('div', { class: 'choices', role: 'radiogroup', 'aria-labelledby': 'join-as-label' });
  const joinBtn = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'landing-join' }, 'Join');

  /** The game behind the code typed, once the server has said (`GET /api/join/{code}`). */
  /** @type {any} */
  let preview = null;

  /** @param {string[]} factionIds */
  function renderFactionChoices(factionIds) {
    const seats = new Map((preview?.factions || []).map((/** @type {any} */ x) => [x.faction, x]));
    const ids = preview ? preview.factions.map((/** @type {any} */ x) => x.faction) : factionIds;
    /** @type {Array<[string, string, string, boolean]>} value, label, testid, unavailable */
    const opts = [['', 'Assign me a faction', 'join-faction-assign', false]];
    for (const f of ids) {
      const s = seats.get(f);
      const label = s ? s.name : nameOf(f);
      const why = !s ? '' : s.bot ? ' (played by a bot)' : s.players >= s.team_size ? ' (team full)'
        : ` (${s.players} of ${s.team_size} seat${s.team_size === 1 ? '' : 's'} taken)`;
      opts.push([f, label + why, `join-faction-${f}`, !!s && (!!s.bot || s.players >= s.team_size)]);
    }
    opts.push(['observer', 'Observer (watch only)', 'join-observer', false]);
    const checked = /** @type {HTMLInputElement | null} */ (factionBox.querySelector('input:checked'));
    const keep = checked ? checked.value : '';
    replace(factionBox, opts.map(([value, label, testid, unavailable], i) => {
      const id = uniqueId('join-as');
      return h('div', { class: 'choice' },
        h('input', { type: 'radio', name: 'join-as', id, value, checked: keep ? value === keep && !unavailable : i === 0, disabled: unavailable, 'data-testid': testid }),
        h('label', { for: id }, label));
    }));
    if (!factionBox.querySelector('input:checked')) {
      const first = /** @type {HTMLInputElement | null} */ (factionBox.querySelector('input'));
      if (first) first.checked = true;
    }
  }

  /** @param {string} code */
  const normalCode = (code) => code.toUpperCase().replace(/[^A-Z0-9]/g, '');
  /**
   * Where a game stands, in words: "waiting to start", "2014, negotiation", "ended".
   * @param {{phase: string, round: number, round_label?: string}} g
   */
  const stateOf = (g) => (g.phase === 'lobby' ? 'waiting to start' : g.phase === 'ended' ? 'ended'
    : `${g.round_label || roundLabel(g.round)}, ${phaseName(g.phase).toLowerCase()}`);
  const previewBox = h('div', { class: 'join-preview', 'data-testid': 'join-preview', 'aria-live': 'polite' });
  const joinAs = h('fieldset', { class: 'field' },
    h('legend', { id: 'join-as-label' }, 'Join as'),
    factionBox, factionErr);
  let previewFor = '';
  async function loadPreview() {
    const code = normalCode(codeInput.value);
    if (code === previewFor) return;
    previewFor = code;
    preview = null;
    joinAs.hidden = false;
    const mine = listSeats().find((s) => s.join_code === code);
    const resume = mine ? h('p', { class: 'panel review-note', 'data-testid': 'join-resume' },
      `This browser already has a seat in this game: ${mine.name}, ${seatLabel(mine.seat)}. `,
      h('a', { href: `/game/${mine.game_id}`, 'data-link': true, class: 'button primary small' }, `Continue as ${mine.name}`),
      ' Join below only for another person using this device.') : null;
    if (code.length !== 6) {
      replace(previewBox, resume);
      renderFactionChoices([...new Set(list.flatMap((s) => s.factions || []))]);
      return;
    }
    const myClass = listClasses().find((c) => c.join_code === code);
    const resumeClass = myClass ? h('p', { class: 'panel review-note', 'data-testid': 'join-resume-class' },
      `This browser is already in this class as ${myClass.role === 'teacher' ? 'its teacher' : myClass.name}. `,
      h('a', { href: `/class/${myClass.class_id}`, 'data-link': true, class: 'button primary small' }, 'Continue'),
      ' Join below only for another person using this device.') : null;
    try {
      const p = await api.joinPreview(code);
      if (!alive || previewFor !== code) return;
      preview = p;
      joinAs.hidden = p.kind === 'class';
      if (p.kind === 'class') {
        replace(previewBox, resumeClass, h('p', { 'data-testid': 'join-class' },
          h('strong', null, `Class: ${p.name}`), ` · ${p.scenario_title}`,
          p.started ? h('span', { class: 'tag warn' }, ' has started: ask your teacher for your table\'s own code') : null),
        h('p', { class: 'small', 'data-testid': 'join-moderation-note' }, MODERATION_NOTE),
        h('p', { class: 'small', 'data-testid': 'join-research-note' }, researchNote(p)),
        h('p', { class: 'small muted' }, 'Your teacher seats you at a table when the class starts.'));
        return;
      }
      replace(previewBox, resume, h('p', { 'data-testid': 'join-game' },
        h('strong', null, p.title || 'A game'), ` · ${p.scenario_title} · ${stateOf(p)}`));
      renderFactionChoices([]);
    } catch {
      // A wrong code is said when joining; the preview just stays empty.
      if (alive && previewFor === code) replace(previewBox, resume);
    }
  }
  let previewTimer = /** @type {ReturnType<typeof setTimeout> | null} */ (null);
  codeInput.addEventListener('input', () => {
    if (previewTimer) clearTimeout(previewTimer);
    previewTimer = setTimeout(loadPreview, 300);
  });

  /** @param {string} f */
  function nameOf(f) {
    for (const s of full.values()) {
      const x = (s.factions || []).find((/** @type {any} */ y) => y.id === f);
      if (x) return x.name;
    }
    return f;
  }

  const joinForm = h('form', { class: 'panel', 'data-testid': 'join-form', 'aria-labelledby': 'join-title', novalidate: true },
    h('h2', { id: 'join-title' }, 'Join a game'),
    h('div', { class: 'field' },
      h('label', { for: 'join-code' }, 'Join code'),
      codeInput,
      h('p', { class: 'hint', id: 'join-code-hint' }, 'Six letters and digits, from your facilitator or the projector.'),
      previewBox),
    h('div', { class: 'field' }, h('label', { for: 'join-name' }, 'Your name'), nameInput),
    joinAs,
    joinErr,
    h('div', { class: 'actions' }, joinBtn));

  joinForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(joinErr, null);
    showError(factionErr, null);
    const code = codeInput.value.trim();
    const name = nameInput.value.trim();
    if (!code) { showError(joinErr, 'Enter the join code.'); codeInput.focus(); return; }
    if (!name) { showError(joinErr, 'Enter your name.'); nameInput.focus(); return; }
    // A code typed (or pasted) just now: ask what it opens before joining.
    if (normalCode(code) !== previewFor) await loadPreview();
    if (preview?.kind === 'class') {
      joinBtn.disabled = true;
      try {
        const r = await api.joinClass({ code, name });
        saveClass(r.class_id, {
          token: r.student_token, role: 'student', name: r.name, class_name: r.class_name,
          join_code: normalCode(code), student_id: r.student_id,
          research_use: r.research_use, research_free_text: r.research_free_text,
        });
        ctx.navigate(`/class/${r.class_id}`);
      } catch (err) {
        showError(joinErr, /** @type {any} */ (err));
      } finally {
        joinBtn.disabled = false;
      }
      return;
    }
    const choice = /** @type {HTMLInputElement | null} */ (factionBox.querySelector('input:checked'));
    const as = choice ? choice.value : '';
    /** @type {{code: string, name: string, faction?: string, observer?: boolean}} */
    const body = { code, name };
    if (as === 'observer') body.observer = true;
    else if (as) body.faction = as;
    joinBtn.disabled = true;
    try {
      const r = await api.join(body);
      saveSeat(r.game_id, {
        token: r.seat_token, seat_id: r.seat_id, seat: r.seat, name: r.name,
        join_code: normalCode(code),
        title: preview?.title || undefined,
        // A guess (the join answer does not name the scenario), checked when the game loads.
        scenario_id: list.length === 1 ? list[0].id : undefined,
      });
      ctx.navigate(`/game/${r.game_id}`);
    } catch (err) {
      const ae = /** @type {any} */ (err);
      if (['bot_seat', 'team_full', 'unknown_faction', 'game_full'].includes(ae.code)) {
        showError(factionErr, ae);
        factionBox.querySelector('input')?.focus();
      } else {
        showError(joinErr, ae);
        if (ae.code === 'unknown_code') codeInput.focus();
      }
    } finally {
      joinBtn.disabled = false;
    }
  });

  // ---- Create ----
  const createErr = errorBox('create-error');
  const scenarioSelect = h('select', { id: 'create-scenario', 'data-testid': 'create-scenario' });
  const scenarioSummary = h('p', { class: 'hint', id: 'create-scenario-summary' });
  const presetSelect = h('select', { id: 'create-preset', 'data-testid': 'create-preset' });
  const controlName = h('input', { id: 'create-name', maxlength: '40', value: 'Control', 'data-testid': 'create-name', required: true });
  const titleInput = h('input', { id: 'create-title-input', maxlength: '60', placeholder: 'e.g. Year 11, period 3', 'data-testid': 'create-title' });
  const deadlineBox = h('div', { class: 'grid-fields' });
  const factionTable = h('tbody');
  const seedInput = h('input', { id: 'create-seed', type: 'number', min: '0', step: '1', inputmode: 'numeric', 'data-testid': 'create-seed' });
  const adminInput = h('input', { id: 'create-admin-token', type: 'password', autocomplete: 'off', 'data-testid': 'create-admin-token' });
  const adminField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'create-admin-token' }, 'Admin token'),
    adminInput,
    h('p', { class: 'hint' }, 'This server only lets its administrators create games.'));
  const createBtn = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'landing-create' }, 'Create the game');
  /** @param {string} value @param {string} label @param {string} hint */
  const startOption = (value, label, hint) => h('label', { class: 'radio-row' },
    h('input', { type: 'radio', name: 'create-start', value, checked: value === 'lobby', 'data-testid': `create-start-${value}` }),
    h('span', null, h('strong', null, label), h('span', { class: 'hint' }, ` ${hint}`)));
  const startBox = h('fieldset', { class: 'field' },
    h('legend', null, 'When the game starts'),
    startOption('lobby', 'When I press Start', '(recommended) The game waits in a lobby while students join; no clock runs.'),
    startOption('when_seated', 'When every faction has a player', 'or a bot: it then starts by itself.'),
    startOption('now', 'At once', 'The first briefing and its clock begin now.'));
  /** @param {string} value @param {string} label @param {string} hint */
  const teamOption = (value, label, hint) => h('label', { class: 'radio-row' },
    h('input', { type: 'radio', name: 'create-team-ready', value, checked: value === 'everyone', 'data-testid': `create-team-ready-${value}` }),
    h('span', null, h('strong', null, label), h('span', { class: 'hint' }, ` ${hint}`)));
  const teamBox = h('fieldset', { class: 'field' },
    h('legend', null, 'When a team of several is ready'),
    teamOption('everyone', 'When every member has pressed Ready', '(recommended) Members who have left the game are not waited for.'),
    teamOption('captain', 'When its captain presses Ready', 'The member seated longest among those connected decides for the team.'));

  const createForm = h('form', { class: 'panel', 'data-testid': 'create-form', 'aria-labelledby': 'create-title', novalidate: true },
    h('h2', { id: 'create-title' }, 'Run a game as Control'),
    h('div', { class: 'field' }, h('label', { for: 'create-title-input' }, 'Game name'), titleInput,
      h('p', { class: 'hint' }, 'Students see it when they join; you see it in your games.')),
    h('div', { class: 'field' }, h('label', { for: 'create-scenario' }, 'Scenario'), scenarioSelect, scenarioSummary),
    h('div', { class: 'grid-fields' },
      h('div', { class: 'field' }, h('label', { for: 'create-name' }, 'Your name (Control)'), controlName),
      h('div', { class: 'field' }, h('label', { for: 'create-preset' }, 'Model preset'), presetSelect)),
    h('fieldset', { class: 'field' },
      h('legend', null, 'Phase deadlines, in minutes (0: no deadline)'),
      deadlineBox),
    h('fieldset', { class: 'field' },
      h('legend', null, 'Factions'),
      h('table', { class: 'table compact' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Faction'),
          h('th', { scope: 'col' }, 'Played by'),
          h('th', { scope: 'col' }, 'Team size'))),
        factionTable)),
    startBox,
    teamBox,
    h('details', { class: 'field' },
      h('summary', null, 'More options'),
      h('div', { class: 'field' }, h('label', { for: 'create-seed' }, 'Random seed (optional)'), seedInput,
        h('p', { class: 'hint' }, 'The same seed and the same moves give the same game.'))),
    adminField,
    createErr,
    h('div', { class: 'actions' }, createBtn));

  function selectedScenario() {
    return list.find((s) => s.id === scenarioSelect.value) || list[0];
  }

  function renderScenarioOptions() {
    const s = selectedScenario();
    if (!s) return;
    const sc = full.get(s.id);
    replace(scenarioSummary, s.summary || '');
    replace(presetSelect, (s.presets || []).map((/** @type {string} */ p) => {
      const preset = sc?.model?.presets?.find((/** @type {any} */ x) => x.id === p);
      return h('option', { value: p, selected: p === s.default_preset }, preset?.name ? `${preset.name}` : p);
    }));
    replace(deadlineBox, PHASES.map((ph) => {
      const id = `create-deadline-${ph}`;
      const secs = sc?.phases?.[ph] ?? ({ briefing: 120, negotiation: 900, orders: 300, review: 180 })[ph];
      return h('div', { class: 'field' },
        h('label', { for: id }, ph[0].toUpperCase() + ph.slice(1)),
        h('input', { id, type: 'number', min: '0', max: '1440', step: '0.5', inputmode: 'decimal', value: String(secs / 60), 'data-testid': id }));
    }));
    replace(factionTable, (s.factions || []).map((/** @type {string} */ f) => {
      const fx = sc?.factions?.find((/** @type {any} */ x) => x.id === f);
      const botId = `create-bot-${f}`;
      const teamId = `create-team-${f}`;
      return h('tr', null,
        h('th', { scope: 'row' }, fx?.name || f),
        h('td', null,
          h('label', { for: botId, class: 'visually-hidden' }, `${fx?.name || f} played by`),
          h('select', { id: botId, 'data-testid': botId },
            h('option', { value: '' }, 'People'),
            TEMPERAMENTS.map((t) => h('option', { value: t }, `Bot: ${t}`)))),
        h('td', null,
          h('label', { for: teamId, class: 'visually-hidden' }, `${fx?.name || f} team size`),
          h('input', { id: teamId, type: 'number', min: '1', max: '50', step: '1', inputmode: 'numeric', value: String(fx?.team_size ?? 5), 'data-testid': teamId, class: 'narrow' })));
    }));
  }

  scenarioSelect.addEventListener('change', renderScenarioOptions);

  createForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(createErr, null);
    const s = selectedScenario();
    if (!s) { showError(createErr, 'No scenario is available.'); return; }
    const name = controlName.value.trim() || 'Control';
    /** @type {any} */
    const deadlines = {};
    for (const ph of PHASES) {
      const input = /** @type {HTMLInputElement} */ (deadlineBox.querySelector(`#create-deadline-${ph}`));
      const min = Number(input.value);
      if (!Number.isFinite(min) || min < 0) {
        showError(createErr, `The ${ph} deadline must be 0 or more minutes.`);
        input.focus();
        return;
      }
      deadlines[ph] = Math.round(min * 60);
    }
    /** @type {Record<string, any>} */
    const bots = {};
    /** @type {Record<string, number>} */
    const teamSizes = {};
    for (const f of s.factions || []) {
      const b = /** @type {HTMLSelectElement} */ (factionTable.querySelector(`#create-bot-${f}`)).value;
      if (b) bots[f] = b;
      const t = /** @type {HTMLInputElement} */ (factionTable.querySelector(`#create-team-${f}`));
      const n = Number(t.value);
      if (!Number.isInteger(n) || n < 1 || n > 50) {
        showError(createErr, 'A team size is a whole number from 1 to 50.');
        t.focus();
        return;
      }
      teamSizes[f] = n;
    }
    /** @type {any} */
    const start = /** @type {HTMLInputElement | null} */ (startBox.querySelector('input[name="create-start"]:checked'))?.value || 'lobby';
    const title = titleInput.value.trim();
    const teamReady = /** @type {HTMLInputElement | null} */ (teamBox.querySelector('input[name="create-team-ready"]:checked'))?.value || 'everyone';
    /** @type {Record<string, any>} */
    const body = { scenario: s.id, name, preset: presetSelect.value || undefined, deadlines, bots, team_sizes: teamSizes, start, title: title || undefined, team_ready: teamReady };
    if (seedInput.value.trim()) {
      const seed = Number(seedInput.value);
      if (!Number.isSafeInteger(seed) || seed < 0) { showError(createErr, 'The seed is a whole number from 0 to 2^53.'); seedInput.focus(); return; }
      body.seed = seed;
    }
    createBtn.disabled = true;
    try {
      const r = await api.createGame(body, adminInput.value.trim() || undefined);
      saveSeat(r.game_id, {
        token: r.control_token, seat_id: r.control_seat_id, seat: { role: 'control' }, name,
        join_code: r.join_code, scenario: s.title, scenario_id: s.id, title: title || undefined,
      });
      ctx.navigate(`/game/${r.game_id}`);
    } catch (err) {
      const ae = /** @type {any} */ (err);
      if (ae.status === 401) {
        adminField.hidden = false;
        showError(createErr, adminInput.value.trim()
          ? { code: ae.code, message: 'The server did not accept that admin token.' }
          : { code: ae.code, message: 'This server needs its admin token to create a game: enter it in the Admin token field.' });
        adminInput.focus();
      } else {
        showError(createErr, ae);
      }
    } finally {
      createBtn.disabled = false;
    }
  });

  // ---- Create a class ----
  const classErr = errorBox('class-create-error');
  const className = h('input', { id: 'class-name', maxlength: '60', required: true, placeholder: 'e.g. Year 11 history', 'data-testid': 'class-name' });
  const classTeacher = h('input', { id: 'class-teacher', maxlength: '40', value: 'Teacher', 'data-testid': 'class-teacher' });
  const classTeam = h('input', { id: 'class-team-size', type: 'number', min: '1', max: '50', step: '1', value: '1', inputmode: 'numeric', class: 'narrow', 'data-testid': 'class-team-size' });
  const classBots = h('select', { id: 'class-bots', 'data-testid': 'class-bots' },
    h('option', { value: 'pragmatist' }, 'Bots (pragmatist)'),
    h('option', { value: 'dove' }, 'Bots (dove)'),
    h('option', { value: 'hawk' }, 'Bots (hawk)'),
    h('option', { value: '' }, 'Nobody (the faction sits out)'));
  const classMinutes = h('input', { id: 'class-minutes', type: 'number', min: '0', max: '120', step: '0.5', value: '10', inputmode: 'decimal', class: 'narrow', 'data-testid': 'class-minutes' });
  const classResearch = h('input', { id: 'class-research', type: 'checkbox', 'data-testid': 'class-research' });
  const classFreeText = h('input', { id: 'class-free-text', type: 'checkbox', disabled: true, 'data-testid': 'class-free-text' });
  classResearch.addEventListener('change', () => {
    const on = /** @type {HTMLInputElement} */ (classResearch).checked;
    /** @type {HTMLInputElement} */ (classFreeText).disabled = !on;
    if (!on) /** @type {HTMLInputElement} */ (classFreeText).checked = false;
  });
  const classBtn = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'class-create' }, 'Create the class');
  const classForm = h('form', { class: 'panel', 'data-testid': 'class-form', 'aria-labelledby': 'class-title', novalidate: true },
    h('h2', { id: 'class-title' }, 'Run a class'),
    h('p', { class: 'hint' }, 'One code for the whole class: students join with their name, the server seats them at tables of three factions, and you run every table from one console.'),
    h('div', { class: 'grid-fields' },
      h('div', { class: 'field' }, h('label', { for: 'class-name' }, 'Class name'), className),
      h('div', { class: 'field' }, h('label', { for: 'class-teacher' }, 'Your name'), classTeacher)),
    h('div', { class: 'grid-fields' },
      h('div', { class: 'field' }, h('label', { for: 'class-team-size' }, 'Students per faction at a table'), classTeam),
      h('div', { class: 'field' }, h('label', { for: 'class-bots' }, 'Empty seats are played by'), classBots),
      h('div', { class: 'field' }, h('label', { for: 'class-minutes' }, 'Minutes for negotiation (each round)'), classMinutes)),
    h('div', { class: 'field' },
      h('div', { class: 'choice' }, classResearch, h('label', { for: 'class-research' }, 'The class\'s games may be used for research (names replaced by pseudonyms)')),
      h('div', { class: 'choice' }, classFreeText, h('label', { for: 'class-free-text' }, 'Research may include what students write in the chat'))),
    classErr,
    h('div', { class: 'actions' }, classBtn));
  classForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(classErr, null);
    const name = /** @type {HTMLInputElement} */ (className).value.trim();
    if (!name) { showError(classErr, 'Give the class a name.'); className.focus(); return; }
    const team = Number(/** @type {HTMLInputElement} */ (classTeam).value);
    if (!Number.isInteger(team) || team < 1 || team > 50) { showError(classErr, 'Students per faction is a whole number from 1 to 50.'); classTeam.focus(); return; }
    const minutes = Number(/** @type {HTMLInputElement} */ (classMinutes).value);
    if (!Number.isFinite(minutes) || minutes < 0) { showError(classErr, 'Minutes for negotiation must be 0 or more.'); classMinutes.focus(); return; }
    const s = selectedScenario();
    const sc = s ? full.get(s.id) : null;
    const phases = sc?.phases || { briefing: 120, negotiation: 900, orders: 300, review: 180 };
    const teacher = /** @type {HTMLInputElement} */ (classTeacher).value.trim() || 'Teacher';
    const bots = /** @type {HTMLSelectElement} */ (classBots).value;
    /** @type {any} */
    const body = {
      name, teacher, team_size: team, scenario: s?.id,
      deadlines: { briefing: phases.briefing, negotiation: Math.round(minutes * 60), orders: phases.orders, review: phases.review },
      bots_for_gaps: bots || undefined,
      research_use: /** @type {HTMLInputElement} */ (classResearch).checked,
      research_free_text: /** @type {HTMLInputElement} */ (classFreeText).checked,
    };
    classBtn.disabled = true;
    try {
      const r = await api.createClass(body, adminInput.value.trim() || undefined);
      saveClass(r.class_id, {
        token: r.teacher_token, role: 'teacher', name: teacher, class_name: name, join_code: r.join_code,
        research_use: body.research_use, research_free_text: body.research_free_text,
      });
      ctx.navigate(`/class/${r.class_id}`);
    } catch (err) {
      const ae = /** @type {any} */ (err);
      if (ae.status === 401) {
        adminField.hidden = false;
        showError(classErr, { code: ae.code, message: 'This server needs its admin token to create a class: enter it in the Admin token field of "Run a game as Control", then create the class again.' });
      } else {
        showError(classErr, ae);
      }
    } finally {
      classBtn.disabled = false;
    }
  });

  // ---- Your games ----
  /** @type {Map<string, string>} game id -> its round and phase, once fetched */
  const stateText = new Map();
  const gamesBox = h('section', { class: 'panel', 'aria-labelledby': 'games-title', 'data-testid': 'your-games' });
  function renderGames() {
    const seats = listSeats();
    const classes = listClasses();
    replace(gamesBox,
      h('h2', { id: 'games-title' }, 'Your games'),
      classes.length ? h('ul', { class: 'game-list' }, classes.map((c) => h('li', { class: 'game-item', 'data-testid': 'your-class' },
        h('a', { href: `/class/${c.class_id}`, 'data-link': true, class: 'game-link' },
          h('span', { class: 'game-title' }, `Class ${c.class_name}: `),
          h('span', { class: 'game-seat' }, c.role === 'teacher' ? 'the class console' : 'waiting for the start'),
          h('span', { class: 'muted' }, ` as ${c.name}`),
          c.join_code ? h('span', { class: 'code' }, c.join_code) : null),
        h('button', {
          type: 'button', class: 'button subtle small', 'aria-label': `Forget the class ${c.class_name}`,
          onclick: () => { forgetClass(c.class_id); renderGames(); },
        }, 'Forget')))) : null,
      seats.length === 0 && classes.length === 0
        ? h('p', { class: 'muted' }, 'Games you create or join on this device appear here, so you can come back to them.')
        : h('ul', { class: 'game-list' }, seats.map((g) => h('li', { class: 'game-item', 'data-testid': 'your-game' },
          h('a', { href: `/game/${g.game_id}`, 'data-link': true, class: 'game-link' },
            g.title ? h('span', { class: 'game-title' }, `${g.title}: `) : null,
            h('span', { class: 'game-seat' }, `${seatLabel(g.seat)}`),
            h('span', { class: 'muted' }, ` as ${g.name}`),
            g.join_code ? h('span', { class: 'code' }, g.join_code) : null,
            h('span', { class: 'muted small game-state', 'data-testid': 'your-game-state', 'data-game': g.game_id }, stateText.get(g.game_id) || ''),
            g.saved_at ? h('span', { class: 'muted small' }, ` · ${new Date(g.saved_at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}`) : null),
          h('button', {
            type: 'button', class: 'button subtle small', 'aria-label': `Forget the game where you are ${seatLabel(g.seat)} as ${g.name}`,
            onclick: () => { forgetSeat(g.game_id); renderGames(); },
          }, 'Forget')))));
  }

  /** Fills in each listed game's round and phase, as its server says now. */
  async function gameStates() {
    // (Kept in stateText so that a redraw of the list keeps them.)
    for (const g of listSeats().slice(0, 12)) {
      try {
        const r = await api.tokenSeat(g.token);
        if (!alive) return;
        const text = ` · ${!g.title && r.title ? `${r.title}, ` : ''}${stateOf(r)}`;
        stateText.set(g.game_id, text);
        const cell = gamesBox.querySelector(`[data-testid="your-game-state"][data-game="${CSS.escape(g.game_id)}"]`);
        if (cell) cell.textContent = text;
      } catch { /* a forgotten or unreachable game keeps its line without a state */ }
    }
  }

  replace(root,
    h('div', { class: 'landing', 'data-testid': 'landing' },
      intro,
      h('div', { class: 'landing-grid' },
        h('div', { class: 'landing-col' }, joinForm, gamesBox),
        h('div', { class: 'landing-col' }, createForm, classForm))));

  // The same browser opening the same join link again goes back to its seat: a second seat for
  // the same person would count against the team and list them twice.
  if (ctx.code) {
    const mine = listSeats().find((s) => s.join_code === normalCode(ctx.code || ''));
    if (mine) {
      setTimeout(() => ctx.navigate(`/game/${mine.game_id}`, { replace: true }), 0);
      return { unmount() { alive = false; } };
    }
    // A student back on their class's link goes back to their place in it.
    const inClass = listClasses().find((c) => c.role === 'student' && c.join_code === normalCode(ctx.code || ''));
    if (inClass) {
      setTimeout(() => ctx.navigate(`/class/${inClass.class_id}`, { replace: true }), 0);
      return { unmount() { alive = false; } };
    }
  }
  renderFactionChoices([]);
  renderGames();
  gameStates();
  if (ctx.code) nameInput.focus();
  if (ctx.code) loadPreview();

  (async () => {
    try {
      list = await api.scenarios();
      if (!alive) return;
      replace(scenarioSelect, list.map((s) => h('option', { value: s.id }, s.title)));
      renderScenarioOptions();
      const ids = [...new Set(list.flatMap((s) => s.factions || []))];
      renderFactionChoices(ids);
      // Names, presets, default deadlines and team sizes come from the full scenarios.
      await Promise.all(list.map(async (s) => {
        try { full.set(s.id, await api.scenario(s.id)); } catch { /* the list is enough */ }
      }));
      if (!alive) return;
      if (!getScenario() && list[0] && full.get(list[0].id)) setScenario(full.get(list[0].id));
      const checked = /** @type {HTMLInputElement | null} */ (factionBox.querySelector('input:checked'));
      const keep = checked ? checked.value : '';
      renderFactionChoices(ids);
      const again = /** @type {HTMLInputElement | null} */ (factionBox.querySelector(`input[value="${CSS.escape(keep)}"]`));
      if (again) again.checked = true;
      renderScenarioOptions();
      renderGames();
    } catch (err) {
      if (alive) showError(createErr, /** @type {any} */ (err));
    }
  })();

  return { unmount() { alive = false; } };
}
