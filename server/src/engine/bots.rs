//! Bots: heuristic players for empty seats. A bot forecasts every faction's score with the
//! engine's model, from its own picture of the world (it never reads another faction's
//! secrets), and acts to raise its *utility*: its own score, plus or minus the others' scores
//! as its temperament weighs them.
//!
//! - **hawk**: weighs retaliation, status, cohesion and readiness up and tension down, seeks
//!   *relative* gains (a rival's score counts against it), spends freely, signs only clearly
//!   favourable deals and breaks an agreement for a large gain;
//! - **pragmatist**: its own score, with the scenario's weights as written;
//! - **dove**: weighs stability and low tension up and seeks *joint* gains (the others' scores
//!   count for it), so it makes concessions that reassure the others.
//!
//! Bots negotiate like people at a table: they propose deals (to human players from the first
//! round), answer every proposal addressed to them (accept, reject or counter) with a short
//! message giving their reason in the game's vocabulary, and react in plenary to events,
//! breaches and agreements. The lines come from the scenario's `[bot_chat]` templates, filled
//! from the model's numbers.
//!
//! Bots are deterministic: their only randomness is a stream keyed by the game's seed, the
//! round, the faction and the purpose of the draw.

use super::adjudicate::party_pairs;
use super::game::{apply_effect, rng, unit, Ctx, Game, STREAM_BOTS};
use super::ids::*;
use super::model::{self, ModelVars, Objective, Values};
use super::scenario::{Action, ClauseForm, ClauseKind, Scenario};
use super::types::*;
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;

/// Most orders a bot gives in one round.
const MAX_ORDERS: usize = 6;
/// Offers per side a bot considers trading.
const SHORTLIST: usize = 4;
/// Assumed chance that another faction would do what a "forbid" clause rules out.
const WOULD_DO: f64 = 0.5;
/// Most chat messages one bot posts in a round (briefing, negotiation and review together).
pub const MAX_MESSAGES_PER_ROUND: usize = 8;
/// Tension points below the crisis threshold at which a bot starts to fear a crisis.
const CRISIS_BAND: f64 = 20.0;
/// Each round of build time makes a programme's payoff this much less certain.
const BUILD_RISK: f64 = 0.95;

/// Which part of its turn a bot is asked to play; the driver runs all bots through each step
/// in turn so that every bot sees every proposal before declaring itself ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotStep {
    Propose,
    Respond,
    Act,
}

/// Purposes of random draws, each its own stream.
const DRAW_PROPOSE: u64 = 0;
const DRAW_ORDERS: u64 = 1;
const DRAW_CHAT: u64 = 2;

struct Temper {
    /// Multiplier per objective.
    tilt: fn(&str) -> f64,
    /// Weight given to low tension when the scenario gives none.
    tension_weight: f64,
    /// Weight of each rival's forecast score in the bot's utility (negative: relative gains).
    rival_weight: f64,
    /// Weight of every other faction's forecast score (positive: joint gains).
    other_weight: f64,
    /// Utility a deal must be worth to be signed.
    margin: f64,
    /// Utility cost per unit of budget and of capital spent.
    budget_cost: f64,
    capital_cost: f64,
    /// Gain above which the bot breaks an agreement (infinite: never).
    breach_above: f64,
    /// Chance of making a proposal to another bot in a round (to a human: always).
    propose_chance: f64,
    /// Weight of the crisis penalty in its own forecast.
    crisis_fear: f64,
}

fn temper(t: Temperament) -> Temper {
    match t {
        Temperament::Hawk => Temper {
            tilt: |o| match o {
                "retaliation_russia" | "retaliation_us" | "status" | "readiness" => 1.6,
                "cohesion" | "coverage" | "homeland_defence" | "allied_security" => 1.4,
                "border_security" => 0.8,
                "stability" => 0.6,
                "autonomy" => 0.5,
                "low_tension" => 0.3,
                _ => 1.0,
            },
            tension_weight: 0.02,
            rival_weight: -0.5,
            other_weight: 0.0,
            margin: 1.5,
            budget_cost: 0.05,
            capital_cost: 0.2,
            breach_above: 4.0,
            propose_chance: 0.5,
            crisis_fear: 1.2,
        },
        Temperament::Pragmatist => Temper {
            tilt: |_| 1.0,
            tension_weight: 0.1,
            rival_weight: 0.0,
            other_weight: 0.0,
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
                "border_security" | "autonomy" => 1.3,
                "retaliation_russia" | "retaliation_us" => 0.8,
                "status" | "cohesion" | "homeland_defence" => 0.7,
                "readiness" => 0.6,
                _ => 1.0,
            },
            tension_weight: 0.3,
            rival_weight: 0.0,
            other_weight: 0.6,
            margin: 0.0,
            budget_cost: 0.2,
            capital_cost: 0.3,
            breach_above: f64::INFINITY,
            propose_chance: 0.9,
            crisis_fear: 1.5,
        },
    }
}

/// A bot's forecast of every faction's score, and of its own utility, under hypothetical
/// changes to the state, all from one faction's picture of the world.
struct Forecaster<'g> {
    game: &'g Game,
    /// Whose utility this is (index into the scenario's factions).
    me: usize,
    /// Per faction: objective weights (the bot's own tilted by temperament; the others' as
    /// the scenario writes them), and their sum.
    weights: Vec<Vec<(Objective, f64)>>,
    wsum: Vec<f64>,
    perceives: Vec<bool>,
    /// Per faction, the weight of its score in the utility (1 for the bot itself).
    coef: Vec<f64>,
    /// Whether the utility needs the model with perception, without, or both.
    need_seen: bool,
    need_plain: bool,
    crisis_fear: f64,
    budget_cost: f64,
    capital_cost: f64,
    /// Tension's bounds.
    tension_bounds: (f64, f64),
    /// Pairs of factions already bound to each other by an agreement in force.
    bound: Vec<(FactionId, FactionId)>,
    /// The state as the viewer sees it now, and its utility: computed once per decision.
    base: Vec<f64>,
    base_utility: f64,
    /// Per action (scenario order), the utility change of one unit from `base`, once computed.
    deltas: RefCell<Vec<Option<f64>>>,
    /// The utility of `base` relieved by an agreement binding n new pairs, by n, once computed.
    relief_utility: RefCell<Vec<Option<f64>>>,
    /// State vectors to reuse (see [`Forecaster::scratch`]).
    pool: RefCell<Vec<Vec<f64>>>,
    /// The model on `base` from the faction's own kind of perspective, once computed (reasons
    /// compare states with it).
    base_outlook: RefCell<Option<Outlook>>,
}

/// A pooled state vector: a `Vec<f64>` that goes back to its forecaster's pool when dropped.
struct Scratch<'a> {
    pool: &'a RefCell<Vec<Vec<f64>>>,
    v: Vec<f64>,
}

impl std::ops::Deref for Scratch<'_> {
    type Target = Vec<f64>;
    fn deref(&self) -> &Vec<f64> {
        &self.v
    }
}

impl std::ops::DerefMut for Scratch<'_> {
    fn deref_mut(&mut self) -> &mut Vec<f64> {
        &mut self.v
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        self.pool.borrow_mut().push(std::mem::take(&mut self.v));
    }
}

/// The model's values from the two kinds of perspective a forecast may need, and tension
/// after the next adjudication's drift.
#[derive(Clone, Copy)]
struct Outlook {
    seen: Option<Values>,
    plain: Option<Values>,
    tension: f64,
}

