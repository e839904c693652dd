# First in the package run: it ends with the nb2prod process that started it, even when that
# one is SIGKILLed (Linux's PR_SET_PDEATHSIG; elsewhere nothing happens and the caller's
# clean-up is all there is). A parent that died before the request took effect is told by
# $NB2PROD_PARENT_PID (the pid of the process that started this one): then this one ends now.
import contextlib

PR_SET_PDEATHSIG = 1

if __name__ == "__main__":
    with contextlib.suppress(Exception):
        import ctypes
        import os
        import signal

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        parent = os.environ.get("NB2PROD_PARENT_PID", "")
        if parent.isdigit() and os.getppid() != int(parent):
            os._exit(1)
