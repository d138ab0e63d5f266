//! Read-only mode: `slicesim hil --read-only` or `SLICESIM_HIL_READ_ONLY=1` (A1 in the HIL
//! review). The CLI refuses commands that can only write before it loads NVML; this module is the
//! second line: every NVML call that changes a GPU goes through [`check_write`] inside
//! [`super::raw`], so a bug elsewhere cannot write while the mode is on.

use nvml_wrapper::error::NvmlError;
use std::sync::atomic::{AtomicBool, Ordering};

/// Environment variable that turns read-only mode on (`1`; any value other than `0`, `false`,
/// `no` or empty counts as on, so a typo errs on the safe side).
pub const ENV: &str = "SLICESIM_HIL_READ_ONLY";

/// Error code [`check_write`] answers with (outside NVML's range, so it is never confused with
/// a driver error); [`super::nvml::describe`] names it.
pub const REFUSED_CODE: u32 = 0x5EAD_0001;

static READ_ONLY: AtomicBool = AtomicBool::new(false);

/// Turns read-only mode on for the rest of the process (there is no way back).
pub fn set_read_only() {
    READ_ONLY.store(true, Ordering::SeqCst);
}

/// True when the value of [`ENV`] turns read-only mode on.
pub fn env_value_on(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "no" | "off"
    )
}

/// True when read-only mode is on (the flag, or [`ENV`] read now).
pub fn read_only() -> bool {
    READ_ONLY.load(Ordering::SeqCst) || std::env::var(ENV).is_ok_and(|v| env_value_on(&v))
}

/// Refuses an NVML write (`call` names it) in read-only mode.
pub fn check_write(_call: &str) -> Result<(), NvmlError> {
    if read_only() {
        Err(NvmlError::UnexpectedVariant(REFUSED_CODE))
    } else {
        Ok(())
    }
}

/// The message of a write refused by read-only mode.
pub fn refused_text() -> String {
    format!(
        "READ-ONLY MODE: refused before calling NVML (--read-only or {ENV}=1 forbid every NVML \
         write)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_value_is_on_unless_it_says_off(v in ".{0,12}") {
            let off = ["", "0", "false", "no", "off"]
                .contains(&v.trim().to_ascii_lowercase().as_str());
            proptest::prop_assert_eq!(env_value_on(&v), !off);
        }
    }

    #[test]
    fn env_values() {
        for on in ["1", "true", "yes", "YES", " 1 ", "on", "typo"] {
            assert!(env_value_on(on), "{on}");
        }
        for off in ["", "0", "false", "no", "off", "FALSE"] {
            assert!(!env_value_on(off), "{off}");
        }
    }
}
