"""The kill run of the delivery bench (`bench/delivery.py`) counts at a sink that keeps
duplicates: a sink that dropped a repeated Message-ID would hide the very thing it measures."""

import importlib.util
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "delivery.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_delivery", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_kill_runs_sink_counts_a_repeated_message_as_a_duplicate():
    bench = load_bench()
    port = bench.free_port()
    sink = subprocess.Popen(  # noqa: S603
        [sys.executable, str(BENCH), "--counting-sink", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        bench.wait_for_port(port, sink, 20)
        counter = bench.MessageIdCounter(sink.stdout, prefix="bn-7-")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            # Member 1 gets message 7 twice (a re-send after a crash), member 2 once, and
            # an e-mail of another message goes by.
            for key in ("bn-7-1-email", "bn-7-2-email", "bn-7-1-email", "bn-8-1-email"):
                mail = EmailMessage()
                mail["From"], mail["To"], mail["Subject"] = "bn@example.be", "m@example.be", "A"
                mail["Message-ID"] = f"<{key}@buurtnet.test>"
                mail.set_content("Burglars")
                smtp.send_message(mail)
        wait_until(lambda: len(counter.per_id) == 3)
        assert (counter.total, counter.distinct, counter.duplicates) == (3, 2, 1)
    finally:
        sink.terminate()
        sink.wait(10)


def test_the_delivery_bench_skips_itself_when_given_nothing_to_run(monkeypatch, capsys):
    bench = load_bench()
    monkeypatch.setattr(
        sys,
        "argv",
        ["delivery.py", "--sizes", "", "--workers", "1", "--kill-size", "0", "--bulk-size", "0"],
    )
    assert bench.main() == 0
    assert "Delivery bench: skipped" in capsys.readouterr().out
