"""Base entity for the Simkl integration."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, PROFILE_URL
from .coordinator import SimklCoordinator


class SimklEntity(CoordinatorEntity[SimklCoordinator]):
    """An entity of one Simkl user's service device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: SimklCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to the user's device."""
        super().__init__(coordinator)
        self.entity_description = description
        user_id = coordinator.user_id
        self._attr_unique_id = f"{user_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, str(user_id))},
            name=f"Simkl {user_id}",
            manufacturer="Simkl",
            model="Recently watched",
            entry_type=DeviceEntryType.SERVICE,
            configuration_url=PROFILE_URL.format(user_id=user_id),
        )
