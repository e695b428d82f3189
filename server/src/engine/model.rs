//! The deterrence-balance model. Pure arithmetic on the state variables and the scenario's
//! parameters; every index comes back as an [`Explained`] value carrying its formula, its inputs
//! (with their sources) and its result, so the turn report can show its working.
//!
//! The formulas are written out, with a worked example, in `docs/model.md`; the section numbers
//! below (§1–§8) refer to it.

use super::ids::{FactionId, ParamId};
use super::scenario::{Battery, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Variables the model reads. A scenario must define each of them (the validator checks).
pub const REQUIRED_VARS: &[&str] = &[
    "tension",
    "trust",
    "nato_cohesion",
    "russia_status",
    "csto_autonomy",
    "border_security",
    "isaf_presence",
    "csto_nato_cooperation",
    "ru_warheads",
    "ru_survival",
    "ru_decoys",
    "ru_hgv_share",
    "us_warheads",
    "us_survival",
    "burnout_transparency",
    "guarantee_political",
    "guarantee_legal",
    "data_exchange",
    "joint_centre",
    "tpy2_radar",
    "csto_crrf_readiness",
    "theatre_threat",
];

/// Parameters the model reads. A scenario must define each of them with a source.
pub const REQUIRED_PARAMS: &[&str] = &[
    "pk",
    "tracking",
    "shots_per_target",
    "discrimination",
    "ru_icbm_share",
    "reliability",
    "w_req",
    "w_scale",
    "ru_bmd_intercepts",
    "perception_upgrade_weight",
    "perception_guarantee_weight",
    "perceived_growth",
    "credit_political",
    "credit_legal",
    "credit_data_exchange",
    "credit_joint_centre",
    "iran_salvo",
    "uncued_coverage_factor",
    "border_cooperation_bonus",
    "border_withdrawal_penalty",
    "tension_threat_gain",
    "threat_reference",
    "tension_agreement_relief",
    "breach_tension",
    "breach_trust",
    "breach_capital",
    "detect_base",
    "detect_data_exchange",
    "stability_bonus_threshold",
    "stability_bonus",
    "crisis_penalty",
    "at_risk_discount",
];

/// The range in which a model parameter means something, for `scenario check`: a probability
/// or share within [0, 1], a count or a weight of at least 0 (or 1 where the model divides by
/// it), points of a 0–100 index within [0, 100]. `None` for an id the model does not read.
pub fn param_range(id: &str) -> Option<(f64, f64)> {
    const ANY: f64 = f64::INFINITY;
    Some(match id {
        // Probabilities and shares.
        "pk"
        | "tracking"
        | "discrimination"
        | "ru_icbm_share"
        | "reliability"
        | "uncued_coverage_factor"
        | "threat_reference"
        | "detect_base"
        | "detect_data_exchange"
        | "stability_bonus_threshold"
        | "credit_political"
        | "credit_legal"
        | "credit_data_exchange"
        | "credit_joint_centre"
        | "at_risk_discount" => (0.0, 1.0),
        // Counts the model divides by.
        "shots_per_target" | "w_req" | "w_scale" | "iran_salvo" => (1.0, ANY),
        // Counts, weights and multipliers.
        "ru_bmd_intercepts"
        | "perception_upgrade_weight"
        | "perception_guarantee_weight"
        | "perceived_growth"
        | "tension_threat_gain"
        | "breach_capital" => (0.0, ANY),
        // Points on a 0–100 index or score.
        "border_cooperation_bonus"
        | "border_withdrawal_penalty"
        | "tension_agreement_relief"
        | "breach_tension"
        | "breach_trust"
        | "stability_bonus"
        | "crisis_penalty" => (0.0, 100.0),
        _ => return None,
    })
}

/// Objectives a faction's scoring weights may name.
pub const OBJECTIVES: &[&str] = &[
    "retaliation_russia",
    "retaliation_us",
    "stability",
    "low_threat",
    "status",
    "coverage",
    "cohesion",
    "border_security",
    "autonomy",
    "readiness",
    "homeland_defence",
    "allied_security",
    "low_tension",
];

/// The state variables an objective reads (through the indices it uses), so that a bot can
/// tell whether saying its value would give away a private variable.
pub fn objective_reads(scn: &Scenario, id: &str) -> Vec<String> {
    let batteries = scn.model.batteries.iter().map(|b| b.units_var.to_string());
    let perception = [
        "burnout_transparency",
        "guarantee_political",
        "guarantee_legal",
        "data_exchange",
        "joint_centre",
        "trust",
    ];
    let russia = ["ru_warheads", "ru_survival", "ru_decoys", "ru_hgv_share"];
    let us = ["us_warheads", "us_survival"];
    let mut out: Vec<String> = match id {
        "retaliation_russia" => russia
            .iter()
            .chain(&perception)
            .map(|s| s.to_string())
            .collect(),
        "retaliation_us" => us.iter().map(|s| s.to_string()).collect(),
        "stability" => russia
            .iter()
            .chain(&us)
            .chain(&perception)
            .map(|s| s.to_string())
            .collect(),
        "low_threat" => perception.iter().map(|s| s.to_string()).collect(),
        "status" => vec!["russia_status".into()],
        "coverage" => vec!["tpy2_radar".into()],
        "homeland_defence" => Vec::new(),
        "cohesion" => vec!["nato_cohesion".into()],
        "border_security" => vec![
            "border_security".into(),
            "csto_nato_cooperation".into(),
            "isaf_presence".into(),
        ],
        "autonomy" => vec!["csto_autonomy".into()],
        "readiness" => vec!["csto_crrf_readiness".into()],
        "allied_security" => vec!["theatre_threat".into()],
        "low_tension" => vec!["tension".into()],
        _ => Vec::new(),
    };
    if matches!(
        id,
        "retaliation_russia" | "stability" | "low_threat" | "coverage" | "homeland_defence"
    ) {
        out.extend(batteries);
    }
    out
}

pub use super::text::Text;

/// One input of a formula, as printed in the report.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Input {
    /// Symbol used in the formula, e.g. `Pk`.
    pub symbol: Text,
    pub name: Text,
    pub value: f64,
    /// Where the number comes from: a publication, "design default", "state variable x",
    /// or "index y" when it is another index's result.
    pub source: Text,
}

/// A number with its working.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Explained {
    pub id: Text,
    pub name: Text,
    pub formula: Text,
    pub inputs: Vec<Input>,
    pub value: f64,
    /// Section of `docs/model.md` and the idea's origin.
    pub source: Text,
}

