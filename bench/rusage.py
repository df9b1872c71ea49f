"""Run a command and report its own resource use: ``python -m bench.rusage FD ARGV...``.

A process's peak memory as ``wait4`` reports it (``ru_maxrss``) starts from the peak of the process
it was forked from: at ``exec`` the kernel carries the old memory's high-water mark over. Measured
straight from the benchmark (which holds libraries' figures and Textual), every command would seem
to use at least the benchmark's own memory. So each measured command is started by this small
process instead (a bare interpreter, about 10 MB), which forks, execs the command, waits for it and
writes to file descriptor FD one JSON line: the command's wall time (from the fork to its end), its
peak memory in KiB and the blocks it wrote (``ru_oublock``, 512 bytes each: what ``/proc/PID/io``
calls ``write_bytes``) and the CPU time it used (user and system), children it waited for included,
and its exit status.
"""

import json
import os
import sys
import time


def main() -> None:
    fd, argv = int(sys.argv[1]), sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(fd)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    report = {
        "seconds": seconds,
        "maxrss_kib": usage.ru_maxrss,
        "written": usage.ru_oublock * 512,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "status": os.waitstatus_to_exitcode(status),
    }
    os.write(fd, (json.dumps(report) + "\n").encode())
    os.close(fd)
    sys.exit(0)


if __name__ == "__main__":
    main()
