"""A runnable demonstration: an in-process server for every service in protos/, and a scenario.

``DemoServer`` is what tests and the guide's examples talk to; ``python -m app.Demo``
(``make demo``) runs ``DemoScenario`` against it through the library's ``GrpcClient``.
"""
