//! Classes: many tables (games) from one class code. A class is a roster of students and a
//! plan of where they sit; each table is an ordinary game with its own owner task, log and
//! secrecy (decision record 0011).

pub mod debrief;
pub mod plan;
pub mod research;

use crate::engine::scenario::PhaseDeadlines;
use crate::engine::Temperament;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The teacher's choices for a class, stored with it as JSON and given to each of its tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The teacher's display name (Control of every table).
    pub teacher: String,
    /// Model preset of every table (e.g. "optimistic"); the scenario's default when absent.
    pub preset: Option<String>,
    /// Most students per faction at a table: 1 to 50.
    pub team_size: u32,
    /// Phase deadlines in seconds (0: none); the scenario's defaults when absent.
    pub deadlines: Option<PhaseDeadlines>,
    /// The temperament of the bots that play a faction nobody sits in at a table; absent:
    /// no bots, and such a faction waits for the teacher.
    pub bots_for_gaps: Option<Temperament>,
    /// Whether the class's games may be used for research. Students see it when they join.
    pub research_use: bool,
    /// Whether a research export carries the chat's text (only with `research_use`).
    pub research_free_text: bool,
    /// The language of every table's scenario texts and bots' lines (a locale of the
    /// scenario); absent: the scenario's own, as in classes created before classes had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}
