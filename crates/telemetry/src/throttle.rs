//! Spellings of clock throttle reasons, and which of them make a measurement suspect.

/// The GPU is idle; clocks dropped because there is no work (harmless).
pub const GPU_IDLE: &str = "gpu_idle";
/// Clocks capped by the application clock setting (harmless, but worth recording).
pub const APPLICATIONS_CLOCKS: &str = "applications_clocks_setting";
/// Software power capping lowered clocks to stay under the power limit.
pub const SW_POWER_CAP: &str = "sw_power_cap";
/// Hardware slowdown (clocks halved or worse: temperature, power brake, fast trigger).
pub const HW_SLOWDOWN: &str = "hw_slowdown";
/// Another GPU in the sync boost group holds clocks down.
pub const SYNC_BOOST: &str = "sync_boost";
/// Software thermal slowdown.
pub const SW_THERMAL_SLOWDOWN: &str = "sw_thermal_slowdown";
/// Hardware thermal slowdown.
pub const HW_THERMAL_SLOWDOWN: &str = "hw_thermal_slowdown";
/// External power brake (the power supply asked for less).
pub const HW_POWER_BRAKE_SLOWDOWN: &str = "hw_power_brake_slowdown";
/// Clocks limited by the display clock setting.
pub const DISPLAY_CLOCK_SETTING: &str = "display_clock_setting";

/// Whether a throttle reason means the device ran slower than it would have unhindered
/// (thermal, power cap, hardware slowdown), which invalidates a speed comparison.
pub fn is_performance_limiting(reason: &str) -> bool {
    matches!(
        reason,
        SW_POWER_CAP
            | HW_SLOWDOWN
            | SW_THERMAL_SLOWDOWN
            | HW_THERMAL_SLOWDOWN
            | HW_POWER_BRAKE_SLOWDOWN
            | SYNC_BOOST
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_and_app_clocks_are_not_limiting_but_thermal_and_power_are() {
        assert!(!is_performance_limiting(GPU_IDLE));
        assert!(!is_performance_limiting(APPLICATIONS_CLOCKS));
        assert!(is_performance_limiting(SW_POWER_CAP));
        assert!(is_performance_limiting(HW_THERMAL_SLOWDOWN));
        assert!(is_performance_limiting(HW_SLOWDOWN));
    }
}
