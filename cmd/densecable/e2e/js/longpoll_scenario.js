'use strict'

// End-to-end long polling against densecable (see longpoll_test.go):
//   --url=<poll endpoint> --broadcast=<HTTP broadcast URL> --mode=rpc|norpc
//   [--expiry=1] (check that an abandoned session gets 401)
// Two long-poll clients subscribe to one stream; a broadcast reaches both;
// with RPC a perform by one reaches the other (the application
// broadcasts); bad requests get their status; an abandoned session expires.

const { run, emit, broadcast, parseArgs, need, sleep } = require('./lib')
const { LongPollClient } = require('./longpoll_client')

const args = need(parseArgs(process.argv.slice(2)), 'url', 'broadcast', 'mode')
const rpc = args.mode === 'rpc'
const room = 'lp' + process.pid
const stream = rpc ? 'ChatChannel:' + room : 'lp_stream_' + process.pid
const identifier = rpc
  ? JSON.stringify({ channel: 'ChatChannel', room })
  : JSON.stringify({ channel: '$pubsub', stream_name: stream })
const T = 15000

const isType = (t) => (m) => m.type === t
const isData = (pred) => (m) => m.identifier === identifier && m.message !== undefined && pred(m.message)

async function subscribed (client, name) {
  const status = await client.connect([{ command: 'subscribe', identifier }])
  if (status !== 200 || !client.id) throw new Error(name + ': connect HTTP ' + status + ' id ' + client.id)
  await client.take(isType('welcome'), T, name + ' welcome')
  await client.take((m) => m.type === 'confirm_subscription' && m.identifier === identifier, T, name + ' confirmation')
}

async function status (method, headers, body) {
  const res = await fetch(args.url, { method, headers, body })
  await res.text()
  return res.status
}

run(async () => {
  const a = new LongPollClient(args.url)
  const b = new LongPollClient(args.url)
  await subscribed(a, 'a')
  await subscribed(b, 'b')
  emit('subscribed', { a: a.id, b: b.id })

  await broadcast(args.broadcast, stream, { text: 'hello' })
  for (const [c, n] of [[a, 'a'], [b, 'b']]) {
    await c.take(isData((d) => d.text === 'hello'), T, n + ' broadcast')
  }

  let whisper = null
  if (!rpc) {
    // Whispers on a public stream reach the other subscribers, not the sender.
    await b.send({ command: 'whisper', identifier, data: { typing: 'b' } })
    const w = await a.take(isData((d) => d.typing === 'b'), T, 'a whisper')
    whisper = w.message
  }

  if (rpc) {
    await a.send({ command: 'message', identifier, data: JSON.stringify({ action: 'speak', text: 'from a' }) })
    await b.take(isData((d) => d.text === 'from a'), T, 'b perform broadcast')
  }

  // Bad input: the documented statuses, and the sessions carry on.
  const bad = {
    get: await status('GET'),
    garbage: await status('POST', {}, 'not json\n'),
    oversized: await status('POST', {}, '{"a":"' + 'x'.repeat(70 << 10) + '"}\n'),
    unknown: await status('POST', { 'X-Anycable-Poll-ID': 'no-such-session' }, '')
  }
  emit('bad', bad)
  await broadcast(args.broadcast, stream, { text: 'after bad input' })
  await a.take(isData((d) => d.text === 'after bad input'), T, 'a after bad input')

  let expired = null
  if (args.expiry) {
    // b stops polling: after the keep-alive timeout its id is unknown.
    b.stop()
    const id = b.id
    await sleep(Number(args.expiry) * 1000 + 1500)
    expired = await status('POST', { 'X-Anycable-Poll-ID': id }, '')
  }
  a.stop()
  return { bad, expired, whisper, bGotOwnWhisper: b.messages.count(isData((d) => d.typing === 'b')), aStatuses: [...new Set(a.statuses)] }
})
