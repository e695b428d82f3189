// @ts-check
/**
 * The orders form: every action of this faction with its cost (budget and political capital per
 * unit), build time, limits, prerequisites and the clauses an order of it would break (the view's
 * `order_warnings`, confirmed before submitting); the current draft with amend and withdraw; the
 * budget and capital left after the draft.
 *
 * `createOrders({store})` returns `{el, update()}`.
 *
 * Test ids: `order-form`, `budget-left`, `capital-left`, `order-draft`, `order-item`
 * (`data-order-id`, `data-action`), `order-quantity`, `order-amend`, `order-withdraw`,
 * `order-action-<action id>` (a catalogue row) containing `order-qty`, `order-submit`,
 * `order-warning`, `order-confirm` / `order-cancel` (shown when the order would breach a clause),
 * `order-error`; `orders-phase-note`; `builds`, `build` (`data-action`): this faction's builds under way.
 * @module components/orders
 */

import { h, replace, errorBox, showError } from '../dom.js';
import { num, factionName, varName, roundLabel } from '../format.js';
import { t, errorText } from '../i18n.js';

/**
 * @param {{store: import('../store.js').GameStore}} opts
 * @returns {{el: HTMLElement, update: () => void}}
 */
export function createOrders({ store }) {
  const me = /** @type {string} */ (store.faction);
  const sc = store.scenario;
  const actions = sc.actions.filter((/** @type {any} */ a) => a.owner === me);
  const byId = new Map(sc.actions.map((/** @type {any} */ a) => [a.id, a]));
  /** Typed quantities, kept across re-renders. @type {Map<string, string>} */
  const qty = new Map();
  /**
   * Actions whose order the server refused as a breach, being confirmed, with the server's
   * words. @type {Map<string, string>}
   */
  const confirming = new Map();
  /** The server refused an order as a breach: the action whose "Cancel" gets the focus. */
  let focusCancel = '';
  /** Errors per row key. @type {Map<string, any>} */
  const errors = new Map();
  /** Rows whose command is on its way. @type {Set<string>} */
  const busy = new Set();

  const el = h('div', { class: 'orders', 'data-testid': 'order-form' });
  let lastKey = '';

  /** @param {any} v */
  function totals(v) {
    let budget = 0;
    let capital = 0;
    for (const o of v.orders[me] || []) {
      const a = byId.get(o.action);
      if (!a) continue;
      budget += (a.budget || 0) * o.quantity;
      capital += (a.capital || 0) * o.quantity;
    }
    return { budget, capital };
  }

  /** @param {any} req @param {any} v */
  function reqMet(req, v) {
    const x = v.vars[req.var];
    if (x === undefined) return true;
    return (req.min == null || x >= req.min) && (req.max == null || x <= req.max);
  }

  /** @param {any} req */
  function reqText(req) {
    if (req.message) return req.message;
    const v = varName(req.var);
    if (req.min != null && req.max != null) return t('desk.orders.req.range', { var: v, min: num(req.min), max: num(req.max) });
    if (req.min != null) return t('desk.orders.req.min', { var: v, min: num(req.min) });
    if (req.max != null) return t('desk.orders.req.max', { var: v, max: num(req.max) });
    return '';
  }

  /**
   * @param {any} cmd
   * @param {string} key row key for the error
   */
  async function run(cmd, key) {
    // One command per row at a time: a double click on "Order" would order twice.
    if (busy.has(key)) return;
    busy.add(key);
    errors.delete(key);
    // The row's buttons are disabled meanwhile (and redrawn): give the focus back after.
    const active = document.activeElement;
    const row = active instanceof HTMLElement && el.contains(active)
      ? active.closest('[data-order-id], [data-testid^="order-action-"]') : null;
    const rowSel = row instanceof HTMLElement ? (row.dataset.orderId
      ? `[data-order-id="${CSS.escape(row.dataset.orderId)}"]`
      : `[data-testid="${CSS.escape(row.dataset.testid || '')}"]`) : null;
    const ctlId = active instanceof HTMLElement ? active.dataset.testid : null;
    render(true);
    try {
      const ack = await store.command(cmd);
      confirming.delete(cmd.action);
      if (cmd.type === 'submit_order') qty.delete(cmd.action);
      await store.caughtUp(ack.seq);
    } catch (x) {
      const e = /** @type {any} */ (x);
      if (e?.code === 'would_breach' && cmd.type === 'submit_order') {
        // The server decides what breaks an agreement: its refusal opens the confirmation,
        // whatever this page knew when the button was pressed.
        confirming.set(cmd.action, errorText(e) || '');
        focusCancel = cmd.action;
      } else {
        errors.set(key, x);
      }
    }
    busy.delete(key);
    render(true);
    if (focusCancel) {
      // Never the "Order anyway" button: Enter, Enter must not confirm a breach.
      const c = el.querySelector(`[data-testid="order-action-${CSS.escape(focusCancel)}"] [data-testid="order-cancel"]`);
      focusCancel = '';
      if (c instanceof HTMLElement) { c.focus(); return; }
    }
    if (rowSel && !el.contains(document.activeElement)) {
      const r = el.querySelector(rowSel);
      const again = r && (r.querySelector(`[data-testid="${CSS.escape(ctlId || '')}"]:not(:disabled)`)
        || r.querySelector('button:not(:disabled), input:not(:disabled)'));
      if (again instanceof HTMLElement) again.focus();
    }
  }

  function render(force = false) {
    const v = store.view;
    if (!v) return;
    const key = JSON.stringify([v.phase, v.orders[me], v.purses[me], v.vars, v.order_warnings, v.round, v.builds]);
    if (!force && key === lastKey) return;
    lastKey = key;
    const active = document.activeElement;
    const focus = active && el.contains(active) ? active.id : null;

    const purse = v.purses[me] || { budget: 0, capital: 0 };
    const tot = totals(v);
    const leftB = purse.budget - tot.budget;
    const leftC = purse.capital - tot.capital;
    const isOrders = v.phase === 'orders';
    const draft = v.orders[me] || [];

    const summary = h('div', { class: 'purse-summary', role: 'group', 'aria-label': t('desk.orders.afterDraft') },
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, t('desk.orders.budget')), h('span', { class: 'stat-value num' }, num(purse.budget))),
      h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, t('desk.orders.draftCosts')), h('span', { class: 'stat-value num' }, `${num(tot.budget)} / ${num(tot.capital)}`)),
      h('div', { class: ['stat', leftB < 0 && 'negative'] }, h('span', { class: 'stat-label' }, t('desk.orders.budgetLeft')), h('span', { class: 'stat-value num', 'data-testid': 'budget-left' }, num(leftB))),
      h('div', { class: ['stat', leftC < 0 && 'negative'] }, h('span', { class: 'stat-label' }, t('desk.orders.capitalLeft')), h('span', { class: 'stat-value num', 'data-testid': 'capital-left' }, num(leftC))));

    const draftBox = h('div', { class: 'order-draft', 'data-testid': 'order-draft' },
      h('h3', null, t('desk.orders.draft', { count: draft.length })),
      draft.length === 0
        ? h('p', { class: 'muted' }, isOrders ? t('desk.orders.noneYet') : t('desk.orders.none'))
        : h('ul', { class: 'order-items' }, draft.map((/** @type {any} */ o) => {
          const a = byId.get(o.action);
          const k = `order-${o.id}`;
          const qid = `oq-${o.id}`;
          const err = errorBox('order-error');
          if (errors.has(k)) showError(err, errors.get(k));
          const warn = v.order_warnings?.[o.action] || [];
          return h('li', { class: 'order-item', 'data-testid': 'order-item', 'data-order-id': String(o.id), 'data-action': o.action },
            h('div', { class: 'order-line' },
              h('span', { class: 'order-name' }, `${o.id}. ${a?.name || o.action}`),
              h('span', { class: 'muted small num' }, t('desk.orders.cost', { budget: num((a?.budget || 0) * o.quantity), capital: num((a?.capital || 0) * o.quantity) }))),
            warn.length ? h('p', { class: 'warning small' }, t('desk.orders.breaks', { what: warn.join('; ') })) : null,
            h('div', { class: 'actions' },
              h('label', { for: qid }, t('desk.orders.quantity')),
              h('input', {
                id: qid, type: 'number', min: '1', max: String(Math.min(100, a?.max_per_round || 100)), step: '1', class: 'narrow',
                value: qty.get(k) ?? String(o.quantity), disabled: !isOrders, 'data-testid': 'order-quantity',
                oninput: (/** @type {Event} */ e) => qty.set(k, /** @type {HTMLInputElement} */ (e.target).value),
              }),
              h('button', {
                type: 'button', class: 'button small', disabled: !isOrders || busy.has(k), 'data-testid': 'order-amend',
                onclick: () => {
                  const q = Number(qty.get(k) ?? o.quantity);
                  qty.delete(k);
                  run({ type: 'amend_order', order: o.id, quantity: q }, k);
                },
              }, t('desk.orders.change')),
              h('button', {
                type: 'button', class: 'button small danger', disabled: !isOrders || busy.has(k), 'data-testid': 'order-withdraw',
                'aria-label': t('desk.orders.withdrawLabel', { id: String(o.id), name: a?.name || o.action }),
                onclick: () => run({ type: 'withdraw_order', order: o.id }, k),
              }, t('desk.orders.withdraw'))),
            err);
        })));

    const rows = actions.map((/** @type {any} */ a) => {
      const k = `action-${a.id}`;
      const qid = `aq-${a.id}`;
      const warn = v.order_warnings?.[a.id] || [];
      const reqs = a.requires || [];
      const unmet = reqs.filter((/** @type {any} */ r) => !reqMet(r, v));
      const q = Number(qty.get(a.id) ?? '1') || 1;
      const cost = { b: (a.budget || 0) * q, c: (a.capital || 0) * q };
      const affordable = cost.b <= leftB + 1e-9 && cost.c <= leftC + 1e-9;
      const err = errorBox('order-error');
      if (errors.has(k)) showError(err, errors.get(k));
      const hint = h('span', { class: ['small', affordable ? 'muted' : 'negative'], 'aria-live': 'polite' },
        affordable ? t('desk.orders.leaves', { budget: num(leftB - cost.b), capital: num(leftC - cost.c) }) : t('desk.orders.overBudget'));
      /** @param {boolean} knowingly the faction confirmed the breach */
      const submit = (knowingly) => {
        const n = Math.round(Number(qty.get(a.id) ?? '1')) || 1;
        run({ type: 'submit_order', action: a.id, quantity: n, ...(knowingly ? { confirm_breach: true } : {}) }, k);
      };
      const inDraft = draft.filter((/** @type {any} */ o) => o.action === a.id).reduce((/** @type {number} */ n, /** @type {any} */ o) => n + o.quantity, 0);
      const full = inDraft >= (a.max_per_round ?? 1);
      const limit = [t('desk.orders.perRound', { count: a.max_per_round ?? 1 }), a.max_total != null ? t('desk.orders.perGame', { count: a.max_total }) : null].filter(Boolean).join(', ');
      return h('li', { class: ['action-row', unmet.length && 'unmet', warn.length && 'warned'], 'data-testid': `order-action-${a.id}` },
        h('div', { class: 'action-head' },
          h('h4', { class: 'action-name', id: `an-${a.id}` }, a.name),
          a.covert ? h('span', { class: 'tag' }, t('desk.orders.covert')) : null),
        h('dl', { class: 'action-facts' },
          h('div', null, h('dt', null, t('desk.orders.costPerUnit')), h('dd', { class: 'num' }, t('desk.orders.cost', { budget: num(a.budget || 0), capital: num(a.capital || 0) }))),
          h('div', null, h('dt', null, t('desk.orders.buildTime')), h('dd', null, a.build_rounds ? t('desk.orders.buildRounds', { count: a.build_rounds, round: roundLabel(v.round + a.build_rounds) }) : t('desk.orders.thisRound'))),
          h('div', null, h('dt', null, t('desk.orders.limit')), h('dd', null, limit))),
        a.description ? h('details', { class: 'action-desc' }, h('summary', null, t('desk.orders.whatItDoes')), h('p', null, a.description),
          a.source ? h('p', { class: 'source' }, t('desk.orders.source'), a.source) : null) : null,
        reqs.length ? h('p', { class: ['prereqs', unmet.length ? 'unmet' : 'met'], 'data-testid': 'order-prereq' },
          unmet.length ? t('desk.orders.notPossible', { reasons: unmet.map(reqText).join('; ') }) : t('desk.orders.prereqsMet')) : null,
        warn.length ? h('p', { class: 'warning', 'data-testid': 'order-warning' }, t('desk.orders.warning', { what: warn.join('; ') })) : null,
        confirming.has(a.id)
          ? h('div', { class: 'confirm', role: 'group', 'aria-label': t('desk.orders.confirmGroup') },
            h('p', { 'data-testid': 'order-breach-warning' }, t('desk.orders.confirm', {
              why: warn.length ? t('desk.orders.confirm.breaks', { what: warn.join('; ') }) : confirming.get(a.id) || t('desk.orders.confirm.agreement'),
            })),
            h('div', { class: 'actions' },
              h('button', { type: 'button', class: 'button small', 'data-testid': 'order-cancel', onclick: () => { confirming.delete(a.id); render(true); } }, t('desk.orders.cancel')),
              h('button', { type: 'button', class: 'button danger small', 'data-testid': 'order-confirm', disabled: busy.has(k), onclick: () => submit(true) }, t('desk.orders.orderAnyway'))))
          : null,
        h('div', { class: 'actions' },
          h('label', { for: qid }, t('desk.orders.quantity')),
          h('input', {
            id: qid, type: 'number', min: '1', max: String(Math.min(100, a.max_per_round || 1)), step: '1', class: 'narrow',
            value: qty.get(a.id) ?? '1', disabled: !isOrders, 'data-testid': 'order-qty',
            oninput: (/** @type {Event} */ e) => {
              qty.set(a.id, /** @type {HTMLInputElement} */ (e.target).value);
              const n = Number(qty.get(a.id)) || 1;
              const ok = (a.budget || 0) * n <= leftB + 1e-9 && (a.capital || 0) * n <= leftC + 1e-9;
              hint.className = `small ${ok ? 'muted' : 'negative'}`;
              hint.textContent = ok ? t('desk.orders.leaves', { budget: num(leftB - (a.budget || 0) * n), capital: num(leftC - (a.capital || 0) * n) }) : t('desk.orders.overBudget');
            },
          }),
          h('button', {
            type: 'button', class: 'button primary small', disabled: !isOrders || full || busy.has(k), 'data-testid': 'order-submit',
            'aria-describedby': `an-${a.id}`, onclick: () => submit(false),
          }, t('desk.orders.order')),
          full ? h('span', { class: 'small muted' }, t('desk.orders.full', { count: inDraft })) : hint),
        err);
    });

    const builds = (v.builds || []).filter((/** @type {any} */ b) => b.faction === me);
    const buildsBox = builds.length
      ? h('div', { class: 'builds', 'data-testid': 'builds' },
        h('h3', null, t('desk.orders.builds')),
        h('ul', null, builds.map((/** @type {any} */ b) => h('li', { 'data-testid': 'build', 'data-action': b.action },
          t('desk.orders.build', { name: byId.get(b.action)?.name || b.action, quantity: b.quantity > 1 ? ` × ${num(b.quantity)}` : '', round: roundLabel(b.due_round) }),
          b.covert ? h('span', { class: 'tag' }, t('desk.orders.covert')) : null))))
      : null;

    replace(el,
      h('h3', null, t('desk.orders.title', { faction: factionName(me) })),
      isOrders ? null : h('p', { class: 'hint', 'data-testid': 'orders-phase-note' }, t('desk.orders.phaseNote')),
      summary, draftBox, buildsBox,
      h('h3', null, t('desk.orders.actions')),
      h('ul', { class: 'action-list' }, rows));

    if (focus) {
      const again = el.querySelector(`#${CSS.escape(focus)}`);
      if (again instanceof HTMLElement) again.focus();
    }
  }

  render();
  return { el, update: () => render() };
}
