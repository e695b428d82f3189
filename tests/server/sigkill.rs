//! SIGKILL the real binary mid-game, on SQLite and on Postgres: nothing acknowledged is lost.
//!
//! The server is killed twice in one game: in the negotiation and in the orders phase. Before
//! each kill, commands of every kind are acknowledged (chat in each kind of channel; propose,
//! accept, reject, counter, withdraw; submit, amend and withdraw orders; ready; Control's
//! advance, pause, resume, extend, override, inject, annotate and scheduled-event switch) and
//! others are in flight: sent, their answers not read. Some of those in flight are known to be
//! committed before the kill (Control saw their events), the others are sent just before it.
//! After each restart every command is sent again with its id: an acknowledged one gets the
//! identical ack, and every command has had exactly one effect — checked on Control's stream
//! of events, which resumes across the kills and must have no gap. Every frame each seat
//! received (welcomes, events, answers, and what was still buffered on the dead connections) is
//! checked for secrecy at the end.

use crate::harness::*;
use detente::engine::view::{SeatEvent, SeatView};
use detente::engine::{Phase, Seat};
use detente::protocol::ServerFrame;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tokio_tungstenite::tungstenite::Message;

/// The clients, by index: Control, the three factions, an observer.
const CONTROL: usize = 0;
const RU: usize = 1;
const US: usize = 2;
const CS: usize = 3;
const OBSERVER: usize = 4;

/// One effect of a command: an event in Control's stream, given the phase it happened in.
type Effect = Box<dyn Fn(Phase, &SeatEvent) -> bool + Send + Sync>;

/// A command this test sent with its own id.
struct Sent {
    seat: usize,
    id: String,
    command: Value,
    /// The answer: read at once for an acknowledged command, after the restart for one that
    /// was in flight.
    answer: Option<ServerFrame>,
    /// Each must match exactly one event in Control's stream; the last of them is the ack's.
    effects: Vec<Effect>,
}

#[derive(Default)]
struct Log {
    sent: Vec<Sent>,
}

impl Log {
    fn id(&self, c: &Client) -> String {
        format!("{}-k{}", c.label, self.sent.len())
    }

    /// Sends `command` from `seat` and reads its answer, which must be an ack; its sequence.
    async fn ack(
        &mut self,
        clients: &mut [Client],
        seat: usize,
        command: Value,
        effects: Vec<Effect>,
    ) -> i64 {
        let c = &mut clients[seat];
        let id = self.id(c);
        let answer = c.send_command(&id, &command).await;
        let ServerFrame::Ack { seq, .. } = answer else {
            panic!("{}: {command} refused: {answer:?}", c.label)
        };
        self.sent.push(Sent {
            seat,
            id,
            command,
            answer: Some(answer),
            effects,
        });
        seq
    }

    /// Sends `command` from `seat` and does not read its answer: in flight when the server dies.
    async fn fly(
        &mut self,
        clients: &mut [Client],
        seat: usize,
        command: Value,
        effects: Vec<Effect>,
    ) {
        let c = &mut clients[seat];
        let id = self.id(c);
        c.send_text(&json!({"type": "command", "id": id, "command": command}).to_string())
            .await;
        self.sent.push(Sent {
            seat,
            id,
            command,
            answer: None,
            effects,
        });
    }

    /// Waits until Control has seen every effect of the commands in flight from `from` on:
    /// they are committed, their answers unread.
    async fn committed(&self, control: &mut Client, from: usize, after: i64, phase: Phase) {
        for s in &self.sent[from..] {
            for effect in &s.effects {
                wait_event(control, after, &s.id, |e| effect(phase, e)).await;
            }
        }
    }

