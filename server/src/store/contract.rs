//! The contract every [`Store`] must meet, run against SQLite and Postgres alike
//! (`store::tests`). Also home of the test helpers that make a fresh database of each kind.

use super::*;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

/// A game's row for tests: a new id, code `code`, the default scenario, nothing appended.
pub(crate) fn game_row(code: &str) -> GameRow {
    GameRow {
        id: Uuid::new_v4(),
        join_code: code.to_owned(),
        scenario: "missile-defence-2013".into(),
        control_token_hash: vec![1; 32],
        created_at: 1_000,
        last_seq: 0,
        deadline_at: None,
        ended: false,
    }
}

fn seat_row(game: Uuid, role: SeatRole, faction: Option<&str>, token: u8) -> SeatRow {
    SeatRow {
        id: Uuid::new_v4(),
        game_id: game,
        role,
        faction: faction.map(str::to_owned),
        name: format!("{role} {}", faction.unwrap_or("")),
        token_hash: vec![token; 32],
        created_at: 1_000 + i64::from(token),
    }
}

fn command_row(game: Uuid, seat: Uuid, client_id: &str, result: &str) -> CommandRow {
    CommandRow {
        game_id: game,
        seat_id: seat,
        client_id: client_id.into(),
        request_hash: vec![7; 32],
        result: result.into(),
        created_at: 2_000,
    }
}