/// The required parameters as plain fields, resolved once per game so the model's inner
/// arithmetic does no look-ups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fast {
    /// §1's P_L, which depends on parameters only.
    pub kill_probability: f64,
    pub pk: f64,
    pub tracking: f64,
    pub shots_per_target: f64,
    pub discrimination: f64,
    pub ru_icbm_share: f64,
    pub reliability: f64,
    pub w_req: f64,
    pub w_scale: f64,
    pub ru_bmd_intercepts: f64,
    pub perception_upgrade_weight: f64,
    pub perception_guarantee_weight: f64,
    pub perceived_growth: f64,
    pub credit_political: f64,
    pub credit_legal: f64,
    pub credit_data_exchange: f64,
    pub credit_joint_centre: f64,
    pub iran_salvo: f64,
    pub uncued_coverage_factor: f64,
    pub border_cooperation_bonus: f64,
    pub border_withdrawal_penalty: f64,
    pub tension_threat_gain: f64,
    pub threat_reference: f64,
    pub tension_agreement_relief: f64,
    pub breach_tension: f64,
    pub breach_trust: f64,
    pub breach_capital: f64,
    pub detect_base: f64,
    pub detect_data_exchange: f64,
    pub stability_bonus_threshold: f64,
    pub stability_bonus: f64,
    pub crisis_penalty: f64,
    pub at_risk_discount: f64,
}

impl Fast {
    fn from_values(values: &BTreeMap<ParamId, (f64, Text)>) -> Fast {
        let get = |id: &str| values.get(id).map(|v| v.0).unwrap_or(0.0);
        Fast {
            kill_probability: kill_probability(get("pk"), get("tracking"), get("shots_per_target")),
            pk: get("pk"),
            tracking: get("tracking"),
            shots_per_target: get("shots_per_target"),
            discrimination: get("discrimination"),
            ru_icbm_share: get("ru_icbm_share"),
            reliability: get("reliability"),
            w_req: get("w_req"),
            w_scale: get("w_scale"),
            ru_bmd_intercepts: get("ru_bmd_intercepts"),
            perception_upgrade_weight: get("perception_upgrade_weight"),
            perception_guarantee_weight: get("perception_guarantee_weight"),
            perceived_growth: get("perceived_growth"),
            credit_political: get("credit_political"),
            credit_legal: get("credit_legal"),
            credit_data_exchange: get("credit_data_exchange"),
            credit_joint_centre: get("credit_joint_centre"),
            iran_salvo: get("iran_salvo"),
            uncued_coverage_factor: get("uncued_coverage_factor"),
            border_cooperation_bonus: get("border_cooperation_bonus"),
            border_withdrawal_penalty: get("border_withdrawal_penalty"),
            tension_threat_gain: get("tension_threat_gain"),
            threat_reference: get("threat_reference"),
            tension_agreement_relief: get("tension_agreement_relief"),
            breach_tension: get("breach_tension"),
            breach_trust: get("breach_trust"),
            breach_capital: get("breach_capital"),
            detect_base: get("detect_base"),
            detect_data_exchange: get("detect_data_exchange"),
            stability_bonus_threshold: get("stability_bonus_threshold"),
            stability_bonus: get("stability_bonus"),
            crisis_penalty: get("crisis_penalty"),
            at_risk_discount: get("at_risk_discount"),
        }
    }
}

/// Model parameters resolved for one game: scenario values with the chosen preset applied.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Params {
    pub preset: String,
    values: BTreeMap<ParamId, (f64, Text)>,
    /// Per parameter, "NAME (parameter ID)", as its inputs are named in explanations.
    #[serde(skip)]
    labels: BTreeMap<ParamId, Text>,
    /// The same values as fields.
    pub fast: Fast,
}

impl Params {
    /// Resolves the scenario's parameters under `preset` (the scenario's default if `None`).
    pub fn resolve(scn: &Scenario, preset: Option<&str>) -> Result<Params, String> {
        let preset_id = preset.unwrap_or(&scn.model.default_preset).to_owned();
        let mut values: BTreeMap<ParamId, (f64, Text)> = scn
            .model
            .parameters
            .iter()
            .map(|p| (p.id.clone(), (p.value, Text::from(&p.source))))
            .collect();
        let p = scn
            .preset(&preset_id)
            .ok_or_else(|| format!("unknown model preset \"{preset_id}\""))?;
        for (k, v) in &p.values {
            let src = if p.source.is_empty() {
                format!("preset \"{}\"", p.id)
            } else {
                format!("preset \"{}\": {}", p.id, p.source)
            };
            values.insert(k.clone(), (*v, src.into()));
        }
        for r in REQUIRED_PARAMS {
            if !values.contains_key(*r) {
                return Err(format!("model parameter \"{r}\" is missing"));
            }
        }
        Ok(Params {
            preset: preset_id,
            fast: Fast::from_values(&values),
            values,
            labels: scn
                .model
                .parameters
                .iter()
                .map(|p| {
                    (
                        p.id.clone(),
                        format!("{} (parameter {})", p.name, p.id).into(),
                    )
                })
                .collect(),
        })
    }

    pub fn get(&self, id: &str) -> f64 {
        self.values.get(id).map(|v| v.0).unwrap_or(0.0)
    }

    /// An input read from a parameter, named after the scenario's name for it.
    fn input(&self, symbol: &'static str, id: &str) -> Input {
        let (value, source) = self
            .values
            .get(id)
            .cloned()
            .unwrap_or((0.0, Text::from("")));
        Input {
            symbol: symbol.into(),
            name: self
                .labels
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("parameter {id}").into()),
            value,
            source,
        }
    }
}

/// Positions of the model's variables in the state vector, resolved once per scenario
/// ([`Scenario::prepare`]) so the arithmetic indexes instead of hashing names. A missing
/// variable (only possible in an unvalidated scenario) points past the end and reads as 0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Slots {
    pub tension: usize,
    pub trust: usize,
    pub nato_cohesion: usize,
    pub russia_status: usize,
    pub csto_autonomy: usize,
    pub border_security: usize,
    pub isaf_presence: usize,
    pub csto_nato_cooperation: usize,
    pub ru_warheads: usize,
    pub ru_survival: usize,
    pub ru_decoys: usize,
    pub ru_hgv_share: usize,
    pub us_warheads: usize,
    pub us_survival: usize,
    pub burnout_transparency: usize,
    pub guarantee_political: usize,
    pub guarantee_legal: usize,
    pub data_exchange: usize,
    pub joint_centre: usize,
    pub tpy2_radar: usize,
    pub csto_crrf_readiness: usize,
    pub theatre_threat: usize,
    /// Per battery, the position of its `units_var`.
    pub batteries: Vec<usize>,
    /// Per battery, the position of its `at_risk_from` variable (past the end: none).
    pub at_risk: Vec<usize>,
    /// Per battery, the texts its explanations repeat.
    pub battery_text: Vec<BatteryText>,
    /// Per variable: its name, and "state variable ID" (the source of an input read from it).
    pub var_text: Vec<(Text, Text)>,
    /// The objectives that a private variable feeds (a bot never says their reading).
    pub secret_objectives: Vec<Objective>,
}

