//! Symmetry reduction: consumers under group assignment are interchangeable.
//!
//! Two states that differ only in which consumer process is which have the
//! same futures up to that renaming, and every property treats consumers
//! alike, so a search may visit one representative per class. Stateright's
//! built-in `Representative` permutes every actor, but the broker,
//! coordinator and sink are not interchangeable with consumers; this
//! permutes only the consumers, and rewrites every place a consumer's actor
//! id or number appears: the consumers' states, crash flags and storage, the
//! network's channel endpoints, the coordinator's member table (and the
//! group records in `__consumer_offsets`, in its state and storage), the
//! acknowledgements on their way in the history, and with a producer the fetches the broker holds and its pending choice of
//! the one whose `fetch.max.wait.ms` elapses next. Member ids are handed out
//! in join order and messages carry no consumer numbers, so nothing else
//! names a consumer.
//!
//! With manual assignment consumer c reads partitions p ≡ c (mod C), so
//! consumers are not interchangeable and no reduction applies. On the
//! unordered networks (`unordered`, `duplicating`) the state is its own
//! representative: renaming their envelopes (and the duplicating network's
//! delivered list in the history) is not written yet, so those searches
//! are exhaustive without the reduction.

use super::choice::FETCH_WAIT;
use super::{BROKER, FIRST_CONSUMER, KafkaState, NodeState};
use stateright::actor::{Id, Network};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The representative of `state`'s class: consumers sorted by everything
/// that belongs to them (state, liveness, storage, their channels).
pub fn representative(state: &KafkaState) -> KafkaState {
    let n = state.actor_states.len() - FIRST_CONSUMER;
    let Network::Ordered(channels) = &state.network else {
        return state.clone();
    };
    // What belongs to consumer c, as a comparable key. Channels are keyed by
    // the other endpoint, which is never a consumer.
    let key = |c: usize| {
        let id = Id::from(FIRST_CONSUMER + c);
        let links: Vec<_> = channels
            .iter()
            .filter(|((src, dst), _)| *src == id || *dst == id)
            .map(|(&(src, dst), msgs)| (src == id, if src == id { dst } else { src }, msgs))
            .collect();
        let i = FIRST_CONSUMER + c;
        let held: Vec<_> = match &*state.actor_states[BROKER] {
            NodeState::Broker(b) => {
                b.parked.iter().filter(|f| usize::from(f.consumer) == c).copied().collect()
            }
            _ => Vec::new(),
        };
        (&state.actor_states[i], state.crashed[i], &state.actor_storages[i], links, held)
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_cached_key(|&c| key(c));
    if order.iter().enumerate().all(|(new, &old)| new == old) {
        return state.clone();
    }
    // `order[new] = old`; `renumber[old] = new`.
    let mut renumber = vec![0; n];
    for (new, &old) in order.iter().enumerate() {
        renumber[old] = new;
    }
    let rename = |id: Id| {
        let i = usize::from(id);
        if i >= FIRST_CONSUMER { Id::from(FIRST_CONSUMER + renumber[i - FIRST_CONSUMER]) } else { id }
    };
    let mut next = state.clone();
    for (new, &old) in order.iter().enumerate() {
        let (to, from) = (FIRST_CONSUMER + new, FIRST_CONSUMER + old);
        next.actor_states[to] = Arc::clone(&state.actor_states[from]);
        next.crashed[to] = state.crashed[from];
        next.actor_storages[to] = state.actor_storages[from].clone();
        next.timers_set[to] = state.timers_set[from].clone();
        next.random_choices[to] = state.random_choices[from].clone();
    }
    let renamed: BTreeMap<_, _> =
        channels.iter().map(|(&(src, dst), msgs)| ((rename(src), rename(dst)), msgs.clone())).collect();
    next.network = Network::Ordered(renamed);
    if let NodeState::Coordinator(c) = &*state.actor_states[super::COORDINATOR] {
        let mut c = c.clone();
        for m in &mut c.group.members {
            m.consumer = renumber[m.consumer as usize] as u8;
        }
        c.topic.renumber_consumers(&renumber);
        next.actor_states[super::COORDINATOR] = Arc::new(NodeState::Coordinator(c));
    }
    rename_held_fetches(state, &mut next, &renumber);
    next.history.renumber_consumers(&renumber);
    if let Some(super::NodeStorage::OffsetsTopic(topic)) = &mut next.actor_storages[super::COORDINATOR] {
        Arc::make_mut(topic).renumber_consumers(&renumber);
    }
    next
}

/// The fetches the broker holds in `state`, and its pending choice of the
/// one whose `fetch.max.wait.ms` elapses, with consumer `c` renumbered
/// `renumber[c]`, written to `next`.
fn rename_held_fetches(state: &KafkaState, next: &mut KafkaState, renumber: &[usize]) {
    let NodeState::Broker(b) = &*state.actor_states[BROKER] else { return };
    if b.parked.is_empty() {
        return;
    }
    let mut b = b.clone();
    for f in &mut b.parked {
        f.consumer = renumber[f.consumer as usize] as u8;
    }
    let choices = &mut next.random_choices[BROKER];
    if choices.remove(&FETCH_WAIT.to_string()).is_some() {
        choices.insert(FETCH_WAIT.to_string(), b.waiting());
    }
    next.actor_states[BROKER] = Arc::new(NodeState::Broker(b));
}
