// @ts-check
/**
 * The faction briefs (`/brief?scenario=<id>[&faction=<id>]`): one printable page per faction,
 * made from the scenario itself (`GET /api/scenarios/{id}`, public): the situation, what earns
 * the faction points (its scoring weights), its resources, its actions with their costs, the
 * clauses it can offer, what only it knows, and the shape of a round. For the facilitator to
 * print before the lesson (docs/facilitator-guide.md); nothing here is secret from a class,
 * since every seat can read the scenario.
 *
 * Test ids: `briefs`, `brief` (`data-faction`), `brief-objective`, `brief-action`,
 * `brief-clause`, `print`.
 * @module views/brief
 */

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { num, pct, setScenario, andList } from '../format.js';
import { t, errorText } from '../i18n.js';
import { objectiveName } from '../components/explain.js';
import { ensureStyles } from './viewkit.js';

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  ensureStyles();
  const params = new URLSearchParams(location.search);
  const printBtn = h('button', { type: 'button', class: 'button primary no-print', 'data-testid': 'print', onclick: () => window.print() }, t('desk.brief.print'));
  replace(ctx.header, h('a', { href: '/', 'data-link': true, class: 'button small no-print' }, t('desk.brief.startPage')));
  replace(root, h('p', { class: 'loading' }, t('desk.brief.loading')));
  let alive = true;

  (async () => {
    try {
      const id = params.get('scenario') || (await api.scenarios())[0]?.id;
      const sc = await api.scenario(id);
      if (!alive) return;
      setScenario(sc);
      const only = params.get('faction');
      const factions = sc.factions.filter((/** @type {any} */ f) => !only || f.id === only);
      replace(root, h('div', { class: 'briefs', 'data-testid': 'briefs' },
        h('div', { class: 'panel no-print brief-intro' },
          h('h1', null, t('desk.brief.title', { title: sc.title })),
          h('p', null, t('desk.brief.intro')),
          h('div', { class: 'actions' }, printBtn, ...sc.factions.map((/** @type {any} */ f) => h('a', {
            class: 'button small', href: `/brief?scenario=${encodeURIComponent(sc.id)}&faction=${encodeURIComponent(f.id)}`,
          }, t('desk.brief.only', { faction: f.name }))))),
        factions.map((/** @type {any} */ f) => briefPage(sc, f))));
      document.title = t('desk.brief.docTitle', { title: sc.title });
    } catch (e) {
      if (alive) replace(root, h('section', { class: 'panel notice' }, h('h1', null, t('desk.brief.failed')), h('p', null, errorText(/** @type {any} */ (e)) || String(e))));
    }
  })();

  return { unmount() { alive = false; } };
}

/**
 * One faction's page.
 * @param {any} sc the scenario
 * @param {any} f the faction
 */
