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

#[test]
fn the_gateway_routes_every_path_of_the_http_contract() {
    let gateway = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/gateway/nginx.conf"),
    )
    .expect("the gateway configuration");
    let prefixes: Vec<&str> = gateway
        .lines()
        .filter_map(|line| line.trim().strip_prefix("location /v1/"))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    let document = partnernet::openapi::document();
    for path in document.paths.paths.keys() {
        let rest = path.strip_prefix("/v1/").unwrap_or(path);
        assert!(
            prefixes.iter().any(|prefix| rest.starts_with(prefix)),
            "{path} has no location in deploy/gateway/nginx.conf"
        );
    }
}
