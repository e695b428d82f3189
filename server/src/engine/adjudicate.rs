//! Adjudication of one round, in this order (documented for players in `docs/rules.md`):
//!
//! 1. orders are revealed and paid for, all at once; orders that break a "forbid" clause are
//!    noted as breaches;
//! 2. builds that are due complete and their effects apply; "cap" clauses pushed over their cap
//!    this round are noted as breaches;
//! 3. pending ratifications are rolled;
//! 4. each breach is detected or not (certain under inspections); a detected breach voids the
//!    agreement and costs the breaker capital and trust, and raises tension;
//! 5. agreements in force apply their per-round effects; each pair of factions bound by one
//!    relieves tension once; transparency
//!    clauses reveal the parties' private variables to each other;
//! 6. the model is computed (technical, public, and each faction's perception) and tension
//!    moves with the threatened factions' perceived engageability;
//! 7. scores; the shared stability bonus; crisis if tension reached the threshold; then the
//!    agreements whose last round this was expire (so an agreement for N rounds is read by
//!    the model at N adjudications).
//!
//! Each step is one method of `Round`, which carries what the steps share: the state being
//! changed, the dice, and what the report will list. The steps run in the order above, so the
//! dice are drawn in the same order in every replay.

use super::game::{apply_effect, perceived_vars, reveal_to, rng, unit, Game, STREAM_ADJUDICATION};
use super::ids::*;
use super::model::{self, Explained, Indices, Input, ModelVars, Perspective};
use super::scenario::{ClauseForm, Scenario};
use super::types::*;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Adjudicates the game's current round. Returns the report, the state after it, and the
/// tension if the round ended in crisis.
pub fn adjudicate(game: &Game) -> (TurnReport, Core, Option<f64>) {
    let mut r = Round::new(game);
    let revealed = r.orders();
    let completed = r.builds_due();
    r.ratification();
    r.breach_detection();
    let expiring = r.agreements_in_force();
    let model = r.model();
    let cards = r.scores(&model, &expiring);
    r.report(revealed, completed, model, cards)
}

/// One round's adjudication in progress: the state it changes and what its report lists.
struct Round<'g> {
    game: &'g Game,
    scn: &'g Scenario,
    round: u32,
    /// The state being adjudicated; `game.core` is the state before.
    core: Core,
    rng: ChaCha8Rng,
    /// The dice rolled, in words, for Control's report.
    rolls: Vec<String>,
    changes: Vec<VarChange>,
    breaches: Vec<Breach>,
    notes: Vec<AgreementNote>,
    tension_i: Option<usize>,
    tension_start: f64,
}

/// What step 6 computed, for the scores and the report.
struct ModelStep {
    technical: Indices,
    public: Indices,
    perceived: BTreeMap<FactionId, Indices>,
    /// Control's account of tension, with the threat drift.
    tension: Explained,
    /// The public's account: the same total, split into what the public can attribute.
    public_tension: Explained,
    tension_end: f64,
}

/// What step 7 decided.
struct ScoreStep {
    cards: Vec<ScoreCard>,
    crisis: bool,
}

impl<'g> Round<'g> {
    fn new(game: &'g Game) -> Self {
        let scn = &game.scenario;
        let core = game.core.clone();
        let tension_i = scn.var_index("tension");
        let tension_start = tension_i.map(|i| core.vars[i]).unwrap_or(0.0);
        Round {
            game,
            scn,
            round: game.round,
            core,
            rng: rng(game.config.seed, game.round, STREAM_ADJUDICATION),
            rolls: Vec::new(),
            changes: Vec::new(),
            breaches: Vec::new(),
            notes: Vec::new(),
            tension_i,
            tension_start,
        }
    }

    fn p(&self, id: &str) -> f64 {
        self.game.params.get(id)
    }

