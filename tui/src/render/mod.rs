//! Writing frames to the terminal: [`Screen`] (whole frames, or only the
//! rows a keystroke changed), [`Output`], a ratatui backend that keeps
//! the last frame to send fewer bytes (row shifts with ICH/DCH, SGR changes
//! only, cursor moves only when needed), and [`sgr`], its colour encoder.

pub mod output;
pub mod screen;
pub mod sgr;

pub use output::Output;
pub use screen::Screen;
