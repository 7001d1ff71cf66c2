//! The style a log line's SGR sequences (`ESC [ … m`) select, terminal-free: colours as ANSI
//! names them, and the attributes set and reset. The console maps it to its own styles
//! (`tui::panes::logs::styled`); a reset is kept (not just forgotten), so a reset run drawn
//! over a highlighted base style takes that attribute off it, as in a terminal.

use std::ops::BitOr;

use anstyle_parse::Params;

/// Text attributes (bold, dim, …), as a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Attrs(u16);

impl Attrs {
    pub const NONE: Attrs = Attrs(0);
    pub const BOLD: Attrs = Attrs(1);
    pub const DIM: Attrs = Attrs(1 << 1);
    pub const ITALIC: Attrs = Attrs(1 << 2);
    pub const UNDERLINED: Attrs = Attrs(1 << 3);
    pub const SLOW_BLINK: Attrs = Attrs(1 << 4);
    pub const RAPID_BLINK: Attrs = Attrs(1 << 5);
    pub const REVERSED: Attrs = Attrs(1 << 6);
    pub const HIDDEN: Attrs = Attrs(1 << 7);
    pub const CROSSED_OUT: Attrs = Attrs(1 << 8);

    /// Every attribute, each alone, in bit order.
    pub const ALL: [Attrs; 9] = [
        Attrs::BOLD,
        Attrs::DIM,
        Attrs::ITALIC,
        Attrs::UNDERLINED,
        Attrs::SLOW_BLINK,
        Attrs::RAPID_BLINK,
        Attrs::REVERSED,
        Attrs::HIDDEN,
        Attrs::CROSSED_OUT,
    ];

    pub fn contains(self, other: Attrs) -> bool {
        self.0 & other.0 == other.0
    }

    fn without(self, other: Attrs) -> Attrs {
        Attrs(self.0 & !other.0)
    }
}

impl BitOr for Attrs {
    type Output = Attrs;
    fn bitor(self, other: Attrs) -> Attrs {
        Attrs(self.0 | other.0)
    }
}

/// A colour as SGR names it: the 8 basic and 8 bright ones, the 256-colour palette, RGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnsiColor {
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// Colours and attributes: `set` attributes are on, `reset` ones explicitly off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SgrStyle {
    pub fg: Option<AnsiColor>,
    pub bg: Option<AnsiColor>,
    pub set: Attrs,
    pub reset: Attrs,
}

impl SgrStyle {
    /// With `attrs` on (and no longer reset).
    pub fn with(self, attrs: Attrs) -> SgrStyle {
        SgrStyle {
            set: self.set | attrs,
            reset: self.reset.without(attrs),
            ..self
        }
    }

    /// With `attrs` off (and marked reset).
    pub fn without(self, attrs: Attrs) -> SgrStyle {
        SgrStyle {
            set: self.set.without(attrs),
            reset: self.reset | attrs,
            ..self
        }
    }

    /// The style after the SGR parameters `params` (`ESC [ params m`).
    pub(crate) fn apply(self, params: &Params) -> SgrStyle {
        // `ESC [ m` is a reset; `38:5:n` (colon sub-parameters) is the same as `38;5;n`.
        let mut flat: Vec<u16> = Vec::new();
        for p in params.iter() {
            flat.extend_from_slice(p);
        }
        if flat.is_empty() {
            return SgrStyle::default();
        }
        let mut style = self;
        let mut it = flat.into_iter();
        while let Some(code) = it.next() {
            let s = style;
            style = match code {
                0 => SgrStyle::default(),
                1 => s.with(Attrs::BOLD),
                2 => s.with(Attrs::DIM),
                3 => s.with(Attrs::ITALIC),
                4 => s.with(Attrs::UNDERLINED),
                5 => s.with(Attrs::SLOW_BLINK),
                6 => s.with(Attrs::RAPID_BLINK),
                7 => s.with(Attrs::REVERSED),
                8 => s.with(Attrs::HIDDEN),
                9 => s.with(Attrs::CROSSED_OUT),
                21 | 22 => s.without(Attrs::BOLD | Attrs::DIM),
                23 => s.without(Attrs::ITALIC),
                24 => s.without(Attrs::UNDERLINED),
                25 => s.without(Attrs::SLOW_BLINK | Attrs::RAPID_BLINK),
                27 => s.without(Attrs::REVERSED),
                28 => s.without(Attrs::HIDDEN),
                29 => s.without(Attrs::CROSSED_OUT),
                30..=37 => SgrStyle {
                    fg: Some(basic(code - 30)),
                    ..s
                },
                38 => match extended(&mut it) {
                    Some(c) => SgrStyle { fg: Some(c), ..s },
                    None => s,
                },
                39 => SgrStyle { fg: None, ..s },
                40..=47 => SgrStyle {
                    bg: Some(basic(code - 40)),
                    ..s
                },
                48 => match extended(&mut it) {
                    Some(c) => SgrStyle { bg: Some(c), ..s },
                    None => s,
                },
                49 => SgrStyle { bg: None, ..s },
                90..=97 => SgrStyle {
                    fg: Some(bright(code - 90)),
                    ..s
                },
                100..=107 => SgrStyle {
                    bg: Some(bright(code - 100)),
                    ..s
                },
                _ => s,
            };
        }
        style
    }
}

/// The 8 basic colours (`30`–`37`).
fn basic(n: u16) -> AnsiColor {
    match n {
        0 => AnsiColor::Black,
        1 => AnsiColor::Red,
        2 => AnsiColor::Green,
        3 => AnsiColor::Yellow,
        4 => AnsiColor::Blue,
        5 => AnsiColor::Magenta,
        6 => AnsiColor::Cyan,
        _ => AnsiColor::Gray,
    }
}

/// The 8 bright colours (`90`–`97`).
fn bright(n: u16) -> AnsiColor {
    match n {
        0 => AnsiColor::DarkGray,
        1 => AnsiColor::LightRed,
        2 => AnsiColor::LightGreen,
        3 => AnsiColor::LightYellow,
        4 => AnsiColor::LightBlue,
        5 => AnsiColor::LightMagenta,
        6 => AnsiColor::LightCyan,
        _ => AnsiColor::White,
    }
}

/// The colour after `38`/`48`: `5;n` (256 colours) or `2;r;g;b` (truecolor).
fn extended(it: &mut impl Iterator<Item = u16>) -> Option<AnsiColor> {
    let byte = |v: Option<u16>| v.map(|v| u8::try_from(v).unwrap_or(u8::MAX));
    match it.next()? {
        5 => byte(it.next()).map(AnsiColor::Indexed),
        2 => {
            let (r, g, b) = (byte(it.next())?, byte(it.next())?, byte(it.next())?);
            Some(AnsiColor::Rgb(r, g, b))
        }
        _ => None,
    }
}
