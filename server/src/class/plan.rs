//! Where a class's students sit: tables (games) of every faction, teams of at most the class's
//! team size. A pure function of the roster, so the class console can show the plan as it
//! changes with each join, and Start stores exactly what was shown (decision record 0011).

use crate::engine::FactionId;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A student on the class's roster, in the order they joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Student {
    pub id: Uuid,
    /// Where the teacher put this student (a table, from 0, and a faction), if anywhere.
    pub pinned: Option<(u32, FactionId)>,
}

/// One table of the plan: each faction's team (student ids, in the order seated). A faction
/// with nobody is a gap: a bot plays it if the class fills gaps with bots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub teams: BTreeMap<FactionId, Vec<Uuid>>,
}

impl Table {
    pub fn new(factions: &[FactionId]) -> Table {
        Table {
            teams: factions.iter().map(|f| (f.clone(), Vec::new())).collect(),
        }
    }

    /// Students seated at this table.
    pub fn size(&self) -> usize {
        self.teams.values().map(Vec::len).sum()
    }

    /// The factions nobody plays here.
    pub fn gaps(&self) -> impl Iterator<Item = &FactionId> {
        self.teams
            .iter()
            .filter(|(_, t)| t.is_empty())
            .map(|(f, _)| f)
    }
}

/// The seating of `students` (in join order) at tables of `factions` (scenario order) with
/// teams of at most `team_size`:
///
/// - as few tables as hold everyone (at least one, and at least up to the highest table a
///   student is pinned to);
/// - table sizes as even as can be (they differ by at most one, pins aside);
/// - a pinned student sits where pinned, if that team has room (pins count in join order;
///   one without room is seated as if not pinned);
/// - each other student, in join order, at the table furthest below its share, in the faction
///   with the fewest people there (ties: the lower table, the faction first in the scenario),
///   so factions fill one person each before any gets a second.
pub fn plan(students: &[Student], factions: &[FactionId], team_size: u32) -> Vec<Table> {
    let team_size = team_size.max(1) as usize;
    let per_table = (factions.len() * team_size).max(1);
    let pinned_tables = students
        .iter()
        .filter_map(|s| s.pinned.as_ref().map(|(t, _)| *t as usize + 1))
        .max()
        .unwrap_or(0);
    let count = students.len().div_ceil(per_table).max(1).max(pinned_tables);
    // Each table's share of the students: the first `extra` tables take one more.
    let (base, extra) = (students.len() / count, students.len() % count);
    let share = |t: usize| base + usize::from(t < extra);
    let mut tables: Vec<Table> = (0..count).map(|_| Table::new(factions)).collect();
    let mut loose = Vec::new();
    for s in students {
        match &s.pinned {
            Some((t, f)) => match tables[*t as usize].teams.get_mut(f) {
                Some(team) if team.len() < team_size => team.push(s.id),
                _ => loose.push(s.id),
            },
            None => loose.push(s.id),
        }
    }
    for id in loose {
        let best = (0..count)
            .filter(|&t| tables[t].teams.values().any(|team| team.len() < team_size))
            .max_by(|&a, &b| {
                let below = |t: usize| share(t) as i64 - tables[t].size() as i64;
                // Furthest below its share; then the lower table (max_by keeps the last of
                // equals, so compare the lower one as greater).
                below(a).cmp(&below(b)).then(b.cmp(&a))
            });
        let Some(t) = best else {
            // Every team of every table is full: only when pins crowded the plan. A new table.
            let mut table = Table::new(factions);
            seat_in(&mut table, factions, team_size, id);
            tables.push(table);
            continue;
        };
        seat_in(&mut tables[t], factions, team_size, id);
    }
    tables
}

/// Seats `id` at `table`, which has room, in the faction with the fewest people and room
/// (ties: scenario order).
fn seat_in(table: &mut Table, factions: &[FactionId], team_size: usize, id: Uuid) {
    let f = factions
        .iter()
        .filter(|f| table.teams[*f].len() < team_size)
        .min_by_key(|f| table.teams[*f].len());
    if let Some(team) = f.and_then(|f| table.teams.get_mut(f)) {
        team.push(id);
    }
}

