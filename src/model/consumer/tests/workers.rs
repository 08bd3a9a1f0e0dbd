//! Auto-commit's positions and worker threads: what they finish, in any order, and what is committed.

use super::*;

#[test]
fn auto_commit_commits_the_positions_earlier_polls_returned() {
    let auto = CommitConfig { mode: CommitMode::Auto, ..CommitConfig::default() };
    let c = consumer_with(Strategy::AtLeastOnce, 1, |s| s.commit = auto);
    let mut s = started(&c, 0);
    run(&c, &mut s, &[offsets(None), records(0, 1)]);
    let (_, out) = sending(|o| c.on_step(&mut s, Step::AutoCommitDue, o));
    assert!(out.is_empty() && s.auto_commit_due, "waits for the next poll");
    let sent = run(&c, &mut s, &[output_ack(0)]);
    assert_eq!(
        sent,
        vec![commit(1, MANUAL), fetch(1)],
        "in-poll: offset 0 is processed when the poll commits 1"
    );

    let worker = CommitConfig { processing: AutoProcessing::Worker, ..auto };
    let c = consumer_with(Strategy::AtLeastOnce, 1, |s| s.commit = worker);
    let mut s = started(&c, 0);
    let sent = run(&c, &mut s, &[offsets(None), records(0, 1)]);
    assert_eq!(sent[1..], [output(0), fetch(1)], "the worker processes while the loop polls on");
    sending(|o| c.on_step(&mut s, Step::AutoCommitDue, o));
    let sent = run(&c, &mut s, &[records(1, 1)]);
    assert_eq!(sent, vec![commit(2, MANUAL), fetch(2)], "the poll commits past queued offsets 0 and 1");
    assert!(c.will_process(&s, 0, 0) && c.will_process(&s, 0, 1), "the worker still holds them");
    assert_eq!(run(&c, &mut s, &[output_ack(0)]), vec![output(1)]);
}

#[test]
fn the_contiguous_policy_is_the_trackers_answer() {
    // Records 3..6 dispatched; 4 and 5 done, 3 still running.
    assert_eq!(contiguous_safe_offset(3, 6, 0b110), 3);
    assert_eq!(contiguous_safe_offset(3, 6, 0b111), 6);
    assert_eq!(contiguous_safe_offset(3, 6, 0b011), 5);
    assert_eq!(contiguous_safe_offset(3, 3, 0), 3);
}

#[test]
fn workers_finish_in_any_order_and_the_policy_decides_the_commit() {
    for (policy, expected) in [(CommitPolicy::Contiguous, None), (CommitPolicy::HighestCompleted, Some(2))] {
        let c = consumer_with(Strategy::AtLeastOnce, 3, |s| {
            s.workers = 2;
            s.commit_policy = policy;
        });
        let mut s = started(&c, 0);
        run(&c, &mut s, &[offsets(None), records(0, 3)]);
        assert_eq!(c.running(&s), vec![0, 1], "two workers, two records at a time");
        let (_, out) = sending(|o| c.on_worker_done(&mut s, 1, o));
        assert_eq!(out, vec![output(1)], "a worker applies its record's side effect");
        let sent = run(&c, &mut s, &[output_ack(1)]);
        assert_eq!(c.running(&s), vec![0, 2], "the idle worker takes the next record");
        let committed = sent.iter().find_map(|(_, m)| match m {
            Msg::OffsetCommit { offset, .. } => Some(*offset),
            _ => None,
        });
        assert_eq!(committed, expected, "{policy:?}");
        assert!(c.will_process(&s, 0, 0), "record 0 is still with a worker");
    }
}

#[test]
fn a_fenced_committer_lets_its_workers_finish_and_commits_nothing_more() {
    let c = group_with(Strategy::AtLeastOnce, true, false, |s| {
        s.workers = 2;
        s.max_poll_records = 2;
    });
    let mut s = started(&c, 0);
    let by = Committer { member: Some(7), generation: 1 };
    let two = Msg::FetchResponse { incarnation: 0, corr: 0, partition: 0, offset: 0, count: 2 };
    run(&c, &mut s, &[joined(1), synced(vec![0]), offsets(None), two]);
    sending(|o| c.on_worker_done(&mut s, 0, o));
    assert_eq!(run(&c, &mut s, &[output_ack(0)]), vec![commit(1, by)]);
    let rejected = fenced(1);
    assert!(run(&c, &mut s, &[rejected]).is_empty(), "the worker still runs offset 1");
    assert_eq!(c.running(&s), vec![1]);
    let (_, out) = sending(|o| c.on_worker_done(&mut s, 1, o));
    assert_eq!(out, vec![output(1)], "its thread is not interrupted");
    let join = (To::Coordinator, Msg::JoinGroup { incarnation: 0, corr: 0, member: Some(7), owned: vec![] });
    assert_eq!(run(&c, &mut s, &[output_ack(1)]), vec![join], "no commit of 2: the partition is lost");
}

#[test]
fn the_worker_thread_queue_holds_runs_of_several_partitions() {
    let auto = CommitConfig {
        mode: CommitMode::Auto,
        processing: AutoProcessing::Worker,
        ..CommitConfig::default()
    };
    let c = consumer_with(Strategy::AtLeastOnce, 1, |s| {
        s.commit = auto;
        s.partitions = 2;
    });
    let c = Consumer { manual_partitions: vec![0, 1], ..c };
    let (mut s, _) = sending(|o| c.start(0, o));
    let both = Msg::OffsetFetchResponse { incarnation: 0, corr: 0, offsets: vec![(0, None), (1, None)] };
    run(&c, &mut s, &[both, records(0, 1)]);
    let p1 = Msg::FetchResponse { incarnation: 0, corr: 0, partition: 1, offset: 0, count: 1 };
    assert_eq!(run(&c, &mut s, &[p1]), vec![fetch(1)], "partition 1's record waits in the queue");
    assert!(c.will_process(&s, 0, 0) && c.will_process(&s, 1, 0));
    let next = (To::Sink, Msg::Output { incarnation: 0, corr: 0, partition: 1, offset: 0 });
    assert_eq!(run(&c, &mut s, &[output_ack(0)]), vec![next], "then the worker takes partition 1's");
}

#[test]
fn auto_commits_worker_threads_finish_in_any_order() {
    let auto = CommitConfig {
        mode: CommitMode::Auto,
        processing: AutoProcessing::Worker,
        ..CommitConfig::default()
    };
    let c = consumer_with(Strategy::AtLeastOnce, 3, |s| {
        s.commit = auto;
        s.workers = 2;
    });
    let mut s = started(&c, 0);
    let sent = run(&c, &mut s, &[offsets(None), records(0, 3)]);
    assert!(sent.iter().all(|(to, _)| *to != To::Sink), "two threads took 0 and 1; none has finished");
    let running = |c: &Consumer, s: &ConsumerState| {
        c.steps(s)
            .into_iter()
            .filter_map(|step| match step {
                Choice::Consumer(Step::PoolDone(p, o)) => Some((p, o)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(running(&c, &s), vec![(0, 0), (0, 1)]);
    let (_, out) = sending(|o| c.on_step(&mut s, Step::PoolDone(0, 1), o));
    assert_eq!(out, vec![output(1)], "offset 1 is applied before offset 0");
    assert_eq!(run(&c, &mut s, &[output_ack(1)]), vec![], "the thread takes offset 2");
    assert_eq!(running(&c, &s), vec![(0, 0), (0, 2)]);
    assert!(c.will_process(&s, 0, 0) && c.will_process(&s, 0, 2) && !c.will_process(&s, 0, 1));
}