    /// Step 1: Orders are revealed and paid for; an order a "forbid" clause forbids is a breach.
    fn orders(&mut self) -> Vec<RevealedOrder> {
        let (scn, round) = (self.scn, self.round);
        let mut revealed = Vec::new();
        for f in &scn.factions {
            for o in self.game.orders.get(&f.id).into_iter().flatten() {
                let Some(a) = scn.action(o.action.as_str()) else {
                    continue;
                };
                let q = f64::from(o.quantity);
                let purse = self.core.purses.entry(f.id.clone()).or_default();
                purse.budget = (purse.budget - a.budget * q).max(0.0);
                purse.capital = (purse.capital - a.capital * q).max(0.0);
                *self.core.used.entry(a.id.clone()).or_default() += o.quantity;
                self.core.builds.push(Build {
                    faction: f.id.clone(),
                    action: a.id.clone(),
                    quantity: o.quantity,
                    ordered_round: round,
                    due_round: round.saturating_add(a.build_rounds),
                    covert: a.covert,
                });
                revealed.push(RevealedOrder {
                    faction: f.id.clone(),
                    action: a.id.clone(),
                    name: a.name.clone(),
                    quantity: o.quantity,
                    budget: a.budget * q,
                    capital: a.capital * q,
                    covert: a.covert,
                    completes_round: round.saturating_add(a.build_rounds),
                });
                for ag in self.core.agreements.iter().filter(|ag| binding(ag)) {
                    for (ci, c) in ag.terms.clauses.iter().enumerate() {
                        let forbids = c.by == f.id
                            && c.action.as_ref() == Some(&a.id)
                            && scn
                                .clause_kind(c.kind.as_str())
                                .is_some_and(|k| k.form == ClauseForm::Forbid);
                        // One breach per clause and faction a round, however the orders are
                        // split.
                        let known = self
                            .breaches
                            .iter()
                            .any(|b| b.agreement == ag.id && b.clause == ci + 1 && b.by == f.id);
                        if forbids && !known {
                            self.breaches.push(breach(
                                ag,
                                ci,
                                &f.id,
                                format!("ordered {}", a.name),
                            ));
                        }
                    }
                }
            }
        }
        revealed
    }

    /// Step 2: Builds that are due complete and apply their effects; a "cap" clause pushed over its
    /// cap is a breach.
    fn builds_due(&mut self) -> Vec<RevealedOrder> {
        let scn = self.scn;
        let mut completed = Vec::new();
        let mut remaining = Vec::new();
        for b in std::mem::take(&mut self.core.builds) {
            if b.due_round > self.round {
                remaining.push(b);
                continue;
            }
            let Some(a) = scn.action(b.action.as_str()) else {
                continue;
            };
            let before = self.core.vars.clone();
            for e in &a.effects {
                apply_effect(scn, &mut self.core.vars, e, f64::from(b.quantity));
            }
            diff(
                scn,
                &before,
                &self.core.vars,
                &format!("{} completed", a.name),
                CauseSecrecy::covert(&b.faction, a.covert),
                &mut self.changes,
            );
            completed.push(RevealedOrder {
                faction: b.faction.clone(),
                action: a.id.clone(),
                name: a.name.clone(),
                quantity: b.quantity,
                budget: 0.0,
                capital: 0.0,
                covert: a.covert,
                completes_round: b.due_round,
            });
        }
        self.core.builds = remaining;
        for ag in self.core.agreements.iter().filter(|ag| binding(ag)) {
            for (ci, c) in ag.terms.clauses.iter().enumerate() {
                let is_cap = scn
                    .clause_kind(c.kind.as_str())
                    .is_some_and(|k| k.form == ClauseForm::Cap);
                let (Some(v), Some(max)) = (c.var.as_ref(), c.max) else {
                    continue;
                };
                let Some(i) = scn.var_index(v.as_str()).filter(|_| is_cap) else {
                    continue;
                };
                // Any increase that leaves the variable above its cap breaks the clause (also
                // when it was above the cap already). The message names no value: the variable
                // may be private to the bound party.
                let now = self.core.vars[i];
                if now > max + 1e-9 && now > self.game.core.vars[i] + 1e-9 {
                    self.breaches.push(breach(
                        ag,
                        ci,
                        &c.by,
                        format!("{v} rose above the cap of {max}"),
                    ));
                }
            }
        }
        completed
    }

