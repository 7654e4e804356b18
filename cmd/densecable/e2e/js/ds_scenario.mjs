// End-to-end Durable Streams reads with the official @durable-streams/client
// (see durable_test.go):
//   --base=<http://host:port/ds> --broadcast=<HTTP broadcast URL>
//   --stream=<name> [--signed=<token for stream>] [--foreign=<token for another stream>]
// Catch-up, long-poll and SSE reads; offsets move on; bad requests get
// their status.

import { stream } from '@durable-streams/client'
import lib from './lib.js'

const { run, emit, broadcast, parseArgs, need, within } = lib
const args = need(parseArgs(process.argv.slice(2)), 'base', 'broadcast', 'stream')
const url = args.base + '/' + encodeURIComponent(args.stream).replace(/%2F/g, '/')
const headers = args.signed ? { 'X-Signed': args.signed } : {}
const T = 15000

async function status (u, init) {
  const res = await fetch(u, init)
  await res.arrayBuffer()
  return { status: res.status, offset: res.headers.get('stream-next-offset') }
}

// collect subscribes to a live read until n items came.
function collect (res, n, what) {
  const items = []
  return within(T, what, new Promise((resolve, reject) => {
    res.subscribeJson(async (batch) => {
      items.push(...batch.items)
      if (items.length >= n) resolve(items)
    })
    res.closed?.catch?.(reject)
  }))
}

run(async () => {
  for (let i = 1; i <= 3; i++) await broadcast(args.broadcast, args.stream, { n: i })

  // Catch-up from the start.
  const c = await stream({ url, offset: '-1', headers })
  const history = await c.json()
  const offset1 = c.offset
  emit('catchup', { history, offset: offset1 })

  // Long-poll from the end: the next publication.
  const lp = await stream({ url, offset: offset1, live: 'long-poll', headers, json: true })
  const lpItems = collect(lp, 1, 'long-poll item')
  setTimeout(() => broadcast(args.broadcast, args.stream, { n: 4 }).catch(lib.fail), 300)
  const polled = await lpItems
  lp.cancel()

  // SSE from the start: the four in history, then a live one.
  const sse = await stream({ url, offset: '-1', live: 'sse', headers, json: true })
  const sseItems = collect(sse, 5, 'sse items')
  setTimeout(() => broadcast(args.broadcast, args.stream, { n: 5 }).catch(lib.fail), 500)
  const streamed = await sseItems
  sse.cancel()

  // Catch-up from the first offset: only what came after it.
  const c2 = await stream({ url, offset: offset1, headers })
  const after = await c2.json()

  const q = args.signed ? '&signed=' + encodeURIComponent(args.signed) : ''
  const epochless = offset1.split('::')[0]
  const bad = {
    malformed: (await status(url + '?offset=abc' + q)).status,
    badLive: (await status(url + '?offset=-1&live=forever' + q)).status,
    liveNoOffset: (await status(url + '?live=sse' + q)).status,
    otherEpoch: (await status(url + '?offset=' + epochless + '::zzzz' + q)).status,
    noEpoch: (await status(url + '?offset=' + epochless + q)).status,
    post: (await status(url + '?offset=-1' + q, { method: 'POST', body: 'x' })).status,
    noStream: (await status(args.base + '/?offset=-1' + q)).status,
    head: await status(url + (q ? '?' + q.slice(1) : ''), { method: 'HEAD' })
  }
  if (args.foreign) {
    bad.foreign = (await status(url + '?offset=-1&signed=' + encodeURIComponent(args.foreign))).status
    bad.unsigned = (await status(url + '?offset=-1')).status
  }
  return { history, offset: offset1, polled, streamed, after, bad }
})
