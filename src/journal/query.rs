//! Reading history: one execution, its events, filtered pages, counts and the open executions.
//!
//! Every listing walks an index in `seq` order (newest first) and stops at the page's limit; no
//! query loads the whole history. The SQL text is built from fixed fragments only; every value
//! is a bound parameter.

use std::thread;
use std::time::{Duration, Instant};

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::row::{COLUMNS, ExecutionRow, from_row};
use super::write::is_locked;
use super::writer::writer_alive;
use super::{EventKind, EventRow, HistoryFilter, Journal, JournalError, Page, time};
use crate::api::state::LocalState;

/// [`Journal::count`] stops counting here: a result of `COUNT_CAP` means "at least this many".
pub const COUNT_CAP: u64 = 10_000;

/// How many of the newest rows `recent_accounts` looks at before walking every account.
const RECENT_WINDOW: i64 = 1_000;

impl Journal {
    /// Runs a read, retrying while a WAL recovery or checkpoint briefly locks the file.
    pub(crate) fn read<T>(
        &self,
        mut f: impl FnMut(&Connection) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        let started = Instant::now();
        loop {
            match f(&self.conn).map_err(|e| self.with_path(e)) {
                Err(e) if is_locked(&e) && started.elapsed() < Duration::from_secs(30) => {
                    thread::sleep(Duration::from_millis(20));
                }
                Err(e) if is_locked(&e) => {
                    return Err(JournalError::Busy {
                        path: self.path.clone(),
                        seconds: started.elapsed().as_secs(),
                    });
                }
                other => return other,
            }
        }
    }

    fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<ExecutionRow>, JournalError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows = stmt.query(params_from_iter(params.iter()))?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(from_row(r).map_err(|e| e.into_journal(&self.path))?);
            }
            Ok(out)
        })
    }

    /// One execution by its exact reference.
    pub fn get(&self, reference: &str) -> Result<Option<ExecutionRow>, JournalError> {
        let sql = format!("SELECT {COLUMNS} FROM executions e WHERE e.reference_id = ?1");
        Ok(self
            .rows(&sql, &[Value::Text(reference.trim().to_string())])?
            .pop())
    }

    /// The event trail of one execution, oldest first.
    pub fn events(&self, reference: &str) -> Result<Vec<EventRow>, JournalError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT at, kind, detail FROM events WHERE reference_id = ?1 ORDER BY id",
            )?;
            let mut rows = stmt.query([reference.trim()])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let (at, kind): (String, String) = (r.get(0)?, r.get(1)?);
                let bad = |column, detail| JournalError::BadRow {
                    reference: reference.to_string(),
                    column,
                    detail,
                };
                out.push(EventRow {
                    at: time::from_text(&at)
                        .ok_or_else(|| bad("events.at", format!("`{at}` is not a time")))?,
                    kind: kind
                        .parse::<EventKind>()
                        .map_err(|e| bad("events.kind", e.to_string()))?,
                    detail: r.get(2)?,
                });
            }
            Ok(out)
        })
    }

    /// One page of executions matching `filter`, newest first (journal order).
    pub fn query(
        &self,
        filter: &HistoryFilter,
        page: Page,
    ) -> Result<Vec<ExecutionRow>, JournalError> {
        let limit = page.limit.min(Page::MAX_LIMIT);
        let Some(plan) = self.plan(filter, page.before)? else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        // With a search, the search index yields rows newest first and filters the rest; a
        // state list rides along as `IN`. Without one, each state is walked on its own index in
        // `seq` order and the walks are merged, so no plan ever sorts.
        if plan.search.is_some() || filter.states.len() <= 1 {
            let (sql, params) = plan.select(&filter.states, limit);
            return self.rows(&sql, &params);
        }
        let mut merged = Vec::new();
        for state in dedup(&filter.states) {
            let (sql, params) = plan.select(&[state], limit);
            merged.extend(self.rows(&sql, &params)?);
        }
        merged.sort_by_key(|r| std::cmp::Reverse(r.seq));
        merged.truncate(limit);
        Ok(merged)
    }

    /// The one SQL statement `query` runs for this filter and page, with its parameters written
    /// in as SQL literals, so the same query can be run in the `sqlite3` shell (benchmarks, a
    /// support engineer checking a result). `None` when nothing can match or when `query`
    /// merges one walk per state instead of running a single statement.
    pub fn query_sql(
        &self,
        filter: &HistoryFilter,
        page: Page,
    ) -> Result<Option<String>, JournalError> {
        let Some(plan) = self.plan(filter, page.before)? else {
            return Ok(None);
        };
        if plan.search.is_none() && filter.states.len() > 1 {
            return Ok(None);
        }
        let (mut sql, params) = plan.select(&filter.states, page.limit.min(Page::MAX_LIMIT));
        // Highest numbers first, so `?1` never eats the start of `?10`.
        for (i, v) in params.iter().enumerate().rev() {
            let literal = match v {
                Value::Integer(n) => n.to_string(),
                Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
                Value::Real(r) => r.to_string(),
                Value::Null => "NULL".to_string(),
                Value::Blob(_) => return Ok(None),
            };
            sql = sql.replace(&format!("?{}", i + 1), &literal);
        }
        Ok(Some(sql))
    }

    /// How many executions match `filter`, counted up to [`COUNT_CAP`] (a result equal to the
    /// cap means "at least that many"), so a count is as fast as a page.
    pub fn count(&self, filter: &HistoryFilter) -> Result<u64, JournalError> {
        let Some(plan) = self.plan(filter, None)? else {
            return Ok(0);
        };
        let (inner, params) = plan.body(&filter.states);
        // A written-in limit, as in `select`.
        let sql = format!("SELECT count(*) FROM (SELECT 1 {inner} LIMIT {COUNT_CAP})");
        self.read(|c| {
            let n: i64 = c
                .prepare_cached(&sql)?
                .query_row(params_from_iter(params.iter()), |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    /// Executions a reconcile should ask about: `unknown`, `pending`, `processing`,
    /// `action_required`, and `sending` rows whose writer is no longer running. Newest first.
    /// Returns every one of them (reconcile needs them all): about 3.5 µs a row, so a history
    /// with 20,000 open executions takes ~70 ms; a few hundred take ~1 ms.
    pub fn unresolved(&self) -> Result<Vec<ExecutionRow>, JournalError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM executions e
             WHERE e.state IN ('sending', 'unknown', 'pending', 'processing', 'action_required')"
        );
        let now = chrono::Utc::now();
        let mut rows = self.rows(&sql, &[])?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.seq));
        Ok(rows
            .into_iter()
            .filter(|r| {
                r.state != LocalState::Sending
                    || !writer_alive(
                        r.writer_pid,
                        &r.writer_host,
                        r.writer_start.as_deref(),
                        r.updated_at,
                        now,
                    )
            })
            .collect())
    }

    /// Executions that hold `account` ([`holding_account`]), newest first. A new payout to
    /// that account needs an explicit override while this is not empty. `api` is the base URL
    /// this console talks to.
    pub fn unresolved_for_account(
        &self,
        account: &str,
        api: &str,
    ) -> Result<Vec<ExecutionRow>, JournalError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM executions e WHERE {}",
            holding_account()
        );
        let params = [
            Value::Text(account.trim().to_string()),
            Value::Text(api.to_string()),
        ];
        let mut rows = self.rows(&sql, &params)?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.seq));
        Ok(rows)
    }

    /// Payout accounts, most recently used first, at most `limit`.
    pub fn recent_accounts(&self, limit: usize) -> Result<Vec<String>, JournalError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let mut seen = Vec::new();
            // A written-in limit, as in `select`.
            let mut stmt = c.prepare_cached(&format!(
                "SELECT payout_account_id FROM executions ORDER BY seq DESC LIMIT {RECENT_WINDOW}"
            ))?;
            let mut rows = stmt.query([])?;
            let mut scanned = 0;
            while let Some(r) = rows.next()? {
                scanned += 1;
                let account: String = r.get(0)?;
                if !seen.contains(&account) {
                    seen.push(account);
                    if seen.len() == limit {
                        return Ok(seen);
                    }
                }
            }
            if scanned < RECENT_WINDOW {
                return Ok(seen);
            }
            // Older accounts: one index seek per distinct account, then newest use first.
            let mut stmt = c.prepare_cached(
                "WITH RECURSIVE acc(a) AS (
                     SELECT min(payout_account_id) FROM executions
                     UNION ALL
                     SELECT (SELECT min(payout_account_id) FROM executions
                             WHERE payout_account_id > acc.a)
                     FROM acc WHERE acc.a IS NOT NULL LIMIT 100000
                 )
                 SELECT a, (SELECT max(seq) FROM executions WHERE payout_account_id = acc.a)
                 FROM acc WHERE a IS NOT NULL",
            )?;
            let mut all: Vec<(String, i64)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            all.sort_by_key(|a| std::cmp::Reverse(a.1));
            Ok(all.into_iter().map(|(a, _)| a).take(limit).collect())
        })
    }

    /// Resolves the filter's bounds; `None` when nothing can match.
    fn plan(
        &self,
        filter: &HistoryFilter,
        before: Option<i64>,
    ) -> Result<Option<Plan>, JournalError> {
        let search = match filter.search.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => match fts_query(text) {
                Some(q) => Some(q),
                None => return Ok(None),
            },
            _ => None,
        };
        let since = filter.since.map(time::to_text);
        // `created_at` grows with `seq`: the first row at or after `since` bounds the walk.
        let from_seq = match &since {
            None => None,
            Some(t) => {
                let first = self.read(|c| {
                    Ok(c.prepare_cached(
                        "SELECT seq FROM executions WHERE created_at >= ?1
                         ORDER BY created_at, seq LIMIT 1",
                    )?
                    .query_row([t], |r| r.get::<_, i64>(0))
                    .optional()?)
                })?;
                match first {
                    Some(s) => Some(s),
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(Plan {
            search,
            before,
            from_seq,
            since,
            account: non_empty(filter.account.as_deref()),
            profile: non_empty(filter.profile.as_deref()),
        }))
    }
}

