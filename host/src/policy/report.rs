//! Denials: what was refused, and where the report goes.
//!
//! Every refusal is a [`Denied`] (which operation, of what, why). The
//! guest sees it as `permission-denied` with the same text; the host hands
//! it, with the guest's identity, to a [`DenialSink`] the embedder chose.
//! [`StderrSink`] is the command line's: every control character escaped,
//! each line capped, at most a few lines and bytes a second per guest, and
//! a count of what was held back when the guest ends.
//!
//! What a refusal names is a [`Subject`], made only by constructors that
//! read at most [`SUBJECT_BYTES_CAP`] bytes' worth of the text they are
//! given, escape it and say how long it was where they cut it: a guest
//! that hands the host a text of many MiB in a refused call costs the host
//! a few hundred bytes to refuse it, report it and answer it, never a
//! multiple of the text.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which operation a policy refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `socket(2)`: a family, type or protocol that needs a grant.
    Create,
    /// `connect(2)` and `sendto(2)`: `--allow-connect`.
    Connect,
    /// `bind(2)`: `--allow-bind`, `--allow-unix`.
    Bind,
    /// `listen(2)`: a bind grant for the listening address.
    Listen,
    /// A datagram from a peer no connect grant covers, dropped.
    Receive,
    /// `getaddrinfo`: `--allow-dns`.
    AddressInformation,
    /// `getnameinfo`: `--allow-dns`.
    NameInformation,
    /// `getsockopt(2)`.
    GetOption,
    /// `setsockopt(2)`.
    SetOption,
}

impl Operation {
    fn verb(self) -> &'static str {
        match self {
            Operation::Create => "socket",
            Operation::Connect => "connect to",
            Operation::Bind => "bind to",
            Operation::Listen => "listen on",
            Operation::Receive => "datagram from",
            Operation::AddressInformation => "address resolution of",
            Operation::NameInformation => "name resolution of",
            Operation::GetOption => "get",
            Operation::SetOption => "set",
        }
    }
}

/// A refused operation: the guest sees `permission-denied` with this text,
/// and the host reports it once to its [`DenialSink`]. The text names the
/// guest's view of things only (its addresses and paths), never the
/// host's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    /// What was refused.
    pub operation: Operation,
    /// Of what: an address, a quoted path, an option name; bounded.
    pub subject: Subject,
    /// Why, naming the grant that would allow it (the host's own text).
    pub reason: String,
}

impl Denied {
    /// A refusal of `operation` on `subject`, because `reason`. A text
    /// given as the subject is bounded and escaped ([`Subject::new`]);
    /// the guest's own text goes through [`Subject::quoted`] or
    /// [`Subject::named`], never through `format!` first.
    pub fn new(
        operation: Operation,
        subject: impl Into<Subject>,
        reason: impl Into<String>,
    ) -> Self {
        Denied {
            operation,
            subject: subject.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "denied {} {}: {}",
            self.operation.verb(),
            self.subject,
            self.reason
        )
    }
}

impl std::error::Error for Denied {}

/// The most bytes a [`Subject`] shows of the text it names (escaped, so
/// fewer of the text's own when it needs escapes); the rest is cut, and
/// the subject says how long the text was.
pub const SUBJECT_BYTES_CAP: usize = 256;

