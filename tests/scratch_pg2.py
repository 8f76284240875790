import sys, time
sys.path.insert(0, "/work/main")
import tests.support.pgserver as m
orig = m.PostgresServer._pg
def timed(self, tool, *a):
    t = time.perf_counter(); orig(self, tool, *a); print(f"  {tool} {a[0]}: {time.perf_counter()-t:.2f}s")
m.PostgresServer._pg = timed
for _ in range(3):
    t = time.perf_counter(); s = m.PostgresServer().start(); print(f"start total {time.perf_counter()-t:.2f}s"); s.stop()