    /// Step 3: Pending ratifications are rolled.
    fn ratification(&mut self) {
        for ag in self.core.agreements.iter_mut() {
            if ag.status != AgreementStatus::PendingRatification {
                continue;
            }
            let mut prob: f64 = 1.0;
            for c in &ag.terms.clauses {
                if let Some(r) = self
                    .scn
                    .clause_kind(c.kind.as_str())
                    .and_then(|k| k.ratification)
                {
                    prob = prob.min(r);
                }
            }
            let prob = (prob + self.core.ratification_shift).clamp(0.0, 1.0);
            let x = unit(&mut self.rng);
            let ok = x < prob;
            self.rolls.push(format!(
                "ratification of the {}: needed < {prob:.2}, rolled {x:.3}: {}",
                ag.terms.title,
                if ok { "ratified" } else { "failed" }
            ));
            ag.status = if ok {
                AgreementStatus::InForce
            } else {
                AgreementStatus::Lapsed
            };
            self.notes.push(note(
                ag,
                if ok {
                    "ratified: in force".into()
                } else {
                    format!("ratification failed (probability was {prob:.2}); lapsed")
                },
            ));
        }
    }

    /// Step 4: Each breach is detected or not; a detected one voids its agreement and costs the
    /// breaker capital and trust, and raises tension.
    fn breach_detection(&mut self) {
        let scn = self.scn;
        let (detect_base, detect_data) = (self.p("detect_base"), self.p("detect_data_exchange"));
        // An agreement that just failed ratification binds nobody: its breaches lapse with it.
        let agreements = &self.core.agreements;
        self.breaches.retain(|b| {
            agreements
                .iter()
                .any(|a| a.id == b.agreement && a.status != AgreementStatus::Lapsed)
        });
        for b in self.breaches.iter_mut() {
            let Some(ag) = self.core.agreements.iter().find(|a| a.id == b.agreement) else {
                continue;
            };
            let mut prob = detect_base;
            for c in &ag.terms.clauses {
                if let Some(k) = scn.clause_kind(c.kind.as_str()) {
                    if k.inspections {
                        prob = 1.0;
                    } else if k.form == ClauseForm::Transparency {
                        prob = prob.max(detect_data);
                    }
                }
            }
            let prob = prob.clamp(0.0, 1.0);
            let x = unit(&mut self.rng);
            b.detection_probability = prob;
            b.detected = x < prob;
            self.rolls.push(format!(
                "detection of the breach of clause {} of the {} by {}: needed < {prob:.2}, rolled {x:.3}: {}",
                b.clause,
                b.agreement_title,
                b.by,
                if b.detected { "detected" } else { "undetected" }
            ));
        }
        let (capital, trust, tension) = (
            self.p("breach_capital"),
            self.p("breach_trust"),
            self.p("breach_tension"),
        );
        for b in self.breaches.iter().filter(|b| b.detected) {
            let secrecy = CauseSecrecy {
                covert_of: None,
                private_to: (!b.public).then(|| b.parties.clone()),
            };
            if let Some(ag) = self
                .core
                .agreements
                .iter_mut()
                .find(|a| a.id == b.agreement)
            {
                if !matches!(ag.status, AgreementStatus::Broken { .. }) {
                    ag.status = AgreementStatus::Broken {
                        by: b.by.clone(),
                        round: self.round,
                    };
                    self.notes.push(note(
                        ag,
                        format!("broken by {}: {} (clause {})", b.by, b.what, b.clause),
                    ));
                }
            }
            if let Some(purse) = self.core.purses.get_mut(&b.by) {
                purse.capital = (purse.capital - capital).max(0.0);
            }
            let before = self.core.vars.clone();
            add(scn, &mut self.core.vars, "trust", -trust);
            add(scn, &mut self.core.vars, "tension", tension);
            diff(
                scn,
                &before,
                &self.core.vars,
                &format!("detected breach of the {}", b.agreement_title),
                secrecy,
                &mut self.changes,
            );
        }
    }

