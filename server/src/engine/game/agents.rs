//! Outside agents: factions played by programs through a seat token (the server hands the
//! token out), and Control's approval of their messages to other factions.

use super::*;

/// Messages of one agent faction that may wait for approval at once; beyond this the agent is
/// told to wait for Control.
pub const MAX_HELD_PENDING: usize = 50;

impl Game {
    /// An agent plays `faction`, or people again. Messages still waiting when people take the
    /// faction back are refused: nobody is left to answer for them.
    pub(super) fn set_agent(
        &self,
        faction: &FactionId,
        agent: &Option<Agent>,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        self.faction_exists(faction)?;
        if let Some(a) = agent {
            let name = a.name.trim();
            if name.is_empty() {
                return Err(CommandError::Invalid("an agent needs a name".into()));
            }
            check_len("name", name, 40)?;
            if self.config.bots.contains_key(faction) {
                return Err(CommandError::Invalid(format!(
                    "a bot plays {}; hand it to people first (set_bot with no temperament)",
                    self.faction_name(faction)
                )));
            }
        }
        let agent = agent.as_ref().map(|a| Agent {
            name: a.name.trim().to_owned(),
            approve_chat: a.approve_chat,
        });
        if self.config.agents.get(faction) == agent.as_ref() {
            return Ok(vec![]);
        }
        let mut events = Vec::new();
        if agent.is_none() {
            for h in self
                .held
                .iter()
                .filter(|h| h.faction == *faction && h.decision.is_none())
            {
                events.push(Event::HeldMessageDecided {
                    faction: faction.clone(),
                    held: h.id,
                    decision: HeldDecision {
                        approved: false,
                        reason: "the agent no longer plays this faction".into(),
                        by: truncate(&ctx.author, 64),
                        at_ms: ctx.now_ms,
                        message: None,
                    },
                });
            }
        }
        events.push(Event::AgentSet {
            faction: faction.clone(),
            agent,
        });
        Ok(events)
    }

    /// A message of an agent's faction to other factions waits for Control when the agent's
    /// chat needs approval; `None` when it goes out at once.
    pub(super) fn hold_chat(
        &self,
        seat: &Seat,
        channel: &Channel,
        text: &str,
        ctx: &Ctx,
    ) -> Result<Option<Event>, CommandError> {
        let Seat::Faction(f) = seat else {
            return Ok(None);
        };
        let reviewed = self.config.agents.get(f).is_some_and(|a| a.approve_chat);
        let to_others = matches!(channel, Channel::Plenary | Channel::Bilateral { .. });
        if !reviewed || !to_others {
            return Ok(None);
        }
        let mine = self.held.iter().filter(|h| h.faction == *f);
        if mine.clone().filter(|h| h.decision.is_none()).count() >= MAX_HELD_PENDING {
            return Err(CommandError::Limit(format!(
                "{MAX_HELD_PENDING} of your messages already wait for Control's approval"
            )));
        }
        Ok(Some(Event::ChatHeld {
            held: HeldMessage {
                id: mine.count() as u32 + 1,
                faction: f.clone(),
                round: self.round,
                channel: channel.clone(),
                author: truncate(&ctx.author, 64),
                text: text.to_owned(),
                at_ms: ctx.now_ms,
                member: ctx.person,
                decision: None,
            },
        }))
    }

    fn pending_held(&self, faction: &FactionId, id: u32) -> Result<&HeldMessage, CommandError> {
        self.held
            .iter()
            .find(|h| h.faction == *faction && h.id == id && h.decision.is_none())
            .ok_or_else(|| {
                CommandError::Invalid(format!(
                    "no message {id} of {} waits for approval",
                    self.faction_name(faction)
                ))
            })
    }

    /// Control approves a held message: it is delivered to its channel as a new message, as if
    /// posted now.
    pub(super) fn approve_message(
        &self,
        faction: &FactionId,
        id: u32,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        let held = self.pending_held(faction, id)?;
        let message = self.channel_counts.get(&held.channel).copied().unwrap_or(0) + 1;
        Ok(vec![
            Event::HeldMessageDecided {
                faction: faction.clone(),
                held: id,
                decision: HeldDecision {
                    approved: true,
                    reason: String::new(),
                    by: truncate(&ctx.author, 64),
                    at_ms: ctx.now_ms,
                    message: Some(message),
                },
            },
            Event::ChatPosted {
                message: Message {
                    id: message,
                    round: self.round,
                    channel: held.channel.clone(),
                    from: Seat::Faction(faction.clone()),
                    author: held.author.clone(),
                    text: held.text.clone(),
                    at_ms: ctx.now_ms,
                    member: held.member,
                    hidden: false,
                },
            },
        ])
    }

    pub(super) fn reject_message(
        &self,
        faction: &FactionId,
        id: u32,
        reason: &str,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        check_len("reason", reason, MAX_TITLE_CHARS)?;
        self.pending_held(faction, id)?;
        Ok(vec![Event::HeldMessageDecided {
            faction: faction.clone(),
            held: id,
            decision: HeldDecision {
                approved: false,
                reason: reason.trim().to_owned(),
                by: truncate(&ctx.author, 64),
                at_ms: ctx.now_ms,
                message: None,
            },
        }])
    }

    /// Folds the events of this module into the game.
    pub(super) fn evolve_agents(&mut self, e: &Event) {
        match e {
            Event::AgentSet { faction, agent } => match agent {
                Some(a) => {
                    self.config.agents.insert(faction.clone(), a.clone());
                }
                None => {
                    self.config.agents.remove(faction);
                }
            },
            Event::ChatHeld { held } => self.held.push(held.clone()),
            Event::HeldMessageDecided {
                faction,
                held,
                decision,
            } => {
                if let Some(h) = self
                    .held
                    .iter_mut()
                    .find(|h| h.faction == *faction && h.id == *held)
                {
                    h.decision = Some(decision.clone());
                }
            }
            _ => {}
        }
    }
}
