// @ts-check
/**
 * Negotiation: a proposal builder made of clause cards, the proposals this faction is party to
 * (accept, reject with a reason, counter with the builder prefilled, withdraw its own), and the
 * agreements it can see.
 *
 * `createProposals({store})` returns `{el, update()}`.
 *
 * Terms sent (docs/protocol.md §5): `{title, parties, clauses, duration_rounds, public}`; a clause
 * is `{kind, by}` plus exactly the details its card's form takes: forbid → `action`; cap →
 * `var`, `max`; transfer → `to`, `amount`; guarantee / transparency / cooperation → nothing.
 *
 * Test ids: `proposal-builder`, `proposal-title`, `party-<faction>`, `clause-card-<kind>` (add a
 * clause of that kind), `clause` (a clause in the draft, `data-kind`), `clause-by`,
 * `clause-action`, `clause-var`, `clause-max`, `clause-to`, `clause-amount`, `clause-remove`,
 * `proposal-duration`, `proposal-public`, `proposal-submit`, `proposal-error`,
 * `counter-banner`, `counter-cancel`; `proposals`, `proposal` (`data-proposal-id`,
 * `data-status`), `accept`, `reject`, `reject-reason`, `reject-confirm`, `counter`, `withdraw`,
 * `proposal-action-error`, `rejection-reason`; `agreements`, `agreement` (`data-agreement-id`, `data-status`).
 * @module components/proposals
 */

import { h, replace, errorBox, showError } from '../dom.js';
import {
  factionName, factionColour, clauseText, statusText, roundLabel, variable, andList, num, pct,
} from '../format.js';
import { t, has } from '../i18n.js';

/** The most clauses a proposal holds (the server's limit too). */
const MAX_CLAUSES = 12;

/**
 * @typedef {{kind: string, by: string, action?: string, var?: string, max?: number, to?: string, amount?: number}} Clause
 * @typedef {{title: string, parties: string[], clauses: Clause[], duration_rounds: number, public: boolean}} Terms
 */

/**
 * @param {{store: import('../store.js').GameStore}} opts
 * @returns {{el: HTMLElement, update: () => void}}
 */