    /// Step 5: Agreements in force apply their per-round effects and relieve tension; transparency
    /// clauses reveal the parties' private variables to each other. Returns the agreements whose
    /// last round this is (they expire after step 7).
    fn agreements_in_force(&mut self) -> Vec<u32> {
        let (scn, round) = (self.scn, self.round);
        let relief = self.p("tension_agreement_relief");
        let mut reveals: Vec<(FactionId, FactionId)> = Vec::new();
        let mut expiring: Vec<u32> = Vec::new();
        // Each pair of factions bound by an agreement in force relieves tension once a round: a
        // second treaty between the same two capitals adds nothing. Public agreements are taken
        // first, so the public report reads the same whether or not a private one also exists.
        let mut relieved: Vec<(FactionId, FactionId)> = Vec::new();
        let mut order: Vec<usize> = (0..self.core.agreements.len()).collect();
        order.sort_by_key(|&i| !self.core.agreements[i].terms.public);
        for i in order {
            let ag = &self.core.agreements[i];
            if !ag.in_force() {
                continue;
            }
            let before = self.core.vars.clone();
            for c in &ag.terms.clauses {
                if let Some(k) = scn.clause_kind(c.kind.as_str()) {
                    for e in &k.effects_per_round {
                        apply_effect(scn, &mut self.core.vars, e, 1.0);
                    }
                }
            }
            let new_pairs = party_pairs(&ag.terms.parties)
                .into_iter()
                .filter(|pair| !relieved.contains(pair))
                .collect::<Vec<_>>();
            if !new_pairs.is_empty() {
                add(
                    scn,
                    &mut self.core.vars,
                    "tension",
                    -relief * new_pairs.len() as f64,
                );
                relieved.extend(new_pairs);
            }
            diff(
                scn,
                &before,
                &self.core.vars,
                &format!("the {} in force", ag.terms.title),
                CauseSecrecy::agreement(&ag.terms),
                &mut self.changes,
            );
            let transparent = ag.terms.clauses.iter().any(|c| {
                scn.clause_kind(c.kind.as_str())
                    .is_some_and(|k| k.form == ClauseForm::Transparency)
            });
            if transparent {
                for a in &ag.terms.parties {
                    for b in &ag.terms.parties {
                        if a != b {
                            reveals.push((a.clone(), b.clone()));
                        }
                    }
                }
            }
            // An agreement for N rounds is read by the model at N adjudications: one that ends
            // with this round still counts in steps 6 and 7 and expires after them.
            if ag.until_round <= round + 1 {
                expiring.push(ag.id);
            }
        }
        for (owner, to) in &reveals {
            reveal_to(scn, &mut self.core, owner, to);
        }
        expiring
    }

    /// Step 6: The model from every perspective; tension drifts with the threatened factions'
    /// perceived engageability.
    fn model(&mut self) -> ModelStep {
        let (game, scn) = (self.game, self.scn);
        let technical = indices(game, &self.core, Perspective::Technical);
        let public = indices(game, &self.core, Perspective::Public);
        let perceived: BTreeMap<FactionId, Indices> = scn
            .factions
            .iter()
            .map(|f| {
                let ix = indices(game, &self.core, Perspective::Faction(f.id.clone()));
                (f.id.clone(), ix)
            })
            .collect();
        let threatened: Vec<&Indices> = scn
            .factions
            .iter()
            .filter(|f| f.perceives_threat)
            .filter_map(|f| perceived.get(&f.id))
            .collect();
        let e_hat = if threatened.is_empty() {
            technical.perceived_engageability.value
        } else {
            threatened
                .iter()
                .map(|ix| ix.perceived_engageability.value)
                .sum::<f64>()
                / threatened.len() as f64
        };
        let drift = self.p("tension_threat_gain") * (e_hat - self.p("threat_reference"));
        let before = self.core.vars.clone();
        add(scn, &mut self.core.vars, "tension", drift);
        // The drift reveals the threatened factions' perceptions (which private guarantees
        // shape), so only they and Control read its cause.
        diff(
            scn,
            &before,
            &self.core.vars,
            "threat perceived by the threatened factions",
            CauseSecrecy {
                covert_of: None,
                private_to: Some(
                    scn.factions
                        .iter()
                        .filter(|f| f.perceives_threat)
                        .map(|f| f.id.clone())
                        .collect(),
                ),
            },
            &mut self.changes,
        );
        let tension_end = self.tension_i.map(|i| self.core.vars[i]).unwrap_or(0.0);
        let tension_before_drift = before[self.tension_i.unwrap_or(0)];
        ModelStep {
            tension: self.tension_explained(tension_before_drift, e_hat, tension_end),
            public_tension: self.public_tension(tension_end),
            technical,
            public,
            perceived,
            tension_end,
        }
    }

