//! `payout-console history` and `history show REF`: read the local journal only.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::args::{Cli, Format, HistoryArgs, HistoryCommand};
use super::context::open_store;
use super::error::CliError;
use crate::api::LocalState;
use crate::config::Paths;
use crate::journal::{HistoryFilter, Page, format};

/// `24h`, `7d`, `30m`, `2026-11-01` or an RFC 3339 time.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "since: `{text}` is not a time; use 24h, 7d, 30m, 2026-11-01 or 2026-11-01T08:00:00Z"
        )
    };
    if let Some(unit) = t.chars().last().filter(|c| c.is_ascii_alphabetic())
        && let Ok(n) = t[..t.len() - 1].parse::<i64>()
    {
        if n < 0 {
            return Err(bad());
        }
        let d = match unit {
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            'w' => Duration::try_weeks(n),
            _ => return Err(bad()),
        };
        return d
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| format!("since: `{text}` reaches too far back"));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc());
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| bad())
}

pub fn run(cli: &Cli, paths: &Paths, args: &HistoryArgs) -> Result<i32, CliError> {
    let store = open_store(paths)?;
    if let Some(HistoryCommand::Show {
        reference,
        json,
        bundle,
    }) = &args.show
    {
        let found = store.blocking(|j| -> Result<_, crate::journal::JournalError> {
            match j.get(reference.trim())? {
                Some(row) => Ok(Some((j.events(&row.reference_id)?, row))),
                None => Ok(None),
            }
        });
        let Some((events, row)) = found.map_err(|e| CliError::Other(e.to_string()))? else {
            return Err(CliError::Usage(format!(
                "reference: {reference} is not in the history at {}",
                paths.data_dir.display()
            )));
        };
        if *json {
            // Serialized directly, never through a Value, so amounts keep their digits.
            #[derive(serde::Serialize)]
            struct Show<'a> {
                execution: &'a crate::journal::ExecutionRow,
                events: &'a [crate::journal::EventRow],
            }
            let show = Show {
                execution: &row,
                events: &events,
            };
            let text = serde_json::to_string(&show).map_err(|e| CliError::Other(e.to_string()))?;
            println!("{text}");
        } else if *bundle {
            println!("{}", format::support_bundle(&row, &events));
        } else {
            println!("{}", format::show(&row, &events));
        }
        return Ok(0);
    }
    let mut states = Vec::new();
    for s in &args.state {
        states.push(
            s.parse::<LocalState>()
                .map_err(|e| CliError::Usage(format!("state: {e}")))?,
        );
    }
    let since = match &args.since {
        Some(s) => Some(parse_since(s, Utc::now()).map_err(CliError::Usage)?),
        None => None,
    };
    if args.limit == 0 {
        return Err(CliError::Usage("limit: must be at least 1".into()));
    }
    if args.page == 0 {
        return Err(CliError::Usage(
            "page: pages count from 1 (the newest)".into(),
        ));
    }
    let filter = HistoryFilter {
        states,
        since,
        account: args.account.clone(),
        profile: cli.profile.clone(),
        search: args.search.clone().filter(|s| !s.trim().is_empty()),
    };
    // Keyset paging: each page starts below the last row of the one before, so page N costs N
    // index walks of --limit rows, never an OFFSET scan.
    let page = store
        .blocking(|j| -> Result<Option<Page>, crate::journal::JournalError> {
            let mut page = Page::first(args.limit);
            for _ in 1..args.page {
                let rows = j.query(&filter, page)?;
                match page.next(&rows) {
                    Some(next) => page = next,
                    None => return Ok(None),
                }
            }
            Ok(Some(page))
        })
        .map_err(|e| CliError::Other(e.to_string()))?;
    if args.sql {
        let Some(page) = page else {
            return Err(CliError::Usage(format!(
                "page: there is no page {}",
                args.page
            )));
        };
        let sql = store
            .blocking(|j| j.query_sql(&filter, page))
            .map_err(|e| CliError::Other(e.to_string()))?;
        return match sql {
            Some(sql) => {
                println!("{sql};");
                Ok(0)
            }
            None => Err(CliError::Usage(
                "sql: this filter runs no single statement (several states, or nothing can match)"
                    .into(),
            )),
        };
    }
    let rows = match page {
        Some(page) => store
            .blocking(|j| j.query(&filter, page))
            .map_err(|e| CliError::Other(e.to_string()))?,
        None => Vec::new(),
    };
    let text = match args.format {
        Format::Table => format::table(&rows),
        Format::Json => format::json(&rows),
        Format::Csv => format::csv(&rows),
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_durations_dates_and_times() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_since("24h", now).unwrap(), now - Duration::hours(24));
        assert_eq!(parse_since("7d", now).unwrap(), now - Duration::days(7));
        assert_eq!(
            parse_since("2026-11-01", now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert!(
            parse_since("yesterday", now)
                .unwrap_err()
                .starts_with("since:")
        );
        assert!(parse_since("5x", now).is_err());
        assert!(parse_since("-1d", now).is_err());
        assert!(parse_since("9999999999999h", now).is_err());
        assert!(parse_since("100000000d", now).is_err());
    }
}
