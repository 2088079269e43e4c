//! The bytes [`Output`] writes, replayed into a virtual terminal (`vt100`),
//! must show exactly ratatui's buffer: random edits (typed and deleted
//! characters, restyles, wide characters), frame after frame.

use std::num::NonZeroU16;

use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use super::*;

const W: u16 = 24;
const H: u16 = 5;

fn vt_color(c: Color) -> vt100::Color {
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        Color::Indexed(i) => vt100::Color::Idx(i),
        named => {
            let mut out = Vec::new();
            super::super::sgr::transition(
                &mut out,
                Some(Pen::DEFAULT),
                Pen {
                    fg: named,
                    ..Pen::DEFAULT
                },
            );
            let code: u8 = std::str::from_utf8(&out[2..out.len() - 1])
                .expect("ascii")
                .parse()
                .expect("a short colour code");
            vt100::Color::Idx(if code >= 90 { code - 90 + 8 } else { code - 30 })
        }
    }
}

/// The virtual screen equals the buffer, cell by cell.
fn assert_same(vt: &vt100::Parser, buf: &Buffer, step: usize) {
    let screen = vt.screen();
    for y in 0..H {
        let mut x = 0;
        while x < W {
            let want = &buf[(x, y)];
            let got = screen.cell(y, x).expect("a cell");
            let sym = if got.contents().is_empty() {
                " "
            } else {
                got.contents()
            };
            let at = format!("step {step}, cell ({x},{y})");
            assert_eq!(sym, want.symbol(), "{at}: text");
            assert_eq!(got.fgcolor(), vt_color(want.fg), "{at}: fg");
            assert_eq!(got.bgcolor(), vt_color(want.bg), "{at}: bg");
            assert_eq!(
                got.bold(),
                want.modifier.contains(Modifier::BOLD),
                "{at}: bold"
            );
            assert_eq!(
                got.inverse(),
                want.modifier.contains(Modifier::REVERSED),
                "{at}: reverse"
            );
            assert_eq!(
                got.italic(),
                want.modifier.contains(Modifier::ITALIC),
                "{at}: italic"
            );
            x += u16::try_from(cell_width(want).max(1)).expect("small");
        }
    }
}

/// One change to the text of the screen.
#[derive(Debug, Clone)]
enum Edit {
    /// Insert a character in a row (the rest shifts right).
    Type { row: usize, col: usize, c: char },
    /// Delete a character of a row (the rest shifts left).
    Delete { row: usize, col: usize },
    /// Change the style of a range of a row.
    Paint {
        row: usize,
        from: usize,
        to: usize,
        style: u8,
    },
    /// Replace a row.
    Replace { row: usize, text: String },
}

fn style(n: u8) -> Style {
    match n % 6 {
        0 => Style::default(),
        1 => Style::default()
            .fg(Color::Rgb(211, 208, 200))
            .bg(Color::Rgb(45, 45, 45)),
        2 => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        3 => Style::default().fg(Color::Indexed(200)).bg(Color::Gray),
        4 => Style::default().add_modifier(Modifier::REVERSED | Modifier::ITALIC),
        _ => Style::default().fg(Color::White).bg(Color::DarkGray),
    }
}

/// A screen as rows of (char, style number).
#[derive(Debug, Clone)]
struct Model {
    rows: Vec<Vec<(char, u8)>>,
    status: String,
}

impl Model {
    fn new() -> Self {
        Model {
            rows: (0..H - 1)
                .map(|r| {
                    format!("fn row_{r}() {{ x + y }}")
                        .chars()
                        .map(|c| (c, 1))
                        .collect()
                })
                .collect(),
            status: "1:1".into(),
        }
    }

    fn apply(&mut self, e: &Edit) {
        let rows = self.rows.len();
        match e {
            Edit::Type { row, col, c } => {
                let r = &mut self.rows[row % rows];
                let at = col % (r.len() + 1);
                r.insert(at, (*c, 1));
                self.status = format!("1:{}", at + 2);
            }
            Edit::Delete { row, col } => {
                let r = &mut self.rows[row % rows];
                if !r.is_empty() {
                    r.remove(col % r.len());
                }
            }
            Edit::Paint {
                row,
                from,
                to,
                style,
            } => {
                let r = &mut self.rows[row % rows];
                for cell in r.iter_mut().take(*to).skip(*from) {
                    cell.1 = *style;
                }
            }
            Edit::Replace { row, text } => {
                self.rows[row % rows] = text.chars().map(|c| (c, 0)).collect();
            }
        }
    }

