//! Pipeline runs for the graph pane: one run (with its pipeline version's spec), loaded with
//! the engine of the run's project.

use super::command::LoadedRun;
use super::services::Engine;
use crate::backends::error::Service;
use crate::backends::BackendError;

/// A run, with its pipeline version's spec when asked for.
pub async fn load_run(
    engine: &Engine,
    run_id: &str,
    spec: bool,
) -> Result<LoadedRun, BackendError> {
    let kfp = &engine.backends.kfp;
    let run = kfp.get_run(run_id).await?;
    let spec = if !spec {
        None
    } else if let Some(inline) = &run.pipeline_spec {
        Some((
            run.version_id().unwrap_or_default().to_string(),
            inline.clone(),
        ))
    } else {
        let reference = run.pipeline_version_reference.clone().ok_or_else(|| {
            BackendError::new(
                Service::Kfp,
                "load the run",
                "the run has neither a pipeline version nor a spec",
            )
        })?;
        let version_id = run.version_id().unwrap_or_default().to_string();
        let version = kfp.get_version(&reference.pipeline_id, &version_id).await?;
        version.pipeline_spec.map(|s| (version_id, s))
    };
    Ok(LoadedRun {
        run: Box::new(run),
        spec,
    })
}
