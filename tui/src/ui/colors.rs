//! Colours: xi's ARGB numbers and theme colours to terminal colours,
//! truecolor when the terminal says so (COLORTERM), nearest of the 256
//! palette otherwise; `def_style` entries to ratatui styles.

use ratatui::style::{Color, Modifier, Style};
use symphony_protocol::xi::{Color as XiColor, StyleDef};

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    /// 24-bit colour.
    TrueColor,
    /// The xterm 256-colour palette.
    Ansi256,
}

impl ColorMode {
    /// From the value of `COLORTERM`.
    pub fn from_colorterm(value: Option<&str>) -> ColorMode {
        match value {
            Some(v) if v.eq_ignore_ascii_case("truecolor") || v.eq_ignore_ascii_case("24bit") => {
                ColorMode::TrueColor
            }
            _ => ColorMode::Ansi256,
        }
    }

    /// A colour from its red, green and blue.
    pub fn rgb(self, r: u8, g: u8, b: u8) -> Color {
        match self {
            ColorMode::TrueColor => Color::Rgb(r, g, b),
            ColorMode::Ansi256 => Color::Indexed(nearest_256(r, g, b)),
        }
    }

    /// A colour from xi's ARGB u32 (`0xFF268BD2`).
    pub fn argb(self, argb: u32) -> Color {
        let [_, r, g, b] = argb.to_be_bytes();
        self.rgb(r, g, b)
    }

    /// A theme colour.
    pub fn theme(self, c: Option<XiColor>) -> Option<Color> {
        c.map(|c| self.rgb(c.r, c.g, c.b))
    }

    /// A `def_style` entry as a style.
    pub fn style(self, def: &StyleDef) -> Style {
        let mut s = Style::default();
        if let Some(fg) = def.fg_color {
            s = s.fg(self.argb(fg));
        }
        if let Some(bg) = def.bg_color {
            s = s.bg(self.argb(bg));
        }
        if def.weight.is_some_and(|w| w >= 600) {
            s = s.add_modifier(Modifier::BOLD);
        }
        if def.italic == Some(true) {
            s = s.add_modifier(Modifier::ITALIC);
        }
        if def.underline == Some(true) {
            s = s.add_modifier(Modifier::UNDERLINED);
        }
        s
    }
}

const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    let (dr, dg, db) = (d(a.0, b.0), d(a.1, b.1), d(a.2, b.2));
    2 * dr * dr + 4 * dg * dg + 3 * db * db
}

/// The nearest colour of the xterm palette's 6x6x6 cube and grey ramp.
pub fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    let idx = |v: u8| {
        CUBE.iter()
            .enumerate()
            .min_by_key(|(_, c)| (i32::from(**c) - i32::from(v)).unsigned_abs())
            .map(|(i, _)| i)
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (idx(r), idx(g), idx(b));
    let cube = (CUBE[ri], CUBE[gi], CUBE[bi]);
    let cube_index = 16 + 36 * ri + 6 * gi + bi;
    let avg = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
    let grey_i = if avg < 8 { 0 } else { ((avg - 8) / 10).min(23) };
    let grey_v = (8 + grey_i * 10) as u8;
    let grey_index = 232 + grey_i as usize;
    let target = (r, g, b);
    let best = if dist(target, (grey_v, grey_v, grey_v)) < dist(target, cube) {
        grey_index
    } else {
        cube_index
    };
    best as u8
}

/// WCAG relative luminance of an sRGB colour (0 black to 1 white).
pub fn luminance(r: u8, g: u8, b: u8) -> f64 {
    let lin = |v: u8| {
        let c = f64::from(v) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a.0, a.1, a.2), luminance(b.0, b.1, b.2));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The text colour that reads best on `bg`: of the candidates (the theme's own
/// text colours first), the first with a contrast of at least 7:1 (WCAG AAA),
/// else pure black or white, whichever contrasts more.
pub fn readable_on(bg: (u8, u8, u8), candidates: &[(u8, u8, u8)]) -> (u8, u8, u8) {
    if let Some(c) = candidates.iter().find(|c| contrast(**c, bg) >= 7.0) {
        return *c;
    }
    if contrast((0, 0, 0), bg) >= contrast((255, 255, 255), bg) {
        (0, 0, 0)
    } else {
        (255, 255, 255)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_text_on_yellow_is_dark_and_on_navy_is_light() {
        let yellow = (229, 192, 123);
        let grey = (128, 128, 128);
        assert!(
            contrast(grey, yellow) < 3.0,
            "grey on yellow is the unreadable case"
        );
        let on_yellow = readable_on(yellow, &[grey]);
        assert!(contrast(on_yellow, yellow) >= 7.0, "{on_yellow:?}");
        let on_navy = readable_on((0, 0, 80), &[]);
        assert_eq!(on_navy, (255, 255, 255));
        // A theme colour that reads well is kept.
        assert_eq!(readable_on(yellow, &[(40, 44, 52)]), (40, 44, 52));
    }

    #[test]
    fn colorterm_picks_the_mode() {
        assert_eq!(
            ColorMode::from_colorterm(Some("truecolor")),
            ColorMode::TrueColor
        );
        assert_eq!(
            ColorMode::from_colorterm(Some("24bit")),
            ColorMode::TrueColor
        );
        assert_eq!(ColorMode::from_colorterm(None), ColorMode::Ansi256);
        assert_eq!(ColorMode::from_colorterm(Some("yes")), ColorMode::Ansi256);
    }

    #[test]
    fn argb_and_nearest_256() {
        assert_eq!(
            ColorMode::TrueColor.argb(4280716242),
            Color::Rgb(0x26, 0x8B, 0xD2)
        );
        assert_eq!(nearest_256(0, 0, 0), 16);
        assert_eq!(nearest_256(255, 255, 255), 231);
        assert_eq!(nearest_256(255, 0, 0), 196);
        assert_eq!(nearest_256(128, 128, 128), 244);
        assert_eq!(ColorMode::Ansi256.argb(0xFF268BD2), Color::Indexed(32));
    }

    #[test]
    fn def_style_maps_weight_and_flags() {
        let def = StyleDef {
            id: 2,
            fg_color: Some(0xFFFF0000),
            bg_color: None,
            weight: Some(700),
            italic: Some(true),
            underline: None,
        };
        let s = ColorMode::TrueColor.style(&def);
        assert_eq!(s.fg, Some(Color::Rgb(255, 0, 0)));
        assert!(s.add_modifier.contains(Modifier::BOLD | Modifier::ITALIC));
    }
}
