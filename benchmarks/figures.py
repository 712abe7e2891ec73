"""Turn the raw measurements of a run into figures, targets and a Markdown table.

Scaling to a simulated hour (README.md, "Figures and formulas"):

- JSON requests per hour at an interval of I minutes = requests per poll x 60 / I.
- Image downloads of a viewer phase are split into first downloads (a path the
  setup had not fetched just before, for that image) and repeats (the same
  path again). Per hour = repeats / phase seconds x 3600 + first downloads /
  item changes x H, with H item changes in the hour (default 2).
- Bytes per hour = JSON body bytes per poll x polls per hour + the same split
  for image bytes; with ETag, H polls per hour bring a new item (200) and the
  others an unchanged one (whatever an unchanged poll cost in the ETag phase).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
import itertools
import os
from pathlib import Path
import platform
import re
import statistics
import sys
import textwrap
from typing import Any

API_PREFIX = "/users/recently-watched-background/"
IMAGE_FOLDERS = ("/posters/", "/fanart/")
IMAGES_PER_ITEM = 2
CHANGES_PER_HOUR = 2.0
# Polls closer than this belong to one poll (a retry or a second request).
SAME_POLL = 1.0
BLOCKING = "Detected blocking call"
KEYS = ("A", "B", "C")

type Record = dict[str, Any]


def json_records(records: Iterable[Record], start: float, end: float) -> list[Record]:
    """Return the endpoint's requests between two times."""
    return [
        record
        for record in records
        if start <= record["time"] < end and record["path"].startswith(API_PREFIX)
    ]


def image_folder(path: str) -> str | None:
    """Return the catalogue folder of an image path, None for other paths."""
    return next((folder for folder in IMAGE_FOLDERS if path.startswith(folder)), None)


def label_images(records: Iterable[Record]) -> list[tuple[Record, bool]]:
    """Return every image request with whether it was a first download.

    A first download is one whose path differs from the path fetched last for
    the same image (poster or fanart); the others are repeats.
    """
    last: dict[str, str] = {}
    labelled = []
    for record in sorted(records, key=lambda record: record["time"]):
        if (folder := image_folder(record["path"])) is None:
            continue
        labelled.append((record, last.get(folder) != record["path"]))
        last[folder] = record["path"]
    return labelled


def blocking_calls(logs: Iterable[Path]) -> list[str]:
    """Return the lines of Home Assistant's blocking-call detector in the logs."""
    lines = []
    for log in logs:
        if log.exists():
            text = log.read_text(encoding="utf-8", errors="replace")
            lines += [line for line in text.splitlines() if BLOCKING in line]
    return lines


