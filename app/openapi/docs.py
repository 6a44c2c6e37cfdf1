"""OpenAPI: the document itself."""

PATHS = {
    "/api/openapi.json": {
        "get": {
            "summary": "This OpenAPI document",
            "security": [{}],
            "responses": {"200": {"description": "The OpenAPI 3 document of the JSON API",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }
    },
}