/// Runs every check against `s` (a fresh, migrated store).
pub async fn run<S: Store>(s: &S) {
    s.ping().await.expect("ping");
    s.migrate().await.expect("migrations run twice are a no-op");

    // Create a game with its Control seat and two first events.
    let g = game_row("ABCD23");
    let control = seat_row(g.id, SeatRole::Control, None, 10);
    let status = GameStatus {
        deadline_at: Some(5_000),
        ended: false,
    };
    s.create_game(
        &g,
        std::slice::from_ref(&control),
        &["e1".into(), "e2".into()],
        status,
    )
    .await
    .expect("create game");
    let stored = s.game(g.id).await.expect("read").expect("game exists");
    assert_eq!(stored.last_seq, 2, "{}: first events get 1..=n", s.kind());
    assert_eq!(stored.deadline_at, Some(5_000));
    assert!(!stored.ended);
    assert_eq!(
        s.game_by_code("ABCD23").await.expect("read").map(|x| x.id),
        Some(g.id)
    );
    assert_eq!(s.game_by_code("ZZZZ99").await.expect("read"), None);
    assert_eq!(s.game(Uuid::new_v4()).await.expect("read"), None);

    // Join codes are unique.
    let clash = game_row("ABCD23");
    let e = s
        .create_game(&clash, &[], &[], status)
        .await
        .expect_err("a duplicate join code is refused");
    assert!(matches!(e, StoreError::Duplicate(_)), "{}: {e}", s.kind());
    assert_eq!(
        s.game(clash.id).await.expect("read"),
        None,
        "nothing of it is kept"
    );

    // Seats: by token, by game; tokens are unique.
    let russia = seat_row(g.id, SeatRole::Faction, Some("russia"), 11);
    assert!(s.add_seat(&russia, Some(2)).await.expect("add seat"));
    assert_eq!(
        s.seat_by_token(&[11; 32]).await.expect("read"),
        Some(russia.clone())
    );
    assert_eq!(s.seat_by_token(&[99; 32]).await.expect("read"), None);
    let twin = seat_row(g.id, SeatRole::Faction, Some("csto"), 11);
    assert!(matches!(
        s.add_seat(&twin, None).await,
        Err(StoreError::Duplicate(_))
    ));
    let seats = s.seats(g.id).await.expect("seats");
    assert_eq!(seats, vec![control.clone(), russia.clone()]);

    // Team sizes: a full team refuses a seat and writes nothing.
    let second = seat_row(g.id, SeatRole::Faction, Some("russia"), 12);
    assert!(!s.add_seat(&second, Some(1)).await.expect("checked"));
    assert_eq!(s.seat_by_token(&[12; 32]).await.expect("read"), None);
    // Concurrent joins to a team with one place left: exactly one gets in.
    let joins: Vec<_> = (20u8..28)
        .map(|t| seat_row(g.id, SeatRole::Faction, Some("us_nato"), t))
        .collect();
    let results =
        futures_util::future::join_all(joins.iter().map(|j| s.add_seat(j, Some(1)))).await;
    let admitted = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(admitted, 1, "{}: {results:?}", s.kind());
    let nato = s.seats(g.id).await.expect("seats");
    assert_eq!(
        nato.iter()
            .filter(|x| x.faction.as_deref() == Some("us_nato"))
            .count(),
        1
    );
    // Observers: a limit without a faction counts the game's observers.
    let watchers: Vec<_> = (200u8..206)
        .map(|t| seat_row(g.id, SeatRole::Observer, None, t))
        .collect();
    let results =
        futures_util::future::join_all(watchers.iter().map(|w| s.add_seat(w, Some(2)))).await;
    let admitted = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(admitted, 2, "observers, {}: {results:?}", s.kind());
    // Moving seats: to a full team is refused; Control's seat never moves.
    assert_eq!(
        s.move_seat(g.id, russia.id, SeatRole::Faction, Some("us_nato"), Some(1))
            .await
            .expect("move"),
        SeatMove::Full
    );
    assert_eq!(
        s.move_seat(g.id, control.id, SeatRole::Observer, None, None)
            .await
            .expect("move"),
        SeatMove::NotFound
    );
    assert_eq!(
        s.move_seat(Uuid::new_v4(), russia.id, SeatRole::Observer, None, None)
            .await
            .expect("move"),
        SeatMove::NotFound
    );
    let SeatMove::Moved(moved) = s
        .move_seat(g.id, russia.id, SeatRole::Faction, Some("csto"), Some(1))
        .await
        .expect("move")
    else {
        panic!("{}: the move is allowed", s.kind());
    };
    assert_eq!(moved.faction.as_deref(), Some("csto"));
    let SeatMove::Moved(back) = s
        .move_seat(g.id, russia.id, SeatRole::Faction, Some("russia"), Some(1))
        .await
        .expect("move")
    else {
        panic!("{}: the move back is allowed", s.kind());
    };
    assert_eq!(back, russia);
    // An agent's seat: alone in its faction (nobody joins it, whatever the team size), never
    // moved; revoking it, its token opens nothing and it leaves its team. People's seats,
    // Control's and other games' are never revoked.
    let agent = seat_row(g.id, SeatRole::Agent, Some("csto"), 30);
    assert!(s.add_seat(&agent, Some(1)).await.expect("agent seat"));
    let person = seat_row(g.id, SeatRole::Faction, Some("csto"), 33);
    assert!(!s.add_seat(&person, Some(5)).await.expect("checked"));
    assert_eq!(
        s.move_seat(g.id, agent.id, SeatRole::Faction, Some("russia"), Some(5))
            .await
            .expect("move"),
        SeatMove::NotFound
    );
    assert_eq!(
        s.move_seat(g.id, russia.id, SeatRole::Faction, Some("csto"), Some(5))
            .await
            .expect("move"),
        SeatMove::Full
    );
    assert!(!s
        .revoke_seat(g.id, russia.id, &[31; 32])
        .await
        .expect("revoke"));
    assert!(!s
        .revoke_seat(g.id, control.id, &[31; 32])
        .await
        .expect("revoke"));
    assert!(!s
        .revoke_seat(Uuid::new_v4(), agent.id, &[31; 32])
        .await
        .expect("revoke"));
    assert!(s
        .revoke_seat(g.id, agent.id, &[31; 32])
        .await
        .expect("revoke"));
    assert_eq!(s.seat_by_token(&[30; 32]).await.expect("read"), None);
    let next = seat_row(g.id, SeatRole::Faction, Some("csto"), 32);
    assert!(s
        .add_seat(&next, Some(1))
        .await
        .expect("the team has room again"));
    let revoked = s.seats(g.id).await.expect("seats");
    let revoked = revoked.iter().find(|x| x.id == agent.id).expect("kept");
    assert_eq!(
        (revoked.role, revoked.faction.as_deref()),
        (SeatRole::Revoked, Some("csto"))
    );

    // Append: gapless sequences, command recorded in the same transaction.
    let c1 = command_row(g.id, russia.id, "cmd-1", r#"{"ack":3}"#);
    let last = s
        .append(g.id, 2, &["e3".into()], Some(&c1), status)
        .await
        .expect("append");
    assert_eq!(last, 3);
    assert_eq!(
        s.command(g.id, russia.id, "cmd-1").await.expect("read"),
        Some(c1.clone())
    );
    let last = s
        .append(
            g.id,
            3,
            &["e4".into(), "e5".into()],
            None,
            GameStatus {
                deadline_at: None,
                ended: false,
            },
        )
        .await
        .expect("append without a command (the clock)");
    assert_eq!(last, 5);
    let all = s.events_after(g.id, 0).await.expect("events");
    assert_eq!(
        all,
        (1..=5).map(|i| (i, format!("e{i}"))).collect::<Vec<_>>()
    );
    assert_eq!(s.events_after(g.id, 3).await.expect("events").len(), 2);
    assert!(s.events_after(g.id, 5).await.expect("events").is_empty());
    // Backwards, a window at a time, each window in order.
    assert_eq!(
        s.events_before(g.id, 5, 2).await.expect("events"),
        [(3, "e3".to_owned()), (4, "e4".to_owned())]
    );
    assert_eq!(
        s.events_before(g.id, i64::MAX, 10).await.expect("events"),
        all
    );
    assert!(s
        .events_before(g.id, 1, 10)
        .await
        .expect("events")
        .is_empty());
    assert_eq!(
        s.game(g.id).await.expect("read").expect("game").deadline_at,
        None
    );

    // A stale writer conflicts and writes nothing, not even its command.
    let c2 = command_row(g.id, russia.id, "cmd-2", r#"{"ack":6}"#);
    let e = s
        .append(g.id, 3, &["stale".into()], Some(&c2), status)
        .await
        .expect_err("stale last_seq");
    assert!(matches!(e, StoreError::Conflict { expected: 3 }), "{e}");
    assert_eq!(s.events_after(g.id, 0).await.expect("events").len(), 5);
    assert_eq!(
        s.command(g.id, russia.id, "cmd-2").await.expect("read"),
        None
    );
    assert_eq!(s.game(g.id).await.expect("read").expect("game").last_seq, 5);

    // A command id is recorded once; a second append with it rolls back entirely.
    let e = s
        .append(g.id, 5, &["e6".into()], Some(&c1), status)
        .await
        .expect_err("duplicate command id");
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    assert_eq!(s.events_after(g.id, 0).await.expect("events").len(), 5);
    assert_eq!(s.game(g.id).await.expect("read").expect("game").last_seq, 5);

    // Refusals are recorded too, without events.
    let refusal = command_row(g.id, russia.id, "cmd-3", r#"{"error":"wrong_phase"}"#);
    s.record_command(&refusal).await.expect("record refusal");
    assert_eq!(
        s.command(g.id, russia.id, "cmd-3").await.expect("read"),
        Some(refusal.clone())
    );
    assert!(matches!(
        s.record_command(&refusal).await,
        Err(StoreError::Duplicate(_))
    ));
    // Client ids are per seat: the same id from another seat is another command.
    let other = command_row(g.id, control.id, "cmd-3", r#"{"ack":6}"#);
    s.record_command(&other).await.expect("same id, other seat");

    // Old command records are forgotten (all of these were made at 2,000 ms); newer ones and
    // the events stay.
    let mut recent = command_row(g.id, control.id, "cmd-4", r#"{"ack":6}"#);
    recent.created_at = 5_000;
    s.record_command(&recent).await.expect("recent");
    let events_before = s.events_after(g.id, 0).await.expect("events");
    // cmd-1 (with its events), Russia's refused cmd-3 and Control's cmd-3.
    assert_eq!(
        s.forget_commands(3_000).await.expect("forget"),
        3,
        "{}",
        s.kind()
    );
    assert_eq!(
        s.command(g.id, russia.id, "cmd-1").await.expect("read"),
        None
    );
    assert_eq!(
        s.command(g.id, control.id, "cmd-4").await.expect("read"),
        Some(recent)
    );
    assert_eq!(
        s.events_after(g.id, 0).await.expect("events"),
        events_before
    );
    // A forgotten id may be used again.
    s.record_command(&other)
        .await
        .expect("a forgotten id is free");

    // Live games: an ended game leaves the list.
    let g2 = game_row("EFGH45");
    s.create_game(&g2, &[], &["x".into()], status)
        .await
        .expect("second game");
    let live: Vec<Uuid> = s
        .live_games()
        .await
        .expect("live")
        .iter()
        .map(|x| x.id)
        .collect();
    assert!(live.contains(&g.id) && live.contains(&g2.id));
    s.append(
        g2.id,
        1,
        &["ended".into()],
        None,
        GameStatus {
            deadline_at: None,
            ended: true,
        },
    )
    .await
    .expect("end");
    let live: Vec<Uuid> = s
        .live_games()
        .await
        .expect("live")
        .iter()
        .map(|x| x.id)
        .collect();
    assert!(live.contains(&g.id) && !live.contains(&g2.id));
    // Logs of different games are independent.
    assert_eq!(s.events_after(g2.id, 0).await.expect("events").len(), 2);

    batches(s).await;
    classes(s).await;
    ownership(s).await;
}

/// Classes: a roster in join order, the teacher's pins until Start, and a start that creates
/// every table at once, and only once.
async fn classes<S: Store>(s: &S) {
    let class = ClassRow {
        id: Uuid::new_v4(),
        join_code: "CLASS2".into(),
        name: "Year 11 history".into(),
        scenario: "missile-defence-2013".into(),
        settings: r#"{"team_size":1}"#.into(),
        teacher_token_hash: vec![201; 32],
        created_at: 1_000,
        started_at: None,
    };
    s.create_class(&class).await.expect("create class");
    assert_eq!(s.class(class.id).await.expect("read"), Some(class.clone()));
    assert_eq!(
        s.class_by_code("CLASS2").await.expect("read"),
        Some(class.clone())
    );
    assert_eq!(s.class_by_code("NOSUCH").await.expect("read"), None);
    assert_eq!(
        s.class_by_teacher(&[201; 32]).await.expect("read"),
        Some(class.clone())
    );
    assert_eq!(s.class_by_teacher(&[202; 32]).await.expect("read"), None);
    let e = s
        .create_class(&ClassRow {
            id: Uuid::new_v4(),
            ..class.clone()
        })
        .await
        .expect_err("a duplicate class code is refused");
    assert!(matches!(e, StoreError::Duplicate(_)), "{}: {e:?}", s.kind());

    // Four students, the clock's times out of order (or equal, within a millisecond): the
    // roster comes back in the order they were added.
    let member = |k: u8, joined_at: i64| MemberRow {
        id: Uuid::new_v4(),
        class_id: class.id,
        name: format!("student {k}"),
        token_hash: vec![210 + k; 32],
        joined_at,
        pinned: None,
    };
    let students = [
        member(0, 3_000),
        member(1, 1_000),
        member(2, 1_000),
        member(3, 4_000),
    ];
    for m in &students {
        assert!(s.add_member(m).await.expect("add member"));
    }
    let e = s
        .add_member(&MemberRow {
            id: Uuid::new_v4(),
            ..students[0].clone()
        })
        .await
        .expect_err("a token is one student's");
    assert!(matches!(e, StoreError::Duplicate(_)), "{}: {e:?}", s.kind());
    let names: Vec<String> = s
        .members(class.id)
        .await
        .expect("roster")
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["student 0", "student 1", "student 2", "student 3"]);
    assert_eq!(
        s.member_by_token(&[212; 32]).await.expect("read"),
        Some(students[2].clone())
    );
    assert_eq!(s.member_by_token(&[99; 32]).await.expect("read"), None);

    // Pins until Start; none for a student of another class.
    assert!(s
        .pin_member(class.id, students[3].id, Some((1, "csto")))
        .await
        .expect("pin"));
    assert!(!s
        .pin_member(Uuid::new_v4(), students[3].id, Some((0, "csto")))
        .await
        .expect("pin"));
    let pinned = s.member_by_token(&[213; 32]).await.expect("read");
    assert_eq!(pinned.and_then(|m| m.pinned), Some((1, "csto".to_owned())));
    assert!(s
        .pin_member(class.id, students[0].id, Some((0, "russia")))
        .await
        .expect("pin"));
    assert!(s
        .pin_member(class.id, students[0].id, None)
        .await
        .expect("unpin"));
    let unpinned = s.member_by_token(&[210; 32]).await.expect("read");
    assert_eq!(unpinned.and_then(|m| m.pinned), None);

    // Start: two tables, each with its Control seat and a student's seat stored with the
    // student's own token hash.
    let status = GameStatus {
        deadline_at: None,
        ended: false,
    };
    let tables: Vec<NewTable> = (0..2u32)
        .map(|t| {
            let game = game_row(&format!("TABLE{t}"));
            let mut seat = seat_row(game.id, SeatRole::Faction, Some("russia"), 0);
            seat.token_hash = students[t as usize].token_hash.clone();
            let control = seat_row(game.id, SeatRole::Control, None, 220 + t as u8);
            NewTable {
                table_no: t,
                seats: vec![control, seat],
                events: vec!["e1".into()],
                status,
                game,
            }
        })
        .collect();
    // A roster read before a change is stale: nothing is written, plan again.
    let stale = s.members(class.id).await.expect("roster");
    let late = member(4, 5_000);
    assert!(s.add_member(&late).await.expect("add member"));
    assert_eq!(
        s.start_class(class.id, 9_000, &stale, &tables)
            .await
            .expect("start"),
        ClassStart::RosterChanged
    );
    assert!(s.class_tables(class.id).await.expect("tables").is_empty());
    assert_eq!(
        s.class(class.id)
            .await
            .expect("read")
            .and_then(|c| c.started_at),
        None
    );
    let roster = s.members(class.id).await.expect("roster");
    assert_eq!(roster.len(), 5);
    assert_eq!(
        s.start_class(class.id, 9_000, &roster, &tables)
            .await
            .expect("start"),
        ClassStart::Started
    );
    assert_eq!(
        s.class(class.id)
            .await
            .expect("read")
            .and_then(|c| c.started_at),
        Some(9_000)
    );
    let stored = s.class_tables(class.id).await.expect("tables");
    assert_eq!(
        stored.iter().map(|(t, g)| (*t, g.id)).collect::<Vec<_>>(),
        tables
            .iter()
            .map(|t| (t.table_no, t.game.id))
            .collect::<Vec<_>>()
    );
    assert_eq!(stored[1].1.last_seq, 1, "first events stored");
    // A class stays on one node: while node A's lease on table 0 runs, node B cannot claim
    // table 1, and the table's home is A; A can, and once A lets go, B takes both.
    let (t0, t1) = (tables[0].game.id, tables[1].game.id);
    s.register_node(&NodeRow {
        id: "class-a".into(),
        internal_url: "http://a".into(),
        secret: "s".into(),
    })
    .await
    .expect("register");
    let a0 = s.claim_game(t0, "class-a", 60_000).await.expect("claim");
    assert!(a0.is_some());
    assert_eq!(
        s.claim_game(t1, "class-b", 60_000).await.expect("claim"),
        None
    );
    assert_eq!(
        s.game_home(t1).await.expect("home").map(|n| n.id),
        Some("class-a".to_owned())
    );
    let a1 = s.claim_game(t1, "class-a", 60_000).await.expect("claim");
    assert!(a1.is_some());
    assert!(s
        .release_game(t0, "class-a", a0.unwrap())
        .await
        .expect("release"));
    assert_eq!(
        s.claim_game(t0, "class-b", 60_000).await.expect("claim"),
        None,
        "A runs table 1"
    );
    assert!(s
        .release_game(t1, "class-a", a1.unwrap())
        .await
        .expect("release"));
    assert!(s
        .claim_game(t0, "class-b", 60_000)
        .await
        .expect("claim")
        .is_some());
    assert!(s
        .claim_game(t1, "class-b", 60_000)
        .await
        .expect("claim")
        .is_some());
    assert_eq!(
        s.game_home(t1).await.expect("home"),
        None,
        "B is not registered"
    );
    assert_eq!(
        s.game_class(tables[1].game.id).await.expect("read"),
        Some((class.id, tables[1].table_no))
    );
    assert_eq!(s.game_class(Uuid::new_v4()).await.expect("read"), None);
    assert_eq!(
        s.events_after(tables[1].game.id, 0)
            .await
            .expect("log")
            .len(),
        1
    );
    let seat = s
        .seat_by_token(&students[1].token_hash)
        .await
        .expect("read");
    assert_eq!(seat.map(|x| x.game_id), Some(tables[1].game.id));
    // Started: a second start writes nothing, and pins are refused.
    let again: Vec<NewTable> = vec![NewTable {
        table_no: 2,
        game: game_row("TABLE9"),
        seats: vec![],
        events: vec!["e1".into()],
        status,
    }];
    assert_eq!(
        s.start_class(class.id, 9_500, &roster, &again)
            .await
            .expect("start"),
        ClassStart::AlreadyStarted
    );
    // Nobody joins a started class's roster.
    assert!(!s.add_member(&member(5, 9_600)).await.expect("add member"));
    assert_eq!(s.members(class.id).await.expect("roster").len(), 5);
    assert_eq!(s.game_by_code("TABLE9").await.expect("read"), None);
    assert_eq!(s.class_tables(class.id).await.expect("tables").len(), 2);
    assert!(!s
        .pin_member(class.id, students[2].id, Some((0, "csto")))
        .await
        .expect("pin"));
    // A late student: on the roster and at table 0 in one go; a full team refuses with
    // nothing written; a new table gets the next number, once.
    let late_seat = |k: u8, t: usize, faction: &str| {
        let mut seat = seat_row(tables[t].game.id, SeatRole::Faction, Some(faction), 230 + k);
        seat.token_hash = vec![240 + k; 32];
        seat
    };
    let mut fay = member(6, 9_700);
    fay.token_hash = vec![246; 32];
    let fay_seat = late_seat(6, 0, "csto");
    let at = LateSeat::Existing {
        seat: &fay_seat,
        limit: 1,
    };
    assert!(s.seat_late_member(&fay, at).await.expect("late"));
    assert_eq!(s.members(class.id).await.expect("roster").len(), 6);
    assert_eq!(
        s.seat_by_token(&[246; 32])
            .await
            .expect("read")
            .map(|x| x.game_id),
        Some(tables[0].game.id)
    );
    let mut gus = member(7, 9_800);
    gus.token_hash = vec![247; 32];
    let gus_seat = late_seat(7, 0, "csto");
    let full = LateSeat::Existing {
        seat: &gus_seat,
        limit: 1,
    };
    assert!(
        !s.seat_late_member(&gus, full).await.expect("late"),
        "the CSTO is full"
    );
    assert_eq!(
        s.members(class.id).await.expect("roster").len(),
        6,
        "nothing written"
    );
    assert_eq!(s.seat_by_token(&[247; 32]).await.expect("read"), None);
    let new_table = |code: &str, t: u32| {
        let game = game_row(code);
        let mut seat = seat_row(game.id, SeatRole::Faction, Some("russia"), 250);
        seat.token_hash = vec![247; 32];
        NewTable {
            table_no: t,
            seats: vec![seat],
            events: vec!["e1".into()],
            status,
            game,
        }
    };
    let taken = new_table("TABLE8", 1);
    assert!(
        !s.seat_late_member(&gus, LateSeat::NewTable(&taken))
            .await
            .expect("late"),
        "table 1 exists"
    );
    assert_eq!(s.game_by_code("TABLE8").await.expect("read"), None);
    let third = new_table("TABLE2", 2);
    assert!(s
        .seat_late_member(&gus, LateSeat::NewTable(&third))
        .await
        .expect("late"));
    assert_eq!(s.class_tables(class.id).await.expect("tables").len(), 3);
    assert_eq!(
        s.game_class(third.game.id).await.expect("read"),
        Some((class.id, 2))
    );
    assert_eq!(s.members(class.id).await.expect("roster").len(), 7);
    // A class that has not started takes no late student.
    let unstarted = ClassRow {
        id: Uuid::new_v4(),
        join_code: "CLASS4".into(),
        teacher_token_hash: vec![203; 32],
        ..class.clone()
    };
    s.create_class(&unstarted).await.expect("create class");
    let mut hal = member(8, 9_900);
    hal.class_id = unstarted.id;
    let hal_seat = late_seat(8, 0, "us_nato");
    let at = LateSeat::Existing {
        seat: &hal_seat,
        limit: 1,
    };
    assert!(!s.seat_late_member(&hal, at).await.expect("late"));
    assert!(s.members(unstarted.id).await.expect("roster").is_empty());
    // A start whose tables cannot be written (a join code already taken) leaves the class
    // unstarted and writes no table.
    let other = ClassRow {
        id: Uuid::new_v4(),
        join_code: "CLASS3".into(),
        teacher_token_hash: vec![202; 32],
        ..class.clone()
    };
    s.create_class(&other).await.expect("create class");
    let clash = vec![
        NewTable {
            table_no: 0,
            game: game_row("FRESH1"),
            seats: vec![],
            events: vec!["e1".into()],
            status,
        },
        NewTable {
            table_no: 1,
            game: game_row("TABLE0"),
            seats: vec![],
            events: vec!["e1".into()],
            status,
        },
    ];
    assert!(s.start_class(other.id, 9_000, &[], &clash).await.is_err());
    assert_eq!(
        s.class(other.id)
            .await
            .expect("read")
            .and_then(|c| c.started_at),
        None
    );
    assert_eq!(s.game_by_code("FRESH1").await.expect("read"), None);
    assert!(s.class_tables(other.id).await.expect("tables").is_empty());
}

/// Appends of several games in one transaction: each stands or fails on its own.
/// Ownership (decision record 0012): claims, leases in the database's clock, renewals,
/// releases, and the epoch every append must name.
async fn ownership<S: Store>(s: &S) {
    let status = GameStatus {
        deadline_at: None,
        ended: false,
    };
    let (g, h) = (game_row("OWN2AA"), game_row("OWN2BB"));
    for game in [&g, &h] {
        s.create_game(game, &[], &["e1".into()], status)
            .await
            .expect("create game");
    }
    // A game with a deadline nobody owns is waiting to be taken; owned, it is not.
    let clocked = game_row("OWN2CC");
    let ticking = GameStatus {
        deadline_at: Some(9_000),
        ended: false,
    };
    s.create_game(&clocked, &[], &["e1".into()], ticking)
        .await
        .expect("create game");
    assert!(s
        .games_to_take()
        .await
        .expect("sweep")
        .contains(&clocked.id));
    assert!(
        !s.games_to_take().await.expect("sweep").contains(&g.id),
        "no deadline"
    );
    assert_eq!(
        s.claim_game(clocked.id, "node-z", 60_000)
            .await
            .expect("claim"),
        Some(1)
    );
    assert!(!s
        .games_to_take()
        .await
        .expect("sweep")
        .contains(&clocked.id));
    let append = |epoch: i64, last_seq: i64, event: &str| Append {
        game: g.id,
        epoch,
        last_seq,
        events: vec![event.to_owned()],
        command: None,
        status,
    };
    let one = |a: Append| async move { s.append_many(&[a]).await.pop().expect("an answer") };
    // An unclaimed game is at epoch 0. Node A claims it: epoch 1, held while A's lease runs.
    assert_eq!(one(append(0, 1, "e2")).await.expect("unclaimed"), 2);
    let lease = 400;
    assert_eq!(
        s.claim_game(g.id, "node-a", lease).await.expect("claim"),
        Some(1)
    );
    assert_eq!(
        s.claim_game(g.id, "node-b", lease).await.expect("claim"),
        None
    );
    // A claims again (a restart with the same id, or a new task of A): every claim raises the
    // epoch, so whatever A's earlier claim still runs is fenced too.
    assert_eq!(
        s.claim_game(g.id, "node-a", lease).await.expect("claim"),
        Some(2)
    );
    assert_eq!(
        s.claim_game(h.id, "node-a", lease).await.expect("claim"),
        Some(1)
    );
    // An append must name the epoch: an old one is fenced and writes nothing.
    let e = one(append(1, 2, "stale")).await.expect_err("fenced");
    assert!(matches!(e, StoreError::Fenced { held: 1, now: 2 }), "{e}");
    assert_eq!(one(append(2, 2, "e3")).await.expect("owner"), 3);
    // The same epoch at a stale sequence is a conflict, as before.
    let e = one(append(2, 2, "late")).await.expect_err("conflict");
    assert!(matches!(e, StoreError::Conflict { expected: 2 }), "{e}");
    // Renewals keep the games A runs and still owns (not another node's).
    let mut renewed = s
        .renew_leases("node-a", lease, &[g.id, h.id, clocked.id])
        .await
        .expect("renew");
    renewed.sort();
    let mut both = vec![g.id, h.id];
    both.sort();
    assert_eq!(renewed, both);
    assert!(s
        .renew_leases("node-a", lease, &[])
        .await
        .expect("renew")
        .is_empty());
    // A stops renewing: once its lease has run out (in the database's clock), B takes the
    // game with a new epoch, and A, unaware, is fenced; A's renewal no longer returns it.
    tokio::time::sleep(std::time::Duration::from_millis(lease as u64 + 150)).await;
    assert_eq!(
        s.claim_game(g.id, "node-b", lease).await.expect("claim"),
        Some(3)
    );
    let e = one(append(2, 3, "paused A")).await.expect_err("fenced");
    assert!(matches!(e, StoreError::Fenced { held: 2, now: 3 }), "{e}");
    assert_eq!(one(append(3, 3, "e4")).await.expect("new owner"), 4);
    assert_eq!(
        s.renew_leases("node-a", lease, &[g.id, h.id])
            .await
            .expect("renew"),
        vec![h.id]
    );
    // A release names the claim it ends: not A's, not B's earlier one; B's own lets C claim
    // at once, before the lease would have run out.
    assert!(!s.release_game(g.id, "node-a", 2).await.expect("not A's"));
    assert!(!s
        .release_game(g.id, "node-b", 2)
        .await
        .expect("not this claim"));
    // Where the owner answers: registered nodes, and the owner while its lease runs.
    let node = |id: &str, n: u8| NodeRow {
        id: id.into(),
        internal_url: format!("http://10.0.0.{n}:8080"),
        secret: format!("secret-{n}"),
    };
    s.register_node(&node("node-b", 2)).await.expect("register");
    s.register_node(&node("node-c", 3)).await.expect("register");
    assert_eq!(
        s.game_home(g.id).await.expect("owner"),
        Some(node("node-b", 2))
    );
    // A node registers again at each start, with a new secret (and maybe a new address).
    s.register_node(&node("node-b", 4)).await.expect("register");
    assert_eq!(
        s.node("node-b").await.expect("node"),
        Some(node("node-b", 4))
    );
    assert_eq!(s.node("node-x").await.expect("node"), None);
    assert!(s.release_game(g.id, "node-b", 3).await.expect("B's"));
    assert_eq!(s.game_home(g.id).await.expect("owner"), None, "released");
    assert_eq!(
        s.claim_game(g.id, "node-c", lease).await.expect("claim"),
        Some(4)
    );
    assert_eq!(
        s.game_home(g.id).await.expect("owner"),
        Some(node("node-c", 3))
    );
    // An owner whose lease ran out is nobody's to forward to.
    tokio::time::sleep(std::time::Duration::from_millis(lease as u64 + 150)).await;
    assert_eq!(
        s.game_home(g.id).await.expect("owner"),
        None,
        "lease ran out"
    );
    // The log holds each accepted append once, in order.
    let log: Vec<String> = s
        .events_after(g.id, 0)
        .await
        .expect("log")
        .into_iter()
        .map(|(_, body)| body)
        .collect();
    assert_eq!(log, ["e1", "e2", "e3", "e4"]);
    assert_eq!(
        s.claim_game(Uuid::new_v4(), "node-a", lease)
            .await
            .expect("claim"),
        None
    );
}

async fn batches<S: Store>(s: &S) {
    let status = GameStatus {
        deadline_at: Some(9_000),
        ended: false,
    };
    let mut games = Vec::new();
    for (k, code) in ["BAT2AA", "BAT2BB", "BAT2CC", "BAT2DD"].iter().enumerate() {
        let g = game_row(code);
        let seat = seat_row(g.id, SeatRole::Faction, Some("russia"), 40 + k as u8);
        s.create_game(&g, std::slice::from_ref(&seat), &["e1".into()], status)
            .await
            .expect("create game");
        games.push((g.id, seat.id));
    }
    let append = |k: usize, last_seq: i64, events: &[&str], id: &str| Append {
        game: games[k].0,
        epoch: 0,
        last_seq,
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        command: Some(command_row(games[k].0, games[k].1, id, r#"{"ack":0}"#)),
        status: GameStatus {
            deadline_at: Some(9_000 + k as i64),
            ended: false,
        },
    };
    // First, an append to each of three games (one with no command: a clock tick).
    let mut tick = append(2, 1, &["c2"], "");
    tick.command = None;
    let results = s
        .append_many(&[
            append(0, 1, &["a2", "a3"], "a"),
            append(1, 1, &["b2"], "b"),
            tick,
        ])
        .await;
    assert!(
        matches!(results[..], [Ok(3), Ok(2), Ok(2)]),
        "{}: {results:?}",
        s.kind()
    );
    assert_eq!(
        s.events_after(games[0].0, 0).await.expect("events"),
        vec![(1, "e1".into()), (2, "a2".into()), (3, "a3".into())]
    );
    assert_eq!(
        s.game(games[2].0)
            .await
            .expect("read")
            .expect("game")
            .deadline_at,
        Some(9_002),
        "each game gets its own status"
    );
    assert!(s
        .command(games[0].0, games[0].1, "a")
        .await
        .expect("read")
        .is_some());
    // Then: a stale append (game 1 is at 2, not 1) fails alone; the others commit.
    let results = s
        .append_many(&[
            append(0, 3, &["a4"], "a-next"),
            append(1, 1, &["stale"], "b-stale"),
            append(3, 1, &["d2"], "d"),
        ])
        .await;
    assert!(
        matches!(
            results[..],
            [Ok(4), Err(StoreError::Conflict { expected: 1 }), Ok(2)]
        ),
        "{}: {results:?}",
        s.kind()
    );
    assert_eq!(
        s.events_after(games[1].0, 0).await.expect("events").len(),
        2
    );
    assert_eq!(
        s.command(games[1].0, games[1].1, "b-stale")
            .await
            .expect("read"),
        None,
        "a conflicting append records no command"
    );
    assert_eq!(
        s.events_after(games[3].0, 1).await.expect("events").len(),
        1
    );
    // A repeated command id fails alone and writes nothing of its append; the others commit.
    let results = s
        .append_many(&[append(0, 4, &["a5"], "a"), append(1, 2, &["b3"], "b-next")])
        .await;
    assert!(
        matches!(results[..], [Err(StoreError::Duplicate(_)), Ok(3)]),
        "{}: {results:?}",
        s.kind()
    );
    assert_eq!(
        s.game(games[0].0)
            .await
            .expect("read")
            .expect("game")
            .last_seq,
        4
    );
    assert_eq!(
        s.events_after(games[0].0, 0).await.expect("events").len(),
        4
    );
    assert_eq!(
        s.events_after(games[1].0, 0).await.expect("events").len(),
        3
    );
    // An append to a game that does not exist conflicts (there is no log at that sequence).
    let mut ghost = append(0, 0, &["x"], "ghost");
    ghost.game = Uuid::new_v4();
    let results = s.append_many(&[ghost]).await;
    assert!(
        matches!(results[..], [Err(StoreError::Conflict { .. })]),
        "{}: {results:?}",
        s.kind()
    );
    assert!(s.append_many(&[]).await.is_empty());
}

/// A fresh SQLite database in a temporary file.
pub async fn sqlite() -> (SqliteStore, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("detente-test-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("detente.db").display());
    let s = SqliteStore::connect(&url).await.expect("open sqlite");
    s.migrate().await.expect("migrate");
    (s, dir)
}

/// The Postgres server tests use: `DETENTE_TEST_POSTGRES`, else the local default.
pub fn postgres_admin_url() -> String {
    std::env::var("DETENTE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh Postgres database, or `None` (with a visible notice) when no server is reachable
/// on a developer machine. Under CI (`CI` set) an unreachable server fails the test.
pub async fn postgres(test: &str) -> Option<(PgStore, String)> {
    use sqlx::Connection;
    let admin = postgres_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("{test}: Postgres is required under CI but {admin} is unreachable: {e}");
            }
            eprintln!("SKIPPED {test}: no Postgres at {admin} ({e}); set DETENTE_TEST_POSTGRES");
            return None;
        }
    };
    let name = format!("detente_test_{}", Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("DETENTE_TEST_POSTGRES must end with /DATABASE: {admin}"),
    };
    let s = PgStore::connect(&url).expect("connect");
    s.migrate().await.expect("migrate postgres");
    Some((s, name))
}

/// Drops a database made by [`postgres`].
pub async fn drop_postgres(name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

/// A SQLite store for tests of what uses a store: its next `failing` appends fail as if the
/// database were away, appends wait while `frozen`, each batch takes `delay` to write, and
/// whole-log reads and batch sizes are counted.
#[derive(Clone)]
pub struct Flaky {
    inner: SqliteStore,
    pub failing: Arc<AtomicU32>,
    /// Whole-log reads (game loads).
    pub loads: Arc<AtomicU32>,
    /// While set, appends wait (a frozen database).
    pub frozen: Arc<AtomicBool>,
    /// Time each batch of appends takes.
    pub delay: std::time::Duration,
    /// Commit slots to report (default: the inner store's).
    pub slots: Option<usize>,
    /// The size of each batch of appends, in order.
    pub batches: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl Flaky {
    pub fn new(inner: SqliteStore) -> Flaky {
        Flaky {
            inner,
            failing: Arc::default(),
            loads: Arc::default(),
            frozen: Arc::default(),
            delay: std::time::Duration::ZERO,
            slots: None,
            batches: Arc::default(),
        }
    }
}

impl Store for Flaky {
    fn kind(&self) -> &'static str {
        "flaky"
    }
    async fn migrate(&self) -> StoreResult<()> {
        self.inner.migrate().await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
    async fn create_game(
        &self,
        game: &GameRow,
        seats: &[SeatRow],
        events: &[String],
        status: GameStatus,
    ) -> StoreResult<()> {
        self.inner.create_game(game, seats, events, status).await
    }
    async fn announce_class(&self, node: &str, class: Uuid, started: bool) -> StoreResult<()> {
        self.inner.announce_class(node, class, started).await
    }
    async fn hear_classes(
        &self,
        node: String,
        ring: Arc<dyn Fn(Uuid, bool) + Send + Sync>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        self.inner.hear_classes(node, ring, stop).await
    }
    async fn register_node(&self, node: &NodeRow) -> StoreResult<()> {
        self.inner.register_node(node).await
    }
    async fn node(&self, id: &str) -> StoreResult<Option<NodeRow>> {
        self.inner.node(id).await
    }
    async fn game_home(&self, game: Uuid) -> StoreResult<Option<NodeRow>> {
        self.inner.game_home(game).await
    }
    async fn add_seat(&self, seat: &SeatRow, limit: Option<u32>) -> StoreResult<bool> {
        self.inner.add_seat(seat, limit).await
    }
    async fn move_seat(
        &self,
        game: Uuid,
        seat: Uuid,
        role: crate::store::SeatRole,
        faction: Option<&str>,
        limit: Option<u32>,
    ) -> StoreResult<SeatMove> {
        self.inner.move_seat(game, seat, role, faction, limit).await
    }
    async fn revoke_seat(&self, game: Uuid, seat: Uuid, token_hash: &[u8]) -> StoreResult<bool> {
        self.inner.revoke_seat(game, seat, token_hash).await
    }
    async fn claim_game(&self, game: Uuid, node: &str, lease_ms: i64) -> StoreResult<Option<i64>> {
        self.inner.claim_game(game, node, lease_ms).await
    }
    async fn renew_leases(
        &self,
        node: &str,
        lease_ms: i64,
        games: &[Uuid],
    ) -> StoreResult<Vec<Uuid>> {
        self.inner.renew_leases(node, lease_ms, games).await
    }
    async fn release_game(&self, game: Uuid, node: &str, epoch: i64) -> StoreResult<bool> {
        self.inner.release_game(game, node, epoch).await
    }
    async fn games_to_take(&self) -> StoreResult<Vec<Uuid>> {
        self.inner.games_to_take().await
    }
    async fn seat_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<SeatRow>> {
        self.inner.seat_by_token(token_hash).await
    }
    async fn seats(&self, game: Uuid) -> StoreResult<Vec<SeatRow>> {
        self.inner.seats(game).await
    }
    async fn game(&self, id: Uuid) -> StoreResult<Option<GameRow>> {
        self.inner.game(id).await
    }
    async fn game_by_code(&self, code: &str) -> StoreResult<Option<GameRow>> {
        self.inner.game_by_code(code).await
    }
    async fn events_before(
        &self,
        game: Uuid,
        before: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, String)>> {
        self.inner.events_before(game, before, limit).await
    }
    async fn events_after(&self, game: Uuid, after: i64) -> StoreResult<Vec<(i64, String)>> {
        if after == 0 {
            self.loads.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.events_after(game, after).await
    }
    async fn append_many(&self, batch: &[Append]) -> Vec<StoreResult<i64>> {
        self.batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(batch.len());
        while self.frozen.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let fail = self
            .failing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            let e = StoreError::Unavailable("connection refused (test)".into());
            return crate::store::all_failed(batch, &e);
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.inner.append_many(batch).await
    }
    fn commit_slots(&self) -> usize {
        self.slots.unwrap_or_else(|| self.inner.commit_slots())
    }
    async fn record_command(&self, command: &CommandRow) -> StoreResult<()> {
        self.inner.record_command(command).await
    }
    async fn command(
        &self,
        game: Uuid,
        seat: Uuid,
        client_id: &str,
    ) -> StoreResult<Option<CommandRow>> {
        self.inner.command(game, seat, client_id).await
    }
    async fn live_games(&self) -> StoreResult<Vec<GameRow>> {
        self.inner.live_games().await
    }
    async fn forget_commands(&self, before: i64) -> StoreResult<u64> {
        self.inner.forget_commands(before).await
    }
    async fn create_class(&self, class: &ClassRow) -> StoreResult<()> {
        self.inner.create_class(class).await
    }
    async fn class(&self, id: Uuid) -> StoreResult<Option<ClassRow>> {
        self.inner.class(id).await
    }
    async fn class_by_code(&self, code: &str) -> StoreResult<Option<ClassRow>> {
        self.inner.class_by_code(code).await
    }
    async fn class_by_teacher(&self, token_hash: &[u8]) -> StoreResult<Option<ClassRow>> {
        self.inner.class_by_teacher(token_hash).await
    }
    async fn add_member(&self, member: &MemberRow) -> StoreResult<bool> {
        self.inner.add_member(member).await
    }
    async fn member_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<MemberRow>> {
        self.inner.member_by_token(token_hash).await
    }
    async fn members(&self, class: Uuid) -> StoreResult<Vec<MemberRow>> {
        self.inner.members(class).await
    }
    async fn pin_member(
        &self,
        class: Uuid,
        member: Uuid,
        pin: Option<(u32, &str)>,
    ) -> StoreResult<bool> {
        self.inner.pin_member(class, member, pin).await
    }
    async fn start_class(
        &self,
        class: Uuid,
        started_at: i64,
        roster: &[MemberRow],
        tables: &[NewTable],
    ) -> StoreResult<ClassStart> {
        self.inner
            .start_class(class, started_at, roster, tables)
            .await
    }
    async fn seat_late_member(&self, member: &MemberRow, at: LateSeat<'_>) -> StoreResult<bool> {
        self.inner.seat_late_member(member, at).await
    }
    async fn game_class(&self, game: Uuid) -> StoreResult<Option<(Uuid, u32)>> {
        self.inner.game_class(game).await
    }
    async fn class_tables(&self, class: Uuid) -> StoreResult<Vec<(u32, GameRow)>> {
        self.inner.class_tables(class).await
    }
}
