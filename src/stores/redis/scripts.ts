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

/** A script of the lock store, whose KEYS are the resource and its companion keys. */
export interface LockScript extends RedisScript {
  /** What each of KEYS is, in order: the resource, or one of its companion keys (client.ts). */
  readonly keys: readonly KeyRole[];
}

export type KeyRole = 'resource' | 'fence' | 'queue' | 'leases';

/** Channels a release wakes a waiter on: this prefix, then the waiter's store id. */
export const WAKE_PREFIX = 'lockwright:wake:';

function script(name: string, keys: readonly KeyRole[], source: string): LockScript {
  return { name, source, keys, numKeys: keys.length, sha: createHash('sha1').update(source).digest('hex') };
}

// ARGV[1] = "1" to use the server clock, ARGV[2] = the client clock in ms (the fallback
// when TIME may not precede a write, as Symfony does). \`now\` is in ms; \`clock_us\`, the
// same instant in µs as a decimal string, seeds fencing tokens. \`server_ms\` is \`now\`
// when it is the server's (nil otherwise): a refusal reports it to the waiter, which
// bounds from it how far the server clock is ahead of its own (wait-queue.ts).
const NOW = `
local now, clock_us
if ARGV[1] == "1" then
  local t = redis.call("TIME")
  now = t[1] * 1000 + math.floor(t[2] / 1000)
  clock_us = string.format("%d%06d", t[1], t[2])
else
  now = math.floor(tonumber(ARGV[2]))
  clock_us = string.format("%d000", now)
end
local server_ms = ARGV[1] == "1" and now or nil`;

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

// The next fencing token (not yet written): the counter plus one, or the clock in µs
// if that is more.
const NEXT_FENCE = `
local function next_fence(counter_key, clock_us)
  local counter = redis.call("GET", counter_key)
  if counter and tonumber(counter) >= tonumber(clock_us) then
    return string.format("%d", tonumber(counter) + 1)
  end
  return clock_us
end`;

// The wait queue of a resource (lockwright's own keys, which PHP never reads): a list of
// waiter ids in arrival order, and a hash of what each queued waiter asked for:
// "<lease expiry ms> <what the store needs to grant it>". A waiter renews it with every
// try, so a waiter that died leaves the queue once its lease ran out. Only the head may
// take what is free. A release hands it to the head (\`grant_next\`): it publishes the
// grant on the head's store channel (WAKE_PREFIX + the id up to its first "."),
// "<id> <grant> <now>", and writes the holding only if a subscriber heard it: a waiter
// whose process died (its connection closed) is skipped at once, not given what it
// would hold for its whole TTL. \`now\`, the grant's instant by the server clock in ms,
// is where the holding's TTL starts: the waiter counts its lifetime from there, not from
// when the message reached it (wait-queue.ts). Without direct grants, the head is only
// woken ("<id>"), and tries itself: on a Cluster, where PUBLISH counts the subscribers
// of one node only, and whenever the script runs on the client's clock (ARGV[1] ~= "1",
// the first argument of every script that grants): the waiter could not tell how
// long ago, by its own clock, the grant's \`now\` was.
// Shared by the lock store (\`grant_heads\` below) and the permit store (permit-scripts.ts).
export const WAIT_QUEUE = `
local function queue_head(queue, leases, me, now)
  for _ = 1, 100 do
    local head = redis.call("LINDEX", queue, 0)
    if not head or head == me then return head end
    local entry = redis.call("HGET", leases, head)
    if entry and tonumber(string.match(entry, "^%d+")) >= now then return head end
    redis.call("LPOP", queue)
    redis.call("HDEL", leases, head)
  end
  return redis.call("LINDEX", queue, 0)
end
local function enqueue(queue, leases, me, now, lease, detail)
  if me == "" then return end
  if redis.call("HSET", leases, me, string.format("%d %s", now + lease, detail)) == 1 then
    redis.call("RPUSH", queue, me)
  end
  if redis.call("PTTL", queue) < lease then
    redis.call("PEXPIRE", queue, lease)
    redis.call("PEXPIRE", leases, lease)
  end
end
local function dequeue(queue, leases, me)
  if me == "" or redis.call("HDEL", leases, me) == 0 then return 0 end
  redis.call("LREM", queue, 1, me)
  return 1
end
-- Walks the live heads in order (lapsed leases are dropped on the way). \`offer(head,
-- detail)\` says what a head gets, or nil when it must wait (and everyone behind it);
-- \`take(detail, grant)\` writes a heard grant, and says whether to go on to the next head.
local function grant_next(queue, leases, now, direct, offer, take)
  for _ = 1, 100 do
    local head = redis.call("LINDEX", queue, 0)
    if not head then return end
    local entry = redis.call("HGET", leases, head) or ""
    local lease, detail = string.match(entry, "^(%d+) (.+)$")
    if lease and tonumber(lease) >= now then
      local grant = offer(head, detail)
      if not grant then return end
      local channel = "${WAKE_PREFIX}" .. string.match(head, "^[^.]*")
      if direct ~= "1" or ARGV[1] ~= "1" then
        redis.call("PUBLISH", channel, head)
        return
      end
      local heard = redis.call("PUBLISH", channel, string.format("%s %s %d", head, grant, now))
      redis.call("LPOP", queue)
      redis.call("HDEL", leases, head)
      if heard > 0 and not take(detail, grant) then return end
    else
      redis.call("LPOP", queue)
      redis.call("HDEL", leases, head)
    end
  end
end`;

