//! The whole state, as the Explorer's "Complete State?" view shows it.
//!
//! Stateright's own `{:#?}` of an `ActorModelState` prints, after the
//! actors, its fields as derived `Debug`: the network as nested maps of
//! `OutputAck { incarnation: 0, corr: 0, … }`, timers and random choices
//! by actor index, `storages` as `Some(Incarnation(0))`. Here every actor's
//! block is named, then the messages on the network read as the path list
//! reads them, the timers set, the crashed actors, what each actor keeps
//! across a crash, and the fault budgets spent.

use super::{actor_name, message, record};
use crate::model::KafkaState;
use crate::model::group::GroupTimer;
use crate::model::node::NodeStorage;
use stateright::actor::{Id, Network};
use std::fmt::Write;
use std::hash::{Hash, Hasher};

/// `broker: …` for an actor whose block's title names it, else `consumer-0: consumer, …`.
fn named(index: usize, block: &str) -> String {
    let name = actor_name(index);
    if block.starts_with(&name) { block.to_string() } else { format!("{name}: {block}") }
}

/// `consumer-0 → OffsetCommit p0 @1 → coordinator`.
fn envelope(src: Id, msg: &crate::model::msg::Msg, dst: Id) -> String {
    format!("{} → {} → {}", actor_name(usize::from(src)), message(msg), actor_name(usize::from(dst)))
}

fn network(state: &KafkaState, out: &mut String) {
    let (heading, lines): (&str, Vec<String>) = match &state.network {
        Network::Ordered(flows) => (
            "on the network, oldest first on each connection",
            flows
                .iter()
                .flat_map(|(&(src, dst), msgs)| msgs.iter().map(move |m| envelope(src, m, dst)))
                .collect(),
        ),
        Network::UnorderedNonDuplicating(multiset) => (
            "on the network, in no order",
            multiset
                .iter()
                .map(|(e, &n)| {
                    let copies = if n > 1 { format!(" ×{n}") } else { String::new() };
                    format!("{}{copies}", envelope(e.src, &e.msg, e.dst))
                })
                .collect(),
        ),
        Network::UnorderedDuplicating(set, _) => (
            "on the network, in no order, each deliverable again",
            set.iter().map(|e| envelope(e.src, &e.msg, e.dst)).collect(),
        ),
    };
    let mut lines = lines;
    if !matches!(state.network, Network::Ordered(_)) {
        // A hash set's order varies; sorted, equal states read the same.
        lines.sort();
    }
    if lines.is_empty() {
        let _ = writeln!(out, "{heading}: nothing");
    } else {
        let _ = writeln!(out, "{heading}:");
        for line in lines {
            let _ = writeln!(out, "    {line}");
        }
    }
}

fn timers(state: &KafkaState, out: &mut String) {
    let mut lines: Vec<String> = Vec::new();
    for (i, timers) in state.timers_set.iter().enumerate() {
        for timer in timers.iter() {
            let what = match timer {
                GroupTimer::SessionTimeout(m) => format!("session timeout of member {m}"),
                GroupTimer::Pause(m) => format!("the pause of member {m}"),
            };
            lines.push(format!("{}: {what}", actor_name(i)));
        }
    }
    lines.sort();
    if lines.is_empty() {
        let _ = writeln!(out, "timers set: none");
    } else {
        let _ = writeln!(out, "timers set: {}", lines.join("; "));
    }
}

fn storages(state: &KafkaState, out: &mut String) {
    let mut kept = Vec::new();
    for (i, storage) in state.actor_storages.iter().enumerate() {
        match storage {
            None => {}
            Some(NodeStorage::Incarnation(n)) => kept.push(format!("{}: incarnation {n}", actor_name(i))),
            Some(NodeStorage::OffsetsTopic(topic)) => {
                let records: Vec<String> = topic.log.records.iter().map(record).collect();
                let records = if records.is_empty() { "empty".into() } else { records.join(", ") };
                kept.push(format!("{}: __consumer_offsets {records}", actor_name(i)));
            }
        }
    }
    let _ = writeln!(
        out,
        "kept across a crash: {}",
        if kept.is_empty() { "nothing yet".to_string() } else { kept.join("; ") }
    );
}

/// Every actor's block, then the network, the timers, the crashed actors,
/// what survives a crash and the network faults spent, and last the
/// state's fingerprint.
///
/// The page marks a step "(state matches selected)" when this text equals
/// the selected step's, and the words above leave out what only the
/// properties read (the rest of `History`) and Stateright's bookkeeping of
/// random choices; the fingerprint, a hash of the whole state, keeps two
/// different states from reading the same.
pub fn complete_state(state: &KafkaState) -> String {
    let mut out = String::new();
    for (i, actor) in state.actor_states.iter().enumerate() {
        if state.crashed[i] {
            let _ = writeln!(out, "{} is down; its state when it crashed:", actor_name(i));
        }
        let _ = writeln!(out, "{}", named(i, &format!("{actor:#?}")));
    }
    out.push('\n');
    network(state, &mut out);
    timers(state, &mut out);
    let crashed: Vec<String> =
        (0..state.crashed.len()).filter(|&i| state.crashed[i]).map(actor_name).collect();
    let _ = writeln!(out, "crashed: {}", if crashed.is_empty() { "none".into() } else { crashed.join(", ") });
    storages(state, &mut out);
    let h = &state.history;
    let _ = writeln!(out, "network faults so far: {} lost, {} delivered again", h.losses, h.duplicates);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    state.hash(&mut hasher);
    let _ = writeln!(out, "state fingerprint: {:016x}", hasher.finish());
    out
}
