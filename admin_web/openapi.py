"""The OpenAPI 3.1 description of the HTTP API served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from policy_lists.event_schema import EVENT, MAX_BATCH, VERDICT

# The event and the verdict are policy_lists/schemas/*.schema.json, served as they are
# (OpenAPI 3.1 schemas are JSON Schema 2020-12).
_VERDICT = VERDICT
_EVENT = EVENT
_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "index": {"type": ["integer", "null"]}},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "StaffGuard API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Verdict": _VERDICT, "Event": _EVENT, "Error": _ERROR},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/policy": {
            "get": {
                "summary": "The compiled policy (ETag = version; If-None-Match gives 304)",
                "responses": {
                    "200": _json({"type": "object"}, "the compiled policy document"),
                    "304": {"description": "unchanged since the ETag given"},
                    "401": _json(_ERROR, "no valid token"),
                },
            }
        },
        "/api/v1/check": {
            "get": {
                "summary": "The verdict for one URL",
                "parameters": [
                    {"name": n, "in": "query", "required": n == "url", "schema": {"type": "string"}}
                    for n in ("url", "method", "user", "client_ip")
                ],
                "responses": {"200": _json(_VERDICT, "the verdict")},
            }
        },
        "/api/v1/events": {
            "post": {
                "summary": "Store warning events; idempotent by id; all or nothing",
                "description": "Text longer than an Event field's maxLength is cut, not "
                "refused; NUL and unpaired surrogates are removed (`cleaned`).",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "maxItems": MAX_BATCH, "items": _EVENT}
                        }
                    }
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "accepted": {"type": "integer"},
                                "duplicates": {"type": "integer"},
                                "cleaned": {
                                    "type": "array",
                                    "items": {"type": "integer"},
                                    "description": "indexes of events stored without their "
                                    "NUL or unpaired surrogate characters",
                                },
                            },
                        },
                        "stored",
                    ),
                    "400": _json(_ERROR, "a bad event (index) or body; nothing stored"),
                    "413": _json(_ERROR, f"more than {MAX_BATCH} events"),
                },
            }
        },
        "/api/v1/unclassified": {
            "post": {
                "summary": "A proxy's running per-day counts of unclassified domains (replace)",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "reporter": {"type": "string"},
                                    "counts": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "day": {"type": "string", "format": "date"},
                                                "domain": {"type": "string"},
                                                "count": {"type": "integer"},
                                            },
                                        },
                                    },
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "200": {"description": "stored; `skipped`: indexes whose domain is no host"},
                    "400": _json(_ERROR, "a malformed count (index); nothing stored"),
                },
            }
        },
        "/api/v1/status": {
            "post": {
                "summary": "A proxy's health report; the latest per reporter is kept",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["reporter"],
                                "properties": {
                                    "reporter": {"type": "string", "description": "host:port"},
                                    "policy_version": {"type": "string"},
                                    "spool_backlog": {"type": "integer", "minimum": 0},
                                    "log_failures": {"type": "integer", "minimum": 0},
                                    "last_failure": {"type": ["string", "null"]},
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "204": {"description": "kept"},
                    "400": _json(_ERROR, "a malformed report"),
                },
            }
        },
        "/healthz": {
            "get": {
                "security": [],
                "responses": {"200": {"description": "up; `proxies`: each proxy's last report"}},
            }
        },
        "/proxy.pac": {
            "get": {
                "summary": "A PAC file: hosts needing a policy decision go to the proxy",
                "security": [],
                "parameters": [
                    {
                        "name": "proxy",
                        "in": "query",
                        "description": "host:port of the proxy (default: the site's setting)",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "FindProxyForURL; every other host DIRECT",
                        "content": {"application/x-ns-proxy-autoconfig": {}},
                    }
                },
            }
        },
    },
}