/// A battery's name, source and formula symbols, made once per scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct BatteryText {
    pub name: Text,
    pub source: Text,
    pub e: Text,
    pub e_seen: Text,
    pub h: Text,
    pub c: Text,
    pub h_us: Text,
}

impl Slots {
    pub fn resolve(scn: &Scenario) -> Slots {
        let idx = |id: &str| {
            scn.variables
                .iter()
                .position(|v| v.id.as_str() == id)
                .unwrap_or(usize::MAX)
        };
        Slots {
            tension: idx("tension"),
            trust: idx("trust"),
            nato_cohesion: idx("nato_cohesion"),
            russia_status: idx("russia_status"),
            csto_autonomy: idx("csto_autonomy"),
            border_security: idx("border_security"),
            isaf_presence: idx("isaf_presence"),
            csto_nato_cooperation: idx("csto_nato_cooperation"),
            ru_warheads: idx("ru_warheads"),
            ru_survival: idx("ru_survival"),
            ru_decoys: idx("ru_decoys"),
            ru_hgv_share: idx("ru_hgv_share"),
            us_warheads: idx("us_warheads"),
            us_survival: idx("us_survival"),
            burnout_transparency: idx("burnout_transparency"),
            guarantee_political: idx("guarantee_political"),
            guarantee_legal: idx("guarantee_legal"),
            data_exchange: idx("data_exchange"),
            joint_centre: idx("joint_centre"),
            tpy2_radar: idx("tpy2_radar"),
            csto_crrf_readiness: idx("csto_crrf_readiness"),
            theatre_threat: idx("theatre_threat"),
            batteries: scn
                .model
                .batteries
                .iter()
                .map(|b| idx(b.units_var.as_str()))
                .collect(),
            at_risk: scn
                .model
                .batteries
                .iter()
                .map(|b| {
                    b.at_risk_from
                        .as_ref()
                        .map_or(usize::MAX, |v| idx(v.as_str()))
                })
                .collect(),
            battery_text: scn
                .model
                .batteries
                .iter()
                .map(|b| BatteryText {
                    name: Text::from(&b.name),
                    source: Text::from(&b.source),
                    e: format!("E[{}]·[present]", b.id).into(),
                    e_seen: format!("E[{}]·[present]·(1 − δ·[at risk])", b.id).into(),
                    h: format!("h[{}]·[present]·(1 − δ·[at risk])", b.id).into(),
                    c: format!("c[{}]·[present]", b.id).into(),
                    h_us: format!("h_US[{}]·[present]", b.id).into(),
                })
                .collect(),
            var_text: scn
                .variables
                .iter()
                .map(|v| {
                    (
                        Text::from(&v.name),
                        format!("state variable {}", v.id).into(),
                    )
                })
                .collect(),
            secret_objectives: OBJECTIVES
                .iter()
                .filter(|o| {
                    objective_reads(scn, o).iter().any(|v| {
                        scn.variables.iter().any(|x| {
                            x.id.as_str() == v.as_str()
                                && x.visibility == super::scenario::Visibility::Owner
                        })
                    })
                })
                .filter_map(|o| Objective::parse(o))
                .collect(),
        }
    }
}

/// The variable values the model reads, by id, as one perspective sees them.
pub struct ModelVars<'a> {
    pub scenario: &'a Scenario,
    pub values: &'a [f64],
}

impl ModelVars<'_> {
    /// The value at a slot (0 for a missing variable).
    pub fn at(&self, i: usize) -> f64 {
        self.values.get(i).copied().unwrap_or(0.0)
    }
    pub fn get(&self, id: &str) -> f64 {
        self.scenario
            .var_index(id)
            .map(|i| self.values[i])
            .unwrap_or(0.0)
    }
    fn input(&self, symbol: impl Into<Text>, id: &str) -> Input {
        let slots = self.scenario.slots();
        let (name, source) = self
            .scenario
            .var_index(id)
            .and_then(|i| slots.var_text.get(i).cloned())
            .unwrap_or_else(|| {
                (
                    Text::from(id.to_owned()),
                    Text::from(format!("state variable {id}")),
                )
            });
        Input {
            symbol: symbol.into(),
            name,
            value: self.get(id),
            source,
        }
    }
}

/// Whose eyes the model looks through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "faction")]
pub enum Perspective {
    /// Technical truth, as Control sees it.
    Technical,
    /// What the public knows: private variables at their last revealed values, no perception.
    Public,
    /// A faction's perception: its intelligence picture of others' private variables, and Ê
    /// instead of E if the faction `perceives_threat`.
    Faction(FactionId),
}

/// Every index of one perspective, in report order.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Indices {
    pub perspective: Perspective,
    /// The bare numbers, for charts and scoring.
    pub values: Values,
    /// Defence layer kill probability per engaged warhead, P_L.
    pub kill_probability: Explained,
    /// Objects the defence must engage per warhead.
    pub objects_per_warhead: Explained,
    /// Technical engageability E of Russian ICBM warheads by the European system.
    pub engageability: Explained,
    /// Upgrade headroom U.
    pub upgrade_headroom: Explained,
    /// Guarantee credit G (already weighted by trust).
    pub guarantee_credit: Explained,
    /// Perceived engageability Ê.
    pub perceived_engageability: Explained,
    /// Warheads the European system would intercept in a Russian second strike.
    pub expected_intercepts: Explained,
    pub retaliation_russia: Explained,
    pub retaliation_us: Explained,
    pub stability: Explained,
    pub coverage: Explained,
    /// Share of a potential future Iranian ICBM threat to the United States the European
    /// system could engage.
    pub homeland_defence: Explained,
    pub border_security: Explained,
    /// The headline deterrence balance, 0–100 (stability × 100).
    pub deterrence_balance: Explained,
}

