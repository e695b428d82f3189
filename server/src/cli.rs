//! The `detente` subcommands that do not need a server: scenario tools and `simulate`.
//! Output goes to a writer so tests can check it byte for byte.

use crate::engine::bots::play_bots_unlogged;
use crate::engine::scenario::Scenario;
use crate::engine::validate::parse_and_validate;
use crate::engine::*;
use crate::scenarios::{built_in, BUILT_IN};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// `detente scenario check FILE`: prints every problem; Err when there is any. A file that
/// is sound but whose translations leave texts out passes, after a warning per text.
pub fn scenario_check(path: &Path, out: &mut dyn Write) -> Result<()> {
    let src = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scenario file {}", path.display()))?;
    match parse_and_validate(&path.display().to_string(), &src) {
        Ok(s) => {
            let missing = crate::engine::locale::untranslated(&s);
            for (lang, text) in &missing {
                writeln!(
                    out,
                    "{}: {text}: warning: not translated; a game in \"{lang}\" shows the text in \"{}\"",
                    path.display(),
                    s.language
                )?;
            }
            let languages = if s.locales.is_empty() {
                String::new()
            } else {
                let per: Vec<String> = s
                    .language_codes()
                    .iter()
                    .map(|l| {
                        let n = missing.iter().filter(|(m, _)| m == l).count();
                        match n {
                            _ if *l == s.language => (*l).to_owned(),
                            0 => format!("{l} (complete)"),
                            1 => format!("{l} (1 text not translated)"),
                            n => format!("{l} ({n} texts not translated)"),
                        }
                    })
                    .collect();
                format!("; languages {}", per.join(", "))
            };
            writeln!(
                out,
                "{}: ok — scenario \"{}\": {} factions, {} rounds, {} actions, {} clause kinds, {} events{languages}",
                path.display(),
                s.id,
                s.factions.len(),
                s.rounds.len(),
                s.actions.len(),
                s.clause_kinds.len(),
                s.events.len()
            )?;
            Ok(())
        }
        Err(errs) => {
            let n = errs.len();
            Err(anyhow!(
                "{}\n{n} problem{} found",
                errs.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n"),
                if n == 1 { "" } else { "s" }
            ))
        }
    }
}

/// `detente scenario list`.
pub fn scenario_list(out: &mut dyn Write) -> Result<()> {
    for (id, _) in BUILT_IN {
        let s = built_in(id)?;
        writeln!(out, "{id}\t{}\t{} rounds", s.title, s.rounds.len())?;
    }
    Ok(())
}

/// `detente scenario show ID`: a readable summary of a scenario.
pub fn scenario_show(s: &Scenario, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "{} — {}\n", s.id, s.title)?;
    writeln!(out, "{}\n", s.summary.trim())?;
    writeln!(
        out,
        "Rounds: {}",
        s.rounds
            .iter()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(out, "Crisis when tension reaches {}", s.crisis_threshold)?;
    writeln!(out, "Languages: {}\n", s.language_codes().join(", "))?;
    for f in &s.factions {
        writeln!(out, "{} ({})", f.name, f.id)?;
        for a in s.actions.iter().filter(|a| a.owner == f.id) {
            writeln!(
                out,
                "  {:<28} budget {:>4}  capital {:>3}  build {} round(s)  {}",
                a.id, a.budget, a.capital, a.build_rounds, a.name
            )?;
        }
    }
    writeln!(out, "\nClause kinds:")?;
    for k in &s.clause_kinds {
        writeln!(out, "  {:<28} {:?}  {}", k.id, k.form, k.name)?;
    }
    writeln!(out, "\nEvents:")?;
    for e in &s.events {
        let when = match (e.round, e.weight) {
            (Some(r), _) => format!("round {r}"),
            (None, Some(w)) => format!("random, weight {w}"),
            _ => String::new(),
        };
        writeln!(out, "  {:<28} {:<18} {}", e.id, when, e.name)?;
    }
    writeln!(out, "\nModel presets:")?;
    for p in &s.model.presets {
        writeln!(out, "  {:<16} {}", p.id, p.name)?;
    }
    Ok(())
}

/// Output format of `simulate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

