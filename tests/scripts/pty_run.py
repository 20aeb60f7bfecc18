"""Run a command on a new pseudo-terminal, the way a terminal window runs a shell.

    python3 pty_run.py <command> [args...]

The command becomes a session leader with the pty as its controlling terminal and owns the
terminal's foreground process group, so a \\x03 written to this relay's stdin reaches the command's
process group as SIGINT, exactly like Ctrl-C. The terminal's output is copied to stdout; stdin is
copied to the terminal. Lines on stderr tell the driver what happens:
    PTY-CHILD <pid>     the command's pid (also its session id and process group)
    PTY-EXIT <status>   the command's exit code, or 128+signal
Standard library only: runs with any python3.
"""

import errno
import fcntl
import os
import pty
import select
import struct
import sys
import termios


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: pty_run.py <command> [args...]", file=sys.stderr)
        return 2
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(sys.argv[1], sys.argv[1:])
        finally:
            os._exit(127)
    # 24 rows, 80 columns: a zero-sized terminal is not what a user has.
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    print(f"PTY-CHILD {pid}", file=sys.stderr, flush=True)
    stdin_open = True
    status = None
    while True:
        readable = [master] + ([sys.stdin.fileno()] if stdin_open else [])
        ready, _, _ = select.select(readable, [], [], 0.2)
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError as error:
                # EIO: every process holding the terminal's other side has closed it.
                if error.errno != errno.EIO:
                    raise
                data = b""
            if data:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            elif status is not None:
                break
        if stdin_open and sys.stdin.fileno() in ready:
            data = os.read(sys.stdin.fileno(), 65536)
            if data:
                os.write(master, data)
            else:
                stdin_open = False
        if status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
                status = 128 - status if status < 0 else status
        elif master not in ready:
            # The command is gone and nothing more is buffered on the terminal.
            break
    print(f"PTY-EXIT {status}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