    /// Control's account of tension: start, what the steps added, and the threat drift.
    fn tension_explained(&self, before_drift: f64, e_hat: f64, tension_end: f64) -> Explained {
        let game = self.game;
        Explained {
            id: "tension".into(),
            name: "Tension".into(),
            formula: "tension' = clamp(tension + Δ + κ·(Ê − Ê_ref), 0, 100); Δ: completed builds, detected breaches, agreements in force (−ρ each)".into(),
            inputs: vec![
                Input {
                    symbol: "tension".into(),
                    name: "tension at the start of adjudication".into(),
                    value: self.tension_start,
                    source: "state variable tension".into(),
                },
                Input {
                    symbol: "Δ".into(),
                    name: "completed builds, detected breaches and agreements in force".into(),
                    value: before_drift - self.tension_start,
                    source: "action effects; parameters breach_tension and tension_agreement_relief".into(),
                },
                game.params_input("κ", "tension_threat_gain"),
                Input {
                    symbol: "Ê".into(),
                    name: "mean perceived engageability of the threatened factions".into(),
                    value: e_hat,
                    source: "index perceived_engageability".into(),
                },
                game.params_input("Ê_ref", "threat_reference"),
                game.params_input("ρ", "tension_agreement_relief"),
            ],
            value: tension_end,
            source: "docs/model.md §6".into(),
        }
    }

    /// The public reads the same total, split into what it can attribute and the rest.
    fn public_tension(&self, tension_end: f64) -> Explained {
        let tension_id = self.tension_i.map(|i| self.scn.variables[i].id.clone());
        let public_delta: f64 = self
            .changes
            .iter()
            .filter(|c| Some(&c.var) == tension_id.as_ref())
            .filter(|c| c.covert_of.is_none() && c.private_to.is_none())
            .map(|c| c.after - c.before)
            .sum();
        Explained {
            id: "tension".into(),
            name: "Tension".into(),
            formula: "tension' = clamp(tension + Δ_public + Δ_other, 0, 100)".into(),
            inputs: vec![
                Input {
                    symbol: "tension".into(),
                    name: "tension at the start of adjudication".into(),
                    value: self.tension_start,
                    source: "state variable tension".into(),
                },
                Input {
                    symbol: "Δ_public".into(),
                    name:
                        "public causes: completed deployments, detected breaches, public agreements"
                            .into(),
                    value: public_delta,
                    source: "the changes listed in this report".into(),
                },
                Input {
                    symbol: "Δ_other".into(),
                    name: "threat perceptions and activity not made public".into(),
                    value: tension_end - self.tension_start - public_delta,
                    source: "docs/model.md §6".into(),
                },
            ],
            value: tension_end,
            source: "docs/model.md §6".into(),
        }
    }

