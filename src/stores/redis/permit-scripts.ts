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
//   fallback poll).
// - Waiters queue first in, first out, in lockwright's own keys beside the sets (PHP
//   never reads them; scripts.ts WAIT_QUEUE): a release, or any script that finds
//   permits free (expired holders purged), grants them to the head waiters in order
//   while the head's weight fits, and tells each granted waiter alone.
// - ZINTERSTORE (Symfony's purge of the weight set) drops the weight set's expiry; every
//   path puts it back, so that no weight set outlives its holders without an expiry.
// - Saving a held token again moves its expiry to now + ttl, as a refresh would.
// - exists() also checks that the permits have not expired (Symfony's checks only the
//   weight set).
import { createHash } from 'node:crypto';
import { WAIT_QUEUE, type RedisScript } from './scripts.js';

function script(name: string, numKeys: 2 | 4, source: string): RedisScript {
  return { name, source, numKeys, sha: createHash('sha1').update(source).digest('hex') };
}

/** The two sorted sets of `resource`, named as Symfony names them (`sprintf('{%s}', $key)`). */
export function permitKeys(resource: string): [weight: string, time: string] {
  return [`{${resource}}:weight`, `{${resource}}:time`];
}

/**
 * The wait queue of `resource`'s permits (list of waiter ids) and its leases (hash), in
 * the sets' Cluster slot, and apart from the queue of a lock of the same name.
 */
export function permitQueueKeys(resource: string): [queue: string, leases: string] {
  return [`{${resource}}:lockwright:permit-queue`, `{${resource}}:lockwright:permit-leases`];
}

// ARGV[1] = "1" to use the server clock, ARGV[2] = the client clock in ms (the fallback
// where TIME may not precede a write). `now_ms` is the instant; `now`, whole seconds,
// is what Symfony compares expiries with; `server_ms` is `now_ms` when it is the
// server's (nil otherwise), reported by a refusal (scripts.ts NOW).
const NOW = `
local now_ms
if ARGV[1] == "1" then
  local t = redis.call("TIME")
  now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now_ms = math.floor(tonumber(ARGV[2]))
end
local now = math.floor(now_ms / 1000)
local server_ms = ARGV[1] == "1" and now_ms or nil`;

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

// Symfony's purge (expired holders out of both sets), then the weight still held. The
// ZINTERSTORE drops the weight set's expiry: the script calls extend() before it ends.
const HELD = `
local function held_weight()
  redis.call("ZREMRANGEBYSCORE", timeKey, "-inf", now)
  redis.call("ZINTERSTORE", weightKey, 2, weightKey, timeKey, "WEIGHTS", 1, 0)
  local held = redis.call("ZRANGE", weightKey, 0, -1, "WITHSCORES")
  local count = 0
  for i = 2, #held, 2 do
    count = count + tonumber(held[i])
  end
  return count
end`;

// The queue (KEYS[3], KEYS[4]); entries "<weight> <limit> <ttl ms> <token>". Heads are
// granted in order while the head's weight fits what its own limit leaves free: a
// heavy head is not overtaken by lighter waiters behind it. The grant ("+") needs no
// value: the permits are written as the waiter's own save would write them.
// \`count\` is the weight held; returns it with the grants added. Stops at \`me\`, the
// caller, which takes its permits itself.
const QUEUE = `${WAIT_QUEUE}
local queueKey = KEYS[3]
local leasesKey = KEYS[4]
local function permit_entry(weight, limit, ttl, token)
  return string.format("%d %d %d %s", weight, limit, ttl, token)
end
local function grant_permits(count, direct, me)
  grant_next(queueKey, leasesKey, now_ms, direct, function(head, detail)
    local weight, limit = string.match(detail, "^(%d+) (%d+) ")
    if head == me or not weight or count + tonumber(weight) > tonumber(limit) then return nil end
    return "+"
  end, function(detail)
    local weight, _, ttl, token = string.match(detail, "^(%d+) (%d+) (%d+) (.+)$")
    redis.call("ZADD", timeKey, string.format("%d", math.ceil((now_ms + tonumber(ttl)) / 1000)), token)
    redis.call("ZADD", weightKey, weight, token)
    count = count + tonumber(weight)
    return true
  end)
  return count
end`;

/**
 * KEYS: weight set, time set, wait queue, leases. ARGV: use server time, client now ms,
 * token, ttl ms, limit, weight, waiter id ("" for none), lease ms, direct grants ("1").
 * Returns {1} when held, or {0, ms until the first holder expires (-1: unknown), the
 * server clock in ms when the script read it}.
 * Only a caller at the head of the queue (or with nobody queued) may take free permits;
 * a refused waiter queues (or renews its lease). Heads ahead of the caller that fit are
 * granted first; those behind it that still fit, after it.
 * Saving a held token again sets its expiry to now + ttl (Symfony leaves it as it was;
 * Lock counts a confirmed save's lifetime from its request, so the server must too).
 * The usual case, nobody queued, costs one EXISTS more than Symfony's script.
 */
