"""One invocation: the request, the sweep pipeline, the channels and the runtime that wires them."""
