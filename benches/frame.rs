//! One full frame of the console at 200x50 into ratatui's `TestBackend`, with a 50-row history
//! page on screen and a payout on the Live pane. Target: under 2 ms per frame.
//!
//! `cargo bench --bench frame`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use payout_console::api::LocalState;
use payout_console::tui::app::{Action, App, Effect, Msg, Pane, update};
use payout_console::tui::testing::{app, msg, outcome, press, response, row, to_review};
use payout_console::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

/// The console mid-shift: a card payout waiting for 3-D Secure, a full history page.
fn busy_console() -> App {
    let mut app = app();
    let fx = app.start();
    let (id, page) = fx
        .iter()
        .find_map(|e| match e {
            Effect::LoadHistory { id, page, .. } => Some((*id, *page)),
            _ => None,
        })
        .expect("a history request");
    msg(
        &mut app,
        Msg::HistoryPage {
            id,
            page,
            result: Ok(((0..50).map(row).collect(), 1_000_000)),
        },
    );
    to_review(&mut app);
    press(&mut app, KeyCode::Enter);
    let r = app.live.as_ref().expect("a payout").reference.clone();
    msg(
        &mut app,
        Msg::Executed {
            reference: r.clone(),
            result: Ok(outcome(
                &r,
                LocalState::ActionRequired,
                Some(response("PROCESSING", true)),
            )),
        },
    );
    app.focus_pane(Pane::History);
    update(&mut app, Action::Resize(200, 50));
    app
}

fn frame(c: &mut Criterion) {
    // Two states a row apart, drawn in turn, so every frame has a diff to write.
    let first = busy_console();
    let mut second = busy_console();
    press(&mut second, KeyCode::Down);
    let apps = [first, second];
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    let mut i = 0;
    c.bench_function("frame 200x50 with a 50-row history page", |b| {
        b.iter(|| {
            i ^= 1;
            terminal
                .draw(|f| view::draw(f, black_box(&apps[i])))
                .expect("draw");
        })
    });
}

criterion_group!(benches, frame);
criterion_main!(benches);
