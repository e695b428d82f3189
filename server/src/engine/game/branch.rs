//! Branches: a new game from the state at the start of a past round (or phase) of another,
//! for "what if?" — the other's log up to that point, replayed, then [`Event::Branched`].

use super::*;

/// What a branch changes at its start; the rest (seed, language, team rules) is the parent's.
#[derive(Clone, Debug, Default)]
pub struct BranchSettings {
    pub title: Option<String>,
    /// `None`: the parent's preset.
    pub preset: Option<String>,
    /// `None`: the parent's deadlines.
    pub deadlines: Option<PhaseDeadlines>,
    /// `None`: the bots the parent had at that point.
    pub bots: Option<BTreeMap<FactionId, Temperament>>,
}

impl Game {
    /// The first events of a branch of the game whose log is `parent_log` (with the sequence
    /// of each event), from the start of `round` (0-based) or of `phase` in it: the log up to
    /// that event, then the branch marker. Also the branch as a game.
    pub fn branch(
        scenario: Arc<Scenario>,
        parent: Uuid,
        parent_log: &[(i64, Event)],
        round: u32,
        phase: Phase,
        settings: BranchSettings,
    ) -> Result<(Game, Vec<Event>), CommandError> {
        if matches!(phase, Phase::Lobby | Phase::Ended) {
            return Err(CommandError::Invalid(
                "a branch starts at the briefing, negotiation, orders or review of a round".into(),
            ));
        }
        let cut = parent_log.iter().position(|(_, e)| match e {
            Event::RoundBegan { round: r, .. } => phase == Phase::Briefing && *r == round,
            Event::PhaseChanged {
                round: r, phase: p, ..
            } => *r == round && *p == phase,
            _ => false,
        });
        let Some(cut) = cut else {
            return Err(CommandError::Invalid(format!(
                "the game has not reached the {} of round {} yet",
                phase.name(),
                round + 1
            )));
        };
        let mut events: Vec<Event> = parent_log[..=cut].iter().map(|(_, e)| e.clone()).collect();
        let mut game = Game::replay(scenario, &events)?;
        let preset = settings.preset.or_else(|| game.config.preset.clone());
        let deadlines = settings.deadlines.or(game.config.deadlines);
        // The preset and deadlines are checked as a new game's would be.
        Params::resolve(&game.scenario, preset.as_deref()).map_err(CommandError::Invalid)?;
        let remaining_ms = deadline_under(&deadlines.unwrap_or(game.scenario.phases), phase, 0);
        let marker = Event::Branched {
            parent,
            parent_seq: parent_log[cut].0,
            round,
            phase,
            title: settings.title.or_else(|| game.config.title.clone()),
            preset,
            deadlines,
            bots: settings.bots.unwrap_or_else(|| game.config.bots.clone()),
            remaining_ms,
        };
        game.evolve(&marker);
        events.push(marker);
        Ok((game, events))
    }

    /// Folds [`Event::Branched`]: the branch's settings and where it came from. (The clock,
    /// paused, is folded by [`Clock::evolve`].)
    pub(super) fn branched(&mut self, e: &Event) {
        let Event::Branched {
            parent,
            parent_seq,
            round,
            phase,
            title,
            preset,
            deadlines,
            bots,
            ..
        } = e
        else {
            return;
        };
        self.config.title = title.clone();
        self.config.preset = preset.clone();
        self.config.deadlines = *deadlines;
        self.config.bots = bots.clone();
        // A faction a bot plays in the branch is no agent's.
        self.config.agents.retain(|f, _| !bots.contains_key(f));
        // Checked when the branch was made; a preset taken out of the scenario since then
        // leaves the parent's parameters.
        if let Ok(params) = Params::resolve(&self.scenario, preset.as_deref()) {
            self.params = params;
        }
        self.deadlines = deadlines.unwrap_or(self.scenario.phases);
        self.clear_ready();
        self.branch = Some(BranchPoint {
            parent: *parent,
            parent_seq: *parent_seq,
            round: *round,
            phase: *phase,
        });
    }
}
