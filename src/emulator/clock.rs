//! Calendar arithmetic, ISO-8601 rendering and parsing in the portal offset, the logical
//! clock's base, and the v2 `time` block.

use serde_json::Value;
use std::time::SystemTime;

/// The portal's UTC offset in seconds (+03:00).
pub const PORTAL_OFFSET: i64 = 3 * 3600;

pub use crate::clock::days_from_civil;

/// Unix seconds of a wall-clock time in the portal offset.
pub fn portal_ts(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
    days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - PORTAL_OFFSET
}

/// Base of the logical clock: 2026-11-02T09:00:00+03:00.
pub fn logical_base() -> i64 {
    portal_ts(2026, 11, 2, 9, 0, 0)
}

/// `YYYY-MM-DDThh:mm:ss+03:00`.
pub fn format_iso(ts: i64) -> String {
    crate::clock::iso(ts, PORTAL_OFFSET)
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn valid_date(y: i64, m: i64, d: i64) -> bool {
    if !(1..=12).contains(&m) || d < 1 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    usize::try_from(m - 1)
        .ok()
        .and_then(|i| days.get(i))
        .is_some_and(|&max| d <= max)
}

/// Parses the date forms clients send: `YYYY-MM-DD`, `YYYY-MM-DD[T ]hh:mm[:ss[.fff]]` with an
/// optional `Z`, `±hh:mm` or `±hhmm` (no offset = portal time), and the portal locale form
/// `DD.MM.YYYY[ hh:mm[:ss]]`.
pub fn parse_iso(input: &str) -> Option<i64> {
    let s = input.trim();
    if s.len() < 10 || !s.is_ascii() {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let (y, m, d) = if date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-' {
        (num(&date[0..4])?, num(&date[5..7])?, num(&date[8..10])?)
    } else if date.as_bytes()[2] == b'.' && date.as_bytes()[5] == b'.' {
        (num(&date[6..10])?, num(&date[3..5])?, num(&date[0..2])?)
    } else {
        return None;
    };
    if !valid_date(y, m, d) {
        return None;
    }
    let mut offset = PORTAL_OFFSET;
    let (mut h, mut mi, mut sec) = (0, 0, 0);
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', ' '])?;
        // split the offset off
        let (time, off) = match rest.find(['Z', '+', '-']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let mut parts = time.split(':');
        h = num(parts.next()?)?;
        mi = num(parts.next()?)?;
        if let Some(sp) = parts.next() {
            let whole = sp.split('.').next()?;
            sec = num(whole)?;
        }
        if parts.next().is_some() || h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        if off == "Z" {
            offset = 0;
        } else if !off.is_empty() {
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let digits: String = off[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 {
                return None;
            }
            let oh = num(&digits[0..2])?;
            let om = num(&digits[2..4])?;
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// The full v2 `time` block, dates in the portal offset.
pub fn time_block(start: SystemTime, finish: SystemTime) -> Value {
    crate::clock::time_block_at(start, finish, PORTAL_OFFSET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::civil_from_days;
    use serde_json::json;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn base_renders_in_portal_offset() {
        assert_eq!(format_iso(logical_base()), "2026-11-02T09:00:00+03:00");
        assert_eq!(logical_base(), 1_793_599_200);
    }

    #[test]
    fn parses_every_accepted_form_to_the_same_instant() {
        let t = portal_ts(2026, 4, 10, 17, 0, 0);
        for s in [
            "2026-04-10T17:00:00+03:00",
            "2026-04-10T14:00:00Z",
            "2026-04-10T16:00:00+0200",
            "2026-04-10 17:00:00",
            "2026-04-10T17:00",
            "2026-04-10T17:00:00.250+03:00",
            "10.04.2026 17:00:00",
        ] {
            assert_eq!(parse_iso(s), Some(t), "{s}");
        }
        assert_eq!(
            parse_iso("2026-04-10"),
            Some(portal_ts(2026, 4, 10, 0, 0, 0))
        );
        for bad in [
            "",
            "tomorrow",
            "2026-13-01",
            "2026-02-30",
            "2026-04-10T25:00:00",
            "2026-04-10X",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_across_years() {
        for days in [-1000, 0, 10_000, 20_000, 30_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn time_block_has_all_eight_fields() {
        let s = UNIX_EPOCH + Duration::from_secs(1_793_599_200);
        let f = s + Duration::from_millis(250);
        let t = time_block(s, f);
        let keys: Vec<&str> = t
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, crate::clock::TIME_KEYS);
        assert_eq!(t["duration"], json!(0.25));
        assert_eq!(t["date_start"], "2026-11-02T09:00:00+03:00");
        assert_eq!(t["operating_reset_at"], 1_793_599_800);
    }
}
