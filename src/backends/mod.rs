//! Real clients for the services kfops-console talks to. They know nothing about terminals:
//! the console calls them from its own tasks and receives results as messages.

pub mod cluster;
pub mod error;
pub mod github;
pub mod kfp;
pub mod knative;
pub mod kserve;
pub mod kubeconfig;
pub mod lease;
pub mod retry;

pub use error::BackendError;
