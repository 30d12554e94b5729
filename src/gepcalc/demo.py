"""The embedded demo: a Chun'an county (淳安县) account from packaged data."""

from __future__ import annotations

from pathlib import Path

from gepcalc._data import data_dir
from gepcalc.account import account
from gepcalc.config import load_config
from gepcalc.io import read_toml


def chunan_dir() -> Path:
    """Folder of the packaged Chun'an demo data (boundary, land cover, inputs)."""
    return data_dir("demo") / "chunan"


def chunan_config() -> Path:
    """Path of the demo's account configuration."""
    return chunan_dir() / "account.toml"


def chunan_account(**overrides):
    """Compute the Chun'an demo account (keyword arguments override the config's)."""
    kwargs, _ = load_config(chunan_config())
    kwargs.update(overrides)
    return account(**kwargs)


def published() -> dict:
    """Published Chun'an GEP figures with their sources (``published.toml``)."""
    return read_toml(chunan_dir() / "published.toml", "published figures")