export const SAVE = script('permitSave', 4, `
${KEYS_}
local token = ARGV[3]
local limit = tonumber(ARGV[5])
local weight = tonumber(ARGV[6])
local me = ARGV[7] or ""
local lease = tonumber(ARGV[8]) or 0
local direct = ARGV[9] or "0"
${EXPIRY}
if not limit or not weight or weight < 1 or weight > limit then
  return redis.error_reply("ERR lockwright: the weight must be from 1 to the limit")
end
${NOW}
${EXTEND}
${HELD}
${QUEUE}
local count = held_weight()
local expiry = math.ceil((now_ms + ttl) / 1000)
if redis.call("ZSCORE", timeKey, token) then
  redis.call("ZADD", timeKey, string.format("%d", expiry), token)
  redis.call("ZADD", weightKey, weight, token)
  dequeue(queueKey, leasesKey, me)
  extend()
  return {1}
end
local queued = redis.call("EXISTS", queueKey) == 1
if queued then
  local head = queue_head(queueKey, leasesKey, me, now_ms)
  if head and head ~= me then
    count = grant_permits(count, direct, me)
    head = queue_head(queueKey, leasesKey, me, now_ms)
  end
  queued = head and head ~= me
end
if queued or count + weight > limit then
  enqueue(queueKey, leasesKey, me, now_ms, lease, permit_entry(weight, limit, ttl, token))
  extend()
  local first = redis.call("ZRANGE", timeKey, 0, 0, "WITHSCORES")[2]
  if not first then return {0, -1, server_ms} end
  return {0, math.max(0, math.ceil(tonumber(first)) * 1000 - now_ms), server_ms}
end
redis.call("ZADD", timeKey, string.format("%d", expiry), token)
redis.call("ZADD", weightKey, weight, token)
if dequeue(queueKey, leasesKey, me) == 1 then grant_permits(count + weight, direct, me) end
extend()
return {1}
`);

/**
 * KEYS: weight set, time set. ARGV: use server time, client now ms, token, ttl ms.
 * Returns 0 when extended, 1 when the token holds no permits (purged, released, or
 * never saved: Symfony's "positive number"). No purge first, as in Symfony: a holder
 * whose expiry passed unnoticed by others may extend it, since nobody counted past it.
 */
export const PUT_OFF = script('permitPutOff', 2, `
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
 * KEYS: weight set, time set, wait queue, leases. ARGV: use server time, client now ms,
 * token, direct grants. Removes the token from both sets; when it held something and
 * waiters queue, the permits now free go to the heads. Returns 1 when it held something.
 */
export const DELETE = script('permitDelete', 4, `
${KEYS_}
local token = ARGV[3]
local timed = redis.call("ZREM", timeKey, token)
local weighed = redis.call("ZREM", weightKey, token)
if timed == 0 and weighed == 0 then return 0 end
if redis.call("EXISTS", KEYS[3]) == 1 then
  ${NOW}
  ${EXTEND}
  ${HELD}
  ${QUEUE}
  grant_permits(held_weight(), ARGV[4], "")
  extend()
end
return 1
`);

/**
 * KEYS: weight set, time set, wait queue, leases. ARGV: use server time, client now ms,
 * waiter id, direct grants. A waiter that gives up leaves the queue; if it was the
 * head, the waiters behind it that fit are granted. Returns 1 if it was queued, 0 if
 * not (a release may have granted it permits meanwhile: the caller gives them back).
 */
export const LEAVE = script('permitLeave', 4, `
${KEYS_}
${NOW}
${EXTEND}
${HELD}
${QUEUE}
local was_head = redis.call("LINDEX", queueKey, 0) == ARGV[3]
if dequeue(queueKey, leasesKey, ARGV[3]) == 0 then return 0 end
if was_head and redis.call("EXISTS", queueKey) == 1 then
  grant_permits(held_weight(), ARGV[4], "")
  extend()
end
return 1
`);

/** KEYS: weight set, time set. ARGV: use server time, client now ms, token. 1: holds unexpired permits. */
export const EXISTS = script('permitExists', 2, `
${KEYS_}
local token = ARGV[3]
${NOW}
local at = redis.call("ZSCORE", timeKey, token)
if at and tonumber(at) > now and redis.call("ZSCORE", weightKey, token) then return 1 end
return 0
`);
