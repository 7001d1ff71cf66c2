//! One stream's lines, stored compactly: chunks holding the texts back to back (every line
//! followed by `\n`) with parallel arrays of line ends, times and sort keys, a stream's
//! [`Buffer`] of chunks (dropping its oldest line, freeing a chunk once all its lines are
//! dropped), and the [`Segment`]s a search scans.

use std::collections::VecDeque;
use std::ops::Range;

use chrono::DateTime;

use super::store::StoredLine;

/// The first chunk of a stream holds this many bytes of text; each next one twice as much as
/// the one before, up to [`CHUNK_MAX`] (small streams stay small, big ones allocate rarely).
const CHUNK_MIN: usize = 4 * 1024;
const CHUNK_MAX: usize = 256 * 1024;
/// `times[i]` of a line the server sent without a timestamp.
pub(super) const NO_TIME: i64 = i64::MIN;

/// Lines of one stream stored back to back.
#[derive(Debug)]
pub(super) struct Chunk {
    /// Absolute index of the chunk's line 0.
    pub(super) base: u64,
    /// Every line's text followed by `\n`.
    pub(super) text: String,
    /// Byte offset of the end of each line's text (its `\n`).
    pub(super) ends: Vec<u32>,
    pub(super) times: Vec<i64>,
    /// Sort keys, only once one differs from its line's time (a clock going back, a line
    /// without a timestamp): until then a line's key is its time.
    pub(super) keys: Vec<i64>,
    /// No line of the chunk has a control character (escape, `\r`, tab…): the text is what
    /// a terminal shows, so it can be searched as it is.
    pub(super) plain: bool,
}

impl Chunk {
    pub(super) fn new(base: u64, capacity: usize) -> Chunk {
        Chunk {
            base,
            text: String::with_capacity(capacity),
            ends: Vec::new(),
            times: Vec::new(),
            keys: Vec::new(),
            plain: true,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Room for `bytes` more bytes without growing the text.
    pub(super) fn fits(&self, bytes: usize) -> bool {
        self.text.capacity() - self.text.len() >= bytes
            && self.text.len() + bytes <= u32::MAX as usize
    }

    pub(super) fn start_of(&self, i: usize) -> usize {
        match i {
            0 => 0,
            _ => self.ends[i - 1] as usize + 1,
        }
    }

    pub(super) fn line(&self, i: usize) -> StoredLine<'_> {
        let t = self.times[i];
        StoredLine {
            time: (t != NO_TIME).then(|| DateTime::from_timestamp_nanos(t)),
            key: self.keys.get(i).copied().unwrap_or(t),
            text: &self.text[self.start_of(i)..self.ends[i] as usize],
        }
    }

    pub(super) fn push(&mut self, time: i64, key: i64, text: &str) {
        self.plain &= is_plain(text);
        self.text.push_str(text);
        // Fits in u32: `fits` was checked before.
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        self.text.push('\n');
        self.times.push(time);
        if self.keys.is_empty() && key != time {
            self.keys = self.times[..self.times.len() - 1].to_vec();
        }
        if !self.keys.is_empty() {
            self.keys.push(key);
        }
    }

    /// Gives back the spare capacity of the arrays once no line will be added.
    pub(super) fn seal(&mut self) {
        self.ends.shrink_to_fit();
        self.times.shrink_to_fit();
        self.keys.shrink_to_fit();
    }

    pub(super) fn memory(&self) -> usize {
        std::mem::size_of::<Chunk>()
            + self.text.capacity()
            + self.ends.capacity() * 4
            + (self.times.capacity() + self.keys.capacity()) * 8
    }
}

/// No control character: shown by a terminal exactly as stored.
pub(super) fn is_plain(text: &str) -> bool {
    !super::ansi::has_control(text)
}

/// A stretch of one stream's lines stored back to back: what a search scans.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Absolute index of the first line of the segment.
    pub first: u64,
    /// The lines' texts, each followed by `\n` (starting at the first line of the segment).
    pub text: &'a str,
    /// No line has a control character: the text is what a terminal shows.
    pub plain: bool,
    /// Offset of `text` in the chunk (subtracted from `ends`).
    pub(super) offset: usize,
    pub(super) ends: &'a [u32],
}

impl<'a> Segment<'a> {
    /// A plain segment over `text` (lines each followed by `\n`) whose line `i` ends at byte
    /// `ends[i]`: how a search lays out the shown text of lines with escapes.
    pub fn plain_text(first: u64, text: &'a str, ends: &'a [u32]) -> Segment<'a> {
        Segment {
            first,
            text,
            plain: true,
            offset: 0,
            ends,
        }
    }

    /// Lines in the segment.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The byte range of line `i` (relative to the segment) in `text`, without its `\n`.
    pub fn line_range(&self, i: usize) -> Range<usize> {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize + 1 - self.offset,
        };
        start..self.ends[i] as usize - self.offset
    }

    /// The line (relative to the segment) holding byte `at` of `text` (a `\n` belongs to the
    /// line it ends).
    pub fn line_at(&self, at: usize) -> usize {
        self.line_at_from(at, 0)
    }

    /// [`Segment::line_at`] for a byte known to be in line `from` or after: looks at the next
    /// few lines first (a scan finds its matches in order, often close together).
    pub fn line_at_from(&self, at: usize, from: usize) -> usize {
        let at = at + self.offset;
        let from = from.min(self.ends.len());
        let near = &self.ends[from..(from + 8).min(self.ends.len())];
        if let Some(i) = near.iter().position(|&end| (end as usize) >= at) {
            return from + i;
        }
        from + self.ends[from..].partition_point(|&end| (end as usize) < at)
    }
}

#[derive(Debug, Default)]
pub(super) struct Buffer {
    pub(super) chunks: VecDeque<Chunk>,
    /// Absolute index of the first line still held (lines before it were dropped by the cap).
    pub(super) first: u64,
    /// Absolute index after the last line.
    pub(super) end: u64,
    pub(super) last_key: Option<i64>,
    pub(super) removed: bool,
}

impl Buffer {
    /// The chunk holding absolute index `index` (which must be in `first..end`).
    pub(super) fn chunk_of(&self, index: u64) -> Option<(&Chunk, usize)> {
        if index < self.first || index >= self.end {
            return None;
        }
        let c = self
            .chunks
            .partition_point(|c| c.base <= index)
            .checked_sub(1)?;
        let chunk = &self.chunks[c];
        Some((chunk, usize::try_from(index - chunk.base).ok()?))
    }

    pub(super) fn push(&mut self, time: i64, key: i64, text: &str) {
        let need = text.len() + 1;
        if !self.chunks.back().is_some_and(|c| c.fits(need)) {
            let grown = self
                .chunks
                .back()
                .map_or(CHUNK_MIN, |c| (c.text.capacity() * 2).min(CHUNK_MAX));
            if let Some(last) = self.chunks.back_mut() {
                last.seal();
            }
            self.chunks.push_back(Chunk::new(self.end, grown.max(need)));
        }
        if let Some(chunk) = self.chunks.back_mut() {
            chunk.push(time, key, text);
            self.end += 1;
        }
    }

    /// Drops the oldest line; frees its chunk when it was the chunk's last one held.
    pub(super) fn drop_first(&mut self) -> bool {
        if self.first >= self.end {
            return false;
        }
        self.first += 1;
        if let Some(front) = self.chunks.front() {
            if front.base + front.len() as u64 <= self.first {
                self.chunks.pop_front();
            }
        }
        true
    }
}
