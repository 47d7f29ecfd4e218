"""`python -m sandbox serve` (or `make sandbox`): keep a sandbox running to explore by hand.

Prints the environment that points the AWS CLI, boto3, the workstation CLI and the handler at it.
Ctrl-C stops it and leaves no process or port behind.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import sys
import threading

from sandbox.demo import populate
from sandbox.environment import Sandbox


def serve() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Sandbox() as sandbox:
        registered = populate(sandbox)
        environment = sandbox.handler_environment()
        print("Sandbox running. In another shell:\n")
        for name in sorted(environment):
            print(f"export {name}={shlex.quote(environment[name])}")
        print("\nThen, for example:")
        print("  aws iam list-open-id-connect-providers")
        print(f"  python -m cli --extra-ca-bundle {shlex.quote(environment['EXTRA_CA_BUNDLE'])}          # dry run")
        print(f"  python -m cli --extra-ca-bundle {shlex.quote(environment['EXTRA_CA_BUNDLE'])} --apply  # fix")
        print("  (run both from the repository root with .venv activated)")
        print("\nProviders:")
        for item, provider in registered:
            print(f"  {item.label:<30} {provider.arn}")
        print("\nCtrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        # A second Ctrl-C must not interrupt the teardown and leave ports behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nStopping...", flush=True)
    print("\nSandbox stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="The offline sandbox.")
    parser.add_argument("command", choices=("serve", "demo"), help="serve: keep it running; demo: the demo")
    arguments = parser.parse_args(argv)
    if arguments.command == "demo":
        from sandbox.demo import run  # noqa: PLC0415

        return run()
    return serve()


if __name__ == "__main__":
    sys.exit(main())
