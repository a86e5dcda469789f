//! Email templates: per kind a subject, a plain-text body and an HTML body (over `base.html`).
//! An org may replace any kind's set; the defaults ship in `templates/` beside this crate.
//!
//! Rendering is strict (an unknown variable is an error, not an empty string), HTML is
//! auto-escaped, and each render has a fuel limit so no template can loop forever. Each rendered
//! part is bounded in size ([`RENDERED_LIMITS`]): a render that would write more stops there and
//! is refused, at save time (sample values) and at send time (real values) alike. Subjects are
//! flattened to one line: a value can never add a header.
//!
//! Log safety: an error from rendering carries the part, the line and the kind of error, never
//! minijinja's detail, which can quote a value (e.g. `{% include accept_url %}` names the URL,
//! token included). Only save-time checks, which render public sample values, give the detail.

use crate::kinds::{COMMON_VARIABLES, KINDS, Kind};
use crate::template_position as position;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Instructions a single render may execute.
const FUEL: u64 = 200_000;

/// The most bytes each rendered part may have: subject, text, HTML.
pub const RENDERED_LIMITS: [(&str, usize); 3] =
    [("subject", 1_000), ("text", 200_000), ("html", 500_000)];

/// The largest single value a template may print (the largest part limit): checked before the
/// value is escaped or copied, so a huge value costs nothing more than its creation.
const LARGEST_PART: usize = 500_000;

/// The three sources of one kind's email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateSet {
    /// One line; line breaks in the result become spaces.
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"^[^\u0000]*\S[^\u0000]*$"
    )]
    pub subject: String,
    /// The plain-text part.
    #[schema(
        min_length = 1,
        max_length = 100000,
        pattern = r"^[^\u0000]*\S[^\u0000]*$"
    )]
    pub text: String,
    /// The HTML part; `{% extends "base.html" %}` gives the standard layout.
    #[schema(
        min_length = 1,
        max_length = 200000,
        pattern = r"^[^\u0000]*\S[^\u0000]*$"
    )]
    pub html: String,
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a template set was refused: which part, where, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateProblem {
    /// `subject`, `text` or `html`.
    pub field: &'static str,
    pub line: Option<usize>,
    /// The column on `line` (1-based, in characters), when known.
    pub column: Option<usize>,
    pub reason: String,
}

impl std::fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The column is a field of the API's problem; the detail keeps its "line N: " form.
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

macro_rules! default_set {
    ($kind:literal) => {
        TemplateSet {
            subject: include_str!(concat!("../templates/", $kind, "/subject.txt")).to_string(),
            text: include_str!(concat!("../templates/", $kind, "/body.txt")).to_string(),
            html: include_str!(concat!("../templates/", $kind, "/body.html")).to_string(),
        }
    };
}

const BASE_LAYOUT: &str = include_str!("../templates/base.html");
const PARTS: [(&str, &str); 3] = [
    ("subject", "subject.txt"),
    ("text", "body.txt"),
    ("html", "body.html"),
];

pub struct Templates {
    defaults: HashMap<&'static str, TemplateSet>,
    /// The default sets, compiled once: most emails use them, and compiling a set costs more
    /// than rendering it. An org's own set is compiled when it is used.
    compiled: HashMap<&'static str, Environment<'static>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::defaults()
    }
}

impl Templates {
    /// The default templates shipped in the repository (a test checks each one validates).
    pub fn defaults() -> Self {
        let defaults = HashMap::from([
            ("invitation", default_set!("invitation")),
            ("invitation_resent", default_set!("invitation_resent")),
            ("invitation_cancelled", default_set!("invitation_cancelled")),
            ("invitation_accepted", default_set!("invitation_accepted")),
            ("invitation_declined", default_set!("invitation_declined")),
            (
                "connection_deactivated",
                default_set!("connection_deactivated"),
            ),
            ("connection_updated", default_set!("connection_updated")),
            ("records_forwarded", default_set!("records_forwarded")),
            ("sync_failures", default_set!("sync_failures")),
            ("sign_in_link", default_set!("sign_in_link")),
        ]);
        // A default that does not compile is left out here and reported by each render (a
        // test checks that every default compiles and validates).
        let compiled = defaults
            .iter()
            .filter_map(|(kind, set)| environment(set).ok().map(|env| (*kind, env)))
            .collect();
        Self { defaults, compiled }
    }

    pub fn default_set(&self, kind: &str) -> Option<&TemplateSet> {
        self.defaults.get(kind)
    }