/// A filter turned into SQL fragments and their parameters.
struct Plan {
    search: Option<String>,
    before: Option<i64>,
    from_seq: Option<i64>,
    since: Option<String>,
    account: Option<String>,
    profile: Option<String>,
}

impl Plan {
    /// `FROM … WHERE …` with its parameters, numbered from 1.
    fn body(&self, states: &[LocalState]) -> (String, Vec<Value>) {
        let mut params = Vec::new();
        let mut bind = |v: Value| {
            params.push(v);
            format!("?{}", params.len())
        };
        let (mut sql, key) = match &self.search {
            Some(q) => (
                format!(
                    "FROM executions_search s JOIN executions e ON e.seq = s.rowid
                     WHERE executions_search MATCH {}",
                    bind(Value::Text(q.clone()))
                ),
                "s.rowid",
            ),
            None => ("FROM executions e WHERE 1".to_string(), "e.seq"),
        };
        if let Some(b) = self.before {
            sql.push_str(&format!(" AND {key} < {}", bind(Value::Integer(b))));
        }
        if let Some(f) = self.from_seq {
            sql.push_str(&format!(" AND {key} >= {}", bind(Value::Integer(f))));
        }
        if let Some(t) = &self.since {
            sql.push_str(&format!(
                " AND e.created_at >= {}",
                bind(Value::Text(t.clone()))
            ));
        }
        match dedup(states).as_slice() {
            [] => {}
            [one] => {
                let p = bind(Value::Text(one.as_str().into()));
                sql.push_str(&format!(" AND e.state = {p}"));
            }
            many => {
                let marks: Vec<String> = many
                    .iter()
                    .map(|s| bind(Value::Text(s.as_str().into())))
                    .collect();
                sql.push_str(&format!(" AND e.state IN ({})", marks.join(", ")));
            }
        }
        if let Some(a) = &self.account {
            let p = bind(Value::Text(a.clone()));
            sql.push_str(&format!(" AND e.payout_account_id = {p}"));
        }
        if let Some(p) = &self.profile {
            let p = bind(Value::Text(p.clone()));
            sql.push_str(&format!(" AND e.profile = {p}"));
        }
        (sql, params)
    }

    /// The page query: newest first, at most `limit` rows.
    fn select(&self, states: &[LocalState], limit: usize) -> (String, Vec<Value>) {
        let (body, params) = self.body(states);
        let key = if self.search.is_some() {
            "s.rowid"
        } else {
            "e.seq"
        };
        // The limit is written in, not bound: SQLite plans with a bound LIMIT's value, so
        // binding one expired the statement and compiled it a second time on its first step
        // (7% of a `history` run). It is a number of ours, never text from outside.
        let sql = format!("SELECT {COLUMNS} {body} ORDER BY {key} DESC LIMIT {limit}");
        (sql, params)
    }
}

