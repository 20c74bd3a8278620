//! Calendar arithmetic and the v2 `time` block, shared by the bridge (blocks for answers the
//! portal did not time itself) and the emulator.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The keys of a full v2 `time` block, in the server's order.
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

/// Seconds since the Unix epoch, with fractions.
pub fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
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

/// `YYYY-MM-DDThh:mm:ss±hh:mm` for Unix seconds `ts` at a UTC offset in seconds.
pub fn iso(ts: i64, offset: i64) -> String {
    let local = ts + offset;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        offset.abs() / 3600,
        offset.abs() % 3600 / 60
    )
}

/// A full v2 `time` block for a request served between `start` and `finish`, dates at a
/// UTC offset in seconds.
pub fn time_block_at(start: SystemTime, finish: SystemTime, offset: i64) -> Value {
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let s = unix_seconds(start);
    let f = unix_seconds(finish).max(s);
    json!({
        "start": round(s),
        "finish": round(f),
        "duration": round(f - s),
        "processing": round(f - s),
        "date_start": iso(s.floor() as i64, offset),
        "date_finish": iso(f.floor() as i64, offset),
        "operating_reset_at": s.floor() as i64 + 600,
        "operating": 0,
    })
}

/// A full v2 `time` block in UTC, for answers the portal did not time itself.
pub fn time_block(start: SystemTime, finish: SystemTime) -> Value {
    time_block_at(start, finish, 0)
}

/// Unix seconds of an ISO date with offset (`2026-03-31T12:00:00+03:00`).
pub fn parse_iso(date: &str) -> Option<i64> {
    let offset = offset_of(date)?;
    let (day, time) = date.get(..19)?.split_once('T')?;
    let mut d = day.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, dd) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&dd) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, m, dd) * 86_400 + h * 3600 + mi * 60 + s - i64::from(offset))
}

/// The UTC offset in seconds of an ISO date such as `2026-03-31T12:00:00+03:00`.
pub fn offset_of(date: &str) -> Option<i32> {
    let bytes = date.as_bytes();
    if date.ends_with('Z') {
        return Some(0);
    }
    let tail = date.get(date.len().checked_sub(6)?..)?;
    let sign = match bytes.get(date.len() - 6)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = tail[1..].split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_with_offset() {
        assert_eq!(iso(1_767_225_600, 0), "2026-01-01T00:00:00+00:00");
        assert_eq!(iso(1_767_225_600, 3 * 3600), "2026-01-01T03:00:00+03:00");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2026, 1, 1) * 86_400, 1_767_225_600);
    }

    #[test]
    fn offsets_are_read_from_iso_dates() {
        assert_eq!(offset_of("2026-03-31T12:00:00+03:00"), Some(3 * 3600));
        assert_eq!(
            offset_of("2026-03-31T12:00:00-05:30"),
            Some(-(5 * 3600 + 1800))
        );
        assert_eq!(offset_of("2026-03-31T12:00:00Z"), Some(0));
        assert_eq!(offset_of("2026-03-31T12:00:00"), None);
        assert_eq!(offset_of(""), None);
        assert_eq!(parse_iso("2026-01-01T03:00:00+03:00"), Some(1_767_225_600));
        assert_eq!(parse_iso("2026-01-01T00:00:00Z"), Some(1_767_225_600));
        assert_eq!(parse_iso("soon"), None);
    }

    #[test]
    fn a_time_block_has_every_v2_key_in_order() {
        let t = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let block = time_block(t, t + Duration::from_millis(250));
        let keys: Vec<&String> = block.as_object().unwrap().keys().collect();
        assert_eq!(keys, TIME_KEYS);
        assert_eq!(block["duration"], 0.25);
    }
}
