"""Image platform for the Simkl integration: the poster and the fanart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import RecentlyWatched, SimklError
from .const import LOGGER
from .coordinator import SimklConfigEntry, SimklCoordinator
from .entity import SimklEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SimklImageEntityDescription(ImageEntityDescription):
    """Describes a Simkl image entity."""

    url_fn: Callable[[SimklCoordinator, RecentlyWatched | None], str | None]


IMAGES: tuple[SimklImageEntityDescription, ...] = (
    SimklImageEntityDescription(
        key="poster",
        translation_key="poster",
        url_fn=lambda coordinator, item: coordinator.poster_url(item),
    ),
    SimklImageEntityDescription(
        key="fanart",
        translation_key="fanart",
        url_fn=lambda coordinator, item: coordinator.fanart_url(item),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SimklConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the poster and fanart images."""
    async_add_entities(
        SimklImageEntity(hass, entry.runtime_data, description)
        for description in IMAGES
    )


class SimklImageEntity(SimklEntity, ImageEntity):
    """An image of the item a user watched most recently.

    The JPG is downloaded through the Simkl client, which only fetches from
    Simkl's image host with TLS verification, at most once per item: viewers
    that ask while a download runs wait for it and share its bytes.
    """

    entity_description: SimklImageEntityDescription

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: SimklCoordinator,
        description: SimklImageEntityDescription,
    ) -> None:
        """Set up the image entity."""
        SimklEntity.__init__(self, coordinator, description)
        ImageEntity.__init__(self, hass, verify_ssl=True)
        self._image_source: str | None = None
        self._image: bytes | None = None
        self._fetch_lock = asyncio.Lock()
        self._update_source()

    @property
    def entity_picture(self) -> str | None:
        """Return the proxy link to the image, or None when the item has none."""
        if self._image_source is None:
            return None
        return super().entity_picture

    def _handle_coordinator_update(self) -> None:
        """Follow the current item's image."""
        self._update_source()
        super()._handle_coordinator_update()

    def _update_source(self) -> None:
        """Switch to the current item's image URL when it changed."""
        url = self.entity_description.url_fn(self.coordinator, self.coordinator.data)
        if url == self._image_source:
            return
        self._image_source = url
        self._image = None
        self._attr_image_last_updated = dt_util.utcnow() if url else None

    async def async_image(self) -> bytes | None:
        """Return the image bytes, downloading them once per image URL."""
        async with self._fetch_lock:
            url = self._image_source
            if url is None or self._image is not None:
                return self._image
            try:
                content_type, image = await self.coordinator.client.image(url)
            except SimklError as err:
                LOGGER.debug("Could not download %s: %s", self.entity_id, err)
                return None
            if url == self._image_source:
                self._attr_content_type = content_type
                self._image = image
            return image
