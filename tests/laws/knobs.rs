//! The knobs of a generated scenario: every mechanism of a scenario file
//! (read `src/scenario/rules.rs` for the fields and their rules), the rules that
//! make a combination valid ([`Knobs::fit`]), the bound on its size
//! ([`Knobs::small`]), and its JSON, read back with `scenario::parse`.
//! How the laws draw them is in tests/laws/generate.rs.

use kafkacheck::scenario::{self, Scenario};
use std::path::Path;

/// The `strategy` field, named as in the scenario files.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignor {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

/// `commit.offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitOffset {
    Next,
    Last,
    Position,
}

/// `commit.mode` with the knobs that belong to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitMode {
    Sync,
    Async { retries: u8, sequence_guard: bool },
    Auto { worker: bool },
}

/// `client`, with librdkafka's `commit.store` (after-processing: `true`),
/// written only with auto-commit (elsewhere it does nothing, a note says so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    Java,
    Librdkafka { store_after_processing: bool },
}

/// `network` with its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    Ordered,
    Unordered,
    Lossy { losses: u8 },
    Duplicating { duplicates: u8 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    Never,
    WhenEmpty,
    WhileActive,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reset {
    Earliest,
    Latest,
    None,
}

/// `offsets_topic` and `coordinator_failovers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetsTopic {
    pub replicas: u8,
    pub acks_leader: bool,
    pub unclean_election: bool,
    pub failovers: u8,
}

/// The consumer-group knobs; written only with `"assignment": "group"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    pub assignor: Assignor,
    pub pauses: u8,
    pub commit_on_revoke: bool,
    /// `on_commit_error` (a poll loop's commitSync, not a transaction): retry-after-rebalance, skip, crash.
    pub on_commit_error: &'static str,
}

/// One generated configuration, before it becomes scenario text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Knobs {
    pub delivery: Delivery,
    pub partitions: u8,
    pub messages: u8,
    pub consumers: u8,
    pub crashes: u8,
    pub max_poll_records: u8,
    pub commit_every: u8,
    pub workers: u8,
    /// `commit_policy: highest-completed` (with workers > 1 only).
    pub highest_completed: bool,
    pub commit_offset: CommitOffset,
    pub commit_mode: CommitMode,
    pub client: Client,
    pub network: Network,
    pub retention: Retention,
    pub reset: Reset,
    /// `offsets.new_group`: nothing committed at the start.
    pub new_group: bool,
    pub produce: u8,
    pub topic: OffsetsTopic,
    /// `fencing: none`.
    pub unfenced: bool,
    /// `None`: manual assignment.
    pub group: Option<Group>,
}

pub fn delivery_name(d: Delivery) -> &'static str {
    match d {
        Delivery::AtMostOnce => "at-most-once",
        Delivery::AtLeastOnce => "at-least-once",
        Delivery::ExactlyOnce => "exactly-once",
    }
}

pub fn assignor_name(a: Assignor) -> &'static str {
    match a {
        Assignor::Range => "range",
        Assignor::RoundRobin => "round-robin",
        Assignor::Sticky => "sticky",
        Assignor::CooperativeSticky => "cooperative-sticky",
    }
}

pub fn is_eager(a: Assignor) -> bool {
    match a {
        Assignor::Range | Assignor::RoundRobin | Assignor::Sticky => true,
        Assignor::CooperativeSticky => false,
    }
}

pub fn offset_name(o: CommitOffset) -> &'static str {
    match o {
        CommitOffset::Next => "next",
        CommitOffset::Last => "last",
        CommitOffset::Position => "position",
    }
}

pub fn retention_name(r: Retention) -> &'static str {
    match r {
        Retention::Never => "never",
        Retention::WhenEmpty => "when-empty",
        Retention::WhileActive => "while-active",
    }
}

pub fn reset_name(r: Reset) -> &'static str {
    match r {
        Reset::Earliest => "earliest",
        Reset::Latest => "latest",
        Reset::None => "none",
    }
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

impl Knobs {
    pub fn pauses(&self) -> u8 {
        self.group.map_or(0, |g| g.pauses)
    }

