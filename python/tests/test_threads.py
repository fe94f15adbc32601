"""The GIL is released: Python threads run concurrently; Ctrl-C interrupts a run."""

import subprocess
import sys
import textwrap
import threading

import paradup


def corpus(n):
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    out = []
    for i in range(n):
        k = i * 2654435761 % 1000003
        out.append(" ".join(words[(k >> j) % 10] + str((k >> (j + 3)) % 7) for j in range(20)))
        if i % 10 == 9:
            out.append(out[-5] + " extra")
    return out


def test_two_threads_run_concurrently_and_agree():
    texts = corpus(20_000)
    d = paradup.Deduper()
    expected = [[m.index for m in c] for c in d.run(texts)]
    assert len(expected) > 1000
    results = {}
    started = threading.Barrier(2)

    def work(name):
        started.wait()
        results[name] = [[m.index for m in c] for c in d.run(texts)]

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"a": expected, "b": expected}


def test_ctrl_c_interrupts_a_long_run():
    code = textwrap.dedent(
        """
        import os, signal, threading, paradup
        texts = [" ".join(str((i * 7919 + j * 104729) % 100003) for j in range(30)) for i in range(20000)]
        threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            # Every pair of 20,000 distinct texts verified: minutes of work, interrupted after 0.3 s.
            paradup.Deduper(candidates="exhaustive", threshold=0.01).run(texts)
        except KeyboardInterrupt:
            print("interrupted")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "interrupted", out.stderr


def test_ctrl_c_stops_the_run_not_only_the_wait():
    """After the interrupt the deduper stops (its `Progress` is cancelled) instead of
    finishing in the background: the process uses next to no CPU afterwards."""
    code = textwrap.dedent(
        """
        import os, signal, threading, time, paradup
        texts = [" ".join(str((i * 7919 + j * 104729) % 100003) for j in range(40)) for i in range(300000)]
        threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            # Seconds of work on one thread, interrupted after 0.3 s.
            paradup.Deduper(threads=1).run(texts)
            print("finished")
        except KeyboardInterrupt:
            cpu = time.process_time()
            time.sleep(1.0)
            print("interrupted", round(time.process_time() - cpu, 2))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    words = out.stdout.split()
    assert words[0] == "interrupted", out.stdout + out.stderr
    # Running on would cost most of that second; a cancelled run stops within a batch.
    assert float(words[1]) < 0.3, out.stdout

