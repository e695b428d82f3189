//! Bots: heuristic players for empty seats. A bot forecasts its own score with the engine's
//! model (from its own perception) and acts on the forecast, tilted by its temperament:
//!
//! - **hawk** weighs retaliation, status and cohesion up and tension down, spends freely,
//!   signs only clearly favourable deals and will break an agreement for a large gain;
//! - **pragmatist** weighs the scenario's objectives as written;
//! - **dove** weighs stability and low tension up and signs deals that cost it a little.
//!
//! Bots are deterministic: their only randomness is a stream keyed by the game's seed, the
//! round and the faction.

use super::game::{apply_effect, rng, unit, Ctx, Game, STREAM_BOTS};
use super::ids::*;
use super::model::{self, ModelVars};
use super::scenario::{Action, ClauseForm, ClauseKind};
use super::types::*;

/// Units of score a bot discounts per round of build time.
const BUILD_DISCOUNT: f64 = 0.85;
/// Most orders a bot gives in one round.
const MAX_ORDERS: usize = 6;
/// Offers per side a bot considers trading.
const SHORTLIST: usize = 4;
/// Assumed chance that the other side would do what a "forbid" clause rules out.
const WOULD_DO: f64 = 0.5;

/// Which part of its turn a bot is asked to play; the driver runs all bots through each step
/// in turn so that every bot sees every proposal before declaring itself ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotStep {
    Propose,
    Respond,
    Act,
}

struct Temper {
    /// Multiplier per objective.
    tilt: fn(&str) -> f64,
    /// Weight given to low tension when the scenario gives none.
    tension_weight: f64,
    /// Score points a deal must be worth to be signed.
    margin: f64,
    /// Score cost per unit of budget and of capital spent.
    budget_cost: f64,
    capital_cost: f64,
    /// Gain above which the bot breaks an agreement (infinite: never).
    breach_above: f64,
    /// Chance of making a proposal in a round.
    propose_chance: f64,
    /// Weight of the crisis penalty in the forecast.
    crisis_fear: f64,
}

fn temper(t: Temperament) -> Temper {
    match t {
        Temperament::Hawk => Temper {
            tilt: |o| match o {
                "retaliation_russia" | "retaliation_us" | "status" => 1.6,
                "cohesion" | "coverage" => 1.4,
                "autonomy" => 1.2,
                "stability" => 0.6,
                "low_tension" => 0.3,
                _ => 1.0,
            },
            tension_weight: 0.02,
            margin: 1.5,
            budget_cost: 0.05,
            capital_cost: 0.2,
            breach_above: 4.0,
            propose_chance: 0.4,
            crisis_fear: 0.5,
        },
        Temperament::Pragmatist => Temper {
            tilt: |_| 1.0,
            tension_weight: 0.1,
            margin: 0.3,
            budget_cost: 0.12,
            capital_cost: 0.3,
            breach_above: f64::INFINITY,
            propose_chance: 0.7,
            crisis_fear: 1.0,
        },
        Temperament::Dove => Temper {
            tilt: |o| match o {
                "stability" | "low_tension" => 1.6,
                "border_security" => 1.3,
                "retaliation_russia" | "retaliation_us" => 0.8,
                "status" | "cohesion" => 0.7,
                _ => 1.0,
            },
            tension_weight: 0.3,
            margin: -0.5,
            budget_cost: 0.2,
            capital_cost: 0.3,
            breach_above: f64::INFINITY,
            propose_chance: 0.9,
            crisis_fear: 1.5,
        },
    }
}

/// A faction's forecast of its own score under hypothetical changes to the state.
struct Forecaster<'g> {
    game: &'g Game,
    faction: FactionId,
    perceives: bool,
    weights: Vec<(String, f64)>,
    crisis_fear: f64,
    /// The state as this faction sees it now, and its score: computed once per decision.
    base: Vec<f64>,
    base_score: f64,
    /// Per action (scenario order), its discounted score change from `base`, once computed.
    deltas: std::cell::RefCell<Vec<Option<f64>>>,
}

impl<'g> Forecaster<'g> {
    fn new(game: &'g Game, faction: &FactionId, t: Temperament) -> Self {
        Self::seen_by(game, faction, faction, t)
    }

