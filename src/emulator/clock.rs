//! Calendar arithmetic, ISO-8601 rendering and parsing in the portal offset, the logical
//! clock's base, and the v2 `time` block.

use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// The portal's UTC offset in seconds (+03:00).
pub const PORTAL_OFFSET: i64 = 3 * 3600;

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

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
    let local = ts + PORTAL_OFFSET;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+03:00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
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

fn unix_f64(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_micros() as f64) / 1_000_000.0,
        Err(_) => 0.0,
    }
}

fn round6(x: f64) -> f64 {
    (x * 1_000_000.0).round() / 1_000_000.0
}

/// The six-field `time` block of a batch sub-result (`result_time` entries).
pub fn short_time_block(start: SystemTime, finish: SystemTime) -> Value {
    let s = unix_f64(start);
    let f = unix_f64(finish).max(s);
    json!({
        "start": round6(s),
        "finish": round6(f),
        "duration": round6(f - s),
        "processing": round6(f - s),
        "date_start": format_iso(s.floor() as i64),
        "date_finish": format_iso(f.floor() as i64),
    })
}

/// The full v2 `time` block.
pub fn time_block(start: SystemTime, finish: SystemTime) -> Value {
    let mut v = short_time_block(start, finish);
    let s = unix_f64(start).floor() as i64;
    if let Some(m) = v.as_object_mut() {
        m.insert("operating_reset_at".into(), json!(s + 600));
        m.insert("operating".into(), json!(0));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
        assert_eq!(
            keys,
            [
                "start",
                "finish",
                "duration",
                "processing",
                "date_start",
                "date_finish",
                "operating_reset_at",
                "operating"
            ]
        );
        assert_eq!(t["duration"], json!(0.25));
        assert_eq!(t["date_start"], "2026-11-02T09:00:00+03:00");
        assert_eq!(t["operating_reset_at"], 1_793_599_800);
    }
}
