"""What both Dask futures benchmarks share: the cluster shape (the same as the troupe side's,
bench/common/futures_cluster.hpp) and the start of their JSON report."""

import contextlib
import logging

import dask
import distributed
from distributed import Client, LocalCluster

N_WORKERS = 2
THREADS_PER_WORKER = 1


@contextlib.contextmanager
def futures_client():
    """A Client of a LocalCluster of N_WORKERS processes x THREADS_PER_WORKER, all joined."""
    with LocalCluster(n_workers=N_WORKERS, threads_per_worker=THREADS_PER_WORKER,
                      processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.wait_for_workers(N_WORKERS)
        yield client


def futures_report(workload, tasks):
    return {"workload": workload, "implementation": "dask", "api": "futures",
            "scheduler": "distributed", "version": dask.__version__,
            "distributed_version": distributed.__version__, "n_workers": N_WORKERS,
            "threads_per_worker": THREADS_PER_WORKER, "tasks": tasks}
