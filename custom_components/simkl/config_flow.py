"""Config flow for the Simkl integration."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_CLIENT_ID
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import SimklAuthenticationError, SimklError, SimklNotFoundError
from .const import (
    CONF_FANART_SIZE,
    CONF_POSTER_SIZE,
    CONF_SCAN_INTERVAL,
    CONF_USER_ID,
    DEFAULT_IMAGE_SIZE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    FANART_SIZES,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    POSTER_SIZES,
)
from .coordinator import SimklConfigEntry, async_create_client

# A bare user id, or a profile link such as https://simkl.com/51/tv/.
_USER_ID_RE = re.compile(
    r"\s*(?:(?:https?://)?(?:www\.)?simkl\.com/)?(?P<user_id>[0-9]{1,12})(?:/\S*)?\s*",
    re.IGNORECASE,
)

SECRET_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
ACCOUNT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_CLIENT_ID): SECRET_SELECTOR,
        vol.Required(CONF_USER_ID): TextSelector(),
    }
)


def parse_user_id(value: str) -> int | None:
    """Return the numeric user id in a user id or profile URL, or None."""
    if (match := _USER_ID_RE.fullmatch(value)) is None:
        return None
    user_id = int(match["user_id"])
    return user_id or None


class SimklConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for Simkl."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the client_id and the user id."""
        errors: dict[str, str] = {}
        if user_input is not None:
            user_id = parse_user_id(str(user_input[CONF_USER_ID]))
            if user_id is None:
                errors[CONF_USER_ID] = "invalid_user_id"
            else:
                await self.async_set_unique_id(str(user_id))
                self._abort_if_unique_id_configured()
                client_id = user_input[CONF_CLIENT_ID].strip()
                errors = await self._async_validate(client_id, user_id)
                if not errors:
                    return self.async_create_entry(
                        title=f"Simkl {user_id}",
                        data={CONF_CLIENT_ID: client_id, CONF_USER_ID: user_id},
                    )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                ACCOUNT_SCHEMA,
                user_input,
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after Simkl rejected the client_id."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new client_id and validate it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            client_id = user_input[CONF_CLIENT_ID].strip()
            errors = await self._async_validate(client_id, entry.data[CONF_USER_ID])
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_CLIENT_ID: client_id}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_CLIENT_ID): SECRET_SELECTOR}),
            description_placeholders={"user_id": str(entry.data[CONF_USER_ID])},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the client_id or correct the user id of an entry."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            user_id = parse_user_id(str(user_input[CONF_USER_ID]))
            if user_id is None:
                errors[CONF_USER_ID] = "invalid_user_id"
            else:
                await self.async_set_unique_id(str(user_id))
                self._abort_if_unique_id_mismatch()
                client_id = user_input[CONF_CLIENT_ID].strip()
                errors = await self._async_validate(client_id, user_id)
                if not errors:
                    return self.async_update_reload_and_abort(
                        entry, data_updates={CONF_CLIENT_ID: client_id}
                    )
        suggested = user_input or {CONF_USER_ID: str(entry.data[CONF_USER_ID])}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                ACCOUNT_SCHEMA,
                suggested,
            ),
            errors=errors,
        )

    async def _async_validate(self, client_id: str, user_id: int) -> dict[str, str]:
        """Call Simkl with the given client_id and user; return form errors."""
        client = await async_create_client(self.hass, client_id)
        try:
            await client.recently_watched(user_id)
        except SimklAuthenticationError:
            return {CONF_CLIENT_ID: "invalid_auth"}
        except SimklNotFoundError:
            return {CONF_USER_ID: "user_not_found"}
        except SimklError:
            return {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001
            LOGGER.exception("Unexpected error while validating the Simkl account")
            return {"base": "unknown"}
        return {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SimklConfigEntry) -> SimklOptionsFlow:
        """Return the options flow for an entry."""
        return SimklOptionsFlow()


class SimklOptionsFlow(OptionsFlow):
    """Handle Simkl options: polling interval and image sizes."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    **user_input,
                    CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                }
            )
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_SCAN_INTERVAL, default=DEFAULT_SCAN_INTERVAL
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL,
                        max=MAX_SCAN_INTERVAL,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
                vol.Required(
                    CONF_POSTER_SIZE, default=DEFAULT_IMAGE_SIZE
                ): _size_selector(POSTER_SIZES, CONF_POSTER_SIZE),
                vol.Required(
                    CONF_FANART_SIZE, default=DEFAULT_IMAGE_SIZE
                ): _size_selector(FANART_SIZES, CONF_FANART_SIZE),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema, self.config_entry.options
            ),
        )


def _size_selector(sizes: dict[str, str], translation_key: str) -> SelectSelector:
    """Return a drop-down of image size suffixes."""
    return SelectSelector(
        SelectSelectorConfig(
            options=list(sizes),
            mode=SelectSelectorMode.DROPDOWN,
            translation_key=translation_key,
        )
    )