function briefPage(sc, f) {
  const rounds = sc.rounds.map((/** @type {any} */ r) => r.label);
  const weights = Object.entries(sc.scoring?.[f.id]?.weights || {}).sort((a, b) => Number(b[1]) - Number(a[1]));
  const res = (sc.resources || []).find((/** @type {any} */ r) => r.faction === f.id);
  const actions = sc.actions.filter((/** @type {any} */ a) => a.owner === f.id);
  const clauses = sc.clause_kinds.filter((/** @type {any} */ k) => !k.givers.length || k.givers.includes(f.id));
  const secrets = sc.variables.filter((/** @type {any} */ v) => v.owner === f.id && v.visibility !== 'public');
  const others = sc.factions.filter((/** @type {any} */ x) => x.id !== f.id).map((/** @type {any} */ x) => x.name);
  const minutes = (/** @type {number} */ s) => (s ? t('desk.brief.minutes', { count: Math.round(s / 60) }) : t('desk.brief.noDeadline'));
  /** @param {any} a */
  const cost = (a) => [a.budget ? t('desk.brief.cost.budget', { amount: num(a.budget) }) : '', a.capital ? t('desk.brief.cost.capital', { amount: num(a.capital) }) : ''].filter(Boolean).join(' + ') || t('desk.brief.cost.free');

  const swatch = h('span', { class: 'swatch big', 'aria-hidden': 'true' });
  swatch.style.setProperty('--swatch', f.colour);
  const top = Number(weights[0]?.[1]) || 1;
  /** @param {number} w */
  const bar = (w) => {
    const fill = h('span', { class: 'brief-bar-fill' });
    fill.style.setProperty('--w', `${Math.round((w / top) * 100)}%`);
    return h('span', { class: 'brief-bar', 'aria-hidden': 'true' }, fill);
  };
  return h('article', { class: 'brief', 'data-testid': 'brief', 'data-faction': f.id, 'aria-labelledby': `brief-${f.id}-h` },
    h('header', { class: 'brief-head' },
      swatch,
      h('div', null,
        h('h2', { id: `brief-${f.id}-h` }, t('desk.brief.youAre', { faction: f.name })),
        h('p', { class: 'muted' }, t('desk.brief.subtitle', { title: sc.title, count: rounds.length, first: rounds[0], last: rounds[rounds.length - 1], others: andList(others) })))),
    h('section', null, h('h3', null, t('desk.brief.situation')), h('p', null, sc.summary)),
    h('div', { class: 'brief-cols' },
      h('section', null,
        h('h3', null, t('desk.brief.points')),
        h('p', { class: 'small' }, t('desk.brief.pointsHint')),
        h('ul', { class: 'brief-weights' }, weights.map(([id, w]) => h('li', { 'data-testid': 'brief-objective' },
          bar(Number(w)),
          ` ${objectiveName(id)} `, h('strong', null, pct(Number(w), 0)))))),
      h('section', null,
        h('h3', null, t('desk.brief.have')),
        res ? h('ul', { class: 'small' },
          h('li', null, t('desk.brief.budget', { initial: num(res.budget_initial), perRound: num(res.budget_per_round), max: num(res.budget_max) })),
          h('li', null, t('desk.brief.capital', { initial: num(res.capital_initial), perRound: num(res.capital_per_round), max: num(res.capital_max) })))
          : h('p', { class: 'small muted' }, t('desk.brief.noResources')),
        secrets.length ? [h('h3', null, t('desk.brief.secrets')),
          h('p', { class: 'small' }, t('desk.brief.secretsText', { names: secrets.map((/** @type {any} */ v) => v.name).join('; ') }))] : null,
        h('h3', null, t('desk.brief.eachRound')),
        h('ol', { class: 'small' },
          h('li', null, t('desk.brief.round.briefing', { time: minutes(sc.phases.briefing) })),
          h('li', null, t('desk.brief.round.negotiation', { time: minutes(sc.phases.negotiation) })),
          h('li', null, t('desk.brief.round.orders', { time: minutes(sc.phases.orders) })),
          h('li', null, t('desk.brief.round.review', { time: minutes(sc.phases.review) }))))),
    h('section', null,
      h('h3', null, t('desk.brief.canDo')),
      h('table', { class: 'table compact brief-actions' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('desk.brief.col.action')), h('th', { scope: 'col' }, t('desk.brief.col.cost')), h('th', { scope: 'col' }, t('desk.brief.col.ready')))),
        h('tbody', null, actions.map((/** @type {any} */ a) => h('tr', { 'data-testid': 'brief-action' },
          h('td', null, h('strong', null, a.name), a.covert ? t('desk.brief.covert') : '', h('span', { class: 'brief-desc small muted' }, h('br'), a.description || '')),
          h('td', { class: 'nowrap' }, cost(a)),
          h('td', { class: 'nowrap' }, a.build_rounds ? t('desk.brief.after', { count: a.build_rounds }) : t('desk.brief.atOnce'))))))),
    h('section', null,
      h('h3', null, t('desk.brief.offer')),
      h('ul', { class: 'brief-clauses small' }, clauses.map((/** @type {any} */ k) => h('li', { 'data-testid': 'brief-clause' },
        h('strong', null, k.name), k.capital_cost ? t('desk.brief.clauseCapital', { amount: num(k.capital_cost) }) : '', h('span', { class: 'brief-desc' }, `: ${k.description || ''}`))))),
    h('p', { class: 'small muted brief-foot' }, t('desk.brief.foot', { id: sc.id })));
}
