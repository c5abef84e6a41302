"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "jobs.Job.task_path": None,
    "jobs.Job.args": None,
    "jobs.Job.kwargs": None,
    "jobs.Job.queue_name": None,
    "jobs.Job.status": None,
    "jobs.Job.worker_id": None,
    "jobs.Job.last_error": None,
    "jobs.Job.return_value": None,
    "jobs.Job.dedupe_key": None,
    "jobs.WorkerBeat.worker_id": None,
    "jobs.WorkerBeat.hostname": None,
}
