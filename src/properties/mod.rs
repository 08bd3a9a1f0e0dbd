//! The property registry: every property the checker proves and a live run
//! observes, each defined in one entry of [`ALL`] with its stable name, its
//! kind, the sentence that tells a reader what it means, its predicate on a
//! model state and, where a real run can show it, its predicate on a live
//! run's history. Adding a property is adding a [`PropertyId`] variant and its
//! entry; the scenario parser, the checker, the reports and the live harness
//! read the names and sentences from here.
//!
//! The predicates return their evidence (the records involved), so a violated
//! property explains itself: [`model`] holds those on one model state,
//! [`live`] those on what a real run recorded.

#[cfg(feature = "live")]
pub mod live;
pub mod model;

#[cfg(feature = "live")]
use crate::live::history::History;
use crate::model::{KafkaModel, KafkaState};
pub use model::{
    Record, committed_decreases, concurrent_holders, duplicated_records, is_terminal, lost_acked_commits,
    lost_records, shared_partitions, unprocessed_records,
};
use stateright::Expectation;

/// A property, by what it is rather than by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PropertyId {
    NoLoss,
    NoDuplicate,
    AllProcessed,
    CommittedMonotonic,
    SingleOwner,
    AckedCommitDurable,
    ExclusiveProcessing,
}

impl PropertyId {
    /// Its entry in the registry.
    pub const fn property(self) -> &'static Property {
        &ALL[self as usize]
    }

    pub const fn name(self) -> &'static str {
        self.property().name
    }

    /// The property with this stable name, if there is one.
    pub fn from_name(name: &str) -> Option<PropertyId> {
        ALL.iter().find(|p| p.name == name).map(|p| p.id)
    }
}

/// When a property is judged: in every state, or at the end of every run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Always,
    Eventually,
}

impl Kind {
    /// The kind's name in the JSON output.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Always => "always",
            Kind::Eventually => "eventually",
        }
    }

    pub const fn expectation(self) -> Expectation {
        match self {
            Kind::Always => Expectation::Always,
            Kind::Eventually => Expectation::Eventually,
        }
    }
}

/// A property as the checker, the reports and the live harness see it.
pub struct Property {
    pub id: PropertyId,
    /// The stable name scenario files and every output use.
    pub name: &'static str,
    pub kind: Kind,
    /// What it means, in plain words, for readers of a counterexample.
    pub meaning: &'static str,
    /// Whether the property holds in a state (for `eventually`: whether the
    /// goal is reached there).
    pub holds: fn(&KafkaModel, &KafkaState) -> bool,
    /// Why it fails in a state, in plain words; empty when it holds there.
    pub explain: fn(&KafkaModel, &KafkaState) -> String,
    /// The property as a state invariant: false exactly in the states a
    /// counterexample can end in (for `eventually`, the terminal states
    /// where the goal is not reached). The search for a shortest
    /// counterexample checks this form.
    pub invariant: fn(&KafkaModel, &KafkaState) -> bool,
    /// Its violations in what a live run recorded, one piece of evidence
    /// each; `None` when a real run cannot show it (it needs the broker's
    /// internal state). Built with the `live` feature only.
    #[cfg(feature = "live")]
    pub live: Option<fn(&History) -> Vec<String>>,
}

impl Property {
    pub fn expectation(&self) -> Expectation {
        self.kind.expectation()
    }
}