/// What a refusal names: an address, an option's name, a guest's path or
/// host name. Every constructor reads at most [`SUBJECT_BYTES_CAP`]
/// bytes' worth of its text, escapes it as [`escape_line`] does and, where
/// it cut, says how many bytes the text had: `unix path "/run/\u{1}…"
/// (50331648 bytes, cut)`. So however long a text a guest hands the host,
/// a refusal is a few hundred bytes to make, report and return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    /// `text` as it is (an address the host formatted, an option's
    /// name), bounded and escaped all the same.
    pub fn new(text: &str) -> Self {
        Subject::bounded(None, text)
    }

    /// A text the guest chose, quoted: `"example.com"`. Quotes and
    /// backslashes in it are escaped too, so the quoted text is the
    /// guest's whole (shown) text.
    pub fn quoted(text: &str) -> Self {
        Subject::bounded(Some(""), text)
    }

    /// A text the guest chose, quoted after what it is: `unix path
    /// "/run/x.sock"`.
    pub fn named(what: &'static str, text: &str) -> Self {
        Subject::bounded(Some(what), text)
    }

    /// The subject's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn bounded(quoted_after: Option<&'static str>, text: &str) -> Self {
        let (shown, cut) = escape(text, SUBJECT_BYTES_CAP, quoted_after.is_some());
        let mut subject = String::with_capacity(shown.len() + 64);
        match quoted_after {
            Some("") => subject.push('"'),
            Some(what) => {
                subject.push_str(what);
                subject.push_str(" \"");
            }
            None => {}
        }
        subject.push_str(&shown);
        if quoted_after.is_some() {
            subject.push('"');
        }
        if cut {
            subject.push_str(&format!(" ({} bytes, cut)", text.len()));
        }
        Subject(subject)
    }
}

impl From<&str> for Subject {
    fn from(text: &str) -> Self {
        Subject::new(text)
    }
}

impl From<String> for Subject {
    /// The host's own text ([`Subject::new`]): an address or an option
    /// name it formatted.
    fn from(text: String) -> Self {
        Subject::new(&text)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The grant flags a refusal's reason may name, as the command line
/// spells them.
const GRANT_FLAGS: [&str; 7] = [
    "--allow-connect",
    "--allow-bind",
    "--allow-dns",
    "--allow-unix",
    "--allow-multicast",
    "--allow-raw",
    "--inherit-network",
];

impl Denied {
    /// The grant the refusal names as the one that would allow it (its
    /// command-line flag, `"--allow-connect"`): the first such flag in
    /// [`Denied::reason`]. `None` when the reason names none (what no
    /// grant allows: `TCP_REPAIR`, the unspecified address as a
    /// destination, ...).
    pub fn grant(&self) -> Option<&'static str> {
        GRANT_FLAGS
            .iter()
            .filter_map(|flag| self.reason.find(flag).map(|at| (at, *flag)))
            .min()
            .map(|(_, flag)| flag)
    }
}

/// One refusal as plain values, for an embedder that handles denials
/// itself rather than as the host's lines: which guest, what it tried, on
/// what, and the grant that would have allowed it. Made from what a
/// [`DenialSink`] receives ([`Denial::new`]); [`RecordingSink`] keeps
/// them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// The guest's name (its `GuestConfig::name`, else its file's).
    pub guest: String,
    /// What was refused.
    pub operation: Operation,
    /// Of what: an address, a quoted path, an option name (bounded and
    /// escaped, as in the host's lines).
    pub subject: String,
    /// The grant that would allow it ([`Denied::grant`]).
    pub grant: Option<&'static str>,
    /// Why, in the host's words.
    pub reason: String,
}

impl Denial {
    /// The refusal `denial` of the guest `guest`, as values.
    pub fn new(guest: &str, denial: &Denied) -> Self {
        Denial {
            guest: guest.to_owned(),
            operation: denial.operation,
            subject: denial.subject.as_str().to_owned(),
            grant: denial.grant(),
            reason: denial.reason.clone(),
        }
    }
}

/// A sink that keeps each refusal as a [`Denial`] (at most `capacity`;
/// later ones are counted, not kept): structured values where
/// [`MemorySink`] keeps lines. Unlike the line sinks it does not
/// rate-limit: every refusal is kept while there is room.
#[derive(Debug)]
pub struct RecordingSink {
    capacity: usize,
    kept: Mutex<(Vec<Denial>, u64)>,
}

impl RecordingSink {
    /// Keeps at most `capacity` denials.
    pub fn new(capacity: usize) -> Self {
        RecordingSink {
            capacity,
            kept: Mutex::new((Vec::new(), 0)),
        }
    }

    /// The denials kept so far, in order.
    pub fn denials(&self) -> Vec<Denial> {
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone()
    }

