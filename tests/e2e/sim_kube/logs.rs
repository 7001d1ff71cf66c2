//! Pod log options as the kubelet honours them.

use chrono::Timelike;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{LogParams, PostParams};
use kube::Api;

use super::{api_error, kaniko_pod, pr41, raw, scenario, start, wait_phase, NS};

#[tokio::test]
async fn log_options_match_the_kubelet() {
    // Slow enough lines that the build spans more than one second.
    let (sim, client) = start(scenario(|k| {
        k.kaniko_line_ms = 12;
        k.log_lines_scale = 3.0;
    }))
    .await;
    let api: Api<Pod> = Api::namespaced(client, NS);
    let (sha, _) = pr41();
    api.create(
        &PostParams::default(),
        &kaniko_pod("logs", &sha, "r.example/ml/trainer:v1"),
    )
    .await
    .unwrap();
    wait_phase(&api, "logs", "Succeeded").await;
    let produced = sim.kube().logs_of(NS, "logs", "kaniko");
    let plain: String = produced.iter().map(|(_, l)| format!("{l}\n")).collect();
    assert_eq!(
        api.logs("logs", &LogParams::default()).await.unwrap(),
        plain
    );

    // timestamps: the production time, nine fraction digits, a space.
    let stamped = api
        .logs(
            "logs",
            &LogParams {
                timestamps: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    for (line, (at, text)) in stamped.lines().zip(&produced) {
        let (stamp, rest) = line.split_once(' ').unwrap();
        assert_eq!(stamp, at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string());
        assert_eq!(stamp.len(), "2026-11-25T10:00:00.123456789Z".len());
        assert_eq!(rest, text);
    }

    // sinceTime at a whole second: exactly the lines produced at or after it.
    let first_second = produced[0].0.timestamp();
    let (cut_index, _) = produced
        .iter()
        .enumerate()
        .find(|(_, (at, _))| at.timestamp() > first_second)
        .expect("the build should span more than one second");
    let boundary = produced[cut_index].0.with_nanosecond(0).unwrap();
    let since = LogParams {
        since_time: Some(k8s_openapi::jiff::Timestamp::from_second(boundary.timestamp()).unwrap()),
        ..LogParams::default()
    };
    let resumed = api.logs("logs", &since).await.unwrap();
    let expected: String = produced
        .iter()
        .filter(|(at, _)| *at >= boundary)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!(resumed, expected);
    assert!(!resumed.is_empty() && resumed.len() < plain.len());
    // Like the real API server, a fractional sinceTime counts from its whole second.
    let mid = produced[cut_index + 1].0;
    let query = format!("sinceTime={}", mid.format("%Y-%m-%dT%H:%M:%S%.9fZ"));
    let (status, content_type, body) = raw(
        &sim,
        &format!("/api/v1/namespaces/{NS}/pods/logs/log?{query}"),
    )
    .await;
    assert_eq!((status, content_type.as_str()), (200, "text/plain"));
    let whole_second = mid.with_nanosecond(0).unwrap();
    let from_second: String = produced
        .iter()
        .filter(|(at, _)| *at >= whole_second)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!(body, from_second);

    // tailLines, limitBytes, sinceSeconds.
    let tail = api
        .logs(
            "logs",
            &LogParams {
                tail_lines: Some(3),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    let last3: String = produced[produced.len() - 3..]
        .iter()
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!(tail, last3);
    let limited = api
        .logs(
            "logs",
            &LogParams {
                limit_bytes: Some(100),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(limited, plain[..100]);
    let recent = api
        .logs(
            "logs",
            &LogParams {
                since_seconds: Some(3600),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(recent, plain);

    // previous: containers never restarted.
    let err = api
        .logs(
            "logs",
            &LogParams {
                previous: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap_err();
    let status = api_error(err);
    assert_eq!((status.code, status.reason.as_str()), (400, "BadRequest"));
    assert_eq!(
        status.message,
        "previous terminated container \"kaniko\" in pod \"logs\" not found"
    );
}