    /// Step 7: Scores, the shared stability bonus and crisis; then the agreements whose last round
    /// this was expire.
    fn scores(&mut self, model: &ModelStep, expiring: &[u32]) -> ScoreStep {
        let scn = self.scn;
        let crisis = model.tension_end >= scn.crisis_threshold;
        // The shared bonus needs everyone to feel stable: the lowest first-strike stability of
        // the technical truth and every faction's perception.
        let lowest_stability = model
            .perceived
            .values()
            .map(|ix| ix.values.stability)
            .fold(model.technical.values.stability, f64::min);
        let bonus = if lowest_stability >= self.p("stability_bonus_threshold") {
            self.p("stability_bonus")
        } else {
            0.0
        };
        let penalty = if crisis {
            self.p("crisis_penalty")
        } else {
            0.0
        };
        let mut cards = Vec::with_capacity(scn.factions.len());
        for f in &scn.factions {
            let ix = &model.perceived[&f.id];
            // Objectives that read variables (status, cohesion, low tension…) read them at the
            // end of adjudication, after the drift, with what agreements in force provide.
            let vars = effective_vars(scn, &self.core, Some(&f.id));
            let mv = ModelVars {
                scenario: scn,
                values: &vars,
            };
            let mut card = score_card(scn, &f.id, ix, &mv, bonus, penalty);
            let history = self.core.score_history.entry(f.id.clone()).or_default();
            history.push(card.round_score);
            card.game_score = history.iter().sum::<f64>() / history.len() as f64;
            cards.push(card);
        }
        // Agreements whose last round this was expire now that the model and scores have read
        // them.
        for ag in self.core.agreements.iter_mut() {
            if expiring.contains(&ag.id) && ag.in_force() {
                ag.status = AgreementStatus::Expired;
                self.notes
                    .push(note(ag, "expired at the end of its term".into()));
            }
        }
        ScoreStep { cards, crisis }
    }

    /// The turn report: each faction's part, the public part and Control's.
    fn report(
        self,
        revealed: Vec<RevealedOrder>,
        completed: Vec<RevealedOrder>,
        mut model: ModelStep,
        scores: ScoreStep,
    ) -> (TurnReport, Core, Option<f64>) {
        let Round {
            game,
            scn,
            round,
            core,
            rolls,
            changes,
            breaches,
            notes,
            ..
        } = self;
        let mut factions = BTreeMap::new();
        for (f, card) in scn.factions.iter().zip(scores.cards) {
            let Some(ix) = model.perceived.remove(&f.id) else {
                continue;
            };
            let mine = |o: &&RevealedOrder| o.faction == f.id;
            factions.insert(
                f.id.clone(),
                FactionReport {
                    orders: revealed.iter().filter(mine).cloned().collect(),
                    completed: completed.iter().filter(mine).cloned().collect(),
                    breaches: breaches
                        .iter()
                        .filter(|b| b.by == f.id || (b.detected && b.parties.contains(&f.id)))
                        .cloned()
                        .collect(),
                    agreements: notes
                        .iter()
                        .filter(|n| n.public || n.parties.contains(&f.id))
                        .cloned()
                        .collect(),
                    changes: changes
                        .iter()
                        .filter(|c| visible_to(scn, c, Some(&f.id)))
                        .filter_map(|c| redact(c, Some(&f.id)))
                        .collect(),
                    indices: ix,
                    score: card,
                    purse: core.purses.get(&f.id).copied().unwrap_or_default(),
                },
            );
        }
        let crisis = scores.crisis;
        let report = TurnReport {
            round,
            label: game.round_label().to_owned(),
            public: PublicReport {
                orders: revealed.iter().filter(|o| !o.covert).cloned().collect(),
                completed: completed.iter().filter(|o| !o.covert).cloned().collect(),
                breaches: breaches
                    .iter()
                    .filter(|b| b.detected && b.public)
                    .cloned()
                    .collect(),
                agreements: notes.iter().filter(|n| n.public).cloned().collect(),
                changes: changes
                    .iter()
                    .filter(|c| visible_to(scn, c, None))
                    .filter_map(|c| redact(c, None))
                    .collect(),
                indices: model.public,
                tension: model.public_tension,
                crisis,
            },
            factions,
            control: ControlReport {
                technical: model.technical,
                tension: model.tension,
                orders: revealed,
                completed,
                breaches,
                agreements: notes,
                changes,
                rolls,
            },
        };
        (report, core, crisis.then_some(model.tension_end))
    }
}

