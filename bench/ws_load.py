"""What one server process serves, without browsers: N sessions at once speak Streamlit's own
websocket protocol to a fresh `streamlit run app.py` (a rerun request, as a browser sends one
when a page opens), each going map → county profile → progress; prints per level the median
and worst rerun (request sent → the server's "script finished"), errors, and the server's peak
memory.

    python bench/ws_load.py [--db PATH] [--sessions 1 5 10 20 40] [--region 510000] [--county 513434]

The browsers' own work (drawing deck.gl, loading scripts) is left out on purpose: bench/load.py
measures that, with the browsers on the server's cores. Sessions of one level start together;
every level uses new sessions on the same server (its caches warm after the first).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402  (Streamlit's server brings it)
from demo_db import arguments, start_server  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ClientState_pb2 import ClientState  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from analytics.atlas import regions  # noqa: E402

TIMEOUT_S = 300


def _extra(p) -> None:
    p.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20, 40])
    p.add_argument("--region", default="510000")
    p.add_argument("--county", default="513434")


def steps(region: str, county: str) -> list[tuple[str, str, str]]:
    """(name, page, query) of one visit: the map of a region, a county's profile, progress."""
    city = regions.city_of(county)  # the county's prefecture, as the map's drill-down gives it
    return [("map", "map", f"region={region}"), ("county", "county", f"region={city}&county={county}"),
            ("progress", "progress", f"region={region}")]


async def rerun(ws, page: str, query: str) -> tuple[float, bool]:
    """Ask for a run of `page` with `query`; (seconds until it finished, whether it showed an error)."""
    msg = BackMsg(rerun_script=ClientState(query_string=query, page_name=page))
    started = time.perf_counter()
    await ws.send(msg.SerializeToString())
    error = False
    while True:
        data = await asyncio.wait_for(ws.recv(), TIMEOUT_S)
        fwd = ForwardMsg()
        fwd.ParseFromString(data)
        kind = fwd.WhichOneof("type")
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element" \
                and fwd.delta.new_element.WhichOneof("type") == "exception":
            error = True
        if kind == "page_not_found":
            raise RuntimeError(f"no page {page!r}")
        if kind == "script_finished":
            if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue
            return time.perf_counter() - started, error or fwd.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY


async def session(url: str, visit: list[tuple[str, str, str]]) -> dict[str, tuple[float, bool]]:
    out = {}
    async with websockets.connect(url.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=TIMEOUT_S, ping_timeout=None) as ws:
        for name, page, query in visit:
            out[name] = await rerun(ws, page, query)
    return out


async def level(url: str, n: int, visit) -> list:
    return await asyncio.gather(*[session(url, visit) for _ in range(n)], return_exceptions=True)


def peak_mb(pid: int) -> float:
    """The server's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    args = arguments(__doc__, extra=_extra)
    proc, url = start_server(args.db)
    visit = steps(args.region, args.county)
    try:
        print(f"server {url} on {args.db}; a visit: " + " → ".join(f"/{p}?{q}" for _, p, q in visit))
        print(f"{'sessions':>8}  " + "  ".join(f"{name:>17}" for name, _, _ in visit) + "  errors  peak MB")
        for n in args.sessions:
            results = asyncio.run(level(url, n, visit))
            failed = [r for r in results if isinstance(r, BaseException)]
            done = [r for r in results if not isinstance(r, BaseException)]
            cells = []
            for name, _, _ in visit:
                times = [r[name][0] for r in done]
                cells.append(f"{statistics.median(times):6.2f} / {max(times):6.2f} s" if times else f"{'—':>17}")
            errors = len(failed) + sum(r[name][1] for r in done for name, _, _ in visit)
            print(f"{n:>8}  " + "  ".join(cells) + f"  {errors:>6}  {peak_mb(proc.pid):7.0f}", flush=True)
            for r in failed[:3]:
                print(f"          {type(r).__name__}: {r}")
        print("cells: median / worst rerun per interaction (request sent → script finished)")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
