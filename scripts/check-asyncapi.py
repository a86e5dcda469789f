"""Validates docs/asyncapi.yaml against the JSON Schema of its AsyncAPI version (from the npm
package @asyncapi/specs, installed by scripts/install-tools). Exit 1 with every error found."""

import json
import sys

import jsonschema
import yaml

schemas_dir, document_path = sys.argv[1], sys.argv[2]
with open(document_path) as f:
    document = yaml.safe_load(f)
version = document.get("asyncapi")
with open(f"{schemas_dir}/{version}-without-$id.json") as f:
    schema = json.load(f)

validator = jsonschema.Draft7Validator(schema)
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
for error in errors:
    # The deepest causes say what is wrong; the top error of a oneOf only says "not valid".
    causes = [c for c in error.context or []] or [error]
    deepest = max(causes, key=lambda c: len(c.absolute_path))
    where = "/".join(str(p) for p in deepest.absolute_path) or "(document)"
    print(f"{document_path}: {where}: {deepest.message[:300]}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"{document_path}: valid AsyncAPI {version}")
