//! Email templates: per kind a subject, a plain-text body and an HTML body over `base.html`.
//!
//! Rendering is strict (an unknown variable is an error, not an empty string), HTML is
//! auto-escaped, and each render has a fuel limit so no template can loop forever.
//! Subjects are flattened to one line: a value can never add a header.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

/// The email kinds with a default template in the repository.
pub const KINDS: &[&str] = &["invitation"];

/// Instructions a single render may execute.
const FUEL: u64 = 100_000;

/// A rendered email.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The default templates shipped in the repository.
    pub fn defaults() -> anyhow::Result<Self> {
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
        env.add_template("base.html", include_str!("../templates/base.html"))?;
        env.add_template(
            "invitation/subject.txt",
            include_str!("../templates/invitation/subject.txt"),
        )?;
        env.add_template(
            "invitation/body.txt",
            include_str!("../templates/invitation/body.txt"),
        )?;
        env.add_template(
            "invitation/body.html",
            include_str!("../templates/invitation/body.html"),
        )?;
        Ok(Self { env })
    }

    /// Renders `kind` with `context`.
    pub fn render(
        &self,
        kind: &str,
        context: &impl Serialize,
    ) -> Result<Rendered, minijinja::Error> {
        let context = minijinja::Value::from_serialize(context);
        let subject = self
            .env
            .get_template(&format!("{kind}/subject.txt"))?
            .render(&context)?;
        let text = self
            .env
            .get_template(&format!("{kind}/body.txt"))?
            .render(&context)?;
        let html = self
            .env
            .get_template(&format!("{kind}/body.html"))?
            .render(&context)?;
        Ok(Rendered {
            subject: one_line(&subject),
            text,
            html,
        })
    }
}

/// Escapes `& < > " '` in HTML templates and nothing else: minijinja's default also escapes
/// `/`, which is safe but turns every link in an email's source into `http:&#x2f;&#x2f;...`.
fn escape_html_minimally(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
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
    use serde_json::json;

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
    fn html_values_are_escaped_and_text_is_not() {
        let t = Templates::defaults().expect("defaults parse");
        let r = t
            .render("invitation", &invitation("<script>alert(1)</script>"))
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
        let t = Templates::defaults().expect("defaults parse");
        let r = t
            .render("invitation", &invitation("Acme\r\nBcc: evil@example.com"))
            .expect("renders");
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
        assert_eq!(
            r.subject,
            "Acme Bcc: evil@example.com invites you to connect on PartnerNet"
        );
    }

    #[test]
    fn a_missing_variable_is_an_error() {
        let t = Templates::defaults().expect("defaults parse");
        assert!(
            t.render("invitation", &json!({"contact_name": "Ann"}))
                .is_err()
        );
    }
}
