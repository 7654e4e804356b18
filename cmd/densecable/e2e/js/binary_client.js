'use strict'

// Scenario: a raw `ws` client speaking one of the binary Action Cable
// formats through codecs.js (@msgpack/msgpack and protobufjs, independent of
// densecable's Go encoders), against densecable and the bench RPC app.
//
//   node binary_client.js --url=ws://127.0.0.1:P/cable \
//     --broadcast=http://127.0.0.1:B/_broadcast \
//     --protocol=actioncable-v1-msgpack --proto=/path/to/action_cable.proto
//
// Steps: the sub-protocol is negotiated; welcome; subscribe (confirm);
// perform echo (the app's JSON transmission comes back re-encoded); an HTTP
// broadcast and an application broadcast arrive decoded; a ping arrives.
// Every frame from the server must be a binary frame.

const WebSocket = require('ws')
const { createCodecs } = require('./codecs')
const { run, within, Mailbox, broadcast, parseArgs, need, sameJSON } = require('./lib')

const STEP_MS = 5000

async function main () {
  const args = need(parseArgs(process.argv.slice(2)), 'url', 'broadcast', 'protocol', 'proto')
  const codec = createCodecs({ protoPath: args.proto }).forProtocol(args.protocol)
  const room = 'bin-' + args.protocol
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
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  await within(STEP_MS, 'WebSocket open', new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  }))
  const send = (cmd) => ws.send(codec.encode(cmd))

  const welcome = await inbox.take((m) => m.type === 'welcome', STEP_MS, 'welcome')

  send({ command: 'subscribe', identifier })
  await inbox.take((m) => m.type === 'confirm_subscription' && m.identifier === identifier, STEP_MS, 'confirm_subscription')

  const echoData = { action: 'echo', text: 'echo ü 🚀', n: 7 }
  send({ command: 'message', identifier, data: JSON.stringify(echoData) })
  const echo = await inbox.take((m) => m.identifier === identifier && sameJSON(m.message, echoData), STEP_MS, 'echo')

  const published = { text: 'http-1', n: 42, f: 1.5, nested: { a: [1, 2, null, true], s: '<b>&' } }
  await broadcast(args.broadcast, stream, published)
  const fromHTTP = await inbox.take((m) => m.identifier === identifier && sameJSON(m.message, published), STEP_MS, 'HTTP broadcast')

  const spoken = { action: 'speak', text: 'app-1' }
  send({ command: 'message', identifier, data: JSON.stringify(spoken) })
  await inbox.take((m) => m.identifier === identifier && sameJSON(m.message, spoken), STEP_MS, 'application broadcast')

  const ping = await inbox.take((m) => m.type === 'ping', STEP_MS, 'ping')

  ws.close(1000)
  const close = await within(STEP_MS, 'close handshake', closed)
  if (textFrames.length > 0) throw new Error('text frames on a binary protocol: ' + JSON.stringify(textFrames))
  return {
    negotiated: ws.protocol,
    welcome,
    echo: echo.message,
    broadcast: fromHTTP,
    pingTimestamp: typeof ping.message,
    close
  }
}

run(main)
