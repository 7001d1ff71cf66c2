//! The chat-ops service's front end (`kfops serve`, issue #17 point 1): GitHub webhooks
//! received over HTTP, each delivery's signature checked before its body is read
//! ([`signature`]), the event sorted into a command or a reason to ignore it ([`event`]),
//! each delivery handled once ([`deliveries`]).

pub mod deliveries;
pub mod event;
pub mod router;
pub mod signature;
pub mod start;
