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
import { factionName, num, phaseName, temperamentName, andList, firedName } from '../format.js';
import { t, has } from '../i18n.js';

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
      ? t('desk.guide.teamReady')
      : has(`desk.guide.pressReady.${v.phase}`) ? t(`desk.guide.pressReady.${v.phase}`)
        : t('desk.guide.pressReady', { phase: phaseName(v.phase).toLowerCase() }));
    switch (v.phase) {
      case 'briefing': {
        const events = v.briefings.filter((/** @type {any} */ b) => b[0] === v.round).map((/** @type {any} */ b) => firedName(b[1]));
        return [
          item('read', events.length ? t('desk.guide.read', { events: andList(events) }) : t('desk.guide.readNone'), '#sec-briefing', t('desk.guide.readLink')),
          item('picture', t('desk.guide.picture'), '#sec-indices', t('desk.guide.pictureLink')),
          item('talk', t('desk.guide.talkTeam'), '#sec-channels', t('desk.guide.channelsLink')),
          readyStep,
        ];
      }
      case 'negotiation': {
        const waiting = v.proposals.filter((/** @type {any} */ p) => p.status.status === 'open'
          && p.terms.parties.includes(me) && !p.accepted_by.includes(me) && p.proposer !== me);
        const mine = v.proposals.filter((/** @type {any} */ p) => p.status.status === 'open' && p.proposer === me);
        return [
          item('answer', waiting.length
            ? h('strong', null, t('desk.guide.awaiting', { count: waiting.length }))
            : t('desk.guide.noneAwaiting'), '#sec-negotiation', t('desk.guide.negotiationLink')),
          item('propose', mine.length
            ? t('desk.guide.yourOpen', { count: mine.length })
            : t('desk.guide.makeProposal'), '#sec-negotiation', t('desk.guide.buildLink')),
          item('talk', t('desk.guide.explain'), '#sec-channels', t('desk.guide.channelsLink')),
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
          item('orders', h('strong', null, t('desk.guide.budget', { left: num(purse.budget - cost), total: num(purse.budget), count: placed.length })), '#sec-orders', t('desk.guide.ordersLink')),
          item('agreements', bound.length
            ? t('desk.guide.bound', { count: bound.length })
            : t('desk.guide.unbound'), '#sec-negotiation', t('desk.guide.agreementsLink')),
          readyStep,
        ];
      }
      case 'review': {
        const last = v.reports?.[v.reports.length - 1];
        return [
          item('report', last && last.round === v.round
            ? h('strong', null, t('desk.guide.report', { round: last.label }))
            : t('desk.guide.reportComing'), '#sec-report', t('desk.guide.reportLink')),
          item('picture', t('desk.guide.moved'), '#sec-indices', t('desk.guide.pictureLink')),
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
      ? (captain ? t('desk.guide.captainNamed', { name: captain.name }) : t('desk.guide.captain'))
      : t('desk.guide.everyone');
    const you = store.you?.seat_id;
    replace(team,
      h('h3', null, t('desk.guide.yourTeam')),
      h('ul', { class: 'teammates' }, members.map((m) => {
        const r = mine.has(m.seat_id) || (v.ready.includes(me) && !v.members_ready?.[me]?.length);
        return h('li', { 'data-testid': 'teammate', 'data-ready': String(r), 'data-connected': String(m.connected), class: m.connected ? null : 'away' },
          h('span', { 'aria-hidden': 'true', class: r ? 'accepted' : 'waiting' }, r ? '✓ ' : '○ '),
          m.name, m.seat_id === you ? t('desk.guide.you') : '', m.captain ? t('desk.guide.isCaptain') : '',
          h('span', { class: 'muted' }, r ? t('desk.guide.memberReady') : m.connected ? t('desk.guide.memberNotYet') : t('desk.guide.memberAway')));
      })),
      h('p', { class: 'hint', 'data-testid': 'team-rule' }, rule));
  }

  function update() {
    const v = store.view;
    const ended = v.phase === 'ended';
    const lobby = v.phase === 'lobby';
    el.hidden = ended || lobby;
    if (el.hidden) return;
    replace(heading, t('desk.guide.heading', { round: v.round_label, phase: phaseName(v.phase) }));
    replace(steps, phaseSteps(v));
    updateTeam();
    replace(readyList, t('desk.guide.factionsReady'), sc.factions.map((/** @type {any} */ f, /** @type {number} */ i) => {
      const r = v.ready.includes(f.id);
      const bot = v.bots?.[f.id];
      const agent = v.agents?.[f.id];
      const title = agent ? t('desk.guide.playedByAgent', { name: agent.name })
        : bot ? t('desk.guide.playedByBot', { temperament: temperamentName(bot).toLowerCase() }) : null;
      const mark = agent ? t('desk.guide.agent') : bot ? t('desk.guide.bot') : '';
      return [
        i ? ' · ' : '',
        h('span', { class: r ? 'accepted' : 'waiting', title },
          `${factionName(f.id)}${mark} `, h('span', { 'aria-hidden': 'true' }, r ? '✓' : '○'),
          h('span', { class: 'visually-hidden' }, r ? t('desk.guide.factionReady') : t('desk.guide.factionNotReady'))),
      ];
    }));
  }

  return { el, update };
}
