"""Sample Temporal worker for temporal-sweep's demo and tests (Python SDK, `pip install temporalio`).

Four workflow types on one task queue, none of which finishes on its own:
- CleanupWorkflow: waits; on a cancel request it runs a `cleanup` activity, then ends CANCELED.
- StubbornWorkflow: ignores cancel requests and keeps waiting; only terminate stops it.
- ChainWorkflow: continues-as-new every `interval` seconds (default 1), forever.
- StubbornChainWorkflow: like ChainWorkflow, but a cancel request only makes it continue-as-new
  at once; only terminating the chain's current run stops it.

Usage: python3 worker.py --address 127.0.0.1:7233 --task-queue sweep-samples
Prints "worker ready" once polling; stops on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import os
import signal
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@activity.defn
async def cleanup(workflow_id: str) -> str:
    return f"cleaned up after {workflow_id}"


@workflow.defn
class CleanupWorkflow:
    @workflow.run
    async def run(self) -> str:
        try:
            await asyncio.sleep(24 * 3600)
            return "finished without being cancelled"
        except asyncio.CancelledError:
            # Graceful cancellation: release what the workflow holds, then end CANCELED.
            await workflow.execute_activity(
                cleanup, workflow.info().workflow_id, start_to_close_timeout=timedelta(seconds=30)
            )
            raise


@workflow.defn
class StubbornWorkflow:
    @workflow.run
    async def run(self) -> str:
        while True:
            try:
                await asyncio.sleep(24 * 3600)
            except asyncio.CancelledError:
                workflow.logger.info("cancel requested; ignoring it")


@workflow.defn
class ChainWorkflow:
    @workflow.run
    async def run(self, interval: float = 1.0) -> None:
        await asyncio.sleep(interval)
        workflow.continue_as_new(interval)


@workflow.defn
class StubbornChainWorkflow:
    @workflow.run
    async def run(self, interval: float = 1.0) -> None:
        try:
            await asyncio.sleep(interval)
        except asyncio.CancelledError:
            workflow.logger.info("cancel requested; continuing as new anyway")
        workflow.continue_as_new(interval)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default="127.0.0.1:7233")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", default="sweep-samples")
    args = parser.parse_args()

    # A parent may hand us SIGTERM/SIGINT blocked (a process spawned from a libdispatch worker
    # thread inherits its mask); unblock them, or the worker could never be stopped.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    client = await Client.connect(args.address, namespace=args.namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=[CleanupWorkflow, StubbornWorkflow, ChainWorkflow, StubbornChainWorkflow],
        activities=[cleanup],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    async with worker:
        print("worker ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # The SDK's core can abort at interpreter exit (temporalio/sdk-python#300); leave at once.
    os._exit(0)