    fn draw(&self, buf: &mut Buffer) {
        let base = style(1);
        for (y, row) in self.rows.iter().enumerate() {
            let y = y as u16;
            buf.set_style(Rect::new(0, y, W, 1), base);
            let mut x = 0u16;
            for (c, s) in row {
                if x >= W {
                    break;
                }
                let mut tmp = [0u8; 4];
                let (nx, _) = buf.set_stringn(
                    x,
                    y,
                    c.encode_utf8(&mut tmp),
                    usize::from(W - x),
                    base.patch(style(*s)),
                );
                x = nx;
            }
        }
        let status = Style::default().fg(Color::Black).bg(Color::Gray);
        buf.set_style(Rect::new(0, H - 1, W, 1), status);
        buf.set_stringn(W - 8, H - 1, &self.status, 8, status);
    }
}

use ratatui::layout::Rect;

fn edit() -> impl Strategy<Value = Edit> {
    let ch = prop_oneof![
        8 => proptest::char::range('a', 'z'),
        1 => Just('日'),
        1 => Just('é'),
    ];
    prop_oneof![
        5 => (0usize..4, 0usize..30, ch).prop_map(|(row, col, c)| Edit::Type { row, col, c }),
        3 => (0usize..4, 0usize..30).prop_map(|(row, col)| Edit::Delete { row, col }),
        2 => (0usize..4, 0usize..20, 0usize..30, 0u8..6)
            .prop_map(|(row, from, to, style)| Edit::Paint { row, from, to, style }),
        1 => (0usize..4, "[a-c日 ]{0,30}").prop_map(|(row, text)| Edit::Replace { row, text }),
    ]
}

fn run(edits: &[Edit]) -> u64 {
    let backend = Output::with_size(Vec::new(), W, H);
    let mut terminal = Terminal::new(backend).expect("terminal");
    let mut vt = vt100::Parser::new(
        NonZeroU16::new(H).expect("rows"),
        NonZeroU16::new(W).expect("cols"),
        0,
    );
    let mut model = Model::new();
    for step in 0..=edits.len() {
        if step > 0 {
            model.apply(&edits[step - 1]);
        }
        let frame = terminal
            .draw(|f| {
                model.draw(f.buffer_mut());
                f.set_cursor_position((3, 1));
            })
            .expect("draw");
        let buf = frame.buffer.clone();
        let out = std::mem::take(terminal.backend_mut().writer_mut());
        vt.process(&out);
        assert_same(&vt, &buf, step);
        assert_eq!(vt.screen().cursor_position(), (1, 3), "step {step}: cursor");
    }
    terminal.backend().bytes_written()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn replayed_bytes_show_exactly_the_buffer(edits in proptest::collection::vec(edit(), 1..25)) {
        run(&edits);
    }
}

#[test]
fn a_typed_character_is_an_insert_and_a_few_bytes() {
    let backend = Output::with_size(Vec::new(), W, H);
    let mut terminal = Terminal::new(backend).expect("terminal");
    let mut model = Model::new();
    let draw = |terminal: &mut Terminal<Output<Vec<u8>>>, model: &Model| -> Vec<u8> {
        terminal
            .draw(|f| {
                model.draw(f.buffer_mut());
                f.set_cursor_position((4, 0));
            })
            .expect("draw");
        std::mem::take(terminal.backend_mut().writer_mut())
    };
    draw(&mut terminal, &model);
    model.apply(&Edit::Type {
        row: 0,
        col: 3,
        c: 'z',
    });
    model.status = "1:1".into();
    let bytes = draw(&mut terminal, &model);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with("\x1b[D\x1b[@") && text.ends_with("z\x1b[?25h"),
        "one step left, insert one cell, the character (the cursor is then in place; \
         ratatui's draw shows it every frame): {text:?}"
    );
    assert!(bytes.len() <= 46, "{} bytes: {text:?}", bytes.len());
    model.apply(&Edit::Delete { row: 0, col: 3 });
    let bytes = draw(&mut terminal, &model);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with("\x1b[D\x1b[P"),
        "a delete is DCH: {text:?}"
    );
}
