//! The research export of a game (docs/research-export.md is its codebook): the chat, the
//! proposals and answers, the orders, the agreements and breaches, every index per round
//! (technical and as each faction and the public perceive it) and the scores, with people's
//! names replaced by stable pseudonyms. Free text (the chat, proposal titles, reasons, Control's
//! notes) is included only when allowed, and then with every seated name replaced too.
//!
//! Built from Control's view (`view::SeatView` for `Seat::Control`, the view module deciding as
//! for every other outbound path), the event log (for the phase each message and answer came
//! in) and the seats (for the pseudonyms).

use crate::engine::view::SeatView;
use crate::engine::{Channel, Event, FactionId, Phase, Seat};
use crate::store::{SeatRole, SeatRow};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// One game's research data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResearchExport {
    pub game_id: Uuid,
    /// The class and table, when the game is a class's table.
    pub class_id: Option<Uuid>,
    pub table: Option<u32>,
    pub scenario: String,
    /// Whether the free-text fields (`text`, `title`, `reason`) carry text; otherwise they are
    /// null and only their length in characters is given.
    pub free_text: bool,
    /// Everyone seated, by pseudonym.
    pub participants: Vec<Participant>,
    pub messages: Vec<ResearchMessage>,
    pub proposals: Vec<ResearchProposal>,
    pub answers: Vec<ResearchAnswer>,
    pub orders: Vec<ResearchOrder>,
    pub agreements: Vec<ResearchAgreement>,
    pub breaches: Vec<ResearchBreach>,
    pub indices: Vec<IndexValue>,
    pub scores: Vec<ScoreValue>,
}

/// A seated person (or a bot) under their pseudonym.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Participant {
    /// `<faction>-<n>` (n: the order they took their seat in that faction), `control-<n>`,
    /// `observer-<n>`, or `<faction>-bot`.
    pub pseudonym: String,
    pub role: String,
    pub faction: Option<FactionId>,
}

/// A chat message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResearchMessage {
    /// Counts within its channel.
    pub id: u32,
    /// 0-based.
    pub round: u32,
    pub phase: Phase,
    pub channel: Channel,
    pub sender: String,
    pub sender_faction: Option<FactionId>,
    pub at_ms: i64,
    pub length: usize,
    pub text: Option<String>,
    /// A facilitator hid the message (moderation): its text never goes out.
    #[serde(default)]
    pub hidden: bool,
}

/// A proposal as it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResearchProposal {
    pub id: u32,
    pub round: u32,
    pub phase: Phase,
    pub proposer: FactionId,
    pub parties: Vec<FactionId>,
    /// The clause kinds, in order.
    pub clauses: Vec<String>,
    pub duration_rounds: u32,
    pub public: bool,
    pub counter_of: Option<u32>,
    pub title_length: usize,
    pub title: Option<String>,
}

/// An answer to a proposal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResearchAnswer {
    pub proposal: u32,
    pub round: u32,
    pub phase: Phase,
    /// `accepted`, `rejected`, `countered`, `withdrawn` or `expired`.
    pub answer: String,
    /// The faction that answered (none for a withdrawal or an expiry).
    pub by: Option<FactionId>,
    /// The counter-proposal's id, for `countered`.
    pub counter: Option<u32>,
    pub reason_length: usize,
    pub reason: Option<String>,
}

/// An order as adjudicated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResearchOrder {
    /// The round whose orders phase gave it.
    pub round: u32,
    pub faction: FactionId,
    pub action: String,
    pub quantity: u32,
    pub covert: bool,
    pub budget: f64,
    pub capital: f64,
    pub completes_round: u32,
}

/// An agreement, with its final status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResearchAgreement {
    pub id: u32,
    pub proposal: u32,
    pub signed_round: u32,
    pub until_round: u32,
    pub parties: Vec<FactionId>,
    pub clauses: Vec<String>,
    pub public: bool,
    /// `pending_ratification`, `in_force`, `lapsed`, `broken` or `expired`.
    pub status: String,
    pub title_length: usize,
    pub title: Option<String>,
}

/// A breach found (or missed) at an adjudication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResearchBreach {
    pub round: u32,
    pub agreement: u32,
    pub clause: usize,
    pub by: FactionId,
    pub what: String,
    pub detection_probability: f64,
    pub detected: bool,
}

