//! Translations of a scenario's texts: the `[locales.<lang>]` tables of a scenario file
//! (`docs/scenario-format.md`, *Translations*).
//!
//! A scenario is written in one language (`language`, English by default). Each locale gives
//! the texts of another language keyed by id, mirroring the file: `title`, `summary`,
//! `factions.<id>.name`, `actions.<id>.description`, `bot_chat.propose`, …. Anything a locale
//! leaves out is shown in the scenario's own language. Ids, numbers and `source` citations are
//! never translated.
//!
//! Three things live here: the locale's shape (parsed with the scenario, unknown keys refused),
//! [`Locale::apply`] (the scenario's texts replaced by the translations), and the checks behind
//! `detente scenario check`: [`check`] reports what cannot be right (a translation of an id
//! that does not exist, a bot line whose placeholders differ from the original's: errors), and
//! [`untranslated`] what is merely missing (warnings).

use super::bots::placeholders;
use super::scenario::{BotChat, EventLines, Phrases, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The translations of a scenario's texts into one language.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locale {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Faction id → its texts.
    #[serde(default)]
    pub factions: BTreeMap<String, FactionText>,
    /// Every round's label, in order (as many as `[[rounds]]`). Labels without letters
    /// ("2013") need none.
    #[serde(default)]
    pub rounds: Option<Vec<String>>,
    #[serde(default)]
    pub variables: BTreeMap<String, VariableText>,
    #[serde(default)]
    pub actions: BTreeMap<String, ActionText>,
    #[serde(default)]
    pub clause_kinds: BTreeMap<String, NamedText>,
    #[serde(default)]
    pub events: BTreeMap<String, EventText>,
    #[serde(default)]
    pub model: ModelText,
    #[serde(default)]
    pub map: BTreeMap<String, MapText>,
    /// The bots' lines, in the shape of `[bot_chat]` (numbers such as
    /// `tension_warning_margin` stay in `[bot_chat]`).
    #[serde(default)]
    pub bot_chat: BotChatText,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactionText {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableText {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionText {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The messages of the action's requirements, keyed by the requirement's variable.
    #[serde(default)]
    pub requires: BTreeMap<String, String>,
}

/// A name and a description (clause kinds, model presets).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedText {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventText {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelText {
    #[serde(default)]
    pub parameters: BTreeMap<String, ParameterText>,
    #[serde(default)]
    pub presets: BTreeMap<String, NamedText>,
    #[serde(default)]
    pub batteries: BTreeMap<String, BatteryText>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterText {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatteryText {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapText {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

/// `[bot_chat]` in another language: every line optional. A list of variants translates the
/// original's variants one for one, with the same placeholders.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotChatText {
    #[serde(default)]
    pub propose: Option<Vec<String>>,
    #[serde(default)]
    pub accept: Option<Vec<String>>,
    #[serde(default)]
    pub reject: Option<Vec<String>>,
    #[serde(default)]
    pub counter: Option<Vec<String>>,
    #[serde(default)]
    pub breach: Option<Vec<String>>,
    #[serde(default)]
    pub signed: Option<Vec<String>>,
    #[serde(default)]
    pub tension: Option<Vec<String>>,
    #[serde(default)]
    pub reasons: BTreeMap<String, PairText>,
    #[serde(default)]
    pub cost: Option<String>,
    #[serde(default)]
    pub forgo: Option<String>,
    #[serde(default)]
    pub otherwise: PairText,
    #[serde(default)]
    pub events: Vec<EventLines>,
    #[serde(default)]
    pub phrases: PhrasesText,
}

/// A `better` and a `worse` line.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairText {
    #[serde(default)]
    pub better: Option<String>,
    #[serde(default)]
    pub worse: Option<String>,
}

/// [`Phrases`] in another language.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhrasesText {
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub deal_title: Option<String>,
    #[serde(default)]
    pub draft_title: Option<String>,
    #[serde(default)]
    pub and: Option<String>,
    #[serde(default)]
    pub cap: Option<String>,
    #[serde(default)]
    pub transfer: Option<String>,
}

/// Whether a language code is well formed: `ru`, `kk`, `pt-br` (lowercase letters, then
/// optional `-` and letters or digits; at most 16 characters).
pub fn is_language_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let first = parts.next().unwrap_or("");
    code.len() <= 16
        && (2..=8).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// A translation that says something: absent and empty strings fall back to the original.
fn given(t: &Option<String>) -> Option<&str> {
    t.as_deref().filter(|s| !s.trim().is_empty())
}

fn put(target: &mut String, t: &Option<String>) {
    if let Some(s) = given(t) {
        *target = s.to_owned();
    }
}

fn put_lines(target: &mut [String], t: &Option<Vec<String>>) {
    if let Some(lines) = t.as_ref().filter(|l| !l.is_empty()) {
        // Variant by variant: an empty variant keeps the original's.
        for (i, line) in lines.iter().enumerate() {
            match target.get_mut(i) {
                Some(slot) if !line.trim().is_empty() => *slot = line.clone(),
                _ => {}
            }
        }
    }
}

impl Locale {
    /// Replaces `scn`'s texts with this locale's translations; what the locale leaves out (or
    /// leaves empty) keeps the original text. Translations of ids that do not exist are
    /// ignored here ([`check`] refuses them).
    pub fn apply(&self, scn: &mut Scenario) {
        put(&mut scn.title, &self.title);
        put(&mut scn.summary, &self.summary);
        for f in &mut scn.factions {
            if let Some(t) = self.factions.get(f.id.as_str()) {
                put(&mut f.name, &t.name);
            }
        }
        if let Some(labels) = &self.rounds {
            if labels.len() == scn.rounds.len() {
                for (r, l) in scn.rounds.iter_mut().zip(labels) {
                    put(&mut r.label, &Some(l.clone()));
                }
            }
        }
        for v in &mut scn.variables {
            if let Some(t) = self.variables.get(v.id.as_str()) {
                put(&mut v.name, &t.name);
                put(&mut v.description, &t.description);
                put(&mut v.unit, &t.unit);
            }
        }
        for a in &mut scn.actions {
            if let Some(t) = self.actions.get(a.id.as_str()) {
                put(&mut a.name, &t.name);
                put(&mut a.description, &t.description);
                for r in &mut a.requires {
                    if let Some(m) = t.requires.get(r.var.as_str()) {
                        put(&mut r.message, &Some(m.clone()));
                    }
                }
            }
        }
        for k in &mut scn.clause_kinds {
            if let Some(t) = self.clause_kinds.get(k.id.as_str()) {
                put(&mut k.name, &t.name);
                put(&mut k.description, &t.description);
            }
        }
        for e in &mut scn.events {
            if let Some(t) = self.events.get(e.id.as_str()) {
                put(&mut e.name, &t.name);
                put(&mut e.text, &t.text);
            }
        }
        for p in &mut scn.model.parameters {
            if let Some(t) = self.model.parameters.get(p.id.as_str()) {
                put(&mut p.name, &t.name);
                put(&mut p.unit, &t.unit);
            }
        }
        for p in &mut scn.model.presets {
            if let Some(t) = self.model.presets.get(&p.id) {
                put(&mut p.name, &t.name);
                put(&mut p.description, &t.description);
            }
        }
        for b in &mut scn.model.batteries {
            if let Some(t) = self.model.batteries.get(&b.id) {
                put(&mut b.name, &t.name);
            }
        }
        for m in &mut scn.map {
            if let Some(t) = self.map.get(&m.id) {
                put(&mut m.name, &t.name);
                if let Some(l) = given(&t.label) {
                    m.label = Some(l.to_owned());
                } else if given(&t.name).is_some() && m.label.is_some() {
                    // An untranslated short label beside a translated name would mix the
                    // languages on one marker: let the client shorten the translated name.
                    m.label = None;
                }
            }
        }
        self.bot_chat.apply(&mut scn.bot_chat);
    }
}

impl BotChatText {
    fn apply(&self, chat: &mut BotChat) {
        put_lines(&mut chat.propose, &self.propose);
        put_lines(&mut chat.accept, &self.accept);
        put_lines(&mut chat.reject, &self.reject);
        put_lines(&mut chat.counter, &self.counter);
        put_lines(&mut chat.breach, &self.breach);
        put_lines(&mut chat.signed, &self.signed);
        put_lines(&mut chat.tension, &self.tension);
        for (id, r) in &mut chat.reasons {
            if let Some(t) = self.reasons.get(id) {
                put(&mut r.better, &t.better);
                put(&mut r.worse, &t.worse);
            }
        }
        put(&mut chat.cost, &self.cost);
        put(&mut chat.forgo, &self.forgo);
        put(&mut chat.otherwise.better, &self.otherwise.better);
        put(&mut chat.otherwise.worse, &self.otherwise.worse);
        for e in &mut chat.events {
            for t in self.events.iter().filter(|t| t.event == e.event) {
                for (f, line) in &mut e.lines {
                    if let Some(l) = t.lines.get(f) {
                        put(line, &Some(l.clone()));
                    }
                }
            }
        }
        let p = &self.phrases;
        let ph = &mut chat.phrases;
        put(&mut ph.author, &p.author);
        put(&mut ph.deal_title, &p.deal_title);
        put(&mut ph.draft_title, &p.draft_title);
        put(&mut ph.and, &p.and);
        put(&mut ph.cap, &p.cap);
        put(&mut ph.transfer, &p.transfer);
    }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// A text that needs translating: one with letters outside its placeholders. "2013" and
/// "{var} ≤ {max}" need none; "SM-3 IB" does (a translator copies it as it is).
fn needs_translation(s: &str) -> bool {
    // Outside placeholders: "{faction} — {other}" has no words of its own.
    let mut depth = 0usize;
    s.chars().any(|c| match c {
        '{' => {
            depth += 1;
            false
        }
        '}' => {
            depth = depth.saturating_sub(1);
            false
        }
        c => depth == 0 && c.is_alphabetic(),
    })
}

/// The placeholders of a line, as a set.
fn holes(text: &str) -> BTreeSet<&str> {
    placeholders(text).into_iter().collect()
}

fn braces(set: &BTreeSet<&str>) -> String {
    if set.is_empty() {
        "none".to_owned()
    } else {
        set.iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every problem of the scenario's locales that makes a translation wrong rather than
/// incomplete, as (path, message): a malformed language code, a translation of an id the
/// scenario does not have, a round count that differs, a bot line with other placeholders (or
/// another number of variants) than the original's.
pub fn check(scn: &Scenario) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (lang, l) in &scn.locales {
        let p = format!("locales.{lang}");
        let mut err = |path: String, msg: String| out.push((path, msg));
        if !is_language_code(lang) {
            err(
                p.clone(),
                format!(
                    "\"{lang}\" is not a language code: lowercase letters (\"ru\", \"kk\"), \
                     optionally followed by \"-\" and a region (\"pt-br\")"
                ),
            );
        }
        if *lang == scn.language {
            err(
                p.clone(),
                format!(
                    "\"{lang}\" is the scenario's own language (`language`); its texts are the \
                     scenario's"
                ),
            );
        }
        check_locale(scn, &p, l, &mut err);
    }
    out
}

/// Checks that the ids a locale translates exist, `what` naming the kind in messages.
fn known<'a, T>(
    err: &mut dyn FnMut(String, String),
    path: &str,
    what: &str,
    entries: impl IntoIterator<Item = (&'a String, T)>,
    ids: &[&str],
) {
    for (id, _) in entries {
        if !ids.contains(&id.as_str()) {
            let hint = super::validate::did_you_mean(id, ids.iter().copied());
            err(
                format!("{path}.{id}"),
                format!("the scenario has no {what} \"{id}\" to translate{hint}"),
            );
        }
    }
}

fn check_locale(scn: &Scenario, p: &str, l: &Locale, err: &mut dyn FnMut(String, String)) {
    known(
        err,
        &format!("{p}.factions"),
        "faction",
        &l.factions,
        &scn.factions
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
    );
    if let Some(labels) = &l.rounds {
        if labels.len() != scn.rounds.len() {
            err(
                format!("{p}.rounds"),
                format!(
                    "{} labels for {} rounds: give one label per round, in order",
                    labels.len(),
                    scn.rounds.len()
                ),
            );
        }
    }
    known(
        err,
        &format!("{p}.variables"),
        "state variable",
        &l.variables,
        &scn.variables
            .iter()
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>(),
    );
    known(
        err,
        &format!("{p}.actions"),
        "action",
        &l.actions,
        &scn.actions
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
    );
    for (id, t) in &l.actions {
        let Some(a) = scn.action(id) else { continue };
        let vars: Vec<&str> = a.requires.iter().map(|r| r.var.as_str()).collect();
        for var in t.requires.keys() {
            if !vars.contains(&var.as_str()) {
                err(
                    format!("{p}.actions.{id}.requires.{var}"),
                    format!(
                        "action \"{id}\" has no requirement on \"{var}\" whose message to \
                         translate; its requirements are on: {}",
                        if vars.is_empty() {
                            "(none)".to_owned()
                        } else {
                            vars.join(", ")
                        }
                    ),
                );
            }
        }
    }
    known(
        err,
        &format!("{p}.clause_kinds"),
        "clause kind",
        &l.clause_kinds,
        &scn.clause_kinds
            .iter()
            .map(|k| k.id.as_str())
            .collect::<Vec<_>>(),
    );
    known(
        err,
        &format!("{p}.events"),
        "event",
        &l.events,
        &scn.events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
    );
    known(
        err,
        &format!("{p}.model.parameters"),
        "model parameter",
        &l.model.parameters,
        &scn.model
            .parameters
            .iter()
            .map(|x| x.id.as_str())
            .collect::<Vec<_>>(),
    );
    known(
        err,
        &format!("{p}.model.presets"),
        "model preset",
        &l.model.presets,
        &scn.model
            .presets
            .iter()
            .map(|x| x.id.as_str())
            .collect::<Vec<_>>(),
    );
    known(
        err,
        &format!("{p}.model.batteries"),
        "battery",
        &l.model.batteries,
        &scn.model
            .batteries
            .iter()
            .map(|x| x.id.as_str())
            .collect::<Vec<_>>(),
    );
    known(
        err,
        &format!("{p}.map"),
        "map feature",
        &l.map,
        &scn.map.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
    );
    check_bot_chat(&scn.bot_chat, &format!("{p}.bot_chat"), &l.bot_chat, err);
}

/// A translated line must say the same things: the same placeholders as the original.
fn same_holes(err: &mut dyn FnMut(String, String), path: String, original: &str, line: &str) {
    let (want, got) = (holes(original), holes(line));
    if want != got {
        err(
            path,
            format!(
                "placeholders differ from the original line's: it has {}, the translation {}",
                braces(&want),
                braces(&got)
            ),
        );
    }
}

fn check_bot_chat(chat: &BotChat, p: &str, t: &BotChatText, err: &mut dyn FnMut(String, String)) {
    for (name, original, translated) in line_lists(chat, t) {
        let Some(lines) = translated else { continue };
        if lines.len() != original.len() {
            err(
                format!("{p}.{name}"),
                format!(
                    "{} variants; [bot_chat] has {}: translate each of its variants, in order",
                    lines.len(),
                    original.len()
                ),
            );
            continue;
        }
        for (i, (o, line)) in original.iter().zip(lines).enumerate() {
            if !line.trim().is_empty() {
                same_holes(err, format!("{p}.{name}[{i}]"), o, line);
            }
        }
    }
    let single = |err: &mut dyn FnMut(String, String),
                  path: String,
                  original: &str,
                  line: &Option<String>| {
        let Some(line) = given(line) else { return };
        if original.trim().is_empty() {
            err(
                path,
                "[bot_chat] has no such line to translate (the bots say nothing here)".to_owned(),
            );
        } else {
            same_holes(err, path, original, line);
        }
    };
    single(err, format!("{p}.cost"), &chat.cost, &t.cost);
    single(err, format!("{p}.forgo"), &chat.forgo, &t.forgo);
    single(
        err,
        format!("{p}.otherwise.better"),
        &chat.otherwise.better,
        &t.otherwise.better,
    );
    single(
        err,
        format!("{p}.otherwise.worse"),
        &chat.otherwise.worse,
        &t.otherwise.worse,
    );
    for (id, r) in &t.reasons {
        let path = format!("{p}.reasons.{id}");
        let Some(o) = chat.reasons.get(id) else {
            let have: Vec<&str> = chat.reasons.keys().map(String::as_str).collect();
            let hint = super::validate::did_you_mean(id, have.iter().copied());
            err(
                path,
                format!("[bot_chat.reasons] has no line for objective \"{id}\" to translate{hint}"),
            );
            continue;
        };
        single(err, format!("{path}.better"), &o.better, &r.better);
        single(err, format!("{path}.worse"), &o.worse, &r.worse);
    }
    let mut seen = BTreeSet::new();
    for (i, e) in t.events.iter().enumerate() {
        let path = format!("{p}.events[{i}]");
        if !seen.insert(e.event.as_str()) {
            err(
                format!("{path}.event"),
                format!(
                    "event \"{}\" is translated twice; give its lines in one entry",
                    e.event
                ),
            );
        }
        let Some(o) = chat.events.iter().find(|o| o.event == e.event) else {
            let have: Vec<&str> = chat.events.iter().map(|o| o.event.as_str()).collect();
            let hint = super::validate::did_you_mean(e.event.as_str(), have.iter().copied());
            err(
                format!("{path}.event"),
                format!(
                    "[[bot_chat.events]] has no lines for event \"{}\" to translate{hint}",
                    e.event
                ),
            );
            continue;
        };
        for (f, line) in &e.lines {
            let lp = format!("{path}.lines.{f}");
            match o.lines.get(f) {
                Some(original) => same_holes(err, lp, original, line),
                None => err(
                    lp,
                    format!(
                        "event \"{}\" has no line for faction \"{f}\" in [[bot_chat.events]] \
                         to translate",
                        e.event
                    ),
                ),
            }
        }
    }
    let ph = &chat.phrases;
    let tp = &t.phrases;
    for (name, original, line) in phrase_pairs(ph, tp) {
        if let Some(line) = given(line) {
            same_holes(err, format!("{p}.phrases.{name}"), original, line);
        }
    }
}

/// A list of variants of `[bot_chat]`: its name, the original's lines and their translation.
type LineList<'a> = (&'static str, &'a [String], &'a Option<Vec<String>>);

fn line_lists<'a>(chat: &'a BotChat, t: &'a BotChatText) -> [LineList<'a>; 7] {
    [
        ("propose", &chat.propose, &t.propose),
        ("accept", &chat.accept, &t.accept),
        ("reject", &chat.reject, &t.reject),
        ("counter", &chat.counter, &t.counter),
        ("breach", &chat.breach, &t.breach),
        ("signed", &chat.signed, &t.signed),
        ("tension", &chat.tension, &t.tension),
    ]
}

fn phrase_pairs<'a>(
    ph: &'a Phrases,
    tp: &'a PhrasesText,
) -> [(&'static str, &'a str, &'a Option<String>); 6] {
    [
        ("author", &ph.author, &tp.author),
        ("deal_title", &ph.deal_title, &tp.deal_title),
        ("draft_title", &ph.draft_title, &tp.draft_title),
        ("and", &ph.and, &tp.and),
        ("cap", &ph.cap, &tp.cap),
        ("transfer", &ph.transfer, &tp.transfer),
    ]
}

/// Every text of the scenario a locale leaves untranslated, as (language, path): the path is
/// where the translation goes, e.g. `locales.ru.actions.deveselu.description`. Texts without
/// letters ("2013") and empty ones need none.
pub fn untranslated(scn: &Scenario) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (lang, l) in &scn.locales {
        let mut paths = Vec::new();
        missing_in(scn, &format!("locales.{lang}"), l, &mut paths);
        out.extend(paths.into_iter().map(|p| (lang.clone(), p)));
    }
    out
}

/// Records `path` when `original` needs a translation and `t` gives none.
fn miss(out: &mut Vec<String>, path: String, original: &str, t: &Option<String>) {
    if needs_translation(original) && given(t).is_none() {
        out.push(path);
    }
}

fn missing_in(scn: &Scenario, p: &str, l: &Locale, out: &mut Vec<String>) {
    miss(out, format!("{p}.title"), &scn.title, &l.title);
    miss(out, format!("{p}.summary"), &scn.summary, &l.summary);
    for f in &scn.factions {
        let t = l.factions.get(f.id.as_str()).cloned().unwrap_or_default();
        miss(out, format!("{p}.factions.{}.name", f.id), &f.name, &t.name);
    }
    if l.rounds.is_none() && scn.rounds.iter().any(|r| needs_translation(&r.label)) {
        out.push(format!("{p}.rounds"));
    }
    for v in &scn.variables {
        let t = l.variables.get(v.id.as_str()).cloned().unwrap_or_default();
        let q = format!("{p}.variables.{}", v.id);
        miss(out, format!("{q}.name"), &v.name, &t.name);
        miss(
            out,
            format!("{q}.description"),
            &v.description,
            &t.description,
        );
        miss(out, format!("{q}.unit"), &v.unit, &t.unit);
    }
    for a in &scn.actions {
        let t = l.actions.get(a.id.as_str()).cloned().unwrap_or_default();
        let q = format!("{p}.actions.{}", a.id);
        miss(out, format!("{q}.name"), &a.name, &t.name);
        miss(
            out,
            format!("{q}.description"),
            &a.description,
            &t.description,
        );
        for r in &a.requires {
            let m = t.requires.get(r.var.as_str()).cloned();
            miss(out, format!("{q}.requires.{}", r.var), &r.message, &m);
        }
    }
    for k in &scn.clause_kinds {
        let t = l
            .clause_kinds
            .get(k.id.as_str())
            .cloned()
            .unwrap_or_default();
        let q = format!("{p}.clause_kinds.{}", k.id);
        miss(out, format!("{q}.name"), &k.name, &t.name);
        miss(
            out,
            format!("{q}.description"),
            &k.description,
            &t.description,
        );
    }
    for e in &scn.events {
        let t = l.events.get(e.id.as_str()).cloned().unwrap_or_default();
        let q = format!("{p}.events.{}", e.id);
        miss(out, format!("{q}.name"), &e.name, &t.name);
        miss(out, format!("{q}.text"), &e.text, &t.text);
    }
    for x in &scn.model.parameters {
        let t = l
            .model
            .parameters
            .get(x.id.as_str())
            .cloned()
            .unwrap_or_default();
        let q = format!("{p}.model.parameters.{}", x.id);
        miss(out, format!("{q}.name"), &x.name, &t.name);
        miss(out, format!("{q}.unit"), &x.unit, &t.unit);
    }
    for x in &scn.model.presets {
        let t = l.model.presets.get(&x.id).cloned().unwrap_or_default();
        let q = format!("{p}.model.presets.{}", x.id);
        miss(out, format!("{q}.name"), &x.name, &t.name);
        miss(
            out,
            format!("{q}.description"),
            &x.description,
            &t.description,
        );
    }
    for x in &scn.model.batteries {
        let t = l.model.batteries.get(&x.id).cloned().unwrap_or_default();
        let q = format!("{p}.model.batteries.{}", x.id);
        miss(out, format!("{q}.name"), &x.name, &t.name);
    }
    for m in &scn.map {
        let t = l.map.get(&m.id).cloned().unwrap_or_default();
        let q = format!("{p}.map.{}", m.id);
        miss(out, format!("{q}.name"), &m.name, &t.name);
        if let Some(label) = &m.label {
            miss(out, format!("{q}.label"), label, &t.label);
        }
    }
    let chat = &scn.bot_chat;
    let tc = &l.bot_chat;
    let q = format!("{p}.bot_chat");
    for (name, original, translated) in line_lists(chat, tc) {
        match translated {
            None if original.iter().any(|o| needs_translation(o)) => {
                out.push(format!("{q}.{name}"));
            }
            None => {}
            Some(lines) => {
                for (i, o) in original.iter().enumerate() {
                    miss(out, format!("{q}.{name}[{i}]"), o, &lines.get(i).cloned());
                }
            }
        }
    }
    for (id, r) in &chat.reasons {
        let t = tc.reasons.get(id).cloned().unwrap_or_default();
        miss(
            out,
            format!("{q}.reasons.{id}.better"),
            &r.better,
            &t.better,
        );
        miss(out, format!("{q}.reasons.{id}.worse"), &r.worse, &t.worse);
    }
    miss(out, format!("{q}.cost"), &chat.cost, &tc.cost);
    miss(out, format!("{q}.forgo"), &chat.forgo, &tc.forgo);
    let (o, t) = (&chat.otherwise, &tc.otherwise);
    miss(out, format!("{q}.otherwise.better"), &o.better, &t.better);
    miss(out, format!("{q}.otherwise.worse"), &o.worse, &t.worse);
    for e in &chat.events {
        let t = tc.events.iter().find(|t| t.event == e.event);
        for (f, line) in &e.lines {
            let tl = t.and_then(|t| t.lines.get(f)).cloned();
            let path = format!("{q}.events[event = \"{}\"].lines.{f}", e.event);
            miss(out, path, line, &tl);
        }
    }
    for (name, original, line) in phrase_pairs(&chat.phrases, &tc.phrases) {
        miss(out, format!("{q}.phrases.{name}"), original, line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::validate::{parse_and_validate, ScenarioError};

    /// The built-in scenario's file.
    fn built_in_src() -> &'static str {
        crate::scenarios::BUILT_IN
            .iter()
            .find(|(id, _)| *id == "missile-defence-2013")
            .map(|(_, src)| *src)
            .expect("the built-in scenario")
    }

    /// The built-in scenario without its translations.
    fn english_only() -> String {
        let src = built_in_src();
        let at = src.find("\n[locales.ru]").expect("a [locales.ru] block");
        src[..at].to_owned()
    }

    fn parse(src: &str) -> Result<Scenario, Vec<ScenarioError>> {
        parse_and_validate("test.toml", src)
    }

    fn errors(src: &str) -> Vec<ScenarioError> {
        match parse(src) {
            Ok(_) => panic!("accepted"),
            Err(e) => e,
        }
    }

    fn assert_error(errs: &[ScenarioError], path: &str, needle: &str) {
        assert!(
            errs.iter()
                .any(|e| e.path == path && e.message.contains(needle)),
            "no error at {path} containing {needle:?}; got:\n{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn a_scenario_without_locales_is_complete_in_its_own_language() {
        let s = parse(&english_only()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(s.locales.is_empty());
        assert_eq!(s.language, "en");
        assert_eq!(s.language_codes(), ["en"]);
        assert_eq!(s.languages, ["en"]);
        assert!(untranslated(&s).is_empty());
        assert!(s.localised("ru").is_none());
        assert!(s.localised("en").is_some());
    }

    #[test]
    fn the_built_in_scenario_is_complete_in_russian() {
        let s = parse(built_in_src()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.language_codes(), ["en", "ru"]);
        assert_eq!(
            untranslated(&s),
            Vec::<(String, String)>::new(),
            "texts of the built-in scenario without a Russian translation"
        );
        let ru = s.localised("ru").expect("Russian");
        assert_eq!(ru.language, "ru");
        assert_eq!(ru.languages, ["en", "ru"]);
        assert!(ru.locales.is_empty());
        let names: Vec<&str> = ru.factions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Россия", "США/НАТО", "ОДКБ"]);
        assert_eq!(
            ru.action("iskander_kaliningrad").map(|a| a.name.as_str()),
            Some("Разместить бригаду «Искандер-М» в Калининграде")
        );
        // Every text is Russian: each has Cyrillic letters, or no letters at all, or is a
        // designation kept as it is (SM-3 IIB, AN/TPY-2, FSS, Ê).
        let kept = ["FSS", "Ê"];
        let cyrillic = |t: &str| t.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
        let mut texts: Vec<&str> = vec![&ru.title, &ru.summary];
        texts.extend(
            ru.variables
                .iter()
                .flat_map(|v| [&v.name[..], &v.description, &v.unit]),
        );
        texts.extend(
            ru.actions
                .iter()
                .flat_map(|a| [&a.name[..], &a.description]),
        );
        texts.extend(
            ru.actions
                .iter()
                .flat_map(|a| a.requires.iter().map(|r| &r.message[..])),
        );
        texts.extend(
            ru.clause_kinds
                .iter()
                .flat_map(|k| [&k.name[..], &k.description]),
        );
        texts.extend(ru.events.iter().flat_map(|e| [&e.name[..], &e.text]));
        texts.extend(
            ru.model
                .parameters
                .iter()
                .flat_map(|p| [&p.name[..], &p.unit]),
        );
        texts.extend(
            ru.model
                .presets
                .iter()
                .flat_map(|p| [&p.name[..], &p.description]),
        );
        texts.extend(ru.model.batteries.iter().map(|b| &b.name[..]));
        texts.extend(ru.map.iter().map(|m| &m.name[..]));
        texts.extend(ru.map.iter().filter_map(|m| m.label.as_deref()));
        let chat = &ru.bot_chat;
        for lines in [
            &chat.propose,
            &chat.accept,
            &chat.reject,
            &chat.counter,
            &chat.breach,
            &chat.signed,
            &chat.tension,
        ] {
            texts.extend(lines.iter().map(String::as_str));
        }
        texts.extend(
            chat.reasons
                .values()
                .flat_map(|r| [&r.better[..], &r.worse]),
        );
        texts.extend([
            &chat.cost[..],
            &chat.forgo,
            &chat.otherwise.better,
            &chat.otherwise.worse,
        ]);
        texts.extend(
            chat.events
                .iter()
                .flat_map(|e| e.lines.values().map(String::as_str)),
        );
        texts.extend(chat.phrases.all().iter().map(|(_, t)| *t));
        for t in texts {
            assert!(
                !needs_translation(t) || cyrillic(t) || kept.contains(&t),
                "not Russian: {t:?}"
            );
        }
        // Ids, numbers, sources and the fingerprint stay those of the file.
        assert_eq!(ru.fingerprint(), s.fingerprint());
        for (a, b) in s.actions.iter().zip(&ru.actions) {
            assert_eq!((&a.id, &a.source, a.budget), (&b.id, &b.source, b.budget));
        }
        for (a, b) in s.model.parameters.iter().zip(&ru.model.parameters) {
            assert_eq!((&a.source, a.value), (&b.source, b.value));
        }
    }

    #[test]
    fn a_partial_translation_falls_back_and_is_reported() {
        let src = format!(
            "{}\n[locales.de]\ntitle = \"Raketenabwehr in Europa\"\n\
             [locales.de.factions.russia]\nname = \"Russland\"\n\
             [locales.de.factions.csto]\nname = \"\"\n\
             [locales.de.actions.deveselu]\nrequires = {{ deveselu_built = \"Deveselu ist schon in Betrieb\" }}\n\
             [locales.de.bot_chat]\ncost = \"{{who}} müsste {{amount}} politisches Kapital ausgeben\"\n",
            english_only()
        );
        let s = parse(&src).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.language_codes(), ["en", "de"]);
        let missing = untranslated(&s);
        let has = |p: &str| missing.iter().any(|(l, m)| l == "de" && m == p);
        assert!(has("locales.de.summary"));
        assert!(has("locales.de.factions.us_nato.name"));
        // An empty translation is no translation.
        assert!(has("locales.de.factions.csto.name"));
        assert!(has("locales.de.actions.deveselu.name"));
        assert!(has("locales.de.actions.deveselu.description"));
        assert!(has("locales.de.bot_chat.propose"));
        assert!(has("locales.de.bot_chat.reasons.status.better"));
        assert!(has(
            "locales.de.bot_chat.events[event = \"jcpoa\"].lines.russia"
        ));
        assert!(has("locales.de.bot_chat.phrases.author"));
        assert!(!has("locales.de.title"));
        assert!(!has("locales.de.factions.russia.name"));
        assert!(!has("locales.de.actions.deveselu.requires.deveselu_built"));
        assert!(!has("locales.de.bot_chat.cost"));
        // Round labels are years: nothing to translate.
        assert!(!has("locales.de.rounds"));
        let de = s.localised("de").expect("German");
        assert_eq!(de.title, "Raketenabwehr in Europa");
        assert_eq!(de.summary, s.summary, "the summary falls back to English");
        let names: Vec<&str> = de.factions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Russland", "US/NATO", "CSTO"]);
        let deveselu = de.action("deveselu").expect("deveselu");
        assert_eq!(deveselu.name, s.action("deveselu").expect("deveselu").name);
        assert_eq!(
            deveselu.requires[0].message,
            "Deveselu ist schon in Betrieb"
        );
        assert!(de.bot_chat.cost.starts_with("{who} müsste"));
        assert_eq!(de.bot_chat.propose, s.bot_chat.propose);
        assert_eq!(de.bot_chat.phrases, s.bot_chat.phrases);
    }

    #[test]
    fn translations_of_what_does_not_exist_are_errors() {
        let src = format!(
            "{}\n[locales.de.actions.deveselo]\nname = \"Deveselu bauen\"\n\
             [locales.de.actions.redzikowo]\nrequires = {{ tension = \"zu angespannt\" }}\n\
             [locales.de.events.ukraine]\nname = \"Ukraine\"\n\
             [locales.de.model.presets.realistic]\nname = \"Realistisch\"\n\
             [locales.de.map.warsaw]\nname = \"Warschau\"\n\
             [locales.de.bot_chat.reasons.statuss]\nbetter = \"{{who}} gewinnt\"\n\
             [[locales.de.bot_chat.events]]\nevent = \"jcpoa\"\nlines = {{ us_nato = \"Gut.\", nato = \"Gut.\" }}\n\
             [[locales.de.bot_chat.events]]\nevent = \"no_such_event\"\nlines = {{ russia = \"Nein.\" }}\n",
            english_only()
        );
        let errs = errors(&src);
        assert_error(
            &errs,
            "locales.de.actions.deveselo",
            "no action \"deveselo\" to translate — did you mean \"deveselu\"?",
        );
        assert_error(
            &errs,
            "locales.de.actions.redzikowo.requires.tension",
            "has no requirement on \"tension\"",
        );
        assert_error(&errs, "locales.de.events.ukraine", "no event \"ukraine\"");
        assert_error(
            &errs,
            "locales.de.model.presets.realistic",
            "no model preset \"realistic\"",
        );
        assert_error(&errs, "locales.de.map.warsaw", "no map feature \"warsaw\"");
        assert_error(
            &errs,
            "locales.de.bot_chat.reasons.statuss",
            "did you mean \"status\"?",
        );
        assert_error(
            &errs,
            "locales.de.bot_chat.events[0].lines.nato",
            "no line for faction \"nato\"",
        );
        assert_error(
            &errs,
            "locales.de.bot_chat.events[1].event",
            "no lines for event \"no_such_event\"",
        );
        assert_eq!(errs.len(), 8, "{errs:?}");
    }

    #[test]
    fn bot_lines_keep_their_placeholders() {
        let src = format!(
            "{}\n[locales.de.bot_chat]\n\
             accept = [\"{{faction}} nimmt an: {{reason}}.\", \"Einverstanden: {{reason}} und {{tension}}.\"]\n\
             reject = [\"Nein.\"]\n\
             cost = \"zu teuer\"\n\
             otherwise = {{ better = \"ein Schritt für {{who}}\" }}\n\
             [locales.de.bot_chat.reasons.status]\nbetter = \"Russland steigt ({{after}} statt {{before}})\"\n\
             [locales.de.bot_chat.phrases]\nauthor = \"Bot\"\ntransfer = \"{{amount}} an {{to}}\"\n",
            english_only()
        );
        let errs = errors(&src);
        assert_error(
            &errs,
            "locales.de.bot_chat.accept[0]",
            "it has {faction}, {reason}, {title}, the translation {faction}, {reason}",
        );
        assert_error(
            &errs,
            "locales.de.bot_chat.accept[1]",
            "the translation {reason}, {tension}",
        );
        assert_error(
            &errs,
            "locales.de.bot_chat.reject",
            "1 variants; [bot_chat] has 2",
        );
        assert_error(
            &errs,
            "locales.de.bot_chat.cost",
            "it has {amount}, {who}, the translation none",
        );
        assert_error(
            &errs,
            "locales.de.bot_chat.phrases.author",
            "it has {faction}, the translation none",
        );
        assert_eq!(errs.len(), 5, "{errs:?}");
    }

    #[test]
    fn locale_blocks_refuse_unknown_keys_and_bad_codes() {
        let typo = format!(
            "{}\n[locales.de.actions.deveselu]\nnmae = \"Deveselu bauen\"\n",
            english_only()
        );
        let errs = errors(&typo);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].path, "locales.de.actions.deveselu.nmae");
        assert!(
            errs[0].message.contains("did you mean \"name\""),
            "{}",
            errs[0].message
        );
        // Numbers stay in [bot_chat]; a locale has no `source`.
        for extra in [
            "[locales.de.bot_chat]\ntension_warning_margin = 10.0\n",
            "[locales.de.variables.tension]\nsource = \"Quelle\"\n",
        ] {
            let errs = errors(&format!("{}\n{extra}", english_only()));
            assert_eq!(errs.len(), 1, "{errs:?}");
            assert!(errs[0].message.contains("unknown field"), "{errs:?}");
        }
        let errs = errors(&format!(
            "{}\n[locales.DE]\ntitle = \"x\"\n",
            english_only()
        ));
        assert_error(&errs, "locales.DE", "is not a language code");
        let errs = errors(&format!(
            "{}\n[locales.en]\ntitle = \"x\"\n",
            english_only()
        ));
        assert_error(&errs, "locales.en", "the scenario's own language");
        let errs = errors(&format!(
            "{}\n[locales.de]\nrounds = [\"eins\"]\n",
            english_only()
        ));
        assert_error(&errs, "locales.de.rounds", "1 labels for 8 rounds");
        let errs =
            errors(&english_only().replacen("language = \"en\"", "language = \"English\"", 1));
        assert_error(&errs, "language", "is not a language code");
    }

    #[test]
    fn language_codes() {
        for ok in ["en", "ru", "kk", "pt-br", "zh-hant", "de-1996"] {
            assert!(is_language_code(ok), "{ok}");
        }
        for bad in ["", "e", "EN", "ru_RU", "ru-", "-ru", "русский", "abcdefghi"] {
            assert!(!is_language_code(bad), "{bad}");
        }
    }

    #[test]
    fn a_scenario_in_another_language_is_built_once() {
        let s = std::sync::Arc::new(parse(built_in_src()).unwrap_or_else(|e| panic!("{e:?}")));
        let a = s.in_language("ru").expect("ru");
        let b = s.in_language("ru").expect("ru");
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        assert!(std::sync::Arc::ptr_eq(
            &s.in_language("en").expect("en"),
            &s
        ));
        assert!(s.in_language("de").is_none());
    }
}
