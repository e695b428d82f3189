//! `detente balance`: plays seeded bot games over every temperament mix and reports whether the
//! game teaches what it should (docs/balance.md, "What the game must teach"): who wins, whether
//! the payoffs form a security dilemma, how far each index moves, which actions are ordered by
//! which temperament, crises, agreements and how the scheduled shocks move tension.
//!
//! Every mix plays the same seeds (`seed`, `seed + 1`, …), so two mixes differ only in the
//! bots' temperaments. The report is deterministic: the same arguments give byte-identical
//! output, whatever the number of threads used to play the games.

use crate::cli::play_game;
use crate::engine::model::Values;
use crate::engine::scenario::{Dilemma, Scenario};
use crate::engine::*;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The temperaments in report order.
pub const TEMPERAMENTS: [Temperament; 3] = [
    Temperament::Hawk,
    Temperament::Pragmatist,
    Temperament::Dove,
];

/// Indices that may sit at a bound in more than [`AT_BOUND_LIMIT`] of rounds because
/// `docs/model.md` ("Indices that sit at a bound") explains why, with a source: (index,
/// perspective or "*" for every perspective, bound).
pub const DOCUMENTED_AT_BOUND: &[(&str, &str, &str)] = &[
    // Europe-based SM-3 IA/IB/IIA cannot engage Russian ICBMs (Sankaran 2013; GAO-13-382R):
    // E is 0 until the IIB is deployed.
    ("engageability", "*", "lower"),
    // The US keeps hundreds of warheads at sea (New START data); Moscow's defence is small.
    ("retaliation_us", "*", "upper"),
    // More Russian warheads survive and arrive than W_req from the start (New START data; W_req
    // is a design default, docs/model.md §3); only a large perceived defence against few
    // countermeasures dents it.
    ("retaliation_russia", "*", "upper"),
    // Only the SM-3 IIB was meant to defend the United States (the article of 7 March 2013):
    // 0 until it is deployed.
    ("homeland_defence", "*", "lower"),
];

/// Share of rounds above which an undocumented index at a bound fails the check.
pub const AT_BOUND_LIMIT: f64 = 0.8;

/// Output format of `detente balance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BalanceFormat {
    Md,
    Json,
}

/// Options of `detente balance`.
pub struct BalanceArgs {
    /// Games per temperament mix.
    pub games: u32,
    /// Seed of the first game of every mix.
    pub seed: u64,
    pub preset: Option<String>,
    /// Threads to play on (the report does not depend on it).
    pub threads: usize,
}

/// One mix: a temperament per faction, in scenario order.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Mix(Vec<Temperament>);

impl Mix {
    fn all(factions: usize) -> Vec<Mix> {
        let mut out = vec![Mix(Vec::new())];
        for _ in 0..factions {
            out = out
                .into_iter()
                .flat_map(|m| {
                    TEMPERAMENTS.iter().map(move |t| {
                        let mut v = m.0.clone();
                        v.push(*t);
                        Mix(v)
                    })
                })
                .collect();
        }
        out
    }

    fn bots(&self, scn: &Scenario) -> BTreeMap<FactionId, Temperament> {
        scn.factions
            .iter()
            .zip(&self.0)
            .map(|(f, t)| (f.id.clone(), *t))
            .collect()
    }

    fn label(&self, scn: &Scenario) -> String {
        scn.factions
            .iter()
            .zip(&self.0)
            .map(|(f, t)| format!("{}={}", f.id, temperament_name(*t)))
            .collect::<Vec<_>>()
            .join(",")
    }
}

pub fn temperament_name(t: Temperament) -> &'static str {
    match t {
        Temperament::Hawk => "hawk",
        Temperament::Pragmatist => "pragmatist",
        Temperament::Dove => "dove",
    }
}

/// What one game contributes to the report.
struct GameRecord {
    /// Final game score per faction (scenario order).
    scores: Vec<f64>,
    /// Per faction: each objective's mean value over the rounds played, then the mean bonus
    /// and the mean penalty.
    objectives: Vec<Vec<(String, f64)>>,
    /// 1-based round of the crisis, if the game ended in one.
    crisis_round: Option<u32>,
    rounds: Vec<RoundRecord>,
    /// Per faction, units ordered per action over the game.
    orders: Vec<BTreeMap<ActionId, u32>>,
    /// Per agreement signed: its parties and clause kinds, and whether a detected breach broke it.
    agreements: Vec<(Vec<FactionId>, Vec<ClauseKindId>, bool)>,
    /// Proposals made.
    proposals: usize,
    /// Chat messages posted by the bots.
    messages: usize,
}

struct RoundRecord {
    /// Tension at the end of the round's adjudication.
    tension: f64,
    technical: Values,
    /// Per faction (scenario order), its own perspective.
    factions: Vec<Values>,
}