/// Parses `russia=hawk,us_nato=dove`.
pub fn parse_bots(s: &Scenario, spec: &str) -> Result<BTreeMap<FactionId, Temperament>> {
    let mut bots = BTreeMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (f, t) = part
            .split_once('=')
            .ok_or_else(|| anyhow!("--bots expects faction=temperament, got \"{part}\""))?;
        if s.faction(f).is_none() {
            bail!(
                "--bots: unknown faction \"{f}\"; factions: {}",
                s.factions
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let t: Temperament = t.parse().map_err(|e: String| anyhow!("--bots: {e}"))?;
        if bots.insert(FactionId::from(f), t).is_some() {
            bail!("--bots names \"{f}\" twice");
        }
    }
    Ok(bots)
}

/// Plays one whole game with bots in every seat. Deterministic in its arguments.
pub fn play_game(
    scenario: Arc<Scenario>,
    seed: u64,
    bots: &BTreeMap<FactionId, Temperament>,
    preset: Option<&str>,
) -> Result<Game> {
    let mut all = BTreeMap::new();
    for f in &scenario.factions {
        all.insert(
            f.id.clone(),
            bots.get(&f.id).copied().unwrap_or(Temperament::Pragmatist),
        );
    }
    let config = GameConfig {
        seed,
        preset: preset.map(str::to_owned),
        deadlines: None,
        bots: all,
        agents: Default::default(),
        team_sizes: BTreeMap::new(),
        start: StartMode::Now,
        title: None,
        team_ready: Default::default(),
        language: None,
    };
    let ctx = Ctx::at(0);
    let (mut game, _) = Game::create(scenario, config, 0).map_err(|e| anyhow!("{e}"))?;
    // Each round has four phases; a generous bound guards against a bot that never readies.
    let limit = game.scenario.rounds.len() * 8 + 8;
    for _ in 0..limit {
        if game.phase == Phase::Ended {
            break;
        }
        let before = (game.round, game.phase);
        play_bots_unlogged(&mut game, &ctx);
        if (game.round, game.phase) == before && game.phase != Phase::Ended {
            game.apply_unlogged(&Seat::Control, &Command::AdvancePhase {}, &ctx)
                .map_err(|e| anyhow!("{e}"))?;
        }
    }
    if game.phase != Phase::Ended {
        bail!("the game did not end within {limit} phases");
    }
    Ok(game)
}

/// Options of `detente simulate`.
pub struct SimulateArgs {
    pub seed: u64,
    pub games: u32,
    pub bots: BTreeMap<FactionId, Temperament>,
    pub preset: Option<String>,
    pub format: Format,
}

/// `detente simulate`: plays `games` games with seeds `seed`, `seed + 1`, … and prints every
/// round's technical indices and scores, then each game's result.
pub fn simulate(
    scenario: Arc<Scenario>,
    args: &SimulateArgs,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<()> {
    let factions: Vec<FactionId> = scenario.factions.iter().map(|f| f.id.clone()).collect();
    if args.format == Format::Csv {
        let mut header = vec![
            "game",
            "seed",
            "round",
            "label",
            "tension",
            "deterrence_balance",
            "stability",
            "retaliation_russia",
            "retaliation_us",
            "engageability",
            "coverage",
            "border_security",
            "agreements_in_force",
            "events",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        for f in &factions {
            header.push(format!("perceived_engageability_{f}"));
        }
        for f in &factions {
            header.push(format!("score_{f}"));
        }
        header.push("ending".into());
        writeln!(out, "{}", header.join(","))?;
    }
    let step = (args.games / 10).max(1);
    for g in 0..args.games {
        let seed = args.seed.wrapping_add(u64::from(g));
        let game = play_game(scenario.clone(), seed, &args.bots, args.preset.as_deref())?;
        match args.format {
            Format::Json => {
                serde_json::to_writer(&mut *out, &game_summary(&game, g, seed))?;
                writeln!(out)?;
            }
            Format::Csv => write_csv(&game, g, seed, &factions, out)?,
        }
        if args.games >= 20 && (g + 1) % step == 0 {
            writeln!(progress, "simulated {}/{} games", g + 1, args.games)?;
        }
    }
    Ok(())
}

fn ending_name(e: &Option<Ending>) -> String {
    match e {
        Some(Ending::LastRound) => "last_round".into(),
        Some(Ending::Crisis { tension }) => format!("crisis at tension {tension:.1}"),
        Some(Ending::Control { .. }) => "ended by control".into(),
        None => "running".into(),
    }
}

fn round_events(game: &Game, round: u32) -> String {
    game.briefings
        .iter()
        .filter(|(r, _)| *r == round)
        .map(|(_, f)| f.id.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn agreements_in_force(r: &TurnReport, game: &Game) -> usize {
    // Agreements signed by this round and still in force after it.
    game.core
        .agreements
        .iter()
        .filter(|a| a.signed_round <= r.round)
        .filter(|a| match &a.status {
            AgreementStatus::InForce | AgreementStatus::Expired => a.until_round > r.round,
            AgreementStatus::Broken { round, .. } => *round > r.round,
            _ => false,
        })
        .count()
}

fn game_summary(game: &Game, index: u32, seed: u64) -> serde_json::Value {
    let rounds: Vec<serde_json::Value> = game
        .reports
        .iter()
        .map(|r| {
            let t = &r.control.technical.values;
            serde_json::json!({
                "round": r.round + 1,
                "label": r.label,
                "events": round_events(game, r.round),
                "tension": round6(r.public.tension.value),
                "indices": {
                    "deterrence_balance": round6(t.deterrence_balance),
                    "stability": round6(t.stability),
                    "retaliation_russia": round6(t.retaliation_russia),
                    "retaliation_us": round6(t.retaliation_us),
                    "engageability": round6(t.engageability),
                    "coverage": round6(t.coverage),
                    "border_security": round6(t.border_security),
                },
                "perceived_balance": r.factions.iter()
                    .map(|(f, fr)| (f.to_string(), round6(fr.indices.values.deterrence_balance)))
                    .collect::<BTreeMap<_, _>>(),
                "perceived_engageability": r.factions.iter()
                    .map(|(f, fr)| (f.to_string(), round6(fr.indices.values.perceived_engageability)))
                    .collect::<BTreeMap<_, _>>(),
                "scores": r.factions.iter()
                    .map(|(f, fr)| (f.to_string(), round6(fr.score.round_score)))
                    .collect::<BTreeMap<_, _>>(),
                "orders": r.control.orders.iter()
                    .map(|o| format!("{}:{}x{}", o.faction, o.action, o.quantity))
                    .collect::<Vec<_>>(),
                "agreements": r.control.agreements.iter()
                    .map(|a| format!("{}: {}", a.title, a.note))
                    .collect::<Vec<_>>(),
                // The messages the game still holds (`KEPT_MESSAGES` to twice that a channel).
                // Bots post at most 8 per faction and round, so the built-in scenario's games
                // (3 factions, 8 rounds) keep all of theirs; a much larger scenario would lose
                // its early rounds' chat from this summary (the log keeps it).
                "chat": game.messages.iter()
                    .filter(|m| m.round == r.round)
                    .map(|m| format!("{} [{}]: {}", seat_name(&m.from), channel_name(&m.channel), m.text))
                    .collect::<Vec<_>>(),
                "breaches": r.control.breaches.iter()
                    .map(|b| format!("{} broke clause {} of the {} ({})", b.by, b.clause, b.agreement_title,
                        if b.detected { "detected" } else { "undetected" }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let final_scores: BTreeMap<String, f64> = game
        .core
        .score_history
        .iter()
        .filter(|(_, h)| !h.is_empty())
        .map(|(f, h)| {
            (
                f.to_string(),
                round6(h.iter().sum::<f64>() / h.len() as f64),
            )
        })
        .collect();
    serde_json::json!({
        "game": index,
        "seed": seed,
        "preset": game.params.preset,
        "bots": game.config.bots,
        "rounds": rounds,
        "result": {
            "ending": ending_name(&game.ending),
            "rounds_played": game.reports.len(),
            "agreements_signed": game.core.agreements.len(),
            "scores": final_scores,
        }
    })
}

fn seat_name(s: &Seat) -> String {
    match s {
        Seat::Faction(f) => f.to_string(),
        Seat::Control => "control".into(),
        Seat::Observer => "observer".into(),
        Seat::System => "system".into(),
    }
}

fn channel_name(c: &Channel) -> String {
    match c {
        Channel::Plenary => "plenary".into(),
        Channel::Bilateral { factions: [a, b] } => format!("{a}+{b}"),
        Channel::Team { faction } => format!("team {faction}"),
        Channel::Control { faction } => format!("control {faction}"),
    }
}

/// Rounds to 6 decimals so output is stable and readable.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn write_csv(
    game: &Game,
    index: u32,
    seed: u64,
    factions: &[FactionId],
    out: &mut dyn Write,
) -> Result<()> {
    let n = game.reports.len();
    for (i, r) in game.reports.iter().enumerate() {
        let t = &r.control.technical.values;
        let mut row = vec![
            index.to_string(),
            seed.to_string(),
            (r.round + 1).to_string(),
            r.label.clone(),
            format!("{:.6}", r.public.tension.value),
            format!("{:.6}", t.deterrence_balance),
            format!("{:.6}", t.stability),
            format!("{:.6}", t.retaliation_russia),
            format!("{:.6}", t.retaliation_us),
            format!("{:.6}", t.engageability),
            format!("{:.6}", t.coverage),
            format!("{:.6}", t.border_security),
            agreements_in_force(r, game).to_string(),
            round_events(game, r.round),
        ];
        for f in factions {
            row.push(
                r.factions
                    .get(f)
                    .map(|x| format!("{:.6}", x.indices.values.perceived_engageability))
                    .unwrap_or_default(),
            );
        }
        for f in factions {
            row.push(
                r.factions
                    .get(f)
                    .map(|x| format!("{:.6}", x.score.round_score))
                    .unwrap_or_default(),
            );
        }
        row.push(if i + 1 == n {
            ending_name(&game.ending)
        } else {
            String::new()
        });
        writeln!(
            out,
            "{}",
            row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(",")
        )?;
    }
    Ok(())
}

/// Quotes a CSV field when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}