    /// How many denials came past `capacity` and were not kept.
    pub fn dropped(&self) -> u64 {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).1
    }
}

impl DenialSink for RecordingSink {
    fn denied(&self, guest: &str, denial: &Denied) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.0.len() < self.capacity {
            kept.0.push(Denial::new(guest, denial));
        } else {
            kept.1 += 1;
        }
    }
}

/// Where denials go: implemented by the embedder (or [`StderrSink`],
/// [`MemorySink`]). Called from the guest's host calls, so it must not
/// block for long.
pub trait DenialSink: Send + Sync {
    /// One refusal by the guest named `guest`.
    fn denied(&self, guest: &str, denial: &Denied);

    /// The guest `guest` has ended: report what is pending.
    fn finish(&self, guest: &str) {
        let _ = guest;
    }
}

impl fmt::Debug for dyn DenialSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DenialSink")
    }
}

/// What one guest's host calls report to: the sink and the guest's name.
#[derive(Clone, Debug)]
pub struct Reporter {
    guest: Arc<str>,
    sink: Arc<dyn DenialSink>,
}

impl Reporter {
    /// Reports for the guest named `guest` to `sink`.
    pub fn new(guest: impl Into<Arc<str>>, sink: Arc<dyn DenialSink>) -> Self {
        Reporter {
            guest: guest.into(),
            sink,
        }
    }

    /// The guest's name.
    pub fn guest(&self) -> &str {
        &self.guest
    }

    /// Reports one refusal.
    pub fn denied(&self, denial: &Denied) {
        self.sink.denied(&self.guest, denial);
    }

    /// The guest has ended.
    pub fn finish(&self) {
        self.sink.finish(&self.guest);
    }
}

impl Default for Reporter {
    /// Reports as `guest` to a [`StderrSink`] of its own.
    fn default() -> Self {
        Reporter::new("guest", Arc::new(StderrSink::new()))
    }
}

/// The most bytes one reported line holds (longer ones are cut, marked
/// with `…`).
pub const LINE_BYTES_CAP: usize = 512;
/// At most this many lines per guest per [`REPORT_WINDOW`].
pub const LINES_PER_WINDOW: u32 = 10;
/// At most this many bytes per guest per [`REPORT_WINDOW`].
pub const BYTES_PER_WINDOW: usize = 4096;
/// The rate limiter's window.
pub const REPORT_WINDOW: Duration = Duration::from_secs(1);

/// `text` with every character that is not printable escaped (`\n`,
/// `\u{1b}`): controls (C0, DEL, C1), line and paragraph separators
/// (U+2028, U+2029), format characters such as the bidirectional overrides
/// (U+202E) and zero-width ones, and unassigned code points. So a guest's
/// text cannot move the cursor, colour a terminal, start a line that looks
/// like the host's, or reorder what is shown; cut at `cap` bytes.
pub fn escape_line(text: &str, cap: usize) -> String {
    escape(text, cap, false).0
}

/// The one escaper: [`escape_line`]'s escaping of `text`, cut at `cap`
/// bytes (ending `…`), and whether it was cut. It reads `text` only as
/// far as it shows it. `quoting` escapes the backslash and the double
/// quote as well, for a text shown between double quotes.
fn escape(text: &str, cap: usize, quoting: bool) -> (String, bool) {
    let room = cap.saturating_sub('…'.len_utf8());
    let mut out = String::with_capacity(text.len().min(cap));
    for c in text.chars() {
        // `escape_debug` leaves printable characters as they are, but for
        // quotes and the backslash, which are printable here (unless the
        // text is quoted).
        let plain = match c {
            '\'' => true,
            '\\' | '"' => !quoting,
            _ => false,
        };
        let piece = c.escape_debug();
        let len = if plain { c.len_utf8() } else { piece.len() };
        if out.len() + len > room {
            out.push('…');
            return (out, true);
        }
        if plain {
            out.push(c);
        } else {
            out.extend(piece);
        }
    }
    (out, false)
}

