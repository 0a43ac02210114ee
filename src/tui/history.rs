//! The History pane: one page of the journal at a time (keyset paging, newest first), so a
//! million rows scroll as fast as fifty; a state filter and a text search; a detail overlay with
//! the event trail; "check status now"; export of the filtered rows to CSV.

use super::app::{App, Effect, Msg, Overlay};
use super::field::Field;
use super::keymap::Cmd;
use crate::api::LocalState;
use crate::journal::{EventRow, ExecutionRow, HistoryFilter, Page};

/// Rows per page: what one query loads and what is held in memory.
pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    All,
    /// Everything that may still change: what on-call looks at first.
    NotFinal,
    One(LocalState),
}

impl StateFilter {
    pub fn next(self) -> StateFilter {
        let all = LocalState::ALL;
        match self {
            StateFilter::All => StateFilter::NotFinal,
            StateFilter::NotFinal => StateFilter::One(all[0]),
            StateFilter::One(s) => match all.iter().position(|x| *x == s) {
                Some(i) if i + 1 < all.len() => StateFilter::One(all[i + 1]),
                _ => StateFilter::All,
            },
        }
    }

    pub fn states(self) -> Vec<LocalState> {
        match self {
            StateFilter::All => Vec::new(),
            StateFilter::NotFinal => LocalState::ALL
                .into_iter()
                .filter(|s| !s.is_final())
                .collect(),
            StateFilter::One(s) => vec![s],
        }
    }

    pub fn label(self) -> String {
        match self {
            StateFilter::All => "all states".into(),
            StateFilter::NotFinal => "not final".into(),
            StateFilter::One(s) => s.as_str().into(),
        }
    }
}

/// Where the selection lands when a page arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    First,
    Last,
    Keep(usize),
}

#[derive(Debug)]
pub struct HistoryPane {
    pub rows: Vec<ExecutionRow>,
    pub selected: usize,
    /// First row shown (the table scrolls within the page).
    pub offset: usize,
    /// The keyset cursor of the page on screen (`None`: the newest).
    pub before: Option<i64>,
    /// Cursors of the pages above, for paging back.
    pub back: Vec<Option<i64>>,
    pub has_more: bool,
    /// Rows matching the filter, counted up to the journal's cap.
    pub total: Option<u64>,
    pub search: Field,
    pub searching: bool,
    pub states: StateFilter,
    /// The id of the page request in flight.
    pub loading: Option<u64>,
    pub landing: Landing,
    pub error: Option<String>,
    pub page_size: usize,
    /// An execution changed while a page was loading: load the page again when it lands.
    pub stale: bool,
}

impl Default for HistoryPane {
    fn default() -> Self {
        HistoryPane {
            rows: Vec::new(),
            selected: 0,
            offset: 0,
            before: None,
            back: Vec::new(),
            has_more: false,
            total: None,
            search: Field::default(),
            searching: false,
            states: StateFilter::All,
            loading: None,
            landing: Landing::First,
            error: None,
            page_size: PAGE_SIZE,
            stale: false,
        }
    }
}

impl HistoryPane {
    pub fn filter(&self) -> HistoryFilter {
        let search = self.search.trimmed();
        HistoryFilter {
            states: self.states.states(),
            search: (!search.is_empty()).then(|| search.to_string()),
            ..HistoryFilter::default()
        }
    }

    pub fn selected_row(&self) -> Option<&ExecutionRow> {
        self.rows.get(self.selected)
    }

    /// Index of the first row on screen in the whole listing (page number × page size).
    pub fn page_start(&self) -> usize {
        self.back.len() * self.page_size
    }

    pub fn keep_visible(&mut self, visible: usize) {
        let visible = visible.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + visible {
            self.offset = self.selected + 1 - visible;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(1));
    }

    pub fn select_index(&mut self, i: usize) {
        if i < self.rows.len() {
            self.selected = i;
        }
    }

    /// A fresher copy of a row on screen (after a poll or a status check).
    pub fn replace_row(&mut self, row: ExecutionRow) {
        if let Some(r) = self
            .rows
            .iter_mut()
            .find(|r| r.reference_id == row.reference_id)
        {
            *r = row;
        }
    }
}