fn record(scn: &Scenario, game: &Game) -> GameRecord {
    let fids: Vec<&FactionId> = scn.factions.iter().map(|f| &f.id).collect();
    let rounds = game
        .reports
        .iter()
        .map(|r| RoundRecord {
            tension: r.public.tension.value,
            technical: r.control.technical.values,
            factions: fids
                .iter()
                .map(|f| {
                    r.factions
                        .get(*f)
                        .map(|x| x.indices.values)
                        .unwrap_or_default()
                })
                .collect(),
        })
        .collect::<Vec<_>>();
    let mut orders = vec![BTreeMap::new(); fids.len()];
    for r in &game.reports {
        for o in &r.control.orders {
            if let Some(i) = fids.iter().position(|f| **f == o.faction) {
                *orders[i].entry(o.action.clone()).or_insert(0) += o.quantity;
            }
        }
    }
    let scores = fids
        .iter()
        .map(|f| {
            game.core
                .score_history
                .get(*f)
                .filter(|h| !h.is_empty())
                .map(|h| h.iter().sum::<f64>() / h.len() as f64)
                .unwrap_or(0.0)
        })
        .collect();
    let objectives = fids
        .iter()
        .map(|f| {
            let cards: Vec<&ScoreCard> = game
                .reports
                .iter()
                .filter_map(|r| r.factions.get(*f).map(|x| &x.score))
                .collect();
            let n = cards.len().max(1) as f64;
            let mut out: Vec<(String, f64)> = cards
                .first()
                .map(|c| c.objectives.iter().map(|o| (o.id.clone(), 0.0)).collect())
                .unwrap_or_default();
            for c in &cards {
                for (slot, o) in out.iter_mut().zip(&c.objectives) {
                    slot.1 += o.value / n;
                }
            }
            out.push((
                "bonus".into(),
                cards.iter().map(|c| c.bonus).sum::<f64>() / n,
            ));
            out.push((
                "penalty".into(),
                cards.iter().map(|c| c.penalty).sum::<f64>() / n,
            ));
            out
        })
        .collect();
    GameRecord {
        scores,
        objectives,
        crisis_round: match game.ending {
            Some(Ending::Crisis { .. }) => Some(game.reports.len() as u32),
            _ => None,
        },
        rounds,
        orders,
        agreements: game
            .core
            .agreements
            .iter()
            .map(|a| {
                (
                    a.terms.parties.clone(),
                    a.terms.clauses.iter().map(|c| c.kind.clone()).collect(),
                    matches!(a.status, AgreementStatus::Broken { .. }),
                )
            })
            .collect(),
        proposals: game.proposals.len(),
        messages: game.channel_counts.values().map(|&n| n as usize).sum(),
    }
}

/// Plays every mix and returns the report.
pub fn run(
    scenario: Arc<Scenario>,
    args: &BalanceArgs,
    progress: &mut (dyn Write + Send),
) -> Result<Report> {
    let mixes = Mix::all(scenario.factions.len());
    let total = mixes.len() as u64 * u64::from(args.games);
    let done = AtomicU64::new(0);
    let next = AtomicU64::new(0);
    let threads = args.threads.max(1);
    let progress = std::sync::Mutex::new(progress);
    // Jobs are (mix, game) pairs handed out in order; results land in their own slot, so
    // the report does not depend on which thread played what.
    let mut slots: Vec<Option<Result<GameRecord>>> = (0..total).map(|_| None).collect();
    let results = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let job = next.fetch_add(1, Ordering::Relaxed);
                if job >= total {
                    return;
                }
                let mix = &mixes[(job / u64::from(args.games)) as usize];
                let g = job % u64::from(args.games);
                let rec = play_game(
                    scenario.clone(),
                    args.seed.wrapping_add(g),
                    &mix.bots(&scenario),
                    args.preset.as_deref(),
                )
                .map(|game| record(&scenario, &game));
                results.lock().expect("results")[job as usize] = Some(rec);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n == total || n.is_multiple_of((total / 100).max(1)) {
                    let mut p = progress.lock().expect("progress");
                    let width = 30;
                    let filled = (n * width / total.max(1)) as usize;
                    let _ = write!(
                        p,
                        "\rbalance: [{}{}] {n}/{total} games",
                        "#".repeat(filled),
                        ".".repeat(width as usize - filled)
                    );
                    if n == total {
                        let _ = writeln!(p);
                    }
                    let _ = p.flush();
                }
            });
        }
    });
    let mut per_mix: Vec<Vec<GameRecord>> = Vec::with_capacity(mixes.len());
    let mut it = slots.into_iter();
    for _ in &mixes {
        let mut games = Vec::with_capacity(args.games as usize);
        for _ in 0..args.games {
            games.push(it.next().flatten().expect("every game played")?);
        }
        per_mix.push(games);
    }
    let preset = args
        .preset
        .clone()
        .unwrap_or_else(|| scenario.model.default_preset.clone());
    Ok(aggregate(&scenario, &mixes, &per_mix, args, preset))
}

// ----- the report -----

#[derive(Serialize)]
pub struct Report {
    pub scenario: String,
    pub scenario_fingerprint: String,
    pub preset: String,
    pub games_per_mix: u32,
    pub seed: u64,
    pub games: u64,
    pub factions: Vec<String>,
    pub wins: Vec<FactionResult>,
    pub mixes: Vec<MixResult>,
    pub dilemma: Vec<DilemmaRow>,
    pub indices: Vec<IndexRange>,
    pub scores: Vec<ScoreRange>,
    pub actions: Vec<ActionRow>,
    pub temperament_distance: Vec<TemperamentDistance>,
    pub crises: Crises,
    pub agreements: Vec<AgreementGroup>,
    pub negotiation: Negotiation,
    pub shocks: Vec<Shock>,
    pub checks: Vec<Check>,
    /// A digest of the first [`PROBE_GAMES`] games of every mix: the same for any run with
    /// at least that many games, so a test can tell cheaply whether a saved report is stale.
    pub probe: String,
}

