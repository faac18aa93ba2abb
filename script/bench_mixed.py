"""``script/bench --mixed``: how much readers slow writers down, with Lua scripts and with kairos' defaults.

4 writer threads (this process) insert counts into minute + hour + day while
2 reader threads (a child process at the lowest CPU priority, so that their
Python work takes neither this process' GIL nor its CPU) read 24 hours of the hour interval at minute resolution
for 10 joined names, over and over. The writers' latency per insert() is
measured alone and with the readers, for

- scripted: writes through the checking Lua script for every call, and reads
  in one Lua script per call that reads every bucket (the script is below, to
  reproduce that load on the server);
- defaults: kairos' defaults;
- control: the writers of "defaults" next to reader threads that only keep the
  CPU busy, as much as readers parsing replies do, and send nothing to Redis.

Goal: with kairos' defaults, readers raise the writers' p99 by less than 2 ms
over the control. On a 2-core machine three busy processes share two cores,
and readers that never touch Redis raise the writers' p99 by 2 to 3 ms
themselves (measured 2026-11-29); the control takes that share out, so that
what is left is what the readers' work on the server costs the writers.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from kairos import Timeseries  # noqa: E402

WRITERS, READERS = 4, 2
NAMES = ['n%d' % j for j in range(10)]
INTERVALS = {
    'minute': {'step': 60, 'steps': 120},
    'hour': {'step': 3600, 'steps': 24, 'resolution': 60},
    'day': {'step': 86400, 'steps': 30},
}

# A read of every bucket in one Lua script per call: the load of the scripted mode.
SCRIPTED_READ = """
local cmd, coarse = ARGV[1], ARGV[2] == '1'
local call = redis.call
local function read(key)
  if cmd == 'LRANGE' then return call('LRANGE', key, 0, -1) end
  if cmd == 'HGETALL' or cmd == 'GET' or cmd == 'SMEMBERS' then return call(cmd, key) end
  return redis.error_reply('ERR kairos: unknown read ' .. cmd)
end
local rval = {}
for i, key in ipairs(KEYS) do
  if coarse then
    rval[i] = read(key)
  else
    local members = call('SMEMBERS', key)
    local sizes, items, n = {}, {}, 0
    for j, member in ipairs(members) do
      local data = read(key .. ':' .. member)
      if type(data) == 'table' then
        sizes[j] = #data
        for k = 1, #data do items[n + k] = data[k] end
        n = n + #data
      else
        sizes[j], items[n + 1] = 1, data
        n = n + 1
      end
    end
    rval[i] = {members, sizes, items}
  end
end
return rval
"""


def reader(url, mode, end, stop_file):
    """Child process: READERS threads reading until stop_file appears; prints reads done.

    It runs at the lowest CPU priority: readers usually run on other hosts, and
    on a small shared machine their own Python work would otherwise take the
    writers' CPU, which is not what this measures (the server's share).
    """
    os.nice(19)
    client = redis.Redis.from_url(url)
    t = Timeseries(client, type='count', intervals=INTERVALS)
    keys = ['%s:hour:%d' % (name, b) for name in NAMES
            for b in range(end // 3600 - 23, end // 3600 + 1)]
    script = client.register_script(SCRIPTED_READ)
    done = []

    def loop():
        while not os.path.exists(stop_file):
            if mode == 'scripted':
                script(keys=keys, args=['GET', '0'])
            elif mode == 'defaults':
                t.series(NAMES, 'hour', steps=24, end=end)
            else:   # the control: as busy on the CPU, but no Redis at all
                sum(range(200000))
            done.append(1)

    threads = [threading.Thread(target=loop) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(len(done))


def writers(url, mode, seconds, now):
    """Run WRITERS threads for ``seconds``; every insert()'s latency in seconds."""
    latencies, stop = [], time.monotonic() + seconds

    def loop(worker):
        t = Timeseries(redis.Redis.from_url(url), type='count', intervals=INTERVALS)
        t.write_mode = 'script' if mode == 'scripted' else 'multi'
        i, mine = 0, []
        while time.monotonic() < stop:
            started = time.perf_counter()
            t.insert('w%d' % (i % 20), 1, timestamp=now + i % 600)
            mine.append(time.perf_counter() - started)
            i += 1
        latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(share * len(values)))]


def bench_mixed(bench):
    seconds = bench.args.mixed_seconds
    bench.section('5. mixed load: %d writer threads insert while %d reader threads read 24 '
                  'hours x 60 of %d joined names; %d s per phase; writers\' latency in ms'
                  % (WRITERS, READERS, len(NAMES), seconds))
    client, now = bench.client, bench.now
    end = now + 86400 - 60
    client.flushdb()
    Timeseries(client, type='count', intervals=INTERVALS).bulk_insert(
        {end - i * 60: {name: [1] for name in NAMES} for i in range(24 * 60)})
    stop_file = os.path.join(tempfile.mkdtemp(prefix='kairos-mixed-'), 'stop-readers')
    mixed_p99 = {}
    for mode in ('control', 'scripted', 'defaults'):
        alone = writers(bench.url, 'defaults' if mode == 'control' else mode, seconds, now)
        if os.path.exists(stop_file):
            os.unlink(stop_file)
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), bench.url, mode,
                                  str(end), stop_file], stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)  # the readers are reading
        bench.server.reset()
        mixed = writers(bench.url, 'defaults' if mode == 'control' else mode, seconds, now)
        usec, longest = bench.server.read()
        open(stop_file, 'w').close()
        reads = int(child.communicate(timeout=120)[0] or 0)
        p50 = [1000 * statistics.median(x) for x in (alone, mixed)]
        p99 = [1000 * percentile(x, 0.99) for x in (alone, mixed)]
        bench.row('%s: writers p50, with / without readers' % mode, 'ms', p50[1], p50[0],
                  'no readers', note='info')
        bench.row('%s: writers p99, with / without readers' % mode, 'ms', p99[1], p99[0],
                  'no readers', note='+%.2f ms; %d %s; longest command %.0f us (%s, p100 %.0f)'
                  % ((p99[1] - p99[0], reads, 'CPU loops' if mode == 'control' else 'reads')
                     + longest[:3]))
        mixed_p99[mode] = p99[1]
        if mode == 'defaults':
            added = p99[1] - mixed_p99['control']
            bench.check('defaults: readers raise writers\' p99 (over the control)', added < 2,
                        '+%.2f ms over the CPU-only readers, goal < 2 ms (+%.2f ms over none)'
                        % (added, p99[1] - p99[0]))


if __name__ == '__main__':
    reader(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
