//! The error answers every route can give for the same reasons, added to each operation of the
//! OpenAPI document from what the operation takes (a key, a body, path or query parameters),
//! so that no route forgets one. An answer a route documents itself keeps its own description.
//! All are `application/problem+json` (`shared::http::Problem`).

use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the generic error answers to every operation of `doc`; every `/v1/` route takes an API
/// key, whether or not its annotation says so.
pub fn complete(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let needs_key = path.starts_with("/v1/");
        for operation in operations(item) {
            if needs_key && operation.security.as_ref().is_none_or(Vec::is_empty) {
                operation.security = Some(vec![SecurityRequirement::new(
                    "api_key",
                    Vec::<String>::new(),
                )]);
            }
            for (status, description) in generic_answers(operation) {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem(description));
            }
        }
    }
}

/// Every operation of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
        &mut item.head,
        &mut item.options,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The answers `operation` can give whatever it does, by what it takes.
fn generic_answers(operation: &Operation) -> Vec<(u16, &'static str)> {
    let mut answers = Vec::new();
    let takes = |place: ParameterIn| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == place)
    };
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        answers.push((
            401,
            "No API key, or not a valid one (`Authorization: Bearer pn_...`)",
        ));
        answers.push((403, "The key lacks the scope this route needs"));
    }
    if operation.request_body.is_some() {
        answers.push((400, "The body is not JSON"));
        answers.push((413, "The body is larger than 1 MiB"));
        answers.push((415, "The body is not `Content-Type: application/json`"));
        answers.push((422, "A field is missing or invalid; `field` names it"));
    }
    if takes(ParameterIn::Path) {
        answers.push((404, "No such resource in your org"));
        answers.push((422, "A path parameter is invalid; `field` names it"));
    }
    if takes(ParameterIn::Query) {
        answers.push((400, "The query string cannot be read"));
        answers.push((422, "A query parameter is invalid; `field` names it"));
    }
    answers
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::complete;
    use std::collections::BTreeSet;

    #[test]
    fn operation_ids_are_unique() {
        let doc = crate::openapi::document();
        let mut seen = BTreeSet::new();
        for item in doc.paths.paths.values() {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                let id = op.operation_id.clone().expect("every operation has an id");
                assert!(seen.insert(id.clone()), "operation id {id} repeats");
            }
        }
    }

    #[test]
    fn every_operation_with_a_key_and_a_body_documents_the_answers_it_can_give() {
        let mut doc = crate::openapi::document();
        complete(&mut doc);
        let json = serde_json::to_value(&doc).expect("serialises");
        let paths = json["paths"].as_object().expect("paths");
        let mut checked = 0;
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("path item") {
                let statuses: BTreeSet<&str> = op["responses"]
                    .as_object()
                    .expect("responses")
                    .keys()
                    .map(String::as_str)
                    .collect();
                if path.starts_with("/v1/") {
                    assert!(
                        statuses.contains("401") && statuses.contains("403"),
                        "{method} {path}"
                    );
                }
                if op.get("requestBody").is_some() {
                    for status in ["400", "413", "415", "422"] {
                        assert!(statuses.contains(status), "{method} {path}: {status}");
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked} operations");
    }
}
