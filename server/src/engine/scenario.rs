//! The scenario file: everything about a game that is data rather than rules. Factions, the
//! calendar, resources, state variables, the action catalogue, clause kinds, the event deck, the
//! model's parameters (each with its source) and the scoring weights.
//!
//! The format is documented for authors in `docs/scenario-format.md`; `validate.rs` checks every
//! cross-reference. Unknown keys are refused everywhere so that a typo never silently becomes a
//! default.

use super::ids::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default scenario, embedded in the binary.
pub const MISSILE_DEFENCE_2013: &str = include_str!("../../scenarios/missile-defence-2013.toml");

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable identifier used by `detente scenario show ID` and when creating a game.
    pub id: String,
    pub title: String,
    /// One paragraph for the landing page and `scenario list`.
    pub summary: String,
    /// Where the situation comes from (article, date).
    #[serde(default)]
    pub source: String,
    /// Tension at or above which adjudication declares a crisis and the game ends.
    pub crisis_threshold: f64,
    pub factions: Vec<Faction>,
    pub rounds: Vec<Round>,
    /// Default deadline of each waiting phase, in seconds; 0 means no deadline.
    pub phases: PhaseDeadlines,
    pub resources: Vec<Resources>,
    pub variables: Vec<Variable>,
    pub actions: Vec<Action>,
    pub clause_kinds: Vec<ClauseKind>,
    #[serde(default)]
    pub events: Vec<EventCard>,
    /// How many random events are drawn at each briefing (at most; fewer when the deck is
    /// exhausted).
    #[serde(default)]
    pub random_events_per_round: u32,
    pub model: Model,
    /// Scoring weights per faction: objective → weight.
    pub scoring: BTreeMap<FactionId, Scoring>,
    /// Where the map places things. Only read by clients; the engine ignores it.
    #[serde(default)]
    pub map: Vec<MapFeature>,
    /// What the bots say in chat: templates filled from the model's numbers.
    #[serde(default)]
    pub bot_chat: BotChat,
    /// The language the file's texts are written in (a code such as `en` or `ru`).
    #[serde(default = "default_language")]
    pub language: String,
    /// Translations of the texts, by language code (`[locales.ru]`); see [`super::locale`].
    /// Not part of the scenario's JSON form: [`Scenario::localised`] answers a language.
    #[serde(default, skip_serializing)]
    pub locales: BTreeMap<String, super::locale::Locale>,
    /// Every language the scenario can be played in: `language`, then the locales' codes.
    /// Built by [`Scenario::prepare`]; in the JSON form only, never read from a file.
    #[serde(skip_deserializing)]
    pub languages: Vec<String>,
    /// The scenario in its other languages, built on first use by [`Scenario::in_language`].
    #[serde(skip)]
    translated: Translated,
    /// Variable id → index, built by [`Scenario::prepare`] so the model's look-ups are O(1).
    #[serde(skip)]
    var_lookup: std::collections::HashMap<String, usize>,
    /// The model's variable positions, built by [`Scenario::prepare`].
    #[serde(skip)]
    slots: Option<super::model::Slots>,
    #[serde(skip)]
    fingerprint: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faction {
    pub id: FactionId,
    pub name: String,
    /// Colour on the map and in charts (CSS colour).
    pub colour: String,
    /// Default upper bound on the number of people sharing this faction's seat.
    #[serde(default = "default_team_size")]
    pub team_size: u32,
    /// Whether this faction reads the European system through perceived engageability Ê
    /// instead of the technical E (see `docs/model.md`, §5).
    #[serde(default)]
    pub perceives_threat: bool,
    /// What `detente balance` expects of this faction's payoffs (docs/balance.md, "What the game
    /// must teach").
    #[serde(default)]
    pub dilemma: Dilemma,
    /// Factions whose gains a hawkish bot of this faction counts as its own losses (it seeks
    /// relative gains over them). Empty: none.
    #[serde(default)]
    pub rivals: Vec<FactionId>,
}

/// The payoff ordering the balance harness checks for a faction, on its mean game score over
/// bot games of each temperament mix.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Dilemma {
    /// A side of the security dilemma: temptation (it hawk, the others dove) > mutual
    /// cooperation (all dove, all pragmatist) > mutual defection (all hawk) > sucker (it dove,
    /// the others hawk).
    #[default]
    Full,
    /// A faction caught up in the others' dilemma: mutual cooperation beats mutual defection.
    Cooperation,
}

