//! The debrief across a class's tables: one comparison of every table's game, made from what
//! its reader may see of each (the view function decides: the teacher is Control of every
//! table; a student reads as an observer, who sees everything once a game has ended).

use crate::engine::view::SeatView;
use crate::engine::{ActionId, AgreementStatus, Ending, FactionId, Phase};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// One table, for the debrief.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TableDebrief {
    /// From 0.
    pub table: u32,
    pub game_id: Uuid,
    pub title: Option<String>,
    pub phase: Phase,
    pub ending: Option<Ending>,
    /// Game scores by faction (the mean of its round scores), those the reader may see.
    pub scores: BTreeMap<FactionId, f64>,
    /// Agreements the reader may see, oldest first.
    pub agreements: Vec<DebriefAgreement>,
    /// Breaches of agreements the reader may see: undetected ones only for Control, and for
    /// everyone once the game has ended.
    pub breaches: Vec<DebriefBreach>,
    /// Rounds whose adjudication ended in crisis.
    pub crises: u32,
    /// Each adjudicated round.
    pub rounds: Vec<DebriefRound>,
}

/// An agreement signed at a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DebriefAgreement {
    pub id: u32,
    pub title: String,
    pub parties: Vec<FactionId>,
    pub public: bool,
    /// 0-based.
    pub signed_round: u32,
    pub status: AgreementStatus,
}

/// A breach of an agreement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DebriefBreach {
    /// 0-based round of the adjudication that found (or missed) it.
    pub round: u32,
    pub agreement: u32,
    pub agreement_title: String,
    pub by: FactionId,
    pub what: String,
    pub detected: bool,
}

/// One adjudicated round at a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DebriefRound {
    /// 0-based.
    pub round: u32,
    pub label: String,
    /// Tension after the round: Control's full working where the reader may read it, else
    /// the public report's (as on the after-action page).
    pub tension: f64,
    pub crisis: bool,
    /// Each faction's perceived deterrence balance after the round (0–100), where the reader
    /// may read that faction's report.
    pub balance: BTreeMap<FactionId, f64>,
    /// The technical deterrence balance, where the reader may read Control's report.
    pub technical_balance: Option<f64>,
    /// The orders given for this round that the reader may see, by faction.
    pub orders: Vec<DebriefOrder>,
}

/// An order, for comparing tables.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct DebriefOrder {
    pub faction: FactionId,
    pub action: ActionId,
    pub name: String,
    pub quantity: u32,
}

/// Where the tables' choices first differed: the first round whose orders were not the same at
/// every table, with each table's orders of that round that not every table gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FirstDifference {
    /// 0-based.
    pub round: u32,
    pub label: String,
    /// Per table (in table order): its orders of that round that some other table did not give.
    pub tables: Vec<(u32, Vec<DebriefOrder>)>,
}

impl TableDebrief {
    /// A table's debrief from the view its reader has of it.
    pub fn of(table: u32, game_id: Uuid, view: &SeatView) -> TableDebrief {
        let mut breaches = Vec::new();
        let rounds = view
            .reports
            .iter()
            .map(|r| {
                let mut found: Vec<&crate::engine::Breach> = r.public.breaches.iter().collect();
                let mut orders: BTreeSet<DebriefOrder> = BTreeSet::new();
                let mut add = |o: &crate::engine::RevealedOrder| {
                    orders.insert(DebriefOrder {
                        faction: o.faction.clone(),
                        action: o.action.clone(),
                        name: o.name.clone(),
                        quantity: o.quantity,
                    });
                };
                r.public.orders.iter().for_each(&mut add);
                for part in r.factions.values() {
                    part.orders.iter().for_each(&mut add);
                    found.extend(part.breaches.iter());
                }
                if let Some(c) = &r.control {
                    c.orders.iter().for_each(&mut add);
                    found.extend(c.breaches.iter());
                }
                let mut seen = BTreeSet::new();
                for b in found {
                    if seen.insert((b.agreement, b.clause, b.by.clone(), b.what.clone())) {
                        breaches.push(DebriefBreach {
                            round: r.round,
                            agreement: b.agreement,
                            agreement_title: b.agreement_title.clone(),
                            by: b.by.clone(),
                            what: b.what.clone(),
                            detected: b.detected,
                        });
                    }
                }
                DebriefRound {
                    round: r.round,
                    label: r.label.clone(),
                    tension: r
                        .control
                        .as_ref()
                        .map_or(r.public.tension.value, |c| c.tension.value),
                    crisis: r.public.crisis,
                    balance: r
                        .factions
                        .iter()
                        .map(|(f, part)| (f.clone(), part.indices.values.deterrence_balance))
                        .collect(),
                    technical_balance: r
                        .control
                        .as_ref()
                        .map(|c| c.technical.values.deterrence_balance),
                    orders: orders.into_iter().collect(),
                }
            })
            .collect::<Vec<_>>();
        TableDebrief {
            table,
            game_id,
            title: view.title.clone(),
            phase: view.phase,
            ending: view.ending.clone(),
            scores: view.scores.clone(),
            agreements: view
                .agreements
                .iter()
                .map(|a| DebriefAgreement {
                    id: a.id,
                    title: a.terms.title.clone(),
                    parties: a.terms.parties.clone(),
                    public: a.terms.public,
                    signed_round: a.signed_round,
                    status: a.status.clone(),
                })
                .collect(),
            breaches,
            crises: rounds.iter().filter(|r| r.crisis).count() as u32,
            rounds,
        }
    }
}