/// One index after one round's adjudication, from one perspective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IndexValue {
    pub round: u32,
    /// `technical`, `public`, or a faction's id (its perception).
    pub perspective: String,
    /// A field of the model's values (docs/model.md), e.g. `deterrence_balance`, `tension`.
    pub index: String,
    pub value: f64,
}

/// A faction's score after one round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreValue {
    pub round: u32,
    pub faction: FactionId,
    pub round_score: f64,
    pub game_score: f64,
}

/// Who is who: seat rows and bots to pseudonyms, and the names to take out of free text.
struct Pseudonyms {
    /// (role or faction, name) → pseudonym.
    by_name: BTreeMap<(String, String), String>,
    participants: Vec<Participant>,
    /// Every seated name, longest first (a name inside another is replaced after it).
    names: Vec<(String, String)>,
    /// (faction, the name its bot writes under).
    bot_authors: BTreeSet<(String, String)>,
}

impl Pseudonyms {
    fn new(seats: &[SeatRow], bots: impl Iterator<Item = FactionId>) -> Pseudonyms {
        let mut seats: Vec<&SeatRow> = seats.iter().collect();
        seats.sort_by_key(|s| (s.created_at, s.id));
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        let mut p = Pseudonyms {
            by_name: BTreeMap::new(),
            participants: Vec::new(),
            names: Vec::new(),
            bot_authors: BTreeSet::new(),
        };
        for s in seats {
            let (group, role) = match s.role {
                // A revoked seat (an outside agent's) played its faction until then.
                SeatRole::Faction | SeatRole::Agent | SeatRole::Revoked => {
                    (s.faction.clone().unwrap_or_default(), "faction")
                }
                SeatRole::Control => ("control".to_owned(), "control"),
                SeatRole::Observer => ("observer".to_owned(), "observer"),
            };
            let n = counts.entry(group.clone()).or_default();
            *n += 1;
            let pseudonym = format!("{group}-{n}");
            p.by_name
                .entry((group, s.name.clone()))
                .or_insert_with(|| pseudonym.clone());
            if !s.name.trim().is_empty() {
                p.names.push((s.name.clone(), pseudonym.clone()));
            }
            p.participants.push(Participant {
                pseudonym,
                role: role.to_owned(),
                faction: s.faction.as_deref().map(FactionId::from),
            });
        }
        for f in bots {
            p.participants.push(Participant {
                pseudonym: format!("{f}-bot"),
                role: "bot".to_owned(),
                faction: Some(f),
            });
        }
        p.names
            .sort_by_key(|(n, _)| std::cmp::Reverse(n.chars().count()));
        p
    }

    /// The pseudonym of a message's author.
    fn of(&self, from: &Seat, author: &str) -> String {
        let group = match from {
            Seat::Faction(f) => f.to_string(),
            Seat::Control => "control".to_owned(),
            Seat::Observer => "observer".to_owned(),
            Seat::System => return "system".to_owned(),
        };
        if let Some(p) = self.by_name.get(&(group.clone(), author.to_owned())) {
            return p.clone();
        }
        if author.ends_with("(bot)")
            || self
                .bot_authors
                .contains(&(group.clone(), author.to_owned()))
        {
            return format!("{group}-bot");
        }
        format!("{group}-unknown")
    }

    /// Free text with every seated name replaced by its pseudonym (whole words, any case).
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (name, pseudonym) in &self.names {
            out = replace_word(&out, name, pseudonym);
        }
        out
    }
}

/// `text` with each whole-word occurrence of `word` (case-insensitive) replaced by `with`.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    if word.is_empty() {
        return text.to_owned();
    }
    let lower = text.to_lowercase();
    let needle = word.to_lowercase();
    // Lower-casing changes byte lengths in a few scripts: there, exact matches only.
    if lower.len() != text.len() || needle.len() != word.len() {
        return text.replace(word, with);
    }
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(at) = lower[i..].find(&needle) {
        let start = i + at;
        let end = start + needle.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        out.push_str(&text[i..start]);
        if is_word(before) || is_word(after) {
            out.push_str(&text[start..end]);
        } else {
            out.push_str(with);
        }
        i = end;
    }
    out.push_str(&text[i..]);
    out
}

/// Which free text goes out.
fn text_of(p: &Pseudonyms, free_text: bool, text: &str) -> Option<String> {
    free_text.then(|| p.scrub(text))
}