/// Games per mix that the probe digest covers.
pub const PROBE_GAMES: u32 = 2;

#[derive(Serialize)]
pub struct FactionResult {
    pub faction: String,
    /// Share of all games in which it had the highest game score (ties shared).
    pub won: f64,
    pub mean_score: f64,
    /// Each objective's mean value (0–1) over every round of every game, with its weight,
    /// then the mean shared bonus and crisis penalty in points.
    pub objectives: Vec<(String, f64)>,
}

#[derive(Serialize)]
pub struct MixResult {
    pub mix: String,
    pub won: Vec<f64>,
    pub mean_score: Vec<f64>,
    pub crisis: f64,
    pub agreements_per_game: f64,
    pub mean_tension: f64,
    /// Per faction, each objective's mean value and the mean bonus and penalty (JSON only).
    pub objectives: Vec<Vec<(String, f64)>>,
}

#[derive(Serialize)]
pub struct DilemmaRow {
    pub faction: String,
    /// It plays hawk, the others dove.
    pub temptation: f64,
    pub all_dove: f64,
    pub all_pragmatist: f64,
    pub all_hawk: f64,
    /// It plays dove, the others hawk.
    pub sucker: f64,
    /// Whether the ordering the game must teach holds, with gaps of at least
    /// [`DILEMMA_GAP`] points.
    pub holds: bool,
}

/// Smallest gap, in score points, between neighbours of the dilemma ordering.
pub const DILEMMA_GAP: f64 = 2.0;

#[derive(Serialize)]
pub struct IndexRange {
    pub index: String,
    /// "technical" or a faction id.
    pub perspective: String,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Share of rounds at the index's lower and upper bound.
    pub at_lower: f64,
    pub at_upper: f64,
    /// Set when `docs/model.md` explains why it sits at a bound.
    pub documented: Option<String>,
}

#[derive(Serialize)]
pub struct ScoreRange {
    pub faction: String,
    /// Over all games: the lowest and highest game score.
    pub min: f64,
    pub max: f64,
    /// Russia's perceived balance (or the faction's) at the end of each game: lowest, highest.
    pub balance_min: f64,
    pub balance_max: f64,
}

#[derive(Serialize)]
pub struct ActionRow {
    pub faction: String,
    pub action: String,
    /// Share of games in which it was ordered, over the mixes where the faction is a hawk,
    /// a pragmatist, a dove.
    pub ordered: [f64; 3],
    /// The highest share of games in one mix, and that mix.
    pub best_mix: f64,
    pub best_mix_label: String,
}

#[derive(Serialize)]
pub struct TemperamentDistance {
    pub faction: String,
    /// Total variation distance between the hawk's and the dove's order frequencies.
    pub hawk_dove: f64,
}

#[derive(Serialize)]
pub struct Crises {
    pub share: f64,
    /// Crises per 1-based round.
    pub by_round: Vec<u64>,
    /// Mixes with the most crises.
    pub worst_mix: String,
    pub worst_share: f64,
}

#[derive(Serialize)]
pub struct AgreementGroup {
    pub parties: String,
    pub signed: u64,
    pub per_game: f64,
    pub broken: u64,
    /// Clause kinds in these agreements, with counts, most frequent first.
    pub clauses: Vec<(String, u64)>,
}

#[derive(Serialize)]
pub struct Negotiation {
    pub proposals_per_game: f64,
    pub agreements_per_game: f64,
    pub messages_per_game: f64,
}

#[derive(Serialize)]
pub struct Shock {
    pub event: String,
    pub round: u32,
    pub tension_effect: f64,
    /// Over mixes: the smallest and largest mean change of tension across the shock's round
    /// (end of that round against the end of the one before).
    pub min_mean_change: f64,
    pub max_mean_change: f64,
    /// Over mixes: the largest share of games with tension at its floor at the end of the
    /// shock's round.
    pub worst_at_floor: f64,
    pub worst_mix: String,
}

#[derive(Serialize)]
pub struct Check {
    pub target: String,
    pub measured: String,
    pub pass: bool,
    /// Whether the game must meet it under this preset: all checks under the scenario's
    /// default preset, only the share of wins under the others.
    pub required: bool,
}