    /// Renders `kind` from the org's `custom` set, or the default one.
    pub fn render(
        &self,
        kind: &str,
        custom: Option<&TemplateSet>,
        context: &serde_json::Value,
    ) -> Result<Rendered, TemplateProblem> {
        self.render_with(kind, custom, context, Detail::Withheld)
    }

    fn render_with(
        &self,
        kind: &str,
        custom: Option<&TemplateSet>,
        context: &serde_json::Value,
        detail: Detail,
    ) -> Result<Rendered, TemplateProblem> {
        let set = match custom.or_else(|| self.default_set(kind)) {
            Some(set) => set,
            None => {
                return Err(TemplateProblem {
                    field: "kind",
                    line: None,
                    column: None,
                    reason: format!("no template for email kind {kind}"),
                });
            }
        };
        let compiled_here;
        let env = match custom.is_none().then(|| self.compiled.get(kind)).flatten() {
            Some(env) => env,
            None => {
                compiled_here = environment(set)?;
                &compiled_here
            }
        };
        let context = minijinja::Value::from_serialize(context);
        let mut out = [String::new(), String::new(), String::new()];
        for ((slot, (field, name)), (_, limit)) in out.iter_mut().zip(PARTS).zip(RENDERED_LIMITS) {
            let source = source_of(set, field);
            let template = env
                .get_template(name)
                .map_err(|e| problem(field, source, &e))?;
            *slot = render_bounded(&template, &context, limit).map_err(|e| match e {
                Bounded::TooLarge => TemplateProblem {
                    field,
                    line: None,
                    column: None,
                    reason: format!("renders to more than {limit} bytes"),
                },
                Bounded::Failed(e) => match detail {
                    Detail::Shown => problem(field, source, &e),
                    Detail::Withheld => problem_without_values(field, source, &e),
                },
            })?;
        }
        let [subject, text, html] = out;
        Ok(Rendered {
            subject: one_line(&subject),
            text,
            html,
        })
    }