    /// `faction`'s forecast as `viewer` imagines it: `faction`'s objectives, scored on what
    /// `viewer` knows of the world (a bot never reads another faction's secrets).
    fn seen_by(game: &'g Game, viewer: &FactionId, faction: &FactionId, t: Temperament) -> Self {
        let tp = temper(t);
        let mut weights: Vec<(String, f64)> = game
            .scenario
            .scoring
            .get(faction)
            .map(|s| {
                s.weights
                    .iter()
                    .map(|(k, w)| (k.clone(), w * (tp.tilt)(k)))
                    .collect()
            })
            .unwrap_or_default();
        if !weights.iter().any(|(k, _)| k == "low_tension") {
            weights.push(("low_tension".into(), tp.tension_weight));
        }
        let mut fc = Forecaster {
            game,
            faction: faction.clone(),
            perceives: game
                .scenario
                .faction(faction.as_str())
                .is_some_and(|f| f.perceives_threat),
            weights,
            crisis_fear: tp.crisis_fear,
            base: game.effective_vars_for(viewer),
            base_score: 0.0,
            deltas: std::cell::RefCell::new(vec![None; game.scenario.actions.len()]),
        };
        fc.base_score = fc.score(&fc.base);
        fc
    }

    fn base_vars(&self) -> Vec<f64> {
        self.base.clone()
    }

    /// [`Forecaster::action_delta`] from the base state, cached.
    fn base_action_delta(&self, a: &Action) -> f64 {
        let Some(i) = self.game.scenario.actions.iter().position(|x| x.id == a.id) else {
            return 0.0;
        };
        if let Some(d) = self.deltas.borrow()[i] {
            return d;
        }
        let d = self.action_delta(&self.base, self.base_score, a);
        self.deltas.borrow_mut()[i] = Some(d);
        d
    }

    /// Forecast score (0–100 scale) of a state.
    fn score(&self, vars: &[f64]) -> f64 {
        let scn = &self.game.scenario;
        let mv = ModelVars {
            scenario: scn,
            values: vars,
        };
        let v = model::compute_values(scn, &self.game.params, &mv, self.perceives);
        let (mut sum, mut wsum) = (0.0, 0.0);
        for (id, w) in &self.weights {
            if let Some((o, _)) = model::objective(id, &v, &mv) {
                sum += w * o;
                wsum += w;
            }
        }
        let mut s = if wsum > 0.0 { 100.0 * sum / wsum } else { 0.0 };
        if mv.at(scn.slots().tension) >= scn.crisis_threshold {
            s -= self.crisis_fear * self.game.params.get("crisis_penalty");
        }
        s
    }

    fn with_action(&self, vars: &[f64], a: &Action, q: u32) -> Vec<f64> {
        let mut v = vars.to_vec();
        for e in &a.effects {
            apply_effect(&self.game.scenario, &mut v, e, f64::from(q));
        }
        v
    }

    /// Score change from `a` (by whoever owns it), discounted for build time.
    fn action_delta(&self, vars: &[f64], base: f64, a: &Action) -> f64 {
        let after = self.with_action(vars, a, 1);
        (self.score(&after) - base) * BUILD_DISCOUNT.powi(a.build_rounds.min(64) as i32)
    }

    /// What signing `terms` is worth to this faction.
    fn terms_delta(&self, terms: &Terms, tp: &Temper) -> f64 {
        self.clauses_delta(&terms.clauses, tp)
    }

    /// What signing these clauses is worth to this faction.
    fn clauses_delta<'c>(&self, clauses: impl IntoIterator<Item = &'c Clause>, tp: &Temper) -> f64 {
        let scn = &self.game.scenario;
        let base = self.base_score;
        let mut after = self.base.clone();
        let mut delta = 0.0;
        for c in clauses {
            let Some(k) = scn.clause_kind(c.kind.as_str()) else {
                continue;
            };
            let mine = c.by == self.faction;
            if mine {
                delta -= tp.capital_cost * k.capital_cost;
            }
            match k.form {
                ClauseForm::Forbid => {
                    if let Some(a) = c.action.as_ref().and_then(|a| scn.action(a.as_str())) {
                        let d = self.base_action_delta(a);
                        delta += if mine {
                            -d.max(0.0) * WOULD_DO
                        } else {
                            (-d).max(0.0) * WOULD_DO
                        };
                    }
                }
                ClauseForm::Transfer => {
                    let amount = c.amount.unwrap_or(0.0);
                    if mine {
                        delta -= tp.budget_cost * amount;
                    } else if c.to.as_ref() == Some(&self.faction) {
                        delta += tp.budget_cost * amount;
                    }
                }
                ClauseForm::Cap => {}
                ClauseForm::Guarantee | ClauseForm::Transparency | ClauseForm::Cooperation => {
                    if let Some(i) = k.provides.as_ref().and_then(|v| scn.var_index(v.as_str())) {
                        after[i] = after[i].max(1.0).min(scn.variables[i].max);
                    }
                    for e in &k.effects_per_round {
                        apply_effect(scn, &mut after, e, 1.0);
                    }
                }
            }
        }
        if let Some(i) = scn.var_index("tension") {
            let relief = self.game.params.get("tension_agreement_relief");
            after[i] = (after[i] - relief).max(scn.variables[i].min);
        }
        delta + self.score(&after) - base
    }
}

