"""Uploading photos (placeholder until the media service lands)."""

from miniprogram_api.router import Router

router = Router("media")