impl<'g> Forecaster<'g> {
    /// `faction`'s utility under temperament `t`, on `faction`'s own picture.
    fn new(game: &'g Game, faction: &FactionId, t: Temperament) -> Self {
        Self::seen_by(game, faction, faction, t)
    }

    /// `faction`'s utility under temperament `t` as `viewer` imagines it: scored on what
    /// `viewer` knows of the world.
    fn seen_by(game: &'g Game, viewer: &FactionId, faction: &FactionId, t: Temperament) -> Self {
        let scn = &game.scenario;
        let tp = temper(t);
        let me = faction_index(scn, faction);
        let rivals = &scn.factions[me].rivals;
        let weights: Vec<Vec<(Objective, f64)>> = scn
            .factions
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let tilt = |k: &str| if i == me { (tp.tilt)(k) } else { 1.0 };
                let mut w: Vec<(Objective, f64)> = scn
                    .scoring
                    .get(&f.id)
                    .map(|s| {
                        s.weights
                            .iter()
                            .filter_map(|(k, w)| Objective::parse(k).map(|o| (o, w * tilt(k))))
                            .collect()
                    })
                    .unwrap_or_default();
                if i == me && !w.iter().any(|(o, _)| *o == Objective::LowTension) {
                    w.push((Objective::LowTension, tp.tension_weight));
                }
                w
            })
            .collect();
        let coef: Vec<f64> = scn
            .factions
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == me {
                    1.0
                } else if rivals.contains(&f.id) {
                    tp.rival_weight + tp.other_weight
                } else {
                    tp.other_weight
                }
            })
            .collect();
        let perceives: Vec<bool> = scn.factions.iter().map(|f| f.perceives_threat).collect();
        let counts = |want: bool| {
            coef.iter()
                .zip(&perceives)
                .any(|(c, p)| *c != 0.0 && *p == want)
        };
        let mut fc = Forecaster {
            game,
            me,
            wsum: weights
                .iter()
                .map(|w| w.iter().map(|(_, x)| x).sum())
                .collect(),
            weights,
            need_seen: counts(true),
            need_plain: counts(false),
            perceives,
            coef,
            crisis_fear: tp.crisis_fear,
            budget_cost: tp.budget_cost,
            capital_cost: tp.capital_cost,
            tension_bounds: scn
                .var_index("tension")
                .map(|i| (scn.variables[i].min, scn.variables[i].max))
                .unwrap_or((0.0, 100.0)),
            bound: game
                .core
                .agreements
                .iter()
                .filter(|a| a.in_force())
                .flat_map(|a| party_pairs(&a.terms.parties))
                .collect(),
            base: expected_state(game, viewer),
            base_utility: 0.0,
            deltas: RefCell::new(vec![None; scn.actions.len()]),
            relief_utility: RefCell::new(Vec::new()),
            pool: RefCell::new(Vec::new()),
            base_outlook: RefCell::new(None),
        };
        fc.base_utility = fc.utility_of(&fc.base);
        fc
    }

    fn scn(&self) -> &Scenario {
        &self.game.scenario
    }

    /// The model's values with and without perception (each only when asked for), and
    /// tension after the next adjudication's drift (docs/model.md §6), so that a bot sees what
    /// a perceived threat does to tension. Ê is the same in both kinds of perspective.
    fn outlook(&self, vars: &[f64], seen: bool, plain: bool) -> Outlook {
        let scn = self.scn();
        let mv = ModelVars {
            scenario: scn,
            values: vars,
        };
        let seen = seen.then(|| model::compute_values(scn, &self.game.params, &mv, true));
        let plain = (plain || seen.is_none())
            .then(|| model::compute_values(scn, &self.game.params, &mv, false));
        let e_hat = seen
            .as_ref()
            .or(plain.as_ref())
            .map_or(0.0, |v| v.perceived_engageability);
        let q = &self.game.params.fast;
        let (lo, hi) = self.tension_bounds;
        let tension = (mv.at(scn.slots().tension)
            + q.tension_threat_gain * (e_hat - q.threat_reference))
            .clamp(lo, hi);
        Outlook {
            seen,
            plain,
            tension,
        }
    }

    /// Faction `i`'s forecast score (0–100 scale) of a state, with the expected crisis
    /// penalty: a crisis's risk rises from nothing 20 points below the threshold to certain
    /// at it, so bots back away from the brink (hawks less than others).
    fn score(&self, i: usize, vars: &[f64], o: &Outlook) -> f64 {
        let scn = self.scn();
        let v = if self.perceives[i] {
            o.seen.as_ref().or(o.plain.as_ref())
        } else {
            o.plain.as_ref().or(o.seen.as_ref())
        };
        let Some(v) = v else { return 0.0 };
        let mv = ModelVars {
            scenario: scn,
            values: vars,
        };
        let slots = scn.slots();
        let mut sum = 0.0;
        for (obj, w) in &self.weights[i] {
            let x = if *obj == Objective::LowTension {
                1.0 - (o.tension / 100.0).clamp(0.0, 1.0)
            } else {
                obj.value(v, &mv, &slots)
            };
            sum += w * x;
        }
        let wsum = self.wsum[i];
        let s = if wsum > 0.0 { 100.0 * sum / wsum } else { 0.0 };
        let risk =
            ((o.tension - (scn.crisis_threshold - CRISIS_BAND)) / CRISIS_BAND).clamp(0.0, 1.0);
        let fear = if i == self.me { self.crisis_fear } else { 1.0 };
        s - self.game.params.fast.crisis_penalty * risk * fear
    }

    /// The bot's utility of a state: Σ coef · score.
    fn utility_of(&self, vars: &[f64]) -> f64 {
        let o = self.outlook(vars, self.need_seen, self.need_plain);
        self.coef
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != 0.0)
            .map(|(i, c)| c * self.score(i, vars, &o))
            .sum()
    }

    /// A state vector to work on, a copy of `from`, taken from (and given back on drop to) a
    /// pool: bots simulate thousands of states a game.
    fn scratch(&self, from: &[f64]) -> Scratch<'_> {
        let mut v = self.pool.borrow_mut().pop().unwrap_or_default();
        v.clear();
        v.extend_from_slice(from);
        Scratch {
            pool: &self.pool,
            v,
        }
    }

    /// `vars` after one unit of `a`, in a pooled vector.
    fn after_action(&self, vars: &[f64], a: &Action) -> Scratch<'_> {
        let mut v = self.scratch(vars);
        for e in &a.effects {
            apply_effect(self.scn(), &mut v, e, 1.0);
        }
        v
    }

    fn with_action(&self, vars: &[f64], a: &Action, q: u32) -> Vec<f64> {
        let mut v = vars.to_vec();
        for e in &a.effects {
            apply_effect(self.scn(), &mut v, e, f64::from(q));
        }
        v
    }

    /// Share of the rest of the game in which an effect due in `build` rounds still counts
    /// (the game score is the mean of round scores), less a little for the risk of a long
    /// programme. 0 when it would come after the last adjudication.
    fn horizon(&self, build: u32) -> f64 {
        let total = self.scn().rounds.len() as u32;
        let now = self.game.round.min(total);
        let due = now.saturating_add(build);
        if due >= total {
            return 0.0;
        }
        f64::from(total - due) / f64::from(total - now) * BUILD_RISK.powi(build.min(64) as i32)
    }

    /// The felt cost of an action's resources.
    fn cost(&self, a: &Action) -> f64 {
        self.budget_cost * a.budget + self.capital_cost * a.capital
    }

    /// Whether `a`'s prerequisites hold in `vars`.
    fn allowed(&self, vars: &[f64], a: &Action) -> bool {
        a.requires.iter().all(|r| {
            let v = vars.get(r.slot).copied().unwrap_or_else(|| {
                self.scn()
                    .var_index(r.var.as_str())
                    .map(|i| vars[i])
                    .unwrap_or(0.0)
            });
            r.min.is_none_or(|m| v >= m) && r.max.is_none_or(|m| v <= m)
        })
    }

    /// Utility change from one unit of `a` (by whoever owns it) from `vars`, counted over the
    /// rounds it would still matter. For a programme that opens the way to others (the SM-3
    /// IIB before the ships that carry it), the best programme it opens counts too.
    fn action_gain(&self, vars: &[f64], base: f64, a: &Action) -> f64 {
        let after = self.after_action(vars, a);
        let u_after = self.utility_of(&after);
        let mut gain = (u_after - base) * self.horizon(a.build_rounds);
        let owner = &a.owner;
        let mut best_next: f64 = 0.0;
        for b in self.scn().actions.iter().filter(|b| b.owner == *owner) {
            if std::ptr::eq(a, b)
                || self.allowed(vars, b)
                || !self.allowed(&after, b)
                || b.id == a.id
            {
                continue;
            }
            let next = self.after_action(&after, b);
            let g = (self.utility_of(&next) - u_after)
                * self.horizon(a.build_rounds.saturating_add(b.build_rounds))
                - self.cost(b);
            best_next = best_next.max(g);
        }
        gain += best_next;
        gain
    }

    /// [`Forecaster::action_gain`] from the base state, cached.
    fn base_action_gain(&self, a: &Action) -> f64 {
        let actions = &self.scn().actions;
        let Some(i) = actions
            .iter()
            .position(|x| std::ptr::eq(x, a))
            .or_else(|| actions.iter().position(|x| x.id == a.id))
        else {
            return 0.0;
        };
        if let Some(d) = self.deltas.borrow()[i] {
            return d;
        }
        let d = self.action_gain(&self.base, self.base_utility, a);
        self.deltas.borrow_mut()[i] = Some(d);
        d
    }

    /// The state a deal would bring about (what its clauses provide, their first round of
    /// effects and the tension relief), and the utility of the expected changes it cannot
    /// show in a state: forbidden actions not taken, costs and transfers.
    fn deal(&self, parties: &[FactionId], clauses: &[&Clause]) -> (Scratch<'_>, f64) {
        let (after, delta, _, _) = self.deal_parts(parties, clauses);
        (after, delta)
    }

    /// [`Forecaster::deal`], and whether any clause changes the state besides the tension
    /// relief, and how many pairs of parties the agreement would newly bind.
    fn deal_parts(
        &self,
        parties: &[FactionId],
        clauses: &[&Clause],
    ) -> (Scratch<'_>, f64, bool, u32) {
        let scn = self.scn();
        let me = &scn.factions[self.me].id;
        let mut after = self.scratch(&self.base);
        let mut delta = 0.0;
        let mut changes = false;
        for c in clauses {
            let Some(k) = scn.clause_kind(c.kind.as_str()) else {
                continue;
            };
            let mine = c.by == *me;
            if mine {
                delta -= self.capital_cost * k.capital_cost;
            }
            match k.form {
                ClauseForm::Forbid => {
                    if let Some(a) = c.action.as_ref().and_then(|a| scn.action(a.as_str())) {
                        let g = self.base_action_gain(a);
                        delta -= if a.owner == *me {
                            // What it would have done, it now forgoes.
                            (g - self.cost(a)).max(0.0)
                        } else {
                            WOULD_DO * g
                        };
                    }
                }
                ClauseForm::Transfer => {
                    let amount = c.amount.unwrap_or(0.0);
                    if mine {
                        delta -= self.budget_cost * amount;
                    } else if c.to.as_ref() == Some(me) {
                        delta += self.budget_cost * amount;
                    }
                }
                ClauseForm::Cap => {}
                ClauseForm::Guarantee | ClauseForm::Transparency | ClauseForm::Cooperation => {
                    changes = true;
                    if let Some(i) = k.provides.as_ref().and_then(|v| scn.var_index(v.as_str())) {
                        // A clause that needs ratification provides only if it passes.
                        let level = k.ratification.unwrap_or(1.0).clamp(0.0, 1.0);
                        after[i] = after[i].max(level).min(scn.variables[i].max);
                    }
                    for e in &k.effects_per_round {
                        apply_effect(scn, &mut after, e, 1.0);
                    }
                }
            }
        }
        let ti = scn.slots().tension;
        let mut new = 0u32;
        if ti < after.len() {
            // Relief for each pair of parties not yet bound by an agreement in force.
            for (k, a) in parties.iter().enumerate() {
                for b in &parties[k + 1..] {
                    let bound = a == b
                        || self
                            .bound
                            .iter()
                            .any(|(x, y)| (x == a && y == b) || (x == b && y == a));
                    if !bound {
                        new += 1;
                    }
                }
            }
            let relief = self.game.params.fast.tension_agreement_relief * f64::from(new);
            after[ti] = (after[ti] - relief).max(scn.variables[ti].min);
        }
        (after, delta, changes, new)
    }

    /// What signing these clauses is worth to this faction's utility. Most deals change the
    /// state only by their tension relief (promises not to act), so the utility of that state
    /// is worked out once per number of newly bound pairs.
    fn deal_gain(&self, parties: &[FactionId], clauses: &[&Clause]) -> f64 {
        let (after, delta, changes, new) = self.deal_parts(parties, clauses);
        let utility = if changes {
            self.utility_of(&after)
        } else {
            let mut cache = self.relief_utility.borrow_mut();
            let slot = new as usize;
            if cache.len() <= slot {
                cache.resize(slot + 1, None);
            }
            *cache[slot].get_or_insert_with(|| self.utility_of(&after))
        };
        delta + utility - self.base_utility
    }
}

