//! The shape of the counterexamples of the commit modes and network faults:
//! the culprit step (the retried stale commit, the auto-commit past queued
//! records, the lost message and its timeout) must be visible in the trace.

use kafkacheck::model::event::Actor;
use kafkacheck::verdict::Verdict;

mod common {
    pub mod outcomes;
}
use common::outcomes::*;

/// commitAsync without a guard: commit(1) is lost, commit(2) is recorded,
/// then commit(1)'s callback retries it and it lands after commit(2).
#[test]
fn a_retried_older_async_commit_lands_after_the_newer_one() {
    let outcome = check_model("models/commit-async-retry-reorder.json");
    let t = trace_of(&outcome, "committed-monotonic");
    let lost = find(&t.steps, 0, |s| s.name() == "drop" && s.peer() == Some(Actor::Consumer(0)))
        .expect("a commit request from consumer-0 is lost");
    assert!(t.steps[lost].text.contains("OffsetCommit"), "{:?}", t.steps[lost]);
    let newer =
        find(&t.steps, lost, |s| is(s, Actor::Coordinator, "commit", Some(2))).expect("commit 2 recorded");
    let retry = find(&t.steps, newer, |s| is(s, Actor::Consumer(0), "retry", Some(1)))
        .expect("commit 1 retried after it");
    let landed =
        find(&t.steps, retry, |s| is(s, Actor::Coordinator, "commit", Some(1))).expect("and recorded");
    assert_eq!(landed, t.steps.len() - 1, "the stale commit is the last step");
    assert!(
        t.steps[..newer].iter().all(|s| !is(s, Actor::Coordinator, "commit", Some(1))),
        "commit 1 was lost"
    );
    assert!(t.steps[retry].text.contains("newer commit"), "{}", t.steps[retry].text);
    assert!(t.violation.contains("went back from 2 to 1"), "{}", t.violation);
    assert_eq!(verdict(&outcome, "no-loss"), Verdict::Holds);
}

/// The sequence guard: the same failure is not retried, so the committed
/// offset never goes back.
#[test]
fn the_sequence_guard_keeps_commits_monotonic() {
    let outcome = check_model("models/commit-async-retry-sequence-guard.json");
    assert!(outcome.complete);
    assert_eq!(verdict(&outcome, "committed-monotonic"), Verdict::Holds);
    assert_eq!(verdict(&outcome, "no-loss"), Verdict::Holds);
}

/// Auto-commit with a worker thread: the poll commits past records still
/// queued, and a crash loses them.
#[test]
fn auto_commit_passes_records_queued_for_the_worker() {
    let outcome = check_model("models/commit-auto-worker.json");
    let t = trace_of(&outcome, "no-loss");
    let due =
        find(&t.steps, 0, |s| is(s, Actor::Consumer(0), "auto-commit", None)).expect("the interval elapses");
    let commit = find(&t.steps, due, |s| s.actor() == Actor::Coordinator && s.name() == "commit")
        .expect("then a commit");
    let committed = t.steps[commit].offset().unwrap();
    let crash = find(&t.steps, commit, |s| is(s, Actor::Consumer(0), "crash", None)).expect("then a crash");
    assert_eq!(crash, t.steps.len() - 1);
    let processed = |o| t.steps.iter().any(|s| is(s, Actor::Sink, "process", Some(o)));
    let lost: Vec<u8> = (0..committed).filter(|&o| !processed(o)).collect();
    assert!(
        lost.iter().any(|o| t.violation.contains(&format!("offset {o} "))),
        "the commit of {committed} passed records never processed ({lost:?}): {}",
        t.violation
    );
    let in_poll = check_model("models/commit-auto-in-poll.json");
    assert_eq!(verdict(&in_poll, "no-loss"), Verdict::Holds, "in-poll processing keeps at-least-once");
    assert_eq!(verdict(&in_poll, "no-duplicate"), Verdict::Violated);
}

/// A lost message leads to a timeout and a resend of the same request,
/// never while the request or its reply is still on the network.
#[test]
fn a_lost_reply_times_out_and_the_request_is_sent_again() {
    let outcome = check_model("models/network-lossy-at-least-once.json");
    assert_eq!(verdict(&outcome, "no-loss"), Verdict::Holds);
    let t = trace_of(&outcome, "no-duplicate");
    let lost = find(&t.steps, 0, |s| s.name() == "drop").expect("a message is lost");
    let timeout =
        find(&t.steps, lost, |s| is(s, Actor::Consumer(0), "timeout", None)).expect("then a timeout");
    assert_eq!(timeout, lost + 1, "the timeout follows the loss");
    let o = t.steps[timeout].offset();
    let applied = t
        .steps
        .iter()
        .filter(|s| s.actor() == Actor::Sink && s.name() == "process" && s.offset() == o)
        .count();
    assert_eq!(applied, 2, "the resent output is applied again");
    assert!(t.steps.iter().all(|s| s.name() != "crash"), "the network alone duplicates");
}

/// A duplicating network: the second delivery shows as a `duplicate` event
/// right before the delivery it explains.
#[test]
fn a_duplicated_output_is_applied_twice() {
    let outcome = check_model("models/network-duplicating-at-least-once.json");
    let t = trace_of(&outcome, "no-duplicate");
    let dup = find(&t.steps, 0, |s| s.name() == "duplicate").expect("a second delivery");
    let next = &t.steps[dup + 1];
    assert_eq!((next.step, next.actor(), next.name()), (t.steps[dup].step, Actor::Sink, "process"));
    assert!(next.text.contains("(time 2)"), "{}", next.text);
    assert_eq!(verdict(&outcome, "no-loss"), Verdict::Holds);
}
