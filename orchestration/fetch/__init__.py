"""Fetch the catalog's reports into the raw archive and record every fetch in the manifest.

Plain functions and classes (no Dagster), for the assets in `orchestration/defs`:

    rows = load_catalog(Path("catalog/reports.csv"))           # CatalogError lists every bad row
    archive = Archive(data_dir)                                 # data_dir/raw/<sha[:2]>/<sha>
    manifest = Manifest(data_dir / "fetch_manifest")            # a directory: a file per append
    with Fetcher(FetchConfig()) as client:                      # limits, retries, rate limit
        results = fetch_catalog(rows, archive, manifest, client)
    for r in results:                                           # only the rows fetched this run
        data = archive.get(r.sha256) if r.ok else None          # r.error says why not
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace
from typing import Protocol

from orchestration.fetch.archive import Archive, ArchiveError, CorruptRaw, NotArchived
from orchestration.fetch.catalog import CatalogError, CatalogRow, load_catalog
from orchestration.fetch.client import ErrorCode, FetchConfig, Fetcher, FetchResult
from orchestration.fetch.manifest import Manifest

__all__ = [
    "Archive",
    "ArchiveError",
    "CatalogError",
    "CatalogRow",
    "CorruptRaw",
    "ErrorCode",
    "FetchConfig",
    "FetchResult",
    "Fetcher",
    "Manifest",
    "NotArchived",
    "fetch_catalog",
    "load_catalog",
    "plan",
]


class Client(Protocol):
    def fetch(
        self, source: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


def plan(
    rows: Iterable[CatalogRow], archive: Archive, manifest: Manifest, *, refresh: bool = False
) -> list[tuple[CatalogRow, FetchResult | None]]:
    """The rows to fetch, each with the previous good fetch to make the request conditional.

    A row is fetched when it has no good fetch yet, when its source changed since,
    or when the raw file of that fetch is gone from the archive. Otherwise it is
    skipped, unless `refresh` asks to re-check it with a conditional request.
    """
    rows = list(rows)
    latest = manifest.latest_for(r.report_id for r in rows)
    kept = archive.present({p.sha256 for p in latest.values() if p.sha256})
    todo: list[tuple[CatalogRow, FetchResult | None]] = []
    for row in rows:
        previous = latest.get(row.report_id)
        current = (
            previous is not None
            and previous.url == row.source
            and previous.sha256 is not None
            and previous.sha256 in kept
        )
        if not current:
            todo.append((row, None))
        elif refresh:
            todo.append((row, previous))
    return todo


def fetch_catalog(
    rows: Iterable[CatalogRow],
    archive: Archive,
    manifest: Manifest,
    client: Client,
    *,
    refresh: bool = False,
    max_workers: int = 4,
    flush_every: int = 50,
) -> list[FetchResult]:
    """Fetch what needs fetching, archive the bodies and append one manifest row per fetch.

    Returns the results of the rows fetched, in catalog order, without their bodies
    (the bytes are in the archive under `sha256`; keeping them would hold the whole
    catalog in memory). Rows skipped by `plan` are not in the list. The per-host rate
    limit lives in the client, so it holds across the `max_workers` threads.
    """
    todo = plan(rows, archive, manifest, refresh=refresh)
    results: dict[str, FetchResult] = {}
    pending: list[tuple[str, FetchResult]] = []
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fetch") as pool:
        futures: dict[Future[FetchResult], CatalogRow] = {
            pool.submit(_fetch_one, row, previous, archive, client): row for row, previous in todo
        }
        try:
            for future in as_completed(futures):
                row = futures[future]
                results[row.report_id] = future.result()
                pending.append((row.report_id, results[row.report_id]))
                if len(pending) >= flush_every:
                    manifest.append(pending)
                    pending = []
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            manifest.append(pending)
    return [results[row.report_id] for row, _ in todo]


def _fetch_one(
    row: CatalogRow, previous: FetchResult | None, archive: Archive, client: Client
) -> FetchResult:
    """Fetch one row and archive its body before the manifest can point at it."""
    result = client.fetch(
        row.source,
        etag=previous.etag if previous else None,
        last_modified=previous.last_modified if previous else None,
    )
    if result.body is not None:
        stored = archive.put(result.body)
        if stored != result.sha256:
            raise ArchiveError(f"{row.report_id}: archived as {stored}, fetched as {result.sha256}")
    return replace(result, body=None)