impl Indices {
    pub fn all(&self) -> [&Explained; 14] {
        [
            &self.kill_probability,
            &self.objects_per_warhead,
            &self.engageability,
            &self.upgrade_headroom,
            &self.guarantee_credit,
            &self.perceived_engageability,
            &self.expected_intercepts,
            &self.retaliation_russia,
            &self.retaliation_us,
            &self.stability,
            &self.coverage,
            &self.homeland_defence,
            &self.border_security,
            &self.deterrence_balance,
        ]
    }
}

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

fn idx(symbol: &'static str, e: &Explained) -> Input {
    Input {
        symbol: symbol.into(),
        name: e.name.clone(),
        value: e.value,
        source: index_source(&e.id),
    }
}

/// "index ID", the source of an input that is another index's result.
fn index_source(id: &str) -> Text {
    match id {
        "kill_probability" => "index kill_probability".into(),
        "objects_per_warhead" => "index objects_per_warhead".into(),
        "engageability" => "index engageability".into(),
        "upgrade_headroom" => "index upgrade_headroom".into(),
        "guarantee_credit" => "index guarantee_credit".into(),
        "perceived_engageability" => "index perceived_engageability".into(),
        "expected_intercepts" => "index expected_intercepts".into(),
        "retaliation_russia" => "index retaliation_russia".into(),
        "retaliation_us" => "index retaliation_us".into(),
        "stability" => "index stability".into(),
        other => format!("index {other}").into(),
    }
}

/// §1 Defence layer: P_L = T·(1 − (1 − Pk)^n).
pub fn kill_probability(pk: f64, tracking: f64, n: f64) -> f64 {
    clamp01(tracking * (1.0 - (1.0 - clamp01(pk)).powf(n.max(0.0))))
}

/// §1 Decoys: objects to engage per warhead = 1 + D·(1 − d).
pub fn objects_per_warhead(decoys: f64, discrimination: f64) -> f64 {
    1.0 + decoys.max(0.0) * (1.0 - clamp01(discrimination))
}

/// §4 Damage with diminishing returns: 1 − exp(−w / w_scale).
pub fn damage(warheads: f64, w_scale: f64) -> f64 {
    if w_scale <= 0.0 {
        return if warheads > 0.0 { 1.0 } else { 0.0 };
    }
    clamp01(1.0 - (-warheads.max(0.0) / w_scale).exp())
}

/// §4 First-strike stability: FSS = 1 − (1 − ρ_US)·(1 − ρ_RU).
pub fn first_strike_stability(rho_us: f64, rho_ru: f64) -> f64 {
    clamp01(1.0 - (1.0 - clamp01(rho_us)) * (1.0 - clamp01(rho_ru)))
}

fn battery_units(vars: &ModelVars, b: &Battery) -> f64 {
    vars.get(b.units_var.as_str()).max(0.0)
}

/// The numbers of every index, without their working: what bots and forecasts need, and
/// the single place where the model's arithmetic lives ([`compute`] adds the explanations).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Values {
    pub kill_probability: f64,
    pub objects_per_warhead: f64,
    pub engageability: f64,
    pub upgrade_headroom: f64,
    pub guarantee_credit: f64,
    /// Ẽ: engageability with sites held at risk discounted, the first term of Ê.
    pub engageability_seen: f64,
    pub perceived_engageability: f64,
    /// Engageability used for intercepts: Ê for a perceiving faction, else E.
    pub e_used: f64,
    /// Interceptors counted against ICBMs (all European ones for a perceiving faction).
    pub capacity_interceptors: f64,
    pub expected_intercepts: f64,
    pub retaliation_russia: f64,
    pub retaliation_us: f64,
    pub ru_arriving: f64,
    pub ru_first: f64,
    pub us_arriving: f64,
    pub us_first: f64,
    pub rho_ru: f64,
    pub rho_us: f64,
    pub stability: f64,
    pub europe_interceptors: f64,
    /// European interceptors with those at sites held at risk discounted (what a threatened
    /// faction counts before growing them by its fear of upgrades).
    pub europe_interceptors_seen: f64,
    pub coverage: f64,
    pub homeland_defence: f64,
    pub border_security: f64,
    pub deterrence_balance: f64,
}

/// Whether a perspective reads the system through Ê.
pub fn perceives(scn: &Scenario, perspective: &Perspective) -> bool {
    match perspective {
        Perspective::Technical | Perspective::Public => false,
        Perspective::Faction(f) => scn.faction(f.as_str()).is_some_and(|f| f.perceives_threat),
    }
}

