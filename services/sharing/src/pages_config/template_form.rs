//! A connection template's form (name, description, active, the objects to publish with their
//! fields as checkboxes), and the posted form read back into the API's request.

use super::render::{error_at, field_checkboxes, id_part, value, values};
use crate::publications::resolve::ObjectToPublish;
use crate::templates::store::{Template, TemplateRequest};
use shared::crm::ObjectDef;
use shared::http::ApiError;
use shared::web::escape::escape;

/// What a new template's form starts with.
pub fn blank() -> TemplateRequest {
    TemplateRequest {
        name: String::new(),
        description: String::new(),
        active: true,
        objects: Vec::new(),
    }
}

/// What the form of a stored template shows.
pub fn filled(template: &Template) -> TemplateRequest {
    TemplateRequest {
        name: template.name.clone(),
        description: template.description.clone(),
        active: template.active,
        objects: template.objects.clone(),
    }
}

/// The error's words when the field it names is `path` or lies under it (`objects[1].fields[0]`
/// under `objects[1]`).
fn error_under(error: Option<&ApiError>, path: &str) -> String {
    let named = error
        .and_then(|err| err.problem().field.clone())
        .filter(|f| {
            f == path || f.starts_with(&format!("{path}.")) || f.starts_with(&format!("{path}["))
        });
    match named {
        Some(field) => error_at(error, &field),
        None => String::new(),
    }
}

/// The form posting to `action`, showing `filled`; `error` is shown at the field it names.
pub fn form(
    action: &str,
    filled: &TemplateRequest,
    mine: &[ObjectDef],
    error: Option<&ApiError>,
    csrf: &str,
) -> String {
    let name = filled.name.as_str();
    let description = filled.description.as_str();
    let active = filled.active;
    let mut out = format!(
        "<form method=\"post\" action=\"{action}\" id=\"template-form\">{csrf}\
         <label for=\"name\">Name</label>{name_error}\
         <input type=\"text\" id=\"name\" name=\"name\" value=\"{name}\" required>\
         <label for=\"description\">Description</label>{description_error}\
         <textarea id=\"description\" name=\"description\">{description}</textarea>\
         <label for=\"active\" class=\"check\"><input type=\"checkbox\" id=\"active\" name=\"active\" \
         value=\"on\"{active}> Active (only an active template can be applied)</label>{objects_error}",
        action = escape(action),
        name_error = error_at(error, "name"),
        name = escape(name),
        description_error = error_at(error, "description"),
        description = escape(description),
        active = if active { " checked" } else { "" },
        objects_error = error_at(error, "objects"),
    );
    out.push_str("<p>Tick each object to publish; with no field ticked, its default fields.</p>");
    for object in mine {
        let position = filled
            .objects
            .iter()
            .position(|o| o.object == object.api_name);
        let chosen = position.map(|n| &filled.objects[n]);
        let slug = id_part(&object.api_name);
        let fields = chosen.and_then(|o| o.fields.clone()).unwrap_or_default();
        out.push_str(&format!(
            "<section class=\"object\" id=\"template-object-{slug}\">{error}\
             <label for=\"object-{slug}\" class=\"check\"><input type=\"checkbox\" id=\"object-{slug}\" \
             name=\"object\" value=\"{api}\"{tick}> Publish {label} ({api})</label>{boxes}</section>",
            error = position
                .map(|n| error_under(error, &format!("objects[{n}]")))
                .unwrap_or_default(),
            api = escape(&object.api_name),
            label = escape(&object.label),
            tick = if chosen.is_some() { " checked" } else { "" },
            boxes = field_checkboxes(object, &fields, &format!("template-field-{slug}"), true),
        ));
    }
    out.push_str("<button type=\"submit\" id=\"save-template\">Save the template</button></form>");
    out
}

/// The request of the posted form: each ticked object with its ticked fields.
pub fn request(form: &[(String, String)]) -> TemplateRequest {
    let fields = values(form, "field");
    let objects = values(form, "object")
        .into_iter()
        .map(|object| {
            let prefix = format!("{object}.");
            let chosen: Vec<String> = fields
                .iter()
                .filter_map(|f| f.strip_prefix(&prefix))
                .map(str::to_string)
                .collect();
            ObjectToPublish {
                object: object.to_string(),
                fields: (!chosen.is_empty()).then_some(chosen),
            }
        })
        .collect();
    TemplateRequest {
        name: value(form, "name").unwrap_or_default().to_string(),
        description: value(form, "description").unwrap_or_default().to_string(),
        active: value(form, "active").is_some(),
        objects,
    }
}