fn default_team_size() -> u32 {
    5
}

fn default_language() -> String {
    "en".to_owned()
}

/// The scenario in other languages, shared by the games that play it in them. A copy of a
/// scenario starts with none: its texts may be edited.
#[derive(Default)]
struct Translated(std::sync::Mutex<BTreeMap<String, std::sync::Arc<Scenario>>>);

impl Clone for Translated {
    fn clone(&self) -> Self {
        Translated::default()
    }
}

impl std::fmt::Debug for Translated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Translated")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round {
    /// Calendar label shown to players, e.g. "2013".
    pub label: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseDeadlines {
    pub briefing: u32,
    pub negotiation: u32,
    pub orders: u32,
    pub review: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub faction: FactionId,
    pub budget_initial: f64,
    pub budget_per_round: f64,
    /// Unspent budget carries over up to this amount.
    pub budget_max: f64,
    pub capital_initial: f64,
    pub capital_per_round: f64,
    pub capital_max: f64,
    #[serde(default)]
    pub source: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone sees the current value.
    #[default]
    Public,
    /// Only the owner and Control see the current value; the others see the last value revealed
    /// to them (initially the starting value).
    Owner,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub id: VarId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub min: f64,
    pub max: f64,
    pub initial: f64,
    /// The faction whose forces or politics this variable describes, if any.
    #[serde(default)]
    pub owner: Option<FactionId>,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default)]
    pub unit: String,
    /// Where the starting value comes from, or "design default".
    pub source: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: ActionId,
    pub owner: FactionId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Budget spent per unit ordered.
    #[serde(default)]
    pub budget: f64,
    /// Political capital spent per unit ordered.
    #[serde(default)]
    pub capital: f64,
    /// Rounds between the order and its effects; 0 means effects apply at this adjudication.
    #[serde(default)]
    pub build_rounds: u32,
    /// Conditions on state variables that must hold when the order is given.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    #[serde(default = "one")]
    pub max_per_round: u32,
    /// Units over the whole game; absent means no limit.
    #[serde(default)]
    pub max_total: Option<u32>,
    /// Covert orders are not revealed to the other factions in the turn report.
    #[serde(default)]
    pub covert: bool,
    /// Effects per unit when the build completes.
    pub effects: Vec<Effect>,
    #[serde(default)]
    pub source: String,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub var: VarId,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// What the player reads when the requirement fails, e.g. "Deveselu must be built first".
    #[serde(default)]
    pub message: String,
    /// Position of `var` in the state vector, set by [`Scenario::prepare`] (bots check
    /// requirements thousands of times a game).
    #[serde(skip, default = "no_slot")]
    pub slot: usize,
}

fn no_slot() -> usize {
    usize::MAX
}

/// A change to one state variable. Exactly one of `delta` and `set`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Effect {
    pub var: VarId,
    #[serde(default)]
    pub delta: Option<f64>,
    #[serde(default)]
    pub set: Option<f64>,
    /// Position of `var` in the state vector, set by [`Scenario::prepare`] (bots apply effects
    /// thousands of times a game).
    #[serde(skip, default = "no_slot")]
    pub slot: usize,
}