/// One guest's rate limiter.
#[derive(Debug, Default)]
struct Window {
    start: Option<Instant>,
    lines: u32,
    bytes: usize,
    suppressed: u64,
}

impl Window {
    /// The lines to print at `now` for a denial whose line `line` makes:
    /// the pending suppressed count when a new window starts (one of that
    /// window's lines and bytes), then the denial's line if the window has
    /// room for it. `line` is called only while the window has lines and
    /// bytes left, so a suppressed denial costs no formatting (and a line
    /// is at most [`LINE_BYTES_CAP`] bytes to make).
    fn admit(&mut self, prefix: &str, now: Instant, line: impl FnOnce() -> String) -> Vec<String> {
        let mut out = Vec::new();
        let expired = self
            .start
            .is_none_or(|start| now.saturating_duration_since(start) >= REPORT_WINDOW);
        if expired {
            self.start = Some(now);
            self.lines = 0;
            self.bytes = 0;
            if let Some(summary) = self.take_suppressed(prefix) {
                self.count(&summary);
                out.push(summary);
            }
        }
        if self.lines < LINES_PER_WINDOW && self.bytes < BYTES_PER_WINDOW {
            let line = line();
            if self.bytes + line.len() <= BYTES_PER_WINDOW {
                self.count(&line);
                out.push(line);
                return out;
            }
        }
        self.suppressed += 1;
        out
    }

    /// Counts `line` against the window.
    fn count(&mut self, line: &str) {
        self.lines += 1;
        self.bytes += line.len();
    }

    fn take_suppressed(&mut self, prefix: &str) -> Option<String> {
        let n = std::mem::take(&mut self.suppressed);
        (n > 0).then(|| {
            format!(
                "{prefix}{n} more denial{} suppressed",
                if n == 1 { "" } else { "s" }
            )
        })
    }
}

/// The command line's sink: `wasock: denied …` lines on stderr (with the
/// guest's name after `wasock` when asked), escaped, capped at
/// [`LINE_BYTES_CAP`] bytes, at most [`LINES_PER_WINDOW`] lines and
/// [`BYTES_PER_WINDOW`] bytes a second per guest, then one line counting
/// what was held back.
#[derive(Debug, Default)]
pub struct StderrSink {
    name_guests: bool,
    windows: Mutex<HashMap<String, Window>>,
}

impl StderrSink {
    /// Lines start `wasock: `.
    pub fn new() -> Self {
        StderrSink::default()
    }

    /// Lines start `wasock[GUEST]: `, for hosts that run many guests.
    pub fn naming_guests() -> Self {
        StderrSink {
            name_guests: true,
            windows: Mutex::default(),
        }
    }

    fn prefix(&self, guest: &str) -> String {
        if self.name_guests {
            format!("wasock[{}]: ", escape_line(guest, 64))
        } else {
            "wasock: ".to_owned()
        }
    }

    /// The lines one denial makes at `now` (what [`DenialSink::denied`]
    /// prints).
    pub fn lines_for(&self, guest: &str, denial: &Denied, now: Instant) -> Vec<String> {
        let prefix = self.prefix(guest);
        let line = || {
            let cap = LINE_BYTES_CAP - prefix.len().min(LINE_BYTES_CAP);
            format!("{prefix}{}", escape_line(&denial.to_string(), cap))
        };
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows
            .entry(guest.to_owned())
            .or_default()
            .admit(&prefix, now, line)
    }

    /// The closing line for `guest` (what [`DenialSink::finish`] prints).
    pub fn finish_lines(&self, guest: &str) -> Vec<String> {
        let prefix = self.prefix(guest);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows
            .remove(guest)
            .and_then(|mut window| window.take_suppressed(&prefix))
            .into_iter()
            .collect()
    }
}

/// Writes lines to stderr, ignoring failure: a closed stderr must not
/// turn a guest's refused call into a host panic.
fn write_stderr(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    write_lines(&mut std::io::stderr().lock(), lines);
}

