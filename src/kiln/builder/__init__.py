"""kiln-builder, kiln's kojid: a daemon on each build machine that runs tasks.

It is a client of the hub like any other (``kiln.client`` and the ``host.*``
calls), never importing the hub: a builder on this machine and one on
another machine are the same program.  ``daemon`` is the main loop,
``runner`` the life of one task's process, ``handler`` the base class of
task handlers, ``builtin`` Koji's test tasks, ``plugins`` and ``hookspecs``
the plugin contract.
"""
