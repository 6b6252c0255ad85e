"""Parcel detectors (S3.3) over a per-parcel checkpoint of latest scans, in micro-batches.

At evaluation time ``as_of`` each parcel is in at most one state, judged on its latest scan
(a later row wins a tie in time), first match wins:

1. ``lost``: its latest scan is the exception ``lost``, or it has had no scan for
   ``lost_after_hours`` (72 h) or more;
2. ``transit_interrupted``: its latest scan is ``hub_departed`` and older than
   ``transit_timeout_hours`` (6 h);
3. ``backlog``: its latest scan is older than ``stuck_after_hours`` (12 h).

A delivered parcel is in none of them (silence after delivery is normal), and neither is a
parcel whose latest scan is a Level 1 exception (``robbed``, ``withheld``, ``prohibited``):
those are counted per *site* for their own Level 1 kind, at once. States are counted per area
of the latest scan, and the level of each count is the plan's (``plan.service.level_for``).
A signal lists its parcels longest silent first.

Why codes and compiled loops: parcel ids, areas and sites are interned to dense integers once,
when a scan arrives (:class:`Names`), and the checkpoint keeps one slot per parcel code
(:class:`ParcelCheckpoint`). Scans come in time order, not parcel order, so their parcels'
slots lie scattered over memory and reaching a slot is what a scan costs. Folding a
micro-batch in (:func:`_fold`) and classifying the parcels (:func:`_groups`) are therefore
each one pass of a small loop compiled with Numba over those integer arrays, which reaches each
scan's slot once and applies the rule as written; whole-array steps would each sweep the
scattered slots again (one for the greatest time, one for ties, one per column). Strings come
back only for the parcels a signal names (:meth:`Interner.take`, :func:`_id_runs`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import numpy as np
import numpy.typing as npt
import polars as pl
from numba import njit

from peakguard.monitor.events import ExceptionKind, ScanStatus
from peakguard.monitor.signals import Signal
from peakguard.plan.schemas import Plan
from peakguard.plan.service import level_for

SCAN_SCHEMA = pl.Schema(
    {
        "parcel_id": pl.String(),
        "ts": pl.Datetime("us", "UTC"),
        "status": pl.String(),
        "area": pl.String(),
        "site": pl.String(),
        "exception": pl.String(),
    }
)
SCAN_COLUMNS = tuple(SCAN_SCHEMA.names())
STATES = ("lost", "transit_interrupted", "backlog")
STATUSES: tuple[str, ...] = get_args(ScanStatus)
EXCEPTIONS: tuple[str | None, ...] = (None, *get_args(ExceptionKind))
"""Code 0 is "no exception"."""
STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
EXCEPTION_CODE = {e: i for i, e in enumerate(EXCEPTIONS)}
DELIVERED = STATUS_CODE["delivered"]
HUB_DEPARTED = STATUS_CODE["hub_departed"]
LOST_EXCEPTION = EXCEPTION_CODE["lost"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
NEVER = np.iinfo(np.int64).min
"""``ts`` of a parcel code that has no scan yet."""

IntArray = npt.NDArray[np.int64]
ScanRow = tuple[str, datetime, str, str, str, str | None]


def to_us(ts: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    return (ts - EPOCH) // MICROSECOND


class Interner:
    """Strings to dense codes, first seen first, and back. ``series`` mirrors ``names`` as one
    Arrow string column, so a signal's ids come back with one gather that makes fresh Python
    strings, quicker than chasing the interned objects scattered over the heap."""

    __slots__ = ("_series", "index", "names")

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self._series = pl.Series(values=[], dtype=pl.String)

    def __len__(self) -> int:
        return len(self.names)

    def codes(self, values: Sequence[str]) -> IntArray:
        """The codes of ``values``, new ones given the next codes in order of first sight. The
        known ones are looked up by ``map`` (the loop in C: a batch's parcels are mostly known,
        and a Python loop over them was half the fold's time); only the new ones get a second,
        Python, pass."""
        index = self.index
        out = list(map(index.get, values))
        if None in out:
            names = self.names
            for at in [at for at, code in enumerate(out) if code is None]:
                value = values[at]
                code = index.get(value)  # the same new value twice in one batch: one code
                if code is None:
                    code = index[value] = len(names)
                    names.append(value)
                out[at] = code
        return np.array(out, dtype=np.int64)

    def take(self, codes: IntArray) -> list[str]:
        """The names of ``codes``, in that order."""
        known = len(self._series)
        if known < len(self.names):
            self._series.append(pl.Series(values=self.names[known:], dtype=pl.String))
            if self._series.n_chunks() > 8:
                self._series = self._series.rechunk()
        return self._series.gather(codes).to_list()


@dataclass(frozen=True)
class ScanColumns:
    """A batch of scans, interned: parcel/area/site codes, µs since the epoch, status and
    exception codes (indexes into :data:`STATUSES` and :data:`EXCEPTIONS`)."""

    parcel: IntArray
    ts: IntArray
    status: npt.NDArray[np.int8]
    area: npt.NDArray[np.int32]
    site: npt.NDArray[np.int32]
    exception: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return len(self.parcel)

    def slice(self, start: int, stop: int) -> ScanColumns:
        return ScanColumns(
            self.parcel[start:stop],
            self.ts[start:stop],
            self.status[start:stop],
            self.area[start:stop],
            self.site[start:stop],
            self.exception[start:stop],
        )


class Names:
    """The interners of one checkpoint: parcel ids, areas, sites."""

    def __init__(self) -> None:
        self.parcels = Interner()
        self.areas = Interner()
        self.sites = Interner()

    def encode(self, rows: Iterable[Sequence[Any]]) -> ScanColumns:
        """Rows in :data:`SCAN_COLUMNS` order (aware datetimes) as interned columns. A feed's
        batch repeats its times (a scanner stamps whole seconds, a batch spans a few), so each
        distinct time is converted once."""
        rows = list(rows)
        if not rows:
            return self.columns([], np.empty(0, np.int64), [], [], [], [])
        pid, ts, status, area, site, exception = zip(*rows, strict=True)
        micros = dict.fromkeys(ts, 0)
        for t in micros:
            micros[t] = to_us(t)
        stamps = np.fromiter(map(micros.__getitem__, ts), dtype=np.int64, count=len(rows))
        return self.columns(pid, stamps, status, area, site, exception)

    def encode_frame(self, frame: pl.DataFrame) -> ScanColumns:
        """A frame of :data:`SCAN_SCHEMA` as interned columns."""
        stamps = frame["ts"].dt.convert_time_zone("UTC").dt.epoch("us").to_numpy().astype(np.int64)

        def coded(column: str, interner: Interner) -> IntArray:
            return interner.codes(frame[column].to_list())

        status = frame["status"].replace_strict(STATUS_CODE, return_dtype=pl.Int8)
        exception = (
            frame["exception"]
            .fill_null("")
            .replace_strict(
                {("" if k is None else k): v for k, v in EXCEPTION_CODE.items()}, return_dtype=pl.Int8
            )
        )
        return ScanColumns(
            parcel=coded("parcel_id", self.parcels),
            ts=stamps,
            status=status.to_numpy(),
            area=coded("area", self.areas).astype(np.int32),
            site=coded("site", self.sites).astype(np.int32),
            exception=exception.to_numpy(),
        )

    def columns(
        self,
        parcel: Sequence[str],
        ts: IntArray,
        status: Sequence[str],
        area: Sequence[str],
        site: Sequence[str],
        exception: Sequence[str | None],
    ) -> ScanColumns:
        return ScanColumns(
            parcel=self.parcels.codes(parcel),
            ts=ts,
            status=np.fromiter(map(STATUS_CODE.__getitem__, status), dtype=np.int8, count=len(status)),
            area=self.areas.codes(area).astype(np.int32),
            site=self.sites.codes(site).astype(np.int32),
            exception=np.fromiter(map(EXCEPTION_CODE.__getitem__, exception), dtype=np.int8, count=len(exception)),
        )


class ParcelCheckpoint:
    """Each parcel's latest scan as arrays indexed by parcel code, folded in batch by batch."""

    def __init__(self, names: Names | None = None) -> None:
        self.names = names or Names()
        self.ts: IntArray = np.empty(0, np.int64)
        self.status: npt.NDArray[np.int8] = np.empty(0, np.int8)
        self.area: npt.NDArray[np.int32] = np.empty(0, np.int32)
        self.site: npt.NDArray[np.int32] = np.empty(0, np.int32)
        self.exception: npt.NDArray[np.int8] = np.empty(0, np.int8)

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> ParcelCheckpoint:
        checkpoint = cls()
        checkpoint.add(rows)
        return checkpoint

    def __len__(self) -> int:
        """Parcels with at least one scan."""
        return int(np.count_nonzero(self.ts[: len(self.names.parcels)] != NEVER))

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        self.update(self.names.encode(rows))

    def update(self, scans: ScanColumns) -> None:
        """Fold a batch in: per parcel, the scan with the greatest time wins, and among equal
        times the later row (a batch row also wins a tie against the checkpoint)."""
        if not len(scans):
            return
        self._reserve(len(self.names.parcels))
        _fold(
            self.ts, self.status, self.area, self.site, self.exception,
            scans.parcel, scans.ts, scans.status, scans.area, scans.site, scans.exception,
        )  # fmt: skip

    def signals(self, as_of: datetime, plan: Plan) -> list[Signal]:
        """Every (kind, area or site) with at least one parcel in that state, with its level.
        A signal's ids are its parcels longest silent first (equal times by id): the first ids
        an incident shows are the ones to chase first."""
        n = len(self.names.parcels)
        if n == 0:
            return []
        p = plan.detection
        l1_kinds = sorted(set(p.l1_exceptions.values()) - set(STATES))
        kinds = (*STATES, *l1_kinds)
        l1_state = np.full(len(EXCEPTIONS), -1, dtype=np.int64)
        for name, kind in p.l1_exceptions.items():
            if name in EXCEPTION_CODE:
                l1_state[EXCEPTION_CODE[name]] = kinds.index(kind)
        site_scoped = np.array([kind in p.l1_exceptions.values() for kind in kinds])
        width = max(len(self.names.areas), len(self.names.sites))
        group = _groups(
            self.ts[:n], self.status[:n], self.exception[:n], self.area[:n], self.site[:n],
            l1_state, site_scoped, to_us(as_of), width,
            _us(p.lost_after_hours), _us(p.transit_timeout_hours), _us(p.stuck_after_hours),
        )  # fmt: skip
        hit = np.flatnonzero(group >= 0)
        if not hit.size:
            return []
        hit = hit[_by_group_then_time(group[hit], self.ts[hit])]
        hit_group, hit_ts = group[hit], self.ts[hit]
        starts = np.flatnonzero(np.diff(hit_group, prepend=-1)).tolist()
        stops = [*starts[1:], len(hit)]
        tied_with_next = (hit_group[1:] == hit_group[:-1]) & (hit_ts[1:] == hit_ts[:-1])
        runs = _id_runs(self.names.parcels, hit, tied_with_next, zip(starts, stops, strict=True))
        levels: dict[tuple[str, int], str] = {}
        out = []
        for ids, g in zip(runs, hit_group[starts].tolist(), strict=True):
            kind = kinds[g // width]
            scopes = self.names.sites if site_scoped[g // width] else self.names.areas
            count = len(ids)
            level = levels.get((kind, count)) or levels.setdefault(
                (kind, count), level_for(plan, kind, count)
            )
            out.append(Signal(kind=kind, scope=scopes.names[g % width], count=count, level=level, ids=ids))
        out.sort(key=lambda s: (s.kind, s.scope))
        return out

    def _reserve(self, n: int) -> None:
        old = len(self.ts)
        if n <= old:
            return
        size = max(n, 2 * old, 1024)
        self.ts = np.concatenate([self.ts, np.full(size - old, NEVER, np.int64)])
        self.status = np.concatenate([self.status, np.zeros(size - old, np.int8)])
        self.area = np.concatenate([self.area, np.zeros(size - old, np.int32)])
        self.site = np.concatenate([self.site, np.zeros(size - old, np.int32)])
        self.exception = np.concatenate([self.exception, np.zeros(size - old, np.int8)])


def _id_runs(
    parcels: Interner, hit: IntArray, tied_with_next: npt.NDArray[np.bool_], bounds: Iterable[tuple[int, int]]
) -> list[tuple[str, ...]]:
    """The ids of ``hit`` (parcel codes in signal order), cut into one tuple per ``(start, stop)``.

    Built with the cyclic garbage collector held off, and the whole-list intermediates dropped
    before it resumes: these objects make no cycles, and a young-generation pass that found the
    half-million-id list alive would walk every id (a fifth of the classify time at 5 million
    scans). The one pass still due walks the tuples once."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        in_order = parcels.take(hit)
        _sort_ties_by_id(in_order, tied_with_next)
        whole = tuple(in_order)
        del in_order
        return [whole[start:stop] for start, stop in bounds]
    finally:
        if was_enabled:
            gc.enable()


def _us(hours: float) -> int:
    return timedelta(hours=hours) // MICROSECOND


@njit(cache=True, nogil=True)
def _fold(
    latest_ts,
    latest_status,
    latest_area,
    latest_site,
    latest_exception,
    parcel,
    ts,
    status,
    area,
    site,
    exception,
):
    """The rule itself, ``if ts >= latest.ts: latest = row``, replayed row by row in compiled
    code: one read and one write of the parcel's slot per scan, and ``>=`` lets the later of two
    rows with equal times win with no tie-break step (the checkpoint's arrays change in place)."""
    for i in range(parcel.shape[0]):
        code = parcel[i]
        if ts[i] >= latest_ts[code]:
            latest_ts[code] = ts[i]
            latest_status[code] = status[i]
            latest_area[code] = area[i]
            latest_site[code] = site[i]
            latest_exception[code] = exception[i]


@njit(cache=True, nogil=True)
def _groups(
    ts,
    status,
    exception,
    area,
    site,
    l1_state,
    site_scoped,
    now,
    width,
    lost_after,
    transit_timeout,
    stuck_after,
):
    """Each parcel's group, ``state * width + area or site code``, or -1 when it is in no state
    (the module docstring's rules, first match wins)."""
    out = np.full(ts.shape[0], -1, np.int64)
    for i in range(ts.shape[0]):
        if ts[i] == NEVER or status[i] == DELIVERED:
            continue
        age = now - ts[i]
        state = l1_state[exception[i]]
        if state < 0:
            if exception[i] == LOST_EXCEPTION or age >= lost_after:
                state = 0
            elif status[i] == HUB_DEPARTED and age > transit_timeout:
                state = 1
            elif age > stuck_after:
                state = 2
            else:
                continue
        out[i] = state * width + (site[i] if site_scoped[state] else area[i])
    return out


def _by_group_then_time(group: IntArray, ts: IntArray) -> IntArray:
    """The order of parcels by group, then time. One sort of a combined key when group and time
    fit in 63 bits together (they do unless the times span centuries); ties in both are left to
    :func:`_sort_ties_by_id`."""
    first = int(ts.min())
    span = int(ts.max()) - first + 1
    if (int(group.max()) + 1) * span < 2**63:
        return np.argsort(group * span + (ts - first))
    return np.lexsort((ts, group))


def _sort_ties_by_id(ids: list[str], tied_with_next: npt.NDArray[np.bool_]) -> None:
    """Sort, in place, each run of ids whose parcels share group and time, so the order never
    depends on how the numeric sort broke the tie."""
    tied = np.flatnonzero(tied_with_next)
    if not tied.size:
        return
    run_starts = tied[np.diff(tied, prepend=-2) != 1].tolist()
    run_stops = (tied[np.diff(tied, append=len(ids)) != 1] + 2).tolist()
    for start, stop in zip(run_starts, run_stops, strict=True):
        ids[start:stop] = sorted(ids[start:stop])


def warm_up(plan: Plan) -> None:
    """Fold and classify one parcel: the compiled loops' first call in a process loads them from
    Numba's cache and starts its runtime (0.2-0.7 s of CPU measured on the bench machine), which
    a bus worker would otherwise pay inside its first batch, with that batch's events waiting."""
    now = datetime.now(UTC)
    ParcelCheckpoint.from_rows([("warm-up", now, STATUSES[0], "-", "-", None)]).signals(now, plan)


def parcel_signals(
    scans: pl.DataFrame | Sequence[Sequence[Any]], as_of: datetime, plan: Plan
) -> list[Signal]:
    """Signals from a set of scans in any order (a frame of :data:`SCAN_SCHEMA` or rows)."""
    checkpoint = ParcelCheckpoint()
    names = checkpoint.names
    checkpoint.update(names.encode_frame(scans) if isinstance(scans, pl.DataFrame) else names.encode(scans))
    return checkpoint.signals(as_of, plan)


def scans_frame(rows: Sequence[Sequence[object]]) -> pl.DataFrame:
    """A scans frame from rows in :data:`SCAN_COLUMNS` order, times as UTC."""
    return pl.DataFrame(list(rows), schema=SCAN_SCHEMA, orient="row")