/// The model's arithmetic (docs/model.md §1–§7).
pub fn compute_values(
    scn: &Scenario,
    params: &Params,
    vars: &ModelVars,
    perceives: bool,
) -> Values {
    let q = &params.fast;
    let slots = scn.slots();
    let s = &*slots;
    // §1
    let pl = q.kill_probability;
    let opw = objects_per_warhead(vars.at(s.ru_decoys), q.discrimination);
    // §2, §5
    let (mut e_sum, mut u_sum, mut icbm_capable, mut all_interceptors) = (0.0, 0.0, 0.0, 0.0);
    let (mut e_seen_sum, mut interceptors_seen) = (0.0, 0.0);
    let mut uncovered = 1.0;
    let mut homeland_uncovered = 1.0;
    for (bi, b) in scn.model.batteries.iter().enumerate() {
        let units = vars
            .at(s.batteries.get(bi).copied().unwrap_or(usize::MAX))
            .max(0.0);
        let present = if units > 0.0 { 1.0 } else { 0.0 };
        // A site the threatened side can strike within minutes counts for less in what it
        // perceives (§5).
        let risk = clamp01(vars.at(s.at_risk.get(bi).copied().unwrap_or(usize::MAX)));
        let seen = 1.0 - clamp01(q.at_risk_discount) * risk;
        let n = units * b.interceptors_per_unit;
        all_interceptors += n;
        interceptors_seen += n * seen;
        if b.engageability > 0.0 {
            icbm_capable += n;
        }
        e_sum += b.engageability * present;
        e_seen_sum += b.engageability * present * seen;
        u_sum += b.headroom * present * seen;
        if units > 0.0 {
            uncovered *= 1.0 - clamp01(b.coverage);
            homeland_uncovered *= 1.0 - clamp01(b.homeland);
        }
    }
    let e = clamp01(e_sum);
    let u = clamp01(u_sum) * (1.0 - clamp01(vars.at(s.burnout_transparency)));
    let g_raw = clamp01(vars.at(s.guarantee_political)) * q.credit_political
        + clamp01(vars.at(s.guarantee_legal)) * q.credit_legal
        + clamp01(vars.at(s.data_exchange)) * q.credit_data_exchange
        + clamp01(vars.at(s.joint_centre)) * q.credit_joint_centre;
    let g = clamp01(g_raw) * clamp01(vars.at(s.trust) / 100.0);
    let e_hat = clamp01(
        clamp01(e_seen_sum) + q.perception_upgrade_weight * u - q.perception_guarantee_weight * g,
    );
    // §3
    // A threatened faction plans against the system it fears: every European interceptor,
    // grown by the headroom it sees for more and faster ones.
    let (e_used, capacity_interceptors) = if perceives {
        (
            e_hat,
            interceptors_seen * (1.0 + q.perceived_growth.max(0.0) * u),
        )
    } else {
        (e, icbm_capable)
    };
    let ru_w = vars.at(s.ru_warheads).max(0.0);
    let rel = clamp01(q.reliability);
    let icbm_share = clamp01(q.ru_icbm_share);
    let hgv = clamp01(vars.at(s.ru_hgv_share));
    let n_shots = q.shots_per_target.max(1.0);
    let capacity = capacity_interceptors / (n_shots * opw);
    let ru_second = ru_w * clamp01(vars.at(s.ru_survival)) * rel;
    let intercepts = intercepts_of(ru_second, icbm_share, hgv, e_used, capacity, pl);
    let w_req = q.w_req.max(1.0);
    let ru_arriving = (ru_second - intercepts).max(0.0);
    let us_w = vars.at(s.us_warheads).max(0.0);
    let ru_bmd = q.ru_bmd_intercepts.max(0.0);
    let us_arriving = (us_w * clamp01(vars.at(s.us_survival)) * rel - ru_bmd).max(0.0);
    // §4
    let w_scale = q.w_scale;
    let ru_first =
        (ru_w * rel - intercepts_of(ru_w * rel, icbm_share, hgv, e_used, capacity, pl)).max(0.0);
    let us_first = (us_w * rel - ru_bmd).max(0.0);
    let rho_ru = safe_ratio(damage(ru_arriving, w_scale), damage(ru_first, w_scale));
    let rho_us = safe_ratio(damage(us_arriving, w_scale), damage(us_first, w_scale));
    let fss = first_strike_stability(rho_us, rho_ru);
    // §6
    let radar = clamp01(vars.at(s.tpy2_radar));
    let cue = radar + (1.0 - radar) * clamp01(q.uncued_coverage_factor);
    let salvo = q.iran_salvo.max(1.0);
    let capacity_iran = clamp01(all_interceptors / (n_shots * salvo));
    let coverage = clamp01((1.0 - uncovered) * cue * capacity_iran * pl);
    let homeland_defence = clamp01((1.0 - homeland_uncovered) * pl);
    let b_raw = vars.at(s.border_security)
        + q.border_cooperation_bonus * clamp01(vars.at(s.csto_nato_cooperation))
        - q.border_withdrawal_penalty * (1.0 - clamp01(vars.at(s.isaf_presence)));
    Values {
        kill_probability: pl,
        objects_per_warhead: opw,
        engageability: e,
        upgrade_headroom: u,
        guarantee_credit: g,
        engageability_seen: clamp01(e_seen_sum),
        perceived_engageability: e_hat,
        e_used,
        capacity_interceptors,
        expected_intercepts: intercepts,
        retaliation_russia: clamp01(ru_arriving / w_req),
        retaliation_us: clamp01(us_arriving / w_req),
        ru_arriving,
        ru_first,
        us_arriving,
        us_first,
        rho_ru,
        rho_us,
        stability: fss,
        europe_interceptors: all_interceptors,
        europe_interceptors_seen: interceptors_seen,
        coverage,
        homeland_defence,
        border_security: clamp01(b_raw / 100.0),
        deterrence_balance: 100.0 * fss,
    }
}

/// Computes every index from one perspective.
pub fn compute(
    scn: &Scenario,
    params: &Params,
    vars: &ModelVars,
    perspective: &Perspective,
) -> Indices {
    let perceives = perceives(scn, perspective);
    let v = compute_values(scn, params, vars, perceives);
    let x = Explain {
        scn,
        params,
        vars,
        v: &v,
        perceives,
    };
    let (kill_probability, objects) = x.defence_layer();
    let (engageability, upgrade_headroom, guarantee_credit, perceived_engageability) =
        x.engageability_and_perception();
    let (expected_intercepts, retaliation_russia, retaliation_us) =
        x.retaliation(&kill_probability, &objects);
    let stability = x.stability();
    let (coverage, homeland_defence, border_security) = x.regional(&kill_probability);
    let deterrence_balance = Explained {
        id: "deterrence_balance".into(),
        name: "Deterrence balance".into(),
        formula: "balance = 100 · FSS".into(),
        inputs: vec![idx("FSS", &stability)],
        value: v.deterrence_balance,
        source: "docs/model.md §7".into(),
    };
    Indices {
        perspective: perspective.clone(),
        values: v,
        kill_probability,
        objects_per_warhead: objects,
        engageability,
        upgrade_headroom,
        guarantee_credit,
        perceived_engageability,
        expected_intercepts,
        retaliation_russia,
        retaliation_us,
        stability,
        coverage,
        homeland_defence,
        border_security,
        deterrence_balance,
    }
}

/// The explanation of each index of one computation: formula, inputs with their sources and
/// value, one method per section of docs/model.md.
#[derive(Clone, Copy)]
struct Explain<'a> {
    scn: &'a Scenario,
    params: &'a Params,
    vars: &'a ModelVars<'a>,
    v: &'a Values,
    /// Whether the perspective reads the system through Ê.
    perceives: bool,
}

