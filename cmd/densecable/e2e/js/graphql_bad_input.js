'use strict'

// Scenario: bad input on densecable's --graphql_path, as raw frames, with a
// healthy graphql-transport-ws client connected throughout: each case gets
// graphql-ws's close code (or, legacy, an error message), and the healthy
// client still runs a query afterwards.
//
//   node graphql_bad_input.js --url=ws://127.0.0.1:P/graphql --max_ops=64

const WebSocket = require('ws')
const { run, Mailbox, parseArgs, need } = require('./lib')

const STEP_MS = 10000
const args = need(parseArgs(process.argv.slice(2)), 'url', 'max_ops')

// open connects with sub-protocol proto and records messages and the close.
function open (proto) {
  const c = { msgs: new Mailbox('messages'), close: new Mailbox('close'), opened: new Mailbox('open') }
  c.ws = proto === null ? new WebSocket(args.url) : new WebSocket(args.url, proto)
  c.ws.on('open', () => c.opened.push(true))
  c.ws.on('message', (d) => c.msgs.push(JSON.parse(d.toString())))
  c.ws.on('close', (code, reason) => c.close.push({ code, reason: reason.toString() }))
  c.ws.on('unexpected-response', (req, res) => c.close.push({ http: res.statusCode }))
  c.ws.on('error', () => {})
  c.send = (m) => c.ws.send(typeof m === 'string' ? m : JSON.stringify(m))
  c.take = (type, what) => c.msgs.take((m) => m.type === type, STEP_MS, what || type)
  c.closed = (what) => c.close.take(() => true, STEP_MS, what)
  return c
}

async function ready (proto) {
  const c = open(proto)
  await c.opened.take(() => true, STEP_MS, 'open')
  c.send({ type: 'connection_init', payload: { token: 'bad-input' } })
  await c.take('connection_ack')
  return c
}

const query = (id, type) => ({ id, type: type || 'subscribe', payload: { query: 'query { hello }' } })
const subscription = (id, type) => ({ id, type: type || 'subscribe', payload: { query: 'subscription { postCreated { title } }' } })

async function main () {
  const healthy = await ready('graphql-transport-ws')
  const out = {}

  let c = await ready('graphql-transport-ws')
  c.send('{not json')
  out.malformed = await c.closed('malformed JSON')

  c = await ready('graphql-transport-ws')
  c.send({ type: 'shout' })
  out.unknownType = await c.closed('unknown type')

  c = open('graphql-transport-ws')
  await c.opened.take(() => true, STEP_MS, 'open')
  c.send(query('early'))
  out.beforeInit = await c.closed('subscribe before init')

  c = await ready('graphql-transport-ws')
  c.send({ type: 'connection_init' })
  out.initTwice = await c.closed('second init')

  c = await ready('graphql-transport-ws')
  c.send(subscription('dup'))
  c.send(subscription('dup'))
  out.duplicate = await c.closed('duplicate id')

  c = await ready('graphql-transport-ws')
  for (let i = 0; i <= Number(args.max_ops); i++) c.send(subscription('op' + i))
  out.tooMany = await c.closed('too many operations')

  c = open('graphql-transport-ws')
  const t0 = Date.now()
  out.noInit = await c.closed('no connection_init')
  out.noInitAfterMs = Date.now() - t0

  c = open(null)
  out.noSubprotocol = await c.closed('no sub-protocol')

  // Legacy: errors as messages; the connection goes on.
  c = await ready('graphql-ws')
  c.send('{not json')
  out.legacyMalformed = await c.take('error', 'legacy error for malformed JSON')
  c.send({ type: 'shout', id: '9' })
  out.legacyUnknown = await c.take('error', 'legacy error for an unknown type')
  c.send(query('1', 'start'))
  out.legacyStillWorks = await c.take('data', 'legacy query after errors')
  c.send({ type: 'connection_terminate' })
  out.legacyTerminate = await c.closed('connection_terminate')

  healthy.send({ type: 'ping', payload: { n: 1 } })
  out.pong = await healthy.take('pong', 'pong to a client ping')
  healthy.send(query('after'))
  out.healthy = await healthy.take('next', 'healthy client query')
  healthy.ws.close()
  return out
}

run(main)