impl App {
    /// Loads the page on screen again (`reset`: the newest page, selection on top).
    pub fn history_reload(&mut self, reset: bool) -> Vec<Effect> {
        let h = &mut self.history;
        if reset {
            h.back.clear();
            h.before = None;
            h.landing = Landing::First;
            h.offset = 0;
        } else {
            h.landing = Landing::Keep(h.selected);
        }
        self.history_load()
    }

    fn history_load(&mut self) -> Vec<Effect> {
        let id = self.next_id();
        let h = &mut self.history;
        h.loading = Some(id);
        vec![Effect::LoadHistory {
            id,
            filter: h.filter(),
            page: Page {
                limit: h.page_size,
                before: h.before,
            },
        }]
    }

    /// After an execution changed: reload when the newest page is on screen.
    pub fn history_refresh_first_page(&mut self) -> Vec<Effect> {
        if self.history.before.is_some() {
            return Vec::new();
        }
        if self.history.loading.is_some() {
            self.history.stale = true;
            return Vec::new();
        }
        self.history_reload(false)
    }

    fn history_next_page(&mut self) -> Vec<Effect> {
        let h = &mut self.history;
        let Some(last) = h.rows.last() else {
            return Vec::new();
        };
        if !h.has_more || h.loading.is_some() {
            return Vec::new();
        }
        let cursor = Some(last.seq);
        h.back.push(h.before);
        h.before = cursor;
        h.landing = Landing::First;
        h.offset = 0;
        self.history_load()
    }

    fn history_prev_page(&mut self) -> Vec<Effect> {
        let h = &mut self.history;
        if h.loading.is_some() {
            return Vec::new();
        }
        let Some(cursor) = h.back.pop() else {
            return Vec::new();
        };
        h.before = cursor;
        h.landing = Landing::Last;
        self.history_load()
    }
}

pub fn history_command(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let visible = app.history_rows_visible();
    let h = &mut app.history;
    let len = h.rows.len();
    let fx = match cmd {
        Cmd::Down if h.selected + 1 < len => {
            h.selected += 1;
            Vec::new()
        }
        Cmd::Down => app.history_next_page(),
        Cmd::Up if h.selected > 0 => {
            h.selected -= 1;
            Vec::new()
        }
        Cmd::Up => app.history_prev_page(),
        Cmd::PageDown if h.selected + visible < len => {
            h.selected += visible;
            Vec::new()
        }
        Cmd::PageDown if h.has_more => app.history_next_page(),
        Cmd::PageDown | Cmd::Bottom => {
            h.selected = len.saturating_sub(1);
            Vec::new()
        }
        Cmd::PageUp if h.selected >= visible => {
            h.selected -= visible;
            Vec::new()
        }
        Cmd::PageUp if !h.back.is_empty() => app.history_prev_page(),
        Cmd::PageUp => {
            h.selected = 0;
            Vec::new()
        }
        Cmd::Top => app.history_reload(true),
        Cmd::Refresh => app.history_reload(false),
        Cmd::Filter => {
            h.searching = true;
            Vec::new()
        }
        Cmd::Select if h.searching => {
            h.searching = false;
            Vec::new()
        }
        Cmd::Select => match h.selected_row() {
            Some(row) => {
                let reference = row.reference_id.clone();
                app.overlay = Some(Overlay::Detail(Box::new(Detail {
                    reference: reference.clone(),
                    row: Some(row.clone()),
                    events: Vec::new(),
                    loading: true,
                    error: None,
                    scroll: 0,
                })));
                vec![Effect::LoadDetail { reference }]
            }
            None => Vec::new(),
        },
        Cmd::Back => {
            let had = h.searching || !h.search.is_empty() || h.states != StateFilter::All;
            h.searching = false;
            h.search.clear();
            h.states = StateFilter::All;
            if had {
                app.history_reload(true)
            } else {
                Vec::new()
            }
        }
        Cmd::StateFilter => {
            h.states = h.states.next();
            app.history_reload(true)
        }
        Cmd::CheckStatus => match h.selected_row() {
            Some(row) if row.state.is_final() => {
                let msg = format!("{} is final ({})", row.reference_id, row.state);
                app.info(msg);
                Vec::new()
            }
            Some(row) => {
                let reference = row.reference_id.clone();
                app.info(format!("asking the status of {reference}…"));
                vec![Effect::CheckStatus { reference }]
            }
            None => Vec::new(),
        },
        Cmd::ExportCsv => {
            let filter = h.filter();
            let what = h.states.label();
            app.info(format!(
                "exporting the rows matching the filter ({what}) to CSV…"
            ));
            vec![Effect::ExportCsv { filter }]
        }
        _ => Vec::new(),
    };
    app.history.keep_visible(visible);
    fx
}

