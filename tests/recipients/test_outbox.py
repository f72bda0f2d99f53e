"""The outbox: a run killed between sending and recording resends the same notice, never a
second one; two processes never send one notice at the same time."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.recipients.conftest import HookServer, Reply, SmtpServerInfo, Tls
from tests.recipients.helpers import EMAIL, SECRET, new_request, parse_mail, setup, supplier

#: Runs ``dsr ARGS`` in a real process that SIGKILLs itself once the second notice was sent and
#: before it is recorded (the first one is sent and never recorded either).
KILLED_AFTER_SENDING = """
import inspect, os, signal, sys
from dsr_core.engine import orchestrator
from dsr_core.recipients import outbox, notify

calls = []
def record(ctx, pk, delivery, reason):
    calls.append(pk)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return outbox.SendReport("?", 0, "?", "pending")
outbox._record = record

if "on_tasks_finished" not in inspect.getsource(orchestrator):  # until the engine is wired
    original = orchestrator.settle
    def settle(ctx, request_id, *args, **kwargs):
        notify.on_tasks_finished(ctx, request_id)
        return original(ctx, request_id, *args, **kwargs)
    orchestrator.settle = settle

from dsr_core.cli import main
main(sys.argv[1:])
"""


def test_a_run_killed_between_sending_and_recording_sends_the_same_notices_again(
    dsr, smtp_tls_server: SmtpServerInfo, tls: Tls, hook_server: HookServer, monkeypatch
):
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    setup(
        dsr,
        notices={
            "transport": "smtp",
            "host": smtp_tls_server.host,
            "port": smtp_tls_server.port,
            "security": "tls",
            "cafile": str(tls.cert),
            "webhook_backoff": 0.05,
        },
    )
    url = hook_server.script("/hook", Reply(202, {"status": "received"}))
    hooked = supplier(dsr, "Cloud", "--role", "processor", "--email", "dpo@cloud.example",
                      "--webhook-url", url, "--secret-env", "HOOK_SECRET")  # fmt: skip
    mailed = supplier(dsr, "Telco NV", "--role", "carrier", "--email", "p@telco.example")
    for name in ("Cloud", "Telco NV"):
        dsr("suppliers", "disclose", name, "--email", EMAIL, "--category", "contact")
    rid = new_request(dsr)

    env = {**os.environ, **dsr.env}
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_SENDING, "request", "run", rid],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr
    assert len(smtp_tls_server.messages) == 1 and len(hook_server.requests("/hook")) == 1
    for notice in dsr.json("notices", "list"):
        assert notice["state"] == "pending" and notice["sends"] == 0

    # while another process holds the webhook notice's lock, a sender leaves it alone
    from dsr_core.cli.app import App, engine_context
    from dsr_core.recipients import locks, outbox

    ctx = engine_context(App())
    with locks.sending(ctx.store, ctx.config.home, 1) as held:
        assert held
        busy, mailed_again = outbox.send(ctx)
    assert busy.notice_id == f"N-{rid}-{hooked}" and busy.skipped and not busy.delivered
    assert mailed_again.delivered and len(smtp_tls_server.messages) == 2
    assert len(hook_server.requests("/hook")) == 1
    ctx.store.dispose()

    report = dsr.json("request", "run", rid)  # resumed: the tasks are done, a notice is not

    assert report["state"] == "awaiting_confirmations"
    listed = dsr.json("notices", "list", "--request", rid)
    assert [(n["notice_id"], n["state"], n["sends"]) for n in listed] == [
        (f"N-{rid}-{hooked}", "sent", 1),
        (f"N-{rid}-{mailed}", "sent", 1),
    ]
    first, second = (parse_mail(m.content) for m in smtp_tls_server.messages)
    assert first["Message-ID"] == second["Message-ID"] == f"<dsr-notice.N-{rid}-{mailed}@voxtra.be>"
    assert first.get_content() == second.get_content()
    posts = hook_server.requests("/hook")
    assert len(posts) == 2 and posts[0].body == posts[1].body
    assert posts[0].headers["webhook-id"] == posts[1].headers["webhook-id"]
    assert all(p.signature_ok for p in posts)
