//! Pure types and rules of the seller's world: no IO, no terminal.

pub mod account;
pub mod category;
pub mod classify;
pub mod clock;
pub mod compliance;
pub mod identifiers;
pub mod language;
pub mod message;
pub mod metrics;
pub mod response;
pub mod template;
pub mod template_fit;
