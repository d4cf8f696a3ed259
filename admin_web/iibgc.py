"""The rest of IIBGC's admin-site features, registered by ``app.create_app`` in one line.

Importing ``models_iibgc`` here puts its tables into ``models.Base.metadata``.
"""

from __future__ import annotations

from flask import Blueprint

from . import models_iibgc, report, training

BLUEPRINTS: tuple[Blueprint, ...] = (training.bp, report.bp)
__all__ = ["BLUEPRINTS", "models_iibgc"]
