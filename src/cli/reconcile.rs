//! `payout-console reconcile`: ask the status of every execution not yet final. Never executes.

use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;

use super::args::{Cli, ReconcileArgs};
use super::context::connect;
use super::error::CliError;
use super::pay::payout_error;
use crate::config::Paths;
use crate::payout::Resolution;

#[derive(Serialize)]
struct Line {
    reference_id: String,
    was: String,
    now: String,
    note: String,
}

pub async fn run(cli: &Cli, paths: &Paths, args: &ReconcileArgs) -> Result<i32, CliError> {
    let conn = connect(cli, paths).await?;
    let engine = conn.engine.clone();
    let rows = engine
        .store
        .run(|j| j.unresolved())
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    if rows.is_empty() {
        if args.json {
            println!("{{\"reconciled\":[]}}");
        } else {
            eprintln!("nothing to reconcile: every execution in the history is final");
        }
        return Ok(0);
    }
    if !args.yes {
        eprintln!(
            "will ask the status endpoint ({}) about:",
            engine.client.api_base()
        );
        for r in &rows {
            eprintln!(
                "  {}  {}  account {}  session {}  {}",
                r.reference_id, r.state, r.payout_account_id, r.session_id, r.created_at
            );
        }
        if !std::io::stdin().is_terminal() {
            eprintln!("nothing asked yet: run `payout-console reconcile --yes` to ask");
            return Ok(0);
        }
        eprint!("ask now? [y/N] ");
        std::io::stderr().flush().ok();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).ok();
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            eprintln!("nothing asked");
            return Ok(0);
        }
    }
    let mut lines = Vec::new();
    let mut all_final = true;
    for row in &rows {
        let res = engine.reconcile_row(row).await.map_err(payout_error)?;
        let (now, note) = match &res {
            Resolution::Known(s) => (s.to_string(), String::new()),
            Resolution::NotFoundYet { polls } => (
                row.state.to_string(),
                format!(
                    "the API does not know it yet ({polls} not-found polls); ask again in a minute before paying again"
                ),
            ),
            Resolution::DidNotLand => (
                "rejected".to_string(),
                "did not land: nothing executed, a new attempt is safe".to_string(),
            ),
            Resolution::Unreachable(e) => (row.state.to_string(), format!("could not ask: {e}")),
        };
        all_final &=
            matches!(&res, Resolution::Known(s) if s.is_final()) || res == Resolution::DidNotLand;
        lines.push(Line {
            reference_id: row.reference_id.clone(),
            was: row.state.to_string(),
            now,
            note,
        });
    }
    if args.json {
        println!("{}", serde_json::json!({ "reconciled": lines }));
    } else {
        for l in &lines {
            let line = format!("{}  {} -> {}  {}", l.reference_id, l.was, l.now, l.note);
            eprintln!("{}", super::output::printable(&line));
        }
    }
    Ok(if all_final { 0 } else { 5 })
}
