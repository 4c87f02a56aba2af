"""Routes of the HTTP side: ops (being built)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