/// The pairs of factions an agreement binds to each other, each sorted.
pub fn party_pairs(parties: &[FactionId]) -> Vec<(FactionId, FactionId)> {
    let mut out = Vec::new();
    for (i, a) in parties.iter().enumerate() {
        for b in &parties[i + 1..] {
            if a == b {
                continue;
            }
            let pair = if a < b {
                (a.clone(), b.clone())
            } else {
                (b.clone(), a.clone())
            };
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}

/// Agreements whose clauses bind now (in force, or signed and awaiting ratification).
fn binding(ag: &Agreement) -> bool {
    matches!(
        ag.status,
        AgreementStatus::InForce | AgreementStatus::PendingRatification
    )
}

fn breach(ag: &Agreement, ci: usize, by: &FactionId, what: String) -> Breach {
    Breach {
        agreement: ag.id,
        agreement_title: ag.terms.title.clone(),
        clause: ci + 1,
        by: by.clone(),
        what,
        detection_probability: 0.0,
        detected: false,
        parties: ag.terms.parties.clone(),
        public: ag.terms.public,
    }
}

fn note(ag: &Agreement, text: String) -> AgreementNote {
    AgreementNote {
        agreement: ag.id,
        title: ag.terms.title.clone(),
        parties: ag.terms.parties.clone(),
        public: ag.terms.public,
        note: text,
    }
}

fn add(scn: &Scenario, vars: &mut [f64], id: &str, delta: f64) {
    if let Some(i) = scn.var_index(id) {
        let v = &scn.variables[i];
        vars[i] = (vars[i] + delta).clamp(v.min, v.max);
    }
}

/// Who may read a change's cause: everyone, or not the others when the cause is a covert
/// action (`covert_of`) or a private agreement (`private_to`, its parties).
#[derive(Clone, Default)]
struct CauseSecrecy {
    covert_of: Option<FactionId>,
    private_to: Option<Vec<FactionId>>,
}

impl CauseSecrecy {
    fn covert(f: &FactionId, covert: bool) -> Self {
        CauseSecrecy {
            covert_of: covert.then(|| f.clone()),
            private_to: None,
        }
    }
    fn agreement(terms: &Terms) -> Self {
        CauseSecrecy {
            covert_of: None,
            private_to: (!terms.public).then(|| terms.parties.clone()),
        }
    }
}

fn diff(
    scn: &Scenario,
    before: &[f64],
    after: &[f64],
    cause: &str,
    secrecy: CauseSecrecy,
    out: &mut Vec<VarChange>,
) {
    for (i, v) in scn.variables.iter().enumerate() {
        if (before[i] - after[i]).abs() > 1e-12 {
            out.push(VarChange {
                var: v.id.clone(),
                before: before[i],
                after: after[i],
                cause: cause.to_owned(),
                covert_of: secrecy.covert_of.clone(),
                private_to: secrecy.private_to.clone(),
            });
        }
    }
}

/// Whether `viewer` (None: the public) may see a change of this variable.
fn visible_to(scn: &Scenario, c: &VarChange, viewer: Option<&FactionId>) -> bool {
    scn.var_index(c.var.as_str()).is_some_and(|i| {
        let v = &scn.variables[i];
        v.visibility == super::scenario::Visibility::Public
            || (viewer.is_some() && v.owner.as_ref() == viewer)
    })
}

/// A change as `viewer` may read it: a covert action's cause is hidden from the others;
/// a change caused by a private agreement (or by perceptions) is left out for non-parties.
fn redact(c: &VarChange, viewer: Option<&FactionId>) -> Option<VarChange> {
    if let Some(parties) = &c.private_to {
        if !viewer.is_some_and(|f| parties.contains(f)) {
            return None;
        }
    }
    let covert = c.covert_of.as_ref().is_some_and(|o| Some(o) != viewer);
    Some(VarChange {
        cause: if covert {
            "undisclosed activity".into()
        } else {
            c.cause.clone()
        },
        covert_of: None,
        private_to: None,
        ..c.clone()
    })
}

/// Variables as a perspective sees them, with what agreements in force provide (a private
/// agreement only for its parties; all of them for the technical truth).
pub fn effective_vars(scn: &Scenario, core: &Core, viewer: Option<&FactionId>) -> Vec<f64> {
    let mut vars = perceived_vars(scn, core, viewer);
    overlay_agreements(scn, core, &mut vars, |ag| {
        ag.terms.public || viewer.is_some_and(|f| ag.terms.parties.contains(f))
    });
    vars
}

fn overlay_agreements(
    scn: &Scenario,
    core: &Core,
    vars: &mut [f64],
    known: impl Fn(&Agreement) -> bool,
) {
    for ag in core.agreements.iter().filter(|a| a.in_force() && known(a)) {
        for c in &ag.terms.clauses {
            let provided = scn
                .clause_kind(c.kind.as_str())
                .and_then(|k| k.provides.as_ref())
                .and_then(|v| scn.var_index(v.as_str()));
            if let Some(i) = provided {
                vars[i] = vars[i].max(1.0).min(scn.variables[i].max);
            }
        }
    }
}

/// The model from one perspective on `core`.
pub fn indices(game: &Game, core: &Core, perspective: Perspective) -> Indices {
    let scn = &game.scenario;
    let vars = match &perspective {
        Perspective::Technical => {
            let mut v = core.vars.clone();
            overlay_agreements(scn, core, &mut v, |_| true);
            v
        }
        Perspective::Public => effective_vars(scn, core, None),
        Perspective::Faction(f) => effective_vars(scn, core, Some(f)),
    };
    let mv = ModelVars {
        scenario: scn,
        values: &vars,
    };
    model::compute(scn, &game.params, &mv, &perspective)
}

/// A faction's score for the round from its own perceived indices.
pub fn score_card(
    scn: &Scenario,
    f: &FactionId,
    ix: &Indices,
    vars: &ModelVars,
    bonus: f64,
    penalty: f64,
) -> ScoreCard {
    let mut objectives = Vec::new();
    let mut sum = 0.0;
    let mut wsum = 0.0;
    if let Some(s) = scn.scoring.get(f) {
        for (id, w) in &s.weights {
            if let Some((value, formula)) = model::objective(id, &ix.values, vars) {
                sum += w * value;
                wsum += w;
                objectives.push(ObjectiveScore {
                    id: id.clone(),
                    weight: *w,
                    value,
                    formula,
                });
            }
        }
    }
    let weighted = if wsum > 0.0 { 100.0 * sum / wsum } else { 0.0 };
    let round_score = (weighted + bonus - penalty).clamp(0.0, 100.0);
    ScoreCard {
        faction: f.clone(),
        objectives,
        weighted,
        bonus,
        penalty,
        round_score,
        game_score: round_score,
        formula: "round score = clamp(100·Σ w·o / Σ w + bonus − penalty, 0, 100); game score = mean of round scores".into(),
        source: match scn.scoring.get(f).map(|s| s.source.as_str()) {
            Some(src) if !src.is_empty() => format!("docs/model.md §8; weights: {src}"),
            _ => "docs/model.md §8; weights from the scenario's scoring table".into(),
        },
    }
}

impl Game {
    fn params_input(&self, symbol: &'static str, id: &str) -> Input {
        let src = self
            .scenario
            .model
            .parameters
            .iter()
            .find(|x| x.id.as_str() == id)
            .map(|x| x.source.clone())
            .unwrap_or_default();
        Input {
            symbol: symbol.into(),
            name: format!("parameter {id}").into(),
            value: self.params.get(id),
            source: src.into(),
        }
    }
}
