//! The examples' command lines: each example declares its options once (a [`Command`]),
//! lexopt splits the arguments, and this module checks them and writes `--help`,
//! `--version` and usage errors.
//!
//! The examples used clap (derive) until this module replaced it, to keep a fresh
//! clone's first build small; the interface stayed the same: every option, `--opt
//! value` and `--opt=value`, clustered short flags (`-qh`), `--` before paths that
//! start with a dash, and the texts of clap 4's help (`-h` a summary, `--help` the
//! long form) and of its errors, with its exit statuses: 0 after `--help` and
//! `--version` (on standard output), 2 after a usage error (on standard error).
//! Like clap, an option given twice is an error unless it takes a list (values
//! appended, and split at commas), and a value that starts with a dash must be
//! attached: `--threshold=-1`.
//!
//! Each example uses part of this module.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The help's width when deciding whether descriptions go on the next line (clap's
/// default without terminal-size detection; text is never wrapped).
const TERM_WIDTH: usize = 100;

/// A value's check: `Err` says why the value is invalid.
type Check = fn(&str) -> Result<(), String>;

/// An option: a flag (`--chaining`), or with a value name one that takes a value
/// (`--threshold <THRESHOLD>`).
pub(crate) struct Opt {
    long: &'static str,
    short: Option<char>,
    value_name: Option<&'static str>,
    help: &'static str,
    default: Option<String>,
    /// The accepted values and their descriptions ("" for none), in help order.
    choices: Vec<(&'static str, &'static str)>,
    check: Option<Check>,
    /// Any OS string (paths); otherwise a value must be UTF-8.
    os: bool,
    /// May be given more than once; each value is split at commas.
    list: bool,
    conflicts: &'static [&'static str],
    requires: &'static [&'static str],
}

impl Opt {
    /// `--long`, present or not.
    pub(crate) fn flag(long: &'static str, help: &'static str) -> Opt {
        Opt {
            long,
            short: None,
            value_name: None,
            help,
            default: None,
            choices: Vec::new(),
            check: None,
            os: false,
            list: false,
            conflicts: &[],
            requires: &[],
        }
    }

    /// `--long VALUE` (or `--long=VALUE`), any UTF-8 text unless restricted below.
    pub(crate) fn value(long: &'static str, value_name: &'static str, help: &'static str) -> Opt {
        Opt {
            value_name: Some(value_name),
            ..Opt::flag(long, help)
        }
    }

    pub(crate) fn short(mut self, c: char) -> Opt {
        self.short = Some(c);
        self
    }

    /// The value when the option is not given, shown as `[default: …]`.
    pub(crate) fn default(mut self, value: impl ToString) -> Opt {
        self.default = Some(value.to_string());
        self
    }

    /// Only the names of `T`'s choices are accepted.
    pub(crate) fn choices<T: Choice>(mut self) -> Opt {
        self.choices = T::CHOICES.iter().map(|&(n, h, _)| (n, h)).collect();
        self
    }

    /// Values must parse as a `T` (the error is the parse error's text).
    pub(crate) fn parses<T: std::str::FromStr>(self) -> Opt
    where
        T::Err: std::fmt::Display,
    {
        self.check(|s| s.parse::<T>().map(drop).map_err(|e| e.to_string()))
    }

    /// Values must be a `u32`, with clap's messages: read as an `i64`, then
    /// "-1 is not in 0..=4294967295".
    pub(crate) fn parses_u32(self) -> Opt {
        self.check(|s| {
            let n: i64 = s
                .parse()
                .map_err(|e: std::num::ParseIntError| e.to_string())?;
            match u32::try_from(n) {
                Ok(_) => Ok(()),
                Err(_) => Err(format!("{n} is not in 0..={}", u32::MAX)),
            }
        })
    }

    /// Values must pass `check` (its error is shown after the value).
    pub(crate) fn check(mut self, check: Check) -> Opt {
        self.check = Some(check);
        self
    }

    /// A path: any OS string, UTF-8 or not.
    pub(crate) fn path(mut self) -> Opt {
        self.os = true;
        self
    }

    /// A list: the option may be repeated, and each value is split at commas.
    pub(crate) fn list(mut self) -> Opt {
        self.list = true;
        self
    }

