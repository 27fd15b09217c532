"""A warm process that forks each training job: no job pays the interpreter's start or torch's imports.

A local Snakemake run starts one server (``onstart``); it imports torch, ``torch._dynamo`` (which
``torch.optim`` imports on a run's first optimizer step) and the training engine once, and never runs
any tensor arithmetic or touches CUDA itself. Each training job's script is then a thin client: it
hands the server its standard streams and a call (``module:function`` and JSON keyword arguments), the
server forks, the child takes the job's streams, working directory and environment and makes the
call, and the client exits with the child's status. A client whose server is absent or unreachable
(no server started, a cluster node, ``--no-hooks``) makes the call itself, so results never depend on
the server; tests check that a run through it writes the same numbers as one without it.
"""
