"""kiln: a build system with the architecture and wire protocol of Koji."""

__version__ = "0.1.0"

# The Koji release whose wire behaviour the hub promises.  The official koji
# client parses this with int() on each dotted part and switches code paths on
# it (>= 1.35 uses the repo-request calls), so it must stay plain integers.
KOJI_VERSION = "1.35.3"