/// Writes lines to `out`, ignoring failure (a full disk must not turn a
/// refused call into a host panic either).
pub fn write_lines(out: &mut impl std::io::Write, lines: &[String]) {
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

impl DenialSink for StderrSink {
    fn denied(&self, guest: &str, denial: &Denied) {
        write_stderr(&self.lines_for(guest, denial, Instant::now()));
    }

    fn finish(&self, guest: &str) {
        write_stderr(&self.finish_lines(guest));
    }
}

/// A sink that keeps the lines a [`StderrSink`] would print, in memory
/// (at most `capacity` lines), for embedders and tests that capture a
/// guest's output.
#[derive(Debug)]
pub struct MemorySink {
    format: StderrSink,
    capacity: usize,
    lines: Mutex<Vec<String>>,
}

impl MemorySink {
    /// Keeps at most `capacity` lines.
    pub fn new(capacity: usize) -> Self {
        MemorySink {
            format: StderrSink::new(),
            capacity,
            lines: Mutex::new(Vec::new()),
        }
    }

    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn keep(&self, new: Vec<String>) {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        for line in new {
            if lines.len() < self.capacity {
                lines.push(line);
            }
        }
    }
}

impl DenialSink for MemorySink {
    fn denied(&self, guest: &str, denial: &Denied) {
        self.keep(self.format.lines_for(guest, denial, Instant::now()));
    }

    fn finish(&self, guest: &str) {
        self.keep(self.format.finish_lines(guest));
    }
}

/// A sink that writes the lines a [`StderrSink`] would print to a log
/// file of the host's (`wasock run --log FILE`), which the guest cannot
/// write to: on stderr, which the guest shares, a guest could print lines
/// that look like the host's.
#[derive(Debug)]
pub struct FileSink {
    format: StderrSink,
    file: Arc<Mutex<std::fs::File>>,
}

impl FileSink {
    /// Writes to `file`, which the host may share with its own lines.
    pub fn new(file: Arc<Mutex<std::fs::File>>) -> Self {
        FileSink {
            format: StderrSink::new(),
            file,
        }
    }

    fn write(&self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        write_lines(&mut *file, lines);
    }
}

impl DenialSink for FileSink {
    fn denied(&self, guest: &str, denial: &Denied) {
        self.write(&self.format.lines_for(guest, denial, Instant::now()));
    }

    fn finish(&self, guest: &str) {
        self.write(&self.format.finish_lines(guest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn connect_denial() -> Denied {
        Denied::new(
            Operation::Connect,
            "10.0.0.1:80",
            "no --allow-connect grant matches",
        )
    }

    #[test]
    fn denial_text() {
        assert_eq!(
            connect_denial().to_string(),
            "denied connect to 10.0.0.1:80: no --allow-connect grant matches"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let line = escape_line("a\u{1b}[31mred\nwasock: forged\r\u{7f}\u{9b}é", 512);
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert_eq!(line, "a\\u{1b}[31mred\\nwasock: forged\\r\\u{7f}\\u{9b}é");
        // Separators, bidirectional overrides and zero-width characters are
        // not printable either: a log reader would break the line there, or
        // show the text reordered.
        let line = escape_line(
            "x\u{2028}wasock: denied\u{2029}\u{202e}dlrow\u{200b}\"q\"",
            512,
        );
        assert_eq!(
            line,
            "x\\u{2028}wasock: denied\\u{2029}\\u{202e}dlrow\\u{200b}\"q\""
        );
    }

    #[test]
    fn lines_are_capped() {
        let long = "x".repeat(10_000);
        let line = escape_line(&long, 100);
        assert!(line.len() <= 100, "{}", line.len());
        assert!(line.ends_with('…'));
        let escapes = "\n".repeat(10_000);
        assert!(escape_line(&escapes, 100).len() <= 100);
    }

    /// A subject shows at most [`SUBJECT_BYTES_CAP`] bytes of its text,
    /// escaped, and says how long the text was where it cut it; the
    /// denial's whole text stays a few hundred bytes, whatever the guest
    /// sent.
    #[test]
    fn subjects_are_bounded_escaped_and_say_what_was_cut() {
        let text = "\u{1}".repeat(8 << 20);
        let subject = Subject::named("unix path", &text);
        let shown = subject.as_str();
        assert!(
            shown.len() <= SUBJECT_BYTES_CAP + 64,
            "{} bytes",
            shown.len()
        );
        assert!(shown.starts_with("unix path \"\\u{1}\\u{1}"), "{shown}");
        assert!(shown.ends_with("…\" (8388608 bytes, cut)"), "{shown}");
        assert!(!shown.chars().any(char::is_control), "{shown}");
        let denial = Denied::new(Operation::Connect, subject, "no --allow-unix grant");
        assert!(denial.to_string().len() < 2 * SUBJECT_BYTES_CAP);
        assert!(Error::denied("connect", &denial).message.len() < 2 * SUBJECT_BYTES_CAP);
        // Whatever the way in: a host-made text, a quoted name.
        for subject in [
            Subject::new(&"x".repeat(1 << 20)),
            Subject::quoted(&"é\u{202e}".repeat(1 << 20)),
            Subject::from("y".repeat(1 << 20)),
        ] {
            assert!(subject.as_str().len() <= SUBJECT_BYTES_CAP + 64);
            assert!(subject.as_str().ends_with("bytes, cut)"), "{subject}");
        }
        // Short texts are whole; quoted ones have their quotes escaped.
        assert_eq!(Subject::new("10.0.0.1:80").as_str(), "10.0.0.1:80");
        assert_eq!(
            Subject::named("unix path", "/run/a\"b\\c\n").as_str(),
            "unix path \"/run/a\\\"b\\\\c\\n\""
        );
        assert_eq!(Subject::quoted("example.com").as_str(), "\"example.com\"");
    }

    #[test]
    fn rate_limit_by_lines_then_count() {
        let sink = StderrSink::new();
        let d = connect_denial();
        let t0 = Instant::now();
        let mut lines = Vec::new();
        for i in 0..25u64 {
            lines.extend(sink.lines_for("g", &d, t0 + Duration::from_millis(i)));
        }
        assert_eq!(lines.len(), LINES_PER_WINDOW as usize);
        assert_eq!(
            lines[0],
            "wasock: denied connect to 10.0.0.1:80: no --allow-connect grant matches"
        );
        let next = sink.lines_for("g", &d, t0 + Duration::from_millis(1500));
        assert_eq!(next.len(), 2);
        assert_eq!(next[0], "wasock: 15 more denials suppressed");
        // The count is one of the new window's lines: 1 + 1 + 8 more.
        let more: usize = (0..10u64)
            .map(|i| {
                sink.lines_for("g", &d, t0 + Duration::from_millis(1600 + i))
                    .len()
            })
            .sum();
        assert_eq!(more, LINES_PER_WINDOW as usize - 2);
        assert_eq!(
            sink.finish_lines("g"),
            ["wasock: 2 more denials suppressed"]
        );
        assert!(sink.finish_lines("g").is_empty());
    }

    /// However the denials fall, no window prints more than
    /// [`LINES_PER_WINDOW`] lines or [`BYTES_PER_WINDOW`] bytes, the count
    /// of the suppressed ones included: a window opening with that count
    /// has one line fewer left for denials.
    #[test]
    fn no_window_prints_more_than_its_lines_counts_included() {
        let sink = StderrSink::new();
        let d = connect_denial();
        let t0 = Instant::now();
        let mut printed: Vec<(Duration, String)> = Vec::new();
        // Bursts of 25 in every window, then a quiet spell, then more.
        for ms in (0..5_000u64).step_by(40).chain(7_000..7_020) {
            let at = Duration::from_millis(ms);
            for line in sink.lines_for("g", &d, t0 + at) {
                printed.push((at, line));
            }
        }
        assert!(
            printed.iter().any(|(_, l)| l.contains("suppressed")),
            "the bursts were cut"
        );
        // Each window, as the limiter counts them: from the first denial
        // after the last one ended (always a printed line).
        let mut per_window: HashMap<u128, (usize, usize)> = HashMap::new();
        let mut window_start = Duration::ZERO;
        for (at, line) in &printed {
            if *at >= window_start + REPORT_WINDOW {
                window_start = *at;
            }
            let entry = per_window.entry(window_start.as_millis()).or_default();
            entry.0 += 1;
            entry.1 += line.len();
        }
        for (start, (lines, bytes)) in per_window {
            assert!(
                lines <= LINES_PER_WINDOW as usize,
                "{lines} lines in the window from {start} ms"
            );
            assert!(bytes <= BYTES_PER_WINDOW, "{bytes} bytes from {start} ms");
        }
    }

    /// A suppressed denial is not formatted: the sink asks for its line
    /// only while the window has room.
    #[test]
    fn a_suppressed_denial_is_not_formatted() {
        let mut window = Window::default();
        let t0 = Instant::now();
        let mut made = 0;
        for _ in 0..100 {
            window.admit("wasock: ", t0, || {
                made += 1;
                "wasock: denied".to_owned()
            });
        }
        assert_eq!(made, LINES_PER_WINDOW);
        assert_eq!(window.suppressed, 100 - u64::from(LINES_PER_WINDOW));
    }

    #[test]
    fn rate_limit_by_bytes() {
        let sink = StderrSink::new();
        let long = Denied::new(Operation::Bind, "[::1]:80", "x".repeat(2000));
        let t0 = Instant::now();
        let printed: usize = (0..10).map(|_| sink.lines_for("g", &long, t0).len()).sum();
        let per_line = LINE_BYTES_CAP;
        assert!(
            printed <= BYTES_PER_WINDOW / (per_line / 2),
            "{printed} lines"
        );
        assert!(printed < 10);
    }

    #[test]
    fn each_guest_has_its_own_limit() {
        let sink = StderrSink::naming_guests();
        let d = connect_denial();
        let t0 = Instant::now();
        for _ in 0..50 {
            sink.lines_for("noisy", &d, t0);
        }
        let quiet = sink.lines_for("quiet", &d, t0);
        assert_eq!(
            quiet.len(),
            1,
            "a noisy guest does not bury another's denials"
        );
        assert!(quiet[0].starts_with("wasock[quiet]: denied connect"));
        assert_eq!(
            sink.finish_lines("noisy"),
            ["wasock[noisy]: 40 more denials suppressed"]
        );
    }

    #[test]
    fn memory_sink_keeps_lines() {
        let sink = MemorySink::new(2);
        let d = connect_denial();
        for _ in 0..5 {
            sink.denied("g", &d);
        }
        assert_eq!(sink.lines().len(), 2);
    }

    #[test]
    fn a_denial_as_values_names_its_grant() {
        let sink = RecordingSink::new(2);
        sink.denied("g", &connect_denial());
        let dns = Denied::new(
            Operation::AddressInformation,
            Subject::quoted("example.com"),
            "no --allow-dns (or --inherit-network) grant",
        );
        sink.denied("h", &dns);
        sink.denied("h", &dns);
        let kept = sink.denials();
        assert_eq!(kept.len(), 2);
        assert_eq!(sink.dropped(), 1);
        assert_eq!(
            kept[0],
            Denial {
                guest: "g".into(),
                operation: Operation::Connect,
                subject: "10.0.0.1:80".into(),
                grant: Some("--allow-connect"),
                reason: "no --allow-connect grant matches".into(),
            }
        );
        assert_eq!(
            (kept[1].operation, kept[1].subject.as_str(), kept[1].grant),
            (
                Operation::AddressInformation,
                "\"example.com\"",
                Some("--allow-dns")
            )
        );
        let never = Denied::new(Operation::SetOption, "option tcp/repair", "no guest may");
        assert_eq!(never.grant(), None);
    }
}
