//! Text for people: buyer-written text made safe for a terminal (`safe_text`), columns by
//! display width (`columns`), times in the seller's zone (`time_fmt`), and TOML files read with
//! errors that name line and key (`toml_file`).

pub mod columns;
pub mod safe_text;
pub mod time_fmt;
pub mod toml_file;
