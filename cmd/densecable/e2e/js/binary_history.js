'use strict'

// Scenario: HISTORY over an extended binary format (ext-msgpack or
// ext-protobuf) with a raw `ws` client and codecs.js, against densecable
// (--broker=memory) and the bench RPC app.
//
//   node binary_history.js --url=ws://127.0.0.1:P/cable \
//     --broadcast=http://127.0.0.1:B/_broadcast \
//     --protocol=actioncable-v1-ext-protobuf --proto=/path/to/action_cable.proto
//
// Steps: subscribe; three HTTP broadcasts arrive live (with stream_id, epoch
// and offset); a history request for the stream from offset 1 with the seen
// epoch; then one with a wrong epoch. Reports every message of the
// subscription as decoded, in arrival order, for the Go test to check.

const WebSocket = require('ws')
const { createCodecs } = require('./codecs')
const { run, within, Mailbox, broadcast, parseArgs, need } = require('./lib')

const STEP_MS = 5000
// MAX_REPLY bounds how many frames one history answer may take before the
// script gives up waiting for its terminating confirm/reject.
const MAX_REPLY = 10

async function main () {
  const args = need(parseArgs(process.argv.slice(2)), 'url', 'broadcast', 'protocol', 'proto')
  const codec = createCodecs({ protoPath: args.proto }).forProtocol(args.protocol)
  const room = 'history-' + args.protocol
  const identifier = JSON.stringify({ channel: 'ChatChannel', room })
  const stream = 'ChatChannel:' + room

  const ws = new WebSocket(args.url, [args.protocol])
  ws.binaryType = 'arraybuffer'
  const inbox = new Mailbox('server messages')
  const textFrames = []
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      textFrames.push(data.toString())
      return
    }
    inbox.push(codec.decode(data))
  })
  await within(STEP_MS, 'WebSocket open', new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  }))
  const send = (cmd) => ws.send(codec.encode(cmd))
  const ours = (m) => m.identifier === identifier

  await inbox.take((m) => m.type === 'welcome', STEP_MS, 'welcome')
  send({ command: 'subscribe', identifier })
  await inbox.take((m) => ours(m) && m.type === 'confirm_subscription', STEP_MS, 'confirm_subscription')

  const live = []
  for (let n = 1; n <= 3; n++) {
    await broadcast(args.broadcast, stream, { n })
    live.push(await inbox.take((m) => ours(m) && m.message && m.message.n === n, STEP_MS, 'live broadcast ' + n))
  }
  const epoch = live[0].epoch
  if (!epoch) throw new Error('live broadcast without an epoch: ' + JSON.stringify(live[0]))

  // until collects the subscription's next frames up to and including one
  // whose type is in ends.
  async function until (what, ...ends) {
    const got = []
    while (got.length < MAX_REPLY) {
      const m = await inbox.take(ours, STEP_MS, what + ' (after ' + JSON.stringify(got) + ')')
      got.push(m)
      if (ends.includes(m.type)) return got
    }
    throw new Error(what + ': no ' + ends.join('/') + ' within ' + MAX_REPLY + ' frames: ' + JSON.stringify(got))
  }

  send({ command: 'history', identifier, history: { streams: { [stream]: { epoch, offset: 1 } } } })
  const history = await until('history from offset 1', 'confirm_history', 'reject_history')

  const wrongEpoch = epoch === 'xXxX' ? 'yYyY' : 'xXxX'
  send({ command: 'history', identifier, history: { streams: { [stream]: { epoch: wrongEpoch, offset: 1 } } } })
  const rejected = await until('history with a wrong epoch', 'confirm_history', 'reject_history')

  ws.close(1000)
  if (textFrames.length > 0) throw new Error('text frames on a binary protocol: ' + JSON.stringify(textFrames))
  return { negotiated: ws.protocol, identifier, stream, epoch, live, history, rejected }
}

run(main)
