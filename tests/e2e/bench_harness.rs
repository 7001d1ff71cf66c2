//! `kfops bench logs`, the load harness behind docs/PERFORMANCE.md, on a small load: both
//! sides read every line, and the report carries the numbers and ratios it promises.

use serde_json::Value;

#[test]
fn the_log_harness_reads_every_line_on_both_sides_and_reports_ratios() {
    let Some(kubectl) = crate::kubectl::kubectl() else {
        return;
    };
    let out = crate::support::kfops_command()
        .args([
            "bench",
            "logs",
            "--streams",
            "3",
            "--lines",
            "2000",
            "--json",
        ])
        .arg("--kubectl")
        .arg(&kubectl)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["console"]["lines"], 6_000);
    assert_eq!(report["kubectl"]["lines"], 6_000);
    // 3 × 2,000 lines of 100 bytes and a newline.
    assert_eq!(report["log_bytes"], 6_000 * 101);
    for key in ["throughput_ratio", "cpu_ratio", "memory_ratio"] {
        assert!(
            report[key].as_f64().is_some_and(|r| r > 0.0),
            "{key}: {report}"
        );
    }
    for side in ["console", "kubectl"] {
        assert!(report[side]["cpu_seconds"].as_f64().is_some(), "{report}");
        assert!(report[side]["peak_memory_bytes"]
            .as_u64()
            .is_some_and(|b| b > 0));
    }
    let per_byte = report["store_bytes_per_log_byte"].as_f64().unwrap();
    assert!(per_byte > 1.0, "the store holds the text: {per_byte}");
}

#[test]
fn the_log_harness_rejects_an_empty_load() {
    let out = crate::support::kfops_command()
        .args(["bench", "logs", "--streams", "0", "--no-kubectl"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--streams and --lines must be at least 1")
    );
}
