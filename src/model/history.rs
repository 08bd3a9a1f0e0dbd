//! What a run has done that no actor holds, kept in the state's history
//! (Stateright's slot beside the actors' states): the network faults spent,
//! what clients observed of each partition's committed offset, and which
//! acknowledged commits a client received. None of it is Kafka's state; the
//! fault budgets bound the search, the rest is what `committed-monotonic`
//! and `acked-commit-durable` judge, and must outlive what the actors keep
//! (a failover truncates `__consumer_offsets`, a crash forgets a consumer).
//!
//! Each part keeps only what its reader needs, so that it tells apart no two
//! states the actors' states do not already tell apart, except where the
//! property needs it: the highest committed offset observed is the largest
//! commit in the offsets log as long as nothing truncates the log, and the
//! acknowledgements are tracked only in scenarios with failovers (without
//! one, nothing removes a record from the log).

use super::coordinator::{Acked, OffsetsLog};
use super::msg::{Corr, Incarnation, Msg};
use super::{COORDINATOR, FIRST_CONSUMER, KafkaAction, KafkaState, View};
use crate::model::choice::Choice;
use crate::scenario::{Offset, Partition, Scenario};
use serde::Serialize;
use stateright::actor::{ActorModelAction, Envelope, Network};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct History {
    /// Messages lost so far: a budget on them keeps the state space finite
    /// (a loss leads to a timeout and a resend, and without a bound that
    /// cycle would go on). On a reliable network the counts stay 0, so its
    /// states are exactly those of the model without faults.
    pub losses: u8,
    /// Redeliveries so far (the duplicating network), bounded the same way.
    pub duplicates: u8,
    /// duplicating: the envelopes delivered at least once and still on the
    /// network (Stateright's duplicating network keeps every message).
    pub delivered: Vec<Envelope<Msg>>,
    /// Per partition (by number), what clients observed of its committed offset.
    pub observed: Vec<Observed>,
    /// With failovers: the commits the coordinator acknowledged whose
    /// response has not reached its consumer yet, sorted (so the first of
    /// equal responses is the earliest appended).
    pub answering: Vec<Answer>,
    /// With failovers: per partition (in partition order), the acknowledged
    /// commit received by a client whose loss would mean one was lost (see
    /// [`History::receive`]).
    pub received: Vec<Acked>,
}

/// What clients observed of one partition's committed offset: the values
/// the coordinator returned to OffsetFetch and the value each commit it
/// recorded left committed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Observed {
    /// The highest committed offset observed (the group's starting offset 0
    /// counts as observed from the start).
    pub highest: Option<Offset>,
    /// Whether the committed offset expired after `highest` was last observed.
    pub expired: bool,
    /// The first observation below `highest`, kept so the state shows it.
    pub went_back: Option<Decrease>,
}

/// A committed offset observed lower than one observed before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Decrease {
    pub from: Offset,
    pub to: Offset,
    /// The higher offset had expired in between (its tombstone): the lower
    /// one is where the group was reset to, not a commit that overwrote it.
    pub expired: bool,
}

/// An acknowledged commit on its way back to consumer `consumer`'s
/// `incarnation`: the response's fields, and where its record is in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Answer {
    pub consumer: u8,
    pub incarnation: Incarnation,
    pub corr: Corr,
    pub partition: Partition,
    pub offset: Offset,
    pub epoch: u8,
    pub index: usize,
}

impl Answer {
    fn acked(&self) -> Acked {
        Acked { partition: self.partition, offset: self.offset, index: self.index, epoch: self.epoch }
    }

    /// Whether this is the answer a response to `consumer` carries.
    fn is(
        &self,
        consumer: u8,
        incarnation: Incarnation,
        corr: Corr,
        partition: Partition,
        offset: Offset,
    ) -> bool {
        (self.consumer, self.incarnation, self.corr, self.partition, self.offset)
            == (consumer, incarnation, corr, partition, offset)
    }
}

/// What a step may change in the history, taken from the step before it
/// runs (the action is consumed by it).
pub struct Seen {
    what: Option<What>,
    /// A message was lost.
    lost: bool,
    /// duplicating: the envelope delivered (a redelivery if delivered before).
    delivered: Option<Envelope<Msg>>,
}

