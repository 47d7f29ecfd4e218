"""`python -m sandbox serve` (or `make sandbox`): keep a sandbox running to explore by hand.

Prints the environment that points the AWS CLI, boto3, the workstation CLI and the handler at it.
Ctrl-C stops it and leaves no process or port behind.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time

from sandbox.demo import populate
from sandbox.environment import Sandbox


def serve() -> int:
    signals: list[int] = []
    # Ctrl-C and SIGTERM end the wait; the teardown then runs uninterrupted, whenever they came.
    # The handler only records the signal: taking a lock in a signal handler can deadlock.
    signal.signal(signal.SIGINT, lambda number, _: signals.append(number))
    signal.signal(signal.SIGTERM, lambda number, _: signals.append(number))
    with Sandbox() as sandbox:
        registered = populate(sandbox)
        environment = sandbox.handler_environment()
        print("Sandbox running. In another shell:\n")
        for name in sorted(environment):
            print(f"export {name}={shlex.quote(environment[name])}")
        print("\nThen, for example:")
        print("  aws iam list-open-id-connect-providers")
        print("  oidc-thumbprints sweep            # dry run, with EXTRA_CA_BUNDLE and the rest from the exports")
        print("  oidc-thumbprints sweep --apply    # fix")
        print("  (with .venv activated; or python -m cli sweep from the repository root)")
        print("\nProviders:")
        for item, provider in registered:
            print(f"  {item.label:<30} {provider.arn}")
        print("\nCtrl-C to stop.", flush=True)
        while not signals:
            time.sleep(0.2)
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
