//! Engine benchmarks (criterion): one command, the server's hot path for one command (without
//! the network), one adjudication, one whole bot game.
//! Run: `cargo bench -p detente --bench engine`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use detente::cli::play_game;
use detente::engine::*;
use detente::scenarios::built_in;
use std::collections::BTreeMap;
use std::hint::black_box;

fn game_in(phase: Phase) -> Game {
    let scn = built_in("missile-defence-2013").expect("default scenario");
    let config = GameConfig {
        seed: 7,
        preset: None,
        deadlines: None,
        bots: BTreeMap::new(),
        agents: BTreeMap::new(),
        team_sizes: BTreeMap::new(),
        start: detente::engine::StartMode::Now,
        title: None,
        team_ready: Default::default(),
        language: None,
    };
    let (mut g, _) = Game::create(scn, config, 0).expect("create");
    while g.phase != phase {
        g.apply(&Seat::Control, &Command::AdvancePhase {}, &Ctx::at(0))
            .expect("advance");
    }
    g
}

fn benches(c: &mut Criterion) {
    let orders = game_in(Phase::Orders);
    let russia = Seat::Faction("russia".into());
    let order = Command::SubmitOrder {
        action: "iskander_kaliningrad".into(),
        quantity: 1,
        confirm_breach: false,
    };
    c.bench_function("apply one command (submit an order)", |b| {
        b.iter_batched(
            || orders.clone(),
            |mut g| black_box(g.apply(&russia, &order, &Ctx::at(1)).expect("order")),
            BatchSize::SmallInput,
        )
    });
    let negotiation = game_in(Phase::Negotiation);
    let chat = Command::Chat {
        channel: Channel::Plenary,
        text: "We are not challenging NATO's right to a missile defence shield.".into(),
    };
    c.bench_function("apply one command (chat)", |b| {
        b.iter_batched(
            || negotiation.clone(),
            |mut g| black_box(g.apply(&russia, &chat, &Ctx::at(1)).expect("chat")),
            BatchSize::SmallInput,
        )
    });
    // The server's hot path for one chat command, without the network or the database: plan
    // the events, encode them for the log, the clock status stored beside them, apply them,
    // then one serialized frame per distinct seat (three factions, Control, observers) and
    // the ack, as the game task does (game/session.rs).
    let seats = [
        Seat::Faction("russia".into()),
        Seat::Faction("us_nato".into()),
        Seat::Faction("csto".into()),
        Seat::Control,
        Seat::Observer,
    ];
    c.bench_function(
        "hot path of one chat command (plan, encode, apply, 5 seat frames, ack)",
        |b| {
            b.iter_batched(
                || negotiation.clone(),
                |mut g| {
                    let ctx = Ctx::at(1);
                    let events = g.plan(&russia, &chat, &ctx).expect("chat");
                    let bodies = detente::store::encode_events(&events).expect("encode");
                    let clock = g.clock_after(&events);
                    let mut frames = Vec::with_capacity(seats.len() * events.len());
                    for (n, e) in events.into_iter().enumerate() {
                        g.evolve_owned(e.clone());
                        for seat in &seats {
                            if let Some(event) = g.event_for(seat, &e) {
                                let frame = detente::protocol::ServerFrame::Event {
                                    seq: n as i64 + 1,
                                    event,
                                };
                                frames.push(serde_json::to_string(&frame).expect("frame"));
                            }
                        }
                    }
                    let ack = detente::protocol::ServerFrame::Ack {
                        id: "c-1".into(),
                        seq: 1,
                    };
                    frames.push(serde_json::to_string(&ack).expect("ack"));
                    black_box((bodies, clock, frames))
                },
                BatchSize::SmallInput,
            )
        },
    );
    let mut loaded = orders.clone();
    for (seat, action) in [
        ("russia", "iskander_kaliningrad"),
        ("us_nato", "deveselu"),
        ("csto", "crrf_exercise"),
    ] {
        let _ = loaded.apply(
            &Seat::Faction(seat.into()),
            &Command::SubmitOrder {
                action: action.into(),
                quantity: 1,
                confirm_breach: true,
            },
            &Ctx::at(0),
        );
    }
    c.bench_function("adjudicate one round", |b| {
        b.iter(|| black_box(detente::engine::adjudicate::adjudicate(&loaded)))
    });
    let scn = built_in("missile-defence-2013").expect("default scenario");
    let bots = BTreeMap::new();
    c.bench_function("full 8-round bot game (pragmatists)", |b| {
        b.iter(|| black_box(play_game(scn.clone(), 11, &bots, None).expect("game")))
    });
    let hawks: BTreeMap<FactionId, Temperament> = scn
        .factions
        .iter()
        .map(|f| (f.id.clone(), Temperament::Hawk))
        .collect();
    c.bench_function("full 8-round bot game (hawks)", |b| {
        b.iter(|| black_box(play_game(scn.clone(), 11, &hawks, None).expect("game")))
    });
    let doves: BTreeMap<FactionId, Temperament> = scn
        .factions
        .iter()
        .map(|f| (f.id.clone(), Temperament::Dove))
        .collect();
    c.bench_function("full 8-round bot game (doves)", |b| {
        b.iter(|| black_box(play_game(scn.clone(), 11, &doves, None).expect("game")))
    });

    // A branch of an 8-round game whose log holds about 2,000 events (each faction posts 80
    // messages a round), from the start of its last round: the replay of the copied log, and
    // the same with the JSON the server decodes and encodes around it (not the database).
    let (mut g, mut log) =
        Game::create(scn.clone(), game_in(Phase::Briefing).config, 0).expect("create");
    let factions: Vec<Seat> = scn
        .factions
        .iter()
        .map(|f| Seat::Faction(f.id.clone()))
        .collect();
    while g.phase != Phase::Ended {
        if g.phase == Phase::Briefing {
            for k in 0..80 {
                for f in &factions {
                    let say = Command::Chat {
                        channel: Channel::Plenary,
                        text: format!("round {} line {k}", g.round),
                    };
                    log.extend(g.apply(f, &say, &Ctx::at(0)).expect("chat"));
                }
            }
        }
        log.extend(
            g.apply(&Seat::Control, &Command::AdvancePhase {}, &Ctx::at(0))
                .expect("advance"),
        );
    }
    let numbered: Vec<(i64, Event)> = log
        .iter()
        .enumerate()
        .map(|(i, e)| (i as i64 + 1, e.clone()))
        .collect();
    let bodies: Vec<(i64, String)> = numbered
        .iter()
        .map(|(i, e)| (*i, serde_json::to_string(e).expect("encode")))
        .collect();
    let parent = uuid::Uuid::nil();
    let name = format!("branch an 8-round game of {} events at round 8", log.len());
    c.bench_function(&name, |b| {
        b.iter(|| {
            black_box(
                Game::branch(
                    scn.clone(),
                    parent,
                    &numbered,
                    7,
                    Phase::Briefing,
                    BranchSettings::default(),
                )
                .expect("branch"),
            )
        })
    });
    c.bench_function(
        &format!("{name}, with the log's JSON decoded and the branch's encoded"),
        |b| {
            b.iter(|| {
                let events: Vec<(i64, Event)> = bodies
                    .iter()
                    .map(|(i, body)| (*i, serde_json::from_str(body).expect("decode")))
                    .collect();
                let (_, out) = Game::branch(
                    scn.clone(),
                    parent,
                    &events,
                    7,
                    Phase::Briefing,
                    BranchSettings::default(),
                )
                .expect("branch");
                let bodies: Vec<String> = out
                    .iter()
                    .map(|e| serde_json::to_string(e).expect("encode"))
                    .collect();
                black_box(bodies)
            })
        },
    );
}

criterion_group!(engine, benches);
criterion_main!(engine);