/// What a step shows of the committed offsets or of an acknowledgement.
enum What {
    /// The coordinator answers an OffsetFetch for these partitions.
    Fetch(Vec<Partition>),
    /// The coordinator handles a commit (OffsetCommit or TxnCommit) of
    /// `offset` from `consumer`; it may reject it.
    Commit { consumer: u8, incarnation: Incarnation, corr: Corr, partition: Partition, offset: Offset },
    /// A commit's response reaches consumer `consumer`, or is dropped (a lossy network).
    Response { consumer: u8, incarnation: Incarnation, corr: Corr, partition: Partition, offset: Offset },
    /// A partition's committed offset expires.
    Expire(Partition),
}

impl Seen {
    /// What `action`, taken in `state`, may change in the history.
    pub fn of(action: &KafkaAction, state: &KafkaState) -> Seen {
        let response = |dst: usize, msg: &Msg| match *msg {
            Msg::OffsetCommitResponse { incarnation, corr, partition, offset }
            | Msg::TxnCommitResponse { incarnation, corr, partition, offset }
                if dst >= FIRST_CONSUMER =>
            {
                let consumer = (dst - FIRST_CONSUMER) as u8;
                Some(What::Response { consumer, incarnation, corr, partition, offset })
            }
            _ => None,
        };
        let nothing = Seen { what: None, lost: false, delivered: None };
        match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                let delivered = match state.network {
                    Network::UnorderedDuplicating(..) => {
                        Some(Envelope { src: *src, dst: *dst, msg: msg.clone() })
                    }
                    _ => None,
                };
                let consumer = usize::from(*src).saturating_sub(FIRST_CONSUMER) as u8;
                let what = match *msg {
                    Msg::OffsetFetch { ref partitions, .. } if usize::from(*dst) == COORDINATOR => {
                        Some(What::Fetch(partitions.clone()))
                    }
                    Msg::OffsetCommit { incarnation, corr, partition, offset, .. }
                    | Msg::TxnCommit { incarnation, corr, partition, to: offset, .. }
                        if usize::from(*dst) == COORDINATOR =>
                    {
                        Some(What::Commit { consumer, incarnation, corr, partition, offset })
                    }
                    _ => response(usize::from(*dst), msg),
                };
                Seen { what, delivered, ..nothing }
            }
            ActorModelAction::Drop(env) => {
                Seen { what: response(usize::from(env.dst), &env.msg), lost: true, ..nothing }
            }
            &ActorModelAction::SelectRandom { random: Choice::Expire(p), .. } => {
                Seen { what: Some(What::Expire(p)), ..nothing }
            }
            _ => nothing,
        }
    }
}

impl History {
    /// The history at the start of a run of `scenario`: the group's
    /// starting offset 0, if it has one, observed on every partition.
    pub fn new(scenario: &Scenario) -> Self {
        let start = Observed { highest: scenario.offsets.seeded().then_some(0), ..Observed::default() };
        History { observed: vec![start; scenario.partitions as usize], ..History::default() }
    }

    /// Records what a step changed: `before` is the state it was taken in,
    /// `after` the state it led to (whose own history is `self`).
    pub fn record(&mut self, scenario: &Scenario, seen: Seen, before: &KafkaState, after: &KafkaState) {
        if seen.lost {
            self.losses += 1;
        }
        if let Some(env) = seen.delivered {
            match self.delivered.binary_search(&env) {
                Ok(_) => self.duplicates += 1,
                Err(i) => self.delivered.insert(i, env),
            }
        }
        let durability = scenario.offsets_topic.failovers > 0;
        match seen.what {
            None => {}
            Some(What::Fetch(partitions)) => {
                for p in partitions {
                    if let Some(o) = after.offsets_log().committed(p) {
                        self.observe(p, o);
                    }
                }
            }
            Some(What::Commit { consumer, incarnation, corr, partition, offset }) => {
                let log = &after.offsets_log().records;
                if log.len() == before.offsets_log().records.len() {
                    return; // rejected: nothing recorded, nothing acknowledged
                }
                self.observe(partition, offset);
                if durability {
                    let (index, epoch) = (log.len() - 1, after.offsets_topic().replication.epoch);
                    let a = Answer { consumer, incarnation, corr, partition, offset, epoch, index };
                    let at = self.answering.binary_search(&a).unwrap_or_else(|i| i);
                    self.answering.insert(at, a);
                }
            }
            Some(What::Response { consumer, incarnation, corr, partition, offset }) => {
                let Some(i) =
                    self.answering.iter().position(|a| a.is(consumer, incarnation, corr, partition, offset))
                else {
                    return;
                };
                let a = self.answering.remove(i).acked();
                // A restarted process has new connections: a response to
                // its predecessor is dropped unread (`msg.rs`).
                if !seen.lost && before.consumer(consumer as usize).0.incarnation == incarnation {
                    self.receive(a, after.offsets_log());
                }
            }
            Some(What::Expire(p)) => {
                let o = &mut self.observed[p as usize];
                o.expired = o.highest.is_some();
            }
        }
    }