/// One execution and its event trail, over the panes.
#[derive(Debug)]
pub struct Detail {
    pub reference: String,
    pub row: Option<ExecutionRow>,
    pub events: Vec<EventRow>,
    pub loading: bool,
    pub error: Option<String>,
    pub scroll: u16,
}

/// The reference of the open detail overlay.
pub fn detail_reference(app: &App) -> Option<&str> {
    match &app.overlay {
        Some(Overlay::Detail(d)) => Some(d.reference.as_str()),
        _ => None,
    }
}

pub fn detail_command(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let Some(Overlay::Detail(d)) = &mut app.overlay else {
        return Vec::new();
    };
    match cmd {
        Cmd::Up => d.scroll = d.scroll.saturating_sub(1),
        Cmd::Down => d.scroll = d.scroll.saturating_add(1),
        Cmd::Back => app.overlay = None,
        Cmd::CheckStatus => {
            let reference = d.reference.clone();
            match d.row.as_ref().map(|r| r.state) {
                Some(st) if st.is_final() => app.info(format!("{reference} is final ({st})")),
                _ => {
                    app.info(format!("asking the status of {reference}…"));
                    return vec![Effect::CheckStatus { reference }];
                }
            }
        }
        Cmd::SupportBundle => {
            return vec![Effect::SupportBundle {
                reference: d.reference.clone(),
            }];
        }
        _ => {}
    }
    Vec::new()
}

pub fn on_history_msg(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::HistoryPage { id, page, result } => {
            let h = &mut app.history;
            if h.loading != Some(id) {
                return Vec::new();
            }
            h.loading = None;
            match result {
                Ok((rows, total)) => {
                    h.has_more = page.next(&rows).is_some();
                    h.rows = rows;
                    h.total = Some(total);
                    h.error = None;
                    let last = h.rows.len().saturating_sub(1);
                    h.selected = match h.landing {
                        Landing::First => 0,
                        Landing::Last => last,
                        Landing::Keep(i) => i.min(last),
                    };
                    if h.landing != Landing::Keep(h.selected) {
                        h.offset = 0;
                    }
                }
                Err(e) => h.error = Some(e),
            }
            let visible = app.history_rows_visible();
            app.history.keep_visible(visible);
            if std::mem::take(&mut app.history.stale) {
                return app.history_refresh_first_page();
            }
        }
        Msg::Detail { reference, result } => {
            if let Some(Overlay::Detail(d)) = &mut app.overlay
                && d.reference == reference
            {
                d.loading = false;
                match result {
                    Ok((row, events)) => {
                        d.row = Some(row);
                        d.events = events;
                        d.error = None;
                    }
                    Err(e) => d.error = Some(e),
                }
            }
        }
        Msg::Exported(result) => match result {
            // The file name first: a narrow notice line cuts the end, and the directory is the
            // part the operator already knows (the data dir's exports/).
            Ok((path, n)) => app.info(format!("exported {n} row(s): {}", name_then_dir(&path))),
            Err(e) => app.error(format!("export failed: {e}")),
        },
        _ => {}
    }
    Vec::new()
}

/// `history-….csv in /home/…/exports`: the part that differs first.
pub(super) fn name_then_dir(path: &std::path::Path) -> String {
    match (path.file_name(), path.parent()) {
        (Some(name), Some(dir)) => format!("{} in {}", name.to_string_lossy(), dir.display()),
        _ => path.display().to_string(),
    }
}
