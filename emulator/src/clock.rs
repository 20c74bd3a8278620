//! Dates as the portal stores and prints them: Unix seconds inside, ISO-8601 in the portal's
//! UTC offset outside, and the `time` block every answer carries.
//!
//! The portal runs at UTC+03:00 (the offset of the data-types page and several task
//! examples). Stored dates come from a logical clock that starts at
//! [`LOGICAL_BASE`] and moves one minute per write, so answers are reproducible; only the
//! `time` block reads the wall clock.

use serde_json::{json, Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// The portal's offset from UTC, in seconds.
pub const PORTAL_OFFSET: i64 = 3 * 3600;

/// 2026-11-02T09:00:00+03:00: "now" for a freshly seeded portal.
pub const LOGICAL_BASE: i64 = 1_793_599_200;

/// Seconds after which the `operating` budget of a method resets (the 10-minute window).
const OPERATING_WINDOW: i64 = 600;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Unix seconds of a wall-clock time in the portal's offset.
pub fn portal_ts(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> i64 {
    days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - PORTAL_OFFSET
}

/// `YYYY-MM-DDThh:mm:ss±hh:mm` of `ts` seen at `offset`.
pub fn iso_at(ts: i64, offset: i64) -> String {
    let local = ts.saturating_add(offset);
    let (y, mo, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.abs();
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 3600,
        off % 3600 / 60
    )
}

/// `ts` in the portal's offset.
pub fn iso(ts: i64) -> String {
    iso_at(ts, PORTAL_OFFSET)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// Reads the date forms clients send: `YYYY-MM-DD`, `YYYY-MM-DD[T ]hh:mm[:ss[.fraction]]`
/// followed by nothing (portal time), `Z`, `±hh:mm` or `±hhmm`, and the portal's locale form
/// `DD.MM.YYYY[ hh:mm[:ss]]`. Anything else is `None`.
pub fn parse_date(input: &str) -> Option<i64> {
    let s = input.trim();
    if s.len() < 10 || !s.is_ascii() {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let b = date.as_bytes();
    let (year, month, day) = if b[4] == b'-' && b[7] == b'-' {
        (
            digits(&date[0..4])?,
            digits(&date[5..7])?,
            digits(&date[8..10])?,
        )
    } else if b[2] == b'.' && b[5] == b'.' {
        (
            digits(&date[6..10])?,
            digits(&date[3..5])?,
            digits(&date[0..2])?,
        )
    } else {
        return None;
    };
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut offset = PORTAL_OFFSET;
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', ' '])?;
        let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let mut parts = clock.split(':');
        hour = digits(parts.next()?)?;
        minute = digits(parts.next()?)?;
        if let Some(sec) = parts.next() {
            let whole = sec.split('.').next()?;
            second = digits(whole)?;
        }
        if parts.next().is_some() || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        if zone.eq_ignore_ascii_case("z") {
            offset = 0;
        } else if !zone.is_empty() {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let hhmm: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if hhmm.len() != 4 {
                return None;
            }
            let (oh, om) = (digits(&hhmm[0..2])?, digits(&hhmm[2..4])?);
            if oh > 14 || om > 59 {
                return None;
            }
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn unix_f64(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Rounds to microseconds, the precision PHP's `microtime(true)` prints.
fn micro(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The full `time` block: start, finish, duration, processing, date_start, date_finish,
/// operating_reset_at, operating.
pub fn time_block(start: SystemTime, finish: SystemTime) -> Value {
    let (s, f) = (micro(unix_f64(start)), micro(unix_f64(finish)));
    let f = f.max(s);
    let duration = f - s;
    // whole seconds fit i64 for any real clock
    let whole = |x: f64| x.floor() as i64;
    let mut m = Map::new();
    m.insert("start".into(), json!(s));
    m.insert("finish".into(), json!(f));
    m.insert("duration".into(), json!(duration));
    m.insert("processing".into(), json!(duration));
    m.insert("date_start".into(), json!(iso(whole(s))));
    m.insert("date_finish".into(), json!(iso(whole(f))));
    m.insert(
        "operating_reset_at".into(),
        json!(whole(s) + OPERATING_WINDOW),
    );
    m.insert("operating".into(), json!(duration));
    Value::Object(m)
}

/// The keys of a [`time_block`], in order.
pub const TIME_KEYS: [&str; 8] = [
    "start",
    "finish",
    "duration",
    "processing",
    "date_start",
    "date_finish",
    "operating_reset_at",
    "operating",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_logical_base_is_the_documented_instant() {
        assert_eq!(portal_ts(2026, 11, 2, 9, 0, 0), LOGICAL_BASE);
        assert_eq!(iso(LOGICAL_BASE), "2026-11-02T09:00:00+03:00");
        assert_eq!(iso_at(LOGICAL_BASE, 0), "2026-11-02T06:00:00+00:00");
        assert_eq!(iso_at(LOGICAL_BASE, -5400), "2026-11-02T04:30:00-01:30");
    }

    #[test]
    fn calendar_round_trips() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_394, 60_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(
            days_from_civil(2024, 2, 29) + 1,
            days_from_civil(2024, 3, 1)
        );
    }

    #[test]
    fn every_accepted_form_means_the_same_instant() {
        let t = portal_ts(2026, 4, 10, 17, 0, 0);
        for s in [
            "2026-04-10T17:00:00+03:00",
            "2026-04-10T14:00:00Z",
            "2026-04-10T16:00:00+0200",
            "2026-04-10 17:00:00",
            "2026-04-10T17:00",
            "2026-04-10T17:00:00.250+03:00",
            "10.04.2026 17:00:00",
            " 2026-04-10T17:00:00+03:00 ",
        ] {
            assert_eq!(parse_date(s), Some(t), "{s}");
        }
        assert_eq!(
            parse_date("2026-04-10"),
            Some(portal_ts(2026, 4, 10, 0, 0, 0))
        );
        for bad in [
            "",
            "tomorrow",
            "2026-13-01",
            "2026-02-30",
            "2026-04-10T25:00:00",
            "2026-04-10X",
            "2026-04-10T10:00:00+99:00",
            "２０２６-04-10",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_block_has_the_eight_documented_keys() {
        let s = UNIX_EPOCH + Duration::from_secs(LOGICAL_BASE as u64);
        let t = time_block(s, s + Duration::from_millis(250));
        let keys: Vec<&str> = t
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, TIME_KEYS);
        assert_eq!(t["duration"], json!(0.25));
        assert_eq!(t["date_start"], "2026-11-02T09:00:00+03:00");
        assert_eq!(t["operating_reset_at"], LOGICAL_BASE + 600);
    }
}
