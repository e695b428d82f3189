//! Orders: giving, amending and withdrawing them, and the checks on a faction's draft
//! (prerequisites, limits, budget, and the clauses an order would break).

use super::*;

impl Game {
    pub(super) fn submit_order(
        &self,
        seat: &Seat,
        action: &ActionId,
        quantity: u32,
        confirm_breach: bool,
    ) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "give orders")?;
        self.need_phase(Phase::Orders, "orders are given in the orders phase")?;
        let order = Order {
            id: self.next_order.get(f).copied().unwrap_or(1),
            action: action.clone(),
            quantity,
        };
        self.check_orders(f, None, Some(&order))?;
        if !confirm_breach {
            let breaks = self.would_breach(f, action);
            if !breaks.is_empty() {
                return Err(CommandError::WouldBreach {
                    action: self
                        .scenario
                        .action(action.as_str())
                        .map_or_else(|| action.to_string(), |a| a.name.to_string()),
                    breaks,
                });
            }
        }
        Ok(vec![Event::OrderSubmitted {
            faction: f.clone(),
            order,
        }])
    }

    pub(super) fn amend_order(
        &self,
        seat: &Seat,
        order: u32,
        quantity: u32,
    ) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "amend orders")?;
        self.need_phase(Phase::Orders, "orders are amended in the orders phase")?;
        let existing = self.own_order(f, order)?;
        let amended = Order {
            quantity,
            ..existing.clone()
        };
        self.check_orders(f, Some(order), Some(&amended))?;
        Ok(vec![Event::OrderAmended {
            faction: f.clone(),
            order,
            quantity,
        }])
    }

    pub(super) fn withdraw_order(
        &self,
        seat: &Seat,
        order: u32,
    ) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "withdraw orders")?;
        self.need_phase(Phase::Orders, "orders are withdrawn in the orders phase")?;
        self.own_order(f, order)?;
        Ok(vec![Event::OrderWithdrawn {
            faction: f.clone(),
            order,
        }])
    }

    fn own_order(&self, f: &FactionId, id: u32) -> Result<&Order, CommandError> {
        self.orders
            .get(f)
            .and_then(|os| os.iter().find(|o| o.id == id))
            .ok_or_else(|| CommandError::Unknown {
                kind: "order",
                id: id.to_string(),
                hint: String::new(),
            })
    }

    /// Checks a faction's orders draft with `replace` removed and `add` added: action known
    /// and owned, quantity, prerequisites, limits and budget.
    pub fn check_orders(
        &self,
        f: &FactionId,
        replace: Option<u32>,
        add: Option<&Order>,
    ) -> Result<(), CommandError> {
        self.check_orders_with(f, replace, add.map(std::slice::from_ref).unwrap_or(&[]))
    }

    /// As [`Game::check_orders`], adding several orders (bots plan a whole draft at once).
    pub fn check_orders_with(
        &self,
        f: &FactionId,
        replace: Option<u32>,
        extra: &[Order],
    ) -> Result<(), CommandError> {
        let scn = &self.scenario;
        let mut draft: Vec<&Order> = self
            .orders
            .get(f)
            .map(|os| os.iter().filter(|o| Some(o.id) != replace).collect())
            .unwrap_or_default();
        for o in extra {
            let action = scn
                .action(o.action.as_str())
                .ok_or_else(|| CommandError::Unknown {
                    kind: "action",
                    id: o.action.to_string(),
                    hint: hint(
                        o.action.as_str(),
                        scn.actions
                            .iter()
                            .filter(|a| a.owner == *f)
                            .map(|a| a.id.as_str()),
                    ),
                })?;
            if action.owner != *f {
                return Err(CommandError::NotYourFaction(format!(
                    "\"{}\" is an action of {}",
                    action.name,
                    self.faction_name(&action.owner)
                )));
            }
            if o.quantity == 0 || o.quantity > MAX_QUANTITY {
                return Err(CommandError::Invalid(format!(
                    "quantity must be 1 to {MAX_QUANTITY}"
                )));
            }
            for r in &action.requires {
                let v = self.var(r.var.as_str());
                let ok = r.min.is_none_or(|m| v >= m) && r.max.is_none_or(|m| v <= m);
                if !ok {
                    let msg = if r.message.is_empty() {
                        format!(
                            "\"{}\" requires {} {}",
                            action.name,
                            r.var,
                            describe_bounds(r.min, r.max)
                        )
                    } else {
                        r.message.clone()
                    };
                    return Err(CommandError::Prerequisite(msg));
                }
            }
            draft.push(o);
        }
        let mut per_action: BTreeMap<&ActionId, u32> = BTreeMap::new();
        let mut budget = 0.0;
        let mut capital = 0.0;
        for o in &draft {
            let Some(a) = scn.action(o.action.as_str()) else {
                continue;
            };
            *per_action.entry(&o.action).or_default() += o.quantity;
            budget += a.budget * f64::from(o.quantity);
            capital += a.capital * f64::from(o.quantity);
        }
        for (id, q) in per_action {
            let Some(a) = scn.action(id.as_str()) else {
                continue;
            };
            if q > a.max_per_round {
                return Err(CommandError::Limit(format!(
                    "\"{}\": at most {} per round",
                    a.name, a.max_per_round
                )));
            }
            if let Some(max) = a.max_total {
                let used = self.core.used.get(id).copied().unwrap_or(0);
                if used + q > max {
                    return Err(CommandError::Limit(format!(
                        "\"{}\": at most {} in the whole game, {} already ordered",
                        a.name, max, used
                    )));
                }
            }
        }
        let purse = self.core.purses.get(f).copied().unwrap_or_default();
        if budget > purse.budget + 1e-9 {
            return Err(CommandError::OverBudget(format!(
                "these orders cost {budget} budget and {} has {}",
                self.faction_name(f),
                purse.budget
            )));
        }
        if capital > purse.capital + 1e-9 {
            return Err(CommandError::OverBudget(format!(
                "these orders cost {capital} political capital and {} has {}",
                self.faction_name(f),
                purse.capital
            )));
        }
        Ok(())
    }

    /// Clauses of agreements in force (or pending) that an order of `action` by `f` would
    /// break, as "clause N of TITLE". Used by clients to warn before submitting.
    pub fn would_breach(&self, f: &FactionId, action: &ActionId) -> Vec<String> {
        let mut out = Vec::new();
        let Some(a) = self.scenario.action(action.as_str()) else {
            return out;
        };
        for ag in &self.core.agreements {
            if !matches!(
                ag.status,
                AgreementStatus::InForce | AgreementStatus::PendingRatification
            ) {
                continue;
            }
            for (i, c) in ag.terms.clauses.iter().enumerate() {
                if c.by != *f {
                    continue;
                }
                let Some(kind) = self.scenario.clause_kind(c.kind.as_str()) else {
                    continue;
                };
                let breaks = match kind.form {
                    ClauseForm::Forbid => c.action.as_ref() == Some(action),
                    ClauseForm::Cap => c.var.as_ref().is_some_and(|v| {
                        let now = self.var(v.as_str());
                        let delta: f64 = a
                            .effects
                            .iter()
                            .filter(|e| e.var == *v)
                            .map(|e| match (e.delta, e.set) {
                                (Some(d), _) => d,
                                (None, Some(s)) => s - now,
                                _ => 0.0,
                            })
                            .sum();
                        delta > 0.0 && now + delta > c.max.unwrap_or(f64::INFINITY) + 1e-9
                    }),
                    _ => false,
                };
                if breaks {
                    out.push(format!("clause {} of the {}", i + 1, ag.terms.title));
                }
            }
        }
        out
    }
}
