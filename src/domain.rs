//! Pure types and rules of the seller's world: no IO, no terminal.

pub mod clock;
pub mod identifiers;
pub mod message;
pub mod response;
pub mod template;