// The lock's queue entries: "<w|r> <ttl ms> <owner token>". A lock left free goes to the
// head: a writer gets the next fencing token, readers at the head are granted together
// ("-": a reader has no fencing token).
const QUEUE = `${WAIT_QUEUE}
local function lock_entry(mode, ttl, token)
  return string.format("%s %d %s", mode, ttl, token)
end
local function grant_heads(key, counter_key, queue, leases, now, clock_us, direct, readers_only)
  local readers = false
  grant_next(queue, leases, now, direct, function(_, detail)
    local mode = string.sub(detail, 1, 1)
    if mode == "w" and readers_only then return nil end
    return mode == "w" and next_fence(counter_key, clock_us) or "-"
  end, function(detail, fence)
    local mode, ttl, token = string.match(detail, "^(%a) (%d+) (.+)$")
    local at = string.format("%d", now + tonumber(ttl))
    if mode == "w" then
      redis.call("ZADD", key, at, token, at, "__write__")
      expire_at(key, at)
      redis.call("SET", counter_key, fence)
      expire_at(counter_key, at)
      return false
    end
    redis.call("ZADD", key, at, token)
    readers = true
    readers_only = true
    return true
  end)
  if readers then
    expire_at(key, redis.call("ZREVRANGE", key, 0, 0, "WITHSCORES")[2])
  end
end`;

// ARGV[5..7] of the saves: the caller's waiter id ("" when it does not wait), its lease
// in ms (how long the queue keeps it without news from it), and "1" when a release may
// grant the lock to the head directly.
const WAITER = `
local me = ARGV[5] or ""
local lease = tonumber(ARGV[6]) or 0
local direct = ARGV[7] or "0"`;

/**
 * KEYS: resource, fencing counter, wait queue, leases. ARGV: use server time, client
 * now, token, ttl ms, waiter id ("" for none), lease ms, direct grants.
 * Returns {1, fencing token} or {0, ms the key still lives (-1: no expiry; -2: free, but
 * others queue first)}.
 * A writer saving again keeps its token; a new writer (or a promoted reader) gets the
 * next one: the counter plus one, or the server clock in µs if that is more. The clock
 * keeps tokens increasing when the counter is gone: after a restart of a Redis that
 * keeps nothing on disk, and after the counter expired, which it does with the lock
 * (by then the clock is far past the last token), so that counters do not pile up,
 * one per resource ever locked.
 * The usual case, a free lock nobody queues for, costs one EXISTS before the writes.
 */
export const SAVE = script('save', ['resource', 'fence', 'queue', 'leases'], `
local key = KEYS[1]
local token = ARGV[3]
${forged('token')}
${TTL}
${EXPIRE_AT}
${NEXT_FENCE}
${QUEUE}
${WAITER}
${NOW}
local writer = false
if redis.call("EXISTS", key, KEYS[3]) > 0 then
  ${STRING_BLOCKS}
  redis.call("ZREMRANGEBYSCORE", key, "-inf", now)
  if redis.call("ZSCORE", key, token) then
    if redis.call("ZSCORE", key, "__write__") then
      writer = true
    elseif redis.call("ZCARD", key) > 1 then
      enqueue(KEYS[3], KEYS[4], me, now, lease, lock_entry("w", ttl, token))
      return {0, redis.call("PTTL", key), server_ms}
    end
    dequeue(KEYS[3], KEYS[4], me)
  else
    local head = queue_head(KEYS[3], KEYS[4], me, now)
    if redis.call("EXISTS", key) == 1 or (head and head ~= me) then
      enqueue(KEYS[3], KEYS[4], me, now, lease, lock_entry("w", ttl, token))
      return {0, redis.call("PTTL", key), server_ms}
    end
    dequeue(KEYS[3], KEYS[4], me)
  end
end
local top = string.format("%d", now + ttl)
redis.call("ZADD", key, top, token, top, "__write__")
expire_at(key, top)
local fence = writer and redis.call("GET", KEYS[2])
if not fence then
  fence = next_fence(KEYS[2], clock_us)
  redis.call("SET", KEYS[2], fence)
end
expire_at(KEYS[2], top)
return {1, fence}
`);

/**
 * KEYS: resource, wait queue, leases. ARGV: use server time, client now, token, ttl ms,
 * waiter id, lease ms, direct grants. Returns {1, 0} or {0, ms the key still lives, the
 * server clock in ms when the script read it}.
 * A reader that takes the lock from the head of the queue, or a writer that demotes
 * itself, lets the readers queued next in with it.
 */
