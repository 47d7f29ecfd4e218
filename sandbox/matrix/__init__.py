"""The hostile matrix: what the sweep does with every hostile or faulty endpoint we could think of.

Each scenario is a named sandbox behaviour (or an AWS fault) and what the sweep must answer
(`catalogue`). Its issuer is registered through the one `Sandbox` (`registration`); the TLS, HTTP and
list scenarios share one sweep through the real handler, each AWS fault gets its own sweep behind a
`FaultProxy` (`sweeps`), and a scale run sweeps 100 providers, a third of them hostile (`runner`).
`render` writes the table of docs/hostile-matrix.md; `python -m sandbox.matrix` regenerates it. The
invariants every sweep must keep are judged beside the hostile tests, in tests/hostile/oracle.py.
"""
