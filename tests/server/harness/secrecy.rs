//! Secrecy: what each seat may see, checked independently of the server's view function.

use super::*;
use detente::engine::view::{SeatEvent, SeatView};
use detente::engine::{Channel, FactionId, Phase, Seat};
use detente::protocol::ServerFrame;
use std::collections::BTreeMap;

fn may_read(seat: &Seat, channel: &Channel) -> bool {
    match (seat, channel) {
        (Seat::Control, _) => true,
        (_, Channel::Plenary) => true,
        (Seat::Faction(f), Channel::Bilateral { factions }) => factions.contains(f),
        (Seat::Faction(f), Channel::Team { faction }) => faction == f,
        (Seat::Faction(f), Channel::Control { faction }) => faction == f,
        _ => false,
    }
}

/// A marker only `faction`'s seats (and Control) may read: text posted in its team channel.
pub(crate) fn team_only(marker: &str, faction: &str) -> (String, Vec<Seat>) {
    (
        marker.to_owned(),
        vec![Seat::Faction(FactionId::from(faction))],
    )
}

pub(crate) struct Secrets {
    /// Marker → the seats that may read it besides Control.
    pub(crate) markers: Vec<(String, Vec<Seat>)>,
    /// Every proposal's parties (from Control's frames).
    pub(crate) proposals: BTreeMap<u32, Vec<FactionId>>,
}

impl Secrets {
    pub(crate) fn from_control(control: &Client, markers: Vec<(String, Vec<Seat>)>) -> Secrets {
        let proposals = control
            .events()
            .filter_map(|(_, e)| match e {
                SeatEvent::ProposalMade { proposal } => {
                    Some((proposal.id, proposal.terms.parties.clone()))
                }
                _ => None,
            })
            .collect();
        Secrets { markers, proposals }
    }

    /// Checks every frame `label` (holding `seat`) received. `complete`: the seat must also
    /// have received every marker it may read.
    pub(crate) fn check(
        &self,
        label: &str,
        seat: &Seat,
        frames: &[(String, ServerFrame)],
        complete: bool,
    ) {
        let control = *seat == Seat::Control;
        for (raw, frame) in frames {
            self.check_text(label, seat, raw);
            match frame {
                ServerFrame::Welcome { view: Some(v), .. } => self.check_view(label, seat, v),
                ServerFrame::Event { event, seq } => self.check_event(label, seat, *seq, event),
                _ => {}
            }
        }
        if complete {
            for (m, readers) in &self.markers {
                if control || readers.contains(seat) {
                    assert!(
                        frames.iter().any(|(raw, _)| raw.contains(m.as_str())),
                        "{label} never received {m}, which it may see"
                    );
                }
            }
        }
    }

    /// No marker `seat` may not read occurs in `raw`.
    pub(crate) fn check_text(&self, label: &str, seat: &Seat, raw: &str) {
        for (m, readers) in &self.markers {
            if *seat != Seat::Control && !readers.contains(seat) {
                assert!(
                    !raw.contains(m.as_str()),
                    "{label} received {m}, which it may not see: {raw}"
                );
            }
        }
    }

    fn parties(&self, id: u32) -> &[FactionId] {
        self.proposals
            .get(&id)
            .unwrap_or_else(|| panic!("proposal {id} unknown to Control"))
    }

    fn check_event(&self, label: &str, seat: &Seat, seq: i64, e: &SeatEvent) {
        let control = *seat == Seat::Control;
        let me = seat.faction();
        let own = |f: &FactionId| control || me == Some(f);
        let party = |p: &[FactionId]| control || me.is_some_and(|m| p.contains(m));
        let ok = match e {
            SeatEvent::ChatPosted { message } => may_read(seat, &message.channel),
            SeatEvent::ProposalMade { proposal } => party(&proposal.terms.parties),
            SeatEvent::ProposalAccepted { proposal, .. }
            | SeatEvent::ProposalRejected { proposal, .. }
            | SeatEvent::ProposalCountered { proposal, .. }
            | SeatEvent::ProposalWithdrawn { proposal } => party(self.parties(*proposal)),
            SeatEvent::ProposalsExpired { proposals } => {
                proposals.iter().all(|p| party(self.parties(*p)))
            }
            SeatEvent::AgreementSigned { agreement, purses } => {
                (agreement.terms.public || party(&agreement.terms.parties))
                    && purses.keys().all(own)
            }
            SeatEvent::OrderSubmitted { faction, .. }
            | SeatEvent::OrderAmended { faction, .. }
            | SeatEvent::OrderWithdrawn { faction, .. } => own(faction),
            SeatEvent::RoundBegan { purses, .. } => purses.keys().all(own),
            SeatEvent::Adjudicated { report, purses, .. } => {
                purses.keys().all(own)
                    && report.factions.keys().all(own)
                    && report.control.is_some() == control
                    && (control
                        || report.public.orders.iter().all(|o| !o.covert)
                            && report.public.completed.iter().all(|o| !o.covert))
            }
            SeatEvent::ScheduledEventSet { .. } => control,
            _ => true,
        };
        assert!(
            ok,
            "{label} ({seat:?}) received event {seq} it may not see: {e:?}"
        );
    }

    pub(crate) fn check_view(&self, label: &str, seat: &Seat, v: &SeatView) {
        if v.phase == Phase::Ended {
            return; // after the end everyone sees everything
        }
        let control = *seat == Seat::Control;
        let me = seat.faction();
        let own = |f: &FactionId| control || me == Some(f);
        let party = |p: &[FactionId]| control || me.is_some_and(|m| p.contains(m));
        assert_eq!(&v.seat, seat, "{label}: view of another seat");
        assert!(
            v.orders.keys().all(own),
            "{label}: others' orders {:?}",
            v.orders
        );
        assert!(v.purses.keys().all(own), "{label}: others' purses");
        assert!(v.scores.keys().all(own), "{label}: others' scores");
        for m in &v.messages {
            assert!(may_read(seat, &m.channel), "{label}: message {m:?}");
        }
        for p in &v.proposals {
            assert!(party(&p.terms.parties), "{label}: proposal {p:?}");
        }
        for a in &v.agreements {
            assert!(
                a.terms.public || party(&a.terms.parties),
                "{label}: agreement {a:?}"
            );
        }
        for b in &v.builds {
            assert!(!b.covert || own(&b.faction), "{label}: covert build {b:?}");
        }
        for r in &v.reports {
            assert!(r.factions.keys().all(own), "{label}: others' reports");
            assert_eq!(r.control.is_some(), control, "{label}: Control's report");
        }
        assert!(control || v.overrides.is_empty(), "{label}: overrides");
    }
}
