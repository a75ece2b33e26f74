"""Starts the bench's children on behalf of the parent, from a process that stays small.

Linux carries a process's peak RSS across exec: a child's `ru_maxrss` is at least the peak of the process
whose memory it replaced, i.e. of whoever spawned it. The bench's parent runs moto and grows to hundreds of
megabytes, which would then show up as every function's "peak memory". Spawned from this process instead
(a bare interpreter), a child's `ru_maxrss` is its own.

Protocol: one JSON request per line on stdin (argv, env, cwd, timeout), one JSON answer per line on stdout
(returncode, stdout, stderr; returncode null on timeout).
"""

from __future__ import annotations

import json
import subprocess
import sys


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            done = subprocess.run(
                request["argv"],
                env=request["env"],
                cwd=request["cwd"],
                capture_output=True,
                text=True,
                timeout=request["timeout"],
                check=False,
            )
            answer = {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
        except subprocess.TimeoutExpired:
            answer = {"returncode": None, "stdout": "", "stderr": f"no result within {request['timeout']} s"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
