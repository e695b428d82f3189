//! The rules engine. Pure: no I/O, no clock, no OS randomness. Time and the random seed come in
//! as values, so the same commands always give the same game.

pub mod adjudicate;
pub mod bots;
pub mod error;
pub mod game;
pub mod ids;
pub mod locale;
pub mod model;
pub mod scenario;
pub mod text;
pub mod types;
pub mod validate;
pub mod view;

pub use ids::*;

pub use error::CommandError;
pub use game::{BranchSettings, Ctx, Game, TeamMember};
pub use types::*;

#[cfg(test)]
mod tests;
