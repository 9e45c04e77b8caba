import ast
from pathlib import Path

from wagtail_webinars import jobs, tasks


def test_jobs_imports_nothing_else_of_the_package():
    # Queueing is imported from everywhere: it must not pull the services in.
    tree = ast.parse(Path(jobs.__file__).read_text())
    imported = [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.level or "wagtail_webinars" in (node.module or ""))
    ]
    imported += [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("wagtail_webinars")
    ]
    assert imported == []


def test_every_task_name_is_a_task():
    names = [v for k, v in vars(jobs).items() if k.isupper() and not k.startswith("_")]
    names = [n for n in names if n.startswith("wagtail_webinars.tasks.")]
    assert names
    for name in names:
        assert callable(getattr(tasks, name.rpartition(".")[2]))


def test_enqueue_puts_the_task_in_the_package_group(monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "async_task", lambda *a, **kw: calls.append((a, kw)))
    jobs.enqueue(jobs.SYNC_REGISTRATION, 5)
    assert calls == [((jobs.SYNC_REGISTRATION, 5), {"group": "wagtail_webinars"})]