export const SAVE_READ = script('saveRead', ['resource', 'queue', 'leases'], `
local key = KEYS[1]
local token = ARGV[3]
${forged('token')}
${TTL}
${EXPIRE_AT}
${NEXT_FENCE}
${QUEUE}
${WAITER}
${STRING_BLOCKS}
${NOW}
redis.call("ZREMRANGEBYSCORE", key, "-inf", now)
local member = redis.call("ZSCORE", key, token)
local write = redis.call("ZSCORE", key, "__write__")
local head = not member and queue_head(KEYS[2], KEYS[3], me, now)
if (not member and write) or (head and head ~= me) then
  enqueue(KEYS[2], KEYS[3], me, now, lease, lock_entry("r", ttl, token))
  return {0, redis.call("PTTL", key), server_ms}
end
redis.call("ZADD", key, string.format("%d", now + ttl), token)
redis.call("ZREM", key, "__write__")
${EXTEND_KEY}
dequeue(KEYS[2], KEYS[3], me)
if write or head then grant_heads(key, nil, KEYS[2], KEYS[3], now, clock_us, direct, true) end
return {1, 0}
`);

/**
 * KEYS: resource, fencing counter. ARGV: use server time, client now, token, ttl ms.
 * Returns 1 or 0. No purge first (as in Symfony): an owner whose member expired
 * unnoticed may extend it. A writer's counter lives as long as its lock: saving again
 * returns the same token.
 */
export const PUT_OFF = script('putOffExpiration', ['resource', 'fence'], `
local key = KEYS[1]
local token = ARGV[3]
${forged('token')}
${TTL}
${EXPIRE_AT}
if redis.call("TYPE", key).ok == "string" then return 0 end
${NOW}
if not redis.call("ZSCORE", key, token) then return 0 end
redis.call("ZADD", key, string.format("%d", now + ttl), token)
local write = redis.call("ZSCORE", key, "__write__")
if write then
  redis.call("ZADD", key, string.format("%d", now + ttl), "__write__")
end
${EXTEND_KEY}
if write then expire_at(KEYS[2], top) end
return 1
`);

/**
 * KEYS: resource, fencing counter, wait queue, leases. ARGV: use server time, client
 * now, token, direct grants. Returns 1 when this token held it, else 0. A lock left
 * free goes to the head of its queue, if anyone waits (the clock is read only then).
 */
export const DELETE = script('delete', ['resource', 'fence', 'queue', 'leases'], `
local key = KEYS[1]
${forged('ARGV[3]')}
${EXPIRE_AT}
${NEXT_FENCE}
${QUEUE}
local removed = redis.pcall("ZREM", key, ARGV[3])
if type(removed) == "table" then
  if redis.call("TYPE", key).ok == "string" then return 0 end
  return removed
end
if removed == 0 then return 0 end
redis.call("ZREM", key, "__write__")
local last = redis.call("ZREVRANGE", key, 0, 0, "WITHSCORES")[2]
if last then
  expire_at(key, last)
elseif redis.call("EXISTS", KEYS[3]) == 1 then
  ${NOW}
  grant_heads(key, KEYS[2], KEYS[3], KEYS[4], now, clock_us, ARGV[4], false)
end
return 1
`);

/**
 * KEYS: resource, fencing counter, wait queue, leases. ARGV: use server time, client
 * now, waiter id, direct grants. A waiter that gives up leaves the queue; if it was the
 * head of a free lock, the lock goes to the next head. Returns 1 if it was queued, 0
 * if not (a release may have granted it the lock meanwhile: the caller gives that back).
 */
export const LEAVE = script('leave', ['resource', 'fence', 'queue', 'leases'], `
local key = KEYS[1]
${EXPIRE_AT}
${NEXT_FENCE}
${QUEUE}
local was_head = redis.call("LINDEX", KEYS[3], 0) == ARGV[3]
if dequeue(KEYS[3], KEYS[4], ARGV[3]) == 0 then return 0 end
if was_head and redis.call("EXISTS", key) == 0 then
  ${NOW}
  grant_heads(key, KEYS[2], KEYS[3], KEYS[4], now, clock_us, ARGV[4], false)
end
return 1
`);

/** KEYS: resource. ARGV: use server time, client now, token. Purges expired members. */
export const EXISTS = script('exists', ['resource'], `
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
export const TIME_PROBE = script('timeProbe', ['resource'], `
local now = redis.call("TIME")
redis.call("SET", KEYS[1], "1", "PX", 1)
return 1
`);

/** The key the time probe writes (Symfony's, so both libraries leave one scratch key). */
export const TIME_PROBE_KEY = 'symfony_check_support_time';

/** Error messages that mean "no TIME before a write here": use the client clock. */
export const NO_TIME_MESSAGES = ['commands not allowed after non deterministic', 'is not allowed from script'];
