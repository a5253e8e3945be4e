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
// when TIME may not precede a write, as Symfony does). \`now\` is in ms; \`clock_us\`, the
// same instant in µs as a decimal string, seeds fencing tokens.
const NOW = `
local now, clock_us
if ARGV[1] == "1" then
  local t = redis.call("TIME")
  now = t[1] * 1000 + math.floor(t[2] / 1000)
  clock_us = string.format("%d%06d", t[1], t[2])
else
  now = math.floor(tonumber(ARGV[2]))
  clock_us = string.format("%d000", now)
end`;

const STRING_BLOCKS = `
if redis.call("TYPE", key).ok == "string" then
  return {0, redis.call("PTTL", key)}
end`;

// The write flag is a member like the tokens: a token equal to it would pass for its
// holder and strip the flag on release. The store refuses such keys before sending;
// the scripts refuse them too, before any write, for callers that bypass the store.
const forged = (arg: string) => `
if ${arg} == "__write__" then
  return redis.error_reply("ERR lockwright: refused an owner token that lockwright did not issue")
end`;

/**
 * The longest TTL the scripts take: 100 years. Expiry scores (now + ttl) then stay whole
 * numbers far below 2^53, exact as doubles and printed without an exponent.
 */
export const MAX_TTL_MS = 3_155_760_000_000;

// ARGV[4], the TTL, is checked before any write: a script that failed half-way would
// leave its ZADD behind, with no PEXPIREAT after it (a key that never expires).
const TTL = `
local ttl = tonumber(ARGV[4])
if not ttl or ttl < 1 or ttl > ${MAX_TTL_MS} or ttl ~= math.floor(ttl) then
  return redis.error_reply("ERR lockwright: the ttl must be a whole number of ms from 1 to ${MAX_TTL_MS}")
end`;

// PEXPIREAT takes a whole number: the expiry is printed with %d (tostring would print
// 1e+17), and clamped below 2^53 so that a foreign member's absurd score cannot make
// the command fail after the writes before it.
const EXPIRE_AT = `
local function expire_at(target, at)
  at = math.floor(tonumber(at))
  if at > 9000000000000000 then at = 9000000000000000 end
  redis.call("PEXPIREAT", target, string.format("%d", at))
end`;

// The key lives as long as its last member; \`top\` is that expiry.
const EXTEND_KEY = `
local top = redis.call("ZREVRANGE", key, 0, 0, "WITHSCORES")[2]
expire_at(key, top)`;

/**
 * KEYS: resource, fencing counter. ARGV: use server time, client now, token, ttl ms.
 * Returns {1, fencing token} or {0, ms the key still lives (-1: no expiry)}.
 * A writer saving again keeps its token; a new writer (or a promoted reader) gets the
 * next one: the counter plus one, or the server clock in µs if that is more. The clock
 * keeps tokens increasing when the counter is gone: after a restart of a Redis that
 * keeps nothing on disk, and after the counter expired, which it does with the lock
 * (by then the clock is far past the last token), so that counters do not pile up,
 * one per resource ever locked.
 */
export const SAVE = script('save', 2, `
local key = KEYS[1]
local token = ARGV[3]
${forged('token')}
${TTL}
${EXPIRE_AT}
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
redis.call("ZADD", key, string.format("%d", now + ttl), token)
redis.call("ZADD", key, string.format("%d", now + ttl), "__write__")
${EXTEND_KEY}
local fence = writer and redis.call("GET", KEYS[2])
if not fence then
  local counter = redis.call("GET", KEYS[2])
  if counter and tonumber(counter) >= tonumber(clock_us) then
    fence = redis.call("INCR", KEYS[2])
  else
    redis.call("SET", KEYS[2], clock_us)
    fence = clock_us
  end
end
expire_at(KEYS[2], top)
return {1, fence}
`);

/**
 * KEYS: resource. ARGV: use server time, client now, token, ttl ms, channel.
 * Returns {1, 0} or {0, ms the key still lives}. A writer saving for reading is
 * demoted, which lets other readers in: that is published.
 */
export const SAVE_READ = script('saveRead', 1, `
local key = KEYS[1]
local token = ARGV[3]
${forged('token')}
${TTL}
${EXPIRE_AT}
${STRING_BLOCKS}
${NOW}
redis.call("ZREMRANGEBYSCORE", key, "-inf", now)
local member = redis.call("ZSCORE", key, token)
local write = redis.call("ZSCORE", key, "__write__")
if not member and write then
  return {0, redis.call("PTTL", key)}
end
redis.call("ZADD", key, string.format("%d", now + ttl), token)
redis.call("ZREM", key, "__write__")
${EXTEND_KEY}
if write then redis.call("PUBLISH", ARGV[5], "demoted") end
return {1, 0}
`);

/**
 * KEYS: resource, fencing counter. ARGV: use server time, client now, token, ttl ms.
 * Returns 1 or 0. No purge first (as in Symfony): an owner whose member expired
 * unnoticed may extend it. A writer's counter lives as long as its lock: saving again
 * returns the same token.
 */
export const PUT_OFF = script('putOffExpiration', 2, `
local key = KEYS[1]
local token = ARGV[3]
${forged('token')}
${TTL}
${EXPIRE_AT}
if redis.call("TYPE", key).ok == "string" then return 0 end
${NOW}
if not redis.call("ZSCORE", key, token) then return 0 end
redis.call("ZADD", key, string.format("%d", now + ttl), token)
if redis.call("ZSCORE", key, "__write__") then
  redis.call("ZADD", key, string.format("%d", now + ttl), "__write__")
end
${EXTEND_KEY}
if redis.call("ZSCORE", key, "__write__") then expire_at(KEYS[2], top) end
return 1
`);

/** KEYS: resource. ARGV: token, channel. Returns 1 when this token held it, else 0. */
export const DELETE = script('delete', 1, `
local key = KEYS[1]
${forged('ARGV[1]')}
${EXPIRE_AT}
if redis.call("TYPE", key).ok == "string" then return 0 end
if not redis.call("ZSCORE", key, ARGV[1]) then return 0 end
redis.call("ZREM", key, ARGV[1])
redis.call("ZREM", key, "__write__")
local last = redis.call("ZREVRANGE", key, 0, 0, "WITHSCORES")[2]
if last then expire_at(key, last) end
redis.call("PUBLISH", ARGV[2], "released")
return 1
`);

/** KEYS: resource. ARGV: use server time, client now, token. Purges expired members. */
export const EXISTS = script('exists', 1, `
local key = KEYS[1]
${forged('ARGV[3]')}
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
