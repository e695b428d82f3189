//! A full game with Control, three factions and an observer, on SQLite and on Postgres; every
//! frame each seat received is checked for secrecy.

use crate::harness::*;
use detente::engine::view::{SeatEvent, SeatReport, SeatView};
use detente::engine::{FactionId, Phase, Seat};
use detente::protocol::ServerFrame;
use serde_json::{json, Value};

async fn full_game(db: Db) {
    let app = spawn_app(db).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    // Codes are typed by people: case, spaces and dashes do not matter.
    let sloppy = format!(
        " {}-{} ",
        g.code[..3].to_lowercase(),
        g.code[3..].to_lowercase()
    );
    let us_token = join(addr, &sloppy, "Jane", "us_nato").await;
    let cs_token = join(addr, &g.code, "Aigerim", "csto").await;
    let ob_token = join_observer(addr, &g.code, "Projector").await;

    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;
    let mut cs = Client::connect(addr, "csto", &cs_token).await;
    let mut ob = Client::connect(addr, "observer", &ob_token).await;
    assert_eq!(control.seat, Seat::Control);
    assert_eq!(ru.seat, faction("russia"));
    assert_eq!(ob.seat, Seat::Observer);
    match &control.frames[0].1 {
        ServerFrame::Welcome { seq, view, .. } => {
            let v = view.as_ref().expect("view");
            assert_eq!((v.round, v.phase), (0, Phase::Briefing));
            assert_eq!(*seq, 2, "game_created and round_began");
        }
        other => panic!("{other:?}"),
    }
    let (ru_, us_, cs_) = (faction("russia"), faction("us_nato"), faction("csto"));
    let everyone = vec![ru_.clone(), us_.clone(), cs_.clone(), Seat::Observer];
    let mut markers: Vec<(String, Vec<Seat>)> = Vec::new();

    // Chat in every kind of channel, each message with its own marker.
    let mut say = |name: &str, readers: Vec<Seat>| {
        let m = marker(name);
        markers.push((m.clone(), readers));
        m
    };
    let m_plen_ru = say("plenary-russia", everyone.clone());
    let m_plen_us = say("plenary-us", everyone.clone());
    let m_bi_ru_us = say("bilateral-russia-us", vec![ru_.clone(), us_.clone()]);
    let m_bi_us_cs = say("bilateral-us-csto", vec![us_.clone(), cs_.clone()]);
    let m_bi_ru_cs = say(
        "bilateral-russia-csto-by-control",
        vec![ru_.clone(), cs_.clone()],
    );
    let m_team_ru = say("team-russia", vec![ru_.clone()]);
    let m_team_us = say("team-us", vec![us_.clone()]);
    let m_team_cs = say("team-csto-by-control", vec![cs_.clone()]);
    let m_ctl_ru = say("control-channel-russia", vec![ru_.clone()]);
    let m_ctl_cs = say("control-channel-csto-by-control", vec![cs_.clone()]);
    let m_override = say("override-reason", vec![ru_.clone()]);
    let m_p2 = say(
        "private-proposal-russia-csto",
        vec![ru_.clone(), cs_.clone()],
    );
    let m_p3 = say("public-proposal-us-csto", vec![us_.clone(), cs_.clone()]);
    let m_p3_reason = say("rejection-us-csto", vec![us_.clone(), cs_.clone()]);
    // Russia's covert order: nobody else may learn of it.
    markers.push(("penetration_aids".into(), vec![ru_.clone()]));
    markers.push(("Develop penetration aids".into(), vec![ru_.clone()]));

    ru.ok(chat(plenary(), &m_plen_ru)).await;
    us.ok(chat(plenary(), &m_plen_us)).await;
    ru.ok(chat(bilateral("russia", "us_nato"), &m_bi_ru_us))
        .await;
    cs.ok(chat(bilateral("csto", "us_nato"), &m_bi_us_cs)).await;
    control
        .ok(chat(bilateral("russia", "csto"), &m_bi_ru_cs))
        .await;
    ru.ok(chat(team("russia"), &m_team_ru)).await;
    us.ok(chat(team("us_nato"), &m_team_us)).await;
    control.ok(chat(team("csto"), &m_team_cs)).await;
    ru.ok(chat(control_channel("russia"), &m_ctl_ru)).await;
    control.ok(chat(control_channel("csto"), &m_ctl_cs)).await;
    assert_eq!(
        ob.refused(chat(plenary(), "observers cannot post")).await,
        "not_your_faction"
    );
    // Control overrides a variable only Russia knows, with a written reason.
    control
        .ok(json!({"type": "override", "var": "ru_decoys", "value": 2.0, "reason": m_override}))
        .await;
    barrier(&mut control, &mut [&mut ru, &mut us, &mut cs, &mut ob]).await;

    // Briefing → negotiation.
    let seq = control.ok(advance()).await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob, &mut control] {
        c.wait_seq(seq).await;
        assert!(
            c.has_event(|e| matches!(
                e,
                SeatEvent::PhaseChanged {
                    phase: Phase::Negotiation,
                    ..
                }
            )),
            "{} saw the negotiation begin",
            c.label
        );
    }

    // P1: public, Russia and US/NATO, signed.
    let p1_title = "Moscow accord";
    let seq = ru
        .ok(propose(
            p1_title,
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            true,
        ))
        .await;
    ru.wait_seq(seq).await;
    let p1 = proposal_at(&ru, seq);
    let signed1 = us.ok(json!({"type": "accept", "proposal": p1})).await;
    // P2: private, Russia and the CSTO, signed.
    let seq = ru
        .ok(propose(
            &m_p2,
            &["russia", "csto"],
            json!([{"kind": "no_systems_belarus", "by": "csto", "action": "host_russian_systems_belarus"}]),
            false,
        ))
        .await;
    ru.wait_seq(seq).await;
    let p2 = proposal_at(&ru, seq);
    let signed2 = cs.ok(json!({"type": "accept", "proposal": p2})).await;
    // P3: US/NATO to the CSTO, rejected.
    let seq = us
        .ok(propose(
            &m_p3,
            &["us_nato", "csto"],
            json!([{"kind": "afghanistan_cooperation", "by": "csto"}]),
            true,
        ))
        .await;
    us.wait_seq(seq).await;
    let p3 = proposal_at(&us, seq);
    cs.ok(json!({"type": "reject", "proposal": p3, "reason": m_p3_reason}))
        .await;
    barrier(&mut control, &mut [&mut ru, &mut us, &mut cs, &mut ob]).await;

    let signed = |c: &Client, title: &str| {
        c.events().any(|(_, e)| {
            matches!(e, SeatEvent::AgreementSigned { agreement, .. } if agreement.terms.title == title)
        })
    };
    for c in [&ru, &us, &cs, &ob, &control] {
        assert!(
            signed(c, p1_title),
            "{}: the public agreement reaches everyone",
            c.label
        );
    }
    for c in [&ru, &cs, &control] {
        assert!(
            signed(c, &m_p2),
            "{}: the private agreement reaches its parties",
            c.label
        );
    }
    assert!(ru.seen >= signed2 && cs.seen >= signed2 && us.seen >= signed1);

    // Everyone ready: negotiation → orders.
    ru.ok(ready()).await;
    us.ok(ready()).await;
    let seq = cs.ok(ready()).await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob, &mut control] {
        c.wait_seq(seq).await;
        assert!(
            c.has_event(|e| matches!(
                e,
                SeatEvent::PhaseChanged {
                    phase: Phase::Orders,
                    ..
                }
            )),
            "{}: orders phase",
            c.label
        );
    }

    // Secret orders, one of them covert.
    ru.ok(order("penetration_aids", 1)).await;
    us.ok(order("aegis_ship_med", 1)).await;
    let seq = us.ok(order("rota_destroyer", 1)).await;
    us.wait_seq(seq).await;
    let rota = us
        .events()
        .find_map(|(_, e)| match e {
            SeatEvent::OrderSubmitted { order, .. }
                if order.action.as_str() == "rota_destroyer" =>
            {
                Some(order.id)
            }
            _ => None,
        })
        .expect("us_nato sees its own order");
    us.ok(json!({"type": "amend_order", "order": rota, "quantity": 2}))
        .await;
    us.ok(json!({"type": "withdraw_order", "order": rota}))
        .await;
    cs.ok(order("tajik_border_aid", 1)).await;
    barrier(&mut control, &mut [&mut ru, &mut us, &mut cs, &mut ob]).await;

    // Fresh connections mid-round get views: checked below like every other frame.
    let mut views: Vec<Client> = Vec::new();
    for (label, token) in [
        ("russia-view", &ru_token),
        ("us_nato-view", &us_token),
        ("csto-view", &cs_token),
        ("observer-view", &ob_token),
        ("control-view", &g.control_token),
    ] {
        let mut v = Client::connect(addr, label, token).await;
        v.disconnect().await;
        views.push(v);
    }
    let view_of = |c: &Client| match &c.frames[0].1 {
        ServerFrame::Welcome { view: Some(v), .. } => v.clone(),
        other => panic!("{other:?}"),
    };
    let cv = view_of(&views[4]);
    assert_eq!(cv.phase, Phase::Orders);
    assert_eq!(
        cv.orders.len(),
        3,
        "Control sees every draft: {:?}",
        cv.orders
    );
    let rv = view_of(&views[0]);
    assert_eq!(
        rv.orders.keys().map(|f| f.as_str()).collect::<Vec<_>>(),
        vec!["russia"]
    );

    // Everyone ready: adjudication, then review.
    ru.ok(ready()).await;
    us.ok(ready()).await;
    let seq = cs.ok(ready()).await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob, &mut control] {
        c.wait_seq(seq).await;
        let report = c
            .events()
            .find_map(|(_, e)| match e {
                SeatEvent::Adjudicated { report, .. } => Some(report.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{}: adjudicated", c.label));
        assert_eq!(report.round, 0);
        assert!(
            report
                .public
                .orders
                .iter()
                .any(|o| o.action.as_str() == "aegis_ship_med"),
            "{}: orders are revealed at adjudication",
            c.label
        );
        match &c.seat {
            Seat::Faction(f) => assert!(report.factions.contains_key(f), "{}", c.label),
            Seat::Control => {
                assert_eq!(report.factions.len(), 3);
                assert!(report.control.is_some());
            }
            _ => assert!(report.factions.is_empty()),
        }
        assert!(
            c.has_event(|e| matches!(
                e,
                SeatEvent::PhaseChanged {
                    phase: Phase::Review,
                    ..
                }
            )),
            "{}: review",
            c.label
        );
    }

    // Summaries, reports and the export over REST, as each seat may read them.
    let mut rest: Vec<(String, Seat, String)> = Vec::new();
    for (label, seat, token) in [
        ("russia-rest", ru_.clone(), &ru_token),
        ("us_nato-rest", us_.clone(), &us_token),
        ("csto-rest", cs_.clone(), &cs_token),
        ("observer-rest", Seat::Observer, &ob_token),
        ("control-rest", Seat::Control, &g.control_token),
    ] {
        let path = format!("/api/games/{}/reports", g.id);
        let (st, body) = http(addr, "GET", &path, None, Some(token)).await;
        assert_eq!(st, 200, "{label}: {body}");
        let reports: Vec<SeatReport> = serde_json::from_value(body.clone()).expect("reports");
        assert_eq!(reports.len(), 1, "{label}: one adjudication");
        for r in &reports {
            let own = |f: &FactionId| seat == Seat::Control || seat.faction() == Some(f);
            assert!(r.factions.keys().all(own), "{label}: others' reports");
            assert_eq!(r.control.is_some(), seat == Seat::Control, "{label}");
            assert!(
                seat == Seat::Control || r.public.orders.iter().all(|o| !o.covert),
                "{label}: covert orders"
            );
        }
        rest.push((label.to_owned(), seat.clone(), body.to_string()));
        let (st, body) = http(
            addr,
            "GET",
            &format!("/api/games/{}", g.id),
            None,
            Some(token),
        )
        .await;
        assert_eq!(st, 200, "{label}: {body}");
        rest.push((label.to_owned(), seat.clone(), body.to_string()));
        let path = format!("/api/games/{}/export", g.id);
        let (st, body) = http(addr, "GET", &path, None, Some(token)).await;
        if seat == Seat::Control {
            assert_eq!(st, 200, "{body}");
            let (seq, _) = summary(addr, &g.id, token).await;
            assert_eq!(
                body["events"].as_array().map(Vec::len),
                Some(seq as usize),
                "the whole log"
            );
        } else {
            assert_eq!(st, 403, "{label}: the export is Control's");
        }
    }

    // Review → the next round, then Control ends the game.
    let seq = control.ok(advance()).await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob] {
        c.wait_seq(seq).await;
        assert!(
            c.has_event(|e| matches!(e, SeatEvent::RoundBegan { round: 1, .. })),
            "{}: round 2014",
            c.label
        );
    }
    let end = control
        .ok(json!({"type": "end_game", "note": "time is up"}))
        .await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob, &mut control] {
        c.wait_seq(end).await;
        assert!(
            c.has_event(|e| matches!(e, SeatEvent::GameEnded { .. })),
            "{}: the end",
            c.label
        );
    }
    assert_eq!(ru.refused(chat(plenary(), "too late")).await, "game_ended");

    // Control sees every event: its sequences are gapless up to the end.
    let seqs: Vec<i64> = control.events().map(|(s, _)| s).collect();
    assert_eq!(seqs, (3..=end).collect::<Vec<_>>(), "Control's events");
    let (seq, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq, end);

    // Secrecy of every frame every seat received.
    let secrets = Secrets::from_control(&control, markers);
    assert_eq!(secrets.proposals.len(), 3);
    for c in [&ru, &us, &cs, &ob, &control] {
        secrets.check(&c.label, &c.seat, &c.frames, true);
    }
    for v in &views {
        secrets.check(&v.label, &v.seat, &v.frames, false);
    }
    for (label, seat, body) in &rest {
        secrets.check_text(label, seat, body);
        if let Some(view) = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|b| serde_json::from_value::<SeatView>(b["view"].clone()).ok())
        {
            secrets.check_view(label, seat, &view);
        }
    }

    for mut c in [ru, us, cs, ob, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_game_and_secrecy_on_sqlite() {
    full_game(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_game_and_secrecy_on_postgres() {
    let Some(db) = Db::postgres("full_game_and_secrecy_on_postgres").await else {
        return;
    };
    full_game(db).await;
}
