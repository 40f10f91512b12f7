"""`ogi`: the command line of ogi-reports."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
            target = args.out / f"{path.stem}.json"
            tmp = target.with_suffix(".json.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
