#!/usr/bin/env python3
"""A dry run's peer: Describe each workflow ID of a CSV (one column, a header) under a semaphore.
Prints one JSON line: ids, found, seconds, ids/s.

Usage: python_describe_each.py ADDRESS FILE [CONCURRENCY]
"""
import asyncio
import json
import os
import sys
import time

from temporalio.client import Client
from temporalio.service import RPCError


async def main() -> None:
    address, path = sys.argv[1], sys.argv[2]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    with open(path, encoding="utf-8") as handle:
        ids = [line.strip() for line in handle.readlines()[1:] if line.strip()]
    client = await Client.connect(address, namespace="default")
    semaphore = asyncio.Semaphore(concurrency)
    found = 0
    start = time.monotonic()

    async def describe(workflow_id: str) -> None:
        nonlocal found
        async with semaphore:
            try:
                await client.get_workflow_handle(workflow_id).describe()
                found += 1
            except RPCError:
                pass

    await asyncio.gather(*(describe(workflow_id) for workflow_id in ids))
    elapsed = time.monotonic() - start
    print(json.dumps({"ids": len(ids), "found": found, "seconds": elapsed,
                      "per_second": len(ids) / elapsed if elapsed else 0}))
    sys.stdout.flush()
    os._exit(0)


asyncio.run(main())