/// Commands a bot playing `faction` gives at `step` of the current phase.
pub fn bot_commands(
    game: &Game,
    faction: &FactionId,
    t: Temperament,
    step: BotStep,
) -> Vec<Command> {
    // A bot that is ready still answers proposals made to it afterwards.
    if game.phase == Phase::Ended || (game.ready.contains(faction) && step != BotStep::Respond) {
        return Vec::new();
    }
    let tp = temper(t);
    let fc = Forecaster::new(game, faction, t);
    let fi = game
        .scenario
        .factions
        .iter()
        .position(|f| f.id == *faction)
        .unwrap_or(0) as u64;
    let mut rng = rng(game.config.seed, game.round, STREAM_BOTS + 16 * fi);
    let mut out = Vec::new();
    match (game.phase, step) {
        (Phase::Negotiation, BotStep::Propose) => {
            let already = game
                .proposals
                .iter()
                .any(|p| p.round == game.round && p.proposer == *faction);
            if !already && unit(&mut rng) < tp.propose_chance {
                if let Some(terms) = best_proposal(game, &fc, &tp, faction) {
                    out.push(Command::Propose { terms });
                }
            }
        }
        (Phase::Negotiation, BotStep::Respond) => {
            for p in &game.proposals {
                if p.status != ProposalStatus::Open
                    || !p.terms.parties.contains(faction)
                    || p.accepted_by.contains(faction)
                {
                    continue;
                }
                if fc.terms_delta(&p.terms, &tp) >= tp.margin {
                    out.push(Command::Accept { proposal: p.id });
                } else {
                    out.push(Command::Reject {
                        proposal: p.id,
                        reason: "not in our interest as it stands".into(),
                    });
                }
            }
        }
        (Phase::Orders, BotStep::Act) => {
            for o in plan_orders(game, &fc, &tp, faction, &mut rng) {
                out.push(Command::SubmitOrder {
                    action: o.action,
                    quantity: o.quantity,
                });
            }
            out.push(Command::Ready {});
        }
        (_, BotStep::Act) => out.push(Command::Ready {}),
        _ => {}
    }
    out
}

