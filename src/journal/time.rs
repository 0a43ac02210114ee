//! Times as the journal stores them: UTC RFC 3339 text of a fixed width
//! (`2026-06-01T12:00:03.123456Z`), so that text order is time order.

use chrono::{DateTime, SecondsFormat, Utc};

pub(crate) fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn from_text(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) fn now_text() -> String {
    to_text(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stored_times_have_one_width_and_sort_as_text() {
        let a = Utc.with_ymd_and_hms(2026, 6, 1, 9, 5, 3).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        let (ta, tb) = (to_text(a), to_text(b));
        assert_eq!(ta, "2026-06-01T09:05:03.000000Z");
        assert_eq!(ta.len(), tb.len());
        assert!(ta < tb);
        assert_eq!(from_text(&tb), Some(b));
    }
}