/// Where a student who joins after Start sits: the faction with the most room at the table
/// with the fewest people that has room (a faction a bot plays counts as room: the bot hands
/// it over). `None` when every team of every table is full.
pub fn late_seat(
    tables: &[Table],
    factions: &[FactionId],
    team_size: u32,
) -> Option<(u32, FactionId)> {
    let team_size = team_size.max(1) as usize;
    let t = (0..tables.len())
        .filter(|&t| tables[t].teams.values().any(|team| team.len() < team_size))
        .min_by_key(|&t| tables[t].size())?;
    let f = factions
        .iter()
        .filter(|f| {
            tables[t]
                .teams
                .get(*f)
                .is_some_and(|team| team.len() < team_size)
        })
        .min_by_key(|f| tables[t].teams[*f].len())?;
    Some((t as u32, f.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn factions() -> Vec<FactionId> {
        ["russia", "us_nato", "csto"]
            .into_iter()
            .map(FactionId::new)
            .collect()
    }

    fn roster(n: usize) -> Vec<Student> {
        (0..n)
            .map(|k| Student {
                id: Uuid::from_u128(k as u128 + 1),
                pinned: None,
            })
            .collect()
    }

    fn sizes(tables: &[Table]) -> Vec<usize> {
        tables.iter().map(Table::size).collect()
    }

    fn team_sizes(table: &Table) -> Vec<usize> {
        factions().iter().map(|f| table.teams[f].len()).collect()
    }

    #[test]
    fn thirty_students_in_teams_of_two_make_five_full_tables() {
        let tables = plan(&roster(30), &factions(), 2);
        assert_eq!(sizes(&tables), [6, 6, 6, 6, 6]);
        assert!(tables.iter().all(|t| team_sizes(t) == [2, 2, 2]));
    }

    #[test]
    fn uneven_classes_make_even_tables_and_factions_fill_one_person_each_first() {
        let tables = plan(&roster(28), &factions(), 2);
        assert_eq!(sizes(&tables), [6, 6, 6, 5, 5]);
        assert_eq!(team_sizes(&tables[4]), [2, 2, 1]);
        // Seven single players: three tables of 3, 2 and 2; the last two have a gap.
        let tables = plan(&roster(7), &factions(), 1);
        assert_eq!(sizes(&tables), [3, 2, 2]);
        let gaps: Vec<Vec<&str>> = tables
            .iter()
            .map(|t| t.gaps().map(FactionId::as_str).collect())
            .collect();
        assert_eq!(gaps, [vec![], vec!["csto"], vec!["csto"]]);
        // With equal shares, join order alternates the tables: the first two sit apart.
        let tables = plan(&roster(6), &factions(), 1);
        assert_eq!(
            tables[0].teams[&FactionId::new("russia")],
            [Uuid::from_u128(1)]
        );
        assert_eq!(
            tables[1].teams[&FactionId::new("russia")],
            [Uuid::from_u128(2)]
        );
        // Nobody yet: one empty table.
        assert_eq!(sizes(&plan(&[], &factions(), 2)), [0]);
    }

    #[test]
    fn the_teacher_s_pins_hold_where_the_team_has_room() {
        let mut students = roster(12);
        let (russia, csto) = (FactionId::new("russia"), FactionId::new("csto"));
        students[11].pinned = Some((0, csto.clone()));
        students[8].pinned = Some((1, russia.clone()));
        students[9].pinned = Some((1, russia.clone()));
        // A third pin to a team of two (the console refuses it; a plan must still hold):
        // pins count in join order, and the last has no room, so it is seated as if not pinned.
        students[10].pinned = Some((1, russia.clone()));
        let tables = plan(&students, &factions(), 2);
        assert_eq!(sizes(&tables), [6, 6]);
        assert!(tables[0].teams[&csto].contains(&students[11].id));
        assert_eq!(tables[1].teams[&russia], [students[8].id, students[9].id]);
        // A pin to a table beyond the plan's count opens it.
        let mut students = roster(2);
        students[0].pinned = Some((2, russia));
        assert_eq!(plan(&students, &factions(), 1).len(), 3);
    }

    #[test]
    fn a_late_joiner_takes_the_most_room_at_the_emptiest_table() {
        let mut tables = plan(&roster(5), &factions(), 1);
        assert_eq!(sizes(&tables), [3, 2]);
        assert_eq!(
            late_seat(&tables, &factions(), 1),
            Some((1, FactionId::new("csto")))
        );
        tables[1]
            .teams
            .get_mut(&FactionId::new("csto"))
            .expect("team")
            .push(Uuid::from_u128(99));
        assert_eq!(late_seat(&tables, &factions(), 1), None, "every team full");
    }

    proptest! {
        /// Everyone sits exactly once, no team is over the size, the plan is a function of
        /// the roster, and without pins the tables are as few and as even as can be.
        #[test]
        fn every_roster_is_seated_once_within_the_team_size(
            n in 0usize..200,
            team_size in 1u32..5,
            pins in proptest::collection::vec((0usize..200, 0u32..6, 0usize..3), 0..20),
        ) {
            let mut students = roster(n);
            let plain = plan(&students, &factions(), team_size);
            let per_table = 3 * team_size as usize;
            prop_assert_eq!(plain.len(), n.div_ceil(per_table).max(1));
            let s = sizes(&plain);
            prop_assert!(s.iter().max().unwrap_or(&0) - s.iter().min().unwrap_or(&0) <= 1);
            for (k, table, f) in pins {
                if let Some(st) = students.get_mut(k) {
                    st.pinned = Some((table, factions()[f].clone()));
                }
            }
            let tables = plan(&students, &factions(), team_size);
            prop_assert_eq!(&tables, &plan(&students, &factions(), team_size));
            let mut seated: Vec<Uuid> = tables
                .iter()
                .flat_map(|t| t.teams.values().flatten().copied())
                .collect();
            seated.sort();
            let mut all: Vec<Uuid> = students.iter().map(|s| s.id).collect();
            all.sort();
            prop_assert_eq!(seated, all);
            for t in &tables {
                prop_assert!(t.teams.values().all(|team| team.len() <= team_size as usize));
            }
        }
    }
}
