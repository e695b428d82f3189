//! Seats: who a bearer token is, and where a person may sit. The REST handlers (join, seat
//! moves, links) and the WebSocket layer both come here; the store checks a team's size and
//! inserts under one lock, so concurrent joins never overfill a team.

use super::{GameHandle, SeatAuth, SessionError};
use crate::engine::scenario::Scenario;
use crate::engine::{FactionId, Seat, Temperament};
use crate::store::{SeatMove, SeatRole, SeatRow, Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use uuid::Uuid;

/// SHA-256 of a token: what the database stores.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new 128-bit random bearer token, hex.
pub fn new_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The seat a stored row stands for; `None` for a faction row without a faction.
pub fn seat_of_row(row: &SeatRow) -> Option<Seat> {
    match (row.role, &row.faction) {
        (SeatRole::Control, _) => Some(Seat::Control),
        (SeatRole::Faction | SeatRole::Agent, Some(f)) => {
            Some(Seat::Faction(FactionId::new(f.clone())))
        }
        (SeatRole::Observer, _) => Some(Seat::Observer),
        _ => None,
    }
}

/// The game and seat a bearer token belongs to, or `None` for a token nobody holds.
pub async fn authenticate<S: Store>(
    store: &S,
    token: &str,
) -> Result<Option<(Uuid, SeatAuth)>, StoreError> {
    let Some(row) = store.seat_by_token(&token_hash(token)).await? else {
        return Ok(None);
    };
    let seat = seat_of_row(&row)
        .ok_or_else(|| StoreError::Corrupt(format!("seat {} has no faction", row.id)))?;
    Ok(Some((
        row.game_id,
        SeatAuth {
            seat_id: row.id,
            seat,
            name: row.name,
        },
    )))
}

/// Why a person cannot sit where they asked.
#[derive(Debug, thiserror::Error)]
pub enum SeatingError {
    #[error("unknown faction \"{faction}\"; factions: {known}")]
    UnknownFaction { faction: FactionId, known: String },
    /// A bot plays the faction; `hint` says how the asker can change that.
    #[error("a bot plays that faction; {hint}")]
    BotSeat { hint: &'static str },
    #[error("an outside agent plays that faction; ask Control to revoke its seat first")]
    AgentSeat,
    #[error("that faction's team is full")]
    TeamFull,
    #[error("every faction's team is full; join as an observer")]
    GameFull,
    #[error("this game has its {0} observers; ask Control for a projector link")]
    ObserversFull(u32),
    #[error("no such seat in this game (Control's own seat and an outside agent's cannot move)")]
    NoSuchSeat,
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl From<StoreError> for SeatingError {
    fn from(e: StoreError) -> Self {
        SeatingError::Session(SessionError::Store(e))
    }
}

/// Where a person asks to sit.
pub enum Wanted {
    /// Public information only.
    Observer,
    /// This faction's team.
    Faction(FactionId),
    /// Any faction people play, the emptiest first.
    AnyFaction,
}

/// What decides where a person may sit: the factions bots and outside agents play, the team
/// sizes, the scenario.
pub struct SeatingRules {
    bots: BTreeMap<FactionId, Temperament>,
    agents: BTreeSet<FactionId>,
    team_sizes: BTreeMap<FactionId, u32>,
    scenario: Arc<Scenario>,
}

impl SeatingRules {
    /// The rules of the game as its task holds it now.
    pub async fn of(handle: &GameHandle) -> Result<SeatingRules, SessionError> {
        handle
            .with_game(|g, _| SeatingRules {
                bots: g.config.bots.clone(),
                agents: g.config.agents.keys().cloned().collect(),
                team_sizes: g.config.team_sizes.clone(),
                scenario: g.scenario.0.clone(),
            })
            .await
    }

    /// The most people faction `f`'s team may hold.
    fn team_size(&self, f: &FactionId) -> u32 {
        self.team_sizes
            .get(f)
            .copied()
            .or_else(|| self.scenario.faction(f.as_str()).map(|x| x.team_size))
            .unwrap_or(1)
    }

    /// `f` is a faction people may be seated in (it exists and no bot plays it).
    fn open_to_people(&self, f: &FactionId, bot_hint: &'static str) -> Result<(), SeatingError> {
        if self.scenario.faction(f.as_str()).is_none() {
            return Err(SeatingError::UnknownFaction {
                faction: f.clone(),
                known: self
                    .scenario
                    .factions
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if self.bots.contains_key(f) {
            return Err(SeatingError::BotSeat { hint: bot_hint });
        }
        if self.agents.contains(f) {
            return Err(SeatingError::AgentSeat);
        }
        Ok(())
    }

    /// Stores the seat of someone joining: an observer (at most `observers` a game), or
    /// a faction member (the faction asked for, or else the open factions from the emptiest
    /// up). `seat_row` is stored with its role and faction set; returns the seat.
    pub async fn seat<S: Store>(
        &self,
        store: &S,
        wanted: Wanted,
        seat_row: &mut SeatRow,
        observers: u32,
    ) -> Result<Seat, SeatingError> {
        let chose = matches!(wanted, Wanted::Faction(_));
        let candidates: Vec<FactionId> = match wanted {
            Wanted::Observer => {
                seat_row.role = SeatRole::Observer;
                seat_row.faction = None;
                if !store.add_seat(seat_row, Some(observers)).await? {
                    return Err(SeatingError::ObserversFull(observers));
                }
                return Ok(Seat::Observer);
            }
            Wanted::Faction(f) => {
                self.open_to_people(&f, "ask Control to hand it over")?;
                vec![f]
            }
            Wanted::AnyFaction => {
                let seats = store.seats(seat_row.game_id).await?;
                let count = |f: &FactionId| {
                    seats
                        .iter()
                        .filter(|s| {
                            s.role.plays_faction() && s.faction.as_deref() == Some(f.as_str())
                        })
                        .count()
                };
                let mut open: Vec<FactionId> = self
                    .scenario
                    .factions
                    .iter()
                    .map(|x| x.id.clone())
                    .filter(|f| !self.bots.contains_key(f) && !self.agents.contains(f))
                    .collect();
                open.sort_by_key(|f| count(f));
                open
            }
        };
        for f in candidates {
            seat_row.role = SeatRole::Faction;
            seat_row.faction = Some(f.to_string());
            if store.add_seat(seat_row, Some(self.team_size(&f))).await? {
                return Ok(Seat::Faction(f));
            }
        }
        Err(if chose {
            SeatingError::TeamFull
        } else {
            SeatingError::GameFull
        })
    }

    /// Control moves seat `seat_id` of `game` to a faction or to the observers; returns the
    /// seat's row as it is now.
    pub async fn move_seat<S: Store>(
        &self,
        store: &S,
        game: Uuid,
        seat_id: Uuid,
        wanted: Wanted,
    ) -> Result<SeatRow, SeatingError> {
        let (role, faction, limit) = match wanted {
            Wanted::Faction(f) => {
                self.open_to_people(&f, "hand it to people first (set_bot with no temperament)")?;
                let limit = self.team_size(&f);
                (SeatRole::Faction, Some(f.to_string()), Some(limit))
            }
            Wanted::Observer => (SeatRole::Observer, None, None),
            Wanted::AnyFaction => {
                return Err(SeatingError::Invalid(
                    "give either a faction or observer: true",
                ))
            }
        };
        match store
            .move_seat(game, seat_id, role, faction.as_deref(), limit)
            .await?
        {
            SeatMove::Moved(row) => Ok(row),
            SeatMove::Full => Err(SeatingError::TeamFull),
            SeatMove::NotFound => Err(SeatingError::NoSuchSeat),
        }
    }
}