    /// After a restart: every command sent again with its id. Each is acknowledged; one
    /// acknowledged before gets the identical ack, and so does one whose ack was still
    /// buffered when the server died. Those in flight (from `fresh` on) are sent once more.
    /// How many of those had been committed before the kill (the log was at `durable` then).
    async fn retry(
        &mut self,
        clients: &mut [Client],
        buffered: &BTreeMap<String, ServerFrame>,
        fresh: usize,
        durable: i64,
    ) -> usize {
        let mut committed = 0;
        for (i, s) in self.sent.iter_mut().enumerate() {
            let c = &mut clients[s.seat];
            let passes = if i >= fresh { 2 } else { 1 };
            for _ in 0..passes {
                let again = c.send_command(&s.id, &s.command).await;
                assert!(
                    matches!(again, ServerFrame::Ack { .. }),
                    "{}: {} sent again: {again:?}",
                    s.id,
                    s.command
                );
                if let Some(b) = buffered.get(&s.id) {
                    assert_eq!(&again, b, "{}: the ack that was on its way", s.id);
                }
                match &s.answer {
                    Some(first) => assert_eq!(&again, first, "{}: the same ack", s.id),
                    None => {
                        if matches!(again, ServerFrame::Ack { seq, .. } if seq <= durable) {
                            committed += 1;
                        }
                        s.answer = Some(again);
                    }
                }
            }
        }
        committed
    }

    /// Every command had exactly one effect, and its ack names the last event of it; Control's
    /// stream of events has no gap.
    fn check_once(&self, control: &Client) {
        let events = phased(control);
        let seqs: Vec<i64> = events.iter().map(|(s, ..)| *s).collect();
        let first = seqs.first().copied().unwrap_or(0);
        assert_eq!(
            seqs,
            (first..first + seqs.len() as i64).collect::<Vec<_>>(),
            "Control's events have no gap"
        );
        for s in &self.sent {
            let Some(ServerFrame::Ack { seq, .. }) = &s.answer else {
                panic!("{}: {} has no ack: {:?}", s.id, s.command, s.answer)
            };
            let mut last = 0;
            for (n, effect) in s.effects.iter().enumerate() {
                let hits: Vec<i64> = events
                    .iter()
                    .filter(|(_, phase, e)| effect(*phase, e))
                    .map(|(seq, ..)| *seq)
                    .collect();
                assert_eq!(
                    hits.len(),
                    1,
                    "{}: {} — its effect {n} happened at {hits:?}",
                    s.id,
                    s.command
                );
                last = last.max(hits[0]);
            }
            assert_eq!(*seq, last, "{}: {} — the ack's sequence", s.id, s.command);
        }
    }

