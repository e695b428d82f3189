// @ts-check
/**
 * "What to do now" on a faction desk: the round and phase, the few things this phase asks of
 * the team with their counts (events to read, proposals awaiting an answer, budget left and
 * orders placed, the turn report), each linking to its tool; who in the team has said Ready
 * and which factions are ready.
 *
 * `createGuide({store})` returns `{el, update()}`.
 *
 * Test ids: `guide`, `guide-steps`, `guide-step` (`data-step`), `team`, `teammate`
 * (`data-ready`, `data-connected`), `team-rule`, `ready-list`.
 * @module components/guide
 */

import { h, replace } from '../dom.js';
import { factionName, num, phaseName, temperamentName, andList } from '../format.js';

/**
 * @param {{store: import('../store.js').GameStore}} opts
 */
export function createGuide({ store }) {
  const me = /** @type {string} */ (store.faction);
  const sc = store.scenario;
  const heading = h('h2', { id: 'guide-h' });
  const steps = h('ol', { class: 'guide-steps', 'data-testid': 'guide-steps' });
  const team = h('div', { class: 'team', 'data-testid': 'team' });
  const readyList = h('p', { class: 'ready-list small', 'data-testid': 'ready-list' });
  const el = h('section', { class: 'panel guide', 'data-testid': 'guide', 'aria-labelledby': 'guide-h' },
    heading, steps, team, readyList);

  /** @param {string} step @param {any} text @param {string} [href] @param {string} [link] */
  const item = (step, text, href, link) => h('li', { 'data-testid': 'guide-step', 'data-step': step },
    text, href ? [' ', h('a', { href }, link)] : null);

  /** What this phase asks of the faction. @param {any} v */
  function phaseSteps(v) {
    const iAmReady = v.ready.includes(me);
    const readyStep = item('ready', iAmReady
      ? 'Your team is ready. You may still take Ready back until the phase closes.'
      : `Press Ready when your team is done: the ${phaseName(v.phase).toLowerCase()} ends when every faction is ready, or at the deadline.`);
    switch (v.phase) {
      case 'briefing': {
        const events = v.briefings.filter((/** @type {any} */ b) => b[0] === v.round).map((/** @type {any} */ b) => b[1].name);
        return [
          item('read', events.length ? `Read the briefing: ${andList(events)}.` : 'Read the briefing: no new event this round.', '#sec-briefing', 'Go to the briefing'),
          item('picture', 'Look at your faction’s picture of the balance: each index explains its formula and sources.', '#sec-indices', 'Your picture'),
          item('talk', 'Agree within your team what you want from this round; say hello in the plenary.', '#sec-channels', 'Channels'),
          readyStep,
        ];
      }
      case 'negotiation': {
        const waiting = v.proposals.filter((/** @type {any} */ p) => p.status.status === 'open'
          && p.terms.parties.includes(me) && !p.accepted_by.includes(me) && p.proposer !== me);
        const mine = v.proposals.filter((/** @type {any} */ p) => p.status.status === 'open' && p.proposer === me);
        return [
          item('answer', waiting.length
            ? h('strong', null, `${waiting.length} ${waiting.length === 1 ? 'proposal awaits' : 'proposals await'} your answer: accept, reject with a reason, or counter.`)
            : 'No proposal awaits your answer.', '#sec-negotiation', 'Negotiation'),
          item('propose', mine.length
            ? `You have ${mine.length} open ${mine.length === 1 ? 'proposal' : 'proposals'}; the others answer in this phase.`
            : 'Make a proposal: pick the parties and clauses, then send it.', '#sec-negotiation', 'Build a proposal'),
          item('talk', 'Explain your position in the plenary or a bilateral channel.', '#sec-channels', 'Channels'),
          readyStep,
        ];
      }
      case 'orders': {
        const purse = v.purses[me] || { budget: 0, capital: 0 };
        const placed = v.orders[me] || [];
        let cost = 0;
        for (const o of placed) cost += (sc.actions.find((/** @type {any} */ a) => a.id === o.action)?.budget || 0) * o.quantity;
        const bound = v.agreements.filter((/** @type {any} */ a) => a.status.status === 'in_force' && a.terms.parties.includes(me));
        return [
          item('orders', h('strong', null, `Budget left: ${num(purse.budget - cost)} of ${num(purse.budget)}. Orders placed: ${placed.length}.`), '#sec-orders', 'Orders'),
          item('agreements', bound.length
            ? `You are party to ${bound.length} ${bound.length === 1 ? 'agreement' : 'agreements'} in force: an order that breaks one asks you to confirm first, and may be detected.`
            : 'No agreement binds you: every action is open.', '#sec-negotiation', 'Agreements'),
          readyStep,
        ];
      }
      case 'review': {
        const last = v.reports?.[v.reports.length - 1];
        return [
          item('report', last && last.round === v.round
            ? h('strong', null, `Read the turn report for ${last.label}: what happened and why.`)
            : 'The turn report is on its way.', '#sec-report', 'Turn report'),
          item('picture', 'See how your picture of the balance moved.', '#sec-indices', 'Your picture'),
          readyStep,
        ];
      }
      default:
        return [];
    }
  }

  function updateTeam() {
    const v = store.view;
    const members = store.team || [];
    const mine = new Set((v.members_ready?.[me] || []).map((/** @type {any} */ m) => m.member));
    if (members.length < 2) {
      replace(team, null);
      return;
    }
    const captain = members.find((m) => m.captain);
    const rule = v.team_ready === 'captain'
      ? `Your captain${captain ? `, ${captain.name},` : ''} decides when the team is ready; the others’ Ready shows the captain they are done.`
      : 'The team is ready when every member connected has pressed Ready.';
    const you = store.you?.seat_id;
    replace(team,
      h('h3', null, 'Your team'),
      h('ul', { class: 'teammates' }, members.map((m) => {
        const r = mine.has(m.seat_id) || (v.ready.includes(me) && !v.members_ready?.[me]?.length);
        return h('li', { 'data-testid': 'teammate', 'data-ready': String(r), 'data-connected': String(m.connected), class: m.connected ? null : 'away' },
          h('span', { 'aria-hidden': 'true', class: r ? 'accepted' : 'waiting' }, r ? '✓ ' : '○ '),
          m.name, m.seat_id === you ? ' (you)' : '', m.captain ? ' · captain' : '',
          h('span', { class: 'muted' }, r ? ' · ready' : m.connected ? ' · not yet' : ' · away'));
      })),
      h('p', { class: 'hint', 'data-testid': 'team-rule' }, rule));
  }

  function update() {
    const v = store.view;
    const ended = v.phase === 'ended';
    const lobby = v.phase === 'lobby';
    el.hidden = ended || lobby;
    if (el.hidden) return;
    replace(heading, `${v.round_label} · ${phaseName(v.phase)}: what to do now`);
    replace(steps, phaseSteps(v));
    updateTeam();
    replace(readyList, 'Factions ready: ', sc.factions.map((/** @type {any} */ f, /** @type {number} */ i) => {
      const r = v.ready.includes(f.id);
      const bot = v.bots?.[f.id];
      return [
        i ? ' · ' : '',
        h('span', { class: r ? 'accepted' : 'waiting', title: bot ? `played by a bot (${temperamentName(bot).toLowerCase()})` : null },
          `${factionName(f.id)}${bot ? ' (bot)' : ''} `, h('span', { 'aria-hidden': 'true' }, r ? '✓' : '○'),
          h('span', { class: 'visually-hidden' }, r ? ' ready' : ' not ready')),
      ];
    }));
  }

  return { el, update };
}
