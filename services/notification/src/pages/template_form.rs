//! An email template's form (subject, plain-text body, HTML body), the posted form read back
//! into the API's [`TemplateSet`], and a refused template's error placed at the part it names,
//! with its line and column and the text of that line.

use crate::templates::TemplateSet;
use serde::Deserialize;
use shared::http::ApiError;
use shared::web::escape;
use shared::web::notice::problem_text;

/// The posted form: the three parts and the button pressed (`save` or `preview`).
#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub html: String,
    pub action: Option<String>,
}

impl TemplateForm {
    /// The template the form holds. Browsers send a textarea's line breaks as CRLF: they are
    /// kept as LF, as a template's source has them.
    pub fn template(&self) -> TemplateSet {
        let lf = |text: &str| text.replace("\r\n", "\n");
        TemplateSet {
            subject: lf(&self.subject),
            text: lf(&self.text),
            html: lf(&self.html),
        }
    }
}

/// The three parts: (field, label, a hint).
const PARTS: [(&str, &str, &str); 3] = [
    ("subject", "Subject", "One line; line breaks become spaces."),
    (
        "text",
        "Plain-text body",
        "What mail programs without HTML show.",
    ),
    (
        "html",
        "HTML body",
        "{% extends \"base.html\" %} gives the standard layout; values are escaped.",
    ),
];

/// The error in words when it names `field`: "Line 3, column 14: …" for a template's problem,
/// the problem in words otherwise; and the source line it points at.
fn error_at(error: Option<&ApiError>, field: &str, source: &str) -> Option<String> {
    let err = error.filter(|err| err.problem().field.as_deref() == Some(field))?;
    let problem = err.problem();
    let Some(line) = problem.line else {
        return Some(format!(
            "<p class=\"notice error field-error\" id=\"error-{field}\" role=\"alert\">{}</p>",
            escape(&problem_text(err))
        ));
    };
    let place = match problem.column {
        Some(column) => format!("Line {line}, column {column}"),
        None => format!("Line {line}"),
    };
    // The detail starts with the place ("line 3, column 14: "); the page says it in words.
    let reason = problem
        .detail
        .split_once(": ")
        .filter(|(head, _)| head.starts_with("line "))
        .map_or(problem.detail.as_str(), |(_, reason)| reason);
    let quoted = source
        .lines()
        .nth((line as usize).saturating_sub(1))
        .map(|text| {
            format!(
                "<pre class=\"source-line\" id=\"error-{field}-source\">{line} | {}</pre>",
                escape(text)
            )
        })
        .unwrap_or_default();
    Some(format!(
        "<div class=\"notice error field-error\" id=\"error-{field}\" role=\"alert\">\
         <p><strong>{place}</strong>: {}</p>{quoted}</div>",
        escape(reason)
    ))
}

/// The form for `kind` showing `filled`; `error` is shown at the part it names.
pub fn form(kind: &str, filled: &TemplateSet, error: Option<&ApiError>, csrf: &str) -> String {
    let mut out = format!(
        "<form method=\"post\" action=\"/email-templates/{kind}\" id=\"template-form\" \
         data-preview=\"/email-templates/{kind}/preview\">{csrf}"
    );
    for (field, label, hint) in PARTS {
        let source = match field {
            "subject" => &filled.subject,
            "text" => &filled.text,
            _ => &filled.html,
        };
        let error = error_at(error, field, source);
        let invalid = if error.is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"hint-{field} error-{field}\"")
        } else {
            format!(" aria-describedby=\"hint-{field}\"")
        };
        out.push_str(&format!(
            "<label for=\"{field}\">{label}</label>\
             <p class=\"hint\" id=\"hint-{field}\">{hint}</p>{error}",
            hint = escape(hint),
            error = error.unwrap_or_default(),
        ));
        if field == "subject" {
            out.push_str(&format!(
                "<input type=\"text\" id=\"subject\" name=\"subject\" value=\"{}\" required{invalid}>",
                escape(source)
            ));
        } else {
            // The newline after the tag: a browser drops one leading newline of a textarea.
            out.push_str(&format!(
                "<textarea class=\"source\" id=\"{field}\" name=\"{field}\" spellcheck=\"false\" \
                 required{invalid}>\n{}</textarea>",
                escape(source)
            ));
        }
    }
    out.push_str(
        "<div><button type=\"submit\" name=\"action\" value=\"preview\" class=\"secondary\" \
         id=\"preview-button\">Preview</button>\
         <button type=\"submit\" name=\"action\" value=\"save\" id=\"save-template\">Save the template</button></div>\
         </form>",
    );
    out
}