/// The state `viewer` plans against: what it sees now, with the programmes under way that it
/// knows of (its own, and the others' that are not covert) completed. Planners answer the
/// deployments announced, not only those in place.
fn expected_state(game: &Game, viewer: &FactionId) -> Vec<f64> {
    let scn = &game.scenario;
    let mut vars = game.effective_vars_for(viewer);
    for b in &game.core.builds {
        if b.covert && b.faction != *viewer {
            continue;
        }
        if let Some(a) = scn.action(b.action.as_str()) {
            for e in &a.effects {
                apply_effect(scn, &mut vars, e, f64::from(b.quantity));
            }
        }
    }
    vars
}

fn faction_index(scn: &Scenario, f: &FactionId) -> usize {
    scn.factions.iter().position(|x| x.id == *f).unwrap_or(0)
}

/// Commands a bot playing `faction` gives at `step` of the current phase. A `chat` command
/// goes with the command before it (a proposal, an answer): a driver that sees that command
/// refused skips the chat after it.
pub fn bot_commands(
    game: &Game,
    faction: &FactionId,
    t: Temperament,
    step: BotStep,
) -> Vec<Command> {
    // A bot that is ready still answers proposals made to it afterwards.
    if matches!(game.phase, Phase::Lobby | Phase::Ended)
        || (game.ready.contains(faction) && step != BotStep::Respond)
    {
        return Vec::new();
    }
    let tp = temper(t);
    let mut talk = Talk::new(game, faction);
    let mut out = Vec::new();
    match (game.phase, step) {
        (Phase::Negotiation, BotStep::Propose) => {
            let fc = Forecaster::new(game, faction, t);
            for (k, (terms, why)) in proposals(game, &fc, &tp, faction).into_iter().enumerate() {
                let to = others_named(game, &terms.parties, faction);
                let line = talk.line(
                    &game.scenario.bot_chat.propose,
                    u64::from(game.round) * 16 + k as u64,
                    &[
                        ("to", to),
                        ("title", terms.title.clone()),
                        ("terms", describe_terms(game, &terms)),
                        ("reason", why),
                    ],
                );
                let channel = channel_of(&terms.parties, faction);
                out.push(Command::Propose { terms });
                if let (Some(text), Some(channel)) = (line, channel) {
                    out.push(Command::Chat { channel, text });
                }
            }
        }
        (Phase::Negotiation, BotStep::Respond) => {
            let fc = Forecaster::new(game, faction, t);
            // Clauses the bot accepts in this step: the answers are all given before any of
            // them is signed, so a second deal with the same clause is seen by this list.
            let mut accepting: Vec<Clause> = Vec::new();
            for p in &game.proposals {
                if p.status != ProposalStatus::Open
                    || !p.terms.parties.contains(faction)
                    || p.accepted_by.contains(faction)
                {
                    continue;
                }
                out.extend(answer(
                    game,
                    &fc,
                    &tp,
                    faction,
                    p,
                    &mut accepting,
                    &mut talk,
                ));
            }
        }
        (Phase::Orders, BotStep::Act) => {
            let fc = Forecaster::new(game, faction, t);
            let fi = faction_index(&game.scenario, faction) as u64;
            let mut rng = rng(
                game.config.seed,
                game.round,
                STREAM_BOTS + 16 * fi + DRAW_ORDERS,
            );
            for o in plan_orders(game, &fc, &tp, faction, &mut rng) {
                // A bot that breaks an agreement does so knowingly (plan_orders weighs it).
                out.push(Command::SubmitOrder {
                    action: o.action,
                    quantity: o.quantity,
                    confirm_breach: true,
                });
            }
            out.push(Command::Ready {});
        }
        (Phase::Briefing, BotStep::Act) => {
            out.extend(react_to_events(game, faction, &mut talk));
            out.push(Command::Ready {});
        }
        (Phase::Review, BotStep::Act) => {
            out.extend(react_to_report(game, faction, &mut talk));
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
    rng: &mut ChaCha8Rng,
) -> Vec<Order> {
    let scn = &game.scenario;
    let mut vars = fc.base.clone();
    let mut draft: Vec<Order> = Vec::new();
    let own: Vec<&Action> = scn.actions.iter().filter(|a| a.owner == *faction).collect();
    // Jitter per action, drawn once, so different seeds give different games.
    let jitter: Vec<f64> = own.iter().map(|_| unit(rng) - 0.5).collect();
    for _ in 0..MAX_ORDERS {
        let base = fc.utility_of(&vars);
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
            let mut value = fc.action_gain(&vars, base, a) - fc.cost(a) + 0.3 * jitter[i];
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

// ----- negotiation -----

/// Clauses `giver` could offer in an agreement between `parties`.
fn offers(game: &Game, giver: &FactionId, parties: &[&FactionId]) -> Vec<Clause> {
    let scn = &game.scenario;
    let mut out = Vec::new();
    let vars = &game.core.vars;
    for k in &scn.clause_kinds {
        if !k.givers.is_empty() && !k.givers.contains(giver) {
            continue;
        }
        if !k.parties.iter().all(|p| parties.contains(&p)) {
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
                    // The specific card when there is one; the generic card for the rest.
                    if k.actions.is_empty()
                        && scn.clause_kinds.iter().any(|o| {
                            o.form == ClauseForm::Forbid
                                && o.id != k.id
                                && o.actions.contains(&a.id)
                        })
                    {
                        continue;
                    }
                    // Nor a promise already given in an agreement that binds now.
                    if forbidden_already(game, giver, &a.id) {
                        continue;
                    }
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

/// Whether an agreement in force (or awaiting ratification) already holds this clause.
fn binds_already(game: &Game, c: &Clause) -> bool {
    game.core.agreements.iter().any(|ag| {
        matches!(
            ag.status,
            AgreementStatus::InForce | AgreementStatus::PendingRatification
        ) && ag.terms.clauses.iter().any(|x| x == c)
    })
}

fn forbidden_already(game: &Game, giver: &FactionId, action: &ActionId) -> bool {
    game.core.agreements.iter().any(|ag| {
        matches!(
            ag.status,
            AgreementStatus::InForce | AgreementStatus::PendingRatification
        ) && ag
            .terms
            .clauses
            .iter()
            .any(|c| c.by == *giver && c.action.as_ref() == Some(action))
    })
}

fn provided_already(game: &Game, k: &ClauseKind, vars: &[f64]) -> bool {
    k.provides
        .as_ref()
        .and_then(|v| game.scenario.var_index(v.as_str()))
        .is_some_and(|i| vars[i] >= 1.0)
        || game.core.agreements.iter().any(|ag| {
            matches!(
                ag.status,
                AgreementStatus::InForce | AgreementStatus::PendingRatification
            ) && ag.terms.clauses.iter().any(|c| c.kind == k.id)
        })
}

/// The proposals a bot makes this round (at most one to each other faction), each with the
/// reason it gives the other side.
fn proposals(game: &Game, fc: &Forecaster, tp: &Temper, me: &FactionId) -> Vec<(Terms, String)> {
    let scn = &game.scenario;
    let fi = faction_index(scn, me) as u64;
    let mut rng = rng(
        game.config.seed,
        game.round,
        STREAM_BOTS + 16 * fi + DRAW_PROPOSE,
    );
    let remaining = (scn.rounds.len() as u32).saturating_sub(game.round);
    let mut out = Vec::new();
    for other in scn.factions.iter().map(|x| &x.id).filter(|g| *g != me) {
        // One draw per counterpart whatever happens, so the streams stay aligned.
        let roll = unit(&mut rng);
        let already = game
            .proposals
            .iter()
            .any(|p| p.round == game.round && p.proposer == *me && p.terms.parties.contains(other));
        let human = !game.config.bots.contains_key(other);
        if already || (!human && roll >= tp.propose_chance) {
            continue;
        }
        let them = Forecaster::seen_by(game, me, other, Temperament::Pragmatist);
        let parties = [me, other];
        let pair = [me.clone(), other.clone()];
        let mine = offers(game, me, &parties);
        let theirs = offers(game, other, &parties);
        // Each offer of ours alone, each request alone, or a trade drawn from a shortlist: the
        // offers of theirs worth most to us and ours worth most to them.
        let gains = |offers: &[Clause], judge: &Forecaster| -> Vec<f64> {
            offers
                .iter()
                .map(|c| judge.deal_gain(&pair, &[c]))
                .collect()
        };
        let shortlist = |gains: &[f64]| -> Vec<usize> {
            let mut scored: Vec<(f64, usize)> = gains.iter().copied().zip(0..).collect();
            scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            scored.into_iter().take(SHORTLIST).map(|(_, i)| i).collect()
        };
        let (mine_to_us, mine_to_them) = (gains(&mine, fc), gains(&mine, &them));
        let theirs_to_us = gains(&theirs, fc);
        let their_best = shortlist(&theirs_to_us);
        let our_best = shortlist(&mine_to_them);
        let mut candidates: Vec<(Option<usize>, Option<usize>)> = Vec::new();
        candidates.extend((0..mine.len()).map(|i| (Some(i), None)));
        candidates.extend(their_best.iter().map(|&j| (None, Some(j))));
        for &i in &our_best {
            for &j in &their_best {
                candidates.push((Some(i), Some(j)));
            }
        }
        // Terms this faction already put to that counterpart and saw turned down are not
        // offered again.
        let turned_down: Vec<&Vec<Clause>> = game
            .proposals
            .iter()
            .filter(|p| {
                p.proposer == *me
                    && p.terms.parties.contains(other)
                    && matches!(
                        p.status,
                        ProposalStatus::Rejected { .. } | ProposalStatus::Countered { .. }
                    )
            })
            .map(|p| &p.terms.clauses)
            .collect();
        // Nor terms already on the table between the two of them (the other side may have
        // proposed the same deal a moment ago).
        let on_table: Vec<&Vec<Clause>> = game
            .proposals
            .iter()
            .filter(|p| {
                p.status == ProposalStatus::Open
                    && p.terms.parties.len() == 2
                    && p.terms.parties.contains(me)
                    && p.terms.parties.contains(other)
            })
            .map(|p| &p.terms.clauses)
            .collect();
        let mut best: Option<(f64, Vec<&Clause>)> = None;
        let mut fallback: Option<(f64, Vec<&Clause>)> = None;
        for (i, j) in candidates {
            let clauses: Vec<&Clause> = i
                .map(|i| &mine[i])
                .into_iter()
                .chain(j.map(|j| &theirs[j]))
                .collect();
            // One institution, not the same one twice (CSTO–NATO cooperation given by each).
            if let (Some(i), Some(j)) = (i, j) {
                let institution = game
                    .scenario
                    .clause_kind(mine[i].kind.as_str())
                    .is_some_and(|k| k.provides.is_some());
                if mine[i].kind == theirs[j].kind && institution {
                    continue;
                }
            }
            if turned_down
                .iter()
                .chain(&on_table)
                .any(|t| same_clauses(t, &clauses))
            {
                continue;
            }
            let (mine_gain, their_gain) = match (i, j) {
                (Some(i), None) => (mine_to_us[i], mine_to_them[i]),
                (None, Some(j)) => (theirs_to_us[j], them.deal_gain(&pair, &clauses)),
                _ => (
                    fc.deal_gain(&pair, &clauses),
                    them.deal_gain(&pair, &clauses),
                ),
            };
            let value = mine_gain + 0.5 * their_gain;
            if mine_gain >= tp.margin.max(0.2) && their_gain >= 0.0 {
                if best.as_ref().is_none_or(|(v, _)| value > *v) {
                    best = Some((value, clauses));
                }
            } else if human
                && mine_gain >= 0.0
                && fallback
                    .as_ref()
                    .is_none_or(|(v, _)| mine_gain + their_gain > *v)
            {
                // A person at the table should always have something to answer: the deal
                // best for both that costs this bot nothing.
                fallback = Some((mine_gain + their_gain, clauses));
            }
        }
        let Some((_, clauses)) = best.or(fallback) else {
            continue;
        };
        let clauses: Vec<Clause> = clauses.into_iter().cloned().collect();
        let mut parties = vec![me.clone(), other.clone()];
        parties.sort();
        let terms = Terms {
            title: truncate(
                &fill_template(
                    &game.scenario.bot_chat.phrases.deal_title,
                    &[
                        ("faction", game.faction_name(me)),
                        ("other", game.faction_name(other)),
                        ("round", game.round_label().to_owned()),
                    ],
                ),
                super::game::MAX_TITLE_CHARS,
            ),
            parties,
            clauses,
            duration_rounds: remaining.clamp(1, 3),
            public: true,
        };
        if game.check_terms(me, &terms).is_err() {
            continue;
        }
        let why = reason_for(game, &them, &terms.parties, &terms.clauses, true).unwrap_or_default();
        out.push((terms, why));
    }
    out
}

/// The title of this bot's version of `p`: "Moscow accord (US/NATO draft)".
fn draft_title(game: &Game, p: &Proposal, me: &FactionId) -> String {
    truncate(
        &fill_template(
            &game.scenario.bot_chat.phrases.draft_title,
            &[
                ("title", p.terms.title.clone()),
                ("faction", game.faction_name(me)),
            ],
        ),
        super::game::MAX_TITLE_CHARS,
    )
}

/// Whether two clause lists hold the same clauses, in any order.
fn same_clauses(a: &[Clause], b: &[&Clause]) -> bool {
    a.len() == b.len() && a.iter().all(|c| b.contains(&c))
}

/// The clauses of a list, by reference.
fn refs(clauses: &[Clause]) -> Vec<&Clause> {
    clauses.iter().collect()
}

/// A bot's answer to an open proposal addressed to it: accept, counter or reject, each with a
/// line in the channel it shares with the proposer.
fn answer(
    game: &Game,
    fc: &Forecaster,
    tp: &Temper,
    me: &FactionId,
    p: &Proposal,
    accepting: &mut Vec<Clause>,
    talk: &mut Talk,
) -> Vec<Command> {
    // Terms that repeat what an agreement in force (or one accepted a moment ago) already says
    // are never signed as they stand: a clause signed twice would be broken twice. Those that
    // only repeat add nothing; the others are answered with the rest of their terms.
    let held = |c: &Clause| binds_already(game, c) || accepting.contains(c);
    let repeated = p.terms.clauses.iter().any(held);
    let redundant = p.terms.clauses.iter().all(held);
    let gain = if repeated {
        f64::NEG_INFINITY
    } else {
        fc.deal_gain(&p.terms.parties, &refs(&p.terms.clauses))
    };
    let channel = channel_of(&[me.clone(), p.proposer.clone()], me);
    let to = game.faction_name(&p.proposer);
    let seed = u64::from(p.id);
    let mut out = Vec::new();
    let stripped = (repeated && !redundant && p.counter_of.is_none())
        .then(|| new_terms_only(game, fc, tp, me, p, held))
        .flatten();
    if let Some(terms) = stripped {
        let why = reason_for(game, fc, &terms.parties, &terms.clauses, true).unwrap_or_default();
        let line = talk.line(
            &game.scenario.bot_chat.counter,
            seed,
            &[
                ("to", to),
                ("title", p.terms.title.clone()),
                ("terms", describe_terms(game, &terms)),
                ("reason", why),
            ],
        );
        out.push(Command::Counter {
            proposal: p.id,
            terms,
        });
        if let (Some(text), Some(ch)) = (line, channel) {
            out.push(Command::Chat { channel: ch, text });
        }
        return out;
    }
    if gain >= tp.margin {
        out.push(Command::Accept { proposal: p.id });
        accepting.extend(p.terms.clauses.iter().cloned());
        let why =
            reason_for(game, fc, &p.terms.parties, &p.terms.clauses, true).unwrap_or_default();
        if let (Some(text), Some(ch)) = (
            talk.line(
                &game.scenario.bot_chat.accept,
                seed,
                &[
                    ("to", to),
                    ("title", p.terms.title.clone()),
                    ("reason", why),
                ],
            ),
            channel,
        ) {
            out.push(Command::Chat { channel: ch, text });
        }
        return out;
    }
    // A counter-proposal, unless this already is one (two bots would bargain forever).
    if p.counter_of.is_none() && !repeated {
        if let Some(terms) = counter_terms(game, fc, tp, me, p) {
            let why =
                reason_for(game, fc, &terms.parties, &terms.clauses, true).unwrap_or_default();
            let line = talk.line(
                &game.scenario.bot_chat.counter,
                seed,
                &[
                    ("to", to),
                    ("title", p.terms.title.clone()),
                    ("terms", describe_terms(game, &terms)),
                    ("reason", why),
                ],
            );
            out.push(Command::Counter {
                proposal: p.id,
                terms,
            });
            if let (Some(text), Some(ch)) = (line, channel) {
                out.push(Command::Chat { channel: ch, text });
            }
            return out;
        }
    }
    let why = reason_for(game, fc, &p.terms.parties, &p.terms.clauses, false).unwrap_or_default();
    let reason = truncate(&why, super::game::MAX_TITLE_CHARS);
    out.push(Command::Reject {
        proposal: p.id,
        reason,
    });
    if let (Some(text), Some(ch)) = (
        talk.line(
            &game.scenario.bot_chat.reject,
            seed,
            &[
                ("to", to),
                ("title", p.terms.title.clone()),
                ("reason", why),
            ],
        ),
        channel,
    ) {
        out.push(Command::Chat { channel: ch, text });
    }
    out
}

/// `p`'s terms without the clauses already `held`, if the bot would sign what is left.
fn new_terms_only(
    game: &Game,
    fc: &Forecaster,
    tp: &Temper,
    me: &FactionId,
    p: &Proposal,
    held: impl Fn(&Clause) -> bool,
) -> Option<Terms> {
    let clauses: Vec<Clause> = p
        .terms
        .clauses
        .iter()
        .filter(|c| !held(c))
        .cloned()
        .collect();
    if clauses.is_empty() || fc.deal_gain(&p.terms.parties, &refs(&clauses)) < tp.margin {
        return None;
    }
    let terms = Terms {
        title: draft_title(game, p, me),
        clauses,
        ..p.terms.clone()
    };
    game.check_terms(me, &terms).ok().map(|_| terms)
}

/// Terms the bot would sign instead of `p`: without the clause of its own that costs it most,
/// or with one more clause from the proposer. Same parties, as a counter must keep them.
fn counter_terms(
    game: &Game,
    fc: &Forecaster,
    tp: &Temper,
    me: &FactionId,
    p: &Proposal,
) -> Option<Terms> {
    let proposer = &p.proposer;
    let them = Forecaster::seen_by(game, me, proposer, Temperament::Pragmatist);
    let parties: Vec<&FactionId> = p.terms.parties.iter().collect();
    let mut variants: Vec<Vec<Clause>> = Vec::new();
    if p.terms.clauses.len() > 1 {
        for i in 0..p.terms.clauses.len() {
            if p.terms.clauses[i].by == *me {
                let mut v = p.terms.clauses.clone();
                v.remove(i);
                variants.push(v);
            }
        }
    }
    if p.terms.clauses.len() < super::game::MAX_CLAUSES {
        for extra in offers(game, proposer, &parties) {
            if p.terms.clauses.iter().any(|c| c == &extra) {
                continue;
            }
            let mut v = p.terms.clauses.clone();
            v.push(extra);
            variants.push(v);
        }
    }
    let their_now = them.deal_gain(&p.terms.parties, &refs(&p.terms.clauses));
    let mut best: Option<(f64, Vec<Clause>)> = None;
    for clauses in variants {
        let mine = fc.deal_gain(&p.terms.parties, &refs(&clauses));
        let theirs = them.deal_gain(&p.terms.parties, &refs(&clauses));
        // Something it would sign, and not much worse for the proposer than its own terms.
        if mine < tp.margin || theirs < their_now.min(0.0) - 1.0 {
            continue;
        }
        let value = mine + theirs;
        if best.as_ref().is_none_or(|(v, _)| value > *v) {
            best = Some((value, clauses));
        }
    }
    let (_, clauses) = best?;
    let title = draft_title(game, p, me);
    let terms = Terms {
        title,
        clauses,
        ..p.terms.clone()
    };
    game.check_terms(me, &terms).ok().map(|_| terms)
}

// ----- chat -----

/// A bot's voice for one step: its faction's name, its message budget for the round and its
/// random stream for choosing among a line's variants.
struct Talk<'g> {
    game: &'g Game,
    me: &'g FactionId,
    left: usize,
    stream: u64,
}

impl<'g> Talk<'g> {
    fn new(game: &'g Game, me: &'g FactionId) -> Self {
        let said = game
            .posted
            .get(&(game.round, me.clone()))
            .copied()
            .unwrap_or(0) as usize;
        let fi = faction_index(&game.scenario, me) as u64;
        Talk {
            game,
            me,
            left: MAX_MESSAGES_PER_ROUND.saturating_sub(said),
            stream: STREAM_BOTS + 16 * fi + DRAW_CHAT,
        }
    }

    /// One of `variants`, filled; `None` when there is none or the bot has said enough this
    /// round. `key` picks the variant (with the seed and round), so the same occasion always
    /// gets the same words.
    fn line(&mut self, variants: &[String], key: u64, fill: &[(&str, String)]) -> Option<String> {
        if variants.is_empty() || self.left == 0 {
            return None;
        }
        let mut r = rng(
            self.game.config.seed ^ key.wrapping_mul(0x9E37_79B9),
            self.game.round,
            self.stream,
        );
        let pick = ((unit(&mut r) * variants.len() as f64) as usize).min(variants.len() - 1);
        let mut all = vec![("faction", self.game.faction_name(self.me))];
        all.extend(fill.iter().cloned());
        let text = fill_template(&variants[pick], &all);
        if text.trim().is_empty() {
            return None;
        }
        self.left -= 1;
        Some(truncate(&text, super::game::MAX_CHAT_CHARS))
    }
}

/// Replaces `{name}` with its value; unknown names are left as they are (`scenario check`
/// refuses them).
pub fn fill_template(template: &str, fill: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match fill.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Placeholder names in a template.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

/// The bilateral channel of a two-party deal (for more parties, the one with the first other
/// party, so that nothing is said where non-parties read).
fn channel_of(parties: &[FactionId], me: &FactionId) -> Option<Channel> {
    let other = parties.iter().find(|p| *p != me)?;
    let (a, b) = if me < other { (me, other) } else { (other, me) };
    Some(Channel::Bilateral {
        factions: [a.clone(), b.clone()],
    })
}

fn others_named(game: &Game, parties: &[FactionId], me: &FactionId) -> String {
    and_list(
        parties
            .iter()
            .filter(|p| *p != me)
            .map(|p| game.faction_name(p))
            .collect(),
        &game.scenario.bot_chat.phrases.and,
    )
}

fn and_list(items: Vec<String>, and: &str) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} {and} {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// The clauses in words: "US/NATO: Political guarantee; Russia: No Iskander in Kaliningrad".
fn describe_terms(game: &Game, terms: &Terms) -> String {
    let scn = &game.scenario;
    let phrases = &scn.bot_chat.phrases;
    terms
        .clauses
        .iter()
        .map(|c| {
            let kind = scn
                .clause_kind(c.kind.as_str())
                .map(|k| k.name.clone())
                .unwrap_or_else(|| c.kind.to_string());
            let detail = match (&c.action, &c.var, c.max, &c.to, c.amount) {
                (Some(a), ..)
                    if scn
                        .clause_kind(c.kind.as_str())
                        .is_some_and(|k| k.actions.len() != 1) =>
                {
                    format!(
                        " ({})",
                        scn.action(a.as_str())
                            .map(|x| x.name.as_str())
                            .unwrap_or(a.as_str())
                    )
                }
                (_, Some(v), Some(max), ..) => format!(
                    " ({})",
                    fill_template(
                        &phrases.cap,
                        &[
                            (
                                "var",
                                scn.variables
                                    .iter()
                                    .find(|x| x.id == *v)
                                    .map_or_else(|| v.to_string(), |x| x.name.clone()),
                            ),
                            ("id", v.to_string()),
                            ("max", format!("{max}")),
                        ],
                    )
                ),
                (.., Some(to), Some(amount)) => format!(
                    " ({})",
                    fill_template(
                        &phrases.transfer,
                        &[
                            ("amount", format!("{amount}")),
                            ("to", game.faction_name(to)),
                        ],
                    )
                ),
                _ => String::new(),
            };
            format!("{}: {kind}{detail}", game.faction_name(&c.by))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a deal is good (`better`) or bad for the forecaster's faction, in the scenario's words:
/// whichever weighs most among the objectives it moves, the actions it would forgo, and the
/// political capital it would pay; the scenario's `otherwise` line when nothing does. Only the
/// winning reason is put into words.
fn reason_for(
    game: &Game,
    fc: &Forecaster,
    parties: &[FactionId],
    clauses: &[Clause],
    better: bool,
) -> Option<String> {
    let scn = &game.scenario;
    let chat = &scn.bot_chat;
    let who = game.faction_name(&scn.factions[fc.me].id);
    let (after, _) = fc.deal(parties, &refs(clauses));
    let me = &scn.factions[fc.me].id;
    let sign = if better { 1.0 } else { -1.0 };
    let mut best: Option<(f64, String)> = None;
    // A reason weighing `weight`, put into words only when it outweighs the best so far.
    let mut offer = |weight: f64, text: &dyn Fn() -> Option<String>| {
        if weight > 1e-9 && best.as_ref().is_none_or(|(v, _)| weight > *v) {
            if let Some(text) = text() {
                best = Some((weight, text));
            }
        }
    };
    let consider = |from: &[f64], to: &[f64], offer: &mut Offer<'_>| {
        for m in objective_moves(game, fc, from, to) {
            let Some(lines) = chat.reasons.get(m.objective.id()) else {
                continue;
            };
            let template = if better { &lines.better } else { &lines.worse };
            offer(sign * m.points, &|| {
                let (b, a) = m.readings()?;
                Some(fill_template(
                    template,
                    &[("who", who.clone()), ("before", b), ("after", a)],
                ))
            });
        }
    };
    consider(&fc.base, &after, &mut offer);
    let mut capital = 0.0;
    for c in clauses {
        let Some(kind) = scn.clause_kind(c.kind.as_str()) else {
            continue;
        };
        if c.by == *me {
            capital += kind.capital_cost;
        }
        if kind.form != ClauseForm::Forbid {
            continue;
        }
        let Some(a) = c.action.as_ref().and_then(|a| scn.action(a.as_str())) else {
            continue;
        };
        if c.by == *me {
            // What the faction promises not to do, and would have gained by doing.
            let lost = (fc.base_action_gain(a) - fc.cost(a)).max(0.0);
            if !better && !chat.forgo.is_empty() {
                offer(lost, &|| {
                    Some(fill_template(
                        &chat.forgo,
                        &[("who", who.clone()), ("action", lower_first(&a.name))],
                    ))
                });
            }
        } else {
            // What another faction promises not to do: the state it would have brought.
            let prevented = fc.with_action(&fc.base, a, 1);
            consider(&prevented, &fc.base, &mut offer);
        }
    }
    if !better && capital > 0.0 && !chat.cost.is_empty() {
        offer(fc.capital_cost * capital, &|| {
            Some(fill_template(
                &chat.cost,
                &[("who", who.clone()), ("amount", format!("{capital}"))],
            ))
        });
    }
    best.map(|(_, t)| t).or_else(|| {
        let line = if better {
            &chat.otherwise.better
        } else {
            &chat.otherwise.worse
        };
        (!line.is_empty()).then(|| fill_template(line, &[("who", who)]))
    })
}

/// Takes a reason's weight, and the words for it should it be the weightiest so far.
type Offer<'a> = dyn FnMut(f64, &dyn Fn() -> Option<String>) + 'a;

/// How one of a faction's weighted objectives moves between two states.
struct ObjectiveMove {
    objective: Objective,
    /// Score points: weight × change, over the sum of weights.
    points: f64,
    /// The objective's value before and after (0–1).
    from: f64,
    to: f64,
    /// Tension before and after, which `low_tension` is read aloud in.
    tension: (f64, f64),
    /// A private variable feeds it: said without its reading, so a bot never gives away a
    /// secret.
    secret: bool,
}

impl ObjectiveMove {
    /// The readings said aloud, before and after: empty for a secret objective; with as many
    /// decimals as it takes to tell them apart (up to two more than usual); `None` for a move too
    /// small to show, which is no reason to give.
    fn readings(&self) -> Option<(String, String)> {
        if self.secret {
            return Some((String::new(), String::new()));
        }
        let say = |x: f64, t: f64, extra: usize| -> String {
            match self.objective {
                Objective::LowThreat => format!("{:.*}", 2 + extra, 1.0 - x),
                Objective::LowTension => format!("{:.*}", extra, t),
                Objective::Coverage | Objective::BorderSecurity | Objective::HomelandDefence => {
                    format!("{:.*}%", extra, 100.0 * x)
                }
                _ => format!("{:.*}", extra, 100.0 * x),
            }
        };
        let (tf, tt) = self.tension;
        (0..=2)
            .map(|extra| (say(self.from, tf, extra), say(self.to, tt, extra)))
            .find(|(b, a)| b != a)
    }
}

/// How each of the faction's weighted objectives moves between two states.
fn objective_moves(game: &Game, fc: &Forecaster, from: &[f64], to: &[f64]) -> Vec<ObjectiveMove> {
    let scn = &game.scenario;
    let perceives = fc.perceives[fc.me];
    let own = |vars: &[f64]| {
        if std::ptr::eq(vars.as_ptr(), fc.base.as_ptr()) {
            *fc.base_outlook
                .borrow_mut()
                .get_or_insert_with(|| fc.outlook(vars, perceives, !perceives))
        } else {
            fc.outlook(vars, perceives, !perceives)
        }
    };
    let before = own(from);
    let after = own(to);
    let pick = |o: &Outlook| if perceives { o.seen } else { o.plain };
    let (Some(vf), Some(vt)) = (pick(&before), pick(&after)) else {
        return Vec::new();
    };
    let (tf, tt) = (before.tension, after.tension);
    let weights = &fc.weights[fc.me];
    let wsum = fc.wsum[fc.me].max(1e-9);
    let slots = scn.slots();
    let mf = ModelVars {
        scenario: scn,
        values: from,
    };
    let mt = ModelVars {
        scenario: scn,
        values: to,
    };
    weights
        .iter()
        .map(|(obj, w)| {
            let (of, ot) = if *obj == Objective::LowTension {
                (1.0 - tf / 100.0, 1.0 - tt / 100.0)
            } else {
                (obj.value(&vf, &mf, &slots), obj.value(&vt, &mt, &slots))
            };
            ObjectiveMove {
                objective: *obj,
                points: 100.0 * w * (ot - of) / wsum,
                from: of,
                to: ot,
                tension: (tf, tt),
                secret: slots.secret_objectives.contains(obj),
            }
        })
        .collect()
}

/// At the briefing: a word in plenary about this round's events, where the scenario gives the
/// bot's faction a line for one.
fn react_to_events(game: &Game, me: &FactionId, talk: &mut Talk) -> Vec<Command> {
    let scn = &game.scenario;
    // The round's weightiest event the faction has a line for: the one that moves the state
    // most (a war in Ukraine before a missile test).
    let size = |id: &EventId| -> f64 {
        scn.event(id.as_str()).map_or(0.0, |card| {
            card.effects
                .iter()
                .map(|e| match e {
                    super::scenario::EventEffect::Var(v) => v.delta.map_or(5.0, f64::abs),
                    _ => 5.0,
                })
                .sum()
        })
    };
    let mut best: Option<(f64, &String)> = None;
    for (round, fired) in &game.briefings {
        if *round != game.round {
            continue;
        }
        let line = scn
            .bot_chat
            .events
            .iter()
            .find(|e| e.event == fired.id)
            .and_then(|e| e.lines.get(me));
        if let Some(line) = line {
            let w = size(&fired.id);
            if best.is_none_or(|(v, _)| w > v) {
                best = Some((w, line));
            }
        }
    }
    let Some((_, line)) = best else {
        return Vec::new();
    };
    let key = u64::from(game.round) ^ 0xE7E7;
    talk.line(std::slice::from_ref(line), key, &[])
        .map(|text| {
            vec![Command::Chat {
                channel: Channel::Plenary,
                text,
            }]
        })
        .unwrap_or_default()
}

/// At the review: a word about the round just adjudicated, the most pressing first: a caught
/// breach of one of its agreements, an agreement it signed, tension near the crisis threshold.
fn react_to_report(game: &Game, me: &FactionId, talk: &mut Talk) -> Vec<Command> {
    let scn = &game.scenario;
    let chat = &scn.bot_chat;
    let Some(report) = game.reports.last().filter(|r| r.round == game.round) else {
        return Vec::new();
    };
    let Some(mine) = report.factions.get(me) else {
        return Vec::new();
    };
    let key = u64::from(game.round) ^ 0x5EED;
    if let Some(b) = mine.breaches.iter().find(|b| b.detected && b.by != *me) {
        let channel = if b.public {
            Some(Channel::Plenary)
        } else {
            channel_of(&[me.clone(), b.by.clone()], me)
        };
        let line = talk.line(
            &chat.breach,
            key,
            &[
                ("breaker", game.faction_name(&b.by)),
                ("title", b.agreement_title.clone()),
            ],
        );
        if let (Some(text), Some(channel)) = (line, channel) {
            return vec![Command::Chat { channel, text }];
        }
    }
    let signed =
        game.core.agreements.iter().find(|a| {
            a.signed_round == game.round && a.terms.public && a.terms.parties.contains(me)
        });
    if let Some(a) = signed {
        let parties = others_named(game, &a.terms.parties, me);
        if let Some(text) = talk.line(
            &chat.signed,
            key,
            &[("title", a.terms.title.clone()), ("parties", parties)],
        ) {
            return vec![Command::Chat {
                channel: Channel::Plenary,
                text,
            }];
        }
    }
    let tension = report.public.tension.value;
    if tension >= scn.crisis_threshold - chat.tension_warning_margin {
        if let Some(text) = talk.line(
            &chat.tension,
            key,
            &[
                ("tension", format!("{tension:.0}")),
                ("threshold", format!("{:.0}", scn.crisis_threshold)),
            ],
        ) {
            return vec![Command::Chat {
                channel: Channel::Plenary,
                text,
            }];
        }
    }
    Vec::new()
}

/// "Deploy an Iskander…" → "deploy an Iskander…", but "NATO infrastructure…" unchanged.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => a
            .to_lowercase()
            .chain(std::iter::once(b))
            .chain(chars)
            .collect(),
        _ => s.to_owned(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Plays every bot seat through the current phase, returning the events caused. Bots that are
/// done declare themselves ready, which advances the phase once every faction is ready.
pub fn play_bots(game: &mut Game, ctx: &Ctx) -> Vec<Event> {
    let mut events = Vec::new();
    drive(game, ctx, Some(&mut events));
    events
}

/// As [`play_bots`], keeping no log of the events (simulations).
pub fn play_bots_unlogged(game: &mut Game, ctx: &Ctx) {
    drive(game, ctx, None);
}

fn drive(game: &mut Game, ctx: &Ctx, mut log: Option<&mut Vec<Event>>) {
    let mut pass = BotPass::new(game);
    while let Some((seat, cmd, ctx)) = pass.next(game, ctx.now_ms) {
        let applied = match log.as_deref_mut() {
            Some(log) => game.apply(&seat, &cmd, &ctx).map(|evs| log.extend(evs)),
            None => game.apply_unlogged(&seat, &cmd, &ctx),
        };
        pass.answer(applied.is_ok());
    }
}

/// One pass of the bots over the current phase, as a sequence of commands to try: for each
/// step (propose, respond, act), each bot's commands, planned from the game as it is when that
/// bot's step begins. The engine's simulations and the server's game task both play bots
/// through it; the server commits each command before it asks for the next.
///
/// A bot command can become invalid after an earlier one (e.g. a proposal already signed);
/// the bot simply moves on, as a person would, and a line of chat that goes with a refused
/// command is not said.
pub struct BotPass {
    bots: Vec<(FactionId, Temperament)>,
    /// The next (step, bot) whose commands are planned once `queue` is empty.
    next_turn: usize,
    queue: std::collections::VecDeque<Command>,
    /// The bot whose commands are in `queue`.
    current: Option<FactionId>,
    refused: bool,
}

const BOT_STEPS: [BotStep; 3] = [BotStep::Propose, BotStep::Respond, BotStep::Act];

impl BotPass {
    pub fn new(game: &Game) -> Self {
        BotPass {
            bots: game
                .config
                .bots
                .iter()
                .map(|(f, t)| (f.clone(), *t))
                .collect(),
            next_turn: 0,
            queue: Default::default(),
            current: None,
            refused: false,
        }
    }

    /// The next command to try, with the seat and context to try it in; `None` when the pass
    /// is over. Say with [`BotPass::answer`] whether it was taken.
    pub fn next(&mut self, game: &Game, now_ms: i64) -> Option<(Seat, Command, Ctx)> {
        loop {
            while let Some(cmd) = self.queue.pop_front() {
                if self.refused && matches!(cmd, Command::Chat { .. }) {
                    continue;
                }
                let f = self.current.clone()?;
                let ctx = Ctx {
                    now_ms,
                    author: bot_author(game, &f),
                    ..Ctx::default()
                };
                return Some((Seat::Faction(f), cmd, ctx));
            }
            let turns = BOT_STEPS.len() * self.bots.len();
            if self.next_turn >= turns {
                return None;
            }
            let step = BOT_STEPS[self.next_turn / self.bots.len()];
            let (f, t) = self.bots[self.next_turn % self.bots.len()].clone();
            self.next_turn += 1;
            self.queue = bot_commands(game, &f, t, step).into();
            self.current = Some(f);
            self.refused = false;
        }
    }

    /// Whether the command [`BotPass::next`] gave was taken.
    pub fn answer(&mut self, taken: bool) {
        self.refused = !taken;
    }
}

/// The name a bot's chat messages carry.
pub fn bot_author(game: &Game, f: &FactionId) -> String {
    fill_template(
        &game.scenario.bot_chat.phrases.author,
        &[("faction", game.faction_name(f))],
    )
}
