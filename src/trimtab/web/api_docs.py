"""``/docs``: the API's reference page, rendered on the server from its own OpenAPI document.

FastAPI's default ``/docs`` and ``/redoc`` load Swagger UI or ReDoc from a CDN, so they are blank on a
machine without internet and pull third-party scripts into the page. This page needs neither: every route
with its method, summary, description, parameters, request body and answers, in plain tables, styled by
the dashboard's own stylesheet. The machine-readable document stays at ``/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from trimtab.web.html import Markup, join, tag
from trimtab.web.layout import page

METHODS = ("get", "post", "put", "patch", "delete")


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (the page below) on ``app``, whose own ``docs_url`` must be None."""

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(api_docs_page(app.openapi()))


def api_docs_page(spec: dict[str, Any]) -> str:
    info = spec.get("info", {})
    routes = [
        (path, method, operation)
        for path, item in spec.get("paths", {}).items()
        for method, operation in item.items()
        if method in METHODS
    ]
    index = tag(
        "table",
        tag("caption", "Routes"),
        head("Method", "Path", "What it does"),
        tag(
            "tbody",
            [
                tag(
                    "tr",
                    tag("td", method.upper()),
                    tag("td", tag("a", tag("code", path), href=f"#{anchor(method, path)}")),
                    tag("td", operation.get("summary", "")),
                )
                for path, method, operation in routes
            ],
        ),
        id="api-routes",
    )
    content = join(
        tag("h1", f"{info.get('title', 'API')} {info.get('version', '')} — the JSON API"),
        tag("p", prose(info.get("description", ""))),
        tag(
            "p",
            "The same as a machine-readable OpenAPI document: ",
            tag("a", "/openapi.json", href="/openapi.json"),
        ),
        tag("div", index, class_="table-wrap"),
        tag(
            "div",
            [route_section(spec, path, method, operation) for path, method, operation in routes],
            class_="grid",
        ),
    )
    return page("API", content, writes=False, live=False)


def prose(text: str) -> Markup:
    """``text`` with its `backticked` spans as code (the only markup the descriptions use)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: plain text
        return join(text)
    return join([tag("code", part) if index % 2 else part for index, part in enumerate(parts)])


def anchor(method: str, path: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in path).strip("-")
    return f"{method}-{cleaned}"


def route_section(spec: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> Markup:
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    answers = operation.get("responses", {})
    return tag(
        "section",
        tag("h2", tag("code", f"{method.upper()} {path}")),
        tag("p", prose(operation.get("summary", ""))),
        tag("p", prose(operation.get("description", ""))) if operation.get("description") else None,
        tag("p", "Needs ", tag("code", "Authorization: Bearer <TRIMTAB_WEB_TOKEN>"), ".")
        if method != "get"
        else None,
        parameter_table(parameters) if parameters else None,
        tag("p", "Body: ", tag("code", schema_text(spec, body))) if body is not None else None,
        tag(
            "div",
            tag(
                "table",
                tag("caption", "Answers"),
                head("Status", "Meaning", "Document"),
                tag(
                    "tbody",
                    [
                        tag(
                            "tr",
                            tag("td", status),
                            tag("td", prose(answer.get("description", ""))),
                            tag("td", tag("code", schema_text(spec, json_schema(answer)))),
                        )
                        for status, answer in answers.items()
                    ],
                ),
            ),
            class_="table-wrap",
        ),
        id=anchor(method, path),
        class_="wide",
    )


def parameter_table(parameters: list[dict[str, Any]]) -> Markup:
    return tag(
        "div",
        tag(
            "table",
            tag("caption", "Parameters"),
            head("Name", "In", "Required", "Type", "Description"),
            tag(
                "tbody",
                [
                    tag(
                        "tr",
                        tag("td", tag("code", parameter.get("name", ""))),
                        tag("td", parameter.get("in", "")),
                        tag("td", "yes" if parameter.get("required") else "no"),
                        tag("td", schema_text({}, parameter.get("schema"))),
                        tag("td", parameter.get("description", "")),
                    )
                    for parameter in parameters
                ],
            ),
        ),
        class_="table-wrap",
    )


def head(*names: str) -> Markup:
    return tag("thead", tag("tr", *(tag("th", name, scope="col") for name in names)))


def json_schema(answer: dict[str, Any]) -> dict[str, Any] | None:
    schema: dict[str, Any] | None = answer.get("content", {}).get("application/json", {}).get("schema")
    return schema


def schema_text(spec: dict[str, Any], schema: dict[str, Any] | None, depth: int = 0) -> str:
    """A schema in one line: a model's name with its fields, ``list[...]``, a type or ``—``."""
    if not schema:
        return "—"
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        model = spec.get("components", {}).get("schemas", {}).get(name, {})
        fields = model.get("properties", {})
        if depth or not fields:
            return name
        return f"{name} {{{', '.join(fields)}}}"
    if "anyOf" in schema:
        return " | ".join(schema_text(spec, part, depth + 1) for part in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list[{schema_text(spec, schema.get('items'), depth + 1)}]"
    if schema.get("type") == "object" and "additionalProperties" in schema:
        return f"dict[str, {schema_text(spec, schema['additionalProperties'], depth + 1)}]"
    return str(schema.get("type") or schema.get("title") or "any")
