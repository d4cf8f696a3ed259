"""The rest of IIBGC's admin-site features, registered by ``app.create_app`` in one line.

Importing ``models_iibgc`` here puts its tables into ``models.Base.metadata``; the training
status call is added to the OpenAPI description here too, so ``openapi.py`` stays as it is.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from . import models_iibgc, report, training
from .openapi import OPENAPI

BLUEPRINTS: tuple[Blueprint, ...] = (training.bp, training.api_bp, report.bp)
API_BLUEPRINTS: tuple[Blueprint, ...] = (training.api_bp,)  # bearer tokens: no CSRF token

TRAINING_STATUS: dict[str, Any] = {
    "get": {
        "summary": "Whether a staff member owes the yearly training acknowledgment (IIBGC)",
        "parameters": [
            {"name": "user", "in": "query", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "due: show a one-time 'read and acknowledge' step linking to url",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "user": {"type": "string"},
                                "period": {"type": "string", "examples": ["2026-27"]},
                                "in_scope": {"type": "boolean"},
                                "due": {"type": "boolean"},
                                "acknowledged_at": {"type": ["string", "null"]},
                                "policy_revision": {"type": "string"},
                                "url": {"type": "string", "format": "uri"},
                            },
                        }
                    }
                },
            },
            "400": {"description": "no user given"},
            "401": {"description": "no valid token"},
            "403": {"description": "not a proxy or device token, or another user's device"},
        },
    }
}
TRAINING_ACKNOWLEDGMENT: dict[str, Any] = {
    "post": {
        "summary": "Record a staff member's training acknowledgment (the one-time step)",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["user"],
                        "properties": {"user": {"type": "string", "format": "email"}},
                    }
                }
            },
        },
        "responses": {
            "201": {"description": "recorded with its time and revision; the new status"},
            "400": {"description": "no user, or an address that may not acknowledge"},
            "401": {"description": "no valid token"},
            "403": {"description": "not a proxy or device token, or another user's device"},
        },
    }
}
OPENAPI["paths"].setdefault("/api/v1/training/status", TRAINING_STATUS)
OPENAPI["paths"].setdefault("/api/v1/training/acknowledgments", TRAINING_ACKNOWLEDGMENT)
__all__ = ["API_BLUEPRINTS", "BLUEPRINTS", "models_iibgc"]
