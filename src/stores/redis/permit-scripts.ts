// The RedisPermitStore's Lua scripts. The data layout is Symfony Semaphore's RedisStore
// (5.x to 8.x), so that a PHP process using it and lockwright count against the same N
// permits on one Redis: per resource, two sorted sets in one Cluster slot,
// `{resource}:weight` (token → weight) and `{resource}:time` (token → expiry in whole
// epoch seconds, as PHP's time()); both expire (EXPIREAT) 10 s after the last holder's
// expiry. The limit is not stored: every holder brings it, as in Symfony.
//
// What differs from Symfony's scripts, none of it visible in the data:
// - `now` is the Redis server's clock (TIME) when scripts may read it, instead of the
//   caller's: lockwright processes then agree on one clock whatever their own skew.
//   PHP holders keep using PHP's time(); both count whole seconds since the epoch.
// - Expiries are whole seconds (PHP's EXPIREAT fails on a fractional score), rounded up
//   from the sub-second instant: permits live at least the TTL asked, at most 1 s more.
// - A refusal reports how long until the first holder expires (the bound of a waiter's
//   fallback poll); a release publishes on the resource's channel (to wake waiters).
// - ZINTERSTORE (Symfony's purge of the weight set) drops the weight set's expiry; every
//   path puts it back, so that no weight set outlives its holders without an expiry.
// - Saving a held token again moves its expiry to now + ttl, as a refresh would.
// - exists() also checks that the permits have not expired (Symfony's checks only the
//   weight set).
import { createHash } from 'node:crypto';
import type { RedisScript } from './scripts.js';

function script(name: string, source: string): RedisScript {
  return { name, source, numKeys: 2, sha: createHash('sha1').update(source).digest('hex') };
}

/** The two sorted sets of `resource`, named as Symfony names them (`sprintf('{%s}', $key)`). */
export function permitKeys(resource: string): [weight: string, time: string] {
  return [`{${resource}}:weight`, `{${resource}}:time`];
}

/** The channel a release of permits of `resource` is published on (not the lock store's). */
export function permitReleaseChannel(resource: string): string {
  return `lockwright:permits-released:${resource}`;
}

// ARGV[1] = "1" to use the server clock, ARGV[2] = the client clock in ms (the fallback
// where TIME may not precede a write). `now_ms` is the instant; `now`, whole seconds,
// is what Symfony compares expiries with.
const NOW = `
local now_ms
if ARGV[1] == "1" then
  local t = redis.call("TIME")
  now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now_ms = math.floor(tonumber(ARGV[2]))
end
local now = math.floor(now_ms / 1000)`;

// ARGV[4], the TTL in ms, is checked before any write; the expiry is the first whole
// second at least ttl ms after now.
const EXPIRY = `
local ttl = tonumber(ARGV[4])
if not ttl or ttl < 1 or ttl ~= math.floor(ttl) or ttl > 3155760000000 then
  return redis.error_reply("ERR lockwright: the ttl must be a whole number of ms from 1 to 3155760000000")
end`;

// Both sets live 10 s past the last holder's expiry (Symfony's rule). A PHP holder with
// a fractional TTL writes a fractional score: rounded up, printed as an integer.
const EXTEND = `
local function extend()
  local last = redis.call("ZREVRANGE", timeKey, 0, 0, "WITHSCORES")[2]
  if not last then return false end
  local at = string.format("%d", math.ceil(tonumber(last)) + 10)
  redis.call("EXPIREAT", weightKey, at)
  redis.call("EXPIREAT", timeKey, at)
  return true
end`;

const KEYS_ = `
local weightKey = KEYS[1]
local timeKey = KEYS[2]`;

/**
 * KEYS: weight set, time set. ARGV: use server time, client now ms, token, ttl ms, limit,
 * weight. Returns {1} when held, or {0, ms until the first holder expires (-1: unknown)}.
 * Saving a held token again sets its expiry to now + ttl (Symfony leaves it as it was;
 * Lock counts a confirmed save's lifetime from its request, so the server must too).
 */
export const SAVE = script('permitSave', `
${KEYS_}
local token = ARGV[3]
local limit = tonumber(ARGV[5])
local weight = tonumber(ARGV[6])
${EXPIRY}
if not limit or not weight or weight < 1 or weight > limit then
  return redis.error_reply("ERR lockwright: the weight must be from 1 to the limit")
end
${NOW}
${EXTEND}
redis.call("ZREMRANGEBYSCORE", timeKey, "-inf", now)
redis.call("ZINTERSTORE", weightKey, 2, weightKey, timeKey, "WEIGHTS", 1, 0)
local expiry = math.ceil((now_ms + ttl) / 1000)
if redis.call("ZSCORE", timeKey, token) then
  redis.call("ZADD", timeKey, string.format("%d", expiry), token)
  redis.call("ZADD", weightKey, weight, token)
  extend()
  return {1}
end
local held = redis.call("ZRANGE", weightKey, 0, -1, "WITHSCORES")
local count = 0
for i = 2, #held, 2 do
  count = count + tonumber(held[i])
end
if count + weight > limit then
  extend()
  local first = redis.call("ZRANGE", timeKey, 0, 0, "WITHSCORES")[2]
  if not first then return {0, -1} end
  return {0, math.max(0, math.ceil(tonumber(first)) * 1000 - now_ms)}
end
redis.call("ZADD", timeKey, string.format("%d", expiry), token)
redis.call("ZADD", weightKey, weight, token)
extend()
return {1}
`);

/**
 * KEYS: weight set, time set. ARGV: use server time, client now ms, token, ttl ms.
 * Returns 0 when extended, 1 when the token holds no permits (purged, released, or
 * never saved: Symfony's "positive number"). No purge first, as in Symfony: a holder
 * whose expiry passed unnoticed by others may extend it, since nobody counted past it.
 */
export const PUT_OFF = script('permitPutOff', `
${KEYS_}
local token = ARGV[3]
${EXPIRY}
${NOW}
${EXTEND}
if not redis.call("ZSCORE", timeKey, token) then return 1 end
redis.call("ZADD", timeKey, string.format("%d", math.ceil((now_ms + ttl) / 1000)), token)
extend()
return 0
`);

/**
 * KEYS: weight set, time set. ARGV: token, channel. Removes the token from both sets;
 * publishes when it held something. Returns 1 when it did.
 */
export const DELETE = script('permitDelete', `
${KEYS_}
local token = ARGV[1]
local timed = redis.call("ZREM", timeKey, token)
local weighed = redis.call("ZREM", weightKey, token)
if timed == 1 or weighed == 1 then
  redis.call("PUBLISH", ARGV[2], "released")
  return 1
end
return 0
`);

/** KEYS: weight set, time set. ARGV: use server time, client now ms, token. 1: holds unexpired permits. */
export const EXISTS = script('permitExists', `
${KEYS_}
local token = ARGV[3]
${NOW}
local at = redis.call("ZSCORE", timeKey, token)
if at and tonumber(at) > now and redis.call("ZSCORE", weightKey, token) then return 1 end
return 0
`);
