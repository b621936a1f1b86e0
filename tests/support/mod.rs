//! Helpers shared by the behaviour tests (each test file uses its own part of them).
#![allow(dead_code)]

pub mod bin;
pub mod home;
pub mod pty;
pub mod queued;
pub mod smtp;
