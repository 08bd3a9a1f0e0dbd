//! The JSON the Explorer's page (`assets/explorer/app.js`) reads, in the
//! shapes Stateright 0.31's own server gives it (`StatusView` and
//! `StateView` in the stateright crate's `src/checker/explorer.rs`), served
//! from `check`'s result and the model.

use super::Explorer;
use crate::model::{KafkaAction, KafkaState, render};
use serde_json::{Value, json};
use stateright::Model;

/// `GET /.status`: whether the check is done, its counts, and each
/// property as `[expectation, name, encoded counterexample or null]`;
/// `recent_path` is what the page shows as progress while not done.
pub fn status(explorer: &Explorer) -> Value {
    let (done, states, depth) = explorer
        .with_checked(|c| c.map_or((false, 0, 0), |c| (true, c.outcome.unique_states, c.outcome.max_depth)));
    let progress: Value = match (done, explorer.failed()) {
        (true, _) => Value::Null,
        (false, Some(_)) => explorer.progress().into(),
        (false, None) => format!("checking: {}", explorer.progress()).into(),
    };
    json!({
        "done": done,
        "model": explorer.scenario.name,
        // `check` counts each state once; the page shows both counts.
        "state_count": states,
        "unique_state_count": states,
        "max_depth": depth,
        "properties": properties(explorer),
        "recent_path": progress,
    })
}

/// Each of the model's properties with `check`'s counterexample, if any.
fn properties(explorer: &Explorer) -> Vec<Value> {
    explorer.with_checked(|checked| {
        explorer
            .model
            .properties()
            .iter()
            .map(|p| {
                let path = checked.and_then(|c| {
                    let i = c.outcome.properties.iter().position(|o| o.name == p.name)?;
                    c.paths[i].clone()
                });
                json!([p.expectation, p.name, path])
            })
            .collect()
    })
}

/// The path the action indices `0/3/1` reach (an initial state's index,
/// then each step's among those offered), or why it does not exist.
fn replay(explorer: &Explorer, indices: &[usize]) -> Result<Vec<(KafkaState, Option<KafkaAction>)>, String> {
    let model = &explorer.model;
    let (first, steps) = indices.split_first().ok_or("no initial state index")?;
    let mut state = model.init_states().into_iter().nth(*first).ok_or(format!("no initial state {first}"))?;
    let mut path = Vec::new();
    for &i in steps {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let action = actions.into_iter().nth(i).ok_or(format!("no step {i} after {} steps", path.len()))?;
        // A step the model refuses leaves the state as it was, as in Stateright's replay.
        let next = model.next_state(&state, action.clone()).unwrap_or_else(|| state.clone());
        path.push((std::mem::replace(&mut state, next), Some(action)));
    }
    path.push((state, None));
    Ok(path)
}

/// `GET /.states/<i>/<j>/…`: with no index, the initial states; otherwise
/// every step out of the state the indices reach, each with the state it
/// leads to, its outcome (`render::step`), its diagram (`render::svg`)
/// and the properties; a step the model refuses has neither state nor diagram.
pub fn states(explorer: &Explorer, path: &str) -> Result<Vec<Value>, String> {
    let model = &explorer.model;
    let trimmed = path.trim_end_matches('/');
    if !trimmed.is_empty() && !trimmed.starts_with('/') {
        return Err(format!("Unable to parse action indices {trimmed}"));
    }
    let indices: Vec<usize> = trimmed
        .split('/')
        .skip(1)
        .map(|i| i.parse().map_err(|_| format!("Unable to parse action indices {trimmed}")))
        .collect::<Result<_, _>>()?;
    let properties = properties(explorer);
    if indices.is_empty() {
        let views = model.init_states().into_iter().enumerate().map(|(i, state)| {
            let svg = render::svg(&[(state.clone(), None)]);
            json!({"state": render::complete_state(&state), "properties": properties, "svg": svg, "actionIndex": i})
        });
        return Ok(views.collect());
    }
    let mut path = replay(explorer, &indices)?;
    let last = path.last().expect("a path has a last state").0.clone();
    let mut actions = Vec::new();
    model.actions(&last, &mut actions);
    let views = actions.into_iter().enumerate().map(|(i, action)| {
        let name = model.format_action(&action);
        let Some(next) = model.next_state(&last, action.clone()) else {
            return json!({"action": name, "properties": properties, "actionIndex": i});
        };
        let outcome = model.format_step(&last, action.clone());
        path.last_mut().expect("the last state").1 = Some(action);
        path.push((next.clone(), None));
        let svg = render::svg(&path);
        path.pop();
        json!({
            "action": name,
            "outcome": outcome,
            "state": render::complete_state(&next),
            "properties": properties,
            "svg": svg,
            "actionIndex": i,
        })
    });
    Ok(views.collect())
}
