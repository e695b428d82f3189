//! Control's commands: the start, the clock, injected events, overrides, scheduled events,
//! annotations; and the server's own tick.

use super::*;

impl Game {
    pub(super) fn set_start(&self, start: StartMode) -> Result<Vec<Event>, CommandError> {
        self.need_phase(Phase::Lobby, "the game has started already")?;
        if start == StartMode::Now {
            return Err(CommandError::Invalid(
                "to start the game now, send start".into(),
            ));
        }
        if start == self.config.start {
            return Ok(vec![]);
        }
        Ok(vec![Event::StartSet { start }])
    }

    pub(super) fn pause(&self, ctx: &Ctx) -> Result<Vec<Event>, CommandError> {
        if self.paused {
            return Err(CommandError::Invalid("the game is already paused".into()));
        }
        Ok(vec![Event::Paused {
            remaining_ms: self.deadline_at.map(|d| (d - ctx.now_ms).max(0)),
        }])
    }

    pub(super) fn resume(&self, ctx: &Ctx) -> Result<Vec<Event>, CommandError> {
        if !self.paused {
            return Err(CommandError::Invalid("the game is not paused".into()));
        }
        Ok(vec![Event::Resumed {
            deadline_at: self.paused_remaining.map(|r| ctx.now_ms + r),
        }])
    }

    pub(super) fn extend_deadline(
        &self,
        seconds: u32,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        if seconds == 0 || seconds > 24 * 3600 {
            return Err(CommandError::Invalid(
                "extend by 1 second to 24 hours".into(),
            ));
        }
        if self.paused {
            return Err(CommandError::Invalid(
                "resume the game before extending its deadline".into(),
            ));
        }
        let base = self.deadline_at.unwrap_or(ctx.now_ms).max(ctx.now_ms);
        Ok(vec![Event::DeadlineExtended {
            deadline_at: base + i64::from(seconds) * 1000,
        }])
    }

    pub(super) fn inject_event(&self, event: &EventId) -> Result<Vec<Event>, CommandError> {
        let card = self.event_card(event)?;
        let mut core = self.core.clone();
        let mut builds_note = Vec::new();
        apply_event_effects(&self.scenario, &mut core, &card.effects, &mut builds_note);
        *core.fired.entry(card.id.clone()).or_default() += 1;
        Ok(vec![Event::EventInjected {
            fired: FiredEvent {
                id: card.id.clone(),
                name: card.name.clone(),
                text: card.text.clone(),
                injected: true,
            },
            core: Box::new(core),
        }])
    }

    pub(super) fn override_var(
        &self,
        var: &VarId,
        value: f64,
        reason: &str,
    ) -> Result<Vec<Event>, CommandError> {
        let i = self.var_index(var)?;
        let v = &self.scenario.variables[i];
        if reason.trim().is_empty() {
            return Err(CommandError::Invalid(
                "an override needs a written reason (it appears in the after-action report)".into(),
            ));
        }
        check_len("reason", reason, MAX_TITLE_CHARS)?;
        if !value.is_finite() || value < v.min || value > v.max {
            return Err(CommandError::Invalid(format!(
                "{} must be between {} and {}",
                v.id, v.min, v.max
            )));
        }
        Ok(vec![Event::Overridden {
            var: var.clone(),
            old: self.core.vars[i],
            new: value,
            reason: reason.to_owned(),
            round: self.round,
        }])
    }

    pub(super) fn set_scheduled_event(
        &self,
        event: &EventId,
        enabled: bool,
    ) -> Result<Vec<Event>, CommandError> {
        let card = self.event_card(event)?;
        if card.kind != super::super::scenario::EventKind::Scheduled {
            return Err(CommandError::Invalid(format!(
                "\"{}\" is a random event; only scheduled events can be switched",
                card.id
            )));
        }
        Ok(vec![Event::ScheduledEventSet {
            event: event.clone(),
            enabled,
        }])
    }

    pub(super) fn annotate(&self, text: &str) -> Result<Vec<Event>, CommandError> {
        if text.trim().is_empty() {
            return Err(CommandError::Invalid("the annotation is empty".into()));
        }
        check_len("annotation", text, MAX_CHAT_CHARS)?;
        Ok(vec![Event::Annotated {
            round: self.round,
            text: text.to_owned(),
        }])
    }

    /// The server's clock: past the deadline of a running game, the phase moves on.
    pub(super) fn tick(&self, seat: &Seat, ctx: &Ctx) -> Result<Vec<Event>, CommandError> {
        if *seat != Seat::System {
            return Err(CommandError::Forbidden(
                "only the server's own clock may tick".into(),
            ));
        }
        match self.deadline_at {
            Some(d) if !self.paused && ctx.now_ms >= d => Ok(self.advance_events(ctx.now_ms)),
            _ => Ok(vec![]),
        }
    }
}
