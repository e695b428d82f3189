// @ts-check
/**
 * Outside agents in the client (docs/protocol.md, `POST /api/games/{id}/agents`,
 * `DELETE /api/games/{id}/agents/{faction}`, `approve_message`, `reject_message`): the console's
 * Outside agents panel (hand a faction to an agent, its token shown once; revoke it), the queue
 * of agents' messages waiting for Control's approval, and the words for who plays a faction.
 *
 * Test ids: `agents-panel`, `agent-faction`, `agent-name`, `agent-approve-chat`, `agent-create`,
 * `agent-error`, `agent-result`, `agent-token`, `agent-command`, `agent-row` (with
 * `data-faction`), `agent-revoke`, `held-queue`, `held-count`, `held-message` (with
 * `data-faction`, `data-held`), `held-approve`, `held-reason`, `held-reject`, `held-decided`.
 * @module components/agents
 */

import * as api from '../api.js';
import { h, replace, errorBox, showError, uniqueId } from '../dom.js';
import { channelLabel, factionName, temperamentName, timeOfDay } from '../format.js';
import { t } from '../i18n.js';

/**
 * Who plays faction `f`, in words: an outside agent, a bot, or people.
 * @param {any} view @param {string} f
 */
export function playedBy(view, f) {
  const agent = view?.agents?.[f];
  if (agent) return t('agents.playedByAgent', { name: agent.name });
  const bot = view?.bots?.[f];
  if (bot) return t('facilitator.playedByBot', { temperament: temperamentName(bot).toLowerCase() });
  return t('facilitator.playedByPeople');
}

/**
 * The console's Outside agents panel.
 * @param {{store: import('../store.js').GameStore, factions: string[]}} opts
 * @returns {{el: HTMLElement, update: () => void}}
 */
export function createAgentsPanel({ store, factions }) {
  const factionId = uniqueId('agent-faction');
  const nameId = uniqueId('agent-name');
  const approveId = uniqueId('agent-approve');
  const faction = /** @type {HTMLSelectElement} */ (h('select', { id: factionId, 'data-testid': 'agent-faction' }));
  const name = /** @type {HTMLInputElement} */ (h('input', { id: nameId, type: 'text', maxlength: '40', value: t('agents.defaultName'), 'data-testid': 'agent-name' }));
  const approve = /** @type {HTMLInputElement} */ (h('input', { id: approveId, type: 'checkbox', checked: true, 'data-testid': 'agent-approve-chat' }));
  const create = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'button', 'data-testid': 'agent-create' }, t('agents.create')));
  const err = errorBox('agent-error');
  const result = h('div', { 'data-testid': 'agent-result', role: 'status' });
  const list = h('ul', { class: 'plain-list small' });
  const form = h('form', { class: 'stack-form' },
    h('label', { for: factionId }, t('agents.faction')), faction,
    h('label', { for: nameId }, t('agents.name')), name,
    h('div', { class: 'choice' }, approve, h('label', { for: approveId }, t('agents.approveChat'))),
    h('div', { class: 'actions' }, create), err);
  const el = h('details', { class: 'panel', id: 'sec-agents', 'data-testid': 'agents-panel' },
    h('summary', null, h('h2', { class: 'inline' }, t('agents.title'))),
    h('p', { class: 'hint' }, t('agents.hint')),
    list, form, result);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    create.disabled = true;
    try {
      const r = await api.addAgent(store.gameId, store.token, {
        faction: faction.value, name: name.value.trim(), approve_chat: approve.checked,
      });
      const tokenId = uniqueId('agent-token');
      const commandId = uniqueId('agent-command');
      const command = `python clients/python/examples/agent.py --url ${location.origin} --token ${r.token}`;
      replace(result,
        h('p', null, t('agents.created', { name: r.name, faction: factionName(r.faction) })),
        h('label', { for: tokenId }, t('agents.token')), ' ',
        h('input', { id: tokenId, type: 'text', readOnly: true, value: r.token, class: 'join-link-input', 'data-testid': 'agent-token' }),
        h('p', { class: 'small' }, h('label', { for: commandId }, t('agents.command'))),
        h('input', { id: commandId, type: 'text', readOnly: true, value: command, class: 'join-link-input', 'data-testid': 'agent-command' }));
    } catch (x) {
      showError(err, /** @type {any} */ (x));
    } finally {
      create.disabled = false;
      update(true);
    }
  });

  let key = '';
  /** @param {boolean} [force] */
  function update(force = false) {
    const v = store.view;
    const k = JSON.stringify([v.agents, v.bots, v.phase]);
    if (k === key && !force) return;
    key = k;
    const agents = v.agents || {};
    const ended = v.phase === 'ended';
    replace(list, Object.keys(agents).length
      ? Object.entries(agents).map(([f, a]) => {
        const rerr = errorBox('agent-revoke-error');
        const revoke = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button small danger', 'data-testid': 'agent-revoke', disabled: ended }, t('agents.revoke')));
        revoke.setAttribute('aria-label', t('agents.revokeLabel', { name: a.name, faction: factionName(f) }));
        revoke.addEventListener('click', async () => {
          showError(rerr, null);
          revoke.disabled = true;
          try {
            await api.revokeAgent(store.gameId, store.token, f);
            replace(result, h('p', null, t('agents.revoked', { name: a.name, faction: factionName(f) })));
          } catch (x) {
            showError(rerr, /** @type {any} */ (x));
            revoke.disabled = false;
          }
        });
        return h('li', { 'data-testid': 'agent-row', 'data-faction': f },
          t(a.approve_chat ? 'agents.rowApproved' : 'agents.rowFree', { faction: factionName(f), name: a.name }), ' ', revoke, rerr);
      })
      : [h('li', { class: 'muted' }, t('agents.none'))]);
    const open = factions.filter((f) => !agents[f] && !v.bots?.[f]);
    const chosen = faction.value;
    replace(faction, open.map((f) => h('option', { value: f, selected: f === chosen }, factionName(f))));
    create.disabled = !open.length || ended;
  }

  update();
  return { el, update: () => update() };
}