fn plan_orders(
    game: &Game,
    fc: &Forecaster,
    tp: &Temper,
    faction: &FactionId,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Vec<Order> {
    let scn = &game.scenario;
    let mut vars = fc.base_vars();
    let mut draft: Vec<Order> = Vec::new();
    let own: Vec<&Action> = scn.actions.iter().filter(|a| a.owner == *faction).collect();
    // Jitter per action, drawn once, so different seeds give different games.
    let jitter: Vec<f64> = own.iter().map(|_| unit(rng) - 0.5).collect();
    for _ in 0..MAX_ORDERS {
        let base = fc.score(&vars);
        let mut best: Option<(f64, usize)> = None;
        for (i, a) in own.iter().enumerate() {
            let mut trial = draft.clone();
            match trial.iter_mut().find(|o| o.action == a.id) {
                Some(o) => o.quantity += 1,
                None => trial.push(Order {
                    id: 0,
                    action: a.id.clone(),
                    quantity: 1,
                }),
            }
            if game.check_orders_with(faction, None, &trial).is_err() {
                continue;
            }
            let mut value = fc.action_delta(&vars, base, a)
                - tp.budget_cost * a.budget
                - tp.capital_cost * a.capital
                + 0.3 * jitter[i];
            if !game.would_breach(faction, &a.id).is_empty() {
                if value < tp.breach_above {
                    continue;
                }
                value -= game.params.get("breach_capital") * tp.capital_cost;
            }
            if value > 0.1 && best.is_none_or(|(v, _)| value > v) {
                best = Some((value, i));
            }
        }
        let Some((_, i)) = best else { break };
        let a = own[i];
        vars = fc.with_action(&vars, a, 1);
        match draft.iter_mut().find(|o| o.action == a.id) {
            Some(o) => o.quantity += 1,
            None => draft.push(Order {
                id: 0,
                action: a.id.clone(),
                quantity: 1,
            }),
        }
    }
    draft
}

/// Clauses `giver` could offer under the scenario's clause kinds.
fn offers(game: &Game, giver: &FactionId) -> Vec<Clause> {
    let scn = &game.scenario;
    let mut out = Vec::new();
    let vars = &game.core.vars;
    for k in &scn.clause_kinds {
        if !k.givers.is_empty() && !k.givers.contains(giver) {
            continue;
        }
        let clause = |action: Option<ActionId>| Clause {
            kind: k.id.clone(),
            by: giver.clone(),
            action,
            var: None,
            max: None,
            to: None,
            amount: None,
        };
        match k.form {
            ClauseForm::Forbid => {
                for a in scn.actions.iter().filter(|a| {
                    a.owner == *giver && (k.actions.is_empty() || k.actions.contains(&a.id))
                }) {
                    out.push(clause(Some(a.id.clone())));
                }
            }
            ClauseForm::Guarantee | ClauseForm::Transparency | ClauseForm::Cooperation => {
                if !provided_already(game, k, vars) && k.ratification.is_none_or(|r| r > 0.3) {
                    out.push(clause(None));
                }
            }
            ClauseForm::Cap | ClauseForm::Transfer => {}
        }
    }
    out
}

fn provided_already(game: &Game, k: &ClauseKind, vars: &[f64]) -> bool {
    k.provides
        .as_ref()
        .and_then(|v| game.scenario.var_index(v.as_str()))
        .is_some_and(|i| vars[i] >= 1.0)
}

fn best_proposal(game: &Game, fc: &Forecaster, tp: &Temper, f: &FactionId) -> Option<Terms> {
    let scn = &game.scenario;
    let remaining = scn.rounds.len() as u32 - game.round;
    let mine = offers(game, f);
    let pragmatist = temper(Temperament::Pragmatist);
    let mut best: Option<(f64, Terms)> = None;
    for other in scn.factions.iter().map(|x| &x.id).filter(|g| *g != f) {
        let theirs = offers(game, other);
        let other_fc = Forecaster::seen_by(game, f, other, Temperament::Pragmatist);
        // Each of our offers alone, or traded against one of theirs. Trades are drawn from a
        // shortlist: the offers of theirs worth most to us and ours worth most to them.
        let mut candidates: Vec<(&Clause, Option<&Clause>)> = Vec::new();
        let shortlist = |offers: &'_ [Clause], judge: &Forecaster, tp: &Temper| -> Vec<usize> {
            let mut scored: Vec<(f64, usize)> = offers
                .iter()
                .enumerate()
                .map(|(i, c)| (judge.clauses_delta(std::iter::once(c), tp), i))
                .collect();
            scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            scored.into_iter().take(SHORTLIST).map(|(_, i)| i).collect()
        };
        let their_best = shortlist(&theirs, fc, tp);
        let our_best = shortlist(&mine, &other_fc, &pragmatist);
        for a in &mine {
            candidates.push((a, None));
        }
        for &i in &our_best {
            for &j in &their_best {
                candidates.push((&mine[i], Some(&theirs[j])));
            }
        }
        let mut best_here: Option<(f64, (&Clause, Option<&Clause>))> = None;
        for (a, b) in candidates {
            let clauses = std::iter::once(a).chain(b);
            let mine_gain = fc.clauses_delta(clauses.clone(), tp);
            if mine_gain < tp.margin.max(0.2) {
                continue;
            }
            // The bot guesses the counterpart's interest from its own picture of the world.
            let their_gain = other_fc.clauses_delta(clauses, &pragmatist);
            if their_gain < 0.0 {
                continue;
            }
            let value = mine_gain + 0.5 * their_gain;
            if best_here.is_none_or(|(v, _)| value > v) {
                best_here = Some((value, (a, b)));
            }
        }
        let Some((value, (a, b))) = best_here else {
            continue;
        };
        let mut parties = vec![f.clone(), other.clone()];
        parties.sort();
        let terms = Terms {
            title: format!(
                "{}–{} accord of {}",
                game.faction_name(f),
                game.faction_name(other),
                game.round_label()
            ),
            parties,
            clauses: std::iter::once(a).chain(b).cloned().collect(),
            duration_rounds: remaining.clamp(1, 3),
            public: true,
        };
        if game.check_terms(f, &terms).is_ok() && best.as_ref().is_none_or(|(v, _)| value > *v) {
            best = Some((value, terms));
        }
    }
    best.map(|(_, t)| t)
}

/// Plays every bot seat through the current phase, returning the events caused. Bots that are
/// done declare themselves ready, which advances the phase once every faction is ready.
pub fn play_bots(game: &mut Game, ctx: &Ctx) -> Vec<Event> {
    let mut events = Vec::new();
    let bots: Vec<(FactionId, Temperament)> = game
        .config
        .bots
        .iter()
        .map(|(f, t)| (f.clone(), *t))
        .collect();
    for step in [BotStep::Propose, BotStep::Respond, BotStep::Act] {
        for (f, t) in &bots {
            let seat = Seat::Faction(f.clone());
            for cmd in bot_commands(game, f, *t, step) {
                // A bot command can become invalid after an earlier one (e.g. a proposal
                // already signed); the bot simply moves on, as a person would.
                if let Ok(evs) = game.apply(&seat, &cmd, ctx) {
                    events.extend(evs);
                }
            }
        }
    }
    events
}
