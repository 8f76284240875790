import sys
sys.path.insert(0, "/work/main")
from tests.support.pgserver import PostgresServer
s = PostgresServer().start()
print("started", s.tmpdir, flush=True)
raise SystemExit("crash without stop")
