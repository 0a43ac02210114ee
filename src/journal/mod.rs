//! The execution journal: SQLite history of every execution (see issue 3).