/// Every property, in the order every output lists them.
pub const ALL: [Property; 7] = [
    Property {
        id: PropertyId::NoLoss,
        name: "no-loss",
        kind: Kind::Always,
        meaning: "No record is skipped: every offset below a partition's committed offset has been processed, \
             or is still on its way to being processed. A consumer that restarts resumes at the committed \
             offset, so a record below it that was never processed is lost for good.",
        holds: |m, s| lost_records(m, s).next().is_none(),
        invariant: |m, s| lost_records(m, s).next().is_none(),
        explain: model::explain_lost,
        #[cfg(feature = "live")]
        live: Some(live::lost),
    },
    Property {
        id: PropertyId::NoDuplicate,
        name: "no-duplicate",
        kind: Kind::Always,
        meaning: "No record is processed twice: the side effect of each offset is applied at most once. \
             A duplicate happens when a record is processed and, before its commit is recorded, the \
             consumer crashes and reads the record again from the older committed offset.",
        holds: |m, s| duplicated_records(m, s).next().is_none(),
        invariant: |m, s| duplicated_records(m, s).next().is_none(),
        explain: model::explain_duplicated,
        #[cfg(feature = "live")]
        live: Some(live::duplicated),
    },
    Property {
        id: PropertyId::AllProcessed,
        name: "all-processed",
        kind: Kind::Eventually,
        meaning: "Every run ends with every record of every partition processed at least once: when nothing is \
             left to deliver and no crash is left in the budget, no record may be missing from the sink.",
        holds: |m, s| unprocessed_records(m, s).next().is_none(),
        invariant: |m, s| unprocessed_records(m, s).next().is_none() || !is_terminal(m, s),
        explain: model::explain_unprocessed,
        #[cfg(feature = "live")]
        live: Some(live::unprocessed),
    },
    Property {
        id: PropertyId::CommittedMonotonic,
        name: "committed-monotonic",
        kind: Kind::Always,
        meaning: "A partition's committed offset, as clients observe it (OffsetFetch answers, recorded commits), \
             never moves backwards: no later observation is smaller than an earlier one, whether a commit \
             overwrote it, a coordinator failover lost it, or it expired and the group was reset, since each \
             makes a restarting consumer read records again.",
        holds: |_, s| committed_decreases(s).next().is_none(),
        invariant: |_, s| committed_decreases(s).next().is_none(),
        explain: model::explain_decreases,
        #[cfg(feature = "live")]
        live: Some(live::decreases),
    },
    Property {
        id: PropertyId::SingleOwner,
        name: "single-owner",
        kind: Kind::Always,
        meaning: "No partition is owned by two live consumers that both believe they are in the coordinator's \
             current generation: a rebalance hands a partition over only after its previous owner gave it up. \
             A zombie of an older generation is not counted here (see exclusive-processing).",
        holds: |m, s| shared_partitions(m, s).is_empty(),
        invariant: |m, s| shared_partitions(m, s).is_empty(),
        explain: model::explain_shared,
        #[cfg(feature = "live")]
        live: None,
    },
    Property {
        id: PropertyId::AckedCommitDurable,
        name: "acked-commit-durable",
        kind: Kind::Always,
        meaning: "A commit whose acknowledgement reached the consumer that sent it stays committed (or is \
             followed by a later commit): a failover of the coordinator must not lose it, whichever replica of \
             __consumer_offsets is elected.",
        holds: |_, s| lost_acked_commits(s).next().is_none(),
        invariant: |_, s| lost_acked_commits(s).next().is_none(),
        explain: model::explain_lost_acks,
        #[cfg(feature = "live")]
        live: Some(live::lost_acks),
    },
    Property {
        id: PropertyId::ExclusiveProcessing,
        name: "exclusive-processing",
        kind: Kind::Always,
        meaning: "No two live consumer processes hold records of the same partition that they will still \
             process, zombies included (a process evicted or fenced that still holds a batch): two holders at \
             once is the precondition of every duplicate a zombie causes.",
        holds: |m, s| !(0..m.scenario.partitions).any(|p| model::is_held_twice(m, s, p)),
        invariant: |m, s| !(0..m.scenario.partitions).any(|p| model::is_held_twice(m, s, p)),
        explain: model::explain_concurrent,
        #[cfg(feature = "live")]
        live: None,
    },
];

/// Every property's name, in the order of [`ALL`].
pub const NAMES: [&str; ALL.len()] = {
    let mut names = [""; ALL.len()];
    let mut i = 0;
    while i < ALL.len() {
        names[i] = ALL[i].name;
        i += 1;
    }
    names
};

/// How many properties a live run can observe.
#[cfg(feature = "live")]
pub const LIVE_COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < ALL.len() {
        n += ALL[i].live.is_some() as usize;
        i += 1;
    }
    n
};

/// The names of the properties a live run can observe, in the order of [`ALL`].
#[cfg(feature = "live")]
pub const LIVE_NAMES: [&str; LIVE_COUNT] = {
    let mut names = [""; LIVE_COUNT];
    let (mut n, mut i) = (0, 0);
    while i < ALL.len() {
        if ALL[i].live.is_some() {
            names[n] = ALL[i].name;
            n += 1;
        }
        i += 1;
    }
    names
};

/// The property with this stable name, if there is one.
pub fn by_name(name: &str) -> Option<&'static Property> {
    PropertyId::from_name(name).map(PropertyId::property)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_sits_at_its_id() {
        for (i, p) in ALL.iter().enumerate() {
            assert_eq!(p.id as usize, i, "{}", p.name);
            assert_eq!(p.id.name(), p.name);
            assert_eq!(PropertyId::from_name(p.name), Some(p.id));
            assert_eq!(by_name(p.name).map(|q| q.id), Some(p.id));
        }
        assert_eq!(PropertyId::from_name("no-losses"), None);
        assert!(by_name("").is_none());
    }

    #[test]
    fn the_names_are_the_stable_contract_in_report_order() {
        let expected = [
            "no-loss",
            "no-duplicate",
            "all-processed",
            "committed-monotonic",
            "single-owner",
            "acked-commit-durable",
            "exclusive-processing",
        ];
        assert_eq!(NAMES, expected);
        #[cfg(feature = "live")]
        assert_eq!(
            LIVE_NAMES,
            ["no-loss", "no-duplicate", "all-processed", "committed-monotonic", "acked-commit-durable"]
        );
    }

    #[test]
    fn only_all_processed_is_judged_at_the_end_of_a_run() {
        let eventually: Vec<_> = ALL.iter().filter(|p| p.kind == Kind::Eventually).map(|p| p.name).collect();
        assert_eq!(eventually, ["all-processed"]);
        assert_eq!(Kind::Always.name(), "always");
        assert_eq!(Kind::Eventually.name(), "eventually");
        assert_eq!(PropertyId::AllProcessed.property().expectation(), Expectation::Eventually);
        assert_eq!(PropertyId::NoLoss.property().expectation(), Expectation::Always);
    }
}
