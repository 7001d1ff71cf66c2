//! Helpers shared by the e2e test modules.
// Each test module uses a different part of the support code.
#![allow(dead_code)]

pub mod console;
pub mod deploy;
pub mod kfp_api;
pub mod openapi;
pub mod printer;
pub mod schema;
pub mod swagger;