fn mean(xs: impl IntoIterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in xs {
        s += x;
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// The indices reported, with their bounds.
const INDICES: &[(&str, f64, f64)] = &[
    ("deterrence_balance", 0.0, 100.0),
    ("retaliation_russia", 0.0, 1.0),
    ("retaliation_us", 0.0, 1.0),
    ("engageability", 0.0, 1.0),
    ("perceived_engageability", 0.0, 1.0),
    ("upgrade_headroom", 0.0, 1.0),
    ("guarantee_credit", 0.0, 1.0),
    ("coverage", 0.0, 1.0),
    ("homeland_defence", 0.0, 1.0),
    ("border_security", 0.0, 1.0),
];

fn index_value(v: &Values, id: &str) -> f64 {
    match id {
        "deterrence_balance" => v.deterrence_balance,
        "retaliation_russia" => v.retaliation_russia,
        "retaliation_us" => v.retaliation_us,
        "engageability" => v.engageability,
        "perceived_engageability" => v.perceived_engageability,
        "upgrade_headroom" => v.upgrade_headroom,
        "guarantee_credit" => v.guarantee_credit,
        "coverage" => v.coverage,
        "homeland_defence" => v.homeland_defence,
        "border_security" => v.border_security,
        _ => f64::NAN,
    }
}

fn at(x: f64, bound: f64) -> bool {
    (x - bound).abs() < 1e-9
}

fn aggregate(
    scn: &Scenario,
    mixes: &[Mix],
    per_mix: &[Vec<GameRecord>],
    args: &BalanceArgs,
    preset: String,
) -> Report {
    let nf = scn.factions.len();
    let fname = |i: usize| scn.factions[i].id.to_string();
    let all = || per_mix.iter().flatten();
    let games = all().count() as u64;

    // Wins, ties shared.
    let wins_of = |g: &GameRecord| -> Vec<f64> {
        let best = g.scores.iter().copied().fold(f64::MIN, f64::max);
        let top: Vec<bool> = g.scores.iter().map(|s| (s - best).abs() < 1e-9).collect();
        let n = top.iter().filter(|x| **x).count().max(1) as f64;
        top.iter().map(|t| if *t { 1.0 / n } else { 0.0 }).collect()
    };
    let wins: Vec<FactionResult> = (0..nf)
        .map(|i| FactionResult {
            faction: fname(i),
            won: mean(all().map(|g| wins_of(g)[i])),
            mean_score: mean(all().map(|g| g.scores[i])),
            objectives: {
                let first: Vec<String> = all()
                    .next()
                    .map(|g| g.objectives[i].iter().map(|(k, _)| k.clone()).collect())
                    .unwrap_or_default();
                first
                    .iter()
                    .enumerate()
                    .map(|(k, id)| (id.clone(), mean(all().map(|g| g.objectives[i][k].1))))
                    .collect()
            },
        })
        .collect();

    let mix_results: Vec<MixResult> = mixes
        .iter()
        .zip(per_mix)
        .map(|(m, gs)| MixResult {
            mix: m.label(scn),
            won: (0..nf)
                .map(|i| mean(gs.iter().map(|g| wins_of(g)[i])))
                .collect(),
            mean_score: (0..nf)
                .map(|i| mean(gs.iter().map(|g| g.scores[i])))
                .collect(),
            crisis: mean(
                gs.iter()
                    .map(|g| f64::from(u8::from(g.crisis_round.is_some()))),
            ),
            agreements_per_game: mean(gs.iter().map(|g| g.agreements.len() as f64)),
            mean_tension: mean(gs.iter().flat_map(|g| g.rounds.iter().map(|r| r.tension))),
            objectives: (0..nf)
                .map(|i| {
                    let ids: Vec<String> = gs
                        .first()
                        .map(|g| g.objectives[i].iter().map(|(k, _)| k.clone()).collect())
                        .unwrap_or_default();
                    ids.iter()
                        .enumerate()
                        .map(|(k, id)| (id.clone(), mean(gs.iter().map(|g| g.objectives[i][k].1))))
                        .collect()
                })
                .collect(),
        })
        .collect();
    let mix_score = |want: &dyn Fn(usize) -> Temperament, f: usize| -> f64 {
        mixes
            .iter()
            .position(|m| (0..nf).all(|i| m.0[i] == want(i)))
            .map(|k| mix_results[k].mean_score[f])
            .unwrap_or(f64::NAN)
    };

    // The dilemma.
    let dilemma: Vec<DilemmaRow> = (0..nf)
        .map(|f| {
            let t = mix_score(
                &|i| {
                    if i == f {
                        Temperament::Hawk
                    } else {
                        Temperament::Dove
                    }
                },
                f,
            );
            let s = mix_score(
                &|i| {
                    if i == f {
                        Temperament::Dove
                    } else {
                        Temperament::Hawk
                    }
                },
                f,
            );
            let rd = mix_score(&|_| Temperament::Dove, f);
            let rp = mix_score(&|_| Temperament::Pragmatist, f);
            let p = mix_score(&|_| Temperament::Hawk, f);
            let g = DILEMMA_GAP;
            let holds = match scn.factions[f].dilemma {
                Dilemma::Full => {
                    t - rd >= g && t - rp >= g && rd - p >= g && rp - p >= g && p - s >= g
                }
                Dilemma::Cooperation => rd - p >= g && rp - p >= g,
            };
            DilemmaRow {
                faction: fname(f),
                temptation: t,
                all_dove: rd,
                all_pragmatist: rp,
                all_hawk: p,
                sucker: s,
                holds,
            }
        })
        .collect();

    // Index ranges.
    let mut indices = Vec::new();
    let perspectives: Vec<(String, Option<usize>)> =
        std::iter::once(("technical".to_owned(), None))
            .chain((0..nf).map(|i| (fname(i), Some(i))))
            .collect();
    for (id, lo, hi) in INDICES {
        for (pname, pi) in &perspectives {
            let xs: Vec<f64> = all()
                .flat_map(|g| g.rounds.iter())
                .map(|r| {
                    let v = match pi {
                        None => &r.technical,
                        Some(i) => &r.factions[*i],
                    };
                    index_value(v, id)
                })
                .collect();
            indices.push(range_row(id, pname, &xs, *lo, *hi));
        }
    }
    let tension: Vec<f64> = all()
        .flat_map(|g| g.rounds.iter())
        .map(|r| r.tension)
        .collect();
    indices.push(range_row("tension", "public", &tension, 0.0, 100.0));

    // Scores and perceived balance ranges.
    let scores: Vec<ScoreRange> = (0..nf)
        .map(|i| {
            let s: Vec<f64> = all().map(|g| g.scores[i]).collect();
            let b: Vec<f64> = all()
                .filter_map(|g| g.rounds.last())
                .map(|r| r.factions[i].deterrence_balance)
                .collect();
            ScoreRange {
                faction: fname(i),
                min: s.iter().copied().fold(f64::INFINITY, f64::min),
                max: s.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                balance_min: b.iter().copied().fold(f64::INFINITY, f64::min),
                balance_max: b.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect();

    // Actions.
    let mut actions = Vec::new();
    let mut temperament_distance = Vec::new();
    for (fi, f) in scn.factions.iter().enumerate() {
        let own: Vec<&ActionId> = scn
            .actions
            .iter()
            .filter(|a| a.owner == f.id)
            .map(|a| &a.id)
            .collect();
        let games_with = |t: Temperament| {
            mixes
                .iter()
                .zip(per_mix)
                .filter(move |(m, _)| m.0[fi] == t)
                .flat_map(|(_, gs)| gs.iter())
        };
        for a in &own {
            let ordered =
                TEMPERAMENTS.map(|t| {
                    mean(games_with(t).map(|g| {
                        f64::from(u8::from(g.orders[fi].get(*a).copied().unwrap_or(0) > 0))
                    }))
                });
            let (best_mix, best_k) = mixes
                .iter()
                .enumerate()
                .map(|(k, _)| {
                    (
                        mean(per_mix[k].iter().map(|g| {
                            f64::from(u8::from(g.orders[fi].get(*a).copied().unwrap_or(0) > 0))
                        })),
                        k,
                    )
                })
                .fold((-1.0, 0), |acc, x| if x.0 > acc.0 { x } else { acc });
            actions.push(ActionRow {
                faction: f.id.to_string(),
                action: a.to_string(),
                ordered,
                best_mix,
                best_mix_label: mixes[best_k].label(scn),
            });
        }
        let freq = |t: Temperament| -> Vec<f64> {
            let mut units: Vec<f64> = own
                .iter()
                .map(|a| {
                    games_with(t)
                        .map(|g| f64::from(g.orders[fi].get(*a).copied().unwrap_or(0)))
                        .sum()
                })
                .collect();
            let total: f64 = units.iter().sum();
            if total > 0.0 {
                units.iter_mut().for_each(|u| *u /= total);
            }
            units
        };
        let (h, d) = (freq(Temperament::Hawk), freq(Temperament::Dove));
        temperament_distance.push(TemperamentDistance {
            faction: f.id.to_string(),
            hawk_dove: 0.5 * h.iter().zip(&d).map(|(x, y)| (x - y).abs()).sum::<f64>(),
        });
    }

    // Crises.
    let rounds = scn.rounds.len();
    let mut by_round = vec![0u64; rounds];
    for g in all() {
        if let Some(r) = g.crisis_round {
            by_round[(r as usize).saturating_sub(1).min(rounds - 1)] += 1;
        }
    }
    let (worst_k, worst_share) = mix_results
        .iter()
        .enumerate()
        .map(|(k, m)| (k, m.crisis))
        .fold((0, -1.0), |acc, x| if x.1 > acc.1 { x } else { acc });
    let crises = Crises {
        share: mean(all().map(|g| f64::from(u8::from(g.crisis_round.is_some())))),
        by_round,
        worst_mix: mixes[worst_k].label(scn),
        worst_share,
    };

    // Agreements by parties.
    let mut groups: BTreeMap<String, (u64, u64, BTreeMap<String, u64>)> = BTreeMap::new();
    for g in all() {
        for (parties, kinds, broken) in &g.agreements {
            let key = parties
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" + ");
            let e = groups.entry(key).or_default();
            e.0 += 1;
            e.1 += u64::from(*broken);
            for k in kinds {
                *e.2.entry(k.to_string()).or_default() += 1;
            }
        }
    }
    let agreements = groups
        .into_iter()
        .map(|(parties, (signed, broken, kinds))| {
            let mut clauses: Vec<(String, u64)> = kinds.into_iter().collect();
            clauses.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            AgreementGroup {
                parties,
                signed,
                per_game: signed as f64 / games.max(1) as f64,
                broken,
                clauses,
            }
        })
        .collect();
    let negotiation = Negotiation {
        proposals_per_game: mean(all().map(|g| g.proposals as f64)),
        agreements_per_game: mean(all().map(|g| g.agreements.len() as f64)),
        messages_per_game: mean(all().map(|g| g.messages as f64)),
    };

    // Scheduled shocks that move tension.
    let mut shocks = Vec::new();
    let tension_floor = scn
        .var_index("tension")
        .map(|i| scn.variables[i].min)
        .unwrap_or(0.0);
    for e in &scn.events {
        let (Some(round), true) = (e.round, e.kind == scenario_kind_scheduled()) else {
            continue;
        };
        let effect: f64 = e
            .effects
            .iter()
            .filter_map(|x| match x {
                crate::engine::scenario::EventEffect::Var(v) if v.var.as_str() == "tension" => {
                    v.delta
                }
                _ => None,
            })
            .sum();
        if effect.abs() < 5.0 {
            continue;
        }
        let r = round as usize - 1;
        let start = scn
            .var_index("tension")
            .map(|i| scn.variables[i].initial)
            .unwrap_or(0.0);
        let mut changes = Vec::new();
        let mut floors = Vec::new();
        for gs in per_mix {
            let played: Vec<&GameRecord> = gs.iter().filter(|g| g.rounds.len() > r).collect();
            changes.push(mean(played.iter().map(|g| {
                let before = if r == 0 {
                    start
                } else {
                    g.rounds[r - 1].tension
                };
                g.rounds[r].tension - before
            })));
            floors.push(mean(played.iter().map(|g| {
                f64::from(u8::from(at(g.rounds[r].tension, tension_floor)))
            })));
        }
        let (wk, wf) =
            floors.iter().enumerate().fold(
                (0, -1.0),
                |acc, (k, x)| if *x > acc.1 { (k, *x) } else { acc },
            );
        shocks.push(Shock {
            event: e.id.to_string(),
            round,
            tension_effect: effect,
            min_mean_change: changes.iter().copied().fold(f64::INFINITY, f64::min),
            max_mean_change: changes.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            worst_at_floor: wf,
            worst_mix: mixes[wk].label(scn),
        });
    }

    // FNV-1a over what each of the first games did: every order, agreement and round.
    let mut probe: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |text: &str| {
        for b in text.bytes() {
            probe ^= u64::from(b);
            probe = probe.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for gs in per_mix {
        for g in gs.iter().take(PROBE_GAMES as usize) {
            feed(&format!("{:?}|{:?}|", g.crisis_round, g.proposals));
            for x in &g.scores {
                feed(&format!("{x:.6},"));
            }
            for o in &g.orders {
                feed(&format!("{o:?};"));
            }
            for (p, k, b) in &g.agreements {
                feed(&format!("{p:?}{k:?}{b};"));
            }
            for r in &g.rounds {
                feed(&format!(
                    "{:.6}/{:.6}/{:.6};",
                    r.tension, r.technical.deterrence_balance, r.technical.coverage
                ));
                for v in &r.factions {
                    feed(&format!("{:.6},", v.deterrence_balance));
                }
            }
        }
    }
    let probe = format!("{probe:016x}");
    let mut report = Report {
        scenario: scn.id.clone(),
        scenario_fingerprint: scn.fingerprint(),
        preset,
        games_per_mix: args.games,
        seed: args.seed,
        games,
        factions: (0..nf).map(fname).collect(),
        wins,
        mixes: mix_results,
        dilemma,
        indices,
        scores,
        actions,
        temperament_distance,
        crises,
        agreements,
        negotiation,
        shocks,
        checks: Vec::new(),
        probe,
    };
    report.checks = checks(scn, &report);
    report
}

fn scenario_kind_scheduled() -> crate::engine::scenario::EventKind {
    crate::engine::scenario::EventKind::Scheduled
}

fn range_row(id: &str, perspective: &str, xs: &[f64], lo: f64, hi: f64) -> IndexRange {
    let n = xs.len().max(1) as f64;
    let at_lower = xs.iter().filter(|x| at(**x, lo)).count() as f64 / n;
    let at_upper = xs.iter().filter(|x| at(**x, hi)).count() as f64 / n;
    let documented = DOCUMENTED_AT_BOUND
        .iter()
        .find(|(i, p, _)| *i == id && (*p == "*" || *p == perspective))
        .map(|(_, _, b)| (*b).to_owned());
    IndexRange {
        index: id.to_owned(),
        perspective: perspective.to_owned(),
        min: xs.iter().copied().fold(f64::INFINITY, f64::min),
        max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        mean: mean(xs.iter().copied()),
        at_lower,
        at_upper,
        documented,
    }
}

/// The targets of the game issue, as measured in this report.
fn checks(scn: &Scenario, r: &Report) -> Vec<Check> {
    let mut out = Vec::new();
    let reference = r.preset == scn.model.default_preset;
    let (lo, hi) = if reference {
        (0.20, 0.45)
    } else {
        (0.15, 0.50)
    };
    for w in &r.wins {
        out.push(Check {
            target: format!(
                "{} wins {:.0}–{:.0}% of games",
                w.faction,
                lo * 100.0,
                hi * 100.0
            ),
            measured: format!("{:.1}%", w.won * 100.0),
            pass: w.won >= lo && w.won <= hi,
            required: true,
        });
    }
    for d in &r.dilemma {
        let strategic = scn
            .faction(&d.faction)
            .is_none_or(|f| f.dilemma == Dilemma::Full);
        out.push(Check {
            target: if strategic {
                format!(
                    "{}: temptation > all dove, all pragmatist > all hawk > sucker, gaps ≥ {DILEMMA_GAP}",
                    d.faction
                )
            } else {
                format!(
                    "{}: all dove and all pragmatist beat all hawk by ≥ {DILEMMA_GAP}",
                    d.faction
                )
            },
            measured: if strategic {
                format!(
                    "{:.1} > {:.1}, {:.1} > {:.1} > {:.1}",
                    d.temptation, d.all_dove, d.all_pragmatist, d.all_hawk, d.sucker
                )
            } else {
                format!("{:.1}, {:.1} vs {:.1}", d.all_dove, d.all_pragmatist, d.all_hawk)
            },
            pass: d.holds,
            required: reference,
        });
    }
    let dead: Vec<String> = r
        .actions
        .iter()
        .filter(|a| a.best_mix < 0.05)
        .map(|a| format!("{} ({:.1}%)", a.action, a.best_mix * 100.0))
        .collect();
    out.push(Check {
        target: "every action ordered in ≥ 5% of the games of some mix".into(),
        measured: if dead.is_empty() {
            let least = r
                .actions
                .iter()
                .min_by(|a, b| a.best_mix.total_cmp(&b.best_mix));
            least
                .map(|a| format!("least: {} {:.1}%", a.action, a.best_mix * 100.0))
                .unwrap_or_default()
        } else {
            format!("dead: {}", dead.join(", "))
        },
        pass: dead.is_empty(),
        required: reference,
    });
    for t in &r.temperament_distance {
        out.push(Check {
            target: format!("{}: hawk and dove orders differ by TVD ≥ 0.4", t.faction),
            measured: format!("{:.2}", t.hawk_dove),
            pass: t.hawk_dove >= 0.4,
            required: reference,
        });
    }
    // The threatened side of the dilemma (Russia in the default scenario) must see the
    // headline move with what the players do.
    for s in &r.scores {
        let threatened = scn
            .faction(&s.faction)
            .is_some_and(|f| f.perceives_threat && f.dilemma == Dilemma::Full);
        if threatened {
            let span = s.balance_max - s.balance_min;
            out.push(Check {
                target: format!(
                    "{}'s perceived deterrence balance spans ≥ 20 points across games",
                    s.faction
                ),
                measured: format!("{:.1} ({:.1}–{:.1})", span, s.balance_min, s.balance_max),
                pass: span >= 20.0,
                required: reference,
            });
        }
    }
    for s in &r.scores {
        let span = s.max - s.min;
        out.push(Check {
            target: format!("{}'s game score spans ≥ 15 points", s.faction),
            measured: format!("{:.1} ({:.1}–{:.1})", span, s.min, s.max),
            pass: span >= 15.0,
            required: reference,
        });
    }
    let stuck: Vec<String> = r
        .indices
        .iter()
        .filter(|i| {
            (i.at_lower > AT_BOUND_LIMIT || i.at_upper > AT_BOUND_LIMIT) && i.documented.is_none()
        })
        .map(|i| {
            format!(
                "{} ({}) {:.0}%",
                i.index,
                i.perspective,
                100.0 * i.at_lower.max(i.at_upper)
            )
        })
        .collect();
    out.push(Check {
        target: format!(
            "no index at a bound in > {:.0}% of rounds unless docs/model.md says why",
            AT_BOUND_LIMIT * 100.0
        ),
        measured: if stuck.is_empty() {
            "none".into()
        } else {
            stuck.join(", ")
        },
        pass: stuck.is_empty(),
        required: reference,
    });
    for s in &r.shocks {
        let moves = if s.tension_effect > 0.0 {
            s.min_mean_change > 0.0
        } else {
            s.max_mean_change < 0.0
        };
        out.push(Check {
            target: format!(
                "{} (round {}) moves tension in every mix, never at the floor in > 5% of games",
                s.event, s.round
            ),
            measured: format!(
                "mean change {:+.1} to {:+.1}; at floor ≤ {:.1}%",
                s.min_mean_change,
                s.max_mean_change,
                s.worst_at_floor * 100.0
            ),
            pass: moves && s.worst_at_floor <= 0.05,
            required: reference,
        });
    }
    out
}

// ----- rendering -----

/// Writes the report as Markdown.
pub fn write_md(r: &Report, out: &mut dyn Write) -> Result<()> {
    let mut s = String::new();
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let _ = writeln!(
        s,
        "Scenario `{}` ({}), preset `{}`: {} games per mix × {} mixes = {} games, seeds {}–{}.\n",
        r.scenario,
        r.scenario_fingerprint,
        r.preset,
        r.games_per_mix,
        r.mixes.len(),
        r.games,
        r.seed,
        r.seed + u64::from(r.games_per_mix.max(1)) - 1
    );
    let _ = writeln!(s, "### Targets\n");
    let _ = writeln!(s, "| Target | Measured | |\n|---|---|---|");
    for c in &r.checks {
        let verdict = match (c.required, c.pass) {
            (false, _) => "not a target under this preset",
            (true, true) => "pass",
            (true, false) => "**FAIL**",
        };
        let _ = writeln!(s, "| {} | {} | {verdict} |", c.target, c.measured);
    }
    let _ = writeln!(s, "\n### Wins and scores (all mixes)\n");
    let _ = writeln!(
        s,
        "| Faction | Games won | Mean game score | Lowest | Highest |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for (w, sc) in r.wins.iter().zip(&r.scores) {
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {:.1} | {:.1} |",
            w.faction,
            pct(w.won),
            w.mean_score,
            sc.min,
            sc.max
        );
    }
    let _ = writeln!(
        s,
        "\nWhat each faction's score is made of: the mean value of each objective over all rounds \
         (0–1, weights from the scenario), and the mean shared bonus and crisis penalty in points.\n"
    );
    let _ = writeln!(
        s,
        "| Faction | Objectives | Bonus | Penalty |\n|---|---|---|---|"
    );
    for w in &r.wins {
        let n = w.objectives.len().saturating_sub(2);
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {:.2} |",
            w.faction,
            w.objectives[..n]
                .iter()
                .map(|(k, v)| format!("{k} {v:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            w.objectives.get(n).map_or(0.0, |x| x.1),
            w.objectives.get(n + 1).map_or(0.0, |x| x.1),
        );
    }
    let _ = writeln!(s, "\n### The dilemma (mean game score)\n");
    let _ = writeln!(
        s,
        "| Faction | Temptation (it hawk, others dove) | All dove | All pragmatist | All hawk | Sucker (it dove, others hawk) | Holds |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for d in &r.dilemma {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            d.faction,
            d.temptation,
            d.all_dove,
            d.all_pragmatist,
            d.all_hawk,
            d.sucker,
            if d.holds { "yes" } else { "**no**" }
        );
    }
    let _ = writeln!(s, "\n### Per mix\n");
    let mut head = "| Mix |".to_owned();
    let mut rule = "|---|".to_owned();
    for f in &r.factions {
        let _ = write!(head, " {f} won | {f} score |");
        rule.push_str("---|---|");
    }
    head.push_str(" Crises | Agreements/game | Mean tension |");
    rule.push_str("---|---|---|");
    let _ = writeln!(s, "{head}\n{rule}");
    for m in &r.mixes {
        let mut row = format!("| {} |", m.mix);
        for (w, sc) in m.won.iter().zip(&m.mean_score) {
            let _ = write!(row, " {} | {:.1} |", pct(*w), sc);
        }
        let _ = write!(
            row,
            " {} | {:.2} | {:.1} |",
            pct(m.crisis),
            m.agreements_per_game,
            m.mean_tension
        );
        let _ = writeln!(s, "{row}");
    }
    let _ = writeln!(s, "\n### Indices over all rounds\n");
    let _ = writeln!(
        s,
        "| Index | Perspective | Min | Max | Mean | At lower bound | At upper bound |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for i in &r.indices {
        let _ = writeln!(
            s,
            "| {} | {} | {:.3} | {:.3} | {:.3} | {} | {}{} |",
            i.index,
            i.perspective,
            i.min,
            i.max,
            i.mean,
            pct(i.at_lower),
            pct(i.at_upper),
            if i.documented.is_some() {
                " (see docs/model.md)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        s,
        "\nDeterrence balance each faction perceives at the end of a game:\n"
    );
    let _ = writeln!(s, "| Faction | Lowest | Highest |\n|---|---|---|");
    for sc in &r.scores {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.1} |",
            sc.faction, sc.balance_min, sc.balance_max
        );
    }
    let _ = writeln!(
        s,
        "\n### Actions: share of games in which each is ordered\n"
    );
    let _ = writeln!(
        s,
        "| Faction | Action | as hawk | as pragmatist | as dove | Most in one mix |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for a in &r.actions {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} ({}) |",
            a.faction,
            a.action,
            pct(a.ordered[0]),
            pct(a.ordered[1]),
            pct(a.ordered[2]),
            pct(a.best_mix),
            a.best_mix_label
        );
    }
    let _ = writeln!(
        s,
        "\nTotal variation distance between the hawk's and the dove's orders (units per action):\n"
    );
    let _ = writeln!(s, "| Faction | Hawk vs dove |\n|---|---|");
    for t in &r.temperament_distance {
        let _ = writeln!(s, "| {} | {:.2} |", t.faction, t.hawk_dove);
    }
    let _ = writeln!(s, "\n### Crises\n");
    let _ = writeln!(
        s,
        "{} of games end in a crisis; most in `{}` ({}). By round: {}.",
        pct(r.crises.share),
        r.crises.worst_mix,
        pct(r.crises.worst_share),
        r.crises
            .by_round
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}: {n}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(s, "\n### Negotiation\n");
    let _ = writeln!(
        s,
        "Per game: {:.1} proposals, {:.1} agreements signed, {:.1} chat messages from the bots.\n",
        r.negotiation.proposals_per_game,
        r.negotiation.agreements_per_game,
        r.negotiation.messages_per_game
    );
    let _ = writeln!(s, "| Parties | Signed | Per game | Broken | Clauses |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for a in &r.agreements {
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {} | {} |",
            a.parties,
            a.signed,
            a.per_game,
            a.broken,
            a.clauses
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(s, "\n### Scheduled shocks\n");
    let _ = writeln!(
        s,
        "| Event | Round | Tension effect | Mean change over the round (by mix) | Most games at the floor |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for sh in &r.shocks {
        let _ = writeln!(
            s,
            "| {} | {} | {:+.0} | {:+.1} to {:+.1} | {} ({}) |",
            sh.event,
            sh.round,
            sh.tension_effect,
            sh.min_mean_change,
            sh.max_mean_change,
            pct(sh.worst_at_floor),
            sh.worst_mix
        );
    }
    let _ = writeln!(
        s,
        "\nProbe digest of the first {PROBE_GAMES} games of every mix: `{}` (`detente balance \
         --games {PROBE_GAMES}` with the same seed and preset prints the same; the test \
         `balance_page_is_current` compares them).",
        r.probe
    );
    out.write_all(s.as_bytes())?;
    Ok(())
}

/// Writes the report as JSON (one object).
pub fn write_json(r: &Report, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    writeln!(out)?;
    Ok(())
}
