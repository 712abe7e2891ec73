"""Tests for the Simkl config flow."""

from __future__ import annotations

from unittest.mock import MagicMock

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_CLIENT_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.simkl.api import (
    SimklAuthenticationError,
    SimklConnectionError,
    SimklInvalidResponseError,
    SimklNotFoundError,
    SimklRateLimitError,
)
from custom_components.simkl.config_flow import parse_user_id
from custom_components.simkl.const import (
    CONF_FANART_SIZE,
    CONF_POSTER_SIZE,
    CONF_SCAN_INTERVAL,
    CONF_USER_ID,
    DOMAIN,
)

from .conftest import CLIENT_ID, USER_ID

pytestmark = pytest.mark.usefixtures("mock_setup_entry")


@pytest.mark.parametrize(
    "user_input",
    [
        "51",
        " 51 ",
        "https://simkl.com/51/tv/",
        "simkl.com/51",
        "https://www.simkl.com/51/anime/watching/",
    ],
)
async def test_full_user_flow(
    hass: HomeAssistant, mock_simkl: MagicMock, user_input: str
) -> None:
    """Test the user flow from form to entry, with an id or a profile link."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: f" {CLIENT_ID} ", CONF_USER_ID: user_input}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Simkl 51"
    assert result["data"] == {CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: USER_ID}
    assert result["result"].unique_id == "51"
    mock_simkl.recently_watched.assert_awaited_once_with(USER_ID)


@pytest.mark.parametrize(
    ("side_effect", "field", "error"),
    [
        (SimklAuthenticationError("rejected"), CONF_CLIENT_ID, "invalid_auth"),
        (SimklNotFoundError("private"), CONF_USER_ID, "user_not_found"),
        (SimklConnectionError("down"), "base", "cannot_connect"),
        (SimklRateLimitError("slow down", 30), "base", "cannot_connect"),
        (SimklInvalidResponseError("garbage"), "base", "cannot_connect"),
        (RuntimeError("boom"), "base", "unknown"),
    ],
)
async def test_user_flow_errors(
    hass: HomeAssistant,
    mock_simkl: MagicMock,
    side_effect: Exception,
    field: str,
    error: str,
) -> None:
    """Test each error is shown on the form and a retry then succeeds."""
    mock_simkl.recently_watched.side_effect = side_effect
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: "51"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}

    mock_simkl.recently_watched.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: "51"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: USER_ID}


async def test_user_flow_invalid_user_id(
    hass: HomeAssistant, mock_simkl: MagicMock
) -> None:
    """Test an unreadable user id is refused before Simkl is called."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: "https://example.com/51"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_USER_ID: "invalid_user_id"}
    mock_simkl.recently_watched.assert_not_called()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: "51"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_already_configured(
    hass: HomeAssistant, mock_simkl: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """Test adding the same user twice aborts."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={CONF_CLIENT_ID: "another", CONF_USER_ID: "https://simkl.com/51/"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    mock_simkl.recently_watched.assert_not_called()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("51", 51),
        ("http://simkl.com/51", 51),
        ("HTTPS://SIMKL.COM/51/TV", 51),
        ("0", None),
        ("", None),
        ("abc", None),
        ("https://simkl.com/tv/17465/game-of-thrones", None),
        ("https://evil.example/51", None),
        ("51 52", None),
    ],
)
def test_parse_user_id(value: str, expected: int | None) -> None:
    """Test user ids and profile links are read, and nothing else."""
    assert parse_user_id(value) == expected


async def test_reauth_flow(
    hass: HomeAssistant, mock_simkl: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """Test reauthentication asks for a new client_id and validates it."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"

    mock_simkl.recently_watched.side_effect = SimklAuthenticationError("still bad")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "still-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_CLIENT_ID: "invalid_auth"}

    mock_simkl.recently_watched.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "new-client-id"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data == {
        CONF_CLIENT_ID: "new-client-id",
        CONF_USER_ID: USER_ID,
    }


async def test_reconfigure_flow(
    hass: HomeAssistant, mock_simkl: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """Test reconfiguring validates live and updates the entry."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "new-client-id", CONF_USER_ID: "x"}
    )
    assert result["errors"] == {CONF_USER_ID: "invalid_user_id"}

    mock_simkl.recently_watched.side_effect = SimklConnectionError("down")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_CLIENT_ID: "new-client-id", CONF_USER_ID: "https://simkl.com/51/tv"},
    )
    assert result["errors"] == {"base": "cannot_connect"}

    mock_simkl.recently_watched.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: "new-client-id", CONF_USER_ID: "51"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_CLIENT_ID] == "new-client-id"


async def test_reconfigure_other_user_refused(
    hass: HomeAssistant, mock_simkl: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """Test switching an entry to another user id is refused."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: "52"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert mock_config_entry.data[CONF_USER_ID] == USER_ID
    mock_simkl.recently_watched.assert_not_called()


async def test_options_flow(
    hass: HomeAssistant, mock_simkl: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """Test the options flow stores the interval and image sizes."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_SCAN_INTERVAL: 15.0,
            CONF_POSTER_SIZE: "medium",
            CONF_FANART_SIZE: "small",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {
        CONF_SCAN_INTERVAL: 15,
        CONF_POSTER_SIZE: "medium",
        CONF_FANART_SIZE: "small",
    }


@pytest.mark.parametrize("interval", [0, 61])
async def test_options_flow_interval_bounds(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, interval: int
) -> None:
    """Test intervals outside 1 to 60 minutes are refused."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    with pytest.raises(InvalidData, match="scan_interval"):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {
                CONF_SCAN_INTERVAL: interval,
                CONF_POSTER_SIZE: "full",
                CONF_FANART_SIZE: "full",
            },
        )