impl Explain<'_> {
    /// §1 Defence layer: kill probability and objects per warhead.
    fn defence_layer(&self) -> (Explained, Explained) {
        let Explain {
            params, vars, v, ..
        } = *self;
        let kill_probability = Explained {
            id: "kill_probability".into(),
            name: "Defence layer kill probability".into(),
            formula: "P_L = T·(1 − (1 − Pk)^n)".into(),
            inputs: vec![
                params.input("T", "tracking"),
                params.input("Pk", "pk"),
                params.input("n", "shots_per_target"),
            ],
            value: v.kill_probability,
            source: "docs/model.md §1; barrage formula".into(),
        };
        let objects = Explained {
            id: "objects_per_warhead".into(),
            name: "Objects to engage per warhead".into(),
            formula: "O = 1 + D·(1 − d)".into(),
            inputs: vec![
                vars.input("D", "ru_decoys"),
                params.input("d", "discrimination"),
            ],
            value: v.objects_per_warhead,
            source: "docs/model.md §1".into(),
        };
        (kill_probability, objects)
    }

    /// §2 Engageability and §5 perception: E, U, G and Ê.
    fn engageability_and_perception(&self) -> (Explained, Explained, Explained, Explained) {
        let Explain {
            scn,
            params,
            vars,
            v,
            ..
        } = *self;
        let mut e_inputs = Vec::new();
        let mut e_seen_inputs = Vec::new();
        let mut u_inputs = Vec::new();
        let delta = clamp01(params.fast.at_risk_discount);
        let slots = scn.slots();
        for (b, text) in scn.model.batteries.iter().zip(&slots.battery_text) {
            let units = battery_units(vars, b);
            let present = if units > 0.0 { 1.0 } else { 0.0 };
            let risk = b
                .at_risk_from
                .as_ref()
                .map_or(0.0, |v| clamp01(vars.get(v.as_str())));
            let seen = 1.0 - delta * risk;
            let at_risk = match &b.at_risk_from {
                Some(v) if risk > 0.0 => format!(", held at risk ({v}): counted at {seen}"),
                _ => String::new(),
            };
            let deployed: Text =
                format!("{} ({} units of {})", b.name, units, b.interceptor).into();
            e_inputs.push(Input {
                symbol: text.e.clone(),
                name: deployed.clone(),
                value: b.engageability * present,
                source: text.source.clone(),
            });
            e_seen_inputs.push(Input {
                symbol: text.e_seen.clone(),
                name: if at_risk.is_empty() {
                    deployed
                } else {
                    format!("{deployed}{at_risk}").into()
                },
                value: b.engageability * present * seen,
                source: text.source.clone(),
            });
            u_inputs.push(Input {
                symbol: text.h.clone(),
                name: format!("{} upgrade headroom{at_risk}", b.name).into(),
                value: b.headroom * present * seen,
                source: text.source.clone(),
            });
        }
        let delta_input = params.input("δ", "at_risk_discount");
        let engageability = Explained {
            id: "engageability".into(),
            name: "Technical engageability of Russian ICBM warheads".into(),
            formula: "E = min(1, Σ E[site]·[site deployed])".into(),
            inputs: e_inputs,
            value: v.engageability,
            source: "docs/model.md §2; Sankaran, Arms Control Today (2013); GAO-13-382R".into(),
        };
        u_inputs.push(delta_input.clone());
        u_inputs.push(vars.input("V", "burnout_transparency"));
        let upgrade_headroom = Explained {
            id: "upgrade_headroom".into(),
            name: "Upgrade headroom".into(),
            formula: "U = min(1, Σ h[site]·[site deployed]·(1 − δ·[site held at risk])) · (1 − V)"
                .into(),
            inputs: u_inputs,
            value: v.upgrade_headroom,
            source: "docs/model.md §5 (design default)".into(),
        };
        // (variable, its symbol, credit parameter, the credit's symbol)
        let credits = [
            (
                "guarantee_political",
                "[political guarantee]",
                "credit_political",
                "c[political guarantee]",
            ),
            (
                "guarantee_legal",
                "[legal guarantee]",
                "credit_legal",
                "c[legal guarantee]",
            ),
            (
                "data_exchange",
                "[data exchange]",
                "credit_data_exchange",
                "c[data exchange]",
            ),
            (
                "joint_centre",
                "[joint data-fusion centre]",
                "credit_joint_centre",
                "c[joint data-fusion centre]",
            ),
        ];
        let mut g_inputs = Vec::new();
        for (var, var_symbol, credit, credit_symbol) in credits {
            g_inputs.push(vars.input(var_symbol, var));
            g_inputs.push(params.input(credit_symbol, credit));
        }
        g_inputs.push(vars.input("trust", "trust"));
        let guarantee_credit = Explained {
            id: "guarantee_credit".into(),
            name: "Guarantee credit".into(),
            formula: "G = min(1, Σ c[k]·[k in force]) · trust/100".into(),
            inputs: g_inputs,
            value: v.guarantee_credit,
            source: "docs/model.md §5; the credits c[k] are design defaults".into(),
        };
        let perceived_engageability = Explained {
            id: "perceived_engageability".into(),
            name: "Perceived engageability".into(),
            formula: "Ê = clamp(Ẽ + u·U − g·G, 0, 1), Ẽ = min(1, Σ E[site]·[site deployed]·(1 − δ·[site held at risk]))".into(),
            inputs: vec![
                Input {
                    symbol: "Ẽ".into(),
                    name: "engageability, sites held at risk discounted".into(),
                    value: v.engageability_seen,
                    source: "index engageability; parameter at_risk_discount".into(),
                },
                params.input("u", "perception_upgrade_weight"),
                idx("U", &upgrade_headroom),
                params.input("g", "perception_guarantee_weight"),
                idx("G", &guarantee_credit),
            ]
            .into_iter()
            .chain(e_seen_inputs)
            .chain([delta_input])
            .collect(),
            value: v.perceived_engageability,
            source: "docs/model.md §5".into(),
        };
        (
            engageability,
            upgrade_headroom,
            guarantee_credit,
            perceived_engageability,
        )
    }

    /// §3 Assured retaliation: survivors of a first strike, then the defence.
    fn retaliation(
        &self,
        kill_probability: &Explained,
        objects: &Explained,
    ) -> (Explained, Explained, Explained) {
        let Explain {
            params,
            vars,
            v,
            perceives,
            ..
        } = *self;
        let expected_intercepts = Explained {
            id: "expected_intercepts".into(),
            name: "Russian warheads intercepted in a second strike".into(),
            formula: "I = min(W·s·r·f_icbm·(1 − h)·E, N/(n·O)) · P_L".into(),
            inputs: vec![
                vars.input("W", "ru_warheads"),
                vars.input("s", "ru_survival"),
                params.input("r", "reliability"),
                params.input("f_icbm", "ru_icbm_share"),
                vars.input("h", "ru_hgv_share"),
                Input {
                    symbol: "E".into(),
                    name: if perceives {
                        "engageability used: Ê (perceived)".into()
                    } else {
                        "engageability used: E (technical)".into()
                    },
                    value: v.e_used,
                    source: if perceives {
                        "index perceived_engageability".into()
                    } else {
                        "index engageability".into()
                    },
                },
                Input {
                    symbol: "N".into(),
                    name: if perceives {
                        if v.europe_interceptors_seen < v.europe_interceptors {
                            format!(
                                "interceptors feared: the {} in Europe, those at sites held at risk counted at 1 − δ ({}), × (1 + k·U), k = {}",
                                v.europe_interceptors,
                                v.europe_interceptors_seen,
                                params.get("perceived_growth")
                            )
                            .into()
                        } else {
                            format!(
                                "interceptors feared: all {} in Europe × (1 + k·U), k = {}",
                                v.europe_interceptors,
                                params.get("perceived_growth")
                            )
                            .into()
                        }
                    } else {
                        "ICBM-capable European interceptors".into()
                    },
                    value: v.capacity_interceptors,
                    source: if perceives {
                        "batteries × interceptors per unit; parameter perceived_growth; index upgrade_headroom".into()
                    } else {
                        "batteries × interceptors per unit".into()
                    },
                },
                params.input("n", "shots_per_target"),
                idx("O", objects),
                idx("P_L", kill_probability),
            ],
            value: v.expected_intercepts,
            source: "docs/model.md §3".into(),
        };
        let retaliation_russia = Explained {
            id: "retaliation_russia".into(),
            name: "Assured retaliation, Russia".into(),
            formula: "A_RU = min(1, (W·s·r − I) / W_req)".into(),
            inputs: vec![
                vars.input("W", "ru_warheads"),
                vars.input("s", "ru_survival"),
                params.input("r", "reliability"),
                idx("I", &expected_intercepts),
                params.input("W_req", "w_req"),
            ],
            value: v.retaliation_russia,
            source: "docs/model.md §3".into(),
        };
        let retaliation_us = Explained {
            id: "retaliation_us".into(),
            name: "Assured retaliation, United States".into(),
            formula: "A_US = min(1, (W_US·s_US·r − I_RU) / W_req)".into(),
            inputs: vec![
                vars.input("W_US", "us_warheads"),
                vars.input("s_US", "us_survival"),
                params.input("r", "reliability"),
                params.input("I_RU", "ru_bmd_intercepts"),
                params.input("W_req", "w_req"),
            ],
            value: v.retaliation_us,
            source: "docs/model.md §3".into(),
        };
        (expected_intercepts, retaliation_russia, retaliation_us)
    }

    /// §4 First-strike stability.
    fn stability(&self) -> Explained {
        let Explain { params, v, .. } = *self;
        let (ru_arriving, ru_first, us_arriving, us_first) =
            (v.ru_arriving, v.ru_first, v.us_arriving, v.us_first);
        let stability = Explained {
            id: "stability".into(),
            name: "First-strike stability".into(),
            formula: "FSS = 1 − (1 − ρ_US)·(1 − ρ_RU), ρ = D(second strike) / D(first strike), D(w) = 1 − exp(−w/w_s)".into(),
            inputs: vec![
                Input {
                    symbol: "ρ_RU".into(),
                    name: format!(
                        "Russia: {ru_arriving:.0} warheads arrive striking second, {ru_first:.0} striking first"
                    )
                    .into(),
                    value: v.rho_ru,
                    source: "index retaliation_russia".into(),
                },
                Input {
                    symbol: "ρ_US".into(),
                    name: format!(
                        "US: {us_arriving:.0} warheads arrive striking second, {us_first:.0} striking first"
                    )
                    .into(),
                    value: v.rho_us,
                    source: "index retaliation_us".into(),
                },
                params.input("w_s", "w_scale"),
            ],
            value: v.stability,
            source: "docs/model.md §4; after Kent & Thaler, First-Strike Stability, RAND R-3765-AF (1989)"
                .into(),
        };
        stability
    }

    /// §6 Coverage of NATO Europe, defence of the United States, the Afghan border.
    fn regional(&self, kill_probability: &Explained) -> (Explained, Explained, Explained) {
        let Explain {
            scn,
            params,
            vars,
            v,
            ..
        } = *self;
        let slots = scn.slots();
        let mut cov_inputs = Vec::new();
        for (b, text) in scn.model.batteries.iter().zip(&slots.battery_text) {
            let units = battery_units(vars, b);
            cov_inputs.push(Input {
                symbol: text.c.clone(),
                name: text.name.clone(),
                value: if units > 0.0 { b.coverage } else { 0.0 },
                source: text.source.clone(),
            });
        }
        cov_inputs.extend([
            vars.input("R", "tpy2_radar"),
            params.input("k", "uncued_coverage_factor"),
            Input {
                symbol: "N_EU".into(),
                name: "interceptors deployed in Europe".into(),
                value: v.europe_interceptors,
                source: "batteries × interceptors per unit".into(),
            },
            params.input("S", "iran_salvo"),
            idx("P_L", kill_probability),
        ]);
        let coverage = Explained {
            id: "coverage".into(),
            name: "Coverage of NATO Europe against an Iranian salvo".into(),
            formula: "C = (1 − Π(1 − c[site])) · (R + (1 − R)·k) · min(1, N_EU/(n·S)) · P_L".into(),
            inputs: cov_inputs,
            value: v.coverage,
            source: "docs/model.md §6 (site coverage shares are design defaults)".into(),
        };
        let homeland_defence = Explained {
            id: "homeland_defence".into(),
            name: "Defence of the United States against a future Iranian ICBM".into(),
            formula: "H = (1 − Π(1 − h_US[site])) · P_L".into(),
            inputs: scn
                .model
                .batteries
                .iter()
                .zip(&slots.battery_text)
                .map(|(b, text)| Input {
                    symbol: text.h_us.clone(),
                    name: text.name.clone(),
                    value: if battery_units(vars, b) > 0.0 {
                        b.homeland
                    } else {
                        0.0
                    },
                    source: text.source.clone(),
                })
                .chain([idx("P_L", kill_probability)])
                .collect(),
            value: v.homeland_defence,
            source: "docs/model.md §6 (the IIB's purpose: 'the potential future ICBM threat to the US', article of 7 March 2013; shares are design defaults)".into(),
        };
        let border_security = Explained {
            id: "border_security".into(),
            name: "Afghan border security".into(),
            formula: "B = clamp((b + β·coop − ω·(1 − isaf)) / 100, 0, 1)".into(),
            inputs: vec![
                vars.input("b", "border_security"),
                params.input("β", "border_cooperation_bonus"),
                vars.input("coop", "csto_nato_cooperation"),
                params.input("ω", "border_withdrawal_penalty"),
                vars.input("isaf", "isaf_presence"),
            ],
            value: v.border_security,
            source: "docs/model.md §6".into(),
        };
        (coverage, homeland_defence, border_security)
    }
}