export function createProposals({ store }) {
  const me = /** @type {string} */ (store.faction);
  const sc = store.scenario;
  const factionIds = sc.factions.map((/** @type {any} */ f) => f.id);
  const kinds = sc.clause_kinds;
  const rounds = sc.rounds.length;

  /** @type {{title: string, parties: Set<string>, clauses: Clause[], duration: number, public: boolean, counterOf: any}} */
  let draft = freshDraft();
  let paletteOpen = true;

  function freshDraft() {
    return { title: '', parties: new Set([me]), clauses: [], duration: Math.min(3, rounds), public: true, counterOf: null };
  }

  // ---- builder ----
  const builderErr = errorBox('proposal-error');
  const submitBtn = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'proposal-submit' }, t('desk.proposals.propose'));
  const phaseNote = h('p', { class: 'hint' });
  const builderBody = h('div');
  const builder = h('form', { class: 'builder', 'data-testid': 'proposal-builder', 'aria-labelledby': 'pb-title-h', novalidate: true },
    h('h3', { id: 'pb-title-h' }, t('desk.proposals.draft')),
    builderBody, builderErr,
    h('div', { class: 'actions' }, submitBtn, phaseNote));

  /** @param {string} by @param {any} kind */
  function actionChoices(by, kind) {
    return sc.actions.filter((/** @type {any} */ a) => a.owner === by && (!kind.actions.length || kind.actions.includes(a.id)));
  }
  /** @param {string} by @param {any} kind */
  function varChoices(by, kind) {
    return sc.variables.filter((/** @type {any} */ v) => v.owner === by && (!kind.vars.length || kind.vars.includes(v.id)));
  }
  /** @param {any} kind */
  function byChoices(kind) {
    const parties = [...draft.parties];
    return kind.givers.length ? parties.filter((p) => kind.givers.includes(p)) : parties;
  }

  /** Fills a clause's details with valid defaults for its kind and bound party. @param {Clause} c */
  function normalise(c) {
    const kind = kinds.find((/** @type {any} */ k) => k.id === c.kind);
    const bys = byChoices(kind);
    if (!bys.includes(c.by)) c.by = bys[0] || c.by;
    /** @type {Clause} */
    const out = { kind: c.kind, by: c.by };
    if (kind.form === 'forbid') {
      const acts = actionChoices(c.by, kind);
      out.action = acts.some((/** @type {any} */ a) => a.id === c.action) ? c.action : acts[0]?.id;
    } else if (kind.form === 'cap') {
      const vars = varChoices(c.by, kind);
      out.var = vars.some((/** @type {any} */ v) => v.id === c.var) ? c.var : vars[0]?.id;
      out.max = c.var === out.var && c.max !== undefined ? c.max : (store.view?.vars?.[out.var || ''] ?? 0);
    } else if (kind.form === 'transfer') {
      const others = [...draft.parties].filter((p) => p !== c.by);
      out.to = others.includes(c.to || '') ? c.to : others[0];
      out.amount = c.amount ?? 1;
    }
    return out;
  }

  function renderBuilder() {
    const active = document.activeElement;
    const focusId = active && builder.contains(active) ? active.id : null;
    const counter = draft.counterOf;
    replace(builderBody,
      counter ? h('p', { class: 'warning', 'data-testid': 'counter-banner' },
        t('desk.proposals.countering', { title: counter.terms.title, faction: factionName(counter.proposer) }),
        h('button', { type: 'button', class: 'button subtle small', 'data-testid': 'counter-cancel', onclick: () => { draft = freshDraft(); renderBuilder(); } }, t('desk.proposals.cancelCounter'))) : null,
      h('div', { class: 'field' },
        h('label', { for: 'pb-title' }, t('desk.proposals.title')),
        h('input', {
          id: 'pb-title', maxlength: '200', value: draft.title, 'data-testid': 'proposal-title', placeholder: t('desk.proposals.titlePlaceholder'),
          oninput: (/** @type {Event} */ e) => { draft.title = /** @type {HTMLInputElement} */ (e.target).value; },
        })),
      h('fieldset', { class: 'field' },
        h('legend', null, t('desk.proposals.parties')),
        h('div', { class: 'choices' }, factionIds.map((/** @type {string} */ f) => {
          const id = `pb-party-${f}`;
          return h('div', { class: 'choice' },
            h('input', {
              type: 'checkbox', id, checked: draft.parties.has(f), disabled: f === me || !!counter, 'data-testid': `party-${f}`,
              onchange: (/** @type {Event} */ e) => {
                if (/** @type {HTMLInputElement} */ (e.target).checked) draft.parties.add(f); else draft.parties.delete(f);
                draft.clauses = draft.clauses.map(normalise);
                renderBuilder();
              },
            }),
            h('label', { for: id }, factionName(f), f === me ? t('desk.proposals.you') : ''));
        }))),
      h('div', { class: 'field' },
        h('h4', { id: 'pb-clauses-h' }, t('desk.proposals.clauses', { count: draft.clauses.length, max: MAX_CLAUSES })),
        draft.clauses.length
          ? h('ol', { class: 'clause-list', 'aria-labelledby': 'pb-clauses-h' }, draft.clauses.map((c, i) => h('li', null, clauseCard(c, i))))
          : h('p', { class: 'muted' }, t('desk.proposals.noClauses'))),
      h('details', { class: 'field card-palette', open: paletteOpen, ontoggle: (/** @type {Event} */ e) => { paletteOpen = /** @type {HTMLDetailsElement} */ (e.target).open; } },
        h('summary', null, t('desk.proposals.cards')),
        h('div', { class: 'cards' }, kinds.map((/** @type {any} */ k) => {
          // An unavailable card stays focusable and says why (aria-disabled, not disabled).
          const why = draft.clauses.length >= MAX_CLAUSES ? t('desk.proposals.card.full', { max: MAX_CLAUSES })
            : byChoices(k).length === 0 ? t(k.givers.length > 1 ? 'desk.proposals.card.onlyMany' : 'desk.proposals.card.onlyOne', { givers: andList(k.givers.map(factionName)) })
              : '';
          const whyId = `pb-card-why-${k.id}`;
          return h('button', {
            type: 'button', class: 'clause-card-button', 'data-testid': `clause-card-${k.id}`,
            'aria-disabled': why ? 'true' : null, 'aria-describedby': why ? whyId : null,
            title: k.description || k.name,
            onclick: () => {
              if (why) return;
              // A card that concerns other factions (the NATO–Russia joint centre) needs them
              // among the parties: add them, unless this is a counter (its parties are fixed).
              if (!draft.counterOf) for (const f of k.parties || []) draft.parties.add(f);
              draft.clauses.push(normalise({ kind: k.id, by: byChoices(k)[0] }));
              renderBuilder();
              const last = builder.querySelector(`#pb-clause-${draft.clauses.length - 1}-by`);
              if (last instanceof HTMLElement) last.focus();
            },
          },
          h('span', { class: 'card-name' }, h('span', { class: 'visually-hidden' }, t('desk.proposals.card.add')), k.name),
          h('span', { class: 'card-form' }, formLabel(k.form)),
          k.capital_cost ? h('span', { class: 'card-cost' }, t('desk.proposals.card.capital', { amount: num(k.capital_cost) })) : null,
          why ? h('span', { class: 'card-why', id: whyId }, why) : null);
        }))),
      h('div', { class: 'grid-fields' },
        h('div', { class: 'field' },
          h('label', { for: 'pb-duration' }, t('desk.proposals.duration')),
          h('input', {
            id: 'pb-duration', type: 'number', min: '1', max: String(rounds), step: '1', value: String(draft.duration),
            class: 'narrow', 'data-testid': 'proposal-duration',
            oninput: (/** @type {Event} */ e) => { draft.duration = Number(/** @type {HTMLInputElement} */ (e.target).value); },
          })),
        h('div', { class: 'field choice' },
          h('input', {
            type: 'checkbox', id: 'pb-public', checked: draft.public, 'data-testid': 'proposal-public',
            onchange: (/** @type {Event} */ e) => { draft.public = /** @type {HTMLInputElement} */ (e.target).checked; },
          }),
          h('label', { for: 'pb-public' }, t('desk.proposals.public')))));
    submitBtn.textContent = counter ? t('desk.proposals.sendCounter') : t('desk.proposals.propose');
    if (focusId) {
      const again = builder.querySelector(`#${CSS.escape(focusId)}`);
      if (again instanceof HTMLElement) again.focus();
    }
    updateSubmit();
  }

  /** @param {Clause} c @param {number} i */
  function clauseCard(c, i) {
    const kind = kinds.find((/** @type {any} */ k) => k.id === c.kind);
    const pre = `pb-clause-${i}`;
    /** @param {string} field @param {(v: string) => any} conv */
    const set = (field, conv) => (/** @type {Event} */ e) => {
      /** @type {any} */ (draft.clauses[i])[field] = conv(/** @type {HTMLInputElement} */ (e.target).value);
      if (field === 'by' || field === 'var') {
        draft.clauses[i] = normalise(draft.clauses[i]);
        renderBuilder();
      }
    };
    /** @type {any[]} */
    const details = [];
    if (kind.form === 'forbid') {
      const acts = actionChoices(c.by, kind);
      details.push(h('div', { class: 'field' },
        h('label', { for: `${pre}-action` }, t('desk.proposals.clause.action')),
        acts.length
          ? h('select', { id: `${pre}-action`, 'data-testid': 'clause-action', onchange: set('action', String) },
            acts.map((/** @type {any} */ a) => h('option', { value: a.id, selected: a.id === c.action }, a.name)))
          : h('p', { class: 'warning', id: `${pre}-action` }, t('desk.proposals.clause.noAction', { faction: factionName(c.by) }))));
    } else if (kind.form === 'cap') {
      const vars = varChoices(c.by, kind);
      const v = c.var ? variable(c.var) : null;
      details.push(h('div', { class: 'grid-fields' },
        h('div', { class: 'field' },
          h('label', { for: `${pre}-var` }, t('desk.proposals.clause.var')),
          vars.length
            ? h('select', { id: `${pre}-var`, 'data-testid': 'clause-var', onchange: set('var', String) },
              vars.map((/** @type {any} */ x) => h('option', { value: x.id, selected: x.id === c.var }, x.name)))
            : h('p', { class: 'warning', id: `${pre}-var` }, t('desk.proposals.clause.noVar', { faction: factionName(c.by) }))),
        h('div', { class: 'field' },
          h('label', { for: `${pre}-max` }, v?.unit ? t('desk.proposals.clause.atMostUnit', { unit: v.unit }) : t('desk.proposals.clause.atMost')),
          h('input', {
            id: `${pre}-max`, type: 'number', class: 'narrow', step: 'any', min: v ? String(v.min) : null, max: v ? String(v.max) : null,
            value: String(c.max ?? 0), 'data-testid': 'clause-max', oninput: set('max', Number),
          }))));
    } else if (kind.form === 'transfer') {
      const others = [...draft.parties].filter((p) => p !== c.by);
      details.push(h('div', { class: 'grid-fields' },
        h('div', { class: 'field' },
          h('label', { for: `${pre}-to` }, t('desk.proposals.clause.to')),
          h('select', { id: `${pre}-to`, 'data-testid': 'clause-to', onchange: set('to', String) },
            others.map((p) => h('option', { value: p, selected: p === c.to }, factionName(p))))),
        h('div', { class: 'field' },
          h('label', { for: `${pre}-amount` }, t('desk.proposals.clause.amount')),
          h('input', {
            id: `${pre}-amount`, type: 'number', class: 'narrow', min: '0.5', max: '1000', step: 'any',
            value: String(c.amount ?? 1), 'data-testid': 'clause-amount', oninput: set('amount', Number),
          }))));
    }
    const bys = byChoices(kind);
    const missing = (kind.parties || []).filter((/** @type {string} */ f) => !draft.parties.has(f));
    return h('fieldset', { class: 'clause-card', 'data-testid': 'clause', 'data-kind': c.kind, id: `${pre}` },
      h('legend', null, t('desk.proposals.clause.legend', { n: i + 1, name: kind.name })),
      kind.description ? h('p', { class: 'hint' }, kind.description) : null,
      bys.length
        ? h('div', { class: 'field' },
          h('label', { for: `${pre}-by` }, t('desk.proposals.clause.by')),
          h('select', { id: `${pre}-by`, 'data-testid': 'clause-by', onchange: set('by', String) },
            bys.map((p) => h('option', { value: p, selected: p === c.by }, factionName(p)))))
        : h('p', { class: 'warning', id: `${pre}-by` }, t('desk.proposals.clause.onlyGivers', { count: kind.givers.length, givers: andList(kind.givers.map(factionName)) })),
      missing.length
        ? h('p', { class: 'warning', 'data-testid': 'clause-missing-party' }, t('desk.proposals.clause.missing', {
          name: kind.name, parties: andList(kind.parties.map(factionName)), missing: andList(missing.map(factionName)),
        }))
        : null,
      details,
      kind.capital_cost || kind.ratification
        ? h('p', { class: 'hint' },
          kind.capital_cost ? t('desk.proposals.clause.capitalCost', { amount: num(kind.capital_cost) }) : '',
          kind.ratification ? t('desk.proposals.clause.ratification', { chance: pct(kind.ratification, 0) }) : '')
        : null,
      h('button', {
        type: 'button', class: 'button subtle small', 'data-testid': 'clause-remove', 'aria-label': t('desk.proposals.clause.removeLabel', { n: i + 1 }),
        onclick: () => { draft.clauses.splice(i, 1); renderBuilder(); },
      }, t('desk.proposals.clause.remove')));
  }

  /** @returns {Terms} */
  function terms() {
    return {
      title: draft.title.trim(),
      parties: [...draft.parties].sort(),
      clauses: draft.clauses.map((c) => {
        const kind = kinds.find((/** @type {any} */ k) => k.id === c.kind);
        /** @type {Clause} */
        const out = { kind: c.kind, by: c.by };
        if (kind.form === 'forbid' && c.action) out.action = c.action;
        if (kind.form === 'cap') { if (c.var) out.var = c.var; out.max = Number(c.max); }
        if (kind.form === 'transfer') { if (c.to) out.to = c.to; out.amount = Number(c.amount); }
        return out;
      }),
      duration_rounds: Math.round(Number(draft.duration)),
      public: draft.public,
    };
  }

  /**
   * A problem the server would refuse, in words, with the clause it concerns (0-based), if any.
   * @returns {{text: string, clause?: number} | null}
   */
  function check() {
    const proposed = terms();
    if (!proposed.title) return { text: t('desk.proposals.check.title') };
    if (proposed.parties.length < 2) return { text: t('desk.proposals.check.parties') };
    if (!proposed.clauses.length) return { text: t('desk.proposals.check.clauses') };
    if (!(proposed.duration_rounds >= 1 && proposed.duration_rounds <= rounds)) return { text: t('desk.proposals.check.duration', { count: rounds }) };
    for (const [i, c] of proposed.clauses.entries()) {
      const kind = kinds.find((/** @type {any} */ k) => k.id === c.kind);
      /** @param {string} key @param {Record<string, string | number>} [params] */
      const bad = (key, params = {}) => ({ text: t(key, { n: i + 1, name: kind.name, ...params }), clause: i });
      if (!byChoices(kind).includes(c.by)) return bad('desk.proposals.check.giver', { givers: andList((kind.givers.length ? kind.givers : [c.by]).map(factionName)) });
      const missing = (kind.parties || []).filter((/** @type {string} */ f) => !proposed.parties.includes(f));
      if (missing.length) return bad('desk.proposals.check.missing', { missing: andList(missing.map(factionName)) });
      if (kind.form === 'forbid' && !c.action) return bad('desk.proposals.check.action');
      if (kind.form === 'cap' && (!c.var || !Number.isFinite(c.max))) return bad('desk.proposals.check.cap');
      if (kind.form === 'cap' && c.var) {
        const vd = variable(c.var);
        if (vd && (/** @type {number} */ (c.max) < vd.min || /** @type {number} */ (c.max) > vd.max)) return bad('desk.proposals.check.capRange', { min: num(vd.min), max: num(vd.max) });
      }
      if (kind.form === 'transfer' && (!c.to || !(Number(c.amount) > 0 && Number(c.amount) <= 1000))) return bad('desk.proposals.check.transfer', { max: num(1000) });
    }
    return null;
  }

  /** A proposal is on its way: no second one until it is answered. */
  let submitting = false;

  function updateSubmit() {
    const v = store.view;
    const open = v?.phase === 'negotiation';
    submitBtn.disabled = !open || submitting;
    replace(phaseNote, open ? '' : t('desk.proposals.phaseNote'));
  }

  builder.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (submitting) return;
    showError(builderErr, null);
    builder.querySelectorAll('.clause-card.invalid').forEach((x) => x.classList.remove('invalid'));
    const problem = check();
    if (problem) {
      showError(builderErr, problem.text);
      if (problem.clause !== undefined) builder.querySelector(`#pb-clause-${problem.clause}`)?.classList.add('invalid');
      return;
    }
    const sent = terms();
    const cmd = draft.counterOf ? { type: 'counter', proposal: draft.counterOf.id, terms: sent } : { type: 'propose', terms: sent };
    submitting = true;
    submitBtn.disabled = true;
    try {
      await store.command(cmd);
      draft = freshDraft();
      renderBuilder();
    } catch (x) {
      const err = /** @type {any} */ (x);
      showError(builderErr, err);
      const m = /clause (\d+)/.exec(err.message || '');
      if (err.code === 'malformed_clause' && m) builder.querySelector(`#pb-clause-${Number(m[1]) - 1}`)?.classList.add('invalid');
    } finally {
      submitting = false;
      updateSubmit();
    }
  });

  // ---- proposals and agreements ----
  const listBox = h('div', { class: 'proposal-list', 'data-testid': 'proposals' });
  const agreementsBox = h('div', { class: 'agreement-list', 'data-testid': 'agreements' });
  /** UI state per proposal id: the reject reason box open, its error. */
  /** @type {Map<number, {rejecting?: boolean, reason?: string}>} */
  const ui = new Map();

  /** @param {any} p */
  function proposalCard(p) {
    const v = store.view;
    const open = p.status.status === 'open';
    const canAct = open && v.phase === 'negotiation' && p.terms.parties.includes(me);
    const accepted = p.accepted_by.includes(me);
    const st = ui.get(p.id) || {};
    const err = errorBox('proposal-action-error');
    /** @param {any} cmd @param {HTMLButtonElement} btn */
    const run = async (cmd, btn) => {
      showError(err, null);
      btn.disabled = true;
      try {
        await store.command(cmd);
        ui.delete(p.id);
      } catch (x) {
        showError(err, /** @type {any} */ (x));
        btn.disabled = false;
      }
    };
    const reasonId = `reason-${p.id}`;
    /** @type {any[]} */
    const buttons = [];
    if (canAct && !accepted) {
      buttons.push(h('button', { type: 'button', class: 'button ok small', 'data-testid': 'accept', onclick: (/** @type {Event} */ e) => run({ type: 'accept', proposal: p.id }, /** @type {HTMLButtonElement} */ (e.currentTarget)) }, t('desk.proposals.accept')));
    }
    if (canAct && p.proposer !== me) {
      buttons.push(h('button', {
        type: 'button', class: 'button small danger', 'data-testid': 'reject', 'aria-expanded': st.rejecting ? 'true' : 'false',
        onclick: () => { ui.set(p.id, { ...st, rejecting: !st.rejecting }); renderLists(); const r = listBox.querySelector(`#${CSS.escape(reasonId)}`); if (r instanceof HTMLElement) r.focus(); },
      }, t('desk.proposals.reject')));
      buttons.push(h('button', {
        type: 'button', class: 'button small', 'data-testid': 'counter',
        onclick: () => startCounter(p),
      }, t('desk.proposals.counter')));
    }
    if (open && p.proposer === me) {
      buttons.push(h('button', { type: 'button', class: 'button small', 'data-testid': 'withdraw', onclick: (/** @type {Event} */ e) => run({ type: 'withdraw', proposal: p.id }, /** @type {HTMLButtonElement} */ (e.currentTarget)) }, t('desk.proposals.withdraw')));
    }
    const rejectForm = st.rejecting && canAct
      ? h('form', {
        class: 'reject-form',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          const reason = /** @type {HTMLInputElement} */ (/** @type {HTMLFormElement} */ (e.target).querySelector('input')).value.trim();
          run({ type: 'reject', proposal: p.id, reason }, /** @type {HTMLButtonElement} */ (/** @type {HTMLFormElement} */ (e.target).querySelector('button[type=submit]')));
        },
      },
      h('label', { for: reasonId }, t('desk.proposals.reason')),
      h('div', { class: 'chat-row' },
        h('input', {
          id: reasonId, maxlength: '200', value: st.reason || '', 'data-testid': 'reject-reason',
          oninput: (/** @type {Event} */ e) => { ui.set(p.id, { ...st, rejecting: true, reason: /** @type {HTMLInputElement} */ (e.target).value }); },
        }),
        h('button', { type: 'submit', class: 'button danger small', 'data-testid': 'reject-confirm' }, t('desk.proposals.rejectConfirm'))))
      : null;

    const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.setProperty('--swatch', factionColour(p.proposer));
    return h('article', {
      class: ['proposal', `status-${p.status.status}`], 'data-testid': 'proposal', 'data-proposal-id': String(p.id),
      'data-status': p.status.status, 'aria-labelledby': `prop-${p.id}-t`,
    },
    h('header', { class: 'proposal-head' },
      h('h4', { id: `prop-${p.id}-t` }, p.terms.title),
      h('span', { class: ['tag', open ? 'warn' : p.status.status === 'signed' ? 'ok' : p.status.status === 'rejected' ? 'danger' : ''] },
        p.status.status === 'rejected' ? t('desk.proposals.rejectedBy', { faction: factionName(p.status.by) }) : statusText(p.status)),
      h('span', { class: 'tag' }, p.terms.public ? t('desk.proposals.publicTag') : t('desk.proposals.privateTag'))),
    p.status.status === 'rejected' && p.status.reason
      ? h('p', { class: 'small reject-reason', 'data-testid': 'rejection-reason' }, t('desk.proposals.reasonShown'), h('q', null, p.status.reason))
      : null,
    h('p', { class: 'muted small' }, sw,
      t('desk.proposals.meta', {
        faction: factionName(p.proposer), round: roundLabel(p.round), count: p.terms.duration_rounds, parties: andList(p.terms.parties.map(factionName)),
      }),
      p.counter_of ? t('desk.proposals.isCounter') : ''),
    h('ol', { class: 'clauses' }, p.terms.clauses.map((/** @type {any} */ c) => h('li', null, clauseText(c)))),
    h('p', { class: 'small' }, t('desk.proposals.acceptedBy'), p.terms.parties.map((/** @type {string} */ f, /** @type {number} */ i) => [
      i ? ', ' : '',
      h('span', { class: p.accepted_by.includes(f) ? 'accepted' : 'waiting' }, t(p.accepted_by.includes(f) ? 'desk.proposals.accepted' : 'desk.proposals.notYet', { faction: factionName(f) })),
    ])),
    buttons.length ? h('div', { class: 'actions' }, buttons) : null,
    rejectForm, err);
  }

  /** @param {any} p */
  function startCounter(p) {
    draft = {
      title: p.terms.title.length < 190 ? t('desk.proposals.counterTitle', { title: p.terms.title }) : p.terms.title,
      parties: new Set(p.terms.parties),
      clauses: p.terms.clauses.map((/** @type {any} */ c) => ({ ...c })),
      duration: p.terms.duration_rounds,
      public: p.terms.public,
      counterOf: p,
    };
    renderBuilder();
    builder.scrollIntoView({ block: 'start', behavior: 'smooth' });
    const titleInput = builder.querySelector('#pb-title');
    if (titleInput instanceof HTMLElement) titleInput.focus({ preventScroll: true });
  }

  /** @param {any} a */
  function agreementCard(a) {
    return h('article', {
      class: ['agreement', `status-${a.status.status}`], 'data-testid': 'agreement', 'data-agreement-id': String(a.id),
      'data-status': a.status.status, 'aria-labelledby': `agr-${a.id}-t`,
    },
    h('header', { class: 'proposal-head' },
      h('h4', { id: `agr-${a.id}-t` }, a.terms.title),
      h('span', { class: ['tag', a.status.status === 'in_force' ? 'ok' : a.status.status === 'broken' ? 'danger' : ''] }, statusText(a.status)),
      h('span', { class: 'tag' }, a.terms.public ? t('desk.proposals.publicTag') : t('desk.proposals.privateTag'))),
    h('p', { class: 'muted small' }, a.until_round < rounds
      ? t('desk.proposals.agreementMeta', { parties: andList(a.terms.parties.map(factionName)), signed: roundLabel(a.signed_round), until: roundLabel(a.until_round) })
      : t('desk.proposals.agreementMetaEnd', { parties: andList(a.terms.parties.map(factionName)), signed: roundLabel(a.signed_round) })),
    h('ol', { class: 'clauses' }, a.terms.clauses.map((/** @type {any} */ c) => h('li', null, clauseText(c)))));
  }

  let lastListKey = '';
  function renderLists() {
    const v = store.view;
    const props = [...v.proposals].sort((a, b) => {
      const ao = a.status.status === 'open' ? 0 : 1;
      const bo = b.status.status === 'open' ? 0 : 1;
      return ao - bo || b.round - a.round;
    });
    const openOnes = props.filter((p) => p.status.status === 'open');
    const recent = props.filter((p) => p.status.status !== 'open' && p.round === v.round);
    const older = props.filter((p) => p.status.status !== 'open' && p.round !== v.round);
    replace(listBox,
      h('h3', null, t('desk.proposals.list', { count: openOnes.length })),
      openOnes.length ? openOnes.map(proposalCard) : h('p', { class: 'muted' }, t('desk.proposals.noneOpen')),
      recent.length ? h('div', { class: 'recent' }, h('h4', null, t('desk.proposals.closedNow')), recent.map(proposalCard)) : null,
      older.length ? h('details', { class: 'older' }, h('summary', null, t('desk.proposals.closedEarlier', { count: older.length })), older.map(proposalCard)) : null);
    const ags = [...v.agreements].sort((a, b) => b.signed_round - a.signed_round);
    replace(agreementsBox,
      h('h3', null, t('desk.proposals.agreements')),
      ags.length ? ags.map(agreementCard) : h('p', { class: 'muted' }, t('desk.proposals.noAgreement')));
    lastListKey = listKey();
  }

  function listKey() {
    const v = store.view;
    return JSON.stringify([v.phase, v.proposals.map((/** @type {any} */ p) => [p.id, p.status, p.accepted_by]), v.agreements.map((/** @type {any} */ a) => [a.id, a.status])]);
  }

  function update() {
    if (!store.view) return;
    updateSubmit();
    // Re-render the lists only when they changed, so a reason being typed keeps its focus.
    if (listKey() !== lastListKey) {
      const active = document.activeElement;
      const focusTestId = active && listBox.contains(active) ? active.getAttribute('data-testid') : null;
      const focusCard = active && listBox.contains(active) ? active.closest('[data-proposal-id]')?.getAttribute('data-proposal-id') : null;
      renderLists();
      if (focusTestId && focusCard) {
        const again = listBox.querySelector(`[data-proposal-id="${focusCard}"] [data-testid="${focusTestId}"]`);
        if (again instanceof HTMLElement) again.focus();
      }
    }
  }

  const el = h('div', { class: 'negotiation' }, listBox, builder, agreementsBox);
  renderBuilder();
  renderLists();
  return { el, update };
}

/** @param {string} form */
function formLabel(form) {
  const key = `desk.proposals.form.${form}`;
  return has(key) ? t(key) : form;
}