fn status_name<T: Serialize>(status: &T, tag: &str) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.get(tag).and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// Every number of a model values record, by field name.
fn values_of<T: Serialize>(values: &T) -> Vec<(String, f64)> {
    match serde_json::to_value(values) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .filter_map(|(k, v)| v.as_f64().map(|x| (k, x)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Where a game is, to build its export.
pub struct Source<'a> {
    pub game_id: Uuid,
    pub class: Option<(Uuid, u32)>,
    /// Control's view of the game.
    pub view: &'a SeatView,
    /// The whole event log, in order.
    pub events: &'a [Event],
    pub seats: &'a [SeatRow],
    pub free_text: bool,
    /// The name each faction's bot writes under, in the game's language ("Russia (bot)",
    /// "Россия (бот)").
    pub bot_authors: &'a [(FactionId, String)],
}

/// The research export of one game.
pub fn export(src: &Source<'_>) -> ResearchExport {
    let view = src.view;
    let mut p = Pseudonyms::new(src.seats, view.bots.keys().cloned());
    p.bot_authors = src
        .bot_authors
        .iter()
        .map(|(f, a)| (f.to_string(), a.clone()))
        .collect();
    let free = src.free_text;
    let (mut round, mut phase) = (0u32, Phase::Lobby);
    // Messages hidden by a facilitator, wherever in the log they were hidden.
    let hidden = crate::engine::view::hidden_messages(src.events);
    let mut messages = Vec::new();
    let mut proposals = Vec::new();
    let mut answers = Vec::new();
    let answer = |proposal: u32, round: u32, phase: Phase, kind: &str| ResearchAnswer {
        proposal,
        round,
        phase,
        answer: kind.to_owned(),
        by: None,
        counter: None,
        reason_length: 0,
        reason: None,
    };
    for e in src.events {
        match e {
            Event::RoundBegan { round: r, .. } => {
                round = *r;
                phase = Phase::Briefing;
            }
            Event::PhaseChanged {
                round: r,
                phase: ph,
                ..
            } => {
                round = *r;
                phase = *ph;
            }
            Event::ChatPosted { message: m } => {
                let is_hidden = hidden.contains(&(&m.channel, m.id));
                messages.push(ResearchMessage {
                    id: m.id,
                    round: m.round,
                    phase,
                    channel: m.channel.clone(),
                    sender: p.of(&m.from, &m.author),
                    sender_faction: m.from.faction().cloned(),
                    at_ms: m.at_ms,
                    length: m.text.chars().count(),
                    text: text_of(&p, free && !is_hidden, &m.text),
                    hidden: is_hidden,
                })
            }
            Event::ProposalMade { proposal: x } => proposals.push(ResearchProposal {
                id: x.id,
                round: x.round,
                phase,
                proposer: x.proposer.clone(),
                parties: x.terms.parties.clone(),
                clauses: x.terms.clauses.iter().map(|c| c.kind.to_string()).collect(),
                duration_rounds: x.terms.duration_rounds,
                public: x.terms.public,
                counter_of: x.counter_of,
                title_length: x.terms.title.chars().count(),
                title: text_of(&p, free, &x.terms.title),
            }),
            Event::ProposalAccepted { proposal, by } => answers.push(ResearchAnswer {
                by: Some(by.clone()),
                ..answer(*proposal, round, phase, "accepted")
            }),
            Event::ProposalRejected {
                proposal,
                by,
                reason,
            } => answers.push(ResearchAnswer {
                by: Some(by.clone()),
                reason_length: reason.chars().count(),
                reason: text_of(&p, free, reason),
                ..answer(*proposal, round, phase, "rejected")
            }),
            Event::ProposalCountered {
                proposal,
                by,
                counter,
            } => answers.push(ResearchAnswer {
                by: Some(by.clone()),
                counter: Some(*counter),
                ..answer(*proposal, round, phase, "countered")
            }),
            Event::ProposalWithdrawn { proposal } => {
                answers.push(answer(*proposal, round, phase, "withdrawn"))
            }
            Event::ProposalsExpired { proposals: ids } => {
                for id in ids {
                    answers.push(answer(*id, round, phase, "expired"));
                }
            }
            _ => {}
        }
    }
    let mut orders = Vec::new();
    let mut breaches = Vec::new();
    let mut indices = Vec::new();
    let mut scores = Vec::new();
    for r in &view.reports {
        let mut index = |perspective: &str, values: &[(String, f64)]| {
            for (k, v) in values {
                indices.push(IndexValue {
                    round: r.round,
                    perspective: perspective.to_owned(),
                    index: k.clone(),
                    value: *v,
                });
            }
        };
        index("public", &values_of(&r.public.indices.values));
        for (f, part) in &r.factions {
            index(f.as_str(), &values_of(&part.indices.values));
            scores.push(ScoreValue {
                round: r.round,
                faction: f.clone(),
                round_score: part.score.round_score,
                game_score: part.score.game_score,
            });
        }
        if let Some(c) = &r.control {
            index("technical", &values_of(&c.technical.values));
            index("technical", &[("tension".to_owned(), c.tension.value)]);
            orders.extend(c.orders.iter().map(|o| ResearchOrder {
                round: r.round,
                faction: o.faction.clone(),
                action: o.action.to_string(),
                quantity: o.quantity,
                covert: o.covert,
                budget: o.budget,
                capital: o.capital,
                completes_round: o.completes_round,
            }));
            breaches.extend(c.breaches.iter().map(|b| ResearchBreach {
                round: r.round,
                agreement: b.agreement,
                clause: b.clause,
                by: b.by.clone(),
                what: b.what.clone(),
                detection_probability: b.detection_probability,
                detected: b.detected,
            }));
        }
    }
    let agreements = view
        .agreements
        .iter()
        .map(|a| ResearchAgreement {
            id: a.id,
            proposal: a.proposal,
            signed_round: a.signed_round,
            until_round: a.until_round,
            parties: a.terms.parties.clone(),
            clauses: a.terms.clauses.iter().map(|c| c.kind.to_string()).collect(),
            public: a.terms.public,
            status: status_name(&a.status, "status"),
            title_length: a.terms.title.chars().count(),
            title: text_of(&p, free, &a.terms.title),
        })
        .collect();
    ResearchExport {
        game_id: src.game_id,
        class_id: src.class.map(|c| c.0),
        table: src.class.map(|c| c.1),
        scenario: view.scenario.clone(),
        free_text: free,
        participants: p.participants,
        messages,
        proposals,
        answers,
        orders,
        agreements,
        breaches,
        indices,
        scores,
    }
}

/// A cell that a spreadsheet will not run as a formula: text beginning with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'` (numbers are written as numbers).
pub fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// The CSV columns, in order (docs/research-export.md).
pub const CSV_COLUMNS: [&str; 11] = [
    "record", "round", "phase", "channel", "who", "faction", "id", "item", "value", "length",
    "text",
];

/// The export as one CSV file, a row per record (long format; the codebook says what each
/// column holds for each kind of record).
pub fn to_csv(x: &ResearchExport) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    let num = |v: f64| format!("{v}");
    let opt = |s: &Option<String>| s.as_deref().map(cell).unwrap_or_default();
    let mut row = |cols: [String; 11]| w.write_record(&cols);
    for p in &x.participants {
        row([
            "participant".into(),
            String::new(),
            String::new(),
            String::new(),
            p.pseudonym.clone(),
            p.faction
                .as_ref()
                .map(|f| f.to_string())
                .unwrap_or_default(),
            String::new(),
            p.role.clone(),
            String::new(),
            String::new(),
            String::new(),
        ])?;
    }
    for m in &x.messages {
        row([
            "message".into(),
            m.round.to_string(),
            phase_text(m.phase),
            channel_text(&m.channel),
            m.sender.clone(),
            m.sender_faction
                .as_ref()
                .map(|f| f.to_string())
                .unwrap_or_default(),
            m.id.to_string(),
            if m.hidden {
                "hidden".into()
            } else {
                String::new()
            },
            String::new(),
            m.length.to_string(),
            opt(&m.text),
        ])?;
    }
    for p in &x.proposals {
        row([
            "proposal".into(),
            p.round.to_string(),
            phase_text(p.phase),
            String::new(),
            p.proposer.to_string(),
            p.parties
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            p.id.to_string(),
            p.clauses.join(" "),
            format!(
                "{}{}",
                if p.public { "public" } else { "private" },
                p.counter_of
                    .map(|c| format!(" counter_of {c}"))
                    .unwrap_or_default()
            ),
            p.title_length.to_string(),
            opt(&p.title),
        ])?;
    }
    for a in &x.answers {
        row([
            "answer".into(),
            a.round.to_string(),
            phase_text(a.phase),
            String::new(),
            a.by.as_ref().map(|f| f.to_string()).unwrap_or_default(),
            a.by.as_ref().map(|f| f.to_string()).unwrap_or_default(),
            a.proposal.to_string(),
            a.answer.clone(),
            a.counter.map(|c| c.to_string()).unwrap_or_default(),
            a.reason_length.to_string(),
            opt(&a.reason),
        ])?;
    }
    for o in &x.orders {
        row([
            "order".into(),
            o.round.to_string(),
            "orders".into(),
            String::new(),
            o.faction.to_string(),
            o.faction.to_string(),
            String::new(),
            o.action.clone(),
            o.quantity.to_string(),
            String::new(),
            format!(
                "{}budget {} capital {} completes_round {}",
                if o.covert { "covert " } else { "" },
                num(o.budget),
                num(o.capital),
                o.completes_round
            ),
        ])?;
    }
    for a in &x.agreements {
        row([
            "agreement".into(),
            a.signed_round.to_string(),
            String::new(),
            String::new(),
            String::new(),
            a.parties
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            a.id.to_string(),
            a.clauses.join(" "),
            a.status.clone(),
            a.title_length.to_string(),
            opt(&a.title),
        ])?;
    }
    for b in &x.breaches {
        row([
            "breach".into(),
            b.round.to_string(),
            String::new(),
            String::new(),
            b.by.to_string(),
            b.by.to_string(),
            b.agreement.to_string(),
            format!("clause {}", b.clause),
            if b.detected { "detected" } else { "undetected" }.into(),
            String::new(),
            cell(&format!(
                "{} (detection probability {})",
                b.what,
                num(b.detection_probability)
            )),
        ])?;
    }
    for i in &x.indices {
        row([
            "index".into(),
            i.round.to_string(),
            String::new(),
            String::new(),
            i.perspective.clone(),
            String::new(),
            String::new(),
            i.index.clone(),
            num(i.value),
            String::new(),
            String::new(),
        ])?;
    }
    for s in &x.scores {
        row([
            "score".into(),
            s.round.to_string(),
            String::new(),
            String::new(),
            s.faction.to_string(),
            s.faction.to_string(),
            String::new(),
            "round_score game_score".into(),
            num(s.round_score),
            String::new(),
            num(s.game_score),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

fn phase_text(p: Phase) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn channel_text(c: &Channel) -> String {
    match c {
        Channel::Plenary => "plenary".into(),
        Channel::Bilateral { factions } => format!("bilateral {} {}", factions[0], factions[1]),
        Channel::Team { faction } => format!("team {faction}"),
        Channel::Control { faction } => format!("control {faction}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_neutralised() {
        for (text, want) in [
            ("=1+1", "'=1+1"),
            ("+7", "'+7"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("plain", "plain"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(cell(text), want, "{text:?}");
        }
    }

    #[test]
    fn names_in_free_text_become_pseudonyms_as_whole_words_in_any_case() {
        assert_eq!(
            replace_word("thanks Boris!", "Boris", "us_nato-1"),
            "thanks us_nato-1!"
        );
        assert_eq!(replace_word("BORIS, boris", "Boris", "p"), "p, p");
        assert_eq!(
            replace_word("Borislav", "Boris", "p"),
            "Borislav",
            "not inside a word"
        );
        assert_eq!(replace_word("Анна сказала", "анна", "p"), "p сказала");
        assert_eq!(replace_word("no names", "", "p"), "no names");
    }

    #[test]
    fn a_bot_is_known_by_its_name_in_the_games_language() {
        let mut p = Pseudonyms::new(&[], std::iter::once(FactionId::from("russia")));
        p.bot_authors = [("russia".to_owned(), "Россия (бот)".to_owned())]
            .into_iter()
            .collect();
        let russia = Seat::Faction(FactionId::from("russia"));
        assert_eq!(p.of(&russia, "Россия (бот)"), "russia-bot");
        assert_eq!(p.of(&russia, "Russia (bot)"), "russia-bot");
        assert_eq!(p.of(&russia, "Россия"), "russia-unknown");
        let us = Seat::Faction(FactionId::from("us_nato"));
        assert_eq!(p.of(&us, "Россия (бот)"), "us_nato-unknown");
    }
}