/// Expected intercepts of `launched` Russian warheads: engageable ICBM warheads, limited by
/// the defence's capacity, times the kill probability.
fn intercepts_of(launched: f64, icbm_share: f64, hgv: f64, e: f64, capacity: f64, pl: f64) -> f64 {
    (launched * icbm_share * (1.0 - hgv) * e).min(capacity) * pl
}

fn safe_ratio(a: f64, b: f64) -> f64 {
    if b <= 0.0 {
        0.0
    } else {
        clamp01(a / b)
    }
}

/// An objective a faction's score can weigh (the ids of [`OBJECTIVES`]), parsed once so that
/// scoring, which bots do thousands of times a game, compares no strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    RetaliationRussia,
    RetaliationUs,
    Stability,
    LowThreat,
    Status,
    Coverage,
    HomelandDefence,
    Cohesion,
    BorderSecurity,
    Autonomy,
    Readiness,
    AlliedSecurity,
    LowTension,
}

impl Objective {
    pub fn parse(id: &str) -> Option<Objective> {
        Some(match id {
            "retaliation_russia" => Objective::RetaliationRussia,
            "retaliation_us" => Objective::RetaliationUs,
            "stability" => Objective::Stability,
            "low_threat" => Objective::LowThreat,
            "status" => Objective::Status,
            "coverage" => Objective::Coverage,
            "homeland_defence" => Objective::HomelandDefence,
            "cohesion" => Objective::Cohesion,
            "border_security" => Objective::BorderSecurity,
            "autonomy" => Objective::Autonomy,
            "readiness" => Objective::Readiness,
            "allied_security" => Objective::AlliedSecurity,
            "low_tension" => Objective::LowTension,
            _ => return None,
        })
    }

