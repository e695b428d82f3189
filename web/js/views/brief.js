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
import { num, pct, setScenario } from '../format.js';
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
  const printBtn = h('button', { type: 'button', class: 'button primary no-print', 'data-testid': 'print', onclick: () => window.print() }, 'Print the briefs');
  replace(ctx.header, h('a', { href: '/', 'data-link': true, class: 'button small no-print' }, 'Start page'));
  replace(root, h('p', { class: 'loading' }, 'Loading the scenario…'));
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
          h('h1', null, `Faction briefs: ${sc.title}`),
          h('p', null, 'One page per faction, made from the scenario. Print them and hand each team its own before the first round; the desk shows the same facts live.'),
          h('div', { class: 'actions' }, printBtn, ...sc.factions.map((/** @type {any} */ f) => h('a', {
            class: 'button small', href: `/brief?scenario=${encodeURIComponent(sc.id)}&faction=${encodeURIComponent(f.id)}`,
          }, `${f.name} only`)))),
        factions.map((/** @type {any} */ f) => briefPage(sc, f))));
      document.title = `Faction briefs · ${sc.title} · Détente`;
    } catch (e) {
      if (alive) replace(root, h('section', { class: 'panel notice' }, h('h1', null, 'The briefs could not be made'), h('p', null, String(/** @type {any} */ (e).message || e))));
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
  const minutes = (/** @type {number} */ s) => (s ? `${num(s / 60, 0)} min` : 'no deadline');
  /** @param {any} a */
  const cost = (a) => [a.budget ? `${num(a.budget)} budget` : '', a.capital ? `${num(a.capital)} capital` : ''].filter(Boolean).join(' + ') || 'free';

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
        h('h2', { id: `brief-${f.id}-h` }, `You are ${f.name}`),
        h('p', { class: 'muted' }, `${sc.title} · ${rounds.length} rounds, ${rounds[0]}–${rounds[rounds.length - 1]} · facing ${others.join(' and ')}`))),
    h('section', null, h('h3', null, 'The situation'), h('p', null, sc.summary)),
    h('div', { class: 'brief-cols' },
      h('section', null,
        h('h3', null, 'What earns you points'),
        h('p', { class: 'small' }, 'Each round scores 0–100: the weighted sum of these, each 0–100. Your game score is the mean of your round scores; the highest wins.'),
        h('ul', { class: 'brief-weights' }, weights.map(([id, w]) => h('li', { 'data-testid': 'brief-objective' },
          bar(Number(w)),
          ` ${objectiveName(id)} `, h('strong', null, pct(Number(w), 0)))))),
      h('section', null,
        h('h3', null, 'What you have'),
        res ? h('ul', { class: 'small' },
          h('li', null, `Budget (hardware): ${num(res.budget_initial)} to start, +${num(res.budget_per_round)} a round, at most ${num(res.budget_max)}.`),
          h('li', null, `Political capital (diplomacy): ${num(res.capital_initial)} to start, +${num(res.capital_per_round)} a round, at most ${num(res.capital_max)}.`))
          : h('p', { class: 'small muted' }, 'No resources.'),
        secrets.length ? [h('h3', null, 'What only you know'),
          h('p', { class: 'small' }, `${secrets.map((/** @type {any} */ v) => v.name).join('; ')}. The others see these only as far as your moves or an agreement reveal them.`)] : null,
        h('h3', null, 'Each round'),
        h('ol', { class: 'small' },
          h('li', null, `Briefing (${minutes(sc.phases.briefing)}): read the events and your picture of the balance.`),
          h('li', null, `Negotiation (${minutes(sc.phases.negotiation)}): talk, propose, accept, reject or counter.`),
          h('li', null, `Orders (${minutes(sc.phases.orders)}): spend your budget and capital, in secret.`),
          h('li', null, `Review (${minutes(sc.phases.review)}): read the turn report: what happened and why.`)))),
    h('section', null,
      h('h3', null, 'What you can do (orders)'),
      h('table', { class: 'table compact brief-actions' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Action'), h('th', { scope: 'col' }, 'Cost'), h('th', { scope: 'col' }, 'Ready'))),
        h('tbody', null, actions.map((/** @type {any} */ a) => h('tr', { 'data-testid': 'brief-action' },
          h('td', null, h('strong', null, a.name), a.covert ? ' (covert)' : '', h('span', { class: 'brief-desc small muted' }, h('br'), a.description || '')),
          h('td', { class: 'nowrap' }, cost(a)),
          h('td', { class: 'nowrap' }, a.build_rounds ? `after ${a.build_rounds} ${a.build_rounds === 1 ? 'round' : 'rounds'}` : 'at once')))))),
    h('section', null,
      h('h3', null, 'What you can offer in an agreement'),
      h('ul', { class: 'brief-clauses small' }, clauses.map((/** @type {any} */ k) => h('li', { 'data-testid': 'brief-clause' },
        h('strong', null, k.name), k.capital_cost ? ` (${num(k.capital_cost)} capital)` : '', h('span', { class: 'brief-desc' }, `: ${k.description || ''}`))))),
    h('p', { class: 'small muted brief-foot' }, `Made from the scenario “${sc.id}”. Sources for every number: the scenario file and docs/model.md.`));
}
