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

use super::game::{apply_effect, perceived_vars, reveal_to, rng, unit, Game, STREAM_ADJUDICATION};
use super::ids::*;
use super::model::{self, Explained, Indices, Input, ModelVars, Perspective};
use super::scenario::{ClauseForm, Scenario};
use super::types::*;
use std::collections::BTreeMap;

/// Adjudicates the game's current round. Returns the report, the state after it, and the
/// tension if the round ended in crisis.
pub fn adjudicate(game: &Game) -> (TurnReport, Core, Option<f64>) {
    let scn: &Scenario = &game.scenario;
    let p = |id: &str| game.params.get(id);
    let round = game.round;
    let mut core = game.core.clone();
    let mut rng = rng(game.config.seed, round, STREAM_ADJUDICATION);
    let mut rolls = Vec::new();
    let mut changes: Vec<VarChange> = Vec::new();
    let mut breaches: Vec<Breach> = Vec::new();
    let mut notes: Vec<AgreementNote> = Vec::new();
    let tension_i = scn.var_index("tension");
    let tension_start = tension_i.map(|i| core.vars[i]).unwrap_or(0.0);

    // 1. Orders.
    let mut revealed = Vec::new();
    for f in &scn.factions {
        for o in game.orders.get(&f.id).into_iter().flatten() {
            let Some(a) = scn.action(o.action.as_str()) else {
                continue;
            };
            let q = f64::from(o.quantity);
            let purse = core.purses.entry(f.id.clone()).or_default();
            purse.budget = (purse.budget - a.budget * q).max(0.0);
            purse.capital = (purse.capital - a.capital * q).max(0.0);
            *core.used.entry(a.id.clone()).or_default() += o.quantity;
            core.builds.push(Build {
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
            for ag in core.agreements.iter().filter(|ag| binding(ag)) {
                for (ci, c) in ag.terms.clauses.iter().enumerate() {
                    let forbids = c.by == f.id
                        && c.action.as_ref() == Some(&a.id)
                        && scn
                            .clause_kind(c.kind.as_str())
                            .is_some_and(|k| k.form == ClauseForm::Forbid);
                    // One breach per clause and faction a round, however the orders are split.
                    let known = breaches
                        .iter()
                        .any(|b| b.agreement == ag.id && b.clause == ci + 1 && b.by == f.id);
                    if forbids && !known {
                        breaches.push(breach(ag, ci, &f.id, format!("ordered {}", a.name)));
                    }
                }
            }
        }
    }

    // 2. Builds due.
    let mut completed = Vec::new();
    let mut remaining = Vec::new();
    for b in std::mem::take(&mut core.builds) {
        if b.due_round > round {
            remaining.push(b);
            continue;
        }
        let Some(a) = scn.action(b.action.as_str()) else {
            continue;
        };
        let before = core.vars.clone();
        for e in &a.effects {
            apply_effect(scn, &mut core.vars, e, f64::from(b.quantity));
        }
        diff(
            scn,
            &before,
            &core.vars,
            &format!("{} completed", a.name),
            CauseSecrecy::covert(&b.faction, a.covert),
            &mut changes,
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
    core.builds = remaining;
    for ag in core.agreements.iter().filter(|ag| binding(ag)) {
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
            // Any increase that leaves the variable above its cap breaks the clause (also when
            // it was above the cap already). The message names no value: the variable may be
            // private to the bound party.
            if core.vars[i] > max + 1e-9 && core.vars[i] > game.core.vars[i] + 1e-9 {
                breaches.push(breach(
                    ag,
                    ci,
                    &c.by,
                    format!("{v} rose above the cap of {max}"),
                ));
            }
        }
    }

    // 3. Ratification.
    for ag in core.agreements.iter_mut() {
        if ag.status != AgreementStatus::PendingRatification {
            continue;
        }
        let mut prob: f64 = 1.0;
        for c in &ag.terms.clauses {
            if let Some(r) = scn
                .clause_kind(c.kind.as_str())
                .and_then(|k| k.ratification)
            {
                prob = prob.min(r);
            }
        }
        let prob = (prob + core.ratification_shift).clamp(0.0, 1.0);
        let x = unit(&mut rng);
        let ok = x < prob;
        rolls.push(format!(
            "ratification of the {}: needed < {prob:.2}, rolled {x:.3}: {}",
            ag.terms.title,
            if ok { "ratified" } else { "failed" }
        ));
        ag.status = if ok {
            AgreementStatus::InForce
        } else {
            AgreementStatus::Lapsed
        };
        notes.push(note(
            ag,
            if ok {
                "ratified: in force".into()
            } else {
                format!("ratification failed (probability was {prob:.2}); lapsed")
            },
        ));
    }

    // 4. Breach detection.
    // An agreement that just failed ratification binds nobody: its breaches lapse with it.
    breaches.retain(|b| {
        core.agreements
            .iter()
            .any(|a| a.id == b.agreement && a.status != AgreementStatus::Lapsed)
    });
    for b in breaches.iter_mut() {
        let Some(ag) = core.agreements.iter().find(|a| a.id == b.agreement) else {
            continue;
        };
        let mut prob = p("detect_base");
        for c in &ag.terms.clauses {
            if let Some(k) = scn.clause_kind(c.kind.as_str()) {
                if k.inspections {
                    prob = 1.0;
                } else if k.form == ClauseForm::Transparency {
                    prob = prob.max(p("detect_data_exchange"));
                }
            }
        }
        let prob = prob.clamp(0.0, 1.0);
        let x = unit(&mut rng);
        b.detection_probability = prob;
        b.detected = x < prob;
        rolls.push(format!(
            "detection of the breach of clause {} of the {} by {}: needed < {prob:.2}, rolled {x:.3}: {}",
            b.clause,
            b.agreement_title,
            b.by,
            if b.detected { "detected" } else { "undetected" }
        ));
    }
    for b in breaches.iter().filter(|b| b.detected) {
        let secrecy = CauseSecrecy {
            covert_of: None,
            private_to: (!b.public).then(|| b.parties.clone()),
        };
        if let Some(ag) = core.agreements.iter_mut().find(|a| a.id == b.agreement) {
            if !matches!(ag.status, AgreementStatus::Broken { .. }) {
                ag.status = AgreementStatus::Broken {
                    by: b.by.clone(),
                    round,
                };
                notes.push(note(
                    ag,
                    format!("broken by {}: {} (clause {})", b.by, b.what, b.clause),
                ));
            }
        }
        if let Some(purse) = core.purses.get_mut(&b.by) {
            purse.capital = (purse.capital - p("breach_capital")).max(0.0);
        }
        let before = core.vars.clone();
        add(scn, &mut core.vars, "trust", -p("breach_trust"));
        add(scn, &mut core.vars, "tension", p("breach_tension"));
        diff(
            scn,
            &before,
            &core.vars,
            &format!("detected breach of the {}", b.agreement_title),
            secrecy,
            &mut changes,
        );
    }

    // 5. Agreements in force.
    let mut reveals: Vec<(FactionId, FactionId)> = Vec::new();
    let mut expiring: Vec<u32> = Vec::new();
    // Each pair of factions bound by an agreement in force relieves tension once a round: a
    // second treaty between the same two capitals adds nothing. Public agreements are taken
    // first, so the public report reads the same whether or not a private one also exists.
    let mut relieved: Vec<(FactionId, FactionId)> = Vec::new();
    let mut order: Vec<usize> = (0..core.agreements.len()).collect();
    order.sort_by_key(|&i| !core.agreements[i].terms.public);
    for i in order {
        let ag = &mut core.agreements[i];
        if !ag.in_force() {
            continue;
        }
        let before = core.vars.clone();
        for c in &ag.terms.clauses {
            if let Some(k) = scn.clause_kind(c.kind.as_str()) {
                for e in &k.effects_per_round {
                    apply_effect(scn, &mut core.vars, e, 1.0);
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
                &mut core.vars,
                "tension",
                -p("tension_agreement_relief") * new_pairs.len() as f64,
            );
            relieved.extend(new_pairs);
        }
        diff(
            scn,
            &before,
            &core.vars,
            &format!("the {} in force", ag.terms.title),
            CauseSecrecy::agreement(&ag.terms),
            &mut changes,
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
        reveal_to(scn, &mut core, owner, to);
    }

    // 6. Model.
    let technical = indices(game, &core, Perspective::Technical);
    let public = indices(game, &core, Perspective::Public);
    let mut perceived: BTreeMap<FactionId, Indices> = BTreeMap::new();
    for f in &scn.factions {
        perceived.insert(
            f.id.clone(),
            indices(game, &core, Perspective::Faction(f.id.clone())),
        );
    }
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
    let drift = p("tension_threat_gain") * (e_hat - p("threat_reference"));
    let before = core.vars.clone();
    add(scn, &mut core.vars, "tension", drift);
    // The drift reveals the threatened factions' perceptions (which private guarantees
    // shape), so only they and Control read its cause.
    diff(
        scn,
        &before,
        &core.vars,
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
        &mut changes,
    );
    let tension_end = tension_i.map(|i| core.vars[i]).unwrap_or(0.0);
    let tension_delta_before_drift = before[tension_i.unwrap_or(0)] - tension_start;
    let tension = Explained {
        id: "tension".into(),
        name: "Tension".into(),
        formula: "tension' = clamp(tension + Δ + κ·(Ê − Ê_ref), 0, 100); Δ: completed builds, detected breaches, agreements in force (−ρ each)".into(),
        inputs: vec![
            Input {
                symbol: "tension".into(),
                name: "tension at the start of adjudication".into(),
                value: tension_start,
                source: "state variable tension".into(),
            },
            Input {
                symbol: "Δ".into(),
                name: "completed builds, detected breaches and agreements in force".into(),
                value: tension_delta_before_drift,
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
    };
    // The public reads the same total, split into what it can attribute and the rest.
    let tension_i_id = tension_i.map(|i| scn.variables[i].id.clone());
    let public_delta: f64 = changes
        .iter()
        .filter(|c| Some(&c.var) == tension_i_id.as_ref())
        .filter(|c| c.covert_of.is_none() && c.private_to.is_none())
        .map(|c| c.after - c.before)
        .sum();
    let public_tension = Explained {
        id: "tension".into(),
        name: "Tension".into(),
        formula: "tension' = clamp(tension + Δ_public + Δ_other, 0, 100)".into(),
        inputs: vec![
            Input {
                symbol: "tension".into(),
                name: "tension at the start of adjudication".into(),
                value: tension_start,
                source: "state variable tension".into(),
            },
            Input {
                symbol: "Δ_public".into(),
                name: "public causes: completed deployments, detected breaches, public agreements"
                    .into(),
                value: public_delta,
                source: "the changes listed in this report".into(),
            },
            Input {
                symbol: "Δ_other".into(),
                name: "threat perceptions and activity not made public".into(),
                value: tension_end - tension_start - public_delta,
                source: "docs/model.md §6".into(),
            },
        ],
        value: tension_end,
        source: "docs/model.md §6".into(),
    };

    // 7. Scores and crisis.
    let crisis = tension_end >= scn.crisis_threshold;
    // The shared bonus needs everyone to feel stable: the lowest first-strike stability of the
    // technical truth and every faction's perception.
    let lowest_stability = perceived
        .values()
        .map(|ix| ix.values.stability)
        .fold(technical.values.stability, f64::min);
    let bonus = if lowest_stability >= p("stability_bonus_threshold") {
        p("stability_bonus")
    } else {
        0.0
    };
    let penalty = if crisis { p("crisis_penalty") } else { 0.0 };
    let mut cards = Vec::with_capacity(scn.factions.len());
    for f in &scn.factions {
        let ix = &perceived[&f.id];
        // Objectives that read variables (status, cohesion, low tension…) read them at the
        // end of adjudication, after the drift, with what agreements in force provide.
        let vars = effective_vars(scn, &core, Some(&f.id));
        let mv = ModelVars {
            scenario: scn,
            values: &vars,
        };
        let mut card = score_card(scn, &f.id, ix, &mv, bonus, penalty);
        let history = core.score_history.entry(f.id.clone()).or_default();
        history.push(card.round_score);
        card.game_score = history.iter().sum::<f64>() / history.len() as f64;
        cards.push(card);
    }
    // Agreements whose last round this was expire now that the model and scores have read
    // them.
    for ag in core.agreements.iter_mut() {
        if expiring.contains(&ag.id) && ag.in_force() {
            ag.status = AgreementStatus::Expired;
            notes.push(note(ag, "expired at the end of its term".into()));
        }
    }
    let mut factions = BTreeMap::new();
    for (f, card) in scn.factions.iter().zip(cards) {
        let Some(ix) = perceived.remove(&f.id) else {
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
            indices: public,
            tension: public_tension,
            crisis,
        },
        factions,
        control: ControlReport {
            technical,
            tension,
            orders: revealed,
            completed,
            breaches,
            agreements: notes,
            changes,
            rolls,
        },
    };
    (report, core, crisis.then_some(tension_end))
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
