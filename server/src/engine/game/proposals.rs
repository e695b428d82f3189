//! Proposals: making, answering, countering and withdrawing them, and the checks on their
//! terms and on what signing costs.

use super::*;

impl Game {
    pub(super) fn propose(&self, seat: &Seat, terms: &Terms) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "propose")?;
        self.need_phase(Phase::Negotiation, "proposals are made in negotiation")?;
        self.check_terms(f, terms)?;
        Ok(vec![Event::ProposalMade {
            proposal: self.new_proposal(f, terms.clone(), None),
        }])
    }

    pub(super) fn reject(
        &self,
        seat: &Seat,
        proposal: u32,
        reason: &str,
    ) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "reject a proposal")?;
        self.need_phase(Phase::Negotiation, "proposals are answered in negotiation")?;
        let p = self.open_proposal_for(f, proposal)?;
        check_len("reason", reason, MAX_TITLE_CHARS)?;
        Ok(vec![Event::ProposalRejected {
            proposal: p.id,
            by: f.clone(),
            reason: reason.to_owned(),
        }])
    }

    pub(super) fn counter(
        &self,
        seat: &Seat,
        proposal: u32,
        terms: &Terms,
    ) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "counter a proposal")?;
        self.need_phase(Phase::Negotiation, "proposals are answered in negotiation")?;
        let p = self.open_proposal_for(f, proposal)?;
        self.check_terms(f, terms)?;
        // Same parties, so that a counter never tells a newcomer about the proposal it
        // answers (or the original's parties about a counter they cannot see).
        let mut parties = terms.parties.clone();
        parties.sort();
        parties.dedup();
        if parties != p.terms.parties {
            return Err(CommandError::Invalid(
                "a counter-proposal keeps the parties of the proposal it answers; make a new proposal to involve others"
                    .into(),
            ));
        }
        let counter = self.new_proposal(f, terms.clone(), Some(p.id));
        Ok(vec![
            Event::ProposalCountered {
                proposal: p.id,
                by: f.clone(),
                counter: counter.id,
            },
            Event::ProposalMade { proposal: counter },
        ])
    }

    pub(super) fn withdraw(&self, seat: &Seat, proposal: u32) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "withdraw a proposal")?;
        let p = self.find_proposal(proposal, Some(f))?;
        if p.proposer != *f {
            return Err(CommandError::NotYourFaction(format!(
                "proposal {} was made by {}; only its proposer can withdraw it",
                p.id,
                self.faction_name(&p.proposer)
            )));
        }
        if p.status != ProposalStatus::Open {
            return Err(CommandError::Invalid(format!(
                "proposal {} is no longer open",
                p.id
            )));
        }
        Ok(vec![Event::ProposalWithdrawn { proposal: p.id }])
    }

    fn new_proposal(&self, f: &FactionId, mut terms: Terms, counter_of: Option<u32>) -> Proposal {
        terms.parties.sort();
        terms.parties.dedup();
        Proposal {
            id: opaque_id(
                self.config.seed,
                STREAM_PROPOSAL_IDS,
                self.proposals.len(),
                |id| self.proposals.iter().any(|p| p.id == id),
            ),
            round: self.round,
            proposer: f.clone(),
            terms,
            accepted_by: BTreeSet::from([f.clone()]),
            status: ProposalStatus::Open,
            counter_of,
        }
    }

    fn find_proposal(
        &self,
        id: u32,
        viewer: Option<&FactionId>,
    ) -> Result<&Proposal, CommandError> {
        // A faction that is not a party learns nothing about the proposal, not even that it
        // exists: same error as an unknown id.
        self.proposals
            .iter()
            .find(|p| p.id == id && viewer.is_none_or(|f| p.terms.parties.contains(f)))
            .ok_or_else(|| CommandError::Unknown {
                kind: "proposal",
                id: id.to_string(),
                hint: String::new(),
            })
    }

    fn open_proposal_for(&self, f: &FactionId, id: u32) -> Result<&Proposal, CommandError> {
        let p = self.find_proposal(id, Some(f))?;
        if p.status != ProposalStatus::Open {
            return Err(CommandError::Invalid(format!(
                "proposal {id} is no longer open"
            )));
        }
        Ok(p)
    }

    /// Validates a proposal's terms for `proposer`.
    pub fn check_terms(&self, proposer: &FactionId, terms: &Terms) -> Result<(), CommandError> {
        let scn = &self.scenario;
        if terms.title.trim().is_empty() {
            return Err(CommandError::Invalid(
                "give the proposal a title, e.g. \"Moscow accord\"".into(),
            ));
        }
        check_len("title", &terms.title, MAX_TITLE_CHARS)?;
        for p in &terms.parties {
            self.faction_exists(p)?;
        }
        let parties: BTreeSet<&FactionId> = terms.parties.iter().collect();
        if !parties.contains(proposer) {
            return Err(CommandError::Invalid(
                "the proposer must be one of the parties".into(),
            ));
        }
        if parties.len() < 2 {
            return Err(CommandError::Invalid(
                "an agreement needs at least two parties".into(),
            ));
        }
        if terms.clauses.is_empty() {
            return Err(CommandError::Invalid(
                "a proposal needs at least one clause".into(),
            ));
        }
        if terms.clauses.len() > MAX_CLAUSES {
            return Err(CommandError::Limit(format!(
                "a proposal has at most {MAX_CLAUSES} clauses"
            )));
        }
        let rounds = scn.rounds.len() as u32;
        if terms.duration_rounds == 0 || terms.duration_rounds > rounds {
            return Err(CommandError::Invalid(format!(
                "duration must be 1 to {rounds} rounds"
            )));
        }
        for (i, c) in terms.clauses.iter().enumerate() {
            let n = i + 1;
            let bad = |message: String| CommandError::MalformedClause { clause: n, message };
            let kind = scn.clause_kind(c.kind.as_str()).ok_or_else(|| {
                bad(format!(
                    "unknown clause kind \"{}\"{}",
                    c.kind,
                    hint(
                        c.kind.as_str(),
                        scn.clause_kinds.iter().map(|k| k.id.as_str())
                    )
                ))
            })?;
            if !parties.contains(&c.by) {
                return Err(bad(format!(
                    "the bound party \"{}\" is not a party to the proposal",
                    c.by
                )));
            }
            if !kind.givers.is_empty() && !kind.givers.contains(&c.by) {
                return Err(bad(format!(
                    "\"{}\" can only be given by {}",
                    kind.name,
                    kind.givers
                        .iter()
                        .map(|g| self.faction_name(g))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            // An agreement binds only its parties: a clause that names an institution of
            // other factions, or is given to one, needs them to sign.
            let missing: Vec<String> = kind
                .parties
                .iter()
                .filter(|f| !parties.contains(f))
                .map(|f| self.faction_name(f))
                .collect();
            if !missing.is_empty() {
                let needed: Vec<String> =
                    kind.parties.iter().map(|f| self.faction_name(f)).collect();
                return Err(bad(format!(
                    "\"{}\" needs {} among the parties (it concerns {}); add {} or drop the clause",
                    kind.name,
                    missing.join(" and "),
                    needed.join(" and "),
                    if missing.len() == 1 { "it" } else { "them" }
                )));
            }
            let unexpected = |field: &str| bad(format!("\"{}\" takes no {field}", kind.name));
            match kind.form {
                ClauseForm::Forbid => {
                    let a = c
                        .action
                        .as_ref()
                        .ok_or_else(|| bad(format!("\"{}\" needs an action", kind.name)))?;
                    let action = scn.action(a.as_str()).ok_or_else(|| {
                        bad(format!(
                            "unknown action \"{a}\"{}",
                            hint(a.as_str(), scn.actions.iter().map(|x| x.id.as_str()))
                        ))
                    })?;
                    if !kind.actions.is_empty() && !kind.actions.contains(a) {
                        return Err(bad(format!(
                            "\"{}\" cannot name \"{}\"; it covers: {}",
                            kind.name,
                            a,
                            kind.actions
                                .iter()
                                .map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    if action.owner != c.by {
                        return Err(bad(format!(
                            "\"{}\" is an action of {}, so {} cannot promise to refrain from it",
                            action.name,
                            self.faction_name(&action.owner),
                            self.faction_name(&c.by)
                        )));
                    }
                    if c.var.is_some() || c.max.is_some() || c.to.is_some() || c.amount.is_some() {
                        return Err(unexpected("var, max, to or amount"));
                    }
                }
                ClauseForm::Cap => {
                    let v = c
                        .var
                        .as_ref()
                        .ok_or_else(|| bad(format!("\"{}\" needs a var", kind.name)))?;
                    let vi = scn.var_index(v.as_str()).ok_or_else(|| {
                        bad(format!(
                            "unknown state variable \"{v}\"{}",
                            hint(v.as_str(), scn.variables.iter().map(|x| x.id.as_str()))
                        ))
                    })?;
                    let var = &scn.variables[vi];
                    if !kind.vars.is_empty() && !kind.vars.contains(v) {
                        return Err(bad(format!("\"{}\" cannot cap \"{v}\"", kind.name)));
                    }
                    if var.owner.as_ref() != Some(&c.by) {
                        return Err(bad(format!(
                            "{} does not control \"{}\"",
                            self.faction_name(&c.by),
                            var.name
                        )));
                    }
                    let max = c
                        .max
                        .ok_or_else(|| bad(format!("\"{}\" needs a max", kind.name)))?;
                    if !max.is_finite() || max < var.min || max > var.max {
                        return Err(bad(format!(
                            "max must be between {} and {}",
                            var.min, var.max
                        )));
                    }
                    if c.action.is_some() || c.to.is_some() || c.amount.is_some() {
                        return Err(unexpected("action, to or amount"));
                    }
                }
                ClauseForm::Transfer => {
                    let to =
                        c.to.as_ref()
                            .ok_or_else(|| bad("a transfer needs \"to\"".into()))?;
                    if !parties.contains(to) || *to == c.by {
                        return Err(bad(
                            "a transfer goes to another party of the proposal".into()
                        ));
                    }
                    let amount = c
                        .amount
                        .ok_or_else(|| bad("a transfer needs an amount".into()))?;
                    if !amount.is_finite() || amount <= 0.0 || amount > 1000.0 {
                        return Err(bad("the amount must be above 0 and at most 1000".into()));
                    }
                    if c.action.is_some() || c.var.is_some() || c.max.is_some() {
                        return Err(unexpected("action, var or max"));
                    }
                }
                ClauseForm::Guarantee | ClauseForm::Transparency | ClauseForm::Cooperation => {
                    if c.action.is_some()
                        || c.var.is_some()
                        || c.max.is_some()
                        || c.to.is_some()
                        || c.amount.is_some()
                    {
                        return Err(unexpected("action, var, max, to or amount"));
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn accept(&self, seat: &Seat, id: u32) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "accept a proposal")?;
        self.need_phase(Phase::Negotiation, "proposals are answered in negotiation")?;
        let p = self.open_proposal_for(f, id)?;
        if p.accepted_by.contains(f) {
            return Err(CommandError::Invalid(format!(
                "{} has already accepted proposal {id}",
                self.faction_name(f)
            )));
        }
        let mut events = vec![Event::ProposalAccepted {
            proposal: id,
            by: f.clone(),
        }];
        let everyone = p
            .terms
            .parties
            .iter()
            .all(|x| x == f || p.accepted_by.contains(x));
        // The accepting party must be able to pay its own share now; at the last signature a
        // party that can no longer pay is not named (that would reveal its capital).
        let own_share = Terms {
            clauses: p
                .terms
                .clauses
                .iter()
                .filter(|c| c.by == *f)
                .cloned()
                .collect(),
            ..p.terms.clone()
        };
        self.signature_purses(&own_share)
            .map_err(|(_, m)| CommandError::OverBudget(m))?;
        if everyone {
            let purses = self.signature_purses(&p.terms).map_err(|(payer, m)| {
                if payer == *f {
                    CommandError::OverBudget(m)
                } else {
                    CommandError::OverBudget(
                        "a party can no longer pay its share of this agreement; it cannot be signed as it stands"
                            .into(),
                    )
                }
            })?;
            let needs_ratification = p.terms.clauses.iter().any(|c| {
                self.scenario
                    .clause_kind(c.kind.as_str())
                    .is_some_and(|k| k.ratification.is_some())
            });
            let agreement = Agreement {
                id: opaque_id(
                    self.config.seed,
                    STREAM_AGREEMENT_IDS,
                    self.core.agreements.len(),
                    |id| self.core.agreements.iter().any(|a| a.id == id),
                ),
                proposal: id,
                terms: p.terms.clone(),
                signed_round: self.round,
                until_round: self.round + p.terms.duration_rounds,
                status: if needs_ratification {
                    AgreementStatus::PendingRatification
                } else {
                    AgreementStatus::InForce
                },
            };
            events.push(Event::AgreementSigned { agreement, purses });
        }
        Ok(events)
    }

    /// The parties' purses after paying clause costs and transfers, or an error naming who
    /// cannot pay.
    fn signature_purses(
        &self,
        terms: &Terms,
    ) -> Result<BTreeMap<FactionId, Purse>, (FactionId, String)> {
        let mut purses: BTreeMap<FactionId, Purse> = terms
            .parties
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    self.core.purses.get(f).copied().unwrap_or_default(),
                )
            })
            .collect();
        for (i, c) in terms.clauses.iter().enumerate() {
            let Some(kind) = self.scenario.clause_kind(c.kind.as_str()) else {
                continue;
            };
            let payer = purses.entry(c.by.clone()).or_default();
            payer.capital -= kind.capital_cost;
            if payer.capital < -1e-9 {
                return Err((
                    c.by.clone(),
                    format!(
                        "{} lacks the political capital for clause {} ({} needed)",
                        self.faction_name(&c.by),
                        i + 1,
                        kind.capital_cost
                    ),
                ));
            }
            if kind.form == ClauseForm::Transfer {
                let amount = c.amount.unwrap_or(0.0);
                payer.budget -= amount;
                if payer.budget < -1e-9 {
                    return Err((
                        c.by.clone(),
                        format!(
                            "{} lacks the budget for the transfer in clause {}",
                            self.faction_name(&c.by),
                            i + 1
                        ),
                    ));
                }
                if let Some(to) = &c.to {
                    purses.entry(to.clone()).or_default().budget += amount;
                }
            }
        }
        Ok(purses)
    }
}
