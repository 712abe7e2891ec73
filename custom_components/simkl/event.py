"""Event platform for the Simkl integration: a new item was watched."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SimklConfigEntry, SimklCoordinator
from .entity import SimklEntity

PARALLEL_UPDATES = 0

EVENT_WATCHED = "watched"

WATCHED = EventEntityDescription(
    key="watched", translation_key="watched", event_types=[EVENT_WATCHED]
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SimklConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the watched event."""
    async_add_entities([SimklWatchedEvent(entry.runtime_data, WATCHED)])


class SimklWatchedEvent(SimklEntity, EventEntity):
    """Fires when a different item becomes the most recently watched.

    The item present when the entry is set up is the starting point, so
    neither start-up nor a reload fires the event.
    """

    def __init__(
        self, coordinator: SimklCoordinator, description: EventEntityDescription
    ) -> None:
        """Remember the item present at set-up."""
        super().__init__(coordinator, description)
        # Until a poll has answered (set-up during start-up does not wait for
        # one), the first item seen is the starting point, not a new watch.
        self._has_baseline = coordinator.stats.last_success is not None
        item = coordinator.data
        self._last_id = item.simkl_id if item else None

    def _handle_coordinator_update(self) -> None:
        """Fire the event when the most recently watched item changed."""
        coordinator = self.coordinator
        item = coordinator.data
        if not self._has_baseline:
            self._has_baseline = coordinator.stats.last_success is not None
            self._last_id = item.simkl_id if item else None
        elif item is not None and item.simkl_id != self._last_id:
            self._last_id = item.simkl_id
            state = self.hass.states.get(self.entity_id)
            if state is not None and state.state == STATE_UNAVAILABLE:
                # Come back first, then fire: automations that ignore changes
                # from "unavailable" still see a new item found on recovery.
                self.async_write_ha_state()
            self._trigger_event(
                EVENT_WATCHED,
                {
                    "simkl_id": item.simkl_id,
                    "title": item.title,
                    "url": item.url,
                    "media_type": item.media_type and item.media_type.value,
                    "poster_url": coordinator.poster_url(item),
                    "fanart_url": coordinator.fanart_url(item),
                },
            )
        super()._handle_coordinator_update()
