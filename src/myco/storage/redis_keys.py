"""Where the Redis backend keeps things, and the Lua scripts that change several keys at once.

Every write that touches more than one key is one script, so Redis applies it atomically
(and logs it to the AOF as one transaction): concurrent replicas can never interleave seq
order, and a crash never leaves half of an append behind.

Layout, with the default prefix ``myco:`` (``{...}`` is a hash tag: one tenant's keys share
a slot)::

    myco:tenants                SET     every tenant id
    myco:feed                   STREAM  one entry per change of any tenant (t=<tenant id>),
                                        trimmed to the last FEED_KEEP_MS: it only wakes
                                        followers, the tenant streams are the truth
    myco:t:{<tenant>}:seq       STRING  the tenant's last assigned seq
    myco:t:{<tenant>}:log       STREAM  one entry per event, id "<seq>-0", fields ts (ms),
                                        s (session), l (line) and c (client id, if any);
                                        plus entries "<seq>-<n>" (n >= 1) with field m: a
                                        message created after event <seq>
    myco:t:{<tenant>}:cids      ZSET    "<SESSION> <client id>" -> first seq of that post,
                                        the last CLIENT_IDS_KEPT posts
    myco:t:{<tenant>}:msgs      HASH    message name -> body (created with HSETNX only)
    myco:t:{<tenant>}:dispatch  HASH    session -> pending prompt
    myco:t:{<tenant>}:meta      STRING  operator metadata, JSON ({"sessions": {...}})
    myco:rl:<address>:fail|ban|new      rate-limit state (myco.storage.redis_ratelimit)
"""

from __future__ import annotations

from attrs import frozen

DEFAULT_PREFIX = "myco:"
#: client ids remembered per tenant for store-level deduplication (as many as a replica
#: keeps in memory, see myco.tenants.CLIENT_IDS_KEPT)
CLIENT_IDS_KEPT = 10_000
#: how long feed entries are kept; a follower that was away longer resyncs from the
#: tenant streams anyway, so this only has to cover one blocking read
FEED_KEEP_MS = 3_600_000


@frozen
class Keys:
    """Key names under one prefix."""

    prefix: str = DEFAULT_PREFIX

    @property
    def tenants(self) -> str:
        return f"{self.prefix}tenants"

    @property
    def feed(self) -> str:
        return f"{self.prefix}feed"

    def tenant(self, tenant_id: str, what: str) -> str:
        return f"{self.prefix}t:{{{tenant_id}}}:{what}"

    def limit(self, address: str, what: str) -> str:
        return f"{self.prefix}rl:{address}:{what}"


# Shared Lua: the server's clock in milliseconds, and a feed entry telling followers
# that tenant ARGV[1] changed.
_NOW = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""
_NOTIFY = (
    _NOW
    + """
local function notify(feed, tenant, keep_ms)
  redis.call('XADD', feed, 'MINID', '~', now_ms() - keep_ms, '*', 't', tenant)
end
"""
)

#: KEYS tenants, feed; ARGV tenant, keep_ms. Returns 1 when the tenant is new.
CREATE_TENANT = (
    _NOTIFY
    + """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  notify(KEYS[2], ARGV[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""
)

#: KEYS tenants, feed, seq, log, cids; ARGV tenant, keep_ms, ts, session, client id,
#: cids kept, line... Returns the first seq, or 0 when the client id was stored already.
APPEND = (
    _NOTIFY
    + """
local session, cid = ARGV[4], ARGV[5]
local member = session .. ' ' .. cid
if cid ~= '' and redis.call('ZSCORE', KEYS[5], member) then
  return 0
end
local n = #ARGV - 6
local first = redis.call('INCRBY', KEYS[3], n) - n + 1
for i = 1, n do
  if cid ~= '' then
    redis.call('XADD', KEYS[4], (first + i - 1) .. '-0',
               'ts', ARGV[3], 's', session, 'l', ARGV[6 + i], 'c', cid)
  else
    redis.call('XADD', KEYS[4], (first + i - 1) .. '-0',
               'ts', ARGV[3], 's', session, 'l', ARGV[6 + i])
  end
end
if cid ~= '' then
  redis.call('ZADD', KEYS[5], first, member)
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -(tonumber(ARGV[6]) + 1))
end
redis.call('SADD', KEYS[1], ARGV[1])
notify(KEYS[2], ARGV[1], tonumber(ARGV[2]))
return first
"""
)

#: KEYS msgs, seq, log, feed; ARGV tenant, keep_ms, name, body. Returns 1 if created.
PUT_MSG = (
    _NOTIFY
    + """
if redis.call('HSETNX', KEYS[1], ARGV[3], ARGV[4]) == 0 then
  return 0
end
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
redis.call('XADD', KEYS[3], top .. '-*', 'm', ARGV[3])
notify(KEYS[4], ARGV[1], tonumber(ARGV[2]))
return 1
"""
)

#: KEYS dispatch; ARGV session. Returns the prompt (removed), or nil.
TAKE_DISPATCH = """
local prompt = redis.call('HGET', KEYS[1], ARGV[1])
if prompt then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return prompt
"""

#: KEYS ban, fail; ARGV max_failures, window_ms, ban_ms. Returns the ban in ms, or -1.
RECORD_FAILURE = (
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
local now = now_ms()
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
while true do
  local head = redis.call('LINDEX', KEYS[2], 0)
  if head and tonumber(head) <= now - window then
    redis.call('LPOP', KEYS[2])
  else
    break
  end
end
redis.call('RPUSH', KEYS[2], now)
redis.call('LTRIM', KEYS[2], -math.max(1, max), -1)
if redis.call('LLEN', KEYS[2]) >= max then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[2])
  return tonumber(ARGV[3])
end
redis.call('PEXPIRE', KEYS[2], window)
return -1
"""
)

#: KEYS new; ARGV max_creations, window_ms. Returns -1 when one unit was spent, else the
#: milliseconds until one is free again.
TRY_CREATE = (
    _NOW
    + """
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
if max <= 0 then
  return window
end
local now = now_ms()
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if head and tonumber(head) <= now - window then
    redis.call('LPOP', KEYS[1])
  else
    break
  end
end
if redis.call('LLEN', KEYS[1]) >= max then
  return tonumber(redis.call('LINDEX', KEYS[1], 0)) + window - now
end
redis.call('RPUSH', KEYS[1], now)
redis.call('PEXPIRE', KEYS[1], window)
return -1
"""
)