    /// Options (long names) that cannot be given with this one.
    pub(crate) fn conflicts(mut self, longs: &'static [&'static str]) -> Opt {
        self.conflicts = longs;
        self
    }

    /// Options (long names) that must be given with this one.
    pub(crate) fn requires(mut self, longs: &'static [&'static str]) -> Opt {
        self.requires = longs;
        self
    }

    /// `--long <VALUE>`, as help and errors show it.
    fn spec(&self) -> String {
        match self.value_name {
            Some(v) => format!("--{} <{v}>", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// An enum that an option takes by name: every variant's name, description ("" for
/// none) and value, in help order.
pub(crate) trait Choice: Copy + 'static {
    const CHOICES: &'static [(&'static str, &'static str, Self)];
}

/// The positional arguments: one (`[SET]`) or any number (`[PATH]...`), all optional.
pub(crate) struct Positional {
    name: &'static str,
    help: &'static str,
    default: Option<String>,
    many: bool,
}

impl Positional {
    /// At most one path.
    pub(crate) fn one(name: &'static str, help: &'static str) -> Positional {
        Positional {
            name,
            help,
            default: None,
            many: false,
        }
    }

    /// Any number of paths.
    pub(crate) fn many(name: &'static str, help: &'static str) -> Positional {
        Positional {
            many: true,
            ..Positional::one(name, help)
        }
    }

    pub(crate) fn default(mut self, value: impl ToString) -> Positional {
        self.default = Some(value.to_string());
        self
    }

    /// `[PATH]...` (or `<PATH>...` in a usage line where it was given).
    fn spec(&self, given: bool) -> String {
        let (open, close) = if given { ('<', '>') } else { ('[', ']') };
        let dots = if self.many { "..." } else { "" };
        format!("{open}{}{close}{dots}", self.name)
    }
}

/// A program's command line.
pub(crate) struct Command {
    name: &'static str,
    version: Option<String>,
    about: &'static str,
    long_about: Option<&'static str>,
    after_help: Option<&'static str>,
    positional: Option<Positional>,
    opts: Vec<Opt>,
}

/// An argument that was given: an option (index into `opts`) or the positional.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Opt(usize),
    Positional,
}

/// Where parsing stopped early: text for standard output (exit 0) or a usage error
/// for standard error (exit 2).
enum Stop {
    Print(String),
    Usage(String),
}

impl Command {
    /// `name` is the program's name in usage lines.
    pub(crate) fn new(name: &'static str, about: &'static str) -> Command {
        Command {
            name,
            version: None,
            about,
            long_about: None,
            after_help: None,
            positional: None,
            opts: Vec::new(),
        }
    }

    /// `-V, --version` prints `line` (e.g. "dedup 0.1.0").
    pub(crate) fn version(mut self, line: impl ToString) -> Command {
        self.version = Some(line.to_string());
        self
    }

    /// The description at the top of `--help` (`-h` shows `about`).
    pub(crate) fn long_about(mut self, text: &'static str) -> Command {
        self.long_about = Some(text);
        self
    }

    /// A paragraph at the end of the help.
    pub(crate) fn after_help(mut self, text: &'static str) -> Command {
        self.after_help = Some(text);
        self
    }

    pub(crate) fn positional(mut self, positional: Positional) -> Command {
        self.positional = Some(positional);
        self
    }

    pub(crate) fn opt(mut self, opt: Opt) -> Command {
        debug_assert!(self.opts.iter().all(|o| o.long != opt.long));
        self.opts.push(opt);
        self
    }

    /// Parses the process's arguments; prints the help, the version or a usage error
    /// and exits where clap did.
    pub(crate) fn parse(self) -> Matches {
        self.parse_from(std::env::args_os().skip(1))
    }

    /// [`parse`](Self::parse) on `args` (without the program name).
    pub(crate) fn parse_from(self, args: impl IntoIterator<Item = OsString>) -> Matches {
        let mut parser = lexopt::Parser::from_args(args);
        // `-q=x` is the flags q and =, as for clap, not -q with the value "x".
        parser.set_short_equals(false);
        match self.try_parse(&mut parser) {
            Ok((values, positionals)) => Matches {
                cmd: self,
                values,
                positionals,
            },
            Err(Stop::Print(text)) => {
                print!("{text}");
                std::process::exit(0);
            }
            Err(Stop::Usage(text)) => {
                eprint!("{text}");
                std::process::exit(2);
            }
        }
    }

    fn try_parse(
        &self,
        parser: &mut lexopt::Parser,
    ) -> Result<(Vec<Vec<OsString>>, Vec<OsString>), Stop> {
        let mut values: Vec<Vec<OsString>> = vec![Vec::new(); self.opts.len()];
        let mut positionals = Vec::new();
        // The arguments given, in the order first given (for usage lines and conflicts).
        let mut used: Vec<Key> = Vec::new();
        loop {
            let arg = match parser.next() {
                Ok(Some(arg)) => arg,
                Ok(None) => break,
                // Only a value left attached to an option, which is always taken below.
                Err(e) => return Err(Stop::Usage(format!("error: {e}\n"))),
            };
            let (name, long) = match arg {
                lexopt::Arg::Value(value) => {
                    let Some(pos) = &self.positional else {
                        return Err(self.unexpected(&value.to_string_lossy(), &[], false));
                    };
                    if !pos.many && !positionals.is_empty() {
                        return Err(self.unexpected(&value.to_string_lossy(), &[], false));
                    }
                    if value.is_empty() {
                        return Err(missing_value(&pos.spec(false), &[]));
                    }
                    positionals.push(value);
                    if !used.contains(&Key::Positional) {
                        used.push(Key::Positional);
                    }
                    continue;
                }
                lexopt::Arg::Long(l) => (format!("--{l}"), true),
                lexopt::Arg::Short(c) => (format!("-{c}"), false),
            };
            let Some(found) = self.find(&name) else {
                // clap names the options given so far in the usage line, but not for
                // an unknown short option.
                let used: &[Key] = if long { &used } else { &[] };
                return Err(self.unexpected(&name, used, true));
            };
            let i = match found {
                Found::Help | Found::Version => {
                    if long && let Some(v) = parser.optional_value() {
                        let pos = self
                            .positional
                            .as_ref()
                            .map(|p| format!(" {}", p.spec(used.contains(&Key::Positional))));
                        let usage = format!("{} {name}{}", self.name, pos.unwrap_or_default());
                        return Err(flag_with_value(&name, &v, &usage));
                    }
                    return Err(Stop::Print(match found {
                        Found::Help => self.help(long),
                        _ => format!("{}\n", self.version.as_deref().unwrap_or_default()),
                    }));
                }
                Found::Opt(i) => i,
            };
            let opt = &self.opts[i];
            if used.contains(&Key::Opt(i)) && !opt.list {
                return Err(self.usage_error(
                    &format!(
                        "the argument '{}' cannot be used multiple times",
                        opt.spec()
                    ),
                    &[],
                ));
            }
            if opt.value_name.is_none() {
                if long && let Some(v) = parser.optional_value() {
                    let pos = self
                        .positional
                        .as_ref()
                        .map(|p| format!(" {}", p.spec(false)));
                    let usage = format!("{} {}{}", self.name, opt.spec(), pos.unwrap_or_default());
                    return Err(flag_with_value(&opt.spec(), &v, &usage));
                }
                values[i].push(OsString::new());
            } else {
                let value = self.take_value(parser, opt, &used)?;
                for v in self.check_value(opt, value)? {
                    values[i].push(v);
                }
            }
            if !used.contains(&Key::Opt(i)) {
                used.push(Key::Opt(i));
            }
        }
        self.check_conflicts(&used)?;
        self.check_requires(&used)?;
        Ok((values, positionals))
    }

    /// The value of `opt`: attached (`--opt=v`, `-ov`) or the next argument. As in
    /// clap, a next argument that looks like an option is not taken: a known option
    /// leaves `opt` without a value, an unknown one is reported.
    fn take_value(
        &self,
        parser: &mut lexopt::Parser,
        opt: &Opt,
        used: &[Key],
    ) -> Result<OsString, Stop> {
        let missing = || missing_value(&opt.spec(), &opt.choices);
        if let Some(v) = parser.optional_value() {
            // clap takes `--list=` as one empty value, `--opt=` as no value.
            return if v.is_empty() && !opt.list {
                Err(missing())
            } else {
                Ok(v)
            };
        }
        let next = parser
            .try_raw_args()
            .and_then(|raw| raw.peek().map(OsStr::to_os_string));
        let Some(next) = next else {
            return Err(missing());
        };
        let bytes = next.as_encoded_bytes();
        if bytes == b"--" {
            return Err(missing());
        }
        if bytes.len() > 1 && bytes[0] == b'-' {
            let (name, used) = match parser.next() {
                Ok(Some(lexopt::Arg::Long(l))) => (format!("--{l}"), used),
                Ok(Some(lexopt::Arg::Short(c))) => (format!("-{c}"), &[][..]),
                _ => return Err(missing()),
            };
            return Err(match self.find(&name) {
                Some(_) => missing(),
                None => self.unexpected(&name, used, true),
            });
        }
        parser.value().map_err(|_| missing())
    }

    /// `value` split (for a list) and checked as `opt` asks.
    fn check_value(&self, opt: &Opt, value: OsString) -> Result<Vec<OsString>, Stop> {
        let invalid = |v: &str, why: Option<String>| {
            let mut msg = format!("error: invalid value '{v}' for '{}'", opt.spec());
            match why {
                Some(why) => write!(msg, ": {why}").unwrap(),
                None => write!(msg, "\n  [possible values: {}]", names(&opt.choices)).unwrap(),
            }
            Stop::Usage(format!("{msg}\n\nFor more information, try '--help'.\n"))
        };
        if !opt.choices.is_empty() {
            if value.is_empty() {
                return Err(missing_value(&opt.spec(), &opt.choices));
            }
            let v = value.to_string_lossy();
            if !opt.choices.iter().any(|&(n, _)| n == v) {
                return Err(invalid(&v, None));
            }
            return Ok(vec![value]);
        }
        if opt.os {
            return Ok(vec![value]);
        }
        let Some(text) = value.to_str() else {
            return Err(
                self.usage_error("invalid UTF-8 was detected in one or more arguments", &[])
            );
        };
        let parts: Vec<&str> = if opt.list {
            text.split(',').collect()
        } else {
            vec![text]
        };
        for part in &parts {
            if let Some(check) = opt.check {
                check(part).map_err(|why| invalid(part, Some(why)))?;
            }
        }
        Ok(parts.into_iter().map(OsString::from).collect())
    }

    /// The first argument given that conflicts with others given, as clap reports it.
    fn check_conflicts(&self, used: &[Key]) -> Result<(), Stop> {
        let conflict = |a: usize, b: usize| {
            let (a, b) = (&self.opts[a], &self.opts[b]);
            a.conflicts.contains(&b.long) || b.conflicts.contains(&a.long)
        };
        for &k in used {
            let Key::Opt(a) = k else { continue };
            let with: Vec<Key> = used
                .iter()
                .copied()
                .filter(|&o| matches!(o, Key::Opt(b) if conflict(a, b)))
                .collect();
            if with.is_empty() {
                continue;
            }
            let spec = |k: Key| match k {
                Key::Opt(i) => self.opts[i].spec(),
                Key::Positional => String::new(),
            };
            let mut msg = format!("the argument '{}' cannot be used with", spec(k));
            if let [one] = with[..] {
                write!(msg, " '{}'", spec(one)).unwrap();
            } else {
                msg.push(':');
                for &w in &with {
                    write!(msg, "\n  {}", spec(w)).unwrap();
                }
            }
            let rest: Vec<Key> = used.iter().copied().filter(|k| !with.contains(k)).collect();
            return Err(usage_error(&msg, &self.usage(&rest, true)));
        }
        Ok(())
    }

    /// Options that options given require and that are missing.
    fn check_requires(&self, used: &[Key]) -> Result<(), Stop> {
        let mut missing = Vec::new();
        for &k in used {
            let Key::Opt(i) = k else { continue };
            for &r in self.opts[i].requires {
                let j = self.index(r);
                if !used.contains(&Key::Opt(j)) && !missing.contains(&j) {
                    missing.push(j);
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let mut msg = String::from("the following required arguments were not provided:");
        for &j in &missing {
            write!(msg, "\n  {}", self.opts[j].spec()).unwrap();
        }
        Err(usage_error(&msg, &self.usage(used, true)))
    }

    fn index(&self, long: &str) -> usize {
        self.opts
            .iter()
            .position(|o| o.long == long)
            .unwrap_or_else(|| panic!("no option --{long}"))
    }

    /// What `name` (`--long` or `-s`) names.
    fn find(&self, name: &str) -> Option<Found> {
        let (long, short) = match name.strip_prefix("--") {
            Some(l) => (Some(l), None),
            None => (None, name.strip_prefix('-').and_then(|s| s.chars().next())),
        };
        let is = |l: &str, s: char| long == Some(l) || short == Some(s);
        if is("help", 'h') {
            return Some(Found::Help);
        }
        if self.version.is_some() && is("version", 'V') {
            return Some(Found::Version);
        }
        self.opts
            .iter()
            .position(|o| long == Some(o.long) || (short.is_some() && short == o.short))
            .map(Found::Opt)
    }

    /// "unexpected argument", with clap's tip for an option-like argument where paths
    /// may follow `--`.
    fn unexpected(&self, arg: &str, used: &[Key], option: bool) -> Stop {
        let mut msg = format!("unexpected argument '{arg}' found");
        if option && self.positional.is_some() {
            write!(msg, "\n\n  tip: to pass '{arg}' as a value, use '-- {arg}'").unwrap();
        }
        self.usage_error(&msg, used)
    }

    /// `error: MSG`, the usage line for the arguments `used`, and the pointer to `--help`.
    fn usage_error(&self, msg: &str, used: &[Key]) -> Stop {
        usage_error(msg, &self.usage(used, false))
    }

    /// `dedup [OPTIONS] [PATH]...`; with arguments given, clap's usage names them
    /// instead (with `required`, after the options they require that are missing), and
    /// `<PATH>...` once paths are given.
    fn usage(&self, used: &[Key], required: bool) -> String {
        let mut parts = vec![self.name.to_string()];
        if used.is_empty() {
            parts.push("[OPTIONS]".into());
        } else {
            let mut opts: Vec<usize> = Vec::new();
            for &k in used.iter().filter(|_| required) {
                if let Key::Opt(i) = k {
                    for &r in self.opts[i].requires {
                        let j = self.index(r);
                        if !opts.contains(&j) && !used.contains(&Key::Opt(j)) {
                            opts.push(j);
                        }
                    }
                }
            }
            for &k in used {
                if let Key::Opt(i) = k
                    && !opts.contains(&i)
                {
                    opts.push(i);
                }
            }
            parts.extend(opts.iter().map(|&i| self.opts[i].spec()));
        }
        if let Some(pos) = &self.positional {
            parts.push(pos.spec(used.contains(&Key::Positional)));
        }
        parts.join(" ")
    }

    /// Whether `--help` says more than `-h`: a long description, or described choices.
    fn has_long_help(&self) -> bool {
        self.long_about.is_some()
            || self
                .opts
                .iter()
                .any(|o| o.choices.iter().any(|&(_, h)| !h.is_empty()))
    }

    /// The help: `-h` (a line per option) or `--help` (each option's description on
    /// the lines below it, choices described), laid out as clap 4 lays them out.
    fn help(&self, asked_long: bool) -> String {
        let long = asked_long && self.has_long_help();
        let mut out = String::new();
        out.push_str(if long {
            self.long_about.unwrap_or(self.about)
        } else {
            self.about
        });
        write!(out, "\n\nUsage: {}\n\n", self.usage(&[], false)).unwrap();
        if let Some(pos) = &self.positional {
            out.push_str("Arguments:\n");
            let row = Row {
                spec: pos.spec(false),
                help: pos.help.to_string(),
                default: pos.default.clone(),
                choices: &[],
            };
            write_rows(&mut out, &[row], long);
            out.push_str("\n\n");
        }
        out.push_str("Options:\n");
        let mut rows: Vec<Row> = self
            .opts
            .iter()
            .map(|o| Row {
                spec: match o.short {
                    Some(s) => format!("-{s}, {}", o.spec()),
                    None => format!("    {}", o.spec()),
                },
                help: o.help.to_string(),
                default: o.default.clone(),
                choices: &o.choices,
            })
            .collect();
        let help = match (self.has_long_help(), long) {
            (false, _) => "Print help",
            (true, false) => "Print help (see more with '--help')",
            (true, true) => "Print help (see a summary with '-h')",
        };
        rows.push(Row::flag("-h, --help", help));
        if self.version.is_some() {
            rows.push(Row::flag("-V, --version", "Print version"));
        }
        write_rows(&mut out, &rows, long);
        if let Some(after) = self.after_help {
            write!(out, "\n\n{after}").unwrap();
        }
        out.push('\n');
        out
    }
}

fn usage_error(msg: &str, usage: &str) -> Stop {
    Stop::Usage(format!(
        "error: {msg}\n\nUsage: {usage}\n\nFor more information, try '--help'.\n"
    ))
}

/// A value attached to a flag: `--quiet=1`.
fn flag_with_value(spec: &str, value: &OsStr, usage: &str) -> Stop {
    let msg = format!(
        "unexpected value '{}' for '{spec}' found; no more were expected",
        value.to_string_lossy()
    );
    usage_error(&msg, usage)
}

enum Found {
    Help,
    Version,
    Opt(usize),
}

/// "a value is required": an option's value, or an empty path.
fn missing_value(spec: &str, choices: &[(&str, &str)]) -> Stop {
    let mut msg = format!("error: a value is required for '{spec}' but none was supplied");
    if !choices.is_empty() {
        write!(msg, "\n  [possible values: {}]", names(choices)).unwrap();
    }
    Stop::Usage(format!("{msg}\n\nFor more information, try '--help'.\n"))
}

fn names(choices: &[(&str, &str)]) -> String {
    choices
        .iter()
        .map(|&(n, _)| n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One argument in the help.
struct Row<'a> {
    /// `-q, --quiet`, `    --threshold <THRESHOLD>`, `[PATH]...`.
    spec: String,
    help: String,
    default: Option<String>,
    choices: &'a [(&'static str, &'static str)],
}

impl Row<'_> {
    fn flag(spec: &str, help: &str) -> Row<'static> {
        Row {
            spec: spec.to_string(),
            help: help.to_string(),
            default: None,
            choices: &[],
        }
    }

    /// Whether the choices are listed with their descriptions (in `--help`).
    fn described_choices(&self, long: bool) -> bool {
        long && self.choices.iter().any(|&(_, h)| !h.is_empty())
    }

    /// `[default: …]` and `[possible values: …]`.
    fn notes(&self, long: bool) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(d) = &self.default {
            notes.push(format!("[default: {d}]"));
        }
        if !self.choices.is_empty() && !self.described_choices(long) {
            notes.push(format!("[possible values: {}]", names(self.choices)));
        }
        notes
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// A section's rows: aligned in columns, or (in `--help`, or where a description
/// would not fit beside a long spec) each description indented on the next line.
fn write_rows(out: &mut String, rows: &[Row], long: bool) {
    let longest = rows
        .iter()
        .map(|r| width(&r.spec))
        .max()
        .unwrap_or(0)
        .max(2);
    let taken = longest + 4;
    let next_line = long
        || rows.iter().any(|r| {
            let w = width(&r.help) + width(&r.notes(false).join(" "));
            TERM_WIDTH >= taken && taken as f32 / TERM_WIDTH as f32 > 0.40 && w > TERM_WIDTH - taken
        });
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            if next_line && long {
                out.push('\n');
            }
        }
        out.push_str("  ");
        out.push_str(&row.spec);
        let spaces = if next_line {
            out.push_str("\n          ");
            10
        } else {
            out.push_str(&" ".repeat(longest + 2 - width(&row.spec)));
            taken
        };
        let indent = format!("\n{}", " ".repeat(spaces));
        let notes = row.notes(long);
        let mut help = row.help.clone();
        if !long && !notes.is_empty() {
            if !help.is_empty() {
                help.push(' ');
            }
            help.push_str(&notes.join(" "));
        }
        out.push_str(&help.replace('\n', &indent));
        let described = row.described_choices(long);
        if described {
            let name_width = row
                .choices
                .iter()
                .map(|&(n, _)| width(n))
                .max()
                .unwrap_or(0);
            if !help.is_empty() {
                write!(out, "\n\n{:spaces$}", "").unwrap();
            }
            out.push_str("Possible values:");
            for &(name, about) in row.choices {
                write!(out, "\n{:spaces$}- {name}", "").unwrap();
                if !about.is_empty() {
                    let pad = name_width - width(name);
                    write!(out, ": {:pad$}{about}", "").unwrap();
                }
            }
        }
        if long && !notes.is_empty() {
            let mut tail = String::new();
            if !help.is_empty() || described {
                tail.push_str("\n\n");
            }
            tail.push_str(&notes.join("\n"));
            out.push_str(&tail.replace('\n', &indent));
        }
    }
}

/// The parsed command line.
pub(crate) struct Matches {
    cmd: Command,
    values: Vec<Vec<OsString>>,
    positionals: Vec<OsString>,
}

impl Matches {
    fn given(&self, long: &str) -> &[OsString] {
        &self.values[self.cmd.index(long)]
    }

    fn default(&self, long: &str) -> Option<&str> {
        self.cmd.opts[self.cmd.index(long)].default.as_deref()
    }

    /// Whether the flag `--long` was given.
    pub(crate) fn flag(&self, long: &str) -> bool {
        !self.given(long).is_empty()
    }

    /// The value of `--long` (UTF-8, checked), or its default.
    pub(crate) fn text(&self, long: &str) -> Option<String> {
        match self.given(long).first() {
            Some(v) => Some(v.to_string_lossy().into_owned()),
            None => self.default(long).map(str::to_string),
        }
    }

    /// The path `--long`, or its default.
    pub(crate) fn path(&self, long: &str) -> Option<PathBuf> {
        match self.given(long).first() {
            Some(v) => Some(PathBuf::from(v)),
            None => self.default(long).map(PathBuf::from),
        }
    }

    /// The value of `--long` as a `T` (checked while parsing), or its default.
    pub(crate) fn get<T: std::str::FromStr>(&self, long: &str) -> Option<T> {
        self.text(long).map(|s| parsed(long, &s))
    }

    /// The value of `--long` as a `T`, or its default (which it must have).
    pub(crate) fn value<T: std::str::FromStr>(&self, long: &str) -> T {
        self.get(long)
            .unwrap_or_else(|| panic!("--{long} has no default"))
    }

    /// The value of `--long` read by `parse` (its check while parsing), or its default.
    pub(crate) fn get_with<T>(
        &self,
        long: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.text(long)
            .map(|s| parse(&s).unwrap_or_else(|e| panic!("--{long} {s:?}, checked: {e}")))
    }

    /// The choice named by `--long`, or its default.
    pub(crate) fn choice<T: Choice>(&self, long: &str) -> T {
        let name = self
            .text(long)
            .unwrap_or_else(|| panic!("--{long} has no default"));
        T::CHOICES
            .iter()
            .find(|&&(n, _, _)| n == name)
            .map(|&(_, _, v)| v)
            .unwrap_or_else(|| panic!("--{long} {name:?} was checked"))
    }

    /// The values of the list `--long` (every time given, split at commas), or its
    /// default, split.
    pub(crate) fn list<T: std::str::FromStr>(&self, long: &str) -> Vec<T> {
        let given = self.given(long);
        if given.is_empty() {
            let default = self.default(long).unwrap_or_default();
            return default.split(',').map(|s| parsed(long, s)).collect();
        }
        given
            .iter()
            .map(|v| parsed(long, &v.to_string_lossy()))
            .collect()
    }

    /// The paths given, or the default path (if any).
    pub(crate) fn positionals(&self) -> Vec<PathBuf> {
        if self.positionals.is_empty() {
            let pos = self.cmd.positional.as_ref();
            return pos
                .and_then(|p| p.default.as_deref())
                .map(PathBuf::from)
                .into_iter()
                .collect();
        }
        self.positionals.iter().map(PathBuf::from).collect()
    }
}

fn parsed<T: std::str::FromStr>(long: &str, s: &str) -> T {
    s.parse()
        .unwrap_or_else(|_| panic!("--{long} {s:?} was checked while parsing"))
}
