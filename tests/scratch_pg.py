import sys, time, os
sys.path.insert(0, "/work/main")
from tests.support.pgserver import PostgresServer, available
import sqlalchemy as sa
print(available())
t = time.perf_counter(); s = PostgresServer().start(); dt = time.perf_counter() - t
print("start", round(dt, 2), "s port", s.port, s.tmpdir)
urls = [s.create_database("alpha"), s.create_database("beta")]
for u in urls:
    e = sa.create_engine(u)
    with e.connect() as c:
        print(u, c.execute(sa.text("select 1, current_user, current_database()")).one())
    e.dispose()
s.drop_database("beta")
d = s.tmpdir
t = time.perf_counter(); s.stop(); print("stop", round(time.perf_counter() - t, 2))
print("dir gone:", not os.path.exists(d))