/// The built-in semantics a clause kind can have. Kinds and their numbers are data; what a
/// "forbid" clause means is code.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClauseForm {
    /// The bound party will not order `action`.
    Forbid,
    /// The bound party keeps `var` at or below `max`.
    Cap,
    /// The bound party gives a guarantee; while in force it provides the kind's `provides`
    /// variable to the model.
    Guarantee,
    /// Data exchange or inspections: provides a variable and raises breach detection.
    Transparency,
    /// A joint programme: provides a variable and has per-round effects.
    Cooperation,
    /// The bound party transfers `amount` of budget to `to` once, at signature.
    Transfer,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClauseKind {
    pub id: ClauseKindId,
    pub name: String,
    pub form: ClauseForm,
    #[serde(default)]
    pub description: String,
    /// Forbid: the actions this kind may name (empty: any action).
    #[serde(default)]
    pub actions: Vec<ActionId>,
    /// Cap: the variables this kind may cap (empty: any variable with an owner).
    #[serde(default)]
    pub vars: Vec<VarId>,
    /// Guarantee / transparency / cooperation: the model variable this clause sets to 1 while
    /// the agreement is in force (and ratified).
    #[serde(default)]
    pub provides: Option<VarId>,
    /// Factions that may be the bound party (empty: any party).
    #[serde(default)]
    pub givers: Vec<FactionId>,
    /// Factions that must be among the parties of any agreement holding this clause, besides
    /// the bound party: those whose institution it is (a joint centre of two factions) or to
    /// whom it is given (a guarantee to Russia). An agreement binds only its parties.
    #[serde(default)]
    pub parties: Vec<FactionId>,
    /// Political capital the bound party pays when the agreement is signed.
    #[serde(default)]
    pub capital_cost: f64,
    /// If set, the clause needs ratification, which succeeds with this probability at the next
    /// adjudication; on failure the agreement lapses.
    #[serde(default)]
    pub ratification: Option<f64>,
    /// Detection probability of a breach when the agreement has no inspections. Transparency
    /// clauses with `inspections = true` make detection certain.
    #[serde(default)]
    pub inspections: bool,
    /// Effects applied at each adjudication while the agreement is in force.
    #[serde(default)]
    pub effects_per_round: Vec<Effect>,
    #[serde(default)]
    pub source: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Happens at the briefing of `round` unless Control switched it off.
    Scheduled,
    /// Drawn at briefings with probability proportional to `weight`.
    Random,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCard {
    pub id: EventId,
    pub name: String,
    pub kind: EventKind,
    /// What players read at the briefing.
    pub text: String,
    /// Scheduled: the 1-based round of the briefing where it happens.
    #[serde(default)]
    pub round: Option<u32>,
    /// Random: the drawing weight.
    #[serde(default)]
    pub weight: Option<f64>,
    /// Random: first and last 1-based round in which it may be drawn.
    #[serde(default)]
    pub rounds: Option<[u32; 2]>,
    /// Random: how many times it can happen in one game.
    #[serde(default = "one")]
    pub max_times: u32,
    pub effects: Vec<EventEffect>,
    #[serde(default)]
    pub source: String,
}

/// What an event does. Untagged in TOML: `{ var = "tension", delta = 5 }`,
/// `{ reveal = "russia" }`, `{ delay_builds = "us_nato", rounds = 1 }`,
/// `{ ratification = -0.2 }`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged, deny_unknown_fields)]
pub enum EventEffect {
    Var(Effect),
    /// Every other faction learns the current values of this faction's private variables.
    Reveal {
        reveal: FactionId,
    },
    /// This faction's builds under way finish `rounds` later.
    DelayBuilds {
        delay_builds: FactionId,
        rounds: u32,
    },
    /// Shifts the success probability of ratifications pending this round.
    Ratification {
        ratification: f64,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Preset applied when a game is created without naming one.
    pub default_preset: String,
    pub parameters: Vec<Parameter>,
    #[serde(default)]
    pub presets: Vec<Preset>,
    /// Interceptor batteries: which variable counts them, what they can engage and cover.
    pub batteries: Vec<Battery>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub id: ParamId,
    pub name: String,
    pub value: f64,
    #[serde(default)]
    pub unit: String,
    /// Publication, or "design default" with the reasoning.
    pub source: String,
    /// True when the number is the designers' choice rather than a published figure.
    #[serde(default)]
    pub design_default: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Parameter overrides.
    pub values: BTreeMap<ParamId, f64>,
    #[serde(default)]
    pub source: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Battery {
    pub id: String,
    pub name: String,
    pub owner: FactionId,
    /// Variable holding the number of units (ships, sites) deployed.
    pub units_var: VarId,
    /// Interceptors per unit.
    pub interceptors_per_unit: f64,
    /// Interceptor type, for display ("SM-3 IB").
    pub interceptor: String,
    /// E: share of Russian ICBM warheads this battery could technically engage.
    pub engageability: f64,
    /// Share of NATO European territory covered against an Iranian salvo.
    pub coverage: f64,
    /// Contribution to upgrade headroom U (velocity, spare cells, numbers).
    pub headroom: f64,
    /// Share of a potential future Iranian ICBM threat to the United States this battery could
    /// engage (the purpose given for the SM-3 IIB); 0 for most batteries.
    #[serde(default)]
    pub homeland: f64,
    /// A variable counting the threatened faction's theatre forces that can strike this site
    /// within minutes (Iskander brigades in range). While it is at least 1, threatened
    /// factions count the site at (1 − `at_risk_discount`) in what they perceive.
    #[serde(default)]
    pub at_risk_from: Option<VarId>,
    pub source: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// Objective id (see `docs/model.md` §8) → weight.
    pub weights: BTreeMap<String, f64>,
    #[serde(default)]
    pub source: String,
}

/// The bots' lines. Each list holds variants; a bot picks one with the game's seeded random
/// stream. Placeholders in braces are filled by the engine (`docs/scenario-format.md` lists
/// them per line); a line that names an unknown placeholder is refused by `scenario check`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotChat {
    /// Posted with a proposal, in the channel of its two parties: `{faction}`, `{to}`,
    /// `{title}`, `{terms}`, `{reason}` (why the other side should take it).
    #[serde(default)]
    pub propose: Vec<String>,
    /// Posted when the bot accepts a proposal: `{faction}`, `{to}`, `{title}`, `{reason}`.
    #[serde(default)]
    pub accept: Vec<String>,
    /// Posted when it rejects one: `{faction}`, `{to}`, `{title}`, `{reason}` (what it
    /// loses).
    #[serde(default)]
    pub reject: Vec<String>,
    /// Posted with a counter-proposal: `{faction}`, `{to}`, `{title}`, `{terms}`, `{reason}`.
    #[serde(default)]
    pub counter: Vec<String>,
    /// Posted in plenary at the review when another faction was caught breaking an agreement
    /// the bot is party to: `{faction}`, `{breaker}`, `{title}`.
    #[serde(default)]
    pub breach: Vec<String>,
    /// Posted in plenary at the review when the bot signed an agreement that round:
    /// `{faction}`, `{title}`, `{parties}` (the other parties).
    #[serde(default)]
    pub signed: Vec<String>,
    /// Posted in plenary at the review when tension is within `tension_warning_margin` of the
    /// crisis threshold: `{faction}`, `{tension}`, `{threshold}`.
    #[serde(default)]
    pub tension: Vec<String>,
    /// How close to the crisis threshold tension must come for the `tension` line.
    #[serde(default = "default_tension_margin")]
    pub tension_warning_margin: f64,
    /// Per objective, how a bot says that a deal makes it better or worse for a faction:
    /// `{who}` (the faction), `{before}`, `{after}` (the objective's reading, only for
    /// objectives that no private variable feeds, so a bot never gives away a secret).
    #[serde(default)]
    pub reasons: BTreeMap<String, ReasonLines>,
    /// Said when the political capital a deal costs weighs most: `{who}`, `{amount}`.
    #[serde(default)]
    pub cost: String,
    /// Said when an action the faction would have to promise not to take weighs most: `{who}`,
    /// `{action}`.
    #[serde(default)]
    pub forgo: String,
    /// Said when nothing in particular makes a deal better or worse: `{who}`.
    #[serde(default)]
    pub otherwise: OtherwiseLines,
    /// Reactions in plenary at the briefing, per event and faction.
    #[serde(default)]
    pub events: Vec<EventLines>,
    /// The engine's own words in what bots write: their name, their proposals' titles, the
    /// terms in words. English unless the file (or a locale) says otherwise.
    #[serde(default, skip_serializing_if = "Phrases::is_default")]
    pub phrases: Phrases,
}

fn default_tension_margin() -> f64 {
    15.0
}

/// The words bots write that are not lines of chat (`[bot_chat.phrases]`): each has an English
/// default, so a scenario written in English need not give them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Phrases {
    /// The author of a bot's messages: `{faction}`.
    pub author: String,
    /// The title of a bot's proposal: `{faction}` (the bot's), `{other}` (the other party),
    /// `{round}` (the round's label).
    pub deal_title: String,
    /// The title of a bot's counter-proposal: `{title}` (the proposal's), `{faction}`.
    pub draft_title: String,
    /// The word before the last name of a list ("Russia, CSTO and US/NATO").
    pub and: String,
    /// A cap clause in `{terms}`: `{var}` (the variable's name), `{id}` (its id), `{max}`.
    pub cap: String,
    /// A transfer clause in `{terms}`: `{amount}`, `{to}` (the faction paid).
    pub transfer: String,
}

impl Default for Phrases {
    fn default() -> Self {
        Phrases {
            author: "{faction} (bot)".to_owned(),
            deal_title: "{faction}–{other} accord of {round}".to_owned(),
            draft_title: "{title} ({faction} draft)".to_owned(),
            and: "and".to_owned(),
            cap: "{var} ≤ {max}".to_owned(),
            transfer: "{amount} to {to}".to_owned(),
        }
    }
}

impl Phrases {
    pub fn is_default(&self) -> bool {
        *self == Phrases::default()
    }
    /// The placeholders each phrase may use, by name.
    pub fn allowed(name: &str) -> &'static [&'static str] {
        match name {
            "author" => &["faction"],
            "deal_title" => &["faction", "other", "round"],
            "draft_title" => &["title", "faction"],
            "cap" => &["var", "id", "max"],
            "transfer" => &["amount", "to"],
            _ => &[],
        }
    }
    /// (name, text) of every phrase.
    pub fn all(&self) -> [(&'static str, &str); 6] {
        [
            ("author", &self.author),
            ("deal_title", &self.deal_title),
            ("draft_title", &self.draft_title),
            ("and", &self.and),
            ("cap", &self.cap),
            ("transfer", &self.transfer),
        ]
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonLines {
    pub better: String,
    pub worse: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherwiseLines {
    #[serde(default)]
    pub better: String,
    #[serde(default)]
    pub worse: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventLines {
    pub event: EventId,
    /// Faction id → what its bot says in plenary when the event happens.
    pub lines: BTreeMap<FactionId, String>,
}

/// A point on the client's map. The engine never reads these.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapFeature {
    pub id: String,
    pub name: String,
    /// The short name written beside the marker ("Deveselu"); absent: `name` up to its first
    /// " (" or ",".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub lat: f64,
    pub lon: f64,
    /// site | radar | ship | missile | member | infrastructure
    pub kind: String,
    #[serde(default)]
    pub faction: Option<FactionId>,
    /// Shown when this variable is at least 1 (absent: always shown).
    #[serde(default)]
    pub shown_when: Option<VarId>,
    /// Range ring in km, e.g. Iskander's ~500 km.
    #[serde(default)]
    pub range_km: Option<f64>,
    #[serde(default)]
    pub source: String,
}

/// Removes every key named `source` whose value is a string, at any depth of `value`: the
/// citations a scenario carries, which [`Scenario::fingerprint`] leaves out.
fn strip_sources(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(o) => {
            o.retain(|k, v| !(k == "source" && v.is_string()));
            o.values_mut().for_each(strip_sources);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_sources),
        _ => {}
    }
}

impl Scenario {
    pub fn faction(&self, id: &str) -> Option<&Faction> {
        self.factions.iter().find(|f| f.id.as_str() == id)
    }
    /// A fingerprint of the scenario's content (FNV-1a over its canonical JSON), recorded with
    /// each game so that a log is never replayed under different rules or numbers. The map is
    /// left out: only clients read it, so redrawing it never strands a recorded game. So is
    /// every `source` string, at any depth: prose citing where a number comes from does not
    /// change the rules, so correcting a citation never strands a recorded game either. So
    /// are the translations (`[locales.*]`): a scenario in another language
    /// ([`Scenario::localised`]) has the fingerprint of the file it comes from.
    pub fn fingerprint(&self) -> String {
        if let Some(f) = &self.fingerprint {
            return f.clone();
        }
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = value.as_object_mut() {
            o.remove("map");
            // Which languages the texts come in changes no rule either (the translations
            // themselves are never serialized).
            o.remove("language");
            o.remove("languages");
        }
        strip_sources(&mut value);
        let json = serde_json::to_vec(&value).unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in json {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }

    /// Builds look-up tables; call once after parsing (the validator does).
    pub fn prepare(&mut self) {
        self.var_lookup = self
            .variables
            .iter()
            .enumerate()
            .map(|(i, v)| (v.id.as_str().to_owned(), i))
            .collect();
        self.slots = Some(super::model::Slots::resolve(self));
        let lookup = &self.var_lookup;
        let slot = |v: &VarId| lookup.get(v.as_str()).copied().unwrap_or(usize::MAX);
        for a in &mut self.actions {
            for r in &mut a.requires {
                r.slot = slot(&r.var);
            }
            for e in &mut a.effects {
                e.slot = slot(&e.var);
            }
        }
        for k in &mut self.clause_kinds {
            for e in &mut k.effects_per_round {
                e.slot = slot(&e.var);
            }
        }
        for card in &mut self.events {
            for e in &mut card.effects {
                if let EventEffect::Var(e) = e {
                    e.slot = slot(&e.var);
                }
            }
        }
        // One shared string per faction and action id, so that comparing two ids from the
        // scenario is a pointer comparison (bots compare them hundreds of thousands of times
        // a game).
        let factions: Vec<FactionId> = self.factions.iter().map(|f| f.id.clone()).collect();
        let canonical = |id: &mut FactionId| {
            if let Some(c) = factions.iter().find(|c| *c == id) {
                *id = c.clone();
            }
        };
        let action_ids: Vec<ActionId> = self.actions.iter().map(|a| a.id.clone()).collect();
        for a in &mut self.actions {
            canonical(&mut a.owner);
        }
        for f in &mut self.factions {
            f.rivals.iter_mut().for_each(canonical);
        }
        for k in &mut self.clause_kinds {
            k.givers.iter_mut().for_each(canonical);
            k.parties.iter_mut().for_each(canonical);
            for a in &mut k.actions {
                if let Some(c) = action_ids.iter().find(|c| *c == a) {
                    *a = c.clone();
                }
            }
        }
        self.languages = std::iter::once(self.language.clone())
            .chain(self.locales.keys().cloned())
            .collect();
        self.translated = Translated::default();
        self.fingerprint = None;
        self.fingerprint = Some(self.fingerprint());
    }

    /// Every language the scenario can be played in: its own, then its locales'.
    pub fn language_codes(&self) -> Vec<&str> {
        std::iter::once(self.language.as_str())
            .chain(self.locales.keys().map(String::as_str))
            .collect()
    }

    /// Whether the scenario can be played in `lang`: its own language or one of its locales.
    pub fn has_language(&self, lang: &str) -> bool {
        lang == self.language || self.locales.contains_key(lang)
    }

    /// The scenario with its texts in `lang` (falling back to the file's own text wherever the
    /// locale has none), or `None` when it has no such language. The copy carries no
    /// translations, says `lang` as its `language`, and keeps the fingerprint of the file.
    pub fn localised(&self, lang: &str) -> Option<Scenario> {
        if lang == self.language {
            return Some(self.clone());
        }
        let locale = self.locales.get(lang)?;
        let mut out = self.clone();
        locale.apply(&mut out);
        out.language = lang.to_owned();
        out.locales = BTreeMap::new();
        let fingerprint = self.fingerprint();
        out.prepare();
        out.languages = std::iter::once(self.language.clone())
            .chain(self.locales.keys().cloned())
            .collect();
        out.fingerprint = Some(fingerprint);
        Some(out)
    }

    /// As [`Scenario::localised`], shared: each language is built once per scenario.
    pub fn in_language(self: &std::sync::Arc<Self>, lang: &str) -> Option<std::sync::Arc<Self>> {
        if lang == self.language {
            return Some(self.clone());
        }
        if !self.locales.contains_key(lang) {
            return None;
        }
        let mut cache = self.translated.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = cache.get(lang) {
            return Some(s.clone());
        }
        let s = std::sync::Arc::new(self.localised(lang)?);
        cache.insert(lang.to_owned(), s.clone());
        Some(s)
    }
    /// Positions of the model's variables (resolved now if `prepare` was not called).
    pub fn slots(&self) -> std::borrow::Cow<'_, super::model::Slots> {
        match &self.slots {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(super::model::Slots::resolve(self)),
        }
    }
    pub fn var_index(&self, id: &str) -> Option<usize> {
        if self.var_lookup.is_empty() {
            self.variables.iter().position(|v| v.id.as_str() == id)
        } else {
            self.var_lookup.get(id).copied()
        }
    }
    // A linear search: with a few dozen actions and clause kinds it costs less than hashing
    // the id (measured with callgrind on bot games).
    // An id taken from the scenario itself is found by its address, without comparing text.
    pub fn action(&self, id: &str) -> Option<&Action> {
        let actions = &self.actions;
        (actions.iter().find(|a| std::ptr::eq(a.id.as_str(), id)))
            .or_else(|| actions.iter().find(|a| a.id.as_str() == id))
    }
    pub fn clause_kind(&self, id: &str) -> Option<&ClauseKind> {
        let kinds = &self.clause_kinds;
        (kinds.iter().find(|k| std::ptr::eq(k.id.as_str(), id)))
            .or_else(|| kinds.iter().find(|k| k.id.as_str() == id))
    }
    pub fn event(&self, id: &str) -> Option<&EventCard> {
        self.events.iter().find(|e| e.id.as_str() == id)
    }
    pub fn resources_of(&self, f: &str) -> Option<&Resources> {
        self.resources.iter().find(|r| r.faction.as_str() == f)
    }
    pub fn preset(&self, id: &str) -> Option<&Preset> {
        self.model.presets.iter().find(|p| p.id == id)
    }
}