/**
 * The console's queue of agents' messages waiting for approval, with the decided ones below.
 * @param {{store: import('../store.js').GameStore, run: (command: any, btn: HTMLButtonElement, err: HTMLElement) => Promise<boolean>}} opts
 * @returns {{el: HTMLElement, update: () => void}}
 */
export function createHeldQueue({ store, run }) {
  const count = h('span', { class: 'badge', 'data-testid': 'held-count' });
  const body = h('div', { 'data-testid': 'held-queue' });
  const el = h('section', { class: 'panel', id: 'sec-held', 'aria-labelledby': 'held-title' },
    h('h2', { id: 'held-title' }, t('agents.held.title'), ' ', count),
    h('p', { class: 'hint' }, t('agents.held.hint')), body);
  let key = '';
  function update() {
    const v = store.view;
    const held = v.held || [];
    const k = JSON.stringify([held, v.phase]);
    if (k === key) return;
    key = k;
    el.hidden = !held.length && !Object.keys(v.agents || {}).length;
    const waiting = held.filter((/** @type {any} */ m) => !m.decision);
    const decided = held.filter((/** @type {any} */ m) => m.decision).reverse();
    count.textContent = String(waiting.length);
    const ended = v.phase === 'ended';
    replace(body,
      waiting.length
        ? h('ul', { class: 'plain-list' }, waiting.map((/** @type {any} */ m) => {
          const err = errorBox('held-error');
          const reasonId = uniqueId('held-reason');
          const reason = /** @type {HTMLInputElement} */ (h('input', { id: reasonId, type: 'text', maxlength: '200', 'data-testid': 'held-reason' }));
          const yes = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button small primary', 'data-testid': 'held-approve', disabled: ended }, t('agents.held.approve')));
          const no = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button small danger', 'data-testid': 'held-reject', disabled: ended }, t('agents.held.reject')));
          yes.addEventListener('click', () => { run({ type: 'approve_message', faction: m.faction, held: m.id }, yes, err); });
          no.addEventListener('click', () => { run({ type: 'reject_message', faction: m.faction, held: m.id, reason: reason.value.trim() }, no, err); });
          return h('li', { 'data-testid': 'held-message', 'data-faction': m.faction, 'data-held': String(m.id) },
            h('p', { class: 'small muted' }, t('agents.held.meta', { author: m.author, faction: factionName(m.faction), channel: channelLabel(m.channel), time: timeOfDay(m.at_ms) })),
            h('blockquote', { class: 'held-text' }, m.text),
            h('div', { class: 'actions' }, yes),
            h('div', { class: 'stack-form' }, h('label', { for: reasonId }, t('agents.held.reason')), reason, h('div', { class: 'actions' }, no)), err);
        }))
        : h('p', { class: 'muted' }, t('agents.held.none')),
      decided.length
        ? h('details', { class: 'small' }, h('summary', null, t('agents.held.decided', { count: decided.length })),
          h('ul', { class: 'plain-list', 'data-testid': 'held-decided' }, decided.map((/** @type {any} */ m) => h('li', null,
            t(m.decision.approved ? 'agents.held.wasApproved' : 'agents.held.wasRejected', { faction: factionName(m.faction), by: m.decision.by, time: timeOfDay(m.decision.at_ms) }),
            m.decision.reason ? ` (${m.decision.reason})` : '', ': ', h('q', null, m.text)))))
        : null);
  }
  update();
  return { el, update };
}

/**
 * For an agent's own seat (a desk opened with its token): its messages waiting or refused.
 * @param {any} view
 * @returns {HTMLElement | null}
 */
export function ownHeldNote(view) {
  const held = view?.held || [];
  const waiting = held.filter((/** @type {any} */ m) => !m.decision).length;
  const refused = held.filter((/** @type {any} */ m) => m.decision && !m.decision.approved).length;
  if (!waiting && !refused) return null;
  return h('p', { class: 'hint', 'data-testid': 'held-note', role: 'status' }, t('agents.held.own', { waiting, refused }));
}
