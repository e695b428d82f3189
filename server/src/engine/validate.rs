//! Scenario validation: the checks behind `detente scenario check FILE`, also run whenever a
//! scenario is loaded.
//!
//! Parsing already refuses unknown keys and wrong types; this module turns those failures into
//! messages that name the failing field (`actions[4].effects[1]`) and its line, and then checks
//! what types cannot: that every id is well formed and unique, that every cross-reference
//! resolves, that the model finds every variable and parameter it reads, and that the numbers are
//! usable (finite, in range, consistent). Every problem is collected, not just the first, so an
//! author can fix a file in one pass. Nothing here may panic: the input is whatever an author
//! (or an attacker uploading a scenario) wrote.

use super::bots::placeholders;
use super::model::{objective_reads, param_range, OBJECTIVES, REQUIRED_PARAMS, REQUIRED_VARS};
use super::scenario::{ClauseForm, ClauseKind, Effect, EventEffect, EventKind, Scenario, Variable};
use super::FactionId;
use std::collections::HashMap;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {path}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub path: String,
    pub message: String,
}

/// Path used for problems that concern the whole document (e.g. a TOML syntax error before any
/// field could be read).
const TOP_LEVEL: &str = "(top level)";

/// Map feature kinds the clients know how to draw (see `MapFeature::kind`).
const MAP_KINDS: &[&str] = &[
    "site",
    "radar",
    "ship",
    "missile",
    "member",
    "infrastructure",
];

/// Parses and checks a scenario. `file` is only used in messages.
pub fn parse_and_validate(file: &str, src: &str) -> Result<Scenario, Vec<ScenarioError>> {
    let mut scn: Scenario = match serde_path_to_error::deserialize(toml::Deserializer::new(src)) {
        Ok(s) => s,
        Err(e) => return Err(vec![parse_error(file, src, e)]),
    };
    let errs = validate(file, &scn);
    if errs.is_empty() {
        // Look-up tables are only sound once ids are known to be unique.
        scn.prepare();
        Ok(scn)
    } else {
        Err(errs)
    }
}

/// Checks an already parsed scenario; returns every problem found (not just the first).
pub fn validate(file: &str, scn: &Scenario) -> Vec<ScenarioError> {
    let mut v = Validator {
        file,
        errs: Vec::new(),
    };
    v.run(scn);
    v.errs
}

// ---------------------------------------------------------------------------------------------
// Parse errors
// ---------------------------------------------------------------------------------------------

fn parse_error(
    file: &str,
    src: &str,
    e: serde_path_to_error::Error<toml::de::Error>,
) -> ScenarioError {
    let path = e.path().to_string();
    let inner = e.inner();
    let mut message = improve_serde_message(inner.message());
    let mut path = if path == "." || path.is_empty() {
        TOP_LEVEL.to_owned()
    } else {
        path
    };
    // Untagged enums (event effects) only say "did not match any variant", which hides the
    // real typo. Look at the offending value again and explain it in terms of the form the
    // author evidently meant.
    if message.contains("untagged enum EventEffect") {
        if let Some((sub, msg)) = explain_event_effect(src, e.path()) {
            if !sub.is_empty() {
                path = format!("{path}.{sub}");
            }
            message = msg;
        }
    }
    if let Some(span) = inner.span() {
        let (line, col) = line_col(src, span.start);
        message = format!("{message} (line {line}, column {col})");
    }
    ScenarioError {
        file: file.to_owned(),
        path,
        message,
    }
}

/// 1-based line and column (in characters) of a byte offset. Offsets past the end or inside a
/// character are tolerated: we count the characters that start before it.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for (i, c) in src.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// Names between backticks, in order: serde writes `unknown field `x`, expected one of `a`, `b``
/// and the same for variants, so the first is what the author wrote and the rest the choices.
fn backticked(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

/// Rewrites serde's "unknown field/variant" messages with a did-you-mean when a known name is
/// close; other messages are returned unchanged.
fn improve_serde_message(msg: &str) -> String {
    // toml's syntax errors span several lines; one problem per line reads better in a terminal.
    let msg = msg.trim().replace('\n', "; ");
    let msg = msg.as_str();
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return format!("missing required field \"{}\"", rest.trim_matches('`'));
    }
    let what = if msg.starts_with("unknown field") {
        "field"
    } else if msg.starts_with("unknown variant") {
        "value"
    } else {
        return msg.to_owned();
    };
    let names = backticked(msg);
    let Some((&given, expected)) = names.split_first() else {
        return msg.to_owned();
    };
    match suggest(given, expected.iter().copied()) {
        Some(s) => format!("unknown {what} \"{given}\" — did you mean \"{s}\"?"),
        None if expected.is_empty() => format!("unknown {what} \"{given}\" (none allowed here)"),
        None => format!(
            "unknown {what} \"{given}\"; expected one of: {}",
            expected.join(", ")
        ),
    }
}

/// Re-reads the event effect at `path` as a plain TOML value and deserializes it as the form its
/// keys point to, returning the sub-path and message of the real problem.
fn explain_event_effect(src: &str, path: &serde_path_to_error::Path) -> Option<(String, String)> {
    use serde_path_to_error::Segment;
    let root: toml::Value = src.parse::<toml::Table>().ok().map(toml::Value::Table)?;
    let mut cur = &root;
    for seg in path.iter() {
        cur = match seg {
            Segment::Map { key } => cur.get(key.as_str())?,
            Segment::Seq { index } => cur.get(*index)?,
            _ => return None,
        };
    }
    let forms = "an event effect is one of { var = \"…\", delta = … }, { var = \"…\", set = … }, \
                 { reveal = \"faction\" }, { delay_builds = \"faction\", rounds = … }, \
                 { ratification = … }";
    let Some(table) = cur.as_table() else {
        return Some((String::new(), format!("expected a table; {forms}")));
    };
    let value = cur.clone();
    let res = if table.contains_key("var") {
        try_form::<Effect>(value)
    } else if table.contains_key("reveal") {
        try_form::<RevealForm>(value)
    } else if table.contains_key("delay_builds") {
        try_form::<DelayForm>(value)
    } else if table.contains_key("ratification") {
        try_form::<RatificationForm>(value)
    } else {
        // No key names a form: the likeliest cause is a misspelt first key.
        let known = ["var", "reveal", "delay_builds", "ratification"];
        let typo = table
            .keys()
            .find_map(|k| suggest(k, known).map(|s| (k.clone(), s)));
        return Some(match typo {
            Some((k, s)) => (
                k.clone(),
                format!("unknown field \"{k}\" — did you mean \"{s}\"? ({forms})"),
            ),
            None => (String::new(), forms.to_owned()),
        });
    };
    match res {
        Ok(()) => None,
        Err(e) => {
            let sub = e.path().to_string();
            let sub = if sub == "." { String::new() } else { sub };
            Some((sub, improve_serde_message(e.inner().message())))
        }
    }
}

fn try_form<T: serde::de::DeserializeOwned>(
    v: toml::Value,
) -> Result<(), serde_path_to_error::Error<toml::de::Error>> {
    serde_path_to_error::deserialize::<_, T>(v).map(|_| ())
}

// Mirrors of the struct-like `EventEffect` variants, used only to explain parse failures.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RevealForm {
    reveal: FactionId,
}
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DelayForm {
    delay_builds: FactionId,
    rounds: u32,
}
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RatificationForm {
    ratification: f64,
}

// ---------------------------------------------------------------------------------------------
// Did you mean
// ---------------------------------------------------------------------------------------------

/// " — did you mean \"x\"?" when a candidate is close to `given`, else nothing.
pub(super) fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    suggest(given, candidates)
        .map(|s| format!(" — did you mean \"{s}\"?"))
        .unwrap_or_default()
}

