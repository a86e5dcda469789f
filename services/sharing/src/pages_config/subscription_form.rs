//! One published object on the subscriptions page: subscribe to it, or its subscription's
//! mapping (target object, Auto-Accept, a select per published field, a select per picklist
//! value, Auto-map); and the posted form read back into the API's request.

use super::render::{error_at, id_part, value};
use crate::subscriptions::rules::SubscribeRequest;
use crate::subscriptions::view::{AvailableObject, SubscriptionView};
use shared::crm::{FieldType, ObjectDef};
use shared::http::ApiError;
use shared::web::escape::escape;
use std::collections::BTreeMap;

/// `<option>`s of `choices` (value, words), `selected` marked.
fn options(choices: &[(String, String)], selected: Option<&str>) -> String {
    choices
        .iter()
        .map(|(value, words)| {
            let mark = if Some(value.as_str()) == selected {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{}\"{mark}>{}</option>",
                escape(value),
                escape(words)
            )
        })
        .collect()
}

fn target_choices(available: &AvailableObject) -> Vec<(String, String)> {
    available
        .targets
        .iter()
        .map(|t| (t.object.clone(), format!("{} ({})", t.label, t.object)))
        .collect()
}

fn picklist_values(field_type: &FieldType) -> Option<&[String]> {
    match field_type {
        FieldType::Picklist { values, .. } => Some(values.as_slice()),
        _ => None,
    }
}

/// The section of `available`: its subscription form (with `error` at its field), or the
/// subscribe form. `mine` are the org's objects (for the target's picklist values).
pub fn section(
    available: &AvailableObject,
    subscription: Option<&SubscriptionView>,
    mine: &[ObjectDef],
    error: Option<&ApiError>,
    action: &str,
    csrf: &str,
) -> String {
    let slug = id_part(&available.object);
    let api = escape(&available.object);
    let label = escape(&available.label);
    let published: Vec<&str> = available.fields.iter().map(|f| f.label.as_str()).collect();
    let mut out = format!(
        "<section class=\"object\" id=\"available-{slug}\"><h2>{label} ({api})</h2>\
         <p>Published fields: {}</p>",
        escape(&published.join(", "))
    );
    let head = format!(
        "<form method=\"post\" action=\"{action}\" id=\"{{form}}-{slug}\">{csrf}\
         <input type=\"hidden\" name=\"object\" value=\"{api}\">"
    );
    let target_select = |selected: Option<&str>| {
        format!(
            "<label for=\"target-{slug}\">Your object for {label}</label>{error}\
             <select id=\"target-{slug}\" name=\"target_object\">{options}</select>",
            error = error_at(error, "target_object"),
            options = options(&target_choices(available), selected),
        )
    };
    let Some(subscription) = subscription else {
        if available.targets.is_empty() {
            out.push_str("<p>None of your objects can take this object's records.</p>");
        } else {
            out.push_str(&head.replace("{form}", "subscribe"));
            out.push_str(&target_select(Some(available.object.as_str())));
            out.push_str(&format!(
                "<button type=\"submit\" name=\"action\" value=\"subscribe\" id=\"subscribe-button-{slug}\">\
                 Subscribe to {label}</button></form>"
            ));
        }
        out.push_str("</section>");
        return out;
    };
    let target = available
        .targets
        .iter()
        .find(|t| t.object == subscription.target_object);
    let target_def = mine
        .iter()
        .find(|o| o.api_name == subscription.target_object);
    out.push_str(&format!(
        "<p id=\"subscribed-{slug}\">Subscribed: records arrive as your {}.</p>",
        escape(&subscription.target_object)
    ));
    out.push_str(&head.replace("{form}", "mapping"));
    out.push_str(&format!(
        "<input type=\"hidden\" name=\"current_target\" value=\"{}\">",
        escape(&subscription.target_object)
    ));
    out.push_str(&target_select(Some(subscription.target_object.as_str())));
    if available.auto_accept_allowed {
        let tick = if subscription.auto_accept {
            " checked"
        } else {
            ""
        };
        out.push_str(&format!(
            "<input type=\"hidden\" name=\"auto_accept_shown\" value=\"1\">{error}\
             <label for=\"auto-accept-{slug}\" class=\"check\"><input type=\"checkbox\" \
             id=\"auto-accept-{slug}\" name=\"auto_accept\" value=\"on\"{tick}> \
             Auto-Accept: take the partner's {label} records without review</label>",
            error = error_at(error, "auto_accept"),
        ));
    }
    out.push_str("<fieldset class=\"mapping\"><legend>Field mapping</legend>");
    for field in &subscription.fields {
        let fslug = format!("{slug}-{}", id_part(&field.field));
        let published = available.fields.iter().find(|f| f.api_name == field.field);
        let words = published
            .map(|f| format!("{} ({})", f.label, f.api_name))
            .unwrap_or_else(|| field.field.clone());
        let mut choices = vec![(String::new(), "(not mapped)".to_string())];
        if let Some(fits) = target.and_then(|t| t.fields.get(&field.field)) {
            choices.extend(fits.iter().map(|f| (f.clone(), f.clone())));
        }
        if let Some(current) = &field.target_field
            && !choices.iter().any(|(v, _)| v == current)
        {
            choices.push((current.clone(), current.clone()));
        }
        if field.decided {
            out.push_str(&format!(
                "<input type=\"hidden\" name=\"decided.{}\" value=\"1\">",
                escape(&field.field)
            ));
        }
        out.push_str(&format!(
            "<label for=\"map-{fslug}\">Your field for {words}</label>{error}{problem}\
             <select id=\"map-{fslug}\" name=\"map.{name}\">{options}</select>",
            words = escape(&words),
            error = error_at(error, &format!("fields.{}", field.field)),
            problem = field
                .problem
                .as_deref()
                .map(|p| format!("<p class=\"notice error\">{}</p>", escape(p)))
                .unwrap_or_default(),
            name = escape(&field.field),
            options = options(&choices, field.target_field.as_deref()),
        ));
        let theirs = published.and_then(|f| picklist_values(&f.field_type));
        let ours = field
            .target_field
            .as_deref()
            .and_then(|t| target_def.and_then(|d| d.field(t)))
            .and_then(|f| picklist_values(&f.field_type));
        if let (Some(theirs), Some(ours)) = (theirs, ours) {
            let mut choices = vec![(String::new(), "(arrives as it is)".to_string())];
            choices.extend(ours.iter().map(|v| (v.clone(), v.clone())));
            out.push_str(&format!(
                "<fieldset class=\"picklist\"><legend>Values of {}</legend>",
                escape(&words)
            ));
            for (n, value) in theirs.iter().enumerate() {
                let vid = format!("pick-{fslug}-{n}");
                out.push_str(&format!(
                    "<label for=\"{vid}\">{words}: {value} becomes</label>{error}\
                     <select id=\"{vid}\" name=\"pick.{name}.{value}\">{options}</select>",
                    words = escape(&field.field),
                    value = escape(value),
                    error = error_at(error, &format!("picklist_values.{}.{value}", field.field)),
                    name = escape(&field.field),
                    options = options(
                        &choices,
                        field.picklist_values.get(value).map(String::as_str)
                    ),
                ));
            }
            out.push_str("</fieldset>");
        }
    }
    out.push_str(&format!(
        "</fieldset>{error}\
         <button type=\"submit\" name=\"action\" value=\"save\" id=\"save-button-{slug}\">Save the mapping of {label}</button>\
         <button type=\"submit\" name=\"action\" value=\"automap\" class=\"secondary\" id=\"automap-button-{slug}\">Auto-map {label}</button></form>\
         <form method=\"post\" action=\"{action}\" id=\"unsubscribe-{slug}\">{csrf}\
         <input type=\"hidden\" name=\"object\" value=\"{api}\">\
         <button type=\"submit\" name=\"action\" value=\"unsubscribe\" class=\"danger\" id=\"unsubscribe-button-{slug}\">Unsubscribe from {label}</button></form>",
        error = error_at(error, "fields").to_string() + &error_at(error, "picklist_values"),
    ));
    out.push_str("</section>");
    out
}

