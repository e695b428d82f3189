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

    pub(super) fn hide_message(
        &self,
        channel: &Channel,
        message: u32,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        check_len("reason", reason, MAX_TITLE_CHARS)?;
        let channel = self.normalise_channel(channel)?;
        let posted = self.channel_counts.get(&channel).copied().unwrap_or(0);
        if message == 0 || message > posted {
            return Err(CommandError::Unknown {
                kind: "message",
                id: message.to_string(),
                hint: String::new(),
            });
        }
        if self
            .hidden
            .get(&channel)
            .is_some_and(|h| h.contains(&message))
        {
            return Ok(vec![]);
        }
        Ok(vec![Event::MessageHidden {
            channel,
            message,
            reason: reason.trim().to_owned(),
            by: truncate(&ctx.author, 64),
            round: self.round,
            at_ms: ctx.now_ms,
        }])
    }

    pub(super) fn mute_member(
        &self,
        member: Uuid,
        minutes: u32,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        check_len("reason", reason, MAX_TITLE_CHARS)?;
        if !(1..=MAX_MUTE_MINUTES).contains(&minutes) {
            return Err(CommandError::Limit(format!(
                "a mute lasts 1 to {MAX_MUTE_MINUTES} minutes"
            )));
        }
        let Some((faction, name)) = &ctx.subject else {
            return Err(CommandError::Unknown {
                kind: "player",
                id: member.to_string(),
                hint: String::new(),
            });
        };
        Ok(vec![Event::MemberMuted {
            faction: faction.clone(),
            member,
            name: name.clone(),
            until_ms: ctx.now_ms + i64::from(minutes) * 60_000,
            reason: reason.trim().to_owned(),
            by: truncate(&ctx.author, 64),
            round: self.round,
            at_ms: ctx.now_ms,
        }])
    }

    pub(super) fn unmute_member(
        &self,
        member: Uuid,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        let muted = self
            .mutes
            .get(&member)
            .is_some_and(|until| *until > ctx.now_ms);
        // The mute's own record names the person.
        let last = self
            .moderation
            .iter()
            .rev()
            .find(|m| m.kind == ModerationKind::Mute && m.member == Some(member));
        let (Some(faction), Some(name), true) = (
            last.and_then(|m| m.faction.clone()),
            last.and_then(|m| m.name.clone()),
            muted,
        ) else {
            return Err(CommandError::Invalid("that player is not muted".into()));
        };
        Ok(vec![Event::MemberUnmuted {
            faction,
            member,
            name,
            by: truncate(&ctx.author, 64),
            round: self.round,
            at_ms: ctx.now_ms,
        }])
    }

    /// Folds a moderation event into the game: hidden messages, mutes and the record.
    pub(super) fn moderate(&mut self, e: &Event) {
        let record = match e {
            Event::MessageHidden {
                channel,
                message,
                reason,
                by,
                round,
                at_ms,
            } => {
                self.hidden
                    .entry(channel.clone())
                    .or_default()
                    .insert(*message);
                if let Some(m) = self
                    .messages
                    .iter_mut()
                    .find(|m| m.channel == *channel && m.id == *message)
                {
                    m.hidden = true;
                }
                Moderation {
                    kind: ModerationKind::HideMessage,
                    round: *round,
                    at_ms: *at_ms,
                    by: by.clone(),
                    reason: reason.clone(),
                    channel: Some(channel.clone()),
                    message: Some(*message),
                    faction: None,
                    member: None,
                    name: None,
                    until_ms: None,
                }
            }
            Event::MemberMuted {
                faction,
                member,
                name,
                until_ms,
                reason,
                by,
                round,
                at_ms,
            } => {
                self.mutes.insert(*member, *until_ms);
                Moderation {
                    kind: ModerationKind::Mute,
                    round: *round,
                    at_ms: *at_ms,
                    by: by.clone(),
                    reason: reason.clone(),
                    channel: None,
                    message: None,
                    faction: Some(faction.clone()),
                    member: Some(*member),
                    name: Some(name.clone()),
                    until_ms: Some(*until_ms),
                }
            }
            Event::MemberUnmuted {
                faction,
                member,
                name,
                by,
                round,
                at_ms,
            } => {
                self.mutes.remove(member);
                Moderation {
                    kind: ModerationKind::Unmute,
                    round: *round,
                    at_ms: *at_ms,
                    by: by.clone(),
                    reason: String::new(),
                    channel: None,
                    message: None,
                    faction: Some(faction.clone()),
                    member: Some(*member),
                    name: Some(name.clone()),
                    until_ms: None,
                }
            }
            _ => return,
        };
        self.moderation.push(record);
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
