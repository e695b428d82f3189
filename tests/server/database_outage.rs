//! Postgres unavailable for a while: commands fail retryably and nothing is lost; an overdue
//! deadline waits with restraint.

use crate::harness::*;
use detente::engine::view::{SeatEvent, SeatView};
use detente::engine::Phase;
use detente::protocol::ServerFrame;
use futures_util::SinkExt;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// Starts the real server like [`spawn_app`], but reaching its database at `url` (e.g.
/// through [`PgProxy`]) rather than at `db.url()`.
async fn spawn_app_at(db: Db, url: String) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let config = test_config(addr, url);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(detente::serve::serve(config, listener, async move {
        let _ = stopped.await;
    }));
    wait_for_readyz(addr, 200, Duration::from_secs(30)).await;
    App {
        addr,
        db,
        stop,
        task,
    }
}

/// Polls `/readyz` until it answers `status`; how long that took.
async fn wait_for_readyz(addr: SocketAddr, status: u16, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if let Ok((st, _)) = try_http(addr, "GET", "/readyz", None, None).await {
            if st == status {
                return start.elapsed();
            }
        }
        assert!(
            start.elapsed() < within,
            "/readyz did not answer {status} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP proxy in front of Postgres with a switch. Off: every proxied connection is cut, and
/// new ones are accepted and closed at once (as a database that went away mid-conversation).
struct PgProxy {
    addr: SocketAddr,
    on: tokio::sync::watch::Sender<bool>,
    /// Connections turned away while off.
    refused: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: JoinHandle<()>,
}

impl PgProxy {
    async fn start(target: SocketAddr) -> PgProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (on, rx) = tokio::sync::watch::channel(true);
        let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = refused.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !*rx.borrow() {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    drop(inbound);
                    continue;
                }
                let mut rx = rx.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = rx.wait_for(|on| !*on) => {}
                    }
                    // Both sockets close here.
                });
            }
        });
        PgProxy {
            addr,
            on,
            refused,
            task,
        }
    }

    fn set(&self, on: bool) {
        self.on.send_replace(on);
    }

    fn refused(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `postgres://user@host:port/db` → (`postgres://user@`, `host:port`, `/db`).
fn split_pg_url(url: &str) -> (String, String, String) {
    let (scheme, rest) = url.split_once("://").expect("a database URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (user, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    (format!("{scheme}://{user}"), host, path.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_is_retryable_and_loses_nothing() {
    let test = "postgres_outage_is_retryable_and_loses_nothing";
    let Some(db) = Db::postgres(test).await else {
        return;
    };
    let (prefix, target, path) = split_pg_url(&db.url());
    let target = tokio::net::lookup_host(&target)
        .await
        .expect("resolve the Postgres host")
        .next()
        .expect("an address for the Postgres host");
    let proxy = PgProxy::start(target).await;
    let app = spawn_app_at(db, format!("{prefix}{}{path}", proxy.addr)).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;

    // Acknowledged before the outage.
    ru.ok(chat(plenary(), "acknowledged before the outage"))
        .await;
    us.ok(chat(team("us_nato"), "team note before the outage"))
        .await;
    control.ok(advance()).await;
    let proposed = ru
        .ok(propose(
            "Moscow accord",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            true,
        ))
        .await;
    ru.wait_seq(proposed).await;
    let p = proposal_at(&ru, proposed);
    let before = barrier(&mut control, &mut [&mut ru, &mut us]).await;
    // A second game whose briefing ends during the outage.
    let clock_game = create_game(
        addr,
        json!({"deadlines": {"briefing": 1, "negotiation": 600, "orders": 0, "review": 0}}),
    )
    .await;
    let mut clock = Client::connect(addr, "clock-control", &clock_game.control_token).await;
    let clock_deadline = welcome_view(&clock.frames[0].1)
        .deadline_at
        .expect("a briefing deadline");
    let clock_seq = clock.seen;

    // The database goes away.
    proxy.set(false);
    let took = wait_for_readyz(addr, 503, Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(5), "/readyz 503 after {took:?}");

    // Commands fail quickly with a clear, retryable error; each twice (a retry during the
    // outage fails the same way: a failure is not remembered as the answer).
    let said = chat(plenary(), "said during the outage");
    let accept = json!({"type": "accept", "proposal": p});
    let adv = advance();
    let outage: [(&str, &Value); 3] = [
        ("ru-outage-chat", &said),
        ("us-outage-accept", &accept),
        ("control-outage-advance", &adv),
    ];
    for _ in 0..2 {
        for (i, (id, cmd)) in outage.iter().enumerate() {
            let client = match i {
                0 => &mut ru,
                1 => &mut us,
                _ => &mut control,
            };
            let c = client.label.clone();
            let start = Instant::now();
            match client.send_command(id, cmd).await {
                ServerFrame::Error {
                    id: Some(eid),
                    code,
                    retryable,
                    message,
                } => {
                    assert_eq!(
                        (eid.as_str(), code.as_str(), retryable),
                        (*id, "unavailable", true),
                        "{c}: {message}"
                    );
                    assert!(!message.is_empty());
                }
                other => panic!("{c}: {id} during the outage: {other:?}"),
            }
            let took = start.elapsed();
            assert!(
                took < Duration::from_secs(5),
                "{c}: the error took {took:?}"
            );
        }
    }
    // Nothing changed: no events reached anyone.
    for c in [&mut ru, &mut us, &mut control] {
        c.ping().await;
        assert_eq!(c.seen, before, "{}: no events during the outage", c.label);
    }
    // REST and new connections say so too.
    let (st, body) = http(
        addr,
        "GET",
        &format!("/api/games/{}", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    let mut ws = ws_connect(addr).await;
    ws.send(Message::text(
        json!({"type": "hello", "token": ru_token}).to_string(),
    ))
    .await
    .expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(
        (&frames[0]["code"], &frames[0]["retryable"]),
        (&json!("unavailable"), &json!(true))
    );
    assert_eq!(code, Some(1001));

    // The second game's deadline passes while the database is away: it cannot fire yet.
    let wait = clock_deadline + 300 - detente::limits::WallClock::system().now_ms();
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    clock.ping().await;
    assert_eq!(
        clock.seen, clock_seq,
        "no phase change without the database"
    );

    // The database returns: the server recovers by itself.
    proxy.set(true);
    wait_for_readyz(addr, 200, Duration::from_secs(15)).await;
    let (seq, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq, before, "nothing was written during the outage");
    // The overdue deadline fires.
    wait_event(&mut clock, clock_seq, "the negotiation", |e| {
        matches!(
            e,
            SeatEvent::PhaseChanged {
                phase: Phase::Negotiation,
                ..
            }
        )
    })
    .await;

    // The same commands, same ids: acknowledged, each with exactly one effect.
    let mut acks = Vec::new();
    for (i, (id, cmd)) in outage.iter().enumerate() {
        let client = match i {
            0 => &mut ru,
            1 => &mut us,
            _ => &mut control,
        };
        let ack = client.send_command(id, cmd).await;
        let ServerFrame::Ack { seq, .. } = ack else {
            panic!("{}: {id} after the outage: {ack:?}", client.label)
        };
        acks.push((i, id, cmd, ack.clone(), seq));
    }
    let seqs: Vec<i64> = acks.iter().map(|a| a.4).collect();
    // A message; an acceptance and the signature; the move to orders.
    assert_eq!(seqs, vec![before + 1, before + 3, before + 4]);
    // Retried once more: the same answers, no second effect.
    for (i, id, cmd, ack, _) in &acks {
        let client = match i {
            0 => &mut ru,
            1 => &mut us,
            _ => &mut control,
        };
        assert_eq!(&client.send_command(id, cmd).await, ack, "{id}");
    }
    let last = before + 4;
    for c in [&mut ru, &mut us, &mut control] {
        c.wait_seq(last).await;
        c.ping().await;
        assert_eq!(c.seen, last, "{}: nothing more", c.label);
    }

    // Everything acknowledged is there, once: a fresh connection's view, and REST.
    let fresh = Client::connect(addr, "control-fresh", &g.control_token).await;
    let view = match &fresh.frames[0].1 {
        ServerFrame::Welcome {
            seq, view: Some(v), ..
        } => {
            assert_eq!(*seq, last);
            v.clone()
        }
        other => panic!("{other:?}"),
    };
    let count = |v: &SeatView, text: &str| v.messages.iter().filter(|m| m.text == text).count();
    for text in [
        "acknowledged before the outage",
        "team note before the outage",
        "said during the outage",
    ] {
        assert_eq!(count(&view, text), 1, "{text}");
    }
    assert_eq!(view.phase, Phase::Orders);
    assert_eq!(view.proposals.len(), 1);
    assert_eq!(view.agreements.len(), 1, "signed once");
    let (seq, rest_view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!((seq, &rest_view), (last, &*view));
    // New work goes through as usual.
    let ordered = ru.ok(order("mirv_new_icbms", 1)).await;
    // Through the outage, the refusals and the retries, neither faction received the other's
    // secrets: US/NATO's team note, Russia's order, either's purse.
    control.wait_seq(ordered).await;
    let secrets = Secrets::from_control(
        &control,
        vec![team_only("team note before the outage", "us_nato")],
    );
    secrets.check(&ru.label, &ru.seat, &ru.frames, false);
    secrets.check(&us.label, &us.seat, &us.frames, false);

    for mut c in [ru, us, control, fresh, clock] {
        c.disconnect().await;
    }
    let db = app.stop().await;
    drop(proxy);
    db.cleanup().await;
}

/// While the database is away, an overdue deadline is retried with some restraint, not in a
/// tight loop (each attempt opens a database connection and logs a warning).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_deadline_backs_off_while_the_database_is_away() {
    let test = "overdue_deadline_backs_off_while_the_database_is_away";
    let Some(db) = Db::postgres(test).await else {
        return;
    };
    let (prefix, target, path) = split_pg_url(&db.url());
    let target = tokio::net::lookup_host(&target)
        .await
        .expect("resolve the Postgres host")
        .next()
        .expect("an address for the Postgres host");
    let proxy = PgProxy::start(target).await;
    let app = spawn_app_at(db, format!("{prefix}{}{path}", proxy.addr)).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"deadlines": {"briefing": 1, "negotiation": 600, "orders": 0, "review": 0}}),
    )
    .await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let deadline = welcome_view(&control.frames[0].1)
        .deadline_at
        .expect("a briefing deadline");
    proxy.set(false);
    let wait = deadline + 2_000 - detente::limits::WallClock::system().now_ms();
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    let attempts = proxy.refused();
    proxy.set(true);
    wait_event(&mut control, 0, "the negotiation", |e| {
        matches!(
            e,
            SeatEvent::PhaseChanged {
                phase: Phase::Negotiation,
                ..
            }
        )
    })
    .await;
    assert!(
        attempts < 50,
        "{attempts} database connections tried in the 2 s after the deadline"
    );
    control.disconnect().await;
    let db = app.stop().await;
    drop(proxy);
    db.cleanup().await;
}
