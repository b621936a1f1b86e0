//! Helpers shared by the behaviour tests.

pub mod smtp;