/// The rows that hold a payout account, as a WHERE clause on `executions e` (`?1` the account,
/// `?2` the base URL this console talks to): executions to it that may still move money
/// ([`LocalState::is_unresolved`]), except rows of another sandbox (every `--sandbox` run
/// listens on a new port), which moved no money and can never be resolved. The one rule for
/// the early guard and for the check `begin` makes in the insert's own transaction.
///
/// No ORDER BY goes with it: that would tempt the planner onto the account-only index (already
/// in `seq` order) and through every row of a busy account; one seek per state on
/// (account, state) and a sort of the few rows found is what this needs.
pub(crate) fn holding_account() -> String {
    let states = LocalState::ALL
        .into_iter()
        .filter(|s| s.is_unresolved())
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "e.payout_account_id = ?1 AND e.state IN ({states}) \
         AND NOT (e.sandbox = 1 AND e.base_url <> ?2)"
    )
}

/// A filter field left empty (a blank form field) filters nothing.
fn non_empty(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn dedup(states: &[LocalState]) -> Vec<LocalState> {
    let mut out: Vec<LocalState> = Vec::new();
    for s in states {
        if !out.contains(s) {
            out.push(*s);
        }
    }
    out
}

/// The search text as one FTS5 phrase whose last word is a prefix: `3f2a1b2c-aa` →
/// `"3f2a1b2c aa"*`. Only letters and digits reach FTS5, so no text can change the query's
/// syntax. `None` when the text has no letter or digit.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return None;
    }
    Some(format!("\"{}\"*", words.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_becomes_a_quoted_prefix_phrase() {
        assert_eq!(
            fts_query("3f2a1b2c-AA").as_deref(),
            Some("\"3f2a1b2c aa\"*")
        );
        assert_eq!(
            fts_query("\" OR x NEAR(").as_deref(),
            Some("\"or x near\"*")
        );
        assert_eq!(fts_query("--- *"), None);
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    /// SQLite's plan for the page query of `filter`, one line per step.
    fn plan_of(j: &Journal, filter: &HistoryFilter) -> Vec<String> {
        let plan = j.plan(filter, Some(1_000)).unwrap().unwrap();
        let (sql, params) = plan.select(&filter.states, 50);
        let mut stmt = j
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        stmt.query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn every_listing_walks_an_index_newest_first_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        let failed = vec![LocalState::Failed];
        let two = vec![LocalState::Failed, LocalState::Unknown];
        let since = Some(chrono::Utc::now() - chrono::Duration::days(1));
        let filters = [
            HistoryFilter::default(),
            HistoryFilter {
                states: failed.clone(),
                ..Default::default()
            },
            HistoryFilter {
                states: failed.clone(),
                account: Some("7".into()),
                ..Default::default()
            },
            HistoryFilter {
                states: failed.clone(),
                profile: Some("p".into()),
                ..Default::default()
            },
            HistoryFilter {
                account: Some("7".into()),
                ..Default::default()
            },
            HistoryFilter {
                profile: Some("p".into()),
                ..Default::default()
            },
            HistoryFilter {
                search: Some("abc".into()),
                states: two,
                account: Some("7".into()),
                ..Default::default()
            },
        ];
        // `since` needs a row to bound the walk.
        j.conn
            .execute_batch(
                "INSERT INTO executions (reference_id, created_at, updated_at, state, session_id,
                    payout_account_id, profile, base_url, sandbox, os_user, payee, writer_pid,
                    writer_host)
                 VALUES ('r', '2999-01-01T00:00:00.000000Z', '2999-01-01T00:00:00.000000Z',
                    'completed', '1', '7', 'p', 'x', 0, 'u', 'p', 1, 'h')",
            )
            .unwrap();
        for mut f in filters {
            for s in [None, since] {
                f.since = s;
                let steps = plan_of(&j, &f);
                let text = steps.join(" | ");
                assert!(!text.contains("TEMP B-TREE"), "{f:?} sorts: {text}");
                assert!(!text.contains("SCAN e"), "{f:?} scans the table: {text}");
            }
        }
    }

    #[test]
    fn a_page_query_is_compiled_once_not_again_on_its_first_step() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        let filters = [
            HistoryFilter::default(),
            HistoryFilter {
                states: vec![LocalState::Failed],
                account: Some("7".into()),
                ..Default::default()
            },
            HistoryFilter {
                search: Some("abc".into()),
                ..Default::default()
            },
        ];
        for f in filters {
            j.query(&f, Page::first(50)).unwrap();
            j.count(&f).unwrap();
            let plan = j.plan(&f, None).unwrap().unwrap();
            let (sql, _) = plan.select(&f.states, 50);
            // The statement `query` ran, back in the cache.
            let stmt = j.conn.prepare_cached(&sql).unwrap();
            assert_eq!(
                stmt.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "{f:?} was compiled twice"
            );
        }
        j.recent_accounts(5).unwrap();
    }
}
