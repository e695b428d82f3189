//! Which seats have sockets open on this server node, and a way to close them when Control
//! moves a seat to another faction (the seat's token then stands for a different identity, so
//! its connections must say hello again).
//!
//! This is per node, like the sockets themselves: with several nodes, Control's seat list
//! would sum the nodes' counts and a move would be announced to every node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use uuid::Uuid;

#[derive(Default)]
pub struct Presence {
    seats: Mutex<HashMap<Uuid, Entry>>,
}

struct Entry {
    open: u32,
    /// Bumped when the seat changes; each connection of the seat watches it.
    changed: watch::Sender<u64>,
}

/// Held by a connection while it is open; counts it out when dropped.
pub struct Here {
    presence: Arc<Presence>,
    seat: Uuid,
    /// Fires when the seat was moved: the connection closes with 4000.
    pub changed: watch::Receiver<u64>,
}

impl Presence {
    /// Counts a connection of `seat` in.
    pub fn arrive(self: &Arc<Self>, seat: Uuid) -> Here {
        let mut seats = self.seats.lock().unwrap_or_else(|p| p.into_inner());
        let entry = seats.entry(seat).or_insert_with(|| Entry {
            open: 0,
            changed: watch::channel(0).0,
        });
        entry.open += 1;
        Here {
            presence: self.clone(),
            seat,
            changed: entry.changed.subscribe(),
        }
    }

    /// Open connections of `seat` on this node.
    pub fn open(&self, seat: Uuid) -> u32 {
        let seats = self.seats.lock().unwrap_or_else(|p| p.into_inner());
        seats.get(&seat).map_or(0, |e| e.open)
    }

    /// Tells every open connection of `seat` that its seat changed.
    pub fn seat_changed(&self, seat: Uuid) {
        let seats = self.seats.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = seats.get(&seat) {
            e.changed.send_modify(|n| *n += 1);
        }
    }
}

impl Drop for Here {
    fn drop(&mut self) {
        let mut seats = self
            .presence
            .seats
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(e) = seats.get_mut(&self.seat) {
            e.open -= 1;
            if e.open == 0 {
                seats.remove(&self.seat);
            }
        }
    }
}

/// Class connections on this node waiting to hear that a class changed (a student joined or
/// was pinned, the class started): the handlers that write those changes ring the class's
/// bell, and its connections read the database again. Per node: with several nodes a change
/// made on one would have to be announced to the others (the database stays the truth).
#[derive(Default)]
pub struct ClassBells {
    classes: Mutex<HashMap<Uuid, (u32, watch::Sender<Rung>)>>,
}

/// What a class's bell says: it rang (`n` moves), and whether the class has started by then.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rung {
    pub n: u64,
    pub started: bool,
}

/// Held by a class connection; stops listening when dropped.
pub struct Listening {
    bells: Arc<ClassBells>,
    class: Uuid,
    pub rung: watch::Receiver<Rung>,
}

impl ClassBells {
    pub fn listen(self: &Arc<Self>, class: Uuid) -> Listening {
        let mut classes = self.classes.lock().unwrap_or_else(|p| p.into_inner());
        let entry = classes
            .entry(class)
            .or_insert_with(|| (0, watch::channel(Rung::default()).0));
        entry.0 += 1;
        Listening {
            bells: self.clone(),
            class,
            rung: entry.1.subscribe(),
        }
    }

    /// Tells the class's connections on this node that it changed (and, with `started`, that
    /// it has started).
    pub fn ring(&self, class: Uuid, started: bool) {
        let classes = self.classes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, bell)) = classes.get(&class) {
            bell.send_modify(|r| {
                r.n += 1;
                r.started |= started;
            });
        }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let mut classes = self.bells.classes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = classes.get_mut(&self.class) {
            e.0 -= 1;
            if e.0 == 0 {
                classes.remove(&self.class);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bells_ring_for_listeners_and_leave_nothing_behind() {
        let bells = Arc::new(ClassBells::default());
        let (class, other) = (Uuid::new_v4(), Uuid::new_v4());
        let mut a = bells.listen(class);
        let mut b = bells.listen(class);
        bells.ring(other, true); // nobody listens there
        bells.ring(class, false);
        a.rung.changed().await.expect("a hears it");
        b.rung.changed().await.expect("b hears it");
        assert!(!a.rung.borrow().started);
        drop(a);
        bells.ring(class, true);
        b.rung.changed().await.expect("b still hears it");
        assert_eq!(
            *b.rung.borrow(),
            Rung {
                n: 2,
                started: true
            }
        );
        drop(b);
        assert!(
            bells.classes.lock().unwrap().is_empty(),
            "no entry left behind"
        );
    }

    #[tokio::test]
    async fn counts_and_signals() {
        let p = Arc::new(Presence::default());
        let seat = Uuid::new_v4();
        let mut a = p.arrive(seat);
        let b = p.arrive(seat);
        assert_eq!(p.open(seat), 2);
        p.seat_changed(seat);
        a.changed.changed().await.expect("signalled");
        drop(b);
        assert_eq!(p.open(seat), 1);
        drop(a);
        assert_eq!(p.open(seat), 0);
        assert!(p.seats.lock().unwrap().is_empty(), "no entry left behind");
        p.seat_changed(seat); // nobody there: nothing happens
    }
}