/// The closest candidate to `given`, if it is close enough to be a plausible typo. Damerau
/// distance catches transpositions ("tenison"); Jaro–Winkler catches long names with a shared
/// prefix and a different ending.
fn suggest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Pathologically long input would make the quadratic distance slow for no benefit.
    if given.len() > 200 {
        return None;
    }
    let max_edits = (given.chars().count() / 3).max(1);
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        if c == given || c.len() > 200 {
            continue;
        }
        let edits = strsim::damerau_levenshtein(given, c);
        let jw = strsim::jaro_winkler(given, c);
        let long_enough = given.chars().count() >= 4;
        // A truncated long id ("iskander" for "iskander_kaliningrad") is also a likely slip.
        let prefix = long_enough && (c.starts_with(given) || given.starts_with(c));
        let close = edits <= max_edits || prefix || (jw >= 0.9 && long_enough);
        let better = match best {
            Some((_, b)) => jw > b,
            None => true,
        };
        if close && better {
            best = Some((c, jw));
        }
    }
    best.map(|(c, _)| c)
}

// ---------------------------------------------------------------------------------------------
// Semantic checks
// ---------------------------------------------------------------------------------------------

/// The ids of one namespace (factions, variables, …), with the label used in messages.
struct Ids<'a> {
    what: &'static str,
    list: Vec<&'a str>,
}

impl<'a> Ids<'a> {
    fn new(what: &'static str, list: impl IntoIterator<Item = &'a str>) -> Self {
        Ids {
            what,
            list: list.into_iter().collect(),
        }
    }
    fn contains(&self, id: &str) -> bool {
        self.list.contains(&id)
    }
}

struct Validator<'f> {
    file: &'f str,
    errs: Vec<ScenarioError>,
}

