"""Sensor platform for the Simkl integration."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.const import MAX_LENGTH_STATE_STATE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SimklConfigEntry, SimklCoordinator
from .entity import SimklEntity

PARALLEL_UPDATES = 0

RECENTLY_WATCHED = SensorEntityDescription(
    key="recently_watched", translation_key="recently_watched"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SimklConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the recently watched sensor."""
    async_add_entities(
        [SimklRecentlyWatchedSensor(entry.runtime_data, RECENTLY_WATCHED)]
    )


class SimklRecentlyWatchedSensor(SimklEntity, SensorEntity):
    """The title of the item a user watched most recently."""

    def __init__(
        self, coordinator: SimklCoordinator, description: SensorEntityDescription
    ) -> None:
        """Set up the sensor."""
        super().__init__(coordinator, description)
        self._update_attrs()

    def _handle_coordinator_update(self) -> None:
        """Refresh state and attributes from the latest poll."""
        self._update_attrs()
        super()._handle_coordinator_update()

    def _update_attrs(self) -> None:
        """Compute the state, attributes and picture of the current item."""
        item = self.coordinator.data
        poster_url = self.coordinator.poster_url(item)
        attributes: dict[str, Any] = {
            "title": None,
            "simkl_id": None,
            "url": None,
            "media_type": None,
            "poster_url": poster_url,
            "fanart_url": self.coordinator.fanart_url(item),
        }
        if item is None:
            self._attr_native_value = None
        else:
            self._attr_native_value = item.title[:MAX_LENGTH_STATE_STATE]
            attributes |= {
                "title": item.title,
                "simkl_id": item.simkl_id,
                "url": item.url,
                "media_type": item.media_type and item.media_type.value,
            }
        self._attr_extra_state_attributes = attributes
        self._attr_entity_picture = poster_url