    /// Checks an org's set for `kind` before it is saved: it parses, uses only the kind's
    /// variables, and renders with sample values.
    pub fn validate(&self, kind: &Kind, set: &TemplateSet) -> Result<(), TemplateProblem> {
        for (field, source, max) in [
            ("subject", &set.subject, 1_000),
            ("text", &set.text, 100_000),
            ("html", &set.html, 200_000),
        ] {
            if source.trim().is_empty() || source.len() > max {
                return Err(TemplateProblem {
                    field,
                    line: None,
                    column: None,
                    reason: format!("must have 1 to {max} characters"),
                });
            }
            // PostgreSQL text cannot hold NUL; refused here rather than failing the save.
            if source.contains('\0') {
                let at = position::of_word(source, "\0");
                return Err(TemplateProblem {
                    field,
                    line: at.map(|p| p.line),
                    column: at.map(|p| p.column),
                    reason: "must not contain NUL characters".into(),
                });
            }
        }
        let env = environment(set)?;
        for (field, name) in PARTS {
            let source = source_of(set, field);
            let template = env
                .get_template(name)
                .map_err(|e| problem(field, source, &e))?;
            let mut unknown: Vec<String> = template
                .undeclared_variables(false)
                .into_iter()
                .filter(|v| {
                    !kind.variables.contains(&v.as_str()) && !COMMON_VARIABLES.contains(&v.as_str())
                })
                .collect();
            unknown.sort();
            if let Some(variable) = unknown.first() {
                let at = position::of_word(source, variable);
                return Err(TemplateProblem {
                    field,
                    line: at.map(|p| p.line),
                    column: at.map(|p| p.column),
                    reason: format!(
                        "unknown variable `{variable}`; the {} email offers: {}",
                        kind.name,
                        kind.variables
                            .iter()
                            .chain(COMMON_VARIABLES)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        // Sample values are public: the full error helps the author.
        self.render_with(kind.name, Some(set), &(kind.sample)(), Detail::Shown)
            .map(|_| ())
    }

    /// Every kind with a default.
    pub fn kinds(&self) -> impl Iterator<Item = &'static Kind> {
        KINDS.iter()
    }
}

/// Whether a render error may quote minijinja's detail (which can contain values).
#[derive(Clone, Copy)]
enum Detail {
    Shown,
    Withheld,
}

enum Bounded {
    TooLarge,
    Failed(minijinja::Error),
}

/// Renders into a buffer that refuses to grow past `limit` bytes, so a template that would
/// write gigabytes stops at the limit instead.
fn render_bounded(
    template: &minijinja::Template<'_, '_>,
    context: &minijinja::Value,
    limit: usize,
) -> Result<String, Bounded> {
    let mut buffer = LimitedBuffer {
        bytes: Vec::new(),
        limit,
        overflowed: false,
    };
    let result = template.render_captured_to(context, &mut buffer);
    let value_too_large = matches!(&result, Err(e) if e.detail() == Some(VALUE_TOO_LARGE));
    if buffer.overflowed || value_too_large {
        return Err(Bounded::TooLarge);
    }
    result.map_err(Bounded::Failed)?;
    String::from_utf8(buffer.bytes).map_err(|_| {
        Bounded::Failed(minijinja::Error::new(
            minijinja::ErrorKind::BadEscape,
            "output is not UTF-8",
        ))
    })
}

struct LimitedBuffer {
    bytes: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

impl std::io::Write for LimitedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("rendered part too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const VALUE_TOO_LARGE: &str = "a printed value is too large";

fn environment(set: &TemplateSet) -> Result<Environment<'static>, TemplateProblem> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(escape_html_minimally);
    env.add_template("base.html", BASE_LAYOUT)
        .map_err(|e| problem("html", BASE_LAYOUT, &e))?;
    for ((field, name), source) in PARTS.into_iter().zip([&set.subject, &set.text, &set.html]) {
        env.add_template_owned(name, source.clone())
            .map_err(|e| problem(field, source, &e))?;
    }
    Ok(env)
}

/// The source of `field` (`subject`, `text` or `html`) in `set`.
fn source_of<'a>(set: &'a TemplateSet, field: &str) -> &'a str {
    match field {
        "subject" => &set.subject,
        "text" => &set.text,
        _ => &set.html,
    }
}

fn problem(field: &'static str, source: &str, err: &minijinja::Error) -> TemplateProblem {
    let (line, column) = position::of_error(source, err);
    TemplateProblem {
        field,
        line,
        column,
        reason: err
            .detail()
            .map(|d| format!("{}: {d}", err.kind()))
            .unwrap_or_else(|| err.kind().to_string()),
    }
}

/// The part, line and kind of error, and nothing minijinja quoted from the values.
fn problem_without_values(
    field: &'static str,
    source: &str,
    err: &minijinja::Error,
) -> TemplateProblem {
    let (line, column) = position::of_error(source, err);
    TemplateProblem {
        field,
        line,
        column,
        reason: err.kind().to_string(),
    }
}

/// Escapes `& < > " '` in HTML templates and nothing else: minijinja's default also escapes
/// `/`, which is safe but turns every link in an email's source into `http:&#x2f;&#x2f;...`.
fn escape_html_minimally(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if value.as_str().is_some_and(|s| s.len() > LARGEST_PART) {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            VALUE_TOO_LARGE,
        ));
    }
    if !matches!(state.auto_escape(), AutoEscape::Html) || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    out.write_str(&escaped).map_err(minijinja::Error::from)
}

/// Control characters (CR, LF, ...) become spaces; runs of spaces become one.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;
    use serde_json::json;

    /// `body` repeated 10,000 times (range() is not offered to org templates).
    fn ten_thousand_times(body: &str) -> String {
        let open = "{% for d in 'abcdefghij' %}".repeat(4);
        format!("{open}{body}{}", "{% endfor %}".repeat(4))
    }

    fn invitation(org: &str) -> serde_json::Value {
        json!({
            "inviter_org_name": org,
            "sender_org_name": org,
            "contact_name": "Ann",
            "accept_url": "https://pn.example/invitations/accept?token=abc",
            "expires_on": "23 December 2026",
        })
    }

    #[test]
    fn every_default_template_validates_with_its_sample() {
        let t = Templates::defaults();
        for kind in kinds::KINDS {
            let set = t.default_set(kind.name).expect("a default for every kind");
            assert_eq!(t.validate(kind, set), Ok(()), "{}", kind.name);
        }
    }