    /// A client observes `offset` as partition `p`'s committed offset.
    fn observe(&mut self, p: Partition, offset: Offset) {
        let o = &mut self.observed[p as usize];
        match o.highest {
            Some(highest) if offset < highest => {
                if o.went_back.is_none() {
                    o.went_back = Some(Decrease { from: highest, to: offset, expired: o.expired });
                }
            }
            // Seen again after an expiry: committed again, no longer expired.
            Some(highest) if offset == highest => o.expired = false,
            _ => *o = Observed { highest: Some(offset), expired: false, ..*o },
        }
    }

    /// A client received the acknowledgement of commit `a`. One
    /// acknowledgement per partition is kept, the one whose loss every
    /// other's implies: a log is cut only at its end, so while two
    /// acknowledged records are both in the leader's log, losing the earlier
    /// one loses the later one too. So the later of two held is kept; one
    /// received already lost (truncated between its append and its
    /// response's arrival) replaces a held one; a lost one is kept for good.
    fn receive(&mut self, a: Acked, log: &OffsetsLog) {
        match self.received.binary_search_by_key(&a.partition, |r| r.partition) {
            Err(i) => self.received.insert(i, a),
            Ok(i) => {
                let r = self.received[i];
                let keep = !log.holds(r.index, r.epoch) || (log.holds(a.index, a.epoch) && r.index > a.index);
                if !keep {
                    self.received[i] = a;
                }
            }
        }
    }

