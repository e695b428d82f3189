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

#[cfg(test)]
mod tests {
    use super::*;

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
