//! Text and number helpers that do without `core::fmt` and the float functions of `std`.
//!
//! The shipped build has no standard library, and `format!` would link in `core::fmt`, which
//! costs more than the rest of the crate's logic. Messages, storage keys and records are built by
//! joining pieces; the only numbers written are integers.

use crate::prelude::*;

/// The pieces joined, in order.
pub fn cat(pieces: &[&str]) -> String {
    let mut out = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for piece in pieces {
        out.push_str(piece);
    }
    out
}

/// Appends `n` in decimal.
pub fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 20];
    let mut rest = n.unsigned_abs();
    let mut start = digits.len();
    // 20 digits hold any u64, so the slots never run out.
    while let Some(slot) = start.checked_sub(1).and_then(|i| digits.get_mut(i)) {
        *slot = b'0' + (rest % 10) as u8;
        start -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in digits.get(start..).unwrap_or(&[]) {
        out.push(char::from(d));
    }
}

/// `n` in decimal.
pub fn int(n: i64) -> String {
    let mut out = String::new();
    push_int(&mut out, n);
    out
}

/// Appends `n` as 16 lowercase hex digits.
pub fn push_hex64(out: &mut String, n: u64) {
    for shift in (0..16).rev() {
        let nibble = ((n >> (shift * 4)) & 0xf) as u8;
        out.push(char::from(if nibble < 10 { b'0' + nibble } else { b'a' + nibble - 10 }));
    }
}

/// The integer part of `x` (toward zero), for |x| < 2^63; NaN gives 0.
fn trunc(x: f64) -> f64 {
    x as i64 as f64
}

/// Whether `x` is a whole number (for |x| < 2^63).
pub fn is_whole(x: f64) -> bool {
    trunc(x) == x
}

/// `x` rounded up to a whole number (for |x| < 2^63; NaN gives 0).
pub fn ceil(x: f64) -> f64 {
    let t = trunc(x);
    if t < x {
        t + 1.0
    } else {
        t
    }
}

/// `x` rounded to the nearest whole number, halves away from zero (for |x| < 2^63).
pub fn round(x: f64) -> i64 {
    if x < 0.0 {
        -((-x + 0.5) as i64)
    } else {
        (x + 0.5) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn integers_in_decimal() {
        for n in [0, 7, -7, 10, 1_700_000_000_000, i64::MAX, i64::MIN, -1, 99] {
            assert_eq!(int(n), format!("{n}"));
        }
    }

    #[test]
    fn hex_is_sixteen_digits() {
        for n in [0u64, 1, 0xabc, u64::MAX, 0x9e37_79b9_7f4a_7c15] {
            let mut out = String::new();
            push_hex64(&mut out, n);
            assert_eq!(out, format!("{n:016x}"));
        }
    }

    #[test]
    fn rounding_like_std() {
        for x in [0.0, 0.4, 0.5, 1.5, 2.5, -0.5, -1.2, -1.7, 1e12 + 0.3, 1_700_000_000_123.5, -3.0] {
            assert_eq!(ceil(x), x.ceil(), "ceil {x}");
            assert_eq!(round(x), x.round() as i64, "round {x}");
            assert_eq!(is_whole(x), x.fract() == 0.0, "whole {x}");
        }
        assert_eq!(cat(&["a", "", "bc"]), "abc");
    }
}