    #[test]
    fn html_values_are_escaped_and_text_is_not() {
        let t = Templates::defaults();
        let r = t
            .render("invitation", None, &invitation("<script>alert(1)</script>"))
            .expect("renders");
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(!r.html.contains("<script>"));
        assert!(r.text.contains("<script>alert(1)</script> would like"));
        assert!(
            r.html
                .contains(r#"href="https://pn.example/invitations/accept?token=abc""#)
        );
    }

    #[test]
    fn a_value_cannot_break_the_subject_into_headers() {
        let t = Templates::defaults();
        let r = t
            .render(
                "invitation",
                None,
                &invitation("Acme\r\nBcc: evil@example.com"),
            )
            .expect("renders");
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
        assert_eq!(
            r.subject,
            "Acme Bcc: evil@example.com invites you to connect on PartnerNet"
        );
    }

    #[test]
    fn a_missing_variable_is_an_error() {
        let t = Templates::defaults();
        assert!(
            t.render("invitation", None, &json!({"contact_name": "Ann"}))
                .is_err()
        );
    }

    #[test]
    fn an_unknown_variable_is_refused_with_its_line() {
        let t = Templates::defaults();
        let kind = kinds::find("invitation").expect("kind");
        let mut set = t.default_set("invitation").expect("default").clone();
        set.text = "Hello {{ contact_name }},\n\nYour code: {{ secret_code }}\n".into();
        let err = t.validate(kind, &set).expect_err("refused");
        assert_eq!((err.field, err.line), ("text", Some(3)));
        assert!(
            err.reason.starts_with("unknown variable `secret_code`"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn a_template_that_does_not_parse_is_refused_with_its_line() {
        let t = Templates::defaults();
        let kind = kinds::find("invitation").expect("kind");
        let mut set = t.default_set("invitation").expect("default").clone();
        set.html = "<p>Hello</p>\n{% if contact_name %}\n<p>unclosed</p>\n".into();
        let err = t.validate(kind, &set).expect_err("refused");
        assert_eq!(err.field, "html");
        assert!(err.line.is_some());
    }

    #[test]
    fn a_part_that_renders_past_its_limit_is_refused_without_building_it() {
        let t = Templates::defaults();
        let kind = kinds::find("invitation").expect("kind");
        let mut set = t.default_set("invitation").expect("default").clone();
        set.text = "{% for c in 'abc' %}{{ 'x' * 100000000 }}{% endfor %}".into();
        let err = t.validate(kind, &set).expect_err("refused");
        assert_eq!(err.field, "text");
        assert_eq!(err.reason, "renders to more than 200000 bytes");

        // Small pieces in a loop add up past the limit too.
        set.text = ten_thousand_times("{{ contact_name * 100 }}");
        let err = t.validate(kind, &set).expect_err("refused");
        assert_eq!(err.reason, "renders to more than 200000 bytes");
    }

    #[test]
    fn a_template_small_with_samples_but_huge_with_real_values_fails_at_render() {
        let t = Templates::defaults();
        let kind = kinds::find("invitation").expect("kind");
        let mut set = t.default_set("invitation").expect("default").clone();
        set.html = ten_thousand_times("{{ contact_name }}");
        assert_eq!(t.validate(kind, &set), Ok(()));
        let mut real = invitation("Acme");
        real["contact_name"] = json!("y".repeat(200));
        let err = t
            .render("invitation", Some(&set), &real)
            .expect_err("too large");
        assert_eq!(err.field, "html");
        assert_eq!(err.reason, "renders to more than 500000 bytes");
    }

    #[test]
    fn a_render_error_never_quotes_a_value() {
        let t = Templates::defaults();
        let mut set = t.default_set("invitation").expect("default").clone();
        set.text = "{% if 'partnernet.example' in accept_url %}Hi{% else %}{% include accept_url %}{% endif %}".into();
        let err = t
            .render("invitation", Some(&set), &invitation("Acme"))
            .expect_err("the include fails");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("token=abc"), "{shown}");
        assert!(!shown.contains("pn.example"), "{shown}");
        assert_eq!(err.field, "text");
    }

    #[test]
    fn a_nul_character_is_refused_with_its_part() {
        let t = Templates::defaults();
        let kind = kinds::find("invitation").expect("kind");
        let mut set = t.default_set("invitation").expect("default").clone();
        set.subject = "Hello\0there".into();
        let err = t.validate(kind, &set).expect_err("refused");
        assert_eq!(err.field, "subject");
        assert_eq!(err.reason, "must not contain NUL characters");
    }

    #[test]
    fn a_template_that_loops_forever_runs_out_of_fuel() {
        let t = Templates::defaults();
        let kind = kinds::find("invitation").expect("kind");
        let mut set = t.default_set("invitation").expect("default").clone();
        set.text =
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"
                .into();
        let err = t.validate(kind, &set).expect_err("refused");
        assert_eq!(err.field, "text");
    }
}
