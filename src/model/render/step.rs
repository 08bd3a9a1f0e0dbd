//! What one step did, as the Explorer's "Current State" panel shows it, and
//! the messages a step sent (which the sequence diagram also needs).
//!
//! Stateright's own account of a step (`ActorModel::format_step`) prints the
//! actor's output commands with derived `Debug`
//! (`OUT: [Send(Id(2), Output { incarnation: 1, corr: 0, … })]`). Here the
//! messages sent read as the path list reads them, and the actor's state
//! before and after as [`NodeState`](super::NodeState)'s blocks.

use super::message;
use crate::model::msg::Msg;
use crate::model::{KafkaAction, KafkaModel, KafkaState, actor_name};
use stateright::Model;
use stateright::actor::{ActorModelAction, Envelope, Network};
use std::collections::BTreeMap;

/// The messages `action` put on the network, taking `before` to `after`.
///
/// Read off the two networks rather than by running the handler again, so
/// it holds for every kind of step: what `after` holds more of than
/// `before` (less the message this step took off) was sent by it. On the
/// duplicating network a delivered message stays, and a message equal to
/// one already there adds nothing (the network is a set), so such a send
/// is not seen, exactly as the network does not see it either.
pub fn sent(before: &KafkaState, action: &KafkaAction, after: &KafkaState) -> Vec<Envelope<Msg>> {
    let mut counts: BTreeMap<Envelope<&Msg>, isize> = BTreeMap::new();
    envelopes(&after.network, |env, n| *counts.entry(env).or_default() += n);
    envelopes(&before.network, |env, n| *counts.entry(env).or_default() -= n);
    let keeps_delivered = matches!(before.network, Network::UnorderedDuplicating(..));
    let taken = match action {
        ActorModelAction::Deliver { src, dst, msg } if !keeps_delivered => {
            Some(Envelope { src: *src, dst: *dst, msg })
        }
        ActorModelAction::Drop(env) => Some(Envelope { src: env.src, dst: env.dst, msg: &env.msg }),
        _ => None,
    };
    if let Some(env) = taken {
        *counts.entry(env).or_default() += 1;
    }
    let mut out = Vec::new();
    for (env, n) in counts {
        for _ in 0..n.max(0) {
            out.push(env.to_cloned_msg());
        }
    }
    out
}

/// Each envelope on `network` with how many copies of it there are.
///
/// Not `Network::iter_all`: for the ordered network Stateright 0.31's
/// iterator never moves past the first message of a connection.
fn envelopes<'a>(network: &'a Network<Msg>, mut visit: impl FnMut(Envelope<&'a Msg>, isize)) {
    match network {
        Network::Ordered(flows) => {
            for (&(src, dst), msgs) in flows {
                for msg in msgs {
                    visit(Envelope { src, dst, msg }, 1);
                }
            }
        }
        Network::UnorderedNonDuplicating(multiset) => {
            for (env, &n) in multiset.iter() {
                visit(Envelope { src: env.src, dst: env.dst, msg: &env.msg }, n as isize);
            }
        }
        Network::UnorderedDuplicating(set, _) => {
            for env in set.iter() {
                visit(Envelope { src: env.src, dst: env.dst, msg: &env.msg }, 1);
            }
        }
    }
}

/// The actor whose state a step changes; `None` for a lost message.
pub(super) fn actor_of(action: &KafkaAction) -> Option<usize> {
    match action {
        ActorModelAction::Deliver { dst, .. } => Some(usize::from(*dst)),
        ActorModelAction::Drop(_) => None,
        ActorModelAction::Timeout(id, _) | ActorModelAction::Crash(id) | ActorModelAction::Recover(id) => {
            Some(usize::from(*id))
        }
        ActorModelAction::SelectRandom { actor, .. } => Some(usize::from(*actor)),
    }
}

/// The step in words: the sentences of the events it records (as a trace
/// tells them), the messages it sent, and the state of the actor that took
/// it, after and before (`NEXT_STATE:` / `PREV_STATE:`, Stateright's
/// headings, or `UNCHANGED:`). `None` when the model refuses the step.
pub fn step(model: &KafkaModel, before: &KafkaState, action: KafkaAction) -> Option<String> {
    let sentences: Vec<String> =
        model.step_events(before, &action).iter().map(crate::trace::sentence::sentence).collect();
    let after = model.next_state(before, action.clone())?;
    let mut text = sentences.join("\n");
    text.push_str("\n\n");
    let sends = sent(before, &action, &after);
    if sends.is_empty() {
        text.push_str("sends nothing\n");
    }
    for env in &sends {
        let (src, dst) = (actor_name(usize::from(env.src)), actor_name(usize::from(env.dst)));
        text.push_str(&format!("sends: {src} → {} → {dst}\n", message(&env.msg)));
    }
    if let Some(i) = actor_of(&action) {
        let (was, is) = (&before.actor_states[i], &after.actor_states[i]);
        if was == is {
            text.push_str(&format!("\nUNCHANGED: {was:#?}\n"));
        } else {
            text.push_str(&format!("\nNEXT_STATE: {is:#?}\n\nPREV_STATE: {was:#?}\n"));
        }
    }
    Some(text)
}
