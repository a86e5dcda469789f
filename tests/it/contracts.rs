//! The committed contracts must say what the code does. Regenerate with `scripts/update-contracts`.

fn committed(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn docs_openapi_json_matches_the_code() {
    let generated = partnernet::openapi::render().expect("the OpenAPI document renders");
    assert!(
        generated == committed("openapi.json"),
        "docs/openapi.json is out of date: run scripts/update-contracts and commit the result"
    );
}

#[test]
fn docs_asyncapi_yaml_matches_the_code() {
    let generated = partnernet::asyncapi::render().expect("the AsyncAPI document renders");
    assert!(
        generated == committed("asyncapi.yaml"),
        "docs/asyncapi.yaml is out of date: run scripts/update-contracts and commit the result"
    );
}
