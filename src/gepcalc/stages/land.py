"""The landscape stage: the land cover and regions an account is computed on.

:func:`landscape_of` chooses the land-cover → ecosystem mapping (the user's, the profile's, or
none) and builds the :class:`~gepcalc.landscape.Landscape` (:func:`gepcalc.landscape.build_landscape`:
codes counted and checked, regions burnt, cell areas), or says why an account needs one.  How
codes become types and regions become pixels is :mod:`gepcalc.landscape`'s work, not this module's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gepcalc.errors import MissingInputError
from gepcalc.io import Chunks
from gepcalc.landscape import Landscape, build_landscape
from gepcalc.profiles import Profile
from gepcalc.services.base import Service
from gepcalc.tables import CoefficientTable


def landscape_of(
    landcover: Any,
    profile: Profile,
    raster_services: Sequence[type[Service]],
    *,
    regions: Any = None,
    region_field: str | None = None,
    region_name: str | None = None,
    landcover_classes: str | Path | CoefficientTable | bool | None = None,
    chunks: Chunks = True,
) -> Landscape | None:
    """The account's landscape; None for an account of lines only (no land cover, no raster service).

    ``landcover_classes`` is the mapping table (default: the profile's); False: no mapping, every
    pixel is of one type ``"all"``.  Other arguments as for :func:`gepcalc.account`.

    Raises
    ------
    MissingInputError
        Raster services and no land cover.
    """
    if landcover is None:
        if raster_services:
            raise MissingInputError(
                f"services {[c.spec.id for c in raster_services]} are computed from a land-cover raster, and none "
                "was given; give `landcover`, or their quantities as lines (lines=...), or choose services=..."
            )
        return None
    return build_landscape(
        landcover,
        classes=mapping_of(landcover_classes, profile),
        regions=regions,
        region_field=region_field,
        region_name=region_name,
        chunks=chunks,
    )


def mapping_of(
    landcover_classes: str | Path | CoefficientTable | bool | None, profile: Profile
) -> str | Path | CoefficientTable | None:
    """The land-cover mapping table an account uses: the given one, the profile's, or None (``False``)."""
    return None if landcover_classes is False else (landcover_classes or profile.landcover_classes)
