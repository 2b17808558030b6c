"""A soak from start to end: set up, fault while writing, settle, check, report."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections import Counter

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from deploy.interrupts import shielded
from deploy.soak.checks import SoakChecks
from deploy.soak.common import (
    Check,
    console,
)


class Soak(SoakChecks):
    """One soak run; its exit status says whether every invariant held."""

    async def run(self) -> int:
        try:
            await self.setup()
            await self.soak()
            await self.settle()
            checks = await self.check()
        except BaseException:
            self.keep = True
            raise
        finally:
            with shielded():  # a second Ctrl-C must not leave a server running
                await self.servers_settled()
                self.teardown()
        return self.report(checks)

    async def soak(self) -> None:
        stop = asyncio.Event()
        total = self.minutes * 60
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("/"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("soak", total=total, status="")
            last = {"fault": "-"}

            def note(name: str) -> None:
                last["fault"] = name

            jobs = [
                asyncio.create_task(self.writers(stop)),
                asyncio.create_task(self.faults_loop(stop, note)),
                asyncio.create_task(self.watch_processes(stop)),
            ]
            self.started = time.monotonic()
            while (elapsed := time.monotonic() - self.started) < total:
                progress.update(
                    task,
                    completed=elapsed,
                    status=f"accepted {len(self.writes.accepted)}  faults {len(self.faults)}"
                    f"  now: {last['fault']}",
                )
                for job in jobs:
                    if job.done() and job.exception() is not None:
                        raise job.exception()  # type: ignore[misc]
                await asyncio.sleep(0.5)
            stop.set()
            progress.update(task, completed=total, status="stopping writers and faults …")
            await asyncio.gather(*jobs)

    async def settle(self) -> None:
        """Everything up, the outbox drained, the projector at the end of every partition."""
        await self.server_step(self.stack.start_kafka)
        await self.server_step(self.stack.start_mongo)
        for service in self.services.values():
            if not service.alive():
                service.start()
            await service.healthy()
        console.print("settling: waiting for the outbox to drain and the projector to catch up")
        deadline = time.monotonic() + 300
        async with self._mongo() as client:
            outbox = client[self.settings.database_for("meetings")]["outbox"]
            while await outbox.count_documents({"sent": False}):
                if time.monotonic() > deadline:
                    raise RuntimeError("the outbox did not drain within 5 minutes")
                await asyncio.sleep(0.5)
            ends = await self._ends(self.settings.topics.facts)
            positions = client[self.settings.database_for("reporting")]["consumer_positions"]
            while True:
                stored = {
                    f"{d['topic']}:{d['partition']}": d["next_offset"]
                    async for d in positions.find()
                }
                if all(stored.get(k, 0) >= end for k, end in ends.items()):
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError("the projector did not catch up within 5 minutes")
                await asyncio.sleep(0.5)

    def teardown(self) -> None:
        for service in self.services.values():
            service.stop()
        with contextlib.suppress(Exception):
            self.stack.down()

    def report(self, checks: list[Check]) -> int:
        did = Table(title="What the soak did", show_lines=False)
        for column in ("at", "fault", "detail", "took"):
            did.add_column(column)
        for f in self.faults:
            did.add_row(f"{f.at:6.1f} s", f.name, f.detail, f"{f.seconds:.1f} s")
        console.print(did)
        counts = Counter(f.name for f in self.faults)
        console.print(
            f"{len(self.faults)} faults ({', '.join(f'{n} {k}' for k, n in counts.items())}); "
            f"{len(self.writes.sent)} meetings sent, {len(self.writes.accepted)} accepted, "
            f"{self.writes.retries} retried requests, {len(self.poison)} poison messages"
        )
        table = Table(title="What it checked")
        for column in ("invariant", "", "detail"):
            table.add_column(column)
        for c in checks:
            table.add_row(c.name, "[green]ok" if c.ok else "[bold red]VIOLATED", c.detail)
        console.print(table)
        failed = [c for c in checks if not c.ok]
        if failed or self.keep:
            console.print(f"logs and data kept in {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        if failed:
            console.print(f"[bold red]{len(failed)} invariant(s) violated[/]")
            return 1
        console.print("[bold green]all invariants hold[/]")
        return 0
