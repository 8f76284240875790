import sys, socket, glob
sys.path.insert(0, "/work/main")
import tests.support.pgserver as m
busy = socket.socket(); busy.bind(("127.0.0.1", 0)); busy.listen()
m.free_port = lambda: busy.getsockname()[1]
try:
    m.PostgresServer().start(timeout=5)
except RuntimeError as e:
    print("raised:", str(e)[:300].replace("\n", " | "))
print("leftovers:", glob.glob("/tmp/pgtest-*"))
with m.PostgresServer() as s2:
    pass
