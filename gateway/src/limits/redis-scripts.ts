import { WINDOW_MS } from './types.ts'

/**
 * The Lua the Redis limits store runs: checking every scope of a request and holding it in all of
 * them is one script, so replicas sharing a Redis cannot interleave between check and hold. Times
 * are Redis's own clock (TIME), the same for every replica. Per scope the keys are: budget hash
 * (spent, held), request log (zset: lease → time), token log (zset: lease → time) with its token
 * counts (hash: lease → tokens), open leases (zset: lease → expiry).
 */

/** Keys per scope, in this order. */
export const KEYS_PER_SCOPE = 5
/** Arguments per scope after the 5 shared ones: budget limit, budget expiry (ms), rpm, tpm, max parallel. */
export const ARGS_PER_SCOPE = 5

/** The token counts hash keeps its running total under this field: a check reads one field, not the window. */
const SUM = '__sum'

const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local WINDOW = ${WINDOW_MS}
local function trim(log, counts)
  local old = redis.call('ZRANGEBYSCORE', log, '-inf', now - WINDOW)
  for _, id in ipairs(old) do
    redis.call('ZREM', log, id)
    if counts then
      local n = redis.call('HGET', counts, id)
      if n then
        redis.call('HINCRBY', counts, '${SUM}', -tonumber(n))
        redis.call('HDEL', counts, id)
      end
    end
  end
end
local function oldest(log)
  local o = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
  if #o == 0 then return now end
  return tonumber(o[2])
end
local function used(counts)
  return tonumber(redis.call('HGET', counts, '${SUM}') or '0')
end
`

/**
 * ARGV: lease id, cost USD, tokens, scope count, lease lifetime ms, then per scope ARGS_PER_SCOPE
 * values ('' for no limit). Returns {'ok', now, per scope: requests in window, oldest request,
 * tokens in window, oldest token entry, spent, held} or {'budget'|'requests'|'tokens'|'parallel',
 * scope index (1-based), spent or retry-after ms}.
 */
export const ADMIT = `${PRELUDE}
local lease, cost, tokens, n, life = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local function arg(i, j) return ARGV[5 + (i - 1) * ${ARGS_PER_SCOPE} + j] end
local function key(i, j) return KEYS[(i - 1) * ${KEYS_PER_SCOPE} + j] end
for i = 1, n do
  if arg(i, 1) ~= '' then
    local spent = tonumber(redis.call('HGET', key(i, 1), 'spent') or '0')
    local held = tonumber(redis.call('HGET', key(i, 1), 'held') or '0')
    if spent + held + cost > tonumber(arg(i, 1)) then return {'budget', i, tostring(spent)} end
  end
  if arg(i, 3) ~= '' then
    trim(key(i, 2), nil)
    local limit = tonumber(arg(i, 3))
    local c = redis.call('ZCARD', key(i, 2))
    if c + 1 > limit then
      local o = redis.call('ZRANGE', key(i, 2), c - limit, c - limit, 'WITHSCORES')
      return {'requests', i, tostring(tonumber(o[2]) + WINDOW - now)}
    end
  end
  if arg(i, 4) ~= '' then
    trim(key(i, 3), key(i, 4))
    if used(key(i, 4)) + tokens > tonumber(arg(i, 4)) then
      return {'tokens', i, tostring(oldest(key(i, 3)) + WINDOW - now)}
    end
  end
  if arg(i, 5) ~= '' then
    redis.call('ZREMRANGEBYSCORE', key(i, 5), '-inf', now)
    if redis.call('ZCARD', key(i, 5)) + 1 > tonumber(arg(i, 5)) then return {'parallel', i, '1000'} end
  end
end
local out = {'ok', tostring(now)}
for i = 1, n do
  if arg(i, 1) ~= '' then
    redis.call('HINCRBYFLOAT', key(i, 1), 'held', cost)
    if arg(i, 2) ~= '' then redis.call('PEXPIREAT', key(i, 1), arg(i, 2)) end
  end
  if arg(i, 3) ~= '' then
    redis.call('ZADD', key(i, 2), now, lease)
    redis.call('PEXPIRE', key(i, 2), WINDOW)
  end
  if arg(i, 4) ~= '' then
    redis.call('ZADD', key(i, 3), now, lease)
    redis.call('HSET', key(i, 4), lease, tokens)
    redis.call('HINCRBY', key(i, 4), '${SUM}', tokens)
    redis.call('PEXPIRE', key(i, 3), WINDOW)
    redis.call('PEXPIRE', key(i, 4), WINDOW)
  end
  if arg(i, 5) ~= '' then
    redis.call('ZADD', key(i, 5), now + life, lease)
    redis.call('PEXPIRE', key(i, 5), life)
  end
  table.insert(out, tostring(redis.call('ZCARD', key(i, 2))))
  table.insert(out, tostring(oldest(key(i, 2))))
  table.insert(out, tostring(used(key(i, 4))))
  table.insert(out, tostring(oldest(key(i, 3))))
  table.insert(out, redis.call('HGET', key(i, 1), 'spent') or '0')
  table.insert(out, redis.call('HGET', key(i, 1), 'held') or '0')
end
return out
`

/** KEYS per scope: budget hash, token counts, open leases. ARGV: lease, held USD, spent USD, tokens. */
export const SETTLE = `
local lease, held, spent, tokens = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
for i = 1, #KEYS, 3 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HINCRBYFLOAT', KEYS[i], 'held', -held)
    redis.call('HINCRBYFLOAT', KEYS[i], 'spent', spent)
  end
  local was = redis.call('HGET', KEYS[i + 1], lease)
  if was then
    redis.call('HSET', KEYS[i + 1], lease, tokens)
    redis.call('HINCRBY', KEYS[i + 1], '${SUM}', tonumber(tokens) - tonumber(was))
  end
  redis.call('ZREM', KEYS[i + 2], lease)
end
return 1
`

/** KEYS per scope: budget hash, request log, token log, token counts, open leases. Returns 5 numbers a scope. */
export const USAGE = `${PRELUDE}
local out = {}
for i = 1, #KEYS, ${KEYS_PER_SCOPE} do
  trim(KEYS[i + 1], nil)
  trim(KEYS[i + 2], KEYS[i + 3])
  redis.call('ZREMRANGEBYSCORE', KEYS[i + 4], '-inf', now)
  table.insert(out, redis.call('HGET', KEYS[i], 'spent') or '0')
  table.insert(out, redis.call('HGET', KEYS[i], 'held') or '0')
  table.insert(out, tostring(redis.call('ZCARD', KEYS[i + 1])))
  table.insert(out, tostring(used(KEYS[i + 3])))
  table.insert(out, tostring(redis.call('ZCARD', KEYS[i + 4])))
end
return out
`

/** KEYS: a budget hash. ARGV: spend found in the spans, expiry (ms, '' for none). Only the first replica's counts. */
export const SEED = `
if redis.call('HSETNX', KEYS[1], 'spent', ARGV[1]) == 1 and ARGV[2] ~= '' then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return 1
`