    /// Its value in [0, 1] from a perspective's indices and variables.
    pub fn value(self, ix: &Values, vars: &ModelVars, s: &Slots) -> f64 {
        let share = |slot: usize| clamp01(vars.at(slot) / 100.0);
        match self {
            Objective::RetaliationRussia => ix.retaliation_russia,
            Objective::RetaliationUs => ix.retaliation_us,
            Objective::Stability => ix.stability,
            Objective::LowThreat => 1.0 - ix.perceived_engageability,
            Objective::Status => share(s.russia_status),
            Objective::Coverage => ix.coverage,
            Objective::HomelandDefence => ix.homeland_defence,
            Objective::Cohesion => share(s.nato_cohesion),
            Objective::BorderSecurity => ix.border_security,
            Objective::Autonomy => share(s.csto_autonomy),
            Objective::Readiness => share(s.csto_crrf_readiness),
            Objective::AlliedSecurity => 1.0 - share(s.theatre_threat),
            Objective::LowTension => 1.0 - share(s.tension),
        }
    }

    /// Its id in scenario files and reports.
    pub fn id(self) -> &'static str {
        match self {
            Objective::RetaliationRussia => "retaliation_russia",
            Objective::RetaliationUs => "retaliation_us",
            Objective::Stability => "stability",
            Objective::LowThreat => "low_threat",
            Objective::Status => "status",
            Objective::Coverage => "coverage",
            Objective::HomelandDefence => "homeland_defence",
            Objective::Cohesion => "cohesion",
            Objective::BorderSecurity => "border_security",
            Objective::Autonomy => "autonomy",
            Objective::Readiness => "readiness",
            Objective::AlliedSecurity => "allied_security",
            Objective::LowTension => "low_tension",
        }
    }

    /// The one-line formula shown on the score card.
    pub fn formula(self) -> &'static str {
        match self {
            Objective::RetaliationRussia => "A_RU",
            Objective::RetaliationUs => "A_US",
            Objective::Stability => "FSS",
            Objective::LowThreat => "1 − Ê",
            Objective::Status => "russia_status/100",
            Objective::Coverage => "C",
            Objective::HomelandDefence => "H",
            Objective::Cohesion => "nato_cohesion/100",
            Objective::BorderSecurity => "B",
            Objective::Autonomy => "csto_autonomy/100",
            Objective::Readiness => "csto_crrf_readiness/100",
            Objective::AlliedSecurity => "1 − theatre_threat/100",
            Objective::LowTension => "1 − tension/100",
        }
    }
}

/// The value of one objective for scoring, in [0, 1], with a one-line formula.
pub fn objective(id: &str, ix: &Values, vars: &ModelVars) -> Option<(f64, String)> {
    let o = Objective::parse(id)?;
    let slots = vars.scenario.slots();
    Some((o.value(ix, vars, &slots), o.formula().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barrage_formula_matches_hand_computation() {
        // T = 0.9, Pk = 0.5, n = 2: 0.9 · (1 − 0.25) = 0.675
        assert!((kill_probability(0.5, 0.9, 2.0) - 0.675).abs() < 1e-12);
        // Pk = 0.8, n = 2, T = 1: 1 − 0.04 = 0.96
        assert!((kill_probability(0.8, 1.0, 2.0) - 0.96).abs() < 1e-12);
        assert_eq!(kill_probability(0.0, 1.0, 2.0), 0.0);
    }

    #[test]
    fn every_objective_parses() {
        for o in OBJECTIVES {
            assert_eq!(Objective::parse(o).map(Objective::id), Some(*o));
        }
    }

    #[test]
    fn every_parameter_has_a_meaningful_range() {
        for p in REQUIRED_PARAMS {
            assert!(
                param_range(p).is_some(),
                "{p} has no range for scenario check"
            );
        }
    }

    #[test]
    fn decoys_multiply_objects() {
        // D = 2, d = 0.5: 1 + 2·0.5 = 2
        assert!((objects_per_warhead(2.0, 0.5) - 2.0).abs() < 1e-12);
        assert_eq!(objects_per_warhead(3.0, 1.0), 1.0);
    }

    #[test]
    fn stability_formula() {
        // ρ_US = 0.5, ρ_RU = 0.6: 1 − 0.5·0.4 = 0.8
        assert!((first_strike_stability(0.5, 0.6) - 0.8).abs() < 1e-12);
        assert_eq!(first_strike_stability(0.0, 0.0), 0.0);
        assert_eq!(first_strike_stability(1.0, 0.0), 1.0);
    }

    #[test]
    fn damage_has_diminishing_returns() {
        // w = w_s: 1 − e^−1 ≈ 0.632121
        assert!((damage(300.0, 300.0) - 0.632_120_558_8).abs() < 1e-9);
        assert_eq!(damage(0.0, 300.0), 0.0);
        assert!(damage(3000.0, 300.0) > 0.9999);
    }
}
