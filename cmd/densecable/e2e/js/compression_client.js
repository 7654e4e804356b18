'use strict'

// Scenario: the official @rails/actioncable client over the `ws` package
// with permessage-deflate on, against densecable --enable_ws_compression
// and the bench RPC app.
//
//   node compression_client.js --url=ws://127.0.0.1:P/cable \
//     --broadcast=http://127.0.0.1:B/_broadcast --room=z
//
// Steps: connect (the client offers permessage-deflate and compresses every
// message, threshold 0); subscribe; perform echo of a large, repetitive
// text (the server must inflate it); receive an HTTP broadcast of a large
// text (the server must deflate it). The socket's byte counters prove the
// wire carried compressed frames both ways. A varied text echoed twice
// shows whether the client kept its window (context takeover).

const WebSocket = require('ws')
const { loadActionCable } = require('./node_actioncable')
const { run, Mailbox, broadcast, parseArgs, need, sameJSON } = require('./lib')

const STEP_MS = 10000

let socket // the one connection the consumer opens
const frames = new Mailbox('server frames')
class DeflateWebSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols, { perMessageDeflate: { threshold: 0 } })
    socket = this
    this.on('message', (data) => frames.push(JSON.parse(data.toString())))
    this.on('error', () => {})
  }
}

// traffic is what the TCP socket carried so far.
const traffic = () => ({ read: socket._socket.bytesRead, written: socket._socket.bytesWritten })

async function main () {
  const args = need(parseArgs(process.argv.slice(2)), 'url', 'broadcast', 'room')
  const stream = 'ChatChannel:' + args.room
  const ActionCable = loadActionCable({ WebSocket: DeflateWebSocket })
  const consumer = ActionCable.createConsumer(args.url)
  const received = new Mailbox('received')
  const confirmed = new Mailbox('confirmed')
  const sub = consumer.subscriptions.create({ channel: 'ChatChannel', room: args.room }, {
    connected: () => confirmed.push(true),
    received: (msg) => received.push(msg)
  })
  await frames.take((f) => f.type === 'welcome', STEP_MS, 'welcome')
  await confirmed.take(() => true, STEP_MS, 'subscription confirmed')

  const text = 'compress me please, '.repeat(2000) // 40 KB
  let before = traffic()
  sub.perform('echo', { text })
  await received.take((m) => sameJSON(m, { text, action: 'echo' }), STEP_MS, 'echo of the large text')
  const echo = { written: traffic().written - before.written, read: traffic().read - before.read }

  // The same varied text twice: with context takeover the client's second
  // message refers back to the first and is a fraction of its size.
  let seed = 1
  const words = []
  for (let i = 0; i < 600; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    words.push(seed.toString(36))
  }
  const varied = words.join(' ')
  const repeat = []
  for (let i = 0; i < 2; i++) {
    before = traffic()
    sub.perform('echo', { text: varied })
    await received.take((m) => sameJSON(m, { text: varied, action: 'echo' }), STEP_MS, 'echo of the varied text')
    repeat.push(traffic().written - before.written)
  }

  before = traffic()
  await broadcast(args.broadcast, stream, { text })
  await received.take((m) => sameJSON(m, { text }), STEP_MS, 'HTTP broadcast of the large text')
  const bcast = { read: traffic().read - before.read }

  consumer.disconnect()
  // ws keeps the parameters the server answered with here.
  const deflate = socket._extensions['permessage-deflate']
  return { extensions: socket.extensions, params: deflate && deflate.params, size: text.length, echo, broadcast: bcast, repeat }
}

run(main)