    fn max_ack(&self) -> i64 {
        self.sent
            .iter()
            .filter_map(|s| match &s.answer {
                Some(ServerFrame::Ack { seq, .. }) => Some(*seq),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The texts of the chat messages sent, and the titles of the proposals made.
    fn texts(&self, kind: &str) -> Vec<String> {
        self.sent
            .iter()
            .filter_map(|s| match kind {
                "chat" if s.command["type"] == "chat" => s.command["text"].as_str(),
                "title" if s.command["terms"]["title"].is_string() => {
                    s.command["terms"]["title"].as_str()
                }
                _ => None,
            })
            .map(str::to_owned)
            .collect()
    }
}

/// Control's events, each with the phase it happened in.
fn phased(control: &Client) -> Vec<(i64, Phase, &SeatEvent)> {
    let mut phase = Phase::Briefing;
    control
        .events()
        .map(|(seq, e)| {
            let at = (seq, phase, e);
            match e {
                SeatEvent::PhaseChanged { phase: p, .. } => phase = *p,
                SeatEvent::RoundBegan { .. } => phase = Phase::Briefing,
                _ => {}
            }
            at
        })
        .collect()
}

fn said(text: &str) -> Effect {
    let text = text.to_owned();
    Box::new(move |_, e| matches!(e, SeatEvent::ChatPosted { message } if message.text == text))
}
fn made(title: &str) -> Effect {
    let title = title.to_owned();
    Box::new(
        move |_, e| matches!(e, SeatEvent::ProposalMade { proposal } if proposal.terms.title == title),
    )
}
fn accepted(p: u32, by: &str) -> Effect {
    let by = by.to_owned();
    Box::new(
        move |_, e| matches!(e, SeatEvent::ProposalAccepted { proposal, by: f } if *proposal == p && f.as_str() == by),
    )
}
fn signed(title: &str) -> Effect {
    let title = title.to_owned();
    Box::new(
        move |_, e| matches!(e, SeatEvent::AgreementSigned { agreement, .. } if agreement.terms.title == title),
    )
}
fn rejected(p: u32) -> Effect {
    Box::new(
        move |_, e| matches!(e, SeatEvent::ProposalRejected { proposal, .. } if *proposal == p),
    )
}
fn countered(p: u32) -> Effect {
    Box::new(
        move |_, e| matches!(e, SeatEvent::ProposalCountered { proposal, .. } if *proposal == p),
    )
}
fn withdrawn(p: u32) -> Effect {
    Box::new(move |_, e| matches!(e, SeatEvent::ProposalWithdrawn { proposal } if *proposal == p))
}
fn submitted(faction: &str, action: &str) -> Effect {
    let (faction, action) = (faction.to_owned(), action.to_owned());
    Box::new(move |_, e| {
        matches!(e, SeatEvent::OrderSubmitted { faction: f, order }
            if f.as_str() == faction && order.action.as_str() == action)
    })
}
fn amended(id: u32, to: u32) -> Effect {
    Box::new(
        move |_, e| matches!(e, SeatEvent::OrderAmended { order, quantity, .. } if *order == id && *quantity == to),
    )
}
fn order_withdrawn(id: u32) -> Effect {
    Box::new(move |_, e| matches!(e, SeatEvent::OrderWithdrawn { order, .. } if *order == id))
}
fn phase_began(phase: Phase) -> Effect {
    Box::new(move |_, e| matches!(e, SeatEvent::PhaseChanged { phase: p, .. } if *p == phase))
}
/// An event that can happen once per phase: the one in `phase`.
fn in_phase(phase: Phase, pred: fn(&SeatEvent) -> bool) -> Effect {
    Box::new(move |at, e| at == phase && pred(e))
}
fn ready_in(faction: &'static str, phase: Phase) -> Effect {
    Box::new(move |at, e| {
        at == phase && matches!(e, SeatEvent::FactionReady { faction: f } if f.as_str() == faction)
    })
}
fn overridden(reason: &str) -> Effect {
    let reason = reason.to_owned();
    Box::new(move |_, e| matches!(e, SeatEvent::Overridden { reason: r, .. } if *r == reason))
}
fn injected(event: &str) -> Effect {
    let event = event.to_owned();
    Box::new(
        move |_, e| matches!(e, SeatEvent::EventInjected { fired, .. } if fired.id.as_str() == event),
    )
}
fn annotated(text: &str) -> Effect {
    let text = text.to_owned();
    Box::new(move |_, e| matches!(e, SeatEvent::Annotated { text: t, .. } if *t == text))
}
fn switched(event: &str, on: bool) -> Effect {
    let event = event.to_owned();
    Box::new(
        move |_, e| matches!(e, SeatEvent::ScheduledEventSet { event: ev, enabled } if ev.as_str() == event && *enabled == on),
    )
}

fn paused(e: &SeatEvent) -> bool {
    matches!(e, SeatEvent::Paused { .. })
}
fn resumed(e: &SeatEvent) -> bool {
    matches!(e, SeatEvent::Resumed { .. })
}
fn extended(e: &SeatEvent) -> bool {
    matches!(e, SeatEvent::DeadlineExtended { .. })
}

/// Terms for two years with one clause; private unless `public`.
fn terms(title: &str, parties: &[&str], clause: &Value, public: bool) -> Value {
    json!({"title": title, "parties": parties, "clauses": [clause], "duration_rounds": 2, "public": public})
}

/// The order `c` submitted for `action`.
fn order_id(c: &Client, action: &str) -> u32 {
    c.events()
        .find_map(|(_, e)| match e {
            SeatEvent::OrderSubmitted { order, .. } if order.action.as_str() == action => {
                Some(order.id)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{}: no order for {action}", c.label))
}

/// After the kill: the frames still buffered on `c`'s dead connection are kept like any other
/// (the secrecy check covers them); the answers among them, by id.
async fn drain(c: &mut Client, answers: &mut BTreeMap<String, ServerFrame>) {
    let Some(mut ws) = c.ws.take() else {
        return;
    };
    loop {
        let text = match tokio::time::timeout(RECV, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_)) | None) => return,
            Err(_) => panic!("{}: still connected to a killed server", c.label),
        };
        let frame: ServerFrame = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: unreadable frame {text}: {e}", c.label));
        match &frame {
            ServerFrame::Event { seq, .. } => {
                assert!(*seq > c.seen, "{}: event {seq} after {}", c.label, c.seen);
                c.seen = *seq;
            }
            ServerFrame::Ack { id, .. } | ServerFrame::Error { id: Some(id), .. } => {
                answers.insert(id.clone(), frame.clone());
            }
            _ => {}
        }
        c.frames.push((text, frame));
    }
}

/// Kills the server with SIGKILL; the answers that were still buffered on the connections.
async fn kill(mut server: Child, clients: &mut [Client]) -> BTreeMap<String, ServerFrame> {
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    drop(server);
    let mut answers = BTreeMap::new();
    for c in clients.iter_mut() {
        drain(c, &mut answers).await;
    }
    answers
}

/// Restarts the server on the same database; each client says hello again, resuming from the
/// last event it saw or (`false`) fresh.
async fn restart(
    db: &Db,
    log: &std::path::Path,
    clients: &mut [Client],
    resume: [bool; 5],
) -> Child {
    let server = start_binary(db, log).await;
    for (c, resume) in clients.iter_mut().zip(resume) {
        c.addr = server.addr;
        let from = resume.then_some(c.seen);
        c.hello(from).await;
    }
    server
}

/// Where the restarted server's log is: the sequence of Control's last welcome (a resume).
fn resumed_at(control: &Client) -> i64 {
    match control.frames.iter().rev().find_map(|(_, f)| match f {
        ServerFrame::Welcome { seq, view, .. } => Some((*seq, view.is_none())),
        _ => None,
    }) {
        Some((seq, true)) => seq,
        other => panic!("Control resumed: {other:?}"),
    }
}

/// A fresh connection of Control's: its view.
async fn control_view(addr: std::net::SocketAddr, token: &str, label: &str) -> (Client, SeatView) {
    let mut c = Client::connect(addr, label, token).await;
    c.disconnect().await;
    let view = welcome_view(&c.frames[0].1);
    (c, view)
}

/// Everything acknowledged and retried is in the view once: messages and proposals.
fn check_view_once(log: &Log, view: &SeatView, label: &str) {
    for text in log.texts("chat") {
        let n = view.messages.iter().filter(|m| m.text == text).count();
        assert_eq!(n, 1, "{label}: message {text} {n} times");
    }
    for title in log.texts("title") {
        let n = view
            .proposals
            .iter()
            .filter(|p| p.terms.title == title)
            .count();
        assert_eq!(n, 1, "{label}: proposal {title} {n} times");
    }
}

async fn sigkill_mid_game(db: Db) {
    let log_file = match &db {
        Db::Sqlite { dir } => dir.join("server.log"),
        Db::Postgres { name, .. } => std::env::temp_dir().join(format!("{name}.log")),
    };
    let server = start_binary(&db, &log_file).await;
    let addr = server.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let cs_token = join(addr, &g.code, "Aigerim", "csto").await;
    let ob_token = join_observer(addr, &g.code, "Projector").await;
    let mut clients = [
        Client::connect(addr, "control", &g.control_token).await,
        Client::connect(addr, "russia", &ru_token).await,
        Client::connect(addr, "us_nato", &us_token).await,
        Client::connect(addr, "csto", &cs_token).await,
        Client::connect(addr, "observer", &ob_token).await,
    ];
    let c = &mut clients[..];
    assert_eq!(c[OBSERVER].seat, Seat::Observer);
    let mut log = Log::default();
    let (ru, us, cs) = (faction("russia"), faction("us_nato"), faction("csto"));
    let everyone = [ru.clone(), us.clone(), cs.clone(), Seat::Observer];
    let mut markers: Vec<(String, Vec<Seat>)> = vec![
        // Russia's covert order: nobody else may learn of it.
        ("penetration_aids".into(), vec![ru.clone()]),
        ("Develop penetration aids".into(), vec![ru.clone()]),
    ];
    let mut secret = |name: &str, readers: &[&Seat]| {
        let m = marker(name);
        markers.push((m.clone(), readers.iter().map(|s| (*s).clone()).collect()));
        m
    };
    let all: Vec<&Seat> = everyone.iter().collect();
    let guarantee = json!({"kind": "political_guarantee", "by": "us_nato"});
    let belarus = json!({"kind": "no_systems_belarus", "by": "csto", "action": "host_russian_systems_belarus"});
    let afghanistan = json!({"kind": "afghanistan_cooperation", "by": "csto"});
    let centre = json!({"kind": "joint_centre", "by": "us_nato"});
    let exchange = json!({"kind": "data_exchange", "by": "russia"});

    // ---- The negotiation: acknowledged commands of every kind. ----
    let neg = Phase::Negotiation;
    log.ack(c, CONTROL, advance(), vec![phase_began(neg)]).await;
    let t = secret("plenary-russia", &all);
    log.ack(c, RU, chat(plenary(), &t), vec![said(&t)]).await;
    let t = secret("bilateral-russia-us", &[&ru, &us]);
    log.ack(
        c,
        RU,
        chat(bilateral("russia", "us_nato"), &t),
        vec![said(&t)],
    )
    .await;
    let t = secret("bilateral-us-csto", &[&us, &cs]);
    log.ack(
        c,
        US,
        chat(bilateral("us_nato", "csto"), &t),
        vec![said(&t)],
    )
    .await;
    let t = secret("team-us", &[&us]);
    log.ack(c, US, chat(team("us_nato"), &t), vec![said(&t)])
        .await;
    let t = secret("control-channel-csto", &[&cs]);
    log.ack(c, CS, chat(control_channel("csto"), &t), vec![said(&t)])
        .await;
    let t = secret("team-russia-by-control", &[&ru]);
    log.ack(c, CONTROL, chat(team("russia"), &t), vec![said(&t)])
        .await;
    // Proposals: P1 public, to be signed; the others private.
    let mut proposals = BTreeMap::new();
    for (name, seat, parties, clause, public) in [
        ("p1", RU, ["russia", "us_nato"], &guarantee, true),
        ("p2", US, ["us_nato", "csto"], &afghanistan, false),
        ("p3", RU, ["russia", "csto"], &belarus, false),
        ("p4", RU, ["russia", "us_nato"], &centre, false),
        ("p5", CS, ["csto", "us_nato"], &afghanistan, false),
        ("p8", RU, ["russia", "us_nato"], &guarantee, false),
        ("p10", RU, ["russia", "csto"], &belarus, false),
    ] {
        let title = if public {
            "Moscow accord".to_owned()
        } else {
            let readers: Vec<Seat> = parties.iter().map(|f| faction(f)).collect();
            secret(
                &format!("proposal-{name}"),
                &readers.iter().collect::<Vec<_>>(),
            )
        };
        let cmd = json!({"type": "propose", "terms": terms(&title, &parties, clause, public)});
        let seq = log.ack(c, seat, cmd, vec![made(&title)]).await;
        c[seat].wait_seq(seq).await;
        proposals.insert(name, (proposal_at(&c[seat], seq), title));
    }
    let p = |name: &str| proposals[name].0;
    let title = |name: &str| proposals[name].1.clone();
    log.ack(
        c,
        US,
        json!({"type": "accept", "proposal": p("p1")}),
        vec![accepted(p("p1"), "us_nato"), signed(&title("p1"))],
    )
    .await;
    let t = secret("rejection-p3", &[&ru, &cs]);
    log.ack(
        c,
        CS,
        json!({"type": "reject", "proposal": p("p3"), "reason": t}),
        vec![rejected(p("p3"))],
    )
    .await;
    let p6 = secret("counter-p6", &[&ru, &us]);
    let seq = log
        .ack(
            c,
            US,
            json!({"type": "counter", "proposal": p("p4"), "terms": terms(&p6, &["russia", "us_nato"], &exchange, false)}),
            vec![countered(p("p4")), made(&p6)],
        )
        .await;
    c[US].wait_seq(seq).await;
    let p6_id = proposal_at(&c[US], seq);
    log.ack(
        c,
        CS,
        json!({"type": "withdraw", "proposal": p("p5")}),
        vec![withdrawn(p("p5"))],
    )
    .await;
    log.ack(c, RU, ready(), vec![ready_in("russia", neg)]).await;
    // Control.
    log.ack(
        c,
        CONTROL,
        json!({"type": "pause"}),
        vec![in_phase(neg, paused)],
    )
    .await;
    log.ack(
        c,
        CONTROL,
        json!({"type": "resume"}),
        vec![in_phase(neg, resumed)],
    )
    .await;
    let extend = json!({"type": "extend_deadline", "seconds": 3600});
    log.ack(c, CONTROL, extend.clone(), vec![in_phase(neg, extended)])
        .await;
    let t = secret("override-ru-decoys", &[&ru]);
    let cmd = json!({"type": "override", "var": "ru_decoys", "value": 2.0, "reason": t});
    log.ack(c, CONTROL, cmd, vec![overridden(&t)]).await;
    let cmd = json!({"type": "inject_event", "event": "north_korea_test"});
    log.ack(c, CONTROL, cmd, vec![injected("north_korea_test")])
        .await;
    let t = secret("annotation-negotiation", &all);
    let cmd = json!({"type": "annotate", "text": t});
    log.ack(c, CONTROL, cmd, vec![annotated(&t)]).await;
    let cmd = json!({"type": "set_scheduled_event", "event": "ukraine_crisis", "enabled": false});
    log.ack(c, CONTROL, cmd, vec![switched("ukraine_crisis", false)])
        .await;

    // In flight, and known to be committed: Russia's and the CSTO's.
    let acked = log.max_ack();
    c[CONTROL].wait_seq(acked).await;
    let (from, after) = (log.sent.len(), c[CONTROL].seen);
    let t = secret("bilateral-russia-csto-in-flight", &[&ru, &cs]);
    log.fly(c, RU, chat(bilateral("russia", "csto"), &t), vec![said(&t)])
        .await;
    let p9 = secret("counter-p9-in-flight", &[&ru, &us]);
    log.fly(
        c,
        RU,
        json!({"type": "counter", "proposal": p6_id, "terms": terms(&p9, &["russia", "us_nato"], &centre, false)}),
        vec![countered(p6_id), made(&p9)],
    )
    .await;
    log.fly(
        c,
        RU,
        json!({"type": "withdraw", "proposal": p("p10")}),
        vec![withdrawn(p("p10"))],
    )
    .await;
    log.fly(
        c,
        CS,
        json!({"type": "accept", "proposal": p("p2")}),
        vec![accepted(p("p2"), "csto"), signed(&title("p2"))],
    )
    .await;
    log.fly(c, CS, ready(), vec![ready_in("csto", neg)]).await;
    log.committed(&mut c[CONTROL], from, after, neg).await;
    // In flight when the server dies: US/NATO's and Control's.
    let p7 = secret("proposal-p7-in-flight", &[&us, &ru]);
    log.fly(
        c,
        US,
        json!({"type": "propose", "terms": terms(&p7, &["us_nato", "russia"], &exchange, false)}),
        vec![made(&p7)],
    )
    .await;
    let t = secret("rejection-p8-in-flight", &[&ru, &us]);
    log.fly(
        c,
        US,
        json!({"type": "reject", "proposal": p("p8"), "reason": t}),
        vec![rejected(p("p8"))],
    )
    .await;
    let t = secret("override-csto-readiness-in-flight", &[&cs]);
    let cmd = json!({"type": "override", "var": "csto_crrf_readiness", "value": 55.0, "reason": t});
    log.fly(c, CONTROL, cmd, vec![overridden(&t)]).await;
    let t = secret("annotation-in-flight", &all);
    log.fly(
        c,
        CONTROL,
        json!({"type": "annotate", "text": t}),
        vec![annotated(&t)],
    )
    .await;
    let cmd = json!({"type": "set_scheduled_event", "event": "isaf_drawdown", "enabled": false});
    log.fly(c, CONTROL, cmd, vec![switched("isaf_drawdown", false)])
        .await;

    // ---- Kill 1. ----
    let fresh = from;
    let buffered = kill(server, c).await;
    // Every event Control received (before the kill or still buffered) was committed.
    let kept = c[CONTROL].seen;
    let server = restart(&db, &log_file, c, [true, true, false, true, false]).await;
    let addr = server.addr;
    let durable = resumed_at(&c[CONTROL]);
    assert!(durable >= kept, "committed events kept: {durable} < {kept}");
    let committed = log.retry(c, &buffered, fresh, durable).await;
    eprintln!(
        "kill 1: {committed} of {} commands in flight had been committed, {} answers buffered",
        log.sent.len() - fresh,
        buffered.len()
    );
    c[CONTROL].wait_seq(log.max_ack()).await;
    log.check_once(&c[CONTROL]);
    let (v1, view) = control_view(addr, &g.control_token, "control-view-1").await;
    assert_eq!(view.phase, Phase::Negotiation);
    check_view_once(&log, &view, &v1.label);
    assert_eq!(view.agreements.len(), 2, "P1 and P2 signed once each");
    let mut views = vec![v1];

    // ---- The orders phase: acknowledged commands of every kind. ----
    let ord = Phase::Orders;
    log.ack(c, CONTROL, advance(), vec![phase_began(ord)]).await;
    for (seat, f, action) in [
        (RU, "russia", "penetration_aids"),
        (RU, "russia", "iskander_kaliningrad"),
        (US, "us_nato", "aegis_ship_med"),
        (US, "us_nato", "rota_destroyer"),
        (US, "us_nato", "nato_transit"),
        (CS, "csto", "tajik_border_aid"),
    ] {
        let seq = log
            .ack(c, seat, order(action, 1), vec![submitted(f, action)])
            .await;
        c[seat].wait_seq(seq).await;
    }
    let rota = order_id(&c[US], "rota_destroyer");
    let cmd = json!({"type": "amend_order", "order": rota, "quantity": 2});
    log.ack(c, US, cmd, vec![amended(rota, 2)]).await;
    let transit = order_id(&c[US], "nato_transit");
    let cmd = json!({"type": "withdraw_order", "order": transit});
    log.ack(c, US, cmd, vec![order_withdrawn(transit)]).await;
    let t = secret("team-csto-orders", &[&cs]);
    log.ack(c, CS, chat(team("csto"), &t), vec![said(&t)]).await;
    log.ack(c, CS, ready(), vec![ready_in("csto", ord)]).await;
    let t = secret("override-ru-decoys-orders", &[&ru]);
    let cmd = json!({"type": "override", "var": "ru_decoys", "value": 3.0, "reason": t});
    log.ack(c, CONTROL, cmd, vec![overridden(&t)]).await;
    let cmd = json!({"type": "inject_event", "event": "iran_missile_test"});
    log.ack(c, CONTROL, cmd, vec![injected("iran_missile_test")])
        .await;
    let t = secret("annotation-orders", &all);
    log.ack(
        c,
        CONTROL,
        json!({"type": "annotate", "text": t}),
        vec![annotated(&t)],
    )
    .await;

    // In flight, and known to be committed: US/NATO's and the CSTO's.
    let acked = log.max_ack();
    c[CONTROL].wait_seq(acked).await;
    let (from, after) = (log.sent.len(), c[CONTROL].seen);
    let aegis = order_id(&c[US], "aegis_ship_med");
    let cmd = json!({"type": "withdraw_order", "order": aegis});
    log.fly(c, US, cmd, vec![order_withdrawn(aegis)]).await;
    let cmd = order("prompt_global_strike", 1);
    log.fly(
        c,
        US,
        cmd,
        vec![submitted("us_nato", "prompt_global_strike")],
    )
    .await;
    let t = secret("bilateral-us-russia-orders-in-flight", &[&ru, &us]);
    log.fly(
        c,
        US,
        chat(bilateral("us_nato", "russia"), &t),
        vec![said(&t)],
    )
    .await;
    let cmd = order("crrf_exercise", 1);
    log.fly(c, CS, cmd, vec![submitted("csto", "crrf_exercise")])
        .await;
    log.committed(&mut c[CONTROL], from, after, ord).await;
    // In flight when the server dies: Russia's, one of US/NATO's and Control's.
    let cmd = order("mobile_icbm_patrols", 1);
    log.fly(c, RU, cmd, vec![submitted("russia", "mobile_icbm_patrols")])
        .await;
    let cmd = json!({"type": "amend_order", "order": rota, "quantity": 1});
    log.fly(c, US, cmd, vec![amended(rota, 1)]).await;
    log.fly(c, RU, ready(), vec![ready_in("russia", ord)]).await;
    let t = secret("team-russia-orders-in-flight", &[&ru]);
    log.fly(c, RU, chat(team("russia"), &t), vec![said(&t)])
        .await;
    log.fly(
        c,
        CONTROL,
        json!({"type": "pause"}),
        vec![in_phase(ord, paused)],
    )
    .await;
    log.fly(
        c,
        CONTROL,
        json!({"type": "resume"}),
        vec![in_phase(ord, resumed)],
    )
    .await;
    log.fly(c, CONTROL, extend.clone(), vec![in_phase(ord, extended)])
        .await;
    let t = secret("override-csto-readiness-orders-in-flight", &[&cs]);
    let cmd = json!({"type": "override", "var": "csto_crrf_readiness", "value": 60.0, "reason": t});
    log.fly(c, CONTROL, cmd, vec![overridden(&t)]).await;
    let t = secret("annotation-orders-in-flight", &all);
    log.fly(
        c,
        CONTROL,
        json!({"type": "annotate", "text": t}),
        vec![annotated(&t)],
    )
    .await;

    // ---- Kill 2. ----
    let fresh = from;
    let buffered = kill(server, c).await;
    // Every event Control received (before the kill or still buffered) was committed.
    let kept = c[CONTROL].seen;
    let server = restart(&db, &log_file, c, [true, true, true, false, false]).await;
    let addr = server.addr;
    let durable = resumed_at(&c[CONTROL]);
    assert!(durable >= kept, "committed events kept: {durable} < {kept}");
    let committed = log.retry(c, &buffered, fresh, durable).await;
    eprintln!(
        "kill 2: {committed} of {} commands in flight had been committed, {} answers buffered",
        log.sent.len() - fresh,
        buffered.len()
    );
    c[CONTROL].wait_seq(log.max_ack()).await;
    log.check_once(&c[CONTROL]);
    let (v2, view) = control_view(addr, &g.control_token, "control-view-2").await;
    assert_eq!(view.phase, Phase::Orders);
    check_view_once(&log, &view, &v2.label);
    let drafts: BTreeMap<String, Vec<(String, u32)>> = view
        .orders
        .iter()
        .map(|(f, orders)| {
            let mut o: Vec<(String, u32)> = orders
                .iter()
                .map(|o| (o.action.as_str().to_owned(), o.quantity))
                .collect();
            o.sort();
            (f.as_str().to_owned(), o)
        })
        .collect();
    let want = |o: &[(&str, u32)]| {
        o.iter()
            .map(|(a, q)| ((*a).to_owned(), *q))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        drafts,
        BTreeMap::from([
            (
                "csto".to_owned(),
                want(&[("crrf_exercise", 1), ("tajik_border_aid", 1)])
            ),
            (
                "russia".to_owned(),
                want(&[
                    ("iskander_kaliningrad", 1),
                    ("mobile_icbm_patrols", 1),
                    ("penetration_aids", 1),
                ])
            ),
            (
                "us_nato".to_owned(),
                want(&[("prompt_global_strike", 1), ("rota_destroyer", 1)])
            ),
        ]),
        "every order acknowledged or retried, once"
    );
    views.push(v2);

    // The game goes on: US/NATO, the last faction, is ready and the round is judged, once.
    let done = c[US].ok(ready()).await;
    for client in c.iter_mut() {
        client.wait_seq(done).await;
    }
    let judged = c[CONTROL]
        .events()
        .filter(|(_, e)| matches!(e, SeatEvent::Adjudicated { .. }))
        .count();
    assert_eq!(judged, 1, "adjudicated once");

    // Secrecy: every frame each seat received, before, between and after the kills.
    let secrets = Secrets::from_control(&c[CONTROL], markers);
    for client in c.iter() {
        // Control and Russia always resumed: they must have received everything they may see.
        let complete = matches!(client.seat, Seat::Control) || client.label == "russia";
        secrets.check(&client.label, &client.seat, &client.frames, complete);
    }
    for v in &views {
        secrets.check(&v.label, &v.seat, &v.frames, false);
    }

    for client in c.iter_mut() {
        client.disconnect().await;
    }
    drop(server);
    if matches!(db, Db::Postgres { .. }) {
        std::fs::remove_file(&log_file).ok();
    }
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_game_loses_nothing_acknowledged_on_sqlite() {
    sigkill_mid_game(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_game_loses_nothing_acknowledged_on_postgres() {
    let test = "sigkill_mid_game_loses_nothing_acknowledged_on_postgres";
    let Some(db) = Db::postgres(test).await else {
        return;
    };
    sigkill_mid_game(db).await;
}