    /// The received acknowledgements whose record is no longer in `log`.
    pub fn lost_acks<'a>(&'a self, log: &'a OffsetsLog) -> impl Iterator<Item = &'a Acked> + 'a {
        self.received.iter().filter(|a| !log.holds(a.index, a.epoch))
    }

    /// Consumer numbers renamed (symmetry reduction: `renumber[old]` is the new number).
    pub fn renumber_consumers(&mut self, renumber: &[usize]) {
        if self.answering.is_empty() {
            return;
        }
        for a in &mut self.answering {
            a.consumer = renumber[a.consumer as usize] as u8;
        }
        self.answering.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::coordinator::OffsetRecord;

    fn history() -> History {
        History { observed: vec![Observed::default(); 2], ..History::default() }
    }

    #[test]
    fn an_observation_below_the_highest_is_the_first_decrease_and_stays() {
        let mut h = history();
        for o in [1, 3, 3] {
            h.observe(0, o);
        }
        assert_eq!(h.observed[0], Observed { highest: Some(3), expired: false, went_back: None });
        h.observe(0, 2);
        h.observe(0, 1);
        h.observe(0, 4);
        let first = Decrease { from: 3, to: 2, expired: false };
        assert_eq!(h.observed[0].went_back, Some(first), "the first decrease is kept");
        assert_eq!(h.observed[1], Observed::default(), "partition 1 saw nothing");
    }

    #[test]
    fn an_expiry_marks_the_highest_until_it_or_a_higher_one_is_observed_again() {
        let mut h = history();
        h.observe(0, 3);
        h.observed[0].expired = true;
        h.observe(0, 3);
        assert!(!h.observed[0].expired, "3 was committed again after the expiry");
        h.observed[0].expired = true;
        h.observe(0, 5);
        assert!(!h.observed[0].expired, "5 was observed after the expiry");
        h.observed[0].expired = true;
        h.observe(0, 1);
        assert_eq!(h.observed[0].went_back, Some(Decrease { from: 5, to: 1, expired: true }));
    }

    fn log(epochs: &[u8]) -> OffsetsLog {
        let records = epochs.iter().map(|&epoch| OffsetRecord { partition: 0, offset: 1, epoch }).collect();
        OffsetsLog { records }
    }

    fn acked(index: usize, epoch: u8) -> Acked {
        Acked { partition: 0, offset: 1, index, epoch }
    }

    #[test]
    fn the_received_acknowledgement_kept_is_the_one_lost_first() {
        let mut h = history();
        let held = log(&[0, 0, 0]);
        h.receive(acked(2, 0), &held);
        h.receive(acked(1, 0), &held);
        assert_eq!(h.received, vec![acked(2, 0)], "the later record of two held is kept");
        assert_eq!(h.lost_acks(&held).count(), 0);
        let truncated = log(&[0, 0]);
        assert_eq!(h.lost_acks(&truncated).count(), 1, "cutting the log loses the later one first");
        h.receive(acked(1, 0), &truncated);
        assert_eq!(h.received, vec![acked(2, 0)], "a lost one is kept for good");
        let mut h = history();
        h.receive(acked(1, 0), &truncated);
        h.receive(acked(2, 0), &truncated);
        assert_eq!(h.received, vec![acked(2, 0)], "received after it was cut away: lost at once");
    }

    #[test]
    fn renumbering_renames_the_answers_on_their_way() {
        let mut h = history();
        let answer = |consumer, offset| Answer {
            consumer,
            incarnation: 0,
            corr: 0,
            partition: 0,
            offset,
            epoch: 0,
            index: 0,
        };
        h.answering = vec![answer(0, 1), answer(2, 2)];
        h.renumber_consumers(&[2, 1, 0]);
        assert_eq!(h.answering, vec![answer(0, 2), answer(2, 1)], "renamed and sorted again");
    }

    /// Walks `model` from its initial state through the steps named as the Explorer names them.
    fn walk(model: &crate::model::KafkaModel, from: KafkaState, steps: &[&str]) -> KafkaState {
        use stateright::Model;
        let mut state = from;
        for step in steps {
            let mut actions = Vec::new();
            model.actions(&state, &mut actions);
            let names: Vec<String> = actions.iter().map(crate::model::render::action).collect();
            let i =
                names.iter().position(|n| n == step).unwrap_or_else(|| panic!("{step:?} not in {names:#?}"));
            state = model.next_state(&state, actions.swap_remove(i)).expect("the step changes the state");
        }
        state
    }

    #[test]
    fn only_an_acknowledgement_that_reached_its_consumer_can_be_lost() {
        use crate::scenario::{Acks, OffsetsTopicConfig};
        use stateright::Model;
        let model = crate::model::build(&Scenario {
            messages: 1,
            crashes: 1,
            offsets_topic: OffsetsTopicConfig {
                replicas: 2,
                acks: Acks::Leader,
                unclean_election: false,
                failovers: 1,
            },
            ..Scenario::default()
        });
        let committed = walk(
            &model,
            model.init_states().remove(0),
            &[
                "consumer-0 → OffsetFetch p0 → coordinator",
                "coordinator → OffsetFetchResponse p0 none (to incarnation 0) → consumer-0",
                "consumer-0 → Fetch p0 from @0, max 1 → broker",
                "broker → FetchResponse p0 @0 (to incarnation 0) → consumer-0",
                "consumer-0 → Output p0 @0 → sink",
                "sink → OutputAck p0 @0 (to incarnation 0) → consumer-0",
                "consumer-0 → OffsetCommit p0 @1 → coordinator",
            ],
        );
        assert_eq!(committed.history.answering.len(), 1, "the response is on its way");
        assert_eq!(committed.history.observed[0].highest, Some(1), "the recorded commit is observed");
        let failover = ["crash coordinator", "recover coordinator"];
        let unread = walk(&model, walk(&model, committed.clone(), &["crash consumer-0"]), &failover);
        assert_eq!(unread.offsets_log().committed(0), None, "the commit is gone with the failover");
        assert!(unread.history.received.is_empty(), "its consumer crashed before the response came");
        let read = walk(
            &model,
            committed,
            &["coordinator → OffsetCommitResponse p0 @1 (to incarnation 0) → consumer-0"],
        );
        assert!(read.history.answering.is_empty());
        let read = walk(&model, read, &failover);
        assert_eq!(read.history.lost_acks(read.offsets_log()).count(), 1, "the received one is lost");
    }
}
