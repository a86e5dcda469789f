//! Keeps `docs/objects.md` true: its generated sections (the allowed mapping pairs, the standard
//! objects) must equal what this module renders from the code. `UPDATE_DOCS=1` rewrites them.

use super::field::{FieldDef, FieldType};
use super::mapping::{TYPE_NAMES, compatible_pairs, type_name};
use super::standard;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/objects.md")
}

fn render_pairs() -> String {
    let pairs = compatible_pairs();
    let mut out = String::from("| published type | may be mapped to |\n|---|---|\n");
    for from in TYPE_NAMES {
        let targets: Vec<String> = pairs
            .iter()
            .filter(|(f, _)| *f == from)
            .map(|(_, t)| format!("`{t}`"))
            .collect();
        let cell = if targets.is_empty() {
            "nothing: cannot be published".to_string()
        } else {
            targets.join(", ")
        };
        out.push_str(&format!("| `{from}` | {cell} |\n"));
    }
    out
}

fn describe(field: &FieldDef) -> String {
    let name = type_name(&field.field_type);
    let mut s = match &field.field_type {
        FieldType::Text { max_length }
        | FieldType::LongText { max_length }
        | FieldType::RichText { max_length }
        | FieldType::Encrypted { max_length } => format!("`{name}` ({max_length})"),
        FieldType::Number { precision, scale }
        | FieldType::Currency { precision, scale }
        | FieldType::Percent { precision, scale } => format!("`{name}` ({precision}, {scale})"),
        FieldType::Picklist { values, restricted } => format!(
            "`{name}`{}: {}",
            if *restricted { " (restricted)" } else { "" },
            values.join(" · ")
        ),
        FieldType::Lookup { object } => format!("`{name}` to {object}"),
        _ => format!("`{name}`"),
    };
    if field.min.is_some() || field.max.is_some() {
        let bound = |b: Option<f64>| b.map_or("…".to_string(), |b| b.to_string());
        s.push_str(&format!(", {} to {}", bound(field.min), bound(field.max)));
    }
    s
}

fn render_objects() -> String {
    let mut out = String::new();
    for object in standard::objects() {
        out.push_str(&format!("### {} (`{}`)\n\n", object.label, object.api_name));
        let published = standard::default_published_fields(&object);
        if standard::is_publishable_object(&object) {
            out.push_str(&format!(
                "Publishable; published by default: {}.",
                published
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            out.push_str("Cannot be published.");
        }
        if let Some(parent) = &object.parent {
            let parent = if parent == standard::ANY_PARENT {
                "a record of any object (`*`)".to_string()
            } else {
                format!("`{parent}`")
            };
            out.push_str(&format!(" Child object; its parent is {parent}."));
        }
        out.push_str("\n\n| API name | label | type | required |\n|---|---|---|---|\n");
        for field in &object.fields {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                field.api_name,
                field.label,
                describe(field),
                if field.required { "yes" } else { "" }
            ));
        }
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}

/// The text between `<!-- generated:NAME -->` and `<!-- end:NAME -->`.
fn section<'a>(doc: &'a str, name: &str) -> Option<(usize, usize, &'a str)> {
    let open = format!("<!-- generated:{name} -->\n");
    let close = format!("<!-- end:{name} -->");
    let start = doc.find(&open)? + open.len();
    let end = start + doc[start..].find(&close)?;
    Some((start, end, &doc[start..end]))
}

#[test]
fn the_generated_sections_of_objects_md_match_the_code() {
    let path = doc_path();
    let mut doc = std::fs::read_to_string(&path).expect("docs/objects.md is readable");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    for (name, rendered) in [("pairs", render_pairs()), ("objects", render_objects())] {
        let (start, end, current) =
            section(&doc, name).unwrap_or_else(|| panic!("docs/objects.md lacks section {name}"));
        if update {
            doc.replace_range(start..end, &rendered);
        } else {
            assert_eq!(
                current, rendered,
                "docs/objects.md section {name} is stale: run UPDATE_DOCS=1 cargo test -p shared crm::doc"
            );
        }
    }
    if update {
        std::fs::write(&path, doc).expect("docs/objects.md is writable");
    }
}

/// Read back from the document, not from the renderer: the table a reader sees is the rule.
#[test]
fn the_pairs_table_in_objects_md_equals_compatible_pairs() {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/objects.md is readable");
    let (_, _, table) = section(&doc, "pairs").expect("pairs section");
    let mut from_doc = BTreeSet::new();
    for row in table.lines().skip(2) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let from = cells[1].trim_matches('`');
        for to in cells[2].split(", ").filter(|t| t.starts_with('`')) {
            from_doc.insert((from.to_string(), to.trim_matches('`').to_string()));
        }
    }
    let from_code: BTreeSet<(String, String)> = compatible_pairs()
        .into_iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
    assert_eq!(from_doc, from_code);
}