fn empty_request() -> SubscribeRequest {
    SubscribeRequest {
        target_object: None,
        auto_accept: None,
        sync_deletes: None,
        fields: None,
        picklist_values: None,
        auto_map: false,
    }
}

/// The request of the subscribe form.
pub fn subscribe(form: &[(String, String)]) -> SubscribeRequest {
    SubscribeRequest {
        target_object: value(form, "target_object").map(str::to_string),
        ..empty_request()
    }
}

/// The request of the Auto-map button: map the undecided fields, change nothing else.
pub fn auto_map() -> SubscribeRequest {
    SubscribeRequest {
        auto_map: true,
        ..empty_request()
    }
}

/// The request of the mapping form. A field left "(not mapped)" that was undecided stays
/// undecided (so Auto-map may still map it); one that was decided becomes unmapped. A new
/// target object is sent alone: the field choices were made for the previous one.
pub fn save(form: &[(String, String)]) -> SubscribeRequest {
    let target = value(form, "target_object").filter(|t| !t.is_empty());
    let mut request = SubscribeRequest {
        target_object: target.map(str::to_string),
        auto_accept: value(form, "auto_accept_shown").map(|_| value(form, "auto_accept").is_some()),
        ..empty_request()
    };
    if target.is_some() && target != value(form, "current_target") {
        return request;
    }
    let mut fields = BTreeMap::new();
    let mut picklists: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (key, chosen) in form {
        if let Some(field) = key.strip_prefix("map.") {
            if !chosen.is_empty() {
                fields.insert(field.to_string(), Some(chosen.clone()));
            } else if value(form, &format!("decided.{field}")).is_some() {
                fields.insert(field.to_string(), None);
            }
        } else if let Some((field, published)) = key
            .strip_prefix("pick.")
            .and_then(|rest| rest.split_once('.'))
        {
            let values = picklists.entry(field.to_string()).or_default();
            if !chosen.is_empty() {
                values.insert(published.to_string(), chosen.clone());
            }
        }
    }
    request.fields = (!fields.is_empty()).then_some(fields);
    request.picklist_values = (!picklists.is_empty()).then_some(picklists);
    request
}
