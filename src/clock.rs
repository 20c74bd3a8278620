//! Wall-clock helpers for `time` blocks the bridge has to write itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// Seconds since the Unix epoch, with fractions.
pub fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
}

/// ISO-8601 with offset, as v2 `date_start` is written, in UTC.
pub fn iso_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A full v2 `time` block for a request served between `start` and `finish`, for answers
/// the portal did not time itself.
pub fn time_block(start: SystemTime, finish: SystemTime) -> Value {
    let s = unix_seconds(start);
    let f = unix_seconds(finish);
    let round = |x: f64| (x * 1e6).round() / 1e6;
    json!({
        "start": round(s),
        "finish": round(f),
        "duration": round(f - s),
        "processing": round(f - s),
        "date_start": iso_utc(start),
        "date_finish": iso_utc(finish),
        "operating_reset_at": (s as i64) + 600,
        "operating": 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_with_offset() {
        let t = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        assert_eq!(iso_utc(t), "2026-01-01T00:00:00+00:00");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn a_time_block_has_every_v2_key() {
        let t = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let block = time_block(t, t + Duration::from_millis(250));
        for key in [
            "start",
            "finish",
            "duration",
            "processing",
            "date_start",
            "date_finish",
            "operating_reset_at",
            "operating",
        ] {
            assert!(block.get(key).is_some(), "{key}");
        }
        assert_eq!(block["duration"], 0.25);
    }
}