impl Validator<'_> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errs.push(ScenarioError {
            file: self.file.to_owned(),
            path: path.into(),
            message: message.into(),
        });
    }

    /// Ids are used in URLs, commands and formulas, so they are kept to a safe alphabet.
    fn id(&mut self, path: &str, what: &str, id: &str) {
        if id.is_empty() {
            self.err(path, format!("{what} id must not be empty"));
        } else if !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            self.err(
                path,
                format!(
                    "{what} id \"{id}\" may only contain lowercase letters a-z, digits and \"_\""
                ),
            );
        }
    }

    /// Checks ids of one namespace for form and uniqueness; `items` yields (path, id).
    fn unique<'a>(&mut self, what: &str, items: impl IntoIterator<Item = (String, &'a str)>) {
        let mut seen: HashMap<&str, String> = HashMap::new();
        for (path, id) in items {
            self.id(&path, what, id);
            if let Some(first) = seen.get(id) {
                let msg = format!("duplicate {what} id \"{id}\" (first defined at {first})");
                self.err(path, msg);
            } else {
                seen.insert(id, path);
            }
        }
    }

    fn name(&mut self, path: &str, name: &str) {
        if name.trim().is_empty() {
            self.err(format!("{path}.name"), "name must not be empty");
        }
    }

    /// Reports `id` if it is not in `ids`, suggesting a close one.
    fn reference(&mut self, path: impl Into<String>, id: &str, ids: &Ids) -> bool {
        if ids.contains(id) {
            return true;
        }
        let mut msg = format!("unknown {} \"{id}\"", ids.what);
        if let Some(s) = suggest(id, ids.list.iter().copied()) {
            msg.push_str(&format!(" — did you mean \"{s}\"?"));
        } else if ids.list.is_empty() {
            msg.push_str(" (none is defined)");
        } else if ids.list.len() <= 8 {
            msg.push_str(&format!(" (defined: {})", ids.list.join(", ")));
        }
        self.err(path, msg);
        false
    }

    fn finite(&mut self, path: impl Into<String>, x: f64) -> bool {
        if x.is_finite() {
            true
        } else {
            self.err(path, format!("must be a finite number, not {x}"));
            false
        }
    }

    fn non_negative(&mut self, path: impl Into<String>, x: f64) {
        let path = path.into();
        if self.finite(path.clone(), x) && x < 0.0 {
            self.err(path, format!("must be at least 0, not {x}"));
        }
    }

    fn probability(&mut self, path: impl Into<String>, x: f64) {
        let path = path.into();
        if self.finite(path.clone(), x) && !(0.0..=1.0).contains(&x) {
            self.err(
                path,
                format!("is a probability and must be within [0, 1], not {x}"),
            );
        }
    }

    fn source(&mut self, path: &str, source: &str) {
        if source.trim().is_empty() {
            self.err(
                format!("{path}.source"),
                "must say where the number comes from (a publication, or \"design default\")",
            );
        }
    }

    fn run(&mut self, scn: &Scenario) {
        // Namespaces, collected first so that every later check can resolve references.
        let factions = Ids::new("faction", scn.factions.iter().map(|f| f.id.as_str()));
        let vars = Ids::new(
            "state variable",
            scn.variables.iter().map(|v| v.id.as_str()),
        );
        let actions = Ids::new("action", scn.actions.iter().map(|a| a.id.as_str()));
        let params = Ids::new(
            "model parameter",
            scn.model.parameters.iter().map(|p| p.id.as_str()),
        );
        let presets = Ids::new(
            "model preset",
            scn.model.presets.iter().map(|p| p.id.as_str()),
        );
        let objectives = Ids::new("objective", OBJECTIVES.iter().copied());
        let kinds = Ids::new("map feature kind", MAP_KINDS.iter().copied());
        // First definition wins, as in `Scenario::var_index`.
        let mut var_defs: HashMap<&str, &Variable> = HashMap::new();
        for v in &scn.variables {
            var_defs.entry(v.id.as_str()).or_insert(v);
        }
        let cx = Cx {
            factions: &factions,
            vars: &vars,
            var_defs: &var_defs,
        };

        self.header(scn);
        self.factions(scn);
        self.resources(scn, &factions);
        self.variables(scn, &factions);
        self.actions(scn, &cx);
        self.clause_kinds(scn, &cx, &actions);
        self.events(scn, &cx);
        self.model(scn, &cx, &params, &presets);
        self.scoring(scn, &factions, &objectives);
        self.map(scn, &cx, &kinds);
        self.bot_chat(scn, &cx, &objectives);
        self.languages(scn);
    }

    /// The file's language and its translations (`[locales.*]`): a translation may only
    /// translate what the scenario has, and a bot's line must keep the original's placeholders.
    /// What a locale leaves untranslated is no error ([`super::locale::untranslated`]).
    fn languages(&mut self, scn: &Scenario) {
        if !super::locale::is_language_code(&scn.language) {
            self.err(
                "language",
                format!(
                    "\"{}\" is not a language code: lowercase letters (\"en\", \"ru\"), optionally \
                     followed by \"-\" and a region (\"pt-br\")",
                    scn.language
                ),
            );
        }
        for (path, message) in super::locale::check(scn) {
            self.err(path, message);
        }
    }

    /// The bots' lines: only placeholders the engine fills, events and factions that exist,
    /// and no reading said aloud for an objective that a private variable feeds.
    fn bot_chat(&mut self, scn: &Scenario, cx: &Cx, objectives: &Ids) {
        let chat = &scn.bot_chat;
        let lines: [(&str, &Vec<String>, &[&str]); 7] = [
            (
                "propose",
                &chat.propose,
                &["faction", "to", "title", "terms", "reason"],
            ),
            (
                "accept",
                &chat.accept,
                &["faction", "to", "title", "reason"],
            ),
            (
                "reject",
                &chat.reject,
                &["faction", "to", "title", "reason"],
            ),
            (
                "counter",
                &chat.counter,
                &["faction", "to", "title", "terms", "reason"],
            ),
            ("breach", &chat.breach, &["faction", "breaker", "title"]),
            ("signed", &chat.signed, &["faction", "title", "parties"]),
            (
                "tension",
                &chat.tension,
                &["faction", "tension", "threshold"],
            ),
        ];
        for (name, variants, allowed) in lines {
            for (i, text) in variants.iter().enumerate() {
                self.template(&format!("bot_chat.{name}[{i}]"), text, allowed);
            }
        }
        if !chat.cost.is_empty() {
            self.template("bot_chat.cost", &chat.cost, &["who", "amount"]);
        }
        if !chat.forgo.is_empty() {
            self.template("bot_chat.forgo", &chat.forgo, &["who", "action"]);
        }
        for (k, text) in [
            ("better", &chat.otherwise.better),
            ("worse", &chat.otherwise.worse),
        ] {
            if !text.is_empty() {
                self.template(&format!("bot_chat.otherwise.{k}"), text, &["who"]);
            }
        }
        if self.finite(
            "bot_chat.tension_warning_margin",
            chat.tension_warning_margin,
        ) && chat.tension_warning_margin < 0.0
        {
            self.err("bot_chat.tension_warning_margin", "must be at least 0");
        }
        for (id, r) in &chat.reasons {
            let p = format!("bot_chat.reasons.{id}");
            if !self.reference(p.clone(), id, objectives) {
                continue;
            }
            // An objective that reads a private variable is said without numbers: its value
            // would tell the others what the bot's faction keeps secret.
            let secret = objective_reads(scn, id).iter().any(|v| {
                cx.var_defs
                    .get(v.as_str())
                    .is_some_and(|d| d.visibility == super::scenario::Visibility::Owner)
            });
            let allowed: &[&str] = if secret {
                &["who"]
            } else {
                &["who", "before", "after"]
            };
            for (k, text) in [("better", &r.better), ("worse", &r.worse)] {
                let path = format!("{p}.{k}");
                if secret
                    && placeholders(text)
                        .iter()
                        .any(|x| *x == "before" || *x == "after")
                {
                    self.err(
                        path,
                        format!(
                            "objective \"{id}\" reads a private variable, so a bot may not say its \
                             value: remove {{before}} and {{after}}"
                        ),
                    );
                    continue;
                }
                self.template(&path, text, allowed);
            }
        }
        for (name, text) in chat.phrases.all() {
            self.template(
                &format!("bot_chat.phrases.{name}"),
                text,
                super::scenario::Phrases::allowed(name),
            );
        }
        let events = Ids::new("event", scn.events.iter().map(|e| e.id.as_str()));
        for (i, e) in chat.events.iter().enumerate() {
            let p = format!("bot_chat.events[{i}]");
            self.reference(format!("{p}.event"), e.event.as_str(), &events);
            for (f, text) in &e.lines {
                let lp = format!("{p}.lines.{f}");
                self.reference(lp.clone(), f.as_str(), cx.factions);
                self.template(&lp, text, &["faction"]);
            }
        }
    }

    fn template(&mut self, path: &str, text: &str, allowed: &[&str]) {
        if text.trim().is_empty() {
            self.err(path, "is empty");
        }
        for name in placeholders(text) {
            if allowed.is_empty() {
                self.err(
                    path,
                    format!("unknown placeholder {{{name}}}; this line takes none"),
                );
            } else if !allowed.contains(&name) {
                self.err(
                    path,
                    format!(
                        "unknown placeholder {{{name}}}; this line can use {}",
                        allowed
                            .iter()
                            .map(|a| format!("{{{a}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }

    fn header(&mut self, scn: &Scenario) {
        // The scenario id names a file and a URL, where hyphens are customary
        // ("missile-defence-2013"), so it alone may contain them.
        if scn.id.is_empty() {
            self.err("id", "scenario id must not be empty");
        } else if !scn
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            self.err(
                "id",
                format!(
                    "scenario id \"{}\" may only contain lowercase letters a-z, digits, \"_\" and \"-\"",
                    scn.id
                ),
            );
        }
        if scn.title.trim().is_empty() {
            self.err("title", "title must not be empty");
        }
        if scn.factions.is_empty() {
            self.err("factions", "at least one faction is needed");
        }
        if scn.rounds.is_empty() {
            self.err("rounds", "at least one round is needed");
        }
        for (i, r) in scn.rounds.iter().enumerate() {
            if r.label.trim().is_empty() {
                self.err(format!("rounds[{i}].label"), "label must not be empty");
            }
        }
        if self.finite("crisis_threshold", scn.crisis_threshold) {
            if let Some(t) = scn.variables.iter().find(|v| v.id.as_str() == "tension") {
                let ct = scn.crisis_threshold;
                if t.min.is_finite() && t.max.is_finite() && !(t.min..=t.max).contains(&ct) {
                    self.err(
                        "crisis_threshold",
                        format!(
                            "{ct} is outside the bounds of state variable \"tension\" [{}, {}], so \
                             a crisis could never be declared",
                            t.min, t.max
                        ),
                    );
                } else if t.initial.is_finite() && ct <= t.initial {
                    self.err(
                        "crisis_threshold",
                        format!(
                            "{ct} is not above the initial tension {}: the game would open in \
                             crisis",
                            t.initial
                        ),
                    );
                }
            }
            // A missing "tension" is reported with the other required variables.
        }
    }

    fn factions(&mut self, scn: &Scenario) {
        self.unique(
            "faction",
            scn.factions
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("factions[{i}].id"), f.id.as_str())),
        );
        for (i, f) in scn.factions.iter().enumerate() {
            let p = format!("factions[{i}]");
            self.name(&p, &f.name);
            if f.colour.trim().is_empty() {
                self.err(format!("{p}.colour"), "colour must not be empty");
            }
            // A seat nobody may take would make the game unplayable.
            if f.team_size == 0 {
                self.err(format!("{p}.team_size"), "team_size must be at least 1");
            }
        }
    }

    fn resources(&mut self, scn: &Scenario, factions: &Ids) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, r) in scn.resources.iter().enumerate() {
            let p = format!("resources[{i}]");
            let f = r.faction.as_str();
            if self.reference(format!("{p}.faction"), f, factions) {
                if let Some(first) = seen.get(f) {
                    self.err(
                        format!("{p}.faction"),
                        format!(
                            "faction \"{f}\" already has a resources entry (resources[{first}])"
                        ),
                    );
                } else {
                    seen.insert(f, i);
                }
            }
            let nums = [
                ("budget_initial", r.budget_initial),
                ("budget_per_round", r.budget_per_round),
                ("budget_max", r.budget_max),
                ("capital_initial", r.capital_initial),
                ("capital_per_round", r.capital_per_round),
                ("capital_max", r.capital_max),
            ];
            for (k, x) in nums {
                self.non_negative(format!("{p}.{k}"), x);
            }
            for (init, init_v, max, max_v) in [
                (
                    "budget_initial",
                    r.budget_initial,
                    "budget_max",
                    r.budget_max,
                ),
                (
                    "capital_initial",
                    r.capital_initial,
                    "capital_max",
                    r.capital_max,
                ),
            ] {
                if init_v.is_finite() && max_v.is_finite() && init_v > max_v {
                    self.err(
                        format!("{p}.{init}"),
                        format!("{init} {init_v} exceeds {max} {max_v}"),
                    );
                }
            }
        }
        for f in &scn.factions {
            let id = f.id.as_str();
            if !seen.contains_key(id) && factions.contains(id) {
                self.err(
                    "resources",
                    format!("faction \"{id}\" has no resources entry"),
                );
            }
        }
    }

    fn variables(&mut self, scn: &Scenario, factions: &Ids) {
        self.unique(
            "state variable",
            scn.variables
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("variables[{i}].id"), v.id.as_str())),
        );
        for (i, v) in scn.variables.iter().enumerate() {
            let p = format!("variables[{i}]");
            self.name(&p, &v.name);
            let ok = [("min", v.min), ("max", v.max), ("initial", v.initial)]
                .into_iter()
                .fold(true, |ok, (k, x)| self.finite(format!("{p}.{k}"), x) && ok);
            if ok {
                if v.min > v.max {
                    self.err(
                        format!("{p}.min"),
                        format!("min {} is greater than max {}", v.min, v.max),
                    );
                } else if !(v.min..=v.max).contains(&v.initial) {
                    self.err(
                        format!("{p}.initial"),
                        format!(
                            "initial value {} is outside [min, max] = [{}, {}]",
                            v.initial, v.min, v.max
                        ),
                    );
                }
            }
            if let Some(o) = &v.owner {
                self.reference(format!("{p}.owner"), o.as_str(), factions);
            }
            self.source(&p, &v.source);
        }
        for r in REQUIRED_VARS {
            if !scn.variables.iter().any(|v| v.id.as_str() == *r) {
                self.err(
                    "variables",
                    format!("required state variable \"{r}\" is not defined (the model reads it)"),
                );
            }
        }
    }

    fn actions(&mut self, scn: &Scenario, cx: &Cx) {
        self.unique(
            "action",
            scn.actions
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("actions[{i}].id"), a.id.as_str())),
        );
        for (i, a) in scn.actions.iter().enumerate() {
            let p = format!("actions[{i}]");
            self.name(&p, &a.name);
            self.reference(format!("{p}.owner"), a.owner.as_str(), cx.factions);
            self.non_negative(format!("{p}.budget"), a.budget);
            self.non_negative(format!("{p}.capital"), a.capital);
            if a.max_per_round == 0 {
                self.err(
                    format!("{p}.max_per_round"),
                    "max_per_round must be at least 1 (an action nobody may order is dead weight)",
                );
            }
            if a.build_rounds as usize > scn.rounds.len() {
                self.err(
                    format!("{p}.build_rounds"),
                    format!(
                        "build_rounds must be at most the number of rounds ({}), not {}",
                        scn.rounds.len(),
                        a.build_rounds
                    ),
                );
            }
            for (j, r) in a.requires.iter().enumerate() {
                let rp = format!("{p}.requires[{j}]");
                self.reference(format!("{rp}.var"), r.var.as_str(), cx.vars);
                // Written as matches rather than `is_none_or`, which is newer than the workspace's MSRV.
                let min_ok = match r.min {
                    Some(x) => self.finite(format!("{rp}.min"), x),
                    None => true,
                };
                let max_ok = match r.max {
                    Some(x) => self.finite(format!("{rp}.max"), x),
                    None => true,
                };
                match (r.min, r.max) {
                    (None, None) => {
                        self.err(&rp, "a requirement needs `min`, `max` or both");
                    }
                    (Some(lo), Some(hi)) if min_ok && max_ok && lo > hi => {
                        self.err(
                            format!("{rp}.min"),
                            format!("min {lo} is greater than max {hi}: it can never hold"),
                        );
                    }
                    _ => {}
                }
            }
            for (j, e) in a.effects.iter().enumerate() {
                self.effect(&format!("{p}.effects[{j}]"), e, cx);
            }
        }
    }

    /// A change to one variable: exactly one of delta/set, finite, and a `set` the variable can
    /// actually hold (the engine would otherwise clamp it silently).
    fn effect(&mut self, p: &str, e: &Effect, cx: &Cx) {
        let known = self.reference(format!("{p}.var"), e.var.as_str(), cx.vars);
        match (e.delta, e.set) {
            (Some(_), Some(_)) => {
                self.err(
                    p,
                    "an effect has exactly one of `delta` and `set`, not both",
                );
            }
            (None, None) => self.err(p, "an effect needs `delta` or `set`"),
            (Some(d), None) => {
                self.finite(format!("{p}.delta"), d);
            }
            (None, Some(s)) => {
                if self.finite(format!("{p}.set"), s) && known {
                    if let Some(v) = cx.var_defs.get(e.var.as_str()) {
                        if v.min <= v.max && !(v.min..=v.max).contains(&s) {
                            self.err(
                                format!("{p}.set"),
                                format!(
                                    "{s} is outside the bounds of state variable \"{}\" [{}, {}]",
                                    v.id, v.min, v.max
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    fn clause_kinds(&mut self, scn: &Scenario, cx: &Cx, actions: &Ids) {
        self.unique(
            "clause kind",
            scn.clause_kinds
                .iter()
                .enumerate()
                .map(|(i, k)| (format!("clause_kinds[{i}].id"), k.id.as_str())),
        );
        for (i, k) in scn.clause_kinds.iter().enumerate() {
            let p = format!("clause_kinds[{i}]");
            self.name(&p, &k.name);
            for (j, a) in k.actions.iter().enumerate() {
                self.reference(format!("{p}.actions[{j}]"), a.as_str(), actions);
            }
            for (j, v) in k.vars.iter().enumerate() {
                self.reference(format!("{p}.vars[{j}]"), v.as_str(), cx.vars);
            }
            for (j, f) in k.givers.iter().enumerate() {
                self.reference(format!("{p}.givers[{j}]"), f.as_str(), cx.factions);
            }
            for (j, f) in k.parties.iter().enumerate() {
                self.reference(format!("{p}.parties[{j}]"), f.as_str(), cx.factions);
            }
            self.clause_parties(scn, &p, k);
            self.non_negative(format!("{p}.capital_cost"), k.capital_cost);
            if let Some(r) = k.ratification {
                self.probability(format!("{p}.ratification"), r);
            }
            for (j, e) in k.effects_per_round.iter().enumerate() {
                self.effect(&format!("{p}.effects_per_round[{j}]"), e, cx);
            }

            // What each form reads; a field the form ignores is refused for the same reason
            // unknown keys are: the author meant something by it.
            let form = form_name(k.form);
            let provides_needed = matches!(
                k.form,
                ClauseForm::Guarantee | ClauseForm::Transparency | ClauseForm::Cooperation
            );
            // An inspections-only transparency clause works through breach detection alone,
            // so it may provide nothing; without inspections it must provide something.
            let provides_optional = k.form == ClauseForm::Transparency && k.inspections;
            match (&k.provides, provides_needed) {
                (None, true) if provides_optional => {}
                (None, true) if k.form == ClauseForm::Transparency => self.err(
                    format!("{p}.provides"),
                    "a transparency clause kind must name the state variable it `provides` \
                     (set to 1 while the agreement is in force) or set `inspections = true`",
                ),
                (None, true) => self.err(
                    format!("{p}.provides"),
                    format!(
                        "a {form} clause kind must name the state variable it `provides` \
                         (set to 1 while the agreement is in force)"
                    ),
                ),
                (Some(_), false) => self.err(
                    format!("{p}.provides"),
                    format!("a {form} clause kind provides nothing; remove `provides`"),
                ),
                (Some(v), true) => {
                    if self.reference(format!("{p}.provides"), v.as_str(), cx.vars) {
                        if let Some(d) = cx.var_defs.get(v.as_str()) {
                            if !(d.min..=d.max).contains(&1.0) {
                                self.err(
                                    format!("{p}.provides"),
                                    format!(
                                        "state variable \"{v}\" is set to 1 while the agreement \
                                         is in force, but its bounds are [{}, {}]",
                                        d.min, d.max
                                    ),
                                );
                            }
                        }
                    }
                }
                (None, false) => {}
            }
            if !k.actions.is_empty() && k.form != ClauseForm::Forbid {
                self.err(
                    format!("{p}.actions"),
                    format!("only forbid clause kinds name actions, not {form}"),
                );
            }
            if !k.vars.is_empty() && k.form != ClauseForm::Cap {
                self.err(
                    format!("{p}.vars"),
                    format!("only cap clause kinds name variables to cap, not {form}"),
                );
            }
            if k.inspections && k.form != ClauseForm::Transparency {
                self.err(
                    format!("{p}.inspections"),
                    format!("only transparency clause kinds can carry inspections, not {form}"),
                );
            }
        }
    }

    /// A clause binds its bound party, who is always a party. What it restricts must belong
    /// to the factions that may be bound by it, and an institution of two factions must name
    /// both as parties.
    fn clause_parties(&mut self, scn: &Scenario, p: &str, k: &ClauseKind) {
        if !k.givers.is_empty() {
            for (j, a) in k.actions.iter().enumerate() {
                if let Some(action) = scn.action(a.as_str()) {
                    if !k.givers.contains(&action.owner) {
                        self.err(
                            format!("{p}.actions[{j}]"),
                            format!(
                                "\"{a}\" is an action of \"{}\", who cannot give this clause \
                                 (givers: {}); a clause restricts only its bound party",
                                action.owner,
                                ids_list(&k.givers)
                            ),
                        );
                    }
                }
            }
            for (j, v) in k.vars.iter().enumerate() {
                let owner = scn
                    .var_index(v.as_str())
                    .and_then(|i| scn.variables[i].owner.as_ref());
                if let Some(owner) = owner.filter(|o| !k.givers.contains(o)) {
                    self.err(
                        format!("{p}.vars[{j}]"),
                        format!(
                            "\"{v}\" belongs to \"{owner}\", who cannot give this clause \
                             (givers: {}); a clause restricts only its bound party",
                            ids_list(&k.givers)
                        ),
                    );
                }
            }
            if k.parties.len() > 1 && !k.givers.iter().any(|g| k.parties.contains(g)) {
                self.err(
                    format!("{p}.givers"),
                    format!(
                        "no giver ({}) is among the parties the clause needs ({}), so no \
                         proposal could hold it",
                        ids_list(&k.givers),
                        ids_list(&k.parties)
                    ),
                );
            }
        }
        if k.form == ClauseForm::Cooperation && k.parties.len() < 2 {
            self.err(
                format!("{p}.parties"),
                "a cooperation clause is an institution of several factions: name at least two \
                 `parties`, so that only they can sign it",
            );
        }
        if let Some(owner) = k
            .provides
            .as_ref()
            .and_then(|v| scn.var_index(v.as_str()))
            .and_then(|i| scn.variables[i].owner.as_ref())
        {
            if !k.givers.contains(owner) && !k.parties.contains(owner) {
                self.err(
                    format!("{p}.provides"),
                    format!(
                        "provides \"{}\", which belongs to \"{owner}\"; add \"{owner}\" to \
                         `givers` or `parties`, so that no agreement provides it without them",
                        k.provides.as_ref().map(|v| v.as_str()).unwrap_or_default()
                    ),
                );
            }
        }
    }

    fn events(&mut self, scn: &Scenario, cx: &Cx) {
        self.unique(
            "event",
            scn.events
                .iter()
                .enumerate()
                .map(|(i, e)| (format!("events[{i}].id"), e.id.as_str())),
        );
        let n = scn.rounds.len();
        let in_range = |r: u32| usize::try_from(r).is_ok_and(|r| r >= 1 && r <= n);
        for (i, ev) in scn.events.iter().enumerate() {
            let p = format!("events[{i}]");
            self.name(&p, &ev.name);
            match ev.kind {
                EventKind::Scheduled => {
                    match ev.round {
                        None => self.err(
                            format!("{p}.round"),
                            "a scheduled event needs the `round` (1-based) of its briefing",
                        ),
                        Some(r) if !in_range(r) => self.err(
                            format!("{p}.round"),
                            format!("round {r} is outside 1..={n} (the scenario has {n} rounds)"),
                        ),
                        Some(_) => {}
                    }
                    if ev.weight.is_some() {
                        self.err(
                            format!("{p}.weight"),
                            "a scheduled event is not drawn, so it takes no weight",
                        );
                    }
                    if ev.rounds.is_some() {
                        self.err(
                            format!("{p}.rounds"),
                            "a scheduled event takes `round`, not a `rounds` window",
                        );
                    }
                }
                EventKind::Random => {
                    match ev.weight {
                        None => self.err(
                            format!("{p}.weight"),
                            "a random event needs a drawing `weight` > 0",
                        ),
                        Some(w) => {
                            let wp = format!("{p}.weight");
                            if self.finite(wp.clone(), w) && w <= 0.0 {
                                self.err(wp, format!("weight must be greater than 0, not {w}"));
                            }
                        }
                    }
                    if ev.round.is_some() {
                        self.err(
                            format!("{p}.round"),
                            "a random event takes a `rounds = [first, last]` window, not `round`",
                        );
                    }
                    if let Some([first, last]) = ev.rounds {
                        if !in_range(first) || !in_range(last) {
                            self.err(
                                format!("{p}.rounds"),
                                format!(
                                    "window [{first}, {last}] is outside 1..={n} (the scenario \
                                     has {n} rounds)"
                                ),
                            );
                        } else if first > last {
                            self.err(
                                format!("{p}.rounds"),
                                format!("window [{first}, {last}]: first is after last"),
                            );
                        }
                    }
                    if ev.max_times == 0 {
                        self.err(format!("{p}.max_times"), "max_times must be at least 1");
                    }
                }
            }
            for (j, e) in ev.effects.iter().enumerate() {
                let ep = format!("{p}.effects[{j}]");
                match e {
                    EventEffect::Var(e) => self.effect(&ep, e, cx),
                    EventEffect::Reveal { reveal } => {
                        self.reference(format!("{ep}.reveal"), reveal.as_str(), cx.factions);
                    }
                    EventEffect::DelayBuilds {
                        delay_builds,
                        rounds,
                    } => {
                        self.reference(
                            format!("{ep}.delay_builds"),
                            delay_builds.as_str(),
                            cx.factions,
                        );
                        if *rounds == 0 {
                            self.err(format!("{ep}.rounds"), "a delay must be at least 1 round");
                        } else if *rounds as usize > scn.rounds.len() {
                            self.err(
                                format!("{ep}.rounds"),
                                format!(
                                    "a delay must be at most the number of rounds ({})",
                                    scn.rounds.len()
                                ),
                            );
                        }
                    }
                    EventEffect::Ratification { ratification } => {
                        let rp = format!("{ep}.ratification");
                        if self.finite(rp.clone(), *ratification)
                            && !(-1.0..=1.0).contains(ratification)
                        {
                            self.err(
                                rp,
                                format!(
                                    "a shift of a probability must be within [-1, 1], not \
                                     {ratification}"
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    fn model(&mut self, scn: &Scenario, cx: &Cx, params: &Ids, presets: &Ids) {
        let m = &scn.model;
        self.unique(
            "model parameter",
            m.parameters
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("model.parameters[{i}].id"), p.id.as_str())),
        );
        for (i, par) in m.parameters.iter().enumerate() {
            let p = format!("model.parameters[{i}]");
            self.name(&p, &par.name);
            self.param_value(&format!("{p}.value"), par.id.as_str(), par.value);
            self.source(&p, &par.source);
        }
        for r in REQUIRED_PARAMS {
            if !params.contains(r) {
                self.err(
                    "model.parameters",
                    format!("required model parameter \"{r}\" is not defined (the model reads it)"),
                );
            }
        }

        self.unique(
            "model preset",
            m.presets
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("model.presets[{i}].id"), p.id.as_str())),
        );
        for (i, pr) in m.presets.iter().enumerate() {
            let p = format!("model.presets[{i}]");
            self.name(&p, &pr.name);
            for (k, v) in &pr.values {
                let vp = format!("{p}.values.{k}");
                if self.reference(vp.clone(), k.as_str(), params) {
                    self.param_value(&vp, k.as_str(), *v);
                }
            }
        }
        self.reference("model.default_preset", &m.default_preset, presets);

        self.unique(
            "battery",
            m.batteries
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("model.batteries[{i}].id"), b.id.as_str())),
        );
        for (i, b) in m.batteries.iter().enumerate() {
            let p = format!("model.batteries[{i}]");
            self.name(&p, &b.name);
            self.reference(format!("{p}.owner"), b.owner.as_str(), cx.factions);
            self.reference(format!("{p}.units_var"), b.units_var.as_str(), cx.vars);
            self.non_negative(
                format!("{p}.interceptors_per_unit"),
                b.interceptors_per_unit,
            );
            // Shares of a whole: the model sums them and clamps at 1, so anything outside
            // [0, 1] is a unit mistake (percent instead of fraction).
            self.probability(format!("{p}.engageability"), b.engageability);
            self.probability(format!("{p}.coverage"), b.coverage);
            self.probability(format!("{p}.headroom"), b.headroom);
            self.probability(format!("{p}.homeland"), b.homeland);
            if let Some(v) = &b.at_risk_from {
                self.reference(format!("{p}.at_risk_from"), v.as_str(), cx.vars);
            }
            self.source(&p, &b.source);
        }
    }

    fn param_value(&mut self, path: &str, id: &str, x: f64) {
        if !self.finite(path, x) {
            return;
        }
        if let Some((lo, hi)) = param_range(id) {
            if x < lo || x > hi {
                let range = if hi.is_infinite() {
                    format!("at least {lo}")
                } else {
                    format!("within [{lo}, {hi}]")
                };
                self.err(
                    path,
                    format!("must be {range} to mean something in the model, not {x}"),
                );
            }
        }
    }

    fn scoring(&mut self, scn: &Scenario, factions: &Ids, objectives: &Ids) {
        for (f, s) in &scn.scoring {
            let p = format!("scoring.{f}");
            if !self.reference(p.clone(), f.as_str(), factions) {
                continue;
            }
            let mut sum = 0.0;
            let mut all_ok = true;
            for (k, w) in &s.weights {
                let wp = format!("{p}.weights.{k}");
                self.reference(wp.clone(), k, objectives);
                if self.finite(wp.clone(), *w) && *w < 0.0 {
                    self.err(wp, format!("weight must be at least 0, not {w}"));
                }
                if w.is_finite() {
                    sum += w;
                } else {
                    all_ok = false;
                }
            }
            if all_ok && (sum <= 0.0 || !sum.is_finite()) {
                self.err(
                    format!("{p}.weights"),
                    "weights must have a positive, finite sum (the score is normalised by it)",
                );
            }
        }
        for f in &scn.factions {
            let id = f.id.as_str();
            if !scn.scoring.contains_key(id) {
                self.err("scoring", format!("faction \"{id}\" has no scoring entry"));
            }
        }
    }

    fn map(&mut self, scn: &Scenario, cx: &Cx, kinds: &Ids) {
        self.unique(
            "map feature",
            scn.map
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("map[{i}].id"), m.id.as_str())),
        );
        for (i, m) in scn.map.iter().enumerate() {
            let p = format!("map[{i}]");
            self.name(&p, &m.name);
            if self.finite(format!("{p}.lat"), m.lat) && !(-90.0..=90.0).contains(&m.lat) {
                self.err(
                    format!("{p}.lat"),
                    format!("latitude {} is outside [-90, 90]", m.lat),
                );
            }
            if self.finite(format!("{p}.lon"), m.lon) && !(-180.0..=180.0).contains(&m.lon) {
                self.err(
                    format!("{p}.lon"),
                    format!("longitude {} is outside [-180, 180]", m.lon),
                );
            }
            self.reference(format!("{p}.kind"), &m.kind, kinds);
            if let Some(f) = &m.faction {
                self.reference(format!("{p}.faction"), f.as_str(), cx.factions);
            }
            if let Some(v) = &m.shown_when {
                self.reference(format!("{p}.shown_when"), v.as_str(), cx.vars);
            }
            if let Some(r) = m.range_km {
                self.non_negative(format!("{p}.range_km"), r);
            }
        }
    }
}

/// The namespaces most checks resolve against.
struct Cx<'a> {
    factions: &'a Ids<'a>,
    vars: &'a Ids<'a>,
    var_defs: &'a HashMap<&'a str, &'a Variable>,
}

fn ids_list(ids: &[FactionId]) -> String {
    ids.iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn form_name(f: ClauseForm) -> &'static str {
    match f {
        ClauseForm::Forbid => "forbid",
        ClauseForm::Cap => "cap",
        ClauseForm::Guarantee => "guarantee",
        ClauseForm::Transparency => "transparency",
        ClauseForm::Cooperation => "cooperation",
        ClauseForm::Transfer => "transfer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small scenario that satisfies every check, with the model's required variables and
    /// parameters generated from the lists (minus `skip`, to test their absence).
    fn scenario_toml(skip: &[&str]) -> String {
        let mut s = String::from(
            r##"id = "test-scenario"
title = "Test"
summary = "A small scenario for the validator's tests."
crisis_threshold = 80.0
random_events_per_round = 1

[[factions]]
id = "russia"
name = "Russia"
colour = "#c00"
perceives_threat = true

[[factions]]
id = "us_nato"
name = "US/NATO"
colour = "#00c"

[[rounds]]
label = "2013"
[[rounds]]
label = "2014"
[[rounds]]
label = "2015"

[phases]
briefing = 0
negotiation = 600
orders = 300
review = 0

[[resources]]
faction = "russia"
budget_initial = 10.0
budget_per_round = 5.0
budget_max = 20.0
capital_initial = 3.0
capital_per_round = 1.0
capital_max = 10.0

[[resources]]
faction = "us_nato"
budget_initial = 12.0
budget_per_round = 6.0
budget_max = 24.0
capital_initial = 3.0
capital_per_round = 1.0
capital_max = 10.0

[[actions]]
id = "iskander_kaliningrad"
owner = "russia"
name = "Deploy Iskander to Kaliningrad"
budget = 2.0
capital = 1.0
requires = [{ var = "tension", min = 10, message = "Only in a crisis" }]
effects = [{ var = "tension", delta = 5 }, { var = "trust", delta = -3 }]

[[actions]]
id = "build_radar"
owner = "us_nato"
name = "Build a TPY-2 radar"
budget = 3.0
build_rounds = 1
max_total = 1
effects = [{ var = "tpy2_radar", set = 1 }]

[[clause_kinds]]
id = "political_guarantee"
name = "Political guarantee"
form = "guarantee"
provides = "guarantee_political"
givers = ["us_nato"]
ratification = 0.8

[[clause_kinds]]
id = "no_iskander"
name = "No Iskander"
form = "forbid"
actions = ["iskander_kaliningrad"]

[[clause_kinds]]
id = "cap_warheads"
name = "Warhead cap"
form = "cap"
vars = ["ru_warheads"]

[[clause_kinds]]
id = "joint_centre"
name = "Joint centre"
form = "cooperation"
provides = "joint_centre"
parties = ["russia", "us_nato"]
effects_per_round = [{ var = "trust", delta = 2 }]

[[events]]
id = "summit"
name = "Summit"
kind = "scheduled"
text = "Leaders meet."
round = 2
effects = [{ var = "trust", delta = 5 }, { reveal = "russia" }]

[[events]]
id = "leak"
name = "Leak"
kind = "random"
text = "A cable leaks."
weight = 1.5
rounds = [1, 3]
max_times = 2
effects = [{ delay_builds = "us_nato", rounds = 1 }, { ratification = -0.2 }]

[model]
default_preset = "baseline"

[[model.presets]]
id = "baseline"
name = "Baseline"
values = { pk = 0.7 }

[[model.batteries]]
id = "aegis_ashore"
name = "Aegis Ashore"
owner = "us_nato"
units_var = "tpy2_radar"
interceptors_per_unit = 24
interceptor = "SM-3 IB"
engageability = 0.0
coverage = 0.5
headroom = 0.1
source = "GAO-13-382R"

[scoring.russia]
weights = { retaliation_russia = 1.0, status = 0.5 }

[scoring.us_nato]
weights = { coverage = 1.0, cohesion = 0.5 }

[[map]]
id = "deveselu"
name = "Deveselu"
lat = 44.08
lon = 24.4
kind = "site"
faction = "us_nato"
shown_when = "tpy2_radar"
"##,
        );
        for v in REQUIRED_VARS.iter().filter(|v| !skip.contains(v)) {
            let initial = if *v == "tension" { 20 } else { 0 };
            s.push_str(&format!(
                "\n[[variables]]\nid = \"{v}\"\nname = \"{v}\"\nmin = 0\nmax = 100\n\
                 initial = {initial}\nsource = \"design default\"\n"
            ));
        }
        for p in REQUIRED_PARAMS.iter().filter(|p| !skip.contains(p)) {
            // 0.5 is in range for every parameter but the divisors, which need at least 1.
            let value = match param_range(p) {
                Some((lo, _)) if lo >= 1.0 => lo,
                _ => 0.5,
            };
            s.push_str(&format!(
                "\n[[model.parameters]]\nid = \"{p}\"\nname = \"{p}\"\nvalue = {value}\n\
                 source = \"design default\"\n"
            ));
        }
        s
    }

    fn valid() -> String {
        scenario_toml(&[])
    }

    /// Replaces exactly one occurrence, so a test cannot silently edit the wrong place.
    fn edit(src: &str, from: &str, to: &str) -> String {
        assert_eq!(
            src.matches(from).count(),
            1,
            "{from:?} must occur exactly once"
        );
        src.replacen(from, to, 1)
    }

    fn errors(src: &str) -> Vec<ScenarioError> {
        match parse_and_validate("test.toml", src) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e,
        }
    }

    /// Asserts that some error has exactly `path` and a message containing `needle`.
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
    fn valid_scenario_passes() {
        let scn = match parse_and_validate("test.toml", &valid()) {
            Ok(s) => s,
            Err(e) => panic!("{e:#?}"),
        };
        assert_eq!(scn.factions.len(), 2);
        assert!(super::super::model::Params::resolve(&scn, None).is_ok());
    }

    #[test]
    fn a_bot_may_not_say_the_value_of_an_objective_a_private_variable_feeds() {
        // `status` reads `russia_status`; made private to Russia, its reading is a secret.
        let private = edit(
            &valid(),
            "id = \"russia_status\"\nname = \"russia_status\"\n",
            "id = \"russia_status\"\nname = \"russia_status\"\nowner = \"russia\"\nvisibility = \"owner\"\n",
        );
        let with_numbers = "\n[bot_chat.reasons.status]\nbetter = \"{who} would rise ({after} instead of {before})\"\nworse = \"{who} would fall\"\n";
        assert_error(
            &errors(&format!("{private}{with_numbers}")),
            "bot_chat.reasons.status.better",
            "reads a private variable, so a bot may not say its value",
        );
        // Without the numbers the same line is fine, and so are the numbers of a public one.
        let without = "\n[bot_chat.reasons.status]\nbetter = \"{who} would rise\"\nworse = \"{who} would fall\"\n";
        assert!(parse_and_validate("t", &format!("{private}{without}")).is_ok());
        assert!(parse_and_validate("t", &format!("{}{with_numbers}", valid())).is_ok());
    }

    #[test]
    fn unknown_variable_suggests_close_name() {
        let src = edit(
            &valid(),
            r#"{ var = "trust", delta = -3 }"#,
            r#"{ var = "tenison", delta = -3 }"#,
        );
        let errs = errors(&src);
        assert_error(
            &errs,
            "actions[0].effects[1].var",
            r#"unknown state variable "tenison" — did you mean "tension"?"#,
        );
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert_eq!(
            errs[0].to_string(),
            "test.toml: actions[0].effects[1].var: unknown state variable \"tenison\" — did you \
             mean \"tension\"?"
        );
    }

    #[test]
    fn unrelated_name_gets_no_suggestion() {
        let src = edit(
            &valid(),
            r#"{ var = "trust", delta = 5 }"#,
            r#"{ var = "zzzz", delta = 5 }"#,
        );
        let errs = errors(&src);
        assert_error(
            &errs,
            "events[0].effects[0].var",
            r#"unknown state variable "zzzz""#,
        );
        assert!(!errs[0].message.contains("did you mean"), "{errs:#?}");
    }

    #[test]
    fn unknown_faction() {
        let src = edit(
            &valid(),
            r#"{ reveal = "russia" }"#,
            r#"{ reveal = "rusia" }"#,
        );
        let errs = errors(&src);
        assert_error(
            &errs,
            "events[0].effects[1].reveal",
            r#"unknown faction "rusia" — did you mean "russia"?"#,
        );
        let src = edit(&valid(), "givers = [\"us_nato\"]", "givers = [\"china\"]");
        let errs = errors(&src);
        assert_error(
            &errs,
            "clause_kinds[0].givers[0]",
            r#"unknown faction "china" (defined: russia, us_nato)"#,
        );
    }

    #[test]
    fn duplicate_id() {
        let src = format!(
            "{}\n[[factions]]\nid = \"russia\"\nname = \"Again\"\ncolour = \"red\"\n",
            valid()
        );
        let errs = errors(&src);
        assert_error(
            &errs,
            "factions[2].id",
            r#"duplicate faction id "russia" (first defined at factions[0].id)"#,
        );
    }

    #[test]
    fn bad_id_characters() {
        let src = edit(&valid(), r#"id = "summit""#, r#"id = "Summit-1""#);
        assert_error(
            &errors(&src),
            "events[0].id",
            "may only contain lowercase letters",
        );
        let src = edit(&valid(), r#"id = "summit""#, r#"id = """#);
        assert_error(&errors(&src), "events[0].id", "must not be empty");
    }

    #[test]
    fn missing_required_variable_and_parameter() {
        let errs = errors(&scenario_toml(&["ru_decoys", "w_scale"]));
        assert_error(
            &errs,
            "variables",
            r#"required state variable "ru_decoys" is not defined"#,
        );
        assert_error(
            &errs,
            "model.parameters",
            r#"required model parameter "w_scale" is not defined"#,
        );
        assert_eq!(errs.len(), 2, "{errs:#?}");
    }

    #[test]
    fn bad_scheduled_round() {
        let src = edit(&valid(), "round = 2\n", "round = 7\n");
        assert_error(
            &errors(&src),
            "events[0].round",
            "round 7 is outside 1..=3 (the scenario has 3 rounds)",
        );
        let src = edit(&valid(), "round = 2\n", "round = 0\nweight = 2.0\n");
        let errs = errors(&src);
        assert_error(&errs, "events[0].round", "round 0 is outside 1..=3");
        assert_error(&errs, "events[0].weight", "takes no weight");
    }

    #[test]
    fn random_event_window_and_weight() {
        let src = edit(&valid(), "rounds = [1, 3]", "rounds = [3, 2]");
        assert_error(&errors(&src), "events[1].rounds", "first is after last");
        let src = edit(&valid(), "rounds = [1, 3]", "rounds = [1, 4]");
        assert_error(&errors(&src), "events[1].rounds", "outside 1..=3");
        let src = edit(&valid(), "weight = 1.5", "weight = 0.0");
        assert_error(&errors(&src), "events[1].weight", "greater than 0");
    }

    #[test]
    fn unknown_field_with_suggestion() {
        let src = edit(&valid(), "budget = 3.0\n", "budgett = 3.0\n");
        let errs = errors(&src);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path, "actions[1].budgett");
        assert!(
            errs[0]
                .message
                .starts_with(r#"unknown field "budgett" — did you mean "budget"?"#),
            "{errs:#?}"
        );
        assert!(errs[0].message.contains("(line "), "{errs:#?}");
    }

    #[test]
    fn unknown_field_inside_untagged_event_effect() {
        let src = edit(
            &valid(),
            r#"{ var = "trust", delta = 5 }"#,
            r#"{ var = "trust", delt = 5 }"#,
        );
        assert_error(
            &errors(&src),
            "events[0].effects[0].delt",
            r#"unknown field "delt" — did you mean "delta"?"#,
        );
        let src = edit(
            &valid(),
            r#"{ reveal = "russia" }"#,
            r#"{ revael = "russia" }"#,
        );
        assert_error(
            &errors(&src),
            "events[0].effects[1].revael",
            r#"unknown field "revael" — did you mean "reveal"?"#,
        );
    }

    #[test]
    fn unknown_enum_value_suggests() {
        let src = edit(&valid(), r#"form = "forbid""#, r#"form = "forbidd""#);
        assert_error(
            &errors(&src),
            "clause_kinds[1].form",
            r#"unknown value "forbidd" — did you mean "forbid"?"#,
        );
    }

    #[test]
    fn parse_error_has_path_and_line() {
        let src = edit(
            &valid(),
            "\"tension\", delta = 5 }",
            "\"tension\", delta = \"five\" }",
        );
        let errs = errors(&src);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path, "actions[0].effects[0].delta", "{errs:#?}");
        let src = edit(&valid(), "title = \"Test\"\n", "title = \n");
        let errs = errors(&src);
        assert_eq!(errs[0].path, TOP_LEVEL);
        assert!(errs[0].message.contains("line 2, column"), "{errs:#?}");
    }

    #[test]
    fn effects_need_exactly_one_of_delta_and_set() {
        let src = edit(
            &valid(),
            "{ var = \"tpy2_radar\", set = 1 }",
            "{ var = \"tpy2_radar\" }",
        );
        assert_error(
            &errors(&src),
            "actions[1].effects[0]",
            "needs `delta` or `set`",
        );
        let src = edit(
            &valid(),
            "{ var = \"tpy2_radar\", set = 1 }",
            "{ var = \"tpy2_radar\", set = 1, delta = 1 }",
        );
        assert_error(&errors(&src), "actions[1].effects[0]", "not both");
        let src = edit(
            &valid(),
            "{ var = \"tpy2_radar\", set = 1 }",
            "{ var = \"tpy2_radar\", set = 101 }",
        );
        assert_error(
            &errors(&src),
            "actions[1].effects[0].set",
            "outside the bounds",
        );
    }

    #[test]
    fn numbers_must_be_finite_and_in_range() {
        let src = edit(
            &valid(),
            "crisis_threshold = 80.0",
            "crisis_threshold = nan",
        );
        assert_error(&errors(&src), "crisis_threshold", "finite");
        let src = edit(
            &valid(),
            "crisis_threshold = 80.0",
            "crisis_threshold = 180.0",
        );
        assert_error(&errors(&src), "crisis_threshold", "outside the bounds");
        let src = edit(&valid(), "ratification = 0.8", "ratification = 1.5");
        assert_error(
            &errors(&src),
            "clause_kinds[0].ratification",
            "within [0, 1]",
        );
        let src = edit(&valid(), "values = { pk = 0.7 }", "values = { pk = 7 }");
        assert_error(&errors(&src), "model.presets[0].values.pk", "within [0, 1]");
        let src = edit(&valid(), "budget = 2.0", "budget = -2.0");
        assert_error(&errors(&src), "actions[0].budget", "at least 0");
        // Every parameter is checked against the range in which the model reads it.
        for (param, bad, needle) in [
            ("ru_bmd_intercepts", "-20", "at least 0"),
            ("detect_base", "1.4", "within [0, 1]"),
            ("credit_legal", "-0.1", "within [0, 1]"),
            ("shots_per_target", "0.5", "at least 1"),
            ("crisis_penalty", "150", "within [0, 100]"),
        ] {
            let value = if param == "shots_per_target" {
                "1"
            } else {
                "0.5"
            };
            let src = edit(
                &valid(),
                &format!("id = \"{param}\"\nname = \"{param}\"\nvalue = {value}\n"),
                &format!("id = \"{param}\"\nname = \"{param}\"\nvalue = {bad}\n"),
            );
            let errs = errors(&src);
            assert!(
                errs.iter().any(|e| e.path.starts_with("model.parameters[")
                    && e.path.ends_with("].value")
                    && e.message.contains(needle)),
                "{param} = {bad}: {errs:#?}"
            );
        }
        let src = edit(
            &valid(),
            "weights = { coverage = 1.0, cohesion = 0.5 }",
            "weights = { coverage = 0.0 }",
        );
        assert_error(&errors(&src), "scoring.us_nato.weights", "positive");
        let src = edit(
            &valid(),
            "coverage = 1.0, cohesion",
            "coverage = 1.0, cohesoin",
        );
        assert_error(
            &errors(&src),
            "scoring.us_nato.weights.cohesoin",
            r#"did you mean "cohesion"?"#,
        );
    }

    #[test]
    fn clause_forms_have_what_they_need() {
        let src = edit(&valid(), "provides = \"guarantee_political\"\n", "");
        assert_error(
            &errors(&src),
            "clause_kinds[0].provides",
            "must name the state variable",
        );
        // Transparency: inspections alone are enough, but a clause must do something.
        let transparency = "form = \"transparency\"\nprovides = \"data_exchange\"\n";
        let src = edit(
            &valid(),
            "form = \"cooperation\"\nprovides = \"joint_centre\"\n",
            transparency,
        );
        assert!(parse_and_validate("t", &src).is_ok());
        let src = edit(
            &valid(),
            "form = \"cooperation\"\nprovides = \"joint_centre\"\n",
            "form = \"transparency\"\ninspections = true\n",
        );
        assert!(parse_and_validate("t", &src).is_ok());
        let src = edit(
            &valid(),
            "form = \"cooperation\"\nprovides = \"joint_centre\"\n",
            "form = \"transparency\"\n",
        );
        assert_error(
            &errors(&src),
            "clause_kinds[3].provides",
            "or set `inspections = true`",
        );
        let src = edit(
            &valid(),
            "vars = [\"ru_warheads\"]",
            "vars = [\"ru_warheads\"]\nprovides = \"trust\"",
        );
        assert_error(
            &errors(&src),
            "clause_kinds[2].provides",
            "provides nothing",
        );
        let src = edit(
            &valid(),
            "actions = [\"iskander_kaliningrad\"]",
            "actions = [\"iskander\"]",
        );
        assert_error(
            &errors(&src),
            "clause_kinds[1].actions[0]",
            r#"unknown action "iskander" — did you mean "iskander_kaliningrad"?"#,
        );
    }

    #[test]
    fn clause_kinds_name_the_parties_they_bind() {
        // An institution of two factions must name both.
        let src = edit(&valid(), "parties = [\"russia\", \"us_nato\"]\n", "");
        assert_error(&errors(&src), "clause_kinds[3].parties", "at least two");
        let src = edit(
            &valid(),
            "parties = [\"russia\", \"us_nato\"]\n",
            "parties = [\"russia\", \"nato\"]\n",
        );
        assert_error(
            &errors(&src),
            "clause_kinds[3].parties[1]",
            r#"unknown faction "nato""#,
        );
        // A forbid card restricts only its givers' actions.
        let src = edit(
            &valid(),
            "actions = [\"iskander_kaliningrad\"]",
            "actions = [\"iskander_kaliningrad\"]\ngivers = [\"us_nato\"]",
        );
        assert_error(
            &errors(&src),
            "clause_kinds[1].actions[0]",
            "is an action of \"russia\"",
        );
    }

    #[test]
    fn every_faction_needs_resources_scoring_and_a_known_preset() {
        let src = edit(
            &valid(),
            "[scoring.russia]\nweights = { retaliation_russia = 1.0, status = 0.5 }\n",
            "",
        );
        assert_error(
            &errors(&src),
            "scoring",
            r#"faction "russia" has no scoring entry"#,
        );
        let src = edit(
            &valid(),
            "faction = \"russia\"\nbudget_initial",
            "faction = \"us_nato\"\nbudget_initial",
        );
        let errs = errors(&src);
        assert_error(
            &errs,
            "resources",
            r#"faction "russia" has no resources entry"#,
        );
        assert_error(
            &errs,
            "resources[1].faction",
            "already has a resources entry",
        );
        let src = edit(
            &valid(),
            "default_preset = \"baseline\"",
            "default_preset = \"baseline2\"",
        );
        assert_error(
            &errors(&src),
            "model.default_preset",
            r#"unknown model preset "baseline2" — did you mean "baseline"?"#,
        );
    }

    #[test]
    fn collects_every_problem() {
        let src = edit(&valid(), "round = 2\n", "round = 9\n");
        let src = edit(&src, "max_total = 1\n", "max_per_round = 0\n");
        let src = edit(&src, "shown_when = \"tpy2_radar\"", "shown_when = \"tpy2\"");
        let errs = errors(&src);
        assert_error(&errs, "events[0].round", "outside");
        assert_error(&errs, "actions[1].max_per_round", "at least 1");
        assert_error(&errs, "map[0].shown_when", "unknown state variable");
        assert_eq!(errs.len(), 3, "{errs:#?}");
    }

    #[test]
    fn empty_and_odd_inputs_do_not_panic() {
        for src in [
            "",
            "id = 1",
            "factions = []",
            "[[factions]]",
            "a = 1e999",
            "x = nan",
        ] {
            assert!(parse_and_validate("t", src).is_err());
        }
        let _ = line_col("é\nx", 1);
        let _ = line_col("", 10);
    }

    /// Byte-level edits of the valid scenario, applied in order (positions wrap around).
    #[derive(Debug, Clone)]
    enum Mutation {
        Delete(usize),
        Insert(usize, u8),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            any::<usize>().prop_map(Mutation::Delete),
            // Bias inserted bytes towards TOML syntax so that mutants get past the lexer.
            (
                any::<usize>(),
                prop_oneof![
                    Just(b'"'),
                    Just(b'['),
                    Just(b']'),
                    Just(b'='),
                    Just(b'\n'),
                    Just(b'.'),
                    Just(b'-'),
                    Just(b'9'),
                    any::<u8>()
                ]
            )
                .prop_map(|(i, b)| Mutation::Insert(i, b)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_arbitrary_strings(src in ".*") {
            let _ = parse_and_validate("fuzz.toml", &src);
        }

        #[test]
        fn never_panics_on_mutations(muts in proptest::collection::vec(mutation(), 1..8)) {
            let mut bytes = valid().into_bytes();
            for m in muts {
                match m {
                    Mutation::Delete(i) if !bytes.is_empty() => {
                        let i = i % bytes.len();
                        bytes.remove(i);
                    }
                    Mutation::Delete(_) => {}
                    Mutation::Insert(i, b) => {
                        let i = i % (bytes.len() + 1);
                        bytes.insert(i, b);
                    }
                }
            }
            let src = String::from_utf8_lossy(&bytes);
            let _ = parse_and_validate("fuzz.toml", &src);
        }
    }
}