/// The first round, among those every table has played, whose orders differ between tables.
pub fn first_difference(tables: &[TableDebrief]) -> Option<FirstDifference> {
    if tables.len() < 2 {
        return None;
    }
    let played = tables.iter().map(|t| t.rounds.len()).min().unwrap_or(0);
    for i in 0..played {
        let sets: Vec<BTreeSet<&DebriefOrder>> = tables
            .iter()
            .map(|t| t.rounds[i].orders.iter().collect())
            .collect();
        if sets.windows(2).all(|w| w[0] == w[1]) {
            continue;
        }
        let everywhere: BTreeSet<&DebriefOrder> =
            sets.iter().skip(1).fold(sets[0].clone(), |acc, s| {
                acc.intersection(s).copied().collect()
            });
        let round = &tables[0].rounds[i];
        return Some(FirstDifference {
            round: round.round,
            label: round.label.clone(),
            tables: tables
                .iter()
                .zip(&sets)
                .map(|(t, s)| {
                    let own = s.difference(&everywhere).map(|o| (*o).clone()).collect();
                    (t.table, own)
                })
                .collect(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: u32, rounds: &[&[(&str, &str, u32)]]) -> TableDebrief {
        TableDebrief {
            table: n,
            game_id: Uuid::nil(),
            title: None,
            phase: Phase::Review,
            ending: None,
            scores: BTreeMap::new(),
            agreements: Vec::new(),
            breaches: Vec::new(),
            crises: 0,
            rounds: rounds
                .iter()
                .enumerate()
                .map(|(i, orders)| DebriefRound {
                    round: i as u32,
                    label: format!("{}", 2013 + i),
                    tension: 30.0,
                    crisis: false,
                    balance: BTreeMap::new(),
                    technical_balance: None,
                    orders: orders
                        .iter()
                        .map(|(f, a, q)| DebriefOrder {
                            faction: FactionId::from(*f),
                            action: ActionId::from(*a),
                            name: a.to_string(),
                            quantity: *q,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_first_difference_is_the_first_round_played_everywhere_whose_orders_differ() {
        let same = [("russia", "iskander", 1)];
        // Alike in 2013; in 2014 table 0 adds radar and table 2 orders two Iskanders.
        let a = table(
            0,
            &[&same, &[("russia", "iskander", 1), ("us_nato", "radar", 1)]],
        );
        let b = table(1, &[&same, &[("russia", "iskander", 1)], &[]]);
        let c = table(2, &[&same, &[("russia", "iskander", 2)]]);
        let d = first_difference(&[a.clone(), b.clone(), c]).expect("they differ");
        assert_eq!((d.round, d.label.as_str()), (1, "2014"));
        let own = |t: usize| {
            d.tables[t]
                .1
                .iter()
                .map(|o| format!("{}:{}:{}", o.faction, o.action, o.quantity))
                .collect::<Vec<_>>()
        };
        assert_eq!(own(0), ["russia:iskander:1", "us_nato:radar:1"]);
        assert_eq!(own(1), ["russia:iskander:1"]);
        assert_eq!(own(2), ["russia:iskander:2"]);
        // Alike in every round both played (b's third round is not compared): none.
        let b2 = table(
            1,
            &[
                &same,
                &[("russia", "iskander", 1), ("us_nato", "radar", 1)],
                &[],
            ],
        );
        assert_eq!(first_difference(&[a.clone(), b2]), None);
        assert_eq!(
            first_difference(&[a]),
            None,
            "one table: nothing to compare"
        );
    }
}
