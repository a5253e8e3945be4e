// The RedisStore's Lua scripts. The data layout is Symfony's RedisStore (5.2 to 7.x), so
// that PHP and Node holders exclude each other on one Redis: the resource name is the
// Redis key, holding a sorted set of owner tokens plus the `__write__` member while the
// lock is held for writing; scores are expiry times in ms; the key expires (PEXPIREAT)
// with its last member. A key of type string is Symfony's pre-5.2 format: it blocks.
//
// Unlike Symfony's, the scripts return what a waiter needs: a conflict reports how long
// the key still lives (the bound of a fallback poll), a release publishes on the
// resource's channel (to wake waiters), and an exclusive save returns a fencing token.
import { createHash } from 'node:crypto';

export interface RedisScript {
  readonly name: string;
  readonly source: string;
  /** SHA1 of the source, for EVALSHA; computed once, when this module loads. */
  readonly sha: string;
  readonly numKeys: number;
}

function script(name: string, numKeys: number, source: string): RedisScript {
  return { name, source, numKeys, sha: createHash('sha1').update(source).digest('hex') };
}

// ARGV[1] = "1" to use the server clock, ARGV[2] = the client clock in ms (the fallback
// when TIME may not precede a write, as Symfony does).
const NOW = `
local now
if ARGV[1] == "1" then
  local t = redis.call("TIME")
  now = t[1] * 1000 + math.floor(t[2] / 1000)
else
  now = math.floor(tonumber(ARGV[2]))
end`;

const STRING_BLOCKS = `
if redis.call("TYPE", key).ok == "string" then
  return {0, redis.call("PTTL", key)}
end`;

const EXTEND_KEY = `
redis.call("PEXPIREAT", key, redis.call("ZREVRANGE", key, 0, 0, "WITHSCORES")[2])`;

/**
 * KEYS: resource, fencing counter. ARGV: use server time, client now, token, ttl ms.
 * Returns {1, fencing token} or {0, ms the key still lives (-1: no expiry)}.
 * A writer saving again keeps its token; a new writer (or a promoted reader) gets the
 * next one. The counter never expires, so tokens keep increasing across expiries.
 */
export const SAVE = script('save', 2, `
local key = KEYS[1]
local token = ARGV[3]
local ttl = tonumber(ARGV[4])
${STRING_BLOCKS}
${NOW}
redis.call("ZREMRANGEBYSCORE", key, "-inf", now)
local writer = false
if redis.call("ZSCORE", key, token) then
  if redis.call("ZSCORE", key, "__write__") then
    writer = true
  elseif redis.call("ZCARD", key) > 1 then
    return {0, redis.call("PTTL", key)}
  end
elseif redis.call("ZCARD", key) > 0 then
  return {0, redis.call("PTTL", key)}
end
redis.call("ZADD", key, now + ttl, token)
redis.call("ZADD", key, now + ttl, "__write__")
${EXTEND_KEY}
if writer then
  local current = redis.call("GET", KEYS[2])
  if current then return {1, current} end
end
return {1, redis.call("INCR", KEYS[2])}
`);

/**
 * KEYS: resource. ARGV: use server time, client now, token, ttl ms, channel.
 * Returns {1, 0} or {0, ms the key still lives}. A writer saving for reading is
 * demoted, which lets other readers in: that is published.
 */
export const SAVE_READ = script('saveRead', 1, `
local key = KEYS[1]
local token = ARGV[3]
local ttl = tonumber(ARGV[4])
${STRING_BLOCKS}
${NOW}
redis.call("ZREMRANGEBYSCORE", key, "-inf", now)
local member = redis.call("ZSCORE", key, token)
local write = redis.call("ZSCORE", key, "__write__")
if not member and write then
  return {0, redis.call("PTTL", key)}
end
redis.call("ZADD", key, now + ttl, token)
redis.call("ZREM", key, "__write__")
${EXTEND_KEY}
if write then redis.call("PUBLISH", ARGV[5], "demoted") end
return {1, 0}
`);

/**
 * KEYS: resource. ARGV: use server time, client now, token, ttl ms. Returns 1 or 0.
 * No purge first (as in Symfony): an owner whose member expired unnoticed may extend it.
 */
export const PUT_OFF = script('putOffExpiration', 1, `
local key = KEYS[1]
local token = ARGV[3]
local ttl = tonumber(ARGV[4])
if redis.call("TYPE", key).ok == "string" then return 0 end
${NOW}
if not redis.call("ZSCORE", key, token) then return 0 end
redis.call("ZADD", key, now + ttl, token)
if redis.call("ZSCORE", key, "__write__") then
  redis.call("ZADD", key, now + ttl, "__write__")
end
${EXTEND_KEY}
return 1
`);

/** KEYS: resource. ARGV: token, channel. Returns 1 when this token held it, else 0. */
export const DELETE = script('delete', 1, `
local key = KEYS[1]
if redis.call("TYPE", key).ok == "string" then return 0 end
if not redis.call("ZSCORE", key, ARGV[1]) then return 0 end
redis.call("ZREM", key, ARGV[1])
redis.call("ZREM", key, "__write__")
local last = redis.call("ZREVRANGE", key, 0, 0, "WITHSCORES")[2]
if last then redis.call("PEXPIREAT", key, last) end
redis.call("PUBLISH", ARGV[2], "released")
return 1
`);

/** KEYS: resource. ARGV: use server time, client now, token. Purges expired members. */
export const EXISTS = script('exists', 1, `
local key = KEYS[1]
if redis.call("TYPE", key).ok == "string" then return 0 end
${NOW}
redis.call("ZREMRANGEBYSCORE", key, "-inf", now)
if redis.call("ZSCORE", key, ARGV[3]) then return 1 end
return 0
`);

/**
 * Symfony's probe: may a script write after calling TIME? (Not before Redis 5 with
 * verbatim script replication; not on some Redis Cluster 7 / serverless offerings.)
 */
export const TIME_PROBE = script('timeProbe', 1, `
local now = redis.call("TIME")
redis.call("SET", KEYS[1], "1", "PX", 1)
return 1
`);

/** The key the time probe writes (Symfony's, so both libraries leave one scratch key). */
export const TIME_PROBE_KEY = 'symfony_check_support_time';

/** Error messages that mean "no TIME before a write here": use the client clock. */
export const NO_TIME_MESSAGES = ['commands not allowed after non deterministic', 'is not allowed from script'];
