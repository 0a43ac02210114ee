//! payout-console: run Dollr payouts from a terminal, and inspect what happened to them.
//!
//! Only `tui` may use ratatui or crossterm. The headless commands and the TUI both go through
//! `payout`, the one place that decides what is sent, journaled and retried.

pub mod api;
pub mod cli;
pub mod config;
pub mod journal;
pub mod money;
pub mod payout;
pub mod sandbox;
pub mod tui;
