'use strict'

// Scenario: raw `ws` clients send bad extended-protocol input
// (actioncable-v1-ext-json) to a densecable with a broker: malformed and
// misdirected history requests, unknown epochs, offsets from the future,
// presence joins without an id or with oversized info. For each bad
// command the script records every reply that came before the pong of a
// ping sent right after it (commands of one session are answered in
// order), so "no reply" is observable. A second client on the same stream
// watches that nothing leaks to it and that it keeps working.
//
//   node ext_bad_input.js --url=ws://127.0.0.1:P/cable \
//     --broadcast=http://127.0.0.1:B/_broadcast --stream=<unique stream>
//
// (The last case subscribes to <stream>-second with a history request.)
//
// The done event holds {replies: {case: [frames]}, observer: [frames],
// history: [frames], ...}; the Go test judges them.

const WebSocket = require('ws')
const { run, within, Mailbox, broadcast, parseArgs, need } = require('./lib')

const STEP_MS = 10000
const PROTOCOL = 'actioncable-v1-ext-json'

// client opens a socket and returns helpers around its inbox.
async function client (url, name) {
  const ws = new WebSocket(url, [PROTOCOL])
  const inbox = new Mailbox(name)
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString())
    if (frame.type !== 'ping') inbox.push(frame)
  })
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)))
  await within(STEP_MS, name + ' opens', new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  }))
  const send = (cmd) => ws.send(typeof cmd === 'string' ? cmd : JSON.stringify(cmd))
  const take = (pred, what) => inbox.take(pred, STEP_MS, what)
  // answered sends cmd then a ping and returns the frames before the pong.
  const answered = async (cmd, what) => {
    send(cmd)
    send({ command: 'ping' })
    const frames = []
    for (;;) {
      const f = await take(() => true, 'answer to ' + what + ' (then pong)')
      if (f.type === 'pong') return frames
      frames.push(f)
    }
  }
  return { ws, inbox, send, take, answered, closed, protocol: () => ws.protocol }
}

async function main () {
  const args = need(parseArgs(process.argv.slice(2)), 'url', 'broadcast', 'stream')
  const { stream } = args
  const identifier = JSON.stringify({ channel: '$pubsub', stream_name: stream })
  const other = JSON.stringify({ channel: '$pubsub', stream_name: stream + '-not-subscribed' })
  const second = JSON.stringify({ channel: '$pubsub', stream_name: stream + '-second' })

  const x = await client(args.url, 'bad client')
  const y = await client(args.url, 'observer')
  for (const c of [x, y]) {
    await c.take((f) => f.type === 'welcome', 'welcome')
    c.send({ command: 'subscribe', identifier })
    await c.take((f) => f.type === 'confirm_subscription', 'confirm_subscription')
  }
  const isMsg = (n) => (f) => f.identifier === identifier && f.message && f.message.n === n
  let last
  for (const n of [1, 2]) {
    await broadcast(args.broadcast, stream, { n })
    last = await x.take(isMsg(n), 'broadcast ' + n)
    await y.take(isMsg(n), 'broadcast ' + n + ' at the observer')
  }
  const { epoch, offset } = last
  const at = (pos) => ({ command: 'history', identifier, history: { streams: { [stream]: pos } } })

  const cases = {
    historyMissing: { command: 'history', identifier },
    historyEmpty: { command: 'history', identifier, history: {} },
    historyNotObject: { command: 'history', identifier, history: 'yesterday' },
    historyBadOffsetType: at({ epoch, offset: 'x' }),
    historyUnsubscribed: { command: 'history', identifier: other, history: { streams: { [stream]: { epoch, offset: 1 } } } },
    historyNoIdentifier: { command: 'history', history: { since: 1 } },
    notJSON: '{"command":"history","identifier":',
    unknownEpoch: at({ epoch: 'nope', offset: 1 }),
    unknownEpochZero: at({ epoch: 'zzzz', offset: 0 }),
    futureOffset: at({ epoch, offset: offset + 100 }),
    hugeOffset: at({ epoch, offset: Number.MAX_SAFE_INTEGER }),
    negativeOffset: at({ epoch, offset: -1 }),
    futureSince: { command: 'history', identifier, history: { since: Math.floor(Date.now() / 1000) + 3600 } },
    joinMissingPresence: { command: 'join', identifier },
    joinWithoutId: { command: 'join', identifier, presence: { info: { name: 'no id' } } },
    joinEmptyId: { command: 'join', identifier, presence: { id: '', info: { name: 'empty id' } } },
    joinBigInfo: { command: 'join', identifier, presence: { id: 'big', info: { blob: 'x'.repeat(17 * 1024) } } },
    joinUnsubscribed: { command: 'join', identifier: other, presence: { id: 'elsewhere', info: {} } },
    presenceAfterBadJoins: { command: 'presence', identifier },
    subscribeWithUnknownEpoch: { command: 'subscribe', identifier: second, history: { streams: { [stream + '-second']: { epoch: 'nope', offset: 1 } } } }
  }
  const replies = {}
  for (const [name, cmd] of Object.entries(cases)) {
    replies[name] = await answered(x, cmd, name)
  }

  // Still usable: a valid join is broadcast to both clients, and the
  // observer's presence events up to it show nothing from the bad joins
  // (they share one ordered stream).
  x.send({ command: 'join', identifier, presence: { id: 'ok', info: { name: 'ok' } } })
  const isJoinOK = (f) => f.type === 'presence' && f.message && f.message.id === 'ok'
  await x.take(isJoinOK, 'join event of a valid join')
  await y.take(isJoinOK, 'join event of a valid join at the observer')
  const presence = await answered(x, { command: 'presence', identifier }, 'presence after a valid join')

  // Broadcasts and history still work for both.
  await broadcast(args.broadcast, stream, { n: 3 })
  await x.take(isMsg(3), 'broadcast 3')
  await y.take(isMsg(3), 'broadcast 3 at the observer')
  const history = await answered(x, at({ epoch, offset }), 'history after the bad input')
  const observer = y.inbox.items.slice() // what else reached the observer

  x.ws.close(1000)
  y.ws.close(1000)
  const closes = await within(STEP_MS, 'close handshakes', Promise.all([x.closed, y.closed]))
  return { negotiated: x.protocol(), epoch, offset, replies, presence, history, observer, closes }
}

// answered is a method of a client; kept as a function for the table above.
function answered (c, cmd, what) { return c.answered(cmd, what) }

run(main)
