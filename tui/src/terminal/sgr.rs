//! Shortest SGR (`CSI ... m`) sequences between two cell styles: only the
//! attributes that change, the 16 named colours in their short forms
//! (`31`, `97`, ...), one sequence per change, and a full reset only when it
//! is shorter than undoing attributes one by one.

use std::io::Write as _;

use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};

/// The attributes of a cell that SGR sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pen {
    /// Foreground.
    pub fg: Color,
    /// Background.
    pub bg: Color,
    /// Underline colour.
    pub underline: Color,
    /// Bold, italic, reversed, ...
    pub modifier: Modifier,
}

impl Pen {
    /// The terminal's state after `CSI 0 m`.
    pub const DEFAULT: Pen = Pen {
        fg: Color::Reset,
        bg: Color::Reset,
        underline: Color::Reset,
        modifier: Modifier::empty(),
    };

    /// The pen a cell is drawn with.
    pub fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            underline: cell.underline_color,
            modifier: cell.modifier,
        }
    }
}

/// Where a colour goes: foreground, background or underline.
#[derive(Clone, Copy)]
enum Layer {
    Fg,
    Bg,
    Underline,
}

/// Index of a named colour in the 16-colour palette.
fn named(c: Color) -> Option<u8> {
    Some(match c {
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        _ => return None,
    })
}

fn push_color(params: &mut Vec<u8>, layer: Layer, c: Color) {
    if !params.is_empty() {
        params.push(b';');
    }
    let (reset, base, bright, ext) = match layer {
        Layer::Fg => (39, 30, 90, 38),
        Layer::Bg => (49, 40, 100, 48),
        Layer::Underline => (59, 0, 0, 58),
    };
    let index = named(c).or(match c {
        Color::Indexed(i) => Some(i),
        _ => None,
    });
    let _ = match (c, index, layer) {
        (Color::Reset, _, _) => write!(params, "{reset}"),
        (Color::Rgb(r, g, b), _, _) => write!(params, "{ext};2;{r};{g};{b}"),
        (_, Some(i), Layer::Fg | Layer::Bg) if i < 8 => write!(params, "{}", base + i),
        (_, Some(i), Layer::Fg | Layer::Bg) if i < 16 => write!(params, "{}", bright + i - 8),
        (_, Some(i), _) => write!(params, "{ext};5;{i}"),
        (_, None, _) => write!(params, "{reset}"),
    };
}

/// SGR codes that switch a modifier on, in bit order.
const ON: [(Modifier, u8); 9] = [
    (Modifier::BOLD, 1),
    (Modifier::DIM, 2),
    (Modifier::ITALIC, 3),
    (Modifier::UNDERLINED, 4),
    (Modifier::SLOW_BLINK, 5),
    (Modifier::RAPID_BLINK, 6),
    (Modifier::REVERSED, 7),
    (Modifier::HIDDEN, 8),
    (Modifier::CROSSED_OUT, 9),
];

fn push_code(params: &mut Vec<u8>, code: u8) {
    if !params.is_empty() {
        params.push(b';');
    }
    let _ = write!(params, "{code}");
}

/// Parameters that take a terminal from `from` to `to`, changing only what differs.
fn incremental(from: Pen, to: Pen) -> Vec<u8> {
    let mut p = Vec::new();
    let off = from.modifier - to.modifier;
    // 22 ends both bold and dim; 25 both blinks.
    let mut on = to.modifier - from.modifier;
    if off.intersects(Modifier::BOLD | Modifier::DIM) {
        push_code(&mut p, 22);
        on |= to.modifier & (Modifier::BOLD | Modifier::DIM);
    }
    if off.contains(Modifier::ITALIC) {
        push_code(&mut p, 23);
    }
    if off.contains(Modifier::UNDERLINED) {
        push_code(&mut p, 24);
    }
    if off.intersects(Modifier::SLOW_BLINK | Modifier::RAPID_BLINK) {
        push_code(&mut p, 25);
        on |= to.modifier & (Modifier::SLOW_BLINK | Modifier::RAPID_BLINK);
    }
    if off.contains(Modifier::REVERSED) {
        push_code(&mut p, 27);
    }
    if off.contains(Modifier::HIDDEN) {
        push_code(&mut p, 28);
    }
    if off.contains(Modifier::CROSSED_OUT) {
        push_code(&mut p, 29);
    }
    for (m, code) in ON {
        if on.contains(m) {
            push_code(&mut p, code);
        }
    }
    if from.fg != to.fg {
        push_color(&mut p, Layer::Fg, to.fg);
    }
    if from.bg != to.bg {
        push_color(&mut p, Layer::Bg, to.bg);
    }
    if from.underline != to.underline {
        push_color(&mut p, Layer::Underline, to.underline);
    }
    p
}

/// Appends the shortest SGR sequence from `from` (`None`: unknown) to `to`.
pub fn transition(out: &mut Vec<u8>, from: Option<Pen>, to: Pen) {
    if from == Some(to) {
        return;
    }
    let mut reset = b"0".to_vec();
    let rest = incremental(Pen::DEFAULT, to);
    if !rest.is_empty() {
        reset.push(b';');
        reset.extend_from_slice(&rest);
    }
    let params = match from {
        Some(from) => {
            let inc = incremental(from, to);
            if inc.len() <= reset.len() { inc } else { reset }
        }
        None => reset,
    };
    out.extend_from_slice(b"\x1b[");
    out.extend_from_slice(&params);
    out.push(b'm');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(from: Option<Pen>, to: Pen) -> String {
        let mut out = Vec::new();
        transition(&mut out, from, to);
        String::from_utf8(out).expect("ascii")
    }

    fn pen(fg: Color, bg: Color, modifier: Modifier) -> Pen {
        Pen {
            fg,
            bg,
            underline: Color::Reset,
            modifier,
        }
    }

    #[test]
    fn only_what_changes_is_written() {
        let text = pen(Color::Rgb(1, 2, 3), Color::Rgb(4, 5, 6), Modifier::empty());
        let status = pen(text.fg, text.bg, Modifier::REVERSED);
        assert_eq!(seq(Some(text), status), "\x1b[7m");
        assert_eq!(seq(Some(status), text), "\x1b[27m");
        assert_eq!(seq(Some(text), text), "");
        assert_eq!(
            seq(None, text),
            "\x1b[0;38;2;1;2;3;48;2;4;5;6m",
            "an unknown state starts from a reset"
        );
        let named = pen(Color::Black, Color::Gray, Modifier::empty());
        assert_eq!(seq(Some(Pen::DEFAULT), named), "\x1b[30;47m");
        let bright = pen(Color::White, Color::DarkGray, Modifier::empty());
        assert_eq!(seq(Some(Pen::DEFAULT), bright), "\x1b[97;100m");
    }

    #[test]
    fn dropping_bold_keeps_dim_and_a_reset_is_used_when_shorter() {
        let both = pen(Color::Reset, Color::Reset, Modifier::BOLD | Modifier::DIM);
        let dim = pen(Color::Reset, Color::Reset, Modifier::DIM);
        assert_eq!(seq(Some(both), dim), "\x1b[0;2m", "a reset is shorter here");
        let many = pen(
            Color::Reset,
            Color::Reset,
            Modifier::ITALIC | Modifier::UNDERLINED | Modifier::REVERSED | Modifier::CROSSED_OUT,
        );
        assert_eq!(seq(Some(many), Pen::DEFAULT), "\x1b[0m");
    }
}