    /// Several workers that are an auto-committing consumer's worker threads.
    pub fn pool(&self) -> bool {
        self.workers > 1 && self.commit_mode == CommitMode::Auto { worker: true }
    }

    pub fn losses(&self) -> u8 {
        match self.network {
            Network::Lossy { losses } => losses,
            Network::Ordered | Network::Unordered | Network::Duplicating { .. } => 0,
        }
    }

    pub fn duplicates(&self) -> u8 {
        match self.network {
            Network::Duplicating { duplicates } => duplicates,
            Network::Ordered | Network::Unordered | Network::Lossy { .. } => 0,
        }
    }

    /// Resets every knob a rule of `src/scenario/rules.rs` forbids given the knobs
    /// before it: commit_every, workers, commit.offset, commit.mode,
    /// network, coordinator_failovers.
    pub fn fit(mut self) -> Knobs {
        let alo = self.delivery == Delivery::AtLeastOnce;
        if !alo {
            self.commit_every = 1;
        }
        if !alo || self.commit_every > 1 {
            self.workers = 1;
        }
        if !alo || self.commit_every > 1 || self.workers > 1 {
            self.commit_offset = CommitOffset::Next;
        }
        // Several workers with auto-commit are its worker threads (the pool).
        let pool = self.commit_mode == CommitMode::Auto { worker: true };
        if !alo
            || (self.workers > 1 && !pool)
            || self.commit_every > 1
            || self.commit_offset != CommitOffset::Next
        {
            self.commit_mode = CommitMode::Sync;
        }
        if self.workers == 1 || self.pool() {
            self.highest_completed = false;
        }
        if !matches!(self.commit_mode, CommitMode::Auto { .. }) && self.client != Client::Java {
            self.client = Client::Librdkafka { store_after_processing: false };
        }
        let lossy_worker = matches!(
            (self.network, self.commit_mode),
            (Network::Lossy { .. }, CommitMode::Auto { worker: true })
        );
        if self.delivery == Delivery::ExactlyOnce || self.workers > 1 || lossy_worker {
            self.network = Network::Ordered;
        }
        if self.network != Network::Ordered {
            self.topic.failovers = 0;
        }
        if self.commit_mode != CommitMode::Sync || self.workers > 1 || self.delivery == Delivery::ExactlyOnce
        {
            self.group = self.group.map(|g| Group { on_commit_error: "skip", ..g });
        }
        self
    }

    /// Bounds on the state space, so that each search stays well under a
    /// second in a debug build (checked by `generated_searches_stay_small`:
    /// `cargo test --test laws -- --ignored --nocapture`). Each fault budget
    /// and each mechanism that adds choices has a weight, the mechanisms that
    /// let a step happen at any time (a message racing others, an expiry
    /// while active, a follower of the offsets topic fetching) more; two consumers grow fast with faults (manual, 2 × 3
    /// records: 28 000 states with one crash, 243 000 with two; a group of
    /// two over one record: 14 000 with one crash, 460 000 with two), so the
    /// records allowed shrink as the weight grows.
    pub fn small(&self) -> bool {
        let budgets = self.crashes + self.pauses() + self.losses() + self.duplicates() + self.topic.failovers;
        let racing = matches!(self.network, Network::Unordered | Network::Duplicating { .. });
        let expiry = match self.retention {
            Retention::Never => 0,
            Retention::WhenEmpty => 1,
            Retention::WhileActive => 2,
        };
        let commits = match self.commit_mode {
            CommitMode::Sync => 0,
            CommitMode::Async { retries, .. } => 2 + retries,
            CommitMode::Auto { worker } => 2 + u8::from(worker),
        };
        let weight = budgets
            + 2 * u8::from(racing)
            + expiry
            + commits
            + u8::from(self.workers > 1)
            + u8::from(self.produce > 0)
            + (self.topic.replicas - 1);
        // An empty partition still runs every protocol step and fault: it
        // counts as one record, or every budget would pass at zero records.
        let records = self.partitions * (self.messages + self.produce).max(1);
        let max_records = match (self.group.is_some(), self.consumers, weight) {
            (_, 1, 0..=2) => 6,
            (false, 1, 3) => 3,
            (false, 1, 4) | (true, 1, 3) => 1,
            (_, 1, _) => 0,
            (_, _, 0) => 6,
            (false, _, 1) => 3,
            (false, _, 2) => 2,
            (false, _, 3) => 1,
            // A pause, or a crash, in a group of two; a second partition
            // multiplies the assignments a rebalance can make.
            (true, _, 1) if self.crashes == 0 && self.partitions == 1 => 2,
            (true, _, 1) => 1,
            _ => 0,
        };
        records <= max_records
    }