def machine() -> dict[str, Any]:
    """Return what the run ran on."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        if match:
            cpu = match[1].strip()
    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "home_assistant": ha_version,
        "system": f"{platform.system()} {platform.release()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def number(value: float | None, unit: str = "") -> str:
    """Return a figure with up to three significant digits."""
    if value is None:
        return "-"
    if value == int(value) and abs(value) < 1e6:
        text = f"{int(value)}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    else:
        text = f"{value:.3g}"
    return f"{text}{unit}"


def seconds(value: float | None) -> str:
    """Return a duration in seconds."""
    return number(value, " s")


def size(value: float | None) -> str:
    """Return a byte count in B, kB or MB."""
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:.2f} MB"
    if value >= 1e3:
        return f"{value / 1e3:.1f} kB"
    return f"{value:.0f} B"


def ratio(ours: float | None, other: float | None) -> str:
    """Return ours / other, with how many times fewer when it is small."""
    if ours is None or other is None or ours < 0 or other < 0:
        return "-"
    if other == 0:
        return "1.00" if ours == 0 else "∞"
    value = ours / other
    if value == 0:
        return "0"
    text = f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"
    if value <= 0.5:
        text += f" ({other / ours:.0f}x fewer)"
    return text


@dataclass(frozen=True, kw_only=True)
class Row:
    """One figure for each setup; lower is better."""

    name: str
    values: dict[str, float | None]
    show: Callable[[float | None], str] = number
    compare: bool = True
    # Whether the row counts for "never more than C"; start-up times vary by
    # tenths of a second from one start to the next, so they are shown only.
    judge: bool = True


@dataclass(frozen=True, kw_only=True)
class Target:
    """A target of the issue and whether the run met it."""

    name: str
    met: bool
    evidence: str


class Report:
    """Figures, targets and Markdown of one run's raw measurements."""

    def __init__(
        self, raw: dict[str, Any], *, changes_per_hour: float = CHANGES_PER_HOUR
    ) -> None:
        """Compute the figures of ``raw``, with H item changes per hour."""
        self.raw = raw
        self.hours_changes = changes_per_hour
        self.interval = float(raw["interval_minutes"])
        self.records: dict[str, list[Record]] = raw["records"]
        phases = raw["phases"]
        self.window = (phases[0]["start"], raw["etag"]["end"])
        self.phase_window = (phases[0]["start"], phases[-1]["end"])
        self.labelled = {key: label_images(self.records[key]) for key in KEYS}
        self.rows = self._rows()

    # JSON requests

    def polls(self, key: str) -> list[list[Record]]:
        """Return a setup's JSON requests of the run, grouped by poll."""
        grouped: list[list[Record]] = []
        for record in json_records(self.records[key], *self.window):
            if grouped and record["time"] - grouped[-1][-1]["time"] < SAME_POLL:
                grouped[-1].append(record)
            else:
                grouped.append([record])
        return grouped

    def per_poll(self, key: str) -> float | None:
        """Return a setup's JSON requests per poll."""
        polls = self.polls(key)
        return sum(map(len, polls)) / len(polls) if polls else None

    def poll_gaps(self, key: str) -> tuple[float, float] | None:
        """Return the shortest and longest time between two polls."""
        starts = [poll[0]["time"] for poll in self.polls(key)]
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        return (min(gaps), max(gaps)) if gaps else None

    def json_bytes_per_poll(self, key: str) -> float | None:
        """Return the mean body bytes of a poll while validators were off."""
        records = json_records(self.records[key], *self.phase_window)
        return statistics.mean(r["bytes"] for r in records) if records else None

    # Images

    def phase_images(self, key: str, phase: dict[str, Any]) -> dict[str, float]:
        """Return a setup's image downloads and bytes in a viewer phase."""
        counts: Counter[str] = Counter()
        for record, first in self.labelled[key]:
            if phase["start"] <= record["time"] < phase["end"]:
                kind = "first" if first else "repeat"
                counts[kind] += 1
                counts[f"{kind}_bytes"] += record["bytes"]
        return {
            "downloads": counts["first"] + counts["repeat"],
            "first": counts["first"],
            "repeat": counts["repeat"],
            "first_bytes": counts["first_bytes"],
            "repeat_bytes": counts["repeat_bytes"],
        }

    def phase(self, viewers: int) -> dict[str, Any] | None:
        """Return the viewer phase with ``viewers`` viewers."""
        return next((p for p in self.raw["phases"] if p["viewers"] == viewers), None)

    def per_change(self, key: str, viewers: int) -> float | None:
        """Return image downloads per image per item change."""
        if (phase := self.phase(viewers)) is None:
            return None
        images = self.phase_images(key, phase)
        return images["downloads"] / (len(phase["changes"]) * IMAGES_PER_ITEM)

    def per_hour(self, key: str, viewers: int, field: str = "") -> float | None:
        """Return image downloads (or bytes with field "_bytes") per hour."""
        if (phase := self.phase(viewers)) is None:
            return None
        images = self.phase_images(key, phase)
        duration = phase["end"] - phase["start"]
        return (
            images[f"repeat{field}"] / duration * 3600
            + images[f"first{field}"] / len(phase["changes"]) * self.hours_changes
        )

    def polls_per_hour(self) -> float:
        """Return the polls in an hour at the run's interval."""
        return 60 / self.interval

    def bytes_per_hour(self, key: str, viewers: int) -> float | None:
        """Return bytes from Simkl per hour without validators."""
        per_poll = self.json_bytes_per_poll(key)
        images = self.per_hour(key, viewers, "_bytes")
        if per_poll is None or images is None:
            return None
        return per_poll * self.polls_per_hour() + images

    # ETag

    def unchanged(self, key: str) -> list[Record]:
        """Return a setup's polls while the item stayed, validators on."""
        etag = self.raw["etag"]
        return json_records(self.records[key], etag["unchanged_start"], etag["change"])

    def etag_statuses(self, key: str) -> Counter[int]:
        """Return the statuses of a setup's unchanged polls with validators on."""
        return Counter(record["status"] for record in self.unchanged(key))

    def unchanged_poll_bytes(self, key: str) -> float | None:
        """Return the mean body bytes of an unchanged poll, validators on."""
        records = self.unchanged(key)
        return statistics.mean(r["bytes"] for r in records) if records else None

    def per_unchanged_poll(self, key: str, kind: str) -> float | None:
        """Return state changes or writes per unchanged poll, validators on."""
        if not (polls := len(self.unchanged(key))):
            return None
        return self.raw["etag"][kind][key]["unchanged"] / polls

    def bytes_per_hour_etag(self, key: str, viewers: int) -> float | None:
        """Return bytes from Simkl per hour with validators on."""
        changed = self.json_bytes_per_poll(key)
        unchanged = self.unchanged_poll_bytes(key)
        images = self.per_hour(key, viewers, "_bytes")
        if changed is None or unchanged is None or images is None:
            return None
        changes = min(self.hours_changes, self.polls_per_hour())
        return (
            changes * changed + (self.polls_per_hour() - changes) * unchanged + images
        )

    # Rows

    def _each(self, function: Callable[[str], float | None]) -> dict[str, float | None]:
        """Return a figure for every setup."""
        return {key: function(key) for key in KEYS}

    def _ours(self, value: float | None) -> dict[str, float | None]:
        """Return a figure measured for our integration only."""
        return {"A": value, "B": None, "C": None}

    def _rows(self) -> list[Row]:
        """Return the table's rows."""
        minutes = (self.window[1] - self.window[0]) / 60
        h = number(self.hours_changes)
        viewers = self.raw_viewers()
        rows = [
            Row(
                name=f"JSON requests counted in the run ({minutes:.1f} min)",
                values=self._each(
                    lambda key: len(json_records(self.records[key], *self.window))
                ),
                compare=False,
            ),
            Row(name="JSON requests per poll", values=self._each(self.per_poll)),
        ]
        rows.extend(
            Row(
                name=f"JSON requests per hour, {number(m)}-min interval",
                values=self._each(lambda key, m=m: self.json_per_hour(key, m)),
            )
            for m in (self.interval, 5.0, 60.0)
        )
        rows.extend(
            Row(
                name=f"Image downloads per image per item change, {v} viewer(s)",
                values=self._each(lambda key, v=v: self.per_change(key, v)),
            )
            for v in viewers
        )
        rows.extend(
            Row(
                name=f"Image downloads per hour ({h} changes), {v} viewer(s)",
                values=self._each(lambda key, v=v: self.per_hour(key, v)),
            )
            for v in viewers
        )
        rows.extend(
            Row(
                name=f"Bytes from Simkl per hour, {v} viewer(s), no ETag",
                values=self._each(lambda key, v=v: self.bytes_per_hour(key, v)),
                show=size,
            )
            for v in viewers
        )
        rows += [
            Row(
                name=f"Bytes from Simkl per hour, {viewers[0]} viewer(s), with ETag",
                values=self._each(
                    lambda key: self.bytes_per_hour_etag(key, viewers[0])
                ),
                show=size,
            ),
            Row(
                name="Body bytes of an unchanged poll, with ETag",
                values=self._each(self.unchanged_poll_bytes),
                show=size,
            ),
            Row(
                name="Sensor state_changed per unchanged poll, with ETag",
                values=self._each(
                    lambda key: self.per_unchanged_poll(key, "state_changes")
                ),
            ),
            Row(
                name="Sensor state writes per unchanged poll, with ETag",
                values=self._each(lambda key: self.per_unchanged_poll(key, "writes")),
            ),
            *self._cost_rows(),
            *self._startup_rows(),
            Row(
                name="Blocking calls reported by Home Assistant's detector",
                values=self._ours(float(len(self.blocking_lines("simkl")))),
            ),
        ]
        return rows

    def json_per_hour(self, key: str, minutes: float) -> float | None:
        """Return JSON requests per hour at a polling interval of ``minutes``."""
        per_poll = self.per_poll(key)
        return None if per_poll is None else per_poll * 60 / minutes

    def _cost_rows(self) -> list[Row]:
        """Return the rows of the in-process poll cost."""
        cost = self.raw["poll_cost"]

        def spread(timings: dict[str, float]) -> Callable[[float | None], str]:
            """Return a formatter of a median followed by its p95."""
            return lambda value: (
                "-"
                if value is None
                else f"{number(value)} / {number(timings['p95_ms'])}"
            )

        rows = [
            Row(
                name=f"Poll CPU time in HA's event loop, {label}, median / p95 (ms)",
                values=self._ours(cost[kind]["cpu"]["median_ms"]),
                show=spread(cost[kind]["cpu"]),
                compare=False,
            )
            for kind, label in (
                ("changed", "new item (request, parse, 4 state writes)"),
                ("unchanged", "same item, 200 (request, parse, no write)"),
                ("not_modified", "same item, 304 (request, no parse, no write)"),
            )
        ]
        rows.append(
            Row(
                name="Poll wall time, new item, median / p95 (ms)",
                values=self._ours(cost["changed"]["wall"]["median_ms"]),
                show=spread(cost["changed"]["wall"]),
                compare=False,
            )
        )
        rows.extend(
            Row(
                name=f"{label}, median / p95 (ms)",
                values=self._ours(cost[kind]["median_ms"]),
                show=spread(cost[kind]),
                compare=False,
            )
            for kind, label in (
                ("parse", "Parse one answer (JSON and model)"),
                ("write", "Hand a new item to the 4 entities (state writes)"),
            )
        )
        return rows

    def _startup_rows(self) -> list[Row]:
        """Return the rows of Home Assistant's start-up time."""
        startup = self.raw["startup"]
        base = startup["without"]["median"]
        rows = [
            Row(
                name="HA start to RUNNING with neither setup, median",
                values=dict.fromkeys(KEYS, base),
                show=seconds,
                compare=False,
            )
        ]
        for variant, label in (
            ("reachable", "Simkl reachable"),
            ("unreachable", "Simkl unreachable (closed port)"),
            ("silent", "Simkl accepting but never answering"),
        ):
            if variant not in startup:
                continue
            alternative = startup.get(f"rest_{variant}")
            added = None if alternative is None else alternative["median"] - base
            setup = self.setup_time(f"rest_{variant}", "rest")
            rows += [
                Row(
                    name=f"Added start-up time, {label}",
                    values={
                        "A": startup[variant]["median"] - base,
                        "B": added,
                        "C": added,
                    },
                    show=seconds,
                    compare=False,
                ),
                Row(
                    name=f"Set-up time in HA's own timings (simkl; rest), {label}",
                    values={
                        "A": self.setup_time(variant, "simkl"),
                        "B": setup,
                        "C": setup,
                    },
                    show=seconds,
                    judge=False,
                ),
            ]
        return rows

    def setup_time(self, variant: str, domain: str) -> float | None:
        """Return the median set-up time of ``domain`` in a start variant."""
        runs = self.raw["startup"].get(variant, {"runs": []})["runs"]
        values = [
            run[f"{domain}_setup_seconds"]
            for run in runs
            if run.get(f"{domain}_setup_seconds") is not None
        ]
        return statistics.median(values) if values else None

    def simkl_setup_times(self) -> dict[str, float]:
        """Return the median set-up time of the Simkl entry per start variant."""
        times = {
            variant: self.setup_time(variant, "simkl")
            for variant in ("reachable", "unreachable", "silent")
        }
        return {variant: value for variant, value in times.items() if value is not None}

    def raw_viewers(self) -> list[int]:
        """Return the viewer counts of the phases."""
        return [phase["viewers"] for phase in self.raw["phases"]]

    def blocking_lines(self, name: str | None = None) -> list[str]:
        """Return the detector's lines, or those that name an integration."""
        lines: list[str] = self.raw["blocking"]
        if name is None:
            return lines
        return [line for line in lines if name in line]

    # Targets

    def targets(self) -> list[Target]:
        """Return the issue's targets and whether this run met them."""
        viewers = self.raw_viewers()
        per_change = {v: self.per_change("A", v) for v in viewers}
        one = viewers[0]
        ours_hour, default_hour = self.per_hour("A", one), self.per_hour("B", one)
        fewer = (
            default_hour / ours_hour
            if ours_hour and default_hour is not None
            else float("inf")
        )
        worse = [
            row.name
            for row in self.rows
            if row.compare
            and row.judge
            and row.values["A"] is not None
            and row.values["C"] is not None
            and row.values["A"] > row.values["C"] + 1e-9
        ]
        statuses = self.etag_statuses("A")
        etag = self.raw["etag"]
        gaps = self.poll_gaps("A")
        setup_times = self.simkl_setup_times()
        return [
            Target(
                name="Exactly one JSON request per poll while healthy",
                met=self.per_poll("A") == 1.0,
                evidence=(
                    f"{sum(map(len, self.polls('A')))} requests in "
                    f"{len(self.polls('A'))} polls"
                    + (
                        f", {gaps[0]:.1f} to {gaps[1]:.1f} s apart"
                        if gaps is not None
                        else ""
                    )
                ),
            ),
            Target(
                name="One download per image per item change, whatever the viewers",
                met=all(value == 1.0 for value in per_change.values()),
                evidence=", ".join(
                    f"{v} viewer(s): {number(value)}" for v, value in per_change.items()
                ),
            ),
            Target(
                name="At least 100x fewer image downloads than the default generic "
                f"camera over an hour at {one} viewer",
                met=fewer >= 100,
                evidence=(
                    f"{number(ours_hour)} vs {number(default_hour)} per hour: "
                    f"{fewer:.0f}x fewer (with {number(self.hours_changes)} item "
                    "changes an hour)"
                ),
            ),
            Target(
                name="Never more than the best alternative (C) in any figure",
                met=not worse,
                evidence="more in: " + "; ".join(worse) if worse else "no figure",
            ),
            Target(
                name="Blocking-call detector silent",
                met=not self.blocking_lines(),
                evidence=f"{len(self.blocking_lines())} line(s) in "
                "every Home Assistant log of the run",
            ),
            Target(
                name="ETag: conditional requests, a 304 costs no state write",
                met=(
                    bool(statuses)
                    and set(statuses) == {304}
                    and etag["state_changes"]["A"]["unchanged"] == 0
                    # In a quick run homeassistant.update_entity, which starts
                    # the polls, writes the state itself.
                    and (self.raw["quick"] or etag["writes"]["A"]["unchanged"] == 0)
                    and etag["state_changes"]["A"]["changed"] == 1
                ),
                evidence=(
                    f"unchanged polls answered {dict(statuses)}, "
                    f"{etag['state_changes']['A']['unchanged']} state_changed, "
                    f"{etag['writes']['A']['unchanged']} writes; after the change "
                    f"{etag['state_changes']['A']['changed']} state_changed"
                ),
            ),
            Target(
                name="Start-up never waits on Simkl (its set-up under 1 s)",
                met=all(value < 1.0 for value in setup_times.values()),
                evidence=", ".join(
                    f"{variant}: {value:.3f} s"
                    for variant, value in setup_times.items()
                ),
            ),
        ]

    def targets_met(self) -> bool:
        """Return whether every target was met."""
        return all(target.met for target in self.targets())

    # Markdown

    def markdown(self) -> str:
        """Return the table of figures."""
        labels = self.raw["setups"]
        header = " | ".join(f"{key}: {labels[key]}" for key in KEYS)
        lines = [
            f"| Figure | {header} | A/B | A/C |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in self.rows:
            values = row.values
            cells = [row.show(values[key]) for key in KEYS]
            ratios = (
                [ratio(values["A"], values["B"]), ratio(values["A"], values["C"])]
                if row.compare
                else ["-", "-"]
            )
            lines.append(f"| {row.name} | {' | '.join(cells + ratios)} |")
        return "\n".join(lines)

    def targets_markdown(self) -> str:
        """Return the targets as a Markdown list."""
        return "\n".join(
            f"- {'met' if target.met else '**NOT MET**'}: {target.name}. "
            f"{target.evidence}."
            for target in self.targets()
        )

    def details(self) -> str:
        """Return what the viewers did and what else the run saw."""
        lines = [
            "| Phase | changes | seconds | fetches through HA | failed |",
            "|---|---:|---:|---:|---:|",
        ]
        lines.extend(
            f"| {phase['viewers']} viewer(s) | {len(phase['changes'])} "
            f"| {phase['end'] - phase['start']:.0f} "
            f"| {sum(phase['fetches'].values())} "
            f"| {sum(phase['failures'].values())} |"
            for phase in self.raw["phases"]
        )
        lines += ["", "| Setup | downloads per phase (first + repeats) |", "|---|---|"]
        for key in KEYS:
            parts = []
            for phase in self.raw["phases"]:
                images = self.phase_images(key, phase)
                parts.append(
                    f"{phase['viewers']}: {images['first']:.0f} + "
                    f"{images['repeat']:.0f}"
                )
            lines.append(f"| {key} | {'; '.join(parts)} |")
        lines += ["", "| Setup | ETag phase: unchanged polls answered |", "|---|---|"]
        lines += [f"| {key} | {dict(self.etag_statuses(key))} |" for key in KEYS]
        if blocking := self.blocking_lines():
            lines += ["", "Blocking-call detector:", ""]
            lines += [f"    {line}" for line in blocking[:20]]
        return "\n".join(lines)

    def notes(self) -> str:
        """Return what explains a start-up that waited on Simkl, if one did."""
        waited = self.setup_time("silent", "simkl")
        if waited is None or waited < 1.0:
            return ""
        rest = self.setup_time("rest_silent", "rest")
        alternative = (
            ""
            if rest is None
            else (
                f" The hand-rolled rest sensor waits too ({rest:.1f} s): its "
                "platform fetches once while it is set up."
            )
        )
        text = (
            "Why start-up waits when Simkl accepts connections but never answers: "
            "the integration's `async_setup_entry` awaits its first refresh "
            "(`async_config_entry_first_refresh`), which waits for the client's "
            f"10-second request timeout ({waited:.1f} s measured), and Home "
            "Assistant's start waits for the entries it sets up. A refused "
            f"connection fails at once.{alternative}"
        )
        return f"\n{textwrap.fill(text, 79)}\n"

    def document(self) -> str:
        """Return RESULTS.md."""
        info = self.raw["machine"]
        mode = "quick (smoke test; not representative)" if self.raw["quick"] else "full"
        return f"""# Benchmark results

Written by `benchmarks/run` ({mode} run). How the figures are measured and
scaled: [README.md](README.md).

- Machine: {info["cpu"]}, {info["cores"]} cores, {info["system"]}
- Python {info["python"]}, Home Assistant {info["home_assistant"]}
- Date: {info["date"]}
- Polling interval: {number(self.interval)} min for every setup
- Simulated hour: {number(self.polls_per_hour())} polls, \
{number(self.hours_changes)} item changes

{self.markdown()}

## Targets

{self.targets_markdown()}
{self.notes()}
## Details

{self.details()}

Profile of the poll: [results/poll_profile.txt](results/poll_profile.txt); raw
measurements: [results/last-run.json](results/last-run.json).
"""
