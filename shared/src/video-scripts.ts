import { PUBLISH_LUA } from './event-log.js';

/*
 * The VideoStore's Lua scripts. Those that change what clients see also announce it (PUBLISH_LUA:
 * KEYS[1..3] and ARGV[1..7] are the event's), in the same atomic step.
 */

/** HSETs ARGV pairs on KEYS[1] only while the hash exists and its status is one of ARGV[1] (comma list, "" = any). */
export const updateIfScript = `
if redis.call('exists', KEYS[1]) == 0 then return -1 end
if ARGV[1] ~= '' then
  local status = redis.call('hget', KEYS[1], 'status')
  local ok = false
  for s in string.gmatch(ARGV[1], '[^,]+') do if s == status then ok = true end end
  if not ok then return 0 end
end
for i = 2, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

/** SETs KEYS[2] to ARGV[1] only while the video (KEYS[1]) is processing: a deleted or ended video never gets keys back. */
export const setWhileProcessingScript = `
if redis.call('hget', KEYS[1], 'status') ~= 'processing' then return 0 end
redis.call('set', KEYS[2], ARGV[1])
return 1`;

/**
 * The guarded status change, announced: KEYS[4] the video; ARGV[8] the statuses it may change
 * from (comma list), ARGV[9..] field/value pairs. -1 gone, 0 in another status, 1 changed.
 */
export const transitionScript = `${PUBLISH_LUA}
if redis.call('exists', KEYS[4]) == 0 then return -1 end
local status = redis.call('hget', KEYS[4], 'status')
local ok = false
for s in string.gmatch(ARGV[8], '[^,]+') do if s == status then ok = true end end
if not ok then return 0 end
for i = 9, #ARGV, 2 do redis.call('hset', KEYS[4], ARGV[i], ARGV[i + 1]) end
publish()
return 1`;

/**
 * A failed or cancelled video queued again, announced: KEYS[4] the video, KEYS[5] its progress,
 * KEYS[6] its done chunks, KEYS[7..] its other keys (`videoKeys` order: chunk times, tracks, analyses, chunk results); ARGV[8] '1' to drop every stored result
 * (they were cut another way than the planner cuts now), ARGV[9..] field/value pairs. Progress of
 * chunks without a result is dropped (they run again); every key loses the retention TTL.
 */
export const requeueScript = `${PUBLISH_LUA}
local status = redis.call('hget', KEYS[4], 'status')
if status ~= 'failed' and status ~= 'cancelled' then return 0 end
for i = 9, #ARGV, 2 do redis.call('hset', KEYS[4], ARGV[i], ARGV[i + 1]) end
if ARGV[8] == '1' then
  for i = 5, #KEYS do redis.call('del', KEYS[i]) end
else
  for _, chunk in ipairs(redis.call('hkeys', KEYS[5])) do
    if redis.call('sismember', KEYS[6], chunk) == 0 then redis.call('hdel', KEYS[5], chunk) end
  end
end
for i = 4, #KEYS do redis.call('persist', KEYS[i]) end
publish()
return 1`;

/** A `video.progress` event's data from what is stored (atomic with the change, so the counters never go back). */
const PROGRESS_DATA_LUA = `
local function progress_data(video, progress, done)
  local v = redis.call('hmget', video, 'frames_total', 'chunks_total', 'status')
  local frames = 0
  for _, n in ipairs(redis.call('hvals', progress)) do frames = frames + tonumber(n) end
  local tag = cjson.null
  if ARGV[5] ~= '' then tag = ARGV[5] end
  return cjson.encode({ id = ARGV[4], status = v[3], client_tag = tag, progress = {
    frames_total = tonumber(v[1]) or cjson.null, frames_done = frames,
    chunks_total = tonumber(v[2]) or cjson.null, chunks_done = redis.call('scard', done) } })
end
`;

/**
 * Stores a chunk's frames, marks it done and names the model, only while the video is still
 * processing; announces the new progress. KEYS[4] video, KEYS[5] chunk result, KEYS[6] done
 * chunks, KEYS[7] progress; ARGV[8] frames JSON, ARGV[9] chunk index, ARGV[10] frame count, ARGV[11] model JSON or ''.
 */
export const saveChunkScript = `${PUBLISH_LUA}${PROGRESS_DATA_LUA}
if redis.call('hget', KEYS[4], 'status') ~= 'processing' then return 0 end
redis.call('set', KEYS[5], ARGV[8])
redis.call('sadd', KEYS[6], ARGV[9])
redis.call('hset', KEYS[7], ARGV[9], ARGV[10])
if ARGV[11] ~= '' then redis.call('hset', KEYS[4], 'model', ARGV[11]) end
publish(progress_data(KEYS[4], KEYS[7], KEYS[6]))
return 1`;

/**
 * Progress inside a running chunk, announced; ignored once the video is gone or no longer
 * processing. KEYS[4] video, KEYS[5] progress, KEYS[6] done chunks; ARGV[8] chunk index, ARGV[9] frames done.
 */
export const progressScript = `${PUBLISH_LUA}${PROGRESS_DATA_LUA}
if redis.call('hget', KEYS[4], 'status') ~= 'processing' then return 0 end
redis.call('hset', KEYS[5], ARGV[8], ARGV[9])
publish(progress_data(KEYS[4], KEYS[5], KEYS[6]))
return 1`;
