//! What a step of a path did, as [`Event`]s: the step replayed on the state
//! before it through the actors' own handlers with recording on. The
//! network's part (a loss, a redelivery) and Stateright's (a crash) are
//! recorded here, where the model decides them; so is what no single actor
//! can see (which records a reset skips unprocessed: the sink's business).

use super::event::{Actor, Event, Events};
use super::{COORDINATOR, KafkaAction, KafkaModel, KafkaState, View, redelivery};
use crate::model::choice::Choice;
use stateright::actor::{ActorModelAction, Envelope, Out};
use std::borrow::Cow;

impl KafkaModel {
    /// The events of `action` taken in `before`, in the order they happened.
    pub fn step_events(&self, before: &KafkaState, action: &KafkaAction) -> Vec<Event> {
        let mut ev = Events::on();
        let mut out = Out::new();
        match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                let (from, to) = (Actor::of(usize::from(*src)), Actor::of(usize::from(*dst)));
                if redelivery(before, Envelope { src: *src, dst: *dst, msg }) {
                    ev.emit(|| Event::Duplicate { src: from, dst: to, msg: msg.clone() });
                }
                let mut state = Cow::Borrowed(&*before.actor_states[to.index()]);
                self.system.actors[to.index()].deliver(&mut state, *src, msg, &mut out, &mut ev);
            }
            ActorModelAction::Drop(env) => {
                let (src, dst) = (Actor::of(usize::from(env.src)), Actor::of(usize::from(env.dst)));
                ev.emit(|| Event::Drop { src, dst, msg: env.msg.clone() });
            }
            ActorModelAction::Crash(id) if usize::from(*id) == COORDINATOR => {
                let r = &before.offsets_topic().replication;
                ev.emit(|| Event::Failover { leader: r.leader, epoch: r.epoch });
            }
            ActorModelAction::Crash(id) => {
                let consumer = Actor::of(usize::from(*id)).consumer().expect("only consumers crash");
                ev.emit(|| Event::Crash { consumer });
            }
            ActorModelAction::Recover(id) => {
                let i = usize::from(*id);
                self.system.actors[i].start(&before.actor_storages[i], &mut out, &mut ev);
            }
            ActorModelAction::Timeout(id, timer) => {
                let i = usize::from(*id);
                let mut state = Cow::Borrowed(&*before.actor_states[i]);
                self.system.actors[i].time_out(&mut state, *timer, &mut out, &mut ev);
            }
            &ActorModelAction::SelectRandom { actor, random, .. } => {
                if let Choice::Expire(partition) = random {
                    let committed = before.offsets_log().committed(partition);
                    let why = self.expiry(before).expect("an expiry the retention permits");
                    ev.emit(|| Event::Expire { partition, committed, why });
                }
                let i = usize::from(actor);
                let mut state = Cow::Borrowed(&*before.actor_states[i]);
                self.system.actors[i].choose(&mut state, random, &mut out, &mut ev);
            }
        }
        let mut events = ev.into_vec();
        for event in &mut events {
            if let Event::ResetToEnd { partition, end, unprocessed, .. } = event {
                let sink = before.sink();
                *unprocessed = (0..*end).filter(|&o| sink.times_applied(*partition, o) == 0).collect();
            }
        }
        events
    }
}
