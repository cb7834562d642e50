"""Shipped config presets (TOML), e.g. `arabic`; see README.md in this folder."""

from __future__ import annotations

from pathlib import Path

from etl.config import ConfigError

PRESET_DIR = Path(__file__).resolve().parent


def preset_path(name: str) -> Path:
    path = PRESET_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PRESET_DIR.glob("*.toml"))) or "none"
        raise ConfigError(f"unknown preset '{name}' (known: {known})")
    return path


def config_paths(preset: str | None = None, config: str | None = None) -> list[str]:
    """The config files of a run in the order they apply: the preset, then the user's file (both optional), so a
    file can change what a preset sets; `--set` and flags apply over both."""
    return ([str(preset_path(preset))] if preset else []) + ([config] if config else [])
