"""kiln-repod, Koji's kojira: keeps the repos that build tags need current, and clears old ones away.

``config`` holds its settings, ``daemon`` its loop, ``cli`` the command.
"""
