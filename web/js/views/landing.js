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
import { t, formatDate, locale, LOCALE_NAMES } from '../i18n.js';

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
    h('p', { class: 'lead' }, t('landing.lead')));

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
  const joinBtn = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'landing-join' }, t('landing.join.submit'));

  /** The game behind the code typed, once the server has said (`GET /api/join/{code}`). */
  /** @type {any} */
  let preview = null;

  /** @param {string[]} factionIds */
  function renderFactionChoices(factionIds) {
    const seats = new Map((preview?.factions || []).map((/** @type {any} */ x) => [x.faction, x]));
    const ids = preview ? preview.factions.map((/** @type {any} */ x) => x.faction) : factionIds;
    /** @type {Array<[string, string, string, boolean]>} value, label, testid, unavailable */
    const opts = [['', t('landing.join.assign'), 'join-faction-assign', false]];
    for (const f of ids) {
      const s = seats.get(f);
      const label = s ? s.name : nameOf(f);
      const text = !s ? label : s.bot ? t('landing.join.factionBot', { faction: label })
        : s.players >= s.team_size ? t('landing.join.factionFull', { faction: label })
          : t('landing.join.factionTaken', { faction: label, players: s.players, count: s.team_size });
      opts.push([f, text, `join-faction-${f}`, !!s && (!!s.bot || s.players >= s.team_size)]);
    }
    opts.push(['observer', t('landing.join.observer'), 'join-observer', false]);
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
  const stateOf = (g) => (g.phase === 'lobby' ? t('landing.state.lobby') : g.phase === 'ended' ? t('landing.state.ended')
    : t('landing.state.round', { round: g.round_label || roundLabel(g.round), phase: phaseName(g.phase).toLowerCase() }));
  const previewBox = h('div', { class: 'join-preview', 'data-testid': 'join-preview', 'aria-live': 'polite' });
  const joinAs = h('fieldset', { class: 'field' },
    h('legend', { id: 'join-as-label' }, t('landing.join.as')),
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
      `${t('landing.resume.game', { name: mine.name, seat: seatLabel(mine.seat) })} `,
      h('a', { href: `/game/${mine.game_id}`, 'data-link': true, class: 'button primary small' }, t('landing.resume.continueAs', { name: mine.name })),
      ` ${t('landing.resume.other')}`) : null;
    if (code.length !== 6) {
      replace(previewBox, resume);
      renderFactionChoices([...new Set(list.flatMap((s) => s.factions || []))]);
      return;
    }
    const myClass = listClasses().find((c) => c.join_code === code);
    const resumeClass = myClass ? h('p', { class: 'panel review-note', 'data-testid': 'join-resume-class' },
      `${myClass.role === 'teacher' ? t('landing.resume.classTeacher') : t('landing.resume.classStudent', { name: myClass.name })} `,
      h('a', { href: `/class/${myClass.class_id}`, 'data-link': true, class: 'button primary small' }, t('landing.resume.continue')),
      ` ${t('landing.resume.other')}`) : null;
    try {
      const p = await api.joinPreview(code);
      if (!alive || previewFor !== code) return;
      preview = p;
      joinAs.hidden = p.kind === 'class';
      if (p.kind === 'class') {
        replace(previewBox, resumeClass, h('p', { 'data-testid': 'join-class' },
          h('strong', null, t('landing.join.class', { name: p.name })), ` · ${p.scenario_title}`,
          p.started ? h('span', { class: 'tag warn' }, t('landing.join.classStarted')) : null),
        h('p', { class: 'small', 'data-testid': 'join-moderation-note' }, MODERATION_NOTE),
        h('p', { class: 'small', 'data-testid': 'join-research-note' }, researchNote(p)),
        h('p', { class: 'small muted' }, t('landing.join.classSeating')));
        return;
      }
      replace(previewBox, resume, h('p', { 'data-testid': 'join-game' },
        h('strong', null, p.title || t('landing.join.aGame')), ` · ${p.scenario_title} · ${stateOf(p)}`));
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
    h('h2', { id: 'join-title' }, t('landing.join.title')),
    h('div', { class: 'field' },
      h('label', { for: 'join-code' }, t('landing.join.code')),
      codeInput,
      h('p', { class: 'hint', id: 'join-code-hint' }, t('landing.join.codeHint')),
      previewBox),
    h('div', { class: 'field' }, h('label', { for: 'join-name' }, t('landing.join.name')), nameInput),
    joinAs,
    joinErr,
    h('div', { class: 'actions' }, joinBtn));

  joinForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(joinErr, null);
    showError(factionErr, null);
    const code = codeInput.value.trim();
    const name = nameInput.value.trim();
    if (!code) { showError(joinErr, t('landing.join.needCode')); codeInput.focus(); return; }
    if (!name) { showError(joinErr, t('landing.join.needName')); nameInput.focus(); return; }
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
  // The game's language (the scenario's texts and the bots' lines): the page's by default.
  const languageSelect = /** @type {HTMLSelectElement} */ (h('select', { id: 'create-language', 'data-testid': 'create-language' }));
  const classLanguage = /** @type {HTMLSelectElement} */ (h('select', { id: 'class-language', 'data-testid': 'class-language' }));
  /** @param {HTMLSelectElement} select @param {any} s a scenario of the list */
  const fillLanguages = (select, s) => {
    /** @type {string[]} */
    const langs = s?.languages?.length ? s.languages : ['en'];
    const want = langs.includes(locale()) ? locale() : langs[0];
    replace(select, langs.map((l) => h('option', { value: l, selected: l === want },
      /** @type {Record<string, string>} */ (LOCALE_NAMES)[l] || l)));
  };
  const controlName = h('input', { id: 'create-name', maxlength: '40', value: t('landing.create.controlDefault'), 'data-testid': 'create-name', required: true });
  const titleInput = h('input', { id: 'create-title-input', maxlength: '60', placeholder: t('landing.create.namePlaceholder'), 'data-testid': 'create-title' });
  const deadlineBox = h('div', { class: 'grid-fields' });
  const factionTable = h('tbody');
  const seedInput = h('input', { id: 'create-seed', type: 'number', min: '0', step: '1', inputmode: 'numeric', 'data-testid': 'create-seed' });
  const adminInput = h('input', { id: 'create-admin-token', type: 'password', autocomplete: 'off', 'data-testid': 'create-admin-token' });
  const adminField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'create-admin-token' }, t('landing.create.admin')),
    adminInput,
    h('p', { class: 'hint' }, t('landing.create.adminHint')));
  const createBtn = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'landing-create' }, t('landing.create.submit'));
  /** @param {string} value @param {string} label @param {string} hint */
  const startOption = (value, label, hint) => h('label', { class: 'radio-row' },
    h('input', { type: 'radio', name: 'create-start', value, checked: value === 'lobby', 'data-testid': `create-start-${value}` }),
    h('span', null, h('strong', null, label), h('span', { class: 'hint' }, ` ${hint}`)));
  const startBox = h('fieldset', { class: 'field' },
    h('legend', null, t('landing.create.start')),
    ['lobby', 'when_seated', 'now'].map((v) => startOption(v, t(`landing.create.start.${v}`), t(`landing.create.start.${v}Hint`))));
  /** @param {string} value @param {string} label @param {string} hint */
  const teamOption = (value, label, hint) => h('label', { class: 'radio-row' },
    h('input', { type: 'radio', name: 'create-team-ready', value, checked: value === 'everyone', 'data-testid': `create-team-ready-${value}` }),
    h('span', null, h('strong', null, label), h('span', { class: 'hint' }, ` ${hint}`)));
  const teamBox = h('fieldset', { class: 'field' },
    h('legend', null, t('landing.create.team')),
    ['everyone', 'captain'].map((v) => teamOption(v, t(`landing.create.team.${v}`), t(`landing.create.team.${v}Hint`))));

  const createForm = h('form', { class: 'panel', 'data-testid': 'create-form', 'aria-labelledby': 'create-title', novalidate: true },
    h('h2', { id: 'create-title' }, t('landing.create.title')),
    h('div', { class: 'field' }, h('label', { for: 'create-title-input' }, t('landing.create.name')), titleInput,
      h('p', { class: 'hint' }, t('landing.create.nameHint'))),
    h('div', { class: 'field' }, h('label', { for: 'create-scenario' }, t('landing.create.scenario')), scenarioSelect, scenarioSummary),
    h('div', { class: 'grid-fields' },
      h('div', { class: 'field' }, h('label', { for: 'create-name' }, t('landing.create.controlName')), controlName),
      h('div', { class: 'field' }, h('label', { for: 'create-preset' }, t('landing.create.preset')), presetSelect),
      h('div', { class: 'field' }, h('label', { for: 'create-language' }, t('landing.create.language')), languageSelect,
        h('p', { class: 'hint' }, t('landing.create.languageHint')))),
    h('fieldset', { class: 'field' },
      h('legend', null, t('landing.create.deadlines')),
      deadlineBox),
    h('fieldset', { class: 'field' },
      h('legend', null, t('landing.create.factions')),
      h('table', { class: 'table compact' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('landing.create.faction')),
          h('th', { scope: 'col' }, t('landing.create.playedBy')),
          h('th', { scope: 'col' }, t('landing.create.teamSize')))),
        factionTable)),
    startBox,
    teamBox,
    h('details', { class: 'field' },
      h('summary', null, t('landing.create.more')),
      h('div', { class: 'field' }, h('label', { for: 'create-seed' }, t('landing.create.seed')), seedInput,
        h('p', { class: 'hint' }, t('landing.create.seedHint')))),
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
    fillLanguages(languageSelect, s);
    fillLanguages(classLanguage, s);
    replace(presetSelect, (s.presets || []).map((/** @type {string} */ p) => {
      const preset = sc?.model?.presets?.find((/** @type {any} */ x) => x.id === p);
      return h('option', { value: p, selected: p === s.default_preset }, preset?.name ? `${preset.name}` : p);
    }));
    replace(deadlineBox, PHASES.map((ph) => {
      const id = `create-deadline-${ph}`;
      const secs = sc?.phases?.[ph] ?? ({ briefing: 120, negotiation: 900, orders: 300, review: 180 })[ph];
      return h('div', { class: 'field' },
        h('label', { for: id }, phaseName(ph)),
        h('input', { id, type: 'number', min: '0', max: '1440', step: '0.5', inputmode: 'decimal', value: String(secs / 60), 'data-testid': id }));
    }));
    replace(factionTable, (s.factions || []).map((/** @type {string} */ f) => {
      const fx = sc?.factions?.find((/** @type {any} */ x) => x.id === f);
      const botId = `create-bot-${f}`;
      const teamId = `create-team-${f}`;
      return h('tr', null,
        h('th', { scope: 'row' }, fx?.name || f),
        h('td', null,
          h('label', { for: botId, class: 'visually-hidden' }, t('landing.create.playedByLabel', { faction: fx?.name || f })),
          h('select', { id: botId, 'data-testid': botId },
            h('option', { value: '' }, t('landing.create.people')),
            TEMPERAMENTS.map((temper) => h('option', { value: temper }, t(`landing.create.bot.${temper}`))))),
        h('td', null,
          h('label', { for: teamId, class: 'visually-hidden' }, t('landing.create.teamSizeLabel', { faction: fx?.name || f })),
          h('input', { id: teamId, type: 'number', min: '1', max: '50', step: '1', inputmode: 'numeric', value: String(fx?.team_size ?? 5), 'data-testid': teamId, class: 'narrow' })));
    }));
  }

  scenarioSelect.addEventListener('change', renderScenarioOptions);

  createForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(createErr, null);
    const s = selectedScenario();
    if (!s) { showError(createErr, t('landing.create.noScenario')); return; }
    const name = controlName.value.trim() || t('landing.create.controlDefault');
    /** @type {any} */
    const deadlines = {};
    for (const ph of PHASES) {
      const input = /** @type {HTMLInputElement} */ (deadlineBox.querySelector(`#create-deadline-${ph}`));
      const min = Number(input.value);
      if (!Number.isFinite(min) || min < 0) {
        showError(createErr, t('landing.create.badDeadline', { phase: phaseName(ph).toLowerCase() }));
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
      const sizeInput = /** @type {HTMLInputElement} */ (factionTable.querySelector(`#create-team-${f}`));
      const n = Number(sizeInput.value);
      if (!Number.isInteger(n) || n < 1 || n > 50) {
        showError(createErr, t('landing.create.badTeamSize'));
        sizeInput.focus();
        return;
      }
      teamSizes[f] = n;
    }
    /** @type {any} */
    const start = /** @type {HTMLInputElement | null} */ (startBox.querySelector('input[name="create-start"]:checked'))?.value || 'lobby';
    const title = titleInput.value.trim();
    const teamReady = /** @type {HTMLInputElement | null} */ (teamBox.querySelector('input[name="create-team-ready"]:checked'))?.value || 'everyone';
    /** @type {Record<string, any>} */
    const body = { scenario: s.id, name, preset: presetSelect.value || undefined, deadlines, bots, team_sizes: teamSizes, start, title: title || undefined, team_ready: teamReady, language: languageSelect.value || undefined };
    if (seedInput.value.trim()) {
      const seed = Number(seedInput.value);
      if (!Number.isSafeInteger(seed) || seed < 0) { showError(createErr, t('landing.create.badSeed')); seedInput.focus(); return; }
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
        // Our own words (they say where the token goes), not the code's general ones.
        showError(createErr, adminInput.value.trim() ? t('landing.create.adminRefused') : t('landing.create.adminNeeded'));
        if (ae.code) createErr.dataset.code = ae.code;
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
  const className = h('input', { id: 'class-name', maxlength: '60', required: true, placeholder: t('landing.class.namePlaceholder'), 'data-testid': 'class-name' });
  const classTeacher = h('input', { id: 'class-teacher', maxlength: '40', value: t('landing.class.teacherDefault'), 'data-testid': 'class-teacher' });
  const classTeam = h('input', { id: 'class-team-size', type: 'number', min: '1', max: '50', step: '1', value: '1', inputmode: 'numeric', class: 'narrow', 'data-testid': 'class-team-size' });
  const classBots = h('select', { id: 'class-bots', 'data-testid': 'class-bots' },
    h('option', { value: 'pragmatist' }, t('landing.class.bots.pragmatist')),
    h('option', { value: 'dove' }, t('landing.class.bots.dove')),
    h('option', { value: 'hawk' }, t('landing.class.bots.hawk')),
    h('option', { value: '' }, t('landing.class.bots.none')));
  const classMinutes = h('input', { id: 'class-minutes', type: 'number', min: '0', max: '120', step: '0.5', value: '10', inputmode: 'decimal', class: 'narrow', 'data-testid': 'class-minutes' });
  const classResearch = h('input', { id: 'class-research', type: 'checkbox', 'data-testid': 'class-research' });
  const classFreeText = h('input', { id: 'class-free-text', type: 'checkbox', disabled: true, 'data-testid': 'class-free-text' });
  classResearch.addEventListener('change', () => {
    const on = /** @type {HTMLInputElement} */ (classResearch).checked;
    /** @type {HTMLInputElement} */ (classFreeText).disabled = !on;
    if (!on) /** @type {HTMLInputElement} */ (classFreeText).checked = false;
  });
  const classBtn = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'class-create' }, t('landing.class.submit'));
  const classForm = h('form', { class: 'panel', 'data-testid': 'class-form', 'aria-labelledby': 'class-title', novalidate: true },
    h('h2', { id: 'class-title' }, t('landing.class.title')),
    h('p', { class: 'hint' }, t('landing.class.intro')),
    h('div', { class: 'grid-fields' },
      h('div', { class: 'field' }, h('label', { for: 'class-name' }, t('landing.class.name')), className),
      h('div', { class: 'field' }, h('label', { for: 'class-teacher' }, t('landing.class.teacher')), classTeacher)),
    h('div', { class: 'grid-fields' },
      h('div', { class: 'field' }, h('label', { for: 'class-team-size' }, t('landing.class.teamSize')), classTeam),
      h('div', { class: 'field' }, h('label', { for: 'class-bots' }, t('landing.class.bots')), classBots),
      h('div', { class: 'field' }, h('label', { for: 'class-minutes' }, t('landing.class.minutes')), classMinutes),
      h('div', { class: 'field' }, h('label', { for: 'class-language' }, t('landing.create.language')), classLanguage)),
    h('div', { class: 'field' },
      h('div', { class: 'choice' }, classResearch, h('label', { for: 'class-research' }, t('landing.class.research'))),
      h('div', { class: 'choice' }, classFreeText, h('label', { for: 'class-free-text' }, t('landing.class.freeText')))),
    classErr,
    h('div', { class: 'actions' }, classBtn));
  classForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(classErr, null);
    const name = /** @type {HTMLInputElement} */ (className).value.trim();
    if (!name) { showError(classErr, t('landing.class.needName')); className.focus(); return; }
    const team = Number(/** @type {HTMLInputElement} */ (classTeam).value);
    if (!Number.isInteger(team) || team < 1 || team > 50) { showError(classErr, t('landing.class.badTeamSize')); classTeam.focus(); return; }
    const minutes = Number(/** @type {HTMLInputElement} */ (classMinutes).value);
    if (!Number.isFinite(minutes) || minutes < 0) { showError(classErr, t('landing.class.badMinutes')); classMinutes.focus(); return; }
    const s = selectedScenario();
    const sc = s ? full.get(s.id) : null;
    const phases = sc?.phases || { briefing: 120, negotiation: 900, orders: 300, review: 180 };
    const teacher = /** @type {HTMLInputElement} */ (classTeacher).value.trim() || t('landing.class.teacherDefault');
    const bots = /** @type {HTMLSelectElement} */ (classBots).value;
    /** @type {any} */
    const body = {
      name, teacher, team_size: team, scenario: s?.id,
      deadlines: { briefing: phases.briefing, negotiation: Math.round(minutes * 60), orders: phases.orders, review: phases.review },
      bots_for_gaps: bots || undefined,
      language: classLanguage.value || undefined,
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
        showError(classErr, t('landing.class.adminNeeded'));
        if (ae.code) classErr.dataset.code = ae.code;
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
      h('h2', { id: 'games-title' }, t('landing.games.title')),
      classes.length ? h('ul', { class: 'game-list' }, classes.map((c) => h('li', { class: 'game-item', 'data-testid': 'your-class' },
        h('a', { href: `/class/${c.class_id}`, 'data-link': true, class: 'game-link' },
          h('span', { class: 'game-title' }, t('landing.games.class', { name: c.class_name })),
          h('span', { class: 'game-seat' }, c.role === 'teacher' ? t('landing.games.classConsole') : t('landing.games.classWaiting')),
          h('span', { class: 'muted' }, t('landing.games.as', { name: c.name })),
          c.join_code ? h('span', { class: 'code' }, c.join_code) : null),
        h('button', {
          type: 'button', class: 'button subtle small', 'aria-label': t('landing.games.forgetClass', { name: c.class_name }),
          onclick: () => { forgetClass(c.class_id); renderGames(); },
        }, t('landing.games.forget'))))) : null,
      seats.length === 0 && classes.length === 0
        ? h('p', { class: 'muted' }, t('landing.games.empty'))
        : h('ul', { class: 'game-list' }, seats.map((g) => h('li', { class: 'game-item', 'data-testid': 'your-game' },
          h('a', { href: `/game/${g.game_id}`, 'data-link': true, class: 'game-link' },
            g.title ? h('span', { class: 'game-title' }, `${g.title}: `) : null,
            h('span', { class: 'game-seat' }, `${seatLabel(g.seat)}`),
            h('span', { class: 'muted' }, t('landing.games.as', { name: g.name })),
            g.join_code ? h('span', { class: 'code' }, g.join_code) : null,
            h('span', { class: 'muted small game-state', 'data-testid': 'your-game-state', 'data-game': g.game_id }, stateText.get(g.game_id) || ''),
            g.saved_at ? h('span', { class: 'muted small' }, ` · ${formatDate(g.saved_at, { dateStyle: 'medium', timeStyle: 'short' })}`) : null),
          h('button', {
            type: 'button', class: 'button subtle small', 'aria-label': t('landing.games.forgetGame', { seat: seatLabel(g.seat), name: g.name }),
            onclick: () => { forgetSeat(g.game_id); renderGames(); },
          }, t('landing.games.forget'))))));
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
