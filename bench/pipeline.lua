-- pipeline.lua - wrk script for bench/http_bench.sh's "pipelined" workload:
-- each write carries DEPTH (default 16) copies of wrk's request (GET of the
-- URL, keep-alive), sent back to back; wrk counts every reply.
--   wrk -t1 -c64 -d5s -s bench/pipeline.lua http://127.0.0.1:PORT/ -- 16
local batch

function init(args)
   local depth = tonumber(args[1]) or 16
   local one = wrk.format()
   batch = string.rep(one, depth)
end

function request()
   return batch
end
