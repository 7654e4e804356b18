// A small HTTP RPC application built with @anycable/serverless-js, the
// third-party implementation of AnyCable's RPC-over-HTTP that densecable's
// HTTP RPC client is checked against.
//
//   node serverless_app.mjs --port=P --secret=S --broadcast=http://127.0.0.1:D/_broadcast
//
// It serves POST /api/anycable/{connect,command,disconnect} and requires the
// Bearer token that AnyCable derives from the application secret
// (hex HMAC-SHA256(secret, "rpc-cable")); it broadcasts with the derived
// broadcast key (HMAC-SHA256(secret, "broadcast-cable")).
//
// Connections are identified by the ?user= URL parameter (rejected without
// it). The "chat" channel needs a room param and streams from chat:<room>;
// its channel state counts performs. Actions: echo (transmits the data back
// with the user and the perform count), speak (broadcasts to the room),
// explode (throws, so the HTTP answer is a 500).
//
// stdout (see lib.js): {"event":"listening"} once ready, then one
// {"event":"rpc", method, status, ...} line per call.

import http from 'node:http'
import { createHmac } from 'node:crypto'
import { register } from 'node:module'
import lib from './lib.js'

register('./esm_dir_imports.mjs', import.meta.url)
const { Application, Channel, Status, handler, broadcaster } = await import('@anycable/serverless-js')

const { emit, fail, parseArgs, need } = lib
const args = need(parseArgs(process.argv.slice(2)), 'port', 'secret', 'broadcast')
const derive = (purpose) => createHmac('sha256', args.secret).update(purpose).digest('hex')
const rpcToken = 'Bearer ' + derive('rpc-cable')
const broadcastTo = broadcaster(args.broadcast, derive('broadcast-cable'))

class CableApplication extends Application {
  async connect (handle) {
    const user = new URL(handle.env.url).searchParams.get('user')
    if (!user) {
      handle.reject()
      return
    }
    handle.identifiedBy({ user })
  }
}

class ChatChannel extends Channel {
  async subscribed (handle, params) {
    if (!params || !params.room) {
      handle.reject()
      return
    }
    handle.state = { performs: 0 }
    handle.streamFrom('chat:' + params.room)
  }

  async echo (handle, params, data) {
    handle.state.performs++
    handle.transmit({ ...data, user: handle.identifiers.user, performs: handle.state.performs })
  }

  async speak (handle, params, data) {
    handle.state.performs++
    await broadcastTo('chat:' + params.room, { user: handle.identifiers.user, text: data.text })
  }

  async explode () {
    throw new Error('explode: this action always fails')
  }
}

const app = new CableApplication()
app.registerChannel('chat', new ChatChannel())

// toRequest turns Node's request into the Fetch API Request that the
// serverless handlers take.
function toRequest (req, body) {
  const headers = new Headers()
  for (const [k, v] of Object.entries(req.headers)) {
    for (const one of [].concat(v)) headers.append(k, one)
  }
  return new Request('http://' + req.headers.host + req.url, { method: req.method, headers, body })
}

async function serve (req, res) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  const body = Buffer.concat(chunks)
  const method = req.url.split('/').pop()
  const answer = (code, payload, extra) => {
    res.writeHead(code, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify(payload))
    emit('rpc', Object.assign({ method, http: code }, extra))
  }
  if (req.method !== 'POST' || !req.url.startsWith('/api/anycable/')) return answer(404, { error: 'not found' })
  if (req.headers.authorization !== rpcToken) return answer(401, { error: 'bad token' }, { authorization: req.headers.authorization || '' })
  let reply
  try {
    reply = await handler(toRequest(req, body), app)
  } catch (err) {
    return answer(500, { status: Status.ERROR, error_msg: String(err.message) }, { error: String(err.message) })
  }
  const request = JSON.parse(body.toString())
  answer(200, reply, {
    status: reply.status,
    identifiers: request.identifiers || request.connection_identifiers,
    subscriptions: request.subscriptions,
    command: request.command
  })
}

const server = http.createServer((req, res) => serve(req, res).catch(fail))
server.listen(Number(args.port), '127.0.0.1', () => emit('listening'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
