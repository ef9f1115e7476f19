#!/usr/bin/env python3
"""The Python SDK peer of `sweep cancel|terminate --query`: list, then cancel or terminate each
workflow under a semaphore. Prints one JSON line: workflows, seconds, workflows/s, CPU seconds.

Usage: python_sweep.py ADDRESS cancel|terminate QUERY [CONCURRENCY]
"""
import asyncio
import json
import os
import resource
import sys
import time

from temporalio.client import Client


async def main() -> None:
    address, action, query = sys.argv[1], sys.argv[2], sys.argv[3]
    concurrency = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    client = await Client.connect(address, namespace="default")
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    semaphore = asyncio.Semaphore(concurrency)
    done = 0
    failed = 0

    async def act(workflow_id: str, run_id: str) -> None:
        nonlocal done, failed
        async with semaphore:
            handle = client.get_workflow_handle(workflow_id, run_id=run_id)
            try:
                if action == "cancel":
                    await handle.cancel()
                else:
                    await handle.terminate(reason="bench")
                done += 1
            except Exception:  # noqa: BLE001 - counted, as sweep reports failed rows
                failed += 1

    tasks = []
    async for execution in client.list_workflows(query, page_size=1000):
        tasks.append(asyncio.create_task(act(execution.id, execution.run_id)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)
    print(json.dumps({"workflows": done, "failed": failed, "seconds": elapsed,
                      "per_second": done / elapsed if elapsed else 0, "cpu_seconds": cpu}))
    sys.stdout.flush()
    # The SDK can abort at interpreter exit (temporalio/sdk-python#300).
    os._exit(0)


asyncio.run(main())