    /// Takes records, then crashes away until [`Knobs::small`] holds (or
    /// nothing is left to take), so that an expensive mechanism gets a
    /// smaller scenario rather than no scenario at all.
    pub fn shrunk(mut self) -> Knobs {
        while !self.small() {
            if self.messages > 1 {
                self.messages -= 1;
            } else if self.partitions > 1 {
                self.partitions -= 1;
            } else if self.crashes > 0 {
                self.crashes -= 1;
            } else {
                break;
            }
        }
        self
    }

    /// The scenario file text; fields at their default value are written
    /// out only when `spell_defaults`.
    pub fn json(&self, spell_defaults: bool) -> String {
        let mut fields = vec![
            format!("\"name\": \"{}\"", self.label()),
            format!("\"partitions\": {}", self.partitions),
            format!("\"messages\": {}", self.messages),
            format!("\"consumers\": {}", self.consumers),
            format!("\"strategy\": \"{}\"", delivery_name(self.delivery)),
        ];
        let mut optional = |name: &str, value: String, default: &str| {
            if spell_defaults || value != default {
                fields.push(format!("\"{name}\": {value}"));
            }
        };
        let client = if self.client == Client::Java { "java" } else { "librdkafka" };
        optional("client", quoted(client), "\"java\"");
        optional("crashes", self.crashes.to_string(), "0");
        optional("max_poll_records", self.max_poll_records.to_string(), "1");
        optional("commit_every", self.commit_every.to_string(), "1");
        optional("workers", self.workers.to_string(), "1");
        if self.workers > 1 && !self.pool() {
            let policy = if self.highest_completed { "highest-completed" } else { "contiguous" };
            optional("commit_policy", quoted(policy), "\"contiguous\"");
        }
        optional("commit", self.commit_json(spell_defaults), "");
        optional("network", self.network_json(), "\"ordered\"");
        match self.network {
            Network::Lossy { losses } => optional("losses", losses.to_string(), "1"),
            Network::Duplicating { duplicates } => optional("duplicates", duplicates.to_string(), "1"),
            Network::Ordered | Network::Unordered => {}
        }
        optional("fencing", quoted(if self.unfenced { "none" } else { "generation" }), "\"generation\"");
        match self.group {
            None => optional("assignment", quoted("manual"), "\"manual\""),
            Some(g) => {
                optional("assignment", quoted("group"), "");
                optional("assignor", quoted(assignor_name(g.assignor)), "\"range\"");
                optional("pauses", g.pauses.to_string(), "0");
                optional("commit_on_revoke", g.commit_on_revoke.to_string(), "false");
                // Written where it is not the default (the parser rejects it
                // where a rule forbids it), and spelled out where it applies.
                let applies = self.commit_mode == CommitMode::Sync
                    && self.workers == 1
                    && self.delivery != Delivery::ExactlyOnce;
                if g.on_commit_error != "skip" || applies {
                    optional("on_commit_error", quoted(g.on_commit_error), "\"skip\"");
                }
            }
        }
        let offsets = format!(
            "{{ \"retention\": \"{}\", \"reset\": \"{}\", \"new_group\": {} }}",
            retention_name(self.retention),
            reset_name(self.reset),
            self.new_group
        );
        optional(
            "offsets",
            offsets,
            "{ \"retention\": \"never\", \"reset\": \"earliest\", \"new_group\": false }",
        );
        optional("produce", self.produce.to_string(), "0");
        let t = self.topic;
        let acks = if t.acks_leader { "leader" } else { "all" };
        let topic = format!(
            "{{ \"replicas\": {}, \"acks\": \"{acks}\", \"unclean_election\": {} }}",
            t.replicas, t.unclean_election
        );
        optional(
            "offsets_topic",
            topic,
            "{ \"replicas\": 1, \"acks\": \"all\", \"unclean_election\": false }",
        );
        optional("coordinator_failovers", t.failovers.to_string(), "0");
        format!("{{\n  {}\n}}\n", fields.join(",\n  "))
    }

