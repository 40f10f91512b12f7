"""`ogi`: the command line of ogi-reports."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from orchestration import atomic
from orchestration.parse import errors, parse_bytes


def _dump(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse each file; a failure is reported on stderr and the rest still get parsed."""
    failed = 0
    if args.out is None and len(args.paths) > 1:
        print("ogi parse: more than one input needs --out DIR", file=sys.stderr)
        return 2
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    for path in args.paths:
        try:
            report = parse_bytes(path.read_bytes())
        except errors.ParseError as exc:
            failed += 1
            print(f"{path}: {exc.code}: {exc.message}", file=sys.stderr)
            continue
        except OSError as exc:
            failed += 1
            print(f"{path}: unreadable: {exc.strerror or exc}", file=sys.stderr)
            continue
        text = _dump(report.as_dict())
        if args.out is None:
            sys.stdout.write(text)
        else:
            atomic.write_text(args.out / f"{path.stem}.json", text)
    return 1 if failed else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from orchestration import docs
    from orchestration.modelling import generate

    for path in [*docs.write(), *generate.write()]:
        print(path)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from orchestration.build import build

    years = None
    if args.years:
        first, _, last = args.years.partition("-")
        years = list(range(int(first), int(last or first) + 1))
    results = build(args.data_dir, args.catalog, years)
    failed = [r for r in results if not r.success]
    print(f"ogi build: {len(results)} runs, {len(failed)} failed; data in {args.data_dir}")
    return 1 if failed else 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish the warehouse's marts as a release in dist/ (a new version only when the data changed)."""
    from orchestration.layout import Layout
    from orchestration.publish import PublishError, dist_dir, package, publish

    warehouse = args.warehouse or Layout(args.data_dir).warehouse
    dist = args.dist or dist_dir(args.data_dir)
    try:
        created = args.created or package.declared_date()
        done = publish(warehouse, dist, created, version_=args.version)
    except PublishError as exc:
        print(f"ogi publish: {exc}", file=sys.stderr)
        return 1
    state = (
        f"new, {done.level} after {done.previous}"
        if done.new and done.level
        else "new"
        if done.new
        else "same data"
    )
    print(f"ogi publish: release {done.version} ({state}) in {done.path}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Frictionless validation and our own checks (hashes, sizes, keys, formats) of a release."""
    from orchestration.publish import package
    from orchestration.publish.validate import validate

    path = args.path or args.dist.parent / package.DESCRIPTOR
    problems = validate(path, frictionless=not args.no_frictionless)
    for problem in problems:
        print(problem)
    verdict = f"{len(problems)} problem(s)" if problems else "valid"
    print(f"ogi validate: {path}: {verdict}", file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed between two releases, as Markdown (the CHANGELOG section, unabridged)."""
    from orchestration.publish import PublishError
    from orchestration.publish.diff import diff, render
    from orchestration.publish.release import open_release, resolve
    from orchestration.publish.version import level

    try:
        old = open_release(resolve(args.old, args.dist))
        new = open_release(resolve(args.new, args.dist))
    except PublishError as exc:
        print(f"ogi diff: {exc}", file=sys.stderr)
        return 1
    changes = diff(old, new)
    sys.stdout.write(render(changes, f"## {old.version} → {new.version}", level(changes)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ogi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="parse reports into the report model's JSON")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--format", choices=["json"], default="json")
    p.add_argument("--out", type=Path, default=None, help="write <stem>.json per input into this directory")
    p.set_defaults(func=cmd_parse)
    from orchestration.layout import DEFAULT_CATALOG, DEFAULT_DATA_DIR

    b = sub.add_parser("build", help="run the whole pipeline in-process on a catalog")
    b.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    b.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    b.add_argument(
        "--years", help="a year or a range to (re)build, e.g. 2019-2023 (default: every catalog year)"
    )
    b.set_defaults(func=cmd_build)
    d = sub.add_parser(
        "docs", help="regenerate every file derived from schemas/ (docs/, dbt yml and rule tests)"
    )
    d.set_defaults(func=cmd_docs)
    from orchestration.publish import dist_dir

    dist = dist_dir()
    pub = sub.add_parser("publish", help="write the marts as a versioned release in dist/<version>/")
    pub.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    pub.add_argument("--warehouse", type=Path, default=None, help="default: the data dir's warehouse")
    pub.add_argument("--dist", type=Path, default=None, help="default: dist/ (see README)")
    pub.add_argument(
        "--created", help="the release date (default: $OGI_RELEASE_DATE, else data/release.yaml)"
    )
    pub.add_argument("--version", help="publish under this version instead of the one the rule gives")
    pub.set_defaults(func=cmd_publish)
    v = sub.add_parser("validate", help="validate a release (default: the current one, ./datapackage.json)")
    v.add_argument("path", nargs="?", type=Path, help="a release folder or a datapackage.json")
    v.add_argument("--dist", type=Path, default=dist)
    v.add_argument("--no-frictionless", action="store_true", help="only our own checks (faster)")
    v.set_defaults(func=cmd_validate)
    df = sub.add_parser("diff", help="what changed between two releases (versions in dist/, or paths)")
    df.add_argument("old")
    df.add_argument("new")
    df.add_argument("--dist", type=Path, default=dist)
    df.set_defaults(func=cmd_diff)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
