//! Named styles: views ask for a meaning ("critical"), never a colour.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::clock::ClockState;

pub fn clock(state: Option<ClockState>) -> Style {
    match state {
        Some(ClockState::Critical) => Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD),
        Some(ClockState::Overdue) => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Some(ClockState::DueSoon) => Style::new().fg(Color::Yellow),
        Some(ClockState::OnTrack) => Style::new().fg(Color::Green),
        None => Style::new().fg(Color::DarkGray),
    }
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn focused_border() -> Style {
    Style::new().fg(Color::Cyan)
}

pub fn border() -> Style {
    Style::new().fg(Color::Gray)
}

pub fn key() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

pub fn inbound() -> Style {
    Style::new().fg(Color::Yellow)
}

pub fn outbound() -> Style {
    Style::new().fg(Color::Green)
}

pub fn good() -> Style {
    Style::new().fg(Color::Green)
}

pub fn bad() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}

/// An unfilled placeholder in a reply: it blocks sending.
pub fn placeholder() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::LightRed)
        .add_modifier(Modifier::BOLD)
}

/// Text selected in the reply (a placeholder Tab selected): typing replaces it.
pub fn selection() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

/// A metric's status colour.
pub fn metric(status: crate::domain::metrics::Status) -> Style {
    use crate::domain::metrics::Status;
    match status {
        Status::Good => good(),
        Status::AtRisk => warn().add_modifier(Modifier::BOLD),
        Status::Bad => bad(),
        Status::NoData => dim(),
    }
}