    /// The `commit` object, or "" when every commit knob is at its default.
    fn commit_json(&self, spell_defaults: bool) -> String {
        let mut fields = Vec::new();
        if spell_defaults || self.commit_offset != CommitOffset::Next {
            fields.push(format!("\"offset\": \"{}\"", offset_name(self.commit_offset)));
        }
        match self.commit_mode {
            CommitMode::Sync if spell_defaults => fields.push("\"mode\": \"sync\"".into()),
            CommitMode::Sync => {}
            CommitMode::Async { retries, sequence_guard } => {
                fields.push("\"mode\": \"async\"".into());
                if spell_defaults || retries > 0 {
                    fields.push(format!("\"retries\": {retries}"));
                }
                if spell_defaults || sequence_guard {
                    fields
                        .push(format!("\"guard\": \"{}\"", if sequence_guard { "sequence" } else { "none" }));
                }
            }
            CommitMode::Auto { worker } => {
                fields.push("\"mode\": \"auto\"".into());
                if spell_defaults || worker {
                    fields.push(format!("\"processing\": \"{}\"", if worker { "worker" } else { "in-poll" }));
                }
                if let Client::Librdkafka { store_after_processing: after } = self.client
                    && (spell_defaults || after)
                {
                    fields.push(format!(
                        "\"store\": \"{}\"",
                        if after { "after-processing" } else { "on-poll" }
                    ));
                }
            }
        }
        if fields.is_empty() { String::new() } else { format!("{{ {} }}", fields.join(", ")) }
    }

    fn network_json(&self) -> String {
        quoted(match self.network {
            Network::Ordered => "ordered",
            Network::Unordered => "unordered",
            Network::Lossy { .. } => "lossy",
            Network::Duplicating { .. } => "duplicating",
        })
    }

    pub fn label(&self) -> String {
        let assignment = match self.group {
            None => "manual".to_string(),
            Some(g) => format!("group {} pauses {}", assignor_name(g.assignor), g.pauses),
        };
        format!(
            "{} {}p {}m {}c crashes {} ({assignment})",
            delivery_name(self.delivery),
            self.partitions,
            self.messages,
            self.consumers,
            self.crashes,
        )
    }

    /// Writes the scenario file twice, with and without the fields at their
    /// defaults, and parses both: the parser must accept a valid scenario and
    /// read the defaults it was given as the ones it fills in.
    pub fn scenario(&self) -> Scenario {
        let parse = |text: &str| {
            scenario::parse(Path::new("laws.json"), text.as_bytes())
                .unwrap_or_else(|e| panic!("the parser rejected a valid scenario: {e}\n{text}"))
        };
        let (short, spelled) = (self.json(false), self.json(true));
        let parsed = parse(&short);
        assert_eq!(parsed, parse(&spelled), "the defaults spelled out read differently\n{short}\n{spelled}");
        parsed
    }

    /// The same knobs with one more fault of a kind the scenario already
    /// allows, chosen by `pick`: a crash, a pause (group), a lost or a
    /// duplicated message (that network), a coordinator failover (ordered
    /// network).
    pub fn with_one_more_fault(&self, pick: usize) -> Knobs {
        let mut kinds: Vec<fn(&mut Knobs)> = vec![|k| k.crashes += 1];
        if self.group.is_some() {
            kinds.push(|k| k.group.as_mut().unwrap().pauses += 1);
        }
        match self.network {
            Network::Lossy { .. } => kinds.push(|k| k.network = Network::Lossy { losses: k.losses() + 1 }),
            Network::Duplicating { .. } => {
                kinds.push(|k| k.network = Network::Duplicating { duplicates: k.duplicates() + 1 })
            }
            Network::Ordered => kinds.push(|k| k.topic.failovers += 1),
            Network::Unordered => {}
        }
        let mut more = self.clone();
        kinds[pick % kinds.len()](&mut more);
        more
    }
}
